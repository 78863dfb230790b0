// What the VPC Lattice kinds (resource gateway, resource configuration) share: tags by ARN, and
// finding one of the account's resources by its name (names are unique per account and region,
// VPC Lattice API reference, CreateResourceGateway and CreateResourceConfiguration `name`).
import {
  ListResourceConfigurationsCommand,
  ListResourceGatewaysCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type ResourceConfigurationSummary,
  type ResourceGatewaySummary,
} from '@aws-sdk/client-vpc-lattice';
import { classify, errorName } from '../../aws/errors.js';
import type { Instance } from '../../state/instance.js';
import type { HandlerCtx, TagApi } from '../kind.js';
import { poll } from './poll.js';
import { readOnce } from './batched.js';

/** Tags of any VPC Lattice resource, by its ARN (TagResource, UntagResource, ListTagsForResource). */
export const latticeTags: TagApi = {
  // VPC Lattice reads tags one ARN at a time: once per plan (its scan and refresh both read them).
  read: (ctx, arn) =>
    readOnce(ctx, ctx.aws.lattice, 'vpc-lattice:ListTagsForResource', arn, async () => {
      const out = await ctx.aws.lattice.send(new ListTagsForResourceCommand({ resourceArn: arn }));
      return { ...(out.tags ?? {}) };
    }),
  async write(ctx, arn, set, remove) {
    if (Object.keys(set).length > 0)
      await ctx.aws.lattice.send(new TagResourceCommand({ resourceArn: arn, tags: set }));
    if (remove.length > 0)
      await ctx.aws.lattice.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: remove }));
  },
};

/** Every resource gateway of ctx's account and region, page by page. */
export async function listGateways(ctx: HandlerCtx): Promise<ResourceGatewaySummary[]> {
  const out: ResourceGatewaySummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.aws.lattice.send(new ListResourceGatewaysCommand({ nextToken }));
    out.push(...(page.items ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** Resource configurations of ctx's account and region, optionally the children of one group. */
export async function listConfigurations(
  ctx: HandlerCtx,
  groupArn?: string,
): Promise<ResourceConfigurationSummary[]> {
  const out: ResourceConfigurationSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.aws.lattice.send(
      new ListResourceConfigurationsCommand({
        nextToken,
        ...(groupArn === undefined ? {} : { resourceConfigurationGroupIdentifier: groupArn }),
      }),
    );
    out.push(...(page.items ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** VPC Lattice statuses after which a resource never serves again: the next plan makes a new one. */
export const LATTICE_GONE = new Set(['DELETE_IN_PROGRESS', 'CREATE_FAILED', 'DELETE_FAILED']);

/**
 * The found children of a group configuration, in the planner's order (by broker id): what a share
 * and a resource endpoint depend on besides the group, so a scanned dependency list is the plan's.
 */
export function childrenOf(found: ReadonlyMap<string, Instance>, groupId: string): string[] {
  const brokerId = (id: string) => Number(/^b-(\d+)\//.exec(id)?.[1] ?? Number.MAX_SAFE_INTEGER);
  return [...found.values()]
    .filter((i) => i.kind === 'resource-configuration' && i.props.group === groupId)
    .map((i) => i.id)
    .sort((a, b) => brokerId(a) - brokerId(b));
}

/**
 * Deletes once nothing uses the resource any more: VPC Lattice answers ConflictException while a
 * configuration still uses a gateway, or an endpoint (still deleting) a configuration, so the
 * delete is tried again until the waits' timeout rather than failing the destroy.
 */
export async function deleteWhenFree(
  ctx: HandlerCtx,
  what: string,
  call: () => Promise<unknown>,
): Promise<void> {
  await poll(`${what} to be free to delete`, ctx.wait, async () => {
    try {
      await call();
      return { done: true, value: undefined };
    } catch (e) {
      if (classify(e) === 'in-use') return { done: false, state: `in use (${errorName(e)})` };
      throw e;
    }
  });
}
