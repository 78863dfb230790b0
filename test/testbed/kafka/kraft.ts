// KRaft mode of the testbed's Kafka cluster (KIP-500, KIP-631): one dedicated controller
// (process.roles=controller, a quorum of one) and broker-only nodes, all formatted under one
// generated cluster id: the controller's storage by kafka.tools.StorageTool (kafka-storage
// format), the brokers' by formatBrokerStorage.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** The controller's listener port: outside every port MSK gives clients (9092-9098, 2181-2182, ...). */
export const CONTROLLER_PORT = 19093;
/** Node ids 1..9 are brokers; the controller takes the number of its address (ipPrefix.100). */
export const CONTROLLER_NODE_ID = 100;
const CONTROLLER_LISTENER = 'CONTROLLER';

/** What a KRaft broker needs on top of its ZooKeeper-mode settings (minus zookeeper.connect). */
export function kraftBrokerSettings(nodeId: number, controllerHost: string): Record<string, string | number> {
  return {
    'process.roles': 'broker',
    'node.id': nodeId,
    'controller.quorum.voters': voters(controllerHost),
    'controller.listener.names': CONTROLLER_LISTENER,
    // Heartbeats drive registration, unfencing and controlled shutdown in KRaft (KIP-631):
    // every 500 ms instead of 2 s makes each of those steps quicker.
    'broker.heartbeat.interval.ms': 500,
  };
}

/** The security protocol map entry a KRaft node adds for the controller listener. */
export const CONTROLLER_PROTOCOL = `${CONTROLLER_LISTENER}:PLAINTEXT`;

/**
 * The controller's settings. It also decides the defaults of topics that brokers create
 * (CreateTopics is forwarded to the controller in KRaft), so it gets the brokers' topic defaults.
 */
export function controllerSettings(o: {
  host: string;
  dataDir: string;
  topicDefaults: Record<string, string | number | boolean>;
}): Record<string, string | number | boolean> {
  return {
    'process.roles': 'controller',
    'node.id': CONTROLLER_NODE_ID,
    'controller.quorum.voters': voters(o.host),
    listeners: `${CONTROLLER_LISTENER}://${o.host}:${CONTROLLER_PORT}`,
    'controller.listener.names': CONTROLLER_LISTENER,
    'listener.security.protocol.map': CONTROLLER_PROTOCOL,
    'log.dirs': o.dataDir,
    // A broker whose heartbeats stop (killed, not shut down) is fenced after this.
    'broker.session.timeout.ms': 6000,
    'num.network.threads': 1,
    'num.io.threads': 2,
    'background.threads': 2,
    ...o.topicDefaults,
  };
}

function voters(controllerHost: string): string {
  return `${CONTROLLER_NODE_ID}@${controllerHost}:${CONTROLLER_PORT}`;
}

/**
 * A random Kafka Uuid (16 bytes, base64url, 22 characters), e.g. a cluster id as kafka-storage
 * random-uuid prints. Never one starting with '-', which a command line would take for an
 * option (Kafka's own Uuid.randomUuid avoids those for the same reason).
 */
export function randomKafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Formats a broker's storage as kafka-storage format would: a broker-only node's storage is
 * just meta.properties (KIP-631: version 1, cluster.id, node.id; directory.id from KIP-858),
 * since the bootstrap metadata (metadata.version, SCRAM users) matters on the controller only.
 * Written here rather than by StorageTool, whose JVM costs ~1.5 s of CPU per broker, which
 * on a 2-core machine is ~2 s more start-up for 3 brokers.
 */
export function formatBrokerStorage(o: { dataDir: string; clusterId: string; nodeId: number }): void {
  fs.mkdirSync(o.dataDir, { recursive: true });
  fs.writeFileSync(
    path.join(o.dataDir, 'meta.properties'),
    [
      'version=1',
      `cluster.id=${o.clusterId}`,
      `node.id=${o.nodeId}`,
      `directory.id=${randomKafkaUuid()}`,
      '',
    ].join('\n'),
  );
}

/**
 * Formats one node's storage (kafka-storage format). With `scram`, the user goes into the
 * bootstrap metadata with --add-scram (KIP-900), so the controller writes it into the
 * metadata log at its first start and every broker has it from its first metadata fetch.
 * The arguments go through a java @argfile readable by the owner only, removed afterwards:
 * the password is never on a command line, and is masked in the tool's output (logFile).
 */
export async function formatStorage(o: {
  java: string[];
  classpath: string;
  log4j: string;
  configFile: string;
  clusterId: string;
  argFile: string;
  logFile: string;
  scram?: { mechanism: string; username: string; password: string; iterations: number };
}): Promise<void> {
  const args = ['kafka.tools.StorageTool', 'format', '--config', o.configFile, '--cluster-id', o.clusterId];
  if (o.scram) {
    const s = o.scram;
    args.push(
      '--add-scram',
      `${s.mechanism}=[name=${s.username},iterations=${s.iterations},password="${s.password}"]`,
    );
  }
  // Argfile syntax: one argument a line, single-quoted so the double quotes stay literal.
  fs.writeFileSync(o.argFile, args.map((a) => `'${a}'`).join('\n') + '\n', { mode: 0o600 });
  const mask = (text: string): string => (o.scram ? text.split(o.scram.password).join('***') : text);
  try {
    const { stdout, stderr } = await execFileP(
      'java',
      ['-Xmx128m', ...o.java, `-Dlog4j.configuration=file:${o.log4j}`, '-cp', o.classpath, `@${o.argFile}`],
      { timeout: 60_000, killSignal: 'SIGKILL' },
    ).catch((error: Error & { stdout?: string; stderr?: string }) => {
      fs.writeFileSync(o.logFile, mask(`${error.stdout ?? ''}${error.stderr ?? ''}`));
      throw new Error(
        `Kafka testbed: formatting ${path.basename(o.configFile)} failed: ${mask(error.message)}`,
      );
    });
    fs.writeFileSync(o.logFile, mask(stdout + stderr));
  } finally {
    fs.rmSync(o.argFile, { force: true });
  }
}
