// Reads, through the AWS SDK, the parts of AWS state the network twin materialises:
// consumer endpoints and private hosted zones, and for each endpoint service in use the
// NLB listeners and their targets in the provider account.
import {
  DescribeVpcEndpointServiceConfigurationsCommand,
  paginateDescribeVpcEndpoints,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetHealthCommand,
  type Action,
  type Listener,
  type LoadBalancer,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
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
  serviceName: string;
  /** Lower case, as AWS returns it (pendingAcceptance, pending, available, ...). */
  state: string;
  dnsNames: string[];
}

export interface ObservedListener {
  port: number;
  protocol: string;
  targets: Target[];
}

export interface ObservedLoadBalancer {
  arn: string;
  dnsName: string;
  state: string;
  listeners: ObservedListener[];
}

export interface ObservedService {
  serviceName: string;
  account: string;
  state: string;
  loadBalancers: ObservedLoadBalancer[];
}

export interface ObservedAccount {
  endpoints: ObservedEndpoint[];
  zones: Zone[];
}

/** Listener protocols an NLB forwards as plain TCP streams (TLS ones terminate TLS: not modelled). */
const TCP_PROTOCOLS = new Set(['TCP', 'TCP_UDP']);

export async function observeConsumer(clients: AccountClients): Promise<ObservedAccount> {
  const [endpoints, zones] = await Promise.all([readEndpoints(clients), readZones(clients)]);
  return { endpoints, zones };
}

async function readEndpoints(clients: AccountClients): Promise<ObservedEndpoint[]> {
  const out: ObservedEndpoint[] = [];
  const pages = paginateDescribeVpcEndpoints(
    { client: clients.ec2 },
    { Filters: [{ Name: 'vpc-endpoint-type', Values: ['Interface'] }] },
  );
  for await (const page of pages) {
    for (const e of page.VpcEndpoints ?? []) {
      // The filter is not honoured everywhere; check the type as well.
      if (
        !e.VpcEndpointId ||
        !e.ServiceName ||
        (e.VpcEndpointType ?? 'Interface').toLowerCase() !== 'interface'
      )
        continue;
      out.push({
        id: e.VpcEndpointId,
        account: clients.account,
        vpcId: e.VpcId ?? '',
        serviceName: e.ServiceName,
        state: String(e.State ?? '').toLowerCase(),
        dnsNames: (e.DnsEntries ?? []).flatMap((d) => (d.DnsName ? [normalizeName(d.DnsName)] : [])),
      });
    }
  }
  return out;
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
 * The provider side of the given service names: each service's NLBs, their listeners and
 * the targets each listener forwards to. Services not found in this account are left out.
 */
export async function observeProvider(
  clients: AccountClients,
  serviceNames: Set<string>,
): Promise<ObservedService[]> {
  if (serviceNames.size === 0) return [];
  const configs: ObservedService[] = [];
  const nlbArns = new Set<string>();
  let token: string | undefined;
  do {
    const page = await clients.ec2.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ NextToken: token }),
    );
    for (const s of page.ServiceConfigurations ?? []) {
      if (!s.ServiceName || !serviceNames.has(s.ServiceName)) continue;
      const arns = s.NetworkLoadBalancerArns ?? [];
      for (const a of arns) nlbArns.add(a);
      configs.push({
        serviceName: s.ServiceName,
        account: clients.account,
        state: String(s.ServiceState ?? '').toLowerCase(),
        loadBalancers: arns.map((arn) => ({ arn, dnsName: '', state: '', listeners: [] })),
      });
    }
    token = page.NextToken;
  } while (token);

  const described = await describeLoadBalancers(clients, [...nlbArns]);
  const targetGroups = new Map<string, Promise<Target[]>>();
  const targetsOf = (tgArn: string): Promise<Target[]> => {
    let p = targetGroups.get(tgArn);
    if (!p) targetGroups.set(tgArn, (p = readTargets(clients, tgArn)));
    return p;
  };
  await Promise.all(
    [...described.values()].map(async (lb) => {
      lb.listeners = await readListeners(clients, lb.arn, targetsOf);
    }),
  );
  for (const c of configs) c.loadBalancers = c.loadBalancers.flatMap((lb) => described.get(lb.arn) ?? []);
  return configs;
}

/** One call per 20 ARNs (the API's limit); load balancers that no longer exist are left out. */
async function describeLoadBalancers(
  clients: AccountClients,
  arns: string[],
): Promise<Map<string, ObservedLoadBalancer>> {
  const out = new Map<string, ObservedLoadBalancer>();
  const add = (lbs: LoadBalancer[] | undefined): void => {
    for (const lb of lbs ?? []) {
      if (!lb.LoadBalancerArn) continue;
      out.set(lb.LoadBalancerArn, {
        arn: lb.LoadBalancerArn,
        dnsName: normalizeName(lb.DNSName ?? ''),
        state: String(lb.State?.Code ?? '').toLowerCase(),
        listeners: [],
      });
    }
  };
  for (let i = 0; i < arns.length; i += 20) {
    const chunk = arns.slice(i, i + 20);
    try {
      add(
        (await clients.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: chunk })))
          .LoadBalancers,
      );
    } catch (err) {
      // One missing ARN fails the whole call: ask one by one to keep the others.
      if (!isNotFound(err)) throw err;
      for (const arn of chunk) {
        try {
          add(
            (await clients.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] })))
              .LoadBalancers,
          );
        } catch (inner) {
          if (!isNotFound(inner)) throw inner;
        }
      }
    }
  }
  return out;
}

async function readListeners(
  clients: AccountClients,
  arn: string,
  targetsOf: (tgArn: string) => Promise<Target[]>,
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
      .filter((l) => l.Port !== undefined && TCP_PROTOCOLS.has(String(l.Protocol ?? '')))
      .map(async (l) => {
        const groups = forwardTargetGroups(l.DefaultActions ?? []);
        const targets = (await Promise.all(groups.map(targetsOf))).flat();
        return { port: l.Port ?? 0, protocol: String(l.Protocol), targets };
      }),
  );
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
  const health = await clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
  );
  return routableTargets(health.TargetHealthDescriptions ?? []);
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
