// npm run testbed:up / testbed:down: the testbed for manual use and demos.
//   up   starts a detached daemon (daemon.ts) that runs the whole testbed, waits until it is
//        seeded, writes and prints <dir>/env (shell export lines) and the time it took.
//   down stops the daemon (which stops what it started), then makes sure no process it
//        recorded is left; exits 1 if something had to be killed by force or survived.
// Options: --dir DIR (default .testbed), --kafka-ip-prefix 127.x.y, --endpoint-ip-prefix
// 127.x.y, --dns-port N, --timeout-ms N, --metadata-mode zookeeper|kraft (default zookeeper:
// the Kafka cluster's metadata in ZooKeeper or in a KRaft controller, and the MSK twin's
// cluster says the same).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { maskSecrets, stateFiles } from './up-files.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DAEMON = path.join(HERE, 'daemon.ts');

interface Options {
  dir: string;
  kafkaIpPrefix?: string;
  endpointIpPrefix?: string;
  dnsPort?: string;
  metadataMode?: 'zookeeper' | 'kraft';
  timeoutMs: number;
}

function parse(argv: string[]): { command: string; opts: Options } {
  const [command = '', ...rest] = argv;
  const opts: Options = { dir: path.join(ROOT, '.testbed'), timeoutMs: 120_000 };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = rest[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === '--dir') opts.dir = path.resolve(value);
    else if (flag === '--kafka-ip-prefix') opts.kafkaIpPrefix = value;
    else if (flag === '--endpoint-ip-prefix') opts.endpointIpPrefix = value;
    else if (flag === '--dns-port') opts.dnsPort = value;
    else if (flag === '--timeout-ms') opts.timeoutMs = Number(value);
    else if (flag === '--metadata-mode') {
      if (value !== 'zookeeper' && value !== 'kraft')
        throw new Error(`--metadata-mode must be zookeeper or kraft, not ${value}`);
      opts.metadataMode = value;
    } else throw new Error(`unknown option ${flag}`);
  }
  return { command, opts };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function readPids(file: string): number[] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map(Number)
      .filter((p) => Number.isInteger(p) && p > 0);
  } catch {
    return [];
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function up(opts: Options): Promise<number> {
  const files = stateFiles(opts.dir);
  const running = readPid(files.daemonPid);
  if (running && alive(running)) {
    if (fs.existsSync(files.env)) {
      console.log(`# testbed already up (daemon pid ${running}); env in ${files.env}`);
      console.log(maskSecrets(fs.readFileSync(files.env, 'utf8').trimEnd()));
      return 0;
    }
    console.error(`testbed daemon ${running} is starting or stuck; run testbed:down first`);
    return 1;
  }
  fs.mkdirSync(opts.dir, { recursive: true });
  for (const f of [files.env, files.ready, files.error, files.pids, files.daemonPid])
    fs.rmSync(f, { force: true });

  const started = Date.now();
  const args = ['--import', 'tsx', DAEMON, '--dir', opts.dir];
  if (opts.kafkaIpPrefix) args.push('--kafka-ip-prefix', opts.kafkaIpPrefix);
  if (opts.endpointIpPrefix) args.push('--endpoint-ip-prefix', opts.endpointIpPrefix);
  if (opts.dnsPort) args.push('--dns-port', opts.dnsPort);
  if (opts.metadataMode) args.push('--metadata-mode', opts.metadataMode);
  const logFd = fs.openSync(files.log, 'a');
  // Own session and process group, output to a file: it outlives this command and npm.
  const child = spawn(process.execPath, args, { cwd: ROOT, detached: true, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.unref();

  while (!fs.existsSync(files.ready)) {
    if (fs.existsSync(files.error) || exited !== undefined) {
      const why = fs.existsSync(files.error) ? fs.readFileSync(files.error, 'utf8') : `exit code ${exited}`;
      console.error(`testbed failed to start: ${why}\n(log: ${files.log})`);
      return 1;
    }
    if (Date.now() - started > opts.timeoutMs) {
      console.error(`testbed not ready within ${opts.timeoutMs} ms (log: ${files.log}); stopping it`);
      await down(opts);
      return 1;
    }
    await sleep(100);
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(maskSecrets(fs.readFileSync(files.env, 'utf8').trimEnd()));
  console.log(`# env written to ${path.relative(process.cwd(), files.env) || files.env}: source it`);
  console.log(`# testbed up in ${seconds.toFixed(1)} s (limit 60 s); stop with npm run testbed:down`);
  return 0;
}

async function down(opts: Options): Promise<number> {
  const files = stateFiles(opts.dir);
  const started = Date.now();
  const daemon = readPid(files.daemonPid);
  const recorded = new Set(readPids(files.pids));
  if (daemon) recorded.add(daemon);
  if (recorded.size === 0) {
    console.log('# testbed is not up');
    return 0;
  }
  if (daemon && alive(daemon)) process.kill(daemon, 'SIGTERM');
  // The daemon stops Kafka (brokers, then ZooKeeper) and the AWS twin: give it time.
  const deadline = Date.now() + 30_000;
  while ([...recorded].some(alive) && Date.now() < deadline) await sleep(100);
  const forced = [...recorded].filter(alive);
  for (const pid of forced) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await sleep(forced.length > 0 ? 500 : 0);
  const survivors = [...recorded].filter(alive);
  for (const f of [files.env, files.ready, files.pids, files.daemonPid]) fs.rmSync(f, { force: true });
  if (forced.length > 0) console.error(`# had to kill ${forced.join(', ')}`);
  if (survivors.length > 0) {
    console.error(`# still running: ${survivors.join(', ')}`);
    return 1;
  }
  console.log(`# testbed down in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return forced.length > 0 ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const { command, opts } = parse(argv);
  if (command === 'up') return up(opts);
  if (command === 'down') return down(opts);
  console.error(
    'usage: cli.ts up|down [--dir DIR] [--kafka-ip-prefix 127.x.y] [--endpoint-ip-prefix 127.x.y] ' +
      '[--dns-port N] [--timeout-ms N] [--metadata-mode zookeeper|kraft]',
  );
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
