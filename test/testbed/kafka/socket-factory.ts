// kafkajs socket factory that reaches a broker name through an address of our choosing
// (a map, or later the network twin's DNS server) while TLS keeps the broker name for SNI
// and hostname verification, as a client in a consumer VPC would see it.
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

/** Returns the IPv4 or IPv6 address for a host name; throw or return '' when unknown. */
export type HostLookup = (host: string) => Promise<string> | string;

const KEEP_ALIVE_DELAY_MS = 60_000; // same as kafkajs' default factory

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * Adapts a HostLookup to the `lookup` option of net/tls.connect. kafkajs' factory must
 * return a socket synchronously, so an asynchronous lookup cannot run before connect;
 * the socket's own lookup hook lets it run inside connect instead, with `host` left as
 * the broker name (which tls then uses as servername and for the identity check).
 */
export function connectLookup(lookup: HostLookup): net.LookupFunction {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    Promise.resolve()
      .then(() => lookup(hostname))
      .then(
        (address) => {
          const family = net.isIP(address);
          if (family === 0) {
            const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
            err.code = 'ENOTFOUND';
            callback(err, options.all ? [] : '');
            return;
          }
          // Node 20 connects with autoSelectFamily, which asks for all addresses.
          if (options.all) callback(null, [{ address, family }]);
          else callback(null, address, family);
        },
        (error: unknown) => {
          const err: NodeJS.ErrnoException =
            error instanceof Error ? error : new Error(`lookup of ${hostname} failed: ${String(error)}`);
          err.code ??= 'ENOTFOUND';
          callback(err, options.all ? [] : '');
        },
      );
  };
}

/**
 * A kafkajs socketFactory that resolves broker host names with `lookup`.
 * `tlsOpts` (e.g. `{ ca, rejectUnauthorized: true }`) apply to TLS connections and are
 * overridden by the client's own `ssl` settings when both set the same option.
 */
export function resolvingSocketFactory(
  lookup: HostLookup,
  tlsOpts: tls.ConnectionOptions = {},
): ISocketFactory {
  const hook = connectLookup(lookup);
  return ({ host, port, ssl, onConnect }) => {
    // kafkajs passes `ssl: true` through unchanged when the client was given `ssl: true`.
    const clientSsl: tls.ConnectionOptions | undefined =
      typeof ssl === 'object' && ssl !== null ? ssl : (ssl as unknown) === true ? {} : undefined;
    const socket = clientSsl
      ? tls.connect(
          {
            ...(net.isIP(host) ? {} : { servername: host }),
            ...tlsOpts,
            ...clientSsl,
            host,
            port,
            lookup: hook,
          },
          onConnect,
        )
      : net.connect({ host, port, lookup: hook }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    return socket;
  };
}

/** A HostLookup over a fixed name -> address table (names compared case-insensitively). */
export function mapLookup(table: Record<string, string>): HostLookup {
  const lower = new Map(Object.entries(table).map(([k, v]) => [k.toLowerCase(), v]));
  return (host) => lower.get(host.toLowerCase()) ?? '';
}
