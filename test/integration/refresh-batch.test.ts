// A no-change plan reads the stack with batched describe calls (src/aws/read-batch.ts), against the
// AWS twin: each call counted by the twin, read one resource at a time before (one DescribeTags,
// one DescribeTargetGroups, one ListResourceRecordSets... per resource).
import assert from 'node:assert/strict';
import { DeleteListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { applyPlan, planLive } from '../../src/ops/plan.js';
import { withStack } from '../../src/ops/stack.js';
import { writeStackConfig } from '../support/e2e.js';
import type { CounterRow } from '../testbed/aws/twin.js';
import { startTwinBed, type TwinBed } from '../testbed/twin-bed.js';

const BROKERS = 12;
const CONSUMERS = 2;

describe('refresh: batched describe calls (AWS twin, pattern 1, 12 brokers x 2 consumers)', function () {
  this.timeout(240_000);
  let bed: TwinBed;
  let file: string;
  const saved = { ...process.env };

  before(async () => {
    bed = await startTwinBed({ brokers: BROKERS, consumers: CONSUMERS });
    ({ file } = await writeStackConfig(bed, { name: 'rbatch', pattern: 1 }));
    Object.assign(process.env, bed.env());
    await withStack(file, { lock: 'test' }, async (stack) => {
      const { plan } = await planLive(stack);
      const out = await applyPlan(stack, plan, () => Promise.resolve(true));
      assert.equal(out.outcome, 'applied');
      if (out.outcome === 'applied') assert.deepEqual(out.result.failed, []);
    });
  });

  after(async () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await bed?.stop();
  });

  /** A plan, with the twin's read calls it made by action, and its changes. */
  async function plan(): Promise<{
    calls: Map<string, number>;
    changes: Array<{ id: string; action: string }>;
    kinds: Map<string, number>;
  }> {
    await bed.aws.control.resetCounters();
    const { changes, kinds } = await withStack(file, {}, async (stack) => {
      const { plan: p } = await planLive(stack);
      const k = new Map<string, number>();
      for (const r of p.desired) k.set(r.kind, (k.get(r.kind) ?? 0) + 1);
      return { changes: p.changes.filter((c) => c.action !== 'noop'), kinds: k };
    });
    const calls = new Map<string, number>();
    for (const r of (await bed.aws.control.counters()) as CounterRow[])
      if (!r.mutating)
        calls.set(`${r.service}:${r.action}`, (calls.get(`${r.service}:${r.action}`) ?? 0) + r.calls);
    return { calls, changes: changes.map((c) => ({ id: c.id, action: c.action })), kinds };
  }

  it('asks AWS about many resources per call: per page or per 20 ARNs, not per resource', async () => {
    const { calls, changes, kinds } = await plan();
    assert.deepEqual(changes, []);
    const n = (k: string) => kinds.get(k) ?? 0;
    const c = (k: string) => calls.get(k) ?? 0;
    console.log(
      `      refresh-batch: ${[...calls].map(([k, v]) => `${k}=${v}`).join(' ')} resources=${[...kinds.values()].reduce((a, b) => a + b, 0)}`,
    );
    assert.equal(n('load-balancer'), BROKERS);
    // A plan first scans each account for what the stack made (a lost state): one listing per
    // account and call, whose answers the refresh then takes. Then the refresh asks by 20 ARNs or
    // 100 ids per call; one more call where reads of several kinds interleave.
    const accounts = 1 + CONSUMERS;
    const elb = n('load-balancer') + n('target-group') + n('listener');
    const within = (k: string, most: number) =>
      assert.ok(c(k) <= most, `${k}: ${c(k)} calls, at most ${most} expected`);
    within('elbv2:DescribeTags', accounts + Math.ceil(elb / 20));
    within('elbv2:DescribeLoadBalancers', accounts + 1);
    within('elbv2:DescribeTargetGroups', accounts + 1);
    // Interface and resource endpoints: each kind's scan lists the account's own.
    within('ec2:DescribeVpcEndpoints', 2 * accounts);
    within('ec2:DescribeVpcEndpointServiceConfigurations', accounts + 1);
    within('ec2:DescribeVpcEndpointConnections', accounts);
    // Records: one listing per zone (the scan's), not one call per record.
    within('route53:ListResourceRecordSets', n('hosted-zone'));
    within('route53:GetHostedZone', n('hosted-zone'));
    // The NLBs' and endpoints' subnets: once per account, plus the inventory's own look-up.
    within('ec2:DescribeSubnets', 2 * accounts);
    // What AWS answers one resource at a time is asked once per plan, though the scan and the
    // refresh both observe it: listeners are listed per NLB (DescribeListeners takes one NLB).
    within('elbv2:DescribeListeners', n('load-balancer') + 1);
    within('elbv2:DescribeTargetHealth', n('target-group'));
    within('elbv2:DescribeLoadBalancerAttributes', n('load-balancer'));
    within('elbv2:DescribeListenerAttributes', n('listener'));
    within('ec2:DescribeVpcEndpointServicePermissions', n('endpoint-service'));
  });

  it('a resource deleted out of band fails its batch; its batch mates are read alone, and only it is made again', async () => {
    const listener = await withStack(file, {}, async (stack) =>
      stack.store.instances().find((i) => i.kind === 'listener' && i.id.includes('b-2/')),
    );
    assert.ok(listener, 'the state has broker 2 listener');
    await bed
      .clients(bed.accounts.provider)
      .elbv2.send(new DeleteListenerCommand({ ListenerArn: listener.physicalId }));
    const { changes, calls } = await plan();
    assert.deepEqual(changes, [{ id: listener.id, action: 'create' }]);
    // ELBv2 refuses the whole DescribeListeners when one ARN is unknown: its batch went one by one.
    assert.ok((calls.get('elbv2:DescribeListeners') ?? 0) > 1);
  });
});
