// Handlers for the PrivateLink pieces (endpoint service, its permissions, the consumer's interface
// endpoint and the provider's acceptance) against the AWS twin through real SDK clients, across two
// accounts. Desired resources come from the real planner (pattern 1, all-azs) over seeded VPCs.
import assert from 'node:assert/strict';
import {
  CreateSecurityGroupCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  DescribeVpcEndpointsCommand,
  RejectVpcEndpointConnectionsCommand,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { MplError } from '../../src/errors.js';
import { endpointConnectionAcceptance } from '../../src/kinds/endpoint-connection-acceptance.js';
import { endpointServicePermissions } from '../../src/kinds/endpoint-service-permissions.js';
import { endpointService } from '../../src/kinds/endpoint-service.js';
import type { Kind, PropsOf, ResourceOf } from '../../src/kinds/index.js';
import {
  compareProps,
  TAG_ID,
  TAG_STACK,
  type Desired,
  type Handler,
  type Live,
} from '../../src/kinds/kind.js';
import { loadBalancer } from '../../src/kinds/load-balancer.js';
import { vpcEndpoint } from '../../src/kinds/vpc-endpoint.js';
import { planStack } from '../../src/planner/plan-stack.js';
import type { Instance } from '../../src/state/instance.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';
import { TestCtx, assertNoop, instanceOf } from '../support/handler-ctx.js';
import { startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc, type AccountNetwork, type Clients } from '../testbed/scenario.js';

const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const STRANGER = '333333333333';

let twin: AwsTwin;
let provider: Clients;
let consumer: Clients;
let stranger: Clients;
let pnet: AccountNetwork;
let cnet: AccountNetwork;
let snet: AccountNetwork;
/** Consumer security groups made outside the handlers (the security-group kind is another handler's). */
let sgA: string;
let sgB: string;
let sgStranger: string;
/** The NLBs' security group, made outside the handlers too. */
let sgNlb: string;
let t: TestCtx;

/** The planner's pattern 1 resources for one broker and one consumer over the seeded VPCs. */
function plan(stack: string): Array<ResourceOf<Kind>> {
  const brokers = brokersFor([1, 2]).map((b, i) => {
    const s = pnet.subnets[i % 3] as AccountNetwork['subnets'][number];
    return { ...b, subnetId: s.id, availabilityZoneId: s.availabilityZoneId };
  });
  const config = configOf({
    name: stack,
    region: twin.region,
    pattern: 1,
    provider: {
      account: PROVIDER,
      vpcId: pnet.vpcId,
      subnets: pnet.subnets.map((s) => ({ id: s.id, azId: s.availabilityZoneId })),
    },
    consumers: [
      {
        ...consumerInput('analytics', CONSUMER),
        vpcId: cnet.vpcId,
        subnets: cnet.subnets.map((s) => ({ id: s.id, azId: s.availabilityZoneId })),
      },
    ],
  });
  return planStack(planInputOf(config, inventoryOf(brokers, { region: twin.region, vpcId: pnet.vpcId })))
    .resources as Array<ResourceOf<Kind>>;
}

function pick<K extends Kind>(resources: Array<ResourceOf<Kind>>, kind: K, id: string): ResourceOf<K> {
  const r = resources.find((x) => x.kind === kind && x.id === id);
  assert.ok(r, `planner emits ${kind} ${id}`);
  return r as ResourceOf<K>;
}

/** A fresh context per test, with the security groups made outside the handlers. */
function ctxFor(stack: string): TestCtx {
  const c = new TestCtx(twin, stack);
  c.pretend('provider/security-group', 'security-group', PROVIDER, sgNlb, { groupId: sgNlb });
  c.pretend('analytics/security-group', 'security-group', CONSUMER, sgA, { groupId: sgA });
  c.pretend('analytics/security-group-2', 'security-group', CONSUMER, sgB, { groupId: sgB });
  c.pretend('stranger/security-group', 'security-group', STRANGER, sgStranger, { groupId: sgStranger });
  return c;
}

async function make<P>(h: Handler<P>, r: Desired<P>): Promise<Live<P>> {
  const o = await h.create(t.ctx(r.account), r);
  t.remember(r, o);
  return o;
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<MplError> {
  let caught: MplError | undefined;
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof MplError, `an MplError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    caught = e;
    return true;
  });
  return caught as MplError;
}

/** The NLB, service and permissions of broker 1: what an endpoint needs on the provider side. */
async function providerSide(stack: string) {
  const res = plan(stack);
  const lb = await make(loadBalancer.handler, pick(res, 'load-balancer', 'b-1/load-balancer'));
  const svcR = pick(res, 'endpoint-service', 'b-1/endpoint-service');
  const svc = await make(endpointService.handler, svcR);
  const permR = pick(res, 'endpoint-service-permissions', 'b-1/endpoint-service-permissions');
  const perm = await make(endpointServicePermissions.handler, permR);
  return { res, lb, svcR, svc, permR, perm };
}

async function servicesTagged(stack: string, id: string): Promise<string[]> {
  const out = await provider.ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
  return (out.ServiceConfigurations ?? [])
    .filter((s) => s.Tags?.some((x) => x.Key === TAG_STACK && x.Value === stack))
    .filter((s) => s.Tags?.some((x) => x.Key === TAG_ID && x.Value === id))
    .filter((s) => !['Deleted', 'Deleting'].includes(s.ServiceState ?? ''))
    .map((s) => s.ServiceId as string);
}

async function endpointsTagged(account: Clients, stack: string, id: string): Promise<VpcEndpoint[]> {
  const out = await account.ec2.send(
    new DescribeVpcEndpointsCommand({
      Filters: [
        { Name: `tag:${TAG_STACK}`, Values: [stack] },
        { Name: `tag:${TAG_ID}`, Values: [id] },
      ],
    }),
  );
  return (out.VpcEndpoints ?? []).filter((e) => !['deleted', 'deleting'].includes(e.State ?? ''));
}

async function endpointState(endpointId: string): Promise<string> {
  try {
    const out = await consumer.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }));
    return out.VpcEndpoints?.[0]?.State ?? 'absent';
  } catch {
    return 'absent';
  }
}

async function principals(serviceId: string): Promise<string[]> {
  const out = await provider.ec2.send(
    new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: serviceId }),
  );
  return (out.AllowedPrincipals ?? []).map((p) => p.Principal as string).sort();
}

describe('PrivateLink handlers (endpoint service, permissions, VPC endpoint, acceptance) on the AWS twin', function () {
  this.timeout(60_000);

  before(async function () {
    this.timeout(120_000);
    twin = await startAwsTwin({
      delaysMs: { nlbActiveMs: 100, endpointAvailableMs: 100, endpointDeleteMs: 100, route53ChangeMs: 100 },
    });
    provider = clientsFor(twin, PROVIDER);
    consumer = clientsFor(twin, CONSUMER);
    stranger = clientsFor(twin, STRANGER);
    [pnet, cnet, snet] = await Promise.all([
      seedVpc(provider, '10.0.0.0/16'),
      seedVpc(consumer, '10.20.0.0/16'),
      seedVpc(stranger, '10.30.0.0/16'),
    ]);
    const sg = async (c: Clients, vpcId: string, name: string) =>
      (await c.ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpcId })))
        .GroupId as string;
    sgA = await sg(consumer, cnet.vpcId, 'endpoints-a');
    sgB = await sg(consumer, cnet.vpcId, 'endpoints-b');
    sgStranger = await sg(stranger, snet.vpcId, 'endpoints-s');
    sgNlb = await sg(provider, pnet.vpcId, 'nlbs');
  });

  after(async () => {
    for (const c of [provider, consumer, stranger]) c?.destroy();
    await twin?.stop();
  });

  afterEach(() => t?.destroy());

  it('endpoint-service: create, read back as planned, adopt by tags, no duplicate, update in place, delete twice', async () => {
    const stack = 'svc';
    t = ctxFor(stack);
    const res = plan(stack);
    const ctx = t.ctx(PROVIDER);
    const lb1 = await make(loadBalancer.handler, pick(res, 'load-balancer', 'b-1/load-balancer'));
    const r = pick(res, 'endpoint-service', 'b-1/endpoint-service');
    assert.equal(
      await endpointService.handler.read(ctx, r, undefined),
      undefined,
      'nothing before the create',
    );

    const o = await make(endpointService.handler, r);
    assert.match(o.physicalId, /^vpce-svc-/);
    assert.deepEqual(Object.keys(o.outputs).sort(), ['serviceId', 'serviceName']);
    assert.equal(o.outputs.serviceId, o.physicalId);
    assert.equal(o.outputs.serviceName, `com.amazonaws.vpce.${twin.region}.${o.physicalId}`);
    assertNoop(endpointService, r, o);
    assertNoop(endpointService, r, await endpointService.handler.read(ctx, r, instanceOf(r, o)));

    const adopted = await endpointService.handler.read(ctx, r, undefined);
    assertNoop(endpointService, r, adopted);
    assert.equal(adopted.physicalId, o.physicalId, 'found by its tags');
    const again = await endpointService.handler.create(ctx, r);
    assert.equal(again.physicalId, o.physicalId, 'a repeated create adopts');
    assert.deepEqual(await servicesTagged(stack, r.id), [o.physicalId], 'one service, not two');

    const svcAws = (
      await provider.ec2.send(
        new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [o.physicalId] }),
      )
    ).ServiceConfigurations?.[0];
    assert.deepEqual(svcAws?.NetworkLoadBalancerArns, [lb1.outputs.arn]);
    assert.equal(svcAws?.AcceptanceRequired, true);

    // In place: acceptance off, the service moves to broker 2's NLB, a tag changes.
    const lb2 = await make(loadBalancer.handler, pick(res, 'load-balancer', 'b-2/load-balancer'));
    const changed: typeof r = {
      ...r,
      props: {
        ...r.props,
        acceptanceRequired: false,
        loadBalancers: ['b-2/load-balancer'],
        tags: { ...r.props.tags, Name: 'renamed' },
        name: 'renamed',
      },
    };
    assert.equal(compareProps(endpointService, changed.props, o.props).action, 'update');
    const u = await endpointService.handler.update?.(ctx, changed, o);
    assertNoop(endpointService, changed, u);
    assert.equal(u.physicalId, o.physicalId);
    assertNoop(
      endpointService,
      changed,
      await endpointService.handler.read(ctx, changed, instanceOf(changed, u)),
    );
    const after = (
      await provider.ec2.send(
        new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [o.physicalId] }),
      )
    ).ServiceConfigurations?.[0];
    assert.deepEqual(after?.NetworkLoadBalancerArns, [lb2.outputs.arn]);
    assert.equal(after?.AcceptanceRequired, false);

    await endpointService.handler.delete(ctx, instanceOf(changed, u));
    assert.equal(await endpointService.handler.read(ctx, changed, instanceOf(changed, u)), undefined);
    assert.equal(await endpointService.handler.read(ctx, changed, undefined), undefined);
    await endpointService.handler.delete(ctx, instanceOf(changed, u));
    // An id AWS does not know (never made, or long deleted): nothing to do.
    await endpointService.handler.delete(ctx, {
      ...instanceOf(changed, u),
      physicalId: 'vpce-svc-0000000000000000f',
    });
    // The NLBs are free again (AWS refuses to delete an NLB an endpoint service uses).
    await loadBalancer.handler.delete(t.ctx(PROVIDER), stateOf('load-balancer', 'b-1/load-balancer'));
    await loadBalancer.handler.delete(t.ctx(PROVIDER), stateOf('load-balancer', 'b-2/load-balancer'));
  });

  it('endpoint-service-permissions: exactly the planned principals, read in the planner order, removed on delete', async () => {
    const stack = 'perm';
    t = ctxFor(stack);
    const res = plan(stack);
    const ctx = t.ctx(PROVIDER);
    await make(loadBalancer.handler, pick(res, 'load-balancer', 'b-1/load-balancer'));
    const svc = await make(endpointService.handler, pick(res, 'endpoint-service', 'b-1/endpoint-service'));
    const r = pick(res, 'endpoint-service-permissions', 'b-1/endpoint-service-permissions');
    assert.deepEqual(r.props, {
      service: 'b-1/endpoint-service',
      allowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
    });
    assert.equal(
      await endpointServicePermissions.handler.read(ctx, r, undefined),
      undefined,
      'a new service allows nobody: absent',
    );

    const o = await make(endpointServicePermissions.handler, r);
    assert.equal(o.physicalId, svc.physicalId);
    assertNoop(endpointServicePermissions, r, o);
    assertNoop(
      endpointServicePermissions,
      r,
      await endpointServicePermissions.handler.read(ctx, r, instanceOf(r, o)),
    );
    const viaRefs = await endpointServicePermissions.handler.read(ctx, r, undefined);
    assertNoop(endpointServicePermissions, r, viaRefs);
    assert.equal(viaRefs.physicalId, svc.physicalId);
    assert.equal((await endpointServicePermissions.handler.create(ctx, r)).physicalId, svc.physicalId);
    assert.deepEqual(await principals(svc.physicalId), [`arn:aws:iam::${CONSUMER}:root`]);

    // Not sorted on purpose (the planner appends extra principals after the accounts).
    const changed: typeof r = {
      ...r,
      props: {
        ...r.props,
        allowedPrincipals: [`arn:aws:iam::${STRANGER}:root`, `arn:aws:iam::${CONSUMER}:role/kafka-clients`],
      },
    };
    assert.equal(compareProps(endpointServicePermissions, changed.props, o.props).action, 'update');
    const u = await endpointServicePermissions.handler.update?.(ctx, changed, o);
    assertNoop(endpointServicePermissions, changed, u);
    assertNoop(
      endpointServicePermissions,
      changed,
      await endpointServicePermissions.handler.read(ctx, changed, instanceOf(changed, u)),
    );
    assert.deepEqual(await principals(svc.physicalId), [
      `arn:aws:iam::${CONSUMER}:role/kafka-clients`,
      `arn:aws:iam::${STRANGER}:root`,
    ]);

    await endpointServicePermissions.handler.delete(ctx, instanceOf(changed, u));
    assert.deepEqual(await principals(svc.physicalId), []);
    assert.equal(
      await endpointServicePermissions.handler.read(ctx, changed, instanceOf(changed, u)),
      undefined,
    );
    await endpointServicePermissions.handler.delete(ctx, instanceOf(changed, u));
    // The service gone: its permissions went with it.
    await endpointService.handler.delete(ctx, stateOf('endpoint-service', 'b-1/endpoint-service'));
    await endpointServicePermissions.handler.delete(ctx, instanceOf(changed, u));
    assert.equal(
      await endpointServicePermissions.handler.read(ctx, changed, instanceOf(changed, u)),
      undefined,
    );
  });

  it('vpc-endpoint: made in the consumer account without waiting, DNS outputs, adopt, update subnets and groups, a rejected one reads as unusable and is replaced', async () => {
    const stack = 'ep';
    t = ctxFor(stack);
    const { res } = await providerSide(stack);
    const ctx = t.ctx(CONSUMER);
    const r = pick(res, 'vpc-endpoint', 'analytics/vpc-endpoint/b-1');
    assert.equal(r.account, CONSUMER);
    assert.equal(r.props.subnetIds.length, 3);
    assert.equal(await vpcEndpoint.handler.read(ctx, r, undefined), undefined);

    const o = await make(vpcEndpoint.handler, r);
    assert.match(o.physicalId, /^vpce-/);
    assert.deepEqual(Object.keys(o.outputs).sort(), ['dnsName', 'endpointId', 'hostedZoneId', 'state']);
    assert.equal(o.outputs.endpointId, o.physicalId);
    assert.equal(o.outputs.state, 'pendingAcceptance', 'the provider has not accepted it yet');
    // The regional entry (no AZ suffix), which alias records point at.
    assert.match(String(o.outputs.dnsName), new RegExp(`^${o.physicalId}-[a-z0-9]+\\.vpce-svc-[0-9a-f]+\\.`));
    assert.ok(String(o.outputs.hostedZoneId).length > 0);
    assertNoop(vpcEndpoint, r, o);
    assertNoop(vpcEndpoint, r, await vpcEndpoint.handler.read(ctx, r, instanceOf(r, o)));
    const adopted = await vpcEndpoint.handler.read(ctx, r, undefined);
    assertNoop(vpcEndpoint, r, adopted);
    assert.equal(adopted.physicalId, o.physicalId);
    assert.equal((await vpcEndpoint.handler.create(ctx, r)).physicalId, o.physicalId);
    assert.deepEqual(
      (await endpointsTagged(consumer, stack, r.id)).map((e) => e.VpcEndpointId),
      [o.physicalId],
      'one endpoint, not two',
    );

    // In place: one subnet fewer, a second security group.
    const changed: typeof r = {
      ...r,
      props: {
        ...r.props,
        subnetIds: r.props.subnetIds.slice(0, 2),
        azIds: r.props.azIds.slice(0, 2),
        securityGroups: ['analytics/security-group', 'analytics/security-group-2'],
      },
    };
    assert.equal(compareProps(vpcEndpoint, changed.props, o.props).action, 'update');
    const u = await vpcEndpoint.handler.update?.(ctx, changed, o);
    assertNoop(vpcEndpoint, changed, u);
    assert.equal(u.physicalId, o.physicalId);
    const aws = (await endpointsTagged(consumer, stack, r.id))[0];
    assert.deepEqual([...(aws?.SubnetIds ?? [])].sort(), [...changed.props.subnetIds].sort());
    assert.deepEqual((aws?.Groups ?? []).map((g) => g.GroupId).sort(), [sgA, sgB].sort());

    // Rejected by the provider: it still exists (and must be deleted), but never works again: it
    // reads as unusable, found by id and by tags, so the plan replaces it and destroy deletes it.
    const svcId = String(stateOf('endpoint-service', 'b-1/endpoint-service').physicalId);
    await provider.ec2.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: svcId, VpcEndpointIds: [o.physicalId] }),
    );
    const dead = await vpcEndpoint.handler.read(ctx, changed, instanceOf(changed, u));
    assert.equal(dead?.physicalId, o.physicalId);
    assert.equal(dead?.unusable, true);
    const deadByTags = await vpcEndpoint.handler.read(ctx, changed, undefined);
    assert.equal(deadByTags?.physicalId, o.physicalId);
    assert.equal(deadByTags?.unusable, true);
    const fresh = await make(vpcEndpoint.handler, changed);
    assert.notEqual(fresh.physicalId, o.physicalId);
    assert.equal(await endpointState(o.physicalId), 'absent', 'the rejected endpoint was deleted');
    const working = await vpcEndpoint.handler.read(ctx, changed, undefined);
    assertNoop(vpcEndpoint, changed, working);
    assert.equal(working?.unusable, undefined);

    await vpcEndpoint.handler.delete(ctx, instanceOf(changed, fresh));
    assert.equal(await endpointState(fresh.physicalId), 'absent');
    assert.equal(await vpcEndpoint.handler.read(ctx, changed, instanceOf(changed, fresh)), undefined);
    assert.equal(await vpcEndpoint.handler.read(ctx, changed, undefined), undefined);
    await vpcEndpoint.handler.delete(ctx, instanceOf(changed, fresh));
    // An id AWS does not know (never made, or long deleted): nothing to do.
    await vpcEndpoint.handler.delete(ctx, {
      ...instanceOf(changed, fresh),
      physicalId: 'vpce-0000000000000000f',
    });
  });

  it('endpoint-connection-acceptance: accepts, waits for available in the consumer account, reads back, rejects on delete', async () => {
    const stack = 'acc';
    t = ctxFor(stack);
    const { res, svc } = await providerSide(stack);
    const epR = pick(res, 'vpc-endpoint', 'analytics/vpc-endpoint/b-1');
    const ep = await make(vpcEndpoint.handler, epR);
    const r = pick(res, 'endpoint-connection-acceptance', 'analytics/endpoint-connection-acceptance/b-1');
    assert.deepEqual(r.props, {
      service: 'b-1/endpoint-service',
      endpoint: 'analytics/vpc-endpoint/b-1',
      endpointAccount: CONSUMER,
    });
    assert.equal(r.account, PROVIDER);
    const ctx = t.ctx(PROVIDER);
    assert.equal(
      await endpointConnectionAcceptance.handler.read(ctx, r, undefined),
      undefined,
      'pendingAcceptance: not yet accepted',
    );

    await twin.control.resetCounters();
    const o = await make(endpointConnectionAcceptance.handler, r);
    assert.equal(o.physicalId, `${svc.physicalId}:${ep.physicalId}`);
    assert.equal(
      await endpointState(ep.physicalId),
      'available',
      'create waits until the endpoint is available',
    );
    assert.equal(o.outputs.state, 'available');
    assertNoop(endpointConnectionAcceptance, r, o);
    assertNoop(
      endpointConnectionAcceptance,
      r,
      await endpointConnectionAcceptance.handler.read(ctx, r, instanceOf(r, o)),
    );
    const viaRefs = await endpointConnectionAcceptance.handler.read(ctx, r, undefined);
    assertNoop(endpointConnectionAcceptance, r, viaRefs);
    assert.equal(viaRefs.physicalId, o.physicalId);
    assert.equal((await endpointConnectionAcceptance.handler.create(ctx, r)).physicalId, o.physicalId);
    assert.equal(
      await twin.control.callCount({ account: PROVIDER, action: 'AcceptVpcEndpointConnections' }),
      1,
      'a repeated create does not accept again',
    );
    const epNow = await vpcEndpoint.handler.read(t.ctx(CONSUMER), epR, instanceOf(epR, ep));
    assert.equal(epNow?.outputs.state, 'available');

    await endpointConnectionAcceptance.handler.delete(ctx, instanceOf(r, o));
    assert.equal(await endpointState(ep.physicalId), 'rejected');
    assert.equal(await endpointConnectionAcceptance.handler.read(ctx, r, instanceOf(r, o)), undefined);
    assert.equal(
      (await vpcEndpoint.handler.read(t.ctx(CONSUMER), epR, instanceOf(epR, ep)))?.unusable,
      true,
      'a rejected endpoint is still there, unusable',
    );
    await endpointConnectionAcceptance.handler.delete(ctx, instanceOf(r, o));
    // A rejected endpoint cannot be accepted again: a clear failure, not a wait.
    await rejectsWith(
      endpointConnectionAcceptance.handler.create(ctx, r),
      'ENDPOINT_CONNECTION_DEAD',
      /rejected/,
    );

    // Destroy killed right after the rejection, then run again: the rejected endpoint is deleted.
    await vpcEndpoint.handler.delete(t.ctx(CONSUMER), instanceOf(epR, ep));
    assert.equal(await endpointState(ep.physicalId), 'absent', 'the rejected endpoint was deleted');
    assert.equal(await vpcEndpoint.handler.read(t.ctx(CONSUMER), epR, undefined), undefined);
    await endpointConnectionAcceptance.handler.delete(ctx, instanceOf(r, o));
  });

  it('endpoint-connection-acceptance on a service without acceptance: no accept call, still waits for available', async () => {
    const stack = 'noacc';
    t = ctxFor(stack);
    const res = plan(stack);
    await make(loadBalancer.handler, pick(res, 'load-balancer', 'b-1/load-balancer'));
    const svcR = pick(res, 'endpoint-service', 'b-1/endpoint-service');
    await make(endpointService.handler, { ...svcR, props: { ...svcR.props, acceptanceRequired: false } });
    await make(
      endpointServicePermissions.handler,
      pick(res, 'endpoint-service-permissions', 'b-1/endpoint-service-permissions'),
    );
    const epR = pick(res, 'vpc-endpoint', 'analytics/vpc-endpoint/b-1');
    const ep = await make(vpcEndpoint.handler, epR);
    assert.notEqual(ep.outputs.state, 'pendingAcceptance');
    const r = pick(res, 'endpoint-connection-acceptance', 'analytics/endpoint-connection-acceptance/b-1');
    await twin.control.resetCounters();
    const o = await make(endpointConnectionAcceptance.handler, r);
    assert.equal(await endpointState(ep.physicalId), 'available');
    assert.equal(await twin.control.callCount({ action: 'AcceptVpcEndpointConnections' }), 0);
    assertNoop(
      endpointConnectionAcceptance,
      r,
      await endpointConnectionAcceptance.handler.read(t.ctx(PROVIDER), r, instanceOf(r, o)),
    );
    // Destroy in plan order: acceptance (reject), endpoint, service, NLB.
    await endpointConnectionAcceptance.handler.delete(t.ctx(PROVIDER), instanceOf(r, o));
    await vpcEndpoint.handler.delete(t.ctx(CONSUMER), instanceOf(epR, ep));
    await endpointService.handler.delete(t.ctx(PROVIDER), stateOf('endpoint-service', svcR.id));
    await loadBalancer.handler.delete(t.ctx(PROVIDER), stateOf('load-balancer', 'b-1/load-balancer'));
  });

  it('full flow: NLB, service, permissions, endpoint, acceptance; a non-allowed account is refused; the service is deleted with a live connection', async () => {
    const stack = 'flow';
    t = ctxFor(stack);
    const { res, lb, svc, svcR, permR, perm } = await providerSide(stack);
    const epR = pick(res, 'vpc-endpoint', 'analytics/vpc-endpoint/b-1');
    const ep = await make(vpcEndpoint.handler, epR);
    const accR = pick(res, 'endpoint-connection-acceptance', 'analytics/endpoint-connection-acceptance/b-1');
    const acc = await make(endpointConnectionAcceptance.handler, accR);
    assert.equal(await endpointState(ep.physicalId), 'available');
    const epNow = await vpcEndpoint.handler.read(t.ctx(CONSUMER), epR, instanceOf(epR, ep));
    assertNoop(vpcEndpoint, epR, epNow);
    assert.equal(epNow.outputs.state, 'available');
    assert.equal(epNow.outputs.dnsName, ep.outputs.dnsName);

    // An endpoint from an account the service does not allow: refused, naming the account and what to fix.
    const strangerR: ResourceOf<'vpc-endpoint'> = {
      ...epR,
      id: 'stranger/vpc-endpoint/b-1',
      account: STRANGER,
      props: {
        ...epR.props,
        name: 'mpl-flow-stranger-b-1',
        vpcId: snet.vpcId,
        subnetIds: snet.subnets.map((s) => s.id),
        azIds: snet.subnets.map((s) => s.availabilityZoneId),
        securityGroups: ['stranger/security-group'],
        clientToken: 'mpl-stranger-token',
        tags: { ...epR.props.tags, [TAG_ID]: 'stranger/vpc-endpoint/b-1' },
      },
    };
    const err = await rejectsWith(
      vpcEndpoint.handler.create(t.ctx(STRANGER), strangerR),
      'ENDPOINT_SERVICE_NOT_ALLOWED',
      new RegExp(`${STRANGER}.*${String(svc.outputs.serviceName).replace(/\./g, '\\.')}`),
    );
    assert.match(err.detail ?? '', new RegExp(`arn:aws:iam::${STRANGER}:root`));
    assert.equal(errName(err.cause), 'InvalidServiceName');
    assert.deepEqual(await endpointsTagged(stranger, stack, strangerR.id), []);

    // Destroy in the order AWS accepts: the service goes first here, with the connection still live.
    await endpointService.handler.delete(t.ctx(PROVIDER), stateOf('endpoint-service', svcR.id));
    assert.equal(await endpointService.handler.read(t.ctx(PROVIDER), svcR, instanceOf(svcR, svc)), undefined);
    assert.equal(await endpointState(ep.physicalId), 'rejected', 'delete rejected the connection first');
    assert.equal(
      await endpointConnectionAcceptance.handler.read(t.ctx(PROVIDER), accR, instanceOf(accR, acc)),
      undefined,
    );
    assert.equal(
      await endpointServicePermissions.handler.read(t.ctx(PROVIDER), permR, instanceOf(permR, perm)),
      undefined,
    );
    await endpointConnectionAcceptance.handler.delete(t.ctx(PROVIDER), instanceOf(accR, acc));
    await endpointServicePermissions.handler.delete(t.ctx(PROVIDER), instanceOf(permR, perm));
    await vpcEndpoint.handler.delete(t.ctx(CONSUMER), instanceOf(epR, ep));
    assert.equal(await endpointState(ep.physicalId), 'absent');
    await loadBalancer.handler.delete(t.ctx(PROVIDER), stateOf('load-balancer', 'b-1/load-balancer'));
    assert.equal(
      await loadBalancer.handler.read(
        t.ctx(PROVIDER),
        undefined,
        stateOf('load-balancer', 'b-1/load-balancer'),
      ),
      undefined,
      `${String(lb.outputs.arn)} deleted`,
    );
  });
});

/** The test state's entry for a made resource of `kind`. */
function stateOf<K extends Kind>(kind: K, id: string): Instance<PropsOf<K>> {
  const k = t.known.get(id);
  assert.ok(k, `${id} is in the test state`);
  assert.equal(k.kind, kind, `${id} is a ${kind}`);
  return k as Instance<PropsOf<K>>;
}

function errName(e: unknown): string {
  return (e as { name?: string } | undefined)?.name ?? '';
}
