// Interface endpoint (consumer account) to the provider's endpoint service.
import {
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcEndpointCommand,
  paginateDescribeVpcEndpoints,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { errorName } from '../aws/errors.js';
import { MplError } from '../errors.js';
import { clientToken } from '../planner/names.js';
import type { Instance, Outputs } from '../state/instance.js';
import {
  attempt,
  defineKind,
  orGone,
  ownedBy,
  resourceHandler,
  TAG_STACK,
  type Desired,
  type HandlerCtx,
  type Live,
} from './kind.js';
import { ec2Tags, orderStringsLike, tagMap, tagSpec, azIdsOfSubnets } from './shared/ec2.js';
import {
  checkUnsuccessful,
  endpointById,
  isNotFoundCode,
  logicalOf,
  primeEndpoint,
  refId,
  retryToken,
  tagFilters,
  tryRef,
  unlessGone,
  untilListed,
  withClientToken,
} from './shared/ec2-endpoint.js';
import { poll } from './shared/poll.js';
import { foundRefs, logicalIds, ofStack, stackTagFilter } from './shared/scan.js';
import { Ref, Tags } from './shared/schema.js';
import { ec2StackResource } from '../iam/scope.js';
import { cfnTags } from '../export/cfn-types.js';

const Props = z.strictObject({
  name: z.string(),
  vpcId: z.string(),
  service: Ref,
  subnetIds: z.array(z.string()),
  azIds: z.array(z.string()),
  securityGroups: z.array(Ref),
  privateDnsEnabled: z.literal(false),
  /** Cross-region PrivateLink: the service's region when it is not the endpoint's (CreateVpcEndpoint ServiceRegion). */
  serviceRegion: z.string().optional(),
  clientToken: z.string().max(64),
  tags: Tags,
});
type Props = z.infer<typeof Props>;

/**
 * Endpoint states that never carry traffic again (EC2 State enum: pendingAcceptance, pending,
 * available, deleting, deleted, rejected, failed, expired, partial). Deleting and deleted ones are
 * gone; rejected, failed and expired ones still exist in the consumer account until deleted ("Such
 * VPC endpoints cannot be reused, you should delete them", AWS PrivateLink pricing): they read as
 * unusable, so the plan replaces them and destroy deletes them (a destroy killed right after it
 * rejected the connection must not leave the endpoint behind).
 */
export const ENDPOINT_GONE_STATES = new Set(['deleting', 'deleted', 'rejected', 'failed', 'expired']);
const DEAD_STATES = new Set(['rejected', 'failed', 'expired']);
const stateOf = (e: VpcEndpoint): string => (e.State ?? '').toLowerCase();
const isGone = (e: VpcEndpoint): boolean => ENDPOINT_GONE_STATES.has(stateOf(e));
const isDeleted = (e: VpcEndpoint): boolean => stateOf(e) === 'deleting' || stateOf(e) === 'deleted';
const label = (p: Partial<Props>) => `VPC endpoint ${p.name ?? '?'}`;

/** The endpoint by id; EC2 answers NotFound for an id it does not know (deleted endpoints are dropped after a while). */
async function describeEndpoint(ctx: HandlerCtx, endpointId: string): Promise<VpcEndpoint | undefined> {
  const out = await ctx.aws.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }));
  return out.VpcEndpoints?.[0];
}

/** The endpoint, or undefined when EC2 does not know the id. */
const describeOrGone = (ctx: HandlerCtx, endpointId: string) =>
  orGone(`VPC endpoint ${endpointId}`, () => describeEndpoint(ctx, endpointId));

/** Every endpoint tagged with this stack and logical id, oldest first. */
async function findAllByTags(ctx: HandlerCtx, id: string): Promise<VpcEndpoint[]> {
  const found: VpcEndpoint[] = [];
  for await (const page of paginateDescribeVpcEndpoints(
    { client: ctx.aws.ec2 },
    { Filters: tagFilters(ctx.stack, id) },
  )) {
    for (const e of page.VpcEndpoints ?? []) if (ownedBy(ctx, id, tagMap(e.Tags))) found.push(e);
  }
  return found.sort((a, b) => (a.CreationTimestamp?.getTime() ?? 0) - (b.CreationTimestamp?.getTime() ?? 0));
}

async function findLiveByTags(ctx: HandlerCtx, id: string): Promise<VpcEndpoint | undefined> {
  const all = (await findAllByTags(ctx, id)).filter((e) => !isDeleted(e));
  // A working endpoint first; else a dead one (read as unusable, so it is replaced or deleted).
  const live = all.some((e) => !isGone(e)) ? all.filter((e) => !isGone(e)) : all;
  if (live.length > 1) {
    ctx.log(
      `${id}: ${live.length} endpoints carry this id's tags (${live.map((e) => e.VpcEndpointId).join(', ')}); using the oldest`,
    );
  }
  return live[0];
}

/** The service's logical id: the desired ref when its name matches, else by the service id in the name. */
function serviceRefOf(ctx: HandlerCtx, serviceName: string, like: Partial<Props> | undefined): string {
  if (like?.service !== undefined) {
    const k = tryRef(ctx, like.service);
    if (k?.outputs.serviceName === serviceName) return like.service;
  }
  // Custom service names end in the service id: com.amazonaws.vpce.<region>.vpce-svc-<hex>.
  const last = serviceName.split('.').pop() ?? '';
  return (last.startsWith('vpce-svc-') ? ctx.idOf(last) : undefined) ?? serviceName;
}

function groupRefsOf(ctx: HandlerCtx, groupIds: string[], like: Partial<Props> | undefined): string[] {
  const byGroup = new Map<string, string>();
  for (const sg of like?.securityGroups ?? []) {
    const k = tryRef(ctx, sg);
    const gid = k?.outputs.groupId ?? k?.physicalId;
    if (typeof gid === 'string') byGroup.set(gid, sg);
  }
  return orderStringsLike(
    groupIds.map((g) => byGroup.get(g) ?? logicalOf(ctx, g)),
    like?.securityGroups,
  );
}

/** The regional DNS entry (EC2 lists it first, before the per-AZ ones): what alias records point at. */
export function endpointOutputs(e: VpcEndpoint): Outputs {
  const dns = e.DnsEntries?.[0];
  return {
    endpointId: e.VpcEndpointId ?? '',
    dnsName: dns?.DnsName ?? '',
    hostedZoneId: dns?.HostedZoneId ?? '',
    state: e.State ?? '',
  };
}

/** Props in the planner's shape: the service and groups as logical ids; the client token is not reported by AWS. */
async function observe(
  ctx: HandlerCtx,
  e: VpcEndpoint,
  like: Partial<Props> | undefined,
): Promise<Live<Props>> {
  const subnetIds = orderStringsLike(e.SubnetIds ?? [], like?.subnetIds);
  const tags = tagMap(e.Tags);
  return {
    physicalId: e.VpcEndpointId ?? '',
    props: {
      name: tags.Name ?? '',
      vpcId: e.VpcId ?? '',
      service: serviceRefOf(ctx, e.ServiceName ?? '', like),
      subnetIds,
      azIds: await azIdsOfSubnets(ctx, subnetIds),
      securityGroups: groupRefsOf(
        ctx,
        (e.Groups ?? []).flatMap((g) => (g.GroupId === undefined ? [] : [g.GroupId])),
        like,
      ),
      // The schema only admits false; an endpoint with private DNS on reports true so the diff replaces it.
      privateDnsEnabled: (e.PrivateDnsEnabled ?? false) as false,
      ...(e.ServiceRegion !== undefined && e.ServiceRegion !== ctx.aws.region
        ? { serviceRegion: e.ServiceRegion }
        : {}),
      // Not reported by AWS: an input to the create call only.
      clientToken: like?.clientToken ?? '',
      tags,
    },
    outputs: endpointOutputs(e),
    ...(DEAD_STATES.has(stateOf(e)) ? { unusable: true } : {}),
  };
}

/**
 * The stack's live endpoints in ctx's account and region, by their tags (of several with one id
 * the oldest, as read adopts). The service and groups are named through the found instances; the
 * client token is the one the planner gives the id, as state records it.
 */
async function scan(
  ctx: HandlerCtx,
  found: ReadonlyMap<string, Instance>,
): Promise<Array<{ id: string; live: Live<Props>; dependsOn: string[] }>> {
  const { ids, tryParseId, formatId } = await logicalIds();
  const live: VpcEndpoint[] = [];
  for await (const page of paginateDescribeVpcEndpoints(
    { client: ctx.aws.ec2 },
    { Filters: [stackTagFilter(ctx.stack)] },
  )) {
    for (const e of page.VpcEndpoints ?? []) {
      // The refresh that follows a plan's scan takes these answers (aws/read-batch.ts).
      primeEndpoint(ctx, e);
      // Resource endpoints (pattern 3) are their own kind.
      if (
        tagMap(e.Tags)[TAG_STACK] === ctx.stack &&
        !isDeleted(e) &&
        (e.VpcEndpointType ?? 'Interface') === 'Interface'
      )
        live.push(e);
    }
  }
  // Per id, a working endpoint before a dead one (remove deletes the dead siblings too), then the oldest.
  live.sort(
    (a, b) =>
      Number(isGone(a)) - Number(isGone(b)) ||
      (a.CreationTimestamp?.getTime() ?? 0) - (b.CreationTimestamp?.getTime() ?? 0),
  );
  const mine = await ofStack(
    ctx,
    'vpc-endpoint',
    live,
    (e) => tagMap(e.Tags),
    (e) => `VPC endpoint ${e.VpcEndpointId ?? '?'}`,
  );
  return Promise.all(
    mine.map(async ({ id, item }) => {
      const o = await observe(ctx, item, { clientToken: clientToken(ctx.stack, ctx.aws.account, id) });
      const service = tryParseId(o.props.service);
      const permissions = service?.kind === 'endpoint-service' ? [ids.permissionsFor(formatId(service))] : [];
      return {
        id,
        live: o,
        dependsOn: foundRefs(found, [o.props.service, ...permissions, ...o.props.securityGroups]),
      };
    }),
  );
}

/** Deletes endpoints and waits until EC2 no longer lists them (or lists them as deleted). */
export async function deleteAndWait(
  ctx: HandlerCtx,
  what: string,
  endpointIds: string[],
  alsoWaitFor: string[] = [],
): Promise<void> {
  if (endpointIds.length > 0) {
    const out = await unlessGone('DELETE_FAILED', `deleting ${what}`, () =>
      ctx.aws.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: endpointIds })),
    );
    checkUnsuccessful(out?.Unsuccessful, 'DELETE_FAILED', `deleting ${what}`, isNotFoundCode);
  }
  for (const endpointId of [...endpointIds, ...alsoWaitFor]) {
    await poll(`${what} (${endpointId}) to be deleted`, ctx.wait, async () => {
      const e = await describeOrGone(ctx, endpointId);
      if (e === undefined || stateOf(e) === 'deleted') return { done: true, value: undefined };
      return { done: false, state: e.State ?? 'unknown' };
    });
  }
}

async function createEndpoint(
  ctx: HandlerCtx,
  r: Desired<Props>,
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
        ...(r.props.serviceRegion ? { ServiceRegion: r.props.serviceRegion } : {}),
        ClientToken: token,
        TagSpecifications: tagSpec('vpc-endpoint', r.props.tags),
      }),
    );
    if (out.VpcEndpoint?.VpcEndpointId === undefined) {
      throw new MplError('CREATE_FAILED', `creating VPC endpoint ${r.id}: AWS returned no endpoint id`);
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

export const vpcEndpoint = defineKind({
  kind: 'vpc-endpoint',
  iam: {
    reads: ['ec2:DescribeVpcEndpoints', 'ec2:DescribeTags'],
    writes: (s) =>
      // A create is authorized on the endpoint and on the VPC, subnets and groups it uses; the
      // request's tags are in the context of each, so one statement conditions them all.
      ec2StackResource(s, 'ec2:CreateVpcEndpoint', ['ec2:ModifyVpcEndpoint', 'ec2:DeleteVpcEndpoints']),
  },
  props: Props,
  terraform: (p, x) => ({
    type: 'aws_vpc_endpoint',
    args: {
      vpc_endpoint_type: 'Interface',
      service_name: x.ref(p.service, 'service_name'),
      vpc_id: p.vpcId,
      subnet_ids: p.subnetIds,
      security_group_ids: p.securityGroups.map((sg) => x.ref(sg, 'id')),
      private_dns_enabled: p.privateDnsEnabled,
      ...(p.serviceRegion ? { service_region: p.serviceRegion } : {}),
      tags: p.tags,
    },
  }),
  // DnsEntries' first entry is "<zone id>:<dns name>", the alias target of the broker's record.
  cloudformation: (p, x) => ({
    type: 'AWS::EC2::VPCEndpoint',
    properties: {
      VpcEndpointType: 'Interface',
      ServiceName: x.ref(p.service, 'ServiceName'),
      VpcId: p.vpcId,
      SubnetIds: p.subnetIds,
      SecurityGroupIds: p.securityGroups.map((sg) => x.ref(sg, 'GroupId')),
      PrivateDnsEnabled: p.privateDnsEnabled,
      ...(p.serviceRegion ? { ServiceRegion: p.serviceRegion } : {}),
      Tags: cfnTags(p.tags),
    },
    attrs: {
      DnsName: (n) => ({
        'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::Select': [0, { 'Fn::GetAtt': [n, 'DnsEntries'] }] }] }],
      }),
      DnsHostedZoneId: (n) => ({
        'Fn::Select': [0, { 'Fn::Split': [':', { 'Fn::Select': [0, { 'Fn::GetAtt': [n, 'DnsEntries'] }] }] }],
      }),
    },
  }),
  // ModifyVpcEndpoint changes subnets and security groups in place; the VPC, the service and
  // private DNS (false by schema) need a new endpoint.
  replaceOn: ['vpcId', 'service', 'privateDnsEnabled', 'serviceRegion'],
  // The client token is an input to the create call only: AWS never reports it.
  ignored: ['clientToken'],
  hidden: ['tags', 'clientToken'],
  // An interface endpoint is billed per hour per AZ it has a network interface in (AWS PrivateLink pricing).
  billing: (p) => ({ meter: 'endpoint-az-hours', quantity: p.subnetIds.length }),
  // Available only after the provider accepts it: the acceptance step waits for that.
  waits: { delete: (t) => t.endpointDeleteMs },
  label,
  handler: resourceHandler<Props, VpcEndpoint>({
    label,
    byId: (ctx, endpointId) => endpointById(ctx, endpointId, (one) => describeEndpoint(ctx, one)),
    byIdentity: (ctx, id) => findLiveByTags(ctx, id),
    // Rejected, failed and expired endpoints still exist: observe marks them unusable.
    isGone: isDeleted,
    physicalIdOf: (e) => e.VpcEndpointId ?? '',

    observe,

    async create(ctx, r) {
      const what = `${label(r.props)} (${r.id})`;
      const serviceName = ctx.ref(r.props.service).outputs.serviceName;
      if (typeof serviceName !== 'string' || serviceName === '') {
        throw new MplError('DEPENDENCY_NOT_MADE', `${r.id}: ${r.props.service} has no service name in state`);
      }
      const tagged = await attempt('READ_FAILED', what, () => findAllByTags(ctx, r.id));
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
        // The token is bound to a deleted endpoint or other parameters: a replacement needs a fresh one.
        made = await withClientToken(ctx, r.id, 'endpoint', r.props.clientToken, (token) =>
          createEndpoint(ctx, r, serviceName, token),
        );
        if (isGone(made)) {
          ctx.log(
            `${r.id}: client token answered endpoint ${made.VpcEndpointId} (${made.State}); using a fresh token`,
          );
          made = await createEndpoint(ctx, r, serviceName, retryToken(r.props.clientToken));
        }
      }
      const endpointId = made.VpcEndpointId as string;
      // Not waiting for `available`: the provider must accept first (the acceptance resource waits).
      // Only until EC2 lists it, since reads may briefly answer NotFound right after a create.
      return untilListed(ctx, `${what}, ${endpointId},`, () => describeEndpoint(ctx, endpointId));
    },

    // No `ready` step: a new endpoint waits for the provider's acceptance (the acceptance resource
    // waits for `available`), and a modified one waits in `update` only when it was available.

    async update(ctx, r, before) {
      const endpointId = before.physicalId;
      const what = `${label(r.props)} (${r.id})`;
      const e = await describeOrGone(ctx, endpointId);
      if (e === undefined || isGone(e)) {
        throw new MplError('RESOURCE_GONE', `${what}: ${endpointId} no longer exists`);
      }
      const haveSubnets = e.SubnetIds ?? [];
      const haveGroups = (e.Groups ?? []).flatMap((g) => (g.GroupId === undefined ? [] : [g.GroupId]));
      const wantGroups = r.props.securityGroups.map((sg) => refId(ctx, sg, 'groupId'));
      const addSubnets = r.props.subnetIds.filter((s) => !haveSubnets.includes(s));
      const removeSubnets = haveSubnets.filter((s) => !r.props.subnetIds.includes(s));
      const addGroups = wantGroups.filter((g) => !haveGroups.includes(g));
      const removeGroups = haveGroups.filter((g) => !wantGroups.includes(g));
      if (addSubnets.length + removeSubnets.length + addGroups.length + removeGroups.length === 0) return;
      await attempt('UPDATE_FAILED', `modifying ${what}`, async () => {
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
      });
      if (stateOf(e) !== 'available') return;
      // An available endpoint goes back to pending while its ENIs change; dependents keep relying on it.
      await poll(`${what}, ${endpointId}, after modify`, ctx.wait, async () => {
        const now = await describeOrGone(ctx, endpointId);
        if (now === undefined) return { failed: 'disappeared' };
        if (stateOf(now) === 'available') return { done: true, value: now };
        if (isGone(now)) return { failed: `state ${now.State ?? 'unknown'}` };
        return { done: false, state: now.State ?? 'unknown' };
      });
    },

    async remove(ctx, endpointId, props, id) {
      const e = await describeEndpoint(ctx, endpointId);
      // Dead endpoints with this id's tags (a run replaced one, then died) go with it.
      const dead = (await findAllByTags(ctx, id)).filter(
        (x) => DEAD_STATES.has(stateOf(x)) && x.VpcEndpointId !== undefined && x.VpcEndpointId !== endpointId,
      );
      const ids = dead.map((x) => x.VpcEndpointId as string);
      const deleting: string[] = [];
      if (e?.VpcEndpointId !== undefined && stateOf(e) !== 'deleted') {
        if (stateOf(e) === 'deleting') deleting.push(e.VpcEndpointId);
        else ids.push(e.VpcEndpointId);
      }
      if (ids.length + deleting.length === 0) return;
      await deleteAndWait(ctx, `${label(props)} (${id})`, ids, deleting);
    },
    tags: ec2Tags,
  }),
  scan,
  scanAfter: ['endpoint-service', 'endpoint-service-permissions', 'security-group'],
});
