import { readFile } from 'node:fs/promises';
import { loadConfig, loadInventory } from '../config/load.js';
import type { Config, Inventory } from '../config/schema.js';
import { MplError } from '../errors.js';
import { resolveSubnets, EMPTY_PRIOR, type PlanInput } from '../planner/input.js';
import { lint } from '../planner/lint.js';
import { planStack } from '../planner/plan-stack.js';
import { diff, summarize, type ObservedResource } from './diff.js';
import { digestOf, type PlanResult } from './plan-file.js';

export interface LoadedInput {
  config: Config;
  inventory: Inventory;
  input: PlanInput;
  configDigest: string;
}

/**
 * Loads a config and its inventory for offline use: the inventory from cluster.brokersFile, every
 * subnet's AZ ID from the config or inventory, prior state empty (CONTRACT.md, `--offline`).
 */
export async function loadOffline(configFile: string): Promise<LoadedInput> {
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
  const configDigest = digestOf(await readFile(configFile, 'utf8'));
  return {
    config,
    inventory,
    configDigest,
    input: { config, inventory, configFile, ...subnets, prior: EMPTY_PRIOR },
  };
}

/** Plans from loaded input against what is observed (nothing, offline): pure, no I/O. */
export function planFrom(
  loaded: LoadedInput,
  observed: ReadonlyMap<string, ObservedResource>,
  state: { lineage: string | null; serial: number },
  offline: boolean,
): PlanResult {
  const desired = planStack(loaded.input);
  const findings = lint(loaded.input, desired.resources);
  const changes = diff(desired.resources, observed);
  return {
    stack: loaded.config.name,
    configFile: loaded.input.configFile,
    configDigest: loaded.configDigest,
    offline,
    state,
    desired: desired.resources,
    portAssignments: desired.portAssignments,
    changes,
    summary: summarize(changes),
    findings,
  };
}
