// The consumer endpoint's security group: ingress exactly as props.ingress (IPv4 CIDR, TCP), the
// default egress AWS adds left alone. Found by name in its VPC (names are unique per VPC).
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
  paginateDescribeSecurityGroups,
  type DescribeSecurityGroupsCommandInput,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { classify, errorName } from '../aws/errors.js';
import { MplError } from '../errors.js';
import { attempt, defineKind, orGone, resourceHandler, type HandlerCtx, type Live } from './kind.js';
import { compareStrings, ec2Tags, orderLike, tagMap, tagSpec } from './shared/ec2.js';
import { poll } from './shared/poll.js';
import { ofStack, stackTagFilter } from './shared/scan.js';
import { Port, Tags } from './shared/schema.js';

const Props = z.strictObject({
  name: z.string(),
  description: z.string(),
  vpcId: z.string(),
  ingress: z.array(
    z.strictObject({
      protocol: z.literal('tcp'),
      fromPort: Port,
      toPort: Port,
      cidr: z.string(),
      description: z.string(),
    }),
  ),
  tags: Tags,
});
type Props = z.infer<typeof Props>;
type Rule = Props['ingress'][number];

/** A rule's identity in EC2 (protocol, ports, source); the description is a property of it. */
const ruleKey = (r: Rule) => `${r.protocol}|${r.fromPort}|${r.toPort}|${r.cidr}`;
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

/** Authorizes missing rules first, then revokes extra ones (never less access than planned on the way). */
async function syncIngress(ctx: HandlerCtx, sg: SecurityGroup, desired: Rule[], what: string): Promise<void> {
  const groupId = sg.GroupId as string;
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

/** Props in the planner's shape: ingress in the desired order, else by CIDR then ports. */
function observe(ctx: HandlerCtx, sg: SecurityGroup, like: Partial<Props> | undefined): Live<Props> {
  const groupId = sg.GroupId as string;
  return {
    physicalId: groupId,
    props: {
      name: sg.GroupName ?? '',
      description: sg.Description ?? '',
      vpcId: sg.VpcId ?? '',
      // The planner lists rules by CIDR in config order, then port range: follow its order.
      ingress: orderLike(
        ingressOf(ctx, sg),
        like?.ingress,
        ruleKey,
        (a, b) => compareStrings(a.cidr, b.cidr) || a.fromPort - b.fromPort || a.toPort - b.toPort,
      ),
      // DescribeSecurityGroups answers the tags with the group: no DescribeTags call needed.
      tags: tagMap(sg.Tags),
    },
    outputs: { groupId },
  };
}

/** The stack's groups in ctx's account and region, by their tags (filtered here too). */
async function scan(ctx: HandlerCtx): Promise<Array<{ id: string; live: Live<Props> }>> {
  const groups: SecurityGroup[] = [];
  for await (const page of paginateDescribeSecurityGroups(
    { client: ctx.aws.ec2 },
    { Filters: [stackTagFilter(ctx.stack)] },
  ))
    groups.push(...(page.SecurityGroups ?? []));
  const mine = await ofStack(
    ctx,
    'security-group',
    groups,
    (sg) => tagMap(sg.Tags),
    (sg) => label({ name: sg.GroupName }),
  );
  return mine.map(({ id, item }) => ({ id, live: observe(ctx, item, undefined) }));
}

export const securityGroup = defineKind({
  kind: 'security-group',
  props: Props,
  // EC2 has no call that renames a group, changes its description or moves it to another VPC (its
  // API changes only rules and tags), so those replace; ingress and tags change in place.
  replaceOn: ['name', 'vpcId', 'description'],
  hidden: ['tags'],
  label,
  handler: resourceHandler<Props, SecurityGroup>({
    label,
    byId: (ctx, groupId) => describe(ctx, { GroupIds: [groupId] }),
    byIdentity: (ctx, _id, p) =>
      p.name === undefined || p.vpcId === undefined
        ? Promise.resolve(undefined)
        : byName(ctx, p.name, p.vpcId),
    physicalIdOf: (sg) => sg.GroupId ?? '',

    observe: (ctx, sg, like) => Promise.resolve(observe(ctx, sg, like)),

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
    configure: (ctx, r, sg) => syncIngress(ctx, sg, r.props.ingress, `${label(r.props)} (${r.id})`),

    async update(ctx, r, before) {
      const what = `${label(r.props)} (${r.id})`;
      const sg = await orGone(what, () => describe(ctx, { GroupIds: [before.physicalId] }));
      if (!sg) throw new MplError('UPDATE_FAILED', `${what}: gone before the update`);
      await syncIngress(ctx, sg, r.props.ingress, what);
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
