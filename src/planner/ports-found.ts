// Pattern 2's port table rebuilt from what exists: after a state loss, the ports the shared NLB's
// per-broker listeners listen on are the assignments, so a new plan keeps each broker's port.
import type { Instance } from '../state/instance.js';
import { brokerIdOf, ids, portKey, tryParseId } from './ids.js';

/**
 * The `portAssignments` record (keyed with `portKey`) held by the found `listener` instances on
 * the shared NLB: `b-<n>/listener/<listener>` listening on `props.port`. Bootstrap listeners,
 * listeners of pattern 1's per-broker NLBs and anything else are left out.
 */
export function portAssignmentsFrom(
  found: Iterable<Pick<Instance, 'id' | 'kind' | 'props'>>,
): Record<string, number> {
  const shared: string = ids.loadBalancer('shared');
  const rows: Array<{ brokerId: number; listener: string; key: string; port: number }> = [];
  for (const i of found) {
    if (i.kind !== 'listener' || i.props.loadBalancer !== shared) continue;
    const p = tryParseId(i.id);
    const port = i.props.port;
    if (p?.kind !== 'listener' || p.scope !== 'broker' || typeof port !== 'number') continue;
    const brokerId = brokerIdOf(p.owner);
    rows.push({ brokerId, listener: p.listener, key: portKey(brokerId, p.listener), port });
  }
  rows.sort(
    (a, b) => a.brokerId - b.brokerId || (a.listener < b.listener ? -1 : a.listener > b.listener ? 1 : 0),
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.port]));
}
