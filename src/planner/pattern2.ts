// Pattern 2: one shared NLB with a port per broker, the brokers' advertised ports changed.
import type { Broker, ListenerType } from '../config/schema.js';
import { PlanRefused } from '../errors.js';
import { consumerSubnetsAllAzs, onePerAz } from './azs.js';
import { ids, portKey, type BrokerRef } from './ids.js';
import {
  brokerPort,
  clientPort,
  ADDITIVE_LISTENER_NAME,
  MSK_LISTENER_NAME,
  SECURITY_PROTOCOL,
} from './listeners.js';
import { tagsFor } from './names.js';
import { assignPorts } from './ports.js';
import { QUOTAS } from './quotas.js';
import {
  addBootstrapParameter,
  addBrokerSecurityGroupRules,
  addConsumerSecurityGroup,
  addConsumerZone,
  addEndpoint,
  addEndpointService,
  addLoadBalancer,
  addRecord,
  addTargetGroupAndListener,
  provider,
  type Ctx,
} from './stack-parts.js';

export function planPattern2(ctx: Ctx): Record<string, number> {
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
