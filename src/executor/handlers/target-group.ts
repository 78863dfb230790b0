// IP target group (TCP) per broker or for bootstrap: CreateTargetGroup, targets kept equal to
// props.targets with Register/DeregisterTargets.
import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { MplError } from '../../errors.js';
import type { PropsOf, ResourceOf } from '../../plan/resource.js';
import { isNotFound } from '../poll.js';
import type { Handler, HandlerCtx, Known, Observed } from '../types.js';
import { awsFailure, checkOwner, errorName, logicalIdOf, propsOf, tagList } from './ec2-util.js';
import { elbTags, syncElbTags } from './elbv2-util.js';

type Props = PropsOf<'target-group'>;
type Target = Props['targets'][number];

/** Broker id for a target whose broker AWS cannot tell: a difference the next update removes. */
const UNKNOWN_BROKER = -1;

// A deregistered target stays listed as `draining` for the deregistration delay: not in the set.
// `unused` stays in: AWS reports registered targets so while no listener uses the group yet
// (reason Target.NotInUse), which is every group between its create and its listener's.
// (ELBv2 TargetHealthStateEnum: initial, healthy, unhealthy, unhealthy.draining, unused, draining, unavailable.)
const LEAVING = new Set(['draining']);

const targetKey = (t: { ip: string; port: number }) => `${t.ip}:${t.port}`;

/** The planner lists targets by broker id (it sorts brokers), then ip and port. */
function sortTargets(ts: Target[]): Target[] {
  return [...ts].sort((a, b) => a.brokerId - b.brokerId || a.ip.localeCompare(b.ip) || a.port - b.port);
}

async function findGroup(ctx: HandlerCtx, physicalId: string | undefined, name: string | undefined) {
  if (physicalId === undefined && name === undefined) return undefined;
  try {
    const out = await ctx.aws.elbv2.send(
      new DescribeTargetGroupsCommand(
        physicalId !== undefined ? { TargetGroupArns: [physicalId] } : { Names: [name as string] },
      ),
    );
    return out.TargetGroups?.[0];
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw awsFailure('READ_FAILED', `target group ${physicalId ?? name}`, e);
  }
}

/** Registered targets (IP and port) that are not leaving. */
async function currentTargets(ctx: HandlerCtx, arn: string): Promise<Array<{ ip: string; port: number }>> {
  const out = await ctx.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
  return (out.TargetHealthDescriptions ?? [])
    .filter((d) => !LEAVING.has(d.TargetHealth?.State ?? ''))
    .flatMap((d) => (d.Target?.Id === undefined ? [] : [{ ip: d.Target.Id, port: d.Target.Port ?? 0 }]));
}

async function observe(
  ctx: HandlerCtx,
  id: string,
  tg: TargetGroup,
  hints: ReadonlyArray<Partial<Props> | undefined>,
): Promise<Observed<'target-group'>> {
  const arn = tg.TargetGroupArn as string;
  const [tags, targets] = await Promise.all([elbTags(ctx.aws.elbv2, arn), currentTargets(ctx, arn)]);
  // AWS knows IPs, not broker ids: take them from the desired targets, else from state.
  const brokerOf = new Map<string, number>();
  for (const h of [...hints].reverse())
    for (const t of h?.targets ?? []) brokerOf.set(targetKey(t), t.brokerId);
  const props: Props = {
    name: tg.TargetGroupName ?? '',
    protocol: tg.Protocol as 'TCP',
    port: tg.Port ?? 0,
    vpcId: tg.VpcId ?? '',
    targetType: tg.TargetType as 'ip',
    targets: sortTargets(
      targets.map((t) => ({ ...t, brokerId: brokerOf.get(targetKey(t)) ?? UNKNOWN_BROKER })),
    ),
    tags,
  };
  return { id, kind: 'target-group', physicalId: arn, props, outputs: { arn } };
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
  const deregister = async (ts: Array<{ ip: string; port: number }>) => {
    // Deregistration drains for the group's deregistration delay (300 s by default, AWS-NOTES.md);
    // nothing here waits for it: a draining target no longer receives new connections.
    if (ts.length === 0) return;
    await ctx.aws.elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: arn,
        Targets: ts.map((t) => ({ Id: t.ip, Port: t.port })),
      }),
    );
  };
  try {
    await deregister(first);
    if (add.length > 0) {
      await ctx.aws.elbv2.send(
        new RegisterTargetsCommand({
          TargetGroupArn: arn,
          Targets: add.map((t) => ({ Id: t.ip, Port: t.port })),
        }),
      );
    }
    await deregister(last);
  } catch (e) {
    throw awsFailure('TARGETS_FAILED', `${what}: targets`, e);
  }
}

export const targetGroupHandler: Handler<'target-group'> = {
  async read(ctx, desired, known) {
    const id = logicalIdOf(desired, known);
    const props = propsOf(desired, known);
    const tg = await findGroup(ctx, known?.physicalId, props.name);
    if (!tg) return undefined;
    const observed = await observe(ctx, id, tg, [desired?.props, known?.props as Partial<Props> | undefined]);
    if (known?.physicalId === undefined)
      checkOwner(ctx, id, `target group ${props.name}`, observed.props.tags);
    return observed;
  },

  async create(ctx, r) {
    const p = r.props;
    const what = `target group ${p.name} (${r.id})`;
    let arn: string;
    try {
      // Idempotent: the same name and settings return the existing group (CreateTargetGroup API reference).
      const out = await ctx.aws.elbv2.send(
        new CreateTargetGroupCommand({
          Name: p.name,
          Protocol: p.protocol,
          Port: p.port,
          VpcId: p.vpcId,
          TargetType: p.targetType,
          HealthCheckProtocol: 'TCP',
          Tags: tagList(p.tags),
        }),
      );
      arn = out.TargetGroups?.[0]?.TargetGroupArn ?? '';
    } catch (e) {
      const hint =
        errorName(e) === 'DuplicateTargetGroupName'
          ? 'a target group with this name exists with other settings (port, VPC or type)'
          : undefined;
      throw awsFailure('CREATE_FAILED', what, e, hint);
    }
    if (!arn) throw new MplError('CREATE_FAILED', `${what}: CreateTargetGroup returned no ARN`);
    // An adopted group (a retried create) may carry other tags or targets: make both exact.
    const tg = await findGroup(ctx, arn, undefined);
    if (!tg)
      throw new MplError('CREATE_FAILED', `${what}: not found right after CreateTargetGroup`, {
        retriable: true,
      });
    const tags = await elbTags(ctx.aws.elbv2, arn);
    checkOwner(ctx, r.id, what, tags);
    await syncElbTags(ctx.aws.elbv2, arn, p.tags, tags, what);
    await syncTargets(ctx, arn, p.targets, what);
    return observe(ctx, r.id, tg, [p]);
  },

  async update(ctx, r: ResourceOf<'target-group'>, before) {
    const what = `target group ${r.props.name} (${r.id})`;
    const arn = before.physicalId;
    await syncElbTags(ctx.aws.elbv2, arn, r.props.tags, before.props.tags, what);
    await syncTargets(ctx, arn, r.props.targets, what);
    const tg = await findGroup(ctx, arn, undefined);
    if (!tg) throw new MplError('UPDATE_FAILED', `${what}: gone during the update`);
    return observe(ctx, r.id, tg, [r.props]);
  },

  async delete(ctx, known: Known) {
    const name = (known.props as Partial<Props>).name;
    const what = `target group ${name ?? known.physicalId} (${known.id})`;
    const arn = known.physicalId ?? (await findGroup(ctx, undefined, name))?.TargetGroupArn;
    if (arn === undefined) return;
    try {
      await ctx.aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
    } catch (e) {
      if (isNotFound(e)) return;
      if (errorName(e) === 'ResourceInUse' || errorName(e) === 'ResourceInUseException') {
        // AWS-NOTES "Destroy order": a listener (or rule) still forwards to it; it goes first.
        throw awsFailure(
          'TARGET_GROUP_IN_USE',
          what,
          e,
          'a listener still forwards to it; delete the listener first',
        );
      }
      throw awsFailure('DELETE_FAILED', what, e);
    }
  },
};
