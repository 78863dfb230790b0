// ELBv2 tag calls, shared by the target-group, load-balancer and listener kinds.
import {
  AddTagsCommand,
  DescribeTagsCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Kind } from '../index.js';
import type { HandlerCtx, TagApi } from '../kind.js';
import { primeRead, readBatched } from './batched.js';
import { ofStack } from './scan.js';
import { tagList, tagMap } from './ec2.js';

/** DescribeTags takes at most 20 ARNs per call (ELBv2 API reference). */
const ARNS_PER_CALL = 20;

export const elbTags: TagApi = {
  // In a refresh, with the other ELBv2 resources of the state (20 a call).
  async read(ctx, arn) {
    const tags = await readBatched(ctx, {
      client: ctx.aws.elbv2,
      api: 'elbv2:DescribeTags',
      id: arn,
      peerKinds: ['load-balancer', 'target-group', 'listener'],
      maxIds: ARNS_PER_CALL,
      fetch: (arns) => elbTagsOf(ctx, arns),
      fetchOne: async (one) => {
        const out = await ctx.aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: [one] }));
        return tagMap(out.TagDescriptions?.find((d) => d.ResourceArn === one)?.Tags);
      },
    });
    return tags ?? {};
  },
  // AddTags overwrites values; RemoveTags drops extra keys.
  async write(ctx, arn, set, remove) {
    if (Object.keys(set).length > 0)
      await ctx.aws.elbv2.send(new AddTagsCommand({ ResourceArns: [arn], Tags: tagList(set) }));
    if (remove.length > 0)
      await ctx.aws.elbv2.send(new RemoveTagsCommand({ ResourceArns: [arn], TagKeys: remove }));
  },
};

/** The tags of many ELBv2 resources (load balancers, target groups, listeners of one account), by ARN. */
export async function elbTagsOf(
  ctx: HandlerCtx,
  arns: readonly string[],
): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (let i = 0; i < arns.length; i += ARNS_PER_CALL) {
    const page = await ctx.aws.elbv2.send(
      new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + ARNS_PER_CALL) }),
    );
    for (const d of page.TagDescriptions ?? []) if (d.ResourceArn) out.set(d.ResourceArn, tagMap(d.Tags));
  }
  return out;
}

/**
 * Of `items` (load balancers, target groups or listeners of one account), those tagged with this
 * stack and an id of `kind`, by that id (the first when several carry one id).
 */
export async function stackTagged<T>(
  ctx: HandlerCtx,
  kind: Kind,
  items: readonly T[],
  arnOf: (t: T) => string | undefined,
  labelOf: (t: T) => string,
): Promise<Array<{ id: string; item: T }>> {
  const tags = await elbTagsOf(
    ctx,
    items.flatMap((i) => arnOf(i) ?? []),
  );
  for (const [arn, t] of tags) primeRead(ctx, ctx.aws.elbv2, 'elbv2:DescribeTags', arn, t);
  return ofStack(ctx, kind, items, (i) => tags.get(arnOf(i) ?? ''), labelOf);
}
