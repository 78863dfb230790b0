import { waitIdle, withIdle } from '../aws/idle.js';
import { MplError } from '../errors.js';
import type { StepName } from '../events.js';
import { kindDef, type Resource } from '../kinds/index.js';
import type { HandlerCtx } from '../kinds/kind.js';
import type { Change } from '../plan/diff.js';
import type { Instance } from '../state/instance.js';
import { handlerCtx, handlerOf, type RunDeps } from './context.js';
import { Gatherer } from './gather.js';
import { walk } from './walk.js';

export interface RetryOptions {
  /** Tries per step, the first included. */
  attempts: number;
  /** Backoff before the second try; doubled each time, with jitter. */
  baseDelayMs: number;
}

export interface EngineOptions extends RunDeps {
  retry?: RetryOptions;
  /** How often the engine reports steps still running. */
  heartbeatMs?: number;
}

/** A step that failed with a retriable error (throttling, a wait that ran out) is tried again. */
export const DEFAULT_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 2_000 };

export interface Step {
  key: string;
  step: StepName;
  change: Change;
  desired?: Resource;
  after: Set<string>;
}

export interface ExecResult {
  done: number;
  failed: Array<{ id: string; step: StepName; error: MplError }>;
  /** Steps never started because an earlier one failed. */
  skipped: number;
}

/** The steps of a plan and the order AWS accepts them in. */
export function stepsOf(changes: Change[], desired: Resource[], state: Instance[]): Step[] {
  const desiredById = new Map(desired.map((r) => [r.id, r]));
  const steps = new Map<string, Step>();
  for (const c of changes) {
    if (c.action === 'delete' || c.action === 'replace')
      steps.set(`delete:${c.id}`, { key: `delete:${c.id}`, step: 'delete', change: c, after: new Set() });
    if (c.action === 'create' || c.action === 'replace' || c.action === 'update') {
      const r = desiredById.get(c.id);
      steps.set(`up:${c.id}`, {
        key: `up:${c.id}`,
        step: c.action === 'update' ? 'update' : 'create',
        change: c,
        ...(r ? { desired: r } : {}),
        after: new Set(),
      });
    }
  }
  // Up steps: after the up steps of what they refer to, and after their own delete (replace).
  for (const s of steps.values()) {
    if (s.step === 'delete') continue;
    for (const d of s.desired?.dependsOn ?? []) s.after.add(`up:${d}`);
    s.after.add(`delete:${s.change.id}`);
  }
  // Delete steps: after the deletes of everything in state that refers to them.
  for (const i of state) for (const d of i.dependsOn) steps.get(`delete:${d}`)?.after.add(`delete:${i.id}`);
  return [...steps.values()];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function asMplError(e: unknown, id: string): MplError {
  return e instanceof MplError
    ? e
    : new MplError('STEP_FAILED', `${id}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/**
 * Runs a plan's changes on the graph walker. Creates and updates wait for what they refer to;
 * deletes wait for the deletion of everything that refers to them; a replace is a delete then a
 * create. A step that fails with a retriable error is tried again (bounded, with backoff). State
 * is written after every step, so a run killed at any point is finished by the next apply. A
 * create that fails for good after AWS made something leaves it tainted: the next plan replaces
 * it. On the first failure no new step starts; running steps finish and are recorded.
 */
export async function execute(
  changes: Change[],
  desired: Resource[],
  deps: EngineOptions,
): Promise<ExecResult> {
  const steps = stepsOf(changes, desired, deps.store.instances());
  const retry = deps.retry ?? DEFAULT_RETRY;
  const result: ExecResult = { done: 0, failed: [], skipped: 0 };
  const running = new Map<string, { step: StepName; since: number }>();
  const heartbeat = setInterval(() => {
    if (running.size === 0) return;
    const now = Date.now();
    deps.reporter.emit({
      type: 'heartbeat',
      running: [...running].map(([id, r]) => ({ id, step: r.step, ms: now - r.since })),
    });
  }, deps.heartbeatMs ?? 10_000);
  heartbeat.unref();

  // Steps whose changes leave together (a zone's records) wait for each other once ready.
  const gatherer = new Gatherer();
  const gatherKeys = new Map<string, string>();
  for (const s of steps) {
    const key =
      s.step !== 'delete' && s.desired
        ? kindDef(s.change.kind).gatherKey?.(s.desired.props as never, s.change.account)
        : undefined;
    if (key === undefined) continue;
    gatherKeys.set(s.key, `${s.change.kind}|${key}`);
    gatherer.expect(`${s.change.kind}|${key}`, s.key);
  }

  try {
    const walked = await walk(steps, deps.parallelism, async (s, control) => {
      const c = s.change;
      const ref = { id: c.id, kind: c.kind, step: s.step, account: c.account, region: c.region };
      deps.reporter.emit({ type: 'start', ...ref });
      const t0 = Date.now();
      running.set(c.id, { step: s.step, since: t0 });
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            // Waits inside the step (provisioning, a Route 53 change) give its slot to others.
            // So do its calls waiting for a rate limiter's token (aws/idle.ts).
            const key = gatherKeys.get(s.key);
            // waitIdle, not control.idle, inside the step: a wait within a wait (a gathered record's
            // INSYNC) must not park the node twice.
            const gather =
              key === undefined
                ? undefined
                : <T>(then: () => Promise<T>) =>
                    waitIdle(async () => {
                      await gatherer.arrive(key, s.key);
                      return then();
                    });
            await withIdle(
              control.idle,
              () => perform(s, { ...deps, wait: { ...deps.wait, idle: waitIdle } }, gather),
              c.id,
            );
            break;
          } catch (e) {
            const err = asMplError(e, c.id);
            if (!err.retriable || attempt >= retry.attempts) throw err;
            const delayMs = Math.round(retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
            deps.reporter.emit({
              type: 'retry',
              ...ref,
              attempt,
              delayMs,
              code: err.code,
              error: err.message,
            });
            await control.idle(() => sleep(delayMs));
          }
        }
        result.done++;
        deps.reporter.emit({ type: 'done', ...ref, ms: Date.now() - t0 });
      } catch (e) {
        const err = asMplError(e, c.id);
        const tainted = s.step === 'create' && s.desired ? await taint(s.desired, deps) : false;
        result.failed.push({ id: c.id, step: s.step, error: err });
        deps.reporter.emit({
          type: 'failed',
          ...ref,
          ms: Date.now() - t0,
          code: err.code,
          error: err.message,
          tainted,
        });
        control.stop();
        gatherer.stop();
      } finally {
        running.delete(c.id);
        gatherer.leave(s.key);
      }
    });
    result.skipped = walked.notStarted;
  } finally {
    clearInterval(heartbeat);
  }
  return result;
}

async function perform(s: Step, deps: EngineOptions, gather?: HandlerCtx['gather']): Promise<void> {
  const c = s.change;
  const handler = handlerOf(deps, c.kind);
  const ctx = { ...handlerCtx(deps, c.account, c.region, c.id), ...(gather ? { gather } : {}) };
  if (s.step === 'delete') {
    const known = deps.store.get(c.id);
    if (known) await handler.delete(ctx, known);
    await deps.store.remove(c.id);
    return;
  }
  const r = s.desired;
  if (!r) throw new Error(`executor bug: no desired resource for ${c.id}`);
  let live;
  if (s.step === 'update') {
    const known = deps.store.get(c.id);
    if (!known) throw new MplError('RESOURCE_GONE', `${c.id}: not in state, cannot update in place`);
    if (!handler.update) throw new MplError('NO_UPDATE', `${c.kind} cannot change in place: ${c.reason}`);
    live = await handler.update(ctx, r, {
      physicalId: known.physicalId,
      props: c.before ?? known.props,
      outputs: known.outputs,
    });
  } else {
    live = await handler.create(ctx, r);
  }
  await deps.store.put(instanceOf(r, live, 'ready'));
}

function instanceOf(
  r: Resource,
  live: { physicalId: string; outputs: Instance['outputs'] },
  status: Instance['status'],
): Instance {
  return {
    id: r.id,
    kind: r.kind,
    account: r.account,
    region: r.region,
    physicalId: live.physicalId,
    // State records the props applied; refresh compares them with what AWS answers.
    props: r.props as Record<string, unknown>,
    dependsOn: r.dependsOn,
    outputs: live.outputs,
    status,
  };
}

/**
 * After a create failed for good: if AWS has something under the resource's identity (an NLB that
 * never became active, an endpoint stuck pending), it is recorded as tainted so the next plan
 * replaces it instead of trusting it. True when something was found.
 */
async function taint(r: Resource, deps: EngineOptions): Promise<boolean> {
  try {
    const live = await handlerOf(deps, r.kind).read(
      handlerCtx(deps, r.account, r.region, r.id),
      r,
      undefined,
    );
    if (live === undefined) return false;
    await deps.store.put(instanceOf(r, live, 'tainted'));
    return true;
  } catch (e) {
    deps.reporter.emit({
      type: 'log',
      level: 'warn',
      id: r.id,
      message: `could not check what the failed create left: ${e instanceof Error ? e.message : String(e)}`,
    });
    return false;
  }
}
