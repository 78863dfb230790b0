// Ingress on a group the stack does not own (the brokers' group): from the NLBs' security group (one
// rule whose source is that group), or, where there is no such group (pattern 3's resource gateway,
// NLBs made by earlier versions without one), one rule per CIDR of the NLB's subnets. The rules
// carry the stack and logical-id tags, which is how read finds them; the physical id is their
// sorted rule ids joined with ','. Not a tagged resource of its own (the group is someone else's),
// so this kind implements Handler directly, on the shared helpers.
import {
  AuthorizeSecurityGroupIngressCommand,
  ModifySecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
  paginateDescribeSecurityGroupRules,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { awsFailure, classify, errorName } from '../aws/errors.js';
import { MplError } from '../errors.js';
import type { Instance } from '../state/instance.js';
import {
  TAG_ID,
  TAG_STACK,
  attempt,
  defineKind,
  orGone,
  ownedBy,
  type HandlerCtx,
  type Live,
} from './kind.js';
import { subnetsOf, tagMap, tagSpec } from './shared/ec2.js';
import { logicalOf, refId, tryRef } from './shared/ec2-endpoint.js';
import { foundIn, foundRefs, stackTagFilter, taggedId } from './shared/scan.js';
import { Port, Ref } from './shared/schema.js';
import { arn, ec2TagOnCreate } from '../iam/scope.js';

/** A rule on a group the stack does not own (the brokers' group): traffic from the NLBs. */
const Props = z
  .strictObject({
    groupId: z.string(),
    protocol: z.literal('tcp'),
    fromPort: Port,
    toPort: Port,
    /** The source's subnets: one rule per subnet CIDR. */
    sourceSubnetIds: z.array(z.string()).optional(),
    /**
     * A security group of the plan (its logical id, resolved when applied): one rule whose source is
     * that group, so only what carries the group (the NLBs) is admitted, not everything in their
     * subnets (EC2 user guide, "Security group rules": "Security group referencing").
     */
    sourceGroup: Ref.optional(),
    description: z.string(),
  })
  .refine((p) => (p.sourceSubnetIds === undefined) !== (p.sourceGroup === undefined), {
    message: 'exactly one of sourceSubnetIds and sourceGroup',
  });
type Props = z.infer<typeof Props>;
/** What a rule admits: a CIDR, or the traffic of a security group (by its AWS id). */
type Source = { cidr: string } | { group: string };

/** How a source CIDR that matches none of the planned subnets shows in observed sourceSubnetIds. */
const UNMATCHED = 'cidr:';

const label = (p: Partial<Props>) => `ingress rule on ${p.groupId ?? '?'}`;
const whatOf = (id: string, groupId: string) => `ingress rule ${id} on ${groupId}`;

/** The group's ingress rules (empty when the group is gone). */
async function ingressRules(ctx: HandlerCtx, groupId: string, what: string): Promise<SecurityGroupRule[]> {
  const rules = await orGone(`${what}: rules of ${groupId}`, async () => {
    const found: SecurityGroupRule[] = [];
    for await (const page of paginateDescribeSecurityGroupRules(
      { client: ctx.aws.ec2 },
      { Filters: [{ Name: 'group-id', Values: [groupId] }] },
    )) {
      found.push(...(page.SecurityGroupRules ?? []).filter((r) => !r.IsEgress));
    }
    return found;
  });
  return rules ?? [];
}

/** Made by this stack for this logical id: tagged so, or recorded in state. */
function isOwn(ctx: HandlerCtx, id: string, r: SecurityGroupRule, knownIds: ReadonlySet<string>): boolean {
  return ownedBy(ctx, id, tagMap(r.Tags)) || knownIds.has(r.SecurityGroupRuleId ?? '');
}

/** The security group a rule admits (DescribeSecurityGroupRules' ReferencedGroupInfo), if any. */
const referencedGroup = (r: SecurityGroupRule): string | undefined => r.ReferencedGroupInfo?.GroupId;

/** Same protocol, ports and source as a planned rule (whoever made it). */
function covers(
  r: SecurityGroupRule,
  p: Pick<Props, 'protocol' | 'fromPort' | 'toPort'>,
  source: Source,
): boolean {
  return (
    r.IpProtocol === p.protocol &&
    r.FromPort === p.fromPort &&
    r.ToPort === p.toPort &&
    ('cidr' in source ? r.CidrIpv4 === source.cidr : referencedGroup(r) === source.group)
  );
}

/** The planned source group's AWS id, when it is made (undefined before: nothing can reference it yet). */
function sourceGroupId(ctx: HandlerCtx, props: Partial<Props>): string | undefined {
  if (props.sourceGroup === undefined) return undefined;
  const v = tryRef(ctx, props.sourceGroup)?.outputs.groupId;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function knownRuleIds(known: Pick<Instance, 'physicalId'> | undefined): Set<string> {
  return new Set((known?.physicalId ?? '').split(',').filter((s) => s.startsWith('sgr-')));
}

/**
 * The rules as props. EC2 knows CIDRs, not subnets: each source CIDR is mapped back to the planned
 * subnets with that CIDR (`cidr:<block>` when none has it), so a missing or extra CIDR shows as a
 * sourceSubnetIds difference; a source group is named by its logical id (its AWS id when the stack
 * does not know it). Rules of the other form than planned show as that prop, a difference too. A
 * planned source already allowed by a rule the stack did not make (e.g. the operator's own) counts
 * as present but is never owned, so destroy leaves it alone. `subnetHint`: the subnets to name
 * CIDRs by when the plan gives none (the state's, for a rule planned with a group now).
 */
async function look(
  ctx: HandlerCtx,
  id: string,
  props: Partial<Props>,
  knownIds: ReadonlySet<string>,
  subnetHint: readonly string[] = [],
): Promise<Live<Props> | undefined> {
  const groupId = props.groupId;
  if (groupId === undefined) return undefined;
  const what = whatOf(id, groupId);
  const rules = await ingressRules(ctx, groupId, what);
  const own = rules.filter((r) => isOwn(ctx, id, r, knownIds));
  const first = own[0];
  const shape = {
    protocol: (first?.IpProtocol ?? props.protocol ?? 'tcp') as 'tcp',
    fromPort: first?.FromPort ?? props.fromPort ?? 0,
    toPort: first?.ToPort ?? props.toPort ?? 0,
  };
  const planned = {
    protocol: props.protocol ?? 'tcp',
    fromPort: props.fromPort ?? 0,
    toPort: props.toPort ?? 0,
  };
  const borrowedBy = (source: Source) =>
    rules.some((r) => !isOwn(ctx, id, r, knownIds) && covers(r, planned, source));

  const cidrs = new Set(own.flatMap((r) => (r.CidrIpv4 === undefined ? [] : [r.CidrIpv4])));
  const subnetIds = props.sourceSubnetIds ?? (cidrs.size > 0 ? subnetHint : []);
  const subnets = await subnetsOf(ctx, subnetIds, what);
  for (const s of subnets) if (!cidrs.has(s.cidr) && borrowedBy({ cidr: s.cidr })) cidrs.add(s.cidr);

  const groups = new Set(own.flatMap((r) => referencedGroup(r) ?? []));
  const wanted = sourceGroupId(ctx, props);
  if (wanted !== undefined && !groups.has(wanted) && borrowedBy({ group: wanted })) groups.add(wanted);

  if (cidrs.size === 0 && groups.size === 0) return undefined;
  const sourceSubnetIds = [...cidrs]
    .flatMap((c) => {
      const match = subnets.filter((s) => s.cidr === c).map((s) => s.id);
      return match.length > 0 ? match : [`${UNMATCHED}${c}`];
    })
    .sort();
  // One group is the planned shape; several (rules added by hand under this id's tags) never compare equal.
  const sourceGroup = [...groups]
    .map((g) => logicalOf(ctx, g))
    .sort()
    .join(',');
  const ruleIds = own.map((r) => r.SecurityGroupRuleId ?? '').sort();
  return {
    // All planned sources allowed by others' rules: nothing of ours exists, the group stands in.
    physicalId: ruleIds.length > 0 ? ruleIds.join(',') : groupId,
    props: {
      groupId,
      ...shape,
      ...(cidrs.size > 0 ? { sourceSubnetIds: [...new Set(sourceSubnetIds)] } : {}),
      ...(groups.size > 0 ? { sourceGroup } : {}),
      description: first?.Description ?? props.description ?? '',
    },
    outputs: { groupId, ruleIds },
  };
}

/**
 * The stack's rules in ctx's account and region: ingress rules tagged with the stack, one resource
 * per logical id. EC2 knows source CIDRs, not subnets: they are named by the subnets of the NLBs
 * found (the rules admit the NLBs' subnets), as read names them by the recorded ones.
 */
async function scan(
  ctx: HandlerCtx,
  found: ReadonlyMap<string, Instance>,
): Promise<Array<{ id: string; live: Live<Props>; dependsOn: string[] }>> {
  const byId = new Map<string, SecurityGroupRule[]>();
  for await (const page of paginateDescribeSecurityGroupRules(
    { client: ctx.aws.ec2 },
    { Filters: [stackTagFilter(ctx.stack)] },
  )) {
    for (const r of page.SecurityGroupRules ?? []) {
      if (r.IsEgress) continue;
      const id = await taggedId(
        ctx,
        'security-group-rule',
        tagMap(r.Tags),
        `ingress rule ${r.SecurityGroupRuleId ?? '?'}`,
      );
      if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), r]);
    }
  }
  const nlbSubnets = [
    ...new Set(
      // A CIDR source is the NLBs' subnets, or pattern 3's resource gateway's.
      [...foundIn(ctx, found, 'load-balancer'), ...foundIn(ctx, found, 'resource-gateway')].flatMap((lb) => {
        const ids: unknown = lb.props.subnetIds;
        return Array.isArray(ids) ? ids.filter((s): s is string => typeof s === 'string') : [];
      }),
    ),
  ].sort();
  const out = await Promise.all(
    [...byId].map(async ([id, rules]) => {
      const groups = [...new Set(rules.map((r) => r.GroupId ?? ''))].sort();
      if (groups.length > 1)
        ctx.log(`${id}: rules on ${groups.join(', ')} carry this id's tags; using ${groups[0]}`);
      const own = rules.filter((r) => r.GroupId === groups[0]);
      const first = own[0] as SecurityGroupRule;
      // A rule whose source is a group names it by the logical id of the group found (the NLBs').
      const source = own.map(referencedGroup).find((g) => g !== undefined);
      const props: Props = {
        groupId: first.GroupId ?? '',
        protocol: 'tcp',
        fromPort: first.FromPort ?? 0,
        toPort: first.ToPort ?? 0,
        ...(source === undefined ? { sourceSubnetIds: nlbSubnets } : { sourceGroup: logicalOf(ctx, source) }),
        description: first.Description ?? '',
      };
      const live = await look(
        ctx,
        id,
        props,
        new Set(own.map((r) => r.SecurityGroupRuleId ?? '')),
        nlbSubnets,
      );
      if (live === undefined) return [];
      const refs = live.props.sourceGroup === undefined ? [] : live.props.sourceGroup.split(',');
      return [{ id, live, dependsOn: foundRefs(found, refs) }];
    }),
  );
  return out.flat();
}

export const securityGroupRule = defineKind({
  kind: 'security-group-rule',
  iam: {
    reads: ['ec2:DescribeSecurityGroupRules', 'ec2:DescribeSubnets'],
    // The brokers' groups are the cluster's, not the stack's: scoped to exactly those groups.
    writes: (s, props) => [
      {
        sid: 'BrokerSecurityGroups',
        actions: [
          'ec2:AuthorizeSecurityGroupIngress',
          'ec2:RevokeSecurityGroupIngress',
          'ec2:ModifySecurityGroupRules',
        ],
        resources: [
          ...new Set(props.map((p) => arn(s, 'ec2', `security-group/${p.groupId}`))),
          arn(s, 'ec2', 'security-group-rule/*'),
        ],
      },
      ec2TagOnCreate(s, ['ec2:AuthorizeSecurityGroupIngress']),
    ],
  },
  props: Props,
  terraform: (p, x) => {
    const args = {
      security_group_id: p.groupId,
      ip_protocol: p.protocol,
      from_port: p.fromPort,
      to_port: p.toPort,
      description: p.description,
    };
    const type = 'aws_vpc_security_group_ingress_rule';
    if (p.sourceGroup !== undefined)
      return { type, args: { ...args, referenced_security_group_id: x.ref(p.sourceGroup, 'id') } };
    return {
      resources: Object.fromEntries(
        (p.sourceSubnetIds ?? []).map((s) => [
          s,
          { type, args: { ...args, cidr_ipv4: x.data('aws_subnet', { id: s }, 'cidr_block') } },
        ]),
      ),
    };
  },
  // AWS::EC2::SecurityGroupIngress on a group the stack does not own: one per source subnet (its
  // CIDR a parameter: a template cannot read it), or from the stack's group.
  cloudformation: (p, x) => {
    const rule = {
      GroupId: p.groupId,
      IpProtocol: p.protocol,
      FromPort: p.fromPort,
      ToPort: p.toPort,
      Description: p.description,
    };
    if (p.sourceGroup !== undefined)
      return {
        type: 'AWS::EC2::SecurityGroupIngress',
        properties: { ...rule, SourceSecurityGroupId: x.ref(p.sourceGroup, 'GroupId') },
      };
    return {
      resources: Object.fromEntries(
        (p.sourceSubnetIds ?? []).map((s) => [
          s.replace(/[^A-Za-z0-9]/g, ''),
          {
            type: 'AWS::EC2::SecurityGroupIngress',
            properties: {
              ...rule,
              CidrIp: x.param(`SubnetCidr${s.replace(/[^A-Za-z0-9]/g, '')}`, `the IPv4 CIDR of ${s}`),
            },
          },
        ]),
      ),
    };
  },
  // A rule's protocol, ports and source are its identity in EC2 (and the group is where it lives):
  // everything but the description forces a replacement; the description is changed in place
  // with ModifySecurityGroupRules.
  replaceOn: ['groupId', 'protocol', 'fromPort', 'toPort', 'sourceSubnetIds', 'sourceGroup'],
  label,
  handler: {
    async read(ctx, desired, known) {
      const id = desired?.id ?? known?.id;
      if (id === undefined) throw new MplError('INTERNAL', 'read needs a desired resource or a state entry');
      const was = known?.props as Partial<Props> | undefined;
      return look(ctx, id, desired?.props ?? was ?? {}, knownRuleIds(known), was?.sourceSubnetIds ?? []);
    },

    async create(ctx, r) {
      const p = r.props;
      const what = whatOf(r.id, p.groupId);
      const sources: Source[] =
        p.sourceGroup !== undefined
          ? [{ group: refId(ctx, p.sourceGroup, 'groupId') }]
          : [...new Set((await subnetsOf(ctx, p.sourceSubnetIds ?? [], what)).map((s) => s.cidr))].map(
              (cidr) => ({ cidr }),
            );
      const tags = { [TAG_STACK]: ctx.stack, [TAG_ID]: r.id };
      // One call per source: EC2 refuses a whole call when one permission already exists, and a
      // retried create must skip only the sources already done.
      for (const source of sources) {
        const named = 'cidr' in source ? source.cidr : source.group;
        const duplicate = await attempt('CREATE_FAILED', `${what}: ${named}`, async () => {
          try {
            await ctx.aws.ec2.send(
              new AuthorizeSecurityGroupIngressCommand({
                GroupId: p.groupId,
                IpPermissions: [
                  {
                    IpProtocol: p.protocol,
                    FromPort: p.fromPort,
                    ToPort: p.toPort,
                    ...('cidr' in source
                      ? { IpRanges: [{ CidrIp: source.cidr, Description: p.description }] }
                      : { UserIdGroupPairs: [{ GroupId: source.group, Description: p.description }] }),
                  },
                ],
                TagSpecifications: tagSpec('security-group-rule', tags),
              }),
            );
            return false;
          } catch (e) {
            if (errorName(e) === 'InvalidPermission.Duplicate') return true;
            throw e;
          }
        });
        if (!duplicate) continue;
        const rule = (await ingressRules(ctx, p.groupId, what)).find((x) => covers(x, p, source));
        if (rule && !isOwn(ctx, r.id, rule, new Set())) {
          ctx.log(
            `${what}: ${named} is already allowed by ${rule.SecurityGroupRuleId}, which this stack did not make; kept, not owned`,
          );
        }
      }
      const o = await look(ctx, r.id, p, new Set());
      if (!o)
        throw new MplError('CREATE_FAILED', `${what}: no rule found after AuthorizeSecurityGroupIngress`, {
          retriable: true,
        });
      return o;
    },

    // Only the description changes in place (replaceOn has the rest).
    async update(ctx, r, before) {
      const p = r.props;
      const what = whatOf(r.id, p.groupId);
      const own = (await ingressRules(ctx, p.groupId, what)).filter((x) =>
        isOwn(ctx, r.id, x, knownRuleIds(before)),
      );
      const stale = own.filter((x) => x.Description !== p.description);
      if (stale.length > 0) {
        await attempt('UPDATE_FAILED', what, () =>
          ctx.aws.ec2.send(
            new ModifySecurityGroupRulesCommand({
              GroupId: p.groupId,
              SecurityGroupRules: stale.map((x) => ({
                SecurityGroupRuleId: x.SecurityGroupRuleId,
                SecurityGroupRule: {
                  IpProtocol: x.IpProtocol,
                  FromPort: x.FromPort,
                  ToPort: x.ToPort,
                  // The rule's own source, as it is (exactly one of them: ModifySecurityGroupRules).
                  ...(referencedGroup(x) !== undefined
                    ? { ReferencedGroupId: referencedGroup(x) }
                    : { CidrIpv4: x.CidrIpv4 }),
                  Description: p.description,
                },
              })),
            }),
          ),
        );
      }
      const o = await look(ctx, r.id, p, new Set(own.map((x) => x.SecurityGroupRuleId ?? '')));
      if (!o) throw new MplError('UPDATE_FAILED', `${what}: gone during the update`);
      return o;
    },

    async delete(ctx, known) {
      const groupId = (known.props as Partial<Props>).groupId;
      if (groupId === undefined) return;
      const what = whatOf(known.id, groupId);
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
        if (classify(e) === 'not-found') return;
        throw awsFailure('DELETE_FAILED', what, e);
      }
    },
  },
  scan,
  scanAfter: ['security-group', 'load-balancer', 'resource-gateway'],
});
