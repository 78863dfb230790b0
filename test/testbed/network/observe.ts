// Reads, through the AWS SDK, the parts of AWS state the network twin materialises:
// consumer endpoints and private hosted zones; every Network Load Balancer of an account with
// its listeners and their targets (one reading per account and poll, shared by the NLBs' own
// addresses and the endpoint services in use); for each resource configuration group in use
// (resource endpoints), its children, and the MSK brokers' names and IPs that DNS-name
// children resolve to; each account's MSK managed VPC connections (multi-VPC private
// connectivity) and the brokers of the clusters they connect to.
import {
  DescribeVpcEndpointServiceConfigurationsCommand,
  paginateDescribeVpcEndpoints,
  paginateDescribeVpcs,
} from '@aws-sdk/client-ec2';
import { paginateListClustersV2, paginateListNodes, paginateListVpcConnections } from '@aws-sdk/client-kafka';
import {
  GetResourceConfigurationCommand,
  GetResourceGatewayCommand,
  paginateListResourceConfigurations,
  type GetResourceConfigurationResponse,
} from '@aws-sdk/client-vpc-lattice';
import {
  DescribeListenersCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  paginateDescribeLoadBalancers,
  type Action,
  type Listener,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetHostedZoneCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  type ListResourceRecordSetsCommandOutput,
  type RRType,
} from '@aws-sdk/client-route-53';
import type { AccountClients } from './aws-clients.js';
import type { Target } from './proxy.js';
import { normalizeAliasTarget, normalizeName, type Zone, type ZoneRecord } from './zones.js';

export interface ObservedEndpoint {
  id: string;
  account: string;
  vpcId: string;
  /** The Region the endpoint (and its VPC) is in. */
  region: string;
  /** The Region hosting its service (ServiceRegion; the endpoint's own Region when absent). */
  serviceRegion: string;
  serviceName: string;
  /** Lower case, as AWS returns it (pendingAcceptance, pending, available, ...). */
  state: string;
  dnsNames: string[];
}

export interface ObservedListener {
  port: number;
  protocol: string;
  /** Targets of a TLS target group behind a TLS listener carry `tls: true` (the NLB re-encrypts). */
  targets: Target[];
  /** TLS listeners: the default certificate (the first of Certificates) and the security policy. */
  tls?: { certificateArn: string; sslPolicy: string };
}

export interface ObservedLoadBalancer {
  arn: string;
  account: string;
  /** The Region it is in, and its VPC. */
  region: string;
  vpcId: string;
  /** Lower case, no trailing dot. */
  dnsName: string;
  /** Lower case: provisioning, active, active_impaired, failed. */
  state: string;
  /** TCP and TLS listeners only, with the targets each forwards to. */
  listeners: ObservedListener[];
}

export interface ObservedService {
  serviceName: string;
  account: string;
  state: string;
  loadBalancers: ObservedLoadBalancer[];
}

/** A consumer's VPC endpoint of type Resource (VPC Lattice resource configuration). */
export interface ObservedResourceEndpoint {
  id: string;
  account: string;
  vpcId: string;
  region: string;
  state: string;
  /** The SINGLE or GROUP configuration the endpoint connects to (often another account's). */
  resourceConfigurationArn: string;
  privateDnsEnabled: boolean;
  dnsOptions: { privateDnsPreference?: string; privateDnsSpecifiedDomains: string[] };
  /** Generated names (DnsEntries), one per resource: "<vpce>.<rcfg-id>.<label>.vpc-lattice-rsc.<region>.on.aws". */
  dnsNames: string[];
}

export interface ObservedAccount {
  /** Interface endpoints only. */
  endpoints: ObservedEndpoint[];
  resourceEndpoints: ObservedResourceEndpoint[];
  zones: Zone[];
}

/** What a resource configuration points at: a DNS name the resource gateway resolves, or an IP. */
export type ResourceTarget = { dns: string } | { ip: string };

export interface ObservedResourceChild {
  arn: string;
  id: string;
  /** ACTIVE, CREATE_IN_PROGRESS, ...; anything but ACTIVE forwards nothing. */
  status: string;
  /** Lower case, no trailing dot. */
  customDomainName?: string;
  /** True only when the provider verified the custom domain (the twin verifies none). */
  domainVerified: boolean;
  /** The child's own port ranges, else its group's ("9094", "9092-9098"). */
  portRanges: string[];
  target?: ResourceTarget;
}

export interface ObservedResourceGroup {
  arn: string;
  account: string;
  /** GROUP, or SINGLE (then the one child is the configuration itself). */
  type: string;
  status: string;
  /** The resource gateway's status (ACTIVE, CREATE_IN_PROGRESS, ...; "" when it is gone). */
  gatewayStatus: string;
  portRanges: string[];
  children: ObservedResourceChild[];
}

/**
 * Listener protocols the network twin forwards: TCP ones as plain TCP streams, TLS ones
 * terminating TLS with the listener's certificate ("TLS listeners for your Network Load
 * Balancer"). UDP is not modelled.
 */
const FORWARDED_PROTOCOLS = new Set(['TCP', 'TCP_UDP', 'TLS']);

/** A VPC of a followed account, in the Region its clients are for (default VPCs left out). */
export interface ObservedVpc {
  vpcId: string;
  account: string;
  region: string;
}

export async function observeConsumer(clients: AccountClients): Promise<ObservedAccount> {
  const [{ endpoints, resourceEndpoints }, zones] = await Promise.all([
    observeEndpoints(clients),
    observeZones(clients),
  ]);
  return { endpoints, resourceEndpoints, zones };
}

/** The account's interface and resource endpoints in the Region its clients are for. */
export async function observeEndpoints(
  clients: AccountClients,
): Promise<Pick<ObservedAccount, 'endpoints' | 'resourceEndpoints'>> {
  return readEndpoints(clients);
}

/**
 * The account's private hosted zones with their records (Route 53 is global: any Region's
 * clients read them all). With `associations`, each zone also carries the VPCs it is
 * associated with (GetHostedZone, one call per private zone).
 */
export async function observeZones(clients: AccountClients, associations = false): Promise<Zone[]> {
  const zones = await readZones(clients);
  if (associations) {
    await Promise.all(
      zones.map(async (zone) => {
        zone.vpcs = await readZoneVpcs(clients, zone.id);
      }),
    );
  }
  return zones;
}

/** The account's own VPCs in the Region its clients are for (moto's and AWS's default VPCs left out). */
export async function observeVpcs(clients: AccountClients): Promise<ObservedVpc[]> {
  const out: ObservedVpc[] = [];
  for await (const page of paginateDescribeVpcs({ client: clients.ec2 }, {})) {
    for (const v of page.Vpcs ?? []) {
      if (!v.VpcId || v.IsDefault) continue;
      out.push({ vpcId: v.VpcId, account: clients.account, region: clients.region });
    }
  }
  return out;
}

async function readZoneVpcs(
  clients: AccountClients,
  zoneId: string,
): Promise<Array<{ vpcId: string; region: string }>> {
  try {
    const out = await clients.route53.send(new GetHostedZoneCommand({ Id: zoneId }));
    return (out.VPCs ?? []).flatMap((v) =>
      v.VPCId ? [{ vpcId: v.VPCId, region: String(v.VPCRegion ?? '') }] : [],
    );
  } catch (err) {
    if (isNotFound(err)) return []; // deleted since ListHostedZones
    throw err;
  }
}

async function readEndpoints(
  clients: AccountClients,
): Promise<Pick<ObservedAccount, 'endpoints' | 'resourceEndpoints'>> {
  const out: ObservedEndpoint[] = [];
  const resources: ObservedResourceEndpoint[] = [];
  // One unfiltered listing for both types: a second call per poll would double the load.
  const pages = paginateDescribeVpcEndpoints({ client: clients.ec2 }, {});
  for await (const page of pages) {
    for (const e of page.VpcEndpoints ?? []) {
      if (!e.VpcEndpointId) continue;
      const type = (e.VpcEndpointType ?? 'Interface').toLowerCase();
      if (type === 'resource' && e.ResourceConfigurationArn) {
        const specified = e.DnsOptions?.PrivateDnsSpecifiedDomains ?? [];
        resources.push({
          id: e.VpcEndpointId,
          account: clients.account,
          vpcId: e.VpcId ?? '',
          region: clients.region,
          state: String(e.State ?? '').toLowerCase(),
          resourceConfigurationArn: e.ResourceConfigurationArn,
          privateDnsEnabled: e.PrivateDnsEnabled === true,
          dnsOptions: {
            ...(e.DnsOptions?.PrivateDnsPreference
              ? { privateDnsPreference: e.DnsOptions.PrivateDnsPreference }
              : {}),
            privateDnsSpecifiedDomains: specified.map(normalizeName),
          },
          dnsNames: (e.DnsEntries ?? []).flatMap((d) => (d.DnsName ? [normalizeName(d.DnsName)] : [])),
        });
        continue;
      }
      if (!e.ServiceName || type !== 'interface') continue;
      out.push({
        id: e.VpcEndpointId,
        account: clients.account,
        vpcId: e.VpcId ?? '',
        region: clients.region,
        serviceRegion: e.ServiceRegion || clients.region,
        serviceName: e.ServiceName,
        state: String(e.State ?? '').toLowerCase(),
        dnsNames: (e.DnsEntries ?? []).flatMap((d) => (d.DnsName ? [normalizeName(d.DnsName)] : [])),
      });
    }
  }
  return { endpoints: out, resourceEndpoints: resources };
}

async function readZones(clients: AccountClients): Promise<Zone[]> {
  const zones: Zone[] = [];
  let marker: string | undefined;
  do {
    const page = await clients.route53.send(new ListHostedZonesCommand({ Marker: marker }));
    for (const z of page.HostedZones ?? []) {
      if (!z.Id || !z.Name || !z.Config?.PrivateZone) continue;
      zones.push({
        id: z.Id.replace(/^\/hostedzone\//, ''),
        account: clients.account,
        name: normalizeName(z.Name),
        records: [],
      });
    }
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker);
  await Promise.all(
    zones.map(async (zone) => {
      zone.records = await readRecords(clients, zone.id);
    }),
  );
  return zones;
}

async function readRecords(clients: AccountClients, zoneId: string): Promise<ZoneRecord[]> {
  const records: ZoneRecord[] = [];
  let start: { name?: string; type?: RRType; id?: string } | undefined = {};
  while (start) {
    const page: ListResourceRecordSetsCommandOutput = await clients.route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: start.name,
        StartRecordType: start.type,
        StartRecordIdentifier: start.id,
      }),
    );
    for (const r of page.ResourceRecordSets ?? []) {
      if (!r.Name || !r.Type) continue;
      records.push({
        name: normalizeName(r.Name),
        type: r.Type,
        ttl: r.TTL ?? 60,
        values: (r.ResourceRecords ?? []).flatMap((v) => (v.Value ? [v.Value] : [])),
        ...(r.AliasTarget?.DNSName ? { alias: normalizeAliasTarget(r.AliasTarget.DNSName) } : {}),
      });
    }
    start = page.IsTruncated
      ? { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier }
      : undefined;
  }
  return records;
}

/**
 * Every Network Load Balancer in the account, with its TCP and TLS listeners and the targets
 * each forwards to. Other load balancer types are left out.
 */
export async function observeLoadBalancers(clients: AccountClients): Promise<ObservedLoadBalancer[]> {
  const out: ObservedLoadBalancer[] = [];
  for await (const page of paginateDescribeLoadBalancers({ client: clients.elbv2 }, {})) {
    for (const lb of page.LoadBalancers ?? []) {
      if (!lb.LoadBalancerArn || lb.Type !== 'network') continue;
      out.push({
        arn: lb.LoadBalancerArn,
        account: clients.account,
        region: clients.region,
        vpcId: lb.VpcId ?? '',
        dnsName: normalizeName(lb.DNSName ?? ''),
        state: String(lb.State?.Code ?? '').toLowerCase(),
        listeners: [],
      });
    }
  }
  // A target group behind several listeners is read once.
  const targetGroups = new Map<string, Promise<Target[]>>();
  const targetsOf = (tgArn: string): Promise<Target[]> => {
    let p = targetGroups.get(tgArn);
    if (!p) targetGroups.set(tgArn, (p = readTargets(clients, tgArn)));
    return p;
  };
  // Protocols are read for target groups behind TLS listeners only: TCP-only accounts make the
  // same calls as before.
  const protocols = new Map<string, Promise<string | undefined>>();
  const protocolOf = (tgArn: string): Promise<string | undefined> => {
    let p = protocols.get(tgArn);
    if (!p) protocols.set(tgArn, (p = readTargetGroupProtocol(clients, tgArn)));
    return p;
  };
  await Promise.all(
    out.map(async (lb) => {
      lb.listeners = await readListeners(clients, lb.arn, targetsOf, protocolOf);
    }),
  );
  return out;
}

/**
 * The provider side of the given service names: each service's NLBs (taken from
 * `loadBalancers`, this account's observeLoadBalancers reading, by ARN), their listeners and
 * the targets each listener forwards to. Services not found in this account are left out,
 * and so are NLBs the reading lacks (deleted).
 */
export async function observeProvider(
  clients: AccountClients,
  serviceNames: Set<string>,
  loadBalancers: ReadonlyMap<string, ObservedLoadBalancer>,
): Promise<ObservedService[]> {
  if (serviceNames.size === 0) return [];
  const configs: ObservedService[] = [];
  let token: string | undefined;
  do {
    const page = await clients.ec2.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ NextToken: token }),
    );
    for (const s of page.ServiceConfigurations ?? []) {
      if (!s.ServiceName || !serviceNames.has(s.ServiceName)) continue;
      configs.push({
        serviceName: s.ServiceName,
        account: clients.account,
        state: String(s.ServiceState ?? '').toLowerCase(),
        loadBalancers: (s.NetworkLoadBalancerArns ?? []).flatMap((arn) => {
          const lb = loadBalancers.get(arn);
          return lb ? [lb] : [];
        }),
      });
    }
    token = page.NextToken;
  } while (token);
  return configs;
}

async function readListeners(
  clients: AccountClients,
  arn: string,
  targetsOf: (tgArn: string) => Promise<Target[]>,
  protocolOf: (tgArn: string) => Promise<string | undefined>,
): Promise<ObservedListener[]> {
  let listeners: Listener[];
  try {
    listeners =
      (await clients.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: arn }))).Listeners ?? [];
  } catch (err) {
    if (isNotFound(err)) return []; // deleted since DescribeLoadBalancers
    throw err;
  }
  return Promise.all(
    listeners
      .filter((l) => l.Port !== undefined && FORWARDED_PROTOCOLS.has(String(l.Protocol ?? '')))
      .map(async (l): Promise<ObservedListener> => {
        const groups = forwardTargetGroups(l.DefaultActions ?? []);
        const protocol = String(l.Protocol);
        if (protocol !== 'TLS') {
          const targets = (await Promise.all(groups.map(targetsOf))).flat();
          return { port: l.Port ?? 0, protocol, targets };
        }
        // A TLS listener forwards to TCP target groups in the clear and to TLS ones over TLS
        // ("Target groups for your Network Load Balancers", routing configuration).
        const perGroup = await Promise.all(
          groups.map(async (g) => {
            const [targets, groupProtocol] = await Promise.all([targetsOf(g), protocolOf(g)]);
            return groupProtocol === 'TLS' ? targets.map((t) => ({ ...t, tls: true })) : targets;
          }),
        );
        return {
          port: l.Port ?? 0,
          protocol,
          targets: perGroup.flat(),
          tls: {
            certificateArn:
              l.Certificates?.find((c) => c.IsDefault)?.CertificateArn ??
              l.Certificates?.[0]?.CertificateArn ??
              '',
            sslPolicy: l.SslPolicy ?? '',
          },
        };
      }),
  );
}

async function readTargetGroupProtocol(clients: AccountClients, tgArn: string): Promise<string | undefined> {
  try {
    const out = await clients.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgArn] }));
    return out.TargetGroups?.[0]?.Protocol;
  } catch (err) {
    if (isNotFound(err)) return undefined; // deleted since DescribeListeners: no targets either
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && /NotFound/.test(err.name);
}

function forwardTargetGroups(actions: Action[]): string[] {
  const forward = actions.find((a) => a.Type === 'forward');
  if (!forward) return [];
  const weighted = (forward.ForwardConfig?.TargetGroups ?? []).flatMap((g) =>
    g.TargetGroupArn && (g.Weight ?? 1) > 0 ? [g.TargetGroupArn] : [],
  );
  if (weighted.length > 0) return weighted;
  return forward.TargetGroupArn ? [forward.TargetGroupArn] : [];
}

async function readTargets(clients: AccountClients, targetGroupArn: string): Promise<Target[]> {
  try {
    const health = await clients.elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
    );
    return routableTargets(health.TargetHealthDescriptions ?? []);
  } catch (err) {
    // Deleted since DescribeListeners (its listener went first): nothing to forward to, rather
    // than a failed reading that keeps the old listeners for another poll.
    if (isNotFound(err)) return [];
    throw err;
  }
}

/**
 * Targets an NLB sends new flows to: the healthy ones (health checks off counts as
 * healthy); when none is healthy but some are unhealthy, all of those (NLBs fail open);
 * targets still in `initial`, `draining` or `unused` get nothing.
 */
export function routableTargets(descriptions: TargetHealthDescription[]): Target[] {
  const toTarget = (d: TargetHealthDescription): Target[] =>
    d.Target?.Id && d.Target.Port !== undefined ? [{ host: d.Target.Id, port: d.Target.Port }] : [];
  const state = (d: TargetHealthDescription): string =>
    String(d.TargetHealth?.State ?? 'healthy').toLowerCase();
  const healthy = descriptions.filter((d) => ['healthy', 'unavailable'].includes(state(d)));
  if (healthy.length > 0) return healthy.flatMap(toTarget);
  return descriptions.filter((d) => state(d) === 'unhealthy').flatMap(toTarget);
}

/** The account in a resource configuration ARN (arn:aws:vpc-lattice:<region>:<account>:resourceconfiguration/rcfg-...). */
export function arnAccount(arn: string): string | undefined {
  return arn.split(':')[4] || undefined;
}

/**
 * The given SINGLE or GROUP configurations owned by this account, each with its children as
 * the resource gateway forwards to them. Configurations not found are left out (deleted, or
 * still being created elsewhere); the caller treats that as "forwards nothing".
 */
export async function observeResourceGroups(
  clients: AccountClients,
  arns: Set<string>,
): Promise<ObservedResourceGroup[]> {
  const mine = [...arns].filter((a) => arnAccount(a) === clients.account);
  const groups = await Promise.all(mine.map((arn) => readResourceGroup(clients, arn)));
  return groups.flatMap((g) => (g ? [g] : []));
}

async function readResourceGroup(
  clients: AccountClients,
  arn: string,
): Promise<ObservedResourceGroup | undefined> {
  const group = await getResourceConfiguration(clients, arn);
  if (!group) return undefined;
  const portRanges = [...(group.portRanges ?? [])];
  const type = String(group.type ?? '');
  const out: ObservedResourceGroup = {
    arn,
    account: clients.account,
    type,
    status: String(group.status ?? ''),
    gatewayStatus: group.resourceGatewayId ? await gatewayStatus(clients, group.resourceGatewayId) : '',
    portRanges,
    children: [],
  };
  if (type !== 'GROUP') {
    // A SINGLE configuration is its own (only) resource.
    out.children = [toChild(group, portRanges)];
    return out;
  }
  const childArns: string[] = [];
  try {
    const pages = paginateListResourceConfigurations(
      { client: clients.lattice },
      { resourceConfigurationGroupIdentifier: arn },
    );
    for await (const page of pages)
      for (const c of page.items ?? []) if (c.arn && c.type === 'CHILD') childArns.push(c.arn);
  } catch (err) {
    if (isNotFound(err)) return undefined; // the group went away since the Get
    throw err;
  }
  // The summary lacks definition and ports: one Get per child.
  const children = await Promise.all(childArns.map((c) => getResourceConfiguration(clients, c)));
  out.children = children.flatMap((c) => (c ? [toChild(c, portRanges)] : []));
  return out;
}

async function gatewayStatus(clients: AccountClients, id: string): Promise<string> {
  try {
    const gw = await clients.lattice.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: id }));
    return String(gw.status ?? '');
  } catch (err) {
    if (isNotFound(err)) return '';
    throw err;
  }
}

async function getResourceConfiguration(
  clients: AccountClients,
  arn: string,
): Promise<GetResourceConfigurationResponse | undefined> {
  try {
    return await clients.lattice.send(
      new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: arn }),
    );
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function toChild(c: GetResourceConfigurationResponse, groupPorts: string[]): ObservedResourceChild {
  const d = c.resourceConfigurationDefinition;
  const target: ResourceTarget | undefined = d?.dnsResource?.domainName
    ? { dns: normalizeName(d.dnsResource.domainName) }
    : d?.ipResource?.ipAddress
      ? { ip: d.ipResource.ipAddress }
      : undefined; // ARN and CIDR resources are not modelled
  const own = c.portRanges ?? [];
  return {
    arn: c.arn ?? '',
    id: c.id ?? '',
    status: String(c.status ?? ''),
    ...(c.customDomainName ? { customDomainName: normalizeName(c.customDomainName) } : {}),
    domainVerified: c.domainVerificationStatus === 'VERIFIED',
    portRanges: own.length > 0 ? [...own] : [...groupPorts],
    ...(target ? { target } : {}),
  };
}

/**
 * MSK broker DNS name -> client VPC IP, over every provisioned cluster in the account: what
 * public DNS answers for broker names, which is how a resource gateway resolves a DNS-name
 * target. Read each poll, so a broker whose node (and IP) MSK replaced is followed.
 */
export async function observeBrokerAddresses(clients: AccountClients): Promise<Map<string, string>> {
  const arns: string[] = [];
  for await (const page of paginateListClustersV2({ client: clients.kafka }, {}))
    for (const c of page.ClusterInfoList ?? [])
      if (c.ClusterArn && c.ClusterType !== 'SERVERLESS') arns.push(c.ClusterArn);
  const out = new Map<string, string>();
  const perCluster = await Promise.all(
    arns.map(async (arn) => {
      const pairs: Array<[string, string]> = [];
      try {
        for await (const page of paginateListNodes({ client: clients.kafka }, { ClusterArn: arn })) {
          for (const n of page.NodeInfoList ?? []) {
            const b = n.BrokerNodeInfo;
            if (!b?.ClientVpcIpAddress) continue;
            for (const e of b.Endpoints ?? []) pairs.push([normalizeName(e), b.ClientVpcIpAddress]);
          }
        }
      } catch (err) {
        // Deleted since the listing, or not ready for ListNodes yet: no brokers to name.
        if (isNotFound(err) || (err instanceof Error && err.name === 'BadRequestException')) return pairs;
        throw err;
      }
      return pairs;
    }),
  );
  for (const pairs of perCluster) for (const [name, ip] of pairs) out.set(name, ip);
  return out;
}

/**
 * A TLS listener's certificate as the load balancer serves it: the ACM certificate followed by
 * the chain imported with it, and its private key, read from the AWS twin's test-bed route
 * (GET /_twin/acm/certificate; ACM has no API that hands out an imported key). Undefined when
 * the certificate does not exist, or is not an ACM certificate (IAM server certificates are not
 * served: such a listener resets new connections).
 */
export async function readCertificate(
  endpoint: string,
  arn: string,
): Promise<{ cert: string; key: string } | undefined> {
  // IAM server certificates (arn:aws:iam::...:server-certificate/...) have no such route: unknown.
  if (!/^arn:[^:]+:acm:/.test(arn)) return undefined;
  const url = `${endpoint.replace(/\/+$/, '')}/_twin/acm/certificate?arn=${encodeURIComponent(arn)}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (res.status === 404) return undefined;
  const text = await res.text();
  if (!res.ok) throw new Error(`GET /_twin/acm/certificate: HTTP ${res.status} ${text}`);
  const body = JSON.parse(text) as { certificate?: string; certificateChain?: string; privateKey?: string };
  if (!body.certificate || !body.privateKey) throw new Error(`certificate ${arn}: no certificate or key`);
  const chain = body.certificateChain?.trim();
  return { cert: chain ? `${body.certificate.trim()}\n${chain}\n` : body.certificate, key: body.privateKey };
}

/** An MSK managed VPC connection (multi-VPC private connectivity) as its owner lists it. */
export interface ObservedVpcConnection {
  arn: string;
  /** The account that made it (its VPC's). */
  account: string;
  vpcId: string;
  targetClusterArn: string;
  /** SASL_IAM, SASL_SCRAM or TLS. */
  authentication: string;
  /** CREATING, AVAILABLE, INACTIVE, DELETING, REJECTING, REJECTED, FAILED. */
  state: string;
}

/** The account's managed VPC connections (ListVpcConnections: the caller's own, to any cluster). */
export async function observeVpcConnections(clients: AccountClients): Promise<ObservedVpcConnection[]> {
  const out: ObservedVpcConnection[] = [];
  for await (const page of paginateListVpcConnections({ client: clients.kafka }, {})) {
    for (const c of page.VpcConnections ?? []) {
      if (!c.VpcConnectionArn || !c.TargetClusterArn) continue;
      out.push({
        arn: c.VpcConnectionArn,
        account: clients.account,
        vpcId: c.VpcId ?? '',
        targetClusterArn: c.TargetClusterArn,
        authentication: c.Authentication ?? '',
        state: String(c.State ?? ''),
      });
    }
  }
  return out;
}

/** One broker of a cluster as ListNodes names it. */
export interface ObservedClusterBroker {
  id: number;
  /** Its DNS name (lower case), e.g. b-1.payments.abc123.c2.kafka.us-east-2.amazonaws.com. */
  endpoint: string;
  /** Client VPC IP. */
  ip: string;
}

/**
 * The brokers of one cluster (ListNodes with the cluster owner's clients): where a managed VPC
 * connection's load balancer sends each broker's port. A cluster gone, or not answering ListNodes
 * yet, has none.
 */
export async function observeClusterBrokers(
  clients: AccountClients,
  clusterArn: string,
): Promise<ObservedClusterBroker[]> {
  const out: ObservedClusterBroker[] = [];
  try {
    for await (const page of paginateListNodes({ client: clients.kafka }, { ClusterArn: clusterArn })) {
      for (const n of page.NodeInfoList ?? []) {
        const b = n.BrokerNodeInfo;
        const endpoint = b?.Endpoints?.[0];
        if (b?.BrokerId === undefined || !b.ClientVpcIpAddress || !endpoint) continue;
        out.push({ id: Math.round(b.BrokerId), endpoint: normalizeName(endpoint), ip: b.ClientVpcIpAddress });
      }
    }
  } catch (err) {
    if (isNotFound(err) || (err instanceof Error && err.name === 'BadRequestException')) return [];
    throw err;
  }
  return out.sort((a, b) => a.id - b.id);
}
