import { isDeepStrictEqual } from 'node:util';
import type { Kind, LogicalId, Resource } from './resource.js';

/** Terraform's glyphs: the action enum doubles as the diff's notation. */
export const GLYPH = { create: '+', update: '~', replace: '-/+', delete: '-', noop: ' ' } as const;
export type Action = keyof typeof GLYPH;

/** What is known of a resource that exists (from state, refreshed from AWS when online). */
export interface ObservedResource {
  id: LogicalId;
  kind: Kind;
  account: string;
  region: string;
  props: Record<string, unknown>;
  dependsOn: LogicalId[];
  physicalId?: string | undefined;
  tainted?: boolean;
}

export interface Change {
  action: Action;
  kind: Kind;
  id: LogicalId;
  account: string;
  region: string;
  /** Explains the action; never decides it. */
  reason: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  /** Props whose change needs a replacement, or that change in place. */
  changedProps?: string[];
}

/**
 * Which props AWS cannot change in place, per kind (the rest are updated). Sources: the Modify and Set
 * calls each API offers (ModifyTargetGroup cannot change port or VPC; ModifyListener can change port
 * and default action; ModifyVpcEndpoint can change subnets and security groups; an alias record is
 * UPSERTed; a parameter's name is its identity).
 */
const REPLACE_ON: Record<Kind, readonly string[]> = {
  'target-group': ['name', 'protocol', 'port', 'vpcId', 'targetType'],
  'load-balancer': ['name', 'type', 'scheme', 'subnetIds', 'azIds'],
  listener: ['loadBalancer', 'protocol'],
  'endpoint-service': [],
  'endpoint-service-permissions': ['service'],
  'endpoint-connection-acceptance': ['service', 'endpoint', 'endpointAccount'],
  'vpc-endpoint': ['vpcId', 'service', 'privateDnsEnabled'],
  'security-group': ['name', 'vpcId', 'description'],
  'security-group-rule': ['groupId', 'protocol', 'fromPort', 'toPort', 'sourceSubnetIds'],
  'hosted-zone': ['name', 'vpcId', 'vpcRegion'],
  'dns-record': ['zone', 'name', 'type'],
  'ssm-parameter': ['name', 'type'],
  'broker-listener-config': ['brokerId'],
};
/** Props that are inputs to a create call, not properties AWS keeps: never a reason to change. */
const IGNORED: ReadonlySet<string> = new Set(['clientToken']);

export function compareProps(
  kind: Kind,
  desired: Record<string, unknown>,
  actual: Record<string, unknown>,
): { action: 'noop' | 'update' | 'replace'; changed: string[] } {
  const keys = new Set([...Object.keys(desired), ...Object.keys(actual)]);
  const changed = [...keys]
    .filter((k) => !IGNORED.has(k) && !isDeepStrictEqual(desired[k], actual[k]))
    .sort();
  if (changed.length === 0) return { action: 'noop', changed };
  const replace = changed.some((k) => REPLACE_ON[kind].includes(k));
  return { action: replace ? 'replace' : 'update', changed };
}

/**
 * The plan as data: desired against observed. Creates and updates come in dependency order,
 * deletes in reverse dependency order (what AWS accepts: records before zones, listeners before
 * target groups, services before NLBs).
 */
export function diff(desired: Resource[], observed: ReadonlyMap<LogicalId, ObservedResource>): Change[] {
  const changes: Change[] = [];
  const desiredIds = new Set(desired.map((r) => r.id));
  for (const r of topoSort(desired)) {
    const props = r.props as Record<string, unknown>;
    const o = observed.get(r.id);
    const base = { kind: r.kind, id: r.id, account: r.account, region: r.region };
    if (!o) {
      changes.push({ ...base, action: 'create', reason: 'not yet made', after: props });
      continue;
    }
    if (o.kind !== r.kind || o.account !== r.account || o.region !== r.region) {
      changes.push({
        ...base,
        action: 'replace',
        reason: `moves from ${o.kind} in ${o.account}/${o.region}`,
        before: o.props,
        after: props,
      });
      continue;
    }
    if (o.tainted) {
      changes.push({
        ...base,
        action: 'replace',
        reason: 'tainted: a failed apply left it half-made',
        before: o.props,
        after: props,
      });
      continue;
    }
    const { action, changed } = compareProps(r.kind, props, o.props);
    const reason =
      action === 'noop'
        ? 'up to date'
        : action === 'replace'
          ? `${changed.filter((k) => REPLACE_ON[r.kind].includes(k)).join(', ')} cannot change in place`
          : `${changed.join(', ')} changed`;
    changes.push({ ...base, action, reason, before: o.props, after: props, changedProps: changed });
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
      before: o.props,
    });
  }
  return changes;
}

/**
 * A resource that refers to one being replaced is replaced too: AWS will not delete the old one
 * while it is referenced (a listener holds its target group, a service its NLB), and the new one
 * has a new ARN the dependent must point at. DNS records are the exception: an UPSERT repoints them.
 */
function cascadeReplacements(changes: Change[], desired: Resource[]): void {
  const byId = new Map(changes.map((c) => [c.id, c]));
  const dependents = new Map<string, Resource[]>();
  for (const r of desired) for (const d of r.dependsOn) dependents.set(d, [...(dependents.get(d) ?? []), r]);
  const queue = changes.filter((c) => c.action === 'replace').map((c) => c.id);
  // A target made again (an endpoint deleted out of band or rejected) has a new DNS name: records
  // that still alias the old one read as up to date, since their target's old outputs are in state.
  for (const c of changes) {
    if (c.action !== 'create') continue;
    for (const dep of dependents.get(c.id) ?? []) {
      const d = byId.get(dep.id);
      if (dep.kind === 'dns-record' && d?.action === 'noop')
        Object.assign(d, { action: 'update', reason: `its target ${c.id} is made again` });
    }
  }
  while (queue.length > 0) {
    const id = queue.shift() as string;
    for (const dep of dependents.get(id) ?? []) {
      const c = byId.get(dep.id);
      if (!c || c.action === 'create' || c.action === 'replace') continue;
      if (dep.kind === 'dns-record') {
        if (c.action === 'noop')
          Object.assign(c, { action: 'update', reason: `its target ${id} is replaced` });
        continue;
      }
      Object.assign(c, { action: 'replace', reason: `depends on ${id}, which is replaced` });
      queue.push(dep.id);
    }
  }
}

/** Stable topological order: dependencies first, ties in input order. Unknown dependencies are ignored. */
export function topoSort<T extends { id: string; dependsOn: string[] }>(items: T[]): T[] {
  const byId = new Map(items.map((i) => [i.id, i]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: T[] = [];
  const visit = (i: T) => {
    if (done.has(i.id)) return;
    if (visiting.has(i.id)) throw new Error(`dependency cycle at ${i.id}`);
    visiting.add(i.id);
    for (const d of i.dependsOn) {
      const dep = byId.get(d);
      if (dep) visit(dep);
    }
    visiting.delete(i.id);
    done.add(i.id);
    out.push(i);
  };
  items.forEach(visit);
  return out;
}

export type Summary = Record<Action, number>;
export function summarize(changes: Change[]): Summary {
  const s: Summary = { create: 0, update: 0, replace: 0, delete: 0, noop: 0 };
  for (const c of changes) s[c.action]++;
  return s;
}
