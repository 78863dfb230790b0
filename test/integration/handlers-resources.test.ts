// Handlers of pattern 3 (resource gateway, resource configurations, RAM share and its acceptance,
// resource endpoint) against the AWS twin through real SDK clients, across a provider and two
// consumer accounts. Desired resources come from the real planner over seeded VPCs.
import assert from 'node:assert/strict';
import { DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import { GetResourceShareInvitationsCommand, RAMClient } from '@aws-sdk/client-ram';
import { GetResourceConfigurationCommand, VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { kindDef, type Resource } from '../../src/kinds/index.js';
import { compareProps, type Live } from '../../src/kinds/kind.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';
import { TestCtx, assertNoop } from '../support/handler-ctx.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc, type AccountNetwork } from '../testbed/scenario.js';

const PROVIDER = '111111111111';
const C1 = '222222222222';
const C2 = '333333333333';

describe('handlers: pattern 3 (VPC resources) against the AWS twin', function () {
  this.timeout(120_000);
  let twin: AwsTwin;
  let pnet: AccountNetwork;
  let c1net: AccountNetwork;
  let c2net: AccountNetwork;

  before(async function () {
    this.timeout(120_000);
    twin = await startAwsTwin({ delaysMs: { resourceGatewayActiveMs: 200, endpointAvailableMs: 200 } });
    const nets = await Promise.all(
      [
        [PROVIDER, '10.0.0.0/16'],
        [C1, '10.20.0.0/16'],
        [C2, '10.30.0.0/16'],
      ].map(async ([a, cidr]) => {
        const c = clientsFor(twin, a as string);
        try {
          return await seedVpc(c, cidr as string);
        } finally {
          c.destroy();
        }
      }),
    );
    [pnet, c1net, c2net] = nets as [AccountNetwork, AccountNetwork, AccountNetwork];
  });

  after(async () => {
    await twin?.stop();
  });

  function plan(stack: string, over: { target?: 'dns' | 'ip'; consumers?: 1 | 2; brokers?: number[] } = {}) {
    const brokers = brokersFor(over.brokers ?? [1, 2, 3]).map((b, i) => {
      const s = pnet.subnets[i % 3] as AccountNetwork['subnets'][number];
      return {
        ...b,
        subnetId: s.id,
        availabilityZoneId: s.availabilityZoneId,
        ip: `10.0.${(i % 3) + 1}.${10 + b.id}`,
      };
    });
    const consumer = (name: string, account: string, net: AccountNetwork) => ({
      ...consumerInput(name, account),
      vpcId: net.vpcId,
      subnets: net.subnets.map((s) => ({ id: s.id, azId: s.availabilityZoneId })),
    });
    const config = configOf({
      name: stack,
      region: twin.region,
      pattern: 3,
      pattern3: { target: over.target ?? 'dns' },
      provider: {
        account: PROVIDER,
        vpcId: pnet.vpcId,
        subnets: pnet.subnets.map((s) => ({ id: s.id, azId: s.availabilityZoneId })),
      },
      consumers:
        (over.consumers ?? 2) === 2
          ? [consumer('c1', C1, c1net), consumer('c2', C2, c2net)]
          : [consumer('c1', C1, c1net)],
    });
    return planStack(planInputOf(config, inventoryOf(brokers, { region: twin.region, vpcId: pnet.vpcId })))
      .resources;
  }

  /** Creates every resource in dependency order (the planner lists dependencies first). */
  async function applyAll(t: TestCtx, rs: Resource[]): Promise<Map<string, Live<Record<string, unknown>>>> {
    const made = new Map<string, Live<Record<string, unknown>>>();
    const pending = [...rs];
    while (pending.length > 0) {
      const i = pending.findIndex((r) => r.dependsOn.every((d) => made.has(d)));
      assert.ok(i >= 0, `a dependency cycle among ${pending.map((r) => r.id).join(', ')}`);
      const r = pending.splice(i, 1)[0] as Resource;
      const h = kindDef(r.kind).handler;
      const o = await h.create(t.ctx(r.account), r as never);
      t.remember(r, o);
      made.set(r.id, o);
    }
    return made;
  }

  async function destroyAll(t: TestCtx, rs: Resource[]): Promise<void> {
    for (const r of [...rs].reverse()) {
      const k = t.known.get(r.id);
      if (k) await kindDef(r.kind).handler.delete(t.ctx(r.account), k as never);
    }
  }

  it('creates everything, reads it back as planned (no change), and deletes it all', async () => {
    const t = new TestCtx(twin, 'p3h');
    const rs = plan('p3h');
    await applyAll(t, rs);
    for (const r of rs) {
      const live = await kindDef(r.kind).handler.read(
        t.ctx(r.account),
        r as never,
        t.known.get(r.id) as never,
      );
      assertNoop(kindDef(r.kind), r, live);
      // Found without state too (by name or tags), as a killed run's next apply does.
      if (r.kind !== 'resource-share-acceptance') {
        const adopted = await kindDef(r.kind).handler.read(t.ctx(r.account), r as never, undefined);
        assert.ok(adopted, `${r.id} found without state`);
        assert.equal(adopted.physicalId, t.known.get(r.id)?.physicalId, `${r.id}: the same resource`);
      }
    }
    // The consumers accepted the share's invitations; each endpoint is available.
    for (const [account, id] of [
      [C1, 'c1/resource-endpoint'],
      [C2, 'c2/resource-endpoint'],
    ] as const) {
      const ram = new RAMClient(clientConfigFor(twin, account));
      const inv = await ram.send(
        new GetResourceShareInvitationsCommand({
          resourceShareArns: [t.known.get('shared/resource-share')?.physicalId ?? ''],
        }),
      );
      ram.destroy();
      assert.deepEqual(
        (inv.resourceShareInvitations ?? []).map((x) => x.status),
        ['ACCEPTED'],
      );
      const c = clientsFor(twin, account);
      const e = await c.ec2.send(
        new DescribeVpcEndpointsCommand({ VpcEndpointIds: [t.known.get(id)?.physicalId ?? ''] }),
      );
      c.destroy();
      assert.equal(e.VpcEndpoints?.[0]?.State?.toLowerCase(), 'available');
      assert.equal(e.VpcEndpoints?.[0]?.DnsOptions?.PrivateDnsPreference, 'SPECIFIED_DOMAINS_ONLY');
      assert.equal(e.VpcEndpoints?.[0]?.DnsOptions?.PrivateDnsSpecifiedDomains?.length, 3);
    }
    await destroyAll(t, rs);
    for (const r of rs) {
      if (r.kind === 'resource-share-acceptance') continue;
      const k = t.known.get(r.id);
      const gone = await kindDef(r.kind).handler.read(t.ctx(r.account), r as never, k as never);
      assert.equal(gone, undefined, `${r.id} is gone`);
    }
  });

  it('a delete refused while the resource is in use (ConflictException) is tried again until it is free', async () => {
    const t = new TestCtx(twin, 'p3d');
    const rs = plan('p3d', { consumers: 1 });
    const provider = rs.filter((r) => r.account === PROVIDER && r.kind !== 'resource-share');
    await applyAll(t, provider);
    const group = t.known.get('shared/resource-configuration');
    assert.ok(group);
    // The group still has three children: its delete waits while the children go.
    const started = Date.now();
    const groupGone = kindDef('resource-configuration').handler.delete(t.ctx(PROVIDER), group as never);
    await new Promise((r) => setTimeout(r, 300));
    for (const id of ['b-1', 'b-2', 'b-3']) {
      const k = t.known.get(`${id}/resource-configuration`);
      await kindDef('resource-configuration').handler.delete(t.ctx(PROVIDER), k as never);
    }
    await groupGone;
    assert.ok(Date.now() - started >= 300, 'the group waited for its children');
    const lattice = new VPCLatticeClient(clientConfigFor(twin, PROVIDER));
    await assert.rejects(
      lattice.send(
        new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: group.physicalId }),
      ),
      /ResourceNotFound/,
    );
    lattice.destroy();
    // With nothing freeing it, the wait ends with a clear timeout naming the resource.
    const t2 = new TestCtx(twin, 'p3d2');
    const rs2 = plan('p3d2', { consumers: 1 }).filter(
      (r) => r.account === PROVIDER && r.kind !== 'resource-share',
    );
    await applyAll(t2, rs2);
    const gw = t2.known.get('provider/resource-gateway');
    await assert.rejects(
      kindDef('resource-gateway').handler.delete(
        t2.ctx(PROVIDER, undefined, { intervalMs: 50, timeoutMs: 400 }),
        gw as never,
      ),
      /WAIT_TIMEOUT|still in use/,
    );
    await destroyAll(t2, rs2);
  });

  it("updates in place what AWS changes in place: a child's target, the share's principals, an endpoint's names", async () => {
    const t = new TestCtx(twin, 'p3u');
    const one = plan('p3u', { consumers: 1, target: 'ip' });
    await applyAll(t, one);
    // A broker's IP changed: only its child differs, by an update.
    const moved = plan('p3u', { consumers: 1, target: 'ip' }).map((r) =>
      r.id === 'b-2/resource-configuration' && r.kind === 'resource-configuration'
        ? { ...r, props: { ...r.props, target: { ip: '10.0.2.99' } } }
        : r,
    );
    const child = moved.find((r) => r.id === 'b-2/resource-configuration') as Resource;
    const h = kindDef('resource-configuration').handler;
    const before = await h.read(t.ctx(PROVIDER), child as never, t.known.get(child.id) as never);
    assert.ok(before);
    assert.deepEqual(
      compareProps(kindDef('resource-configuration'), child.props, before.props).action,
      'update',
    );
    const afterUpdate = await h.update?.(t.ctx(PROVIDER), child as never, before);
    assert.deepEqual(afterUpdate?.props.target, { ip: '10.0.2.99' });
    const lattice = new VPCLatticeClient(clientConfigFor(twin, PROVIDER));
    const got = await lattice.send(
      new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: before.physicalId }),
    );
    lattice.destroy();
    assert.equal(got.resourceConfigurationDefinition?.ipResource?.ipAddress, '10.0.2.99');

    // A second consumer account: the share gains a principal in place.
    const two = plan('p3u', { consumers: 2, target: 'ip' });
    const share = two.find((r) => r.kind === 'resource-share') as Resource;
    const sh = kindDef('resource-share').handler;
    const shBefore = await sh.read(t.ctx(PROVIDER), share as never, t.known.get(share.id) as never);
    assert.ok(shBefore);
    const cmp = compareProps(kindDef('resource-share'), share.props, shBefore.props);
    assert.deepEqual([cmp.action, cmp.changed], ['update', ['principals']]);
    const shAfter = await sh.update?.(t.ctx(PROVIDER), share as never, shBefore);
    assert.deepEqual(shAfter?.props.principals, [C1, C2]);

    // A fourth broker: the endpoint's names change in place (same endpoint id).
    const four = plan('p3u', { consumers: 1, target: 'ip', brokers: [1, 2, 3, 4] });
    const ep = four.find((r) => r.id === 'c1/resource-endpoint') as Resource;
    const eh = kindDef('resource-endpoint').handler;
    const epBefore = await eh.read(t.ctx(C1), ep as never, t.known.get(ep.id) as never);
    assert.ok(epBefore);
    assert.equal(compareProps(kindDef('resource-endpoint'), ep.props, epBefore.props).action, 'update');
    const epAfter = await eh.update?.(t.ctx(C1), ep as never, epBefore);
    assert.equal(epAfter?.physicalId, epBefore.physicalId);
    assert.equal((epAfter?.props.privateDnsDomains as string[]).length, 4);
    await destroyAll(t, one);
  });
});
