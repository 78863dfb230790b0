// IP target group (TCP) per broker or for bootstrap: CreateTargetGroup, targets kept equal to
// props.targets with Register/DeregisterTargets.
import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  paginateDescribeTargetGroups,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { z } from 'zod';
import { errorName } from '../aws/errors.js';
import { attempt, defineKind, resourceHandler, type HandlerCtx, type Live } from './kind.js';
import { Port, Tags } from './shared/schema.js';
import { tagList } from './shared/ec2.js';
import { elbTags, stackTagged } from './shared/elbv2.js';
import { logicalIds } from './shared/scan.js';
import { arn } from '../iam/scope.js';
import { primeRead, readBatched, readOnce } from './shared/batched.js';
import { cfnTags } from '../export/cfn-types.js';

const Props = z.strictObject({
  name: z.string(),
  /** TLS: the NLB re-encrypts to the targets (a TLS listener in front; it does not verify them). */
  protocol: z.enum(['TCP', 'TLS']),
  port: Port,
  vpcId: z.string(),
  targetType: z.literal('ip'),
  targets: z.array(z.strictObject({ ip: z.string(), port: Port, brokerId: z.number().int() })),
  tags: Tags,
});
type Props = z.infer<typeof Props>;
type Target = Props['targets'][number];

/** Broker id for a target whose broker AWS cannot tell: a difference the next update removes. */
const UNKNOWN_BROKER = -1;

// A deregistered target stays listed as `draining` for the deregistration delay: not in the set.
// `unused` stays in: AWS reports registered targets so while no listener uses the group yet
// (reason Target.NotInUse), which is every group between its create and its listener's.
// (ELBv2 TargetHealthStateEnum: initial, healthy, unhealthy, unhealthy.draining, unused, draining, unavailable.)
const LEAVING = new Set(['draining']);

const targetKey = (t: { ip: string; port: number }) => `${t.ip}:${t.port}`;
const label = (p: Partial<Props>) => `target group ${p.name ?? '?'}`;

/** The planner lists targets by broker id (it sorts brokers), then ip and port. */
function sortTargets(ts: Target[]): Target[] {
  return [...ts].sort((a, b) => a.brokerId - b.brokerId || a.ip.localeCompare(b.ip) || a.port - b.port);
}

async function describe(ctx: HandlerCtx, q: { TargetGroupArns: string[] } | { Names: string[] }) {
  const out = await ctx.aws.elbv2.send(new DescribeTargetGroupsCommand(q));
  return out.TargetGroups?.[0];
}

/** Registered targets (IP and port) that are not leaving. */
async function currentTargets(ctx: HandlerCtx, arn: string): Promise<Array<{ ip: string; port: number }>> {
  const out = await ctx.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
  return (out.TargetHealthDescriptions ?? [])
    .filter((d) => !LEAVING.has(d.TargetHealth?.State ?? ''))
    .flatMap((d) => (d.Target?.Id === undefined ? [] : [{ ip: d.Target.Id, port: d.Target.Port ?? 0 }]));
}

/** Props and outputs of a group; `brokerOf` names each target's broker (AWS knows IPs, not broker ids). */
async function observeGroup(
  ctx: HandlerCtx,
  tg: TargetGroup,
  brokerOf: (t: { ip: string; port: number }) => number | undefined,
): Promise<Live<Props>> {
  const arn = tg.TargetGroupArn as string;
  const [tags, targets] = await Promise.all([
    elbTags.read(ctx, arn),
    // Once per plan: its scan and its refresh both observe the group.
    readOnce(ctx, ctx.aws.elbv2, 'elbv2:DescribeTargetHealth', arn, () => currentTargets(ctx, arn)),
  ]);
  return {
    physicalId: arn,
    props: {
      name: tg.TargetGroupName ?? '',
      protocol: tg.Protocol as 'TCP' | 'TLS',
      port: tg.Port ?? 0,
      vpcId: tg.VpcId ?? '',
      targetType: tg.TargetType as 'ip',
      targets: sortTargets(targets.map((t) => ({ ...t, brokerId: brokerOf(t) ?? UNKNOWN_BROKER }))),
      tags,
    },
    outputs: { arn },
  };
}

/**
 * The stack's groups in ctx's account and region, by their tags. A broker's own groups
 * (`b-<n>/...`) hold that broker's targets; the bootstrap groups' targets are named by the same
 * IP and port in those, as read names them from the recorded targets.
 */
async function scan(ctx: HandlerCtx): Promise<Array<{ id: string; live: Live<Props> }>> {
  const { tryParseId, brokerOf, brokerIdOf } = await logicalIds();
  const groups: TargetGroup[] = [];
  for await (const page of paginateDescribeTargetGroups({ client: ctx.aws.elbv2 }, {}))
    for (const tg of page.TargetGroups ?? []) {
      primeRead(ctx, ctx.aws.elbv2, 'elbv2:DescribeTargetGroups', tg.TargetGroupArn ?? '', tg);
      groups.push(tg);
    }
  const mine = await stackTagged(
    ctx,
    'target-group',
    groups,
    (tg) => tg.TargetGroupArn,
    (tg) => label({ name: tg.TargetGroupName }),
  );
  const ownerOf = (id: string): number | undefined => {
    const parsed = tryParseId(id);
    const key = parsed === undefined ? undefined : brokerOf(parsed);
    return key === undefined ? undefined : brokerIdOf(key);
  };
  const perBroker = await Promise.all(
    mine
      .filter(({ id }) => ownerOf(id) !== undefined)
      .map(async ({ id, item }) => ({ id, live: await observeGroup(ctx, item, () => ownerOf(id)) })),
  );
  const byTarget = new Map(
    perBroker.flatMap((f) => f.live.props.targets.map((t) => [targetKey(t), t.brokerId])),
  );
  const others = await Promise.all(
    mine
      .filter(({ id }) => ownerOf(id) === undefined)
      .map(async ({ id, item }) => ({
        id,
        live: await observeGroup(ctx, item, (t) => byTarget.get(targetKey(t))),
      })),
  );
  return [...perBroker, ...others];
}

/** Registers missing targets and deregisters extra ones, so the group holds exactly `desired`. */
async function syncTargets(ctx: HandlerCtx, arn: string, desired: Target[], what: string): Promise<void> {
  const have = await currentTargets(ctx, arn);
  const want = new Set(desired.map(targetKey));
  const haveKeys = new Set(have.map(targetKey));
  const add = desired.filter((t) => !haveKeys.has(targetKey(t)));
  const remove = have.filter((t) => !want.has(targetKey(t)));
  const addIps = new Set(add.map((t) => t.ip));
  // moto keys targets by IP alone, so a port change of one IP must deregister the old pair first;
  // other removals come after the additions, so the group never has fewer targets than needed.
  const first = remove.filter((t) => addIps.has(t.ip));
  const last = remove.filter((t) => !addIps.has(t.ip));
  const toList = (ts: Array<{ ip: string; port: number }>) => ts.map((t) => ({ Id: t.ip, Port: t.port }));
  await attempt('TARGETS_FAILED', `${what}: targets`, async () => {
    // Deregistration drains for the group's deregistration delay (300 s by default, "Target groups
    // for your Network Load Balancers", ELB user guide); nothing here waits for it.
    if (first.length > 0)
      await ctx.aws.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: toList(first) }));
    if (add.length > 0)
      await ctx.aws.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: toList(add) }));
    if (last.length > 0)
      await ctx.aws.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: toList(last) }));
  });
}

export const targetGroup = defineKind({
  kind: 'target-group',
  iam: {
    reads: [
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:DescribeTags',
    ],
    // ELB names are the stack's (`mpl-<stack>-...`): ARNs by name prefix (ELB user guide, "Identity-based
    // policies for Elastic Load Balancing"; tagging on create needs AddTags on the new resource).
    writes: (s) => [
      {
        sid: 'LoadBalancing',
        actions: [
          'elasticloadbalancing:CreateTargetGroup',
          'elasticloadbalancing:DeleteTargetGroup',
          'elasticloadbalancing:RegisterTargets',
          'elasticloadbalancing:DeregisterTargets',
          'elasticloadbalancing:AddTags',
          'elasticloadbalancing:RemoveTags',
        ],
        resources: s.elbNames.map((n) => arn(s, 'elasticloadbalancing', `targetgroup/${n}/*`)),
      },
    ],
  },
  props: Props,
  terraform: (p, x, r) => ({
    resources: {
      '': {
        type: 'aws_lb_target_group',
        args: {
          name: p.name,
          protocol: p.protocol,
          port: p.port,
          vpc_id: p.vpcId,
          target_type: p.targetType,
          tags: p.tags,
        },
      },
      ...Object.fromEntries(
        p.targets.map((t) => [
          `b${t.brokerId}`,
          {
            type: 'aws_lb_target_group_attachment',
            args: { target_group_arn: x.ref(r.id, 'arn'), target_id: t.ip, port: t.port },
          },
        ]),
      ),
    },
  }),
  cloudformation: (p) => ({
    type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
    properties: {
      Name: p.name,
      Protocol: p.protocol,
      Port: p.port,
      VpcId: p.vpcId,
      TargetType: p.targetType,
      Targets: p.targets.map((t) => ({ Id: t.ip, Port: t.port })),
      Tags: cfnTags(p.tags),
    },
  }),
  // ModifyTargetGroup cannot change name, protocol, port, VPC or target type.
  replaceOn: ['name', 'protocol', 'port', 'vpcId', 'targetType'],
  hidden: ['tags'],
  label,
  handler: resourceHandler<Props, TargetGroup>({
    label,
    // In a refresh, with the state's other groups (20 ARNs a call, as DescribeTags takes).
    byId: (ctx, arn) =>
      readBatched(ctx, {
        client: ctx.aws.elbv2,
        api: 'elbv2:DescribeTargetGroups',
        id: arn,
        peerKinds: ['target-group'],
        maxIds: 20,
        fetch: async (arns) => {
          const out = await ctx.aws.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: arns }));
          return new Map((out.TargetGroups ?? []).map((tg) => [tg.TargetGroupArn ?? '', tg]));
        },
        fetchOne: (one) => describe(ctx, { TargetGroupArns: [one] }),
      }),
    byIdentity: (ctx, _id, p) =>
      p.name === undefined ? Promise.resolve(undefined) : describe(ctx, { Names: [p.name] }),
    physicalIdOf: (tg) => tg.TargetGroupArn ?? '',

    observe(ctx, tg, like) {
      // AWS knows IPs, not broker ids: take them from the desired (or recorded) targets.
      const brokerOf = new Map((like?.targets ?? []).map((t) => [targetKey(t), t.brokerId]));
      return observeGroup(ctx, tg, (t) => brokerOf.get(targetKey(t)));
    },

    async create(ctx, r) {
      const p = r.props;
      const what = `${label(p)} (${r.id})`;
      // Idempotent: the same name and settings return the existing group (CreateTargetGroup API reference).
      const out = await attempt(
        'CREATE_FAILED',
        what,
        () =>
          ctx.aws.elbv2.send(
            new CreateTargetGroupCommand({
              Name: p.name,
              Protocol: p.protocol,
              Port: p.port,
              VpcId: p.vpcId,
              TargetType: p.targetType,
              HealthCheckProtocol: 'TCP',
              Tags: tagList(p.tags),
            }),
          ),
        (e) =>
          errorName(e) === 'DuplicateTargetGroupName'
            ? 'a target group with this name exists with other settings (port, VPC or type)'
            : undefined,
      );
      return out.TargetGroups?.[0];
    },

    // An adopted group (a retried create) may carry other targets: make them exact.
    configure: (ctx, r, tg) =>
      syncTargets(ctx, tg.TargetGroupArn as string, r.props.targets, `${label(r.props)} (${r.id})`),

    update: (ctx, r, before) =>
      syncTargets(ctx, before.physicalId, r.props.targets, `${label(r.props)} (${r.id})`),

    async remove(ctx, arn) {
      await ctx.aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
    },
    // The listener that forwards to it goes first ("Delete a target group", ELB user guide).
    inUseHint: 'a listener still forwards to it; delete the listener first',
    tags: elbTags,
  }),
  scan,
});
