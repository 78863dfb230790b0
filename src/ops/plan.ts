import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, validate } from '../config/load.js';
import { unseal } from '../integrity.js';
import { MplError } from '../errors.js';
import { execute, type ExecResult } from '../executor/engine.js';
import { handlerCtx, readScope, type RunDeps } from '../executor/context.js';
import { refresh, type Refreshed } from '../executor/refresh.js';
import { scanPlaces, scanStack } from '../executor/scan.js';
import { withFoundLoadBalancers } from '../planner/input.js';
import { planStack } from '../planner/plan-stack.js';
import { portAssignmentsFrom } from '../planner/ports-found.js';
import { kindDef, KINDS } from '../kinds/index.js';
import type { PreflightItem } from '../kinds/kind.js';
import { hasChanges, summarize } from '../plan/diff.js';
import { compareProps } from '../kinds/kind.js';
import { inputChanges } from '../plan/inputs.js';
import type { Instance } from '../state/instance.js';
import { loadOffline, makePlan } from '../plan/make-plan.js';
import { assertFresh, PlanFileSchema, type PlanFile, type PlanResult } from '../plan/plan-file.js';
import type { Stack } from './stack.js';

/** `--offline`: no AWS call; the inventory from cluster.brokersFile, prior state empty. */
export async function planOffline(configFile: string): Promise<PlanResult> {
  const { input, inputs } = await loadOffline(configFile);
  return makePlan(input, inputs, new Map(), { lineage: null, serial: 0 }, { offline: true });
}

/**
 * AWS is the truth, state a cache: everything tagged with the stack (or hanging off what is) in
 * every account of the config joins the run's state (in memory), pattern 2's port table takes
 * the ports the shared NLB listens on, and NLBs found without a security group are kept so. So a
 * lost or partial state never leads to a duplicate, a moved port, a replaced NLB, or a destroy that
 * forgets what exists. Answers the ids the state did not know.
 */
async function findByTags(stack: Stack, engine: RunDeps): Promise<string[]> {
  const found = await scanStack(engine, scanPlaces(stack.config));
  const added: string[] = [];
  for (const [id, instance] of found) {
    if (stack.store.get(id)) continue;
    stack.store.putInMemory(instance);
    added.push(id);
  }
  const ports = portAssignmentsFrom(found.values());
  stack.input.prior.portAssignments = { ...ports, ...stack.input.prior.portAssignments };
  stack.input.prior.loadBalancersWithoutGroups = withFoundLoadBalancers(
    stack.input.prior.loadBalancersWithoutGroups,
    found.values(),
  );
  return added;
}

/** The stack's engine deps with one read cache (executor/context.ts readScope) for a scan and refresh. */
function readingEngine(stack: Stack): RunDeps {
  return { ...stack.engine, reads: readScope(stack.store.instances()) };
}

/**
 * Plans against live AWS: what the stack has (state, and what AWS holds under its tags), refreshed
 * through every kind's read (describe calls only) together with what the config would make, diffed
 * against the desired resources (none to destroy). State is not written.
 */
export async function planLive(
  stack: Stack,
  opts: { destroy?: boolean } = {},
): Promise<{ plan: PlanResult; refreshed: Refreshed }> {
  const version = stack.store.version;
  // The scan and the refresh read the same resources, and nothing changes between them: one cache.
  const engine = readingEngine(stack);
  const byTags = await findByTags(stack, engine);
  // Destroy reads what the config would make too: broker settings live in Kafka, not under tags.
  const planned = planStack(stack.input);
  const refreshed = await refresh(planned.resources, engine);
  refreshed.adopted.push(...byTags.filter((id) => refreshed.observed.has(id)));
  const plan = makePlan(stack.input, stack.inputs, refreshed.observed, version, {
    offline: false,
    planned,
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
  if (!hasChanges(plan.summary)) {
    // Nothing to change in AWS, but what the refresh found (a lost state, a killed run) is recorded.
    if (stack.store.unsaved()) await stack.store.setPortAssignments(plan.portAssignments);
    return { outcome: 'nothing-to-do', plan };
  }
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

/** Reads and validates a saved plan file; an offline plan is for review only. Its config path is made absolute. */
export async function readPlanFile(file: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new MplError('INVALID_INPUT', 'plan file not found', { where: file });
  }
  const saved = validate(PlanFileSchema, file, unseal(parseDocument(file, text), file, 'plan'));
  if (saved.offline)
    throw new MplError(
      'OFFLINE_PLAN',
      `${file} was made with --offline: it cannot be applied; plan again without it`,
    );
  // Relative to the plan file, so it applies from any directory or runner.
  return { ...saved, configFile: path.resolve(path.dirname(path.resolve(file)), saved.configFile) };
}

/**
 * Where the live resources no longer are what a saved plan saw: a resource it would create that
 * exists now, one it saw that is gone, or one whose props differ from the plan's `before`.
 */
function liveDrift(saved: PlanFile, observed: ReadonlyMap<string, Instance>): string[] {
  const out: string[] = [];
  for (const c of saved.changes) {
    const o = observed.get(c.id);
    if (c.action === 'create') {
      if (o) out.push(`${c.id} exists now (made outside this plan)`);
      continue;
    }
    if (!o) {
      out.push(`${c.id} is gone`);
      continue;
    }
    if (o.status === 'tainted' && c.action !== 'replace') {
      out.push(`${c.id} is tainted now`);
      continue;
    }
    const { changed } = compareProps(kindDef(c.kind), c.before ?? {}, o.props);
    if (changed.length > 0) out.push(`${c.id}: ${changed.join(', ')} changed`);
  }
  return out;
}

/**
 * Applies a saved plan as saved (Terraform's contract): refused, naming what differs, when an
 * input it read (config, inventory or the brokers MSK lists, CA file), the state (lineage, serial)
 * or a live resource it touches no longer matches what the plan saw; otherwise its changes run
 * with its props, with no second confirmation (the plan was reviewed).
 */
export async function applySaved(stack: Stack, saved: PlanFile): Promise<ApplyOutcome> {
  if (saved.stack !== stack.config.name)
    throw new MplError(
      'STALE_PLAN',
      `the plan is for stack "${saved.stack}", the config for "${stack.config.name}"`,
    );
  const inputs = inputChanges(saved.inputs, stack.inputs);
  if (inputs.length > 0)
    throw new MplError(
      'STALE_PLAN',
      `the inputs changed since the plan was made: ${inputs.join('; ')}: make a new plan`,
    );
  assertFresh(saved, stack.store.version);
  const engine = readingEngine(stack);
  const byTags = await findByTags(stack, engine);
  const candidates = saved.destroy ? planStack(stack.input).resources : saved.desired;
  const refreshed = await refresh(candidates, engine);
  const seen = new Set(saved.changes.map((c) => c.id));
  const drift = [
    ...byTags.filter((id) => !seen.has(id)).map((id) => `${id} exists now (made outside this plan)`),
    ...liveDrift(saved, refreshed.observed),
  ];
  if (drift.length > 0)
    throw new MplError(
      'STALE_PLAN',
      `the live resources changed since the plan was made: ${drift.join('; ')}: make a new plan`,
    );
  const plan: PlanResult = {
    stack: saved.stack,
    configFile: saved.configFile,
    inputs: saved.inputs,
    offline: false,
    destroy: saved.destroy,
    state: saved.state,
    desired: saved.desired,
    portAssignments: saved.portAssignments,
    changes: saved.changes,
    summary: summarize(saved.changes),
    // Lint ran when the plan was made: a plan with lint errors is never saved.
    findings: [],
  };
  return applyPlan(stack, plan, () => Promise.resolve(true));
}
