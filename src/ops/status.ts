import { planLive } from './plan.js';
import type { Stack } from './stack.js';

export interface Drift {
  id: string;
  kind: string;
  account: string;
  /** missing: in state, gone live; changed: differs from the plan; new: the plan needs it (e.g. a broker was added); extra: made, no longer planned. */
  drift: 'missing' | 'changed' | 'new' | 'extra';
  detail: string;
}

export interface StatusReport {
  inSync: boolean;
  drift: Drift[];
  /** Found by tags but not in state (a killed run's resources): the next apply records them. */
  adopted: string[];
  /** Resources in state before the refresh. */
  tracked: number;
}

/** Live AWS and brokers against state and the current inventory (describe calls only). */
export async function status(stack: Stack): Promise<StatusReport> {
  const stateIds = new Set(stack.store.instances().map((i) => i.id));
  const { plan, refreshed } = await planLive(stack);
  const vanished = new Set(refreshed.vanished);
  const drift: Drift[] = plan.changes
    .filter((c) => c.action !== 'noop')
    .map((c) => ({
      id: c.id,
      kind: c.kind,
      account: c.account,
      drift: vanished.has(c.id)
        ? 'missing'
        : c.action === 'delete'
          ? 'extra'
          : c.action === 'create' && !stateIds.has(c.id)
            ? 'new'
            : 'changed',
      detail: vanished.has(c.id) ? 'deleted outside this tool' : c.reason,
    }));
  return { inSync: drift.length === 0, drift, adopted: refreshed.adopted, tracked: stateIds.size };
}
