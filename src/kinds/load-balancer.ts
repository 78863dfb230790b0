// Internal network load balancer: CreateLoadBalancer (idempotent by name and settings), cross-zone
// as an attribute, polled until active (the SDK's waitUntilLoadBalancerAvailable retries on every
// state but `active`, `failed` included). Security groups can be given only when an NLB is created:
// one made without any cannot get one later, one made with some can change them (and the PrivateLink
// enforcement setting) at any time with SetSecurityGroups (ELB user guide, "Update the security
// groups for your Network Load Balancer"; ELBv2 API reference, SetSecurityGroups).
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  ModifyLoadBalancerAttributesCommand,
  SetSecurityGroupsCommand,
  paginateDescribeLoadBalancers,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { z } from 'zod';
import { errorName } from '../aws/errors.js';
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
import { primeRead, readBatched, readOnce } from './shared/batched.js';
import { compareStrings, orderLike, orderStringsLike, subnetsOf, tagList } from './shared/ec2.js';
import { logicalOf, refId } from './shared/ec2-endpoint.js';
import { elbTags, stackTagged } from './shared/elbv2.js';
import { pollShared } from './shared/shared-poll.js';
import { poll } from './shared/poll.js';
import { foundRefs } from './shared/scan.js';
import { Ref, Tags } from './shared/schema.js';
import { arn } from '../iam/scope.js';
import { cfnTags } from '../export/cfn-types.js';

const Props = z.strictObject({
  name: z.string(),
  type: z.literal('network'),
  scheme: z.literal('internal'),
  subnetIds: z.array(z.string()),
  azIds: z.array(z.string()),
  crossZone: z.boolean(),
  /** Security groups of the plan (logical ids, resolved when applied); [] for an NLB made without. */
  securityGroups: z.array(Ref).default([]),
  /**
   * EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'on' makes the inbound rules apply to
   * PrivateLink traffic, whose source they then see as the client's private IP address. Only with
   * security groups (absent without: AWS answers no setting then).
   */
  enforcePrivateLinkInboundRules: z.enum(['on', 'off']).optional(),
  tags: Tags,
});
type Props = z.infer<typeof Props>;

// The attribute behind props.crossZone (ELBv2 LoadBalancerAttribute keys; NLB default "false").
const CROSS_ZONE = 'load_balancing.cross_zone.enabled';

const label = (p: Partial<Props>) => `load balancer ${p.name ?? '?'}`;

async function describe(ctx: HandlerCtx, q: { LoadBalancerArns: string[] } | { Names: string[] }) {
  const out = await ctx.aws.elbv2.send(new DescribeLoadBalancersCommand(q));
  return out.LoadBalancers?.[0];
}

async function crossZoneOf(ctx: HandlerCtx, arn: string): Promise<boolean> {
  const out = await ctx.aws.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }));
  return out.Attributes?.find((a) => a.Key === CROSS_ZONE)?.Value === 'true';
}

/**
 * Makes the NLB's security groups and PrivateLink enforcement the desired ones (SetSecurityGroups
 * replaces the list and sets the enforcement). An NLB made without groups cannot take any, and one
 * made with some cannot lose them all: the diff replaces it instead (replaceWhen).
 */
async function setGroups(ctx: HandlerCtx, arn: string, p: Props, what: string): Promise<void> {
  await attempt('UPDATE_FAILED', `${what}: security groups`, async () => {
    const lb = await describe(ctx, { LoadBalancerArns: [arn] });
    const have = lb?.SecurityGroups ?? [];
    const want = p.securityGroups.map((sg) => refId(ctx, sg, 'groupId'));
    // Between none and some: not possible in place (AWS refuses both ways); the diff replaces.
    if (have.length === 0 || want.length === 0) {
      if (have.length !== want.length)
        ctx.log(`${what}: security groups between none and some need a new NLB`);
      return;
    }
    const enforce = p.enforcePrivateLinkInboundRules;
    const sameGroups = [...have].sort().join(',') === [...want].sort().join(',');
    const current = lb?.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic;
    if (sameGroups && (enforce === undefined || enforce === current)) return;
    await ctx.aws.elbv2.send(
      new SetSecurityGroupsCommand({
        LoadBalancerArn: arn,
        SecurityGroups: want,
        ...(enforce === undefined ? {} : { EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: enforce }),
      }),
    );
  });
}

async function setCrossZone(ctx: HandlerCtx, arn: string, on: boolean, what: string): Promise<void> {
  await attempt('UPDATE_FAILED', `${what}: cross-zone`, async () => {
    if ((await crossZoneOf(ctx, arn)) === on) return;
    await ctx.aws.elbv2.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: arn,
        Attributes: [{ Key: CROSS_ZONE, Value: String(on) }],
      }),
    );
  });
}

/**
 * Props in the planner's shape. ELBv2 reports a subnet and AZ name per zone, not the AZ ID: the AZ
 * IDs come from DescribeSubnets. Subnets are listed in the desired (planner's) order, extras after
 * by AZ ID, so the same subnets compare equal whatever order AWS answers in.
 */
async function observe(
  ctx: HandlerCtx,
  lb: LoadBalancer,
  like: Partial<Props> | undefined,
): Promise<Live<Props>> {
  const arn = lb.LoadBalancerArn as string;
  const subnetIds = (lb.AvailabilityZones ?? []).flatMap((z) =>
    z.SubnetId === undefined ? [] : [z.SubnetId],
  );
  const [subnets, crossZone, tags] = await Promise.all([
    subnetsOf(ctx, subnetIds, label({ name: lb.LoadBalancerName })),
    // Once per plan: its scan and its refresh both observe the NLB.
    readOnce(ctx, ctx.aws.elbv2, 'elbv2:DescribeLoadBalancerAttributes', arn, () => crossZoneOf(ctx, arn)),
    elbTags.read(ctx, arn),
  ]);
  const ordered = orderLike(
    subnets,
    like?.subnetIds?.map((s) => ({ id: s, cidr: '', azId: '' })),
    (s) => s.id,
    (a, b) => compareStrings(a.azId, b.azId) || compareStrings(a.id, b.id),
  );
  // DescribeLoadBalancers answers both members only for an NLB made with security groups.
  const groups = (lb.SecurityGroups ?? []).map((sg) => logicalOf(ctx, sg));
  const enforce = lb.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic;
  return {
    physicalId: arn,
    props: {
      name: lb.LoadBalancerName ?? '',
      type: lb.Type as 'network',
      scheme: lb.Scheme as 'internal',
      subnetIds: ordered.map((s) => s.id),
      azIds: ordered.map((s) => s.azId),
      crossZone,
      securityGroups: orderStringsLike(groups, like?.securityGroups),
      ...(enforce === 'on' || enforce === 'off' ? { enforcePrivateLinkInboundRules: enforce } : {}),
      tags,
    },
    outputs: {
      arn,
      dnsName: lb.DNSName ?? '',
      canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? '',
    },
  };
}

/** No security groups (a state written before the prop existed has none either). */
const isEmptyList = (v: unknown): boolean => !Array.isArray(v) || v.length === 0;

/** A failed NLB serves nothing: read reports it gone, and create replaces it. */
const isGone = (lb: LoadBalancer): boolean => lb.State?.Code === 'failed';

/**
 * Waits until the load balancer is active; `failed` is a failure, not something to wait out. NLBs
 * provisioning at once share one DescribeLoadBalancers (at most 20 ARNs a call, ELB API reference).
 */
function waitActive(ctx: HandlerCtx, arn: string, what: string): Promise<LoadBalancer> {
  return pollShared({
    client: ctx.aws.elbv2,
    api: 'elbv2:DescribeLoadBalancers',
    id: arn,
    what,
    wait: ctx.wait,
    maxIds: 20,
    fetchOne: (id) => orGone(what, () => describe(ctx, { LoadBalancerArns: [id] })),
    fetch: async (ids) => {
      const out = await ctx.aws.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: ids }));
      return new Map((out.LoadBalancers ?? []).map((lb) => [lb.LoadBalancerArn ?? '', lb]));
    },
    verdict: (lb) => {
      // Right after a create a read may briefly answer NotFound (observed; the ELB API is eventually
      // consistent like EC2's, see EC2 developer guide "Eventual consistency in the Amazon EC2 API").
      if (!lb) return { done: false, state: 'not yet visible' };
      const state = lb.State?.Code ?? 'unknown';
      if (state === 'active') return { done: true, value: lb };
      if (state === 'failed') return { failed: lb.State?.Reason ?? 'state failed' };
      return { done: false, state };
    },
  });
}

/** The stack's NLBs in ctx's account and region, by their tags; a failed one reads as gone, as in read. */
async function scan(
  ctx: HandlerCtx,
  found: ReadonlyMap<string, Instance>,
): Promise<Array<{ id: string; live: Live<Props>; dependsOn: string[] }>> {
  const lbs: LoadBalancer[] = [];
  for await (const page of paginateDescribeLoadBalancers({ client: ctx.aws.elbv2 }, {}))
    for (const lb of page.LoadBalancers ?? []) {
      // The refresh that follows a plan's scan takes these answers (aws/read-batch.ts).
      primeRead(ctx, ctx.aws.elbv2, 'elbv2:DescribeLoadBalancers', lb.LoadBalancerArn ?? '', lb);
      if (!isGone(lb)) lbs.push(lb);
    }
  const mine = await stackTagged(
    ctx,
    'load-balancer',
    lbs,
    (lb) => lb.LoadBalancerArn,
    (lb) => label({ name: lb.LoadBalancerName }),
  );
  return Promise.all(
    mine.map(async ({ id, item }) => {
      const live = await observe(ctx, item, undefined);
      return { id, live, dependsOn: foundRefs(found, live.props.securityGroups) };
    }),
  );
}

const handler: Handler<Props> = resourceHandler<Props, LoadBalancer>({
  label,
  // In a refresh, with the state's other NLBs (DescribeLoadBalancers takes 20 ARNs, ELB API reference).
  byId: (ctx, arn) =>
    readBatched(ctx, {
      client: ctx.aws.elbv2,
      api: 'elbv2:DescribeLoadBalancers',
      id: arn,
      peerKinds: ['load-balancer'],
      maxIds: 20,
      fetch: async (arns) => {
        const out = await ctx.aws.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: arns }));
        return new Map((out.LoadBalancers ?? []).map((lb) => [lb.LoadBalancerArn ?? '', lb]));
      },
      fetchOne: (one) => describe(ctx, { LoadBalancerArns: [one] }),
    }),
  byIdentity: (ctx, _id, p) =>
    p.name === undefined ? Promise.resolve(undefined) : describe(ctx, { Names: [p.name] }),
  isGone,
  physicalIdOf: (lb) => lb.LoadBalancerArn ?? '',
  observe: (ctx, lb, like) => observe(ctx, lb, like),

  async create(ctx, r) {
    const p = r.props;
    const what = `${label(p)} (${r.id})`;
    const old = await orGone(what, () => describe(ctx, { Names: [p.name] }));
    if (old?.State?.Code === 'failed' && old.LoadBalancerArn) {
      ctx.log(`${what}: a failed load balancer has the name; deleting it first`);
      // Through this kind's own delete: NotFound is done, in-use is explained, and it waits until gone.
      const failed: Instance<Props> = {
        id: r.id,
        kind: 'load-balancer',
        account: r.account,
        region: r.region,
        physicalId: old.LoadBalancerArn,
        props: p,
        dependsOn: r.dependsOn,
        outputs: {},
        status: 'tainted',
      };
      await handler.delete(ctx, failed);
    }
    // The same name and settings return the existing NLB (CreateLoadBalancer API reference), so
    // a create retried after a crash adopts what the first one made.
    const out = await attempt(
      'CREATE_FAILED',
      what,
      () =>
        ctx.aws.elbv2.send(
          new CreateLoadBalancerCommand({
            Name: p.name,
            Type: p.type,
            Scheme: p.scheme,
            Subnets: p.subnetIds,
            // Only at creation (ELB user guide): none given, the NLB can never have any.
            ...(p.securityGroups.length > 0
              ? { SecurityGroups: p.securityGroups.map((sg) => refId(ctx, sg, 'groupId')) }
              : {}),
            Tags: tagList(p.tags),
          }),
        ),
      (e) =>
        /^DuplicateLoadBalancerName/.test(errorName(e))
          ? 'a load balancer with this name exists with other settings (subnets, scheme, type or security groups)'
          : undefined,
    );
    return out.LoadBalancers?.[0];
  },

  // Cross-zone is an attribute, set after the create (and after the owner check of an adopted NLB);
  // so is an enforcement other than the default "on" (CreateLoadBalancer has no parameter for it).
  async configure(ctx, r, lb) {
    const what = `${label(r.props)} (${r.id})`;
    await setCrossZone(ctx, lb.LoadBalancerArn as string, r.props.crossZone, what);
    await setGroups(ctx, lb.LoadBalancerArn as string, r.props, what);
  },

  ready: (ctx, lb, what) => waitActive(ctx, lb.LoadBalancerArn as string, what),

  async update(ctx, r, before) {
    const what = `${label(r.props)} (${r.id})`;
    await setCrossZone(ctx, before.physicalId, r.props.crossZone, what);
    await setGroups(ctx, before.physicalId, r.props, what);
  },

  async remove(ctx, arn, p, id) {
    const what = `${label(p)} (${id})`;
    await ctx.aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
    // Wait until gone: a new NLB with the same name (a replace) is refused while the old one exists.
    await poll(`${what} deletion`, ctx.wait, async () => {
      const lb = await orGone(what, () => describe(ctx, { LoadBalancerArns: [arn] }));
      return lb ? { done: false, state: lb.State?.Code ?? 'deleting' } : { done: true, value: undefined };
    });
  },
  // ELB user guide, "Delete a Network Load Balancer": not while an endpoint service uses it; the
  // service goes first.
  inUseHint: 'an endpoint service still uses it; delete the service first',
  tags: elbTags,
});

export const loadBalancer = defineKind({
  kind: 'load-balancer',
  iam: {
    reads: [
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'elasticloadbalancing:DescribeTags',
    ],
    writes: (s) => [
      {
        sid: 'LoadBalancing',
        actions: [
          'elasticloadbalancing:CreateLoadBalancer',
          'elasticloadbalancing:DeleteLoadBalancer',
          'elasticloadbalancing:ModifyLoadBalancerAttributes',
          'elasticloadbalancing:SetSecurityGroups',
          'elasticloadbalancing:AddTags',
          'elasticloadbalancing:RemoveTags',
        ],
        resources: s.elbNames.map((n) => arn(s, 'elasticloadbalancing', `loadbalancer/net/${n}/*`)),
      },
    ],
  },
  props: Props,
  terraform: (p, x) => ({
    type: 'aws_lb',
    args: {
      name: p.name,
      load_balancer_type: p.type,
      internal: p.scheme === 'internal',
      subnets: p.subnetIds,
      ...(p.securityGroups.length > 0
        ? { security_groups: p.securityGroups.map((sg) => x.ref(sg, 'id')) }
        : {}),
      ...(p.enforcePrivateLinkInboundRules === undefined
        ? {}
        : { enforce_security_group_inbound_rules_on_private_link_traffic: p.enforcePrivateLinkInboundRules }),
      enable_cross_zone_load_balancing: p.crossZone,
      tags: p.tags,
    },
  }),
  cloudformation: (p, x) => ({
    type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
    properties: {
      Name: p.name,
      Type: p.type,
      Scheme: p.scheme,
      Subnets: p.subnetIds,
      ...(p.securityGroups.length > 0
        ? { SecurityGroups: p.securityGroups.map((sg) => x.ref(sg, 'GroupId')) }
        : {}),
      ...(p.enforcePrivateLinkInboundRules === undefined
        ? {}
        : { EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: p.enforcePrivateLinkInboundRules }),
      LoadBalancerAttributes: [{ Key: CROSS_ZONE, Value: String(p.crossZone) }],
      Tags: cfnTags(p.tags),
    },
  }),
  // Name, type and scheme are fixed by CreateLoadBalancer; other subnets (and so AZs) make a new
  // NLB. Cross-zone (ModifyLoadBalancerAttributes), security groups and the PrivateLink enforcement
  // (SetSecurityGroups) and tags change in place, except security groups between none and some: an
  // NLB made without cannot get any, and one made with some cannot lose them all (ELB user guide,
  // "Update the security groups for your Network Load Balancer").
  replaceOn: ['name', 'type', 'scheme', 'subnetIds', 'azIds'],
  replaceWhen: {
    securityGroups: (desired, actual) => isEmptyList(desired) !== isEmptyList(actual),
  },
  hidden: ['tags'],
  // Each NLB is billed per hour it runs (Elastic Load Balancing pricing).
  billing: () => ({ meter: 'nlb-hours', quantity: 1 }),
  waits: { create: (t) => t.nlbActiveMs },
  label,
  handler,
  scan,
  scanAfter: ['security-group'],
});
