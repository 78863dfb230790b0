// The network twin: follows the AWS twin's state through the SDK and materialises it on
// loopback, so that a client reaches brokers the way it would from a consumer VPC:
// broker name -> private hosted zone -> endpoint address (127.0.1.x) -> NLB listener port
// -> registered target. One poll loop; each pass diffs what it read against what runs.
import { accountClients, type AccountClients, type AwsClientConfig } from './aws-clients.js';
import { startDnsServer, type DnsServer } from './dns-server.js';
import { observeConsumer, observeProvider, type ObservedAccount, type ObservedService } from './observe.js';
import { TcpProxy, type BreakMode, type Target } from './proxy.js';
import { normalizeName, resolveA, type DnsView, type Zone } from './zones.js';

export type { BreakMode, Target } from './proxy.js';

export interface NetworkTwinOptions {
  /** The AWS twin's URL. */
  endpoint: string;
  region: string;
  /** Account(s) that own the endpoint services and NLBs. */
  providerAccount: string | string[];
  /** Accounts whose interface endpoints and private hosted zones are materialised. */
  consumerAccounts: string[];
  /** Per-account SDK settings; default: the endpoint, static keys and x-moto-account-id. */
  clientConfig?: (account: string) => AwsClientConfig;
  /** First three octets of endpoint addresses; default 127.0.1. */
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
}

export interface EndpointBinding {
  endpointId: string;
  account: string;
  vpcId: string;
  serviceName: string;
  ip: string;
  dnsNames: string[];
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
  /** DNS server answering from every consumer account's zones (earlier accounts win a tie). */
  dns: { host: string; port: number };
  /** One DNS server per consumer account, answering from that account's zones only. */
  dnsByAccount: Record<string, { host: string; port: number }>;
  /** Current address map: one entry per available endpoint. */
  addresses(): EndpointBinding[];
  addressOf(endpointId: string): string | undefined;
  /** In-process answer for a name (no UDP): the A addresses, or [] for NXDOMAIN. */
  resolve(name: string, account?: string): string[];
  /** Simulates a dead path through one endpoint until restoreEndpoint (survives polls). */
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
  const consumers = [...opts.consumerAccounts];
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
  const breaks = new Map<string, BreakMode>();
  // Last good reading per consumer and per provider: one failed call keeps the old picture.
  const lastConsumer = new Map<string, ObservedAccount>();
  const lastProvider = new Map<string, ObservedService[]>();
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
  for (const account of consumers) {
    const server = await startDnsServer(() => accountViews.get(account) ?? view, {
      host: opts.dnsHost,
      maxTtl: opts.maxTtl,
    });
    dnsServers.push(server);
    dnsByAccount[account] = { host: server.host, port: server.port };
  }

  async function poll(): Promise<void> {
    const started = Date.now();
    const errors: string[] = [];
    await Promise.all(
      consumers.map(async (account) => {
        try {
          lastConsumer.set(account, await observeConsumer(client(account)));
        } catch (err) {
          errors.push(`consumer ${account}: ${describe(err)}`);
        }
      }),
    );
    const consumerState = consumers.flatMap((a) => {
      const s = lastConsumer.get(a);
      return s ? [s] : [];
    });
    const available = consumerState.flatMap((s) => s.endpoints).filter((e) => e.state === 'available');
    const wanted = new Set(available.map((e) => e.serviceName));
    await Promise.all(
      providers.map(async (account) => {
        try {
          lastProvider.set(account, await observeProvider(client(account), wanted));
        } catch (err) {
          errors.push(`provider ${account}: ${describe(err)}`);
        }
      }),
    );
    const services = new Map<string, ObservedService>();
    for (const a of providers) for (const s of lastProvider.get(a) ?? []) services.set(s.serviceName, s);

    // Endpoints that went away or stopped being available lose their address and proxies.
    const keep = new Set(available.map((e) => e.id));
    for (const [id, b] of bindings) {
      if (keep.has(id)) continue;
      bindings.delete(id);
      await Promise.all([...b.proxies.values()].map((p) => p.close()));
      pool.release(b.ip);
      log(`endpoint ${id} gone: released ${b.ip}`);
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

    const hosts = new Map<string, string[]>();
    for (const b of bindings.values()) for (const n of b.dnsNames) hosts.set(n, [b.ip]);
    const zonesOf = (account: string): Zone[] => lastConsumer.get(account)?.zones ?? [];
    view = { zones: consumers.flatMap(zonesOf), hosts };
    for (const account of consumers) accountViews.set(account, { zones: zonesOf(account), hosts });

    stats.polls++;
    stats.lastPollMs = Date.now() - started;
    if (errors.length > 0) {
      stats.failedPolls++;
      stats.lastError = errors.join('; ');
      log(`poll incomplete: ${stats.lastError}`);
    }
  }

  async function applyListeners(b: Binding, listeners: Map<number, Target[]>): Promise<void> {
    for (const [port, proxy] of b.proxies) {
      if (listeners.has(port)) continue;
      b.proxies.delete(port);
      await proxy.close();
    }
    const mode = breaks.get(b.endpointId);
    for (const [port, targets] of listeners) {
      const existing = b.proxies.get(port);
      if (existing) {
        existing.setTargets(targets);
        continue;
      }
      const proxy = new TcpProxy(b.ip, port, targets);
      try {
        if (mode) await proxy.break(mode);
        await proxy.start();
        b.proxies.set(port, proxy);
      } catch (err) {
        // Retried on the next poll.
        log(`proxy ${b.ip}:${port} for ${b.endpointId} failed to start: ${describe(err)}`);
      }
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

  const bindingOut = (b: Binding): EndpointBinding => ({
    endpointId: b.endpointId,
    account: b.account,
    vpcId: b.vpcId,
    serviceName: b.serviceName,
    ip: b.ip,
    dnsNames: [...b.dnsNames],
    listeners: [...b.proxies.values()]
      .sort((x, y) => x.port - y.port)
      .map((p) => ({ port: p.port, targets: p.currentTargets(), connections: p.connections })),
    ...(breaks.has(b.endpointId) ? { broken: breaks.get(b.endpointId) } : {}),
  });

  return {
    dns: { host: dnsMain.host, port: dnsMain.port },
    dnsByAccount,
    addresses: () => [...bindings.values()].map(bindingOut),
    addressOf: (id) => bindings.get(id)?.ip,
    resolve(name, account) {
      const v = account === undefined ? view : (accountViews.get(account) ?? view);
      return resolveA(v, normalizeName(name))
        .answers.filter((a) => a.type === 'A')
        .map((a) => a.data);
    },
    async stopEndpoint(id, mode = 'refuse') {
      breaks.set(id, mode);
      const b = bindings.get(id);
      if (b) await Promise.all([...b.proxies.values()].map((p) => p.break(mode)));
    },
    async restoreEndpoint(id) {
      breaks.delete(id);
      const b = bindings.get(id);
      if (b) await Promise.all([...b.proxies.values()].map((p) => p.restore()));
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
      await Promise.all(dnsServers.map((s) => s.close()));
      for (const c of clients.values()) c.destroy();
    },
  };
}

/** Listener port -> targets over every active NLB behind the service (ports merged). */
function listenersFor(service: ObservedService | undefined): Map<number, Target[]> {
  const out = new Map<number, Target[]>();
  if (!service) return out;
  for (const lb of service.loadBalancers) {
    for (const l of lb.listeners) {
      // A load balancer still provisioning (or failed) forwards nothing yet.
      const targets = lb.state === 'active' ? l.targets : [];
      out.set(l.port, [...(out.get(l.port) ?? []), ...targets]);
    }
  }
  return out;
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
