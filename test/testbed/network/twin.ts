// The network twin: follows the AWS twin's state through the SDK and materialises it on
// loopback, so that a client reaches brokers the way it would from a consumer VPC:
// broker name -> private hosted zone -> endpoint address (127.0.1.x) -> NLB listener port
// -> registered target. One poll loop; each pass diffs what it read against what runs.
//
// Resource endpoints (VPC Lattice resource configurations, "VPC resources"): one address per
// child configuration, a proxy per port of its port ranges, forwarding to what the resource
// gateway would reach: the child's IP, or its DNS name resolved the way public DNS resolves
// MSK broker names (ListNodes in the provider accounts), again on every poll.
//
// Network Load Balancers, for clients inside the NLB's own VPC (pattern 2's in-VPC path:
// per-broker private hosted zones with an apex alias to the shared NLB): every active NLB
// of a followed account gets an address from the same pool as the endpoints, a proxy per TCP
// listener forwarding to that listener's targets (the same reading and forwarding as the
// endpoint path), and its DNS name answered in its owner account's view.
//
// TLS listeners (on an NLB's own address and through endpoints alike) terminate TLS with the
// listener's default certificate, read from the AWS twin's ACM (GET /_twin/acm/certificate)
// on every poll, and forward to TLS target groups over TLS (the target's certificate is not
// verified, as an NLB does not) and to TCP target groups in the clear.
//
// Regions (`regions`, default the one `region`): every regional reading (endpoints, VPCs, NLBs,
// endpoint services, resource configurations) is made per account and Region with clients for
// that Region; Route 53 once per account. A cross-Region interface endpoint (ServiceRegion other
// than its own Region) takes its service from the provider's reading in the service's Region.
// With `vpcDns`, each VPC of a followed account gets a DNS server answering the private hosted
// zones associated with it (VPCId and VPCRegion), as Route 53 Resolver does in that VPC.
import { accountClients, type AccountClients, type AwsClientConfig } from './aws-clients.js';
import { startDnsServer, type DnsServer } from './dns-server.js';
import {
  arnAccount,
  observeBrokerAddresses,
  observeEndpoints,
  observeLoadBalancers,
  observeProvider,
  observeResourceGroups,
  observeVpcs,
  observeZones,
  readCertificate,
  type ObservedAccount,
  type ObservedLoadBalancer,
  type ObservedVpc,
  type ObservedResourceChild,
  type ObservedResourceEndpoint,
  type ObservedResourceGroup,
  type ObservedService,
} from './observe.js';
import { TcpProxy, type BreakMode, type Target, type TlsTermination } from './proxy.js';
import { trackVpcConnections, type VpcConnectionBinding } from './vpc-connections.js';
import { normalizeName, resolveA, type DnsView, type Zone } from './zones.js';

export type { BreakMode, Target } from './proxy.js';
export type { VpcConnectionBinding } from './vpc-connections.js';
export type { ObservedVpc } from './observe.js';

export interface NetworkTwinOptions {
  /** The AWS twin's URL. */
  endpoint: string;
  /** The home Region: Route 53 (global) is read with its clients; the default of `regions`. */
  region: string;
  /**
   * Regions read for every provider and followed account (default [region]): interface and
   * resource endpoints, VPCs, NLBs, endpoint services and resource configurations are regional,
   * each read with clients for its own Region. A consumer VPC in another Region than the
   * provider's (cross-Region PrivateLink: an endpoint whose ServiceRegion is the service's
   * Region) is served like a same-Region one: its endpoint gets an address and proxies to the
   * NLB targets in the service's Region. Each Region added costs its own Describe calls per poll.
   */
  regions?: string[];
  /**
   * One DNS server per VPC of a followed account in any of `regions` (default VPCs left out),
   * answering as Route 53 Resolver does inside that VPC: the private hosted zones associated
   * with it (GetHostedZone's VPCs, VPCId and VPCRegion; any followed account's zone counts, so a
   * cross-account association too), endpoint DNS names, managed private DNS of resource
   * endpoints in that VPC and the names of NLBs in that VPC. Off by default (the account
   * servers stay as they are either way); on, each poll also calls DescribeVpcs per account and
   * Region and GetHostedZone per private zone.
   */
  vpcDns?: boolean;
  /**
   * Account(s) that own the endpoint services and NLBs. Their NLBs are bound whether or not
   * they are followed as consumers too; an NLB's DNS name is answered in its owner's view
   * only once the owner has one (consumerAccounts, or listAccounts listing it).
   */
  providerAccount: string | string[];
  /**
   * Accounts whose interface and resource endpoints and private hosted zones are materialised
   * from the start (each gets its DNS server before startNetworkTwin returns).
   */
  consumerAccounts: string[];
  /**
   * The accounts the AWS twin holds now (e.g. those with a VPC: TwinControl.accounts), asked
   * on every poll: an account not followed yet gets its clients and DNS server and is read
   * like a seeded consumer from that poll on (a provider account listed here is read both
   * ways). Accounts are never dropped: a server's address stays put for the twin's life.
   */
  listAccounts?: () => Promise<string[]>;
  /** Called once per account DNS server, seeded or found later, once it answers. */
  onAccountDns?: (account: string, dns: { host: string; port: number }) => void | Promise<void>;
  /** Per-account SDK settings; default: the endpoint, static keys and x-moto-account-id. */
  clientConfig?: (account: string) => AwsClientConfig;
  /**
   * First three octets of the addresses handed out (.1-.254): interface endpoints, resource
   * endpoint children and active NLBs share this one pool; default 127.0.1.
   */
  ipPrefix?: string;
  /** DNS server address; default 127.0.0.1 and a free port. */
  dnsHost?: string;
  dnsPort?: number;
  /** Caps answer TTLs (seconds); default 0, so clients never cache across test steps. */
  maxTtl?: number;
  /** Pause between polls (ms); default 500: a pass takes ~150-200 ms, so a change shows within ~1 s. */
  pollMs?: number;
  log?: (message: string) => void;
}

export interface ListenerBinding {
  port: number;
  targets: Target[];
  /** Connections accepted through this listener's proxy. */
  connections: number;
  /**
   * Set for a TLS listener: the certificate it terminates with, its security policy, and why
   * it cannot terminate TLS (certificate not found, key not matching): then new flows are reset.
   */
  tls?: { certificateArn: string; sslPolicy: string; error?: string };
}

/** What one listener port forwards: its targets, and for a TLS listener what it terminates with. */
interface ListenerPlan {
  targets: Target[];
  tls?: { certificateArn: string; sslPolicy: string };
}

export interface EndpointBinding {
  endpointId: string;
  account: string;
  vpcId: string;
  /** The endpoint's Region. */
  region: string;
  /** Interface endpoints: the Region hosting the service (the endpoint's own unless cross-Region). */
  serviceRegion?: string;
  /** For a resource endpoint, the configuration ARN (it has no service name). */
  serviceName: string;
  ip: string;
  /**
   * Names answered with `ip`: the endpoint's DNS entries; for a resource child also its
   * custom domain name when managed private DNS covers it (that one in the endpoint
   * account's view only, and only where no private hosted zone of that account covers it).
   */
  dnsNames: string[];
  listeners: ListenerBinding[];
  broken?: BreakMode;
  /** Set for a resource endpoint: one binding per child configuration. */
  resource?: { configurationArn: string; childArn: string; customDomainName?: string };
}

/** An active Network Load Balancer as clients in its VPC reach it. */
export interface LoadBalancerBinding {
  arn: string;
  account: string;
  region: string;
  vpcId: string;
  /** Lower case, no trailing dot; answered with `ip` in the owner account's view. */
  dnsName: string;
  ip: string;
  /** One per TCP or TLS listener. */
  listeners: ListenerBinding[];
  broken?: BreakMode;
}

export interface NetworkTwinStats {
  polls: number;
  failedPolls: number;
  lastPollMs: number;
  lastError?: string;
}

export interface NetworkTwin {
  /**
   * DNS server answering from every followed account's zones (earlier accounts win a tie:
   * seeded consumers in their order, then accounts found later in the order found).
   */
  dns: { host: string; port: number };
  /**
   * One DNS server per followed account, answering from that account's zones only. The
   * same object throughout: accounts found later (listAccounts) are added to it.
   */
  dnsByAccount: Record<string, { host: string; port: number }>;
  /**
   * With `vpcDns`: one DNS server per followed VPC (by VPC id), added as VPCs are found (within
   * a poll of their CreateVpc); empty otherwise. The same object throughout.
   */
  dnsByVpc: Record<string, { host: string; port: number }>;
  /** With `vpcDns`: the VPCs followed, in the order found. */
  vpcs(): ObservedVpc[];
  /** In-process answer for a name in one VPC's view (`vpcDns`), or [] (NXDOMAIN or no such VPC). */
  resolveInVpc(vpcId: string, name: string): string[];
  /** Current address map: one entry per available interface endpoint, one per child of a resource endpoint. */
  addresses(): EndpointBinding[];
  /** Active NLBs of every account read (providers and followed accounts), in the order bound. */
  loadBalancers(): LoadBalancerBinding[];
  /**
   * AVAILABLE MSK managed VPC connections (multi-VPC private connectivity) of every followed
   * account: an address each, b-<id>.<scheme>.<cluster domain> answered with it in the
   * connection's account (and VPC) view, a proxy per broker from 14000+id to the broker's VPC
   * connectivity listener (vpc-connections.ts).
   */
  vpcConnections(): VpcConnectionBinding[];
  /**
   * An endpoint's address; for a resource endpoint its first child's (addresses() has them
   * all); given an NLB's ARN, that NLB's address; given an MSK VPC connection's ARN, its address.
   */
  addressOf(endpointIdOrLoadBalancerArn: string): string | undefined;
  /** In-process answer for a name (no UDP): the A addresses, or [] for NXDOMAIN. */
  resolve(name: string, account?: string): string[];
  /**
   * Simulates a dead path through one endpoint (for a resource endpoint, all its children),
   * or given an NLB's ARN through that NLB's own address (endpoints of its service are left
   * alone), until restoreEndpoint (survives polls).
   */
  stopEndpoint(endpointId: string, mode?: BreakMode): Promise<void>;
  restoreEndpoint(endpointId: string): Promise<void>;
  /** Runs a poll now and resolves once its changes are applied (also while paused). */
  reconcileNow(): Promise<void>;
  /**
   * Stops polling (what runs stays as it is) so a test's injected faults, latency and
   * throttling tokens on Describe/List calls are not taken by the twin; resume() polls at once.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stats(): NetworkTwinStats;
  stop(): Promise<void>;
}

interface Binding {
  endpointId: string;
  account: string;
  vpcId: string;
  region: string;
  serviceRegion: string;
  serviceName: string;
  ip: string;
  dnsNames: string[];
  proxies: Map<number, TcpProxy>;
}

interface ChildBinding {
  childArn: string;
  customDomainName?: string;
  ip: string;
  /** DNS entries of the endpoint that name this child (answered in every view). */
  dnsNames: string[];
  /** Custom domain name under managed private DNS (the endpoint account's view only). */
  privateNames: string[];
  proxies: Map<number, TcpProxy>;
}

interface ResourceBinding {
  endpointId: string;
  account: string;
  vpcId: string;
  region: string;
  configurationArn: string;
  /** By child ARN, in the order they were bound. */
  children: Map<string, ChildBinding>;
}

interface LoadBalancerState {
  arn: string;
  account: string;
  region: string;
  vpcId: string;
  dnsName: string;
  ip: string;
  proxies: Map<number, TcpProxy>;
}

/** Ports bound per child at most: a range like 1-65535 would otherwise open 65535 sockets. */
const MAX_PORTS_PER_CHILD = 16;

/** Hands out host numbers 1..254 round robin, so a freed address is not reused at once. */
class AddressPool {
  private readonly used = new Set<number>();
  private cursor = 0;
  constructor(private readonly prefix: string) {}

  take(): string {
    for (let i = 0; i < 254; i++) {
      const n = ((this.cursor + i) % 254) + 1;
      if (!this.used.has(n)) {
        this.used.add(n);
        this.cursor = n % 254;
        return `${this.prefix}.${n}`;
      }
    }
    throw new Error(`no free address left in ${this.prefix}.0/24`);
  }

  release(ip: string): void {
    this.used.delete(Number(ip.split('.').pop()));
  }
}

export async function startNetworkTwin(opts: NetworkTwinOptions): Promise<NetworkTwin> {
  const providers = Array.isArray(opts.providerAccount) ? opts.providerAccount : [opts.providerAccount];
  // Seeded consumers first, then accounts found through listAccounts, in the order found.
  const consumers: string[] = [];
  const ipPrefix = opts.ipPrefix ?? '127.0.1';
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(ipPrefix))
    throw new Error(`ipPrefix must look like 127.x.y: ${ipPrefix}`);
  const pollMs = opts.pollMs ?? 500;
  const log = opts.log ?? (() => undefined);
  const configFor =
    opts.clientConfig ?? ((): AwsClientConfig => ({ endpoint: opts.endpoint, region: opts.region }));

  const regions = [...new Set(opts.regions && opts.regions.length > 0 ? opts.regions : [opts.region])];
  const home = opts.region;
  const vpcDns = opts.vpcDns === true;

  /** Clients by account and Region ("<account>@<region>"), made on first use. */
  const clients = new Map<string, AccountClients>();
  /** Every account read: providers and followed accounts, in the order first seen. */
  const accounts: string[] = [];
  const client = (account: string, region: string = home): AccountClients => {
    const key = `${account}@${region}`;
    let c = clients.get(key);
    if (!c) clients.set(key, (c = accountClients(account, { ...configFor(account), region })));
    return c;
  };
  const know = (account: string): void => {
    if (!accounts.includes(account)) accounts.push(account);
  };
  for (const account of new Set([...providers, ...consumers])) know(account);

  const pool = new AddressPool(ipPrefix);
  const bindings = new Map<string, Binding>();
  const resourceBindings = new Map<string, ResourceBinding>();
  /** By NLB ARN, in the order bound. */
  const lbBindings = new Map<string, LoadBalancerState>();
  const breaks = new Map<string, BreakMode>();
  // MSK managed VPC connections: read, bound and released on every poll (vpc-connections.ts).
  const mskVpcConnections = trackVpcConnections({ client, pool, breakOf: (id) => breaks.get(id), log });
  // Last good readings, per account and Region ("<account>@<region>") for regional ones and per
  // account for Route 53's zones: one failed call keeps the old picture.
  const lastEndpoints = new Map<string, Pick<ObservedAccount, 'endpoints' | 'resourceEndpoints'>>();
  const lastZones = new Map<string, Zone[]>();
  const lastVpcs = new Map<string, ObservedVpc[]>();
  const lastProvider = new Map<string, ObservedService[]>();
  const lastLoadBalancers = new Map<string, ObservedLoadBalancer[]>();
  const lastGroups = new Map<string, ObservedResourceGroup[]>();
  const lastBrokers = new Map<string, Map<string, string>>();
  /** TLS listeners' certificates by ARN (PEM chain and key); a failed read keeps the last one. */
  const certificates = new Map<string, { cert: string; key: string }>();
  // Said once per subject, not on every poll.
  const logged = new Set<string>();
  const logOnce = (key: string, message: string): void => {
    if (logged.has(key)) return;
    logged.add(key);
    log(message);
  };
  let view: DnsView = { zones: [], hosts: new Map() };
  const accountViews = new Map<string, DnsView>();
  const vpcViews = new Map<string, DnsView>();
  const stats: NetworkTwinStats = { polls: 0, failedPolls: 0, lastPollMs: 0 };

  const dnsMain = await startDnsServer(() => view, {
    host: opts.dnsHost,
    port: opts.dnsPort,
    maxTtl: opts.maxTtl,
  });
  const dnsServers: DnsServer[] = [dnsMain];
  const dnsByAccount: Record<string, { host: string; port: number }> = {};
  const dnsByVpc: Record<string, { host: string; port: number }> = {};
  /** VPCs with a DNS server of their own (vpcDns), in the order found. */
  const followedVpcs = new Map<string, ObservedVpc>();
  const emptyView: DnsView = { zones: [], hosts: new Map() };

  /** Starts following an account: clients, its own DNS server, then onAccountDns. */
  async function follow(account: string): Promise<void> {
    if (consumers.includes(account)) return;
    know(account);
    const server = await startDnsServer(() => accountViews.get(account) ?? view, {
      host: opts.dnsHost,
      maxTtl: opts.maxTtl,
    });
    dnsServers.push(server);
    const address = { host: server.host, port: server.port };
    dnsByAccount[account] = address;
    consumers.push(account);
    if (!opts.onAccountDns) return;
    try {
      await opts.onAccountDns(account, { ...address });
    } catch (err) {
      log(`onAccountDns for ${account} failed: ${describe(err)}`);
    }
  }
  for (const account of opts.consumerAccounts) await follow(account);

  /** Gives a VPC found in a followed account its own DNS server (vpcDns). */
  async function followVpc(vpc: ObservedVpc): Promise<void> {
    if (followedVpcs.has(vpc.vpcId)) return;
    followedVpcs.set(vpc.vpcId, vpc);
    const server = await startDnsServer(() => vpcViews.get(vpc.vpcId) ?? emptyView, {
      host: opts.dnsHost,
      maxTtl: opts.maxTtl,
    });
    dnsServers.push(server);
    dnsByVpc[vpc.vpcId] = { host: server.host, port: server.port };
    log(`VPC ${vpc.vpcId} (${vpc.account}, ${vpc.region}) found: DNS ${server.host}:${server.port}`);
  }

  /** Error labels: the home Region's readings keep the names they had before Regions were added. */
  const where = (account: string, region: string): string =>
    region === home ? account : `${account} ${region}`;
  const regionOfArn = (arn: string): string => arn.split(':')[3] ?? '';

  async function poll(): Promise<void> {
    const started = Date.now();
    const errors: string[] = [];
    if (opts.listAccounts) {
      try {
        for (const account of await opts.listAccounts()) {
          if (consumers.includes(account)) continue;
          await follow(account);
          log(`account ${account} found: DNS ${dnsByAccount[account]?.host}:${dnsByAccount[account]?.port}`);
        }
      } catch (err) {
        // The accounts already followed are read as usual; a new one waits for the next poll.
        errors.push(`accounts: ${describe(err)}`);
      }
    }
    // MSK managed VPC connections are read alongside everything else, applied with the rest below.
    const vpcConnectionsRead = mskVpcConnections.read(consumers, regions, errors);
    const attempt = async (what: string, read: () => Promise<void>): Promise<void> => {
      try {
        await read();
      } catch (err) {
        errors.push(`${what}: ${describe(err)}`);
      }
    };
    // Every account read (providers and followed accounts) has its NLBs read once per poll and
    // Region: the endpoint services below take theirs from this reading.
    const readAccounts = [...accounts];
    await Promise.all([
      ...consumers.flatMap((account) => [
        // Route 53 is global: one reading per account.
        attempt(`consumer ${account}`, async () => {
          lastZones.set(account, await observeZones(client(account), vpcDns));
        }),
        ...regions.map((region) =>
          attempt(`consumer ${where(account, region)}`, async () => {
            lastEndpoints.set(`${account}@${region}`, await observeEndpoints(client(account, region)));
          }),
        ),
        ...(vpcDns
          ? regions.map((region) =>
              attempt(`VPCs ${where(account, region)}`, async () => {
                lastVpcs.set(`${account}@${region}`, await observeVpcs(client(account, region)));
              }),
            )
          : []),
      ]),
      ...readAccounts.flatMap((account) =>
        regions.map((region) =>
          attempt(`load balancers ${where(account, region)}`, async () => {
            lastLoadBalancers.set(
              `${account}@${region}`,
              await observeLoadBalancers(client(account, region)),
            );
          }),
        ),
      ),
    ]);
    if (vpcDns)
      for (const account of consumers)
        for (const region of regions)
          for (const v of lastVpcs.get(`${account}@${region}`) ?? []) await followVpc(v);

    const consumerEndpoints = consumers.flatMap((a) =>
      regions.flatMap((r) => {
        const s = lastEndpoints.get(`${a}@${r}`);
        return s ? [s] : [];
      }),
    );
    const available = consumerEndpoints.flatMap((s) => s.endpoints).filter((e) => e.state === 'available');
    const availableResources = consumerEndpoints
      .flatMap((s) => s.resourceEndpoints)
      .filter((e) => e.state === 'available');
    const wantedGroups = new Set(availableResources.map((e) => e.resourceConfigurationArn));
    for (const arn of wantedGroups) {
      const owner = arnAccount(arn);
      if (!owner || !providers.includes(owner))
        logOnce(
          `owner ${arn}`,
          `resource configuration ${arn} is not in a provider account: forwards nothing`,
        );
    }
    // Endpoint services are read in the Region hosting them (the endpoints' ServiceRegion).
    const wantedIn = (region: string): Set<string> =>
      new Set(available.filter((e) => e.serviceRegion === region).map((e) => e.serviceName));
    const groupsIn = (region: string): Set<string> =>
      new Set([...wantedGroups].filter((arn) => regionOfArn(arn) === region));
    await Promise.all(
      providers.flatMap((account) =>
        regions.flatMap((region) => {
          const key = `${account}@${region}`;
          const groupArns = groupsIn(region);
          return [
            attempt(`provider ${where(account, region)}`, async () => {
              const lbs = new Map((lastLoadBalancers.get(key) ?? []).map((lb) => [lb.arn, lb]));
              lastProvider.set(key, await observeProvider(client(account, region), wantedIn(region), lbs));
            }),
            // Lattice and MSK only while some resource endpoint is up: interface-only runs make
            // the same calls as before.
            ...(groupArns.size === 0
              ? []
              : [
                  attempt(`resource configurations ${where(account, region)}`, async () => {
                    lastGroups.set(key, await observeResourceGroups(client(account, region), groupArns));
                  }),
                  attempt(`MSK brokers ${where(account, region)}`, async () => {
                    lastBrokers.set(key, await observeBrokerAddresses(client(account, region)));
                  }),
                ]),
          ];
        }),
      ),
    );
    // The certificates of every TLS listener read, each once (re-imports are followed).
    const allLoadBalancers = [...lastLoadBalancers.values()].flat();
    const certificateArns = new Set(
      allLoadBalancers.flatMap((lb) =>
        lb.listeners.flatMap((l) => (l.tls?.certificateArn ? [l.tls.certificateArn] : [])),
      ),
    );
    for (const arn of certificates.keys()) if (!certificateArns.has(arn)) certificates.delete(arn);
    await Promise.all(
      [...certificateArns].map((arn) =>
        attempt(`certificate ${arn}`, async () => {
          const endpoint = configFor(arnAccount(arn) ?? providers[0] ?? '').endpoint;
          const found = await readCertificate(endpoint, arn);
          if (found) certificates.set(arn, found);
          else certificates.delete(arn);
        }),
      ),
    );
    const providerKeys = providers.flatMap((a) => regions.map((r) => `${a}@${r}`));
    const services = new Map<string, ObservedService>();
    for (const k of providerKeys) for (const s of lastProvider.get(k) ?? []) services.set(s.serviceName, s);
    const groups = new Map<string, ObservedResourceGroup>();
    for (const k of providerKeys) for (const g of lastGroups.get(k) ?? []) groups.set(g.arn, g);
    // Broker names are public DNS: any provider's cluster resolves for any gateway.
    const brokers = new Map<string, string>();
    for (const k of providerKeys)
      for (const [n, ip] of lastBrokers.get(k) ?? []) if (!brokers.has(n)) brokers.set(n, ip);

    // Endpoints that went away or stopped being available lose their address and proxies.
    const keep = new Set(available.map((e) => e.id));
    for (const [id, b] of bindings) {
      if (keep.has(id)) continue;
      bindings.delete(id);
      refreshViews();
      await Promise.all([...b.proxies.values()].map((p) => p.close()));
      pool.release(b.ip);
      log(`endpoint ${id} gone: released ${b.ip}`);
    }

    const keepResources = new Set(availableResources.map((e) => e.id));
    for (const [id, rb] of resourceBindings) {
      if (keepResources.has(id)) continue;
      resourceBindings.delete(id);
      refreshViews();
      for (const c of rb.children.values()) await releaseChild(c);
      log(
        `resource endpoint ${id} gone: released ${[...rb.children.values()].map((c) => c.ip).join(', ') || 'nothing'}`,
      );
    }

    // NLBs are bound while active (one still provisioning has no nodes to reach yet) and
    // released when gone or no longer active.
    const activeLbs = readAccounts.flatMap((a) =>
      regions.flatMap((r) =>
        (lastLoadBalancers.get(`${a}@${r}`) ?? []).filter((lb) => lb.state === 'active' && lb.dnsName !== ''),
      ),
    );
    const keepLbs = new Set(activeLbs.map((lb) => lb.arn));
    for (const [arn, lb] of lbBindings) {
      if (keepLbs.has(arn)) continue;
      lbBindings.delete(arn);
      refreshViews();
      await Promise.all([...lb.proxies.values()].map((p) => p.close()));
      pool.release(lb.ip);
      log(`load balancer ${lb.dnsName} gone: released ${lb.ip}`);
    }

    for (const e of available) {
      let b = bindings.get(e.id);
      if (!b) {
        b = { ...e, endpointId: e.id, ip: pool.take(), proxies: new Map() };
        bindings.set(e.id, b);
        const crossRegion = e.serviceRegion !== e.region ? `, ${e.region} to ${e.serviceRegion}` : '';
        log(`endpoint ${e.id} (${e.account}${crossRegion}) available: ${b.ip}`);
      }
      b.dnsNames = e.dnsNames;
      await applyListeners(b, listenersFor(services.get(e.serviceName)));
      refreshViews();
    }

    for (const e of availableResources) {
      await applyResourceEndpoint(e, groups.get(e.resourceConfigurationArn), brokers);
      refreshViews();
    }

    for (const lb of activeLbs) {
      let b = lbBindings.get(lb.arn);
      if (!b) {
        b = {
          arn: lb.arn,
          account: lb.account,
          region: lb.region,
          vpcId: lb.vpcId,
          dnsName: lb.dnsName,
          ip: pool.take(),
          proxies: new Map(),
        };
        lbBindings.set(lb.arn, b);
        log(`load balancer ${lb.dnsName} (${lb.account}) active: ${b.ip}`);
      }
      await applyListeners({ endpointId: b.arn, ip: b.ip, proxies: b.proxies }, listenersOf([lb]));
      refreshViews();
    }

    await vpcConnectionsRead;
    await mskVpcConnections.apply();

    refreshViews();

    stats.polls++;
    stats.lastPollMs = Date.now() - started;
    if (errors.length > 0) {
      stats.failedPolls++;
      stats.lastError = errors.join('; ');
      log(`poll incomplete: ${stats.lastError}`);
    }
  }

  /**
   * Rebuilds every DNS view from the bindings as they are now and the last zone readings.
   * Called whenever a binding is added, changed or removed (before any await), so that a
   * name never answers for an address the twin has released, nor before its proxies listen.
   */
  function refreshViews(): void {
    const hosts = new Map<string, string[]>();
    for (const b of bindings.values()) for (const n of b.dnsNames) hosts.set(n, [b.ip]);
    // Names answered in one account's view only (and in the shared view). Managed private DNS
    // is a private hosted zone VPC Lattice associates with the endpoint's VPC; the first
    // endpoint bound wins a tie.
    const privateByAccount = new Map<string, Map<string, string[]>>();
    const privateByVpc = new Map<string, Map<string, string[]>>();
    const addPrivate = <K>(by: Map<K, Map<string, string[]>>, key: K, name: string, ips: string[]): void => {
      let names = by.get(key);
      if (!names) by.set(key, (names = new Map()));
      if (!names.has(name)) names.set(name, ips);
    };
    for (const rb of resourceBindings.values()) {
      for (const c of rb.children.values()) {
        for (const n of c.dnsNames) hosts.set(n, [c.ip]);
        for (const n of c.privateNames) {
          addPrivate(privateByAccount, rb.account, n, [c.ip]);
          addPrivate(privateByVpc, rb.vpcId, n, [c.ip]);
        }
      }
    }
    // An internal NLB's DNS name is public DNS, but its private addresses are reachable only
    // from its VPC (ELBv2 API Reference: CreateLoadBalancer, "Scheme"). A loopback address is
    // reachable from anywhere, so the name is answered in the owner account's view only (the
    // approximation of "inside its VPC"; a VPC's own view, with vpcDns, answers it in that VPC
    // only): a client elsewhere that used it would reach in the twin what it cannot reach in
    // AWS. Alias records to it (Route 53: alias records) then resolve in that view through resolveA.
    for (const lb of lbBindings.values()) {
      addPrivate(privateByAccount, lb.account, lb.dnsName, [lb.ip]);
      addPrivate(privateByVpc, lb.vpcId, lb.dnsName, [lb.ip]);
    }
    // An MSK managed VPC connection's broker names answer inside the client's VPC only (MSK
    // manages that DNS there): its account's view, and its VPC's with vpcDns.
    for (const c of mskVpcConnections.list())
      for (const n of c.dnsNames) {
        addPrivate(privateByAccount, c.account, n, [c.ip]);
        addPrivate(privateByVpc, c.vpcId, n, [c.ip]);
      }
    // Private names win over the shared (public) endpoint names, as a private zone does; the
    // account's own private hosted zones still win over both (resolveA asks zones first), so a
    // zone the tool made for the same name keeps answering: the twin leaves that conflict visible.
    const withPrivate = (names: Array<Map<string, string[]> | undefined>): Map<string, string[]> => {
      const out = new Map(hosts);
      for (const m of [...names].reverse()) for (const [n, ips] of m ?? []) out.set(n, ips);
      return out;
    };
    const zonesOf = (account: string): Zone[] => lastZones.get(account) ?? [];
    // The shared view is every view at once; it also answers NLBs of providers with no view.
    const everyone = [...consumers, ...providers.filter((p) => !consumers.includes(p))];
    view = {
      zones: consumers.flatMap(zonesOf),
      hosts: withPrivate(everyone.map((a) => privateByAccount.get(a))),
    };
    for (const account of consumers)
      accountViews.set(account, {
        zones: zonesOf(account),
        hosts: withPrivate([privateByAccount.get(account)]),
      });
    if (vpcDns) {
      // Route 53 Resolver in a VPC answers from the private hosted zones associated with that
      // VPC (VPCId and VPCRegion), whichever account owns them; seeded accounts' zones first.
      const allZones = consumers.flatMap(zonesOf);
      for (const vpc of followedVpcs.values()) {
        const zones = allZones.filter((z) =>
          (z.vpcs ?? []).some((v) => v.vpcId === vpc.vpcId && (v.region === '' || v.region === vpc.region)),
        );
        vpcViews.set(vpc.vpcId, { zones, hosts: withPrivate([privateByVpc.get(vpc.vpcId)]) });
      }
    }
  }

  /**
   * Brings one address's proxies in line with `listeners`. `refuseWhenEmpty` (resource
   * children): a port with no target refuses connections, rather than accept and reset as
   * an NLB without targets does.
   */
  async function applyListeners(
    b: { endpointId: string; ip: string; proxies: Map<number, TcpProxy> },
    listeners: Map<number, ListenerPlan>,
    refuseWhenEmpty = false,
  ): Promise<void> {
    for (const [port, proxy] of b.proxies) {
      if (listeners.has(port)) continue;
      b.proxies.delete(port);
      await proxy.close();
    }
    const mode = breaks.get(b.endpointId);
    const termination = (plan: ListenerPlan): TlsTermination | undefined => {
      if (!plan.tls) return undefined;
      const credentials = certificates.get(plan.tls.certificateArn);
      return { ...plan.tls, ...(credentials ? { credentials } : {}) };
    };
    const tlsProblem = (port: number, proxy: TcpProxy): void => {
      const t = proxy.tlsListener;
      if (t?.error)
        logOnce(
          `tls ${b.ip}:${port} ${t.certificateArn} ${t.error}`,
          `TLS listener ${b.ip}:${port} for ${b.endpointId}: ${t.error}: new connections reset`,
        );
    };
    for (const [port, plan] of listeners) {
      const { targets } = plan;
      const existing = b.proxies.get(port);
      if (existing) {
        existing.setTargets(targets);
        existing.setTls(termination(plan));
        tlsProblem(port, existing);
        if (!refuseWhenEmpty) continue;
        try {
          await existing.refuseWhileIdle(targets.length === 0);
        } catch (err) {
          log(`proxy ${b.ip}:${port} for ${b.endpointId} failed to start: ${describe(err)}`);
        }
        continue;
      }
      const proxy = new TcpProxy(b.ip, port, targets);
      proxy.setTls(termination(plan));
      tlsProblem(port, proxy);
      try {
        if (mode) await proxy.break(mode);
        if (refuseWhenEmpty && targets.length === 0) await proxy.refuseWhileIdle(true);
        await proxy.start();
        b.proxies.set(port, proxy);
      } catch (err) {
        // Retried on the next poll.
        log(`proxy ${b.ip}:${port} for ${b.endpointId} failed to start: ${describe(err)}`);
      }
    }
  }

  async function releaseChild(c: ChildBinding): Promise<void> {
    await Promise.all([...c.proxies.values()].map((p) => p.close()));
    pool.release(c.ip);
  }

  async function applyResourceEndpoint(
    e: ObservedResourceEndpoint,
    group: ObservedResourceGroup | undefined,
    brokers: Map<string, string>,
  ): Promise<void> {
    let rb = resourceBindings.get(e.id);
    if (!rb) {
      rb = {
        endpointId: e.id,
        account: e.account,
        vpcId: e.vpcId,
        region: e.region,
        configurationArn: e.resourceConfigurationArn,
        children: new Map(),
      };
      resourceBindings.set(e.id, rb);
    }
    // An unknown group (not found, or not in a provider account) has no children to bind.
    const children = [...(group?.children ?? [])].sort((x, y) =>
      x.arn < y.arn ? -1 : x.arn > y.arn ? 1 : 0,
    );
    const present = new Set(children.map((c) => c.arn));
    for (const [arn, c] of rb.children) {
      if (present.has(arn)) continue;
      rb.children.delete(arn);
      refreshViews();
      await releaseChild(c);
      log(`resource endpoint ${e.id}: child ${arn} gone, released ${c.ip}`);
    }
    for (const child of children) {
      let c = rb.children.get(child.arn);
      if (!c) {
        c = { childArn: child.arn, ip: pool.take(), dnsNames: [], privateNames: [], proxies: new Map() };
        rb.children.set(child.arn, c);
        log(`resource endpoint ${e.id} (${e.account}) child ${child.customDomainName ?? child.id}: ${c.ip}`);
      }
      if (child.customDomainName) c.customDomainName = child.customDomainName;
      else delete c.customDomainName;
      // DNS entries carry the child's id as a label: "<vpce>.<rcfg-id>.<label>.vpc-lattice-rsc...".
      c.dnsNames = e.dnsNames.filter((n) => child.id !== '' && n.split('.').includes(child.id));
      c.privateNames = child.customDomainName && privateDnsCovers(e, child) ? [child.customDomainName] : [];
      const { ports, capped } = expandPorts(child.portRanges, MAX_PORTS_PER_CHILD);
      if (capped)
        logOnce(
          `cap ${e.id} ${child.arn}`,
          `resource endpoint ${e.id} child ${child.arn}: ports ${child.portRanges.join(',')} capped to ${ports.length} (${ports[0]}-${ports[ports.length - 1]})`,
        );
      // Nothing flows until the group and its resource gateway are ACTIVE.
      const ready = group?.status === 'ACTIVE' && group.gatewayStatus === 'ACTIVE';
      const host = ready ? childHost(child, brokers) : undefined;
      if (ready && child.target && 'dns' in child.target && host === undefined && child.status === 'ACTIVE')
        logOnce(
          `unresolved ${e.id} ${child.arn} ${child.target.dns}`,
          `resource endpoint ${e.id}: ${child.target.dns} does not resolve: connections refused`,
        );
      const listeners = new Map<number, ListenerPlan>(
        ports.map((port) => [port, { targets: host ? [{ host, port }] : [] }]),
      );
      await applyListeners({ endpointId: e.id, ip: c.ip, proxies: c.proxies }, listeners, true);
    }
  }

  // Single-flight loop: a poll never overlaps another; reconcileNow waits for a fresh one.
  let running = true;
  let paused = false;
  let current: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const runPoll = (): Promise<void> => {
    const p = (current ?? Promise.resolve())
      .then(() => (running ? poll() : undefined))
      .catch((err: unknown) => {
        stats.failedPolls++;
        stats.lastError = describe(err);
        log(`poll failed: ${stats.lastError}`);
      });
    current = p;
    return p;
  };
  const schedule = (): void => {
    if (!running || paused || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (paused) return;
      void runPoll().then(schedule);
    }, pollMs);
  };
  await runPoll();
  schedule();

  const listenersOut = (proxies: Map<number, TcpProxy>): ListenerBinding[] =>
    [...proxies.values()]
      .sort((x, y) => x.port - y.port)
      .map((p) => ({
        port: p.port,
        targets: p.currentTargets(),
        connections: p.connections,
        ...(p.tlsListener ? { tls: p.tlsListener } : {}),
      }));

  const childOut = (rb: ResourceBinding, c: ChildBinding): EndpointBinding => ({
    endpointId: rb.endpointId,
    account: rb.account,
    vpcId: rb.vpcId,
    region: rb.region,
    serviceName: rb.configurationArn,
    ip: c.ip,
    dnsNames: [...c.dnsNames, ...c.privateNames],
    listeners: listenersOut(c.proxies),
    ...(breaks.has(rb.endpointId) ? { broken: breaks.get(rb.endpointId) } : {}),
    resource: {
      configurationArn: rb.configurationArn,
      childArn: c.childArn,
      ...(c.customDomainName ? { customDomainName: c.customDomainName } : {}),
    },
  });

  const proxiesOf = (id: string): TcpProxy[] => [
    ...(bindings.get(id)?.proxies.values() ?? []),
    ...(lbBindings.get(id)?.proxies.values() ?? []),
    ...[...(resourceBindings.get(id)?.children.values() ?? [])].flatMap((c) => [...c.proxies.values()]),
    ...mskVpcConnections.proxiesOf(id),
  ];

  const bindingOut = (b: Binding): EndpointBinding => ({
    endpointId: b.endpointId,
    account: b.account,
    vpcId: b.vpcId,
    region: b.region,
    serviceRegion: b.serviceRegion,
    serviceName: b.serviceName,
    ip: b.ip,
    dnsNames: [...b.dnsNames],
    listeners: listenersOut(b.proxies),
    ...(breaks.has(b.endpointId) ? { broken: breaks.get(b.endpointId) } : {}),
  });

  return {
    dns: { host: dnsMain.host, port: dnsMain.port },
    dnsByAccount,
    dnsByVpc,
    vpcs: () => [...followedVpcs.values()].map((v) => ({ ...v })),
    resolveInVpc(vpcId, name) {
      const v = vpcViews.get(vpcId);
      if (!v) return [];
      return resolveA(v, normalizeName(name))
        .answers.filter((a) => a.type === 'A')
        .map((a) => a.data);
    },
    addresses: () => [
      ...[...bindings.values()].map(bindingOut),
      ...[...resourceBindings.values()].flatMap((rb) =>
        [...rb.children.values()].map((c) => childOut(rb, c)),
      ),
    ],
    loadBalancers: () =>
      [...lbBindings.values()].map((b) => ({
        arn: b.arn,
        account: b.account,
        region: b.region,
        vpcId: b.vpcId,
        dnsName: b.dnsName,
        ip: b.ip,
        listeners: listenersOut(b.proxies),
        ...(breaks.has(b.arn) ? { broken: breaks.get(b.arn) } : {}),
      })),
    vpcConnections: () => mskVpcConnections.list(),
    addressOf: (id) =>
      bindings.get(id)?.ip ??
      resourceBindings.get(id)?.children.values().next().value?.ip ??
      lbBindings.get(id)?.ip ??
      mskVpcConnections.addressOf(id),
    resolve(name, account) {
      const v = account === undefined ? view : (accountViews.get(account) ?? view);
      return resolveA(v, normalizeName(name))
        .answers.filter((a) => a.type === 'A')
        .map((a) => a.data);
    },
    async stopEndpoint(id, mode = 'refuse') {
      breaks.set(id, mode);
      await Promise.all(proxiesOf(id).map((p) => p.break(mode)));
    },
    async restoreEndpoint(id) {
      breaks.delete(id);
      await Promise.all(proxiesOf(id).map((p) => p.restore()));
    },
    reconcileNow: () => runPoll(),
    async pause() {
      paused = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await current;
    },
    async resume() {
      if (!paused) return;
      paused = false;
      await runPoll();
      schedule();
    },
    stats: () => ({ ...stats }),
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await current;
      for (const b of bindings.values()) await Promise.all([...b.proxies.values()].map((p) => p.close()));
      bindings.clear();
      for (const rb of resourceBindings.values()) for (const c of rb.children.values()) await releaseChild(c);
      resourceBindings.clear();
      for (const b of lbBindings.values()) await Promise.all([...b.proxies.values()].map((p) => p.close()));
      lbBindings.clear();
      await mskVpcConnections.close();
      await Promise.all(dnsServers.map((s) => s.close()));
      for (const c of clients.values()) c.destroy();
    },
  };
}

/** Listener port -> targets over every active NLB behind the service (ports merged). */
function listenersFor(service: ObservedService | undefined): Map<number, ListenerPlan> {
  return listenersOf(service?.loadBalancers ?? []);
}

/**
 * Listener port -> targets over the given NLBs (ports merged): what an endpoint of their
 * service forwards, and what one NLB's own address forwards.
 */
function listenersOf(loadBalancers: ObservedLoadBalancer[]): Map<number, ListenerPlan> {
  const out = new Map<number, ListenerPlan>();
  for (const lb of loadBalancers) {
    for (const l of lb.listeners) {
      // A load balancer still provisioning (or failed) forwards nothing yet.
      const targets = lb.state === 'active' ? l.targets : [];
      const plan = out.get(l.port);
      // Ports merged over several NLBs: the first TLS listener on a port decides its certificate.
      const tls = plan?.tls ?? l.tls;
      out.set(l.port, { targets: [...(plan?.targets ?? []), ...targets], ...(tls ? { tls } : {}) });
    }
  }
  return out;
}

/** Where the resource gateway sends a child's flows: its IP, or its DNS name resolved (else nothing). */
function childHost(child: ObservedResourceChild, brokers: Map<string, string>): string | undefined {
  if (child.status !== 'ACTIVE' || !child.target) return undefined;
  return 'ip' in child.target ? child.target.ip : brokers.get(child.target.dns);
}

/**
 * Whether VPC Lattice's managed private DNS answers the child's custom domain name in the
 * endpoint's VPC, per the endpoint's PrivateDnsPreference. "Verified" is the provider's
 * domain verification, which the AWS twin never grants, so VERIFIED_* cover specified
 * domains only. A specified domain covers a name equal to it; "*.example.com" covers every
 * name below example.com (any depth, like a Route 53 wildcard) but not example.com itself;
 * a bare "example.com" covers that one name only. The tool specifies exact broker names.
 */
export function privateDnsCovers(
  endpoint: Pick<ObservedResourceEndpoint, 'privateDnsEnabled' | 'dnsOptions'>,
  child: Pick<ObservedResourceChild, 'customDomainName' | 'domainVerified'>,
): boolean {
  const name = child.customDomainName;
  if (!endpoint.privateDnsEnabled || !name) return false;
  const specified = (): boolean =>
    endpoint.dnsOptions.privateDnsSpecifiedDomains.some((d) =>
      d.startsWith('*.') ? name.endsWith(d.slice(1)) : name === d,
    );
  switch (endpoint.dnsOptions.privateDnsPreference ?? 'VERIFIED_DOMAINS_ONLY') {
    case 'ALL_DOMAINS':
      return true;
    case 'VERIFIED_DOMAINS_ONLY':
      return child.domainVerified;
    case 'VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS':
      return child.domainVerified || specified();
    case 'SPECIFIED_DOMAINS_ONLY':
      return specified();
    default:
      return false;
  }
}

/** Ports of port ranges ("9094", "9092-9098"), ascending, deduplicated, at most `cap`. */
export function expandPorts(ranges: string[], cap: number): { ports: number[]; capped: boolean } {
  const ports = new Set<number>();
  let capped = false;
  for (const r of ranges) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(r.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = Number(m[2] ?? m[1]);
    for (let p = Math.max(lo, 1); p <= Math.min(hi, 65535); p++) {
      if (ports.size >= cap && !ports.has(p)) {
        capped = true;
        break;
      }
      ports.add(p);
    }
  }
  return { ports: [...ports].sort((a, b) => a - b), capped };
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
