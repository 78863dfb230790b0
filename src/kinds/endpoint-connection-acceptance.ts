// Endpoint connection acceptance (provider account): accepts a consumer's endpoint on the service and
// waits, in the consumer's account, until the endpoint is available, so DNS records can rely on it.
// Not a resource of its own in AWS (no id, no tags): the state of one service/endpoint connection,
// so the handler is written directly, not on resourceHandler.
import {
  AcceptVpcEndpointConnectionsCommand,
  DescribeVpcEndpointsCommand,
  paginateDescribeVpcEndpointConnections,
  type VpcEndpointConnection,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { MplError } from '../errors.js';
import type { Instance } from '../state/instance.js';
import { mergedCall } from '../aws/merge.js';
import { attempt, defineKind, orGone, type Desired, type HandlerCtx, type Live } from './kind.js';
import { checkUnsuccessful, logicalOf, refId, rejectConnections, tryRef } from './shared/ec2-endpoint.js';
import { poll } from './shared/poll.js';
import { pollShared } from './shared/shared-poll.js';
import { foundIn, logicalIds } from './shared/scan.js';
import { Ref } from './shared/schema.js';
import { ec2StackTagged } from '../iam/scope.js';
import { primeRead, readBatched } from './shared/batched.js';

const Props = z.strictObject({
  service: Ref,
  endpoint: Ref,
  endpointAccount: z.string(),
  /** The endpoint's region when it is not the service's (cross-region PrivateLink). */
  endpointRegion: z.string().optional(),
});
type Props = z.infer<typeof Props>;

/** Connection states after an acceptance (EC2 returns `pending` then `available`; `accepted` in some docs). */
const ACCEPTED_STATES = new Set(['accepted', 'pending', 'available']);
/** States from which the endpoint never becomes available: the endpoint itself must be replaced. */
const DEAD_STATES = new Set(['rejected', 'failed', 'expired', 'deleting', 'deleted']);

const label = (p: Partial<Props>) => `endpoint connection of ${p.endpoint ?? '?'} to ${p.service ?? '?'}`;

interface Pair {
  serviceId: string;
  endpointId: string;
}

const physicalIdOf = (p: Pair): string => `${p.serviceId}:${p.endpointId}`;

function parsePhysicalId(physicalId: string | undefined): Pair | undefined {
  if (physicalId === undefined) return undefined;
  const i = physicalId.indexOf(':');
  if (i <= 0) return undefined;
  return { serviceId: physicalId.slice(0, i), endpointId: physicalId.slice(i + 1) };
}

/** The pair the desired props refer to, when both dependencies are made. */
function pairFromRefs(ctx: HandlerCtx, props: { service: string; endpoint: string }): Pair | undefined {
  const svc = tryRef(ctx, props.service);
  const ep = tryRef(ctx, props.endpoint);
  const serviceId = svc?.outputs.serviceId ?? svc?.physicalId;
  const endpointId = ep?.outputs.endpointId ?? ep?.physicalId;
  if (typeof serviceId !== 'string' || typeof endpointId !== 'string') return undefined;
  return { serviceId, endpointId };
}

/** The connections of these pairs, by physical id, through every page. */
async function connectionsOf(ctx: HandlerCtx, pairs: Pair[]): Promise<Map<string, VpcEndpointConnection>> {
  const wanted = new Set(pairs.map(physicalIdOf));
  const found = new Map<string, VpcEndpointConnection>();
  for await (const page of paginateDescribeVpcEndpointConnections(
    { client: ctx.aws.ec2 },
    {
      Filters: [
        { Name: 'service-id', Values: [...new Set(pairs.map((p) => p.serviceId))] },
        { Name: 'vpc-endpoint-id', Values: [...new Set(pairs.map((p) => p.endpointId))] },
      ],
    },
  )) {
    for (const c of page.VpcEndpointConnections ?? []) {
      const key = physicalIdOf({ serviceId: c.ServiceId ?? '', endpointId: c.VpcEndpointId ?? '' });
      if (wanted.has(key)) found.set(key, c);
    }
  }
  return found;
}

/** The connection of one pair; in a refresh, with the state's other connections of the account. */
async function connectionOf(ctx: HandlerCtx, p: Pair): Promise<VpcEndpointConnection | undefined> {
  return orGone(`the connection of ${p.endpointId} to ${p.serviceId}`, () =>
    readBatched(ctx, {
      client: ctx.aws.ec2,
      api: 'ec2:DescribeVpcEndpointConnections',
      id: physicalIdOf(p),
      peerKinds: ['endpoint-connection-acceptance'],
      maxIds: 100,
      fetch: (ids) =>
        connectionsOf(
          ctx,
          ids.flatMap((id) => parsePhysicalId(id) ?? []),
        ),
      fetchOne: async () => (await connectionsOf(ctx, [p])).get(physicalIdOf(p)),
    }),
  );
}

const stateOf = (c: VpcEndpointConnection | undefined): string =>
  (c?.VpcEndpointState ?? 'absent').toLowerCase();

function observe(
  ctx: HandlerCtx,
  p: Pair,
  c: VpcEndpointConnection,
  desired: Desired<Props> | undefined,
  known: Instance<Props> | undefined,
): Live<Props> {
  // The desired logical ids when they still name this pair; else whatever the stack knows the ids by.
  const fromRefs = desired !== undefined ? pairFromRefs(ctx, desired.props) : undefined;
  const same = fromRefs?.serviceId === p.serviceId && fromRefs.endpointId === p.endpointId;
  return {
    physicalId: physicalIdOf(p),
    props: {
      service: same && desired ? desired.props.service : logicalOf(ctx, p.serviceId),
      endpoint: same && desired ? desired.props.endpoint : logicalOf(ctx, p.endpointId),
      endpointAccount:
        c.VpcEndpointOwner ?? desired?.props.endpointAccount ?? known?.props.endpointAccount ?? '',
      // VpcEndpointRegion names a cross-region endpoint's region (EC2 VpcEndpointConnection).
      ...(c.VpcEndpointRegion !== undefined && c.VpcEndpointRegion !== ctx.aws.region
        ? { endpointRegion: c.VpcEndpointRegion }
        : {}),
    },
    outputs: { serviceId: p.serviceId, endpointId: p.endpointId, state: c.VpcEndpointState ?? '' },
  };
}

/** Every connection to a service (undefined when the service is gone), through every page. */
/** The connections to these services, through every page (one call for all, up to 100 services). */
async function connectionsTo(
  ctx: HandlerCtx,
  serviceIds: string[],
): Promise<VpcEndpointConnection[] | undefined> {
  const wanted = new Set(serviceIds);
  return orGone(`the connections to ${serviceIds.join(', ')}`, async () => {
    const out: VpcEndpointConnection[] = [];
    for (let i = 0; i < serviceIds.length; i += 100)
      for await (const page of paginateDescribeVpcEndpointConnections(
        { client: ctx.aws.ec2 },
        { Filters: [{ Name: 'service-id', Values: serviceIds.slice(i, i + 100) }] },
      )) {
        out.push(...(page.VpcEndpointConnections ?? []).filter((c) => wanted.has(c.ServiceId ?? '')));
      }
    return out;
  });
}

/**
 * The accepted connections (as read answers) to each endpoint service found in ctx's account and
 * region, from the endpoints found in any account: an acceptance is named after its endpoint. A
 * connection from an endpoint the stack did not make is not the stack's.
 */
async function scan(
  ctx: HandlerCtx,
  found: ReadonlyMap<string, Instance>,
): Promise<Array<{ id: string; live: Live<Props>; dependsOn: string[] }>> {
  const { ids, tryParseId, formatId } = await logicalIds();
  const services = foundIn(ctx, found, 'endpoint-service').map((svc) => {
    const sid = svc.outputs.serviceId;
    return { svc, serviceId: typeof sid === 'string' && sid !== '' ? sid : svc.physicalId };
  });
  if (services.length === 0) return [];
  // One call for every service of the account (the service-id filter takes many).
  const all =
    (await connectionsTo(
      ctx,
      services.map((s) => s.serviceId),
    )) ?? [];
  return services.flatMap(({ svc, serviceId }) =>
    all
      .filter((c) => c.ServiceId === serviceId)
      .flatMap((c) => {
        const endpointId = c.VpcEndpointId;
        if (endpointId !== undefined)
          primeRead(
            ctx,
            ctx.aws.ec2,
            'ec2:DescribeVpcEndpointConnections',
            physicalIdOf({ serviceId, endpointId }),
            c,
          );
        const epId = endpointId === undefined ? undefined : ctx.idOf(endpointId);
        const ep = epId === undefined ? undefined : found.get(epId);
        const parsed = ep?.kind === 'vpc-endpoint' ? tryParseId(ep.id) : undefined;
        if (endpointId === undefined || ep === undefined || parsed?.kind !== 'vpc-endpoint') return [];
        if (!ACCEPTED_STATES.has(stateOf(c))) return [];
        const id: string = ids.acceptanceFor(formatId(parsed));
        const live = observe(ctx, { serviceId, endpointId }, c, undefined, undefined);
        return [{ id, live, dependsOn: [svc.id, ep.id] }];
      }),
  );
}

export const endpointConnectionAcceptance = defineKind({
  kind: 'endpoint-connection-acceptance',
  // A service's connections are accepted together (see create).
  gatherKey: (p, account) => `${account}|${p.service}`,
  // Accepting, then waiting for the endpoint to be available.
  waits: { create: (t) => t.endpointAvailableMs },
  iam: {
    reads: ['ec2:DescribeVpcEndpointConnections', 'ec2:DescribeVpcEndpoints'],
    // Authorized on the endpoint service, which carries the stack's tag.
    writes: (s) => [
      ec2StackTagged(s, ['ec2:AcceptVpcEndpointConnections', 'ec2:RejectVpcEndpointConnections']),
    ],
  },
  props: Props,
  // Terraform accepts it (aws_vpc_endpoint_connection_accepter), with the provider's alias.
  terraform: (p, x) => ({
    type: 'aws_vpc_endpoint_connection_accepter',
    args: { vpc_endpoint_service_id: x.ref(p.service, 'id'), vpc_endpoint_id: x.ref(p.endpoint, 'id') },
  }),
  // No CloudFormation resource accepts a connection to an endpoint service (the provider accepts
  // what another account's template made): a command, once both templates are deployed.
  cloudformation: (p, x, r) => ({
    manual: {
      what: `accept ${p.endpoint} (account ${p.endpointAccount}) on ${p.service}`,
      apply: `aws ec2 accept-vpc-endpoint-connections --region ${r.region} --service-id <${x.output(p.service, 'Ref')}> --vpc-endpoint-ids <${x.output(p.endpoint, 'Ref')}>`,
      undo: `aws ec2 reject-vpc-endpoint-connections --region ${r.region} --service-id <${x.output(p.service, 'Ref')}> --vpc-endpoint-ids <${x.output(p.endpoint, 'Ref')}>`,
    },
  }),
  // A connection is one endpoint on one service: another service, endpoint or owner is another
  // connection, and an acceptance cannot be undone but by a rejection. Nothing changes in place.
  replaceOn: ['service', 'endpoint', 'endpointAccount'],
  label,
  handler: {
    async read(ctx, desired, known) {
      const id = desired?.id ?? known?.id;
      // The endpoint the plan wants now (it may have been replaced since state was written), else state's.
      const p =
        (desired !== undefined ? pairFromRefs(ctx, desired.props) : undefined) ??
        parsePhysicalId(known?.physicalId);
      if (id === undefined || p === undefined) return undefined;
      const c = await connectionOf(ctx, p);
      // pendingAcceptance, rejected or absent: not accepted, so the plan shows a create that accepts it.
      if (c === undefined || !ACCEPTED_STATES.has(stateOf(c))) return undefined;
      return observe(ctx, p, c, desired, known);
    },

    async create(ctx, r) {
      const p: Pair = {
        serviceId: refId(ctx, r.props.service, 'serviceId'),
        endpointId: refId(ctx, r.props.endpoint, 'endpointId'),
      };
      const what = `endpoint connection ${r.id} (${p.endpointId} to ${p.serviceId})`;
      const deadHint =
        'the endpoint can never become available: the next plan replaces it (or delete it and apply again)';
      // Right after the endpoint's create the provider side may not list the connection yet.
      const first = await poll(`${what} to be listed`, ctx.wait, async () => {
        const c = await connectionOf(ctx, p);
        return c === undefined ? { done: false, state: 'not yet listed' } : { done: true, value: c };
      });
      if (DEAD_STATES.has(stateOf(first))) {
        throw new MplError('ENDPOINT_CONNECTION_DEAD', `${what} is ${first.VpcEndpointState}`, {
          detail: deadHint,
        });
      }
      // The service's other connections of this run are accepted in the same call (one token of
      // EC2's endpoint-service bucket, 10 burst and 1 a second, for all of a broker's consumers).
      const pending = stateOf(first) === 'pendingacceptance';
      const accept = () =>
        attempt('ENDPOINT_ACCEPT_FAILED', `accepting ${what}`, () =>
          mergedCall(ctx.aws.ec2, `accept|${p.serviceId}`, p.endpointId, (ids) =>
            ctx.aws.ec2.send(
              new AcceptVpcEndpointConnectionsCommand({ ServiceId: p.serviceId, VpcEndpointIds: ids }),
            ),
          ),
        );
      // Every sibling gathers (one already accepted must not hold the others back); those pending
      // accept together, in the same turn, once all are ready.
      const gathered = ctx.gather
        ? await ctx.gather(() => (pending ? accept() : Promise.resolve(undefined)))
        : undefined;
      if (pending) {
        const answer = gathered ?? (await accept());
        const out = {
          Unsuccessful: (answer.Unsuccessful ?? []).filter((u) => u.ResourceId === p.endpointId),
        };
        if (out.Unsuccessful.length > 0) {
          // Another run may have accepted it meanwhile: only a connection still not accepted is a failure.
          const again = await connectionOf(ctx, p);
          if (!ACCEPTED_STATES.has(stateOf(again))) {
            checkUnsuccessful(out.Unsuccessful, 'ENDPOINT_ACCEPT_FAILED', `accepting ${what}`);
          }
        }
      }
      // Wait in the consumer's account: only it sees the endpoint's own state.
      const consumer = ctx.awsFor(r.props.endpointAccount, r.props.endpointRegion ?? r.region);
      // Endpoints waiting at once in one consumer account share one DescribeVpcEndpoints.
      await pollShared({
        client: consumer.ec2,
        api: 'ec2:DescribeVpcEndpoints',
        id: p.endpointId,
        what: `VPC endpoint ${r.props.endpoint} (${p.endpointId}) to be available`,
        wait: ctx.wait,
        maxIds: 100,
        fetchOne: async (id) =>
          (
            await orGone(`VPC endpoint ${id}`, () =>
              consumer.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] })),
            )
          )?.VpcEndpoints?.[0],
        fetch: async (ids) => {
          const out = await consumer.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ids }));
          return new Map((out.VpcEndpoints ?? []).map((e) => [e.VpcEndpointId ?? '', e]));
        },
        verdict: (e) => {
          const state = e?.State ?? 'absent';
          const s = state.toLowerCase();
          if (s === 'available') return { done: true, value: state };
          if (DEAD_STATES.has(s) || s === 'absent') return { failed: `endpoint state ${state}; ${deadHint}` };
          return { done: false, state };
        },
      });
      const c: VpcEndpointConnection = (await connectionOf(ctx, p)) ?? {
        VpcEndpointOwner: r.props.endpointAccount,
        VpcEndpointState: 'Available',
      };
      return observe(ctx, p, c, r, undefined);
    },

    async delete(ctx, known) {
      const props: Partial<Props> = known.props;
      const p =
        parsePhysicalId(known.physicalId) ??
        (typeof props.service === 'string' && typeof props.endpoint === 'string'
          ? pairFromRefs(ctx, { service: props.service, endpoint: props.endpoint })
          : undefined);
      if (p === undefined) return;
      // The service is gone: so is the connection. NotFound: the endpoint is gone; InvalidState:
      // already rejected or being deleted.
      await rejectConnections(
        ctx,
        p.serviceId,
        [p.endpointId],
        'ENDPOINT_REJECT_FAILED',
        `rejecting endpoint connection ${known.id} (${physicalIdOf(p)})`,
      );
    },
  },
  scan,
  scanAfter: ['endpoint-service', 'vpc-endpoint'],
});
