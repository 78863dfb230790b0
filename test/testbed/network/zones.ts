// Answers a name from private hosted zones the way Route 53 Resolver does inside a VPC:
// the most specific zone that contains the name is authoritative (no fall-through to a
// parent zone), wildcards match any depth, alias records follow their target's name.
// Pure functions over a snapshot, so the DNS server and tests share one behaviour.

export interface ZoneRecord {
  /** Lower case, no trailing dot; may start with "*." */
  name: string;
  type: string;
  ttl: number;
  values: string[];
  /** Alias target's DNS name (lower case, no trailing dot, no "dualstack." prefix). */
  alias?: string;
}

export interface Zone {
  id: string;
  account: string;
  /** Lower case, no trailing dot. */
  name: string;
  records: ZoneRecord[];
  /** The VPCs the zone is associated with (VPCId, VPCRegion), when they were read. */
  vpcs?: Array<{ vpcId: string; region: string }>;
}

export interface DnsView {
  /** In priority order: a name found in an earlier zone of the same name wins. */
  zones: Zone[];
  /** Names AWS itself answers (endpoint and load balancer DNS names) -> loopback addresses. */
  hosts: Map<string, string[]>;
}

export interface DnsAnswer {
  name: string;
  type: 'A' | 'CNAME';
  ttl: number;
  data: string;
}

export interface DnsResult {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: DnsAnswer[];
}

/** TTL Route 53 gives alias answers. */
const ALIAS_TTL = 60;
/** Alias and CNAME chains longer than this are treated as loops. */
const MAX_CHAIN = 8;

export function normalizeName(name: string): string {
  let n = name.trim().toLowerCase();
  while (n.endsWith('.')) n = n.slice(0, -1);
  // Route 53 stores "*" as the escape \052 in names it returns.
  n = n.replace(/\\052/g, '*');
  return n;
}

/** Alias targets may carry a "dualstack." prefix that names the same load balancer. */
export function normalizeAliasTarget(name: string): string {
  const n = normalizeName(name);
  return n.startsWith('dualstack.') ? n.slice('dualstack.'.length) : n;
}

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** Records for `name` in `zone`: exact name first, then the closest wildcard. */
function lookup(zone: Zone, name: string): ZoneRecord[] {
  const exact = zone.records.filter((r) => r.name === name);
  if (exact.length > 0) return exact;
  const labels = name
    .slice(0, name.length - zone.name.length)
    .split('.')
    .filter(Boolean);
  for (let i = 1; i <= labels.length; i++) {
    const wildcard = ['*', ...labels.slice(i), zone.name].join('.');
    const hits = zone.records.filter((r) => r.name === wildcard);
    if (hits.length > 0) return hits;
  }
  return [];
}

/**
 * Resolves an A query (CNAMEs are followed and included). `maxTtl` caps every TTL so that
 * clients do not cache answers across test steps.
 */
export function resolveA(view: DnsView, name: string, maxTtl = Number.POSITIVE_INFINITY): DnsResult {
  const answers: DnsAnswer[] = [];
  const found = resolveInto(view, normalizeName(name), answers, 0, maxTtl);
  return found ? { rcode: 'NOERROR', answers } : { rcode: 'NXDOMAIN', answers: [] };
}

/** True when the name exists (whatever its types), for NODATA versus NXDOMAIN on other types. */
export function nameExists(view: DnsView, name: string): boolean {
  const n = normalizeName(name);
  const zones = authoritativeZones(view, n);
  if (zones.length > 0) return zones.some((z) => lookup(z, n).length > 0);
  return view.hosts.has(n);
}

function authoritativeZones(view: DnsView, name: string): Zone[] {
  let best = -1;
  for (const zone of view.zones) if (inZone(name, zone.name)) best = Math.max(best, zone.name.length);
  return view.zones.filter((z) => z.name.length === best && inZone(name, z.name));
}

function resolveInto(view: DnsView, name: string, out: DnsAnswer[], depth: number, maxTtl: number): boolean {
  if (depth > MAX_CHAIN) return false;
  const zones = authoritativeZones(view, name);
  if (zones.length === 0) {
    const addrs = view.hosts.get(name);
    if (!addrs || addrs.length === 0) return false;
    for (const a of addrs) out.push({ name, type: 'A', ttl: Math.min(ALIAS_TTL, maxTtl), data: a });
    return true;
  }
  for (const zone of zones) {
    const records = lookup(zone, name);
    if (records.length === 0) continue;
    const a = records.filter((r) => r.type === 'A');
    if (a.length > 0) {
      const before = out.length;
      for (const r of a) {
        if (r.alias !== undefined) {
          const sub: DnsAnswer[] = [];
          if (resolveInto(view, r.alias, sub, depth + 1, maxTtl)) {
            for (const s of sub)
              if (s.type === 'A')
                out.push({ name, type: 'A', ttl: Math.min(ALIAS_TTL, maxTtl), data: s.data });
          }
        } else {
          for (const v of r.values) out.push({ name, type: 'A', ttl: Math.min(r.ttl, maxTtl), data: v });
        }
      }
      // An alias whose target is gone answers nothing: treat the name as absent.
      return out.length > before;
    }
    const cname = records.find((r) => r.type === 'CNAME');
    if (cname) {
      const target = normalizeName(cname.alias ?? cname.values[0] ?? '');
      out.push({ name, type: 'CNAME', ttl: Math.min(cname.ttl, maxTtl), data: target });
      resolveInto(view, target, out, depth + 1, maxTtl);
      return true;
    }
    // The name exists with other types only: NODATA.
    return true;
  }
  return false;
}
