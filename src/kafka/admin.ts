// Admin access to the MSK brokers with kafkajs: a client that dials each broker by its IP on the
// listener we were given while TLS keeps the broker's name, and helpers over DescribeConfigs /
// AlterConfigs for one broker's dynamic settings.
import net from 'node:net';
import tls from 'node:tls';
// kafkajs is CommonJS and its export list defeats Node's named-export detection for everything
// but `Kafka` (it spreads its errors into module.exports): take values from the default export.
import kafkajs from 'kafkajs';
import type { Admin, ISocketFactory, SASLOptions } from 'kafkajs';
import { MplError } from '../errors.js';
import { LISTENER_KEYS, type ListenerKey, type ListenerSettings } from './listeners.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;

/** DescribeConfigs config sources (Kafka's DescribeConfigsResponse, also kafkajs' ConfigSource). */
export const CONFIG_SOURCE = { DYNAMIC_BROKER_CONFIG: 2 } as const;

/**
 * How the executor reaches the brokers' admin API. Built from the inventory (ids, names and IPs
 * from MSK ListNodes) and the config (which client listener to use and its credentials).
 */
export interface KafkaAccess {
  brokers: Array<{ id: number; host: string; ip: string }>;
  /**
   * The listener the admin client uses: its real (bound) port, e.g. 9094, and its security.
   * `ssl: true` or TLS options (e.g. `{ ca: [pem] }`) for TLS/SASL_SSL listeners; false for plaintext.
   */
  listener: { port: number; ssl: boolean | tls.ConnectionOptions; sasl?: SASLOptions };
  clientId?: string;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** Either connection details (the handler connects and disconnects per call) or a borrowed admin. */
export type AdminSource = KafkaAccess | (() => Promise<Admin>);

/**
 * Dials every broker at (its IP, the admin listener's real port) whatever host:port metadata
 * names: after a rewrite the brokers advertise ports only the NLB listens on, and the admin must
 * keep reaching them directly. The broker name stays the TLS server name, so hostname
 * verification still applies (Node checks `servername` when it is set).
 */
export function directSocketFactory(
  brokers: KafkaAccess['brokers'],
  realPort: number,
  tlsDefaults: tls.ConnectionOptions = {},
): ISocketFactory {
  const byName = new Map(brokers.map((b) => [b.host.toLowerCase(), b]));
  // Another name a broker advertises (pattern 2's `b-<id>-pl.<cluster domain>` or `b-<id>.<custom
  // domain>`) leads to the same broker.
  const byId = new Map(brokers.map((b) => [b.id, b]));
  const brokerOf = (host: string): KafkaAccess['brokers'][number] | undefined => {
    const known = byName.get(host.toLowerCase());
    if (known !== undefined) return known;
    const id = /^b-([1-9]\d*)(?:-pl)?\./i.exec(host)?.[1];
    return id === undefined ? undefined : byId.get(Number(id));
  };
  return ({ host, ssl, onConnect }) => {
    const broker = brokerOf(host);
    const ip = broker?.ip ?? host;
    // Straight to the broker, which presents its own certificate: verify its own name (a custom
    // domain's names are on the NLB's certificate, not the broker's).
    const servername = broker?.host ?? host;
    // kafkajs hands over `ssl: true` unchanged when the client was configured with `ssl: true`.
    const sslOpts: tls.ConnectionOptions | undefined =
      typeof ssl === 'object' && ssl !== null ? ssl : (ssl as unknown) === true ? {} : undefined;
    const socket = sslOpts
      ? tls.connect(
          {
            ...tlsDefaults,
            ...sslOpts,
            host: ip,
            port: realPort,
            ...(net.isIP(servername) ? {} : { servername }),
          },
          onConnect,
        )
      : net.connect({ host: ip, port: realPort }, onConnect);
    socket.setKeepAlive(true, 60_000); // kafkajs' default factory does the same
    return socket;
  };
}

/** A kafkajs client over `access`, dialing `port` (default: the access listener's). */
export function kafkaFor(access: KafkaAccess, brokers = access.brokers, port = access.listener.port) {
  const { ssl, sasl } = access.listener;
  return new Kafka({
    clientId: access.clientId ?? 'msk-privatelink',
    brokers: brokers.map((b) => `${b.host}:${port}`),
    ssl: ssl === false ? false : ssl === true ? true : ssl,
    ...(sasl ? { sasl } : {}),
    socketFactory: directSocketFactory(brokers, port),
    // kafkajs' defaults (1 s connect, 30 s request, 5 retries) take ~15 s to report a dead path.
    connectionTimeout: access.connectionTimeoutMs ?? 3000,
    requestTimeout: access.requestTimeoutMs ?? 10_000,
    retry: { retries: 2, initialRetryTime: 200 },
    logLevel: logLevel.NOTHING,
  });
}

export async function connectAdmin(access: KafkaAccess): Promise<Admin> {
  const admin = kafkaFor(access).admin();
  try {
    await admin.connect();
  } catch (e) {
    await admin.disconnect().catch(() => undefined);
    throw new MplError(
      'KAFKA_UNREACHABLE',
      `cannot reach the brokers' admin API on port ${access.listener.port} (${access.brokers.map((b) => b.ip).join(', ')})`,
      { cause: e, retriable: true, detail: errorText(e) },
    );
  }
  return admin;
}

/** Runs `fn` with an admin: connected for the call and closed after, or borrowed as is. */
export async function withAdmin<T>(source: AdminSource, fn: (admin: Admin) => Promise<T>): Promise<T> {
  if (typeof source === 'function') return fn(await source());
  const admin = await connectAdmin(source);
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface DynamicEntry {
  name: string;
  /** null for sensitive values: Kafka never returns them. */
  value: string | null;
  sensitive: boolean;
}

/** One broker's configuration as DescribeConfigs reports it. */
export interface BrokerConfig {
  brokerId: number;
  /** Per-broker dynamic settings (source DYNAMIC_BROKER_CONFIG): what legacy AlterConfigs replaces. */
  dynamic: DynamicEntry[];
  /** The effective value of a setting (null when unset). */
  value(name: string): string | null;
  /** The value without the per-broker dynamic override: what removing that override returns to. */
  base(name: string): string | null;
}

/** DescribeConfigs for brokers by id; kafkajs sends each BROKER resource to that broker. */
export async function describeBrokers(admin: Admin, brokerIds: readonly number[]): Promise<BrokerConfig[]> {
  const res = await admin.describeConfigs({
    includeSynonyms: true,
    resources: brokerIds.map((id) => ({ type: ConfigResourceTypes.BROKER, name: String(id) })),
  });
  return brokerIds.map((id) => {
    const r = res.resources.find((x) => x.resourceName === String(id));
    if (!r) throw new MplError('BROKER_CONFIG_UNREADABLE', `broker ${id} did not describe its configuration`);
    if (r.errorCode !== 0) {
      throw new MplError(
        'BROKER_CONFIG_UNREADABLE',
        `broker ${id} refused DescribeConfigs (error ${r.errorCode}${r.errorMessage ? `: ${r.errorMessage}` : ''})`,
      );
    }
    const byName = new Map(r.configEntries.map((e) => [e.configName, e]));
    const dynamic = r.configEntries
      .filter((e) => e.configSource === CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG)
      .map((e) => ({ name: e.configName, value: e.configValue ?? null, sensitive: e.isSensitive }));
    return {
      brokerId: id,
      dynamic,
      value: (name) => byName.get(name)?.configValue ?? null,
      base: (name) => {
        const e = byName.get(name);
        if (!e) return null;
        // Synonyms come in precedence order: per-broker dynamic, cluster dynamic default, static, default.
        const next = e.configSynonyms.find((s) => s.configSource !== CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG);
        if (e.configSource !== CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG) return e.configValue ?? null;
        return next?.configValue ?? null;
      },
    };
  });
}

export async function describeBroker(admin: Admin, brokerId: number): Promise<BrokerConfig> {
  return (await describeBrokers(admin, [brokerId]))[0] as BrokerConfig;
}

/** The listener settings without any per-broker override (advertised.listeners defaults to listeners). */
export function baseSettings(cfg: BrokerConfig): ListenerSettings {
  const listeners = cfg.base('listeners') ?? '';
  return {
    'advertised.listeners': cfg.base('advertised.listeners') || listeners,
    listeners,
    'listener.security.protocol.map': cfg.base('listener.security.protocol.map') ?? '',
  };
}

/** The listener settings in effect now. */
export function currentSettings(cfg: BrokerConfig): ListenerSettings {
  const listeners = cfg.value('listeners') ?? '';
  return {
    'advertised.listeners': cfg.value('advertised.listeners') || listeners,
    listeners,
    'listener.security.protocol.map': cfg.value('listener.security.protocol.map') ?? '',
  };
}

/** The per-broker dynamic values of the listener keys (absent = not set dynamically). */
export function dynamicListenerValues(cfg: BrokerConfig): Partial<Record<ListenerKey, string>> {
  const out: Partial<Record<ListenerKey, string>> = {};
  for (const k of LISTENER_KEYS) {
    const e = cfg.dynamic.find((d) => d.name === k);
    if (e?.value != null) out[k] = e.value;
  }
  return out;
}

/**
 * Refuses when a per-broker dynamic setting cannot be read back (Kafka returns null for sensitive
 * values, and for names it does not know, which it treats as sensitive): legacy AlterConfigs
 * replaces the whole set, so writing back without it would erase it.
 */
export function assertWritable(cfg: BrokerConfig): void {
  const hidden = cfg.dynamic.filter((e) => e.value === null).map((e) => e.name);
  if (hidden.length === 0) return;
  throw new MplError(
    'BROKER_CONFIG_SENSITIVE',
    `broker ${cfg.brokerId} has dynamic settings Kafka does not return (${hidden.join(', ')}); ` +
      `changing its listeners with AlterConfigs would erase them, so nothing was changed`,
    {
      detail:
        'move those settings to the cluster configuration or remove them (kafka-configs --entity-type brokers ' +
        `--entity-name ${cfg.brokerId} --describe lists them), then run again`,
    },
  );
}

/**
 * Writes a broker's complete per-broker dynamic set (legacy AlterConfigs replaces it whole).
 * Kafka's refusal reason travels in the response's error_message, which kafkajs 2.2.4 drops
 * (protocol/requests/alterConfigs/v0/response.js throws by error code only): callers add context.
 */
export async function writeDynamic(
  admin: Admin,
  brokerId: number,
  entries: ReadonlyArray<{ name: string; value: string }>,
  validateOnly = false,
): Promise<void> {
  await admin.alterConfigs({
    validateOnly,
    resources: [{ type: ConfigResourceTypes.BROKER, name: String(brokerId), configEntries: [...entries] }],
  });
}

/** Broker id -> advertised host:port in the metadata of a fresh Metadata request. */
export async function advertisedInMetadata(admin: Admin): Promise<Map<number, string>> {
  const { brokers } = await admin.describeCluster();
  return new Map(brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
}

export function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const type = (e as { type?: unknown }).type;
  return typeof type === 'string' ? `${type}: ${e.message}` : e.message;
}
