// Consumers in another region (cross-region PrivateLink): the endpoint service lists their regions,
// their endpoints name the service's region and use their own AZs, everything of theirs is made in
// their region; what cannot cross regions is refused. Expected values are written out by hand.
import assert from 'node:assert/strict';
import { PlanRefused } from '../../src/errors.js';
import { scanPlaces } from '../../src/executor/scan.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';

const west = {
  ...consumerInput('west', '333333333333', ['usw2-az1', 'usw2-az2']),
  region: 'us-west-2',
};

describe('planner: consumers in another region', () => {
  it('pattern 1: the services list us-west-2; the endpoint names us-east-2 and sits in the consumer’s own AZs', () => {
    const config = configOf({ pattern: 1, consumers: [consumerInput('analytics', '222222222222'), west] });
    const rs = planStack(planInputOf(config, inventoryOf(brokersFor([1, 2, 3])))).resources;
    const svc = rs.find((r) => r.id === 'b-1/endpoint-service');
    if (svc?.kind !== 'endpoint-service') return assert.fail('kind');
    assert.deepEqual(svc.props.supportedRegions, ['us-west-2']);
    assert.equal(svc.region, 'us-east-2');
    const ep = rs.find((r) => r.id === 'west/vpc-endpoint/b-1');
    if (ep?.kind !== 'vpc-endpoint') return assert.fail('kind');
    assert.equal(ep.region, 'us-west-2');
    assert.equal(ep.props.serviceRegion, 'us-east-2');
    assert.deepEqual(ep.props.azIds, ['usw2-az1', 'usw2-az2']);
    const same = rs.find((r) => r.id === 'analytics/vpc-endpoint/b-1');
    if (same?.kind !== 'vpc-endpoint') return assert.fail('kind');
    assert.equal(same.props.serviceRegion, undefined, 'a same-region endpoint names no region');
    const acc = rs.find((r) => r.id === 'west/endpoint-connection-acceptance/b-1');
    assert.deepEqual(
      [acc?.region, (acc?.props as { endpointRegion?: string }).endpointRegion],
      ['us-east-2', 'us-west-2'],
    );
    for (const id of ['west/security-group', 'west/hosted-zone', 'west/dns-record/b-2'])
      assert.equal(rs.find((r) => r.id === id)?.region, 'us-west-2', id);
    const zone = rs.find((r) => r.id === 'west/hosted-zone');
    if (zone?.kind !== 'hosted-zone') return assert.fail('kind');
    assert.equal(zone.props.vpcRegion, 'us-west-2');
    assert.deepEqual(scanPlaces(config), [
      { account: '111111111111', region: 'us-east-2' },
      { account: '222222222222', region: 'us-east-2' },
      { account: '333333333333', region: 'us-west-2' },
    ]);
  });

  it('a same-region stack lists no supported regions (unchanged)', () => {
    const rs = planStack(planInputOf(configOf({ pattern: 2 }), inventoryOf(brokersFor([1, 2, 3])))).resources;
    const svc = rs.find((r) => r.id === 'shared/endpoint-service');
    assert.ok(svc && !('supportedRegions' in svc.props));
  });

  it('refuses pattern 3, and broker-az endpoints, for a consumer in another region', () => {
    for (const [over, text] of [
      [
        { pattern: 3 as const, consumers: [west] },
        /PrivateLink VPC resources are not documented as reachable from another region/,
      ],
      [
        { pattern: 1 as const, consumers: [{ ...west, endpointLayout: 'broker-az' as const }] },
        /broker-az places an endpoint/,
      ],
    ] satisfies Array<[Parameters<typeof configOf>[0], RegExp]>)
      assert.throws(
        () => planStack(planInputOf(configOf(over), inventoryOf(brokersFor([1, 2, 3])))),
        (e: unknown) =>
          e instanceof PlanRefused &&
          e.code === 'CROSS_REGION_UNSUPPORTED' &&
          e.where === 'test.yaml: consumers[0].region' &&
          text.test(e.message),
      );
  });
});

describe('cost: consumers in another region', () => {
  it('adds inter-region data for their share of the traffic, $0.02/GB, and shows pattern 3 and 0 refused', async () => {
    const { estimateCost } = await import('../../src/cost/estimate.js');
    const config = configOf({ pattern: 2, consumers: [consumerInput('analytics', '222222222222'), west] });
    const r = estimateCost(planInputOf(config, inventoryOf(brokersFor([1, 2, 3]))), { gbPerMonth: 1000 });
    for (const id of ['pattern1', 'pattern2']) {
      const o = r.options.find((x) => x.id === id);
      const l = o?.lines.find((x) => x.item === 'inter-region-data');
      // Half the consumers are in us-west-2: 500 GB x $0.02 = $10.00.
      assert.deepEqual([l?.quantity, l?.unitUsd, l?.monthlyUsd], [500, 0.02, 10], id);
    }
    assert.match(r.options.find((x) => x.id === 'pattern3')?.reason ?? '', /another region/);
    assert.match(r.options.find((x) => x.id === 'pattern0')?.reason ?? '', /consumer west is in us-west-2/);
    const none = estimateCost(planInputOf(configOf({ pattern: 2 }), inventoryOf(brokersFor([1, 2, 3]))), {
      gbPerMonth: 1000,
    });
    assert.ok(!none.options.some((o) => o.lines.some((l) => l.item === 'inter-region-data')));
  });
});
