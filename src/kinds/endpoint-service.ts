// Endpoint service (provider account): a VPC endpoint service on the broker NLB(s).
import {
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  ModifyVpcEndpointServiceConfigurationCommand,
  paginateDescribeVpcEndpointConnections,
  paginateDescribeVpcEndpointServiceConfigurations,
  type Filter,
  type ServiceConfiguration,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { MplError } from '../errors.js';
import type { Instance } from '../state/instance.js';
import { clientToken } from '../planner/names.js';
import {
  attempt,
  defineKind,
  orGone,
  ownedBy,
  resourceHandler,
  TAG_STACK,
  type HandlerCtx,
  type Live,
} from './kind.js';
import { ec2Tags, orderStringsLike, tagMap, tagSpec } from './shared/ec2.js';
import {
  checkUnsuccessful,
  isNotFoundCode,
  refId,
  rejectConnections,
  tagFilters,
  tryRef,
  untilListed,
  withClientToken,
} from './shared/ec2-endpoint.js';
import { poll } from './shared/poll.js';
import { foundRefs, ofStack, stackTagFilter } from './shared/scan.js';
import { Ref, Tags } from './shared/schema.js';
import { ec2StackResource } from '../iam/scope.js';
import { collectById, primeRead, readBatched } from './shared/batched.js';
import { cfnTags } from '../export/cfn-types.js';

const Props = z.strictObject({
  name: z.string(),
  loadBalancers: z.array(Ref),
  acceptanceRequired: z.boolean(),
  /**
   * Cross-region PrivateLink: the other regions consumers connect from (sorted). The host region is
   * always supported and cannot be removed (Amazon VPC PrivateLink guide, "Share your services
   * through AWS PrivateLink", Cross-Region access). Absent: same region only.
   */
  supportedRegions: z.array(z.string()).optional(),
  clientToken: z.string().max(64),
  tags: Tags,
});
type Props = z.infer<typeof Props>;

/** ServiceState values that mean the service is gone or going (EC2 ServiceState enum). */
const GONE_STATES = new Set(['deleting', 'deleted', 'failed']);
/**
 * Connection states that block a delete: AWS refuses to delete a service that has them
 * (PrivateLink guide, "Delete an endpoint service").
 */
const LIVE_CONNECTION_STATES = new Set(['pendingacceptance', 'pending', 'available']);

const stateOf = (s: ServiceConfiguration): string => (s.ServiceState ?? '').toLowerCase();
const isGone = (s: ServiceConfiguration): boolean => GONE_STATES.has(stateOf(s));
const label = (p: Partial<Props>) => `endpoint service ${p.name ?? '?'}`;

async function describeById(ctx: HandlerCtx, serviceId: string): Promise<ServiceConfiguration | undefined> {
  const out = await ctx.aws.ec2.send(
    new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] }),
  );
  return out.ServiceConfigurations?.[0];
}

/** Live services whose tags pass `keep`, through every page (checked here too, whatever the filters let through). */
async function liveServices(
  ctx: HandlerCtx,
  filters: Filter[],
  keep: (tags: Record<string, string>) => boolean,
): Promise<ServiceConfiguration[]> {
  const found: ServiceConfiguration[] = [];
  for await (const page of paginateDescribeVpcEndpointServiceConfigurations(
    { client: ctx.aws.ec2 },
    { Filters: filters },
  )) {
    for (const s of page.ServiceConfigurations ?? []) {
      if (keep(tagMap(s.Tags)) && !isGone(s)) found.push(s);
    }
  }
  return found;
}

/** The live service tagged with this stack and logical id. */
async function findByTags(ctx: HandlerCtx, id: string): Promise<ServiceConfiguration | undefined> {
  const found = await liveServices(ctx, tagFilters(ctx.stack, id), (tags) => ownedBy(ctx, id, tags));
  if (found.length > 1) {
    ctx.log(
      `${id}: ${found.length} endpoint services carry this id's tags (${found.map((s) => s.ServiceId).join(', ')}); using the first`,
    );
  }
  return found[0];
}

/** NLB ARNs back to logical ids: through the desired (or recorded) refs' ARNs first, then the stack's known ids. */
function lbIdsOf(ctx: HandlerCtx, arns: string[], like: Partial<Props> | undefined): string[] {
  const byArn = new Map<string, string>();
  for (const id of like?.loadBalancers ?? []) {
    const k = tryRef(ctx, id);
    const arn = k?.outputs.arn ?? k?.physicalId;
    if (typeof arn === 'string') byArn.set(arn, id);
  }
  const ids = arns.map((a) => byArn.get(a) ?? ctx.idOf(a) ?? a);
  return orderStringsLike(ids, like?.loadBalancers);
}

/** Props in the planner's shape: NLB ARNs as logical ids; the client token is not reported by AWS. */
/** The supported regions besides the host region, in props' shape (absent when none and none asked). */
function otherRegions(
  ctx: HandlerCtx,
  s: ServiceConfiguration,
  like: Partial<Props> | undefined,
): { supportedRegions?: string[] } {
  const others = (s.SupportedRegions ?? [])
    .map((r) => r.Region ?? '')
    .filter((r) => r !== '' && r !== ctx.aws.region)
    .sort();
  return others.length > 0 || like?.supportedRegions !== undefined ? { supportedRegions: others } : {};
}

function observe(ctx: HandlerCtx, s: ServiceConfiguration, like: Partial<Props> | undefined): Live<Props> {
  const serviceId = s.ServiceId as string;
  const tags = tagMap(s.Tags);
  return {
    physicalId: serviceId,
    props: {
      name: tags.Name ?? '',
      loadBalancers: lbIdsOf(ctx, s.NetworkLoadBalancerArns ?? [], like),
      acceptanceRequired: s.AcceptanceRequired ?? false,
      ...otherRegions(ctx, s, like),
      // Not reported by AWS: an input to the create call only.
      clientToken: like?.clientToken ?? '',
      tags,
    },
    outputs: { serviceId, serviceName: s.ServiceName ?? '' },
  };
}

/**
 * The stack's live services in ctx's account and region, by their tags. The client token is the
 * one the planner gives the id (deterministic per stack, account and id), as state records it.
 */
async function scan(
  ctx: HandlerCtx,
  found: ReadonlyMap<string, Instance>,
): Promise<Array<{ id: string; live: Live<Props>; dependsOn: string[] }>> {
  const services = await liveServices(
    ctx,
    [stackTagFilter(ctx.stack)],
    (tags) => tags[TAG_STACK] === ctx.stack,
  );
  for (const sv of services)
    primeRead(ctx, ctx.aws.ec2, 'ec2:DescribeVpcEndpointServiceConfigurations', sv.ServiceId ?? '', sv);
  const mine = await ofStack(
    ctx,
    'endpoint-service',
    services,
    (sv) => tagMap(sv.Tags),
    (sv) => `endpoint service ${sv.ServiceId ?? '?'}`,
  );
  return mine.map(({ id, item }) => {
    const live = observe(ctx, item, { clientToken: clientToken(ctx.stack, ctx.aws.account, id) });
    return { id, live, dependsOn: foundRefs(found, live.props.loadBalancers) };
  });
}

/** Polls until the service is Available (Failed is a failure). */
async function waitAvailable(
  ctx: HandlerCtx,
  what: string,
  serviceId: string,
): Promise<ServiceConfiguration> {
  return poll(`${what}, ${serviceId},`, ctx.wait, async () => {
    const s = await orGone(what, () => describeById(ctx, serviceId));
    // Right after a create a read may briefly answer NotFound (EC2 developer guide, "Eventual
    // consistency in the Amazon EC2 API").
    if (s === undefined) return { done: false, state: 'not yet visible' };
    const state = s.ServiceState ?? 'unknown';
    if (state.toLowerCase() === 'available') return { done: true, value: s };
    if (GONE_STATES.has(state.toLowerCase())) return { failed: `service state ${state}` };
    return { done: false, state };
  });
}

async function liveConnections(ctx: HandlerCtx, serviceId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateDescribeVpcEndpointConnections(
    { client: ctx.aws.ec2 },
    { Filters: [{ Name: 'service-id', Values: [serviceId] }] },
  )) {
    for (const c of page.VpcEndpointConnections ?? []) {
      if (c.ServiceId !== serviceId || c.VpcEndpointId === undefined) continue;
      if (LIVE_CONNECTION_STATES.has((c.VpcEndpointState ?? '').toLowerCase())) ids.push(c.VpcEndpointId);
    }
  }
  return ids;
}

/**
 * Rejects every live connection, so the service can be deleted (PrivateLink guide, "Delete an
 * endpoint service").
 */
async function rejectAll(ctx: HandlerCtx, id: string, what: string, serviceId: string): Promise<number> {
  const endpoints = await liveConnections(ctx, serviceId);
  if (endpoints.length === 0) return 0;
  ctx.log(`${id}: rejecting ${endpoints.length} endpoint connection(s) before deleting ${serviceId}`);
  await rejectConnections(
    ctx,
    serviceId,
    endpoints,
    'ENDPOINT_CONNECTION_REJECT_FAILED',
    `rejecting connections to ${what} (${serviceId})`,
  );
  return endpoints.length;
}

export const endpointService = defineKind({
  kind: 'endpoint-service',
  iam: {
    reads: [
      'ec2:DescribeVpcEndpointServiceConfigurations',
      'ec2:DescribeVpcEndpointConnections',
      'ec2:DescribeTags',
    ],
    writes: (s) =>
      ec2StackResource(s, 'ec2:CreateVpcEndpointServiceConfiguration', [
        'ec2:ModifyVpcEndpointServiceConfiguration',
        'ec2:DeleteVpcEndpointServiceConfigurations',
      ]),
  },
  props: Props,
  terraform: (p, x) => ({
    type: 'aws_vpc_endpoint_service',
    args: {
      network_load_balancer_arns: p.loadBalancers.map((lb) => x.ref(lb, 'arn')),
      acceptance_required: p.acceptanceRequired,
      ...(p.supportedRegions ? { supported_regions: p.supportedRegions } : {}),
      tags: p.tags,
    },
  }),
  // The service name consumers ask for is com.amazonaws.vpce.<region>.<service id>.
  cloudformation: (p, x) => ({
    type: 'AWS::EC2::VPCEndpointService',
    properties: {
      NetworkLoadBalancerArns: p.loadBalancers.map((lb) => x.ref(lb, 'Ref')),
      AcceptanceRequired: p.acceptanceRequired,
      ...(p.supportedRegions ? { SupportedRegions: p.supportedRegions } : {}),
      Tags: cfnTags(p.tags),
    },
    attrs: { ServiceName: (n) => ({ 'Fn::Sub': `com.amazonaws.vpce.\${AWS::Region}.\${${n}}` }) },
  }),
  // ModifyVpcEndpointServiceConfiguration adds and removes NLBs and switches acceptance in place;
  // the name is a tag. Nothing forces a new service.
  replaceOn: [],
  // The client token is an input to the create call only: AWS never reports it.
  ignored: ['clientToken'],
  hidden: ['tags', 'clientToken'],
  label,
  handler: resourceHandler<Props, ServiceConfiguration>({
    label,
    // In a refresh, with the state's other services: the service-id filter answers the ones that
    // exist (EC2 API reference, DescribeVpcEndpointServiceConfigurations).
    byId: (ctx, serviceId) =>
      readBatched(ctx, {
        client: ctx.aws.ec2,
        api: 'ec2:DescribeVpcEndpointServiceConfigurations',
        id: serviceId,
        peerKinds: ['endpoint-service'],
        maxIds: 100,
        fetch: (ids) =>
          collectById(
            paginateDescribeVpcEndpointServiceConfigurations(
              { client: ctx.aws.ec2 },
              { Filters: [{ Name: 'service-id', Values: ids }] },
            ),
            (page) => page.ServiceConfigurations,
            (c) => c.ServiceId,
          ),
        fetchOne: (one) => describeById(ctx, one),
      }),
    byIdentity: (ctx, id) => findByTags(ctx, id),
    isGone,
    physicalIdOf: (s) => s.ServiceId ?? '',

    observe: (ctx, s, like) => Promise.resolve(observe(ctx, s, like)),

    async create(ctx, r) {
      const what = `${label(r.props)} (${r.id})`;
      const arns = r.props.loadBalancers.map((lb) => refId(ctx, lb, 'arn'));
      // Adopt first: moto 5.2.1 ignores this call's ClientToken (a repeat would make a second service),
      // and AWS keeps a token bound to a deleted service. Real AWS answers a repeat with the same service.
      const found = await attempt('READ_FAILED', what, () => findByTags(ctx, r.id));
      if (found !== undefined) {
        ctx.log(`${r.id}: adopting endpoint service ${found.ServiceId} found by its tags`);
        return found;
      }
      const out = await withClientToken(ctx, r.id, 'service', r.props.clientToken, (token) =>
        ctx.aws.ec2.send(
          new CreateVpcEndpointServiceConfigurationCommand({
            NetworkLoadBalancerArns: arns,
            AcceptanceRequired: r.props.acceptanceRequired,
            ...(r.props.supportedRegions?.length
              ? { SupportedRegions: [ctx.aws.region, ...r.props.supportedRegions] }
              : {}),
            ClientToken: token,
            TagSpecifications: tagSpec('vpc-endpoint-service', r.props.tags),
          }),
        ),
      );
      const serviceId = out.ServiceConfiguration?.ServiceId;
      if (serviceId === undefined) throw new MplError('CREATE_FAILED', `${what}: AWS returned no service id`);
      // Visible before the skeleton reads and writes its tags; `ready` then waits for Available.
      return untilListed(ctx, `${what}, ${serviceId},`, () => describeById(ctx, serviceId));
    },

    ready: (ctx, s, what) => waitAvailable(ctx, what, s.ServiceId as string),

    async update(ctx, r, before) {
      const serviceId = before.physicalId;
      const what = `${label(r.props)} (${r.id})`;
      const s = await orGone(what, () => describeById(ctx, serviceId));
      if (s === undefined || isGone(s)) {
        throw new MplError('RESOURCE_GONE', `${what}: ${serviceId} no longer exists`);
      }
      const want = r.props.loadBalancers.map((lb) => refId(ctx, lb, 'arn'));
      const have = s.NetworkLoadBalancerArns ?? [];
      const add = want.filter((a) => !have.includes(a));
      const remove = have.filter((a) => !want.includes(a));
      const acceptance = s.AcceptanceRequired !== r.props.acceptanceRequired;
      const haveRegions = otherRegions(ctx, s, { supportedRegions: [] }).supportedRegions ?? [];
      const wantRegions = r.props.supportedRegions ?? [];
      const addRegions = wantRegions.filter((x) => !haveRegions.includes(x));
      const removeRegions = haveRegions.filter((x) => !wantRegions.includes(x));
      if (
        add.length === 0 &&
        remove.length === 0 &&
        !acceptance &&
        addRegions.length + removeRegions.length === 0
      )
        return;
      await attempt('UPDATE_FAILED', `modifying ${what}`, () =>
        ctx.aws.ec2.send(
          new ModifyVpcEndpointServiceConfigurationCommand({
            ServiceId: serviceId,
            ...(acceptance ? { AcceptanceRequired: r.props.acceptanceRequired } : {}),
            ...(add.length > 0 ? { AddNetworkLoadBalancerArns: add } : {}),
            ...(remove.length > 0 ? { RemoveNetworkLoadBalancerArns: remove } : {}),
            ...(addRegions.length > 0 ? { AddSupportedRegions: addRegions } : {}),
            ...(removeRegions.length > 0 ? { RemoveSupportedRegions: removeRegions } : {}),
          }),
        ),
      );
    },

    async remove(ctx, serviceId, props, id) {
      const what = `${label(props)} (${id})`;
      const s = await describeById(ctx, serviceId);
      if (s === undefined || stateOf(s) === 'deleted') return;
      await rejectAll(ctx, id, what, serviceId);
      // A rejection takes a moment to count in AWS: a delete refused for existing connections is retried
      // (rejecting again whatever connected meanwhile) until the wait runs out.
      await poll(`deleting ${what}`, ctx.wait, async () => {
        const out = await ctx.aws.ec2.send(
          new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] }),
        );
        const blocked = (out.Unsuccessful ?? []).some(
          (u) => u.Error?.Code === 'ExistingVpcEndpointConnections',
        );
        if (blocked) {
          await rejectAll(ctx, id, what, serviceId);
          return { done: false, state: 'refused: existing endpoint connections' };
        }
        checkUnsuccessful(out.Unsuccessful, 'DELETE_FAILED', `deleting ${what}`, isNotFoundCode);
        return { done: true, value: undefined };
      });
      // The NLB cannot be deleted while the service uses it: wait until the service is gone.
      await poll(`${what} to be deleted`, ctx.wait, async () => {
        const after = await orGone(what, () => describeById(ctx, serviceId));
        if (after === undefined || stateOf(after) === 'deleted') return { done: true, value: undefined };
        return { done: false, state: after.ServiceState ?? 'unknown' };
      });
    },
    tags: ec2Tags,
  }),
  scan,
  scanAfter: ['load-balancer'],
});
