// `monitor`'s kinds against the AWS twin through real SDK clients: iam-role (trust in a service
// under a condition, one inline policy, both exact), security-group with managed egress (`to:
// 'vpc'` is every IPv4 CIDR block of the VPC, AWS's allow-all revoked), lambda-function (the real
// probe bundle, checked against the plan's digest), schedule (the owner marker in its description:
// schedules have no tags) and metric-alarm. Each kind: create and read back exactly the desired
// props, update in place, what was changed out of band read as a change and undone, adoption after
// a lost state, another stack's resource refused, delete, and scan by tags (or marker). Then a
// schedule fired through the twin runs the probe bundle in the VPC, which publishes its metrics,
// and the alarm on them fires.
//
// Loopback addresses: 127.0.61.x (a TCP server standing in for a broker that is not TLS, and an
// address with nothing listening), used by no other test (docs/testing.md, Addresses).
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListTagsForResourceCommand as ListAlarmTagsCommand,
  PutMetricAlarmCommand,
  TagResourceCommand as TagAlarmCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import {
  AssociateVpcCidrBlockCommand,
  AuthorizeSecurityGroupEgressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
  UpdateSecurityGroupRuleDescriptionsEgressCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListTagsCommand,
} from '@aws-sdk/client-lambda';
import {
  CreateScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
  type GetScheduleCommandOutput,
} from '@aws-sdk/client-scheduler';
import { strToU8, zipSync } from 'fflate';
import { iamRole, POLICY_NAME } from '../../src/kinds/iam-role.js';
import { kindDef, type Kind, type PropsOf, type ResourceOf } from '../../src/kinds/index.js';
import { TAG_ID, TAG_STACK, compareProps, type Live } from '../../src/kinds/kind.js';
import { lambdaFunction } from '../../src/kinds/lambda-function.js';
import { metricAlarm } from '../../src/kinds/metric-alarm.js';
import { schedule } from '../../src/kinds/schedule.js';
import { securityGroup } from '../../src/kinds/security-group.js';
import { ids } from '../../src/planner/ids.js';
import {
  MONITOR_HANDLER,
  MONITOR_RUNTIME,
  UNREACHABLE_METRIC,
  monitorNames,
} from '../../src/planner/monitor.js';
import { tagsFor } from '../../src/planner/names.js';
import { bundleSha256, probeBundle } from '../../src/probe/in-vpc/bundle.js';
import type { MonitorEvent } from '../../src/probe/in-vpc/event.js';
import type { Instance } from '../../src/state/instance.js';
import { refused } from '../support/refused.js';
import { TestCtx, assertNoop, instanceOf } from '../support/handler-ctx.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc, type AccountNetwork } from '../testbed/scenario.js';

const ACCOUNT = '616161616161';
const STACK = 'montest';
const OTHER_STACK = 'otherstack';
const CONSUMER = 'analytics';
const NAMESPACE = 'MskPrivateLink/MonitorTest';
const SECONDARY_CIDR = '100.64.0.0/16';
/** A broker that accepts TCP but is no TLS server, and an address where nothing listens. */
const BROKER_HOST = '127.0.61.1';
const DEAD_HOST = '127.0.61.2';

const names = monitorNames(STACK, CONSUMER);
const PROBE_ROLE = ids.monitorRole(CONSUMER, 'probe');
const SCHED_ROLE = ids.monitorRole(CONSUMER, 'scheduler');
const SG = ids.monitorSecurityGroup(CONSUMER);
const ALARM = ids.monitorAlarm(CONSUMER);

const sorted = <T>(xs: T[]): T[] => [...xs].sort();

/** A desired resource of kind K, its props checked by the kind's schema. */
function desired<K extends Kind>(
  kind: K,
  id: string,
  props: PropsOf<K>,
  dependsOn: string[] = [],
): ResourceOf<K> {
  kindDef(kind).props.parse(props);
  return { kind, id, account: ACCOUNT, region: 'us-east-1', props, dependsOn } as ResourceOf<K>;
}

/** IAM answers policy documents URL-encoded (RFC 3986). */
const decoded = (doc: string | undefined): unknown => JSON.parse(decodeURIComponent(doc ?? ''));

describe('handlers: monitor kinds (iam-role, security-group egress, lambda-function, schedule, metric-alarm) against the AWS twin', function () {
  this.timeout(60_000);
  let twin: AwsTwin;
  let net: AccountNetwork;
  let ec2: EC2Client;
  let iam: IAMClient;
  let lambda: LambdaClient;
  let scheduler: SchedulerClient;
  let cloudwatch: CloudWatchClient;
  /** This stack's "state" (made resources are remembered in it) and another stack's. */
  let t: TestCtx;
  let other: TestCtx;
  let azId: string;
  let fnId: string;
  let schedId: string;

  before(async () => {
    twin = await startAwsTwin({ delaysMs: { lambdaActiveMs: 100, lambdaEniReleaseMs: 300 } });
    const c = clientsFor(twin, ACCOUNT);
    try {
      net = await seedVpc(c, '10.61.0.0/16');
    } finally {
      c.destroy();
    }
    const config = clientConfigFor(twin, ACCOUNT);
    ec2 = new EC2Client(config);
    iam = new IAMClient(config);
    lambda = new LambdaClient(config);
    scheduler = new SchedulerClient(config);
    cloudwatch = new CloudWatchClient(config);
    t = new TestCtx(twin, STACK);
    other = new TestCtx(twin, OTHER_STACK);
    azId = net.subnets[0]?.availabilityZoneId as string;
    fnId = ids.monitorFunction(CONSUMER, azId);
    schedId = ids.monitorSchedule(CONSUMER, azId);
  });

  after(async () => {
    t?.destroy();
    other?.destroy();
    for (const c of [ec2, iam, lambda, scheduler, cloudwatch]) c?.destroy();
    await twin?.stop();
  });

  const ctx = () => t.ctx(ACCOUNT);
  const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
  const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

  // ------------------------------------------------------------------------------------- iam-role

  function roleProps(
    name: string,
    id: string,
    over: Partial<PropsOf<'iam-role'>> = {},
    stack = STACK,
  ): PropsOf<'iam-role'> {
    return {
      name,
      service: 'lambda.amazonaws.com',
      description: `msk-privatelink ${stack}: the monitor's in-VPC probe of ${CONSUMER}`,
      policyName: POLICY_NAME,
      statements: [
        {
          Effect: 'Allow',
          Action: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface',
          ],
          Resource: ['*'],
        },
        {
          Effect: 'Allow',
          Action: ['cloudwatch:PutMetricData'],
          Resource: ['*'],
          Condition: { StringEquals: { 'cloudwatch:namespace': NAMESPACE } },
        },
      ],
      tags: tagsFor(stack, id, name),
      ...over,
    };
  }

  const schedRole = (over: Partial<PropsOf<'iam-role'>> = {}) =>
    desired(
      'iam-role',
      SCHED_ROLE,
      roleProps(names.schedulerRole, SCHED_ROLE, {
        service: 'scheduler.amazonaws.com',
        trustCondition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        description: `msk-privatelink ${STACK}: runs the monitor's probe of ${CONSUMER}`,
        statements: [
          { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [fnArn(names.fn(azId))] },
        ],
        ...over,
      }),
    );
  const probeRole = () => desired('iam-role', PROBE_ROLE, roleProps(names.role, PROBE_ROLE));

  const trustDoc = (service: string, condition?: Record<string, Record<string, string>>) => ({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  });

  async function iamView(name: string) {
    const role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
    assert.ok(role);
    const policies = (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [];
    const tags = (await iam.send(new ListRoleTagsCommand({ RoleName: name }))).Tags ?? [];
    return {
      role,
      trust: decoded(role.AssumeRolePolicyDocument),
      policies: sorted(policies),
      tags: Object.fromEntries(tags.map((x) => [x.Key, x.Value])),
      policy: async (p: string) =>
        decoded((await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: p }))).PolicyDocument),
    };
  }

  describe('iam-role', () => {
    it('creates a role trusting a service under a condition, with one inline policy, and reads back exactly its props (documents URL-decoded)', async () => {
      const d = schedRole();
      const made = await iamRole.handler.create(ctx(), d);
      assert.equal(made.physicalId, names.schedulerRole);
      assert.deepEqual(made.props, d.props);
      assert.deepEqual(made.outputs, { arn: roleArn(names.schedulerRole), name: names.schedulerRole });

      const v = await iamView(names.schedulerRole);
      // IAM answers the documents URL-encoded: the kind must decode them.
      assert.match(v.role.AssumeRolePolicyDocument ?? '', /^%7B/i, 'the trust document is URL-encoded');
      assert.deepEqual(
        v.trust,
        trustDoc('scheduler.amazonaws.com', { StringEquals: { 'aws:SourceAccount': ACCOUNT } }),
      );
      assert.equal(v.role.Description, d.props.description);
      assert.deepEqual(v.policies, [POLICY_NAME]);
      assert.deepEqual(await v.policy(POLICY_NAME), { Version: '2012-10-17', Statement: d.props.statements });
      assert.deepEqual(v.tags, d.props.tags);

      const known = t.remember(d, made);
      assertNoop(iamRole, d, await iamRole.handler.read(ctx(), d, known));
      assert.deepEqual((await iamRole.handler.read(ctx(), undefined, known))?.props, d.props);

      // The probe's role: no trust condition (and none read back), statements with a Condition.
      const p = probeRole();
      const probe = await iamRole.handler.create(ctx(), p);
      assert.deepEqual(probe.props, p.props);
      assert.ok(!('trustCondition' in probe.props), 'no trustCondition key when the trust has none');
      assert.deepEqual((await iamView(names.role)).trust, trustDoc('lambda.amazonaws.com'));
      t.remember(p, probe);
    });

    it('updates the trust condition, description and statements in place', async () => {
      const roleId = (await iamView(names.schedulerRole)).role.RoleId;
      const d = schedRole({
        trustCondition: {
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
          ArnLike: {
            'aws:SourceArn': `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/mpl-${STACK}-*`,
          },
        },
        description: `msk-privatelink ${STACK}: runs the monitor's probe of ${CONSUMER} (every AZ)`,
        statements: [
          { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [fnArn(names.fn(azId))] },
          { Effect: 'Deny', Action: ['lambda:InvokeFunction'], Resource: [fnArn('elsewhere')] },
        ],
      });
      const known = t.known.get(SCHED_ROLE) as Instance<PropsOf<'iam-role'>>;
      const before = await iamRole.handler.read(ctx(), d, known);
      assert.ok(before);
      assert.deepEqual(compareProps(iamRole, d.props, before.props), {
        action: 'update',
        changed: ['description', 'statements', 'trustCondition'],
        forcing: [],
      });
      const after = await iamRole.handler.update?.(ctx(), d, before);
      assert.deepEqual(after?.props, d.props);

      const v = await iamView(names.schedulerRole);
      assert.equal(v.role.RoleId, roleId, 'changed in place, not made again');
      assert.deepEqual(v.trust, trustDoc('scheduler.amazonaws.com', d.props.trustCondition));
      assert.equal(v.role.Description, d.props.description);
      assert.deepEqual(v.policies, [POLICY_NAME]);
      assert.deepEqual(await v.policy(POLICY_NAME), { Version: '2012-10-17', Statement: d.props.statements });
      assertNoop(iamRole, d, await iamRole.handler.read(ctx(), d, known));

      // Back to the planned role (the schedule below runs with it).
      const back = schedRole();
      const now = await iamRole.handler.read(ctx(), back, known);
      assert.ok(now);
      await iamRole.handler.update?.(ctx(), back, now);
      assertNoop(iamRole, back, await iamRole.handler.read(ctx(), back, known));
      assert.deepEqual(
        (await iamView(names.schedulerRole)).trust,
        trustDoc('scheduler.amazonaws.com', back.props.trustCondition),
      );
    });

    it('reads a second inline policy added out of band as a change, and an update removes it (also when ours was replaced)', async () => {
      const d = probeRole();
      const known = t.known.get(PROBE_ROLE) as Instance<PropsOf<'iam-role'>>;
      const extra = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
      });
      await iam.send(
        new PutRolePolicyCommand({ RoleName: names.role, PolicyName: 'extra', PolicyDocument: extra }),
      );
      const before = await iamRole.handler.read(ctx(), d, known);
      assert.ok(before);
      assert.deepEqual(sorted(before.props.policyName.split(',')), sorted(['extra', POLICY_NAME]));
      assert.deepEqual(before.props.statements, d.props.statements, 'ours is the one read');
      assert.deepEqual(compareProps(iamRole, d.props, before.props), {
        action: 'update',
        changed: ['policyName'],
        forcing: [],
      });
      await iamRole.handler.update?.(ctx(), d, before);
      assert.deepEqual((await iamView(names.role)).policies, [POLICY_NAME]);
      assertNoop(iamRole, d, await iamRole.handler.read(ctx(), d, known));

      // Ours deleted and another in its place: read as that one, and put back.
      await iam.send(new DeleteRolePolicyCommand({ RoleName: names.role, PolicyName: POLICY_NAME }));
      await iam.send(
        new PutRolePolicyCommand({ RoleName: names.role, PolicyName: 'renamed', PolicyDocument: extra }),
      );
      const swapped = await iamRole.handler.read(ctx(), d, known);
      assert.ok(swapped);
      assert.equal(swapped.props.policyName, 'renamed');
      assert.deepEqual(swapped.props.statements, [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['*'] }]);
      assert.deepEqual(compareProps(iamRole, d.props, swapped.props).changed, ['policyName', 'statements']);
      await iamRole.handler.update?.(ctx(), d, swapped);
      const v = await iamView(names.role);
      assert.deepEqual(v.policies, [POLICY_NAME]);
      assert.deepEqual(await v.policy(POLICY_NAME), { Version: '2012-10-17', Statement: d.props.statements });
      assertNoop(iamRole, d, await iamRole.handler.read(ctx(), d, known));
    });

    it('adopts its role by name after a lost state; refuses (NAME_TAKEN) a role of that name tagged by another stack or logical id, and leaves it as it is', async () => {
      const d = schedRole();
      const adopted = await iamRole.handler.read(ctx(), d, undefined);
      assert.equal(adopted?.physicalId, names.schedulerRole);
      assertNoop(iamRole, d, adopted);
      // A create repeated after its answer was lost (IAM: EntityAlreadyExists) adopts it.
      const again = await iamRole.handler.create(ctx(), d);
      assert.equal(again.physicalId, names.schedulerRole);
      assert.deepEqual(again.props, d.props);

      // Another stack's role under the name this stack would use for consumer "billing".
      const billing = `mpl-${STACK}-billing-mon`;
      const billingId = ids.monitorRole('billing', 'probe');
      const theirs = tagsFor(OTHER_STACK, billingId, billing);
      await iam.send(
        new CreateRoleCommand({
          RoleName: billing,
          AssumeRolePolicyDocument: JSON.stringify(trustDoc('lambda.amazonaws.com')),
          Description: 'theirs',
          Tags: Object.entries(theirs).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      const mine = desired('iam-role', billingId, roleProps(billing, billingId));
      const err = await refused(iamRole.handler.read(ctx(), mine, undefined), 'NAME_TAKEN');
      assert.match(err.message, new RegExp(`belongs to ${OTHER_STACK}/${billingId}`));
      // A create (repeated after its answer was lost) finds it too, and refuses it before any change.
      await refused(iamRole.handler.create(ctx(), mine), 'NAME_TAKEN');
      const v = await iamView(billing);
      assert.equal(v.role.Description, 'theirs');
      assert.deepEqual(v.policies, [], 'no policy put on their role');
      assert.deepEqual(v.tags, theirs);

      // This stack's tag but another logical id: refused as well.
      const wrongId = desired('iam-role', SCHED_ROLE, roleProps(names.role, SCHED_ROLE));
      await refused(iamRole.handler.read(ctx(), wrongId, undefined), 'NAME_TAKEN');
    });

    it('deletes the inline policies, then the role (IAM refuses a role with policies)', async () => {
      const name = `mpl-${STACK}-scratch-mon`;
      const id = ids.monitorRole('scratch', 'probe');
      const d = desired('iam-role', id, roleProps(name, id));
      const made = await iamRole.handler.create(ctx(), d);
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: name,
          PolicyName: 'extra',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
          }),
        }),
      );
      // What the kind works around: DeleteRole with inline policies is DeleteConflict.
      await assert.rejects(iam.send(new DeleteRoleCommand({ RoleName: name })), {
        name: 'DeleteConflictException',
      });

      const known = instanceOf(d, made);
      await iamRole.handler.delete(ctx(), known);
      await assert.rejects(iam.send(new GetRoleCommand({ RoleName: name })), {
        name: 'NoSuchEntityException',
      });
      assert.equal(await iamRole.handler.read(ctx(), d, known), undefined);
      assert.equal(await iamRole.handler.read(ctx(), d, undefined), undefined);
      await iamRole.handler.delete(ctx(), known); // already gone: done
    });

    it("scan finds the stack's roles by their tags and ignores another stack's and untagged ones", async () => {
      await iam.send(
        new CreateRoleCommand({
          RoleName: `mpl-${STACK}-untagged-mon`,
          AssumeRolePolicyDocument: JSON.stringify(trustDoc('lambda.amazonaws.com')),
        }),
      );
      const otherName = `mpl-${OTHER_STACK}-${CONSUMER}-mon`;
      await iam.send(
        new CreateRoleCommand({
          RoleName: otherName,
          AssumeRolePolicyDocument: JSON.stringify(trustDoc('lambda.amazonaws.com')),
          Tags: Object.entries(tagsFor(OTHER_STACK, PROBE_ROLE, otherName)).map(([Key, Value]) => ({
            Key,
            Value,
          })),
        }),
      );
      const found = await iamRole.scan?.(ctx(), new Map());
      assert.ok(found);
      assert.deepEqual(
        found.map((f) => f.id).sort(),
        [PROBE_ROLE, SCHED_ROLE],
        'not billing (another stack), not the untagged one',
      );
      for (const f of found) {
        const want = f.id === PROBE_ROLE ? probeRole() : schedRole();
        assert.equal(f.live.physicalId, want.props.name);
        assert.deepEqual(f.live.props, want.props);
        assert.deepEqual(f.live.outputs, { arn: roleArn(want.props.name), name: want.props.name });
      }
      const theirs = await iamRole.scan?.(other.ctx(ACCOUNT), new Map());
      assert.deepEqual(
        theirs?.map((f) => [f.id, f.live.physicalId]),
        [[PROBE_ROLE, otherName]],
      );
    });
  });

  // ------------------------------------------------------------------------------- security-group

  const kafkaEgress = (port = 9094, to = 'vpc') => ({
    protocol: 'tcp' as const,
    fromPort: port,
    toPort: port,
    to,
    description: 'Kafka through the endpoints',
  });

  function sgProps(over: Partial<PropsOf<'security-group'>> = {}): PropsOf<'security-group'> {
    return {
      name: names.securityGroup,
      description: `msk-privatelink ${STACK}: monitor probe of ${CONSUMER}, egress to the broker ports only`,
      vpcId: net.vpcId,
      ingress: [],
      egress: [kafkaEgress()],
      tags: tagsFor(STACK, SG, names.securityGroup),
      ...over,
    };
  }

  async function group(groupId: string): Promise<SecurityGroup> {
    const g = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })))
      .SecurityGroups?.[0];
    assert.ok(g, groupId);
    return g;
  }

  /** Egress as EC2 holds it: "protocol from-to cidr description", sorted. */
  async function egressRows(groupId: string): Promise<string[]> {
    const g = await group(groupId);
    const rows = (g.IpPermissionsEgress ?? []).flatMap((p) => [
      ...(p.IpRanges ?? []).map((r) =>
        `${p.IpProtocol} ${p.FromPort ?? ''}-${p.ToPort ?? ''} ${r.CidrIp} ${r.Description ?? ''}`.trim(),
      ),
      ...(p.Ipv6Ranges ?? []).map(
        (r) => `${p.IpProtocol} ${p.FromPort ?? ''}-${p.ToPort ?? ''} ${r.CidrIpv6}`,
      ),
    ]);
    // The rules API agrees with the group's view.
    const rules = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    assert.equal(
      (rules.SecurityGroupRules ?? []).filter((r) => r.IsEgress).length,
      rows.length,
      JSON.stringify(rules.SecurityGroupRules),
    );
    return rows.sort();
  }
  const ALL = '-1 - 0.0.0.0/0';
  const kafkaRows = (port = 9094, desc = 'Kafka through the endpoints') =>
    ['10.61.0.0/16', SECONDARY_CIDR].map((c) => `tcp ${port}-${port} ${c} ${desc}`).sort();

  describe('security-group with egress', () => {
    before(async () => {
      await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: net.vpcId, CidrBlock: SECONDARY_CIDR }));
      const vpc = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [net.vpcId] }))).Vpcs?.[0];
      assert.deepEqual(
        sorted((vpc?.CidrBlockAssociationSet ?? []).map((a) => `${a.CidrBlock} ${a.CidrBlockState?.State}`)),
        ['10.61.0.0/16 associated', `${SECONDARY_CIDR} associated`],
      );
    });

    it("creates with egress tcp 9094 to 'vpc': one rule per VPC CIDR block, AWS's allow-all revoked; reads back to: 'vpc'", async () => {
      const d = desired('security-group', SG, sgProps());
      const made = await securityGroup.handler.create(ctx(), d);
      assert.match(made.physicalId, /^sg-/);
      assert.deepEqual(made.props, d.props);
      assert.deepEqual(await egressRows(made.physicalId), kafkaRows());

      const known = t.remember(d, made);
      assertNoop(securityGroup, d, await securityGroup.handler.read(ctx(), d, known));
      const adopted = await securityGroup.handler.read(ctx(), d, undefined);
      assert.equal(adopted?.physicalId, made.physicalId);
      assert.deepEqual(adopted?.props.egress, [kafkaEgress()]);
    });

    it('reads an allow-all egress rule added out of band as a change, and an update revokes it', async () => {
      const d = desired('security-group', SG, sgProps());
      const known = t.known.get(SG) as Instance<PropsOf<'security-group'>>;
      await ec2.send(
        new AuthorizeSecurityGroupEgressCommand({
          GroupId: known.physicalId,
          IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      );
      assert.deepEqual(await egressRows(known.physicalId), sorted([...kafkaRows(), ALL]));
      const before = await securityGroup.handler.read(ctx(), d, known);
      assert.ok(before);
      assert.equal(before.props.egress?.length, 2, JSON.stringify(before.props.egress));
      assert.deepEqual(compareProps(securityGroup, d.props, before.props), {
        action: 'update',
        changed: ['egress'],
        forcing: [],
      });
      const after = await securityGroup.handler.update?.(ctx(), d, before);
      assert.deepEqual(after?.props, d.props);
      assert.deepEqual(await egressRows(known.physicalId), kafkaRows());
      assertNoop(securityGroup, d, await securityGroup.handler.read(ctx(), d, known));
    });

    it("reads an egress rule's description changed out of band as a change, and an update puts it back", async () => {
      const d = desired('security-group', SG, sgProps());
      const known = t.known.get(SG) as Instance<PropsOf<'security-group'>>;
      await ec2.send(
        new UpdateSecurityGroupRuleDescriptionsEgressCommand({
          GroupId: known.physicalId,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: 9094,
              ToPort: 9094,
              IpRanges: [{ CidrIp: SECONDARY_CIDR, Description: 'edited' }],
            },
          ],
        }),
      );
      const before = await securityGroup.handler.read(ctx(), d, known);
      assert.ok(before);
      assert.deepEqual(compareProps(securityGroup, d.props, before.props).changed, ['egress']);
      await securityGroup.handler.update?.(ctx(), d, before);
      assert.deepEqual(await egressRows(known.physicalId), kafkaRows());
      assertNoop(securityGroup, d, await securityGroup.handler.read(ctx(), d, known));
    });

    it('reads an egress rule to another group added out of band on the same port as a change; an update revokes only it', async () => {
      const d = desired('security-group', SG, sgProps());
      const known = t.known.get(SG) as Instance<PropsOf<'security-group'>>;
      const peer = (
        await ec2.send(
          new CreateSecurityGroupCommand({ GroupName: 'peer', Description: 'peer', VpcId: net.vpcId }),
        )
      ).GroupId as string;
      await ec2.send(
        new AuthorizeSecurityGroupEgressCommand({
          GroupId: known.physicalId,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 9094, ToPort: 9094, UserIdGroupPairs: [{ GroupId: peer }] },
          ],
        }),
      );
      // EC2 answers one permission per protocol and ports: the IPv4 ranges and the group pair together.
      const g = await group(known.physicalId);
      assert.equal(g.IpPermissionsEgress?.length, 1, JSON.stringify(g.IpPermissionsEgress));
      assert.equal(g.IpPermissionsEgress?.[0]?.UserIdGroupPairs?.length, 1);
      const before = await securityGroup.handler.read(ctx(), d, known);
      assert.ok(before);
      assert.deepEqual(compareProps(securityGroup, d.props, before.props).changed, ['egress']);
      await securityGroup.handler.update?.(ctx(), d, before);
      const after = await group(known.physicalId);
      assert.deepEqual(
        after.IpPermissionsEgress?.flatMap((p) => p.UserIdGroupPairs ?? []),
        [],
        'the group pair revoked',
      );
      assert.deepEqual(await egressRows(known.physicalId), kafkaRows(), 'the IPv4 rules kept');
      assertNoop(securityGroup, d, await securityGroup.handler.read(ctx(), d, known));
    });

    it('changes egress ports and destinations in place', async () => {
      const known = t.known.get(SG) as Instance<PropsOf<'security-group'>>;
      const d = desired(
        'security-group',
        SG,
        sgProps({ egress: [kafkaEgress(9094), kafkaEgress(9096, '10.61.1.0/24')] }),
      );
      const before = await securityGroup.handler.read(ctx(), d, known);
      assert.ok(before);
      assert.deepEqual(compareProps(securityGroup, d.props, before.props).action, 'update');
      const after = await securityGroup.handler.update?.(ctx(), d, before);
      assert.equal(after?.physicalId, known.physicalId);
      assert.deepEqual(after?.props, d.props);
      assert.deepEqual(
        await egressRows(known.physicalId),
        sorted([...kafkaRows(), 'tcp 9096-9096 10.61.1.0/24 Kafka through the endpoints']),
      );
      // And back: the 9096 rule goes, 9094 to the VPC stays.
      const back = desired('security-group', SG, sgProps());
      const now = await securityGroup.handler.read(ctx(), back, known);
      assert.ok(now);
      await securityGroup.handler.update?.(ctx(), back, now);
      assert.deepEqual(await egressRows(known.physicalId), kafkaRows());
    });

    it("keeps AWS's default egress for a group without `egress` in its props (ingress still managed); scan reads egress only where it is narrowed", async () => {
      const name = `mpl-${STACK}-${CONSUMER}`;
      const id = ids.consumerSecurityGroup(CONSUMER);
      const rule = {
        protocol: 'tcp' as const,
        fromPort: 9094,
        toPort: 9094,
        cidr: '10.20.0.0/16',
        description: 'clients',
      };
      const props = sgProps({
        name,
        description: 'endpoints',
        ingress: [rule],
        tags: tagsFor(STACK, id, name),
      });
      delete props.egress;
      const d = desired('security-group', id, props);
      const made = await securityGroup.handler.create(ctx(), d);
      assert.ok(!('egress' in made.props), 'no egress read where props manage none');
      assert.deepEqual(made.props, d.props);
      assert.deepEqual(await egressRows(made.physicalId), [ALL]);

      const known = instanceOf(d, made);
      const d2 = desired('security-group', id, { ...props, ingress: [{ ...rule, cidr: '10.30.0.0/16' }] });
      const before = await securityGroup.handler.read(ctx(), d2, known);
      assert.ok(before);
      assert.deepEqual(compareProps(securityGroup, d2.props, before.props).changed, ['ingress']);
      await securityGroup.handler.update?.(ctx(), d2, before);
      assert.deepEqual(await egressRows(made.physicalId), [ALL], 'egress untouched by an update');
      assertNoop(securityGroup, d2, await securityGroup.handler.read(ctx(), d2, known));

      const found = await securityGroup.scan?.(ctx(), new Map());
      const byId = new Map(found?.map((f) => [f.id, f.live]));
      assert.deepEqual(sorted([...byId.keys()]), sorted([SG, id]));
      assert.deepEqual(byId.get(SG)?.props.egress, [kafkaEgress()]);
      assert.ok(!('egress' in (byId.get(id)?.props ?? {})));

      await securityGroup.handler.delete(ctx(), known);
      assert.equal(await securityGroup.handler.read(ctx(), d2, known), undefined);
    });
  });

  // ------------------------------------------------------------------------------ lambda-function

  let sha: string;

  function fnProps(
    over: Partial<PropsOf<'lambda-function'>> = {},
    az = azId,
    subnet = 0,
  ): PropsOf<'lambda-function'> {
    const name = names.fn(az);
    return {
      name,
      runtime: MONITOR_RUNTIME,
      handler: MONITOR_HANDLER,
      role: PROBE_ROLE,
      subnetId: net.subnets[subnet]?.id as string,
      securityGroup: SG,
      timeoutS: 46,
      memoryMb: 256,
      codeSha256: sha,
      description: `msk-privatelink ${STACK}: monitor probe of ${CONSUMER} in ${az}`,
      tags: tagsFor(STACK, ids.monitorFunction(CONSUMER, az), name),
      ...over,
    };
  }
  const fn = (over: Partial<PropsOf<'lambda-function'>> = {}) =>
    desired('lambda-function', fnId, fnProps(over), [PROBE_ROLE, SG]);

  const config = (name: string) => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  const lambdaCalls = (action: string) => twin.control.callCount({ service: 'lambda', action });

  describe('lambda-function', () => {
    before(async () => {
      sha = bundleSha256(await probeBundle());
    });

    it('creates the probe bundle in a VPC subnet with the role and group made above, waits until Active, reads back the desired props (references as logical ids)', async () => {
      const d = fn();
      const made = await lambdaFunction.handler.create(ctx(), d);
      assert.equal(made.physicalId, d.props.name);
      assert.deepEqual(made.props, d.props);
      assert.deepEqual(made.outputs, { arn: fnArn(d.props.name), name: d.props.name });

      const f = await config(d.props.name);
      assert.equal(f.State, 'Active');
      assert.equal(f.Role, roleArn(names.role));
      assert.equal(f.Handler, 'index.monitor');
      assert.equal(f.Runtime, 'nodejs20.x');
      assert.equal(f.CodeSha256, sha);
      assert.deepEqual(f.VpcConfig?.SubnetIds, [d.props.subnetId]);
      assert.deepEqual(f.VpcConfig?.SecurityGroupIds, [t.known.get(SG)?.physicalId]);
      assert.equal(f.VpcConfig?.VpcId, net.vpcId);
      const tags = await lambda.send(new ListTagsCommand({ Resource: fnArn(d.props.name) }));
      assert.deepEqual(tags.Tags, d.props.tags);

      const known = t.remember(d, made);
      assertNoop(lambdaFunction, d, await lambdaFunction.handler.read(ctx(), d, known));
      const adopted = await lambdaFunction.handler.read(ctx(), d, undefined);
      assert.deepEqual(adopted?.props, d.props);
      // A create whose answer was lost, repeated: the function is adopted, not made twice.
      const again = await lambdaFunction.handler.create(ctx(), d);
      assert.equal(again.physicalId, made.physicalId);
      assert.deepEqual(again.props, d.props);
    });

    it("refuses (STALE_PLAN) a props.codeSha256 other than the bundle's, before any create", async () => {
      const az = net.subnets[1]?.availabilityZoneId as string;
      const stale = desired(
        'lambda-function',
        ids.monitorFunction(CONSUMER, az),
        fnProps({ codeSha256: bundleSha256(new Uint8Array([1, 2, 3])) }, az, 1),
      );
      const creates = await lambdaCalls('CreateFunction');
      const err = await refused(lambdaFunction.handler.create(ctx(), stale), 'STALE_PLAN');
      assert.match(err.message, /plan again/);
      assert.equal(await lambdaCalls('CreateFunction'), creates, 'no CreateFunction call');
      await assert.rejects(config(stale.props.name), { name: 'ResourceNotFoundException' });

      // An update to a digest that is not the bundle's is refused the same way.
      const known = t.known.get(fnId) as Instance<PropsOf<'lambda-function'>>;
      const d = fn({ codeSha256: stale.props.codeSha256 });
      const before = await lambdaFunction.handler.read(ctx(), d, known);
      assert.ok(before);
      const codeUpdates = await lambdaCalls('UpdateFunctionCode');
      await refused(lambdaFunction.handler.update?.(ctx(), d, before) as Promise<unknown>, 'STALE_PLAN');
      assert.equal(await lambdaCalls('UpdateFunctionCode'), codeUpdates);
      assert.equal((await config(d.props.name)).CodeSha256, sha);
    });

    it('updates timeoutS and memoryMb in place (no new code)', async () => {
      const known = t.known.get(fnId) as Instance<PropsOf<'lambda-function'>>;
      const d = fn({ timeoutS: 60, memoryMb: 512 });
      const before = await lambdaFunction.handler.read(ctx(), d, known);
      assert.ok(before);
      assert.deepEqual(compareProps(lambdaFunction, d.props, before.props), {
        action: 'update',
        changed: ['memoryMb', 'timeoutS'],
        forcing: [],
      });
      const arn = (await config(d.props.name)).FunctionArn;
      const codeUpdates = await lambdaCalls('UpdateFunctionCode');
      const after = await lambdaFunction.handler.update?.(ctx(), d, before);
      assert.deepEqual(after?.props, d.props);
      const f = await config(d.props.name);
      assert.equal(f.Timeout, 60);
      assert.equal(f.MemorySize, 512);
      assert.equal(f.FunctionArn, arn);
      assert.equal(f.LastUpdateStatus, 'Successful', 'the update was waited for');
      assert.equal(await lambdaCalls('UpdateFunctionCode'), codeUpdates);
      assertNoop(lambdaFunction, d, await lambdaFunction.handler.read(ctx(), d, known));
      t.remember(d, after as Live<PropsOf<'lambda-function'>>);
    });

    it("scan finds the stack's functions by their tags (references as found logical ids), not another stack's", async () => {
      // Another stack's function under this stack's name prefix.
      const foreign = `mpl-${STACK}-foreign-mon`;
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: foreign,
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: roleArn(names.role),
          Code: { ZipFile: zipSync({ 'index.mjs': strToU8('export const handler = async () => 1;') }) },
          Tags: tagsFor(OTHER_STACK, ids.monitorFunction('foreign', azId), foreign),
        }),
      );
      const found = new Map(
        [...t.known].filter(([, k]) => k.kind === 'iam-role' || k.kind === 'security-group'),
      );
      const scanned = await lambdaFunction.scan?.(
        { ...ctx(), idOf: (p) => [...found.values()].find((k) => k.physicalId === p)?.id },
        found,
      );
      assert.deepEqual(
        scanned?.map((s) => s.id),
        [fnId],
      );
      const s = scanned?.[0];
      assert.deepEqual(s?.live.props, fn({ timeoutS: 60, memoryMb: 512 }).props);
      assert.deepEqual(sorted(s?.dependsOn ?? []), sorted([PROBE_ROLE, SG]));
    });

    it('waits for a new role Lambda cannot assume yet; deletes a function, a second delete is done at once', async () => {
      const az = net.subnets[1]?.availabilityZoneId as string;
      const d = desired('lambda-function', ids.monitorFunction(CONSUMER, az), fnProps({}, az, 1), [
        PROBE_ROLE,
        SG,
      ]);
      // A role IAM has not spread yet (the twin makes roles usable at once: injected twice here).
      await twin.control.injectFault({
        service: 'lambda',
        action: 'CreateFunction',
        kind: 'error',
        code: 'InvalidParameterValueException',
        status: 400,
        message: 'The role defined for the function cannot be assumed by Lambda.',
        count: 2,
      });
      const creates = await lambdaCalls('CreateFunction');
      const made = await lambdaFunction.handler.create(ctx(), d);
      assert.equal(await lambdaCalls('CreateFunction'), creates + 3, 'retried until the role was usable');
      assert.equal((await config(d.props.name)).State, 'Active');
      const known = instanceOf(d, made);
      await lambdaFunction.handler.delete(ctx(), known);
      await assert.rejects(config(d.props.name), { name: 'ResourceNotFoundException' });
      assert.equal(await lambdaFunction.handler.read(ctx(), d, known), undefined);
      await lambdaFunction.handler.delete(ctx(), known);
    });
  });

  // --------------------------------------------------------------------------------- metric-alarm

  function alarmProps(
    over: Partial<PropsOf<'metric-alarm'>> = {},
    consumer = CONSUMER,
    stack = STACK,
  ): PropsOf<'metric-alarm'> {
    const name = monitorNames(STACK, consumer).alarm;
    return {
      name,
      description: `msk-privatelink ${STACK}: a broker was unreachable from ${consumer}`,
      namespace: NAMESPACE,
      metricName: UNREACHABLE_METRIC,
      dimensions: { Stack: STACK, Consumer: consumer },
      statistic: 'Maximum',
      periodS: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'missing',
      tags: tagsFor(stack, ids.monitorAlarm(consumer), name),
      ...over,
    };
  }
  const alarm = (over: Partial<PropsOf<'metric-alarm'>> = {}) =>
    desired('metric-alarm', ALARM, alarmProps(over));
  const alarmArn = (name: string) => `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${name}`;

  async function alarmView(
    name: string,
  ): Promise<{ a: MetricAlarm; tags: Record<string, string> } | undefined> {
    const a = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
    if (a === undefined) return undefined;
    const tags =
      (await cloudwatch.send(new ListAlarmTagsCommand({ ResourceARN: alarmArn(name) }))).Tags ?? [];
    return { a, tags: Object.fromEntries(tags.map((x) => [x.Key ?? '', x.Value ?? ''])) };
  }

  const settingsOf = (a: MetricAlarm) => ({
    description: a.AlarmDescription,
    namespace: a.Namespace,
    metric: a.MetricName,
    dimensions: (a.Dimensions ?? []).map((x) => `${x.Name}=${x.Value}`).sort(),
    statistic: a.Statistic,
    period: a.Period,
    evaluationPeriods: a.EvaluationPeriods,
    datapointsToAlarm: a.DatapointsToAlarm,
    threshold: a.Threshold,
    comparison: a.ComparisonOperator,
    treatMissingData: a.TreatMissingData,
  });
  const settingsFrom = (p: PropsOf<'metric-alarm'>) => ({
    description: p.description,
    namespace: p.namespace,
    metric: p.metricName,
    dimensions: Object.entries(p.dimensions)
      .map(([k, v]) => `${k}=${v}`)
      .sort(),
    statistic: p.statistic,
    period: p.periodS,
    evaluationPeriods: p.evaluationPeriods,
    datapointsToAlarm: p.datapointsToAlarm,
    threshold: p.threshold,
    comparison: p.comparison,
    treatMissingData: p.treatMissingData,
  });

  describe('metric-alarm', () => {
    it('creates the alarm and reads it back (INSUFFICIENT_DATA before any run)', async () => {
      const d = alarm();
      const made = await metricAlarm.handler.create(ctx(), d);
      assert.equal(made.physicalId, names.alarm);
      assert.deepEqual(made.props, d.props);
      assert.deepEqual(made.outputs, {
        arn: alarmArn(names.alarm),
        name: names.alarm,
        state: 'INSUFFICIENT_DATA',
      });
      const v = await alarmView(names.alarm);
      assert.ok(v);
      assert.deepEqual(settingsOf(v.a), settingsFrom(d.props));
      assert.equal(v.a.ActionsEnabled, true);
      assert.deepEqual(v.tags, d.props.tags);
      const known = t.remember(d, made);
      assertNoop(metricAlarm, d, await metricAlarm.handler.read(ctx(), d, known));
      assert.deepEqual((await metricAlarm.handler.read(ctx(), d, undefined))?.props, d.props);
    });

    it('updates threshold and periods in place and makes the tags exact (a stray one removed, a new one added)', async () => {
      const known = t.known.get(ALARM) as Instance<PropsOf<'metric-alarm'>>;
      await cloudwatch.send(
        new TagAlarmCommand({ ResourceARN: alarmArn(names.alarm), Tags: [{ Key: 'stray', Value: 'x' }] }),
      );
      const d = alarm({
        threshold: 2,
        periodS: 60,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        tags: { ...alarmProps().tags, team: 'data' },
      });
      const before = await metricAlarm.handler.read(ctx(), d, known);
      assert.ok(before);
      assert.deepEqual(compareProps(metricAlarm, d.props, before.props), {
        action: 'update',
        changed: ['datapointsToAlarm', 'evaluationPeriods', 'periodS', 'tags', 'threshold'],
        forcing: [],
      });
      const after = await metricAlarm.handler.update?.(ctx(), d, before);
      assert.deepEqual(after?.props, d.props);
      const v = await alarmView(names.alarm);
      assert.ok(v);
      assert.deepEqual(settingsOf(v.a), settingsFrom(d.props));
      assert.equal(v.a.AlarmArn, alarmArn(names.alarm));
      assert.deepEqual(v.tags, d.props.tags);
      assertNoop(metricAlarm, d, await metricAlarm.handler.read(ctx(), d, known));

      // Back to the planned alarm (the schedule's run below should fire it).
      const back = alarm();
      const now = await metricAlarm.handler.read(ctx(), back, known);
      assert.ok(now);
      await metricAlarm.handler.update?.(ctx(), back, now);
      assertNoop(metricAlarm, back, await metricAlarm.handler.read(ctx(), back, known));
      assert.deepEqual((await alarmView(names.alarm))?.tags, back.props.tags);
    });

    it('adopts an untagged alarm of its name (settings and tags made as planned) but refuses (NAME_TAKEN) one tagged by another stack, leaving it as it is', async () => {
      const put = (p: PropsOf<'metric-alarm'>, tags?: Record<string, string>) =>
        cloudwatch.send(
          new PutMetricAlarmCommand({
            AlarmName: p.name,
            Namespace: p.namespace,
            MetricName: p.metricName,
            Dimensions: Object.entries(p.dimensions).map(([Name, Value]) => ({ Name, Value })),
            Statistic: 'Average',
            Period: 60,
            EvaluationPeriods: 5,
            Threshold: 7,
            ComparisonOperator: 'GreaterThanThreshold',
            ...(tags ? { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
          }),
        );
      const billing = desired('metric-alarm', ids.monitorAlarm('billing'), alarmProps({}, 'billing'));
      await put(billing.props);
      const found = await metricAlarm.handler.read(ctx(), billing, undefined);
      assert.equal(found?.physicalId, billing.props.name);
      assert.deepEqual(found?.props.tags, {});
      const made = await metricAlarm.handler.create(ctx(), billing);
      assert.deepEqual(made.props, billing.props);
      const v = await alarmView(billing.props.name);
      assert.ok(v);
      assert.deepEqual(settingsOf(v.a), settingsFrom(billing.props));
      assert.deepEqual(v.tags, billing.props.tags);
      t.remember(billing, made);

      const reports = desired('metric-alarm', ids.monitorAlarm('reports'), alarmProps({}, 'reports'));
      const theirs = tagsFor(OTHER_STACK, ids.monitorAlarm('reports'), reports.props.name);
      await put(reports.props, theirs);
      await refused(metricAlarm.handler.read(ctx(), reports, undefined), 'NAME_TAKEN');
      await refused(metricAlarm.handler.create(ctx(), reports), 'NAME_TAKEN');
      const left = await alarmView(reports.props.name);
      assert.ok(left);
      assert.equal(left.a.Threshold, 7, 'their settings untouched');
      assert.equal(left.a.Statistic, 'Average');
      assert.deepEqual(left.tags, theirs);
    });

    it('deletes an alarm; a second delete is done at once', async () => {
      const known = t.known.get(ids.monitorAlarm('billing')) as Instance<PropsOf<'metric-alarm'>>;
      await metricAlarm.handler.delete(ctx(), known);
      t.known.delete(known.id);
      assert.equal(await alarmView(known.physicalId), undefined);
      assert.equal(await metricAlarm.handler.read(ctx(), undefined, known), undefined);
      await metricAlarm.handler.delete(ctx(), known);
    });

    it(`scan finds the stack's alarms by the name prefix "mpl-<stack> " and their tags`, async () => {
      // This stack's tags on an alarm named outside the prefix: not looked at.
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: `mpl-${STACK}x ${CONSUMER} brokers unreachable`,
          Namespace: NAMESPACE,
          MetricName: UNREACHABLE_METRIC,
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Tags: Object.entries(tagsFor(STACK, ids.monitorAlarm('outside'), 'x')).map(([Key, Value]) => ({
            Key,
            Value,
          })),
        }),
      );
      const found = await metricAlarm.scan?.(ctx(), new Map());
      assert.deepEqual(
        found?.map((f) => f.id),
        [ALARM],
        'not the other stack\'s "reports" alarm, nor the one outside the prefix',
      );
      assert.deepEqual(found?.[0]?.live.props, alarm().props);
      assert.equal(found?.[0]?.live.outputs.state, 'INSUFFICIENT_DATA');
    });
  });

  // ------------------------------------------------------------------------------------ schedule

  let broker: Server;
  let brokerPort: number;
  const sockets = new Set<Socket>();

  function event(): MonitorEvent {
    return {
      consumer: CONSUMER,
      listener: 'tls',
      targets: [
        { id: 1, host: BROKER_HOST, port: brokerPort, advertised: { host: BROKER_HOST, port: brokerPort } },
        { id: 2, host: DEAD_HOST, port: brokerPort, advertised: { host: DEAD_HOST, port: brokerPort } },
      ],
      timeoutMs: 1500,
      tls: {},
      metrics: { namespace: NAMESPACE, stack: STACK, azId },
    };
  }

  function scheduleProps(over: Partial<PropsOf<'schedule'>> = {}): PropsOf<'schedule'> {
    return {
      name: names.fn(azId),
      expression: 'rate(5 minutes)',
      function: fnId,
      role: SCHED_ROLE,
      input: JSON.stringify(event()),
      state: 'ENABLED',
      description: `runs the probe of ${CONSUMER} in ${azId} every 5 min`,
      ...over,
    };
  }
  const sched = (over: Partial<PropsOf<'schedule'>> = {}) =>
    desired('schedule', schedId, scheduleProps(over), [fnId, SCHED_ROLE]);
  const getSchedule = (name: string): Promise<GetScheduleCommandOutput> =>
    scheduler.send(new GetScheduleCommand({ Name: name, GroupName: 'default' }));
  const marker = (stack: string, id: string, text: string) =>
    `${TAG_STACK}=${stack} ${TAG_ID}=${id}: ${text}`;

  async function rawSchedule(name: string, description: string): Promise<void> {
    await scheduler.send(
      new CreateScheduleCommand({
        Name: name,
        ScheduleExpression: 'rate(1 hour)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: fnArn(names.fn(azId)), RoleArn: roleArn(names.schedulerRole), Input: '{}' },
        State: 'DISABLED',
        Description: description,
      }),
    );
  }

  describe('schedule', () => {
    before(async () => {
      // Accepts TCP and holds it (the probe's TCP step), answers a TLS ClientHello with plain text.
      broker = createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
        s.once('data', () => s.end('not TLS\n'));
      });
      await new Promise<void>((resolve, reject) => {
        broker.once('error', reject);
        broker.listen(0, BROKER_HOST, resolve);
      });
      brokerPort = (broker.address() as AddressInfo).port;
    });

    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => broker?.close(r));
    });

    it('creates a rate(5 minutes) schedule of the function with the scheduler role, its owner marker in the description; reads it back', async () => {
      const d = sched();
      const made = await schedule.handler.create(ctx(), d);
      assert.equal(made.physicalId, d.props.name);
      assert.deepEqual(made.props, d.props);
      assert.deepEqual(made.outputs, {
        arn: `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/${d.props.name}`,
        name: d.props.name,
      });
      const s = await getSchedule(d.props.name);
      assert.equal(s.Description, marker(STACK, schedId, d.props.description));
      assert.equal(s.ScheduleExpression, 'rate(5 minutes)');
      assert.equal(s.State, 'ENABLED');
      assert.equal(s.FlexibleTimeWindow?.Mode, 'OFF');
      assert.equal(s.Target?.Arn, fnArn(names.fn(azId)));
      assert.equal(s.Target?.RoleArn, roleArn(names.schedulerRole));
      assert.equal(s.Target?.Input, d.props.input);
      assert.equal(s.Target?.RetryPolicy?.MaximumRetryAttempts, 0);

      const known = t.remember(d, made);
      assertNoop(schedule, d, await schedule.handler.read(ctx(), d, known));
      const adopted = await schedule.handler.read(ctx(), d, undefined);
      assert.deepEqual(adopted?.props, d.props);
      const again = await schedule.handler.create(ctx(), d);
      assert.deepEqual(again.props, d.props, 'a repeated create adopts it (ConflictException)');
    });

    it('refuses (NAME_TAKEN) a schedule of its name whose description names another stack, and remove leaves it (with a log line)', async () => {
      const az = net.subnets[1]?.availabilityZoneId as string;
      const name = monitorNames(STACK, 'billing').fn(az);
      const id = ids.monitorSchedule('billing', az);
      const theirs = marker(OTHER_STACK, id, 'theirs');
      await rawSchedule(name, theirs);
      const d = desired('schedule', id, scheduleProps({ name }));
      const err = await refused(schedule.handler.read(ctx(), d, undefined), 'NAME_TAKEN');
      assert.match(err.message, new RegExp(`belongs to ${OTHER_STACK}/${id}`));
      await refused(schedule.handler.create(ctx(), d), 'NAME_TAKEN');
      assert.equal((await getSchedule(name)).Description, theirs, 'not overwritten');

      // A state entry that names it (the stack's own once; another stack took the name since).
      const logged = t.messages.length;
      await schedule.handler.delete(ctx(), instanceOf(d, { physicalId: name, props: d.props, outputs: {} }));
      const s = await getSchedule(name);
      assert.equal(s.Description, theirs, 'left in place');
      const lines = t.messages.slice(logged);
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.match(
        lines[0] as string,
        new RegExp(`schedule ${name} \\(${id}\\) now belongs to ${OTHER_STACK}/${id}; left as is`),
      );
    });

    it('updates the expression and state in place (UpdateSchedule), keeping the owner marker', async () => {
      const known = t.known.get(schedId) as Instance<PropsOf<'schedule'>>;
      const d = sched({ expression: 'rate(10 minutes)', state: 'DISABLED' });
      const before = await schedule.handler.read(ctx(), d, known);
      assert.ok(before);
      assert.deepEqual(compareProps(schedule, d.props, before.props), {
        action: 'update',
        changed: ['expression', 'state'],
        forcing: [],
      });
      const arn = (await getSchedule(d.props.name)).Arn;
      const after = await schedule.handler.update?.(ctx(), d, before);
      assert.deepEqual(after?.props, d.props);
      const s = await getSchedule(d.props.name);
      assert.equal(s.Arn, arn);
      assert.equal(s.ScheduleExpression, 'rate(10 minutes)');
      assert.equal(s.State, 'DISABLED');
      assert.equal(s.Description, marker(STACK, schedId, d.props.description));
      const fired = await twin.control.fireSchedules({ account: ACCOUNT, name: d.props.name });
      assert.deepEqual(fired.invocations, []);
      assert.deepEqual(
        fired.skipped.map((x) => x.reason),
        ['DISABLED'],
      );

      const back = sched();
      const now = await schedule.handler.read(ctx(), back, known);
      assert.ok(now);
      await schedule.handler.update?.(ctx(), back, now);
      assertNoop(schedule, back, await schedule.handler.read(ctx(), back, known));
      assert.equal((await getSchedule(back.props.name)).State, 'ENABLED');
    });

    it("scan finds the stack's schedule by the name prefix mpl-<stack>- and its description's marker, not another stack's or unmarked ones", async () => {
      await rawSchedule(`mpl-${STACK}-handmade`, 'made by hand');
      // This stack's marker on a schedule named outside the prefix: not looked at.
      await rawSchedule(
        `x-mpl-${STACK}-outside`,
        marker(STACK, ids.monitorSchedule('outside', azId), 'outside'),
      );
      const found = new Map(
        [...t.known].filter(([, k]) => k.kind === 'lambda-function' || k.kind === 'iam-role'),
      );
      const scanned = await schedule.scan?.(
        { ...ctx(), idOf: (p) => [...found.values()].find((k) => k.physicalId === p)?.id },
        found,
      );
      assert.deepEqual(
        scanned?.map((s) => s.id),
        [schedId],
      );
      assert.deepEqual(scanned?.[0]?.live.props, sched().props);
      assert.deepEqual(sorted(scanned?.[0]?.dependsOn ?? []), sorted([fnId, SCHED_ROLE]));
    });

    it("reads its function back as the function's logical id also when the state lists the function after the schedule (same name: the function made again after an out-of-band delete)", async () => {
      const d = sched();
      const known = t.known.get(schedId) as Instance<PropsOf<'schedule'>>;
      // The engine's state after a refresh found the function gone and the apply made it again:
      // its entry is put back last, after the schedule's, and both have the physical id `name`.
      const fnEntry = t.known.get(fnId) as Instance;
      t.known.delete(fnId);
      t.known.set(fnId, fnEntry);
      assert.equal(ctx().idOf(d.props.name), schedId, 'the ambiguity the schedule must not fall into');
      assertNoop(schedule, d, await schedule.handler.read(ctx(), d, known));
      assertNoop(schedule, d, await schedule.handler.read(ctx(), undefined, known));
    });

    it('fired through the twin, runs the probe bundle in the VPC: per-broker metrics and BrokersUnreachable published, and the alarm fires', async () => {
      const name = names.fn(azId);
      const fired = await twin.control.fireSchedules({ account: ACCOUNT, name });
      assert.deepEqual(fired.skipped, []);
      assert.equal(fired.invocations.length, 1);
      const run = fired.invocations[0];
      assert.ok(run);
      assert.equal(run.status, 'delivered', run.errorMessage);
      assert.equal(run.statusCode, 202);
      assert.equal(run.targetArn, fnArn(name));
      assert.equal(run.functionError, null, run.logs);
      assert.deepEqual(JSON.parse(run.input), event());
      // Broker 1 accepts TCP but is no TLS server; nothing listens on broker 2's address.
      assert.deepEqual(run.result, { ok: false, unreachable: [1, 2], metrics: 4 }, run.logs);

      const now = Date.now();
      const query = (id: string, metric: string, dims: Record<string, string>) => ({
        Id: id,
        MetricStat: {
          Metric: {
            Namespace: NAMESPACE,
            MetricName: metric,
            Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
          },
          Period: 60,
          Stat: 'Maximum',
        },
      });
      const consumer = { Stack: STACK, Consumer: CONSUMER };
      const b = (id: string) => ({ ...consumer, Broker: id, AZ: azId });
      const out = await cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(now - 600_000),
          EndTime: new Date(now + 60_000),
          MetricDataQueries: [
            query('unreachable', UNREACHABLE_METRIC, consumer),
            query('reachable1', 'Reachable', b('1')),
            query('reachable2', 'Reachable', b('2')),
            query('connect1', 'ConnectMs', b('1')),
            query('connect2', 'ConnectMs', b('2')),
            query('tls1', 'TlsMs', b('1')),
          ],
        }),
      );
      const values = Object.fromEntries((out.MetricDataResults ?? []).map((r) => [r.Id, r.Values ?? []]));
      assert.deepEqual(values.unreachable, [2]);
      assert.deepEqual(values.reachable1, [0]);
      assert.deepEqual(values.reachable2, [0]);
      assert.equal(values.connect1?.length, 1, 'broker 1 connected');
      assert.ok((values.connect1?.[0] ?? -1) >= 0);
      assert.deepEqual(values.connect2, [], 'broker 2 never connected');
      assert.deepEqual(values.tls1, [], 'no TLS handshake completed');

      // The consumer's alarm (threshold 1, one period) saw it.
      const known = t.known.get(ALARM) as Instance<PropsOf<'metric-alarm'>>;
      const live = await metricAlarm.handler.read(ctx(), undefined, known);
      assert.equal(live?.outputs.state, 'ALARM');
      assertNoop(metricAlarm, alarm(), live);
    });
  });

  // ------------------------------------------------------------------------------------- teardown

  describe('delete, dependents first', () => {
    it("removes the schedule, alarm, function, group (once Lambda has released the function's network interfaces) and roles; scans find nothing", async () => {
      const order = [schedId, ALARM, fnId, SG, SCHED_ROLE, PROBE_ROLE];
      const sgDeletes = await twin.control.callCount({ service: 'ec2', action: 'DeleteSecurityGroup' });
      for (const id of order) {
        const k = t.known.get(id);
        assert.ok(k, id);
        const h = kindDef(k.kind).handler;
        await h.delete(ctx(), k);
        assert.equal(await h.read(ctx(), undefined, k), undefined, `${id} gone`);
      }
      assert.ok(
        (await twin.control.callCount({ service: 'ec2', action: 'DeleteSecurityGroup' })) - sgDeletes > 1,
        "the group's delete was retried while the function's network interface was in use",
      );
      await assert.rejects(getSchedule(names.fn(azId)), { name: 'ResourceNotFoundException' });
      await assert.rejects(config(names.fn(azId)), { name: 'ResourceNotFoundException' });
      await assert.rejects(iam.send(new GetRoleCommand({ RoleName: names.role })), {
        name: 'NoSuchEntityException',
      });
      assert.deepEqual(await schedule.scan?.(ctx(), new Map()), []);
      assert.deepEqual(await metricAlarm.scan?.(ctx(), new Map()), []);
      assert.deepEqual(await lambdaFunction.scan?.(ctx(), new Map()), []);
      assert.deepEqual(await iamRole.scan?.(ctx(), new Map()), []);
      assert.deepEqual(await securityGroup.scan?.(ctx(), new Map()), []);
    });
  });
});
