// The recommendation over a cost report: the cheapest viable option, unless it restarts the brokers
// and an option that changes nothing costs at most 10 % more; reasons and trade-offs said. Reports
// here are written by hand (pure logic); the CLI case runs the real estimate on a bundled example.
import assert from 'node:assert/strict';
import type { CostOption, CostReport, OptionId } from '../../src/cost/estimate.js';
import { recommend } from '../../src/cost/recommend.js';
import { runCli } from '../support/run-cli.js';
import { configOf } from '../support/fixtures.js';

function report(
  prices: Partial<Record<OptionId, number | string>>,
  selected: OptionId = 'pattern1',
): CostReport {
  const options: CostOption[] = Object.entries(prices).map(([id, v]) =>
    typeof v === 'number'
      ? { id: id as OptionId, label: id, viable: true, monthlyUsd: v, lines: [] }
      : { id: id as OptionId, label: id, viable: false, monthlyUsd: 0, lines: [], reason: v },
  );
  return {
    region: 'us-east-2',
    hoursPerMonth: 730,
    priceTableDate: 'x',
    selected,
    gbPerMonth: 100,
    notes: [],
    options,
  };
}

const config = configOf({ pattern: 2 });

describe('cost: recommend', () => {
  it('takes the cheapest option, even one that restarts the brokers when nothing calmer is within 10 %, and lists the others against it', () => {
    const r = recommend(
      report({ pattern1: 115.48, 'pattern1-broker-az': 72.28, pattern2: 40.33 }, 'pattern1'),
      configOf({}),
    );
    // pattern2 is cheapest but restarts the brokers; broker-az is 79 % dearer: pattern2 stays.
    assert.equal(r?.option, 'pattern2');
    assert.match(
      r?.reasons[0] ?? '',
      /the cheapest viable option: \$31\.95 a month less than pattern1-broker-az \(44 % less\)/,
    );
    assert.match(r?.reasons.join('\n') ?? '', /changes the brokers: it sets custom\.advertised\.listeners/);
    assert.match(r?.reasons.join('\n') ?? '', /the config describes pattern1: set pattern/);
    assert.deepEqual(
      r?.alternatives.map((a) => [a.option, a.deltaUsd]),
      [
        ['pattern1-broker-az', 31.95],
        ['pattern1', 75.15],
      ],
    );
  });

  it('prefers an option that leaves the brokers alone when it costs at most 10 % more', () => {
    const r = recommend(report({ pattern2: 50, 'pattern1-broker-az': 55, pattern1: 90 }, 'pattern2'), config);
    assert.equal(r?.option, 'pattern1-broker-az');
    assert.match(
      r?.reasons[0] ?? '',
      /pattern2 is \$5\.00 a month cheaper but restarts the brokers; pattern1-broker-az changes nothing on them for at most 10 % more/,
    );
    assert.equal(r?.alternatives.find((a) => a.option === 'pattern2')?.deltaUsd, -5);
    // 55.01 is past 10 %: the cheaper option wins again.
    assert.equal(
      recommend(report({ pattern2: 50, 'pattern1-broker-az': 55.01 }), config)?.option,
      'pattern2',
    );
  });

  it("says pattern 3's prices are unverified, names what is not viable, and answers nothing when nothing is", () => {
    const r = recommend(report({ pattern3: 21.9, pattern2: 'PATTERN2_KRAFT: no', pattern1: 115.48 }), config);
    assert.equal(r?.option, 'pattern3');
    assert.match(r?.reasons.join('\n') ?? '', /pricing pages did not state/);
    assert.deepEqual(r?.notViable, [{ option: 'pattern2', reason: 'PATTERN2_KRAFT: no' }]);
    assert.equal(recommend(report({ pattern1: 'no', pattern2: 'no' }), config), undefined);
  });

  it('`recommend` on a bundled example: the JSON names the option the cost report ranks first', async () => {
    const rec = await runCli([
      'recommend',
      '--offline',
      '--config',
      'plans/pattern1-one-consumer.yaml',
      '--json',
      '--gb-per-month',
      '1000',
    ]);
    assert.equal(rec.code, 0, rec.err);
    const cost = await runCli([
      'cost',
      '--offline',
      '--config',
      'plans/pattern1-one-consumer.yaml',
      '--format',
      'json',
      '--gb-per-month',
      '1000',
    ]);
    const options = (
      JSON.parse(cost.out) as { options: Array<{ id: string; viable: boolean; monthlyUsd: number }> }
    ).options;
    const cheapest = options.filter((o) => o.viable).sort((a, b) => a.monthlyUsd - b.monthlyUsd)[0];
    const got = JSON.parse(rec.out) as { option: string; monthlyUsd: number; gbPerMonth: number };
    assert.equal(got.option, cheapest?.id);
    assert.equal(got.monthlyUsd, cheapest?.monthlyUsd);
    assert.equal(got.gbPerMonth, 1000);
    const text = await runCli(['recommend', '--offline', '--config', 'plans/pattern1-one-consumer.yaml']);
    assert.match(text.out, new RegExp(`^Recommended: ${got.option}, `));
  });
});
