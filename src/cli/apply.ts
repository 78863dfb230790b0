import { readFile } from 'node:fs/promises';
import { parseDocument, validate } from '../config/load.js';
import { MplError } from '../errors.js';
import type { ExecEvent, ExecResult } from '../executor/engine.js';
import { assertFresh, PlanFileSchema } from '../plan/plan-file.js';
import { planJson, renderPlan } from '../plan/render.js';
import { applyLive, hasChanges, planLive } from '../ops/operations.js';
import type { GlobalOptions, Io } from './io.js';
import { progressRenderer } from './progress.js';
import { closing, confirm, openLive, type LiveSession } from './session.js';

export interface ApplyOptions {
  planFile?: string;
  config?: string;
  autoApprove?: boolean;
  json?: boolean;
}

/** `apply`: applies a saved plan (refused when stale), or plans and applies after confirmation. */
export async function applyCommand(opts: ApplyOptions, global: GlobalOptions, io: Io): Promise<number> {
  let configFile = opts.config;
  let saved: ReturnType<typeof PlanFileSchema.parse> | undefined;
  if (opts.planFile !== undefined) {
    saved = validate(
      PlanFileSchema,
      opts.planFile,
      parseDocument(opts.planFile, await readFileOr(opts.planFile)),
    );
    if (saved.offline)
      throw new MplError(
        'OFFLINE_PLAN',
        `${opts.planFile} was made with --offline: it cannot be applied; plan again without it`,
      );
    configFile ??= saved.configFile;
  }
  if (configFile === undefined) throw new MplError('USAGE', 'give a saved plan file or --config FILE');
  const session = await openLive(configFile, global, `apply (pid ${process.pid})`);
  return closing(session, () => applyOpened(session, saved, opts, io));
}

async function applyOpened(
  session: LiveSession,
  saved: ReturnType<typeof PlanFileSchema.parse> | undefined,
  opts: ApplyOptions,
  io: Io,
): Promise<number> {
  const { stack } = session;
  const configFile = stack.configFile;
  if (saved) {
    if (saved.configDigest !== stack.configDigest) {
      throw new MplError('STALE_PLAN', `${configFile} changed since the plan was made: make a new plan`);
    }
    assertFresh(saved, stack.store.version);
  }
  const { plan } = await planLive(stack, 'apply', session);
  if (saved) {
    const key = (cs: Array<{ action: string; id: string }>) =>
      cs
        .filter((c) => c.action !== 'noop')
        .map((c) => `${c.action} ${c.id}`)
        .sort()
        .join('\n');
    if (key(saved.changes) !== key(plan.changes)) {
      throw new MplError('STALE_PLAN', 'the live resources changed since the plan was made: make a new plan');
    }
  } else if (!opts.json) {
    io.out(renderPlan(plan.changes, plan.summary, plan.findings, { color: io.color }));
  }
  if (!hasChanges(plan)) {
    if (opts.json)
      io.out(
        `${JSON.stringify({ type: 'summary', ...planJson(plan.changes, plan.summary, plan.findings) })}\n`,
      );
    else io.out('Apply complete! Nothing to change.\n');
    return 0;
  }
  if (!saved && !(await confirm('Do you want to perform these actions?', opts.autoApprove))) {
    io.err('Apply cancelled.\n');
    return 1;
  }
  return runAndReport((onEvent) => applyLive(stack, plan, { ...session, onEvent }), opts, io, 'Apply');
}

async function readFileOr(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new MplError('INVALID_INPUT', 'plan file not found', { where: file });
  }
}

/** Runs the executor with progress and prints the outcome; exit 1 when a step failed. */
export async function runAndReport(
  run: (onEvent: (e: ExecEvent) => void) => Promise<ExecResult>,
  opts: { json?: boolean },
  io: Io,
  what: 'Apply' | 'Destroy',
): Promise<number> {
  const progress = progressRenderer(io, opts.json === true);
  let result: ExecResult;
  try {
    result = await run(progress.onEvent);
  } finally {
    progress.stop();
  }
  if (opts.json) {
    io.out(
      `${JSON.stringify({ type: 'summary', done: result.done, failed: result.failed.map((f) => ({ id: f.id, step: f.step, code: f.error.code, error: f.error.message })), skipped: result.skipped })}\n`,
    );
  }
  if (result.failed.length > 0) {
    for (const f of result.failed)
      io.err(`error [${f.error.code}]: ${f.id} (${f.step}): ${f.error.describe()}\n`);
    io.err(
      `${what} stopped: ${result.done} step(s) done, ${result.skipped} not started. State is saved: run ${what.toLowerCase()} again to finish.\n`,
    );
    return 1;
  }
  if (!opts.json) io.out(`\n${what} complete! ${result.done} step(s) done.\n`);
  return 0;
}
