// Ingress on a group the stack does not own (the brokers' group): one rule per CIDR of the NLB's
// subnets. The rules carry the stack and logical-id tags, which is how read finds them; the
// physical id is their sorted rule ids joined with ','. Not a tagged resource of its own (the group
// is someone else's), so this kind implements Handler directly, on the shared helpers.
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
import { describeSubnets, tagMap, tagSpec } from './shared/ec2.js';
import { foundIn, stackTagFilter, taggedId } from './shared/scan.js';
import { Port } from './shared/schema.js';

/** A rule on a group the stack does not own (the brokers' group): traffic from the NLB's subnets. */
const Props = z.strictObject({
  groupId: z.string(),
  protocol: z.literal('tcp'),
  fromPort: Port,
  toPort: Port,
  sourceSubnetIds: z.array(z.string()),
  description: z.string(),
});
type Props = z.infer<typeof Props>;

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

function knownRuleIds(known: Pick<Instance, 'physicalId'> | undefined): Set<string> {
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
): Promise<Live<Props> | undefined> {
  const groupId = props.groupId;
  if (groupId === undefined) return undefined;
  const what = whatOf(id, groupId);
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

/**
 * The stack's rules in ctx's account and region: ingress rules tagged with the stack, one resource
 * per logical id. EC2 knows source CIDRs, not subnets: they are named by the subnets of the NLBs
 * found (the rules admit the NLBs' subnets), as read names them by the recorded ones.
 */
async function scan(
  ctx: HandlerCtx,
  found: ReadonlyMap<string, Instance>,
): Promise<Array<{ id: string; live: Live<Props> }>> {
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
      // The source of the traffic the brokers see: the NLBs' subnets, or pattern 3's resource gateway's.
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
      const props: Props = {
        groupId: first.GroupId ?? '',
        protocol: 'tcp',
        fromPort: first.FromPort ?? 0,
        toPort: first.ToPort ?? 0,
        sourceSubnetIds: nlbSubnets,
        description: first.Description ?? '',
      };
      const live = await look(ctx, id, props, new Set(own.map((r) => r.SecurityGroupRuleId ?? '')));
      return live === undefined ? [] : [{ id, live }];
    }),
  );
  return out.flat();
}

export const securityGroupRule = defineKind({
  kind: 'security-group-rule',
  props: Props,
  // A rule's protocol, ports and source are its identity in EC2 (and the group is where it lives):
  // everything but the description forces a replacement; the description is changed in place
  // with ModifySecurityGroupRules.
  replaceOn: ['groupId', 'protocol', 'fromPort', 'toPort', 'sourceSubnetIds'],
  label,
  handler: {
    async read(ctx, desired, known) {
      const id = desired?.id ?? known?.id;
      if (id === undefined) throw new MplError('INTERNAL', 'read needs a desired resource or a state entry');
      return look(ctx, id, desired?.props ?? known?.props ?? {}, knownRuleIds(known));
    },

    async create(ctx, r) {
      const p = r.props;
      const what = whatOf(r.id, p.groupId);
      const subnets = await describeSubnets(ctx.aws.ec2, p.sourceSubnetIds, what);
      const tags = { [TAG_STACK]: ctx.stack, [TAG_ID]: r.id };
      // One call per CIDR: EC2 refuses a whole call when one permission already exists, and a
      // retried create must skip only the CIDRs already done.
      for (const cidr of [...new Set(subnets.map((s) => s.cidr))]) {
        const duplicate = await attempt('CREATE_FAILED', `${what}: ${cidr}`, async () => {
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
        const rule = (await ingressRules(ctx, p.groupId, what)).find((x) => covers(x, p, cidr));
        if (rule && !isOwn(ctx, r.id, rule, new Set())) {
          ctx.log(
            `${what}: ${cidr} is already allowed by ${rule.SecurityGroupRuleId}, which this stack did not make; kept, not owned`,
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
                  CidrIpv4: x.CidrIpv4,
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
  scanAfter: ['load-balancer', 'resource-gateway'],
});
