import { MplError } from '../errors.js';
import type { Change } from '../plan/diff.js';
import type { Kind, Resource } from '../plan/resource.js';
import type { StateStore } from '../state/store.js';
import type { ClientPool } from '../aws/clients.js';
import type { Handler, HandlerCtx, HandlerMap, Known, Observed, WaitOptions } from './types.js';

export type ExecEvent =
  | { type: 'start'; id: string; kind: Kind; step: 'create' | 'update' | 'delete'; account: string }
  | {
      type: 'done';
      id: string;
      kind: Kind;
      step: 'create' | 'update' | 'delete';
      account: string;
      ms: number;
    }
  | {
      type: 'failed';
      id: string;
      kind: Kind;
      step: 'create' | 'update' | 'delete';
      account: string;
      ms: number;
      error: string;
    };

export interface ExecDeps {
  stack: string;
  handlers: HandlerMap;
  pool: ClientPool;
  store: StateStore;
  wait: WaitOptions;
  parallelism: number;
  onEvent?: (e: ExecEvent) => void;
  log?: (m: string) => void;
}

interface Step {
  key: string;
  step: 'create' | 'update' | 'delete';
  change: Change;
  desired?: Resource;
  after: Set<string>;
}

export interface ExecResult {
  done: number;
  failed: Array<{ id: string; step: string; error: MplError }>;
  /** Steps never started because an earlier one failed. */
  skipped: number;
}

/** Builds a HandlerCtx for a resource's account over the store's current state. */
export function handlerCtx(
  deps: Pick<ExecDeps, 'stack' | 'pool' | 'store' | 'wait' | 'log'>,
  account: string,
  region: string,
): HandlerCtx {
  return {
    stack: deps.stack,
    aws: deps.pool.for(account, region),
    awsFor: (a, r) => deps.pool.for(a, r),
    ref: (id) => {
      const k = deps.store.known(id);
      if (!k || k.physicalId === undefined) throw new MplError('REF_MISSING', `${id} is not made yet`);
      return k;
    },
    idOf: (physicalId) => deps.store.entries().find(([, r]) => r.physicalId === physicalId)?.[0],
    wait: deps.wait,
    log: (m) => deps.log?.(m),
  };
}

/**
 * Runs a plan's changes as a dependency graph with bounded parallelism. Creates and updates wait
 * for what they refer to; deletes wait for the deletion of everything that refers to them (the
 * order AWS accepts); a replace is a delete then a create. State is written after every step, so
 * a run killed at any point is finished by the next apply. On the first failure no new step
 * starts; running steps finish and are recorded.
 */
export async function execute(changes: Change[], desired: Resource[], deps: ExecDeps): Promise<ExecResult> {
  const desiredById = new Map(desired.map((r) => [r.id, r]));
  const steps = new Map<string, Step>();
  for (const c of changes) {
    if (c.action === 'delete' || c.action === 'replace') {
      steps.set(`delete:${c.id}`, { key: `delete:${c.id}`, step: 'delete', change: c, after: new Set() });
    }
    if (c.action === 'create' || c.action === 'replace' || c.action === 'update') {
      const step = c.action === 'update' ? 'update' : 'create';
      const r = desiredById.get(c.id);
      steps.set(`up:${c.id}`, {
        key: `up:${c.id}`,
        step,
        change: c,
        ...(r ? { desired: r } : {}),
        after: new Set(),
      });
    }
  }
  // Up steps: after the up steps of what they refer to, and after their own delete (replace).
  for (const s of steps.values()) {
    if (s.step === 'delete') continue;
    for (const d of s.desired?.dependsOn ?? []) if (steps.has(`up:${d}`)) s.after.add(`up:${d}`);
    if (steps.has(`delete:${s.change.id}`)) s.after.add(`delete:${s.change.id}`);
  }
  // Delete steps: after the deletes of everything in state that refers to them.
  for (const [id, entry] of deps.store.entries()) {
    for (const d of entry.dependsOn) {
      if (steps.has(`delete:${d}`) && steps.has(`delete:${id}`))
        steps.get(`delete:${d}`)?.after.add(`delete:${id}`);
    }
  }

  const result: ExecResult = { done: 0, failed: [], skipped: 0 };
  const finished = new Set<string>();
  const running = new Map<string, Promise<void>>();
  let stop = false;

  const runStep = async (s: Step): Promise<void> => {
    const c = s.change;
    const event = { id: c.id, kind: c.kind, step: s.step, account: c.account };
    deps.onEvent?.({ type: 'start', ...event });
    const t0 = Date.now();
    try {
      await perform(s, deps);
      result.done++;
      deps.onEvent?.({ type: 'done', ...event, ms: Date.now() - t0 });
    } catch (e) {
      const err =
        e instanceof MplError
          ? e
          : new MplError('STEP_FAILED', `${c.id}: ${e instanceof Error ? e.message : String(e)}`, {
              cause: e,
            });
      result.failed.push({ id: c.id, step: s.step, error: err });
      deps.onEvent?.({ type: 'failed', ...event, ms: Date.now() - t0, error: err.message });
      stop = true;
    }
  };

  for (;;) {
    if (!stop) {
      for (const s of steps.values()) {
        if (running.size >= deps.parallelism) break;
        if (finished.has(s.key) || running.has(s.key)) continue;
        if ([...s.after].every((k) => finished.has(k))) {
          const p = runStep(s).then(() => {
            running.delete(s.key);
            finished.add(s.key);
          });
          running.set(s.key, p);
        }
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  result.skipped = steps.size - finished.size;
  if (!stop && result.skipped > 0) throw new Error('executor bug: steps left with unmet dependencies');
  return result;
}

async function perform(s: Step, deps: ExecDeps): Promise<void> {
  const c = s.change;
  const ctx = handlerCtx(deps, c.account, c.region);
  const handler = deps.handlers[c.kind] as unknown as Handler<Kind>;
  if (s.step === 'delete') {
    const known = deps.store.known(c.id);
    if (known?.physicalId !== undefined) await handler.delete(ctx, known);
    await deps.store.remove(c.id);
    return;
  }
  const r = s.desired;
  if (!r) throw new Error(`executor bug: no desired resource for ${c.id}`);
  let observed: Observed<Kind>;
  if (s.step === 'update') {
    const known = deps.store.known(c.id) as Known;
    const before: Observed<Kind> = {
      id: c.id,
      kind: c.kind,
      physicalId: known.physicalId ?? '',
      props: (c.before ?? known.props) as Observed<Kind>['props'],
      outputs: known.outputs,
    };
    if (!handler.update) throw new MplError('NO_UPDATE', `${c.kind} cannot change in place: ${c.reason}`);
    observed = await handler.update(ctx, r as never, before as never);
  } else {
    observed = await handler.create(ctx, r as never);
  }
  await deps.store.put(c.id, {
    kind: r.kind,
    account: r.account,
    region: r.region,
    physicalId: observed.physicalId,
    props: r.props as Record<string, unknown>,
    dependsOn: r.dependsOn,
    outputs: observed.outputs,
  });
}
