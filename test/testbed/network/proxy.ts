// A TCP proxy standing in for one NLB listener reached through one interface endpoint, or
// through the NLB's own address: it listens on that loopback address and the listener's port
// and spreads new connections round robin over the listener's targets, as an NLB does per flow.
// For a TLS listener it terminates TLS with the listener's certificate and opens TLS (without
// verifying the target's certificate) or plain TCP to the target, per the target's group.
import net from 'node:net';
import tls from 'node:tls';

export interface Target {
  host: string;
  port: number;
  /**
   * Set for a target of a TLS target group behind a TLS listener: the NLB opens TLS to it and
   * does not validate its certificate ("Target groups for your Network Load Balancers").
   */
  tls?: boolean;
}

/** What a TLS listener terminates with. */
export interface TlsTermination {
  /** The listener's default certificate. */
  certificateArn: string;
  /** e.g. ELBSecurityPolicy-2016-08 (TLS 1.2 at most) or ELBSecurityPolicy-TLS13-1-2-2021-06. */
  sslPolicy: string;
  /** PEM: the certificate, then its chain; and its private key. Absent while unknown: new flows are reset. */
  credentials?: { cert: string; key: string };
}

/** Protocol versions a security policy allows, as far as Node's TLS offers them (1.2 and 1.3). */
export function policyVersions(sslPolicy: string): {
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
} {
  // "Security policies for your Network Load Balancer": TLS13-1-3 policies are TLS 1.3 only,
  // other TLS13 policies add TLS 1.3 to older versions, the rest (ELBSecurityPolicy-2016-08,
  // the API's default, and the TLS-1-x ones) stop at TLS 1.2. Node refuses TLS 1.0/1.1 by default.
  const tls13 = /TLS13/.test(sslPolicy);
  return {
    minVersion: /TLS13-1-3/.test(sslPolicy) ? 'TLSv1.3' : 'TLSv1.2',
    maxVersion: tls13 ? 'TLSv1.3' : 'TLSv1.2',
  };
}

/**
 * How a broken path behaves: `refuse` closes the listening socket (connection refused),
 * `reset` accepts then resets, `blackhole` accepts and never forwards (the client times
 * out, as with a security group or route that drops packets).
 */
export type BreakMode = 'refuse' | 'reset' | 'blackhole';

interface Flow {
  /** The client's socket; for a TLS listener, the TLS side of it once wrapped. */
  client: net.Socket;
  upstream?: net.Socket;
}

interface Termination {
  certificateArn: string;
  sslPolicy: string;
  /** cert + key + policy, to rebuild the context only when one of them changes. */
  key: string;
  context?: tls.SecureContext;
  error?: string;
}

export class TcpProxy {
  readonly host: string;
  readonly port: number;
  private targets: Target[] = [];
  private next = 0;
  private server?: net.Server;
  private readonly flows = new Set<Flow>();
  private mode?: BreakMode;
  private termination?: Termination;
  private closed = false;
  /** Set while the path has nowhere to go (see refuseWhileIdle). */
  private idle = false;
  /** Connections accepted since start (tests use it to see that traffic went this way). */
  connections = 0;

  constructor(host: string, port: number, targets: Target[] = []) {
    this.host = host;
    this.port = port;
    this.setTargets(targets);
  }

  get broken(): BreakMode | undefined {
    return this.mode;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  currentTargets(): Target[] {
    return this.targets.map((t) => ({ ...t }));
  }

  setTargets(targets: Target[]): void {
    // Sorted so that an unchanged set compares equal whatever order AWS listed it in.
    const sorted = [...targets].sort((a, b) =>
      a.host === b.host ? a.port - b.port : a.host < b.host ? -1 : 1,
    );
    if (sameTargets(sorted, this.targets)) return;
    this.targets = sorted;
    this.next = 0;
  }

  /**
   * Makes this a TLS listener (new flows terminate TLS with `t`'s certificate and key) or,
   * given undefined, a TCP one again. Flows already open keep what they started with. A
   * listener whose certificate is unknown, or whose key does not fit, resets new flows.
   */
  setTls(t: TlsTermination | undefined): void {
    if (!t) {
      this.termination = undefined;
      return;
    }
    const key = t.credentials ? `${t.sslPolicy}\n${t.credentials.cert}\n${t.credentials.key}` : '';
    const current = this.termination;
    if (current && current.key === key && current.certificateArn === t.certificateArn) return;
    const next: Termination = { certificateArn: t.certificateArn, sslPolicy: t.sslPolicy, key };
    if (!t.credentials) next.error = `certificate ${t.certificateArn} unknown`;
    else {
      try {
        next.context = tls.createSecureContext({
          cert: t.credentials.cert,
          key: t.credentials.key,
          ...policyVersions(t.sslPolicy),
        });
      } catch (err) {
        next.error = err instanceof Error ? err.message : String(err);
      }
    }
    this.termination = next;
  }

  /** For a TLS listener: its certificate, and why it cannot terminate TLS (then new flows are reset). */
  get tlsListener(): { certificateArn: string; sslPolicy: string; error?: string } | undefined {
    const t = this.termination;
    if (!t) return undefined;
    return {
      certificateArn: t.certificateArn,
      sslPolicy: t.sslPolicy,
      ...(t.error ? { error: t.error } : {}),
    };
  }

  async start(): Promise<void> {
    if (this.closed) throw new Error(`proxy ${this.host}:${this.port} is closed`);
    if (this.server || this.mode === 'refuse' || this.idle) return;
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server = undefined;
        reject(err);
      };
      server.once('error', onError);
      server.listen({ host: this.host, port: this.port, exclusive: true }, () => {
        server.off('error', onError);
        // A later error (none expected on a listening socket) must not crash the process.
        server.on('error', () => undefined);
        resolve();
      });
    });
  }

  /**
   * Closes the listening socket while `idle` (connections refused) and reopens it after,
   * for a resource endpoint whose target is unknown (a DNS name that does not resolve, a
   * configuration not ACTIVE). Flows already open are left alone. While idle, a break
   * changes nothing on the wire: the port refuses whatever the break mode.
   */
  async refuseWhileIdle(idle: boolean): Promise<void> {
    this.idle = idle;
    if (idle) await this.closeServer();
    else if (!this.closed && !this.server) await this.start();
  }

  /** Breaks the path: existing flows are cut (refuse, reset) or frozen (blackhole). */
  async break(mode: BreakMode): Promise<void> {
    this.mode = mode;
    if (mode === 'blackhole') {
      for (const flow of this.flows) freeze(flow);
    } else {
      for (const flow of this.flows) destroyFlow(flow);
      this.flows.clear();
    }
    if (mode === 'refuse') await this.closeServer();
  }

  /** Heals a broken path; frozen flows stay dead, as they would after a real outage. */
  async restore(): Promise<void> {
    if (!this.mode) return;
    this.mode = undefined;
    for (const flow of this.flows) destroyFlow(flow);
    this.flows.clear();
    if (!this.closed) await this.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const flow of this.flows) destroyFlow(flow);
    this.flows.clear();
    await this.closeServer();
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.connections++;
    client.on('error', () => undefined);
    const flow: Flow = { client };
    if (this.mode === 'reset' || this.closed) {
      client.resetAndDestroy();
      return;
    }
    this.flows.add(flow);
    client.once('close', () => {
      flow.upstream?.destroy();
      this.flows.delete(flow);
    });
    if (this.mode === 'blackhole') return; // stays paused: nothing is read or answered
    const target = this.pick();
    const termination = this.termination;
    if (!target || (termination && !termination.context)) {
      // An NLB with no registered target resets new flows; so does the twin for a TLS listener
      // it has no usable certificate for.
      client.resetAndDestroy();
      return;
    }
    if (termination?.context) {
      this.acceptTls(flow, target, termination.context);
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port });
    flow.upstream = upstream;
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    // A reset of a client whose write side is already ending fails with EINVAL, and Node 20 then
    // never releases the socket (the process spins at exit): destroy it plainly in that case.
    upstream.on('error', () => (client.writableEnded ? client.destroy() : client.resetAndDestroy()));
    upstream.once('close', () => client.destroy());
    upstream.once('connect', () => {
      if (this.mode) return;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  /**
   * A TLS listener's flow: the client's handshake is answered at once with the listener's
   * certificate (decrypted bytes wait in the TLS socket), the target is connected meanwhile,
   * over TLS without verifying its certificate when its group is TLS, else in the clear.
   */
  private acceptTls(flow: Flow, target: Target, context: tls.SecureContext): void {
    const raw = flow.client;
    raw.setNoDelay(true);
    const client = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
    client.on('error', () => undefined); // a failed handshake ends in 'close' below
    flow.client = client;
    client.once('close', () => {
      flow.upstream?.destroy();
      raw.destroy();
    });
    const upstream = target.tls
      ? tls.connect({ host: target.host, port: target.port, rejectUnauthorized: false })
      : net.connect({ host: target.host, port: target.port });
    flow.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', () => client.destroy());
    upstream.once('close', () => client.destroy());
    upstream.once(target.tls ? 'secureConnect' : 'connect', () => {
      if (this.mode) return;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  private pick(): Target | undefined {
    if (this.targets.length === 0) return undefined;
    const target = this.targets[this.next % this.targets.length];
    this.next = (this.next + 1) % this.targets.length;
    return target;
  }
}

function sameTargets(a: Target[], b: Target[]): boolean {
  return (
    a.length === b.length &&
    a.every((t, i) => t.host === b[i]?.host && t.port === b[i]?.port && !!t.tls === !!b[i]?.tls)
  );
}

function freeze(flow: Flow): void {
  flow.client.unpipe();
  flow.upstream?.unpipe();
  flow.client.pause();
  flow.upstream?.pause();
}

function destroyFlow(flow: Flow): void {
  flow.upstream?.destroy();
  flow.client.destroy();
}
