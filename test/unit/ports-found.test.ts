// Pattern 2's port table rebuilt from found listeners equals the planner's, whatever else was found.
import assert from 'node:assert/strict';
import { planStack } from '../../src/planner/plan-stack.js';
import { portAssignmentsFrom } from '../../src/planner/ports-found.js';
import type { Instance } from '../../src/state/instance.js';
import { brokersFor, configOf, inventoryOf, planInputOf } from '../support/fixtures.js';

/** The planner's resources as instances, the way a scan finds them. */
function asFound(resources: ReturnType<typeof planStack>['resources']): Instance[] {
  return resources.map((r) => ({
    id: r.id,
    kind: r.kind,
    account: r.account,
    region: r.region,
    physicalId: `phys-${r.id}`,
    props: r.props as Record<string, unknown>,
    dependsOn: r.dependsOn,
    outputs: {},
    status: 'ready',
  }));
}

describe('portAssignmentsFrom', () => {
  it("rebuilds pattern 2's table from the shared NLB's per-broker listeners, prior ports kept", () => {
    const config = configOf({
      pattern: 2,
      cluster: { brokersFile: 'b.json', listeners: ['tls', 'iam'] },
      pattern2: { mode: 'rewrite' },
    });
    // Ports from an earlier state that are not the lowest free ones: the table must keep them.
    const prior = {
      '1/tls': 9301,
      '1/iam': 9302,
      '2/tls': 9001,
      '2/iam': 9007,
      '3/tls': 9003,
      '3/iam': 9004,
    };
    const planned = planStack(planInputOf(config, inventoryOf(brokersFor([3, 1, 2])), prior));
    assert.deepEqual(planned.portAssignments, prior);
    assert.deepEqual(portAssignmentsFrom(asFound(planned.resources)), prior);
  });

  it('is empty for pattern 1 (one NLB per broker) and ignores bootstrap listeners', () => {
    const p1 = planStack(planInputOf(configOf({ pattern: 1 }), inventoryOf(brokersFor([1, 2, 3]))));
    assert.deepEqual(portAssignmentsFrom(asFound(p1.resources)), {});
    const p2 = planStack(planInputOf(configOf({ pattern: 2 }), inventoryOf(brokersFor([1, 2, 3]))));
    const onlyBootstrap = asFound(p2.resources).filter(
      (i) => !(i.kind === 'listener' && i.id.startsWith('b-')),
    );
    assert.deepEqual(portAssignmentsFrom(onlyBootstrap), {});
  });

  it('msk-configuration: the table is base + broker id, and a scan finds the same', () => {
    const config = configOf({ pattern: 2, cluster: { brokersFile: 'b.json', listeners: ['tls', 'iam'] } });
    const planned = planStack(planInputOf(config, inventoryOf(brokersFor([3, 1, 2]))));
    const want = {
      '1/tls': 9001,
      '1/iam': 10001,
      '2/tls': 9002,
      '2/iam': 10002,
      '3/tls': 9003,
      '3/iam': 10003,
    };
    assert.deepEqual(planned.portAssignments, want);
    assert.deepEqual(portAssignmentsFrom(asFound(planned.resources)), want);
  });
});
