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
import { accountClients, type AccountClients, type AwsClientConfig } from './aws-clients.js';
import { startDnsServer, type DnsServer } from './dns-server.js';
import {
  arnAccount,
  observeBrokerAddresses,
  observeConsumer,
  observeLoadBalancers,
  observeProvider,
  observeResourceGroups,
  readCertificate,
  type ObservedAccount,
  type ObservedLoadBalancer,
  type ObservedResourceChild,
  type ObservedResourceEndpoint,
  type ObservedResourceGroup,
  type ObservedService,
} from './observe.js';
import { TcpProxy, type BreakMode, type Target, type TlsTermination } from './proxy.js';
import { normalizeName, resolveA, type DnsView, type Zone } from './zones.js';

export type { BreakMode, Target } from './proxy.js';

export interface NetworkTwinOptions {
  /** The AWS twin's URL. */
  endpoint: string;
  region: string;
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
  /** Current address map: one entry per available interface endpoint, one per child of a resource endpoint. */
  addresses(): EndpointBinding[];
  /** Active NLBs of every account read (providers and followed accounts), in the order bound. */
  loadBalancers(): LoadBalancerBinding[];
  /**
   * An endpoint's address; for a resource endpoint its first child's (addresses() has them
   * all); given an NLB's ARN, that NLB's address.
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
  configurationArn: string;
  /** By child ARN, in the order they were bound. */
  children: Map<string, ChildBinding>;
}

interface LoadBalancerState {
  arn: string;
  account: string;
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

  const clients = new Map<string, AccountClients>();
  for (const account of new Set([...providers, ...consumers]))
    clients.set(account, accountClients(account, configFor(account)));
  const client = (account: string): AccountClients => {
    const c = clients.get(account);
    if (!c) throw new Error(`no clients for account ${account}`);
    return c;
  };

  const pool = new AddressPool(ipPrefix);
  const bindings = new Map<string, Binding>();
  const resourceBindings = new Map<string, ResourceBinding>();
  /** By NLB ARN, in the order bound. */
  const lbBindings = new Map<string, LoadBalancerState>();
  const breaks = new Map<string, BreakMode>();
  // Last good reading per consumer and per provider: one failed call keeps the old picture.
  const lastConsumer = new Map<string, ObservedAccount>();
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
  const stats: NetworkTwinStats = { polls: 0, failedPolls: 0, lastPollMs: 0 };

  const dnsMain = await startDnsServer(() => view, {
    host: opts.dnsHost,
    port: opts.dnsPort,
    maxTtl: opts.maxTtl,
  });
  const dnsServers: DnsServer[] = [dnsMain];
  const dnsByAccount: Record<string, { host: string; port: number }> = {};

  /** Starts following an account: clients, its own DNS server, then onAccountDns. */
  async function follow(account: string): Promise<void> {
    if (consumers.includes(account)) return;
    if (!clients.has(account)) clients.set(account, accountClients(account, configFor(account)));
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
    // Every account read (providers and followed accounts) has its NLBs read once per poll:
    // the endpoint services below take theirs from this reading.
    const readAccounts = [...clients.keys()];
    await Promise.all([
      ...consumers.map(async (account) => {
        try {
          lastConsumer.set(account, await observeConsumer(client(account)));
        } catch (err) {
          errors.push(`consumer ${account}: ${describe(err)}`);
        }
      }),
      ...readAccounts.map(async (account) => {
        try {
          lastLoadBalancers.set(account, await observeLoadBalancers(client(account)));
        } catch (err) {
          errors.push(`load balancers ${account}: ${describe(err)}`);
        }
      }),
    ]);
    const consumerState = consumers.flatMap((a) => {
      const s = lastConsumer.get(a);
      return s ? [s] : [];
    });
    const available = consumerState.flatMap((s) => s.endpoints).filter((e) => e.state === 'available');
    const wanted = new Set(available.map((e) => e.serviceName));
    const availableResources = consumerState
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
    const attempt = async (what: string, read: () => Promise<void>): Promise<void> => {
      try {
        await read();
      } catch (err) {
        errors.push(`${what}: ${describe(err)}`);
      }
    };
    await Promise.all(
      providers.flatMap((account) => [
        attempt(`provider ${account}`, async () => {
          const lbs = new Map((lastLoadBalancers.get(account) ?? []).map((lb) => [lb.arn, lb]));
          lastProvider.set(account, await observeProvider(client(account), wanted, lbs));
        }),
        // Lattice and MSK only while some resource endpoint is up: interface-only runs make
        // the same calls as before.
        ...(wantedGroups.size === 0
          ? []
          : [
              attempt(`resource configurations ${account}`, async () => {
                lastGroups.set(account, await observeResourceGroups(client(account), wantedGroups));
              }),
              attempt(`MSK brokers ${account}`, async () => {
                lastBrokers.set(account, await observeBrokerAddresses(client(account)));
              }),
            ]),
      ]),
    );
    // The certificates of every TLS listener read, each once (re-imports are followed).
    const certificateArns = new Set(
      readAccounts.flatMap((a) =>
        (lastLoadBalancers.get(a) ?? []).flatMap((lb) =>
          lb.listeners.flatMap((l) => (l.tls?.certificateArn ? [l.tls.certificateArn] : [])),
        ),
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
    const services = new Map<string, ObservedService>();
    for (const a of providers) for (const s of lastProvider.get(a) ?? []) services.set(s.serviceName, s);
    const groups = new Map<string, ObservedResourceGroup>();
    for (const a of providers) for (const g of lastGroups.get(a) ?? []) groups.set(g.arn, g);
    // Broker names are public DNS: any provider's cluster resolves for any gateway.
    const brokers = new Map<string, string>();
    for (const a of providers)
      for (const [n, ip] of lastBrokers.get(a) ?? []) if (!brokers.has(n)) brokers.set(n, ip);

    // Endpoints that went away or stopped being available lose their address and proxies.
    const keep = new Set(available.map((e) => e.id));
    for (const [id, b] of bindings) {
      if (keep.has(id)) continue;
      bindings.delete(id);
      await Promise.all([...b.proxies.values()].map((p) => p.close()));
      pool.release(b.ip);
      log(`endpoint ${id} gone: released ${b.ip}`);
    }

    const keepResources = new Set(availableResources.map((e) => e.id));
    for (const [id, rb] of resourceBindings) {
      if (keepResources.has(id)) continue;
      resourceBindings.delete(id);
      for (const c of rb.children.values()) await releaseChild(c);
      log(
        `resource endpoint ${id} gone: released ${[...rb.children.values()].map((c) => c.ip).join(', ') || 'nothing'}`,
      );
    }

    // NLBs are bound while active (one still provisioning has no nodes to reach yet) and
    // released when gone or no longer active.
    const activeLbs = readAccounts.flatMap((a) =>
      (lastLoadBalancers.get(a) ?? []).filter((lb) => lb.state === 'active' && lb.dnsName !== ''),
    );
    const keepLbs = new Set(activeLbs.map((lb) => lb.arn));
    for (const [arn, lb] of lbBindings) {
      if (keepLbs.has(arn)) continue;
      lbBindings.delete(arn);
      await Promise.all([...lb.proxies.values()].map((p) => p.close()));
      pool.release(lb.ip);
      log(`load balancer ${lb.dnsName} gone: released ${lb.ip}`);
    }

    for (const e of available) {
      let b = bindings.get(e.id);
      if (!b) {
        b = { ...e, endpointId: e.id, ip: pool.take(), proxies: new Map() };
        bindings.set(e.id, b);
        log(`endpoint ${e.id} (${e.account}) available: ${b.ip}`);
      }
      b.dnsNames = e.dnsNames;
      await applyListeners(b, listenersFor(services.get(e.serviceName)));
    }

    for (const e of availableResources)
      await applyResourceEndpoint(e, groups.get(e.resourceConfigurationArn), brokers);

    for (const lb of activeLbs) {
      let b = lbBindings.get(lb.arn);
      if (!b) {
        b = { arn: lb.arn, account: lb.account, dnsName: lb.dnsName, ip: pool.take(), proxies: new Map() };
        lbBindings.set(lb.arn, b);
        log(`load balancer ${lb.dnsName} (${lb.account}) active: ${b.ip}`);
      }
      await applyListeners({ endpointId: b.arn, ip: b.ip, proxies: b.proxies }, listenersOf([lb]));
    }

    const hosts = new Map<string, string[]>();
    for (const b of bindings.values()) for (const n of b.dnsNames) hosts.set(n, [b.ip]);
    // Names answered in one account's view only (and in the shared view). Managed private DNS
    // is a private hosted zone VPC Lattice associates with the endpoint's VPC; the first
    // endpoint bound wins a tie.
    const privateByAccount = new Map<string, Map<string, string[]>>();
    for (const rb of resourceBindings.values()) {
      let names = privateByAccount.get(rb.account);
      if (!names) privateByAccount.set(rb.account, (names = new Map()));
      for (const c of rb.children.values()) {
        for (const n of c.dnsNames) hosts.set(n, [c.ip]);
        for (const n of c.privateNames) if (!names.has(n)) names.set(n, [c.ip]);
      }
    }
    // An internal NLB's DNS name is public DNS, but its private addresses are reachable only
    // from its VPC (ELBv2 API Reference: CreateLoadBalancer, "Scheme"). A loopback address is
    // reachable from anywhere, so the name is answered in the owner account's view only (the
    // approximation of "inside its VPC"): a client elsewhere that used it would reach in the
    // twin what it cannot reach in AWS. Alias records to it (Route 53: alias records) then
    // resolve in that view through resolveA.
    for (const lb of lbBindings.values()) {
      let names = privateByAccount.get(lb.account);
      if (!names) privateByAccount.set(lb.account, (names = new Map()));
      if (!names.has(lb.dnsName)) names.set(lb.dnsName, [lb.ip]);
    }
    // Private names win over the shared (public) endpoint names, as a private zone does; the
    // account's own private hosted zones still win over both (resolveA asks zones first), so a
    // zone the tool made for the same name keeps answering: the twin leaves that conflict visible.
    const withPrivate = (accounts: string[]): Map<string, string[]> => {
      const out = new Map(hosts);
      for (const a of [...accounts].reverse())
        for (const [n, ips] of privateByAccount.get(a) ?? []) out.set(n, ips);
      return out;
    };
    const zonesOf = (account: string): Zone[] => lastConsumer.get(account)?.zones ?? [];
    // The shared view is every view at once; it also answers NLBs of providers with no view.
    const everyone = [...consumers, ...providers.filter((p) => !consumers.includes(p))];
    view = { zones: consumers.flatMap(zonesOf), hosts: withPrivate(everyone) };
    for (const account of consumers)
      accountViews.set(account, { zones: zonesOf(account), hosts: withPrivate([account]) });

    stats.polls++;
    stats.lastPollMs = Date.now() - started;
    if (errors.length > 0) {
      stats.failedPolls++;
      stats.lastError = errors.join('; ');
      log(`poll incomplete: ${stats.lastError}`);
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
  ];

  const bindingOut = (b: Binding): EndpointBinding => ({
    endpointId: b.endpointId,
    account: b.account,
    vpcId: b.vpcId,
    serviceName: b.serviceName,
    ip: b.ip,
    dnsNames: [...b.dnsNames],
    listeners: listenersOut(b.proxies),
    ...(breaks.has(b.endpointId) ? { broken: breaks.get(b.endpointId) } : {}),
  });

  return {
    dns: { host: dnsMain.host, port: dnsMain.port },
    dnsByAccount,
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
        dnsName: b.dnsName,
        ip: b.ip,
        listeners: listenersOut(b.proxies),
        ...(breaks.has(b.arn) ? { broken: breaks.get(b.arn) } : {}),
      })),
    addressOf: (id) =>
      bindings.get(id)?.ip ??
      resourceBindings.get(id)?.children.values().next().value?.ip ??
      lbBindings.get(id)?.ip,
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
