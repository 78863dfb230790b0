// Pure functions over Kafka's listener settings (advertised.listeners, listeners,
// listener.security.protocol.map): parse, format, and compute the pattern 2 change.
// No I/O here: the broker-listener-config handler reads and writes through src/kafka/admin.ts.
import { MplError } from '../errors.js';
import type { PropsOf } from '../kinds/index.js';

export type BrokerListenerProps = PropsOf<'broker-listener-config'>;

export const ADVERTISED = 'advertised.listeners';
export const LISTENERS = 'listeners';
export const PROTOCOL_MAP = 'listener.security.protocol.map';
export type ListenerKey = typeof ADVERTISED | typeof LISTENERS | typeof PROTOCOL_MAP;
/** Kept in this order everywhere (outputs, alter requests), so results are stable. */
export const LISTENER_KEYS: readonly ListenerKey[] = [ADVERTISED, LISTENERS, PROTOCOL_MAP];

/** The keys each mode changes. Rewrite only moves advertised ports; additive adds a listener. */
export const KEYS_OF_MODE: Record<BrokerListenerProps['mode'], readonly ListenerKey[]> = {
  rewrite: [ADVERTISED],
  additive: [ADVERTISED, LISTENERS, PROTOCOL_MAP],
};

/**
 * A broker's per-broker dynamic values of the keys the handler touched, before it touched them:
 * null means "not set dynamically" (the static server.properties value applied).
 */
export type Original = Partial<Record<ListenerKey, string | null>>;

/** The three settings as the broker would have them without our change (all three always known). */
export type ListenerSettings = Record<ListenerKey, string>;

export interface Endpoint {
  name: string;
  host: string;
  port: number;
  /** The entry as written, so untouched entries are written back byte for byte. */
  raw: string;
}

// NAME://host:port, host may be empty (all interfaces) or a bracketed IPv6 address.
const ENDPOINT = /^([A-Za-z0-9_.-]+):\/\/(\[[^\]]*\]|[^:/[\]]*):(\d{1,5})$/;

/** Kafka compares listener names case-insensitively (ListenerName.normalised upper-cases them). */
export function sameListener(a: string, b: string): boolean {
  return a.toUpperCase() === b.toUpperCase();
}

export function parseListeners(value: string | null | undefined): Endpoint[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((raw) => {
      const m = ENDPOINT.exec(raw);
      if (!m) throw new MplError('BROKER_LISTENERS_UNPARSABLE', `cannot parse listener entry "${raw}"`);
      return { name: m[1] as string, host: m[2] as string, port: Number(m[3]), raw };
    });
}

export function endpoint(name: string, host: string, port: number): Endpoint {
  return { name, host, port, raw: `${name}://${host}:${port}` };
}

export function formatListeners(list: readonly Endpoint[]): string {
  return list.map((e) => e.raw).join(',');
}

export interface ProtocolMapping {
  name: string;
  protocol: string;
  raw: string;
}

export function parseProtocolMap(value: string | null | undefined): ProtocolMapping[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((raw) => {
      const i = raw.indexOf(':');
      if (i <= 0) throw new MplError('BROKER_LISTENERS_UNPARSABLE', `cannot parse protocol mapping "${raw}"`);
      return { name: raw.slice(0, i).trim(), protocol: raw.slice(i + 1).trim(), raw };
    });
}

export function formatProtocolMap(list: readonly ProtocolMapping[]): string {
  return list.map((m) => m.raw).join(',');
}

function find<T extends { name: string }>(list: readonly T[], name: string): T | undefined {
  return list.find((e) => sameListener(e.name, name));
}

/**
 * The values of the keys `mode` touches after the change, computed from `base` (the broker's
 * settings without our change). Rewrite: each named listener's advertised entry gets
 * `host:advertisedPort`; every other entry (REPLICATION on b-N-internal names, other client
 * listeners) is kept as written. Additive: a new listener bound on the host of an existing
 * listener (brokers on one machine must not all bind 0.0.0.0), its protocol mapping and its
 * advertised entry; existing entries are kept as written.
 */
export function changedSettings(
  base: ListenerSettings,
  props: BrokerListenerProps,
): Partial<ListenerSettings> {
  const where = `broker ${props.brokerId}`;
  const advertised = parseListeners(base[ADVERTISED]);
  const bound = parseListeners(base[LISTENERS]);
  if (props.mode === 'rewrite') {
    const out = advertised.map((e) => ({ ...e }));
    for (const l of props.listeners) {
      const i = out.findIndex((e) => sameListener(e.name, l.name));
      const current = out[i];
      if (current === undefined) {
        throw new MplError(
          'BROKER_LISTENER_NOT_FOUND',
          `${where} does not advertise a ${l.name} listener (it advertises ${advertised.map((e) => e.name).join(', ') || 'none'}); ` +
            'enable that client authentication on the cluster or remove the listener type from the config',
        );
      }
      const bind = find(bound, l.name);
      if (bind !== undefined && bind.port !== l.port) {
        throw new MplError(
          'BROKER_LISTENER_PORT_MISMATCH',
          `${where}: ${l.name} listens on port ${bind.port}, but the plan's NLB targets port ${l.port}`,
        );
      }
      out[i] = endpoint(current.name, props.host, l.advertisedPort);
    }
    return { [ADVERTISED]: formatListeners(out) };
  }
  const ours = (e: { name: string }): boolean => props.listeners.some((l) => sameListener(l.name, e.name));
  const map = parseProtocolMap(base[PROTOCOL_MAP]);
  const newBound = bound.filter((e) => !ours(e));
  const newMap = map.filter((m) => !ours(m));
  const newAdvertised = advertised.filter((e) => !ours(e));
  for (const l of props.listeners) {
    const clash = newBound.find((e) => e.port === l.port);
    if (clash) {
      throw new MplError(
        'BROKER_LISTENER_PORT_IN_USE',
        `${where}: port ${l.port} for the new ${l.name} listener is already used by ${clash.name}`,
      );
    }
    // Bind where the broker's existing listeners bind (same protocol preferred): MSK binds its
    // listeners to the broker's own address, and brokers sharing a host must not collide.
    const sibling = newBound.find((e) => find(map, e.name)?.protocol === l.securityProtocol) ?? newBound[0];
    newBound.push(endpoint(l.name, sibling?.host ?? '', l.port));
    newMap.push({ name: l.name, protocol: l.securityProtocol, raw: `${l.name}:${l.securityProtocol}` });
    newAdvertised.push(endpoint(l.name, props.host, l.advertisedPort));
  }
  return {
    [ADVERTISED]: formatListeners(newAdvertised),
    [LISTENERS]: formatListeners(newBound),
    [PROTOCOL_MAP]: formatProtocolMap(newMap),
  };
}

/** True when `current` carries (part of) the change `template` describes. */
export function changePresent(current: ListenerSettings, template: BrokerListenerProps): boolean {
  const advertised = parseListeners(current[ADVERTISED]);
  const bound = parseListeners(current[LISTENERS]);
  if (template.mode === 'rewrite') {
    // The planner never assigns a listener's own port as its advertised port (ports.ts avoids
    // MSK's ports), so an advertised port that differs from the bound one is a rewrite.
    return template.listeners.some((l) => {
      const a = find(advertised, l.name);
      const b = find(bound, l.name);
      return a !== undefined && b !== undefined && a.port !== b.port;
    });
  }
  return template.listeners.some((l) => find(advertised, l.name) ?? find(bound, l.name));
}

/**
 * The props as the broker shows them, in the planner's shape: for each listener of `template`
 * that the broker advertises, its protocol, bind port and advertised port. Listeners the broker
 * does not have are left out, so the diff shows the change.
 */
export function observedProps(current: ListenerSettings, template: BrokerListenerProps): BrokerListenerProps {
  const advertised = parseListeners(current[ADVERTISED]);
  const bound = parseListeners(current[LISTENERS]);
  const map = parseProtocolMap(current[PROTOCOL_MAP]);
  const listeners: BrokerListenerProps['listeners'] = [];
  let host: string | undefined;
  for (const l of template.listeners) {
    const a = find(advertised, l.name);
    const b = find(bound, l.name);
    if (a === undefined || b === undefined) continue;
    host ??= a.host;
    const protocol = find(map, l.name)?.protocol ?? l.name;
    listeners.push({
      name: l.name,
      securityProtocol: protocol as BrokerListenerProps['listeners'][number]['securityProtocol'],
      port: b.port,
      advertisedPort: a.port,
    });
  }
  return { brokerId: template.brokerId, host: host ?? template.host, mode: template.mode, listeners };
}

/**
 * Best effort for a change found on a broker with no record of what was there before (a run
 * killed between the change and the state write): undo the change on the current dynamic values.
 * A value that then equals the broker's static one is reported as null (not set dynamically).
 */
export function reconstructOriginal(
  dynamic: Partial<Record<ListenerKey, string>>,
  base: ListenerSettings,
  template: BrokerListenerProps,
): Original {
  const out: Original = {};
  const ours = (e: { name: string }): boolean => template.listeners.some((l) => sameListener(l.name, e.name));
  for (const key of KEYS_OF_MODE[template.mode]) {
    const value = dynamic[key];
    if (value === undefined) {
      out[key] = null;
      continue;
    }
    let undone: string;
    if (key === PROTOCOL_MAP) {
      undone = formatProtocolMap(parseProtocolMap(value).filter((m) => !ours(m)));
    } else if (template.mode === 'additive') {
      undone = formatListeners(parseListeners(value).filter((e) => !ours(e)));
    } else {
      const bound = parseListeners(dynamic[LISTENERS] ?? base[LISTENERS]);
      undone = formatListeners(
        parseListeners(value).map((e) => {
          const b = ours(e) ? find(bound, e.name) : undefined;
          return b === undefined ? e : endpoint(e.name, e.host, b.port);
        }),
      );
    }
    out[key] = undone === base[key] ? null : undone;
  }
  return out;
}

/** The stable JSON form kept in state (keys in LISTENER_KEYS order). */
export function encodeOriginal(original: Original): string {
  const ordered: Original = {};
  for (const k of LISTENER_KEYS) if (k in original) ordered[k] = original[k] ?? null;
  return JSON.stringify(ordered);
}

export function decodeOriginal(text: unknown): Original | undefined {
  if (typeof text !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const out: Original = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!(LISTENER_KEYS as readonly string[]).includes(k)) return undefined;
    if (v !== null && typeof v !== 'string') return undefined;
    out[k as ListenerKey] = v;
  }
  return out;
}
