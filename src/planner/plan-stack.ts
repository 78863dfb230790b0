import type { Broker, ConsumerConfig, ListenerType } from '../config/schema.js';
import { PlanRefused } from '../errors.js';
import type { Resource } from '../kinds/index.js';
import { consumerSubnetForBroker, consumerSubnetsAllAzs, onePerAz, providerSubnetFor } from './azs.js';
import { ResourceSet } from './builder.js';
import { clusterDomain, sortBrokers } from './cluster.js';
import { ids, portKey, type BrokerRef, type LogicalId } from './ids.js';
import type { PlanInput, Subnet } from './input.js';
import {
  brokerPort,
  clientPort,
  ADDITIVE_LISTENER_NAME,
  MSK_LISTENER_NAME,
  SECURITY_PROTOCOL,
} from './listeners.js';
import { clientToken, elbName, LISTENER_LABEL, tagsFor } from './names.js';
import { assignPorts, portRanges } from './ports.js';
import { QUOTAS } from './quotas.js';

export interface DesiredStack {
  resources: Resource[];
  /** Pattern 2 port assignments to keep in state (empty for pattern 1). */
  portAssignments: Record<string, number>;
  /** The cluster sub-domain every zone covers. */
  domain: string;
}

/** Pure: config + inventory + prior state in, the desired resources out. Throws PlanRefused. */
export function planStack(input: PlanInput): DesiredStack {
  const { config, inventory, configFile } = input;
  if (inventory.brokers.length === 0) {
    throw new PlanRefused('NO_BROKERS', 'the cluster has no brokers to expose', configFile);
  }
  if (inventory.region !== config.region) {
    throw new PlanRefused(
      'REGION_MISMATCH',
      `the cluster is in ${inventory.region} but the config's region is ${config.region} (PrivateLink is regional)`,
      `${configFile}: region`,
    );
  }
  if (inventory.vpcId !== config.provider.vpcId) {
    throw new PlanRefused(
      'VPC_MISMATCH',
      `the brokers are in ${inventory.vpcId} but provider.vpcId is ${config.provider.vpcId}: the NLBs must be in the brokers' VPC`,
      `${configFile}: provider.vpcId`,
    );
  }
  const domain = clusterDomain(inventory, `${configFile}: cluster`);
  const ctx: Ctx = { ...input, set: new ResourceSet(), brokers: sortBrokers(inventory.brokers), domain };
  const portAssignments =
    config.pattern === 1
      ? (planPattern1(ctx), {})
      : config.pattern === 2
        ? planPattern2(ctx)
        : (planPattern3(ctx), {});
  return { resources: ctx.set.list(), portAssignments, domain };
}

interface Ctx extends PlanInput {
  set: ResourceSet;
  brokers: Broker[];
  domain: string;
}

function provider(ctx: Ctx) {
  return { account: ctx.config.provider.account, region: ctx.config.region };
}

function allowedPrincipals(ctx: Ctx): string[] {
  const accounts = [...new Set(ctx.config.consumers.map((c) => c.account))].sort();
  return [
    ...accounts.map((a) => `arn:aws:iam::${a}:root`),
    ...ctx.config.provider.endpointService.extraAllowedPrincipals,
  ];
}

// ---------------------------------------------------------------- pattern 1

function planPattern1(ctx: Ctx): void {
  const { config, brokers, configFile } = ctx;
  if (ctx.inventory.brokerType === 'serverless') {
    throw new PlanRefused(
      'SERVERLESS_UNSUPPORTED',
      'MSK Serverless has no per-broker addresses to put behind load balancers',
      `${configFile}: cluster`,
    );
  }
  const anyAllAzs = config.consumers.some((c) => c.endpointLayout === 'all-azs');
  const allProviderSubnets = anyAllAzs
    ? onePerAz(ctx.providerSubnets, `${configFile}: provider.subnets`)
    : [];
  const listeners = config.cluster.listeners;
  const services = new Map<number, LogicalId<'endpoint-service'>>();
  const nlbAzIds = new Map<number, Set<string>>();

  for (const b of brokers) {
    const own = providerSubnetFor(b, ctx.providerSubnets, `${configFile}: provider.subnets`);
    // all-azs: the NLB spans every provider AZ with cross-zone on, so any consumer AZ is served.
    const subnets: Subnet[] = anyAllAzs ? allProviderSubnets : [own];
    nlbAzIds.set(b.id, new Set(subnets.map((s) => s.azId)));
    const nlbId = ids.loadBalancer(b);
    const nlbName = addLoadBalancer(ctx, nlbId, `b${b.id}`, subnets, anyAllAzs);
    for (const l of listeners) {
      addTargetGroupAndListener(
        ctx,
        { nlbId, nlbName, owner: b, suffix: `b${b.id}`, listener: l },
        clientPort(l),
        clientPort(l),
        [b],
      );
    }
    const svcId = addEndpointService(ctx, b, [nlbId], nlbName);
    services.set(b.id, svcId);
  }
  addBrokerSecurityGroupRules(
    ctx,
    listeners.map(clientPort),
    anyAllAzs
      ? allProviderSubnets
      : brokers.map((b) => providerSubnetFor(b, ctx.providerSubnets, `${configFile}: provider.subnets`)),
  );

  config.consumers.forEach((c, ci) => {
    const csg = addConsumerSecurityGroup(ctx, c, listeners.map(clientPort));
    const zone = addConsumerZone(ctx, c);
    for (const b of brokers) {
      const azs = nlbAzIds.get(b.id) as Set<string>;
      const subnets =
        c.endpointLayout === 'broker-az'
          ? [consumerSubnetForBroker(c, ci, ctx.consumerSubnets[c.name] ?? [], b, configFile)]
          : consumerSubnetsAllAzs(c, ci, ctx.consumerSubnets[c.name] ?? [], azs, configFile);
      const epId = addEndpoint(ctx, c, services.get(b.id) as LogicalId<'endpoint-service'>, subnets, csg, b);
      addRecord(ctx, c, zone, b, epId);
    }
    addBootstrapParameter(
      ctx,
      c,
      brokers.map((b) => `${b.host}:${clientPort(listeners[0] as ListenerType)}`),
    );
  });
}

// ---------------------------------------------------------------- pattern 2

function planPattern2(ctx: Ctx): Record<string, number> {
  const { config, set, brokers, configFile, inventory } = ctx;
  const { account, region } = provider(ctx);
  const stack = config.name;
  const where = `${configFile}: pattern`;
  if (inventory.metadataMode === 'kraft') {
    throw new PlanRefused(
      'PATTERN2_KRAFT',
      `pattern 2 needs per-broker advertised.listeners changes, which Kafka refuses on KRaft clusters ` +
        `(kafka ${inventory.kafkaVersion}: "Advertised listeners cannot be altered when using a Raft-based metadata quorum"); use pattern 1`,
      where,
    );
  }
  if (inventory.brokerType !== 'standard') {
    throw new PlanRefused(
      'PATTERN2_BROKER_TYPE',
      `pattern 2 needs per-broker advertised.listeners changes, which MSK ${inventory.brokerType} clusters do not allow; use pattern 1`,
      where,
    );
  }
  const listeners = config.cluster.listeners;
  const needed = brokers.length * listeners.length + listeners.length;
  if (needed > QUOTAS.listenersPerNlb) {
    throw new PlanRefused(
      'PATTERN2_TOO_MANY_LISTENERS',
      `pattern 2 needs ${needed} NLB listeners (${brokers.length} brokers x ${listeners.length} listener types + ` +
        `${listeners.length} bootstrap), above the 50 listeners per NLB quota, which is not adjustable; ` +
        `at most ${Math.floor(QUOTAS.listenersPerNlb / listeners.length) - 1} brokers; use pattern 1`,
      where,
    );
  }
  const { mode, portBase } = config.pattern2;
  const ports = assignPorts(
    brokers.map((b) => b.id),
    listeners,
    portBase,
    ctx.prior.portAssignments,
    listeners.flatMap((l) => [clientPort(l), brokerPort(l, mode)]),
  );
  const nlbSubnets = onePerAz(ctx.providerSubnets, `${configFile}: provider.subnets`);
  const nlbId = ids.loadBalancer('shared');
  const nlbName = addLoadBalancer(ctx, nlbId, 'shared', nlbSubnets, true);
  const tgAndListener = (
    owner: BrokerRef | 'bootstrap',
    suffix: string,
    l: ListenerType,
    listenPort: number,
    targets: Broker[],
  ) =>
    addTargetGroupAndListener(
      ctx,
      { nlbId, nlbName, owner, suffix, listener: l },
      listenPort,
      brokerPort(l, mode),
      targets,
    );
  for (const l of listeners) {
    // Bootstrap: the client port, forwarding to every broker. In additive mode it must reach the new
    // listener, so that clients arriving through the endpoint get the new ports in metadata.
    tgAndListener('bootstrap', 'boot', l, clientPort(l), brokers);
  }
  for (const b of brokers) {
    for (const l of listeners) tgAndListener(b, `sb${b.id}`, l, ports[portKey(b.id, l)] as number, [b]);
    // A broker advertises its new port only once the NLB listens on it and, in rewrite mode, once
    // in-VPC clients resolve its name to the NLB; on destroy it goes back before those go.
    const providerZone = mode === 'rewrite' && config.pattern2.providerZone;
    const brokerDeps = [
      ...listeners.flatMap((l) => [ids.listener(b, l), ids.listener('bootstrap', l)]),
      ...(providerZone ? [ids.providerRecord(b)] : []),
    ];
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
      brokerDeps,
    );
  }
  const svcId = addEndpointService(ctx, 'shared', [nlbId], nlbName);
  addBrokerSecurityGroupRules(
    ctx,
    listeners.map((l) => brokerPort(l, mode)),
    nlbSubnets,
  );
  const nlbAzIds = new Set(nlbSubnets.map((s) => s.azId));
  const endpointPorts = [
    ...listeners.map(clientPort),
    ...brokers.flatMap((b) => listeners.map((l) => ports[portKey(b.id, l)] as number)),
  ];
  config.consumers.forEach((c, ci) => {
    const csg = addConsumerSecurityGroup(ctx, c, endpointPorts);
    const zone = addConsumerZone(ctx, c);
    const subnets = consumerSubnetsAllAzs(c, ci, ctx.consumerSubnets[c.name] ?? [], nlbAzIds, configFile);
    const epId = addEndpoint(ctx, c, svcId, subnets, csg);
    for (const b of brokers) addRecord(ctx, c, zone, b, epId);
    addBootstrapParameter(
      ctx,
      c,
      brokers.map((b) => `${b.host}:${clientPort(listeners[0] as ListenerType)}`),
    );
  });
  if (mode === 'rewrite' && config.pattern2.providerZone) {
    // Rewritten ports are advertised to in-VPC clients too: send them through the NLB as well.
    const zoneId = ids.providerZone();
    set.add('hosted-zone', zoneId, account, region, {
      name: ctx.domain,
      vpcId: config.provider.vpcId,
      vpcRegion: region,
      comment: `msk-privatelink ${stack}: broker names to the shared NLB inside the MSK VPC`,
      tags: tagsFor(stack, zoneId, `mpl-${stack}-provider`),
    });
    for (const b of brokers) {
      set.add(
        'dns-record',
        ids.providerRecord(b),
        account,
        region,
        {
          zone: zoneId,
          name: b.host.toLowerCase(),
          type: 'A',
          aliasTarget: { kind: 'load-balancer', id: nlbId },
        },
        [zoneId, nlbId],
      );
    }
  }
  return ports;
}

// ---------------------------------------------------------------- pattern 3

/**
 * PrivateLink VPC resources (VPC Lattice user guide, "Resource configurations for VPC resources"):
 * a resource gateway in the provider VPC, a GROUP resource configuration whose group domain is the
 * cluster's sub-domain, one CHILD per broker under the broker's own name, a RAM share of the group
 * with the consumer accounts, and per consumer VPC a Resource endpoint whose private DNS answers the
 * brokers' names. No NLB, no listener per broker, nothing changed on the brokers.
 */
function planPattern3(ctx: Ctx): void {
  const { config, set, brokers, configFile, inventory } = ctx;
  const { account, region } = provider(ctx);
  const stack = config.name;
  const where = `${configFile}: pattern`;
  if (inventory.brokerType === 'serverless') {
    throw new PlanRefused(
      'SERVERLESS_UNSUPPORTED',
      'MSK Serverless has no per-broker addresses to give a child resource configuration each',
      `${configFile}: cluster`,
    );
  }
  const quota = config.pattern3.childrenPerGroupQuota;
  if (brokers.length > quota) {
    throw new PlanRefused(
      'PATTERN3_TOO_MANY_BROKERS',
      `pattern 3 needs one child resource configuration per broker (${brokers.length}), above the ${quota} ` +
        'children per group quota (VPC Lattice quotas, "Child resource configurations per group", adjustable); ' +
        'ask AWS to raise it and set pattern3.childrenPerGroupQuota, or use pattern 1',
      where,
    );
  }
  const listeners = config.cluster.listeners;
  const ports = listeners.map(clientPort);
  // managed: VPC Lattice answers the children's custom domain names (the brokers' own) in each
  // consumer VPC; zone: no custom names, the stack's own zone aliases each name to its child's entry.
  const managed = config.pattern3.dns === 'managed';
  const portRangeList = portRanges(ports).map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`));
  const gwSubnets = onePerAz(ctx.providerSubnets, `${configFile}: provider.subnets`);

  // The gateway's own group: no ingress (nothing connects to the gateway from its VPC), AWS's default
  // egress; the brokers' group admits the gateway's subnets (the source the brokers see).
  const sgId = ids.gatewaySecurityGroup();
  const sgName = `mpl-${stack}-resource-gateway`;
  set.add('security-group', sgId, account, region, {
    name: sgName,
    description: `msk-privatelink ${stack}: the resource gateway to the brokers`,
    vpcId: config.provider.vpcId,
    ingress: [],
    tags: tagsFor(stack, sgId, sgName),
  });
  const gwId = ids.resourceGateway();
  const gwName = `mpl-${stack}-gw`;
  set.add(
    'resource-gateway',
    gwId,
    account,
    region,
    {
      name: gwName,
      vpcId: config.provider.vpcId,
      subnetIds: gwSubnets.map((s) => s.id),
      azIds: gwSubnets.map((s) => s.azId),
      securityGroups: [sgId],
      clientToken: clientToken(stack, account, gwId),
      tags: tagsFor(stack, gwId, gwName),
    },
    [sgId],
  );
  addBrokerSecurityGroupRules(ctx, ports, gwSubnets, 'resource gateway');

  const groupId = ids.resourceConfiguration('shared');
  const groupName = `mpl-${stack}-brokers`;
  set.add(
    'resource-configuration',
    groupId,
    account,
    region,
    {
      type: 'GROUP',
      name: groupName,
      gateway: gwId,
      portRanges: portRangeList,
      ...(managed ? { groupDomain: ctx.domain } : {}),
      clientToken: clientToken(stack, account, groupId),
      tags: tagsFor(stack, groupId, groupName),
    },
    [gwId],
  );
  for (const b of brokers) {
    const childId = ids.resourceConfiguration(b);
    const childName = `mpl-${stack}-b${b.id}`;
    set.add(
      'resource-configuration',
      childId,
      account,
      region,
      {
        type: 'CHILD',
        name: childName,
        group: groupId,
        portRanges: portRangeList,
        ...(managed ? { customDomainName: b.host.toLowerCase() } : {}),
        target: config.pattern3.target === 'dns' ? { dns: b.host.toLowerCase() } : { ip: b.ip },
        clientToken: clientToken(stack, account, childId),
        tags: tagsFor(stack, childId, childName),
      },
      [groupId],
    );
  }
  // A consumer in the provider's own account needs no share (RAM shares with other accounts only).
  const others = [...new Set(config.consumers.map((c) => c.account))].filter((a) => a !== account).sort();
  const shareId = ids.resourceShare();
  if (others.length > 0) {
    set.add(
      'resource-share',
      shareId,
      account,
      region,
      {
        name: `mpl-${stack}-brokers`,
        resources: [groupId],
        principals: others,
        // The tool does not know whether the consumers share the provider's organization: allowing
        // external principals works both ways (inside one, no invitation is sent).
        allowExternalPrincipals: true,
        tags: tagsFor(stack, shareId, `mpl-${stack}-brokers`),
      },
      [groupId, ...brokers.map((b) => ids.resourceConfiguration(b))],
    );
  }
  const names = brokers.map((b) => b.host.toLowerCase()).sort();
  const gwAzIds = new Set(gwSubnets.map((s) => s.azId));
  // One acceptance per consumer account (several consumers may share one).
  const acceptanceOf = new Map<string, LogicalId<'resource-share-acceptance'>>();
  config.consumers.forEach((c, ci) => {
    const csg = addConsumerSecurityGroup(ctx, c, ports);
    const subnets = consumerSubnetsAllAzs(
      c,
      ci,
      ctx.consumerSubnets[c.name] ?? [],
      gwAzIds,
      configFile,
      'resource-gateway',
    );
    const deps: string[] = [groupId, ...brokers.map((b) => ids.resourceConfiguration(b)), csg];
    if (c.account !== account) {
      let acc = acceptanceOf.get(c.account);
      if (acc === undefined) {
        acc = ids.shareAcceptance(c.name);
        acceptanceOf.set(c.account, acc);
        set.add('resource-share-acceptance', acc, c.account, region, { share: shareId, sender: account }, [
          shareId,
        ]);
      }
      deps.push(acc);
    }
    const epId = ids.resourceEndpoint(c.name);
    const epName = `mpl-${stack}-${c.name}`;
    set.add(
      'resource-endpoint',
      epId,
      c.account,
      region,
      {
        name: epName,
        vpcId: c.vpcId,
        resourceConfiguration: groupId,
        subnetIds: subnets.map((s) => s.id),
        azIds: subnets.map((s) => s.azId),
        securityGroups: [csg],
        privateDns: managed,
        privateDnsDomains: managed ? names : [],
        clientToken: clientToken(stack, c.account, epId),
        tags: tagsFor(stack, epId, epName),
      },
      deps,
    );
    if (!managed) {
      const zone = addConsumerZone(ctx, c);
      for (const b of brokers) {
        const child = ids.resourceConfiguration(b);
        ctx.set.add(
          'dns-record',
          ids.consumerRecord(c.name, b),
          c.account,
          region,
          {
            zone,
            name: b.host.toLowerCase(),
            type: 'A',
            aliasTarget: { kind: 'resource-endpoint', id: epId, child },
          },
          [zone, epId, child],
        );
      }
    }
    addBootstrapParameter(
      ctx,
      c,
      brokers.map((b) => `${b.host}:${clientPort(listeners[0] as ListenerType)}`),
    );
  });
}

// ---------------------------------------------------------------- shared parts

/** An internal NLB; returns its physical name. */
function addLoadBalancer(
  ctx: Ctx,
  id: LogicalId<'load-balancer'>,
  suffix: string,
  subnets: Subnet[],
  crossZone: boolean,
): string {
  const { account, region } = provider(ctx);
  const name = elbName(ctx.config.name, suffix);
  ctx.set.add('load-balancer', id, account, region, {
    name,
    type: 'network',
    scheme: 'internal',
    subnetIds: subnets.map((s) => s.id),
    azIds: subnets.map((s) => s.azId),
    crossZone,
    tags: tagsFor(ctx.config.name, id, name),
  });
  return name;
}

/** A TCP listener on `listenPort` forwarding to a new IP target group of `targets` on `targetPort`. */
function addTargetGroupAndListener(
  ctx: Ctx,
  at: {
    nlbId: LogicalId<'load-balancer'>;
    nlbName: string;
    owner: BrokerRef | 'bootstrap';
    suffix: string;
    listener: ListenerType;
  },
  listenPort: number,
  targetPort: number,
  targets: Broker[],
): void {
  const { account, region } = provider(ctx);
  const stack = ctx.config.name;
  const tgId = ids.targetGroup(at.owner, at.listener);
  const tgName = elbName(stack, `${at.suffix}-${LISTENER_LABEL[at.listener]}`);
  ctx.set.add('target-group', tgId, account, region, {
    name: tgName,
    protocol: 'TCP',
    port: targetPort,
    vpcId: ctx.config.provider.vpcId,
    targetType: 'ip',
    targets: targets.map((b) => ({ ip: b.ip, port: targetPort, brokerId: b.id })),
    tags: tagsFor(stack, tgId, tgName),
  });
  const lsId = ids.listener(at.owner, at.listener);
  ctx.set.add(
    'listener',
    lsId,
    account,
    region,
    {
      loadBalancer: at.nlbId,
      port: listenPort,
      protocol: 'TCP',
      targetGroup: tgId,
      tags: tagsFor(stack, lsId, `${at.nlbName}:${listenPort}`),
    },
    [at.nlbId, tgId],
  );
}

function addEndpointService(
  ctx: Ctx,
  owner: BrokerRef | 'shared',
  nlbIds: LogicalId<'load-balancer'>[],
  name: string,
): LogicalId<'endpoint-service'> {
  const { config, set } = ctx;
  const { account, region } = provider(ctx);
  const svcId = ids.endpointService(owner);
  set.add(
    'endpoint-service',
    svcId,
    account,
    region,
    {
      name,
      loadBalancers: nlbIds,
      acceptanceRequired: config.provider.endpointService.acceptanceRequired,
      clientToken: clientToken(config.name, account, svcId),
      tags: tagsFor(config.name, svcId, name),
    },
    nlbIds,
  );
  const permId = ids.permissionsFor(svcId);
  set.add(
    'endpoint-service-permissions',
    permId,
    account,
    region,
    { service: svcId, allowedPrincipals: allowedPrincipals(ctx) },
    [svcId],
  );
  return svcId;
}

function addBrokerSecurityGroupRules(
  ctx: Ctx,
  ports: number[],
  nlbSubnets: Subnet[],
  source: 'NLB' | 'resource gateway' = 'NLB',
): void {
  const groupId = ctx.config.provider.brokerSecurityGroupId;
  if (groupId === undefined) return;
  const { account, region } = provider(ctx);
  for (const [from, to] of portRanges(ports)) {
    ctx.set.add('security-group-rule', ids.securityGroupRule(from, to), account, region, {
      groupId,
      protocol: 'tcp',
      fromPort: from,
      toPort: to,
      sourceSubnetIds: nlbSubnets.map((s) => s.id).sort(),
      description: `msk-privatelink ${ctx.config.name}: ${source} to brokers`,
    });
  }
}

function addConsumerSecurityGroup(ctx: Ctx, c: ConsumerConfig, ports: number[]): LogicalId<'security-group'> {
  const id = ids.consumerSecurityGroup(c.name);
  const name = `mpl-${ctx.config.name}-${c.name}-endpoints`;
  ctx.set.add('security-group', id, c.account, ctx.config.region, {
    name,
    description: `msk-privatelink ${ctx.config.name}: Kafka ports from ${c.name}'s clients only`,
    vpcId: c.vpcId,
    ingress: c.allowedCidrs.flatMap((cidr) =>
      portRanges(ports).map(([fromPort, toPort]) => ({
        protocol: 'tcp' as const,
        fromPort,
        toPort,
        cidr,
        description: 'Kafka clients',
      })),
    ),
    tags: tagsFor(ctx.config.name, id, name),
  });
  return id;
}

function addConsumerZone(ctx: Ctx, c: ConsumerConfig): LogicalId<'hosted-zone'> {
  const id = ids.consumerZone(c.name);
  ctx.set.add('hosted-zone', id, c.account, ctx.config.region, {
    name: ctx.domain,
    vpcId: c.vpcId,
    vpcRegion: ctx.config.region,
    comment: `msk-privatelink ${ctx.config.name}: broker names to PrivateLink endpoints for ${c.name}`,
    tags: tagsFor(ctx.config.name, id, `mpl-${ctx.config.name}-${c.name}`),
  });
  return id;
}

/** Consumer `c`'s endpoint to `svcId`: pattern 1 gives the broker it serves, pattern 2 none. */
function addEndpoint(
  ctx: Ctx,
  c: ConsumerConfig,
  svcId: LogicalId<'endpoint-service'>,
  subnets: Subnet[],
  sgId: LogicalId<'security-group'>,
  broker?: Broker,
): LogicalId<'vpc-endpoint'> {
  const { config, set } = ctx;
  const id = ids.consumerEndpoint(c.name, broker);
  const name = `mpl-${config.name}-${c.name}${broker ? `-${ids.brokerKey(broker)}` : ''}`;
  set.add(
    'vpc-endpoint',
    id,
    c.account,
    config.region,
    {
      name,
      vpcId: c.vpcId,
      service: svcId,
      subnetIds: subnets.map((s) => s.id),
      azIds: subnets.map((s) => s.azId),
      securityGroups: [sgId],
      privateDnsEnabled: false,
      clientToken: clientToken(config.name, c.account, id),
      tags: tagsFor(config.name, id, name),
    },
    [svcId, ids.permissionsFor(svcId), sgId],
  );
  const accId = ids.acceptanceFor(id);
  set.add(
    'endpoint-connection-acceptance',
    accId,
    config.provider.account,
    config.region,
    { service: svcId, endpoint: id, endpointAccount: c.account },
    [svcId, id],
  );
  return id;
}

function addRecord(
  ctx: Ctx,
  c: ConsumerConfig,
  zoneId: LogicalId<'hosted-zone'>,
  b: Broker,
  endpointId: LogicalId<'vpc-endpoint'>,
): void {
  ctx.set.add(
    'dns-record',
    ids.consumerRecord(c.name, b),
    c.account,
    ctx.config.region,
    {
      zone: zoneId,
      name: b.host.toLowerCase(),
      type: 'A',
      aliasTarget: { kind: 'vpc-endpoint', id: endpointId },
    },
    [zoneId, endpointId, ids.acceptanceFor(endpointId)],
  );
}

function addBootstrapParameter(ctx: Ctx, c: ConsumerConfig, hostPorts: string[]): void {
  if (c.bootstrapParameter === undefined) return;
  const id = ids.bootstrapParameter(c.name);
  ctx.set.add('ssm-parameter', id, c.account, ctx.config.region, {
    name: c.bootstrapParameter,
    type: 'String',
    value: hostPorts.join(','),
    tags: tagsFor(ctx.config.name, id, c.bootstrapParameter),
  });
}
