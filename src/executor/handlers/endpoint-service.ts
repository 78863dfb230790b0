// Endpoint service (provider account): a VPC endpoint service on the broker NLB(s).
import {
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  ModifyVpcEndpointServiceConfigurationCommand,
  paginateDescribeVpcEndpointConnections,
  paginateDescribeVpcEndpointServiceConfigurations,
  RejectVpcEndpointConnectionsCommand,
  type ServiceConfiguration,
} from '@aws-sdk/client-ec2';
import { MplError } from '../../errors.js';
import type { ResourceOf } from '../../plan/resource.js';
import { isNotFound, poll } from '../poll.js';
import type { Handler, HandlerCtx, Known, Observed } from '../types.js';
import {
  awsFailure,
  checkUnsuccessful,
  errorName,
  isNotFoundCode,
  orderLike,
  ownedBy,
  refId,
  retryToken,
  syncTags,
  tagFilters,
  tagMap,
  tagSpec,
  tryRef,
} from './ec2-endpoint-util.js';

type R = ResourceOf<'endpoint-service'>;

/** ServiceState values that mean the service is gone or going (EC2 ServiceState enum). */
const GONE_STATES = new Set(['deleting', 'deleted', 'failed']);
/** Connection states that block a delete: AWS refuses to delete a service that has them (AWS-NOTES). */
const LIVE_CONNECTION_STATES = new Set(['pendingacceptance', 'pending', 'available']);

const isGone = (s: ServiceConfiguration): boolean => GONE_STATES.has((s.ServiceState ?? '').toLowerCase());

async function describeById(ctx: HandlerCtx, serviceId: string): Promise<ServiceConfiguration | undefined> {
  try {
    const out = await ctx.aws.ec2.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] }),
    );
    return out.ServiceConfigurations?.[0];
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw awsFailure('AWS_READ_FAILED', `reading endpoint service ${serviceId}`, e);
  }
}

/** The live service tagged with this stack and logical id (the filter is also applied here: moto ignores it). */
async function findByTags(ctx: HandlerCtx, id: string): Promise<ServiceConfiguration | undefined> {
  const found: ServiceConfiguration[] = [];
  for await (const page of paginateDescribeVpcEndpointServiceConfigurations(
    { client: ctx.aws.ec2 },
    { Filters: tagFilters(ctx.stack, id) },
  )) {
    for (const s of page.ServiceConfigurations ?? []) {
      if (ownedBy(s.Tags, ctx.stack, id) && !isGone(s)) found.push(s);
    }
  }
  if (found.length > 1) {
    ctx.log(
      `${id}: ${found.length} endpoint services carry this id's tags (${found.map((s) => s.ServiceId).join(', ')}); using the first`,
    );
  }
  return found[0];
}

/** NLB ARNs back to logical ids: through the desired refs' ARNs first, then the stack's known ids. */
function lbIdsOf(ctx: HandlerCtx, arns: string[], desired: R | undefined): string[] {
  const byArn = new Map<string, string>();
  for (const id of desired?.props.loadBalancers ?? []) {
    const k = tryRef(ctx, id);
    const arn = k?.outputs.arn ?? k?.physicalId;
    if (typeof arn === 'string') byArn.set(arn, id);
  }
  const ids = arns.map((a) => byArn.get(a) ?? ctx.idOf(a) ?? a);
  return orderLike(ids, desired?.props.loadBalancers);
}

function observe(
  ctx: HandlerCtx,
  s: ServiceConfiguration,
  id: string,
  desired: R | undefined,
  known: Known | undefined,
): Observed<'endpoint-service'> {
  const serviceId = s.ServiceId as string;
  const tags = tagMap(s.Tags);
  const knownToken = known?.props.clientToken;
  return {
    id,
    kind: 'endpoint-service',
    physicalId: serviceId,
    props: {
      name: tags.Name ?? '',
      loadBalancers: lbIdsOf(ctx, s.NetworkLoadBalancerArns ?? [], desired),
      acceptanceRequired: s.AcceptanceRequired ?? false,
      // Not reported by AWS: an input to the create call only.
      clientToken: desired?.props.clientToken ?? (typeof knownToken === 'string' ? knownToken : ''),
      tags,
    },
    outputs: { serviceId, serviceName: s.ServiceName ?? '' },
  };
}

/** Polls until the service is Available (Failed is a failure). */
async function waitAvailable(ctx: HandlerCtx, id: string, serviceId: string): Promise<ServiceConfiguration> {
  return poll(`endpoint service ${id} (${serviceId})`, ctx.wait, async () => {
    const s = await describeById(ctx, serviceId);
    // Right after a create a read may briefly answer NotFound (AWS-NOTES "Provisioning times").
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

/** Rejects every live connection, so the service can be deleted (AWS-NOTES "Destroy order"). */
async function rejectAll(ctx: HandlerCtx, id: string, serviceId: string): Promise<number> {
  const endpoints = await liveConnections(ctx, serviceId);
  if (endpoints.length === 0) return 0;
  ctx.log(`${id}: rejecting ${endpoints.length} endpoint connection(s) before deleting ${serviceId}`);
  const out = await ctx.aws.ec2.send(
    new RejectVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: endpoints }),
  );
  // NotFound: the endpoint went meanwhile; InvalidState: it is already rejected or deleting.
  checkUnsuccessful(
    out.Unsuccessful,
    'ENDPOINT_CONNECTION_REJECT_FAILED',
    `rejecting connections to ${id} (${serviceId})`,
    (c) => isNotFoundCode(c) || c === 'InvalidState',
  );
  return endpoints.length;
}

export const endpointServiceHandler: Handler<'endpoint-service'> = {
  async read(ctx, desired, known) {
    const id = desired?.id ?? known?.id;
    if (id === undefined) return undefined;
    const s =
      known?.physicalId !== undefined ? await describeById(ctx, known.physicalId) : await findByTags(ctx, id);
    if (s === undefined || isGone(s)) return undefined;
    return observe(ctx, s, id, desired, known);
  },

  async create(ctx, r) {
    const arns = r.props.loadBalancers.map((lb) => refId(ctx, lb, 'arn'));
    // Adopt first: moto 5.2.1 ignores this call's ClientToken (a repeat would make a second service),
    // and AWS keeps a token bound to a deleted service. Real AWS answers a repeat with the same service.
    let s = await findByTags(ctx, r.id);
    if (s !== undefined) {
      ctx.log(`${r.id}: adopting endpoint service ${s.ServiceId} found by its tags`);
    } else {
      const make = (token: string) =>
        ctx.aws.ec2.send(
          new CreateVpcEndpointServiceConfigurationCommand({
            NetworkLoadBalancerArns: arns,
            AcceptanceRequired: r.props.acceptanceRequired,
            ClientToken: token,
            TagSpecifications: tagSpec('vpc-endpoint-service', r.props.tags),
          }),
        );
      try {
        s = (await make(r.props.clientToken)).ServiceConfiguration;
      } catch (e) {
        if (errorName(e) !== 'IdempotentParameterMismatch') {
          throw awsFailure('AWS_CREATE_FAILED', `creating endpoint service ${r.id}`, e);
        }
        ctx.log(`${r.id}: client token bound to an earlier service; creating with a fresh token`);
        try {
          s = (await make(retryToken(r.props.clientToken))).ServiceConfiguration;
        } catch (e2) {
          throw awsFailure('AWS_CREATE_FAILED', `creating endpoint service ${r.id}`, e2);
        }
      }
    }
    const serviceId = s?.ServiceId;
    if (serviceId === undefined) {
      throw new MplError(
        'AWS_CREATE_FAILED',
        `creating endpoint service ${r.id}: AWS returned no service id`,
      );
    }
    const ready = await waitAvailable(ctx, r.id, serviceId);
    return observe(ctx, ready, r.id, r, undefined);
  },

  async update(ctx, r, before) {
    const serviceId = before.physicalId;
    const s = await describeById(ctx, serviceId);
    if (s === undefined || isGone(s)) {
      throw new MplError('RESOURCE_GONE', `endpoint service ${r.id} (${serviceId}) no longer exists`);
    }
    const want = r.props.loadBalancers.map((lb) => refId(ctx, lb, 'arn'));
    const have = s.NetworkLoadBalancerArns ?? [];
    const add = want.filter((a) => !have.includes(a));
    const remove = have.filter((a) => !want.includes(a));
    const acceptance = s.AcceptanceRequired !== r.props.acceptanceRequired;
    if (add.length > 0 || remove.length > 0 || acceptance) {
      try {
        await ctx.aws.ec2.send(
          new ModifyVpcEndpointServiceConfigurationCommand({
            ServiceId: serviceId,
            ...(acceptance ? { AcceptanceRequired: r.props.acceptanceRequired } : {}),
            ...(add.length > 0 ? { AddNetworkLoadBalancerArns: add } : {}),
            ...(remove.length > 0 ? { RemoveNetworkLoadBalancerArns: remove } : {}),
          }),
        );
      } catch (e) {
        throw awsFailure('AWS_UPDATE_FAILED', `modifying endpoint service ${r.id} (${serviceId})`, e);
      }
    }
    await syncTags(ctx.aws.ec2, serviceId, tagMap(s.Tags), r.props.tags);
    const ready = await waitAvailable(ctx, r.id, serviceId);
    return observe(ctx, ready, r.id, r, undefined);
  },

  async delete(ctx, known) {
    const s =
      known.physicalId !== undefined
        ? await describeById(ctx, known.physicalId)
        : await findByTags(ctx, known.id);
    if (s?.ServiceId === undefined || (s.ServiceState ?? '').toLowerCase() === 'deleted') return;
    const serviceId = s.ServiceId;
    const what = `endpoint service ${known.id} (${serviceId})`;
    await rejectAll(ctx, known.id, serviceId);
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
        await rejectAll(ctx, known.id, serviceId);
        return { done: false, state: 'refused: existing endpoint connections' };
      }
      checkUnsuccessful(out.Unsuccessful, 'AWS_DELETE_FAILED', `deleting ${what}`, isNotFoundCode);
      return { done: true, value: undefined };
    });
    // The NLB cannot be deleted while the service uses it: wait until the service is gone.
    await poll(`${what} to be deleted`, ctx.wait, async () => {
      const after = await describeById(ctx, serviceId);
      if (after === undefined || (after.ServiceState ?? '').toLowerCase() === 'deleted') {
        return { done: true, value: undefined };
      }
      return { done: false, state: after.ServiceState ?? 'unknown' };
    });
  },
};
