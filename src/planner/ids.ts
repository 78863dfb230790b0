// Logical ids: the stable names the planner gives resources, which state files are keyed by. Their
// strings are a stored format: every constructor here must keep producing exactly today's bytes.
//
// Shape: `<owner>/<kind>` or `<owner>/<kind>/<part>`, such as `b-2/target-group/tls`,
// `analytics/vpc-endpoint/b-2`, `analytics/vpc-endpoint`, `provider/security-group-rule/9094-9098`.
// Parsing is unambiguous because:
//  - no segment can hold a "/": owners are fixed words, broker keys (`b-<id>`) or consumer names
//    (the config schema allows only `[a-z][a-z0-9-]*`), kinds are fixed words, listener types are
//    `[a-z_]+`, port ranges are digits and one hyphen; so splitting on "/" recovers the segments;
//  - the owner's class follows from its text alone: the schema refuses the consumer names
//    "provider", "shared", "bootstrap" and "b-<digits>", so a first segment is one of those words, a
//    broker key, or a consumer name, never two of them. parseId checks consumer owners with the
//    schema's own name rule, so it accepts exactly the names a config can hold;
//  - the kind then says what the optional third segment is (listener, broker key or port range).
import { KINDS, type Kind } from '../kinds/index.js';
import { ConsumerSchema, LISTENER_TYPES, type Broker, type ListenerType } from '../config/schema.js';

/** A broker as ids name it: `b-<broker id>`. */
export type BrokerKey = `b-${number}`;
/** A consumer's name from the config (the schema keeps it free of "/" and of the reserved owners). */
export type ConsumerName = string;
export type BrokerRef = Pick<Broker, 'id'>;

/** The middle segment: the resource's kind, from the registry. */
export const ID_KINDS = KINDS;
export type IdKind = Kind;

declare const idKind: unique symbol;
/** A logical id of kind K: a plain string at run time and in state; made only by `ids.*` and formatId. */
export type LogicalId<K extends IdKind = IdKind> = string & { readonly [idKind]: K };

export type Scope = 'broker' | 'bootstrap' | 'shared' | 'provider' | 'consumer';
type BrokerOwner = { scope: 'broker'; owner: BrokerKey };
type SharedOwner = { scope: 'shared'; owner: 'shared' };
type BootstrapOwner = { scope: 'bootstrap'; owner: 'bootstrap' };
type ProviderOwner = { scope: 'provider'; owner: 'provider' };
type ConsumerOwner = { scope: 'consumer'; owner: ConsumerName };

export interface PortRange {
  from: number;
  to: number;
}
/** The optional third segment, by what it holds; an id has at most one. */
interface Parts {
  broker: BrokerKey;
  listener: ListenerType;
  ports: PortRange;
  /**
   * With `broker`: the segment is `b-<n>-pl`, the broker's PrivateLink name (pattern 2 in
   * msk-configuration mode advertises `b-<n>-pl.<cluster domain>` beside the broker's own name).
   */
  sibling: true;
  /** `monitor`'s per-AZ resources: the AZ ID (`use2-az1`). */
  az: string;
  /** `monitor`'s roles and security group: `probe` (the function's) or `scheduler` (the schedule's). */
  role: MonitorRole;
  /** Pattern 0's managed VPC connections: the authentication scheme (`iam`, `scram`, `tls`). */
  scheme: VpcScheme;
}
export type VpcScheme = 'iam' | 'scram' | 'tls';
export type MonitorRole = 'probe' | 'scheduler';
// One member per kind (K distributes), so `p.kind === 'listener'` narrows. Parts a shape lacks are
// typed `?: undefined`, so `p.broker` reads on any ParsedId.
type Shape<
  O,
  K extends IdKind,
  Req extends keyof Parts = never,
  Opt extends keyof Parts = never,
> = K extends IdKind
  ? O & { kind: K } & Pick<Parts, Req> &
      Partial<Pick<Parts, Opt>> & { [P in Exclude<keyof Parts, Req | Opt>]?: undefined }
  : never;

/**
 * A logical id taken apart. `owner` is the first segment; `broker` is the third segment when that
 * names a broker (a consumer's endpoint or record), not the owner of broker-owned ids (use brokerOf).
 */
export type ParsedId =
  | Shape<BrokerOwner | SharedOwner, 'load-balancer' | 'endpoint-service' | 'endpoint-service-permissions'>
  | Shape<BrokerOwner | BootstrapOwner, 'target-group' | 'listener', 'listener'>
  | Shape<BrokerOwner, 'broker-listener-config'>
  | Shape<ProviderOwner, 'security-group-rule', 'ports'>
  // The provider VPC has one zone per broker name (pattern 2): `provider/hosted-zone/b-<n>`.
  | Shape<ProviderOwner | ConsumerOwner, 'hosted-zone', never, 'broker' | 'sibling'>
  | Shape<ProviderOwner | ConsumerOwner, 'dns-record', 'broker', 'sibling'>
  // Pattern 1: one endpoint (and acceptance) per broker; pattern 2: one per consumer, no third part.
  | Shape<ConsumerOwner, 'vpc-endpoint' | 'endpoint-connection-acceptance', never, 'broker'>
  | Shape<ConsumerOwner, 'ssm-parameter'>
  // The provider account's own group: the NLBs' (patterns 1 and 2) or the resource gateway's (3).
  | Shape<ProviderOwner, 'security-group'>
  // A consumer's endpoint group, and `monitor`'s probe group: `<consumer>/security-group/probe`.
  | Shape<ConsumerOwner, 'security-group', never, 'role'>
  | Shape<ProviderOwner, 'resource-gateway'>
  // The group configuration is `shared`, each broker's child is owned by the broker.
  | Shape<BrokerOwner | SharedOwner, 'resource-configuration'>
  | Shape<SharedOwner, 'resource-share'>
  | Shape<ConsumerOwner, 'resource-share-acceptance' | 'resource-endpoint'>
  // Pattern 2's MSK configuration (custom.advertised.listeners) on the cluster.
  | Shape<SharedOwner, 'cluster-configuration'>
  // `monitor`: per consumer, roles, one function and schedule per AZ ID, one alarm.
  | Shape<ConsumerOwner, 'iam-role', 'role'>
  | Shape<ConsumerOwner, 'lambda-function' | 'schedule', 'az'>
  | Shape<ConsumerOwner, 'metric-alarm'>
  // Pattern 0: MSK's multi-VPC connectivity and cluster policy, a managed VPC connection per scheme.
  | Shape<SharedOwner, 'cluster-connectivity' | 'cluster-policy'>
  | Shape<ConsumerOwner, 'vpc-connection', 'scheme'>;
export type ParsedOf<K extends IdKind> = Extract<ParsedId, { kind: K }>;

/** Per kind: the owners it may have and what its third segment is. Drives parseId; mirrors ParsedId. */
const SHAPES: Record<IdKind, { scopes: readonly Scope[]; part?: keyof Parts; optional?: true }> = {
  'load-balancer': { scopes: ['broker', 'shared'] },
  'endpoint-service': { scopes: ['broker', 'shared'] },
  'endpoint-service-permissions': { scopes: ['broker', 'shared'] },
  'target-group': { scopes: ['broker', 'bootstrap'], part: 'listener' },
  listener: { scopes: ['broker', 'bootstrap'], part: 'listener' },
  'broker-listener-config': { scopes: ['broker'] },
  'security-group-rule': { scopes: ['provider'], part: 'ports' },
  'hosted-zone': { scopes: ['provider', 'consumer'], part: 'broker', optional: true },
  'dns-record': { scopes: ['provider', 'consumer'], part: 'broker' },
  'vpc-endpoint': { scopes: ['consumer'], part: 'broker', optional: true },
  'endpoint-connection-acceptance': { scopes: ['consumer'], part: 'broker', optional: true },
  'security-group': { scopes: ['consumer', 'provider'], part: 'role', optional: true },
  'ssm-parameter': { scopes: ['consumer'] },
  'resource-gateway': { scopes: ['provider'] },
  'resource-configuration': { scopes: ['broker', 'shared'] },
  'resource-share': { scopes: ['shared'] },
  'resource-share-acceptance': { scopes: ['consumer'] },
  'resource-endpoint': { scopes: ['consumer'] },
  'cluster-configuration': { scopes: ['shared'] },
  'iam-role': { scopes: ['consumer'], part: 'role' },
  'lambda-function': { scopes: ['consumer'], part: 'az' },
  schedule: { scopes: ['consumer'], part: 'az' },
  'metric-alarm': { scopes: ['consumer'] },
  'cluster-connectivity': { scopes: ['shared'] },
  'cluster-policy': { scopes: ['shared'] },
  'vpc-connection': { scopes: ['consumer'], part: 'scheme' },
};

// ---------------------------------------------------------------- segments

const BROKER_KEY = /^b-([1-9]\d*)$/;
const SIBLING_KEY = /^(b-[1-9]\d*)-pl$/;
/** The kinds whose broker part may name the broker's PrivateLink name instead (`b-<n>-pl`). */
const SIBLING_KINDS: ReadonlySet<IdKind> = new Set(['dns-record', 'hosted-zone']);
const PORT_RANGE = /^([1-9]\d*)(?:-([1-9]\d*))?$/;
// The config's AZ ID rule (config/schema.ts AzId).
const AZ_ID = /^[a-z0-9]+(-[a-z0-9]+)*-az\d+$/;
const MONITOR_ROLES: ReadonlySet<string> = new Set<MonitorRole>(['probe', 'scheduler']);
const VPC_SCHEMES: ReadonlySet<string> = new Set<VpcScheme>(['iam', 'scram', 'tls']);

function brokerKey(b: BrokerRef): BrokerKey {
  // Guards the format: b-0, b-1.5 or b--1 would not parse back.
  if (!Number.isSafeInteger(b.id) || b.id < 1) throw new Error(`planner bug: broker id ${b.id} in an id`);
  return `b-${b.id}`;
}

// The schema check is pure but costs a zod parse; a plan asks about the same few names hundreds of times.
const consumerNames = new Set<string>();
function isConsumerName(s: string): boolean {
  if (consumerNames.has(s)) return true;
  const ok = ConsumerSchema.shape.name.safeParse(s).success;
  if (ok && consumerNames.size < 10_000) consumerNames.add(s);
  return ok;
}

function consumer(name: ConsumerName): ConsumerName {
  if (!isConsumerName(name)) throw new Error(`planner bug: "${name}" is not a consumer name an id can hold`);
  return name;
}

const brokerPart = (b: BrokerRef, sibling: boolean): string =>
  sibling ? `${brokerKey(b)}-pl` : brokerKey(b);

const ownerKey = <W extends string>(o: BrokerRef | W): BrokerKey | W =>
  typeof o === 'string' ? o : brokerKey(o);

function azPart(azId: string): string {
  if (!AZ_ID.test(azId)) throw new Error(`planner bug: "${azId}" is not an AZ ID`);
  return azId;
}

function rangeText({ from, to }: PortRange): string {
  return from === to ? `${from}` : `${from}-${to}`;
}

function isPort(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1 && n <= 65535;
}

// ---------------------------------------------------------------- format and parse

/** The one place the "/" format is written. Constructors call it directly: ids are made per resource. */
function join<K extends IdKind>(owner: string, kind: K, part?: string): LogicalId<K> {
  return (part === undefined ? `${owner}/${kind}` : `${owner}/${kind}/${part}`) as LogicalId<K>;
}

/** The id string of a parsed id: formatId(parseId(s)) === s for every id parseId accepts. */
export function formatId<P extends ParsedId>(p: P): LogicalId<P['kind']> {
  const broker = p.broker && (p.sibling ? `${p.broker}-pl` : p.broker);
  return join(
    p.owner,
    p.kind,
    p.listener ?? broker ?? (p.ports && rangeText(p.ports)) ?? p.az ?? p.role ?? p.scheme,
  );
}

const KIND_SET: ReadonlySet<string> = new Set(ID_KINDS);
const LISTENER_SET: ReadonlySet<string> = new Set(LISTENER_TYPES);

function scopeOf(owner: string): Scope | undefined {
  if (owner === 'provider' || owner === 'shared' || owner === 'bootstrap') return owner;
  if (BROKER_KEY.test(owner)) return 'broker';
  return isConsumerName(owner) ? 'consumer' : undefined;
}

function portRangeOf(text: string): PortRange | undefined {
  const m = PORT_RANGE.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  // "9094-9094" is not how a single port is written, so it is not an id the planner makes.
  const ok = isPort(from) && isPort(to) && (m[2] === undefined || from < to);
  return ok ? { from, to } : undefined;
}

/** The parsed id, or undefined when `id` is not one the planner could have made. */
export function tryParseId(id: string): ParsedId | undefined {
  const segs = id.split('/');
  const [owner, kind, text] = segs;
  if (owner === undefined || kind === undefined || segs.length > 3 || !KIND_SET.has(kind)) return undefined;
  const shape = SHAPES[kind as IdKind];
  const scope = scopeOf(owner);
  if (scope === undefined || !shape.scopes.includes(scope)) return undefined;
  // The casts below: SHAPES mirrors ParsedId, and test/unit/ids.test.ts round trips every shape.
  if (text === undefined) {
    return shape.part === undefined || shape.optional ? ({ scope, owner, kind } as ParsedId) : undefined;
  }
  switch (shape.part) {
    case undefined:
      return undefined;
    case 'broker': {
      if (BROKER_KEY.test(text)) return { scope, owner, kind, broker: text } as ParsedId;
      const sibling = SIBLING_KINDS.has(kind as IdKind) ? SIBLING_KEY.exec(text)?.[1] : undefined;
      return sibling === undefined
        ? undefined
        : ({ scope, owner, kind, broker: sibling, sibling: true } as ParsedId);
    }
    case 'listener':
      return LISTENER_SET.has(text) ? ({ scope, owner, kind, listener: text } as ParsedId) : undefined;
    case 'ports': {
      const ports = portRangeOf(text);
      return ports && ({ scope, owner, kind, ports } as ParsedId);
    }
    case 'az':
      return AZ_ID.test(text) ? ({ scope, owner, kind, az: text } as ParsedId) : undefined;
    case 'scheme':
      return VPC_SCHEMES.has(text) ? ({ scope, owner, kind, scheme: text } as ParsedId) : undefined;
    case 'role':
      // The provider's security group has no role part (only a consumer's may).
      return MONITOR_ROLES.has(text) &&
        scope === 'consumer' &&
        (kind !== 'security-group' || text === 'probe')
        ? ({ scope, owner, kind, role: text } as ParsedId)
        : undefined;
  }
}

/** Takes a logical id apart; throws on a string that is not one the planner could have made. */
export function parseId<K extends IdKind>(id: LogicalId<K>): ParsedOf<K>;
export function parseId(id: string): ParsedId;
export function parseId(id: string): ParsedId {
  const p = tryParseId(id);
  if (p === undefined) throw new Error(`not a logical id: "${id}"`);
  return p;
}

/** The broker an id is about: its owner for broker-owned ids, else its broker part. */
export function brokerOf(p: ParsedId): BrokerKey | undefined {
  return p.scope === 'broker' ? p.owner : p.broker;
}

/** The broker id in a broker key: `b-12` -> 12. */
export function brokerIdOf(key: BrokerKey): number {
  return Number(key.slice('b-'.length));
}

// ---------------------------------------------------------------- constructors

/**
 * One constructor per id shape the planner emits. Owners are a broker (`{ id }`) or a fixed word;
 * consumer names are checked against the schema's rule, so no constructor can make an id that parses
 * as something else.
 */
export const ids = {
  brokerKey,

  /** `b-<n>/load-balancer` (pattern 1, one NLB per broker) or `shared/load-balancer` (pattern 2). */
  loadBalancer: (owner: BrokerRef | 'shared') => join(ownerKey(owner), 'load-balancer'),
  /** `b-<n>/target-group/<listener>` or `bootstrap/target-group/<listener>`. */
  targetGroup: (owner: BrokerRef | 'bootstrap', listener: ListenerType) =>
    join(ownerKey(owner), 'target-group', listener),
  /** `b-<n>/listener/<listener>` or `bootstrap/listener/<listener>`. */
  listener: (owner: BrokerRef | 'bootstrap', listener: ListenerType) =>
    join(ownerKey(owner), 'listener', listener),
  /** `b-<n>/endpoint-service` or `shared/endpoint-service`. */
  endpointService: (owner: BrokerRef | 'shared') => join(ownerKey(owner), 'endpoint-service'),
  /** The permissions that go with an endpoint service: `<owner>/endpoint-service-permissions`. */
  permissionsFor: (service: LogicalId<'endpoint-service'>) =>
    join(parseId(service).owner, 'endpoint-service-permissions'),
  /** `b-<n>/broker-listener-config` (pattern 2). */
  brokerListenerConfig: (b: BrokerRef) => join(brokerKey(b), 'broker-listener-config'),

  /** `provider/security-group-rule/<from>` or `.../<from>-<to>`: broker security group ingress. */
  securityGroupRule: (from: number, to: number = from) => {
    if (!isPort(from) || !isPort(to) || from > to) throw new Error(`planner bug: port range ${from}-${to}`);
    return join('provider', 'security-group-rule', rangeText({ from, to }));
  },
  /**
   * `provider/hosted-zone/b-<n>`: the provider VPC's zone for one broker name (pattern 2), so the
   * cluster's other names (bootstrap, ZooKeeper, replication) keep resolving through MSK.
   * `provider/hosted-zone` (no broker) is the whole-sub-domain zone of earlier versions.
   */
  providerZone: (b?: BrokerRef, sibling = false) =>
    join('provider', 'hosted-zone', b && brokerPart(b, sibling)),
  /** `provider/dns-record/b-<n>`, or `.../b-<n>-pl` for the broker's PrivateLink name. */
  providerRecord: (b: BrokerRef, sibling = false) => join('provider', 'dns-record', brokerPart(b, sibling)),

  /** `<consumer>/security-group`. */
  consumerSecurityGroup: (name: ConsumerName) => join(consumer(name), 'security-group'),
  /** `<consumer>/hosted-zone`. */
  consumerZone: (name: ConsumerName) => join(consumer(name), 'hosted-zone'),
  /** `<consumer>/vpc-endpoint/b-<n>` (pattern 1) or `<consumer>/vpc-endpoint` (pattern 2: no broker). */
  consumerEndpoint: (name: ConsumerName, broker?: BrokerRef) =>
    join(consumer(name), 'vpc-endpoint', broker && brokerKey(broker)),
  /** The acceptance of an endpoint's connection: same owner and broker part. */
  acceptanceFor: (endpoint: LogicalId<'vpc-endpoint'>) => {
    const p = parseId(endpoint);
    return join(p.owner, 'endpoint-connection-acceptance', p.broker);
  },
  /** `<consumer>/dns-record/b-<n>`, or `.../b-<n>-pl` for the broker's PrivateLink name. */
  consumerRecord: (name: ConsumerName, b: BrokerRef, sibling = false) =>
    join(consumer(name), 'dns-record', brokerPart(b, sibling)),
  /** `<consumer>/ssm-parameter`: the bootstrap-servers parameter. */
  bootstrapParameter: (name: ConsumerName) => join(consumer(name), 'ssm-parameter'),

  /**
   * `provider/security-group`: the provider's own group, one per stack: the NLBs' (patterns 1 and 2)
   * or the resource gateway's (pattern 3, which has no NLB).
   */
  providerSecurityGroup: () => join('provider', 'security-group'),

  // Pattern 3 (PrivateLink VPC resources).
  /** `provider/resource-gateway`. */
  resourceGateway: () => join('provider', 'resource-gateway'),
  /** `shared/resource-configuration` (the group) or `b-<n>/resource-configuration` (a broker's child). */
  resourceConfiguration: (owner: BrokerRef | 'shared') => join(ownerKey(owner), 'resource-configuration'),
  /** `shared/resource-share`: the AWS RAM share of the group with the consumer accounts. */
  resourceShare: () => join('shared', 'resource-share'),
  /** `<consumer>/resource-share-acceptance`: the consumer account's acceptance of the share. */
  shareAcceptance: (name: ConsumerName) => join(consumer(name), 'resource-share-acceptance'),
  /** `<consumer>/resource-endpoint`: the consumer's VPC endpoint of type Resource. */
  resourceEndpoint: (name: ConsumerName) => join(consumer(name), 'resource-endpoint'),

  /** `shared/cluster-configuration`: pattern 2's MSK configuration applied to the cluster. */
  clusterConfiguration: () => join('shared', 'cluster-configuration'),

  // `monitor`: the in-VPC probe on a schedule, per consumer.
  /** `<consumer>/iam-role/probe` (the function's) or `<consumer>/iam-role/scheduler` (the schedule's). */
  monitorRole: (name: ConsumerName, role: MonitorRole) => join(consumer(name), 'iam-role', role),
  /** `<consumer>/security-group/probe`: the function's group, egress to the endpoints' ports only. */
  monitorSecurityGroup: (name: ConsumerName) => join(consumer(name), 'security-group', 'probe'),
  /** `<consumer>/lambda-function/<AZ ID>`. */
  monitorFunction: (name: ConsumerName, azId: string) =>
    join(consumer(name), 'lambda-function', azPart(azId)),
  /** `<consumer>/schedule/<AZ ID>`. */
  monitorSchedule: (name: ConsumerName, azId: string) => join(consumer(name), 'schedule', azPart(azId)),
  /** `<consumer>/metric-alarm`. */
  monitorAlarm: (name: ConsumerName) => join(consumer(name), 'metric-alarm'),

  // Pattern 0: MSK's managed multi-VPC connectivity.
  /** `shared/cluster-connectivity`: multi-VPC connectivity on the cluster for the schemes used. */
  clusterConnectivity: () => join('shared', 'cluster-connectivity'),
  /** `shared/cluster-policy`: the consumer accounts' permission to connect. */
  clusterPolicy: () => join('shared', 'cluster-policy'),
  /** `<consumer>/vpc-connection/<scheme>`. */
  vpcConnection: (name: ConsumerName, scheme: VpcScheme) => join(consumer(name), 'vpc-connection', scheme),
} as const;

// ---------------------------------------------------------------- port-assignment keys

/** Pattern 2's port-assignment key in state: `<broker id>/<listener>`, e.g. `2/tls` (no `b-`). */
export type PortKey = `${number}/${ListenerType}`;

export function portKey(brokerId: number, listener: ListenerType): PortKey {
  return `${brokerId}/${listener}`;
}

/** The broker id and listener of a port-assignment key; undefined for any other string. */
export function parsePortKey(key: string): { brokerId: number; listener: ListenerType } | undefined {
  const m = /^([1-9]\d*)\/([a-z_]+)$/.exec(key);
  if (!m || !LISTENER_SET.has(m[2] as string)) return undefined;
  const brokerId = Number(m[1]);
  return Number.isSafeInteger(brokerId) ? { brokerId, listener: m[2] as ListenerType } : undefined;
}
