// Handlers for target groups, NLBs and listeners against the AWS twin through real SDK clients.
// Desired resources come from the real planner (pattern 2: a shared cross-zone NLB over three
// subnets with the NLBs' security group, a bootstrap target group of every broker, one target group
// and listener per broker).
import assert from 'node:assert/strict';
import { CreateSecurityGroupCommand, DeleteSecurityGroupCommand } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenerAttributesCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  SetSecurityGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { MplError } from '../../src/errors.js';
import type { Kind, ResourceOf } from '../../src/kinds/index.js';
import { compareProps, type Desired, type Handler, type Live } from '../../src/kinds/kind.js';
import { listener } from '../../src/kinds/listener.js';
import { loadBalancer } from '../../src/kinds/load-balancer.js';
import { securityGroup } from '../../src/kinds/security-group.js';
import { targetGroup } from '../../src/kinds/target-group.js';
import { planStack } from '../../src/planner/plan-stack.js';
import type { Instance } from '../../src/state/instance.js';
import { TestCtx, assertNoop, instanceOf } from '../support/handler-ctx.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';
import { startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc, type AccountNetwork, type Clients } from '../testbed/scenario.js';

const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const SG = 'provider/security-group';

let twin: AwsTwin;
let aws: Clients;
let net: AccountNetwork;
let t: TestCtx;

/** The planner's pattern 2 resources over the seeded VPC, provider subnets listed in a non-sorted order. */
function plan(): Array<ResourceOf<Kind>> {
  const [s1, s2, s3] = net.subnets as [
    AccountNetwork['subnets'][number],
    AccountNetwork['subnets'][number],
    AccountNetwork['subnets'][number],
  ];
  const brokers = brokersFor([1, 2, 3]).map((b, i) => {
    const s = net.subnets[i % 3] as AccountNetwork['subnets'][number];
    return { ...b, subnetId: s.id, availabilityZoneId: s.availabilityZoneId };
  });
  const config = configOf({
    name: 'elbtest',
    region: twin.region,
    pattern: 2,
    provider: {
      account: PROVIDER,
      vpcId: net.vpcId,
      // Deliberately not in AZ ID order: read must answer in the planner's order.
      subnets: [s3, s1, s2].map((s) => ({ id: s.id, azId: s.availabilityZoneId })),
    },
    consumers: [
      {
        ...consumerInput('analytics', CONSUMER),
        subnets: [{ id: 'subnet-0c1', azId: s1.availabilityZoneId }],
      },
    ],
  });
  return planStack(planInputOf(config, inventoryOf(brokers, { region: twin.region, vpcId: net.vpcId })))
    .resources as Array<ResourceOf<Kind>>;
}

function pick<K extends Kind>(kind: K, id: string): ResourceOf<K> {
  const r = plan().find((x) => x.kind === kind && x.id === id);
  assert.ok(r, `planner emits ${kind} ${id}`);
  return r as ResourceOf<K>;
}

async function make<P>(h: Handler<P>, r: Desired<P>): Promise<Live<P>> {
  const o = await h.create(t.ctx(r.account), r);
  t.remember(r, o);
  return o;
}

async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof MplError, `an MplError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('ELBv2 handlers (target group, load balancer, listener) on the AWS twin', function () {
  this.timeout(60_000);

  before(async () => {
    twin = await startAwsTwin({
      delaysMs: { nlbActiveMs: 100, endpointAvailableMs: 100, route53ChangeMs: 100 },
    });
    aws = clientsFor(twin, PROVIDER);
    net = await seedVpc(aws, '10.0.0.0/16');
  });

  after(async () => {
    t?.destroy();
    aws?.destroy();
    await twin?.stop();
  });

  beforeEach(async () => {
    t?.destroy();
    t = new TestCtx(twin, 'elbtest');
    // The NLBs' security group as planned (made once, found by name afterwards): the NLB refers to it.
    const sg = pick('security-group', SG);
    t.remember(sg, await securityGroup.handler.create(t.ctx(PROVIDER), sg));
  });

  describe('target-group', () => {
    it('creates, reads back as planned (by ARN and by name), adopts on a second create, updates targets and tags, deletes', async () => {
      const tg = pick('target-group', 'bootstrap/target-group/tls');
      assert.equal(tg.props.targets.length, 3);
      const ctx = t.ctx(PROVIDER);
      const made = await make(targetGroup.handler, tg);
      assert.match(made.physicalId, /:targetgroup\/mpl-elbtest-boot-tls\//);
      assert.deepEqual(made.outputs, { arn: made.physicalId });
      assertNoop(targetGroup, tg, made);

      const known = instanceOf(tg, made);
      const byArn = await targetGroup.handler.read(ctx, tg, known);
      assertNoop(targetGroup, tg, byArn);
      assert.equal(byArn?.physicalId, made.physicalId);
      // Destroy-time read: no desired resource, broker ids from state.
      assertNoop(targetGroup, tg, await targetGroup.handler.read(ctx, undefined, known));
      const byName = await targetGroup.handler.read(ctx, tg, undefined);
      assert.equal(byName?.physicalId, made.physicalId, 'a crashed run adopts the group by name');
      assertNoop(targetGroup, tg, byName);

      const again = await targetGroup.handler.create(ctx, tg);
      assert.equal(again.physicalId, made.physicalId, 'no duplicate');
      const all = await aws.elbv2.send(new DescribeTargetGroupsCommand({}));
      assert.equal(all.TargetGroups?.filter((g) => g.TargetGroupName === tg.props.name).length, 1);

      // A broker replaced by one with another IP, and a tag added.
      const [b1, b2] = tg.props.targets as [
        (typeof tg.props.targets)[number],
        (typeof tg.props.targets)[number],
      ];
      const changed = {
        ...tg,
        props: {
          ...tg.props,
          targets: [b1, b2, { ip: '10.0.3.99', port: b1.port, brokerId: 4 }],
          tags: { ...tg.props.tags, team: 'payments' },
        },
      };
      const before = await targetGroup.handler.read(ctx, changed, known);
      assert.ok(before);
      assert.equal(compareProps(targetGroup, changed.props, before.props).action, 'update');
      assert.deepEqual(compareProps(targetGroup, changed.props, before.props).changed, ['tags', 'targets']);
      const updated = await targetGroup.handler.update!(ctx, changed, before);
      assertNoop(targetGroup, changed, updated);
      assertNoop(targetGroup, changed, await targetGroup.handler.read(ctx, changed, known));

      // A target registered out of band: AWS does not know its broker, so it shows as a difference.
      await aws.elbv2.send(
        new RegisterTargetsCommand({
          TargetGroupArn: made.physicalId,
          Targets: [{ Id: '10.0.2.77', Port: b1.port }],
        }),
      );
      const drifted = await targetGroup.handler.read(ctx, changed, known);
      assert.ok(drifted);
      assert.deepEqual(
        drifted.props.targets.find((x) => x.ip === '10.0.2.77'),
        { ip: '10.0.2.77', port: b1.port, brokerId: -1 },
      );
      assert.equal(compareProps(targetGroup, changed.props, drifted.props).action, 'update');
      assertNoop(targetGroup, changed, await targetGroup.handler.update!(ctx, changed, drifted));

      await targetGroup.handler.delete(ctx, known);
      assert.equal(await targetGroup.handler.read(ctx, tg, known), undefined);
      assert.equal(await targetGroup.handler.read(ctx, tg, undefined), undefined);
      await targetGroup.handler.delete(ctx, known);
    });

    it('refuses to adopt a same-named group of another stack', async () => {
      const tg = pick('target-group', 'b-2/target-group/tls');
      const foreign = await aws.elbv2.send(
        new CreateTargetGroupCommand({
          Name: tg.props.name,
          Protocol: 'TCP',
          Port: tg.props.port,
          VpcId: tg.props.vpcId,
          TargetType: 'ip',
          Tags: [
            { Key: 'msk-privatelink:stack', Value: 'other' },
            { Key: 'msk-privatelink:id', Value: tg.id },
          ],
        }),
      );
      await rejects(targetGroup.handler.read(t.ctx(PROVIDER), tg, undefined), 'NAME_TAKEN');
      await rejects(targetGroup.handler.create(t.ctx(PROVIDER), tg), 'NAME_TAKEN');
      const arn = foreign.TargetGroups?.[0]?.TargetGroupArn;
      assert.ok(arn);
      // The refused create changed nothing on the other stack's group: no targets registered.
      const health = await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
      assert.deepEqual(health.TargetHealthDescriptions ?? [], []);
      // Clean up through the handler (a state-like entry for the other stack's group).
      const entry: Instance<typeof tg.props> = {
        id: tg.id,
        kind: tg.kind,
        account: PROVIDER,
        region: twin.region,
        physicalId: arn,
        props: tg.props,
        dependsOn: [],
        outputs: {},
        status: 'ready',
      };
      await targetGroup.handler.delete(t.ctx(PROVIDER), entry);
      assert.equal(await targetGroup.handler.read(t.ctx(PROVIDER), tg, entry), undefined);
    });
  });

  describe('load-balancer', () => {
    it('creates and waits until active, reads back in the planner subnet order, adopts, updates cross-zone and tags, deletes', async () => {
      const lb = pick('load-balancer', 'shared/load-balancer');
      assert.equal(lb.props.crossZone, true);
      assert.deepEqual(
        lb.props.azIds,
        [net.subnets[2], net.subnets[0], net.subnets[1]].map((s) => s?.availabilityZoneId),
      );
      const ctx = t.ctx(PROVIDER);
      const started = Date.now();
      const made = await make(loadBalancer.handler, lb);
      assert.ok(Date.now() - started >= 90, 'waited for provisioning -> active');
      assert.match(made.physicalId, /:loadbalancer\/net\/mpl-elbtest-shared\//);
      assert.deepEqual(Object.keys(made.outputs).sort(), ['arn', 'canonicalHostedZoneId', 'dnsName']);
      assert.equal(made.outputs.arn, made.physicalId);
      assert.match(String(made.outputs.dnsName), /^mpl-elbtest-shared-.*\.elb\./);
      assert.ok(made.outputs.canonicalHostedZoneId);
      assertNoop(loadBalancer, lb, made);

      const known = instanceOf(lb, made);
      assertNoop(loadBalancer, lb, await loadBalancer.handler.read(ctx, lb, known));
      assertNoop(loadBalancer, lb, await loadBalancer.handler.read(ctx, undefined, known));
      const byName = await loadBalancer.handler.read(ctx, lb, undefined);
      assert.equal(byName?.physicalId, made.physicalId);
      const again = await loadBalancer.handler.create(ctx, lb);
      assert.equal(again.physicalId, made.physicalId, 'no duplicate');

      const changed = {
        ...lb,
        props: { ...lb.props, crossZone: false, tags: { ...lb.props.tags, Name: 'renamed' } },
      };
      const before = await loadBalancer.handler.read(ctx, changed, known);
      assert.ok(before);
      assert.deepEqual(compareProps(loadBalancer, changed.props, before.props), {
        action: 'update',
        changed: ['crossZone', 'tags'],
        forcing: [],
      });
      assertNoop(loadBalancer, changed, await loadBalancer.handler.update!(ctx, changed, before));
      assertNoop(loadBalancer, changed, await loadBalancer.handler.read(ctx, changed, known));

      await loadBalancer.handler.delete(ctx, known);
      assert.equal(await loadBalancer.handler.read(ctx, lb, known), undefined);
      assert.equal(await loadBalancer.handler.read(ctx, lb, undefined), undefined);
      await loadBalancer.handler.delete(ctx, known);
    });

    it('creates with the NLBs’ security group (enforcement on), reads it back by its logical id, sets the enforcement and the groups in place; none to some is a replace', async () => {
      const lb = pick('load-balancer', 'shared/load-balancer');
      assert.deepEqual(lb.props.securityGroups, [SG]);
      assert.equal(lb.props.enforcePrivateLinkInboundRules, 'on');
      assert.deepEqual(lb.dependsOn, [SG]);
      const sg = t.known.get(SG)?.physicalId as string;
      assert.match(sg, /^sg-/);
      const group = async (name: string) =>
        (
          await aws.ec2.send(
            new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: net.vpcId }),
          )
        ).GroupId as string;
      const ctx = t.ctx(PROVIDER);
      const described = async (arn: string) =>
        (await aws.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] })))
          .LoadBalancers?.[0];

      const made = await make(loadBalancer.handler, lb);
      assertNoop(loadBalancer, lb, made);
      assert.deepEqual(made.props.securityGroups, [SG]);
      assert.equal(made.props.enforcePrivateLinkInboundRules, 'on');
      const live = await described(made.physicalId);
      assert.deepEqual(live?.SecurityGroups, [sg]);
      assert.equal(live?.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'on');

      const known = instanceOf(lb, made);
      assertNoop(loadBalancer, lb, await loadBalancer.handler.read(ctx, lb, known));
      assertNoop(loadBalancer, lb, await loadBalancer.handler.read(ctx, undefined, known));
      assertNoop(loadBalancer, lb, await loadBalancer.handler.read(ctx, lb, undefined));
      // Found from nothing: the group found names it, and it depends on the group.
      const found = new Map([[SG, t.known.get(SG) as Instance]]);
      const scanned = (await loadBalancer.scan!(ctx, found)).find((x) => x.id === lb.id);
      assert.deepEqual(scanned?.dependsOn, [SG]);
      assert.deepEqual(scanned?.live.props.securityGroups, [SG]);

      // Enforcement off: SetSecurityGroups in place, the groups kept.
      const off = { ...lb, props: { ...lb.props, enforcePrivateLinkInboundRules: 'off' as const } };
      assert.deepEqual(compareProps(loadBalancer, off.props, made.props), {
        action: 'update',
        changed: ['enforcePrivateLinkInboundRules'],
        forcing: [],
      });
      assertNoop(loadBalancer, off, await loadBalancer.handler.update!(ctx, off, made));
      assert.equal(
        (await described(made.physicalId))?.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic,
        'off',
      );

      // Another group set out of band: shown by its AWS id, put back in place (one list for another).
      const other = await group(`mpl-elbtest-other-${Date.now()}`);
      await aws.elbv2.send(
        new SetSecurityGroupsCommand({ LoadBalancerArn: made.physicalId, SecurityGroups: [sg, other] }),
      );
      const drifted = await loadBalancer.handler.read(ctx, lb, known);
      assert.ok(drifted);
      assert.deepEqual(drifted.props.securityGroups, [SG, other]);
      assert.deepEqual(compareProps(loadBalancer, lb.props, drifted.props), {
        action: 'update',
        changed: ['enforcePrivateLinkInboundRules', 'securityGroups'],
        forcing: [],
      });
      assertNoop(loadBalancer, lb, await loadBalancer.handler.update!(ctx, lb, drifted));
      const back = await described(made.physicalId);
      assert.deepEqual(back?.SecurityGroups, [sg]);
      assert.equal(back?.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'on');
      await aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: other }));

      // The group is held while the NLB uses it.
      await assert.rejects(
        aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg })),
        (e: Error) => e.name === 'DependencyViolation',
      );
      await loadBalancer.handler.delete(ctx, known);
      assert.equal(await loadBalancer.handler.read(ctx, lb, known), undefined);

      // An NLB made without groups (by an earlier version, or kept so by the planner): a group is a
      // replace, not an update, because AWS refuses SetSecurityGroups on it.
      const { enforcePrivateLinkInboundRules: _on, ...bareProps } = lb.props;
      const planned: typeof lb = { ...lb, props: { ...bareProps, securityGroups: [] }, dependsOn: [] };
      const bare = await make(loadBalancer.handler, planned);
      assertNoop(loadBalancer, planned, bare);
      assert.deepEqual(bare.props.securityGroups, []);
      assert.equal(bare.props.enforcePrivateLinkInboundRules, undefined);
      const plain = await described(bare.physicalId);
      assert.equal(plain?.SecurityGroups, undefined);
      assert.equal(plain?.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, undefined);
      assert.deepEqual(compareProps(loadBalancer, lb.props, bare.props), {
        action: 'replace',
        changed: ['enforcePrivateLinkInboundRules', 'securityGroups'],
        forcing: ['securityGroups'],
      });
      await assert.rejects(
        aws.elbv2.send(
          new SetSecurityGroupsCommand({ LoadBalancerArn: bare.physicalId, SecurityGroups: [sg] }),
        ),
        (e: Error) =>
          /^InvalidConfigurationRequest/.test(e.name) &&
          /created without any security groups/.test(e.message),
      );
      // An update asked anyway changes nothing (and says why): the diff never asks it.
      assertNoop(loadBalancer, planned, await loadBalancer.handler.update!(ctx, lb, bare));
      assert.match(t.messages.join('\n'), /security groups between none and some need a new NLB/);
      // So is the way back (AWS refuses removing every group).
      assert.deepEqual(compareProps(loadBalancer, planned.props, made.props).forcing, ['securityGroups']);
      // A state written before the prop existed reads as no groups: planned so, no change.
      const { securityGroups: _none, ...legacy } = planned.props;
      assert.equal(
        compareProps(loadBalancer, planned.props, { ...legacy, securityGroups: [] }).action,
        'noop',
      );
      assert.deepEqual(compareProps(loadBalancer, lb.props, legacy).forcing, ['securityGroups']);
      await loadBalancer.handler.delete(ctx, instanceOf(planned, bare));

      // Made with enforcement off from the start: set right after the create.
      const offFromStart = await make(loadBalancer.handler, off);
      assertNoop(loadBalancer, off, offFromStart);
      assert.equal(
        (await described(offFromStart.physicalId))?.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic,
        'off',
      );
      await loadBalancer.handler.delete(ctx, instanceOf(off, offFromStart));
    });

    it('turns ResourceInUse on delete into RESOURCE_IN_USE with the hint', async () => {
      const lb = pick('load-balancer', 'shared/load-balancer');
      const made = await make(loadBalancer.handler, lb);
      const known = instanceOf(lb, made);
      await twin.control.injectFault({
        service: 'elbv2',
        action: 'DeleteLoadBalancer',
        kind: 'error',
        code: 'ResourceInUse',
        count: 1,
      });
      await rejects(
        loadBalancer.handler.delete(t.ctx(PROVIDER), known),
        'RESOURCE_IN_USE',
        /^load balancer mpl-elbtest-shared \(shared\/load-balancer\): ResourceInUse\w*: .*: an endpoint service still uses it/,
      );
      await loadBalancer.handler.delete(t.ctx(PROVIDER), known);
      assert.equal(await loadBalancer.handler.read(t.ctx(PROVIDER), lb, known), undefined);
    });

    it('refuses to adopt a same-named NLB of another stack, before changing its cross-zone', async () => {
      const lb = pick('load-balancer', 'shared/load-balancer');
      const foreign = await aws.elbv2.send(
        new CreateLoadBalancerCommand({
          Name: lb.props.name,
          Type: 'network',
          Scheme: 'internal',
          Subnets: lb.props.subnetIds,
          // The same settings as planned, so CreateLoadBalancer answers it (idempotent) and the owner check refuses it.
          SecurityGroups: [t.known.get(SG)?.physicalId as string],
          Tags: [
            { Key: 'msk-privatelink:stack', Value: 'other' },
            { Key: 'msk-privatelink:id', Value: lb.id },
          ],
        }),
      );
      const arn = foreign.LoadBalancers?.[0]?.LoadBalancerArn;
      assert.ok(arn);
      await rejects(loadBalancer.handler.read(t.ctx(PROVIDER), lb, undefined), 'NAME_TAKEN');
      await rejects(loadBalancer.handler.create(t.ctx(PROVIDER), lb), 'NAME_TAKEN');
      // The refused create (an idempotent CreateLoadBalancer answered the foreign NLB) left it as it was.
      const attrs = await aws.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }));
      assert.equal(
        attrs.Attributes?.find((a) => a.Key === 'load_balancing.cross_zone.enabled')?.Value,
        'false',
      );
      const entry: Instance<typeof lb.props> = {
        id: lb.id,
        kind: lb.kind,
        account: PROVIDER,
        region: twin.region,
        physicalId: arn,
        props: lb.props,
        dependsOn: [],
        outputs: {},
        status: 'ready',
      };
      await loadBalancer.handler.delete(t.ctx(PROVIDER), entry);
      assert.equal(await loadBalancer.handler.read(t.ctx(PROVIDER), lb, entry), undefined);
    });

    it('fails the wait when the load balancer never becomes active', async () => {
      const lb = pick('load-balancer', 'shared/load-balancer');
      await twin.control.setDelays({ nlbActiveMs: 60_000 });
      try {
        await rejects(
          loadBalancer.handler.create(t.ctx(PROVIDER, twin.region, { intervalMs: 50, timeoutMs: 300 }), lb),
          'WAIT_TIMEOUT',
        );
      } finally {
        await twin.control.setDelays({ nlbActiveMs: 100 });
      }
      const o = await loadBalancer.handler.read(t.ctx(PROVIDER), lb, undefined);
      assert.ok(o, 'the provisioning NLB is found by name');
      await loadBalancer.handler.delete(t.ctx(PROVIDER), instanceOf(lb, o));
    });
  });

  describe('listener', () => {
    it('creates on the referenced NLB and target group, adopts by port, modifies port and target group, deletes; the target group waits for it', async () => {
      const lb = pick('load-balancer', 'shared/load-balancer');
      const ls = pick('listener', 'b-1/listener/tls');
      const tg1 = pick('target-group', 'b-1/target-group/tls');
      const tg2 = pick('target-group', 'b-2/target-group/tls');
      const ctx = t.ctx(PROVIDER);
      const nlb = await make(loadBalancer.handler, lb);
      const g1 = await make(targetGroup.handler, tg1);
      const g2 = await make(targetGroup.handler, tg2);

      const made = await make(listener.handler, ls);
      assert.match(made.physicalId, /:listener\/net\/mpl-elbtest-shared\//);
      assert.deepEqual(made.outputs, { arn: made.physicalId });
      assertNoop(listener, ls, made);
      const known = instanceOf(ls, made);
      assertNoop(listener, ls, await listener.handler.read(ctx, ls, known));
      const byPort = await listener.handler.read(ctx, ls, undefined);
      assert.equal(byPort?.physicalId, made.physicalId, 'found on the NLB by port');
      const again = await listener.handler.create(ctx, ls);
      assert.equal(again.physicalId, made.physicalId, 'DuplicateListener with the same target group adopts');

      // Another listener wanting the same port with another target group is refused.
      const clash = { ...ls, id: 'b-9/listener/tls', props: { ...ls.props, targetGroup: tg2.id } };
      await rejects(listener.handler.create(ctx, clash), 'LISTENER_PORT_TAKEN');

      await rejects(
        targetGroup.handler.delete(ctx, instanceOf(tg1, g1)),
        'RESOURCE_IN_USE',
        /^target group .* \(b-1\/target-group\/tls\): ResourceInUse\w*: .*: a listener still forwards to it/,
      );

      const changed = { ...ls, props: { ...ls.props, port: ls.props.port + 100, targetGroup: tg2.id } };
      const before = await listener.handler.read(ctx, changed, known);
      assert.ok(before);
      assert.deepEqual(compareProps(listener, changed.props, before.props), {
        action: 'update',
        changed: ['port', 'targetGroup'],
        forcing: [],
      });
      const updated = await listener.handler.update!(ctx, changed, before);
      assertNoop(listener, changed, updated);
      assert.equal(updated.physicalId, made.physicalId);
      await targetGroup.handler.delete(ctx, instanceOf(tg1, g1)); // no longer used

      // A reference the stack does not know shows as the raw ARN (a difference, never a silent match).
      t.known.delete(tg2.id);
      const raw = await listener.handler.read(ctx, changed, known);
      assert.equal(raw?.props.targetGroup, g2.physicalId);

      await listener.handler.delete(ctx, known);
      assert.equal(await listener.handler.read(ctx, ls, known), undefined);
      await listener.handler.delete(ctx, known);
      await targetGroup.handler.delete(ctx, instanceOf(tg2, g2));
      await loadBalancer.handler.delete(ctx, instanceOf(lb, nlb));
      // With the NLB gone, a listener read without an ARN answers undefined, not an error.
      assert.equal(await listener.handler.read(ctx, ls, undefined), undefined);
    });

    it('sets the TCP idle timeout after the create, changes it in place, resets it when the plan drops it, and reads it only when planned or kept', async () => {
      const lb = pick('load-balancer', 'shared/load-balancer');
      const ls = pick('listener', 'b-1/listener/tls');
      const tg1 = pick('target-group', 'b-1/target-group/tls');
      // Kafka's default connections.max.idle.ms (540 s) plus a minute (planner/idle-timeout.ts).
      assert.equal(ls.props.idleTimeoutSeconds, 600);
      const ctx = t.ctx(PROVIDER);
      const nlb = await make(loadBalancer.handler, lb);
      await make(targetGroup.handler, tg1);
      const idleOf = async (arn: string) => {
        const out = await aws.elbv2.send(new DescribeListenerAttributesCommand({ ListenerArn: arn }));
        return out.Attributes?.find((a) => a.Key === 'tcp.idle_timeout.seconds')?.Value;
      };
      const attributeReads = () =>
        twin.control.callCount({ account: PROVIDER, action: 'DescribeListenerAttributes' });

      const made = await make(listener.handler, ls);
      assert.equal(made.props.idleTimeoutSeconds, 600);
      assert.equal(await idleOf(made.physicalId), '600');
      let known = instanceOf(ls, made);
      assertNoop(listener, ls, await listener.handler.read(ctx, ls, known));

      const longer = { ...ls, props: { ...ls.props, idleTimeoutSeconds: 960 } };
      const before = await listener.handler.read(ctx, longer, known);
      assert.ok(before);
      assert.deepEqual(compareProps(listener, longer.props, before.props), {
        action: 'update',
        changed: ['idleTimeoutSeconds'],
        forcing: [],
      });
      const updated = await listener.handler.update!(ctx, longer, before);
      assertNoop(listener, longer, updated);
      assert.equal(await idleOf(made.physicalId), '960');
      known = instanceOf(longer, updated);

      // The plan stops setting it (clients below 350 s): state still has it, so read looks and the
      // update puts AWS's default back; afterwards neither plan nor state has it and read does not ask.
      const { idleTimeoutSeconds: _dropped, ...rest } = ls.props;
      const plain = { ...ls, props: rest };
      const kept = await listener.handler.read(ctx, plain, known);
      assert.ok(kept);
      assert.equal(kept.props.idleTimeoutSeconds, 960);
      assert.deepEqual(compareProps(listener, plain.props, kept.props).changed, ['idleTimeoutSeconds']);
      const reset = await listener.handler.update!(ctx, plain, kept);
      assertNoop(listener, plain, reset);
      assert.equal(await idleOf(made.physicalId), '350');
      known = instanceOf(plain, reset);
      const reads = await attributeReads();
      assertNoop(listener, plain, await listener.handler.read(ctx, plain, known));
      assert.equal(
        await attributeReads(),
        reads,
        'a listener without an idle timeout costs no attribute read',
      );

      // A run killed between CreateListener and ModifyListenerAttributes: the next plan finds the
      // listener by port with the default, shows the change, and the create adopts and sets it.
      await listener.handler.delete(ctx, known);
      const raw = await aws.elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: nlb.physicalId,
          Protocol: 'TCP',
          Port: ls.props.port,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: t.known.get(tg1.id)!.physicalId }],
        }),
      );
      const rawArn = raw.Listeners![0]!.ListenerArn!;
      const found = await listener.handler.read(ctx, ls, undefined);
      assert.equal(found?.physicalId, rawArn);
      assert.equal(found?.props.idleTimeoutSeconds, 350);
      assert.ok(compareProps(listener, ls.props, found.props).changed.includes('idleTimeoutSeconds'));
      const adopted = await listener.handler.create(ctx, ls);
      assert.equal(adopted.physicalId, rawArn);
      assertNoop(listener, ls, adopted);
      assert.equal(await idleOf(rawArn), '600');
      await listener.handler.delete(ctx, instanceOf(ls, adopted));
    });
  });
});
