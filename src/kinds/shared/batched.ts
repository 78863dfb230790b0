import type { BatchedRead } from '../../aws/read-batch.js';
import type { Kind } from '../index.js';
import type { HandlerCtx } from '../kind.js';

/**
 * A describe call through the refresh's batch when there is one (aws/read-batch.ts): the peers are
 * the state's physical ids of `peerKinds` in ctx's account and region (those `samePeer` keeps), or
 * `peerIds`. Outside a refresh, `fetchOne` alone.
 */
export function readBatched<T>(
  ctx: HandlerCtx,
  spec: Omit<BatchedRead<T>, 'peers'> & {
    peerKinds?: readonly Kind[];
    samePeer?: (id: string) => boolean;
    peerIds?: readonly string[];
  },
): Promise<T | undefined> {
  if (!ctx.reads) return spec.fetchOne(spec.id);
  const { peerKinds, samePeer, peerIds, ...rest } = spec;
  const reads = ctx.reads;
  const peers = () => {
    const all = peerIds ?? (peerKinds ? reads.peers(peerKinds) : []);
    return samePeer ? all.filter(samePeer) : all;
  };
  return reads.batch.read({ ...rest, peers });
}

/** In a refresh or scan, records what a listing answered for `id`, as a read through `api` would answer it. */
export function primeRead(ctx: HandlerCtx, client: object, api: string, id: string, value: unknown): void {
  ctx.reads?.batch.prime(client, api, id, value);
}

/** A per-resource read made once per plan (aws/read-batch.ts `once`); outside a plan, each time. */
export function readOnce<T>(
  ctx: HandlerCtx,
  client: object,
  api: string,
  id: string,
  fetch: () => Promise<T>,
): Promise<T> {
  return ctx.reads ? ctx.reads.batch.once(client, api, id, fetch) : fetch();
}

/** Every item of every page, by its id: what a batched describe by a filter of ids answers. */
export async function collectById<P, T>(
  pages: AsyncIterable<P>,
  items: (page: P) => readonly T[] | undefined,
  idOf: (item: T) => string | undefined,
): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  for await (const page of pages) for (const item of items(page) ?? []) found.set(idOf(item) ?? '', item);
  return found;
}
