// MSK-like Kafka cluster for the testbed: N brokers, each on its own loopback address with
// MSK's listener names, ports, broker names and a wildcard certificate from a test CA made at
// startup, and MSK's SASL/SCRAM listener with one user made at startup. Metadata either in
// ZooKeeper (the default; MSK provisioned clusters before 3.7.x.kraft, where advertised.listeners
// can change at run time, KIP-226) or KRaft (one dedicated controller, see kraft.ts). Brokers
// can be restarted with other advertised listeners (what an MSK rolling restart does for
// custom.advertised.listeners) and added, up to 9.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Admin, type ISocketFactory, type SASLOptions } from 'kafkajs';
import {
  CONTROLLER_PORT,
  CONTROLLER_PROTOCOL,
  controllerSettings,
  formatBrokerStorage,
  formatStorage,
  kraftBrokerSettings,
  randomKafkaUuid,
} from './kraft.js';
import {
  checkVpcListeners,
  VPC_LISTENERS,
  type VpcConnectivityScheme,
  type VpcListeners,
} from './vpc-listeners.js';

const execFileP = promisify(execFile);

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const LIB_DIR = path.join(ROOT, '.cache/kafka/lib');
const CLASSPATH = path.join(LIB_DIR, '*');
const FETCH_SCRIPT = path.join(HERE, 'fetch-kafka.sh');

/** MSK's listener ports. */
export const MSK_PORTS = {
  plaintext: 9092,
  replication: 9093,
  tls: 9094,
  replicationSecure: 9095,
  saslScram: 9096,
} as const;
/** MSK's listener names and the port each listens on. */
export const MSK_LISTENERS = {
  CLIENT: MSK_PORTS.plaintext,
  CLIENT_SECURE: MSK_PORTS.tls,
  CLIENT_SASL_SCRAM: MSK_PORTS.saslScram,
  REPLICATION: MSK_PORTS.replication,
  REPLICATION_SECURE: MSK_PORTS.replicationSecure,
} as const;
export type MskListenerName = keyof typeof MSK_LISTENERS;
const LISTENER_NAMES = Object.keys(MSK_LISTENERS) as MskListenerName[];
const PROTOCOL_MAP =
  'CLIENT:PLAINTEXT,CLIENT_SECURE:SSL,CLIENT_SASL_SCRAM:SASL_SSL,REPLICATION:PLAINTEXT,REPLICATION_SECURE:SSL';
/** Broker ids (and the last octet of their addresses) go up to this. */
export const MAX_BROKERS = 9;
/** The SASL/SCRAM user every cluster has (MSK's SCRAM is SHA-512 only). */
export const SCRAM_USER = 'probe-user';
export const SCRAM_MECHANISM = 'SCRAM-SHA-512';
const SCRAM_ITERATIONS = 8192;
const ZK_PORT = 2181;
const KEYSTORE_PASSWORD = 'testbed-keystore';
const JAVA_OPTS = [
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-XX:-UsePerfData',
  '-Djava.awt.headless=true',
];

export type MetadataMode = 'zookeeper' | 'kraft';

export interface KafkaBroker {
  id: number;
  /** Client-facing name, e.g. b-1.payments.abc123.c2.kafka.us-east-2.amazonaws.com */
  host: string;
  /** Inter-broker name, e.g. b-1-internal.payments.abc123.c2.kafka.us-east-2.amazonaws.com */
  internalHost: string;
  ip: string;
  /** Where the broker listens (advertised overrides change what it tells clients, not these). */
  ports: { plaintext: number; tls: number; saslScram: number };
  /** The current JVM (a restart changes it). */
  pid: number;
  logFile: string;
}

export interface KafkaTestCluster {
  clusterName: string;
  clusterId: string;
  domain: string;
  region: string;
  metadataMode: MetadataMode;
  /** Grows with addBroker. */
  brokers: KafkaBroker[];
  /** MSK-style bootstrap strings (GetBootstrapBrokers' BootstrapBrokerString, ...Tls, ...SaslScram). */
  bootstrap: { plaintext: string; tls: string; saslScram: string };
  /** The SASL/SCRAM user made at start (SCRAM-SHA-512 on CLIENT_SASL_SCRAM, 9096); no ACLs apply. */
  scram: { username: string; password: string };
  /**
   * ZooKeeper mode: the ZooKeeper server. KRaft mode: the controller (the same as `controller`),
   * so code that records the cluster's processes and ports covers both modes unchanged.
   */
  zookeeper: { host: string; port: number; pid: number };
  /** KRaft mode only: the dedicated controller (process.roles=controller, a quorum of one). */
  controller?: { host: string; port: number; pid: number };
  /** Every broker name (client and internal) -> loopback address. */
  addresses: Record<string, string>;
  caPath: string;
  caPem: string;
  hostsFile: string;
  logDir: string;
  workDir: string;
  /** Wall time of startKafka, jar fetch excluded. */
  startupMs: number;
  /**
   * Restarts a broker (SIGTERM, controlled shutdown, same data) advertising `advertised`
   * (listener name -> 'host:port') instead of MSK's default for those listeners; the full
   * desired set, so undefined or {} means all defaults. `vpc` (scheme -> advertised
   * 'b-<id>.<scheme>.<domain>:<14000+id>', what UpdateConnectivity gives a broker) adds one
   * listener per scheme (vpc-listeners.ts: scram on 14000+id, tls on 14100+id, none for iam);
   * also the full set, undefined or {} meaning none. Resolves once the broker answers TLS, every
   * broker's metadata shows it as advertised, its VPC listeners accept connections, and it is
   * back in the ISR of every partition it replicates (so a next restart keeps min.insync.replicas).
   */
  restartBroker(id: number, advertised?: Record<string, string>, vpc?: VpcListeners): Promise<void>;
  /** The advertised-listener overrides the broker runs with now ({} = MSK's defaults). */
  advertisedOverrides(id: number): Record<string, string>;
  /** The multi-VPC connectivity listeners the broker runs with now (scheme -> advertised; {} = none). */
  vpcListeners(id: number): VpcListeners;
  /**
   * Starts broker N+1 (address ipPrefix.N+1, names b-N+1 and b-N+1-internal); resolves once it
   * is in every broker's metadata and takes TLS and the SCRAM user. Updates brokers, bootstrap
   * and addresses. `vpc` as for restartBroker.
   */
  addBroker(advertised?: Record<string, string>, vpc?: VpcListeners): Promise<KafkaBroker>;
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  /** 'zookeeper' (default) or 'kraft'. */
  metadataMode?: MetadataMode;
  /** First three octets of the loopback addresses: brokers get .1..N, ZooKeeper or the controller .100. */
  ipPrefix?: string;
  clusterName?: string;
  clusterId?: string;
  region?: string;
  brokers?: number;
  /** Wiped at start. Default .cache/kafka/run-<ipPrefix> in the repository. */
  workDir?: string;
  /** Max wait for the cluster to answer (also for each restartBroker and addBroker). */
  timeoutMs?: number;
  /** Broker heap, e.g. '384m'. */
  brokerHeap?: string;
  /** The SASL/SCRAM user; default SCRAM_USER with a random password per start. */
  scram?: { username?: string; password?: string };
}

interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<void>;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

type BrokerSpec = Pick<KafkaBroker, 'id' | 'host' | 'internalHost' | 'ip'>;

/** Everything a broker's configuration and the readiness checks need. */
interface Ctx {
  mode: MetadataMode;
  workDir: string;
  logDir: string;
  hostsFile: string;
  caPath: string;
  keystorePath: string;
  heap: string;
  /** ZooKeeper's or the controller's address. */
  metaHost: string;
  /** KRaft: the cluster id every node's storage is formatted with. */
  kafkaClusterId: string;
  topicDefaults: Record<string, string | number | boolean>;
  brokerLog4j: string;
  toolsLog4j: string;
  scram: { username: string; password: string };
}

export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaTestCluster> {
  const mode = opts.metadataMode ?? 'zookeeper';
  const ipPrefix = opts.ipPrefix ?? '127.0.2';
  const clusterName = opts.clusterName ?? 'payments';
  const clusterId = opts.clusterId ?? 'abc123';
  const region = opts.region ?? 'us-east-2';
  const count = opts.brokers ?? 3;
  const workDir = path.resolve(opts.workDir ?? path.join(ROOT, '.cache/kafka', `run-${ipPrefix}`));
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const scram = {
    username: opts.scram?.username ?? SCRAM_USER,
    password: opts.scram?.password ?? randomBytes(18).toString('base64url'),
  };
  // ConfigCommand's value syntax ([iterations=..,password=..]) has no quoting, nor has
  // kafka-storage's --add-scram beyond a quoted password.
  if (!/^[A-Za-z0-9_.@-]+$/.test(scram.username) || !/^[A-Za-z0-9_.@-]+$/.test(scram.password))
    throw new Error('the SCRAM user name and password may hold only letters, digits and _ . @ -');
  if (mode !== 'zookeeper' && mode !== 'kraft')
    throw new Error(`metadataMode must be zookeeper or kraft: ${String(mode)}`);
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(ipPrefix))
    throw new Error(`ipPrefix must look like 127.x.y: ${ipPrefix}`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_BROKERS)
    throw new Error(`brokers must be 1..${MAX_BROKERS}: ${count}`);

  await ensureJars();
  const started = Date.now();

  await killStale(workDir);
  fs.rmSync(workDir, { recursive: true, force: true });
  const logDir = path.join(workDir, 'logs');
  const certDir = path.join(workDir, 'tls');
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(certDir, { recursive: true });

  const domain = `${clusterName}.${clusterId}.c2.kafka.${region}.amazonaws.com`;
  const metaHost = `${ipPrefix}.100`;
  const metaPort = mode === 'kraft' ? CONTROLLER_PORT : ZK_PORT;
  const specs = Array.from({ length: count }, (_, i) => brokerSpec(i + 1, ipPrefix, domain));

  await assertPortsFree([[metaHost, metaPort], ...specs.flatMap(brokerEndpoints)]);

  const addresses: Record<string, string> = {};
  for (const b of specs) {
    addresses[b.host] = b.ip;
    addresses[b.internalHost] = b.ip;
  }
  // The JVMs resolve only through this file (-Djdk.net.hosts.file), so it also carries
  // localhost and this machine's name, which the JDK looks up at times. It names every broker
  // addBroker may add (ids up to MAX_BROKERS): the JDK's hosts-file resolver rereads the file
  // at each lookup, but InetAddress caches a failed lookup for 10 s
  // (networkaddress.cache.negative.ttl), and brokers resolve a new broker's internal name as
  // soon as it is in their metadata.
  const hostsFile = path.join(workDir, 'hosts');
  fs.writeFileSync(
    hostsFile,
    [
      `127.0.0.1 localhost ${os.hostname()}`,
      ...Array.from({ length: MAX_BROKERS }, (_, i) => brokerSpec(i + 1, ipPrefix, domain)).map(
        (b) => `${b.ip} ${b.host} ${b.internalHost}`,
      ),
      '',
    ].join('\n'),
  );

  // The certificates (openssl, ~1 s) are made while ZooKeeper starts or the controller's
  // storage is formatted; brokers need them, those two do not.
  const certs = makeCerts(certDir, domain);
  certs.catch(() => undefined); // awaited below
  const { caPath, keystorePath } = certPaths(certDir);
  let caPem = '';
  const ctx: Ctx = {
    mode,
    workDir,
    logDir,
    hostsFile,
    caPath,
    keystorePath,
    heap: opts.brokerHeap ?? '384m',
    metaHost,
    kafkaClusterId: randomKafkaUuid(),
    topicDefaults: topicDefaults(count),
    brokerLog4j: writeLog4j(workDir, 'broker'),
    toolsLog4j: writeLog4j(workDir, 'tools', 'WARN'),
    scram,
  };

  // Current processes: the metadata process first, then one per broker (a restart replaces
  // that broker's entry).
  const procs: Proc[] = [];
  const pidFile = path.join(workDir, 'pids');
  // First line: the process that owns the JVMs, so a later start can tell a live cluster
  // (refused) from one a crashed run left behind (killed).
  const recordPids = (): void =>
    fs.writeFileSync(
      pidFile,
      [`owner ${process.pid}`, ...procs.map((p) => String(p.child.pid))].join('\n') + '\n',
    );
  // Last resort if the test process exits without stop(): no JVM outlives it.
  const killOnExit = (): void => {
    for (const p of procs) if (!p.exit && p.child.pid) killGroup(p.child.pid, 'SIGKILL');
  };
  process.on('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // Brokers first (their shutdown talks to ZooKeeper or the controller), then the rest.
      const metadata = procs[0];
      await Promise.all(procs.filter((p) => p !== metadata).map((p) => stopProc(p)));
      if (metadata) await stopProc(metadata);
      process.off('exit', killOnExit);
      fs.rmSync(pidFile, { force: true });
    })();
    return stopping;
  };

  const brokers: KafkaBroker[] = [];
  const overrides = new Map<number, Record<string, string>>();
  const vpcOverrides = new Map<number, VpcListeners>();
  try {
    if (mode === 'zookeeper') {
      procs.push(startZooKeeper(ctx));
      recordPids();
      await Promise.all([
        certs,
        waitUntil(
          () => tcpOpen(metaHost, ZK_PORT),
          () => deathError(procs),
          30_000,
          `ZooKeeper did not listen on ${metaHost}:${ZK_PORT}`,
          logDir,
        ),
      ]);
    } else {
      // The controller's storage by kafka-storage format, with the SCRAM user; the brokers'
      // need only meta.properties (see formatBrokerStorage).
      const controllerConfig = path.join(workDir, 'controller.properties');
      fs.writeFileSync(
        controllerConfig,
        props(
          controllerSettings({
            host: metaHost,
            dataDir: path.join(workDir, 'controller-data'),
            topicDefaults: ctx.topicDefaults,
          }),
        ),
      );
      await Promise.all([certs, formatController(ctx, controllerConfig)]);
      for (const b of specs) formatBroker(ctx, b.id);
      // Brokers start alongside: they retry the controller until it answers.
      procs.push(
        spawnJava(
          'controller',
          [
            '-Xms32m',
            '-Xmx256m',
            ...JAVA_OPTS,
            `-Dlog4j.configuration=file:${ctx.brokerLog4j}`,
            `-Dkafka.logs.dir=${logDir}`,
            '-cp',
            CLASSPATH,
            'kafka.Kafka',
            controllerConfig,
          ],
          path.join(logDir, 'controller.log'),
        ),
      );
    }

    caPem = fs.readFileSync(caPath, 'utf8');
    for (const b of specs) {
      const proc = spawnBroker(ctx, b, writeBrokerConfig(ctx, b, {}, {}));
      procs.push(proc);
      overrides.set(b.id, {});
      vpcOverrides.set(b.id, {});
      brokers.push({
        ...b,
        ports: { plaintext: MSK_PORTS.plaintext, tls: MSK_PORTS.tls, saslScram: MSK_PORTS.saslScram },
        pid: proc.child.pid ?? 0,
        logFile: proc.logFile,
      });
    }
    recordPids();

    // ZooKeeper mode: the SCRAM user goes into ZooKeeper while the brokers start
    // (ConfigCommand --zookeeper, the ZooKeeper-mode way to add users before any broker
    // answers): brokers load users' credentials at startup and follow later changes, so no
    // step waits for it alone (the JVM and the SCRAM check below add ~1.5 s to the start on a
    // 2-core machine). KRaft mode: the user is in the controller's bootstrap metadata already.
    const userAdded =
      mode === 'zookeeper'
        ? addScramUser({
            zkConnect: `${metaHost}:${ZK_PORT}`,
            workDir,
            logFile: path.join(logDir, 'scram-user.log'),
            log4j: ctx.toolsLog4j,
            scram,
          })
        : Promise.resolve();
    userAdded.catch(() => undefined); // awaited below

    await waitUntil(
      () => clusterReady(brokers, caPem, count),
      () => deathError(procs),
      timeoutMs,
      `Kafka cluster did not register ${count} brokers within ${timeoutMs} ms`,
      logDir,
    );
    await userAdded;
    // Every broker must take the user on its own SASL/SCRAM listener before the cluster is ready.
    await waitUntil(
      () => scramUsable(brokers, caPem, scram),
      () => deathError(procs),
      30_000,
      `SASL/SCRAM user ${scram.username} not accepted by every broker on ${MSK_PORTS.saslScram}`,
      logDir,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const bootstrap = { plaintext: '', tls: '', saslScram: '' };
  const updateBootstrap = (): void => {
    bootstrap.plaintext = brokers.map((b) => `${b.host}:${b.ports.plaintext}`).join(',');
    bootstrap.tls = brokers.map((b) => `${b.host}:${b.ports.tls}`).join(',');
    bootstrap.saslScram = brokers.map((b) => `${b.host}:${b.ports.saslScram}`).join(',');
  };
  updateBootstrap();

  // One restart or addition at a time, like MSK's one operation per cluster.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(op: () => Promise<T>): Promise<T> => {
    const run = queue.then(op, op);
    queue = run.catch(() => undefined);
    return run;
  };
  const assertRunning = (): void => {
    if (stopping) throw new Error('Kafka testbed: the cluster is stopped');
  };

  /** Waits until broker b (with its current overrides) serves and is in every broker's metadata. */
  const waitServing = async (b: BrokerSpec, all: BrokerSpec[], what: string): Promise<void> => {
    const want = advertisedOf(b, overrides.get(b.id) ?? {}).CLIENT_SECURE;
    await waitUntil(
      () => listedEverywhere(b.id, want, all, caPem),
      () => deathError(procs),
      timeoutMs,
      `${what}: broker ${b.id} not in every broker's metadata as ${want.host}:${want.port}`,
      logDir,
    );
    const vpcPorts = vpcBindings(b, vpcOverrides.get(b.id) ?? {});
    await waitUntil(
      async () => (await Promise.all(vpcPorts.map((p) => tcpOpen(b.ip, p)))).every(Boolean),
      () => deathError(procs),
      timeoutMs,
      `${what}: broker ${b.id} does not accept connections on its VPC connectivity ports ${vpcPorts.join(', ')}`,
      logDir,
    );
    await waitUntil(
      () => replicasInSync(b.id, all, caPem),
      () => deathError(procs),
      timeoutMs,
      `${what}: broker ${b.id} not back in the ISR of its partitions`,
      logDir,
    );
  };

  const controller = procs[0]?.child.pid ?? 0;
  const cluster: KafkaTestCluster = {
    clusterName,
    clusterId,
    domain,
    region,
    metadataMode: mode,
    brokers,
    bootstrap,
    scram,
    zookeeper: { host: metaHost, port: metaPort, pid: controller },
    ...(mode === 'kraft' ? { controller: { host: metaHost, port: CONTROLLER_PORT, pid: controller } } : {}),
    addresses,
    caPath,
    caPem,
    hostsFile,
    logDir,
    workDir,
    startupMs: Date.now() - started,
    stop,
    advertisedOverrides(id) {
      const current = overrides.get(id);
      if (!current) throw new Error(`Kafka testbed: no broker ${id}`);
      return { ...current };
    },
    vpcListeners(id) {
      const current = vpcOverrides.get(id);
      if (!current) throw new Error(`Kafka testbed: no broker ${id}`);
      return { ...current };
    },
    restartBroker(id, advertised, vpc) {
      return serialized(async () => {
        assertRunning();
        const b = brokers.find((x) => x.id === id);
        const i = procs.findIndex((p) => p.name === `broker-${id}`);
        const old = procs[i];
        if (!b || !old) throw new Error(`Kafka testbed: no broker ${id}`);
        const wanted = checkOverrides(advertised);
        const wantedVpc = checkVpcListeners(vpc);
        // SIGTERM: a controlled shutdown (CONTROLLED_SHUTDOWN) hands its leaderships over first.
        await stopProc(old, 60_000);
        assertRunning();
        addHostsEntries(ctx, b, wanted);
        const proc = spawnBroker(ctx, b, writeBrokerConfig(ctx, b, wanted, wantedVpc));
        procs[i] = proc;
        recordPids();
        overrides.set(id, wanted);
        vpcOverrides.set(id, wantedVpc);
        b.pid = proc.child.pid ?? 0;
        await waitServing(b, brokers, `restartBroker(${id})`);
      });
    },
    addBroker(advertised, vpc) {
      return serialized(async () => {
        assertRunning();
        const id = Math.max(...brokers.map((b) => b.id)) + 1;
        if (id > MAX_BROKERS) throw new Error(`Kafka testbed: at most ${MAX_BROKERS} brokers`);
        const wanted = checkOverrides(advertised);
        const wantedVpc = checkVpcListeners(vpc);
        const spec = brokerSpec(id, ipPrefix, domain);
        await assertPortsFree([
          ...brokerEndpoints(spec),
          ...vpcBindings(spec, wantedVpc).map((p): [string, number] => [spec.ip, p]),
        ]);
        addHostsEntries(ctx, spec, wanted);
        const configFile = writeBrokerConfig(ctx, spec, wanted, wantedVpc);
        if (mode === 'kraft') formatBroker(ctx, id);
        assertRunning();
        const proc = spawnBroker(ctx, spec, configFile);
        procs.push(proc);
        recordPids();
        overrides.set(id, wanted);
        vpcOverrides.set(id, wantedVpc);
        const broker: KafkaBroker = {
          ...spec,
          ports: { plaintext: MSK_PORTS.plaintext, tls: MSK_PORTS.tls, saslScram: MSK_PORTS.saslScram },
          pid: proc.child.pid ?? 0,
          logFile: proc.logFile,
        };
        try {
          const all = [...brokers, broker];
          await waitServing(broker, all, 'addBroker');
          // The SCRAM user is cluster-wide (ZooKeeper or the metadata log): the new broker has it.
          await waitUntil(
            () => scramUsable([broker], caPem, scram),
            () => deathError(procs),
            30_000,
            `addBroker: SASL/SCRAM user ${scram.username} not accepted by broker ${id}`,
            logDir,
          );
        } catch (error) {
          await stopProc(proc);
          procs.splice(procs.indexOf(proc), 1);
          recordPids();
          overrides.delete(id);
          vpcOverrides.delete(id);
          throw error;
        }
        brokers.push(broker);
        addresses[broker.host] = broker.ip;
        addresses[broker.internalHost] = broker.ip;
        updateBootstrap();
        return broker;
      });
    },
  };
  return cluster;
}

function brokerSpec(id: number, ipPrefix: string, domain: string): BrokerSpec {
  return {
    id,
    host: `b-${id}.${domain}`,
    internalHost: `b-${id}-internal.${domain}`,
    ip: `${ipPrefix}.${id}`,
  };
}

function brokerEndpoints(b: BrokerSpec): [string, number][] {
  return Object.values(MSK_PORTS).map((p): [string, number] => [b.ip, p]);
}

/** Topic defaults, on the brokers and (KRaft, where topics are made there) the controller. */
function topicDefaults(count: number): Record<string, number> {
  return {
    'num.partitions': 1,
    'default.replication.factor': Math.min(3, count),
    'min.insync.replicas': Math.min(2, count),
    'offsets.topic.replication.factor': Math.min(3, count),
    // Few partitions: __consumer_offsets is created on the first consumer, and 50
    // partitions (the default) cost seconds on a 2-core machine.
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': Math.min(3, count),
    'transaction.state.log.min.isr': Math.min(2, count),
    'transaction.state.log.num.partitions': 3,
  };
}

/** MSK's advertised endpoints for a broker, with the overrides applied. */
function advertisedOf(
  b: BrokerSpec,
  over: Record<string, string>,
): Record<MskListenerName, { host: string; port: number }> {
  const entries = LISTENER_NAMES.map((name) => {
    const host = name.startsWith('REPLICATION') ? b.internalHost : b.host;
    const custom = over[name];
    if (!custom) return [name, { host, port: MSK_LISTENERS[name] }] as const;
    const at = custom.lastIndexOf(':');
    return [name, { host: custom.slice(0, at), port: Number(custom.slice(at + 1)) }] as const;
  });
  return Object.fromEntries(entries) as Record<MskListenerName, { host: string; port: number }>;
}

/** A checked copy of advertised-listener overrides: MSK listener names -> 'host:port'. */
function checkOverrides(advertised: Record<string, string> = {}): Record<string, string> {
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(advertised)) {
    if (!(LISTENER_NAMES as string[]).includes(name))
      throw new Error(`Kafka testbed: unknown listener ${name} (one of ${LISTENER_NAMES.join(', ')})`);
    const m = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/.exec(value);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535)
      throw new Error(`Kafka testbed: ${name} must be advertised as host:port, not ${JSON.stringify(value)}`);
    checked[name] = value;
  }
  return checked;
}

/**
 * Replication listeners advertised under another name must resolve in every broker JVM: the
 * name goes into the hosts file, which the JDK rereads at each lookup.
 */
function addHostsEntries(ctx: Ctx, b: BrokerSpec, over: Record<string, string>): void {
  const known = new Set(
    fs
      .readFileSync(ctx.hostsFile, 'utf8')
      .split(/\s+/)
      .map((w) => w.toLowerCase()),
  );
  const names = Object.entries(advertisedOf(b, over))
    .filter(([name]) => name.startsWith('REPLICATION'))
    .map(([, a]) => a.host)
    .filter((h) => net.isIP(h) === 0 && !known.has(h.toLowerCase()));
  if (names.length > 0) fs.appendFileSync(ctx.hostsFile, `${b.ip} ${[...new Set(names)].join(' ')}\n`);
}

function brokerConfigPath(ctx: Ctx, id: number): string {
  return path.join(ctx.workDir, `broker-${id}.properties`);
}

/** The testbed's listeners for a broker's VPC connectivity schemes (none for iam: vpc-listeners.ts). */
function vpcListenerEntries(
  b: BrokerSpec,
  vpc: VpcListeners,
): Array<{
  scheme: VpcConnectivityScheme;
  name: string;
  protocol: string;
  bind: number;
  advertised: string;
}> {
  return (Object.entries(vpc) as Array<[VpcConnectivityScheme, string]>).flatMap(([scheme, advertised]) => {
    const spec = VPC_LISTENERS[scheme];
    return spec
      ? [{ scheme, name: spec.name, protocol: spec.protocol, bind: spec.bindBase + b.id, advertised }]
      : [];
  });
}

/** Ports broker b's VPC connectivity listeners bind on its address. */
function vpcBindings(b: BrokerSpec, vpc: VpcListeners): number[] {
  return vpcListenerEntries(b, vpc).map((l) => l.bind);
}

/**
 * Writes broker b's server.properties with MSK's listeners, the given advertised overrides, and a
 * listener per multi-VPC connectivity scheme in `vpc`.
 */
function writeBrokerConfig(ctx: Ctx, b: BrokerSpec, over: Record<string, string>, vpc: VpcListeners): string {
  const adv = advertisedOf(b, over);
  const extra = vpcListenerEntries(b, vpc);
  const metadata =
    ctx.mode === 'kraft'
      ? kraftBrokerSettings(b.id, ctx.metaHost)
      : {
          'broker.id': b.id,
          'zookeeper.connect': `${ctx.metaHost}:${ZK_PORT}`,
          'zookeeper.session.timeout.ms': 10000,
        };
  const file = brokerConfigPath(ctx, b.id);
  fs.writeFileSync(
    file,
    props({
      ...metadata,
      listeners: [
        ...LISTENER_NAMES.map((n) => `${n}://${b.ip}:${MSK_LISTENERS[n]}`),
        ...extra.map((l) => `${l.name}://${b.ip}:${l.bind}`),
      ].join(','),
      'advertised.listeners': [
        ...LISTENER_NAMES.map((n) => `${n}://${adv[n].host}:${adv[n].port}`),
        ...extra.map((l) => `${l.name}://${l.advertised}`),
      ].join(','),
      'listener.security.protocol.map': [
        PROTOCOL_MAP,
        ...extra.map((l) => `${l.name}:${l.protocol}`),
        ...(ctx.mode === 'kraft' ? [CONTROLLER_PROTOCOL] : []),
      ].join(','),
      'inter.broker.listener.name': 'REPLICATION',
      // SASL/SCRAM like MSK: SHA-512 only, the same certificate as CLIENT_SECURE, users'
      // credentials in ZooKeeper or the metadata log. No authorizer.class.name: no ACLs, any
      // user may do anything.
      'sasl.enabled.mechanisms': SCRAM_MECHANISM,
      [`listener.name.client_sasl_scram.${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config`]:
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      // The VPC connectivity SASL/SCRAM listener authenticates the same users the same way.
      ...Object.fromEntries(
        extra
          .filter((l) => l.protocol === 'SASL_SSL')
          .map((l) => [
            `listener.name.${l.name.toLowerCase()}.${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config`,
            'org.apache.kafka.common.security.scram.ScramLoginModule required;',
          ]),
      ),
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': ctx.keystorePath,
      'ssl.keystore.password': KEYSTORE_PASSWORD,
      'ssl.key.password': KEYSTORE_PASSWORD,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': ctx.caPath,
      'ssl.client.auth': 'none',
      'log.dirs': brokerDataDir(ctx, b.id),
      ...ctx.topicDefaults,
      'group.initial.rebalance.delay.ms': 0,
      'auto.create.topics.enable': true,
      'delete.topic.enable': true,
      'num.network.threads': 2,
      'num.io.threads': 2,
      'background.threads': 2,
      'num.recovery.threads.per.data.dir': 1,
      'log.cleaner.threads': 1,
      'log.cleaner.dedupe.buffer.size': 8 * 1024 * 1024, // default 128 MiB would eat the heap
      ...CONTROLLED_SHUTDOWN,
    }),
  );
  return file;
}

/**
 * Controlled shutdown on SIGTERM (Kafka's default; MSK's rolling restarts stop brokers this
 * way): the broker hands its leaderships over, and leaves the ISRs, before it stops. Measured
 * here (2 cores, kafkajs producing with acks=all to 3 partitions led by brokers 1-3 while
 * restartBroker(2) runs): in KRaft, without it the slowest send takes 5.6-7 s, until the
 * controller fences the silent broker (broker.session.timeout.ms, kraft.ts) and drops it from
 * the ISRs; with it 0.2-1.4 s. ZooKeeper mode: 0.3-1.2 s without, 0.1-1.4 s with (the broker's
 * ZooKeeper session ends at shutdown either way). The cost: stop() of a ZooKeeper-mode cluster
 * ~1.9 s instead of ~0.8 s (KRaft ~1.1 s either way). Retries every 500 ms, not 5 s, when the
 * controller is busy (ZooKeeper mode).
 */
const CONTROLLED_SHUTDOWN = {
  'controlled.shutdown.enable': true,
  'controlled.shutdown.max.retries': 3,
  'controlled.shutdown.retry.backoff.ms': 500,
};

function startZooKeeper(ctx: Ctx): Proc {
  const zkLog4j = writeLog4j(ctx.workDir, 'zookeeper');
  const zkProps = path.join(ctx.workDir, 'zookeeper.properties');
  fs.writeFileSync(
    zkProps,
    props({
      dataDir: path.join(ctx.workDir, 'zookeeper-data'),
      clientPortAddress: ctx.metaHost,
      clientPort: ZK_PORT,
      tickTime: 2000,
      maxClientCnxns: 0,
      'admin.enableServer': false,
    }),
  );
  return spawnJava(
    'zookeeper',
    [
      '-Xmx128m',
      ...JAVA_OPTS,
      `-Dlog4j.configuration=file:${zkLog4j}`,
      '-cp',
      CLASSPATH,
      'org.apache.zookeeper.server.ZooKeeperServerMain',
      zkProps,
    ],
    path.join(ctx.logDir, 'zookeeper.log'),
  );
}

function spawnBroker(ctx: Ctx, b: BrokerSpec, configFile: string): Proc {
  return spawnJava(
    `broker-${b.id}`,
    [
      '-Xms64m',
      `-Xmx${ctx.heap}`,
      ...JAVA_OPTS,
      `-Djdk.net.hosts.file=${ctx.hostsFile}`,
      `-Dlog4j.configuration=file:${ctx.brokerLog4j}`,
      `-Dkafka.logs.dir=${ctx.logDir}`,
      '-cp',
      CLASSPATH,
      'kafka.Kafka',
      configFile,
    ],
    path.join(ctx.logDir, `broker-${b.id}.log`),
  );
}

function formatBroker(ctx: Ctx, id: number): void {
  formatBrokerStorage({ dataDir: brokerDataDir(ctx, id), clusterId: ctx.kafkaClusterId, nodeId: id });
}

function brokerDataDir(ctx: Ctx, id: number): string {
  return path.join(ctx.workDir, `broker-${id}-data`);
}

/** kafka-storage format of the controller's storage, with the SCRAM user (kraft.ts). */
function formatController(ctx: Ctx, configFile: string): Promise<void> {
  return formatStorage({
    java: JAVA_OPTS,
    classpath: CLASSPATH,
    log4j: ctx.toolsLog4j,
    configFile,
    clusterId: ctx.kafkaClusterId,
    argFile: path.join(ctx.workDir, 'format-controller.args'),
    logFile: path.join(ctx.logDir, 'format-controller.log'),
    scram: { mechanism: SCRAM_MECHANISM, iterations: SCRAM_ITERATIONS, ...ctx.scram },
  });
}

/**
 * A kafkajs socket factory that sends every connection to one broker listener, whatever
 * broker the client means (kafkajs asks a random broker from the metadata for most requests),
 * verifying TLS against that broker's name: everything the client learns is that broker's view.
 */
export function pinnedSocketFactory(to: { ip: string; port: number; servername: string }): ISocketFactory {
  return ({ ssl, onConnect }) => {
    const socket =
      typeof ssl === 'object' && ssl !== null
        ? tls.connect({ ...ssl, host: to.ip, port: to.port, servername: to.servername }, onConnect)
        : net.connect({ host: to.ip, port: to.port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}

/** Runs fn with a kafkajs admin pinned to one broker listener; undefined when anything fails. */
async function withAdmin<T>(
  o: { broker: BrokerSpec; port: number; caPem: string; sasl?: SASLOptions },
  fn: (admin: Admin) => Promise<T>,
): Promise<T | undefined> {
  const admin = new Kafka({
    clientId: 'testbed-readiness',
    brokers: [`${o.broker.host}:${o.port}`],
    ...(o.port === MSK_PORTS.plaintext ? {} : { ssl: { ca: [o.caPem], rejectUnauthorized: true } }),
    ...(o.sasl ? { sasl: o.sasl } : {}),
    socketFactory: pinnedSocketFactory({ ip: o.broker.ip, port: o.port, servername: o.broker.host }),
    connectionTimeout: 2000,
    authenticationTimeout: 3000,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    return await fn(admin);
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** True when every broker answers on CLIENT and its metadata lists `count` brokers and a controller. */
async function clusterReady(brokers: BrokerSpec[], caPem: string, count: number): Promise<boolean> {
  const results = await Promise.all(
    brokers.map((broker) =>
      withAdmin({ broker, port: MSK_PORTS.plaintext, caPem }, (a) => a.describeCluster()),
    ),
  );
  return results.every((d) => d !== undefined && d.brokers.length === count && d.controller !== null);
}

/**
 * True when broker `id` answers TLS (CA and name verified) and every broker's own metadata
 * on CLIENT_SECURE lists it at `want` (the restarted broker's included: it knows itself only
 * once registered again).
 */
async function listedEverywhere(
  id: number,
  want: { host: string; port: number },
  brokers: BrokerSpec[],
  caPem: string,
): Promise<boolean> {
  const seen = await Promise.all(
    brokers.map((broker) => withAdmin({ broker, port: MSK_PORTS.tls, caPem }, (a) => a.describeCluster())),
  );
  return seen.every((d) =>
    d?.brokers.some(
      (n) => n.nodeId === id && n.host.toLowerCase() === want.host.toLowerCase() && n.port === want.port,
    ),
  );
}

/** True when broker `id` is in the ISR of every partition it replicates, as another broker sees it. */
async function replicasInSync(id: number, brokers: BrokerSpec[], caPem: string): Promise<boolean> {
  const broker = brokers.find((b) => b.id !== id) ?? brokers[0];
  if (!broker) return false;
  const ok = await withAdmin({ broker, port: MSK_PORTS.tls, caPem }, async (admin) => {
    const topics = await admin.listTopics();
    if (topics.length === 0) return true;
    const { topics: meta } = await admin.fetchTopicMetadata({ topics });
    return meta.every((t) => t.partitions.every((p) => !p.replicas.includes(id) || p.isr.includes(id)));
  });
  return ok === true;
}

/** Runs fetch-kafka.sh unless a completed fetch is already in the cache. */
export async function ensureJars(): Promise<void> {
  if (fs.existsSync(path.join(LIB_DIR, '.complete'))) return;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [FETCH_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${FETCH_SCRIPT} failed with exit code ${code}`)),
    );
  });
}

function props(values: Record<string, string | number | boolean>): string {
  return (
    Object.entries(values)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join('\n') + '\n'
  );
}

function writeLog4j(workDir: string, name: string, level = 'INFO'): string {
  const file = path.join(workDir, `log4j-${name}.properties`);
  // Console only: each JVM's stdout goes to its own file, which also catches JVM crashes.
  fs.writeFileSync(
    file,
    [
      `log4j.rootLogger=${level}, stdout`,
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.org.apache.zookeeper=WARN',
      'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.state.change.logger=WARN',
      'log4j.logger.kafka.log.LogCleaner=WARN',
      'log4j.logger.kafka.authorizer.logger=WARN',
      '',
    ].join('\n'),
  );
  return file;
}

/** Labels of the multi-VPC connectivity names the brokers' certificate covers (*.<label>.<domain>). */
const VPC_CERT_LABELS = ['iam', 'scram', 'tls'] as const;

function certPaths(dir: string): { caPath: string; keystorePath: string } {
  return { caPath: path.join(dir, 'ca.pem'), keystorePath: path.join(dir, 'broker.p12') };
}

async function makeCerts(dir: string, domain: string): Promise<void> {
  const f = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): Promise<unknown> => execFileP('openssl', args, { cwd: dir });
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '30',
    '-subj',
    '/O=msk-privatelink testbed/CN=msk-privatelink testbed CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  await openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('broker.key'),
    '-out',
    f('broker.csr'),
    '-subj',
    `/CN=*.${domain}`,
  );
  // One wildcard certificate for all brokers, as MSK serves (covers b-N and b-N-internal), with
  // the names multi-VPC private connectivity gives them too: a wildcard covers one label only, so
  // b-N.scram.<domain> needs *.scram.<domain> (likewise tls and iam).
  fs.writeFileSync(
    f('broker.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=${[domain, ...VPC_CERT_LABELS.map((l) => `${l}.${domain}`)].map((d) => `DNS:*.${d}`).join(',')}`,
      '',
    ].join('\n'),
  );
  await openssl(
    'x509',
    '-req',
    '-in',
    f('broker.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    f('broker.ext'),
    '-out',
    f('broker.pem'),
  );
  await openssl(
    'pkcs12',
    '-export',
    '-in',
    f('broker.pem'),
    '-inkey',
    f('broker.key'),
    '-certfile',
    f('ca.pem'),
    '-name',
    'broker',
    '-out',
    f('broker.p12'),
    '-passout',
    `pass:${KEYSTORE_PASSWORD}`,
  );
}

/**
 * Adds the SCRAM-SHA-512 user to ZooKeeper with kafka.admin.ConfigCommand. The password goes in
 * through a file only the owner reads (removed afterwards), never a command line, and is
 * masked in the tool's output, which lands in logFile.
 */
async function addScramUser(o: {
  zkConnect: string;
  workDir: string;
  logFile: string;
  log4j: string;
  scram: { username: string; password: string };
}): Promise<void> {
  const file = path.join(o.workDir, 'scram-user.properties');
  // Properties syntax: the value is what ConfigCommand's --add-config takes inside [ ].
  fs.writeFileSync(file, `${SCRAM_MECHANISM}=iterations=${SCRAM_ITERATIONS},password=${o.scram.password}\n`, {
    mode: 0o600,
  });
  const mask = (text: string): string => text.split(o.scram.password).join('***');
  try {
    // Niced: on a small machine the brokers starting meanwhile come first.
    const { stdout, stderr } = await execFileP(
      'nice',
      [
        '-n',
        '10',
        'java',
        '-Xmx128m',
        ...JAVA_OPTS,
        `-Dlog4j.configuration=file:${o.log4j}`,
        '-cp',
        CLASSPATH,
        'kafka.admin.ConfigCommand',
        '--zookeeper',
        o.zkConnect,
        '--alter',
        '--add-config-file',
        file,
        '--entity-type',
        'users',
        '--entity-name',
        o.scram.username,
      ],
      { timeout: 60_000, killSignal: 'SIGKILL' },
    ).catch((error: Error & { stdout?: string; stderr?: string }) => {
      fs.writeFileSync(o.logFile, mask(`${error.stdout ?? ''}${error.stderr ?? ''}`));
      throw new Error(`Kafka testbed: adding SCRAM user ${o.scram.username} failed: ${mask(error.message)}`);
    });
    fs.writeFileSync(o.logFile, mask(stdout + stderr));
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** True when every broker accepts the SCRAM user on its SASL_SSL listener. */
async function scramUsable(
  brokers: BrokerSpec[],
  caPem: string,
  scram: { username: string; password: string },
): Promise<boolean> {
  const sasl: SASLOptions = {
    mechanism: 'scram-sha-512',
    username: scram.username,
    password: scram.password,
  };
  const results = await Promise.all(
    brokers.map((broker) => withAdmin({ broker, port: MSK_PORTS.saslScram, caPem, sasl }, async () => true)),
  );
  return results.every(Boolean);
}

function spawnJava(name: string, args: string[], logFile: string): Proc {
  const fd = fs.openSync(logFile, 'a');
  // detached: each JVM leads its own process group, so stop() can signal exactly it.
  const child = spawn('java', args, { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.unref();
  const proc: Proc = {
    name,
    child,
    logFile,
    exited: new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        proc.exit = { code, signal };
        resolve();
      });
      child.on('error', (error) => {
        fs.appendFileSync(logFile, `spawn failed: ${error.message}\n`);
        proc.exit = { code: -1, signal: null };
        resolve();
      });
    }),
  };
  return proc;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function stopProc(p: Proc, killAfterMs = 10_000): Promise<void> {
  if (p.exit || !p.child.pid) return;
  killGroup(p.child.pid, 'SIGTERM');
  const timer = setTimeout(() => p.child.pid && killGroup(p.child.pid, 'SIGKILL'), killAfterMs);
  await p.exited;
  clearTimeout(timer);
}

/**
 * Kills JVMs a crashed earlier run left behind in this work dir (and only those); refuses
 * to touch a cluster whose owning process is still alive (e.g. another test run).
 */
async function killStale(workDir: string): Promise<void> {
  const pidFile = path.join(workDir, 'pids');
  if (!fs.existsSync(pidFile)) return;
  const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
  const owner = Number(/^owner (\d+)$/.exec(lines[0] ?? '')?.[1]);
  const cmdline = (pid: number): string => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  if (owner && owner !== process.pid && cmdline(owner).includes('node')) {
    throw new Error(
      `Kafka testbed in ${workDir} is in use by process ${owner}; use another ipPrefix or workDir`,
    );
  }
  const ours = lines
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 1)
    .filter((pid) => cmdline(pid).includes(workDir));
  for (const pid of ours) killGroup(pid, 'SIGKILL');
  const deadline = Date.now() + 5000;
  while (ours.some((pid) => fs.existsSync(`/proc/${pid}`)) && Date.now() < deadline) await sleep(100);
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function assertPortsFree(endpoints: [string, number][]): Promise<void> {
  const busy: string[] = [];
  await Promise.all(
    endpoints.map(async ([host, port]) => {
      if (await tcpOpen(host, port)) busy.push(`${host}:${port}`);
    }),
  );
  if (busy.length > 0) {
    throw new Error(
      `Kafka testbed ports already in use: ${busy.sort().join(', ')} ` +
        `(another testbed on this ipPrefix still running? stop it, or use another ipPrefix)`,
    );
  }
}

function deathError(procs: Proc[]): Error | undefined {
  const dead = procs.find((p) => p.exit);
  if (!dead?.exit) return undefined;
  const tail = fs.existsSync(dead.logFile)
    ? fs.readFileSync(dead.logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n')
    : '(no log)';
  const how = dead.exit.signal ? `signal ${dead.exit.signal}` : `exit code ${dead.exit.code}`;
  return new Error(`Kafka testbed: ${dead.name} died (${how}); log: ${dead.logFile}\n${tail}`);
}

async function waitUntil(
  check: () => Promise<boolean>,
  failed: () => Error | undefined,
  timeoutMs: number,
  message: string,
  logDir: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const death = failed();
    if (death) throw death;
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${message}; logs in ${logDir}`);
    await sleep(250);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
