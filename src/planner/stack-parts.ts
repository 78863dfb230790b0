// What the pattern planners share: the planning context, and the parts several patterns build
// (NLB, target group and listener, endpoint service, security groups, zones, records, parameters).
import type { Broker, ConsumerConfig, ListenerType } from '../config/schema.js';
import { PlanRefused } from '../errors.js';
import { ResourceSet } from './builder.js';
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

/** An internal NLB; returns its physical name. */
export function addLoadBalancer(
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
    securityGroups: [],
    tags: tagsFor(ctx.config.name, id, name),
  });
  return name;
}

/**
 * A TCP listener on `listenPort` forwarding to a new IP target group of `targets` on `targetPort`;
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

export function addBrokerSecurityGroupRules(
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

export function addConsumerSecurityGroup(
  ctx: Ctx,
  c: ConsumerConfig,
  ports: number[],
): LogicalId<'security-group'> {
  const id = ids.consumerSecurityGroup(c.name);
  const name = `mpl-${ctx.config.name}-${c.name}-endpoints`;
  ctx.set.add('security-group', id, c.account, regionOf(ctx, c), {
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
