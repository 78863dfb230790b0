import { estimateCost } from '../cost/estimate.js';
import { renderCost } from '../cost/render.js';
import { MplError } from '../errors.js';
import { loadOffline } from '../plan/make-plan.js';
import type { Io } from './io.js';

export const COST_FORMATS = ['table', 'json', 'markdown', 'html'] as const;
export type CostFormat = (typeof COST_FORMATS)[number];

export interface CostOptions {
  config: string;
  format: CostFormat;
  gbPerMonth?: number;
  offline?: boolean;
}

/** `cost`: the monthly cost of every option, the configured one marked. */
export async function costCommand(opts: CostOptions, io: Io): Promise<number> {
  if (!opts.offline) {
    throw new MplError(
      'ONLINE_NOT_AVAILABLE',
      'reading the cluster from MSK is not available in this version yet: add --offline (the inventory comes from cluster.brokersFile)',
    );
  }
  const loaded = await loadOffline(opts.config);
  const report = estimateCost(
    loaded.input,
    opts.gbPerMonth === undefined ? {} : { gbPerMonth: opts.gbPerMonth },
  );
  const text = renderCost(report, opts.format, { color: io.color, title: loaded.config.name });
  io.out(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}
