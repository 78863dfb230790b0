import { seal } from '../integrity.js';
import path from 'node:path';
import { z } from 'zod';
import { MplError } from '../errors.js';
import { KINDS, ResourceSchema, type Resource } from '../kinds/index.js';
import type { Change, Summary } from './diff.js';
import type { Finding } from '../planner/lint.js';
import type { PlanInputs } from './inputs.js';

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

/**
 * A saved plan: what apply will do, with what it was made from: the state (lineage, serial), the
 * inputs it read (digests, and the brokers it saw), and the props of every resource as they were
 * then (each change's `before`). `apply PLAN` refuses it when any of these moved on.
 */
export const PlanFileSchema = z.strictObject({
  format: z.literal('msk-privatelink-plan'),
  /** 2: inputs digests and a config path relative to the plan file (1 was made by 0.1: plan again). */
  version: z.literal(2, { error: 'made by an older version of msk-privatelink: make the plan again' }),
  createdAt: z.string(),
  stack: z.string(),
  /** Relative to the plan file's folder, so the plan applies from any directory or runner. */
  configFile: z.string(),
  inputs: z.strictObject({
    digests: z.record(z.string(), z.string()),
    brokers: z.array(
      z.strictObject({ id: z.number().int(), host: z.string(), ip: z.string(), subnetId: z.string() }),
    ),
  }),
  offline: z.boolean(),
  /** Made by `destroy`'s planning mode (nothing desired). */
  destroy: z.boolean().default(false),
  /** lineage null: made against a stack that had no state yet. */
  state: z.strictObject({ lineage: z.string().nullable(), serial: z.number().int().nonnegative() }),
  desired: z.array(ResourceSchema),
  portAssignments: z.record(z.string(), z.number().int()),
  changes: z.array(ChangeSchema),
  warnings: z.array(z.strictObject({ code: z.string(), message: z.string() })),
  /** `sha256:<hex>` of the rest of the file (src/integrity.ts); checked, then dropped, when read. */
  checksum: z.string().optional(),
});
export type PlanFile = z.infer<typeof PlanFileSchema>;

export interface PlanResult {
  stack: string;
  configFile: string;
  inputs: PlanInputs;
  offline: boolean;
  destroy: boolean;
  state: { lineage: string | null; serial: number };
  desired: Resource[];
  portAssignments: Record<string, number>;
  changes: Change[];
  summary: Summary;
  findings: Finding[];
}

/** The plan file written to `file`: the config path is made relative to the plan file's folder. */
export function toPlanFile(p: PlanResult, file: string, now = new Date()): PlanFile {
  return {
    format: 'msk-privatelink-plan',
    version: 2,
    createdAt: now.toISOString(),
    stack: p.stack,
    configFile: path.relative(path.dirname(path.resolve(file)), path.resolve(p.configFile)),
    inputs: p.inputs,
    offline: p.offline,
    destroy: p.destroy,
    state: p.state,
    desired: p.desired,
    portAssignments: p.portAssignments,
    changes: p.changes,
    warnings: p.findings.map(({ code, message }) => ({ code, message })),
  };
}

/** The plan file's text as `plan --out` writes it: sealed with its checksum (src/integrity.ts). */
export function planFileText(p: PlanResult, file: string, now = new Date()): string {
  return `${JSON.stringify(seal(toPlanFile(p, file, now)), null, 2)}\n`;
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
