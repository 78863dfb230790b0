import { kindDef, type Kind, type Resource } from '../kinds/index.js';
import { compareProps } from '../kinds/kind.js';
import type { Instance } from '../state/instance.js';

/** Terraform's glyphs: the action enum doubles as the diff's notation. */
export const GLYPH = { create: '+', update: '~', replace: '-/+', delete: '-', noop: ' ' } as const;
export type Action = keyof typeof GLYPH;

export interface Change {
  action: Action;
  kind: Kind;
  id: string;
  account: string;
  region: string;
  /** Explains the action; never decides it. */
  reason: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  /** Props that differ. */
  changedProps?: string[];
  /** Of those, the ones that force a replacement. */
  forcingProps?: string[];
}

const propsOf = (r: Resource): Record<string, unknown> => r.props as Record<string, unknown>;
const propsOfInstance = (i: Instance): Record<string, unknown> => i.props;

/**
 * The plan as data: desired against what exists. Creates and updates come in dependency order,
 * deletes in reverse dependency order (what AWS accepts: records before zones, listeners before
 * target groups, services before NLBs). What forces a replace is each kind's `replaceOn` and
 * `replaceWhen`.
 */
export function diff(desired: Resource[], observed: ReadonlyMap<string, Instance>): Change[] {
  const changes: Change[] = [];
  const desiredIds = new Set(desired.map((r) => r.id));
  for (const r of topoSort(desired)) {
    const props = propsOf(r);
    const o = observed.get(r.id);
    if (!o) {
      // Written out (not spread from a base object): a first plan of 90,000 resources is all creates.
      changes.push({
        kind: r.kind,
        id: r.id,
        account: r.account,
        region: r.region,
        action: 'create',
        reason: 'not yet made',
        after: props,
      });
      continue;
    }
    const base = { kind: r.kind, id: r.id, account: r.account, region: r.region };
    const before = propsOfInstance(o);
    if (o.kind !== r.kind || o.account !== r.account || o.region !== r.region) {
      const reason = `moves from ${o.kind} in ${o.account}/${o.region}`;
      changes.push({ ...base, action: 'replace', reason, before, after: props });
      continue;
    }
    if (o.status === 'tainted') {
      const reason = 'tainted: half-made by a failed apply, or unusable in AWS (a rejected endpoint)';
      changes.push({ ...base, action: 'replace', reason, before, after: props });
      continue;
    }
    const { action, changed, forcing } = compareProps(kindDef(r.kind), props, before);
    const reason =
      action === 'noop'
        ? 'up to date'
        : action === 'replace'
          ? `${forcing.join(', ')} cannot change in place`
          : `${changed.join(', ')} changed`;
    changes.push({
      ...base,
      action,
      reason,
      before,
      after: props,
      changedProps: changed,
      ...(forcing.length > 0 ? { forcingProps: forcing } : {}),
    });
  }
  cascadeReplacements(changes, desired);
  const gone = [...observed.values()].filter((o) => !desiredIds.has(o.id));
  for (const o of topoSort(gone).reverse()) {
    changes.push({
      action: 'delete',
      kind: o.kind,
      id: o.id,
      account: o.account,
      region: o.region,
      reason: 'no longer in the plan',
      before: propsOfInstance(o),
    });
  }
  return changes;
}

/**
 * A resource that refers to one being replaced is replaced too: AWS will not delete the old one
 * while it is referenced (a listener holds its target group, a service its NLB), and the new one
 * has a new ARN the dependent must point at. Kinds that repoint in place (an alias record's UPSERT)
 * are updated instead, also when their target is made again after an out-of-band delete (records
 * that still alias the old name read as up to date, since the target's old outputs are in state).
 */
function cascadeReplacements(changes: Change[], desired: Resource[]): void {
  // Only a create next to a noop (repoint) or a replace can cascade: a first plan (all creates) and
  // a no-change plan (all noops) skip the maps below, which cost most of a 90,000-resource diff.
  let creates = false;
  let noops = false;
  let replaces = false;
  for (const c of changes) {
    if (c.action === 'create') creates = true;
    else if (c.action === 'noop') noops = true;
    else if (c.action === 'replace') replaces = true;
  }
  if (!replaces && !(creates && noops)) return;
  const byId = new Map(changes.map((c) => [c.id, c]));
  const dependents = new Map<string, Resource[]>();
  // Appended in place: a service or zone with thousands of dependents must not copy its list each time.
  for (const r of desired) {
    for (const d of r.dependsOn) {
      const list = dependents.get(d);
      if (list) list.push(r);
      else dependents.set(d, [r]);
    }
  }
  const repoint = (dep: Resource, c: Change | undefined, why: string) => {
    if (kindDef(dep.kind).repointsOnReplace && c?.action === 'noop')
      Object.assign(c, { action: 'update', reason: why });
  };
  for (const c of changes) {
    if (c.action !== 'create') continue;
    for (const dep of dependents.get(c.id) ?? [])
      repoint(dep, byId.get(dep.id), `its target ${c.id} is made again`);
  }
  const queue = changes.filter((c) => c.action === 'replace').map((c) => c.id);
  for (let next = 0; next < queue.length; next++) {
    const id = queue[next] as string;
    for (const dep of dependents.get(id) ?? []) {
      const c = byId.get(dep.id);
      if (!c || c.action === 'create' || c.action === 'replace') continue;
      if (kindDef(dep.kind).repointsOnReplace) {
        repoint(dep, c, `its target ${id} is replaced`);
        continue;
      }
      Object.assign(c, { action: 'replace', reason: `depends on ${id}, which is replaced` });
      queue.push(dep.id);
    }
  }
}

/** Stable topological order: dependencies first, ties in input order. Unknown dependencies are ignored. */
export function topoSort<T extends { id: string; dependsOn: string[] }>(items: T[]): T[] {
  // Depth first; one state byte per item (0 new, 1 visiting, 2 done) instead of two string sets.
  const index = new Map<string, number>();
  items.forEach((item, k) => index.set(item.id, k));
  const state = new Uint8Array(items.length);
  const out: T[] = [];
  const visit = (k: number) => {
    if (state[k] === 2) return;
    const item = items[k] as T;
    if (state[k] === 1) throw new Error(`dependency cycle at ${item.id}`);
    state[k] = 1;
    for (const d of item.dependsOn) {
      const dk = index.get(d);
      if (dk !== undefined) visit(dk);
    }
    state[k] = 2;
    out.push(item);
  };
  for (let k = 0; k < items.length; k++) visit(k);
  return out;
}

export type Summary = Record<Action, number>;
export function summarize(changes: Change[]): Summary {
  const s: Summary = { create: 0, update: 0, replace: 0, delete: 0, noop: 0 };
  for (const c of changes) s[c.action]++;
  return s;
}

export function hasChanges(s: Summary): boolean {
  return s.create + s.update + s.replace + s.delete > 0;
}
