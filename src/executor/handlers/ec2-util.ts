// Helpers shared by the security-group and security-group-rule handlers (and the ELBv2 handlers:
// tag lists, error wrapping and canonical ordering are the same problem there).
import { DescribeSubnetsCommand, type EC2Client, type Tag } from '@aws-sdk/client-ec2';
import { MplError } from '../../errors.js';
import type { Kind, LogicalId, ResourceOf } from '../../plan/resource.js';
import { TAG_ID, TAG_STACK } from '../../plan/resource.js';
import type { HandlerCtx, Known } from '../types.js';

/** The AWS error name (`InvalidGroup.NotFound`, `DependencyViolation`, ...), '' when there is none. */
export function errorName(e: unknown): string {
  return (e as { name?: string } | undefined)?.name ?? '';
}

/** An MplError naming the resource and the AWS error, keeping the AWS error as the cause. */
export function awsFailure(code: string, what: string, e: unknown, hint?: string): MplError {
  const msg = (e as { message?: string } | undefined)?.message ?? String(e);
  const tail = hint === undefined ? '' : `: ${hint}`;
  return new MplError(code, `${what}: ${errorName(e) || 'error'}: ${msg}${tail}`, { cause: e });
}

/** `{ k: v }` to the `[{ Key, Value }]` list EC2 and ELBv2 take, sorted so calls are reproducible. */
export function tagList(tags: Record<string, string>): Array<{ Key: string; Value: string }> {
  return Object.keys(tags)
    .sort()
    .map((Key) => ({ Key, Value: tags[Key] as string }));
}

/**
 * The tags a resource carries as a record, without AWS's own `aws:` tags (users cannot set or
 * remove those, so they are never a difference).
 */
export function tagMap(tags: ReadonlyArray<Tag> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) {
    if (t.Key !== undefined && !t.Key.startsWith('aws:')) out[t.Key] = t.Value ?? '';
  }
  return out;
}

/** Keys added or changed, and keys removed, to go from `actual` tags to `desired` tags. */
export function tagChanges(
  desired: Record<string, string>,
  actual: Record<string, string>,
): { set: Record<string, string>; remove: string[] } {
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(desired)) if (actual[k] !== v) set[k] = v;
  const remove = Object.keys(actual)
    .filter((k) => !(k in desired))
    .sort();
  return { set, remove };
}

/**
 * Refuses to adopt a resource found by name that carries another stack's (or another logical
 * id's) tags: deterministic names make this unlikely, and taking it over would be worse than failing.
 */
export function checkOwner(ctx: HandlerCtx, id: LogicalId, what: string, tags: Record<string, string>): void {
  const stack = tags[TAG_STACK];
  const owner = tags[TAG_ID];
  if ((stack !== undefined && stack !== ctx.stack) || (owner !== undefined && owner !== id)) {
    throw new MplError(
      'NAME_TAKEN',
      `${what} exists but belongs to ${stack ?? '?'}/${owner ?? '?'}, not ${ctx.stack}/${id}; rename the stack or remove it`,
    );
  }
}

/** The logical id a read is about (the executor passes the desired resource, its state entry, or both). */
export function logicalIdOf<K extends Kind>(
  desired: ResourceOf<K> | undefined,
  known: Known | undefined,
): LogicalId {
  const id = desired?.id ?? known?.id;
  if (id === undefined) throw new MplError('INTERNAL', 'read needs a desired resource or a state entry');
  return id;
}

/** Props from the desired resource, else from state (a read during destroy has no desired resource). */
export function propsOf<K extends Kind>(
  desired: ResourceOf<K> | undefined,
  known: Known | undefined,
): Partial<ResourceOf<K>['props']> {
  return (desired?.props ?? known?.props ?? {}) as Partial<ResourceOf<K>['props']>;
}

/**
 * Canonical order for lists AWS answers in arbitrary order: items the reference list (the planner's
 * desired list) also has come first, in its order; the rest follow, sorted by `fallback`. So a list
 * with the same members as the planner's compares equal whatever order the planner chose, and an
 * extra member shows as a difference at the end.
 */
export function orderLike<T>(
  items: readonly T[],
  like: readonly T[] | undefined,
  key: (t: T) => string,
  fallback: (a: T, b: T) => number,
): T[] {
  const rank = new Map<string, number>();
  (like ?? []).forEach((t, i) => {
    if (!rank.has(key(t))) rank.set(key(t), i);
  });
  return [...items].sort((a, b) => {
    const ra = rank.get(key(a));
    const rb = rank.get(key(b));
    if (ra !== undefined && rb !== undefined) return ra - rb;
    if (ra !== undefined) return -1;
    if (rb !== undefined) return 1;
    return fallback(a, b);
  });
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface SubnetInfo {
  id: string;
  cidr: string;
  azId: string;
}

/** Subnets by id (CIDR and AZ ID), in the order asked. A subnet that does not exist is an error. */
export async function describeSubnets(
  ec2: EC2Client,
  ids: readonly string[],
  what: string,
): Promise<SubnetInfo[]> {
  if (ids.length === 0) return [];
  let out;
  try {
    out = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...ids] }));
  } catch (e) {
    throw awsFailure('SUBNET_LOOKUP_FAILED', `${what}: subnets ${ids.join(', ')}`, e);
  }
  const byId = new Map((out.Subnets ?? []).map((s) => [s.SubnetId ?? '', s]));
  return ids.map((id) => {
    const s = byId.get(id);
    if (!s?.CidrBlock || !s.AvailabilityZoneId) {
      throw new MplError('SUBNET_LOOKUP_FAILED', `${what}: subnet ${id} not found (or without CIDR/AZ ID)`);
    }
    return { id, cidr: s.CidrBlock, azId: s.AvailabilityZoneId };
  });
}
