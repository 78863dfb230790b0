// Helpers shared by the PrivateLink handlers (endpoint service, permissions, endpoint, acceptance).
import type { Filter, Tag, TagSpecification, UnsuccessfulItem } from '@aws-sdk/client-ec2';
import { CreateTagsCommand, DeleteTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { MplError } from '../../errors.js';
import { TAG_ID, TAG_STACK } from '../../plan/resource.js';
import type { HandlerCtx, Known } from '../types.js';
import { compareStrings, errorName, orderLike as orderLikeBy, tagMap } from './ec2-util.js';

export { errorName, tagMap };

/** `actual` in `desired`'s order, anything else after it, sorted. */
export function orderLike(actual: readonly string[], desired: readonly string[] | undefined): string[] {
  return orderLikeBy(actual, desired, (s) => s, compareStrings);
}

/** EC2 TagSpecifications for a create call. */
export function tagSpec(
  resourceType: 'vpc-endpoint' | 'vpc-endpoint-service',
  tags: Record<string, string>,
): TagSpecification[] {
  return [{ ResourceType: resourceType, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }];
}

/** The tags that mark a resource as this stack's logical id (what a crashed run is adopted by). */
export function ownedBy(tags: Tag[] | undefined, stack: string, id: string): boolean {
  const m = tagMap(tags);
  return m[TAG_STACK] === stack && m[TAG_ID] === id;
}

/** Describe filters on the stack and id tags (the twin ignores them for some calls: filter client-side too). */
export function tagFilters(stack: string, id: string): Filter[] {
  return [
    { Name: `tag:${TAG_STACK}`, Values: [stack] },
    { Name: `tag:${TAG_ID}`, Values: [id] },
  ];
}

/** Makes the resource's tags exactly `desired` (CreateTags overwrites values, DeleteTags drops extras). */
export async function syncTags(
  ec2: EC2Client,
  resourceId: string,
  before: Record<string, string>,
  desired: Record<string, string>,
): Promise<void> {
  const put = Object.entries(desired).filter(([k, v]) => before[k] !== v);
  const drop = Object.keys(before).filter((k) => !(k in desired));
  if (put.length > 0) {
    await ec2.send(
      new CreateTagsCommand({
        Resources: [resourceId],
        Tags: put.map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  }
  if (drop.length > 0) {
    await ec2.send(new DeleteTagsCommand({ Resources: [resourceId], Tags: drop.map((Key) => ({ Key })) }));
  }
}

/** `ctx.ref(id)` without throwing: undefined when the dependency is not made (yet). */
export function tryRef(ctx: HandlerCtx, id: string): Known | undefined {
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
  if (typeof v === 'string' && v !== '') return v;
  if (k.physicalId === undefined) {
    throw new MplError('DEPENDENCY_NOT_MADE', `${logicalId} has no physical id yet`);
  }
  return k.physicalId;
}

/** A physical id expressed as the logical id this stack knows it by, else as itself (so the diff shows it). */
export function logicalOf(ctx: HandlerCtx, physicalId: string): string {
  return ctx.idOf(physicalId) ?? physicalId;
}

/**
 * Batch calls (DeleteVpcEndpoints, DeleteVpcEndpointServiceConfigurations, Accept/Reject connections)
 * report failures in `Unsuccessful` instead of throwing (AWS-NOTES "Destroy order"). Failures whose
 * code `ok` accepts (e.g. NotFound on a delete) are dropped; the rest become one MplError.
 */
export function checkUnsuccessful(
  items: UnsuccessfulItem[] | undefined,
  code: string,
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

/** True for an `Unsuccessful` code that says the thing is not there. */
export function isNotFoundCode(code: string): boolean {
  return /NotFound/.test(code);
}

/** Wraps an AWS error as an MplError naming the resource, keeping the AWS error as cause. */
export function awsFailure(code: string, what: string, e: unknown): MplError {
  if (e instanceof MplError) return e;
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new MplError(code, `${what}: ${msg}`, { cause: e });
}

/**
 * A ClientToken for a second try after AWS answered IdempotentParameterMismatch: the token is still
 * bound to a deleted or different resource (EC2 keeps tokens after the resource is gone), so a
 * replacement needs a fresh one. At most 64 characters (AWS-NOTES "Idempotency hooks").
 */
export function retryToken(token: string): string {
  const suffix = `-r${Date.now().toString(36)}`;
  return `${token.slice(0, 64 - suffix.length)}${suffix}`;
}
