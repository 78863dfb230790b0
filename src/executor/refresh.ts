import { MplError } from '../errors.js';
import type { Resource } from '../kinds/index.js';
import type { Instance } from '../state/instance.js';
import { handlerCtx, handlerOf, readScope, type RunDeps } from './context.js';
import { walk } from './walk.js';

export interface Refreshed {
  /** What exists, by logical id (state entries refreshed from AWS, and what was adopted). */
  observed: Map<string, Instance>;
  /** In state but gone from AWS (deleted out of band). */
  vanished: string[];
  /** Found by name and tags but not in state (made by a run that was killed). */
  adopted: string[];
}

/**
 * Reads every resource of the plan and of the state through its kind's handler (describe calls
 * only), dependencies first, so a read can resolve the ids it refers to. What a read finds is put
 * into the store in memory only (never written by a refresh), so dependents' reads and the diff see it.
 */
export async function refresh(desired: Resource[], deps: RunDeps): Promise<Refreshed> {
  const { store, reporter } = deps;
  const desiredById = new Map(desired.map((r) => [r.id, r]));
  type Item = { id: string; dependsOn: string[]; kind: Resource['kind']; account: string; region: string };
  const items = new Map<string, Item>();
  for (const r of desired) items.set(r.id, r);
  for (const i of store.instances()) if (!items.has(i.id)) items.set(i.id, i);
  const out: Refreshed = { observed: new Map(), vanished: [], adopted: [] };
  const total = items.size;
  const t0 = Date.now();
  let done = 0;
  const progress = (phase: 'start' | 'progress' | 'done') =>
    reporter.emit({ type: 'refresh', phase, done, total, found: out.observed.size, ms: Date.now() - t0 });
  progress('start');

  // Describe calls that take many ids ask for the state's other resources of the kind at once (a
  // plan shares its scan's answers: deps.reads).
  const reads = deps.reads ?? readScope(store.instances());
  const nodes = [...items.values()].map((item) => ({ key: item.id, after: item.dependsOn, item }));
  await walk(nodes, deps.parallelism, async ({ item }) => {
    const known = store.get(item.id);
    const ctx = handlerCtx({ ...deps, reads }, item.account, item.region, item.id);
    let live;
    try {
      live = await handlerOf(deps, item.kind).read(ctx, desiredById.get(item.id), known);
    } catch (e) {
      // A dependency that does not exist means this one cannot either.
      if (!(e instanceof MplError && e.code === 'REF_MISSING')) throw e;
    }
    done++;
    progress('progress');
    if (live === undefined) {
      if (known !== undefined) out.vanished.push(item.id);
      return;
    }
    if (known === undefined) out.adopted.push(item.id);
    const instance: Instance = {
      id: item.id,
      kind: item.kind,
      account: item.account,
      region: item.region,
      physicalId: live.physicalId,
      props: live.props,
      dependsOn: known?.dependsOn ?? item.dependsOn,
      // Outputs a read cannot see again (pattern 2's original broker settings) are kept.
      outputs: { ...known?.outputs, ...live.outputs },
      status: live.unusable ? 'tainted' : (known?.status ?? 'ready'),
    };
    out.observed.set(item.id, instance);
    // State keeps the props last applied (what delete and later reads start from); the diff compares live ones.
    store.putInMemory({ ...instance, props: known?.props ?? live.props });
  });
  progress('done');
  // What vanished is dropped from the working state, so the plan recreates it and deletes skip it.
  for (const id of out.vanished) store.forgetInMemory(id);
  return out;
}
