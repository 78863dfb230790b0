// TCP listener on an NLB forwarding to one target group. A listener is identified by its NLB and
// port: read without an ARN looks for the port on the NLB, which is how a crashed run adopts it.
import {
  CreateListenerCommand,
  DeleteListenerCommand,
  DescribeListenersCommand,
  ModifyListenerCommand,
  type Listener,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { MplError } from '../../errors.js';
import type { PropsOf } from '../../plan/resource.js';
import { isNotFound } from '../poll.js';
import type { Handler, HandlerCtx, Known, Observed } from '../types.js';
import { awsFailure, checkOwner, errorName, logicalIdOf, propsOf, tagList } from './ec2-util.js';
import { elbTags, syncElbTags } from './elbv2-util.js';

type Props = PropsOf<'listener'>;

/** The physical id of a dependency, or undefined when it is not made (then neither is this listener). */
function refArn(ctx: HandlerCtx, id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  try {
    return ctx.ref(id).physicalId;
  } catch {
    return undefined;
  }
}

/** The forward target of the default action (plain TargetGroupArn, or the first of a ForwardConfig). */
function forwardTarget(l: Listener): string | undefined {
  const a = l.DefaultActions?.find((x) => x.Type === 'forward');
  return a?.TargetGroupArn ?? a?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;
}

async function byArn(ctx: HandlerCtx, arn: string): Promise<Listener | undefined> {
  try {
    const out = await ctx.aws.elbv2.send(new DescribeListenersCommand({ ListenerArns: [arn] }));
    return out.Listeners?.[0];
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw awsFailure('READ_FAILED', `listener ${arn}`, e);
  }
}

async function byPort(ctx: HandlerCtx, nlbArn: string, port: number): Promise<Listener | undefined> {
  try {
    let marker: string | undefined;
    do {
      const out = await ctx.aws.elbv2.send(
        new DescribeListenersCommand({ LoadBalancerArn: nlbArn, Marker: marker }),
      );
      const hit = out.Listeners?.find((l) => l.Port === port);
      if (hit) return hit;
      marker = out.NextMarker;
    } while (marker);
    return undefined;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw awsFailure('READ_FAILED', `listener on ${nlbArn} port ${port}`, e);
  }
}

async function observe(ctx: HandlerCtx, id: string, l: Listener): Promise<Observed<'listener'>> {
  const arn = l.ListenerArn as string;
  const nlb = l.LoadBalancerArn ?? '';
  const tg = forwardTarget(l) ?? '';
  const props: Props = {
    // References back to logical ids; a raw ARN (not this stack's) shows as a difference.
    loadBalancer: ctx.idOf(nlb) ?? nlb,
    port: l.Port ?? 0,
    protocol: l.Protocol as 'TCP',
    targetGroup: ctx.idOf(tg) ?? tg,
    tags: await elbTags(ctx.aws.elbv2, arn),
  };
  return { id, kind: 'listener', physicalId: arn, props, outputs: { arn } };
}

export const listenerHandler: Handler<'listener'> = {
  async read(ctx, desired, known) {
    const id = logicalIdOf(desired, known);
    if (known?.physicalId !== undefined) {
      const l = await byArn(ctx, known.physicalId);
      return l ? observe(ctx, id, l) : undefined;
    }
    const props = propsOf(desired, known);
    const nlbArn = refArn(ctx, props.loadBalancer);
    if (nlbArn === undefined || props.port === undefined) return undefined;
    const l = await byPort(ctx, nlbArn, props.port);
    if (!l) return undefined;
    const observed = await observe(ctx, id, l);
    checkOwner(ctx, id, `listener ${nlbArn}:${props.port}`, observed.props.tags);
    return observed;
  },

  async create(ctx, r) {
    const p = r.props;
    const nlbArn = ctx.ref(p.loadBalancer).physicalId as string;
    const tgArn = ctx.ref(p.targetGroup).physicalId as string;
    const what = `listener ${p.port} on ${p.loadBalancer} (${r.id})`;
    let l: Listener | undefined;
    try {
      const out = await ctx.aws.elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: nlbArn,
          Protocol: p.protocol,
          Port: p.port,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
          Tags: tagList(p.tags),
        }),
      );
      l = out.Listeners?.[0];
    } catch (e) {
      if (!/^DuplicateListener/.test(errorName(e))) throw awsFailure('CREATE_FAILED', what, e);
      // The port is taken: a retried create adopts its own listener (same target group); anything
      // else on the port is not ours to take over.
      const existing = await byPort(ctx, nlbArn, p.port);
      if (!existing || forwardTarget(existing) !== tgArn) {
        throw awsFailure(
          'LISTENER_PORT_TAKEN',
          what,
          e,
          `port ${p.port} forwards to ${existing ? (forwardTarget(existing) ?? 'something else') : 'an unknown target'}, not ${tgArn}`,
        );
      }
      l = existing;
    }
    if (!l?.ListenerArn) throw new MplError('CREATE_FAILED', `${what}: CreateListener returned no ARN`);
    const tags = await elbTags(ctx.aws.elbv2, l.ListenerArn);
    checkOwner(ctx, r.id, what, tags);
    await syncElbTags(ctx.aws.elbv2, l.ListenerArn, p.tags, tags, what);
    return observe(ctx, r.id, l);
  },

  async update(ctx, r, before) {
    const p = r.props;
    const what = `listener ${p.port} on ${p.loadBalancer} (${r.id})`;
    const arn = before.physicalId;
    if (before.props.port !== p.port || before.props.targetGroup !== p.targetGroup) {
      const tgArn = ctx.ref(p.targetGroup).physicalId as string;
      try {
        await ctx.aws.elbv2.send(
          new ModifyListenerCommand({
            ListenerArn: arn,
            Port: p.port,
            Protocol: p.protocol,
            DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
          }),
        );
      } catch (e) {
        throw awsFailure('UPDATE_FAILED', what, e);
      }
    }
    await syncElbTags(ctx.aws.elbv2, arn, p.tags, before.props.tags, what);
    const l = await byArn(ctx, arn);
    if (!l) throw new MplError('UPDATE_FAILED', `${what}: gone during the update`);
    return observe(ctx, r.id, l);
  },

  async delete(ctx, known: Known) {
    const props = known.props as Partial<Props>;
    const what = `listener ${props.port ?? ''} on ${props.loadBalancer ?? '?'} (${known.id})`;
    let arn = known.physicalId;
    if (arn === undefined) {
      const nlbArn = refArn(ctx, props.loadBalancer);
      if (nlbArn === undefined || props.port === undefined) return;
      arn = (await byPort(ctx, nlbArn, props.port))?.ListenerArn;
      if (arn === undefined) return;
    }
    try {
      await ctx.aws.elbv2.send(new DeleteListenerCommand({ ListenerArn: arn }));
    } catch (e) {
      if (isNotFound(e)) return;
      throw awsFailure('DELETE_FAILED', what, e);
    }
  },
};
