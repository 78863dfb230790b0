import { writeFile } from 'node:fs/promises';
import { loadOffline, planFrom } from '../plan/make-plan.js';
import { toPlanFile, type PlanResult } from '../plan/plan-file.js';
import { planJson, renderPlan } from '../plan/render.js';
import { hasChanges, planLive } from '../ops/operations.js';
import type { GlobalOptions, Io } from './io.js';
import { openLive } from './session.js';

export interface PlanOptions {
  config: string;
  out?: string;
  json?: boolean;
  offline?: boolean;
}

/** `plan`: exit 0 no changes, 2 changes, 1 error (lint errors included). */
export async function planCommand(opts: PlanOptions, global: GlobalOptions, io: Io): Promise<number> {
  let plan: PlanResult;
  if (opts.offline) {
    plan = planFrom(await loadOffline(opts.config), new Map(), { lineage: null, serial: 0 }, true);
  } else {
    const session = await openLive(opts.config, global);
    try {
      plan = (await planLive(session.stack, 'apply', session)).plan;
    } finally {
      session.stack.pool.destroy();
    }
  }
  const errors = plan.findings.filter((f) => f.severity === 'error');
  if (opts.json) io.out(`${JSON.stringify(planJson(plan.changes, plan.summary, plan.findings), null, 2)}\n`);
  else io.out(renderPlan(plan.changes, plan.summary, plan.findings, { color: io.color }));
  if (errors.length > 0) {
    io.err(
      `error [LINT_ERRORS]: ${opts.config}: the plan has ${errors.length} lint error(s): ${errors.map((e) => e.code).join(', ')}\n`,
    );
    return 1;
  }
  if (opts.out !== undefined) {
    await writeFile(opts.out, `${JSON.stringify(toPlanFile(plan), null, 2)}\n`);
    if (!opts.json)
      io.out(`Saved the plan to ${opts.out}${plan.offline ? ' (offline: for review, not for apply)' : ''}\n`);
  }
  return hasChanges(plan) ? 2 : 0;
}
