// MSK managed VPC connections (multi-VPC private connectivity) in the network twin. MSK makes, for
// each connection, PrivateLink plumbing in the client's VPC: an endpoint whose address the brokers'
// VPC connectivity names resolve to inside that VPC, and a load balancer on the cluster side that
// listens on 14001-14100 and forwards broker N's port (14000+N) to broker N ("Step 3: Cross-account
// user actions to configure client-managed VPC connections", MSK developer guide). The twin gives
// every AVAILABLE connection one loopback address from the shared pool, answers
// b-<id>.<scheme>.<cluster domain> with it in the connection's account (and VPC) view, and on it
// runs one TCP proxy per broker, 14000+id -> that broker's VPC connectivity listener on the real
// Kafka cluster (vpc-listeners.ts). A connection in any other state (CREATING, INACTIVE, REJECTED,
// DELETING, ...) has no address: its names stop resolving and its proxies close.
import { TcpProxy, type BreakMode, type Target } from './proxy.js';
import type { AccountClients } from './aws-clients.js';
import {
  observeClusterBrokers,
  observeVpcConnections,
  type ObservedClusterBroker,
  type ObservedVpcConnection,
} from './observe.js';
import {
  schemeOfAuthentication,
  vpcBindPort,
  vpcBrokerName,
  vpcConnectivityPort,
  type VpcConnectivityScheme,
} from '../kafka/vpc-listeners.js';

/** A managed VPC connection as the network twin serves it. */
export interface VpcConnectionBinding {
  /** The VPC connection's ARN. */
  arn: string;
  /** The account that made it (its VPC's); its names answer in that account's view. */
  account: string;
  region: string;
  vpcId: string;
  clusterArn: string;
  /** SASL_IAM, SASL_SCRAM or TLS. */
  authentication: string;
  scheme?: VpcConnectivityScheme;
  ip: string;
  /** b-<id>.<scheme>.<cluster domain>, one per broker, answered with `ip`. */
  dnsNames: string[];
  /** One per broker: 14000+id -> the broker's VPC connectivity listener (none for IAM: connections reset). */
  listeners: Array<{ port: number; targets: Target[]; connections: number }>;
  broken?: BreakMode;
}

export interface VpcConnectionTrackerOptions {
  /** SDK clients of an account in a Region (the network twin's). */
  client: (account: string, region: string) => AccountClients;
  /** The network twin's address pool. */
  pool: { take(): string; release(ip: string): void };
  /** A break stopEndpoint set for this ARN (new proxies start broken). */
  breakOf: (id: string) => BreakMode | undefined;
  log: (message: string) => void;
}

export interface VpcConnectionTracker {
  /**
   * Reads every account's connections in every Region (ListVpcConnections) and the brokers of
   * the clusters the AVAILABLE ones connect to (ListNodes with the cluster owner's clients).
   * Failed readings keep the last good one and are pushed to `errors`. Only calls the AWS twin:
   * a poll starts it alongside its other readings.
   */
  read(accounts: string[], regions: string[], errors: string[]): Promise<void>;
  /** Brings addresses and proxies in line with the last reading (local work only). */
  apply(): Promise<void>;
  list(): VpcConnectionBinding[];
  addressOf(arn: string): string | undefined;
  proxiesOf(arn: string): TcpProxy[];
  close(): Promise<void>;
}

interface State {
  conn: ObservedVpcConnection;
  region: string;
  ip: string;
  dnsNames: string[];
  proxies: Map<number, TcpProxy>;
}

export function trackVpcConnections(opts: VpcConnectionTrackerOptions): VpcConnectionTracker {
  const states = new Map<string, State>();
  const lastConnections = new Map<string, ObservedVpcConnection[]>();
  const lastBrokers = new Map<string, ObservedClusterBroker[]>();

  const describe = (err: unknown): string =>
    err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const regionOf = (arn: string): string => arn.split(':')[3] ?? '';
  const accountOf = (arn: string): string => arn.split(':')[4] ?? '';

  async function release(s: State): Promise<void> {
    await Promise.all([...s.proxies.values()].map((p) => p.close()));
    opts.pool.release(s.ip);
  }

  async function apply(s: State, brokers: ObservedClusterBroker[]): Promise<void> {
    const scheme = schemeOfAuthentication(s.conn.authentication);
    s.dnsNames = scheme ? brokers.map((b) => vpcBrokerName(b.endpoint, scheme)) : [];
    const wanted = new Map<number, Target[]>();
    for (const b of brokers) {
      const bind = scheme ? vpcBindPort(scheme, b.id) : undefined;
      // No listener behind an IAM connection: the proxy accepts and resets, as a load balancer
      // with nothing behind it does.
      wanted.set(vpcConnectivityPort(b.id), bind === undefined ? [] : [{ host: b.ip, port: bind }]);
    }
    for (const [port, proxy] of s.proxies) {
      if (wanted.has(port)) continue;
      s.proxies.delete(port);
      await proxy.close();
    }
    for (const [port, targets] of wanted) {
      const existing = s.proxies.get(port);
      if (existing) {
        existing.setTargets(targets);
        continue;
      }
      const proxy = new TcpProxy(s.ip, port, targets);
      try {
        const mode = opts.breakOf(s.conn.arn);
        if (mode) await proxy.break(mode);
        await proxy.start();
        s.proxies.set(port, proxy);
      } catch (err) {
        // Retried on the next poll.
        opts.log(`proxy ${s.ip}:${port} for VPC connection ${s.conn.arn} failed to start: ${describe(err)}`);
      }
    }
  }

  /** AVAILABLE connections of the last reading, by ARN. */
  let available = new Map<string, { conn: ObservedVpcConnection; region: string }>();

  return {
    async read(accounts, regions, errors) {
      await Promise.all(
        accounts.flatMap((account) =>
          regions.map(async (region) => {
            try {
              lastConnections.set(
                `${account}@${region}`,
                await observeVpcConnections(opts.client(account, region)),
              );
            } catch (err) {
              errors.push(`VPC connections ${account} ${region}: ${describe(err)}`);
            }
          }),
        ),
      );
      const next = new Map<string, { conn: ObservedVpcConnection; region: string }>();
      for (const account of accounts)
        for (const region of regions)
          for (const conn of lastConnections.get(`${account}@${region}`) ?? [])
            if (conn.state === 'AVAILABLE') next.set(conn.arn, { conn, region });

      // Brokers of the clusters in use, read with the cluster owner's clients in the cluster's Region.
      const clusters = new Set([...next.values()].map((a) => a.conn.targetClusterArn));
      for (const arn of lastBrokers.keys()) if (!clusters.has(arn)) lastBrokers.delete(arn);
      await Promise.all(
        [...clusters].map(async (arn) => {
          try {
            lastBrokers.set(
              arn,
              await observeClusterBrokers(opts.client(accountOf(arn), regionOf(arn)), arn),
            );
          } catch (err) {
            errors.push(`MSK brokers of ${arn}: ${describe(err)}`);
          }
        }),
      );
      available = next;
    },
    async apply() {
      for (const [arn, s] of states) {
        if (available.has(arn)) continue;
        states.delete(arn);
        await release(s);
        opts.log(`VPC connection ${arn} no longer AVAILABLE: released ${s.ip}`);
      }
      for (const { conn, region } of available.values()) {
        let s = states.get(conn.arn);
        if (!s) {
          s = { conn, region, ip: opts.pool.take(), dnsNames: [], proxies: new Map() };
          states.set(conn.arn, s);
          opts.log(`VPC connection ${conn.arn} (${conn.account}, ${conn.authentication}) AVAILABLE: ${s.ip}`);
        }
        s.conn = conn;
        await apply(s, lastBrokers.get(conn.targetClusterArn) ?? []);
      }
    },
    list: () =>
      [...states.values()].map((s) => {
        const scheme = schemeOfAuthentication(s.conn.authentication);
        const mode = opts.breakOf(s.conn.arn);
        return {
          arn: s.conn.arn,
          account: s.conn.account,
          region: s.region,
          vpcId: s.conn.vpcId,
          clusterArn: s.conn.targetClusterArn,
          authentication: s.conn.authentication,
          ...(scheme ? { scheme } : {}),
          ip: s.ip,
          dnsNames: [...s.dnsNames],
          listeners: [...s.proxies.values()]
            .sort((a, b) => a.port - b.port)
            .map((p) => ({ port: p.port, targets: p.currentTargets(), connections: p.connections })),
          ...(mode ? { broken: mode } : {}),
        };
      }),
    addressOf: (arn) => states.get(arn)?.ip,
    proxiesOf: (arn) => [...(states.get(arn)?.proxies.values() ?? [])],
    async close() {
      for (const s of states.values()) await release(s);
      states.clear();
    },
  };
}
