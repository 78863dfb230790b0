// Ingress on a group the stack does not own (the brokers' group): one rule per CIDR of the NLB's
// subnets. The rules carry the stack and logical-id tags, which is how read finds them; the
// physical id is their sorted rule ids joined with ','.
import {
  AuthorizeSecurityGroupIngressCommand,
  ModifySecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
  paginateDescribeSecurityGroupRules,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { MplError } from '../../errors.js';
import type { PropsOf } from '../../plan/resource.js';
import { TAG_ID, TAG_STACK } from '../../plan/resource.js';
import { isNotFound } from '../poll.js';
import type { Handler, HandlerCtx, Known, Observed } from '../types.js';
import { awsFailure, describeSubnets, errorName, logicalIdOf, propsOf, tagList, tagMap } from './ec2-util.js';

type Props = PropsOf<'security-group-rule'>;

/** How a source CIDR that matches none of the planned subnets shows in observed sourceSubnetIds. */
const UNMATCHED = 'cidr:';

/** The group's ingress rules (empty when the group is gone). */
async function ingressRules(ctx: HandlerCtx, groupId: string, what: string): Promise<SecurityGroupRule[]> {
  const rules: SecurityGroupRule[] = [];
  try {
    for await (const page of paginateDescribeSecurityGroupRules(
      { client: ctx.aws.ec2 },
      { Filters: [{ Name: 'group-id', Values: [groupId] }] },
    )) {
      rules.push(...(page.SecurityGroupRules ?? []).filter((r) => !r.IsEgress));
    }
  } catch (e) {
    if (isNotFound(e)) return [];
    throw awsFailure('READ_FAILED', `${what}: rules of ${groupId}`, e);
  }
  return rules;
}

function isOwn(ctx: HandlerCtx, id: string, r: SecurityGroupRule, knownIds: ReadonlySet<string>): boolean {
  const tags = tagMap(r.Tags);
  return (tags[TAG_STACK] === ctx.stack && tags[TAG_ID] === id) || knownIds.has(r.SecurityGroupRuleId ?? '');
}

/** Same protocol, ports and source as a planned rule (whoever made it). */
function covers(
  r: SecurityGroupRule,
  p: Pick<Props, 'protocol' | 'fromPort' | 'toPort'>,
  cidr: string,
): boolean {
  return (
    r.IpProtocol === p.protocol && r.FromPort === p.fromPort && r.ToPort === p.toPort && r.CidrIpv4 === cidr
  );
}

function knownRuleIds(known: { physicalId?: string | undefined } | undefined): Set<string> {
  return new Set((known?.physicalId ?? '').split(',').filter((s) => s.startsWith('sgr-')));
}

/**
 * The rules as props. EC2 knows CIDRs, not subnets: each source CIDR is mapped back to the planned
 * subnets with that CIDR (`cidr:<block>` when none has it), so a missing or extra CIDR shows as a
 * sourceSubnetIds difference. A planned CIDR already allowed by a rule the stack did not make
 * (e.g. the operator's own) counts as present but is never owned, so destroy leaves it alone.
 */
async function look(
  ctx: HandlerCtx,
  id: string,
  props: Partial<Props>,
  knownIds: ReadonlySet<string>,
): Promise<Observed<'security-group-rule'> | undefined> {
  const groupId = props.groupId;
  if (groupId === undefined) return undefined;
  const what = `ingress rule ${id} on ${groupId}`;
  const [rules, subnets] = await Promise.all([
    ingressRules(ctx, groupId, what),
    describeSubnets(ctx.aws.ec2, props.sourceSubnetIds ?? [], what),
  ]);
  const own = rules.filter((r) => isOwn(ctx, id, r, knownIds));
  const first = own[0];
  const shape = {
    protocol: (first?.IpProtocol ?? props.protocol ?? 'tcp') as 'tcp',
    fromPort: first?.FromPort ?? props.fromPort ?? 0,
    toPort: first?.ToPort ?? props.toPort ?? 0,
  };
  const cidrs = new Set(own.flatMap((r) => (r.CidrIpv4 === undefined ? [] : [r.CidrIpv4])));
  const planned = {
    protocol: props.protocol ?? 'tcp',
    fromPort: props.fromPort ?? 0,
    toPort: props.toPort ?? 0,
  };
  const borrowed = subnets.filter(
    (s) =>
      !cidrs.has(s.cidr) && rules.some((r) => !isOwn(ctx, id, r, knownIds) && covers(r, planned, s.cidr)),
  );
  for (const s of borrowed) cidrs.add(s.cidr);
  if (cidrs.size === 0) return undefined;
  const sourceSubnetIds = [...cidrs]
    .flatMap((c) => {
      const match = subnets.filter((s) => s.cidr === c).map((s) => s.id);
      return match.length > 0 ? match : [`${UNMATCHED}${c}`];
    })
    .sort();
  const ruleIds = own.map((r) => r.SecurityGroupRuleId ?? '').sort();
  return {
    id,
    kind: 'security-group-rule',
    // All planned CIDRs allowed by others' rules: nothing of ours exists, the group stands in.
    physicalId: ruleIds.length > 0 ? ruleIds.join(',') : groupId,
    props: {
      groupId,
      ...shape,
      sourceSubnetIds: [...new Set(sourceSubnetIds)],
      description: first?.Description ?? props.description ?? '',
    },
    outputs: { groupId, ruleIds },
  };
}

export const securityGroupRuleHandler: Handler<'security-group-rule'> = {
  async read(ctx, desired, known) {
    return look(ctx, logicalIdOf(desired, known), propsOf(desired, known), knownRuleIds(known));
  },

  async create(ctx, r) {
    const p = r.props;
    const what = `ingress rule ${r.id} on ${p.groupId}`;
    const subnets = await describeSubnets(ctx.aws.ec2, p.sourceSubnetIds, what);
    const tags = { [TAG_STACK]: ctx.stack, [TAG_ID]: r.id };
    // One call per CIDR: EC2 refuses a whole call when one permission already exists, and a
    // retried create must skip only the CIDRs already done.
    for (const cidr of [...new Set(subnets.map((s) => s.cidr))]) {
      try {
        await ctx.aws.ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: p.groupId,
            IpPermissions: [
              {
                IpProtocol: p.protocol,
                FromPort: p.fromPort,
                ToPort: p.toPort,
                IpRanges: [{ CidrIp: cidr, Description: p.description }],
              },
            ],
            TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: tagList(tags) }],
          }),
        );
      } catch (e) {
        if (errorName(e) !== 'InvalidPermission.Duplicate')
          throw awsFailure('CREATE_FAILED', `${what}: ${cidr}`, e);
        const rule = (await ingressRules(ctx, p.groupId, what)).find((x) => covers(x, p, cidr));
        if (rule && !isOwn(ctx, r.id, rule, new Set())) {
          ctx.log(
            `${what}: ${cidr} is already allowed by ${rule.SecurityGroupRuleId}, which this stack did not make; kept, not owned`,
          );
        }
      }
    }
    const o = await look(ctx, r.id, p, new Set());
    if (!o)
      throw new MplError('CREATE_FAILED', `${what}: no rule found after AuthorizeSecurityGroupIngress`, {
        retriable: true,
      });
    return o;
  },

  // Everything but the description forces a replacement (diff.ts REPLACE_ON).
  async update(ctx, r, before) {
    const p = r.props;
    const what = `ingress rule ${r.id} on ${p.groupId}`;
    const own = (await ingressRules(ctx, p.groupId, what)).filter((x) =>
      isOwn(ctx, r.id, x, knownRuleIds(before)),
    );
    const stale = own.filter((x) => x.Description !== p.description);
    if (stale.length > 0) {
      try {
        await ctx.aws.ec2.send(
          new ModifySecurityGroupRulesCommand({
            GroupId: p.groupId,
            SecurityGroupRules: stale.map((x) => ({
              SecurityGroupRuleId: x.SecurityGroupRuleId,
              SecurityGroupRule: {
                IpProtocol: x.IpProtocol,
                FromPort: x.FromPort,
                ToPort: x.ToPort,
                CidrIpv4: x.CidrIpv4,
                Description: p.description,
              },
            })),
          }),
        );
      } catch (e) {
        throw awsFailure('UPDATE_FAILED', what, e);
      }
    }
    const o = await look(ctx, r.id, p, new Set(own.map((x) => x.SecurityGroupRuleId ?? '')));
    if (!o) throw new MplError('UPDATE_FAILED', `${what}: gone during the update`);
    return o;
  },

  async delete(ctx, known: Known) {
    const groupId = (known.props as Partial<Props>).groupId;
    if (groupId === undefined) return;
    const what = `ingress rule ${known.id} on ${groupId}`;
    // Ours: the ids in state and any rule tagged with this logical id (a create that crashed midway).
    const ids = (await ingressRules(ctx, groupId, what))
      .filter((r) => isOwn(ctx, known.id, r, knownRuleIds(known)))
      .map((r) => r.SecurityGroupRuleId ?? '');
    if (ids.length === 0) return;
    try {
      await ctx.aws.ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ids }),
      );
    } catch (e) {
      if (isNotFound(e)) return;
      throw awsFailure('DELETE_FAILED', what, e);
    }
  },
};
