// Every option in every priced region, each figure against a calculation made here from the
// fixture's shape (brokers, consumers' AZs) and the region's unit prices in the table: the planner and
// the cost model are not asked for quantities.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { estimateCost } from '../../src/cost/estimate.js';
import { PRICED_REGIONS, interRegionOutGb, pricesFor } from '../../src/cost/prices.js';
import { build, lineOf, option } from '../support/cost-fixture.js';

const AZ_PREFIX: Record<string, string> = {
  'us-east-1': 'use1',
  'us-east-2': 'use2',
  'us-west-2': 'usw2',
  'eu-west-1': 'euw1',
  'eu-central-1': 'euc1',
  'ap-southeast-2': 'apse2',
};
/** Cents, half up, as on an invoice. */
const cents = (x: number) => Math.round(x * 100 + 1e-6) / 100;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * AZ crossings per GB for one consumer and one broker: clients spread evenly over the consumer's AZs;
 * a client uses the endpoint ENI in its AZ, else any of the endpoint's ENIs (one crossing, plus a
 * second when that ENI's AZ is not the broker's); from an ENI to the broker, one crossing unless same AZ.
 */
function crossings(clientAzs: number[], eniAzs: number[], brokerAz: number): number {
  const perClient = clientAzs.map((a) =>
    eniAzs.includes(a)
      ? Number(a !== brokerAz)
      : 1 + eniAzs.filter((e) => e !== brokerAz).length / eniAzs.length,
  );
  return sum(perClient) / clientAzs.length;
}

describe('cost: every option in every priced region', () => {
  it('covers at least five regions, each with its own AZ ID prefix here', () => {
    assert.ok(PRICED_REGIONS.length >= 5, PRICED_REGIONS.join(', '));
    for (const r of PRICED_REGIONS) assert.ok(AZ_PREFIX[r], `an AZ ID prefix for ${r}`);
  });

  it('prices pattern 1 (all-azs, broker-az), 2 and 3 as the unit prices times what the fixture builds', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PRICED_REGIONS),
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.subarray([1, 2, 3], { minLength: 1 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 1, max: 744 }),
        (region, B, consumerAzs, gb, H) => {
          const P = pricesFor(region);
          const brokerAz = (i: number) => ((i - 1) % 3) + 1;
          const brokers = Array.from({ length: B }, (_, k) => brokerAz(k + 1));
          const input = build({
            brokers: B,
            consumers: consumerAzs.map((azs) => ({ azs })),
            region,
            azPrefix: AZ_PREFIX[region],
          });
          const r = estimateCost(input, { gbPerMonth: gb, hoursPerMonth: H });
          const C = consumerAzs.length;
          const eniAzsTotal = sum(consumerAzs.map((a) => a.length));
          const hour = (q: number, usd: number) => cents(q * usd * H);
          const dataUsd = cents(gb * P.privateLinkData.tiers[0]!.usdPerGb);
          const crossAz = (eniAzs: (azs: number[], b: number) => number[]) =>
            (gb *
              sum(consumerAzs.map((azs) => sum(brokers.map((b) => crossings(azs, eniAzs(azs, b), b))) / B))) /
            C;

          // Pattern 1, all-azs: an NLB per broker, an ENI per broker per consumer AZ, a zone per consumer.
          const p1 = option(r, 'pattern1');
          const p1Cross = crossAz((azs) => azs);
          const p1Lines: Array<[string, number]> = [
            ['nlb-hours', hour(B, P.nlbHour.usd)],
            ['endpoint-az-hours', hour(B * eniAzsTotal, P.endpointAzHour.usd)],
            ['hosted-zones', cents(C * P.hostedZoneMonth.first25)],
            ['privatelink-data', dataUsd],
            ['nlcu-hours', cents(gb * P.nlcuHour.usd)],
            ['cross-az-data', cents(p1Cross * 2 * P.crossAzGbEachDirection.usd)],
          ];
          for (const [item, usd] of p1Lines)
            assert.equal(lineOf(p1, item)?.monthlyUsd, usd, `${region} p1 ${item}`);
          assert.equal(p1.monthlyUsd, cents(sum(p1Lines.map((l) => l[1]))), `${region} p1 total`);

          // broker-az: one ENI per broker per consumer, viable when every consumer has every broker AZ.
          const bz = option(r, 'pattern1-broker-az');
          const bzViable = consumerAzs.every((azs) => brokers.every((b) => azs.includes(b)));
          assert.equal(bz.viable, bzViable);
          if (bzViable) {
            const bzLines: Array<[string, number]> = [
              ['nlb-hours', hour(B, P.nlbHour.usd)],
              ['endpoint-az-hours', hour(B * C, P.endpointAzHour.usd)],
              ['hosted-zones', cents(C * P.hostedZoneMonth.first25)],
              ['privatelink-data', dataUsd],
              ['nlcu-hours', cents(gb * P.nlcuHour.usd)],
              ['cross-az-data', cents(crossAz((_azs, b) => [b]) * 2 * P.crossAzGbEachDirection.usd)],
            ];
            for (const [item, usd] of bzLines)
              assert.equal(lineOf(bz, item)?.monthlyUsd, usd, `${region} broker-az ${item}`);
            assert.equal(bz.monthlyUsd, cents(sum(bzLines.map((l) => l[1]))));
          }

          // Pattern 2 (rewrite mode): one NLB, an ENI per consumer AZ, a zone per consumer plus one per
          // broker name in the provider's account (B <= 24: all in the first-25 tier).
          const p2 = option(r, 'pattern2');
          const p2Lines: Array<[string, number]> = [
            ['nlb-hours', hour(1, P.nlbHour.usd)],
            ['endpoint-az-hours', hour(eniAzsTotal, P.endpointAzHour.usd)],
            ['hosted-zones', cents((C + B) * P.hostedZoneMonth.first25)],
            ['privatelink-data', dataUsd],
            ['nlcu-hours', cents(gb * P.nlcuHour.usd)],
            ['cross-az-data', cents(p1Cross * 2 * P.crossAzGbEachDirection.usd)],
          ];
          for (const [item, usd] of p2Lines)
            assert.equal(lineOf(p2, item)?.monthlyUsd, usd, `${region} p2 ${item}`);
          assert.equal(p2.monthlyUsd, cents(sum(p2Lines.map((l) => l[1]))), `${region} p2 total`);

          // Pattern 3: no NLB, a resource endpoint ENI per consumer AZ at the interface endpoint rate.
          const p3 = option(r, 'pattern3');
          assert.equal(p3.viable, true, p3.reason);
          assert.equal(lineOf(p3, 'nlb-hours')?.monthlyUsd, 0);
          assert.equal(lineOf(p3, 'nlcu-hours')?.monthlyUsd, 0);
          assert.equal(
            lineOf(p3, 'resource-endpoint-az-hours')?.monthlyUsd,
            hour(eniAzsTotal, P.endpointAzHour.usd),
          );
          assert.equal(lineOf(p3, 'privatelink-data')?.monthlyUsd, dataUsd);
          assert.equal(
            lineOf(p3, 'cross-az-data')?.monthlyUsd,
            cents(p1Cross * 2 * P.crossAzGbEachDirection.usd),
          );

          // Pattern 0 is in every report; priced nowhere (no published rate), with that reason.
          const p0 = option(r, 'pattern0');
          assert.equal(p0.monthlyUsd, 0);
          assert.ok(p0.reasonCode === 'NOT_PRICED' || p0.viable === false, p0.reason);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('adds inter-region data at the cluster region rate for consumers elsewhere, in every priced region', () => {
    for (const region of PRICED_REGIONS) {
      const other =
        region === 'us-west-2' ? (['us-east-1', 'use1'] as const) : (['us-west-2', 'usw2'] as const);
      const input = build({
        brokers: 3,
        consumers: [{ azs: [1, 2, 3] }, { azs: [1, 2], region: other }, { azs: [1, 2, 3] }],
        region,
        azPrefix: AZ_PREFIX[region],
      });
      const r = estimateCost(input, { gbPerMonth: 900 });
      const rate = interRegionOutGb(region).usd;
      for (const id of ['pattern1', 'pattern2']) {
        const l = lineOf(option(r, id), 'inter-region-data');
        // One consumer of three is away: 300 GB at the sending region's rate.
        assert.deepEqual(
          [l?.quantity, l?.unitUsd, l?.monthlyUsd],
          [300, rate, cents(300 * rate)],
          `${region} ${id}`,
        );
      }
      assert.equal(option(r, 'pattern3').viable, false);
      assert.equal(option(r, 'pattern1-broker-az').viable, false);
    }
    assert.equal(interRegionOutGb('ap-southeast-2').usd, 0.098);
    assert.equal(interRegionOutGb('us-east-2').usd, 0.02);
  });
});
