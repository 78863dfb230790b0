import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigSchema } from '../../src/config/schema.js';
import { estimateCost } from '../../src/cost/estimate.js';
import { PRICED_REGIONS, pricesFor } from '../../src/cost/prices.js';
import { MplError } from '../../src/errors.js';
import { build, lineOf, option, qty, type Fixture } from '../support/cost-fixture.js';

// Prices restated here from AWS's pricing pages (us-east-2; docs/cost-model.md "Prices"), so the tests
// do not trust the table.
const NLB_HOUR = 0.0225;
const ENDPOINT_AZ_HOUR = 0.01;
const ZONE_MONTH = 0.5;
const ZONE_MONTH_AFTER_25 = 0.1;
const NLCU_HOUR = 0.006;
const CROSS_AZ_EACH_WAY = 0.01;
// The reference write-up's month: tests of its figures pass it explicitly (the default is AWS's 730).
const HOURS = 720;
const GB_PER_PB = 1_048_576;
const cents = (x: number) => Math.round(x * 100) / 100;

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------- tests

describe('cost: estimateCost', () => {
  it('reproduces the write-up: pattern 1, one broker, one consumer in three AZs = $16.20 + $21.60 = $37.80', () => {
    const r = estimateCost(build({ brokers: 1, consumers: [{ azs: [1, 2, 3] }] }), { hoursPerMonth: HOURS });
    assert.equal(r.selected, 'pattern1');
    assert.equal(r.hoursPerMonth, 720);
    assert.equal(r.priceTableDate, '2026-11-01');
    const p1 = option(r, 'pattern1');
    assert.equal(p1.viable, true);
    assert.deepEqual(
      {
        q: lineOf(p1, 'nlb-hours')?.quantity,
        u: lineOf(p1, 'nlb-hours')?.unitUsd,
        m: lineOf(p1, 'nlb-hours')?.monthlyUsd,
      },
      { q: 1, u: 0.0225, m: 16.2 },
    );
    assert.deepEqual(
      {
        q: lineOf(p1, 'endpoint-az-hours')?.quantity,
        u: lineOf(p1, 'endpoint-az-hours')?.unitUsd,
        m: lineOf(p1, 'endpoint-az-hours')?.monthlyUsd,
      },
      { q: 3, u: 0.01, m: 21.6 },
    );
    const fixed =
      (lineOf(p1, 'nlb-hours')?.monthlyUsd ?? 0) + (lineOf(p1, 'endpoint-az-hours')?.monthlyUsd ?? 0);
    assert.equal(cents(fixed), 37.8);
    // The write-up leaves the hosted zone out; it is its own line: docs/cost-model.md's $38.30.
    assert.equal(lineOf(p1, 'hosted-zones')?.monthlyUsd, 0.5);
    assert.equal(p1.monthlyUsd, 38.3);
    // No data lines without a volume.
    assert.equal(lineOf(p1, 'privatelink-data'), undefined);
  });

  it('prices each option from its plan: quantities follow from brokers, consumers and subnets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(
          fc.record({
            azs: fc.subarray([1, 2, 3], { minLength: 1 }),
            layout: fc.constantFrom<'all-azs' | 'broker-az'>('all-azs', 'broker-az'),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.constantFrom<'rewrite' | 'additive'>('rewrite', 'additive'),
        (B, consumers, mode) => {
          const r = estimateCost(build({ brokers: B, consumers, mode }), { hoursPerMonth: HOURS });
          const C = consumers.length;
          const k = consumers.map((c) => c.azs.length);
          const brokerAzs = new Set(Array.from({ length: B }, (_, i) => (i % 3) + 1));

          const p1 = option(r, 'pattern1');
          assert.equal(p1.viable, true);
          assert.equal(qty(p1, 'nlb-hours'), B);
          assert.equal(qty(p1, 'endpoint-az-hours'), B * sum(k));
          assert.equal(qty(p1, 'hosted-zones'), C);
          assert.equal(
            p1.monthlyUsd,
            cents(
              cents(B * NLB_HOUR * HOURS) + cents(B * sum(k) * ENDPOINT_AZ_HOUR * HOURS) + C * ZONE_MONTH,
            ),
          );

          const bz = option(r, 'pattern1-broker-az');
          const bzViable = consumers.every((c) => [...brokerAzs].every((a) => c.azs.includes(a)));
          assert.equal(bz.viable, bzViable, bz.reason);
          if (bzViable) {
            assert.equal(qty(bz, 'nlb-hours'), B);
            assert.equal(qty(bz, 'endpoint-az-hours'), B * C);
          } else {
            assert.match(bz.reason ?? '', /broker-az needs a subnet/);
            assert.equal(bz.monthlyUsd, 0);
          }

          const p2 = option(r, 'pattern2');
          assert.equal(p2.viable, true);
          assert.equal(qty(p2, 'nlb-hours'), 1);
          assert.equal(qty(p2, 'endpoint-az-hours'), sum(k));
          // Rewrite mode adds the provider VPC's zones, one per broker name (in-VPC clients go through the NLB too).
          assert.equal(qty(p2, 'hosted-zones'), C + (mode === 'rewrite' ? B : 0));

          const layouts = new Set(consumers.map((c) => c.layout));
          const expectedSelected =
            layouts.size > 1
              ? 'pattern1-mixed'
              : layouts.has('broker-az')
                ? 'pattern1-broker-az'
                : 'pattern1';
          assert.equal(r.selected, expectedSelected);
          if (expectedSelected === 'pattern1-mixed') {
            const mixed = option(r, 'pattern1-mixed');
            const allAzK = sum(consumers.filter((c) => c.layout === 'all-azs').map((c) => c.azs.length));
            const brokerAzC = consumers.filter((c) => c.layout === 'broker-az').length;
            assert.equal(
              mixed.viable,
              consumers.every(
                (c) => c.layout === 'all-azs' || [...brokerAzs].every((a) => c.azs.includes(a)),
              ),
            );
            if (mixed.viable) assert.equal(qty(mixed, 'endpoint-az-hours'), B * allAzK + B * brokerAzC);
          } else {
            assert.equal(r.options.length, 5, 'four patterns and pattern 0');
          }
          // Every figure adds up: option total = sum of its lines, each line = quantity x unit.
          for (const o of r.options) {
            assert.equal(o.monthlyUsd, cents(sum(o.lines.map((l) => l.monthlyUsd))));
            for (const l of o.lines) {
              const factor = l.unit === 'hour' ? HOURS : 1;
              assert.ok(
                Math.abs(l.quantity * l.unitUsd * factor - l.monthlyUsd) <= 0.005 + 1e-9,
                `${o.id} ${l.item}`,
              );
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('monitor: Lambda, Scheduler and CloudWatch lines, the same on every option, worked out by hand', () => {
    const input = build({ brokers: 3, consumers: [{ azs: [1, 2, 3] }] });
    const config = ConfigSchema.parse({ ...input.config, monitor: { everyMinutes: 5 } });
    const withMonitor = { ...input, config, monitor: { codeSha256: 'x' } };
    const r = estimateCost(withMonitor, { hoursPerMonth: 730 });
    const plain = estimateCost(input, { hoursPerMonth: 730 });
    // 3 functions (one per AZ ID) x 730 h x 60 / 5 min = 26,280 runs a month.
    const runs = 3 * ((730 * 60) / 5);
    // Lambda $0.20/1M requests, $0.0000166667/GB-s (256 MB, 2 s a run); Scheduler $1.00/1M;
    // CloudWatch $0.30/metric (3 brokers x 3 AZs x 3 metrics + 1), $0.01/1,000 PutMetricData, $0.10/alarm.
    const expected = [
      ['monitor-lambda-requests', runs, cents(runs * 0.0000002)],
      ['monitor-lambda-gb-seconds', runs * 2 * 0.25, cents(runs * 2 * 0.25 * 0.0000166667)],
      ['monitor-scheduler-invocations', runs, cents(runs * 0.000001)],
      ['monitor-metrics', 28, 8.4],
      ['monitor-metric-requests', runs, cents(runs * 0.00001)],
      ['monitor-alarms', 1, 0.1],
    ] as const;
    for (const id of ['pattern1', 'pattern2', 'pattern3']) {
      const o = option(r, id);
      for (const [item, quantity, usd] of expected) {
        assert.equal(lineOf(o, item)?.quantity, quantity, `${id} ${item}`);
        assert.equal(lineOf(o, item)?.monthlyUsd, usd, `${id} ${item}`);
      }
      assert.equal(
        cents(o.monthlyUsd - option(plain, id).monthlyUsd),
        cents(sum(expected.map((e) => e[2]))),
        `${id}: monitor adds its lines only`,
      );
      assert.equal(
        lineOf(option(plain, id), 'monitor-metrics'),
        undefined,
        'no monitor lines without monitor',
      );
    }
    assert.equal(cents(sum(expected.map((e) => e[2]))), 9.02);
  });

  it('selects the option the config describes', () => {
    assert.equal(
      estimateCost(build({ brokers: 3, consumers: [{ azs: [1, 2, 3], layout: 'broker-az' }] })).selected,
      'pattern1-broker-az',
    );
    assert.equal(
      estimateCost(build({ brokers: 3, pattern: 2, consumers: [{ azs: [1, 2, 3] }] })).selected,
      'pattern2',
    );
    const mixed = estimateCost(
      build({ brokers: 3, consumers: [{ azs: [1, 2, 3] }, { azs: [1, 2, 3], layout: 'broker-az' }] }),
    );
    assert.equal(mixed.selected, 'pattern1-mixed');
    assert.deepEqual(
      mixed.options.map((o) => o.id),
      ['pattern1', 'pattern1-broker-az', 'pattern2', 'pattern3', 'pattern0', 'pattern1-mixed'],
    );
    assert.ok(mixed.notes.some((n) => /mixes endpoint layouts/.test(n)));
  });

  it("keeps pattern 2 in the report, not viable, on a KRaft cluster, with the planner's reason", () => {
    const r = estimateCost(build({ brokers: 3, kraft: true, consumers: [{ azs: [1, 2, 3] }] }), {
      gbPerMonth: 100,
    });
    const p2 = option(r, 'pattern2');
    assert.equal(p2.viable, false);
    assert.match(p2.reason ?? '', /KRaft/);
    assert.equal(p2.reasonCode, 'PATTERN2_KRAFT');
    assert.deepEqual(p2.lines, []);
    assert.equal(p2.monthlyUsd, 0);
    assert.equal(option(r, 'pattern1').viable, true);
    // A pattern-2 config on KRaft: the configured option is the refused one.
    const r2 = estimateCost(build({ brokers: 3, kraft: true, pattern: 2, consumers: [{ azs: [1, 2, 3] }] }));
    assert.equal(r2.selected, 'pattern2');
    assert.equal(option(r2, 'pattern2').viable, false);
  });

  it('refuses pattern 2 above 49 brokers and says why', () => {
    const r = estimateCost(build({ brokers: 50, consumers: [{ azs: [1, 2, 3] }] }));
    const p2 = option(r, 'pattern2');
    assert.equal(p2.viable, false);
    assert.match(p2.reason ?? '', /50 listeners per NLB/);
    assert.equal(qty(option(r, 'pattern1'), 'nlb-hours'), 50);
  });

  it('an unpriced region is an error naming the region and the regions covered', () => {
    const input = build({
      brokers: 1,
      consumers: [{ azs: [1, 2, 3] }],
      region: 'sa-east-1',
      azPrefix: 'sae1',
    });
    assert.throws(
      () => estimateCost(input),
      (e: unknown) =>
        e instanceof MplError &&
        e.code === 'COST_REGION_UNPRICED' &&
        e.message.includes('sa-east-1') &&
        ['us-east-1', 'us-east-2', 'eu-west-1', 'ap-southeast-2'].every((r) => e.message.includes(r)),
    );
  });

  it('covers us-east-1, us-east-2, us-west-2, eu-west-1, eu-central-1 and ap-southeast-2, each figure with an AWS source', () => {
    for (const r of ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'])
      assert.ok(PRICED_REGIONS.includes(r));
    for (const r of PRICED_REGIONS) {
      const p = pricesFor(r);
      for (const price of [p.nlbHour, p.nlcuHour, p.endpointAzHour, p.crossAzGbEachDirection]) {
        assert.ok(price.usd > 0);
        assert.match(price.source, /^https:\/\/aws\.amazon\.com\//);
      }
      assert.match(p.privateLinkData.source, /^https:\/\/aws\.amazon\.com\//);
      assert.match(p.hostedZoneMonth.source, /^https:\/\/aws\.amazon\.com\//);
    }
  });

  it('prices eu-west-1 and ap-southeast-2 with their own figures', () => {
    const eu = option(
      estimateCost(
        build({ brokers: 1, consumers: [{ azs: [1, 2, 3] }], region: 'eu-west-1', azPrefix: 'euw1' }),
        { hoursPerMonth: HOURS },
      ),
      'pattern1',
    );
    assert.equal(lineOf(eu, 'nlb-hours')?.monthlyUsd, cents(0.0252 * HOURS));
    assert.equal(lineOf(eu, 'endpoint-az-hours')?.monthlyUsd, cents(3 * 0.011 * HOURS));
    const syd = option(
      estimateCost(
        build({ brokers: 1, consumers: [{ azs: [1, 2, 3] }], region: 'ap-southeast-2', azPrefix: 'apse2' }),
        { hoursPerMonth: HOURS },
      ),
      'pattern1',
    );
    assert.equal(lineOf(syd, 'endpoint-az-hours')?.monthlyUsd, cents(3 * 0.013 * HOURS));
  });

  it('tiers PrivateLink data: first 1 PB at $0.01, next 4 PB at $0.006, above at $0.004', () => {
    const input = build({ brokers: 1, consumers: [{ azs: [1, 2, 3] }] });
    const small = option(estimateCost(input, { gbPerMonth: 1000 }), 'pattern1');
    assert.deepEqual(
      small.lines
        .filter((l) => l.item.startsWith('privatelink-data'))
        .map((l) => [l.item, l.quantity, l.monthlyUsd]),
      [['privatelink-data', 1000, 10]],
    );
    const gb = 7 * GB_PER_PB;
    const big = option(estimateCost(input, { gbPerMonth: gb }), 'pattern1');
    assert.deepEqual(
      big.lines
        .filter((l) => l.item.startsWith('privatelink-data'))
        .map((l) => [l.item, l.quantity, l.monthlyUsd]),
      [
        ['privatelink-data', GB_PER_PB, cents(GB_PER_PB * 0.01)],
        ['privatelink-data-next-4pb', 4 * GB_PER_PB, cents(4 * GB_PER_PB * 0.006)],
        ['privatelink-data-over-5pb', 2 * GB_PER_PB, cents(2 * GB_PER_PB * 0.004)],
      ],
    );
    // Exactly at the first boundary nothing spills into the second tier.
    const edge = option(estimateCost(input, { gbPerMonth: GB_PER_PB }), 'pattern1');
    assert.equal(lineOf(edge, 'privatelink-data-next-4pb'), undefined);
  });

  it('tiers hosted zones per account: the first 25 at $0.50, the rest at $0.10', () => {
    const consumers = Array.from({ length: 27 }, () => ({ azs: [1], account: '222222222222' }));
    const p1 = option(estimateCost(build({ brokers: 1, brokerAzs: [1], consumers })), 'pattern1');
    assert.equal(qty(p1, 'hosted-zones'), 25);
    assert.equal(lineOf(p1, 'hosted-zones')?.monthlyUsd, cents(25 * ZONE_MONTH));
    assert.equal(qty(p1, 'hosted-zones-after-25'), 2);
    assert.equal(lineOf(p1, 'hosted-zones-after-25')?.monthlyUsd, cents(2 * ZONE_MONTH_AFTER_25));
    // The same 27 consumers in 27 accounts: every zone is within its account's first 25.
    const spread = Array.from({ length: 27 }, () => ({ azs: [1] }));
    const p1s = option(estimateCost(build({ brokers: 1, brokerAzs: [1], consumers: spread })), 'pattern1');
    assert.equal(qty(p1s, 'hosted-zones'), 27);
    assert.equal(lineOf(p1s, 'hosted-zones-after-25'), undefined);
  });

  it('NLCU-hours equal GB a month (processed-bytes dimension, 1 NLCU = 1 GB an hour)', () => {
    const o = option(
      estimateCost(build({ brokers: 3, consumers: [{ azs: [1, 2, 3] }] }), { gbPerMonth: 1234 }),
      'pattern2',
    );
    assert.equal(qty(o, 'nlcu-hours'), 1234);
    assert.equal(lineOf(o, 'nlcu-hours')?.monthlyUsd, cents(1234 * NLCU_HOUR));
  });

  describe('cross-AZ data', () => {
    const crossGb = (f: Fixture, id: string, gb: number) =>
      qty(option(estimateCost(build(f), { gbPerMonth: gb }), id), 'cross-az-data');

    it('all-azs: the NLB node reaches a broker in another AZ for (n-1)/n of the traffic', () => {
      const f: Fixture = { brokers: 1, brokerAzs: [1], consumers: [{ azs: [1, 2, 3] }] };
      assert.equal(crossGb(f, 'pattern1', 900), 600);
      const o = option(estimateCost(build(f), { gbPerMonth: 900 }), 'pattern1');
      assert.equal(lineOf(o, 'cross-az-data')?.unitUsd, 2 * CROSS_AZ_EACH_WAY);
      assert.equal(lineOf(o, 'cross-az-data')?.monthlyUsd, cents(600 * 2 * CROSS_AZ_EACH_WAY));
    });

    it("broker-az: clients outside the broker's AZ cross to the single endpoint ENI", () => {
      assert.equal(
        crossGb({ brokers: 1, brokerAzs: [1], consumers: [{ azs: [1, 2, 3] }] }, 'pattern1-broker-az', 900),
        600,
      );
      assert.equal(
        crossGb({ brokers: 1, brokerAzs: [1], consumers: [{ azs: [1, 2] }] }, 'pattern1-broker-az', 900),
        450,
      );
    });

    it('nothing crosses when clients, endpoint and broker share one AZ; everything once when they do not', () => {
      assert.equal(crossGb({ brokers: 1, brokerAzs: [1], consumers: [{ azs: [1] }] }, 'pattern1', 900), 0);
      assert.equal(crossGb({ brokers: 1, brokerAzs: [1], consumers: [{ azs: [2] }] }, 'pattern1', 900), 900);
      assert.equal(crossGb({ brokers: 1, brokerAzs: [1], consumers: [{ azs: [2] }] }, 'pattern2', 900), 900);
    });

    it('averages over brokers and consumers', () => {
      // Brokers in az1 and az2; consumer A only in az1 (crosses for broker 2 only), B in az1-3 (2/3 each).
      const f: Fixture = { brokers: 2, brokerAzs: [1, 2], consumers: [{ azs: [1] }, { azs: [1, 2, 3] }] };
      const expected = 1200 * ((0 + 1) / 2 / 2 + (2 / 3 + 2 / 3) / 2 / 2);
      assert.ok(Math.abs(crossGb(f, 'pattern1', 1200) - expected) < 0.001);
    });
  });

  it('rejects a negative or non-finite volume', () => {
    const input = build({ brokers: 1, consumers: [{ azs: [1, 2, 3] }] });
    for (const gb of [-1, Number.NaN, Infinity]) {
      assert.throws(
        () => estimateCost(input, { gbPerMonth: gb }),
        (e: unknown) => e instanceof MplError && e.code === 'INVALID_GB_PER_MONTH',
      );
    }
  });

  it('grows monotonically with GB a month and with brokers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 0, max: 6 * GB_PER_PB, noNaN: true }),
        fc.double({ min: 0, max: 6 * GB_PER_PB, noNaN: true }),
        fc.subarray([1, 2, 3], { minLength: 1 }),
        (B, g1, g2, azs) => {
          const [lo, hi] = g1 <= g2 ? [g1, g2] : [g2, g1];
          const input = build({ brokers: B, consumers: [{ azs }] });
          const a = estimateCost(input, { gbPerMonth: lo });
          const b = estimateCost(input, { gbPerMonth: hi });
          for (const o of a.options) {
            if (o.viable)
              assert.ok(option(b, o.id).monthlyUsd >= o.monthlyUsd, `${o.id}: ${lo} GB -> ${hi} GB`);
          }
          // Fixed charges only: with data, a broker added in the clients' AZ may lower the cross-AZ share.
          const fewer = estimateCost(input);
          const more = estimateCost(build({ brokers: B + 1, consumers: [{ azs }] }));
          for (const o of fewer.options) {
            const m = option(more, o.id);
            if (o.viable && m.viable)
              assert.ok(m.monthlyUsd >= o.monthlyUsd, `${o.id}: ${B} -> ${B + 1} brokers`);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

// ---------------------------------------------------------------- hours a month

// Prices again in ten-thousandths of a dollar (us-east-2, restated from AWS's pages), so the expected
// cents below are integer arithmetic, free of floating point: $0.0225 = 225, $0.01 = 100, $0.50 = 5000.
// Hosted zones: $0.50 a month for an account's first 25, $0.10 after (Route 53 pricing).
const P4 = { nlbHour: 225, endpointAzHour: 100, zoneMonth: 5000, zoneMonthAfter25: 1000 };
/** Cents, half up, of quantity x price (ten-thousandths) x hours, all whole numbers. */
const centsOf = (quantity: number, price4: number, hours = 1) =>
  Math.floor((quantity * price4 * hours + 50) / 100);
const usdOf = (quantity: number, price4: number, hours = 1) => centsOf(quantity, price4, hours) / 100;

describe('cost: hours a month', () => {
  it("defaults to 730 hours (AWS's convention): one broker, one consumer in three AZs", () => {
    const r = estimateCost(build({ brokers: 1, brokerAzs: [1], consumers: [{ azs: [1, 2, 3] }] }));
    assert.equal(r.hoursPerMonth, 730);
    const p1 = option(r, 'pattern1');
    // 1 x $0.0225 x 730 = $16.425 -> $16.43; 3 x $0.01 x 730 = $21.90; one zone $0.50.
    assert.equal(lineOf(p1, 'nlb-hours')?.monthlyUsd, 16.43);
    assert.equal(lineOf(p1, 'endpoint-az-hours')?.monthlyUsd, 21.9);
    assert.equal(lineOf(p1, 'hosted-zones')?.monthlyUsd, 0.5);
    assert.equal(p1.monthlyUsd, 38.83);
    // broker-az: one ENI, in the broker's AZ: 1 x $0.01 x 730 = $7.30.
    const bz = option(r, 'pattern1-broker-az');
    assert.equal(lineOf(bz, 'endpoint-az-hours')?.monthlyUsd, 7.3);
    assert.equal(bz.monthlyUsd, 24.23);
    // Pattern 2 (rewrite mode): the same NLB and ENIs, plus the provider VPC's zone: $16.43 + $21.90 + $1.00.
    assert.equal(option(r, 'pattern2').monthlyUsd, 39.33);
    assert.match(r.notes[0] ?? '', /^730 hours a month \(AWS's convention.*--hours-per-month 720/);
  });

  it('rounds a half cent up: 5 NLBs x $0.0225 x 730 h = $82.125 is $82.13', () => {
    const p1 = option(estimateCost(build({ brokers: 5, consumers: [{ azs: [1, 2, 3] }] })), 'pattern1');
    assert.equal(lineOf(p1, 'nlb-hours')?.monthlyUsd, 82.13);
    // 15 ENIs x $0.01 x 730 = $109.50; one zone.
    assert.equal(lineOf(p1, 'endpoint-az-hours')?.monthlyUsd, 109.5);
    assert.equal(p1.monthlyUsd, 192.13);
  });

  it('prices eu-west-1 and ap-southeast-2 at 730 hours with their own figures', () => {
    const at = (region: string, azPrefix: string) =>
      option(
        estimateCost(build({ brokers: 1, consumers: [{ azs: [1, 2, 3] }], region, azPrefix })),
        'pattern1',
      );
    const eu = at('eu-west-1', 'euw1');
    // $0.0252 x 730 = $18.396 -> $18.40; 3 x $0.011 x 730 = $24.09.
    assert.equal(lineOf(eu, 'nlb-hours')?.monthlyUsd, 18.4);
    assert.equal(lineOf(eu, 'endpoint-az-hours')?.monthlyUsd, 24.09);
    // 3 x $0.013 x 730 = $28.47.
    assert.equal(lineOf(at('ap-southeast-2', 'apse2'), 'endpoint-az-hours')?.monthlyUsd, 28.47);
  });

  it('prices every option at any whole number of hours as quantity x price x hours, in cents half up', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.subarray([1, 2, 3], { minLength: 1 }), { minLength: 1, maxLength: 4 }),
        fc.option(fc.integer({ min: 1, max: 744 }), { nil: undefined }),
        (B, azs, given) => {
          const H = given ?? 730;
          const r = estimateCost(
            build({ brokers: B, consumers: azs.map((a) => ({ azs: a })) }),
            given === undefined ? {} : { hoursPerMonth: given },
          );
          assert.equal(r.hoursPerMonth, H);
          const C = azs.length;
          const k = sum(azs.map((a) => a.length));
          // zones: per account, tiered (the provider's are one account, the consumers' one each).
          const expect = (nlbs: number, enis: number, zones: number, providerZones = 0) =>
            (centsOf(nlbs, P4.nlbHour, H) +
              centsOf(enis, P4.endpointAzHour, H) +
              centsOf(zones + Math.min(providerZones, 25), P4.zoneMonth) +
              centsOf(Math.max(0, providerZones - 25), P4.zoneMonthAfter25)) /
            100;
          const p1 = option(r, 'pattern1');
          assert.equal(lineOf(p1, 'nlb-hours')?.monthlyUsd, usdOf(B, P4.nlbHour, H));
          assert.equal(lineOf(p1, 'endpoint-az-hours')?.monthlyUsd, usdOf(B * k, P4.endpointAzHour, H));
          assert.equal(p1.monthlyUsd, expect(B, B * k, C));
          const p2 = option(r, 'pattern2');
          // msk-configuration (the default): a provider-VPC zone per broker name besides the consumers'.
          assert.equal(p2.monthlyUsd, expect(1, k, C, B));
          const bz = option(r, 'pattern1-broker-az');
          if (bz.viable) assert.equal(bz.monthlyUsd, expect(B, B * C, C));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('720 hours gives the write-up, 744 (a 31-day month) more, and data lines do not depend on hours', () => {
    const input = build({ brokers: 1, consumers: [{ azs: [1, 2, 3] }] });
    const fixed = (h: number) => {
      const p1 = option(estimateCost(input, { hoursPerMonth: h }), 'pattern1');
      return cents(
        (lineOf(p1, 'nlb-hours')?.monthlyUsd ?? 0) + (lineOf(p1, 'endpoint-az-hours')?.monthlyUsd ?? 0),
      );
    };
    assert.equal(fixed(720), 37.8);
    assert.equal(fixed(730), 38.33);
    // $0.0225 x 744 = $16.74; 3 x $0.01 x 744 = $22.32.
    assert.equal(fixed(744), 39.06);
    // A fraction of an hour is allowed: half an hour of one NLB and three ENIs.
    assert.equal(fixed(0.5), cents(0.01 + 0.02));
    const dataLines = (h: number) =>
      option(estimateCost(input, { gbPerMonth: 1000, hoursPerMonth: h }), 'pattern1').lines.filter(
        (l) => l.unit !== 'hour',
      );
    assert.deepEqual(dataLines(720), dataLines(730));
  });

  it('rejects hours that are not a month: 0 or less, above 744, not a number', () => {
    const input = build({ brokers: 1, consumers: [{ azs: [1, 2, 3] }] });
    for (const h of [0, -1, 744.5, 745, 8760, Number.NaN, Infinity]) {
      assert.throws(
        () => estimateCost(input, { hoursPerMonth: h }),
        (e: unknown) =>
          e instanceof MplError &&
          e.code === 'INVALID_INPUT' &&
          /hoursPerMonth \(--hours-per-month\) must be a number of hours, more than 0 and at most 744/.test(
            e.message,
          ),
        String(h),
      );
    }
  });
});
