import { recommendationLines, renderCost } from '../cost/render.js';
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
  /** Prices from the AWS Price List API (cached 7 days) instead of the bundled table. */
  livePrices?: boolean;
}

/** The flags `cost` and `recommend` share, as the estimate takes them. */
function estimateOptions(opts: Omit<CostOptions, 'format' | 'config'>) {
  return {
    ...(opts.gbPerMonth === undefined ? {} : { gbPerMonth: opts.gbPerMonth }),
    ...(opts.hoursPerMonth === undefined ? {} : { hoursPerMonth: opts.hoursPerMonth }),
    ...(opts.offline ? { offline: true } : {}),
    ...(opts.livePrices ? { livePrices: true } : {}),
  };
}

/** `cost`: the monthly cost of every option, the configured one marked. */
export async function costCommand(opts: CostOptions, global: GlobalOptions, io: Io): Promise<number> {
  const reporter = viewReporter(io, { json: opts.format === 'json', verbose: global.verbose, jsonTo: 'err' });
  const report = await cost(opts.config, estimateOptions(opts), stackOptions(global, reporter));
  const text = renderCost(report, opts.format, {
    color: io.color,
    title: report.stack,
    ...(io.columns === undefined ? {} : { width: io.columns }),
  });
  io.out(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}

/**
 * `recommend`: the option to take for this config and why, against the others (the same report as
 * `cost`, its recommendation only). `--json` prints the recommendation object.
 */
export async function recommendCommand(
  opts: Omit<CostOptions, 'format'> & { json?: boolean },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const reporter = viewReporter(io, { json: opts.json === true, verbose: global.verbose, jsonTo: 'err' });
  const report = await cost(opts.config, estimateOptions(opts), stackOptions(global, reporter));
  if (report.recommendation === undefined) {
    io.err(
      `no option is viable for ${opts.config}: ${report.options.map((o) => `${o.id}: ${o.reason ?? ''}`).join('; ')}\n`,
    );
    return 1;
  }
  if (opts.json) {
    io.out(
      `${JSON.stringify({ region: report.region, hoursPerMonth: report.hoursPerMonth, gbPerMonth: report.gbPerMonth, ...report.recommendation }, null, 2)}\n`,
    );
    return 0;
  }
  const width = io.columns ?? 100;
  io.out(`${recommendationLines(report, width).join('\n')}\n`);
  return 0;
}
