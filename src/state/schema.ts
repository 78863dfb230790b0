import { z } from 'zod';
import { KINDS } from '../kinds/index.js';

/** One resource the stack made, as last written by the executor (an Instance without its id, the key). */
export const StateResourceSchema = z
  .strictObject({
    kind: z.enum(KINDS),
    account: z.string(),
    region: z.string(),
    /** ARN or id in AWS. */
    physicalId: z.string(),
    props: z.record(z.string(), z.unknown()),
    dependsOn: z.array(z.string()).default([]),
    /** Outputs other resources need (e.g. an NLB's DNS name, an endpoint's DNS entries). */
    outputs: z
      .record(z.string(), z.union([z.string(), z.array(z.string()), z.number(), z.boolean()]))
      .default({}),
    /** `tainted`: a failed step left it half-made; the next plan replaces it. */
    status: z.enum(['ready', 'tainted']).default('ready'),
    /** Written by version 0.1 (always false): read, never written. */
    tainted: z.boolean().optional(),
  })
  .transform(({ tainted, ...r }) => (tainted ? { ...r, status: 'tainted' as const } : r));
export type StateResource = z.output<typeof StateResourceSchema>;

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
  /**
   * The role each account was last reached through (the config's roleArn), never pruned: a run
   * whose config no longer names an account (its last consumer removed) still reaches it with
   * that role to refresh and delete what the stack made there.
   */
  roles: z.record(z.string(), z.string()).default({}),
  /** `sha256:<hex>` of the rest of the file (src/integrity.ts); checked, then dropped, when read. */
  checksum: z.string().optional(),
});
export type State = z.output<typeof StateSchema>;
