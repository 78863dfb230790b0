import { MSK_RESERVED_PORT_RANGES } from './quotas.js';
import { PlanRefused } from '../errors.js';
import type { ListenerType } from '../config/schema.js';
import { parsePortKey, portKey } from './ids.js';

// Keys are made and read in ids.ts with the logical ids; re-exported for existing importers.
export { portKey, type PortKey } from './ids.js';

export function isMskReserved(port: number): boolean {
  return MSK_RESERVED_PORT_RANGES.some(([lo, hi]) => port >= lo && port <= hi);
}

/**
 * Pattern 2's per-broker advertised ports. Prior assignments are kept as they are (stable across
 * runs, also for brokers that left: their ports are never handed to another broker); new
 * (broker, listener) pairs get the lowest free port from `portBase` that is not one MSK uses and not
 * in `alsoReserved` (the NLB's bootstrap ports and, in additive mode, the new listeners' ports).
 * Brokers are taken in id order and listeners in the given order, so the result is deterministic.
 */
export function assignPorts(
  brokerIds: number[],
  listeners: ListenerType[],
  portBase: number,
  prior: Readonly<Record<string, number>>,
  alsoReserved: Iterable<number>,
): Record<string, number> {
  const out: Record<string, number> = { ...prior };
  const reserved = new Set(alsoReserved);
  for (const [key, port] of Object.entries(prior)) {
    const owner = parsePortKey(key)?.brokerId;
    if (reserved.has(port) && owner !== undefined && brokerIds.includes(owner)) {
      throw new PlanRefused(
        'PORT_CONFLICT',
        `broker ${key} keeps port ${port} from state, which the NLB now needs for a bootstrap or broker listener; ` +
          `choose another pattern2.mode or free the port (see docs/configuration.md, "Pattern 2 ports")`,
      );
    }
  }
  const taken = new Set<number>([...Object.values(prior), ...reserved]);
  let next = portBase;
  for (const id of [...brokerIds].sort((a, b) => a - b)) {
    for (const l of listeners) {
      const key = portKey(id, l);
      if (out[key] !== undefined) continue;
      while (taken.has(next) || isMskReserved(next)) next++;
      if (next > 65535) {
        throw new PlanRefused(
          'PORTS_EXHAUSTED',
          `no free port at or above pattern2.portBase ${portBase} for broker ${id}`,
        );
      }
      out[key] = next;
      taken.add(next);
    }
  }
  return out;
}

/** Collapses ports into inclusive ranges, so a security group needs one rule per range. */
export function portRanges(ports: Iterable<number>): Array<[number, number]> {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (const p of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && p === last[1] + 1) last[1] = p;
    else ranges.push([p, p]);
  }
  return ranges;
}
