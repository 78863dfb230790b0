import { hasChanges } from '../plan/diff.js';
import { planFileText, type PlanResult } from '../plan/plan-file.js';
import { planJson } from '../plan/plan-json.js';
import { renderPlan } from '../plan/render.js';
import { planLive, planOffline } from '../ops/plan.js';
import { withStack } from '../ops/stack.js';
import { writeOutputFile, type GlobalOptions, type Io } from './io.js';
import { stackOptions } from './session.js';
import { viewReporter } from './view.js';

export interface PlanOptions {
  config: string;
  out?: string;
  json?: boolean;
  offline?: boolean;
}

/** `plan`: exit 0 no changes, 2 changes, 1 error (lint errors included). */
export async function planCommand(opts: PlanOptions, global: GlobalOptions, io: Io): Promise<number> {
  const reporter = viewReporter(io, { json: opts.json === true, verbose: global.verbose, jsonTo: 'err' });
  const plan: PlanResult = opts.offline
    ? await planOffline(opts.config)
    : await withStack(
        opts.config,
        stackOptions(global, reporter),
        async (stack) => (await planLive(stack)).plan,
      );
  const errors = plan.findings.filter((f) => f.severity === 'error');
  if (opts.json) io.out(`${JSON.stringify(planJson(plan.changes, plan.summary, plan.findings), null, 2)}\n`);
  else
    io.out(
      renderPlan(plan.changes, plan.summary, plan.findings, {
        color: io.color,
        ...(io.columns === undefined ? {} : { width: io.columns }),
      }),
    );
  if (errors.length > 0) {
    io.err(
      `error [LINT_ERRORS]: ${opts.config}: the plan has ${errors.length} lint error(s): ${errors.map((e) => e.code).join(', ')}\n`,
    );
    return 1;
  }
  if (opts.out !== undefined) {
    await writeOutputFile('--out', opts.out, planFileText(plan, opts.out));
    if (!opts.json)
      io.out(`Saved the plan to ${opts.out}${plan.offline ? ' (offline: for review, not for apply)' : ''}\n`);
  }
  return hasChanges(plan.summary) ? 2 : 0;
}
