// Pattern 0: MSK's managed multi-VPC private connectivity (MSK developer guide, "Amazon MSK multi-VPC
// private connectivity in a single Region"). No NLB, endpoint service or zone of the tool's: MSK
// turns connectivity on for the schemes the consumers use (a rolling restart), a cluster policy lets
// the consumer accounts connect, and each consumer VPC gets a managed VPC connection per scheme
// with a security group open to the brokers' ports 14001.. (14000 + broker id).
import type { ListenerType } from '../config/schema.js';
import { PlanRefused } from '../errors.js';
import { ids, type VpcScheme } from './ids.js';
import { tagsFor } from './names.js';
import { addBootstrapParameter, addConsumerSecurityGroup, provider, type Ctx } from './stack-parts.js';

/** Multi-VPC connectivity's broker ports: 14000 + broker id (MSK developer guide, "Port information"). */
export const VPC_PORT_BASE = 14000;

/** Which multi-VPC scheme serves a configured listener; plaintext has none (unauthenticated is not offered). */
export const SCHEME_OF: Record<ListenerType, VpcScheme | undefined> = {
  tls: 'tls',
  sasl_scram: 'scram',
  iam: 'iam',
  plaintext: undefined,
};
const AUTH: Record<VpcScheme, 'SASL_IAM' | 'SASL_SCRAM' | 'TLS'> = {
  iam: 'SASL_IAM',
  scram: 'SASL_SCRAM',
  tls: 'TLS',
};

/** A broker's name on a scheme's connection: `b-<id>.<scheme>.<cluster domain>`. */
export const vpcName = (brokerId: number, scheme: VpcScheme, domain: string): string =>
  `b-${brokerId}.${scheme}.${domain}`.toLowerCase();

/** Kafka version a.b.c (MSK's "3.6.0", "3.7.x.kraft", "2.8.2.tiered") at least 2.7.1. */
function atLeast271(version: string): boolean | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+|x)/.exec(version);
  if (!m) return undefined;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  const patch = m[3] === 'x' ? 99 : Number(m[3]);
  return maj > 2 || (maj === 2 && (min > 7 || (min === 7 && patch >= 1)));
}

/**
 * Every condition the cluster and the config fail (MSK developer guide, "Requirements and
 * limitations for multi-VPC private connectivity"), each as one sentence; empty when eligible.
 */
export function pattern0Problems(
  ctx: Pick<Ctx, 'config' | 'inventory' | 'consumerSubnets' | 'brokers'>,
): string[] {
  const { config, inventory } = ctx;
  const out: string[] = [];
  if (inventory.brokerType === 'serverless')
    out.push('the cluster is Serverless: multi-VPC connectivity is for provisioned clusters');
  if (inventory.instanceType === 'kafka.t3.small')
    out.push('the brokers are kafka.t3.small, which multi-VPC connectivity does not support');
  const version = atLeast271(inventory.kafkaVersion);
  if (version === false) out.push(`Kafka ${inventory.kafkaVersion} is older than 2.7.1`);
  for (const l of config.cluster.listeners) {
    const scheme = SCHEME_OF[l];
    if (scheme === undefined)
      out.push(
        'plaintext is not offered: multi-VPC connectivity serves IAM, SASL/SCRAM and mutual TLS clients only',
      );
    else if (inventory.clientListeners !== undefined && !inventory.clientListeners.includes(l))
      out.push(`the cluster does not serve ${l} clients (its authentication settings)`);
    if (l === 'tls' && inventory.mutualTls === false)
      out.push(
        'tls needs mutual TLS client authentication on the cluster: multi-VPC connectivity does not serve unauthenticated TLS clients',
      );
  }
  // "The same number of client subnets as cluster subnets ... AZ IDs are same" (MSK developer guide,
  // "Create a managed VPC connection"): one client subnet in each of the brokers' AZ IDs.
  const brokerAzs = [...new Set(ctx.brokers.map((b) => b.availabilityZoneId))].sort();
  for (const c of config.consumers) {
    if (c.region !== undefined && c.region !== config.region)
      out.push(
        `consumer ${c.name} is in ${c.region}: multi-VPC connectivity serves the cluster's region (${config.region}) only`,
      );
    const have = new Set((ctx.consumerSubnets[c.name] ?? []).map((s) => s.azId));
    const missing = brokerAzs.filter((a) => !have.has(a));
    if (missing.length > 0)
      out.push(
        `consumer ${c.name} has no subnet in ${missing.join(', ')}: a managed VPC connection needs one client subnet in each of the cluster's AZ IDs (${brokerAzs.join(', ')})`,
      );
  }
  return out;
}

export function planPattern0(ctx: Ctx): void {
  const problems = pattern0Problems(ctx);
  if (problems.length > 0)
    throw new PlanRefused(
      'PATTERN0_INELIGIBLE',
      `MSK's multi-VPC private connectivity cannot serve this: ${problems.join('; ')}`,
      `${ctx.configFile}: pattern`,
    );
  const { config, inventory, brokers, domain } = ctx;
  const { account, region } = provider(ctx);
  const clusterArn = inventory.clusterArn ?? '(unknown: add clusterArn to the inventory file)';
  const schemes = [
    ...new Set(
      config.cluster.listeners.map((l) => SCHEME_OF[l]).filter((s): s is VpcScheme => s !== undefined),
    ),
  ];
  const connectivity = ids.clusterConnectivity();
  ctx.set.add('cluster-connectivity', connectivity, account, region, { clusterArn, schemes });
  // Accounts other than the cluster's need the policy (the cluster's own principals have IAM).
  const accounts = [...new Set(config.consumers.map((c) => c.account))].filter((a) => a !== account).sort();
  const policy = ids.clusterPolicy();
  if (accounts.length > 0)
    ctx.set.add('cluster-policy', policy, account, region, {
      clusterArn,
      accounts,
      actions: [
        'kafka:CreateVpcConnection',
        'kafka:DescribeCluster',
        'kafka:DescribeClusterV2',
        'kafka:GetBootstrapBrokers',
      ],
      sid: `mpl${config.name.replace(/[^A-Za-z0-9]/g, '')}`,
    });
  const brokerAzs = new Set(brokers.map((b) => b.availabilityZoneId));
  const ports = brokers.map((b) => VPC_PORT_BASE + b.id);
  for (const c of config.consumers) {
    const sg = addConsumerSecurityGroup(ctx, c, ports);
    // One client subnet per broker AZ ID, in the brokers' AZ order (eligibility checked each has one).
    const mine = ctx.consumerSubnets[c.name] ?? [];
    const subnets = [...brokerAzs].sort().map((az) => (mine.find((s) => s.azId === az) as { id: string }).id);
    for (const scheme of schemes) {
      const id = ids.vpcConnection(c.name, scheme);
      ctx.set.add(
        'vpc-connection',
        id,
        c.account,
        region,
        {
          clusterArn,
          authentication: AUTH[scheme],
          vpcId: c.vpcId,
          clientSubnets: subnets,
          securityGroups: [sg],
          tags: tagsFor(config.name, id, `mpl-${config.name}-${c.name}-${scheme}`),
        },
        [sg, connectivity, ...(accounts.length > 0 ? [policy] : [])],
      );
    }
    const first = SCHEME_OF[config.cluster.listeners[0] as ListenerType] as VpcScheme;
    addBootstrapParameter(
      ctx,
      c,
      brokers.map((b) => `${vpcName(b.id, first, domain)}:${VPC_PORT_BASE + b.id}`),
    );
  }
}
