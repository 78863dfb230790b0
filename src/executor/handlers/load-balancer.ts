// Internal network load balancer: CreateLoadBalancer (idempotent by name and settings), cross-zone
// as an attribute, polled until active (the SDK waiter never fails on `failed`, AWS-NOTES.md).
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  ModifyLoadBalancerAttributesCommand,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { MplError } from '../../errors.js';
import type { PropsOf } from '../../plan/resource.js';
import { isNotFound, poll } from '../poll.js';
import type { Handler, HandlerCtx, Known, Observed } from '../types.js';
import {
  awsFailure,
  checkOwner,
  compareStrings,
  describeSubnets,
  errorName,
  logicalIdOf,
  orderLike,
  propsOf,
  tagList,
} from './ec2-util.js';
import { elbTags, syncElbTags } from './elbv2-util.js';

type Props = PropsOf<'load-balancer'>;

// The attribute behind props.crossZone (ELBv2 LoadBalancerAttribute keys; NLB default "false").
const CROSS_ZONE = 'load_balancing.cross_zone.enabled';

async function findBalancer(
  ctx: HandlerCtx,
  physicalId: string | undefined,
  name: string | undefined,
): Promise<LoadBalancer | undefined> {
  if (physicalId === undefined && name === undefined) return undefined;
  try {
    const out = await ctx.aws.elbv2.send(
      new DescribeLoadBalancersCommand(
        physicalId !== undefined ? { LoadBalancerArns: [physicalId] } : { Names: [name as string] },
      ),
    );
    return out.LoadBalancers?.[0];
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw awsFailure('READ_FAILED', `load balancer ${physicalId ?? name}`, e);
  }
}

async function crossZoneOf(ctx: HandlerCtx, arn: string): Promise<boolean> {
  const out = await ctx.aws.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }));
  return out.Attributes?.find((a) => a.Key === CROSS_ZONE)?.Value === 'true';
}

async function setCrossZone(ctx: HandlerCtx, arn: string, on: boolean, what: string): Promise<void> {
  if ((await crossZoneOf(ctx, arn)) === on) return;
  try {
    await ctx.aws.elbv2.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: arn,
        Attributes: [{ Key: CROSS_ZONE, Value: String(on) }],
      }),
    );
  } catch (e) {
    throw awsFailure('UPDATE_FAILED', `${what}: cross-zone`, e);
  }
}

/**
 * Props in the planner's shape. ELBv2 reports a subnet and AZ name per zone, not the AZ ID: the AZ
 * IDs come from DescribeSubnets. Subnets are listed in the desired (planner's) order, extras after
 * by AZ ID, so the same subnets compare equal whatever order AWS answers in.
 */
async function observe(
  ctx: HandlerCtx,
  id: string,
  lb: LoadBalancer,
  like: readonly string[] | undefined,
): Promise<Observed<'load-balancer'>> {
  const arn = lb.LoadBalancerArn as string;
  const subnetIds = (lb.AvailabilityZones ?? []).flatMap((z) =>
    z.SubnetId === undefined ? [] : [z.SubnetId],
  );
  const [subnets, crossZone, tags] = await Promise.all([
    describeSubnets(ctx.aws.ec2, subnetIds, `load balancer ${lb.LoadBalancerName}`),
    crossZoneOf(ctx, arn),
    elbTags(ctx.aws.elbv2, arn),
  ]);
  const ordered = orderLike(
    subnets,
    like?.map((s) => ({ id: s, cidr: '', azId: '' })),
    (s) => s.id,
    (a, b) => compareStrings(a.azId, b.azId) || compareStrings(a.id, b.id),
  );
  const props: Props = {
    name: lb.LoadBalancerName ?? '',
    type: lb.Type as 'network',
    scheme: lb.Scheme as 'internal',
    subnetIds: ordered.map((s) => s.id),
    azIds: ordered.map((s) => s.azId),
    crossZone,
    tags,
  };
  return {
    id,
    kind: 'load-balancer',
    physicalId: arn,
    props,
    outputs: {
      arn,
      dnsName: lb.DNSName ?? '',
      canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? '',
    },
  };
}

/** Polls until the load balancer is active; `failed` is a failure, not something to wait out. */
async function waitActive(ctx: HandlerCtx, arn: string, what: string): Promise<LoadBalancer> {
  return poll(what, ctx.wait, async () => {
    const lb = await findBalancer(ctx, arn, undefined);
    // Right after a create a read may briefly answer NotFound (AWS-NOTES.md "Provisioning times").
    if (!lb) return { done: false, state: 'not yet visible' };
    const state = lb.State?.Code ?? 'unknown';
    if (state === 'active') return { done: true, value: lb };
    if (state === 'failed') return { failed: lb.State?.Reason ?? 'state failed' };
    return { done: false, state };
  });
}

async function deleteAndWait(ctx: HandlerCtx, arn: string, what: string): Promise<void> {
  try {
    await ctx.aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
  } catch (e) {
    if (isNotFound(e)) return;
    if (/^ResourceInUse/.test(errorName(e))) {
      // AWS-NOTES "Destroy order": an endpoint service still uses it; the service goes first.
      throw awsFailure(
        'LOAD_BALANCER_IN_USE',
        what,
        e,
        'an endpoint service still uses it; delete the service first',
      );
    }
    throw awsFailure('DELETE_FAILED', what, e);
  }
  // Wait until gone: a new NLB with the same name (a replace) is refused while the old one exists.
  await poll(`${what} deletion`, ctx.wait, async () => {
    const lb = await findBalancer(ctx, arn, undefined);
    return lb ? { done: false, state: lb.State?.Code ?? 'deleting' } : { done: true, value: undefined };
  });
}

export const loadBalancerHandler: Handler<'load-balancer'> = {
  async read(ctx, desired, known) {
    const id = logicalIdOf(desired, known);
    const props = propsOf(desired, known);
    const lb = await findBalancer(ctx, known?.physicalId, props.name);
    // A failed NLB serves nothing: report it gone, and create replaces it.
    if (!lb || lb.State?.Code === 'failed') return undefined;
    const observed = await observe(ctx, id, lb, props.subnetIds);
    if (known?.physicalId === undefined)
      checkOwner(ctx, id, `load balancer ${props.name}`, observed.props.tags);
    return observed;
  },

  async create(ctx, r) {
    const p = r.props;
    const what = `load balancer ${p.name} (${r.id})`;
    const old = await findBalancer(ctx, undefined, p.name);
    if (old?.State?.Code === 'failed' && old.LoadBalancerArn) {
      ctx.log(`${what}: a failed load balancer has the name; deleting it first`);
      await deleteAndWait(ctx, old.LoadBalancerArn, what);
    }
    let arn: string;
    try {
      // The same name and settings return the existing NLB (CreateLoadBalancer API reference), so
      // a create retried after a crash adopts what the first one made.
      const out = await ctx.aws.elbv2.send(
        new CreateLoadBalancerCommand({
          Name: p.name,
          Type: p.type,
          Scheme: p.scheme,
          Subnets: p.subnetIds,
          Tags: tagList(p.tags),
        }),
      );
      arn = out.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
    } catch (e) {
      const hint = /^DuplicateLoadBalancerName/.test(errorName(e))
        ? 'a load balancer with this name exists with other settings (subnets, scheme or type)'
        : undefined;
      throw awsFailure('CREATE_FAILED', what, e, hint);
    }
    if (!arn) throw new MplError('CREATE_FAILED', `${what}: CreateLoadBalancer returned no ARN`);
    const tags = await elbTags(ctx.aws.elbv2, arn);
    checkOwner(ctx, r.id, what, tags);
    await syncElbTags(ctx.aws.elbv2, arn, p.tags, tags, what);
    await setCrossZone(ctx, arn, p.crossZone, what);
    const lb = await waitActive(ctx, arn, what);
    return observe(ctx, r.id, lb, p.subnetIds);
  },

  async update(ctx, r, before) {
    const what = `load balancer ${r.props.name} (${r.id})`;
    const arn = before.physicalId;
    await syncElbTags(ctx.aws.elbv2, arn, r.props.tags, before.props.tags, what);
    await setCrossZone(ctx, arn, r.props.crossZone, what);
    const lb = await findBalancer(ctx, arn, undefined);
    if (!lb) throw new MplError('UPDATE_FAILED', `${what}: gone during the update`);
    return observe(ctx, r.id, lb, r.props.subnetIds);
  },

  async delete(ctx, known: Known) {
    const name = (known.props as Partial<Props>).name;
    const what = `load balancer ${name ?? known.physicalId} (${known.id})`;
    const arn = known.physicalId ?? (await findBalancer(ctx, undefined, name))?.LoadBalancerArn;
    if (arn === undefined) return;
    await deleteAndWait(ctx, arn, what);
  },
};
