// A security group: ingress exactly as props.ingress (TCP, from an IPv4 CIDR or from the VPC's own
// IPv4 CIDR blocks, `cidr: 'vpc'`). Egress is left as AWS makes it (allow all) unless props.egress
// is given (`monitor`'s probe functions, the NLBs' group): then it is exactly those TCP ports,
// towards the VPC's own IPv4 CIDR blocks (`to: 'vpc'`) or a CIDR. Found by name in its VPC (names
// are unique per VPC).
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  AuthorizeSecurityGroupEgressCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsEgressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
  paginateDescribeSecurityGroups,
  type DescribeSecurityGroupsCommandInput,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { TfResource } from '../export/tf-types.js';
import { classify, errorName } from '../aws/errors.js';
import { MplError } from '../errors.js';
import { attempt, defineKind, orGone, resourceHandler, type HandlerCtx, type Live } from './kind.js';
import { compareStrings, ec2Tags, orderLike, tagMap, tagSpec } from './shared/ec2.js';
import { poll } from './shared/poll.js';
import { ofStack, stackTagFilter } from './shared/scan.js';
import { Port, Tags } from './shared/schema.js';
import { ec2StackResource } from '../iam/scope.js';
import { collectById, primeRead, readBatched } from './shared/batched.js';
import { cfnTags } from '../export/cfn-types.js';

const Props = z.strictObject({
  name: z.string(),
  description: z.string(),
  vpcId: z.string(),
  ingress: z.array(
    z.strictObject({
      protocol: z.literal('tcp'),
      fromPort: Port,
      toPort: Port,
      /** 'vpc': every IPv4 CIDR block of the group's VPC (read when applied); else one CIDR. */
      cidr: z.string(),
      description: z.string(),
    }),
  ),
  /** Absent: egress is not managed (AWS's default allow-all rule stays). */
  egress: z
    .array(
      z.strictObject({
        protocol: z.literal('tcp'),
        fromPort: Port,
        toPort: Port,
        /** 'vpc': every IPv4 CIDR block of the group's VPC; else one CIDR. */
        to: z.string(),
        description: z.string(),
      }),
    )
    .optional(),
  tags: Tags,
});
type Props = z.infer<typeof Props>;
type Rule = Props['ingress'][number];
type EgressRule = NonNullable<Props['egress']>[number];

/** A rule's identity in EC2 (protocol, ports, source); the description is a property of it. */
const ruleKey = (r: Rule) => `${r.protocol}|${r.fromPort}|${r.toPort}|${r.cidr}`;
/** The source (ingress) or destination (egress) that stands for the group's VPC's IPv4 CIDR blocks. */
const VPC = 'vpc';
const label = (p: Partial<Props>) => `security group ${p.name ?? '?'}`;

async function describe(
  ctx: HandlerCtx,
  q: DescribeSecurityGroupsCommandInput,
): Promise<SecurityGroup | undefined> {
  const out = await ctx.aws.ec2.send(new DescribeSecurityGroupsCommand(q));
  return out.SecurityGroups?.[0];
}

const byName = (ctx: HandlerCtx, name: string, vpcId: string) =>
  describe(ctx, {
    Filters: [
      { Name: 'vpc-id', Values: [vpcId] },
      { Name: 'group-name', Values: [name] },
    ],
  });

/** Ingress as the planner writes it; what the model cannot express (other protocols, IPv6, group sources) is logged. */
function ingressOf(ctx: HandlerCtx, sg: SecurityGroup): Rule[] {
  const rules: Rule[] = [];
  for (const p of sg.IpPermissions ?? []) {
    const other =
      (p.Ipv6Ranges?.length ?? 0) + (p.UserIdGroupPairs?.length ?? 0) + (p.PrefixListIds?.length ?? 0);
    if (p.IpProtocol !== 'tcp' || other > 0) {
      ctx.log(
        `security group ${sg.GroupId}: ingress ${p.IpProtocol} ${p.FromPort}-${p.ToPort} not managed here; left as is`,
      );
    }
    if (p.IpProtocol !== 'tcp') continue;
    for (const r of p.IpRanges ?? []) {
      if (r.CidrIp === undefined) continue;
      rules.push({
        protocol: 'tcp',
        fromPort: p.FromPort ?? 0,
        toPort: p.ToPort ?? 0,
        cidr: r.CidrIp,
        description: r.Description ?? '',
      });
    }
  }
  return rules;
}

function permission(r: Rule): IpPermission {
  return {
    IpProtocol: r.protocol,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    IpRanges: [{ CidrIp: r.cidr, Description: r.description }],
  };
}

/**
 * Ingress as EC2 holds it: each `cidr: 'vpc'` rule once per VPC CIDR block. A rule whose key comes
 * twice (a consumer's CIDR that is also a block of this VPC: PrivateLink allows overlapping address
 * ranges) is one rule in EC2 (AuthorizeSecurityGroupIngress refuses a duplicate): the first is kept.
 */
function expandIngress(desired: readonly Rule[], cidrs: readonly string[]): Rule[] {
  const out = new Map<string, Rule>();
  for (const r of desired)
    for (const cidr of r.cidr === VPC ? cidrs : [r.cidr]) {
      const x = { ...r, cidr };
      if (!out.has(ruleKey(x))) out.set(ruleKey(x), x);
    }
  return [...out.values()];
}

const wantsVpc = (rules: readonly Rule[] | undefined) => (rules ?? []).some((r) => r.cidr === VPC);

/** The same rules (keys and descriptions), whatever their order. */
function sameRules(a: readonly Rule[], b: readonly Rule[]): boolean {
  const m = new Map(a.map((r) => [ruleKey(r), r.description]));
  return m.size === a.length && a.length === b.length && b.every((r) => m.get(ruleKey(r)) === r.description);
}

/**
 * Ingress in props' shape without a plan to go by: the TCP rules of one port range and description
 * that reach exactly the VPC's CIDR blocks read as one `cidr: 'vpc'` rule (as egressOf reads egress).
 */
function ingressVpcForm(rules: readonly Rule[], cidrs: readonly string[]): Rule[] {
  if (cidrs.length === 0) return [...rules];
  const byPorts = new Map<string, Rule[]>();
  for (const r of rules) {
    const key = `${r.fromPort}-${r.toPort}|${r.description}`;
    byPorts.set(key, [...(byPorts.get(key) ?? []), r]);
  }
  return [...byPorts.values()].flatMap((same) => {
    const got = new Set(same.map((r) => r.cidr));
    const first = same[0] as Rule;
    if (!cidrs.every((c) => got.has(c))) return same;
    return [{ ...first, cidr: VPC }, ...same.filter((r) => !cidrs.includes(r.cidr))];
  });
}

/** Authorizes missing rules first, then revokes extra ones (never less access than planned on the way). */
async function syncIngress(ctx: HandlerCtx, sg: SecurityGroup, planned: Rule[], what: string): Promise<void> {
  const groupId = sg.GroupId as string;
  const desired = wantsVpc(planned) ? expandIngress(planned, await vpcCidrs(ctx, sg.VpcId ?? '')) : planned;
  const actual = ingressOf(ctx, sg);
  const have = new Map(actual.map((r) => [ruleKey(r), r]));
  const want = new Set(desired.map(ruleKey));
  const add = desired.filter((r) => !have.has(ruleKey(r)));
  const relabel = desired.filter((r) => {
    const h = have.get(ruleKey(r));
    return h !== undefined && h.description !== r.description;
  });
  const remove = actual.filter((r) => !want.has(ruleKey(r)));
  await attempt('UPDATE_FAILED', `${what}: ingress`, async () => {
    if (add.length > 0) {
      await ctx.aws.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: add.map(permission) }),
      );
    }
    if (relabel.length > 0) {
      await ctx.aws.ec2.send(
        new UpdateSecurityGroupRuleDescriptionsIngressCommand({
          GroupId: groupId,
          IpPermissions: relabel.map(permission),
        }),
      );
    }
    if (remove.length > 0) {
      await ctx.aws.ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: remove.map(permission) }),
      );
    }
  });
}

/** The VPC's IPv4 CIDR blocks (primary and associated), sorted. */
async function vpcCidrs(ctx: HandlerCtx, vpcId: string): Promise<string[]> {
  const vpc = (await ctx.aws.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0];
  const all = [
    ...(vpc?.CidrBlock ? [vpc.CidrBlock] : []),
    ...(vpc?.CidrBlockAssociationSet ?? [])
      .filter((a) => a.CidrBlockState?.State === undefined || a.CidrBlockState.State === 'associated')
      .flatMap((a) => (a.CidrBlock ? [a.CidrBlock] : [])),
  ];
  return [...new Set(all)].sort();
}

/**
 * One egress rule per (protocol, ports, IPv4 CIDR) as EC2 holds them, and one `other` entry for a
 * permission's IPv6 ranges, group pairs or prefix lists (EC2 answers them in the same permission as
 * the IPv4 ranges of those ports); protocol '-1' is "all traffic".
 */
function egressRules(sg: SecurityGroup): Array<{
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr: string;
  description: string;
  other: boolean;
}> {
  const out = [];
  for (const p of sg.IpPermissionsEgress ?? []) {
    const other =
      (p.Ipv6Ranges?.length ?? 0) + (p.UserIdGroupPairs?.length ?? 0) + (p.PrefixListIds?.length ?? 0) > 0;
    for (const r of p.IpRanges ?? [])
      out.push({
        protocol: p.IpProtocol ?? '-1',
        fromPort: p.FromPort ?? -1,
        toPort: p.ToPort ?? -1,
        cidr: r.CidrIp ?? '',
        description: r.Description ?? '',
        other: false,
      });
    if (other)
      out.push({
        protocol: p.IpProtocol ?? '-1',
        fromPort: p.FromPort ?? -1,
        toPort: p.ToPort ?? -1,
        cidr: '',
        description: '',
        other,
      });
  }
  return out;
}

/** Egress in props' shape: a TCP rule reaching exactly the VPC's CIDR blocks reads as `to: 'vpc'`. */
function egressOf(sg: SecurityGroup, cidrs: string[]): EgressRule[] {
  const byPorts = new Map<string, { rule: EgressRule; cidrs: Set<string> }>();
  const out: EgressRule[] = [];
  for (const r of egressRules(sg)) {
    if (r.protocol !== 'tcp' || r.other) {
      // Not expressible (all traffic, UDP, IPv6, group sources): shown as its own rule, so it differs.
      out.push({
        protocol: 'tcp',
        fromPort: 1,
        toPort: 65535,
        to: `${r.protocol}:${r.cidr || 'other'}`,
        description: r.description,
      });
      continue;
    }
    const key = `${r.fromPort}-${r.toPort}|${r.description}`;
    const e = byPorts.get(key) ?? {
      rule: {
        protocol: 'tcp',
        fromPort: r.fromPort,
        toPort: r.toPort,
        to: 'vpc',
        description: r.description,
      },
      cidrs: new Set(),
    };
    e.cidrs.add(r.cidr);
    byPorts.set(key, e);
  }
  for (const { rule, cidrs: got } of byPorts.values()) {
    if (got.size === cidrs.length && cidrs.every((c) => got.has(c))) out.push(rule);
    else for (const c of [...got].sort()) out.push({ ...rule, to: c });
  }
  return out.sort((a, b) => a.fromPort - b.fromPort || a.toPort - b.toPort || compareStrings(a.to, b.to));
}

/** Makes the egress exactly `desired`: missing rules first, then the rest (AWS's allow-all) revoked. */
async function syncEgress(
  ctx: HandlerCtx,
  sg: SecurityGroup,
  desired: EgressRule[],
  what: string,
): Promise<void> {
  const groupId = sg.GroupId as string;
  const cidrs = await vpcCidrs(ctx, sg.VpcId ?? '');
  const want = desired.flatMap((r) => (r.to === 'vpc' ? cidrs : [r.to]).map((cidr) => ({ ...r, cidr })));
  const key = (r: { protocol: string; fromPort: number; toPort: number; cidr: string }) =>
    `${r.protocol}|${r.fromPort}|${r.toPort}|${r.cidr}`;
  const have = new Map(
    egressRules(sg)
      .filter((r) => !r.other)
      .map((r) => [key(r), r]),
  );
  const wantKeys = new Set(want.map(key));
  const add = want.filter((r) => !have.has(key(r)));
  // A rule that is there with another description: EC2 changes it in place (as for ingress).
  const relabel = want.filter((r) => {
    const h = have.get(key(r));
    return h !== undefined && h.description !== r.description;
  });
  const permission = (r: (typeof want)[number]) => ({
    IpProtocol: 'tcp',
    FromPort: r.fromPort,
    ToPort: r.toPort,
    IpRanges: [{ CidrIp: r.cidr, Description: r.description }],
  });
  const remove = (sg.IpPermissionsEgress ?? []).flatMap((p) => {
    const kept = (p.IpRanges ?? []).filter((r) =>
      wantKeys.has(
        key({
          protocol: p.IpProtocol ?? '-1',
          fromPort: p.FromPort ?? -1,
          toPort: p.ToPort ?? -1,
          cidr: r.CidrIp ?? '',
        }),
      ),
    );
    const other =
      (p.Ipv6Ranges?.length ?? 0) + (p.UserIdGroupPairs?.length ?? 0) + (p.PrefixListIds?.length ?? 0);
    const drop = (p.IpRanges ?? []).filter((r) => !kept.includes(r));
    return drop.length > 0 || other > 0 ? [{ ...p, IpRanges: drop }] : [];
  });
  await attempt('UPDATE_FAILED', `${what}: egress`, async () => {
    if (add.length > 0)
      await ctx.aws.ec2.send(
        new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: add.map(permission) }),
      );
    if (relabel.length > 0)
      await ctx.aws.ec2.send(
        new UpdateSecurityGroupRuleDescriptionsEgressCommand({
          GroupId: groupId,
          IpPermissions: relabel.map(permission),
        }),
      );
    if (remove.length > 0)
      await ctx.aws.ec2.send(
        new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: remove }),
      );
  });
}

/** Props in the planner's shape: ingress in the desired order, else by CIDR then ports. */
async function observe(
  ctx: HandlerCtx,
  sg: SecurityGroup,
  like: Partial<Props> | undefined,
): Promise<Live<Props>> {
  const groupId = sg.GroupId as string;
  // Egress is read only where it is managed (the plan gives it, or a scan finds it narrowed).
  const managed = like?.egress !== undefined || (like === undefined && !allowsAll(sg));
  const actual = ingressOf(ctx, sg);
  // Without a plan (a scan), VPC blocks read as 'vpc' only in groups with managed egress: the stack's
  // groups that name their own VPC (the NLBs'); a consumer's endpoint group lists its clients' CIDRs,
  // often exactly its VPC's block, and must read back as written.
  const vpcIngress = wantsVpc(like?.ingress) || (like === undefined && managed && actual.length > 0);
  const cidrs = managed || vpcIngress ? await vpcCidrs(ctx, sg.VpcId ?? '') : [];
  const egress = managed ? egressOf(sg, cidrs) : undefined;
  // With a plan: its own form when EC2 holds exactly what it expands to, else the VPC form (a difference).
  const ingress = !vpcIngress
    ? actual
    : like?.ingress !== undefined && sameRules(expandIngress(like.ingress, cidrs), actual)
      ? like.ingress.map((r) => ({ ...r }))
      : ingressVpcForm(actual, cidrs);
  return {
    physicalId: groupId,
    props: {
      name: sg.GroupName ?? '',
      description: sg.Description ?? '',
      vpcId: sg.VpcId ?? '',
      // The planner lists rules by CIDR in config order, then port range: follow its order.
      ingress: orderLike(
        ingress,
        like?.ingress,
        ruleKey,
        (a, b) => compareStrings(a.cidr, b.cidr) || a.fromPort - b.fromPort || a.toPort - b.toPort,
      ),
      // DescribeSecurityGroups answers the tags with the group: no DescribeTags call needed.
      ...(egress === undefined ? {} : { egress }),
      tags: tagMap(sg.Tags),
    },
    outputs: { groupId },
  };
}

/** AWS's default egress: all traffic to 0.0.0.0/0. */
const allowsAll = (sg: SecurityGroup) =>
  (sg.IpPermissionsEgress ?? []).some(
    (p) => p.IpProtocol === '-1' && (p.IpRanges ?? []).some((r) => r.CidrIp === '0.0.0.0/0'),
  );

/** The stack's groups in ctx's account and region, by their tags (filtered here too). */
async function scan(ctx: HandlerCtx): Promise<Array<{ id: string; live: Live<Props> }>> {
  const groups: SecurityGroup[] = [];
  for await (const page of paginateDescribeSecurityGroups(
    { client: ctx.aws.ec2 },
    { Filters: [stackTagFilter(ctx.stack)] },
  ))
    for (const sg of page.SecurityGroups ?? []) {
      // A plan's refresh takes what its scan listed (aws/read-batch.ts).
      primeRead(ctx, ctx.aws.ec2, 'ec2:DescribeSecurityGroups', sg.GroupId ?? '', sg);
      groups.push(sg);
    }
  const mine = await ofStack(
    ctx,
    'security-group',
    groups,
    (sg) => tagMap(sg.Tags),
    (sg) => label({ name: sg.GroupName }),
  );
  return Promise.all(mine.map(async ({ id, item }) => ({ id, live: await observe(ctx, item, undefined) })));
}

export const securityGroup = defineKind({
  kind: 'security-group',
  iam: {
    reads: ['ec2:DescribeSecurityGroups', 'ec2:DescribeVpcs', 'ec2:DescribeTags'],
    writes: (s) =>
      ec2StackResource(s, 'ec2:CreateSecurityGroup', [
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:AuthorizeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupIngress',
        'ec2:RevokeSecurityGroupEgress',
        'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
        'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
        'ec2:DeleteSecurityGroup',
      ]),
  },
  props: Props,
  // aws_security_group removes EC2's default allow-all egress rule (hashicorp/aws docs,
  // aws_security_group): with egress unmanaged it is made again, as EC2 would have it. A rule from
  // the whole VPC is one rule per IPv4 CIDR block of the VPC, read by a data source.
  terraform: (p, x, r) => {
    const rule = (
      type: string,
      q: { protocol: string; fromPort: number; toPort: number; description: string },
      cidr: string,
    ): TfResource => ({
      type,
      ...(cidr === VPC
        ? { forEach: x.data('aws_vpc', { id: p.vpcId }, 'cidr_block_associations[*].cidr_block') }
        : {}),
      args: {
        security_group_id: x.ref(r.id, 'id'),
        ip_protocol: q.protocol,
        from_port: q.fromPort,
        to_port: q.toPort,
        cidr_ipv4: cidr === VPC ? x.each() : cidr,
        description: q.description,
      },
    });
    return {
      resources: {
        '': {
          type: 'aws_security_group',
          args: { name: p.name, description: p.description, vpc_id: p.vpcId, tags: p.tags },
        },
        ...Object.fromEntries(
          p.ingress.map((q, i) => [`in${i + 1}`, rule('aws_vpc_security_group_ingress_rule', q, q.cidr)]),
        ),
        ...(p.egress === undefined
          ? {
              out: {
                type: 'aws_vpc_security_group_egress_rule',
                args: { security_group_id: x.ref(r.id, 'id'), ip_protocol: '-1', cidr_ipv4: '0.0.0.0/0' },
              },
            }
          : Object.fromEntries(
              p.egress.map((q, i) => [`out${i + 1}`, rule('aws_vpc_security_group_egress_rule', q, q.to)]),
            )),
      },
    };
  },
  // AWS::EC2::SecurityGroup; `vpc` (the VPC's own CIDR) is a parameter: a template cannot read it.
  cloudformation: (p, x) => {
    const cidr = (c: string) =>
      c === VPC
        ? x.param(`VpcCidr${p.vpcId.replace(/[^A-Za-z0-9]/g, '')}`, `the IPv4 CIDR of ${p.vpcId}`)
        : c;
    return {
      type: 'AWS::EC2::SecurityGroup',
      properties: {
        GroupName: p.name,
        GroupDescription: p.description,
        VpcId: p.vpcId,
        SecurityGroupIngress: p.ingress.map((r) => ({
          IpProtocol: r.protocol,
          FromPort: r.fromPort,
          ToPort: r.toPort,
          CidrIp: cidr(r.cidr),
          Description: r.description,
        })),
        ...(p.egress === undefined
          ? {}
          : {
              SecurityGroupEgress: p.egress.map((r) => ({
                IpProtocol: r.protocol,
                FromPort: r.fromPort,
                ToPort: r.toPort,
                CidrIp: cidr(r.to),
                Description: r.description,
              })),
            }),
        Tags: cfnTags(p.tags),
      },
      attrs: { GroupId: (n) => ({ 'Fn::GetAtt': [n, 'GroupId'] }) },
    };
  },
  // EC2 has no call that renames a group, changes its description or moves it to another VPC (its
  // API changes only rules and tags), so those replace; ingress and tags change in place.
  replaceOn: ['name', 'vpcId', 'description'],
  hidden: ['tags'],
  label,
  handler: resourceHandler<Props, SecurityGroup>({
    label,
    // In a plan, with the state's other groups of the account (the group-id filter drops unknown ids).
    byId: (ctx, groupId) =>
      readBatched(ctx, {
        client: ctx.aws.ec2,
        api: 'ec2:DescribeSecurityGroups',
        id: groupId,
        peerKinds: ['security-group'],
        maxIds: 100,
        fetch: (ids) =>
          collectById(
            paginateDescribeSecurityGroups(
              { client: ctx.aws.ec2 },
              { Filters: [{ Name: 'group-id', Values: ids }] },
            ),
            (page) => page.SecurityGroups,
            (sg) => sg.GroupId,
          ),
        fetchOne: (one) => describe(ctx, { GroupIds: [one] }),
      }),
    byIdentity: (ctx, _id, p) =>
      p.name === undefined || p.vpcId === undefined
        ? Promise.resolve(undefined)
        : byName(ctx, p.name, p.vpcId),
    physicalIdOf: (sg) => sg.GroupId ?? '',

    observe,

    async create(ctx, r) {
      const p = r.props;
      const what = `${label(p)} (${r.id})`;
      let groupId: string | undefined;
      try {
        const out = await ctx.aws.ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: p.name,
            Description: p.description,
            VpcId: p.vpcId,
            TagSpecifications: tagSpec('security-group', p.tags),
          }),
        );
        groupId = out.GroupId;
      } catch (e) {
        // No ClientToken here: the name is unique per VPC, so a retried create finds the first one.
        if (errorName(e) !== 'InvalidGroup.Duplicate') throw e;
        groupId = (await orGone(what, () => byName(ctx, p.name, p.vpcId)))?.GroupId;
      }
      if (groupId === undefined)
        throw new MplError('CREATE_FAILED', `${what}: no group id after CreateSecurityGroup`);
      const id = groupId;
      const sg = await orGone(what, () => describe(ctx, { GroupIds: [id] }));
      if (!sg)
        throw new MplError('CREATE_FAILED', `${what}: not found right after the create`, { retriable: true });
      return sg;
    },

    // After the owner check: a group found by name may be another stack's, and its ingress is not ours to touch.
    async configure(ctx, r, sg) {
      await syncIngress(ctx, sg, r.props.ingress, `${label(r.props)} (${r.id})`);
      if (r.props.egress) await syncEgress(ctx, sg, r.props.egress, `${label(r.props)} (${r.id})`);
    },

    async update(ctx, r, before) {
      const what = `${label(r.props)} (${r.id})`;
      const sg = await orGone(what, () => describe(ctx, { GroupIds: [before.physicalId] }));
      if (!sg) throw new MplError('UPDATE_FAILED', `${what}: gone before the update`);
      await syncIngress(ctx, sg, r.props.ingress, what);
      if (r.props.egress) await syncEgress(ctx, sg, r.props.egress, what);
    },

    async remove(ctx, groupId, p, id) {
      const what = `${label(p)} (${id})`;
      // An endpoint's network interfaces keep the group in use for a while after the endpoint is
      // deleted (DependencyViolation): retry until they are gone or the wait times out.
      await poll(`${what} deletion`, ctx.wait, async () => {
        try {
          await ctx.aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
          return { done: true, value: undefined };
        } catch (e) {
          if (classify(e) === 'in-use') return { done: false, state: `in use (${errorName(e)})` };
          // NotFound (already gone) and any other failure: the skeleton's delete tells them apart.
          throw e;
        }
      });
    },
    tags: ec2Tags,
  }),
  scan,
});
