// A listener on an NLB forwarding to one target group: TCP, or TLS presenting an ACM certificate
// (pattern 2's custom domain). A listener is identified by its NLB and port: read without an ARN
// looks for the port on the NLB, which is how a crashed run adopts it. A TCP listener may carry an
// idle timeout (listener attribute tcp.idle_timeout.seconds, 60-6000 s, default 350; ELB user guide,
// "Update the TCP idle timeout for your Network Load Balancer listener"), set right after the create
// and changed in place; it is read only where the plan (or the state) has one, so listeners
// without cost no extra call.
import {
  CreateListenerCommand,
  DeleteListenerCommand,
  DescribeListenerAttributesCommand,
  DescribeListenersCommand,
  ModifyListenerAttributesCommand,
  ModifyListenerCommand,
  paginateDescribeListeners,
  type Listener,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { z } from 'zod';
import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { awsFailure, classify, errorName } from '../aws/errors.js';
import { MplError } from '../errors.js';
import { NLB_IDLE_TIMEOUT_S } from '../planner/quotas.js';
import type { Instance } from '../state/instance.js';
import {
  attempt,
  defineKind,
  orGone,
  resourceHandler,
  type Handler,
  type HandlerCtx,
  type Live,
} from './kind.js';
import { tagList } from './shared/ec2.js';
import { elbTags, stackTagged } from './shared/elbv2.js';
import { foundIn, foundRefs } from './shared/scan.js';
import { Port, Ref, Tags } from './shared/schema.js';
import { arn } from '../iam/scope.js';
import { primeRead, readBatched, readOnce } from './shared/batched.js';

const Props = z.strictObject({
  loadBalancer: Ref,
  port: Port,
  protocol: z.enum(['TCP', 'TLS']),
  /** TLS: the default certificate (ACM ARN) and the security policy. */
  certificateArn: z.string().optional(),
  sslPolicy: z.string().optional(),
  /**
   * TCP only: seconds a connection may be idle before the NLB drops it. Absent: not managed, AWS's
   * default (350) or whatever the listener has; a listener that had one in state and no longer
   * does goes back to the default.
   */
  idleTimeoutSeconds: z
    .number()
    .int()
    .min(NLB_IDLE_TIMEOUT_S.tcpMin)
    .max(NLB_IDLE_TIMEOUT_S.tcpMax)
    .optional(),
  targetGroup: Ref,
  tags: Tags,
});
type Props = z.infer<typeof Props>;

// The listener attribute behind props.idleTimeoutSeconds (ELBv2 ListenerAttribute keys).
const IDLE_TIMEOUT = 'tcp.idle_timeout.seconds';

const label = (p: Partial<Props>) => `listener ${p.port ?? '?'} on ${p.loadBalancer ?? '?'}`;

/** The physical id of a dependency, or undefined when it is not made (then neither is this listener). */
function refArn(ctx: HandlerCtx, id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  try {
    return ctx.ref(id).physicalId;
  } catch {
    return undefined;
  }
}

/** A TLS listener's certificate and policy, as CreateListener and ModifyListener take them. */
function tlsSettings(p: Props): { Certificates?: Array<{ CertificateArn: string }>; SslPolicy?: string } {
  if (p.protocol !== 'TLS') return {};
  return {
    ...(p.certificateArn ? { Certificates: [{ CertificateArn: p.certificateArn }] } : {}),
    ...(p.sslPolicy ? { SslPolicy: p.sslPolicy } : {}),
  };
}

/** The forward target of the default action (plain TargetGroupArn, or the first of a ForwardConfig). */
function forwardTarget(l: Listener): string | undefined {
  const a = l.DefaultActions?.find((x) => x.Type === 'forward');
  return a?.TargetGroupArn ?? a?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;
}

/** By ARN; in a refresh, with the state's other listeners (20 ARNs a call, as DescribeTags takes). */
function byArn(ctx: HandlerCtx, arn: string): Promise<Listener | undefined> {
  const describe = (arns: string[]) =>
    ctx.aws.elbv2.send(new DescribeListenersCommand({ ListenerArns: arns }));
  return readBatched(ctx, {
    client: ctx.aws.elbv2,
    api: 'elbv2:DescribeListeners',
    id: arn,
    peerKinds: ['listener'],
    maxIds: 20,
    fetch: async (arns) =>
      new Map(((await describe(arns)).Listeners ?? []).map((l) => [l.ListenerArn ?? '', l])),
    fetchOne: async (one) => (await describe([one])).Listeners?.[0],
  });
}

/** The listener on `port` of the NLB, through every page of DescribeListeners. */
async function byPort(ctx: HandlerCtx, nlbArn: string, port: number): Promise<Listener | undefined> {
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
}

/** A listener's TCP idle timeout in seconds (AWS's default when the attribute is not answered). */
async function idleTimeoutOf(ctx: HandlerCtx, arn: string): Promise<number> {
  const out = await ctx.aws.elbv2.send(new DescribeListenerAttributesCommand({ ListenerArn: arn }));
  const value = out.Attributes?.find((a) => a.Key === IDLE_TIMEOUT)?.Value;
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isInteger(seconds) ? seconds : NLB_IDLE_TIMEOUT_S.tcpDefault;
}

async function setIdleTimeout(ctx: HandlerCtx, arn: string, seconds: number): Promise<void> {
  await ctx.aws.elbv2.send(
    new ModifyListenerAttributesCommand({
      ListenerArn: arn,
      Attributes: [{ Key: IDLE_TIMEOUT, Value: String(seconds) }],
    }),
  );
}

/**
 * The idle timeout as props carry it: read for a TCP listener when `like` (the plan's or the
 * state's props) has one, or when `always` (a scan); reported when `like` has one or it is not
 * AWS's default, so a listener the plan leaves alone reads the same as before.
 */
async function observedIdle(
  ctx: HandlerCtx,
  l: Listener,
  like: Partial<Props> | undefined,
  always: boolean,
): Promise<{ idleTimeoutSeconds?: number }> {
  if (l.Protocol !== 'TCP' || (like?.idleTimeoutSeconds === undefined && !always)) return {};
  const arn = l.ListenerArn as string;
  // Once per plan: its scan and its refresh both observe the listener.
  const seconds = await readOnce(ctx, ctx.aws.elbv2, 'elbv2:DescribeListenerAttributes', arn, () =>
    idleTimeoutOf(ctx, arn),
  );
  return like?.idleTimeoutSeconds !== undefined || seconds !== NLB_IDLE_TIMEOUT_S.tcpDefault
    ? { idleTimeoutSeconds: seconds }
    : {};
}

async function observe(
  ctx: HandlerCtx,
  l: Listener,
  like: Partial<Props> | undefined,
  readIdle = false,
): Promise<Live<Props>> {
  const arn = l.ListenerArn as string;
  const nlb = l.LoadBalancerArn ?? '';
  const tg = forwardTarget(l) ?? '';
  return {
    physicalId: arn,
    props: {
      // References back to logical ids; a raw ARN (not this stack's) shows as a difference.
      loadBalancer: ctx.idOf(nlb) ?? nlb,
      port: l.Port ?? 0,
      protocol: l.Protocol as 'TCP' | 'TLS',
      // TCP listeners carry neither (the twin answers an SslPolicy on TCP ones too: not read there).
      ...(l.Protocol === 'TLS'
        ? {
            certificateArn: l.Certificates?.[0]?.CertificateArn ?? '',
            sslPolicy: l.SslPolicy ?? '',
          }
        : {}),
      ...(await observedIdle(ctx, l, like, readIdle)),
      targetGroup: ctx.idOf(tg) ?? tg,
      tags: await elbTags.read(ctx, arn),
    },
    outputs: { arn },
  };
}

/**
 * The stack's listeners in ctx's account and region: those tagged with the stack on the NLBs
 * found (a listener lives on its NLB; one on an NLB not found is not the stack's).
 */
async function scan(
  ctx: HandlerCtx,
  found: ReadonlyMap<string, Instance>,
): Promise<Array<{ id: string; live: Live<Props>; dependsOn: string[] }>> {
  const all: Listener[] = [];
  for (const nlb of foundIn(ctx, found, 'load-balancer')) {
    // An NLB deleted since it was found has no listeners left.
    const ls = await orGone(label({ loadBalancer: nlb.id }), async () => {
      const out: Listener[] = [];
      for await (const page of paginateDescribeListeners(
        { client: ctx.aws.elbv2 },
        { LoadBalancerArn: nlb.physicalId },
      ))
        out.push(...(page.Listeners ?? []));
      return out;
    });
    for (const l of ls ?? [])
      primeRead(ctx, ctx.aws.elbv2, 'elbv2:DescribeListeners', l.ListenerArn ?? '', l);
    all.push(...(ls ?? []));
  }
  const mine = await stackTagged(
    ctx,
    'listener',
    all,
    (l) => l.ListenerArn,
    (l) => label({ port: l.Port, loadBalancer: ctx.idOf(l.LoadBalancerArn ?? '') }),
  );
  return Promise.all(
    mine.map(async ({ id, item }) => {
      // No plan to compare with: the idle timeout is read, and shown where it is not the default.
      const live = await observe(ctx, item, undefined, true);
      return { id, live, dependsOn: foundRefs(found, [live.props.loadBalancer, live.props.targetGroup]) };
    }),
  );
}

/**
 * Reads the idle timeout of a listener whose state has one but whose plan no longer does (read
 * skips it then): when it is not the default, the diff shows it going and the update resets it.
 */
function withIdleTimeoutInState(base: Handler<Props>): Handler<Props> {
  return {
    ...base,
    async read(ctx, desired, known) {
      const live = await base.read(ctx, desired, known);
      if (
        live === undefined ||
        live.props.protocol !== 'TCP' ||
        live.props.idleTimeoutSeconds !== undefined ||
        known?.props.idleTimeoutSeconds === undefined
      )
        return live;
      const seconds = await orGone(label(live.props), () => idleTimeoutOf(ctx, live.physicalId));
      if (seconds === undefined) return undefined;
      return seconds === NLB_IDLE_TIMEOUT_S.tcpDefault
        ? live
        : { ...live, props: { ...live.props, idleTimeoutSeconds: seconds } };
    },
  };
}

export const listener = defineKind({
  kind: 'listener',
  iam: {
    reads: [
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeListenerAttributes',
      'acm:DescribeCertificate',
    ],
    writes: (s) => [
      {
        sid: 'LoadBalancing',
        actions: [
          'elasticloadbalancing:CreateListener',
          'elasticloadbalancing:DeleteListener',
          'elasticloadbalancing:ModifyListener',
          'elasticloadbalancing:ModifyListenerAttributes',
          'elasticloadbalancing:AddTags',
          'elasticloadbalancing:RemoveTags',
        ],
        // CreateListener is authorized on the NLB, the others on the listener.
        resources: s.elbNames.flatMap((n) => [
          arn(s, 'elasticloadbalancing', `loadbalancer/net/${n}/*`),
          arn(s, 'elasticloadbalancing', `listener/net/${n}/*/*`),
        ]),
      },
    ],
  },
  props: Props,
  // Terraform tags listeners (CloudFormation does not).
  terraform: (p, x) => ({
    type: 'aws_lb_listener',
    args: {
      load_balancer_arn: x.ref(p.loadBalancer, 'arn'),
      port: p.port,
      protocol: p.protocol,
      ...(p.certificateArn ? { certificate_arn: p.certificateArn } : {}),
      ...(p.sslPolicy ? { ssl_policy: p.sslPolicy } : {}),
      ...(p.idleTimeoutSeconds === undefined ? {} : { tcp_idle_timeout_seconds: p.idleTimeoutSeconds }),
      default_action: [{ type: 'forward', target_group_arn: x.ref(p.targetGroup, 'arn') }],
      tags: p.tags,
    },
  }),
  // ELBv2 listeners take no tags in CloudFormation (AWS::ElasticLoadBalancingV2::Listener).
  cloudformation: (p, x) => ({
    type: 'AWS::ElasticLoadBalancingV2::Listener',
    properties: {
      LoadBalancerArn: x.ref(p.loadBalancer, 'Ref'),
      Port: p.port,
      Protocol: p.protocol,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: x.ref(p.targetGroup, 'Ref') }],
      ...(p.certificateArn ? { Certificates: [{ CertificateArn: p.certificateArn }] } : {}),
      ...(p.sslPolicy ? { SslPolicy: p.sslPolicy } : {}),
      ...(p.idleTimeoutSeconds === undefined
        ? {}
        : { ListenerAttributes: [{ Key: IDLE_TIMEOUT, Value: String(p.idleTimeoutSeconds) }] }),
    },
  }),
  // ModifyListener can change the port and the default action (the target group), never the NLB;
  // a change of protocol makes a new listener.
  replaceOn: ['loadBalancer', 'protocol'],
  hidden: ['tags'],
  label,
  handler: withIdleTimeoutInState(
    resourceHandler<Props, Listener>({
      label,
      byId: (ctx, arn) => byArn(ctx, arn),
      byIdentity(ctx, _id, p) {
        // Not made when its NLB is not (a NotFound for a deleted NLB is read as gone by the skeleton).
        const nlbArn = refArn(ctx, p.loadBalancer);
        if (nlbArn === undefined || p.port === undefined) return Promise.resolve(undefined);
        return byPort(ctx, nlbArn, p.port);
      },
      physicalIdOf: (l) => l.ListenerArn ?? '',
      observe: (ctx, l, like) => observe(ctx, l, like),

      async create(ctx, r) {
        const p = r.props;
        const what = `${label(p)} (${r.id})`;
        const nlbArn = ctx.ref(p.loadBalancer).physicalId;
        const tgArn = ctx.ref(p.targetGroup).physicalId;
        let l: Listener | undefined;
        try {
          const out = await ctx.aws.elbv2.send(
            new CreateListenerCommand({
              LoadBalancerArn: nlbArn,
              Protocol: p.protocol,
              Port: p.port,
              ...tlsSettings(p),
              DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
              Tags: tagList(p.tags),
            }),
          );
          l = out.Listeners?.[0];
        } catch (e) {
          if (!/^DuplicateListener/.test(errorName(e))) throw awsFailure('CREATE_FAILED', what, e);
          // The port is taken: a retried create adopts its own listener (same target group); anything
          // else on the port is not ours to take over.
          const existing = await orGone(what, () => byPort(ctx, nlbArn, p.port));
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
        return l;
      },

      // CreateListener takes no attributes: the idle timeout is set right after (also on a listener
      // adopted from a crashed run, whose create may have stopped before it).
      async configure(ctx, r, l) {
        const seconds = r.props.idleTimeoutSeconds;
        if (r.props.protocol === 'TCP' && seconds !== undefined)
          await setIdleTimeout(ctx, l.ListenerArn as string, seconds);
      },

      async update(ctx, r, before) {
        const p = r.props;
        const b = before.props;
        const what = `${label(p)} (${r.id})`;
        if (
          b.port !== p.port ||
          b.targetGroup !== p.targetGroup ||
          b.certificateArn !== p.certificateArn ||
          b.sslPolicy !== p.sslPolicy
        ) {
          const tgArn = ctx.ref(p.targetGroup).physicalId;
          await attempt('UPDATE_FAILED', what, () =>
            ctx.aws.elbv2.send(
              new ModifyListenerCommand({
                ListenerArn: before.physicalId,
                Port: p.port,
                Protocol: p.protocol,
                ...tlsSettings(p),
                DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
              }),
            ),
          );
        }
        // A timeout the plan no longer sets goes back to AWS's default.
        if (p.protocol === 'TCP' && b.idleTimeoutSeconds !== p.idleTimeoutSeconds) {
          const seconds = p.idleTimeoutSeconds ?? NLB_IDLE_TIMEOUT_S.tcpDefault;
          await attempt('UPDATE_FAILED', `${what}: idle timeout`, () =>
            setIdleTimeout(ctx, before.physicalId, seconds),
          );
        }
      },

      async remove(ctx, arn) {
        await ctx.aws.elbv2.send(new DeleteListenerCommand({ ListenerArn: arn }));
      },
      tags: elbTags,
    }),
  ),
  /**
   * A TLS listener's certificate must exist in ACM, in the NLB's account and region, and be issued
   * (CreateListener answers CertificateNotFound otherwise, after the NLB and target groups are made).
   */
  async preflight(ctx, items) {
    const arns = [
      ...new Set(
        items
          .filter((i) => i.action !== 'delete' && i.props.protocol === 'TLS' && i.props.certificateArn)
          .map((i) => i.props.certificateArn as string),
      ),
    ];
    for (const arn of arns) {
      let status: string | undefined;
      try {
        const out = await ctx.aws.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }));
        status = out.Certificate?.Status;
      } catch (e) {
        if (classify(e) !== 'not-found') throw awsFailure('READ_FAILED', `ACM certificate ${arn}`, e);
        throw new MplError(
          'PATTERN2_DOMAIN_INVALID',
          `pattern2.certificateArn ${arn} is not in ACM in account ${ctx.aws.account} ${ctx.aws.region}`,
        );
      }
      if (status !== 'ISSUED')
        throw new MplError(
          'PATTERN2_DOMAIN_INVALID',
          `pattern2.certificateArn ${arn} is ${status ?? 'in no known state'}, not ISSUED: the NLB cannot present it`,
        );
    }
  },
  scan,
  scanAfter: ['load-balancer', 'target-group'],
});
