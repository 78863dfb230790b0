// The long-lived process behind `npm run testbed:up`: starts the whole testbed in-process
// (the AWS twin and Kafka as its children, the network twin inside it), records what it
// started under the state directory, and tears everything down on SIGTERM or SIGINT.
// Started detached by cli.ts; not meant to be run by hand.
import fs from 'node:fs';
import path from 'node:path';
import { startTestbed, type Testbed } from './testbed.js';
import { envLines, stateFiles } from './up-files.js';

export interface DaemonArgs {
  dir: string;
  kafkaIpPrefix?: string;
  endpointIpPrefix?: string;
  dnsPort?: number;
  metadataMode?: 'zookeeper' | 'kraft';
}

function parseArgs(argv: string[]): DaemonArgs {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dir = get('--dir');
  if (!dir) throw new Error('daemon: --dir is required');
  const dnsPort = get('--dns-port');
  const metadataMode = get('--metadata-mode');
  if (metadataMode !== undefined && metadataMode !== 'zookeeper' && metadataMode !== 'kraft')
    throw new Error(`daemon: --metadata-mode must be zookeeper or kraft, not ${metadataMode}`);
  return {
    dir: path.resolve(dir),
    kafkaIpPrefix: get('--kafka-ip-prefix'),
    endpointIpPrefix: get('--endpoint-ip-prefix'),
    dnsPort: dnsPort ? Number(dnsPort) : undefined,
    metadataMode,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const files = stateFiles(args.dir);
  fs.mkdirSync(args.dir, { recursive: true });
  fs.writeFileSync(files.daemonPid, `${process.pid}\n`);
  const log = (message: string): void => console.log(`${new Date().toISOString()} ${message}`);

  let testbed: Testbed | undefined;
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    try {
      await testbed?.stop();
    } finally {
      for (const f of [files.env, files.ready, files.pids, files.daemonPid]) fs.rmSync(f, { force: true });
      log('stopped');
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  try {
    testbed = await startTestbed({
      kafka: {
        ...(args.kafkaIpPrefix ? { ipPrefix: args.kafkaIpPrefix } : {}),
        ...(args.metadataMode ? { metadataMode: args.metadataMode } : {}),
      },
      endpointIpPrefix: args.endpointIpPrefix,
      dnsPort: args.dnsPort,
      awsLogFile: files.awsLog,
      log,
    });
  } catch (err) {
    fs.writeFileSync(files.error, err instanceof Error ? (err.stack ?? err.message) : String(err));
    fs.rmSync(files.daemonPid, { force: true });
    process.exit(1);
  }
  if (stopping) return;
  fs.writeFileSync(files.pids, [process.pid, ...testbed.pids()].join('\n') + '\n');
  fs.writeFileSync(files.env, envLines(testbed.env()) + '\n');
  fs.writeFileSync(
    files.ready,
    JSON.stringify(
      {
        startupMs: testbed.startupMs,
        endpoint: testbed.endpoint,
        dns: testbed.dnsAddress,
        dnsByAccount: testbed.network.dnsByAccount,
        clusterArn: testbed.clusterArn,
        metadataMode: testbed.kafka.metadataMode,
        brokers: testbed.kafka.brokers.map((b) => ({ id: b.id, host: b.host, ip: b.ip })),
        scenario: testbed.scenario,
        pids: [process.pid, ...testbed.pids()],
      },
      null,
      2,
    ) + '\n',
  );
  log(`ready in ${(testbed.startupMs / 1000).toFixed(1)} s`);
}

void main();
