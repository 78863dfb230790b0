import { estimateCost } from '../cost/estimate.js';
import { renderCost } from '../cost/render.js';
import { openStack } from '../ops/stack.js';
import { loadOffline } from '../plan/make-plan.js';
import type { PlanInput } from '../planner/input.js';
import type { GlobalOptions, Io } from './io.js';

export const COST_FORMATS = ['table', 'json', 'markdown', 'html'] as const;
export type CostFormat = (typeof COST_FORMATS)[number];

export interface CostOptions {
  config: string;
  format: CostFormat;
  gbPerMonth?: number;
  offline?: boolean;
}

/** `cost`: the monthly cost of every option, the configured one marked. */
export async function costCommand(opts: CostOptions, global: GlobalOptions, io: Io): Promise<number> {
  let input: PlanInput;
  if (opts.offline) input = (await loadOffline(opts.config)).input;
  else {
    // Reads the cluster (MSK) and subnets (EC2) like plan does; describe calls only.
    const stack = await openStack(
      opts.config,
      global.profile === undefined ? {} : { profile: global.profile },
    );
    stack.pool.destroy();
    input = stack.input;
  }
  const report = estimateCost(input, opts.gbPerMonth === undefined ? {} : { gbPerMonth: opts.gbPerMonth });
  const text = renderCost(report, opts.format, { color: io.color, title: input.config.name });
  io.out(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}
