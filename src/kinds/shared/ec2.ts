// EC2 helpers shared by the kinds EC2 owns (security groups, rules, endpoint services, endpoints):
// tag lists and tag writes, canonical ordering of unordered answers, subnet look-ups.
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  type Subnet,
  type Tag,
  type TagSpecification,
} from '@aws-sdk/client-ec2';
import { MplError } from '../../errors.js';
import { attempt, orGone, type HandlerCtx, type TagApi } from '../kind.js';
import { readBatched } from './batched.js';

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

/** EC2 TagSpecifications for a create call, so a resource is never visible untagged. */
export function tagSpec(
  resourceType: TagSpecification['ResourceType'],
  tags: Record<string, string>,
): TagSpecification[] {
  return [{ ResourceType: resourceType, Tags: tagList(tags) }];
}

/** EC2's tag calls (CreateTags overwrites values, DeleteTags drops keys; DescribeTags reads). */
export const ec2Tags: TagApi = {
  async read(ctx, resourceId) {
    const out = await ctx.aws.ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [resourceId] }] }),
    );
    return tagMap(out.Tags?.filter((t) => t.ResourceId === resourceId));
  },
  async write(ctx, resourceId, set, remove) {
    if (Object.keys(set).length > 0)
      await ctx.aws.ec2.send(new CreateTagsCommand({ Resources: [resourceId], Tags: tagList(set) }));
    if (remove.length > 0)
      await ctx.aws.ec2.send(
        new DeleteTagsCommand({ Resources: [resourceId], Tags: remove.map((Key) => ({ Key })) }),
      );
  },
};

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

/** `actual` strings in `desired`'s order, anything else after it, sorted. */
export function orderStringsLike(
  actual: readonly string[],
  desired: readonly string[] | undefined,
): string[] {
  return orderLike(actual, desired, (s) => s, compareStrings);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface SubnetInfo {
  id: string;
  cidr: string;
  azId: string;
}

/**
 * Subnets by id, each read once per refresh: thirty NLBs or endpoints in the same three subnets
 * make one DescribeSubnets, not thirty (aws/read-batch.ts). Outside a refresh, one call for `ids`.
 * An unknown subnet is undefined.
 */
async function subnetsRead(ctx: HandlerCtx, ids: readonly string[]): Promise<Array<Subnet | undefined>> {
  const describe = async (some: string[]) => {
    const out = await ctx.aws.ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: some }] }),
    );
    return new Map((out.Subnets ?? []).map((s) => [s.SubnetId ?? '', s]));
  };
  if (!ctx.reads) {
    const m = await describe([...ids]);
    return ids.map((id) => m.get(id));
  }
  return Promise.all(
    ids.map((id) =>
      readBatched(ctx, {
        client: ctx.aws.ec2,
        api: 'ec2:DescribeSubnets',
        id,
        peerIds: ids,
        // 100 taken (a resource has a subnet per AZ, so far fewer are ever asked together).
        maxIds: 100,
        fetch: describe,
        fetchOne: async (one) => (await describe([one])).get(one),
      }),
    ),
  );
}

/** Subnets by id (CIDR and AZ ID), in the order asked, read once per plan. A subnet that does not exist is an error. */
export async function subnetsOf(
  ctx: HandlerCtx,
  ids: readonly string[],
  what: string,
): Promise<SubnetInfo[]> {
  if (ids.length === 0) return [];
  const found = await attempt('SUBNET_LOOKUP_FAILED', `${what}: subnets ${ids.join(', ')}`, () =>
    subnetsRead(ctx, ids),
  );
  return ids.map((id, i) => {
    const s = found[i];
    if (!s?.CidrBlock || !s.AvailabilityZoneId) {
      throw new MplError('SUBNET_LOOKUP_FAILED', `${what}: subnet ${id} not found (or without CIDR/AZ ID)`);
    }
    return { id, cidr: s.CidrBlock, azId: s.AvailabilityZoneId };
  });
}

/**
 * The AZ IDs of an endpoint's or gateway's subnets, in their order (AWS reports subnet ids only). A
 * subnet deleted under the resource keeps '' so the diff shows it.
 */
export async function azIdsOfSubnets(ctx: HandlerCtx, subnetIds: string[]): Promise<string[]> {
  if (subnetIds.length === 0) return [];
  const found = await orGone(`subnets ${subnetIds.join(', ')}`, () => subnetsRead(ctx, subnetIds));
  return subnetIds.map((_, i) => found?.[i]?.AvailabilityZoneId ?? '');
}
