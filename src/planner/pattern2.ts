// Pattern 2: one shared NLB with a port per broker. The brokers advertise their ports through MSK's
// custom.advertised.listeners (msk-configuration mode) or, on ZooKeeper clusters, through per-broker
// dynamic settings (the legacy rewrite and additive modes); pattern2-mode.ts chooses.
import type { Broker, ListenerType } from '../config/schema.js';
import { PlanRefused } from '../errors.js';
import {
  checkCustomAdvertised,
  formatCustomAdvertised,
  type AdvertisedEntry,
} from '../kafka/custom-advertised.js';
import { consumerSubnetsAllAzs, onePerAz } from './azs.js';
import { ids, portKey, type BrokerRef, type LogicalId } from './ids.js';
import {
  brokerPort,
  clientPort,
  ADDITIVE_LISTENER_NAME,
  MSK_LISTENER_NAME,
  SECURITY_PROTOCOL,
} from './listeners.js';
import { tagsFor } from './names.js';
import {
  advertisedName,
  hostPattern,
  pattern2Names,
  terminatesTls,
  SIBLING_SUFFIX,
  type Pattern2Names,
} from './pattern2-domain.js';
import { pattern2Mode, type Pattern2Mode } from './pattern2-mode.js';
import { assignPorts, isMskReserved } from './ports.js';
import { QUOTAS } from './quotas.js';
import {
  addBootstrapParameter,
  addBrokerSecurityGroupRules,
  addConsumerSecurityGroup,
  addConsumerZone,
  addEndpoint,
  addEndpointService,
  addLoadBalancer,
  addNlbSecurityGroup,
  addRecord,
  addTargetGroupAndListener,
  keptWithoutGroup,
  provider,
  regionOf,
  type Ctx,
} from './stack-parts.js';

/** Ports between listener types in msk-configuration mode: listener k's broker N is on base + 1000k + N. */
export const LISTENER_PORT_STRIDE = 1000;
/** Stands for the cluster's ARN when the inventory file does not carry it. */
export const UNKNOWN_CLUSTER_ARN = '(unknown: add clusterArn to the inventory file)';

export function planPattern2(ctx: Ctx): Record<string, number> {
  const { config, set, brokers, configFile, inventory } = ctx;
  const { account, region } = provider(ctx);
  const where = `${configFile}: pattern2.mode`;
  const { mode } = pattern2Mode(config, inventory, where);
  // Sibling names (msk-configuration's default) and a custom domain leave the brokers' own names to
  // MSK everywhere.
  const names = pattern2Names(ctx, mode);
  const newNames = names.kind !== 'broker';
  // Brokers' own names aliased to the NLB in the MSK VPC must answer on every client listener the
  // cluster serves there (IAM 9098 with only TLS configured): all of them go through the NLB.
  const listeners =
    mode === 'msk-configuration' && !newNames
      ? [...new Set([...config.cluster.listeners, ...(inventory.clientListeners ?? [])])]
      : config.cluster.listeners;
  const needed = brokers.length * listeners.length + listeners.length;
  if (needed > QUOTAS.listenersPerNlb) {
    throw new PlanRefused(
      'PATTERN2_TOO_MANY_LISTENERS',
      `pattern 2 needs ${needed} NLB listeners (${brokers.length} brokers x ${listeners.length} listener types ` +
        `(${listeners.join(', ')}) + ${listeners.length} bootstrap), above the 50 listeners per NLB quota, which is not adjustable; ` +
        `at most ${Math.floor(QUOTAS.listenersPerNlb / listeners.length) - 1} brokers; use pattern 1`,
      `${configFile}: cluster.listeners`,
    );
  }
  const { portBase } = config.pattern2;
  const legacyMode = mode === 'msk-configuration' ? 'rewrite' : mode;
  const ports =
    mode === 'msk-configuration'
      ? customPorts(ctx, listeners)
      : assignPorts(
          brokers.map((b) => b.id),
          listeners,
          portBase,
          ctx.prior.portAssignments,
          listeners.flatMap((l) => [clientPort(l), brokerPort(l, mode)]),
        );
  const nlbSubnets = onePerAz(ctx.providerSubnets, `${configFile}: provider.subnets`);
  const nlbId = ids.loadBalancer('shared');
  // Clients inside the MSK VPC reach the NLB through the provider VPC's zones (not in additive mode).
  const providerZones = mode !== 'additive' && config.pattern2.providerZone;
  // Consumers reach only the listeners they were configured for.
  const consumerListeners = config.cluster.listeners;
  const listenPorts = (ls: ListenerType[]) => [
    ...ls.map(clientPort),
    ...brokers.flatMap((b) => ls.map((l) => ports[portKey(b.id, l)] as number)),
  ];
  const endpointPorts = listenPorts(consumerListeners);
  const targetPorts = listeners.map((l) => brokerPort(l, legacyMode));
  const sgId = keptWithoutGroup(ctx, nlbId)
    ? undefined
    : addNlbSecurityGroup(ctx, {
        consumers: endpointPorts,
        ...(providerZones ? { vpc: listenPorts(listeners) } : {}),
        targets: targetPorts,
      });
  const nlbName = addLoadBalancer(ctx, nlbId, 'shared', nlbSubnets, true, sgId);
  const tgAndListener = (
    owner: BrokerRef | 'bootstrap',
    suffix: string,
    l: ListenerType,
    listenPort: number,
    targets: Broker[],
  ) =>
    addTargetGroupAndListener(
      ctx,
      {
        nlbId,
        nlbName,
        owner,
        suffix,
        listener: l,
        // A custom domain: the NLB presents its certificate and re-encrypts to the broker.
        ...(names.kind === 'domain' && names.certificateArn !== undefined && terminatesTls(l)
          ? { tls: { certificateArn: names.certificateArn } }
          : {}),
      },
      listenPort,
      brokerPort(l, legacyMode),
      targets,
    );
  for (const l of listeners) {
    // Bootstrap: the client port, forwarding to every broker. In additive mode it must reach the new
    // listener, so that clients arriving through the endpoint get the new ports in metadata.
    tgAndListener('bootstrap', 'boot', l, clientPort(l), brokers);
  }
  for (const b of brokers) {
    for (const l of listeners) tgAndListener(b, `sb${b.id}`, l, ports[portKey(b.id, l)] as number, [b]);
  }
  const allListeners = [
    ...listeners.map((l) => ids.listener('bootstrap', l)),
    ...brokers.flatMap((b) => listeners.map((l) => ids.listener(b, l))),
  ];
  if (mode === 'msk-configuration') {
    // Sibling and custom-domain names are new: their provider-VPC zones come first and go last, so
    // every name a broker advertises answers from the moment MSK restarts it until it is restored.
    const records =
      newNames && providerZones
        ? ctx.brokers.map((b) => ids.providerRecord(b, names.kind === 'sibling'))
        : [];
    addClusterConfiguration(ctx, listeners, [...allListeners, ...records], names);
  } else {
    for (const b of brokers) {
      // A broker advertises its new port only once the NLB listens on it; on destroy it goes back
      // only after its provider-VPC name stopped pointing at the NLB (the record depends on it).
      set.add(
        'broker-listener-config',
        ids.brokerListenerConfig(b),
        account,
        region,
        {
          brokerId: b.id,
          host: b.host,
          mode,
          listeners: listeners.map((l) => ({
            name: mode === 'rewrite' ? MSK_LISTENER_NAME[l] : ADDITIVE_LISTENER_NAME[l],
            securityProtocol: SECURITY_PROTOCOL[l],
            port: brokerPort(l, mode),
            advertisedPort: ports[portKey(b.id, l)] as number,
          })),
        },
        listeners.flatMap((l) => [ids.listener(b, l), ids.listener('bootstrap', l)]),
      );
    }
  }
  const svcId = addEndpointService(ctx, 'shared', [nlbId], nlbName);
  addBrokerSecurityGroupRules(
    ctx,
    targetPorts,
    sgId === undefined ? { subnets: nlbSubnets } : { group: sgId },
  );
  const nlbAzIds = new Set(nlbSubnets.map((s) => s.azId));
  config.consumers.forEach((c, ci) => {
    const csg = addConsumerSecurityGroup(ctx, c, endpointPorts);
    // A custom domain: the consumers' zone is that domain, holding only the brokers' new names
    // (clients bootstrap with them on the client port); otherwise the cluster's sub-domain.
    const zone = addConsumerZone(ctx, c, names.kind === 'domain' ? names.domain : ctx.domain);
    const subnets = consumerSubnetsAllAzs(
      c,
      ci,
      ctx.consumerSubnets[c.name] ?? [],
      nlbAzIds,
      configFile,
      'nlb',
      regionOf(ctx, c) !== config.region,
    );
    const epId = addEndpoint(ctx, c, svcId, subnets, csg);
    for (const b of brokers) {
      if (names.kind === 'domain') {
        addRecord(ctx, c, zone, b, epId, { name: advertisedName(names, b, ctx.domain), sibling: false });
        continue;
      }
      addRecord(ctx, c, zone, b, epId);
      if (names.kind === 'sibling')
        addRecord(ctx, c, zone, b, epId, { name: advertisedName(names, b, ctx.domain), sibling: true });
    }
    const bootstrapName = (b: Broker) =>
      names.kind === 'domain' ? advertisedName(names, b, ctx.domain) : b.host;
    addBootstrapParameter(
      ctx,
      c,
      brokers.map((b) => `${bootstrapName(b)}:${clientPort(consumerListeners[0] as ListenerType)}`),
    );
  });
  if (providerZones) addProviderZones(ctx, mode, nlbId, names);
  return ports;
}

/**
 * msk-configuration ports: listener k's broker N on portBase - 1 + 100k + N (MSK's `base+{broker_id}`),
 * refused when one is a port MSK uses, a bootstrap port, beyond 65535 or taken twice.
 */
function customPorts(ctx: Ctx, listeners: ListenerType[]): Record<string, number> {
  const { brokers, config, configFile } = ctx;
  const where = `${configFile}: pattern2.portBase`;
  const out: Record<string, number> = {};
  const taken = new Map<number, string>(listeners.map((l) => [clientPort(l), `the ${l} bootstrap listener`]));
  listeners.forEach((l, k) => {
    const base = config.pattern2.portBase - 1 + LISTENER_PORT_STRIDE * k;
    for (const b of brokers) {
      const port = base + b.id;
      const what = `broker ${b.id}'s ${l} port ${port} (pattern2.portBase ${config.pattern2.portBase} - 1 + ${LISTENER_PORT_STRIDE * k} + broker id)`;
      if (port > 65535) throw new PlanRefused('CUSTOM_LISTENERS_INVALID', `${what} is above 65535`, where);
      if (isMskReserved(port)) {
        throw new PlanRefused(
          'CUSTOM_LISTENERS_INVALID',
          `${what} is one MSK uses (9092-9098, 2181, 14001-14100)`,
          where,
        );
      }
      const other = taken.get(port);
      if (other !== undefined)
        throw new PlanRefused('CUSTOM_LISTENERS_INVALID', `${what} is also ${other}`, where);
      taken.set(port, `broker ${b.id}'s ${l} port`);
      out[portKey(b.id, l)] = port;
    }
  });
  return out;
}

/**
 * The property for these listeners: `b-{broker_id}-pl.<cluster domain>` (sibling names), the brokers'
 * own names `b-{broker_id}.<cluster domain>`, or `b-{broker_id}.<custom domain>`.
 */
export function customAdvertisedEntries(
  ctx: Ctx,
  listeners: ListenerType[],
  names: Pattern2Names,
): AdvertisedEntry[] {
  const { brokers, domain, configFile } = ctx;
  // A custom domain's names are the tool's own; the cluster's names must follow MSK's pattern.
  const odd =
    names.kind === 'domain'
      ? undefined
      : brokers.find((b) => b.host.toLowerCase() !== `b-${b.id}.${domain}`.toLowerCase());
  if (odd !== undefined) {
    throw new PlanRefused(
      'CUSTOM_LISTENERS_INVALID',
      `broker ${odd.id} is named ${odd.host}, not b-${odd.id}.${domain}: custom.advertised.listeners can only name brokers b-{broker_id}.<domain>`,
      `${configFile}: cluster`,
    );
  }
  return listeners.map((l, k) => ({
    listener: MSK_LISTENER_NAME[l],
    hostPattern: hostPattern(names, domain),
    portBase: ctx.config.pattern2.portBase - 1 + LISTENER_PORT_STRIDE * k,
  }));
}

function addClusterConfiguration(
  ctx: Ctx,
  listeners: ListenerType[],
  after: string[],
  names: Pattern2Names,
): void {
  const { config, inventory, brokers, configFile } = ctx;
  const { account, region } = provider(ctx);
  const entries = customAdvertisedEntries(ctx, listeners, names);
  const problems = checkCustomAdvertised(
    entries,
    brokers.map((b) => b.id),
    (inventory.clientListeners ?? listeners).map((l) => MSK_LISTENER_NAME[l]),
  );
  if (problems.length > 0) {
    throw new PlanRefused(
      'CUSTOM_LISTENERS_INVALID',
      problems.join('; '),
      `${configFile}: cluster.listeners`,
    );
  }
  const check = config.pattern2.admin.listener ?? config.cluster.listeners[0] ?? 'tls';
  ctx.set.add(
    'cluster-configuration',
    ids.clusterConfiguration(),
    account,
    region,
    {
      // An inventory file without the ARN still plans (offline, cost); apply refuses it first thing.
      clusterArn: inventory.clusterArn ?? UNKNOWN_CLUSTER_ARN,
      configurationName: `mpl-${config.name}`,
      customAdvertisedListeners: formatCustomAdvertised(entries),
      ...(check !== 'iam' ? { checkListener: MSK_LISTENER_NAME[check], checkPort: clientPort(check) } : {}),
      brokerCount: brokers.length,
    },
    after,
  );
}

/**
 * Inside the MSK VPC the brokers advertise ports only the NLB listens on, so each advertised name
 * points at the NLB there too: one private zone per name (not one for the cluster's sub-domain, which
 * would hide its bootstrap, ZooKeeper and replication names), or, for a custom domain, one zone for
 * that domain (it holds only the tool's names).
 *
 * Sibling and custom-domain names are new, so their zones are made before the brokers advertise them
 * and removed after. The brokers' own names must not point at the NLB while their broker still
 * advertises the client port (its clients would reach the bootstrap listener, which may answer from
 * another broker): their zone and record come after the broker advertises its new port, and go
 * before it advertises the old one again.
 */
function addProviderZones(
  ctx: Ctx,
  mode: Pattern2Mode,
  nlbId: LogicalId<'load-balancer'>,
  names: Pattern2Names,
): void {
  const { config, brokers } = ctx;
  const { account, region } = provider(ctx);
  const zone = (zoneId: LogicalId<'hosted-zone'>, name: string, tagName: string, after: string[]) =>
    ctx.set.add(
      'hosted-zone',
      zoneId,
      account,
      region,
      {
        name,
        vpcId: config.provider.vpcId,
        vpcRegion: region,
        comment: `msk-privatelink ${config.name}: ${name} to the shared NLB inside the MSK VPC`,
        tags: tagsFor(config.name, zoneId, tagName),
      },
      after,
    );
  const domainZone = names.kind === 'domain' ? ids.providerZone() : undefined;
  if (domainZone !== undefined && names.kind === 'domain')
    zone(domainZone, names.domain, `mpl-${config.name}-provider`, []);
  const sibling = names.kind === 'sibling';
  for (const b of brokers) {
    const advertises =
      names.kind !== 'broker'
        ? []
        : [mode === 'msk-configuration' ? ids.clusterConfiguration() : ids.brokerListenerConfig(b)];
    const name = advertisedName(names, b, ctx.domain);
    const zoneId = domainZone ?? ids.providerZone(b, sibling);
    const suffix = sibling ? SIBLING_SUFFIX : '';
    if (domainZone === undefined)
      zone(zoneId, name, `mpl-${config.name}-provider-b${b.id}${suffix}`, advertises);
    ctx.set.add(
      'dns-record',
      ids.providerRecord(b, sibling),
      account,
      region,
      {
        zone: zoneId,
        name,
        type: 'A',
        aliasTarget: { kind: 'load-balancer', id: nlbId },
      },
      [zoneId, nlbId, ...advertises],
    );
  }
}
