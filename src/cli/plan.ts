import { writeFile } from 'node:fs/promises';
import { MplError } from '../errors.js';
import { loadOffline, planFrom } from '../plan/make-plan.js';
import { toPlanFile } from '../plan/plan-file.js';
import { planJson, renderPlan } from '../plan/render.js';
import type { Io } from './io.js';

export interface PlanOptions {
  config: string;
  out?: string;
  json?: boolean;
  offline?: boolean;
}

/** `plan`: exit 0 no changes, 2 changes, 1 error (lint errors included). */
export async function planCommand(opts: PlanOptions, io: Io): Promise<number> {
  if (!opts.offline) {
    throw new MplError(
      'ONLINE_NOT_AVAILABLE',
      'planning against live AWS (refresh and discovery) is not available in this version yet: add --offline',
    );
  }
  const loaded = await loadOffline(opts.config);
  const plan = planFrom(loaded, new Map(), { lineage: null, serial: 0 }, true);
  const errors = plan.findings.filter((f) => f.severity === 'error');
  if (opts.json) io.out(`${JSON.stringify(planJson(plan.changes, plan.summary, plan.findings), null, 2)}\n`);
  else io.out(renderPlan(plan.changes, plan.summary, plan.findings, { color: io.color }));
  if (errors.length > 0) {
    io.err(
      `error: ${opts.config}: the plan has ${errors.length} lint error(s): ${errors.map((e) => e.code).join(', ')}\n`,
    );
    return 1;
  }
  if (opts.out !== undefined) {
    await writeFile(opts.out, `${JSON.stringify(toPlanFile(plan), null, 2)}\n`);
    if (!opts.json) io.out(`Saved the plan to ${opts.out}\n`);
  }
  const s = plan.summary;
  return s.create + s.update + s.replace + s.delete > 0 ? 2 : 0;
}
