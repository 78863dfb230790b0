import type { ClientPool } from '../aws/clients.js';
import { ReadBatch } from '../aws/read-batch.js';
import { MplError } from '../errors.js';
import type { Reporter } from '../events.js';
import type { AdminSource } from '../kafka/admin.js';
import { kindDef, type Kind } from '../kinds/index.js';
import type { Handler, HandlerCtx, WaitOptions } from '../kinds/kind.js';
import type { Instance } from '../state/instance.js';
import type { StateStore } from '../state/store.js';

/** What refresh and the engine need to give handlers their context. */
export interface RunDeps {
  stack: string;
  pool: ClientPool;
  store: StateStore;
  wait: WaitOptions;
  reporter: Reporter;
  /** Kafka access for pattern 2's broker settings, prepared on first use. */
  kafka: () => Promise<AdminSource>;
  parallelism: number;
  /** The handler of a kind: the registry's, unless a unit test of the graph walk swaps in fakes. */
  handlerFor?: (kind: Kind) => Handler<Record<string, unknown>>;
  /** A plan's scan and refresh: their batched describe calls (aws/read-batch.ts) and the peers they ask for. */
  reads?: ReadScope;
}

/** A plan's batched reads: one cache, and the physical ids in state by account, region and kind. */
export interface ReadScope {
  batch: ReadBatch;
  peersOf(account: string, region: string, kinds: readonly Kind[]): readonly string[];
}

/** The read scope of a plan (or a lone refresh) over these state entries. */
export function readScope(instances: Iterable<Instance>): ReadScope {
  const byKind = new Map<string, string[]>();
  for (const i of instances) {
    if (i.physicalId === '') continue;
    const key = `${i.account}|${i.region}|${i.kind}`;
    const ids = byKind.get(key);
    if (ids) ids.push(i.physicalId);
    else byKind.set(key, [i.physicalId]);
  }
  return {
    batch: new ReadBatch(),
    peersOf: (account, region, kinds) => kinds.flatMap((k) => byKind.get(`${account}|${region}|${k}`) ?? []),
  };
}

export function handlerOf(deps: Pick<RunDeps, 'handlerFor'>, kind: Kind): Handler<Record<string, unknown>> {
  return deps.handlerFor ? deps.handlerFor(kind) : kindDef(kind).handler;
}

/** A handler's context for a resource in `account`/`region`, over the store's current state. */
export function handlerCtx(
  deps: Omit<RunDeps, 'parallelism'>,
  account: string,
  region: string,
  id?: string,
): HandlerCtx {
  return {
    stack: deps.stack,
    aws: deps.pool.for(account, region),
    awsFor: (a, r) => deps.pool.for(a, r),
    ref: (ref) => {
      const k = deps.store.get(ref);
      if (!k) throw new MplError('REF_MISSING', `${ref} is not made yet`);
      return k;
    },
    idOf: (physicalId) => deps.store.idOf(physicalId),
    wait: deps.wait,
    log: (message, level = 'info') =>
      deps.reporter.emit({ type: 'log', level, message, ...(id === undefined ? {} : { id }) }),
    kafka: deps.kafka,
    ...(deps.reads ? { reads: scopedReads(deps.reads, account, region) } : {}),
  };
}

function scopedReads(scope: ReadScope, account: string, region: string): NonNullable<HandlerCtx['reads']> {
  return { batch: scope.batch, peers: (kinds) => scope.peersOf(account, region, kinds) };
}
