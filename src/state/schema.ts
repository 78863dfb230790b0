import { z } from 'zod';
import { KINDS } from '../plan/resource.js';

/** One resource the stack made, as last written by the executor. */
export const StateResourceSchema = z.strictObject({
  kind: z.enum(KINDS),
  account: z.string(),
  region: z.string(),
  /** ARN or id; absent while a create is in flight. */
  physicalId: z.string().optional(),
  props: z.record(z.string(), z.unknown()),
  dependsOn: z.array(z.string()).default([]),
  /** Outputs other resources need (e.g. an NLB's DNS name, an endpoint's DNS entries). */
  outputs: z.record(z.string(), z.unknown()).default({}),
  /** Left half-made by a failed step: the next plan replaces it. */
  tainted: z.boolean().default(false),
});
export type StateResource = z.infer<typeof StateResourceSchema>;

export const StateSchema = z.strictObject({
  format: z.literal('msk-privatelink-state'),
  version: z.literal(1),
  stack: z.string(),
  /** Set once when the state is first written; a plan from another lineage is refused. */
  lineage: z.string().uuid(),
  /** Bumped on every write; a saved plan made from an older serial is stale. */
  serial: z.number().int().nonnegative(),
  resources: z.record(z.string(), StateResourceSchema),
  /** Pattern 2: `<brokerId>/<listener>` -> port, never pruned so a port is never reused. */
  portAssignments: z.record(z.string(), z.number().int()).default({}),
});
export type State = z.infer<typeof StateSchema>;

/** The state of a stack that has never been applied. */
export interface EmptyState {
  lineage: null;
  serial: 0;
  resources: Record<string, never>;
  portAssignments: Record<string, never>;
}
