import { execute, type ExecEvent, type ExecResult } from '../executor/engine.js';
import { refresh, type Refreshed } from '../executor/refresh.js';
import type { HandlerMap, WaitOptions } from '../executor/types.js';
import { MplError } from '../errors.js';
import { diff, summarize } from '../plan/diff.js';
import type { PlanResult } from '../plan/plan-file.js';
import { lint } from '../planner/lint.js';
import { planStack } from '../planner/plan-stack.js';
import type { Stack } from './stack.js';

export interface RunOptions {
  handlers: HandlerMap;
  wait?: WaitOptions;
  parallelism?: number;
  onEvent?: (e: ExecEvent) => void;
  log?: (m: string) => void;
  /** Runs before the first change (pattern 2: checks Kafka will accept the listener change). */
  preflight?: (plan: PlanResult) => Promise<void>;
}

/** Real AWS: NLBs take minutes to become active (AWS-NOTES "Provisioning times"). */
export const DEFAULT_WAIT: WaitOptions = { intervalMs: 5_000, timeoutMs: 30 * 60_000 };

function deps(stack: Stack, opts: RunOptions) {
  return {
    stack: stack.config.name,
    handlers: opts.handlers,
    pool: stack.pool,
    store: stack.store,
    wait: opts.wait ?? DEFAULT_WAIT,
    parallelism: opts.parallelism ?? 8,
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  };
}

/**
 * Plans against live AWS: the desired resources (none for destroy), refreshed through every
 * handler's read, diffed. Describe calls only; state is not written.
 */
export async function planLive(
  stack: Stack,
  mode: 'apply' | 'destroy',
  opts: RunOptions,
): Promise<{ plan: PlanResult; refreshed: Refreshed }> {
  const desired = mode === 'destroy' ? { resources: [], portAssignments: {} } : planStack(stack.input);
  const findings = mode === 'destroy' ? [] : lint(stack.input, desired.resources);
  const version = stack.store.version;
  const refreshed = await refresh(desired.resources, deps(stack, opts));
  const changes = diff(desired.resources, refreshed.observed);
  return {
    refreshed,
    plan: {
      stack: stack.config.name,
      configFile: stack.configFile,
      configDigest: stack.configDigest,
      offline: false,
      state: version,
      desired: desired.resources,
      portAssignments: desired.portAssignments,
      changes,
      summary: summarize(changes),
      findings,
    },
  };
}

export function hasChanges(plan: PlanResult): boolean {
  const s = plan.summary;
  return s.create + s.update + s.replace + s.delete > 0;
}

/**
 * Applies a plan made by planLive in this process (the store holds what its refresh found).
 * Lint errors and a failed preflight stop it before any change.
 */
export async function applyLive(stack: Stack, plan: PlanResult, opts: RunOptions): Promise<ExecResult> {
  const errors = plan.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    throw new MplError(
      'LINT_ERRORS',
      `the plan has lint errors: ${errors.map((e) => `${e.code} ${e.message}`).join('; ')}`,
    );
  }
  if (opts.preflight) await opts.preflight(plan);
  if (Object.keys(plan.portAssignments).length > 0)
    await stack.store.setPortAssignments(plan.portAssignments);
  else await stack.store.flush(); // records what the refresh adopted, so a failed first step keeps it
  return execute(plan.changes, plan.desired, deps(stack, opts));
}
