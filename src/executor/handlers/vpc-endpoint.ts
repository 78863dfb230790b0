// Interface endpoint (consumer account) to the provider's endpoint service.
import {
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcEndpointCommand,
  paginateDescribeVpcEndpoints,
  type VpcEndpoint,
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
  logicalOf,
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

type R = ResourceOf<'vpc-endpoint'>;

/**
 * Endpoint states that count as gone, so the next plan makes a new one: a rejected or failed endpoint
 * never carries traffic again (EC2 State enum: pendingAcceptance, pending, available, deleting, deleted,
 * rejected, failed, expired, partial).
 */
export const ENDPOINT_GONE_STATES = new Set(['deleting', 'deleted', 'rejected', 'failed', 'expired']);
const stateOf = (e: VpcEndpoint): string => (e.State ?? '').toLowerCase();
const isGone = (e: VpcEndpoint): boolean => ENDPOINT_GONE_STATES.has(stateOf(e));

/** The endpoint, or undefined when EC2 does not know the id (deleted endpoints are dropped after a while). */
export async function describeEndpoint(
  ctx: HandlerCtx,
  endpointId: string,
): Promise<VpcEndpoint | undefined> {
  try {
    const out = await ctx.aws.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }));
    return out.VpcEndpoints?.[0];
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw awsFailure('AWS_READ_FAILED', `reading VPC endpoint ${endpointId}`, e);
  }
}

/** Every endpoint tagged with this stack and logical id, oldest first. */
async function findAllByTags(ctx: HandlerCtx, id: string): Promise<VpcEndpoint[]> {
  const found: VpcEndpoint[] = [];
  for await (const page of paginateDescribeVpcEndpoints(
    { client: ctx.aws.ec2 },
    { Filters: tagFilters(ctx.stack, id) },
  )) {
    for (const e of page.VpcEndpoints ?? []) if (ownedBy(e.Tags, ctx.stack, id)) found.push(e);
  }
  return found.sort((a, b) => (a.CreationTimestamp?.getTime() ?? 0) - (b.CreationTimestamp?.getTime() ?? 0));
}

async function findLiveByTags(ctx: HandlerCtx, id: string): Promise<VpcEndpoint | undefined> {
  const live = (await findAllByTags(ctx, id)).filter((e) => !isGone(e));
  if (live.length > 1) {
    ctx.log(
      `${id}: ${live.length} endpoints carry this id's tags (${live.map((e) => e.VpcEndpointId).join(', ')}); using the oldest`,
    );
  }
  return live[0];
}

/** Subnet id -> AZ ID (the planner's azIds follow subnetIds). */
async function azIdsOf(ctx: HandlerCtx, subnetIds: string[]): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  if (subnetIds.length === 0) return m;
  try {
    const out = await ctx.aws.ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }));
    for (const s of out.Subnets ?? []) {
      if (s.SubnetId !== undefined && s.AvailabilityZoneId !== undefined)
        m.set(s.SubnetId, s.AvailabilityZoneId);
    }
  } catch (e) {
    // A subnet deleted under the endpoint: its AZ ID stays unknown and the diff shows it.
    if (!isNotFound(e)) throw awsFailure('AWS_READ_FAILED', `reading subnets ${subnetIds.join(', ')}`, e);
  }
  return m;
}

/** The service's logical id: the desired ref when its name matches, else by the service id in the name. */
function serviceRefOf(ctx: HandlerCtx, serviceName: string, desired: R | undefined): string {
  if (desired !== undefined) {
    const k = tryRef(ctx, desired.props.service);
    if (k?.outputs.serviceName === serviceName) return desired.props.service;
  }
  // Custom service names end in the service id: com.amazonaws.vpce.<region>.vpce-svc-<hex>.
  const last = serviceName.split('.').pop() ?? '';
  return (last.startsWith('vpce-svc-') ? ctx.idOf(last) : undefined) ?? serviceName;
}

function groupRefsOf(ctx: HandlerCtx, groupIds: string[], desired: R | undefined): string[] {
  const byGroup = new Map<string, string>();
  for (const sg of desired?.props.securityGroups ?? []) {
    const k = tryRef(ctx, sg);
    const gid = k?.outputs.groupId ?? k?.physicalId;
    if (typeof gid === 'string') byGroup.set(gid, sg);
  }
  return orderLike(
    groupIds.map((g) => byGroup.get(g) ?? logicalOf(ctx, g)),
    desired?.props.securityGroups,
  );
}

/** The regional DNS entry (EC2 lists it first, before the per-AZ ones): what alias records point at. */
export function endpointOutputs(e: VpcEndpoint): Observed['outputs'] {
  const dns = e.DnsEntries?.[0];
  return {
    endpointId: e.VpcEndpointId ?? '',
    dnsName: dns?.DnsName ?? '',
    hostedZoneId: dns?.HostedZoneId ?? '',
    state: e.State ?? '',
  };
}

async function observe(
  ctx: HandlerCtx,
  e: VpcEndpoint,
  id: string,
  desired: R | undefined,
  known: Known | undefined,
): Promise<Observed<'vpc-endpoint'>> {
  const subnetIds = orderLike(e.SubnetIds ?? [], desired?.props.subnetIds);
  const azs = await azIdsOf(ctx, subnetIds);
  const tags = tagMap(e.Tags);
  const knownToken = known?.props.clientToken;
  return {
    id,
    kind: 'vpc-endpoint',
    physicalId: e.VpcEndpointId ?? '',
    props: {
      name: tags.Name ?? '',
      vpcId: e.VpcId ?? '',
      service: serviceRefOf(ctx, e.ServiceName ?? '', desired),
      subnetIds,
      azIds: subnetIds.map((s) => azs.get(s) ?? ''),
      securityGroups: groupRefsOf(
        ctx,
        (e.Groups ?? []).flatMap((g) => (g.GroupId === undefined ? [] : [g.GroupId])),
        desired,
      ),
      // The schema only admits false; an endpoint with private DNS on reports true so the diff replaces it.
      privateDnsEnabled: (e.PrivateDnsEnabled ?? false) as false,
      // Not reported by AWS: an input to the create call only.
      clientToken: desired?.props.clientToken ?? (typeof knownToken === 'string' ? knownToken : ''),
      tags,
    },
    outputs: endpointOutputs(e),
  };
}

/** Deletes endpoints and waits until EC2 no longer lists them (or lists them as deleted). */
async function deleteAndWait(
  ctx: HandlerCtx,
  what: string,
  endpointIds: string[],
  alsoWaitFor: string[] = [],
): Promise<void> {
  if (endpointIds.length > 0) {
    let out;
    try {
      out = await ctx.aws.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: endpointIds }));
    } catch (e) {
      if (!isNotFound(e)) throw awsFailure('AWS_DELETE_FAILED', `deleting ${what}`, e);
    }
    checkUnsuccessful(out?.Unsuccessful, 'AWS_DELETE_FAILED', `deleting ${what}`, isNotFoundCode);
  }
  for (const endpointId of [...endpointIds, ...alsoWaitFor]) {
    await poll(`${what} (${endpointId}) to be deleted`, ctx.wait, async () => {
      const e = await describeEndpoint(ctx, endpointId);
      if (e === undefined || stateOf(e) === 'deleted') return { done: true, value: undefined };
      return { done: false, state: e.State ?? 'unknown' };
    });
  }
}

async function createEndpoint(
  ctx: HandlerCtx,
  r: R,
  serviceName: string,
  token: string,
): Promise<VpcEndpoint> {
  const sgIds = r.props.securityGroups.map((sg) => refId(ctx, sg, 'groupId'));
  try {
    const out = await ctx.aws.ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: r.props.vpcId,
        ServiceName: serviceName,
        SubnetIds: r.props.subnetIds,
        SecurityGroupIds: sgIds,
        PrivateDnsEnabled: r.props.privateDnsEnabled,
        ClientToken: token,
        TagSpecifications: tagSpec('vpc-endpoint', r.props.tags),
      }),
    );
    if (out.VpcEndpoint?.VpcEndpointId === undefined) {
      throw new MplError('AWS_CREATE_FAILED', `creating VPC endpoint ${r.id}: AWS returned no endpoint id`);
    }
    return out.VpcEndpoint;
  } catch (e) {
    if (errorName(e) === 'InvalidServiceName') {
      // AWS answers a service the caller may not use exactly as one that does not exist.
      throw new MplError(
        'ENDPOINT_SERVICE_NOT_ALLOWED',
        `creating VPC endpoint ${r.id} in account ${ctx.aws.account}: endpoint service ${serviceName} ` +
          `(${r.props.service}) does not exist or does not allow this account`,
        {
          cause: e,
          detail: `the service's permissions must allow arn:aws:iam::${ctx.aws.account}:root (is the account in the config's consumers?)`,
        },
      );
    }
    throw e;
  }
}

export const vpcEndpointHandler: Handler<'vpc-endpoint'> = {
  async read(ctx, desired, known) {
    const id = desired?.id ?? known?.id;
    if (id === undefined) return undefined;
    const e =
      known?.physicalId !== undefined
        ? await describeEndpoint(ctx, known.physicalId)
        : await findLiveByTags(ctx, id);
    if (e === undefined || isGone(e)) return undefined;
    return observe(ctx, e, id, desired, known);
  },

  async create(ctx, r) {
    const serviceName = ctx.ref(r.props.service).outputs.serviceName;
    if (typeof serviceName !== 'string' || serviceName === '') {
      throw new MplError('DEPENDENCY_NOT_MADE', `${r.id}: ${r.props.service} has no service name in state`);
    }
    const tagged = await findAllByTags(ctx, r.id);
    const live = tagged.find((e) => !isGone(e));
    let made: VpcEndpoint;
    if (live !== undefined) {
      // A run killed after the create: adopt it (AWS's token would answer the same endpoint).
      ctx.log(`${r.id}: adopting VPC endpoint ${live.VpcEndpointId} found by its tags`);
      made = live;
    } else {
      // Rejected or failed leftovers with this id go first: they never carry traffic again, and the
      // client token would hand them back.
      const dead = tagged.filter((e) => ['rejected', 'failed', 'expired'].includes(stateOf(e)));
      await deleteAndWait(
        ctx,
        `unusable VPC endpoint(s) of ${r.id}`,
        dead.flatMap((e) => (e.VpcEndpointId === undefined ? [] : [e.VpcEndpointId])),
      );
      try {
        made = await createEndpoint(ctx, r, serviceName, r.props.clientToken);
        if (isGone(made)) {
          ctx.log(
            `${r.id}: client token answered endpoint ${made.VpcEndpointId} (${made.State}); using a fresh token`,
          );
          made = await createEndpoint(ctx, r, serviceName, retryToken(r.props.clientToken));
        }
      } catch (e) {
        if (errorName(e) !== 'IdempotentParameterMismatch') {
          throw awsFailure('AWS_CREATE_FAILED', `creating VPC endpoint ${r.id}`, e);
        }
        // The token is bound to a deleted endpoint or other parameters: a replacement needs a fresh one.
        ctx.log(`${r.id}: client token bound to an earlier endpoint; creating with a fresh token`);
        try {
          made = await createEndpoint(ctx, r, serviceName, retryToken(r.props.clientToken));
        } catch (e2) {
          throw awsFailure('AWS_CREATE_FAILED', `creating VPC endpoint ${r.id}`, e2);
        }
      }
    }
    const endpointId = made.VpcEndpointId as string;
    // Not waiting for `available`: the provider must accept first (the acceptance resource waits).
    // Only until EC2 lists it, since reads may briefly answer NotFound right after a create.
    const seen = await poll(`VPC endpoint ${r.id} (${endpointId}) to be listed`, ctx.wait, async () => {
      const e = await describeEndpoint(ctx, endpointId);
      return e === undefined ? { done: false, state: 'not yet visible' } : { done: true, value: e };
    });
    return observe(ctx, seen, r.id, r, undefined);
  },

  async update(ctx, r, before) {
    const endpointId = before.physicalId;
    const e = await describeEndpoint(ctx, endpointId);
    if (e === undefined || isGone(e)) {
      throw new MplError('RESOURCE_GONE', `VPC endpoint ${r.id} (${endpointId}) no longer exists`);
    }
    const haveSubnets = e.SubnetIds ?? [];
    const haveGroups = (e.Groups ?? []).flatMap((g) => (g.GroupId === undefined ? [] : [g.GroupId]));
    const wantGroups = r.props.securityGroups.map((sg) => refId(ctx, sg, 'groupId'));
    const addSubnets = r.props.subnetIds.filter((s) => !haveSubnets.includes(s));
    const removeSubnets = haveSubnets.filter((s) => !r.props.subnetIds.includes(s));
    const addGroups = wantGroups.filter((g) => !haveGroups.includes(g));
    const removeGroups = haveGroups.filter((g) => !wantGroups.includes(g));
    const modify = addSubnets.length + removeSubnets.length + addGroups.length + removeGroups.length > 0;
    if (modify) {
      try {
        const out = await ctx.aws.ec2.send(
          new ModifyVpcEndpointCommand({
            VpcEndpointId: endpointId,
            ...(addSubnets.length > 0 ? { AddSubnetIds: addSubnets } : {}),
            ...(removeSubnets.length > 0 ? { RemoveSubnetIds: removeSubnets } : {}),
            ...(addGroups.length > 0 ? { AddSecurityGroupIds: addGroups } : {}),
            ...(removeGroups.length > 0 ? { RemoveSecurityGroupIds: removeGroups } : {}),
          }),
        );
        if (out.Return === false) throw new Error('ModifyVpcEndpoint returned false');
      } catch (err) {
        throw awsFailure('AWS_UPDATE_FAILED', `modifying VPC endpoint ${r.id} (${endpointId})`, err);
      }
    }
    await syncTags(ctx.aws.ec2, endpointId, tagMap(e.Tags), r.props.tags);
    let after = e;
    if (modify && stateOf(e) === 'available') {
      // An available endpoint goes back to pending while its ENIs change; dependents keep relying on it.
      after = await poll(`VPC endpoint ${r.id} (${endpointId}) after modify`, ctx.wait, async () => {
        const now = await describeEndpoint(ctx, endpointId);
        if (now === undefined) return { failed: 'disappeared' };
        if (stateOf(now) === 'available') return { done: true, value: now };
        if (isGone(now)) return { failed: `state ${now.State ?? 'unknown'}` };
        return { done: false, state: now.State ?? 'unknown' };
      });
    } else {
      after = (await describeEndpoint(ctx, endpointId)) ?? e;
    }
    return observe(ctx, after, r.id, r, undefined);
  },

  async delete(ctx, known) {
    const found =
      known.physicalId !== undefined
        ? [await describeEndpoint(ctx, known.physicalId)]
        : await findAllByTags(ctx, known.id);
    const toDelete: string[] = [];
    const deleting: string[] = [];
    for (const e of found) {
      if (e?.VpcEndpointId === undefined || stateOf(e) === 'deleted') continue;
      (stateOf(e) === 'deleting' ? deleting : toDelete).push(e.VpcEndpointId);
    }
    await deleteAndWait(ctx, `VPC endpoint ${known.id}`, toDelete, deleting);
  },
};
