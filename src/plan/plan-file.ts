import { createHash } from 'node:crypto';
import { z } from 'zod';
import { MplError } from '../errors.js';
import { KINDS, ResourceSchema, type Resource } from '../kinds/index.js';
import type { Change, Summary } from './diff.js';
import type { Finding } from '../planner/lint.js';

const ChangeSchema = z.strictObject({
  action: z.enum(['create', 'update', 'replace', 'delete', 'noop']),
  kind: z.enum(KINDS),
  id: z.string(),
  account: z.string(),
  region: z.string(),
  reason: z.string(),
  before: z.record(z.string(), z.unknown()).optional(),
  after: z.record(z.string(), z.unknown()).optional(),
  changedProps: z.array(z.string()).optional(),
  forcingProps: z.array(z.string()).optional(),
});

/** A saved plan: what apply will do, and the state it was made from (so a stale plan is refused). */
export const PlanFileSchema = z.strictObject({
  format: z.literal('msk-privatelink-plan'),
  version: z.literal(1),
  createdAt: z.string(),
  stack: z.string(),
  configFile: z.string(),
  configDigest: z.string(),
  offline: z.boolean(),
  /** Made by `destroy`'s planning mode (nothing desired). */
  destroy: z.boolean().default(false),
  /** lineage null: made against a stack that had no state yet. */
  state: z.strictObject({ lineage: z.string().nullable(), serial: z.number().int().nonnegative() }),
  desired: z.array(ResourceSchema),
  portAssignments: z.record(z.string(), z.number().int()),
  changes: z.array(ChangeSchema),
  warnings: z.array(z.strictObject({ code: z.string(), message: z.string() })),
});
export type PlanFile = z.infer<typeof PlanFileSchema>;

export interface PlanResult {
  stack: string;
  configFile: string;
  configDigest: string;
  offline: boolean;
  destroy: boolean;
  state: { lineage: string | null; serial: number };
  desired: Resource[];
  portAssignments: Record<string, number>;
  changes: Change[];
  summary: Summary;
  findings: Finding[];
}

export function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

export function toPlanFile(p: PlanResult, now = new Date()): PlanFile {
  return {
    format: 'msk-privatelink-plan',
    version: 1,
    createdAt: now.toISOString(),
    stack: p.stack,
    configFile: p.configFile,
    configDigest: p.configDigest,
    offline: p.offline,
    destroy: p.destroy,
    state: p.state,
    desired: p.desired,
    portAssignments: p.portAssignments,
    changes: p.changes,
    warnings: p.findings.map(({ code, message }) => ({ code, message })),
  };
}

/** Refuses a plan made from another state than the current one (Terraform's stale plan). */
export function assertFresh(plan: PlanFile, current: { lineage: string | null; serial: number }): void {
  if (plan.state.lineage !== current.lineage || plan.state.serial !== current.serial) {
    throw new MplError(
      'STALE_PLAN',
      `the plan was made from state ${plan.state.lineage ?? '(none)'} serial ${plan.state.serial}, ` +
        `but the state is now ${current.lineage ?? '(none)'} serial ${current.serial}: make a new plan`,
    );
  }
}
