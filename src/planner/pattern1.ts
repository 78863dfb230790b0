// Pattern 1: an NLB, an endpoint service and, per consumer, an endpoint and a record per broker.
import type { ListenerType } from '../config/schema.js';
import { PlanRefused } from '../errors.js';
import { consumerSubnetForBroker, consumerSubnetsAllAzs, onePerAz, providerSubnetFor } from './azs.js';
import { ids, type LogicalId } from './ids.js';
import type { Subnet } from './input.js';
import { clientPort } from './listeners.js';
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
  regionOf,
  type Ctx,
} from './stack-parts.js';

export function planPattern1(ctx: Ctx): void {
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
  // The NLBs' group: clients on their brokers' client ports, the NLBs to those same ports (each NLB
  // listens on and forwards to its broker's ports). Not made when every NLB is kept without one.
  const ports = listeners.map(clientPort);
  const kept = brokers.filter((b) => keptWithoutGroup(ctx, ids.loadBalancer(b)));
  const sgId =
    kept.length < brokers.length ? addNlbSecurityGroup(ctx, { consumers: ports, targets: ports }) : undefined;

  for (const b of brokers) {
    const own = providerSubnetFor(b, ctx.providerSubnets, `${configFile}: provider.subnets`);
    // all-azs: the NLB spans every provider AZ with cross-zone on, so any consumer AZ is served.
    const subnets: Subnet[] = anyAllAzs ? allProviderSubnets : [own];
    nlbAzIds.set(b.id, new Set(subnets.map((s) => s.azId)));
    const nlbId = ids.loadBalancer(b);
    const nlbName = addLoadBalancer(ctx, nlbId, `b${b.id}`, subnets, anyAllAzs, sgId);
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
  // An NLB kept without a group is admitted by its subnets, which admit the others' traffic too.
  addBrokerSecurityGroupRules(
    ctx,
    ports,
    sgId !== undefined && kept.length === 0
      ? { group: sgId }
      : {
          subnets: anyAllAzs
            ? allProviderSubnets
            : brokers.map((b) =>
                providerSubnetFor(b, ctx.providerSubnets, `${configFile}: provider.subnets`),
              ),
        },
  );

  config.consumers.forEach((c, ci) => {
    const csg = addConsumerSecurityGroup(ctx, c, ports);
    const zone = addConsumerZone(ctx, c);
    for (const b of brokers) {
      const azs = nlbAzIds.get(b.id) as Set<string>;
      const subnets =
        c.endpointLayout === 'broker-az'
          ? [consumerSubnetForBroker(c, ci, ctx.consumerSubnets[c.name] ?? [], b, configFile)]
          : consumerSubnetsAllAzs(
              c,
              ci,
              ctx.consumerSubnets[c.name] ?? [],
              azs,
              configFile,
              'nlb',
              regionOf(ctx, c) !== config.region,
            );
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
