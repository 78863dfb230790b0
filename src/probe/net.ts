// Network primitives of the probe: a resolver (system or a chosen server), a TCP connect and a TLS
// handshake with deadlines, and a kafkajs socketFactory that resolves broker names through that
// resolver while TLS keeps the broker name (SNI and hostname verification).
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

/** Resolves a name to its IPv4/IPv6 addresses (sorted); rejects with a `code` (ENOTFOUND ...). */
export interface NameResolver {
  /** For messages: "127.0.0.1:53" or "the system resolver". */
  label: string;
  resolve(name: string): Promise<string[]>;
}

export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function codeOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERROR';
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Rejects with code ETIMEOUT after `ms` unless `p` settles first. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CodedError('ETIMEOUT', `${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** "HOST[:PORT]" or "[v6]:PORT" -> the form Resolver.setServers takes; rejects names (it needs an IP). */
export function parseDnsServer(spec: string): { host: string; port: number; server: string } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec) ?? /^([^:]+)(?::(\d+))?$/.exec(spec);
  const host = m?.[1];
  const port = m?.[2] === undefined ? 53 : Number(m[2]);
  if (host === undefined || net.isIP(host) === 0 || !(port >= 1 && port <= 65535)) {
    throw new Error(`must be IP[:PORT] (e.g. 10.20.0.2 or 127.0.0.1:5353), got "${spec}"`);
  }
  return { host, port, server: net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}` };
}

/** Asks one DNS server (A then AAAA), one try, within `timeoutMs`. */
export function serverResolver(spec: string, timeoutMs: number): NameResolver {
  const { server } = parseDnsServer(spec);
  const r = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
  r.setServers([server]);
  return {
    label: server,
    async resolve(name) {
      const v4 = await withDeadline(r.resolve4(name), timeoutMs + 250, `DNS ${name}`).catch(
        (e: unknown) => e,
      );
      if (Array.isArray(v4) && v4.length > 0) return [...(v4 as string[])].sort();
      // An IPv6-only answer is still an answer; otherwise report the A query's error.
      const v6 = await withDeadline(r.resolve6(name), timeoutMs + 250, `DNS ${name}`).catch(() => []);
      if (v6.length > 0) return [...v6].sort();
      if (v4 instanceof Error) throw v4;
      throw new CodedError('ENODATA', `no A record for ${name}`);
    },
  };
}

/** getaddrinfo, as most Kafka clients resolve (hosts file, VPC resolver), within `timeoutMs`. */
export function systemResolver(timeoutMs: number): NameResolver {
  return {
    label: 'the system resolver',
    async resolve(name) {
      const all = await withDeadline(dns.promises.lookup(name, { all: true }), timeoutMs, `DNS ${name}`);
      return [...new Set(all.map((a) => a.address))].sort();
    },
  };
}

/**
 * Opens a TCP connection, holds it `holdMs` and closes it; rejects with the socket's code, ETIMEOUT,
 * or ECONNRESET when the peer drops it at once (an NLB with no target accepts, then resets).
 */
export function tcpConnect(address: string, port: number, timeoutMs: number, holdMs = 100): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    let hold: NodeJS.Timeout | undefined;
    const done = (err?: Error) => {
      clearTimeout(timer);
      clearTimeout(hold);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () => done(new CodedError('ETIMEOUT', `connect ${address}:${port} timed out`)),
      timeoutMs,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      hold = setTimeout(() => done(), holdMs);
    });
    socket.once('error', (e) => done(e));
    socket.once('end', () =>
      done(new CodedError('ECONNRESET', `${address}:${port} closed the connection at once`)),
    );
  });
}

/** A TLS handshake with `servername` verified against the certificate; rejects with Node's code. */
export function tlsHandshake(
  address: string,
  port: number,
  servername: string,
  opts: tls.ConnectionOptions,
  timeoutMs: number,
): Promise<{ protocol: string | null; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      ...opts,
      host: address,
      port,
      rejectUnauthorized: true,
      // An IP as the name gets no SNI; Node then checks the certificate against the IP.
      ...(net.isIP(servername) ? {} : { servername }),
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername, cert),
    });
    const finish = (err?: Error, value?: { protocol: string | null; authorized: boolean }) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (err) reject(err);
      else resolve(value as { protocol: string | null; authorized: boolean });
    };
    const timer = setTimeout(
      () => finish(new CodedError('ETIMEOUT', `TLS handshake with ${address}:${port} timed out`)),
      timeoutMs,
    );
    socket.once('secureConnect', () =>
      finish(undefined, { protocol: socket.getProtocol(), authorized: socket.authorized }),
    );
    socket.once('error', (e) => finish(e));
    socket.once('end', () =>
      finish(new CodedError('ECONNRESET', 'socket disconnected before the TLS handshake')),
    );
  });
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` hook for net/tls.connect over a NameResolver: kafkajs needs the socket synchronously,
 * so the resolution runs inside connect, with `host` left as the broker name for TLS.
 */
export function lookupHook(resolver: NameResolver): net.LookupFunction {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    const fail = (e: unknown) => {
      const err: NodeJS.ErrnoException = e instanceof Error ? e : new Error(String(e));
      err.code ??= 'ENOTFOUND';
      callback(err, options.all ? [] : '');
    };
    if (net.isIP(hostname) !== 0) {
      const family = net.isIP(hostname);
      if (options.all) callback(null, [{ address: hostname, family }]);
      else callback(null, hostname, family);
      return;
    }
    resolver.resolve(hostname).then((addresses) => {
      const address = addresses[0];
      if (address === undefined) return fail(new CodedError('ENOTFOUND', `${hostname} does not resolve`));
      const family = net.isIP(address);
      // Node connects with autoSelectFamily, which asks for all addresses.
      if (options.all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    }, fail);
  };
}

/**
 * kafkajs socketFactory: names through `resolver`, TLS to the broker name with `tlsDefaults`.
 * With `pin`, every connection goes to that host:port whatever kafkajs asks for: kafkajs sends
 * metadata requests to any broker it knows, and a per-broker check must stay on that broker's path.
 */
export function resolvingSocketFactory(
  resolver: NameResolver,
  tlsDefaults: tls.ConnectionOptions = {},
  pin?: { host: string; port: number },
): ISocketFactory {
  const lookup = lookupHook(resolver);
  return (args) => {
    const { ssl, onConnect } = args;
    const host = pin?.host ?? args.host;
    const port = pin?.port ?? args.port;
    // kafkajs hands over `ssl: true` unchanged when the client was configured with `ssl: true`.
    const clientSsl: tls.ConnectionOptions | undefined =
      typeof ssl === 'object' && ssl !== null ? ssl : (ssl as unknown) === true ? {} : undefined;
    const socket = clientSsl
      ? tls.connect(
          {
            ...tlsDefaults,
            ...clientSsl,
            host,
            port,
            lookup,
            ...(net.isIP(host) ? {} : { servername: host }),
          },
          onConnect,
        )
      : net.connect({ host, port, lookup }, onConnect);
    socket.setKeepAlive(true, 60_000); // as kafkajs' default factory
    return socket;
  };
}
