// The planner's entry: the checks every pattern shares (brokers, region, VPC, the cluster's
// sub-domain), then the pattern's own planner (pattern1.ts, pattern2.ts, pattern3.ts), which builds
// on the shared parts in stack-parts.ts.
import { PlanRefused } from '../errors.js';
import type { Resource } from '../kinds/index.js';
import { ResourceSet } from './builder.js';
import { clusterDomain, sortBrokers } from './cluster.js';
import type { PlanInput } from './input.js';
import { planPattern0 } from './pattern0.js';
import { planPattern1 } from './pattern1.js';
import { planPattern2 } from './pattern2.js';
import { planPattern3 } from './pattern3.js';
import { planMonitor } from './monitor.js';
import type { Ctx } from './stack-parts.js';

export interface DesiredStack {
  resources: Resource[];
  /** Pattern 2 port assignments to keep in state (empty for patterns 1 and 3). */
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
  // Cross-region consumers: interface endpoints to endpoint services only (Amazon VPC PrivateLink
  // guide, "Share your services through AWS PrivateLink", Cross-Region access): not MSK's managed
  // connectivity (single region) nor resource endpoints (not documented), and with all-azs endpoints.
  config.consumers.forEach((c, i) => {
    // Pattern 0 names this among all its unmet conditions (pattern0.ts).
    if (c.region === undefined || c.region === config.region || config.pattern === 0) return;
    const why =
      config.pattern === 3
        ? 'PrivateLink VPC resources are not documented as reachable from another region'
        : c.endpointLayout === 'broker-az'
          ? "broker-az places an endpoint in each broker's AZ ID, which another region does not have; use all-azs"
          : undefined;
    if (why !== undefined)
      throw new PlanRefused(
        'CROSS_REGION_UNSUPPORTED',
        `consumer ${c.name} is in ${c.region}, the cluster in ${config.region}: ${why}`,
        `${configFile}: consumers[${i}].region`,
      );
  });
  const domain = clusterDomain(inventory, `${configFile}: cluster`);
  const ctx: Ctx = { ...input, set: new ResourceSet(), brokers: sortBrokers(inventory.brokers), domain };
  const portAssignments =
    config.pattern === 0
      ? (planPattern0(ctx), {})
      : config.pattern === 1
        ? (planPattern1(ctx), {})
        : config.pattern === 2
          ? planPattern2(ctx)
          : (planPattern3(ctx), {});
  planMonitor(ctx, portAssignments);
  return { resources: ctx.set.list(), portAssignments, domain };
}
