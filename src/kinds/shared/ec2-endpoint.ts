// Helpers shared by the PrivateLink kinds (endpoint service, permissions, endpoint, acceptance):
// tag look-ups, references to made dependencies, batch-call failures, client tokens and rejections.
// Tag lists and writes, ordering and owner checks come from ./ec2.js and ../kind.js.
import {
  paginateDescribeVpcEndpoints,
  RejectVpcEndpointConnectionsCommand,
  type Filter,
  type UnsuccessfulItem,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { awsFailure, errorName, isNotFound } from '../../aws/errors.js';
import { MplError, type ErrorCode } from '../../errors.js';
import type { Instance } from '../../state/instance.js';
import { orGone, TAG_ID, TAG_STACK, type HandlerCtx } from '../kind.js';
import { poll } from './poll.js';
import { collectById, primeRead, readBatched } from './batched.js';

/** Describe filters on the stack and id tags (the twin ignores them for some calls: filter client-side too). */
export function tagFilters(stack: string, id: string): Filter[] {
  return [
    { Name: `tag:${TAG_STACK}`, Values: [stack] },
    { Name: `tag:${TAG_ID}`, Values: [id] },
  ];
}

/** `ctx.ref(id)` without throwing: undefined when the dependency is not made (yet). */
export function tryRef(ctx: HandlerCtx, id: string): Instance | undefined {
  try {
    return ctx.ref(id);
  } catch {
    return undefined;
  }
}

/** A referenced resource's AWS id: the named output when the handler gave one, else its physical id. */
export function refId(ctx: HandlerCtx, logicalId: string, output: string): string {
  const k = ctx.ref(logicalId);
  const v = k.outputs[output];
  return typeof v === 'string' && v !== '' ? v : k.physicalId;
}

/** A physical id expressed as the logical id this stack knows it by, else as itself (so the diff shows it). */
export function logicalOf(ctx: HandlerCtx, physicalId: string): string {
  return ctx.idOf(physicalId) ?? physicalId;
}

/**
 * Runs an AWS call whose NotFound answer means the work is already done (the thing is gone):
 * `undefined` then; any other failure becomes `code` with the resource named.
 */
export async function unlessGone<T>(
  code: ErrorCode,
  what: string,
  call: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw awsFailure(code, what, e);
  }
}

/** True for an `Unsuccessful` code that says the thing is not there (read the way aws/errors reads names). */
export function isNotFoundCode(code: string): boolean {
  return isNotFound({ name: code });
}

/**
 * Batch calls (DeleteVpcEndpoints, DeleteVpcEndpointServiceConfigurations, Accept/Reject connections)
 * report failures in `Unsuccessful` instead of throwing (EC2 API reference: their `Unsuccessful`
 * response element). Failures whose code `ok` accepts (e.g. NotFound on a delete) are dropped;
 * the rest become one MplError.
 */
export function checkUnsuccessful(
  items: UnsuccessfulItem[] | undefined,
  code: ErrorCode,
  what: string,
  ok: (errorCode: string) => boolean = () => false,
): void {
  const bad = (items ?? []).filter((u) => !ok(u.Error?.Code ?? ''));
  if (bad.length === 0) return;
  const detail = bad
    .map((u) => `${u.ResourceId ?? '?'}: ${u.Error?.Code ?? 'unknown'}: ${u.Error?.Message ?? ''}`)
    .join('; ');
  throw new MplError(code, `${what} failed: ${detail}`, { cause: bad });
}

/**
 * Rejects endpoint connections to a service. A service that is gone has no connections left; in
 * `Unsuccessful`, NotFound means the endpoint went meanwhile and InvalidState that it is already
 * rejected or being deleted: all three are done.
 */
export async function rejectConnections(
  ctx: HandlerCtx,
  serviceId: string,
  endpointIds: string[],
  code: ErrorCode,
  what: string,
): Promise<void> {
  const out = await unlessGone(code, what, () =>
    ctx.aws.ec2.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: endpointIds }),
    ),
  );
  checkUnsuccessful(out?.Unsuccessful, code, what, (c) => isNotFoundCode(c) || c === 'InvalidState');
}

/**
 * A ClientToken for a second try after AWS answered IdempotentParameterMismatch: the token is still
 * bound to a deleted or different resource (EC2 keeps tokens after the resource is gone), so a
 * replacement needs a fresh one. At most 64 characters (EC2 developer guide, "Ensuring idempotency
 * in Amazon EC2 API requests").
 */
export function retryToken(token: string): string {
  const suffix = `-r${Date.now().toString(36)}`;
  return `${token.slice(0, 64 - suffix.length)}${suffix}`;
}

/**
 * Runs a create call with the plan's client token and, when AWS answers IdempotentParameterMismatch
 * (the token is bound to an earlier, deleted or different resource), once more with a fresh token.
 * Other failures are thrown as they are, for the caller to name.
 */
export async function withClientToken<T>(
  ctx: HandlerCtx,
  id: string,
  what: string,
  token: string,
  make: (token: string) => Promise<T>,
): Promise<T> {
  try {
    return await make(token);
  } catch (e) {
    if (errorName(e) !== 'IdempotentParameterMismatch') throw e;
    ctx.log(`${id}: client token bound to an earlier ${what}; creating with a fresh token`);
    return make(retryToken(token));
  }
}

/**
 * Waits until a just-made resource is listed: right after a create, EC2's reads may briefly answer
 * NotFound (EC2 developer guide, "Eventual consistency in the Amazon EC2 API"), and the skeleton
 * reads and writes tags next.
 */
export function untilListed<T>(
  ctx: HandlerCtx,
  what: string,
  describe: () => Promise<T | undefined>,
): Promise<T> {
  return poll(`${what} to be listed`, ctx.wait, async () => {
    const found = await orGone(what, describe);
    return found === undefined ? { done: false, state: 'not yet visible' } : { done: true, value: found };
  });
}

/**
 * An interface or resource endpoint by id; in a plan, with the state's other endpoints of the
 * account: the vpc-endpoint-id filter answers the ones that exist and drops the others (EC2 API
 * reference, DescribeVpcEndpoints), 100 ids a call.
 */
export function endpointById(
  ctx: HandlerCtx,
  endpointId: string,
  fetchOne: (id: string) => Promise<VpcEndpoint | undefined>,
): Promise<VpcEndpoint | undefined> {
  return readBatched(ctx, {
    client: ctx.aws.ec2,
    api: 'ec2:DescribeVpcEndpoints',
    id: endpointId,
    peerKinds: ['vpc-endpoint', 'resource-endpoint'],
    maxIds: 100,
    fetch: (ids) =>
      collectById(
        paginateDescribeVpcEndpoints(
          { client: ctx.aws.ec2 },
          { Filters: [{ Name: 'vpc-endpoint-id', Values: ids }] },
        ),
        (page) => page.VpcEndpoints,
        (e) => e.VpcEndpointId,
      ),
    fetchOne,
  });
}

/** What a scan's listing answered for an endpoint, so the plan's refresh does not ask again. */
export function primeEndpoint(ctx: HandlerCtx, e: VpcEndpoint): void {
  primeRead(ctx, ctx.aws.ec2, 'ec2:DescribeVpcEndpoints', e.VpcEndpointId ?? '', e);
}
