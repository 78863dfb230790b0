// Which brokers to probe and what the plan expects of each: from the stack's state (--config, one
// consumer's view) or from cluster metadata (--bootstrap).
import { LISTENER_PORTS, type Config, type Inventory, type ListenerType } from '../config/schema.js';
import { MplError } from '../errors.js';
import { clusterDomain, sortBrokers } from '../planner/cluster.js';
import { SCHEME_OF, VPC_PORT_BASE, vpcName } from '../planner/pattern0.js';
import { parseCustomAdvertised, resolveFor } from '../kafka/custom-advertised.js';
import { sameListener } from '../kafka/listeners.js';
import { ADDITIVE_LISTENER_NAME, MSK_LISTENER_NAME } from '../planner/listeners.js';
import { ids, portKey, type LogicalId } from '../planner/ids.js';
import type { State } from '../state/schema.js';
import type { EndpointRef, ProbeTarget } from './types.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function pickConsumer(config: Config, name: string | undefined): Config['consumers'][number] {
  if (name === undefined) return config.consumers[0] as Config['consumers'][number];
  const c = config.consumers.find((x) => x.name === name);
  if (!c) {
    throw new MplError(
      'UNKNOWN_CONSUMER',
      `--consumer ${name} is not in the config (consumers: ${config.consumers.map((x) => x.name).join(', ')})`,
    );
  }
  return c;
}

export function pickListener(config: Config, wanted: ListenerType | undefined): ListenerType {
  const listeners = config.cluster.listeners;
  if (wanted === undefined) return listeners[0] as ListenerType;
  if (!listeners.includes(wanted)) {
    throw new MplError(
      'UNKNOWN_LISTENER',
      `--listener ${wanted} is not one of the stack's listeners (cluster.listeners: ${listeners.join(', ')})`,
    );
  }
  return wanted;
}

/**
 * One target per broker of the inventory, as consumer `consumerName` reaches it: its name, the
 * planned port (pattern 1: the client port; pattern 2: the broker's advertised port from state), the
 * endpoint behind the name and the record's zone. Pure over config, inventory and state.
 */
export function targetsFromState(
  config: Config,
  inventory: Inventory,
  state: Pick<State, 'resources' | 'portAssignments'>,
  consumerName: string,
  listener: ListenerType,
): ProbeTarget[] {
  const c = pickConsumer(config, consumerName);
  const res = state.resources;
  const zoneEntry = res[ids.consumerZone(c.name)];
  const zoneId = str(zoneEntry?.outputs.zoneId) ?? str(zoneEntry?.physicalId);
  const endpointRef = (logicalId: LogicalId<'vpc-endpoint' | 'resource-endpoint'>): EndpointRef => {
    const e = res[logicalId];
    const endpointId = str(e?.outputs.endpointId) ?? str(e?.physicalId);
    // Pattern 3: VPC Lattice answers each broker name with its own child's addresses, not the
    // endpoint's name, so there is no one name to compare with ('' skips that check).
    const dnsName = config.pattern === 3 ? '' : str(e?.outputs.dnsName);
    if (!e || endpointId === undefined || dnsName === undefined) {
      throw new MplError(
        'NOT_APPLIED',
        `the state has no endpoint ${logicalId} for consumer ${c.name}: run \`apply\` first (or probe with --bootstrap)`,
      );
    }
    return {
      logicalId,
      endpointId,
      dnsName: dnsName.toLowerCase(),
      account: e.account,
      region: e.region,
      vpcId: str(e.props.vpcId) ?? c.vpcId,
    };
  };
  const addresses = brokerAddresses(
    config,
    inventory,
    (id) => res[id]?.props,
    state.portAssignments,
    listener,
  );
  // Pattern 0: MSK's own connection, no endpoint of the stack's to compare with; it must be made.
  if (config.pattern === 0) {
    const scheme = SCHEME_OF[listener];
    const conn = scheme === undefined ? undefined : res[ids.vpcConnection(c.name, scheme)];
    if (conn === undefined)
      throw new MplError(
        'NOT_APPLIED',
        `the state has no managed VPC connection for consumer ${c.name} and ${listener}: run \`apply\` first`,
      );
  }
  return sortBrokers(inventory.brokers).map((b, i) => {
    const { host, port } = addresses[i] as BrokerAddress;
    if (config.pattern === 0) return { id: b.id, host, port, advertised: { host, port } };
    const endpoint =
      config.pattern === 1
        ? endpointRef(ids.consumerEndpoint(c.name, b))
        : config.pattern === 3
          ? endpointRef(ids.resourceEndpoint(c.name))
          : endpointRef(ids.consumerEndpoint(c.name));
    return {
      id: b.id,
      host,
      port,
      advertised: { host, port },
      endpoint,
      ...(zoneId === undefined || zoneEntry === undefined
        ? {}
        : { zone: { zoneId, account: zoneEntry.account } }),
    };
  });
}

export interface BrokerAddress {
  id: number;
  /** The name clients use, lower case. */
  host: string;
  port: number;
}

/**
 * The name and port clients use for each broker (by id), from a resource's props by logical id
 * (state's, or the plan's own for `monitor`) and pattern 2's port table: pattern 1 and 3, the
 * broker name on the listener's client port; pattern 2, what the cluster configuration makes each
 * broker advertise, else (legacy modes) its advertised port. Pure.
 */
export function brokerAddresses(
  config: Config,
  inventory: Inventory,
  propsOf: (id: string) => Record<string, unknown> | undefined,
  portAssignments: Record<string, number>,
  listener: ListenerType,
): BrokerAddress[] {
  const client: number = LISTENER_PORTS[listener];
  if (config.pattern === 0) {
    // The connection's names and ports: b-<id>.<scheme>.<cluster domain>:14000 + id.
    const scheme = SCHEME_OF[listener];
    if (scheme === undefined)
      throw new MplError('UNKNOWN_LISTENER', `${listener} has no multi-VPC connection (pattern 0)`);
    const domain = clusterDomain(inventory, 'inventory');
    return sortBrokers(inventory.brokers).map((b) => ({
      id: b.id,
      host: vpcName(b.id, scheme, domain),
      port: VPC_PORT_BASE + b.id,
    }));
  }
  // Pattern 2 in msk-configuration mode: what MSK's property makes each broker advertise.
  const custom = config.pattern === 2 ? customAdvertisedOf(propsOf, listener) : undefined;
  return sortBrokers(inventory.brokers).map((b) => {
    const host = b.host.toLowerCase();
    if (config.pattern !== 2) return { id: b.id, host, port: client };
    const resolved = custom?.(b.id);
    if (resolved !== undefined) return { id: b.id, ...resolved };
    return { id: b.id, host, port: advertisedPortOf(config, propsOf, portAssignments, b.id, listener) };
  });
}

/**
 * Pattern 2 in msk-configuration mode: broker id -> the host and port the cluster configuration in
 * state makes it advertise on `listener`; undefined without such a configuration (or listener).
 */
function customAdvertisedOf(
  propsOf: (id: string) => Record<string, unknown> | undefined,
  listener: ListenerType,
): ((id: number) => { host: string; port: number } | undefined) | undefined {
  const value = str(propsOf(ids.clusterConfiguration())?.customAdvertisedListeners);
  const parsed = value === undefined ? undefined : parseCustomAdvertised(value);
  if (parsed === undefined || !('entries' in parsed)) return undefined;
  const name = MSK_LISTENER_NAME[listener];
  if (!parsed.entries.some((e) => e.listener === name)) return undefined;
  return (id) => {
    const address = resolveFor(parsed.entries, id)[name];
    if (address === undefined) return undefined;
    const at = address.lastIndexOf(':');
    return { host: address.slice(0, at).toLowerCase(), port: Number(address.slice(at + 1)) };
  };
}

/** Pattern 2: the port state says the broker advertises (broker-listener-config), else its assignment. */
function advertisedPortOf(
  config: Config,
  propsOf: (id: string) => Record<string, unknown> | undefined,
  portAssignments: Record<string, number>,
  brokerId: number,
  listener: ListenerType,
): number {
  const name =
    config.pattern2.mode === 'additive' ? ADDITIVE_LISTENER_NAME[listener] : MSK_LISTENER_NAME[listener];
  const props = propsOf(ids.brokerListenerConfig({ id: brokerId }));
  const listeners = Array.isArray(props?.listeners) ? (props.listeners as unknown[]) : [];
  for (const l of listeners) {
    const o = l as { name?: unknown; advertisedPort?: unknown };
    if (typeof o.name === 'string' && sameListener(o.name, name) && typeof o.advertisedPort === 'number')
      return o.advertisedPort;
  }
  const assigned = portAssignments[portKey(brokerId, listener)];
  if (assigned !== undefined) return assigned;
  throw new MplError(
    'NOT_APPLIED',
    `the state has no advertised port for broker ${brokerId} (${listener}): run \`apply\` first`,
  );
}

/** "host:port,host:port" -> entries; the port defaults to the listener's client port. */
export function parseBootstrap(spec: string, listener: ListenerType): Array<{ host: string; port: number }> {
  const out = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(s);
      const port = m?.[2] === undefined ? LISTENER_PORTS[listener] : Number(m[2]);
      if (!m || port < 1 || port > 65535)
        throw new MplError('INVALID_INPUT', `--bootstrap: "${s}" is not HOST:PORT`);
      return { host: (m[1] as string).toLowerCase(), port };
    });
  if (out.length === 0) throw new MplError('INVALID_INPUT', '--bootstrap: give at least one HOST:PORT');
  return out;
}

/** The listener a bootstrap port suggests (MSK's client ports); tls for any other port. */
export function listenerForPort(port: number): ListenerType {
  const hit = (Object.entries(LISTENER_PORTS) as Array<[ListenerType, number]>).find(([, p]) => p === port);
  return hit?.[0] ?? 'tls';
}
