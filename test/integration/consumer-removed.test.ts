// Removing a consumer whose account no other consumer shares: the config no longer names that
// account or its role, so the run reaches it through the role the state kept. Without it the base
// credentials act in another account, find nothing, and forget the consumer's resources, which
// stay in AWS (AWS twin: each account answers only for what it holds).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import { parse, stringify } from 'yaml';
import { applyPlan, planLive } from '../../src/ops/plan.js';
import { withStack } from '../../src/ops/stack.js';
import { writeStackConfig } from '../support/e2e.js';
import { startTwinBed, type TwinBed } from '../testbed/twin-bed.js';

describe('a consumer removed from the config: its account reached through the role in state (AWS twin)', function () {
  this.timeout(240_000);
  let bed: TwinBed;
  let file: string;
  const saved = { ...process.env };

  before(async () => {
    bed = await startTwinBed({ brokers: 3, consumers: 2 });
    ({ file } = await writeStackConfig(bed, { name: 'rmc', pattern: 1 }));
    Object.assign(process.env, bed.env());
    await withStack(file, { lock: 'test' }, async (stack) => {
      const { plan } = await planLive(stack);
      const out = await applyPlan(stack, plan, () => Promise.resolve(true));
      assert.equal(out.outcome, 'applied');
    });
  });

  after(async () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await bed?.stop();
  });

  const endpointsIn = async (account: string) => {
    const c = bed.clients(account);
    try {
      const out = await c.ec2.send(
        new DescribeVpcEndpointsCommand({
          Filters: [{ Name: 'tag:msk-privatelink:stack', Values: ['rmc'] }],
        }),
      );
      return (out.VpcEndpoints ?? []).filter((e) => !/^delet/i.test(String(e.State))).length;
    } finally {
      c.destroy();
    }
  };

  it("plans the removed consumer's resources as deletes in its account, and deletes them there", async () => {
    const gone = bed.scenario.accounts.consumers[1] as string;
    assert.equal(await endpointsIn(gone), 3, 'one endpoint per broker before');
    const config = parse(await readFile(file, 'utf8')) as { consumers: Array<{ account: string }> };
    config.consumers = config.consumers.filter((c) => c.account !== gone);
    await writeFile(file, stringify(config));

    await withStack(file, { lock: 'test' }, async (stack) => {
      const { plan } = await planLive(stack);
      const deletes = plan.changes.filter((c) => c.action === 'delete');
      assert.ok(deletes.length > 0, 'the consumer is deleted');
      // The consumer's own resources, in its account, and its acceptances, in the provider's.
      assert.ok(
        deletes.every(
          (c) =>
            c.id.startsWith('c2/') && (c.account === gone || c.kind === 'endpoint-connection-acceptance'),
        ),
        deletes.map((c) => `${c.id}@${c.account}`).join(', '),
      );
      assert.ok(deletes.some((c) => c.kind === 'hosted-zone' && c.account === gone));
      assert.equal(deletes.filter((c) => c.kind === 'vpc-endpoint').length, 3);
      const out = await applyPlan(stack, plan, () => Promise.resolve(true));
      assert.equal(out.outcome, 'applied');
      if (out.outcome === 'applied') assert.deepEqual(out.result.failed, []);
    });
    assert.equal(await endpointsIn(gone), 0, 'nothing left in the removed account');
  });
});
