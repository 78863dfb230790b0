import assert from 'node:assert/strict';
import path from 'node:path';
import { runCli } from '../support/run-cli.js';

// `cost --hours-per-month N`: a number of hours, more than 0 and at most 744; 730 when not given.

const config = path.join('plans', 'pattern2-one-consumer.yaml');

interface Report {
  hoursPerMonth: number;
  options: { id: string; lines: { item: string; quantity: number; monthlyUsd: number }[] }[];
}

async function json(extra: string[]): Promise<Report> {
  const r = await runCli(['cost', '--offline', '--format', 'json', '--config', config, ...extra]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as Report;
}

const nlbUsd = (r: Report) =>
  r.options.find((o) => o.id === 'pattern2')?.lines.find((l) => l.item === 'nlb-hours')?.monthlyUsd;

describe('cli: cost --hours-per-month', () => {
  it('defaults to 730 hours; 720 and 744 are taken as given', async () => {
    const byDefault = await json([]);
    assert.equal(byDefault.hoursPerMonth, 730);
    // Pattern 2's one NLB: $0.0225 x 730 = $16.425 -> $16.43; x 720 = $16.20; x 744 = $16.74.
    assert.equal(nlbUsd(byDefault), 16.43);
    const writeUp = await json(['--hours-per-month', '720']);
    assert.equal(writeUp.hoursPerMonth, 720);
    assert.equal(nlbUsd(writeUp), 16.2);
    assert.equal(nlbUsd(await json(['--hours-per-month', '744'])), 16.74);
    assert.equal((await json(['--hours-per-month', '730.5'])).hoursPerMonth, 730.5);
  });

  it('says 730 hours in the table', async () => {
    const r = await runCli(['cost', '--offline', '--config', config]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /730 hours a month/);
    // Four options side by side wrap the cells at the default width (100): "1 x 730 h = $16.43" may
    // break across lines, so the figures are matched, not the wrapping.
    assert.match(r.out, /x 730 h/);
    assert.ok(r.out.includes('$16.43'), 'pattern 2 NLB line at 730 h');
  });

  it('rejects 0, negatives, more than 744, and what is not a number, with one error and exit 1', async () => {
    for (const v of ['0', '-1', '745', '8760', 'abc', '', 'Infinity', 'NaN']) {
      const r = await runCli(['cost', '--offline', '--config', config, '--hours-per-month', v]);
      assert.equal(r.code, 1, `${v}: ${r.out}`);
      assert.equal(r.out, '', v);
      const errors = r.err.split('\n').filter((l) => l.startsWith('error'));
      assert.equal(errors.length, 1, r.err);
      assert.match(
        errors[0] ?? '',
        /--hours-per-month .*must be a number of hours, more than 0 and at most 744/,
        `${v}: ${r.err}`,
      );
    }
  });
});
