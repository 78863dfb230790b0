// The consumer endpoint's security group: ingress exactly as props.ingress (IPv4 CIDR, TCP), the
// default egress AWS adds left alone. Found by name in its VPC (names are unique per VPC).
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DeleteTagsCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { MplError } from '../../errors.js';
import type { PropsOf } from '../../plan/resource.js';
import { isNotFound, poll } from '../poll.js';
import type { Handler, HandlerCtx, Known, Observed } from '../types.js';
import {
  awsFailure,
  checkOwner,
  compareStrings,
  errorName,
  logicalIdOf,
  orderLike,
  propsOf,
  tagChanges,
  tagList,
  tagMap,
} from './ec2-util.js';

type Props = PropsOf<'security-group'>;
type Rule = Props['ingress'][number];

/** A rule's identity in EC2 (protocol, ports, source); the description is a property of it. */
const ruleKey = (r: Rule) => `${r.protocol}|${r.fromPort}|${r.toPort}|${r.cidr}`;

async function findGroup(
  ctx: HandlerCtx,
  groupId: string | undefined,
  name: string | undefined,
  vpcId: string | undefined,
): Promise<SecurityGroup | undefined> {
  try {
    if (groupId !== undefined) {
      const out = await ctx.aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
      return out.SecurityGroups?.[0];
    }
    if (name === undefined || vpcId === undefined) return undefined;
    const out = await ctx.aws.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'group-name', Values: [name] },
        ],
      }),
    );
    return out.SecurityGroups?.[0];
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw awsFailure('READ_FAILED', `security group ${groupId ?? name}`, e);
  }
}

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

function observe(
  ctx: HandlerCtx,
  id: string,
  sg: SecurityGroup,
  like: Rule[] | undefined,
): Observed<'security-group'> {
  const groupId = sg.GroupId as string;
  const props: Props = {
    name: sg.GroupName ?? '',
    description: sg.Description ?? '',
    vpcId: sg.VpcId ?? '',
    // The planner lists rules by CIDR in config order, then port range: follow its order.
    ingress: orderLike(
      ingressOf(ctx, sg),
      like,
      ruleKey,
      (a, b) => compareStrings(a.cidr, b.cidr) || a.fromPort - b.fromPort || a.toPort - b.toPort,
    ),
    tags: tagMap(sg.Tags),
  };
  return { id, kind: 'security-group', physicalId: groupId, props, outputs: { groupId } };
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
  try {
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
  } catch (e) {
    throw awsFailure('UPDATE_FAILED', `${what}: ingress`, e);
  }
}

async function syncTags(
  ctx: HandlerCtx,
  groupId: string,
  desired: Record<string, string>,
  actual: Record<string, string>,
  what: string,
) {
  const { set, remove } = tagChanges(desired, actual);
  try {
    if (Object.keys(set).length > 0) {
      await ctx.aws.ec2.send(new CreateTagsCommand({ Resources: [groupId], Tags: tagList(set) }));
    }
    if (remove.length > 0) {
      await ctx.aws.ec2.send(
        new DeleteTagsCommand({ Resources: [groupId], Tags: remove.map((Key) => ({ Key })) }),
      );
    }
  } catch (e) {
    throw awsFailure('TAGGING_FAILED', `${what}: tags`, e);
  }
}

export const securityGroupHandler: Handler<'security-group'> = {
  async read(ctx, desired, known) {
    const id = logicalIdOf(desired, known);
    const props = propsOf(desired, known);
    const sg = await findGroup(ctx, known?.physicalId, props.name, props.vpcId);
    if (!sg) return undefined;
    const observed = observe(ctx, id, sg, props.ingress);
    if (known?.physicalId === undefined)
      checkOwner(ctx, id, `security group ${props.name}`, observed.props.tags);
    return observed;
  },

  async create(ctx, r) {
    const p = r.props;
    const what = `security group ${p.name} (${r.id})`;
    let groupId: string | undefined;
    try {
      const out = await ctx.aws.ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: p.name,
          Description: p.description,
          VpcId: p.vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: tagList(p.tags) }],
        }),
      );
      groupId = out.GroupId;
    } catch (e) {
      // No ClientToken here: the name is unique per VPC, so a retried create finds the first one.
      if (errorName(e) !== 'InvalidGroup.Duplicate') throw awsFailure('CREATE_FAILED', what, e);
      groupId = (await findGroup(ctx, undefined, p.name, p.vpcId))?.GroupId;
    }
    if (groupId === undefined)
      throw new MplError('CREATE_FAILED', `${what}: no group id after CreateSecurityGroup`);
    const sg = await findGroup(ctx, groupId, undefined, undefined);
    if (!sg)
      throw new MplError('CREATE_FAILED', `${what}: not found right after the create`, { retriable: true });
    const tags = tagMap(sg.Tags);
    checkOwner(ctx, r.id, what, tags);
    await syncTags(ctx, groupId, p.tags, tags, what);
    await syncIngress(ctx, sg, p.ingress, what);
    const after = await findGroup(ctx, groupId, undefined, undefined);
    if (!after) throw new MplError('CREATE_FAILED', `${what}: gone during the create`);
    return observe(ctx, r.id, after, p.ingress);
  },

  async update(ctx, r, before) {
    const what = `security group ${r.props.name} (${r.id})`;
    const sg = await findGroup(ctx, before.physicalId, undefined, undefined);
    if (!sg) throw new MplError('UPDATE_FAILED', `${what}: gone before the update`);
    await syncTags(ctx, before.physicalId, r.props.tags, tagMap(sg.Tags), what);
    await syncIngress(ctx, sg, r.props.ingress, what);
    const after = await findGroup(ctx, before.physicalId, undefined, undefined);
    if (!after) throw new MplError('UPDATE_FAILED', `${what}: gone during the update`);
    return observe(ctx, r.id, after, r.props.ingress);
  },

  async delete(ctx, known: Known) {
    const props = known.props as Partial<Props>;
    const what = `security group ${props.name ?? known.physicalId} (${known.id})`;
    const groupId = known.physicalId ?? (await findGroup(ctx, undefined, props.name, props.vpcId))?.GroupId;
    if (groupId === undefined) return;
    // An endpoint's network interfaces keep the group in use for a while after the endpoint is
    // deleted (DependencyViolation): retry until they are gone or the wait times out.
    await poll(`${what} deletion`, ctx.wait, async () => {
      try {
        await ctx.aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
        return { done: true, value: undefined };
      } catch (e) {
        if (isNotFound(e)) return { done: true, value: undefined };
        if (errorName(e) === 'DependencyViolation')
          return { done: false, state: 'in use (DependencyViolation)' };
        throw awsFailure('DELETE_FAILED', what, e);
      }
    });
  },
};
