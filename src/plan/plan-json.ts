// The public plan JSON (`plan --json`, apply's `summary` event): what each change does to which
// props, for review in CI, and its zod schema (`schema --plan` prints it as JSON Schema). Field
// names are a contract: versions only add fields.
import { z } from 'zod';
import { KINDS, kindDef } from '../kinds/index.js';
import type { Finding } from '../planner/lint.js';
import { GLYPH, type Action, type Change, type Summary } from './diff.js';

/** What a redacted value reads as. */
export const REDACTED = '(sensitive)';

/** Keys whose values are redacted at any depth, whatever the kind declares. */
const SECRET_KEY = /password|secret|private[-_]?key/i;

const redactDeep = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(redactDeep);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, SECRET_KEY.test(k) && x !== undefined ? REDACTED : redactDeep(x)]),
  );
};

/**
 * Props fit to print: the kind's `sensitive` props, and any key that looks like a password, a
 * secret or a private key at any depth, read `"(sensitive)"`. The input is not changed.
 */
export function redactProps(
  props: Record<string, unknown>,
  sensitive: readonly string[] = [],
): Record<string, unknown> {
  const out = redactDeep(props) as Record<string, unknown>;
  for (const k of sensitive) if (out[k] !== undefined) out[k] = REDACTED;
  return out;
}

const ACTIONS = Object.keys(GLYPH) as [Action, ...Action[]];
const Props = z.record(z.string(), z.unknown());
const Count = z.number().int().min(0);
const finding = <S extends z.ZodType>(severity: S) =>
  z.strictObject({
    code: z.string().describe('stable lint code (MPLnnn), as listed in lint.allow'),
    severity,
    message: z.string(),
  });
const Severity = z.enum(['error', 'warning', 'info']);

export const PlanJsonChangeSchema = z.strictObject({
  action: z.enum(ACTIONS),
  kind: z.enum(KINDS),
  id: z.string().describe('logical id, stable across runs'),
  account: z.string(),
  region: z.string(),
  reason: z.string().describe('why this action: explains it, never decides it'),
  before: Props.optional().describe('the props that exist now (absent on create); secrets redacted'),
  after: Props.optional().describe('the props that will be set (absent on delete); secrets redacted'),
  changedProps: z.array(z.string()).optional().describe('props that differ (update, replace, noop)'),
  forcingProps: z.array(z.string()).optional().describe('of those, the ones that force a replacement'),
});

export const PlanJsonSchema = z.strictObject({
  changes: z.array(PlanJsonChangeSchema),
  summary: z.strictObject({ create: Count, update: Count, replace: Count, delete: Count, noop: Count }),
  findings: z
    .array(finding(Severity))
    .describe('every lint finding, and notes (info) on what the planner chose'),
  warnings: z.array(finding(z.literal('warning'))).describe('the findings of severity warning'),
  errors: z.array(finding(z.literal('error'))).describe('the findings of severity error: plan exits 1'),
});
export type PlanJson = z.infer<typeof PlanJsonSchema>;
export type PlanJsonChange = z.infer<typeof PlanJsonChangeSchema>;

function changeJson(c: Change): PlanJsonChange {
  const { action, kind, id, account, region, reason } = c;
  const sensitive = kindDef(kind).sensitive ?? [];
  return {
    action,
    kind,
    id,
    account,
    region,
    reason,
    ...(c.before === undefined ? {} : { before: redactProps(c.before, sensitive) }),
    ...(c.after === undefined ? {} : { after: redactProps(c.after, sensitive) }),
    ...(c.changedProps === undefined ? {} : { changedProps: [...c.changedProps] }),
    ...(c.forcingProps === undefined ? {} : { forcingProps: [...c.forcingProps] }),
  };
}

/** The public plan JSON printed by `plan --json`. */
export function planJson(changes: Change[], summary: Summary, findings: Finding[]): PlanJson {
  const items = findings.map(({ code, severity, message }) => ({ code, severity, message }));
  return {
    changes: changes.map(changeJson),
    summary: { ...summary },
    findings: items,
    warnings: items.flatMap((f) => (f.severity === 'warning' ? [{ ...f, severity: f.severity }] : [])),
    errors: items.flatMap((f) => (f.severity === 'error' ? [{ ...f, severity: f.severity }] : [])),
  };
}
