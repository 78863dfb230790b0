import { loadConfig, loadInventory } from '../config/load.js';
import { MplError } from '../errors.js';
import { resolveSubnets, EMPTY_PRIOR, type PlanInput } from '../planner/input.js';
import { lint } from '../planner/lint.js';
import { planStack } from '../planner/plan-stack.js';
import type { Instance } from '../state/instance.js';
import { diff, summarize } from './diff.js';
import { loadMonitor, planInputs, type PlanInputs } from './inputs.js';
import type { PlanResult } from './plan-file.js';

/**
 * Loads a config and its inventory for offline use: the inventory from cluster.brokersFile, every
 * subnet's AZ ID from the config or inventory, prior state empty. No AWS call.
 */
export async function loadOffline(configFile: string): Promise<{ input: PlanInput; inputs: PlanInputs }> {
  const config = await loadConfig(configFile);
  const brokersFile = config.cluster.brokersFile;
  if (brokersFile === undefined) {
    throw new MplError(
      'OFFLINE_NEEDS_INVENTORY',
      '--offline needs cluster.brokersFile (an inventory file): it makes no AWS call',
      {
        where: `${configFile}: cluster`,
      },
    );
  }
  const inventory = await loadInventory(brokersFile, `${configFile}: cluster.brokersFile`);
  const subnets = resolveSubnets(config, inventory, configFile);
  const monitor = await loadMonitor(config, configFile);
  const inputs = await planInputs(config, configFile, inventory, monitor);
  return {
    inputs,
    input: { config, inventory, configFile, ...subnets, prior: EMPTY_PRIOR, ...(monitor ? { monitor } : {}) },
  };
}

/**
 * The one place a plan is made: the desired resources (none to destroy), lint, and the diff against
 * what exists. Pure: `observed` comes from a refresh (or is empty offline).
 */
export function makePlan(
  input: PlanInput,
  inputs: PlanInputs,
  observed: ReadonlyMap<string, Instance>,
  state: { lineage: string | null; serial: number },
  opts: { offline: boolean; destroy?: boolean; planned?: ReturnType<typeof planStack> },
): PlanResult {
  // `planned`: the planner's answer for this input when the caller already has it (planLive refreshes it first).
  const desired = opts.destroy ? { resources: [], portAssignments: {} } : (opts.planned ?? planStack(input));
  const findings = opts.destroy ? [] : lint(input, desired.resources);
  const changes = diff(desired.resources, observed);
  return {
    stack: input.config.name,
    configFile: input.configFile,
    inputs,
    offline: opts.offline,
    destroy: opts.destroy === true,
    state,
    desired: desired.resources,
    portAssignments: desired.portAssignments,
    changes,
    summary: summarize(changes),
    findings,
  };
}
