import type { ExecResult } from '../executor/engine.js';
import { applySaved, apply, destroy, readPlanFile, type ApplyOutcome, type Confirm } from '../ops/plan.js';
import { withStack } from '../ops/stack.js';
import type { PlanFile } from '../plan/plan-file.js';
import { planJson } from '../plan/plan-json.js';
import { renderPlan } from '../plan/render.js';
import { MplError } from '../errors.js';
import type { GlobalOptions, Io } from './io.js';
import { stackOptions, terminalConfirm } from './session.js';
import { viewReporter } from './view.js';

export interface ApplyOptions {
  planFile?: string;
  config?: string;
  autoApprove?: boolean;
  json?: boolean;
}

/** `apply`: applies a saved plan (refused when stale), or plans and applies after confirmation. */
export async function applyCommand(opts: ApplyOptions, global: GlobalOptions, io: Io): Promise<number> {
  let saved: PlanFile | undefined;
  if (opts.planFile !== undefined) saved = await readPlanFile(opts.planFile);
  const configFile = opts.config ?? saved?.configFile;
  if (configFile === undefined) throw new MplError('USAGE', 'give a saved plan file or --config FILE');
  const reporter = viewReporter(io, { json: opts.json === true, verbose: global.verbose });
  const outcome = await withStack(configFile, stackOptions(global, reporter, 'apply'), (stack) =>
    saved
      ? applySaved(stack, saved)
      : apply(stack, showThenConfirm(io, opts, 'Do you want to perform these actions?')),
  );
  return report(outcome, opts, io, 'Apply');
}

/** `destroy`: a plan whose desired set is empty (a planning mode, not a second code path). */
export async function destroyCommand(
  opts: { config: string; autoApprove?: boolean; json?: boolean },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const reporter = viewReporter(io, { json: opts.json === true, verbose: global.verbose });
  const outcome = await withStack(opts.config, stackOptions(global, reporter, 'destroy'), (stack) =>
    destroy(stack, showThenConfirm(io, opts, 'Do you really want to destroy all resources of this stack?')),
  );
  return report(outcome, opts, io, 'Destroy');
}

/** Shows the plan (human view), then asks. */
function showThenConfirm(io: Io, opts: { json?: boolean; autoApprove?: boolean }, question: string): Confirm {
  const ask = terminalConfirm(question, opts.autoApprove);
  return (plan) => {
    if (!opts.json)
      io.out(
        renderPlan(plan.changes, plan.summary, plan.findings, {
          color: io.color,
          ...(io.columns === undefined ? {} : { width: io.columns }),
        }),
      );
    return ask(plan);
  };
}

/** Prints the outcome; exit 1 when cancelled or a step failed. */
function report(outcome: ApplyOutcome, opts: { json?: boolean }, io: Io, what: 'Apply' | 'Destroy'): number {
  const { plan } = outcome;
  if (outcome.outcome === 'nothing-to-do') {
    if (opts.json)
      io.out(
        `${JSON.stringify({ type: 'summary', ...planJson(plan.changes, plan.summary, plan.findings) })}\n`,
      );
    else
      io.out(
        what === 'Apply'
          ? 'Apply complete! Nothing to change.\n'
          : 'Nothing to destroy: no resource of this stack exists.\n',
      );
    return 0;
  }
  if (outcome.outcome === 'cancelled') {
    io.err(`${what} cancelled.\n`);
    return 1;
  }
  const result: ExecResult = outcome.result;
  if (opts.json) {
    const failed = result.failed.map((f) => ({
      id: f.id,
      step: f.step,
      code: f.error.code,
      error: f.error.message,
    }));
    io.out(`${JSON.stringify({ type: 'summary', done: result.done, failed, skipped: result.skipped })}\n`);
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
