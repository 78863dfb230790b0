// Helpers for the lifecycle e2e test: read-back of what apply made through the AWS CLI (a client
// independent of the SDK the tool uses), a tag sweep of every account through the SDK, the brokers'
// listener settings through the Kafka admin API, and small file helpers over state and plans.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import {
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointsCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListHostedZonesCommand, ListTagsForResourceCommand } from '@aws-sdk/client-route-53';
import {
  DescribeParametersCommand,
  ListTagsForResourceCommand as SsmListTagsCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { GetResourceSharesCommand, RAMClient } from '@aws-sdk/client-ram';
import {
  ListResourceConfigurationsCommand,
  ListResourceGatewaysCommand,
  ListTagsForResourceCommand as ListLatticeTagsCommand,
  VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import kafkajs from 'kafkajs';
import type { ISocketFactory } from 'kafkajs';
import { parse, stringify } from 'yaml';
import { twinAccessKeyId } from '../testbed/aws/twin.js';
import { mapLookup, resolvingSocketFactory } from '../testbed/kafka/socket-factory.js';
import type { Testbed } from '../testbed/testbed.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;

export const TAG_STACK = 'msk-privatelink:stack';
export const TAG_ID = 'msk-privatelink:id';

// ------------------------------------------------------------------ files

export interface StateFile {
  serial: number;
  resources: Record<
    string,
    {
      kind: string;
      account: string;
      physicalId?: string;
      props: Record<string, unknown>;
      outputs: Record<string, unknown>;
    }
  >;
  portAssignments: Record<string, number>;
  brokerOriginals: Record<string, Record<string, string>>;
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

export interface PlannedResource {
  kind: string;
  id: string;
  account: string;
  props: Record<string, unknown>;
}
export interface PlanChange {
  action: 'create' | 'update' | 'replace' | 'delete' | 'noop';
  kind: string;
  id: string;
  account: string;
  reason: string;
  changedProps?: string[];
}
export interface SavedPlan {
  desired: PlannedResource[];
  portAssignments: Record<string, number>;
  changes: PlanChange[];
}

/** Edits the YAML config writeStackConfig wrote (for fields its shallow `extra` cannot reach). */
export async function editConfig(file: string, edit: (c: Record<string, unknown>) => void): Promise<void> {
  const c = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(c);
  await writeFile(file, stringify(c));
}

// ------------------------------------------------------------------ AWS CLI

// Each AWS CLI run is a Python start (~0.5 s of CPU): a few at a time beat dozens fighting for cores.
const CLI_PARALLEL = 4;
let cliRunning = 0;
const cliWaiting: Array<() => void> = [];

async function cliSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (cliRunning >= CLI_PARALLEL) await new Promise<void>((r) => cliWaiting.push(r));
  cliRunning++;
  try {
    return await fn();
  } finally {
    cliRunning--;
    cliWaiting.shift()?.();
  }
}

/** Runs the AWS CLI (v1, a Python client independent of SDK v3) against the twin as `account`. */
export function awsCli<T>(tb: Testbed, account: string, args: string[]): Promise<T> {
  return cliSlot(() => runAwsCli<T>(tb, account, args));
}

function runAwsCli<T>(tb: Testbed, account: string, args: string[]): Promise<T> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL: tb.endpoint,
    AWS_DEFAULT_REGION: tb.region,
    AWS_ACCESS_KEY_ID: twinAccessKeyId(account),
    AWS_SECRET_ACCESS_KEY: 'twin-test-secret',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
  };
  return new Promise((resolve, reject) => {
    execFile('aws', [...args, '--output', 'json'], { env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`aws ${args.join(' ')} (account ${account}): ${stderr || err.message}`));
      else resolve((stdout.trim() === '' ? {} : JSON.parse(stdout)) as T);
    });
  });
}

/** Route 53 and EC2 write DNS names with or without the trailing dot and in any case. */
export const dnsName = (s: string): string => s.toLowerCase().replace(/\.$/, '');

export interface LiveNlb {
  name: string;
  arn: string;
  scheme: string;
  type: string;
  dnsName: string;
  subnetIds: string[];
  /** port -> target group ARN */
  listeners: Map<number, string>;
  securityGroups: string[];
  /** EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, as DescribeLoadBalancers answers it. */
  enforcePrivateLink: string | undefined;
}
export interface LiveTargetGroup {
  name: string;
  arn: string;
  port: number;
  protocol: string;
  vpcId: string;
  /** "ip:port", sorted */
  targets: string[];
}
export interface LiveService {
  serviceId: string;
  serviceName: string;
  nlbArns: string[];
  acceptanceRequired: boolean;
  logicalId: string | undefined;
  principals: string[];
}
export interface LiveEndpoint {
  id: string;
  state: string;
  serviceName: string;
  vpcId: string;
  subnetIds: string[];
  groupIds: string[];
  dnsName: string;
  logicalId: string | undefined;
}
export interface LiveZone {
  id: string;
  name: string;
  /** record name -> alias DNS name (A alias records only) */
  aliases: Map<string, string>;
}
export interface LiveAccount {
  endpoints: LiveEndpoint[];
  zones: LiveZone[];
  /** logical id -> group id and ingress "proto:from-to:cidr", sorted */
  securityGroups: Map<string, { groupId: string; ingress: string[] }>;
  parameters: Map<string, string>;
}
export interface LiveView {
  nlbs: Map<string, LiveNlb>;
  targetGroups: Map<string, LiveTargetGroup>;
  services: LiveService[];
  accounts: Map<string, LiveAccount>;
}

interface Tagged {
  Tags?: Array<{ Key?: string; Value?: string }>;
}
const tagOf = (t: Tagged, key: string): string | undefined => t.Tags?.find((x) => x.Key === key)?.Value;

/**
 * What the stack's resources look like through the AWS CLI: the provider's NLBs (named
 * `mpl-<stack>-*`), their listeners, target groups and targets, endpoint services with their
 * permissions; each account's endpoints, zones with alias records, security groups, parameters.
 */
export async function readBack(tb: Testbed, stack: string, parameterNames: string[]): Promise<LiveView> {
  const provider = tb.accounts.provider;
  const prefix = `mpl-${stack}-`;
  const [lbs, tgs, svcs] = await Promise.all([
    awsCli<{ LoadBalancers: Array<Record<string, unknown>> }>(tb, provider, [
      'elbv2',
      'describe-load-balancers',
    ]),
    awsCli<{ TargetGroups: Array<Record<string, unknown>> }>(tb, provider, [
      'elbv2',
      'describe-target-groups',
    ]),
    awsCli<{ ServiceConfigurations: Array<Record<string, unknown> & Tagged> }>(tb, provider, [
      'ec2',
      'describe-vpc-endpoint-service-configurations',
    ]),
  ]);
  const nlbs = new Map<string, LiveNlb>();
  await Promise.all(
    lbs.LoadBalancers.filter((l) => String(l.LoadBalancerName).startsWith(prefix)).map(async (l) => {
      const arn = String(l.LoadBalancerArn);
      const ls = await awsCli<{ Listeners: Array<Record<string, unknown>> }>(tb, provider, [
        'elbv2',
        'describe-listeners',
        '--load-balancer-arn',
        arn,
      ]);
      const listeners = new Map<number, string>();
      for (const x of ls.Listeners) {
        const actions = x.DefaultActions as Array<{ Type: string; TargetGroupArn?: string }>;
        listeners.set(Number(x.Port), actions.map((a) => `${a.Type}:${a.TargetGroupArn ?? ''}`).join(','));
      }
      nlbs.set(String(l.LoadBalancerName), {
        name: String(l.LoadBalancerName),
        arn,
        scheme: String(l.Scheme),
        type: String(l.Type),
        dnsName: dnsName(String(l.DNSName)),
        subnetIds: (l.AvailabilityZones as Array<{ SubnetId: string }>).map((z) => z.SubnetId).sort(),
        listeners,
        securityGroups: [...((l.SecurityGroups as string[] | undefined) ?? [])].sort(),
        enforcePrivateLink: l.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic as string | undefined,
      });
    }),
  );
  const targetGroups = new Map<string, LiveTargetGroup>();
  await Promise.all(
    tgs.TargetGroups.filter((t) => String(t.TargetGroupName).startsWith(prefix)).map(async (t) => {
      const arn = String(t.TargetGroupArn);
      const h = await awsCli<{ TargetHealthDescriptions: Array<{ Target: { Id: string; Port: number } }> }>(
        tb,
        provider,
        ['elbv2', 'describe-target-health', '--target-group-arn', arn],
      );
      targetGroups.set(String(t.TargetGroupName), {
        name: String(t.TargetGroupName),
        arn,
        port: Number(t.Port),
        protocol: String(t.Protocol),
        vpcId: String(t.VpcId),
        targets: h.TargetHealthDescriptions.map((d) => `${d.Target.Id}:${d.Target.Port}`).sort(),
      });
    }),
  );
  const services = await Promise.all(
    svcs.ServiceConfigurations.filter((s) => tagOf(s, TAG_STACK) === stack).map(async (s) => {
      const serviceId = String(s.ServiceId);
      const perms = await awsCli<{ AllowedPrincipals: Array<{ Principal: string }> }>(tb, provider, [
        'ec2',
        'describe-vpc-endpoint-service-permissions',
        '--service-id',
        serviceId,
      ]);
      return {
        serviceId,
        serviceName: String(s.ServiceName),
        nlbArns: [...((s.NetworkLoadBalancerArns as string[] | undefined) ?? [])].sort(),
        acceptanceRequired: s.AcceptanceRequired === true,
        logicalId: tagOf(s, TAG_ID),
        principals: perms.AllowedPrincipals.map((p) => p.Principal).sort(),
      };
    }),
  );
  const accounts = new Map<string, LiveAccount>();
  await Promise.all(
    [provider, ...tb.accounts.consumers].map(async (account) => {
      // The provider holds no endpoints or parameters: its zones (pattern 2) and the NLBs' group.
      const consumer = account !== provider;
      accounts.set(account, await readAccount(tb, account, stack, consumer ? parameterNames : [], consumer));
    }),
  );
  return { nlbs, targetGroups, services, accounts };
}

async function readAccount(
  tb: Testbed,
  account: string,
  stack: string,
  parameterNames: string[],
  consumer: boolean,
): Promise<LiveAccount> {
  const none = { VpcEndpoints: [] };
  const [eps, zones, sgs, params] = await Promise.all([
    consumer
      ? awsCli<{ VpcEndpoints: Array<Record<string, unknown> & Tagged> }>(tb, account, [
          'ec2',
          'describe-vpc-endpoints',
        ])
      : none,
    awsCli<{ HostedZones: Array<{ Id: string; Name: string }> }>(tb, account, [
      'route53',
      'list-hosted-zones',
    ]),
    // Consumers' endpoint groups, and the provider's group of the NLBs.
    awsCli<{ SecurityGroups: Array<Record<string, unknown> & Tagged> }>(tb, account, [
      'ec2',
      'describe-security-groups',
    ]),
    parameterNames.length === 0
      ? Promise.resolve({ Parameters: [] })
      : awsCli<{ Parameters: Array<{ Name: string; Value: string }> }>(tb, account, [
          'ssm',
          'get-parameters',
          '--names',
          ...parameterNames,
        ]),
  ]);
  const endpoints = eps.VpcEndpoints.filter((e) => tagOf(e, TAG_STACK) === stack).map((e) => ({
    id: String(e.VpcEndpointId),
    state: String(e.State).toLowerCase(),
    serviceName: String(e.ServiceName),
    vpcId: String(e.VpcId),
    subnetIds: [...(e.SubnetIds as string[])].sort(),
    groupIds: (e.Groups as Array<{ GroupId: string }>).map((g) => g.GroupId).sort(),
    dnsName: dnsName((e.DnsEntries as Array<{ DnsName: string }>)[0]?.DnsName ?? ''),
    logicalId: tagOf(e, TAG_ID),
  }));
  const liveZones = await Promise.all(
    zones.HostedZones.map(async (z) => {
      const rr = await awsCli<{
        ResourceRecordSets: Array<{ Name: string; Type: string; AliasTarget?: { DNSName: string } }>;
      }>(tb, account, ['route53', 'list-resource-record-sets', '--hosted-zone-id', z.Id]);
      const aliases = new Map<string, string>();
      for (const r of rr.ResourceRecordSets)
        if (r.Type === 'A' && r.AliasTarget) aliases.set(dnsName(r.Name), dnsName(r.AliasTarget.DNSName));
      return { id: z.Id.replace(/^\/hostedzone\//, ''), name: dnsName(z.Name), aliases };
    }),
  );
  const securityGroups = new Map<string, { groupId: string; ingress: string[] }>();
  for (const g of sgs.SecurityGroups) {
    if (tagOf(g, TAG_STACK) !== stack) continue;
    const perms = g.IpPermissions as Array<{
      IpProtocol: string;
      FromPort: number;
      ToPort: number;
      IpRanges: Array<{ CidrIp: string }>;
    }>;
    securityGroups.set(tagOf(g, TAG_ID) ?? String(g.GroupId), {
      groupId: String(g.GroupId),
      ingress: perms
        .flatMap((p) => p.IpRanges.map((r) => `${p.IpProtocol}:${p.FromPort}-${p.ToPort}:${r.CidrIp}`))
        .sort(),
    });
  }
  const parameters = new Map(params.Parameters.map((p) => [p.Name, p.Value]));
  return { endpoints, zones: liveZones, securityGroups, parameters };
}

// ------------------------------------------------------------------ tag sweep (SDK)

/** Everything in any account that carries the stack's tag, as "account kind id" lines. */
export async function taggedWithStack(tb: Testbed, stack: string): Promise<string[]> {
  const found: string[] = [];
  for (const account of [tb.accounts.provider, ...tb.accounts.consumers]) {
    const c = tb.clients(account);
    const ssm = new SSMClient(tb.clientConfig(account));
    try {
      const has = (t: Tagged) => tagOf(t, TAG_STACK) === stack;
      const lbs = (await c.elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
      const tgs = (await c.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
      const arns = [
        ...lbs.map((l) => ['load-balancer', l.LoadBalancerArn ?? ''] as const),
        ...tgs.map((t) => ['target-group', t.TargetGroupArn ?? ''] as const),
      ];
      for (let i = 0; i < arns.length; i += 20) {
        const batch = arns.slice(i, i + 20);
        const tags = await c.elbv2.send(new DescribeTagsCommand({ ResourceArns: batch.map(([, a]) => a) }));
        for (const d of tags.TagDescriptions ?? []) {
          if (has(d))
            found.push(`${account} ${batch.find(([, a]) => a === d.ResourceArn)?.[0]} ${d.ResourceArn}`);
        }
      }
      const svcs = await c.ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
      for (const s of svcs.ServiceConfigurations ?? [])
        if (has(s)) found.push(`${account} endpoint-service ${s.ServiceId}`);
      const eps = await c.ec2.send(new DescribeVpcEndpointsCommand({}));
      for (const e of eps.VpcEndpoints ?? [])
        if (has(e)) found.push(`${account} vpc-endpoint ${e.VpcEndpointId} (${e.State})`);
      const sgs = await c.ec2.send(new DescribeSecurityGroupsCommand({}));
      for (const g of sgs.SecurityGroups ?? [])
        if (has(g)) found.push(`${account} security-group ${g.GroupId}`);
      const zones = (await c.route53.send(new ListHostedZonesCommand({}))).HostedZones ?? [];
      for (const z of zones) {
        const zoneId = (z.Id ?? '').replace(/^\/hostedzone\//, '');
        const t = await c.route53.send(
          new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId }),
        );
        if (has({ Tags: t.ResourceTagSet?.Tags ?? [] }))
          found.push(`${account} hosted-zone ${zoneId} ${z.Name}`);
      }
      // Pattern 3: VPC Lattice gateways and configurations, RAM shares.
      const lattice = new VPCLatticeClient(tb.clientConfig(account));
      const ram = new RAMClient(tb.clientConfig(account));
      try {
        const latticeTagged = async (arn: string | undefined) =>
          arn !== undefined &&
          (await lattice.send(new ListLatticeTagsCommand({ resourceArn: arn }))).tags?.[TAG_STACK] === stack;
        for (const g of (await lattice.send(new ListResourceGatewaysCommand({}))).items ?? [])
          if (g.status !== 'DELETE_IN_PROGRESS' && (await latticeTagged(g.arn)))
            found.push(`${account} resource-gateway ${g.arn}`);
        for (const c of (await lattice.send(new ListResourceConfigurationsCommand({}))).items ?? [])
          if (c.status !== 'DELETE_IN_PROGRESS' && (await latticeTagged(c.arn)))
            found.push(`${account} resource-configuration ${c.arn}`);
        const shares = await ram.send(new GetResourceSharesCommand({ resourceOwner: 'SELF' }));
        for (const sh of shares.resourceShares ?? [])
          if (
            !['DELETED', 'DELETING'].includes(sh.status ?? '') &&
            (sh.tags ?? []).some((t) => t.key === TAG_STACK && t.value === stack)
          )
            found.push(`${account} resource-share ${sh.resourceShareArn}`);
      } finally {
        lattice.destroy();
        ram.destroy();
      }
      const params = (await ssm.send(new DescribeParametersCommand({}))).Parameters ?? [];
      for (const p of params) {
        const t = await ssm.send(
          new SsmListTagsCommand({ ResourceType: 'Parameter', ResourceId: p.Name ?? '' }),
        );
        if (has({ Tags: t.TagList ?? [] })) found.push(`${account} ssm-parameter ${p.Name}`);
      }
    } finally {
      c.destroy();
      ssm.destroy();
    }
  }
  return found.sort();
}

/** Hosted zones with one of these names, in any account, as "account zoneId name" lines. */
export async function zonesNamed(tb: Testbed, names: ReadonlySet<string>): Promise<string[]> {
  const found: string[] = [];
  for (const account of [tb.accounts.provider, ...tb.accounts.consumers]) {
    const c = tb.clients(account);
    try {
      for (const z of (await c.route53.send(new ListHostedZonesCommand({}))).HostedZones ?? [])
        if (names.has(dnsName(z.Name ?? ''))) found.push(`${account} ${z.Id} ${z.Name}`);
    } finally {
      c.destroy();
    }
  }
  return found;
}

// ------------------------------------------------------------------ Kafka admin

/** Each broker's effective advertised.listeners and its per-broker dynamic settings. */
export interface BrokerListeners {
  advertised: string | null;
  dynamic: Record<string, string | null>;
}

/**
 * Reads every broker's listener settings with the test's own kafkajs admin (DescribeConfigs per
 * broker, over TLS with the test CA). Brokers are dialled at their IP on the real TLS port whatever
 * port metadata advertises, so this works while pattern 2 has rewritten the ports.
 */
export async function brokerListeners(tb: Testbed): Promise<Map<number, BrokerListeners>> {
  const tlsPort = tb.kafka.brokers[0]?.ports.tls ?? 9094;
  const inner = resolvingSocketFactory(mapLookup(tb.kafka.addresses));
  const pinned: ISocketFactory = (args) => inner({ ...args, port: tlsPort });
  const kafka = new Kafka({
    clientId: 'e2e-lifecycle',
    brokers: tb.kafka.brokers.map((b) => `${b.host}:${tlsPort}`),
    ssl: { ca: [tb.caPem], rejectUnauthorized: true },
    socketFactory: pinned,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 200 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: tb.kafka.brokers.map((b) => ({ type: ConfigResourceTypes.BROKER, name: String(b.id) })),
    });
    const out = new Map<number, BrokerListeners>();
    for (const r of res.resources) {
      if (r.errorCode !== 0)
        throw new Error(`broker ${r.resourceName}: DescribeConfigs error ${r.errorCode}`);
      const dynamic: Record<string, string | null> = {};
      for (const e of r.configEntries)
        if (e.configSource === 2) dynamic[e.configName] = e.configValue ?? null;
      out.set(Number(r.resourceName), {
        advertised: r.configEntries.find((e) => e.configName === 'advertised.listeners')?.configValue ?? null,
        dynamic,
      });
    }
    return out;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
