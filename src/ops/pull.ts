import { planLive } from './plan.js';
import type { Stack } from './stack.js';

export interface PullResult {
  /** Resources of the stack in AWS (state refreshed, plus what was found by tags). */
  resources: number;
  /** Ids the state did not have: found by tags, or adopted by identity. */
  added: string[];
  /** Ids the state had that are gone from AWS. */
  dropped: string[];
  /** Whether the state was written (false: it already knew everything). */
  written: boolean;
  serial: number;
}

/**
 * Rebuilds the stack's state from AWS (`state pull`): every resource tagged with the stack (or
 * hanging off one) in every account of the config, what the config would make where it exists,
 * and pattern 2's port table from the shared NLB's listeners. Writes the state when it differs.
 */
export async function statePull(stack: Stack): Promise<PullResult> {
  const { plan, refreshed } = await planLive(stack);
  const written = stack.store.unsaved();
  if (written) await stack.store.setPortAssignments(plan.portAssignments);
  return {
    resources: refreshed.observed.size,
    added: refreshed.adopted,
    dropped: refreshed.vanished,
    written,
    serial: stack.store.state.serial,
  };
}
