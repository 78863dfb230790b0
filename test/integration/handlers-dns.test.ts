// Handlers for hosted-zone and dns-record against the AWS twin (real SDK clients).
import assert from 'node:assert/strict';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourceCommand,
  Route53Client,
  type Change,
} from '@aws-sdk/client-route-53';
import { MplError } from '../../src/errors.js';
import { dnsRecord } from '../../src/kinds/dns-record.js';
import { callerReferencePrefix, hostedZone } from '../../src/kinds/hosted-zone.js';
import type { Resource, ResourceOf } from '../../src/kinds/index.js';
import { compareProps, type KindDef } from '../../src/kinds/kind.js';
import { changeRecords, normalizeDnsName } from '../../src/kinds/shared/route53.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';
import { TestCtx } from '../support/handler-ctx.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc, type AccountNetwork } from '../testbed/scenario.js';

const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const REGION = 'us-east-2';
const DOMAIN = 'payments.abc123.c2.kafka.us-east-2.amazonaws.com';

function pick<K extends Resource['kind']>(rs: Resource[], kind: K, id?: string): ResourceOf<K> {
  const r = rs.find((x) => x.kind === kind && (id === undefined || x.id === id));
  assert.ok(r, `planner emitted no ${kind} ${id ?? ''}`);
  return r as ResourceOf<K>;
}

/** A read-back compares `noop` against the desired props (nothing changed, nothing forcing a replace). */
function noop(
  def: Pick<KindDef, 'kind' | 'replaceOn' | 'ignored'>,
  desired: object,
  actual: object | undefined,
): void {
  assert.ok(actual, `${def.kind}: read returned nothing`);
  const cmp = compareProps(def, desired as Record<string, unknown>, actual as Record<string, unknown>);
  assert.deepEqual(
    cmp,
    { action: 'noop', changed: [], forcing: [] },
    `${def.kind}: ${JSON.stringify(actual)}`,
  );
}

async function rejects(p: Promise<unknown>, code: string, text: RegExp): Promise<MplError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MplError, `not an MplError: ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, text);
    return e;
  }
  assert.fail(`expected ${code}`);
}

/** A CREATE of a TXT record. */
function txt(name: string, value: string): Change {
  return {
    Action: 'CREATE',
    ResourceRecordSet: { Name: name, Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: `"${value}"` }] },
  };
}

describe('handlers: hosted-zone, dns-record (AWS twin)', function () {
  this.timeout(60_000);
  let twin: AwsTwin;
  let t: TestCtx;
  let route53: Route53Client;
  let consumerNet: AccountNetwork;
  let providerNet: AccountNetwork;
  let resources: Resource[];
  let resources2: Resource[];
  const started = Date.now();

  before(async () => {
    twin = await startAwsTwin({
      region: REGION,
      delaysMs: { nlbActiveMs: 100, endpointAvailableMs: 100, route53ChangeMs: 100 },
    });
    const c = clientsFor(twin, CONSUMER);
    const p = clientsFor(twin, PROVIDER);
    [consumerNet, providerNet] = await Promise.all([seedVpc(c, '10.20.0.0/16'), seedVpc(p, '10.0.0.0/16')]);
    c.destroy();
    p.destroy();
    route53 = new Route53Client(clientConfigFor(twin, CONSUMER));
    const consumer = {
      ...consumerInput('analytics', CONSUMER),
      vpcId: consumerNet.vpcId,
      bootstrapParameter: '/msk/payments/bootstrap',
    };
    const inv = inventoryOf(brokersFor([1, 2, 3]), { vpcId: providerNet.vpcId });
    resources = planStack(
      planInputOf(
        configOf({ consumers: [consumer], provider: { account: PROVIDER, vpcId: providerNet.vpcId } }),
        inv,
      ),
    ).resources;
    resources2 = planStack(
      planInputOf(
        configOf({
          pattern: 2,
          consumers: [consumer],
          provider: { account: PROVIDER, vpcId: providerNet.vpcId },
        }),
        inv,
      ),
    ).resources;
  });

  after(async () => {
    route53?.destroy();
    await twin?.stop();
    console.log(`    handlers-dns: ${Date.now() - started} ms`);
  });

  beforeEach(async () => {
    await twin.control.reset();
    await twin.control.setThrottling(false);
    // The planner tags with the config's name, which is the executor's ctx.stack.
    t = new TestCtx(twin, 'payments');
  });
  afterEach(() => t.destroy());

  async function zonesNamed(name: string) {
    const out = await route53.send(new ListHostedZonesByNameCommand({ DNSName: name }));
    return (out.HostedZones ?? []).filter((z) => normalizeDnsName(z.Name ?? '') === name);
  }

  async function aRecords(zoneId: string) {
    const out = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    return (out.ResourceRecordSets ?? []).filter((r) => r.Type === 'A');
  }

  it('normalizes Route 53 names (trailing dot, octal escapes, case)', () => {
    assert.equal(normalizeDnsName('B-1.Payments.example.com.'), 'b-1.payments.example.com');
    assert.equal(normalizeDnsName('\\052.example.com.'), '*.example.com');
  });

  describe('hosted-zone', () => {
    it('creates, reads back equal, adopts by tags, does not duplicate, updates, refuses a non-empty delete, deletes', async () => {
      const r = pick(resources, 'hosted-zone', 'analytics/hosted-zone');
      assert.equal(r.props.name, DOMAIN);
      const ctx = t.ctx(CONSUMER);

      const made = await hostedZone.handler.create(ctx, r);
      assert.match(made.physicalId, /^[A-Z0-9]+$/, 'physical id without the /hostedzone/ prefix');
      assert.deepEqual(made.outputs, { zoneId: made.physicalId });
      noop(hostedZone, r.props, made.props);
      const known = t.remember(r, made);

      noop(hostedZone, r.props, (await hostedZone.handler.read(ctx, r, known))?.props);
      const adopted = await hostedZone.handler.read(ctx, r, undefined);
      assert.equal(adopted?.physicalId, made.physicalId);

      const again = await hostedZone.handler.create(ctx, r);
      assert.equal(again.physicalId, made.physicalId);
      assert.equal((await zonesNamed(DOMAIN)).length, 1, 'a second create must adopt, not duplicate');

      // Update: comment and tags in place.
      const changed: typeof r = {
        ...r,
        props: { ...r.props, comment: 'new comment', tags: { ...r.props.tags, Owner: 'team-a' } },
      };
      const before = await hostedZone.handler.read(ctx, changed, known);
      assert.equal(compareProps(hostedZone, changed.props, before!.props).action, 'update');
      const updated = await hostedZone.handler.update!(ctx, changed, before!);
      noop(hostedZone, changed.props, updated.props);
      const tags = await route53.send(
        new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: made.physicalId }),
      );
      assert.ok(tags.ResourceTagSet?.Tags?.some((x) => x.Key === 'Owner' && x.Value === 'team-a'));
      // A VPC change is a replace (the kind's replaceOn), not an update.
      const moved = { ...r.props, vpcId: 'vpc-0000000000000aaaa' };
      assert.equal(compareProps(hostedZone, moved, made.props).action, 'replace');

      // A record the stack does not manage blocks the delete, named in the message.
      await route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: made.physicalId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'CREATE',
                ResourceRecordSet: {
                  Name: `stray.${DOMAIN}`,
                  Type: 'A',
                  TTL: 60,
                  ResourceRecords: [{ Value: '10.1.1.1' }],
                },
              },
            ],
          },
        }),
      );
      await rejects(
        hostedZone.handler.delete(ctx, known),
        'ZONE_NOT_EMPTY',
        new RegExp(`stray\\.${DOMAIN} A`),
      );
      await route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: made.physicalId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'DELETE',
                ResourceRecordSet: {
                  Name: `stray.${DOMAIN}`,
                  Type: 'A',
                  TTL: 60,
                  ResourceRecords: [{ Value: '10.1.1.1' }],
                },
              },
            ],
          },
        }),
      );

      await hostedZone.handler.delete(ctx, known);
      assert.equal(await hostedZone.handler.read(ctx, r, known), undefined);
      assert.equal(await hostedZone.handler.read(ctx, r, undefined), undefined);
      await hostedZone.handler.delete(ctx, known);
      assert.equal((await zonesNamed(DOMAIN)).length, 0);

      // Destroy then apply again: a fresh CallerReference, so Route 53 accepts the new zone.
      const remade = await hostedZone.handler.create(ctx, r);
      assert.notEqual(remade.physicalId, made.physicalId);
    });

    it('adopts a zone made by a run that died before tagging it (CallerReference prefix)', async () => {
      const r = pick(resources, 'hosted-zone', 'analytics/hosted-zone');
      const ctx = t.ctx(CONSUMER);
      const out = await route53.send(
        new CreateHostedZoneCommand({
          Name: r.props.name,
          CallerReference: `${callerReferencePrefix(t.stack, CONSUMER, r.id)}12345`,
          VPC: { VPCId: r.props.vpcId, VPCRegion: 'us-east-2' },
          HostedZoneConfig: { PrivateZone: true, Comment: r.props.comment },
        }),
      );
      const zoneId = (out.HostedZone?.Id ?? '').replace('/hostedzone/', '');
      // Another stack's zone with the same name is never adopted.
      const other = new TestCtx(twin, 'otherstack');
      try {
        assert.equal(await hostedZone.handler.read(other.ctx(CONSUMER), r, undefined), undefined);
      } finally {
        other.destroy();
      }
      assert.equal((await hostedZone.handler.read(ctx, r, undefined))?.physicalId, zoneId);
      const made = await hostedZone.handler.create(ctx, r);
      assert.equal(made.physicalId, zoneId);
      noop(hostedZone, r.props, made.props);
      assert.equal((await zonesNamed(DOMAIN)).length, 1);
    });
  });

  describe('dns-record', () => {
    const EP1 = {
      dnsName: 'vpce-0a1-aaaa.vpce-svc-01.us-east-2.vpce.amazonaws.com',
      hostedZoneId: 'ZC8PG0KIFKBRI',
    };
    const EP2 = {
      dnsName: 'vpce-0b2-bbbb.vpce-svc-02.us-east-2.vpce.amazonaws.com',
      hostedZoneId: 'ZC8PG0KIFKBRI',
    };

    const zoneName = () => pick(resources, 'hosted-zone', 'analytics/hosted-zone').props.name;

    async function zoneFor(plan: Resource[], id: string, account: string) {
      const z = pick(plan, 'hosted-zone', id);
      const made = await hostedZone.handler.create(t.ctx(account), z);
      return t.remember(z, made);
    }

    it('alias to a vpc-endpoint: creates, reads equal, adopts, UPSERT does not duplicate, repoints, deletes', async () => {
      const zone = await zoneFor(resources, 'analytics/hosted-zone', CONSUMER);
      const zoneId = zone.physicalId;
      const r = pick(resources, 'dns-record', 'analytics/dns-record/b-1');
      assert.deepEqual(r.props.aliasTarget, { kind: 'vpc-endpoint', id: 'analytics/vpc-endpoint/b-1' });
      t.pretend('analytics/vpc-endpoint/b-1', 'vpc-endpoint', CONSUMER, 'vpce-0a1', EP1);
      t.pretend('analytics/vpc-endpoint/b-2', 'vpc-endpoint', CONSUMER, 'vpce-0b2', EP2);
      const ctx = t.ctx(CONSUMER);

      assert.equal(await dnsRecord.handler.read(ctx, r, undefined), undefined);
      const made = await dnsRecord.handler.create(ctx, r);
      assert.equal(made.physicalId, `${zoneId}|b-1.${DOMAIN}|A`);
      noop(dnsRecord, r.props, made.props);
      const known = t.remember(r, made);
      noop(dnsRecord, r.props, (await dnsRecord.handler.read(ctx, r, known))?.props);
      assert.equal((await dnsRecord.handler.read(ctx, r, undefined))?.physicalId, made.physicalId);
      await dnsRecord.handler.create(ctx, r);
      const recs = await aRecords(zoneId);
      assert.equal(recs.length, 1);
      assert.equal(recs[0]?.AliasTarget?.EvaluateTargetHealth, false);
      assert.equal(normalizeDnsName(recs[0]?.AliasTarget?.DNSName ?? ''), EP1.dnsName);

      // The same name wanted at another endpoint: read reports the raw DNS name, the diff says update.
      const repointed: typeof r = {
        ...r,
        props: { ...r.props, aliasTarget: { kind: 'vpc-endpoint', id: 'analytics/vpc-endpoint/b-2' } },
      };
      const before = await dnsRecord.handler.read(ctx, repointed, known);
      assert.deepEqual(before?.props.aliasTarget, { kind: 'vpc-endpoint', id: EP1.dnsName });
      assert.equal(compareProps(dnsRecord, repointed.props, before!.props).action, 'update');
      // And a target made again or replaced repoints the record (an UPSERT), never replaces it.
      assert.equal(dnsRecord.repointsOnReplace, true);
      const updated = await dnsRecord.handler.update!(ctx, repointed, before!);
      noop(dnsRecord, repointed.props, updated.props);
      assert.equal((await aRecords(zoneId)).length, 1);

      await dnsRecord.handler.delete(ctx, t.remember(repointed, updated));
      assert.equal(await dnsRecord.handler.read(ctx, repointed, known), undefined);
      assert.equal((await aRecords(zoneId)).length, 0);
      await dnsRecord.handler.delete(ctx, known);
      // With its records gone the zone deletes; a record read in a deleted zone is undefined.
      assert.equal(t.ctx(CONSUMER).ref('analytics/hosted-zone'), zone);
      await hostedZone.handler.delete(ctx, zone);
      assert.equal(await dnsRecord.handler.read(ctx, r, known), undefined);
      await dnsRecord.handler.delete(ctx, known);
    });

    it("alias to a load-balancer (pattern 2's provider zone for broker 2's PrivateLink name, at its apex)", async () => {
      const zoneId = (await zoneFor(resources2, 'provider/hosted-zone/b-2-pl', PROVIDER)).physicalId;
      const r = pick(resources2, 'dns-record', 'provider/dns-record/b-2-pl');
      assert.match(r.props.name, /^b-2-pl\./);
      assert.equal(r.props.aliasTarget.kind, 'load-balancer');
      t.pretend(r.props.aliasTarget.id, 'load-balancer', PROVIDER, 'arn:aws:elasticloadbalancing:nlb', {
        dnsName: 'mpl-payments-shared-0123456789abcdef.elb.us-east-2.amazonaws.com',
        canonicalHostedZoneId: 'ZLMOA37VPKANP',
      });
      const ctx = t.ctx(PROVIDER);
      const made = await dnsRecord.handler.create(ctx, r);
      noop(dnsRecord, r.props, made.props);
      const known = t.remember(r, made);
      noop(dnsRecord, r.props, (await dnsRecord.handler.read(ctx, undefined, known))?.props);
      await dnsRecord.handler.delete(ctx, known);
      assert.equal(await dnsRecord.handler.read(ctx, r, undefined), undefined);
      void zoneId;
    });

    it('sends concurrent changes to one zone as one batch, and waits out a change another writer made', async () => {
      const zoneId = (await zoneFor(resources, 'analytics/hosted-zone', CONSUMER)).physicalId;
      const recs = [1, 2, 3].map((i) => pick(resources, 'dns-record', `analytics/dns-record/b-${i}`));
      for (const r of recs) t.pretend(r.props.aliasTarget.id, 'vpc-endpoint', CONSUMER, `vpce-${r.id}`, EP1);
      await twin.control.setDelays({ route53ChangeMs: 300 });
      await twin.control.setThrottling(true);
      const changes = async () =>
        (await twin.control.counters({ service: 'route53', action: 'ChangeResourceRecordSets' })).reduce(
          (n, row) => n + row.calls,
          0,
        );
      try {
        const ctx = t.ctx(CONSUMER);
        await twin.control.resetCounters();
        const made = await Promise.all(recs.map((r) => dnsRecord.handler.create(ctx, r)));
        made.forEach((m, i) => noop(dnsRecord, recs[i]!.props, m.props));
        assert.equal(await changes(), 1, 'three records of one zone: one ChangeResourceRecordSets');
        assert.equal((await aRecords(zoneId)).length, 3);

        // Another writer's change is PENDING: Route 53 refuses ours until it is INSYNC; ours lands.
        await twin.control.setDelays({ route53ChangeMs: 1500 });
        await twin.control.resetCounters();
        await route53.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            ChangeBatch: { Changes: [txt(`other.${zoneName()}`, 'x')] },
          }),
        );
        await dnsRecord.handler.delete(ctx, t.remember(recs[0]!, made[0]!));
        assert.ok(
          (await changes()) > 2,
          'the twin should have refused our change while the other was PENDING',
        );
        assert.equal((await aRecords(zoneId)).length, 2);
      } finally {
        await twin.control.setThrottling(false);
        await twin.control.setDelays({ route53ChangeMs: 100 });
      }
    });

    it('a batch Route 53 refuses as a whole is sent again change by change: only the bad change fails', async () => {
      const zoneId = (await zoneFor(resources, 'analytics/hosted-zone', CONSUMER)).physicalId;
      const wait = { intervalMs: 50, timeoutMs: 10_000 };
      const ctx = t.ctx(CONSUMER);
      await twin.control.resetCounters();
      const [good, bad] = await Promise.allSettled([
        changeRecords(ctx.aws.route53, zoneId, [txt(`good.${zoneName()}`, 'g')], 'good', wait),
        changeRecords(
          ctx.aws.route53,
          zoneId,
          [{ ...txt(`missing.${zoneName()}`, 'm'), Action: 'DELETE' }],
          'bad',
          wait,
        ),
      ]);
      assert.equal(good.status, 'fulfilled', good.status === 'rejected' ? String(good.reason) : '');
      assert.equal(bad.status, 'rejected');
      // AWS answers InvalidChangeBatch for a missing record; moto 5.2.1 InvalidInput.
      assert.match((bad as PromiseRejectedResult).reason.name, /^Invalid(ChangeBatch|Input)$/);
      const rows = await twin.control.counters({ service: 'route53', action: 'ChangeResourceRecordSets' });
      assert.equal(
        rows.reduce((n, row) => n + row.calls, 0),
        3,
        'the batch of two, then each change alone',
      );
      const txts = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
      assert.ok(txts.ResourceRecordSets?.some((r) => r.Type === 'TXT' && r.Name === `good.${zoneName()}.`));
    });
  });
});
