// MSK-like Kafka cluster for the testbed: one ZooKeeper and N brokers in ZooKeeper mode
// (MSK provisioned clusters are ZooKeeper-based, so advertised.listeners can change at run
// time, KIP-226), each broker on its own loopback address with MSK's listener names, ports,
// broker names and a wildcard certificate from a test CA made at startup, and MSK's SASL/SCRAM
// listener with one user made at startup.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { mapLookup, resolvingSocketFactory } from './socket-factory.js';

const execFileP = promisify(execFile);

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const LIB_DIR = path.join(ROOT, '.cache/kafka/lib');
const FETCH_SCRIPT = path.join(HERE, 'fetch-kafka.sh');

/** MSK's listener ports. */
export const MSK_PORTS = {
  plaintext: 9092,
  replication: 9093,
  tls: 9094,
  replicationSecure: 9095,
  saslScram: 9096,
} as const;
/** The SASL/SCRAM user every cluster has (MSK's SCRAM is SHA-512 only). */
export const SCRAM_USER = 'probe-user';
export const SCRAM_MECHANISM = 'SCRAM-SHA-512';
const SCRAM_ITERATIONS = 8192;
const ZK_PORT = 2181;
const KEYSTORE_PASSWORD = 'testbed-keystore';

export interface KafkaBroker {
  id: number;
  /** Client-facing name, e.g. b-1.payments.abc123.c2.kafka.us-east-2.amazonaws.com */
  host: string;
  /** Inter-broker name, e.g. b-1-internal.payments.abc123.c2.kafka.us-east-2.amazonaws.com */
  internalHost: string;
  ip: string;
  ports: { plaintext: number; tls: number; saslScram: number };
  pid: number;
  logFile: string;
}

export interface KafkaTestCluster {
  clusterName: string;
  clusterId: string;
  domain: string;
  region: string;
  brokers: KafkaBroker[];
  /** MSK-style bootstrap strings (GetBootstrapBrokers' BootstrapBrokerString, ...Tls, ...SaslScram). */
  bootstrap: { plaintext: string; tls: string; saslScram: string };
  /** The SASL/SCRAM user made at start (SCRAM-SHA-512 on CLIENT_SASL_SCRAM, 9096); no ACLs apply. */
  scram: { username: string; password: string };
  zookeeper: { host: string; port: number; pid: number };
  /** Every broker name (client and internal) -> loopback address. */
  addresses: Record<string, string>;
  caPath: string;
  caPem: string;
  hostsFile: string;
  logDir: string;
  workDir: string;
  /** Wall time of startKafka, jar fetch excluded. */
  startupMs: number;
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  /** First three octets of the loopback addresses: brokers get .1..N, ZooKeeper .100. */
  ipPrefix?: string;
  clusterName?: string;
  clusterId?: string;
  region?: string;
  brokers?: number;
  /** Wiped at start. Default .cache/kafka/run-<ipPrefix> in the repository. */
  workDir?: string;
  /** Max wait for the cluster to answer. */
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

export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaTestCluster> {
  const ipPrefix = opts.ipPrefix ?? '127.0.2';
  const clusterName = opts.clusterName ?? 'payments';
  const clusterId = opts.clusterId ?? 'abc123';
  const region = opts.region ?? 'us-east-2';
  const count = opts.brokers ?? 3;
  const workDir = path.resolve(opts.workDir ?? path.join(ROOT, '.cache/kafka', `run-${ipPrefix}`));
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const heap = opts.brokerHeap ?? '384m';
  const scram = {
    username: opts.scram?.username ?? SCRAM_USER,
    password: opts.scram?.password ?? randomBytes(18).toString('base64url'),
  };
  // ConfigCommand's value syntax ([iterations=..,password=..]) has no quoting.
  if (!/^[A-Za-z0-9_.@-]+$/.test(scram.username) || !/^[A-Za-z0-9_.@-]+$/.test(scram.password))
    throw new Error('the SCRAM user name and password may hold only letters, digits and _ . @ -');
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(ipPrefix))
    throw new Error(`ipPrefix must look like 127.x.y: ${ipPrefix}`);
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error(`brokers must be 1..9: ${count}`);

  await ensureJars();
  const started = Date.now();

  await killStale(workDir);
  fs.rmSync(workDir, { recursive: true, force: true });
  const logDir = path.join(workDir, 'logs');
  const certDir = path.join(workDir, 'tls');
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(certDir, { recursive: true });

  const domain = `${clusterName}.${clusterId}.c2.kafka.${region}.amazonaws.com`;
  const zkHost = `${ipPrefix}.100`;
  const brokerSpecs = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    host: `b-${i + 1}.${domain}`,
    internalHost: `b-${i + 1}-internal.${domain}`,
    ip: `${ipPrefix}.${i + 1}`,
  }));

  await assertPortsFree([
    [zkHost, ZK_PORT],
    ...brokerSpecs.flatMap((b) => Object.values(MSK_PORTS).map((p): [string, number] => [b.ip, p])),
  ]);

  const addresses: Record<string, string> = {};
  for (const b of brokerSpecs) {
    addresses[b.host] = b.ip;
    addresses[b.internalHost] = b.ip;
  }
  // The JVMs resolve only through this file (-Djdk.net.hosts.file), so it also carries
  // localhost and this machine's name, which the JDK looks up at times.
  const hostsFile = path.join(workDir, 'hosts');
  fs.writeFileSync(
    hostsFile,
    [
      `127.0.0.1 localhost ${os.hostname()}`,
      ...brokerSpecs.map((b) => `${b.ip} ${b.host} ${b.internalHost}`),
      '',
    ].join('\n'),
  );

  const { caPath, keystorePath } = await makeCerts(certDir, domain);
  const caPem = fs.readFileSync(caPath, 'utf8');

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
      // Brokers first (their shutdown talks to ZooKeeper), then ZooKeeper.
      await Promise.all(procs.filter((p) => p.name !== 'zookeeper').map((p) => stopProc(p)));
      await Promise.all(procs.filter((p) => p.name === 'zookeeper').map((p) => stopProc(p)));
      process.off('exit', killOnExit);
      fs.rmSync(pidFile, { force: true });
    })();
    return stopping;
  };

  try {
    const java = [
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-XX:-UsePerfData',
      '-Djava.awt.headless=true',
    ];
    const zkLog4j = writeLog4j(workDir, 'zookeeper');
    const zkProps = path.join(workDir, 'zookeeper.properties');
    fs.writeFileSync(
      zkProps,
      props({
        dataDir: path.join(workDir, 'zookeeper-data'),
        clientPortAddress: zkHost,
        clientPort: ZK_PORT,
        tickTime: 2000,
        maxClientCnxns: 0,
        'admin.enableServer': false,
      }),
    );
    const zk = spawnJava(
      'zookeeper',
      [
        '-Xmx128m',
        ...java,
        `-Dlog4j.configuration=file:${zkLog4j}`,
        '-cp',
        path.join(LIB_DIR, '*'),
        'org.apache.zookeeper.server.ZooKeeperServerMain',
        zkProps,
      ],
      path.join(logDir, 'zookeeper.log'),
    );
    procs.push(zk);
    recordPids();
    await waitUntil(
      () => tcpOpen(zkHost, ZK_PORT),
      () => deathError(procs),
      30_000,
      `ZooKeeper did not listen on ${zkHost}:${ZK_PORT}`,
      logDir,
    );

    const brokerLog4j = writeLog4j(workDir, 'broker');
    for (const b of brokerSpecs) {
      const listeners = (host: string): string =>
        [
          `CLIENT://${host}:${MSK_PORTS.plaintext}`,
          `CLIENT_SECURE://${host}:${MSK_PORTS.tls}`,
          `CLIENT_SASL_SCRAM://${host}:${MSK_PORTS.saslScram}`,
          `REPLICATION://${host}:${MSK_PORTS.replication}`,
          `REPLICATION_SECURE://${host}:${MSK_PORTS.replicationSecure}`,
        ].join(',');
      const advertised = [
        `CLIENT://${b.host}:${MSK_PORTS.plaintext}`,
        `CLIENT_SECURE://${b.host}:${MSK_PORTS.tls}`,
        `CLIENT_SASL_SCRAM://${b.host}:${MSK_PORTS.saslScram}`,
        `REPLICATION://${b.internalHost}:${MSK_PORTS.replication}`,
        `REPLICATION_SECURE://${b.internalHost}:${MSK_PORTS.replicationSecure}`,
      ].join(',');
      const serverProps = path.join(workDir, `broker-${b.id}.properties`);
      fs.writeFileSync(
        serverProps,
        props({
          'broker.id': b.id,
          'zookeeper.connect': `${zkHost}:${ZK_PORT}`,
          'zookeeper.session.timeout.ms': 10000,
          listeners: listeners(b.ip),
          'advertised.listeners': advertised,
          'listener.security.protocol.map':
            'CLIENT:PLAINTEXT,CLIENT_SECURE:SSL,CLIENT_SASL_SCRAM:SASL_SSL,REPLICATION:PLAINTEXT,REPLICATION_SECURE:SSL',
          'inter.broker.listener.name': 'REPLICATION',
          // SASL/SCRAM like MSK: SHA-512 only, the same certificate as CLIENT_SECURE, users'
          // credentials in ZooKeeper. No authorizer.class.name: no ACLs, any user may do anything.
          'sasl.enabled.mechanisms': SCRAM_MECHANISM,
          [`listener.name.client_sasl_scram.${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config`]:
            'org.apache.kafka.common.security.scram.ScramLoginModule required;',
          'ssl.keystore.type': 'PKCS12',
          'ssl.keystore.location': keystorePath,
          'ssl.keystore.password': KEYSTORE_PASSWORD,
          'ssl.key.password': KEYSTORE_PASSWORD,
          'ssl.truststore.type': 'PEM',
          'ssl.truststore.location': caPath,
          'ssl.client.auth': 'none',
          'log.dirs': path.join(workDir, `broker-${b.id}-data`),
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
          'group.initial.rebalance.delay.ms': 0,
          'auto.create.topics.enable': true,
          'delete.topic.enable': true,
          'num.network.threads': 2,
          'num.io.threads': 2,
          'background.threads': 2,
          'num.recovery.threads.per.data.dir': 1,
          'log.cleaner.threads': 1,
          'log.cleaner.dedupe.buffer.size': 8 * 1024 * 1024, // default 128 MiB would eat the heap
          // Data is wiped at every start, so a fast stop beats a clean leader handover.
          'controlled.shutdown.enable': false,
        }),
      );
      const proc = spawnJava(
        `broker-${b.id}`,
        [
          `-Xms64m`,
          `-Xmx${heap}`,
          ...java,
          `-Djdk.net.hosts.file=${hostsFile}`,
          `-Dlog4j.configuration=file:${brokerLog4j}`,
          `-Dkafka.logs.dir=${logDir}`,
          '-cp',
          path.join(LIB_DIR, '*'),
          'kafka.Kafka',
          serverProps,
        ],
        path.join(logDir, `broker-${b.id}.log`),
      );
      procs.push(proc);
    }
    recordPids();

    // The SCRAM user goes into ZooKeeper while the brokers start (ConfigCommand --zookeeper,
    // the ZooKeeper-mode way to add users before any broker answers): brokers load users'
    // credentials at startup and follow later changes, so no step waits for it alone (the JVM
    // and the SCRAM check below add ~1.5 s to the start on a 2-core machine).
    const userAdded = addScramUser({
      java,
      zkConnect: `${zkHost}:${ZK_PORT}`,
      workDir,
      logFile: path.join(logDir, 'scram-user.log'),
      log4j: writeLog4j(workDir, 'tools', 'WARN'),
      scram,
    });
    userAdded.catch(() => undefined); // awaited below

    const lookup = mapLookup(addresses);
    const seeds = brokerSpecs.map((b) => `${b.host}:${MSK_PORTS.plaintext}`);
    await waitUntil(
      () => clusterReady(seeds, lookup, count),
      () => deathError(procs),
      timeoutMs,
      `Kafka cluster did not register ${count} brokers within ${timeoutMs} ms`,
      logDir,
    );
    await userAdded;
    // Every broker must take the user on its own SASL/SCRAM listener before the cluster is ready.
    await waitUntil(
      () => scramUsable(brokerSpecs, lookup, caPem, scram),
      () => deathError(procs),
      30_000,
      `SASL/SCRAM user ${scram.username} not accepted by every broker on ${MSK_PORTS.saslScram}`,
      logDir,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const brokerProcs = procs.filter((p) => p.name.startsWith('broker-'));
  const brokers: KafkaBroker[] = brokerSpecs.map((b, i) => ({
    ...b,
    ports: { plaintext: MSK_PORTS.plaintext, tls: MSK_PORTS.tls, saslScram: MSK_PORTS.saslScram },
    pid: brokerProcs[i]?.child.pid ?? 0,
    logFile: brokerProcs[i]?.logFile ?? '',
  }));
  return {
    clusterName,
    clusterId,
    domain,
    region,
    brokers,
    bootstrap: {
      plaintext: brokers.map((b) => `${b.host}:${b.ports.plaintext}`).join(','),
      tls: brokers.map((b) => `${b.host}:${b.ports.tls}`).join(','),
      saslScram: brokers.map((b) => `${b.host}:${b.ports.saslScram}`).join(','),
    },
    scram,
    zookeeper: { host: zkHost, port: ZK_PORT, pid: procs[0]?.child.pid ?? 0 },
    addresses,
    caPath,
    caPem,
    hostsFile,
    logDir,
    workDir,
    startupMs: Date.now() - started,
    stop,
  };
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

async function makeCerts(dir: string, domain: string): Promise<{ caPath: string; keystorePath: string }> {
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
  // One wildcard certificate for all brokers, as MSK serves (covers b-N and b-N-internal).
  fs.writeFileSync(
    f('broker.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=DNS:*.${domain}`,
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
  return { caPath: f('ca.pem'), keystorePath: f('broker.p12') };
}

/**
 * Adds the SCRAM-SHA-512 user to ZooKeeper with kafka.admin.ConfigCommand. The password goes in
 * through a file only the owner reads (removed afterwards), never a command line, and is
 * masked in the tool's output, which lands in logFile.
 */
async function addScramUser(o: {
  java: string[];
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
        ...o.java,
        `-Dlog4j.configuration=file:${o.log4j}`,
        '-cp',
        path.join(LIB_DIR, '*'),
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
  brokers: Array<{ host: string }>,
  lookup: ReturnType<typeof mapLookup>,
  caPem: string,
  scram: { username: string; password: string },
): Promise<boolean> {
  const results = await Promise.all(
    brokers.map(async (b) => {
      const admin = new Kafka({
        clientId: 'testbed-scram-readiness',
        brokers: [`${b.host}:${MSK_PORTS.saslScram}`],
        ssl: { ca: [caPem], rejectUnauthorized: true },
        sasl: { mechanism: 'scram-sha-512', username: scram.username, password: scram.password },
        socketFactory: resolvingSocketFactory(lookup),
        connectionTimeout: 2000,
        authenticationTimeout: 3000,
        requestTimeout: 3000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      }).admin();
      try {
        await admin.connect();
        return true;
      } catch {
        return false;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }),
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

async function stopProc(p: Proc): Promise<void> {
  if (p.exit || !p.child.pid) return;
  killGroup(p.child.pid, 'SIGTERM');
  const timer = setTimeout(() => p.child.pid && killGroup(p.child.pid, 'SIGKILL'), 10_000);
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

async function clusterReady(
  seeds: string[],
  lookup: ReturnType<typeof mapLookup>,
  count: number,
): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'testbed-readiness',
    brokers: seeds,
    socketFactory: resolvingSocketFactory(lookup),
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { brokers, controller } = await admin.describeCluster();
    return brokers.length === count && controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function deathError(procs: Proc[]): Error | undefined {
  const dead = procs.find((p) => p.exit);
  if (!dead?.exit) return undefined;
  const tail = fs.existsSync(dead.logFile)
    ? fs.readFileSync(dead.logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n')
    : '(no log)';
  const how = dead.exit.signal ? `signal ${dead.exit.signal}` : `exit code ${dead.exit.code}`;
  return new Error(`Kafka testbed: ${dead.name} died during startup (${how}); log: ${dead.logFile}\n${tail}`);
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
