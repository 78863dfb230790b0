// What the pattern planners share: the planning context, and the parts several patterns build
// (NLB, target group and listener, endpoint service, security groups, zones, records, parameters).
import type { Broker, ConsumerConfig, ListenerType } from '../config/schema.js';
import { PlanRefused } from '../errors.js';
import { ResourceSet } from './builder.js';
import { tcpListenerIdleTimeoutS } from './idle-timeout.js';
import { ids, type BrokerRef, type LogicalId } from './ids.js';
import type { PlanInput, Subnet } from './input.js';
import { clientToken, elbName, LISTENER_LABEL, tagsFor } from './names.js';
import { TLS_POLICY } from './pattern2-domain.js';
import { portRanges } from './ports.js';
import { QUOTAS } from './quotas.js';
export interface Ctx extends PlanInput {
  set: ResourceSet;
  brokers: Broker[];
  domain: string;
}

/** A consumer's region: its own (cross-region PrivateLink) or the config's. */
export function regionOf(ctx: Pick<Ctx, 'config'>, c: Pick<ConsumerConfig, 'region'>): string {
  return c.region ?? ctx.config.region;
}

/** The consumers' regions other than the cluster's, sorted: the endpoint service's SupportedRegions. */
export function otherConsumerRegions(ctx: Pick<Ctx, 'config'>): string[] {
  return [...new Set(ctx.config.consumers.map((c) => regionOf(ctx, c)))]
    .filter((r) => r !== ctx.config.region)
    .sort();
}

export function provider(ctx: Ctx) {
  return { account: ctx.config.provider.account, region: ctx.config.region };
}

export function allowedPrincipals(ctx: Ctx): string[] {
  const accounts = [...new Set(ctx.config.consumers.map((c) => c.account))].sort();
  return [
    ...accounts.map((a) => `arn:aws:iam::${a}:root`),
    ...ctx.config.provider.endpointService.extraAllowedPrincipals,
  ];
}

// ---------------------------------------------------------------- shared parts

/** Whether the NLB `id` exists without a security group (made by an earlier version): kept so. */
export function keptWithoutGroup(ctx: Pick<Ctx, 'prior'>, id: LogicalId<'load-balancer'>): boolean {
  return ctx.prior.loadBalancersWithoutGroups?.includes(id) ?? false;
}

/**
 * An internal NLB; returns its physical name. With `securityGroup`, the NLB is made with it and
 * PrivateLink traffic is held to its inbound rules ("on", AWS's default, set explicitly), unless it
 * already exists without one (keptWithoutGroup): AWS cannot add a group to it.
 */
export function addLoadBalancer(
  ctx: Ctx,
  id: LogicalId<'load-balancer'>,
  suffix: string,
  subnets: Subnet[],
  crossZone: boolean,
  securityGroup: LogicalId<'security-group'> | undefined,
): string {
  const { account, region } = provider(ctx);
  const name = elbName(ctx.config.name, suffix);
  const sg = keptWithoutGroup(ctx, id) ? undefined : securityGroup;
  ctx.set.add(
    'load-balancer',
    id,
    account,
    region,
    {
      name,
      type: 'network',
      scheme: 'internal',
      subnetIds: subnets.map((s) => s.id),
      azIds: subnets.map((s) => s.azId),
      crossZone,
      securityGroups: sg === undefined ? [] : [sg],
      ...(sg === undefined ? {} : { enforcePrivateLinkInboundRules: 'on' as const }),
      tags: tagsFor(ctx.config.name, id, name),
    },
    sg === undefined ? [] : [sg],
  );
  return name;
}

/** Ports as the rules of one source: one TCP rule per contiguous range. */
function tcpRules(ports: number[], cidr: string, description: string) {
  return portRanges(ports).map(([fromPort, toPort]) => ({
    protocol: 'tcp' as const,
    fromPort,
    toPort,
    cidr,
    description,
  }));
}

/**
 * The NLBs' security group (`provider/security-group`, `mpl-<stack>-nlb`). Inbound: TCP on the ports
 * the consumers reach from each consumer's allowedCidrs: with PrivateLink enforcement on, the rules
 * see a consumer's traffic as coming from the client's private IP address, not from the endpoint
 * (ELB user guide, "Update the security groups for your Network Load Balancer"); and, where clients
 * inside the MSK VPC go through the NLB (`vpcPorts`), from the VPC's own CIDR blocks. Outbound: TCP
 * to the VPC on the brokers' target ports only (AWS's allow-all revoked): traffic to the targets and
 * the health checks, which outbound rules govern (same page). The name and description stay as they
 * are: EC2 changes neither in place, and a new group would mean new NLBs.
 */
export function addNlbSecurityGroup(
  ctx: Ctx,
  ports: { consumers: number[]; vpc?: number[]; targets: number[] },
): LogicalId<'security-group'> {
  const { account, region } = provider(ctx);
  const stack = ctx.config.name;
  const id = ids.providerSecurityGroup();
  const name = `mpl-${stack}-nlb`;
  const cidrs = [...new Set(ctx.config.consumers.flatMap((c) => c.allowedCidrs))].sort();
  ctx.set.add('security-group', id, account, region, {
    name,
    description: `msk-privatelink ${stack}: Kafka clients to the NLBs, the NLBs to the brokers`,
    vpcId: ctx.config.provider.vpcId,
    ingress: [
      ...cidrs.flatMap((cidr) => tcpRules(ports.consumers, cidr, 'Kafka clients through PrivateLink')),
      ...(ports.vpc === undefined ? [] : tcpRules(ports.vpc, 'vpc', 'Kafka clients in the MSK VPC')),
    ],
    egress: portRanges(ports.targets).map(([fromPort, toPort]) => ({
      protocol: 'tcp' as const,
      fromPort,
      toPort,
      to: 'vpc',
      description: 'NLB to the brokers: traffic and health checks',
    })),
    tags: tagsFor(stack, id, name),
  });
  return id;
}

/**
 * A TCP listener on `listenPort` forwarding to a new IP target group of `targets` on `targetPort`,
 * with the idle timeout that covers the clients where AWS allows one (planner/idle-timeout.ts);
 * with `tls`, a TLS listener presenting that certificate and a TLS target group (the NLB re-encrypts).
 */
export function addTargetGroupAndListener(
  ctx: Ctx,
  at: {
    nlbId: LogicalId<'load-balancer'>;
    nlbName: string;
    owner: BrokerRef | 'bootstrap';
    suffix: string;
    listener: ListenerType;
    tls?: { certificateArn: string };
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
    protocol: at.tls ? 'TLS' : 'TCP',
    port: targetPort,
    vpcId: ctx.config.provider.vpcId,
    targetType: 'ip',
    targets: targets.map((b) => ({ ip: b.ip, port: targetPort, brokerId: b.id })),
    tags: tagsFor(stack, tgId, tgName),
  });
  const lsId = ids.listener(at.owner, at.listener);
  const idle = tcpListenerIdleTimeoutS(ctx.config);
  ctx.set.add(
    'listener',
    lsId,
    account,
    region,
    {
      loadBalancer: at.nlbId,
      port: listenPort,
      protocol: at.tls ? 'TLS' : 'TCP',
      ...(at.tls ? { certificateArn: at.tls.certificateArn, sslPolicy: TLS_POLICY } : {}),
      // TCP only: a TLS listener's idle timeout is fixed (planner/idle-timeout.ts).
      ...(!at.tls && idle !== undefined ? { idleTimeoutSeconds: idle } : {}),
      targetGroup: tgId,
      tags: tagsFor(stack, lsId, `${at.nlbName}:${listenPort}`),
    },
    [at.nlbId, tgId],
  );
}

export function addEndpointService(
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
      ...(otherConsumerRegions(ctx).length > 0 ? { supportedRegions: otherConsumerRegions(ctx) } : {}),
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

/**
 * The brokers' group admits the NLBs by their security group (a group source admits only what
 * carries it, not everything in the NLBs' subnets; ELB user guide: a target's group may reference
 * the load balancer's), or by the subnets' CIDRs where there is no such group: pattern 3's resource
 * gateway (VPC Lattice documents its source as the gateway's IP addresses and its group for outbound
 * rules only, not as a source to reference) and NLBs kept without one.
 */
export function addBrokerSecurityGroupRules(
  ctx: Ctx,
  ports: number[],
  from: { group: LogicalId<'security-group'> } | { subnets: Subnet[] },
  source: 'NLB' | 'resource gateway' = 'NLB',
): void {
  const groupId = ctx.config.provider.brokerSecurityGroupId;
  if (groupId === undefined) return;
  const { account, region } = provider(ctx);
  for (const [fromPort, toPort] of portRanges(ports)) {
    ctx.set.add(
      'security-group-rule',
      ids.securityGroupRule(fromPort, toPort),
      account,
      region,
      {
        groupId,
        protocol: 'tcp',
        fromPort,
        toPort,
        ...('group' in from
          ? { sourceGroup: from.group }
          : { sourceSubnetIds: from.subnets.map((s) => s.id).sort() }),
        description: `msk-privatelink ${ctx.config.name}: ${source} to brokers`,
      },
      'group' in from ? [from.group] : [],
    );
  }
}

export function addConsumerSecurityGroup(
  ctx: Ctx,
  c: ConsumerConfig,
  ports: number[],
): LogicalId<'security-group'> {
  const id = ids.consumerSecurityGroup(c.name);
  const name = `mpl-${ctx.config.name}-${c.name}-endpoints`;
  ctx.set.add('security-group', id, c.account, regionOf(ctx, c), {
    name,
    description: `msk-privatelink ${ctx.config.name}: Kafka ports from the clients of ${c.name} only`,
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

export function addConsumerZone(
  ctx: Ctx,
  c: ConsumerConfig,
  /** The zone's domain: the cluster's sub-domain, or pattern 2's custom domain. */
  name: string = ctx.domain,
): LogicalId<'hosted-zone'> {
  const id = ids.consumerZone(c.name);
  ctx.set.add('hosted-zone', id, c.account, regionOf(ctx, c), {
    name,
    vpcId: c.vpcId,
    vpcRegion: regionOf(ctx, c),
    comment: `msk-privatelink ${ctx.config.name}: broker names to PrivateLink endpoints for ${c.name}`,
    tags: tagsFor(ctx.config.name, id, `mpl-${ctx.config.name}-${c.name}`),
  });
  return id;
}

/** Consumer `c`'s endpoint to `svcId`: pattern 1 gives the broker it serves, pattern 2 none. */
export function addEndpoint(
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
    regionOf(ctx, c),
    {
      name,
      vpcId: c.vpcId,
      service: svcId,
      subnetIds: subnets.map((s) => s.id),
      azIds: subnets.map((s) => s.azId),
      securityGroups: [sgId],
      privateDnsEnabled: false,
      ...(regionOf(ctx, c) !== config.region ? { serviceRegion: config.region } : {}),
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
    {
      service: svcId,
      endpoint: id,
      endpointAccount: c.account,
      ...(regionOf(ctx, c) !== config.region ? { endpointRegion: regionOf(ctx, c) } : {}),
    },
    [svcId, id],
  );
  return id;
}

export function addRecord(
  ctx: Ctx,
  c: ConsumerConfig,
  zoneId: LogicalId<'hosted-zone'>,
  b: Broker,
  endpointId: LogicalId<'vpc-endpoint'>,
  /**
   * Another name of the broker's: pattern 2's `b-<id>-pl` (`sibling`, id `.../b-<id>-pl`) or its name
   * in a custom domain (id `.../b-<id>`); default its own name.
   */
  alias?: { name: string; sibling: boolean },
): void {
  ctx.set.add(
    'dns-record',
    ids.consumerRecord(c.name, b, alias?.sibling === true),
    c.account,
    regionOf(ctx, c),
    {
      zone: zoneId,
      name: alias?.name ?? b.host.toLowerCase(),
      type: 'A',
      aliasTarget: { kind: 'vpc-endpoint', id: endpointId },
    },
    [zoneId, endpointId, ids.acceptanceFor(endpointId)],
  );
}

export function addBootstrapParameter(ctx: Ctx, c: ConsumerConfig, hostPorts: string[]): void {
  if (c.bootstrapParameter === undefined) return;
  const id = ids.bootstrapParameter(c.name);
  const value = hostPorts.join(',');
  if (value.length > QUOTAS.ssmAdvancedValueMax)
    throw new PlanRefused(
      'BOOTSTRAP_PARAMETER_TOO_LONG',
      `consumer ${c.name}: the bootstrap string of ${hostPorts.length} brokers is ${value.length} characters; an SSM parameter holds at most ${QUOTAS.ssmAdvancedValueMax} (advanced tier)`,
      `${ctx.configFile}: consumers[${ctx.config.consumers.indexOf(c)}].bootstrapParameter`,
    );
  ctx.set.add('ssm-parameter', id, c.account, regionOf(ctx, c), {
    name: c.bootstrapParameter,
    type: 'String',
    value,
    // Over 4,096 characters (about 70 brokers) needs the advanced tier ("Managing parameter tiers").
    tier: value.length > QUOTAS.ssmStandardValueMax ? 'Advanced' : 'Standard',
    tags: tagsFor(ctx.config.name, id, c.bootstrapParameter),
  });
}
