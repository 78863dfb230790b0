// Discovery: an MSK cluster's brokers and their subnets' AZ IDs, read from MSK (API reference:
// DescribeClusterV2, ListNodes) and EC2 (DescribeSubnets), as the inventory the planner takes.
import { DescribeSubnetsCommand, type EC2Client, type Subnet as Ec2Subnet } from '@aws-sdk/client-ec2';
import {
  DescribeClusterV2Command,
  ListNodesCommand,
  type Cluster,
  type Provisioned as ProvisionedInfo,
  type ListNodesCommandOutput,
  type NodeInfo,
} from '@aws-sdk/client-kafka';
import type { AccountClients } from '../aws/clients.js';
import { InventorySchema, type Broker, type Inventory, type ListenerType } from '../config/schema.js';
import { MplError } from '../errors.js';
import type { WaitOptions } from '../kinds/kind.js';
import { poll } from '../kinds/shared/poll.js';
import { awsFailure, errorName, isNotFound } from '../aws/errors.js';

/** `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>` -> its region (or undefined when not an ARN). */
function arnRegion(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):\d{12}:/.exec(arn)?.[1];
}

/**
 * KRaft clusters say so in their version ("3.7.x.kraft", MSK developer guide "KRaft mode"); Kafka 4 has no
 * ZooKeeper mode at all (KIP-833), so a 4.x version is KRaft whatever its suffix.
 */
/**
 * The client listeners a provisioned cluster serves, from its authentication and encryption in
 * transit settings (MSK developer guide, "Port information" and "Authentication and authorization
 * for Apache Kafka APIs"): TLS 9094 unless client-broker encryption is PLAINTEXT only, plaintext
 * 9092 when it allows plaintext, each only with unauthenticated or mutual-TLS access (or no
 * authentication settings at all); SASL/SCRAM 9096 and IAM 9098 when enabled. Undefined when MSK
 * reported no settings to read.
 */
export function clientListenersOf(prov: ProvisionedInfo | undefined): ListenerType[] | undefined {
  if (prov === undefined) return undefined;
  const auth = prov.ClientAuthentication;
  const inTransit = prov.EncryptionInfo?.EncryptionInTransit?.ClientBroker ?? 'TLS';
  const open =
    auth === undefined ||
    auth.Unauthenticated?.Enabled === true ||
    auth.Tls?.Enabled === true ||
    (auth.Tls !== undefined &&
      auth.Tls.Enabled === undefined &&
      (auth.Tls.CertificateAuthorityArnList?.length ?? 0) > 0);
  const out: ListenerType[] = [];
  if (open && inTransit !== 'PLAINTEXT') out.push('tls');
  if (auth?.Sasl?.Scram?.Enabled === true) out.push('sasl_scram');
  if (auth?.Sasl?.Iam?.Enabled === true) out.push('iam');
  if (open && inTransit !== 'TLS') out.push('plaintext');
  return out;
}

export function metadataModeOf(kafkaVersion: string): 'zookeeper' | 'kraft' {
  if (/kraft/i.test(kafkaVersion)) return 'kraft';
  const major = Number(/^(\d+)\./.exec(kafkaVersion)?.[1]);
  return major >= 4 ? 'kraft' : 'zookeeper';
}

async function describeCluster(clients: AccountClients, clusterArn: string): Promise<Cluster> {
  try {
    const out = await clients.kafka.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }));
    if (!out.ClusterInfo) throw new MplError('CLUSTER_NOT_FOUND', `MSK cluster ${clusterArn} not found`);
    return out.ClusterInfo;
  } catch (e) {
    if (e instanceof MplError) throw e;
    if (isNotFound(e)) {
      throw new MplError(
        'CLUSTER_NOT_FOUND',
        `MSK cluster ${clusterArn} not found in account ${clients.account} (${clients.region}): check cluster.arn and the provider account`,
        { cause: e },
      );
    }
    throw new MplError(
      'DISCOVERY_FAILED',
      `cannot describe MSK cluster ${clusterArn}: ${errorName(e)}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

async function listBrokers(clients: AccountClients, clusterArn: string): Promise<NodeInfo[]> {
  const nodes: NodeInfo[] = [];
  let next: string | undefined;
  do {
    let out: ListNodesCommandOutput;
    try {
      out = await clients.kafka.send(
        new ListNodesCommand({ ClusterArn: clusterArn, NextToken: next, MaxResults: 100 }),
      );
    } catch (e) {
      throw new MplError(
        'DISCOVERY_FAILED',
        `cannot list the brokers of MSK cluster ${clusterArn}: ${errorName(e)}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    nodes.push(...(out.NodeInfoList ?? []));
    next = out.NextToken;
  } while (next);
  return nodes.filter((n) => n.BrokerNodeInfo !== undefined && (n.NodeType ?? 'BROKER') === 'BROKER');
}

async function describeSubnets(ec2: EC2Client, subnetIds: string[]): Promise<Map<string, Ec2Subnet>> {
  const found = new Map<string, Ec2Subnet>();
  const ids = [...new Set(subnetIds)];
  // A filter (not SubnetIds) so an unknown id is reported by name instead of failing the whole call;
  // at most 200 values per filter (EC2 API reference, "Filters").
  for (let i = 0; i < ids.length; i += 200) {
    let token: string | undefined;
    do {
      const out = await ec2.send(
        new DescribeSubnetsCommand({
          Filters: [{ Name: 'subnet-id', Values: ids.slice(i, i + 200) }],
          NextToken: token,
        }),
      );
      for (const s of out.Subnets ?? []) if (s.SubnetId) found.set(s.SubnetId, s);
      token = out.NextToken;
    } while (token);
  }
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new MplError(
      'SUBNET_NOT_FOUND',
      `subnet${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found in this account and region`,
    );
  }
  return found;
}

/** AZ IDs (not names: names differ per account) of bare subnet ids a config names. Unknown ids are an error naming them. */
export async function resolveSubnetAzIds(ec2: EC2Client, subnetIds: string[]): Promise<Map<string, string>> {
  if (subnetIds.length === 0) return new Map();
  const subnets = await describeSubnets(ec2, subnetIds);
  const out = new Map<string, string>();
  for (const [id, s] of subnets) {
    if (!s.AvailabilityZoneId) throw new MplError('SUBNET_NO_AZ_ID', `subnet ${id}: EC2 reported no AZ ID`);
    out.set(id, s.AvailabilityZoneId);
  }
  return out;
}

/** How discovery may wait for a cluster in the middle of an update. */
export interface DiscoverOptions {
  /** Set: an UPDATING or REBOOTING_BROKER cluster is waited for (up to the timeout) instead of refused. */
  wait?: WaitOptions;
  log?: (message: string) => void;
}

// States that end by themselves in ACTIVE (MSK API reference, ClusterState): an update a run started
// before it was killed (a configuration's rolling restart, multi-VPC connectivity) is one of them.
const PASSING_STATES = new Set(['UPDATING', 'REBOOTING_BROKER']);

/** The inventory of an ACTIVE provisioned MSK cluster, from MSK and EC2 in the provider account. */
export async function discover(
  clients: AccountClients,
  clusterArn: string,
  opts: DiscoverOptions = {},
): Promise<Inventory> {
  const region = arnRegion(clusterArn);
  if (region !== undefined && region !== clients.region) {
    throw new MplError(
      'REGION_MISMATCH',
      `MSK cluster ${clusterArn} is in ${region}, but discovery runs in ${clients.region}`,
    );
  }
  let cluster = await describeCluster(clients, clusterArn);
  const name = cluster.ClusterName ?? clusterArn;
  if (opts.wait && PASSING_STATES.has(cluster.State ?? '')) {
    opts.log?.(
      `MSK cluster ${name} is ${cluster.State}: waiting until it is ACTIVE before reading its brokers (an update changes them while it runs)`,
    );
    cluster = await poll(`MSK cluster ${name} to be ACTIVE`, opts.wait, async () => {
      const c = await describeCluster(clients, clusterArn);
      if (c.State === 'ACTIVE') return { done: true, value: c };
      if (!PASSING_STATES.has(c.State ?? '')) return { failed: `it is ${c.State ?? 'in an unknown state'}` };
      return { done: false, state: c.State ?? '?' };
    });
  }
  if (cluster.ClusterType === 'SERVERLESS' || cluster.Serverless !== undefined) {
    throw new MplError(
      'SERVERLESS_UNSUPPORTED',
      `MSK cluster ${name} is serverless: MSK does not list its brokers (ListNodes is not supported), ` +
        "and patterns 1 and 2 both need each broker's address to put behind a load balancer",
    );
  }
  if (cluster.State !== 'ACTIVE') {
    throw new MplError(
      'CLUSTER_NOT_ACTIVE',
      `MSK cluster ${name} is ${cluster.State ?? 'in an unknown state'}, not ACTIVE: its brokers may still change; try again when it is ACTIVE`,
      { retriable: true },
    );
  }
  const prov = cluster.Provisioned;
  const kafkaVersion = prov?.CurrentBrokerSoftwareInfo?.KafkaVersion ?? cluster.CurrentVersion ?? '';
  if (!kafkaVersion) throw new MplError('DISCOVERY_FAILED', `MSK cluster ${name}: no Kafka version reported`);
  // Express brokers run on express.* instance types (MSK developer guide, "Express brokers").
  const brokerType = prov?.BrokerNodeGroupInfo?.InstanceType?.startsWith('express.') ? 'express' : 'standard';

  const clientListeners = clientListenersOf(prov);

  const nodes = await listBrokers(clients, clusterArn);
  if (nodes.length === 0)
    throw new MplError('NO_BROKERS', `MSK cluster ${name} (${clusterArn}) has no brokers`);
  const subnetIds = [
    ...nodes.map((n) => n.BrokerNodeInfo?.ClientSubnet ?? ''),
    ...(prov?.BrokerNodeGroupInfo?.ClientSubnets ?? []),
  ].filter(Boolean);
  let subnets: Map<string, Ec2Subnet>;
  try {
    subnets = await describeSubnets(clients.ec2, subnetIds);
  } catch (e) {
    if (e instanceof MplError) {
      throw new MplError(e.code, `MSK cluster ${name}: ${e.message}`, { cause: e });
    }
    // AWS's message names what was refused (an action the role lacks, for one).
    throw awsFailure('DISCOVERY_FAILED', `MSK cluster ${name}: cannot describe its subnets`, e);
  }

  const brokers: Broker[] = nodes.map((n) => {
    const b = n.BrokerNodeInfo ?? {};
    const where = `MSK cluster ${name}, broker ${b.BrokerId ?? '?'}`;
    const host = b.Endpoints?.[0];
    const subnet = subnets.get(b.ClientSubnet ?? '');
    if (b.BrokerId === undefined || !host || !b.ClientVpcIpAddress || !subnet?.AvailabilityZoneId) {
      throw new MplError('DISCOVERY_FAILED', `${where}: MSK did not report its id, DNS name, IP and subnet`);
    }
    return {
      id: b.BrokerId,
      host,
      ip: b.ClientVpcIpAddress,
      subnetId: subnet.SubnetId ?? '',
      ...(subnet.AvailabilityZone ? { availabilityZone: subnet.AvailabilityZone } : {}),
      availabilityZoneId: subnet.AvailabilityZoneId,
    };
  });
  brokers.sort((a, b) => a.id - b.id);

  const vpcs = [...new Set([...subnets.values()].map((s) => s.VpcId ?? ''))];
  if (vpcs.length !== 1 || !vpcs[0]) {
    throw new MplError(
      'DISCOVERY_FAILED',
      `MSK cluster ${name}: its subnets are in ${vpcs.length} VPCs (${vpcs.join(', ')})`,
    );
  }
  const inventory = {
    clusterArn,
    clusterName: name,
    region: clients.region,
    kafkaVersion,
    metadataMode: metadataModeOf(kafkaVersion),
    brokerType,
    ...(clientListeners ? { clientListeners } : {}),
    ...(prov?.BrokerNodeGroupInfo?.InstanceType
      ? { instanceType: prov.BrokerNodeGroupInfo.InstanceType }
      : {}),
    ...(prov?.ClientAuthentication
      ? {
          mutualTls:
            prov.ClientAuthentication.Tls?.Enabled === true ||
            (prov.ClientAuthentication.Tls?.Enabled === undefined &&
              (prov.ClientAuthentication.Tls?.CertificateAuthorityArnList?.length ?? 0) > 0),
        }
      : {}),
    vpcId: vpcs[0],
    brokers,
    subnets: [...subnets.values()]
      .map((s) => ({
        id: s.SubnetId ?? '',
        azId: s.AvailabilityZoneId ?? '',
        ...(s.CidrBlock ? { cidr: s.CidrBlock } : {}),
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
  };
  const parsed = InventorySchema.safeParse(inventory);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MplError(
      'DISCOVERY_FAILED',
      `MSK cluster ${name}: what MSK reported is not a usable inventory: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}
