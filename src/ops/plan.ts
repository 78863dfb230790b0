import { readFile } from 'node:fs/promises';
import { parseDocument, validate } from '../config/load.js';
import { MplError } from '../errors.js';
import { execute, type ExecResult } from '../executor/engine.js';
import { handlerCtx } from '../executor/context.js';
import { refresh, type Refreshed } from '../executor/refresh.js';
import { kindDef, KINDS } from '../kinds/index.js';
import type { PreflightItem } from '../kinds/kind.js';
import { hasChanges } from '../plan/diff.js';
import { loadOffline, makePlan } from '../plan/make-plan.js';
import { assertFresh, PlanFileSchema, type PlanFile, type PlanResult } from '../plan/plan-file.js';
import type { Stack } from './stack.js';

/** `--offline`: no AWS call; the inventory from cluster.brokersFile, prior state empty. */
export async function planOffline(configFile: string): Promise<PlanResult> {
  const { input, configDigest } = await loadOffline(configFile);
  return makePlan(input, configDigest, new Map(), { lineage: null, serial: 0 }, { offline: true });
}

/**
 * Plans against live AWS: the desired resources (none to destroy), refreshed through every kind's
 * read (describe calls only), diffed. State is not written.
 */
export async function planLive(
  stack: Stack,
  opts: { destroy?: boolean } = {},
): Promise<{ plan: PlanResult; refreshed: Refreshed }> {
  const version = stack.store.version;
  const desired = opts.destroy
    ? []
    : makePlan(stack.input, stack.configDigest, new Map(), version, { offline: false }).desired;
  const refreshed = await refresh(desired, stack.engine);
  const plan = makePlan(stack.input, stack.configDigest, refreshed.observed, version, {
    offline: false,
    ...(opts.destroy ? { destroy: true } : {}),
  });
  return { plan, refreshed };
}

/** Asks whether to go ahead with a plan (the CLI asks on a terminal; a library caller decides). */
export type Confirm = (plan: PlanResult) => Promise<boolean>;

export type ApplyOutcome =
  | { outcome: 'nothing-to-do'; plan: PlanResult }
  | { outcome: 'cancelled'; plan: PlanResult }
  | { outcome: 'applied'; plan: PlanResult; result: ExecResult };

/**
 * Applies a plan made by planLive on this stack (the store holds what its refresh found). Lint
 * errors and a failed preflight stop it before any change; `confirm` is asked when there are changes.
 */
export async function applyPlan(stack: Stack, plan: PlanResult, confirm: Confirm): Promise<ApplyOutcome> {
  const errors = plan.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    throw new MplError(
      'LINT_ERRORS',
      `the plan has lint errors: ${errors.map((e) => `${e.code} ${e.message}`).join('; ')}`,
    );
  }
  if (!hasChanges(plan.summary)) return { outcome: 'nothing-to-do', plan };
  if (!(await confirm(plan))) return { outcome: 'cancelled', plan };
  await preflight(stack, plan);
  if (Object.keys(plan.portAssignments).length > 0)
    await stack.store.setPortAssignments(plan.portAssignments);
  else await stack.store.flush(); // records what the refresh adopted, so a failed first step keeps it
  const result = await execute(plan.changes, plan.desired, stack.engine);
  return { outcome: 'applied', plan, result };
}

/** Each kind's preflight over its changes (pattern 2: Kafka accepts the listener change), before any change. */
async function preflight(stack: Stack, plan: PlanResult): Promise<void> {
  const desired = new Map(plan.desired.map((r) => [r.id, r]));
  for (const kind of KINDS) {
    const def = kindDef(kind);
    if (!def.preflight) continue;
    const items: Array<PreflightItem<Record<string, unknown>>> = plan.changes.flatMap((c) => {
      const r = desired.get(c.id);
      if (c.kind !== kind || c.action === 'noop' || c.action === 'delete' || !r) return [];
      return [{ action: c.action, props: r.props as Record<string, unknown> }];
    });
    if (items.length > 0)
      await def.preflight(
        handlerCtx(stack.engine, stack.config.provider.account, stack.config.region),
        items,
      );
  }
}

/** Plans and applies in one go (`apply --config`, and `destroy`). */
export async function apply(
  stack: Stack,
  confirm: Confirm,
  opts: { destroy?: boolean } = {},
): Promise<ApplyOutcome> {
  const { plan } = await planLive(stack, opts);
  return applyPlan(stack, plan, confirm);
}

/** Removes everything the stack made and restores broker settings: a plan with nothing desired. */
export function destroy(stack: Stack, confirm: Confirm): Promise<ApplyOutcome> {
  return apply(stack, confirm, { destroy: true });
}

/** Reads and validates a saved plan file; an offline plan is for review only. */
export async function readPlanFile(file: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new MplError('INVALID_INPUT', 'plan file not found', { where: file });
  }
  const saved = validate(PlanFileSchema, file, parseDocument(file, text));
  if (saved.offline)
    throw new MplError(
      'OFFLINE_PLAN',
      `${file} was made with --offline: it cannot be applied; plan again without it`,
    );
  return saved;
}

/**
 * Applies a saved plan, refused when stale: the config changed, the state moved on (lineage,
 * serial), or the live resources no longer give the same changes.
 */
export async function applySaved(stack: Stack, saved: PlanFile): Promise<ApplyOutcome> {
  if (saved.configDigest !== stack.configDigest)
    throw new MplError('STALE_PLAN', `${stack.configFile} changed since the plan was made: make a new plan`);
  assertFresh(saved, stack.store.version);
  const { plan } = await planLive(stack, { destroy: saved.destroy });
  const key = (cs: Array<{ action: string; id: string }>) =>
    cs
      .filter((c) => c.action !== 'noop')
      .map((c) => `${c.action} ${c.id}`)
      .sort()
      .join('\n');
  if (key(saved.changes) !== key(plan.changes))
    throw new MplError('STALE_PLAN', 'the live resources changed since the plan was made: make a new plan');
  // The plan was reviewed: no second confirmation.
  return applyPlan(stack, plan, () => Promise.resolve(true));
}
