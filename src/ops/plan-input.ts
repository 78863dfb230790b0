// The plan's input without state: from cluster.brokersFile with no AWS call, else from the cluster
// read through MSK (as `plan`). For commands that derive from what the config asks for
// (`iam-policy`, `export`), not from what exists.
import { MplError } from '../errors.js';
import { loadOffline } from '../plan/make-plan.js';
import type { PlanInput } from '../planner/input.js';
import { withStack, type StackOptions } from './stack.js';

export async function planInputOf(
  configFile: string,
  global: Pick<StackOptions, 'region' | 'profile' | 'reporter' | 'configFor'> = {},
): Promise<PlanInput> {
  const offline = await loadOffline(configFile).catch((e: unknown) => {
    if (e instanceof MplError && e.code === 'OFFLINE_NEEDS_INVENTORY') return undefined;
    throw e;
  });
  return offline?.input ?? withStack(configFile, global, (stack) => Promise.resolve(stack.input));
}
