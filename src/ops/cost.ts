import { estimateCost, type CostReport, type EstimateOptions } from '../cost/estimate.js';
import { loadOffline } from '../plan/make-plan.js';
import { withStack, type StackOptions } from './stack.js';

/**
 * The monthly cost of every way to reach the cluster for this config, the configured one marked.
 * Offline: the inventory from cluster.brokersFile; online: the cluster (MSK) and subnets (EC2) are
 * read like `plan` reads them, describe calls only. `hoursPerMonth` (default 730, AWS's convention;
 * 720 for the reference write-up's figures) and `gbPerMonth` go to estimateCost.
 */
export async function cost(
  configFile: string,
  opts: EstimateOptions & { offline?: boolean },
  stackOpts: StackOptions = {},
): Promise<CostReport & { stack: string }> {
  const input = opts.offline
    ? (await loadOffline(configFile)).input
    : await withStack(configFile, stackOpts, (stack) => Promise.resolve(stack.input));
  return { stack: input.config.name, ...estimateCost(input, opts) };
}
