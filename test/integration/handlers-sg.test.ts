// Handlers for the consumer endpoint's security group, the NLBs' security group, the rule on the
// brokers' group and the bootstrap SSM parameter, against the AWS twin through real SDK clients.
// Desired resources come from the real planner (pattern 2).
import assert from 'node:assert/strict';
import {
  AssociateVpcCidrBlockCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { MplError } from '../../src/errors.js';
import type { Kind, ResourceOf } from '../../src/kinds/index.js';
import { TAG_ID, TAG_STACK, compareProps } from '../../src/kinds/kind.js';
import type { Instance } from '../../src/state/instance.js';
import { securityGroupRule } from '../../src/kinds/security-group-rule.js';
import { securityGroup } from '../../src/kinds/security-group.js';
import { ssmParameter } from '../../src/kinds/ssm-parameter.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { brokersFor, configOf, inventoryOf, planInputOf } from '../support/fixtures.js';
import { TestCtx, assertNoop, instanceOf } from '../support/handler-ctx.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc, type AccountNetwork, type Clients } from '../testbed/scenario.js';

const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const PARAMETER = '/msk/sgtest/bootstrap';

let twin: AwsTwin;
let provider: Clients;
let consumer: Clients;
let ssm: SSMClient;
let pnet: AccountNetwork;
let cnet: AccountNetwork;
let t: TestCtx;

/**
 * The planner's pattern 2 resources over the seeded VPCs, with the brokers' group `brokerSg`;
 * `legacy`: the shared NLB exists without a security group (made by an earlier version).
 */
function plan(brokerSg: string, legacy = false): Array<ResourceOf<Kind>> {
  const brokers = brokersFor([1, 2, 3]).map((b, i) => {
    const s = pnet.subnets[i % 3] as AccountNetwork['subnets'][number];
    return { ...b, subnetId: s.id, availabilityZoneId: s.availabilityZoneId };
  });
  const config = configOf({
    name: 'sgtest',
    region: twin.region,
    pattern: 2,
    provider: { account: PROVIDER, vpcId: pnet.vpcId, brokerSecurityGroupId: brokerSg },
    consumers: [
      {
        name: 'analytics',
        account: CONSUMER,
        vpcId: cnet.vpcId,
        subnets: cnet.subnets.map((s) => ({ id: s.id, azId: s.availabilityZoneId })),
        // Not sorted: the planner keeps config order, and read must answer in it.
        allowedCidrs: ['10.30.0.0/16', '10.20.0.0/16'],
        endpointLayout: 'all-azs',
        bootstrapParameter: PARAMETER,
      },
    ],
  });
  const input = planInputOf(config, inventoryOf(brokers, { region: twin.region, vpcId: pnet.vpcId }));
  if (legacy) input.prior.loadBalancersWithoutGroups = ['shared/load-balancer'];
  return planStack(input).resources as Array<ResourceOf<Kind>>;
}

function pick<K extends Kind>(resources: Array<ResourceOf<Kind>>, kind: K, id?: string): ResourceOf<K> {
  const r = resources.filter((x) => x.kind === kind && (id === undefined || x.id === id));
  assert.equal(r.length, 1, `planner emits one ${kind}${id === undefined ? '' : ` ${id}`}`);
  return r[0] as ResourceOf<K>;
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof MplError, `an MplError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

async function newGroup(c: Clients, vpcId: string, name: string): Promise<string> {
  const out = await c.ec2.send(
    new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpcId }),
  );
  return out.GroupId as string;
}

/** The planned bootstrap parameter, under another name where a test needs a parameter of its own. */
function param(name = PARAMETER): ResourceOf<'ssm-parameter'> {
  const r = pick(plan('sg-0123456789abcdef0'), 'ssm-parameter');
  return { ...r, props: { ...r.props, name } };
}

async function parameterTags(name: string): Promise<Record<string, string>> {
  const out = await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }));
  return Object.fromEntries((out.TagList ?? []).map((x) => [x.Key ?? '', x.Value ?? '']));
}

async function ingressOf(c: Clients, groupId: string) {
  const out = await c.ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (out.SecurityGroupRules ?? []).filter((r) => !r.IsEgress);
}

describe('EC2 security group handlers on the AWS twin', function () {
  this.timeout(60_000);

  before(async () => {
    twin = await startAwsTwin({
      delaysMs: { nlbActiveMs: 100, endpointAvailableMs: 100, route53ChangeMs: 100 },
    });
    provider = clientsFor(twin, PROVIDER);
    consumer = clientsFor(twin, CONSUMER);
    ssm = new SSMClient(clientConfigFor(twin, CONSUMER));
    pnet = await seedVpc(provider, '10.0.0.0/16');
    cnet = await seedVpc(consumer, '10.20.0.0/16');
  });

  after(async () => {
    t?.destroy();
    provider?.destroy();
    consumer?.destroy();
    ssm?.destroy();
    await twin?.stop();
  });

  beforeEach(async () => {
    t?.destroy();
    t = new TestCtx(twin, 'sgtest');
    await twin.control.clearFaults();
  });

  describe('security-group', () => {
    it('creates with the planned ingress, reads back in planner order (by id and by name), adopts, updates the difference, deletes', async () => {
      const sg = pick(plan('sg-0123456789abcdef0'), 'security-group', 'analytics/security-group');
      assert.equal(sg.account, CONSUMER);
      assert.deepEqual(
        sg.props.ingress.map((r) => `${r.cidr} ${r.fromPort}-${r.toPort}`),
        [
          '10.30.0.0/16 9001-9003',
          '10.30.0.0/16 9094-9094',
          '10.20.0.0/16 9001-9003',
          '10.20.0.0/16 9094-9094',
        ],
      );
      const ctx = t.ctx(CONSUMER);
      const made = await securityGroup.handler.create(ctx, sg);
      assert.match(made.physicalId, /^sg-/);
      assert.deepEqual(made.outputs, { groupId: made.physicalId });
      assertNoop(securityGroup, sg, made);

      const known = instanceOf(sg, made);
      assertNoop(securityGroup, sg, await securityGroup.handler.read(ctx, sg, known));
      assertNoop(securityGroup, sg, await securityGroup.handler.read(ctx, undefined, known));
      const byName = await securityGroup.handler.read(ctx, sg, undefined);
      assert.equal(byName?.physicalId, made.physicalId, 'a crashed run adopts the group by name');

      const again = await securityGroup.handler.create(ctx, sg);
      assert.equal(again.physicalId, made.physicalId, 'no duplicate');
      const groups = await consumer.ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [cnet.vpcId] }] }),
      );
      assert.equal(groups.SecurityGroups?.filter((g) => g.GroupName === sg.props.name).length, 1);
      // AWS's default egress is left alone.
      const g = groups.SecurityGroups?.find((x) => x.GroupId === made.physicalId);
      assert.equal(g?.IpPermissionsEgress?.[0]?.IpRanges?.[0]?.CidrIp, '0.0.0.0/0');

      // One CIDR dropped, one added, a description changed, a tag added.
      const [r0, r1, r2, r3] = sg.props.ingress as [
        (typeof sg.props.ingress)[number],
        (typeof sg.props.ingress)[number],
        (typeof sg.props.ingress)[number],
        (typeof sg.props.ingress)[number],
      ];
      const changed = {
        ...sg,
        props: {
          ...sg.props,
          ingress: [
            { ...r2, description: 'Kafka clients (analytics)' },
            r3,
            { ...r0, cidr: '10.40.0.0/16' },
            { ...r1, cidr: '10.40.0.0/16' },
          ],
          tags: { ...sg.props.tags, team: 'data' },
        },
      };
      const before = await securityGroup.handler.read(ctx, changed, known);
      assert.ok(before);
      assert.deepEqual(compareProps(securityGroup, changed.props, before.props), {
        action: 'update',
        changed: ['ingress', 'tags'],
        forcing: [],
      });
      assertNoop(securityGroup, changed, await securityGroup.handler.update!(ctx, changed, before));
      assertNoop(securityGroup, changed, await securityGroup.handler.read(ctx, changed, known));

      // A rule added out of band shows as a difference and the update revokes it.
      await consumer.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: made.physicalId,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.99.0.0/16' }] },
          ],
        }),
      );
      const drifted = await securityGroup.handler.read(ctx, changed, known);
      assert.ok(drifted);
      assert.deepEqual(compareProps(securityGroup, changed.props, drifted.props).changed, ['ingress']);
      assertNoop(securityGroup, changed, await securityGroup.handler.update!(ctx, changed, drifted));

      await securityGroup.handler.delete(ctx, known);
      assert.equal(await securityGroup.handler.read(ctx, sg, known), undefined);
      assert.equal(await securityGroup.handler.read(ctx, sg, undefined), undefined);
      await securityGroup.handler.delete(ctx, known);
    });

    it("ingress from 'vpc': one rule per VPC CIDR block, read back as 'vpc' (planned and scanned); a block associated later is a change; a CIDR that is also a block is one rule", async () => {
      const vpcId = (await provider.ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }))).Vpc
        ?.VpcId as string;
      const port = (p: number, cidr: string, description: string) => ({
        protocol: 'tcp' as const,
        fromPort: p,
        toPort: p,
        cidr,
        description,
      });
      const sg: ResourceOf<'security-group'> = {
        kind: 'security-group',
        id: 'provider/security-group',
        account: PROVIDER,
        region: twin.region,
        dependsOn: [],
        props: {
          name: 'mpl-sgtest-vpc-ingress',
          description: 'vpc ingress',
          vpcId,
          // 10.50.0.0/16 is a consumer's CIDR too (overlapping ranges): EC2 holds it once, the first.
          ingress: [
            port(9094, '10.50.0.0/16', 'Kafka clients'),
            port(9094, '10.20.0.0/16', 'Kafka clients'),
            port(9094, 'vpc', 'Kafka clients in the MSK VPC'),
            port(9001, 'vpc', 'Kafka clients in the MSK VPC'),
          ],
          egress: [{ protocol: 'tcp', fromPort: 9094, toPort: 9094, to: 'vpc', description: 'to brokers' }],
          tags: { [TAG_STACK]: 'sgtest', [TAG_ID]: 'provider/security-group' },
        },
      };
      const rows = async (groupId: string) =>
        (await ingressOf(provider, groupId))
          .map((r) => `${r.FromPort} ${r.CidrIpv4} ${r.Description ?? ''}`)
          .sort();
      const ctx = t.ctx(PROVIDER);
      const made = await securityGroup.handler.create(ctx, sg);
      assertNoop(securityGroup, sg, made);
      assert.deepEqual(made.props.ingress, sg.props.ingress);
      assert.deepEqual(await rows(made.physicalId), [
        '9001 10.50.0.0/16 Kafka clients in the MSK VPC',
        '9094 10.20.0.0/16 Kafka clients',
        '9094 10.50.0.0/16 Kafka clients',
      ]);
      const known = instanceOf(sg, made);
      assertNoop(securityGroup, sg, await securityGroup.handler.read(ctx, sg, known));
      assertNoop(securityGroup, sg, await securityGroup.handler.read(ctx, undefined, known));

      // A second block: the planned 'vpc' rules lack it, a change the update makes.
      await provider.ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, CidrBlock: '10.51.0.0/16' }));
      const before = await securityGroup.handler.read(ctx, sg, known);
      assert.ok(before);
      assert.deepEqual(compareProps(securityGroup, sg.props, before.props).changed, ['egress', 'ingress']);
      assertNoop(securityGroup, sg, await securityGroup.handler.update!(ctx, sg, before));
      assert.deepEqual(await rows(made.physicalId), [
        '9001 10.50.0.0/16 Kafka clients in the MSK VPC',
        '9001 10.51.0.0/16 Kafka clients in the MSK VPC',
        '9094 10.20.0.0/16 Kafka clients',
        '9094 10.50.0.0/16 Kafka clients',
        '9094 10.51.0.0/16 Kafka clients in the MSK VPC',
      ]);

      // Found without a plan (a scan): the blocks of one port range and description read as 'vpc'.
      const scanned = (await securityGroup.scan!(ctx, new Map())).find((x) => x.id === sg.id);
      assert.ok(scanned);
      assert.deepEqual(
        scanned.live.props.ingress.map((r) => `${r.fromPort} ${r.cidr} ${r.description}`).sort(),
        [
          '9001 vpc Kafka clients in the MSK VPC',
          '9094 10.20.0.0/16 Kafka clients',
          '9094 10.50.0.0/16 Kafka clients',
          '9094 10.51.0.0/16 Kafka clients in the MSK VPC',
        ],
      );
      assert.deepEqual(scanned.live.props.egress, sg.props.egress);

      // A rule of one block revoked out of band: no longer 'vpc', a change the update repairs.
      const lost = (await ingressOf(provider, made.physicalId)).find(
        (r) => r.FromPort === 9001 && r.CidrIpv4 === '10.51.0.0/16',
      )?.SecurityGroupRuleId as string;
      await provider.ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: made.physicalId, SecurityGroupRuleIds: [lost] }),
      );
      const drifted = await securityGroup.handler.read(ctx, sg, known);
      assert.ok(drifted);
      assert.ok(
        drifted.props.ingress.some((r) => r.fromPort === 9001 && r.cidr === '10.50.0.0/16'),
        JSON.stringify(drifted.props.ingress),
      );
      assert.deepEqual(compareProps(securityGroup, sg.props, drifted.props).changed, ['ingress']);
      assertNoop(securityGroup, sg, await securityGroup.handler.update!(ctx, sg, drifted));

      await securityGroup.handler.delete(ctx, known);
      assert.equal(await securityGroup.handler.read(ctx, sg, known), undefined);
    });

    it('retries DeleteSecurityGroup while an endpoint still holds it (DependencyViolation), up to the wait timeout', async () => {
      const sg = pick(plan('sg-0123456789abcdef0'), 'security-group', 'analytics/security-group');
      const ctx = t.ctx(CONSUMER);
      const made = await securityGroup.handler.create(ctx, sg);
      const known = instanceOf(sg, made);
      // The twin does not model ENIs holding a group: inject what AWS answers meanwhile.
      const fault = {
        service: 'ec2',
        action: 'DeleteSecurityGroup',
        account: CONSUMER,
        kind: 'error' as const,
      };
      await twin.control.injectFault({ ...fault, code: 'DependencyViolation', count: 100 });
      await rejects(
        securityGroup.handler.delete(t.ctx(CONSUMER, twin.region, { intervalMs: 20, timeoutMs: 200 }), known),
        'WAIT_TIMEOUT',
      );
      assert.ok(await securityGroup.handler.read(ctx, sg, known), 'still there');
      await twin.control.clearFaults();
      await twin.control.injectFault({ ...fault, code: 'DependencyViolation', count: 2 });
      await securityGroup.handler.delete(ctx, known);
      assert.equal(await securityGroup.handler.read(ctx, sg, known), undefined);
      // Any other error is not retried.
      const again = await securityGroup.handler.create(ctx, sg);
      await twin.control.injectFault({ ...fault, code: 'UnauthorizedOperation', count: 1 });
      await rejects(securityGroup.handler.delete(ctx, instanceOf(sg, again)), 'DELETE_FAILED');
      await securityGroup.handler.delete(ctx, instanceOf(sg, again));
    });
  });

  describe('security-group-rule', () => {
    it('authorizes one tagged rule per NLB subnet CIDR (an NLB kept without a group), finds them by tag, keeps others’ rules, reports drift, deletes', async () => {
      const brokerSg = await newGroup(provider, pnet.vpcId, `msk-brokers-${Date.now()}`);
      const [s1, s2, s3] = pnet.subnets as [
        AccountNetwork['subnets'][number],
        AccountNetwork['subnets'][number],
        AccountNetwork['subnets'][number],
      ];
      // The operator's rules: one already allows the first NLB subnet on the same port, one is unrelated.
      await provider.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: brokerSg,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 9094, ToPort: 9094, IpRanges: [{ CidrIp: s1.cidr }] },
            { IpProtocol: 'tcp', FromPort: 9092, ToPort: 9092, IpRanges: [{ CidrIp: '10.99.0.0/16' }] },
          ],
        }),
      );
      const operatorRules = (await ingressOf(provider, brokerSg)).map((r) => r.SecurityGroupRuleId).sort();
      assert.equal(operatorRules.length, 2);

      const rule = pick(plan(brokerSg, true), 'security-group-rule');
      assert.deepEqual(rule.props.sourceSubnetIds, [s1.id, s2.id, s3.id].sort());
      assert.equal(rule.props.fromPort, 9094);
      const ctx = t.ctx(PROVIDER);
      const made = await securityGroupRule.handler.create(ctx, rule);
      assertNoop(securityGroupRule, rule, made);
      const own = (await ingressOf(provider, brokerSg)).filter(
        (r) => !operatorRules.includes(r.SecurityGroupRuleId),
      );
      assert.deepEqual(
        own.map((r) => r.CidrIpv4).sort(),
        [s2.cidr, s3.cidr],
        'the CIDR already allowed is not duplicated',
      );
      assert.equal(
        made.physicalId,
        own
          .map((r) => r.SecurityGroupRuleId)
          .sort()
          .join(','),
      );
      assert.deepEqual(made.outputs, { groupId: brokerSg, ruleIds: made.physicalId.split(',') });
      for (const r of own) {
        assert.deepEqual(Object.fromEntries((r.Tags ?? []).map((x) => [x.Key, x.Value])), {
          'msk-privatelink:stack': 'sgtest',
          'msk-privatelink:id': rule.id,
        });
        assert.equal(r.Description, rule.props.description);
      }

      const known = instanceOf(rule, made);
      assertNoop(securityGroupRule, rule, await securityGroupRule.handler.read(ctx, rule, known));
      assertNoop(securityGroupRule, rule, await securityGroupRule.handler.read(ctx, undefined, known));
      const byTag = await securityGroupRule.handler.read(ctx, rule, undefined);
      assert.equal(byTag?.physicalId, made.physicalId, 'found by tags without state');
      const again = await securityGroupRule.handler.create(ctx, rule);
      assert.equal(again.physicalId, made.physicalId, 'no duplicate');
      assert.equal((await ingressOf(provider, brokerSg)).length, 4);

      // Description changes in place.
      const relabelled = { ...rule, props: { ...rule.props, description: 'NLB to brokers (tls)' } };
      const before = await securityGroupRule.handler.read(ctx, relabelled, known);
      assert.ok(before);
      assert.deepEqual(compareProps(securityGroupRule, relabelled.props, before.props), {
        action: 'update',
        changed: ['description'],
        forcing: [],
      });
      assertNoop(
        securityGroupRule,
        relabelled,
        await securityGroupRule.handler.update!(ctx, relabelled, before),
      );

      // A rule revoked out of band: the subnet is missing, which forces a replacement.
      const lost = own.find((r) => r.CidrIpv4 === s3.cidr)?.SecurityGroupRuleId as string;
      await provider.ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: brokerSg, SecurityGroupRuleIds: [lost] }),
      );
      const drifted = await securityGroupRule.handler.read(ctx, relabelled, known);
      assert.deepEqual(drifted?.props.sourceSubnetIds, [s1.id, s2.id].sort());
      assert.ok(drifted);
      assert.deepEqual(compareProps(securityGroupRule, relabelled.props, drifted.props), {
        action: 'replace',
        changed: ['sourceSubnetIds'],
        forcing: ['sourceSubnetIds'],
      });

      // A tagged rule whose CIDR is no planned subnet's shows as cidr:<block>.
      await provider.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: brokerSg,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 9094, ToPort: 9094, IpRanges: [{ CidrIp: '10.77.0.0/24' }] },
          ],
          TagSpecifications: [
            {
              ResourceType: 'security-group-rule',
              Tags: [
                { Key: 'msk-privatelink:stack', Value: 'sgtest' },
                { Key: 'msk-privatelink:id', Value: rule.id },
              ],
            },
          ],
        }),
      );
      const stray = await securityGroupRule.handler.read(ctx, relabelled, known);
      assert.deepEqual(stray?.props.sourceSubnetIds, [s1.id, s2.id, 'cidr:10.77.0.0/24'].sort());

      // Delete revokes what the stack made (state ids and tagged rules), never the operator's rules.
      await securityGroupRule.handler.delete(ctx, known);
      assert.deepEqual(
        (await ingressOf(provider, brokerSg)).map((r) => r.SecurityGroupRuleId).sort(),
        operatorRules,
      );
      // The operator's rule alone still allows one planned subnet: present but not owned.
      const borrowed = await securityGroupRule.handler.read(ctx, rule, undefined);
      assert.deepEqual(borrowed?.props.sourceSubnetIds, [s1.id]);
      assert.equal(borrowed?.physicalId, brokerSg);
      await securityGroupRule.handler.delete(ctx, known);

      // Without the operator's rule, nothing remains: read answers undefined.
      await provider.ec2.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: brokerSg,
          SecurityGroupRuleIds: operatorRules as string[],
        }),
      );
      assert.equal(await securityGroupRule.handler.read(ctx, rule, known), undefined);
      assert.equal(await securityGroupRule.handler.read(ctx, rule, undefined), undefined);

      // Recreated from scratch: all three subnets, then gone again.
      const fresh = await securityGroupRule.handler.create(ctx, rule);
      assertNoop(securityGroupRule, rule, fresh);
      assert.equal(fresh.physicalId.split(',').length, 3);
      await securityGroupRule.handler.delete(ctx, instanceOf(rule, fresh));
      assert.equal(await securityGroupRule.handler.read(ctx, rule, undefined), undefined);
      assert.deepEqual(await ingressOf(provider, brokerSg), []);
    });

    it("admits the NLBs' security group: one tagged rule referencing it, read back by its logical id, adopted, relabelled, scanned, deleted; the group is held while referenced", async () => {
      const brokerSg = await newGroup(provider, pnet.vpcId, `msk-brokers-ref-${Date.now()}`);
      const SOURCE = 'provider/security-group';
      const rule = pick(plan(brokerSg), 'security-group-rule');
      assert.equal(rule.props.sourceGroup, SOURCE);
      assert.deepEqual(rule.dependsOn, [SOURCE]);
      const ctx = t.ctx(PROVIDER);
      // Not made yet: nothing can reference it, so nothing is found (no REF_MISSING from a read).
      assert.equal(await securityGroupRule.handler.read(ctx, rule, undefined), undefined);

      // The NLBs' group as planned: the consumers' CIDRs and the VPC in, the VPC out, read back equal.
      const nlbGroup = pick(plan(brokerSg), 'security-group', SOURCE);
      assert.deepEqual(
        nlbGroup.props.ingress.map((r) => `${r.cidr} ${r.fromPort}-${r.toPort}`),
        [
          '10.20.0.0/16 9001-9003',
          '10.20.0.0/16 9094-9094',
          '10.30.0.0/16 9001-9003',
          '10.30.0.0/16 9094-9094',
          'vpc 9001-9003',
          'vpc 9094-9094',
        ],
      );
      const g = await securityGroup.handler.create(ctx, nlbGroup);
      assertNoop(securityGroup, nlbGroup, g);
      const nlbSg = g.physicalId;
      assert.deepEqual(
        (await ingressOf(provider, nlbSg)).map((r) => `${r.CidrIpv4} ${r.FromPort}-${r.ToPort}`).sort(),
        [
          '10.0.0.0/16 9001-9003',
          '10.0.0.0/16 9094-9094',
          '10.20.0.0/16 9001-9003',
          '10.20.0.0/16 9094-9094',
          '10.30.0.0/16 9001-9003',
          '10.30.0.0/16 9094-9094',
        ],
      );
      const groupKnown = t.remember(nlbGroup, g);
      assertNoop(securityGroup, nlbGroup, await securityGroup.handler.read(ctx, nlbGroup, groupKnown));

      const made = await securityGroupRule.handler.create(ctx, rule);
      assertNoop(securityGroupRule, rule, made);
      assert.equal(made.props.sourceGroup, SOURCE);
      assert.equal(made.props.sourceSubnetIds, undefined);
      const rows = await ingressOf(provider, brokerSg);
      assert.equal(rows.length, 1);
      const [row] = rows as [NonNullable<(typeof rows)[number]>];
      assert.equal(row.ReferencedGroupInfo?.GroupId, nlbSg);
      assert.equal(row.CidrIpv4, undefined);
      assert.equal(row.Description, rule.props.description);
      assert.equal(made.physicalId, row.SecurityGroupRuleId);
      assert.deepEqual(Object.fromEntries((row.Tags ?? []).map((x) => [x.Key, x.Value])), {
        [TAG_STACK]: 'sgtest',
        [TAG_ID]: rule.id,
      });

      const known = instanceOf(rule, made);
      assertNoop(securityGroupRule, rule, await securityGroupRule.handler.read(ctx, rule, known));
      assertNoop(securityGroupRule, rule, await securityGroupRule.handler.read(ctx, undefined, known));
      const byTag = await securityGroupRule.handler.read(ctx, rule, undefined);
      assert.equal(byTag?.physicalId, made.physicalId, 'found by tags without state');
      const again = await securityGroupRule.handler.create(ctx, rule);
      assert.equal(again.physicalId, made.physicalId, 'no duplicate');
      assert.equal((await ingressOf(provider, brokerSg)).length, 1);
      assert.deepEqual(t.messages, [], 'its own rule is no one else’s');

      // Planned with the NLBs' subnets instead (an NLB kept without a group): a replacement.
      const planned = pick(plan(brokerSg, true), 'security-group-rule');
      assert.deepEqual(compareProps(securityGroupRule, planned.props, made.props), {
        action: 'replace',
        changed: ['sourceGroup', 'sourceSubnetIds'],
        forcing: ['sourceGroup', 'sourceSubnetIds'],
      });

      // The description changes in place, on the rule and on the group pair (one rule in EC2).
      const relabelled = { ...rule, props: { ...rule.props, description: 'NLBs to brokers' } };
      const before = await securityGroupRule.handler.read(ctx, relabelled, known);
      assert.ok(before);
      assert.deepEqual(compareProps(securityGroupRule, relabelled.props, before.props).changed, [
        'description',
      ]);
      assertNoop(
        securityGroupRule,
        relabelled,
        await securityGroupRule.handler.update!(ctx, relabelled, before),
      );
      const pairs = (
        await provider.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [brokerSg] }))
      ).SecurityGroups?.[0]?.IpPermissions?.flatMap((x) => x.UserIdGroupPairs ?? []);
      assert.deepEqual(
        pairs?.map((x) => [x.GroupId, x.Description]),
        [[nlbSg, 'NLBs to brokers']],
      );

      // Found from nothing: named by the group found, which it depends on.
      const found = new Map([[SOURCE, t.known.get(SOURCE) as Instance]]);
      const scanned = await securityGroupRule.scan!(ctx, found);
      assert.deepEqual(
        scanned.map((x) => [x.id, x.live.physicalId, x.dependsOn]),
        [[rule.id, made.physicalId, [SOURCE]]],
      );
      assertNoop(securityGroupRule, relabelled, scanned[0]?.live);

      // EC2 keeps a group that another group's rule references (DependencyViolation).
      await assert.rejects(
        provider.ec2.send(new DeleteSecurityGroupCommand({ GroupId: nlbSg })),
        (e: Error) => e.name === 'DependencyViolation',
      );

      await securityGroupRule.handler.delete(ctx, known);
      assert.deepEqual(await ingressOf(provider, brokerSg), []);
      assert.equal(await securityGroupRule.handler.read(ctx, rule, known), undefined);

      // The operator's rule admitting the group on the same port: present, never owned.
      await provider.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: brokerSg,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 9094, ToPort: 9094, UserIdGroupPairs: [{ GroupId: nlbSg }] },
          ],
        }),
      );
      const borrowed = await securityGroupRule.handler.read(ctx, rule, undefined);
      assert.equal(borrowed?.props.sourceGroup, SOURCE);
      assert.equal(borrowed?.physicalId, brokerSg);
      const kept = await securityGroupRule.handler.create(ctx, rule);
      assert.equal(kept.physicalId, brokerSg);
      assert.match(t.messages.join('\n'), /is already allowed by sgr-\w+, which this stack did not make/);
      await securityGroupRule.handler.delete(ctx, instanceOf(rule, kept));
      assert.equal((await ingressOf(provider, brokerSg)).length, 1, "the operator's rule stays");
      await provider.ec2.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: brokerSg,
          SecurityGroupRuleIds: (await ingressOf(provider, brokerSg)).map(
            (x) => x.SecurityGroupRuleId as string,
          ),
        }),
      );
      await securityGroup.handler.delete(ctx, groupKnown);
      assert.equal(await securityGroup.handler.read(ctx, nlbGroup, undefined), undefined);
    });

    it('answers undefined when the group is gone, and deleting then succeeds', async () => {
      const brokerSg = await newGroup(provider, pnet.vpcId, `msk-brokers-gone-${Date.now()}`);
      const rule = pick(plan(brokerSg, true), 'security-group-rule');
      const made = await securityGroupRule.handler.create(t.ctx(PROVIDER), rule);
      const known = instanceOf(rule, made);
      await provider.ec2.send(new DeleteSecurityGroupCommand({ GroupId: brokerSg }));
      assert.equal(await securityGroupRule.handler.read(t.ctx(PROVIDER), rule, known), undefined);
      await securityGroupRule.handler.delete(t.ctx(PROVIDER), known);
    });
  });
  describe('ssm-parameter', () => {
    it('creates, reads back equal (by id and by name), adopts after a lost state, writes nothing unchanged, updates value and tags, deletes', async () => {
      const r = param();
      assert.equal(r.account, CONSUMER);
      assert.equal(r.props.name, PARAMETER);
      assert.equal(r.props.tags[TAG_STACK], 'sgtest');
      assert.equal(r.props.tags[TAG_ID], r.id);
      const ctx = t.ctx(CONSUMER);
      const made = await ssmParameter.handler.create(ctx, r);
      assert.equal(made.physicalId, PARAMETER);
      assert.deepEqual(made.outputs, { name: PARAMETER, version: 1 });
      assertNoop(ssmParameter, r, made);
      assert.deepEqual(await parameterTags(PARAMETER), r.props.tags);

      const known = instanceOf(r, made);
      assertNoop(ssmParameter, r, await ssmParameter.handler.read(ctx, r, known));
      assertNoop(ssmParameter, r, await ssmParameter.handler.read(ctx, undefined, known));
      // State lost: found by name, its tags say it is this stack's.
      const byName = await ssmParameter.handler.read(ctx, r, undefined);
      assert.equal(byName?.physicalId, made.physicalId, 'a crashed run adopts the parameter by name');
      assertNoop(ssmParameter, r, byName);
      const again = await ssmParameter.handler.create(ctx, r);
      assert.equal(again.physicalId, made.physicalId);
      assert.equal(again.outputs.version, made.outputs.version, 'an unchanged create writes nothing');

      const changed: typeof r = {
        ...r,
        props: { ...r.props, value: 'b-1.example:9094', tags: { ...r.props.tags, Owner: 'team-a' } },
      };
      const before = await ssmParameter.handler.read(ctx, changed, known);
      assert.ok(before);
      assert.deepEqual(compareProps(ssmParameter, changed.props, before.props), {
        action: 'update',
        changed: ['tags', 'value'],
        forcing: [],
      });
      const updated = await ssmParameter.handler.update!(ctx, changed, before);
      assertNoop(ssmParameter, changed, updated);
      assert.equal(updated.outputs.version, 2);
      // Back: the extra tag goes too.
      const back = await ssmParameter.handler.update!(ctx, r, updated);
      assertNoop(ssmParameter, r, back);
      assert.deepEqual(await parameterTags(PARAMETER), r.props.tags);

      await ssmParameter.handler.delete(ctx, known);
      assert.equal(await ssmParameter.handler.read(ctx, r, known), undefined);
      assert.equal(await ssmParameter.handler.read(ctx, r, undefined), undefined);
      await ssmParameter.handler.delete(ctx, known);
      assert.ok(!t.messages.some((m) => m.includes(r.props.value) || m.includes(changed.props.value)));
    });

    it('the twin enforces the tiers: 4,096 characters standard, 8,192 advanced, no way back to standard', async () => {
      const name = '/msk/sgtest/tiers';
      const long = 'x'.repeat(4097);
      await assert.rejects(
        ssm.send(new PutParameterCommand({ Name: name, Value: long, Type: 'String' })),
        (e: Error) =>
          e.name === 'ValidationException' && /maximum parameter value of 4096 characters/.test(e.message),
      );
      await ssm.send(new PutParameterCommand({ Name: name, Value: 'x'.repeat(4096), Type: 'String' }));
      await ssm.send(
        new PutParameterCommand({
          Name: name,
          Value: long,
          Type: 'String',
          Tier: 'Advanced',
          Overwrite: true,
        }),
      );
      await assert.rejects(
        ssm.send(
          new PutParameterCommand({ Name: name, Value: 'x'.repeat(8193), Type: 'String', Overwrite: true }),
        ),
        (e: Error) => e.name === 'ValidationException' && /less than or equal to 8192/.test(e.message),
      );
      await assert.rejects(
        ssm.send(
          new PutParameterCommand({
            Name: name,
            Value: 'short',
            Type: 'String',
            Tier: 'Standard',
            Overwrite: true,
          }),
        ),
        (e: Error) => e.name === 'ValidationException' && /can't downgrade/.test(e.message),
      );
      await ssm.send(new DeleteParameterCommand({ Name: name }));
    });

    it('a bootstrap string over 4 KB is an advanced parameter; back under 4 KB it is replaced by a standard one', async () => {
      const ctx = t.ctx(CONSUMER);
      const base = param('/msk/sgtest/large');
      const value = Array.from(
        { length: 80 },
        (_, i) => `b-${i + 1}-pl.payments.abc123.c2.kafka.us-east-2.amazonaws.com:9094`,
      ).join(',');
      assert.ok(value.length > 4096);
      const big: typeof base = { ...base, props: { ...base.props, value, tier: 'Advanced' } };
      const made = await ssmParameter.handler.create(ctx, big);
      assertNoop(ssmParameter, big, made);
      assert.equal(made.props.tier, 'Advanced');
      const small: typeof base = { ...base, props: { ...base.props, tier: 'Standard' } };
      const before = await ssmParameter.handler.read(ctx, small, instanceOf(big, made));
      assert.ok(before);
      assert.deepEqual(compareProps(ssmParameter, small.props, before.props).forcing, ['tier']);
      // A replace: delete, then create.
      await ssmParameter.handler.delete(ctx, instanceOf(big, made));
      const again = await ssmParameter.handler.create(ctx, small);
      assertNoop(ssmParameter, small, again);
      assert.equal(again.props.tier, 'Standard');
      await ssmParameter.handler.delete(ctx, instanceOf(small, again));
      assert.ok(!t.messages.some((m) => m.includes(value)));
    });

    it("refuses another stack's parameter: never adopted, overwritten or deleted, and values never in messages", async () => {
      const r = param('/msk/sgtest/taken');
      await ssm.send(new PutParameterCommand({ Name: r.props.name, Value: 'secret-ish', Type: 'String' }));
      await ssm.send(
        new AddTagsToResourceCommand({
          ResourceType: 'Parameter',
          ResourceId: r.props.name,
          Tags: [
            { Key: TAG_STACK, Value: 'other' },
            { Key: TAG_ID, Value: r.id },
          ],
        }),
      );
      const ctx = t.ctx(CONSUMER);
      assert.equal(await ssmParameter.handler.read(ctx, r, undefined), undefined, 'not adopted');
      const refused = (e: unknown) => {
        assert.ok(e instanceof MplError, `an MplError, got ${String(e)}`);
        assert.equal(e.code, 'PARAMETER_CONFLICT', e.message);
        assert.match(e.message, /belongs to other/);
        assert.doesNotMatch(e.message, /secret-ish/);
        assert.ok(!e.message.includes(r.props.value));
        return true;
      };
      await assert.rejects(ssmParameter.handler.create(ctx, r), refused);
      // A state entry for the name (e.g. the other stack made it again since): update refuses, delete leaves it.
      const theirs = instanceOf(r, { physicalId: r.props.name, props: r.props, outputs: {} });
      await assert.rejects(
        ssmParameter.handler.update!(ctx, r, { physicalId: r.props.name, props: r.props, outputs: {} }),
        refused,
      );
      await ssmParameter.handler.delete(ctx, theirs);
      const kept = await ssm.send(new GetParameterCommand({ Name: r.props.name }));
      assert.equal(kept.Parameter?.Value, 'secret-ish', 'neither overwritten nor deleted');
      assert.equal(kept.Parameter?.Version, 1);
      assert.deepEqual(await parameterTags(r.props.name), { [TAG_STACK]: 'other', [TAG_ID]: r.id });
      assert.ok(!t.messages.some((m) => m.includes('secret-ish') || m.includes(r.props.value)));
    });

    it('reports a failed PutParameter by its error name only, never the value AWS quotes back', async () => {
      const r = param('/msk/sgtest/refused');
      const ctx = t.ctx(CONSUMER);
      await twin.control.injectFault({
        service: 'ssm',
        action: 'PutParameter',
        account: CONSUMER,
        kind: 'error',
        code: 'ValidationException',
        message: `1 validation error detected: Value '${r.props.value}' at 'value' failed to satisfy constraint`,
        count: 1,
      });
      await assert.rejects(ssmParameter.handler.create(ctx, r), (e: unknown) => {
        assert.ok(e instanceof MplError, `an MplError, got ${String(e)}`);
        assert.equal(e.code, 'CREATE_FAILED', e.message);
        assert.match(e.message, /ValidationException/);
        assert.ok(!e.message.includes(r.props.value), e.message);
        assert.ok(
          String((e.cause as Error).message).includes(r.props.value),
          'the AWS answer quoted the value',
        );
        assert.equal(e.retriable, false);
        return true;
      });
      assert.equal(await ssmParameter.handler.read(ctx, r, undefined), undefined, 'nothing made');
      // The next attempt succeeds and is cleaned up.
      const made = await ssmParameter.handler.create(ctx, r);
      assertNoop(ssmParameter, r, made);
      await ssmParameter.handler.delete(ctx, instanceOf(r, made));
      assert.equal(await ssmParameter.handler.read(ctx, r, undefined), undefined);
    });
  });
});
