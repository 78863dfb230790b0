import { renderCost } from '../cost/render.js';
import { cost } from '../ops/cost.js';
import type { GlobalOptions, Io } from './io.js';
import { stackOptions } from './session.js';
import { viewReporter } from './view.js';

export const COST_FORMATS = ['table', 'json', 'markdown', 'html', 'csv'] as const;
export type CostFormat = (typeof COST_FORMATS)[number];

export interface CostOptions {
  config: string;
  format: CostFormat;
  gbPerMonth?: number;
  /** Hours a month for the hourly lines (validated by the option parser; estimateCost checks again). */
  hoursPerMonth?: number;
  offline?: boolean;
}

/** `cost`: the monthly cost of every option, the configured one marked. */
export async function costCommand(opts: CostOptions, global: GlobalOptions, io: Io): Promise<number> {
  const reporter = viewReporter(io, { json: opts.format === 'json', verbose: global.verbose, jsonTo: 'err' });
  const report = await cost(
    opts.config,
    {
      ...(opts.gbPerMonth === undefined ? {} : { gbPerMonth: opts.gbPerMonth }),
      ...(opts.hoursPerMonth === undefined ? {} : { hoursPerMonth: opts.hoursPerMonth }),
      ...(opts.offline ? { offline: true } : {}),
    },
    stackOptions(global, reporter),
  );
  const text = renderCost(report, opts.format, {
    color: io.color,
    title: report.stack,
    ...(io.columns === undefined ? {} : { width: io.columns }),
  });
  io.out(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}
