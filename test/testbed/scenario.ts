// Scenario helpers: the AWS side of the testbed, made through the SDK the way an operator
// (the provider's VPC and MSK cluster, the consumers' VPCs) or the tool (PrivateLink wiring)
// would make it. Everything here talks to the AWS twin only.
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeAvailabilityZonesCommand,
  EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { clientConfigFor, type SeededCluster, type TwinControl } from './aws/twin.js';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  Route53Client,
  type VPCRegion,
} from '@aws-sdk/client-route-53';

export const DEFAULT_REGION = 'us-east-2';
export const DEFAULT_PROVIDER = '111111111111';
export const DEFAULT_CONSUMERS = ['222222222222', '333333333333'];

export interface AwsTarget {
  endpoint: string;
  region: string;
}

export interface Clients {
  account: string;
  ec2: EC2Client;
  elbv2: ElasticLoadBalancingV2Client;
  route53: Route53Client;
  kafka: KafkaClient;
  destroy(): void;
}

/** SDK clients acting in one account of the AWS twin (the twin maps the access key to it). */
export function clientsFor(aws: AwsTarget, account: string): Clients {
  const config = clientConfigFor(aws, account);
  const ec2 = new EC2Client(config);
  const elbv2 = new ElasticLoadBalancingV2Client(config);
  const route53 = new Route53Client(config);
  const kafka = new KafkaClient(config);
  return {
    account,
    ec2,
    elbv2,
    route53,
    kafka,
    destroy() {
      for (const c of [ec2, elbv2, route53, kafka]) c.destroy();
    },
  };
}

export interface Subnet {
  id: string;
  cidr: string;
  availabilityZone: string;
  availabilityZoneId: string;
}

export interface AccountNetwork {
  account: string;
  vpcId: string;
  cidr: string;
  subnets: Subnet[];
}

/** A VPC with one subnet in each of the region's first three AZs (AZ IDs as EC2 reports them). */
export async function seedVpc(clients: Clients, cidr: string): Promise<AccountNetwork> {
  const azs = await clients.ec2.send(new DescribeAvailabilityZonesCommand({}));
  const zones = (azs.AvailabilityZones ?? []).filter((z) => z.ZoneName && z.ZoneId).slice(0, 3);
  if (zones.length < 3) throw new Error(`need three availability zones, got ${zones.length}`);
  const vpc = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = required(vpc.Vpc?.VpcId, 'VpcId');
  const [a, b] = cidr.split('.');
  const subnets: Subnet[] = [];
  for (const [i, z] of zones.entries()) {
    const subnetCidr = `${a}.${b}.${i + 1}.0/24`;
    const s = await clients.ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: subnetCidr, AvailabilityZone: z.ZoneName }),
    );
    subnets.push({
      id: required(s.Subnet?.SubnetId, 'SubnetId'),
      cidr: subnetCidr,
      availabilityZone: required(z.ZoneName, 'ZoneName'),
      availabilityZoneId: required(s.Subnet?.AvailabilityZoneId ?? z.ZoneId, 'AvailabilityZoneId'),
    });
  }
  return { account: clients.account, vpcId, cidr, subnets };
}

export interface PrivateLinkSpec {
  provider: Clients;
  consumer: Clients;
  providerNetwork: AccountNetwork;
  consumerNetwork: AccountNetwork;
  /** Short name used in resource names (at most 20 characters). */
  name: string;
  /** NLB listener port -> targets (IP targets). */
  listeners: Array<{ port: number; targets: Array<{ ip: string; port: number }> }>;
  /** Private hosted zone and the names to alias to the endpoint. */
  zoneName?: string;
  recordNames?: string[];
  /** Existing zone to add the records to (one zone per consumer VPC, as the tool does). */
  hostedZoneId?: string;
  /** Accept the connection as the provider (the service requires acceptance). */
  accept?: boolean;
}

export interface PrivateLink {
  loadBalancerArn: string;
  targetGroupArns: string[];
  serviceId: string;
  serviceName: string;
  endpointId: string;
  endpointDnsName: string;
  endpointHostedZoneId: string;
  hostedZoneId?: string;
}

/**
 * One PrivateLink path as the tool makes it: internal NLB with TCP listeners and IP target
 * groups, an endpoint service that requires acceptance and allows the consumer account,
 * an interface endpoint in the consumer VPC (accepted by the provider), and alias A
 * records in a private hosted zone associated with the consumer VPC.
 */
export async function wirePrivateLink(spec: PrivateLinkSpec): Promise<PrivateLink> {
  const { provider, consumer } = spec;
  const lb = await provider.elbv2.send(
    new CreateLoadBalancerCommand({
      Name: `${spec.name}-nlb`,
      Type: 'network',
      Scheme: 'internal',
      Subnets: spec.providerNetwork.subnets.map((s) => s.id),
    }),
  );
  const loadBalancerArn = required(lb.LoadBalancers?.[0]?.LoadBalancerArn, 'LoadBalancerArn');
  const targetGroupArns: string[] = [];
  for (const l of spec.listeners) {
    const tg = await provider.elbv2.send(
      new CreateTargetGroupCommand({
        Name: `${spec.name}-${l.port}`,
        Protocol: 'TCP',
        Port: l.port,
        VpcId: spec.providerNetwork.vpcId,
        TargetType: 'ip',
      }),
    );
    const tgArn = required(tg.TargetGroups?.[0]?.TargetGroupArn, 'TargetGroupArn');
    targetGroupArns.push(tgArn);
    await provider.elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: tgArn,
        Targets: l.targets.map((t) => ({ Id: t.ip, Port: t.port })),
      }),
    );
    await provider.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: loadBalancerArn,
        Protocol: 'TCP',
        Port: l.port,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
      }),
    );
  }
  const svc = await provider.ec2.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      NetworkLoadBalancerArns: [loadBalancerArn],
      AcceptanceRequired: true,
    }),
  );
  const serviceId = required(svc.ServiceConfiguration?.ServiceId, 'ServiceId');
  const serviceName = required(svc.ServiceConfiguration?.ServiceName, 'ServiceName');
  await provider.ec2.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: serviceId,
      AddAllowedPrincipals: [`arn:aws:iam::${consumer.account}:root`],
    }),
  );
  const ep = await consumer.ec2.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: spec.consumerNetwork.vpcId,
      ServiceName: serviceName,
      SubnetIds: spec.consumerNetwork.subnets.map((s) => s.id),
    }),
  );
  const endpointId = required(ep.VpcEndpoint?.VpcEndpointId, 'VpcEndpointId');
  const dns = required(ep.VpcEndpoint?.DnsEntries?.[0], 'DnsEntries');
  if (spec.accept ?? true) {
    await provider.ec2.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [endpointId] }),
    );
  }
  const result: PrivateLink = {
    loadBalancerArn,
    targetGroupArns,
    serviceId,
    serviceName,
    endpointId,
    endpointDnsName: required(dns.DnsName, 'DnsName'),
    endpointHostedZoneId: required(dns.HostedZoneId, 'HostedZoneId'),
  };
  if (spec.recordNames && spec.recordNames.length > 0) {
    let zoneId = spec.hostedZoneId;
    if (!zoneId) {
      const zone = await consumer.route53.send(
        new CreateHostedZoneCommand({
          Name: required(spec.zoneName, 'zoneName'),
          CallerReference: `${spec.name}-${endpointId}`,
          HostedZoneConfig: { PrivateZone: true },
          VPC: { VPCId: spec.consumerNetwork.vpcId, VPCRegion: (await regionOf(consumer)) as VPCRegion },
        }),
      );
      zoneId = required(zone.HostedZone?.Id, 'HostedZone.Id');
    }
    await upsertAliases(consumer, zoneId, spec.recordNames, result);
    result.hostedZoneId = zoneId;
  }
  return result;
}

export async function upsertAliases(
  consumer: Clients,
  hostedZoneId: string,
  names: string[],
  link: Pick<PrivateLink, 'endpointDnsName' | 'endpointHostedZoneId'>,
  action: 'UPSERT' | 'DELETE' = 'UPSERT',
): Promise<void> {
  await consumer.route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      ChangeBatch: {
        Changes: names.map((name) => ({
          Action: action,
          ResourceRecordSet: {
            Name: name,
            Type: 'A',
            AliasTarget: {
              DNSName: link.endpointDnsName,
              HostedZoneId: link.endpointHostedZoneId,
              EvaluateTargetHealth: false,
            },
          },
        })),
      },
    }),
  );
}

async function regionOf(clients: Clients): Promise<string> {
  return clients.ec2.config.region();
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`AWS twin answer lacks ${what}`);
  return value;
}

/** What the scenario needs from the Kafka cluster (the testbed's or a stand-in). */
export interface KafkaLike {
  clusterName: string;
  clusterId: string;
  region: string;
  brokers: Array<{ id: number; host: string; ip: string }>;
  /** Present when the cluster has MSK's SASL/SCRAM listener (9096): the seed enables SCRAM. */
  scram?: { username: string };
  /** Where the cluster keeps its metadata; default zookeeper. */
  metadataMode?: 'zookeeper' | 'kraft';
}

export interface ScenarioAccounts {
  provider: string;
  consumers: string[];
}

export interface Scenario {
  region: string;
  accounts: ScenarioAccounts;
  provider: AccountNetwork;
  /** In the order of accounts.consumers. */
  consumers: AccountNetwork[];
  clusterArn: string;
  cluster: SeededCluster;
}

export interface SeedTarget extends AwsTarget {
  control: TwinControl;
}

export interface ScenarioOptions {
  /**
   * Client authentication schemes the MSK cluster has besides its defaults (unauthenticated, and
   * SASL/SCRAM when the Kafka cluster has it): `tls` (mutual TLS) and `iam`, e.g. so that
   * UpdateConnectivity can turn multi-VPC private connectivity on for them. The AWS twin's answers
   * (DescribeCluster's ClientAuthentication, GetBootstrapBrokers) change accordingly; the testbed's
   * Kafka has no IAM listener and does not ask for client certificates either way.
   */
  clientAuth?: { tls?: boolean; iam?: boolean };
}

/**
 * The starting point every test gets: the provider's VPC (10.0.0.0/16) with a subnet in
 * each of three AZs and the MSK cluster seeded over the real brokers (their names, and
 * their loopback addresses as client VPC IPs, spread over those subnets), plus one VPC per
 * consumer (10.20.0.0/16, 10.30.0.0/16, ...) with three subnets.
 */
export async function seedScenario(
  aws: SeedTarget,
  kafka: KafkaLike,
  accounts: ScenarioAccounts = { provider: DEFAULT_PROVIDER, consumers: DEFAULT_CONSUMERS },
  options: ScenarioOptions = {},
): Promise<Scenario> {
  const provider = clientsFor(aws, accounts.provider);
  const consumerClients = accounts.consumers.map((a) => clientsFor(aws, a));
  try {
    const [providerNet, ...consumerNets] = await Promise.all([
      seedVpc(provider, '10.0.0.0/16'),
      ...consumerClients.map((c, i) => seedVpc(c, consumerCidr(i))),
    ]);
    const net = required(providerNet, 'provider VPC');
    const cluster = await aws.control.seedMskClusterDetailed({
      account: accounts.provider,
      region: aws.region,
      clusterName: kafka.clusterName,
      shortId: kafka.clusterId,
      cell: 2,
      // A KRaft cluster shows as MSK shows one: metadataMode KRAFT, version 3.9.x.kraft.
      kafkaVersion: '3.9.x',
      metadataMode: kafka.metadataMode === 'kraft' ? 'KRAFT' : 'ZOOKEEPER',
      brokerType: 'standard',
      clientBroker: 'TLS_PLAINTEXT',
      // SCRAM enabled: GetBootstrapBrokers also answers BootstrapBrokerStringSaslScram (9096).
      auth: {
        unauthenticated: true,
        ...(kafka.scram ? { scram: true } : {}),
        ...(options.clientAuth?.tls ? { tls: true } : {}),
        ...(options.clientAuth?.iam ? { iam: true } : {}),
      },
      // Most clusters run a configuration of their own: pattern 2's msk-configuration mode must
      // carry its settings over and put it back on destroy.
      configuration: {
        name: `${kafka.clusterName}-settings`,
        serverProperties: 'auto.create.topics.enable=true\nlog.retention.hours=168\n',
      },
      brokers: kafka.brokers.map((b, i) => ({
        id: b.id,
        endpoint: b.host,
        clientVpcIp: b.ip,
        clientSubnet: required(net.subnets[i % net.subnets.length], 'subnet').id,
      })),
    });
    return {
      region: aws.region,
      accounts: { provider: accounts.provider, consumers: [...accounts.consumers] },
      provider: net,
      consumers: consumerNets,
      clusterArn: cluster.clusterArn,
      cluster,
    };
  } finally {
    provider.destroy();
    for (const c of consumerClients) c.destroy();
  }
}

/**
 * The i-th consumer VPC's range: 10.20.0.0/16, 10.30.0.0/16, ... up to 10.250.0.0/16, then the
 * second octets left free (not 0, the provider's, nor a multiple of ten), so 50 consumer accounts fit.
 */
export function consumerCidr(i: number): string {
  if (i < 24) return `10.${20 + 10 * i}.0.0/16`;
  const free = Array.from({ length: 255 }, (_, o) => o + 1).filter((o) => o % 10 !== 0);
  const octet = free[i - 24];
  if (octet === undefined) throw new Error(`no /16 left for consumer ${i + 1}`);
  return `10.${octet}.0.0/16`;
}

/** Clears the AWS twin (resources, faults, counters) and seeds the scenario again. */
export async function resetScenario(
  aws: SeedTarget,
  kafka: KafkaLike,
  accounts?: ScenarioAccounts,
  options: ScenarioOptions = {},
): Promise<Scenario> {
  await aws.control.reset();
  return seedScenario(aws, kafka, accounts, options);
}
