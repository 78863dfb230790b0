// A TCP proxy standing in for one NLB listener reached through one interface endpoint, or
// through the NLB's own address: it listens on that loopback address and the listener's port
// and spreads new connections round robin over the listener's targets, as an NLB does per flow.
import net from 'node:net';

export interface Target {
  host: string;
  port: number;
}

/**
 * How a broken path behaves: `refuse` closes the listening socket (connection refused),
 * `reset` accepts then resets, `blackhole` accepts and never forwards (the client times
 * out, as with a security group or route that drops packets).
 */
export type BreakMode = 'refuse' | 'reset' | 'blackhole';

interface Flow {
  client: net.Socket;
  upstream?: net.Socket;
}

export class TcpProxy {
  readonly host: string;
  readonly port: number;
  private targets: Target[] = [];
  private next = 0;
  private server?: net.Server;
  private readonly flows = new Set<Flow>();
  private mode?: BreakMode;
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
    if (!target) {
      // An NLB with no registered target resets new flows.
      client.resetAndDestroy();
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

  private pick(): Target | undefined {
    if (this.targets.length === 0) return undefined;
    const target = this.targets[this.next % this.targets.length];
    this.next = (this.next + 1) % this.targets.length;
    return target;
  }
}

function sameTargets(a: Target[], b: Target[]): boolean {
  return a.length === b.length && a.every((t, i) => t.host === b[i]?.host && t.port === b[i]?.port);
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
