import { MplError } from '../errors.js';
import { topoSort, type ObservedResource } from '../plan/diff.js';
import type { Kind, Resource } from '../plan/resource.js';
import { handlerCtx, type ExecDeps } from './engine.js';
import type { Handler, Observed } from './types.js';

export interface Refreshed {
  observed: Map<string, ObservedResource>;
  /** Live outputs of what exists, for adoption into state at apply time. */
  live: Map<string, Observed>;
  /** In state but gone from AWS (deleted out of band). */
  vanished: string[];
  /** Found by name and tags but not in state (made by a run that was killed). */
  adopted: string[];
}

/**
 * Reads every resource of the plan and of the state through its handler (describe calls only),
 * dependencies first, so a read can resolve the ids it refers to. What a read finds is put into the
 * store in memory only (never written by a refresh), so that dependents' reads and the diff see it.
 */
export async function refresh(
  desired: Resource[],
  deps: Omit<ExecDeps, 'parallelism'> & { parallelism?: number },
): Promise<Refreshed> {
  const store = deps.store;
  const desiredById = new Map(desired.map((r) => [r.id, r]));
  type Item = { id: string; dependsOn: string[]; kind: Kind; account: string; region: string };
  const items = new Map<string, Item>();
  for (const r of desired) items.set(r.id, r);
  for (const [id, e] of store.entries()) if (!items.has(id)) items.set(id, { id, ...e });
  const out: Refreshed = { observed: new Map(), live: new Map(), vanished: [], adopted: [] };
  const pending = new Map<string, Promise<void>>();
  const limit = deps.parallelism ?? 8;
  let active = 0;
  const waiters: Array<() => void> = [];
  const slot = async () => {
    while (active >= limit) await new Promise<void>((r) => waiters.push(r));
    active++;
  };
  const release = () => {
    active--;
    waiters.shift()?.();
  };

  const readOne = async (item: Item): Promise<void> => {
    await Promise.all(item.dependsOn.map((d) => pending.get(d)));
    await slot();
    try {
      const known = store.known(item.id);
      const handler = deps.handlers[item.kind] as unknown as Handler<Kind>;
      const ctx = handlerCtx(deps, item.account, item.region);
      let o: Observed | undefined;
      try {
        o = await handler.read(ctx, desiredById.get(item.id) as never, known);
      } catch (e) {
        // A dependency that does not exist means this one cannot either.
        if (e instanceof MplError && e.code === 'REF_MISSING') o = undefined;
        else throw e;
      }
      if (o === undefined) {
        if (known?.physicalId !== undefined) out.vanished.push(item.id);
        return;
      }
      if (known === undefined) out.adopted.push(item.id);
      out.live.set(item.id, o);
      const stateEntry = store.state.resources[item.id];
      out.observed.set(item.id, {
        id: item.id,
        kind: item.kind,
        account: item.account,
        region: item.region,
        props: o.props as Record<string, unknown>,
        dependsOn: stateEntry?.dependsOn ?? item.dependsOn,
        physicalId: o.physicalId,
        tainted: stateEntry?.tainted ?? false,
      });
      store.putInMemory(item.id, {
        kind: item.kind,
        account: item.account,
        region: item.region,
        physicalId: o.physicalId,
        props: stateEntry?.props ?? (o.props as Record<string, unknown>),
        dependsOn: stateEntry?.dependsOn ?? item.dependsOn,
        outputs: { ...(stateEntry?.outputs as Observed['outputs'] | undefined), ...o.outputs },
      });
    } finally {
      release();
    }
  };

  for (const item of topoSort([...items.values()])) pending.set(item.id, readOne(item));
  await Promise.all(pending.values());
  // What vanished is dropped from the working state, so the plan recreates it and deletes skip it.
  for (const id of out.vanished) store.forgetInMemory(id);
  return out;
}
