// Where a stack's state lives and how it moves: the default local state beside the config file
// (found from any working directory), the refusal when it is still at the old default in the
// working directory, `state push` to S3 (then read through the S3 backend with the same lineage and
// serial), and `force-unlock`. Runs against the AWS twin's S3 (and its empty EC2/ELB for the plans).
import assert from 'node:assert/strict';
import { refused } from '../support/refused.js';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import { unseal } from '../../src/integrity.js';
import { loadConfig } from '../../src/config/load.js';
import { planLive } from '../../src/ops/plan.js';
import { backendFor, poolFor, withStack } from '../../src/ops/stack.js';
import { forceUnlock, statePush } from '../../src/ops/state.js';
import { emptyState } from '../../src/state/local.js';
import { newLockInfo } from '../../src/state/lock.js';
import type { State } from '../../src/state/schema.js';
import { runCli } from '../support/run-cli.js';
import { clientConfigFor, envFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const ACCOUNT = '111111111111';
const REGION = 'us-east-2';
const ROOT = process.cwd();
const INVENTORY = path.join(ROOT, 'plans/inventories/payments-3-brokers.json');
/** tsx's loader by path: the CLI children run from other working directories. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** What the twin's EC2 holds for the plans: the brokers' VPC, subnets and security group, a consumer VPC. */
interface Network {
  providerVpc: string;
  brokerSubnets: string[];
  brokerSg: string;
  consumerVpc: string;
  consumerSubnets: string[];
}

async function seedNetwork(ec2: EC2Client): Promise<Network> {
  const vpc = async (cidr: string) => (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc!.VpcId!;
  const subnets = (vpcId: string, prefix: string) =>
    Promise.all(
      ['a', 'b', 'c'].map(
        async (az, i) =>
          (
            await ec2.send(
              new CreateSubnetCommand({
                VpcId: vpcId,
                CidrBlock: `${prefix}.${i + 1}.0/24`,
                AvailabilityZone: `${REGION}${az}`,
              }),
            )
          ).Subnet!,
      ),
    );
  const providerVpc = await vpc('10.0.0.0/16');
  const consumerVpc = await vpc('10.20.0.0/16');
  const brokerSubnets = await subnets(providerVpc, '10.0');
  const consumerSubnets = await subnets(consumerVpc, '10.20');
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'msk-brokers', Description: 'brokers', VpcId: providerVpc }),
  );
  return {
    providerVpc,
    brokerSubnets: brokerSubnets.map((s) => s.SubnetId!),
    brokerSg: sg.GroupId!,
    consumerVpc,
    consumerSubnets: consumerSubnets.map((s) => `${s.SubnetId!}|${s.AvailabilityZoneId!}`),
  };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * A pattern 1 stack "payments" in `dir` over the seeded network: the inventory beside it (the
 * example's brokers moved into the seeded subnets), consumer subnets with AZ IDs.
 */
async function writeConfig(
  net: Network,
  dir: string,
  state: Record<string, unknown> | undefined,
): Promise<string> {
  await mkdir(path.join(dir, 'inventories'), { recursive: true });
  const inventory = JSON.parse(await readFile(INVENTORY, 'utf8')) as {
    vpcId: string;
    brokers: Array<{ subnetId: string }>;
  };
  inventory.vpcId = net.providerVpc;
  inventory.brokers.forEach((b, i) => (b.subnetId = net.brokerSubnets[i]!));
  await writeFile(path.join(dir, 'inventories', 'payments-3-brokers.json'), JSON.stringify(inventory));
  const file = path.join(dir, 'stack.yaml');
  await writeFile(
    file,
    stringify({
      name: 'payments',
      region: REGION,
      pattern: 1,
      cluster: { brokersFile: 'inventories/payments-3-brokers.json', listeners: ['tls'] },
      provider: { account: ACCOUNT, vpcId: net.providerVpc, brokerSecurityGroupId: net.brokerSg },
      consumers: [
        {
          name: 'analytics',
          account: ACCOUNT,
          vpcId: net.consumerVpc,
          subnets: net.consumerSubnets.map((s) => {
            const [id, azId] = s.split('|');
            return { id, azId };
          }),
          allowedCidrs: ['10.20.0.0/16'],
        },
      ],
      ...(state === undefined ? {} : { state }),
      clients: { connectionsMaxIdleMs: 300000 },
    }),
  );
  return file;
}

/** A state of "payments" that has been written `serial` times (no resources: nothing to refresh). */
function stateAt(serial: number, extra: Partial<State> = {}): State {
  return { ...emptyState('payments'), serial, portAssignments: { '1/tls': 9001 }, ...extra };
}

async function writeState(file: string, state: State): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(state, null, 2)}\n`);
}

describe('state location, state push and force-unlock (AWS twin)', function () {
  this.timeout(120_000);
  let twin: AwsTwin;
  let s3: S3Client;
  let dirs: string[] = [];
  let n = 0;
  let bucket: string;

  const tmp = async (name: string) => {
    const d = await mkdtemp(path.join(tmpdir(), `mpl-${name}-`));
    dirs.push(d);
    return d;
  };
  let net: Network;
  const configFor = (account: string, region: string) => clientConfigFor(twin, account, { region });

  /** The CLI in a child process, from `cwd`, against the twin. */
  function cliIn(cwd: string, args: string[]): { code: number | null; out: string; err: string } {
    const script = `import { main } from ${JSON.stringify(path.join(ROOT, 'src/cli/main.ts'))}; process.exitCode = await main(process.argv.slice(1));`;
    const r = spawnSync(
      process.execPath,
      ['--import', TSX, '--input-type=module', '-e', script, ...args, '--no-color'],
      {
        cwd,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          ...envFor(twin, ACCOUNT),
          NODE_OPTIONS: '',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    );
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  /** The CLI in this process against the twin. */
  async function cli(args: string[]) {
    const saved = { ...process.env };
    Object.assign(process.env, envFor(twin, ACCOUNT));
    try {
      return await runCli([...args, '--no-color']);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  }

  async function s3State(key: string): Promise<State | undefined> {
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      // As the tool reads it: the seal checked (a mismatch throws), then dropped.
      return unseal(JSON.parse((await out.Body?.transformToString()) ?? ''), key, 'state') as State;
    } catch {
      return undefined;
    }
  }

  async function s3Has(key: string): Promise<boolean> {
    return s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      () => false,
    );
  }

  before(async () => {
    twin = await startAwsTwin();
    s3 = new S3Client({ ...clientConfigFor(twin, ACCOUNT), forcePathStyle: true, maxAttempts: 1 });
    const ec2 = new EC2Client(clientConfigFor(twin, ACCOUNT, { region: REGION }));
    try {
      net = await seedNetwork(ec2);
    } finally {
      ec2.destroy();
    }
  });
  after(async () => {
    s3?.destroy();
    await twin?.stop();
  });
  beforeEach(async () => {
    bucket = `mpl-push-${++n}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterEach(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    dirs = [];
  });

  describe('the default local state, beside the config file', () => {
    it('a run from another working directory finds the state beside the config', async () => {
      const configDir = await tmp('config');
      const elsewhere = await tmp('cwd');
      const config = await writeConfig(net, configDir, undefined);
      const state = stateAt(4);
      await writeState(path.join(configDir, '.msk-privatelink', 'payments.state.json'), state);

      const planFile = path.join(elsewhere, 'plan.json');
      const r = cliIn(elsewhere, ['plan', '--config', config, '--out', planFile]);
      assert.equal(r.code, 2, r.err);
      const saved = JSON.parse(await readFile(planFile, 'utf8')) as { state: unknown };
      assert.deepEqual(saved.state, { lineage: state.lineage, serial: 4 });
      assert.equal(await exists(path.join(elsewhere, '.msk-privatelink')), false, 'nothing in the cwd');

      // The same from the config's own folder, with a relative --config.
      const again = cliIn(configDir, ['plan', '--config', 'stack.yaml', '--out', planFile]);
      assert.equal(again.code, 2, again.err);
      assert.deepEqual((JSON.parse(await readFile(planFile, 'utf8')) as { state: unknown }).state, {
        lineage: state.lineage,
        serial: 4,
      });
    });

    it('a relative state.path resolves from the config folder, not the working directory', async () => {
      const configDir = await tmp('config');
      const config = await writeConfig(net, configDir, { path: 'states/pay.json' });
      const pool = poolFor(await loadConfig(config), { configFor });
      try {
        const backend = backendFor(await loadConfig(config), config, pool);
        assert.equal(backend.location, path.join(configDir, 'states', 'pay.json'));
      } finally {
        pool.destroy();
      }
      const state = stateAt(2);
      await writeState(path.join(configDir, 'states', 'pay.json'), state);
      const version = await withStack(config, { configFor }, async (stack) => stack.store.version);
      assert.deepEqual(version, { lineage: state.lineage, serial: 2 });
    });

    it('a state only at the old default (the working directory) is refused with the exact mv command, never replaced by an empty one', async () => {
      const configDir = await tmp('config dir'); // a space: the command quotes it
      const oldCwd = await tmp('old-cwd');
      const config = await writeConfig(net, configDir, undefined);
      const state = stateAt(7);
      const oldFile = path.join(oldCwd, '.msk-privatelink', 'payments.state.json');
      const newFile = path.join(configDir, '.msk-privatelink', 'payments.state.json');
      await writeState(oldFile, state);

      for (const args of [
        ['plan', '--config', config],
        ['apply', '--config', config, '--auto-approve'],
      ]) {
        const r = cliIn(oldCwd, args);
        assert.equal(r.code, 1, `${args[0]}: ${r.out}${r.err}`);
        assert.match(r.err, /^error \[STATE_MOVED\]: no state at /m);
        assert.ok(r.err.includes(`this stack's state is at ${oldFile}`), r.err);
      }
      // apply took the lock before reading and released it; nothing was made or written.
      assert.equal(await exists(newFile), false);
      assert.equal(await exists(`${newFile}.lock`), false);

      const r = cliIn(oldCwd, ['plan', '--config', config]);
      const command = /move it: (mkdir -p .* && mv .*)$/m.exec(r.err)?.[1];
      assert.ok(command, r.err);
      assert.equal(
        command,
        `mkdir -p '${path.dirname(newFile)}' && mv ${oldFile} '${newFile}'`,
        'the command names both files, quoting the one with a space',
      );
      // The printed command, run as printed, moves the state; the next run finds it.
      const mv = spawnSync('sh', ['-c', command], { cwd: oldCwd, encoding: 'utf8' });
      assert.equal(mv.status, 0, mv.stderr);
      const planFile = path.join(oldCwd, 'plan.json');
      const after = cliIn(oldCwd, ['plan', '--config', config, '--out', planFile]);
      assert.equal(after.code, 2, after.err);
      assert.deepEqual((JSON.parse(await readFile(planFile, 'utf8')) as { state: unknown }).state, {
        lineage: state.lineage,
        serial: 7,
      });
    });

    it('the old default is not looked at when the run is in the config folder or state.path is set', async () => {
      const configDir = await tmp('config');
      const config = await writeConfig(net, configDir, undefined);
      // From the config folder, old and new default are one file: a new stack, no refusal.
      const r = cliIn(configDir, ['plan', '--config', 'stack.yaml']);
      assert.equal(r.code, 2, r.err);
      const oldCwd = await tmp('old-cwd');
      await writeState(path.join(oldCwd, '.msk-privatelink', 'payments.state.json'), stateAt(3));
      await writeConfig(net, configDir, { path: 'pay.state.json' });
      const named = cliIn(oldCwd, ['plan', '--config', config]);
      assert.equal(named.code, 2, named.err);
    });
  });

  describe('state push', () => {
    const KEY = 'stacks/payments.state.json';
    const s3Config = () => ({ backend: 's3', bucket, key: KEY });

    it('moves the local state to S3 (same lineage and serial), keeps <file>.pushed; a plan through S3 reads it', async () => {
      const configDir = await tmp('config');
      const config = await writeConfig(net, configDir, s3Config());
      const local = path.join(configDir, '.msk-privatelink', 'payments.state.json');
      const state = stateAt(5);
      await writeState(local, state);

      const r = await statePush(config, { configFor });
      assert.deepEqual(r, {
        from: local,
        to: `s3://${bucket}/${KEY}`,
        keptAs: `${local}.pushed`,
        lineage: state.lineage,
        serial: 5,
        resources: 0,
        alreadyThere: false,
      });
      assert.deepEqual(await s3State(KEY), state, 'written as it is: serial 5, not 6');
      assert.equal(await exists(local), false);
      assert.deepEqual(JSON.parse(await readFile(`${local}.pushed`, 'utf8')), state);
      assert.equal(await exists(`${local}.lock`), false, 'the local lock is released');
      assert.equal(await s3Has(`${KEY}.lock`), false, 'the S3 lock is released');

      const { plan, read } = await withStack(config, { configFor }, async (stack) => {
        assert.equal(stack.backend.location, `s3://${bucket}/${KEY}`);
        return { read: stack.store.state, plan: (await planLive(stack)).plan };
      });
      assert.deepEqual(plan.state, { lineage: state.lineage, serial: 5 });
      assert.deepEqual(read, state, 'the plan read the pushed state from S3');

      // Nothing left to push.
      await refused(statePush(config, { configFor }), 'STATE_NOT_FOUND');
    });

    it('refuses when S3 holds another lineage or a newer serial; nothing is written, the local file stays', async () => {
      const configDir = await tmp('config');
      const config = await writeConfig(net, configDir, s3Config());
      const local = path.join(configDir, '.msk-privatelink', 'payments.state.json');
      const state = stateAt(5);
      await writeState(local, state);

      const other = stateAt(9); // another lineage (emptyState makes a new one)
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: JSON.stringify(other) }));
      const e = await refused(statePush(config, { configFor }), 'STATE_PUSH_CONFLICT');
      assert.match(
        e.message,
        new RegExp(
          `s3://${bucket}/${KEY} already holds a state that pushing would overwrite: it holds lineage ${other.lineage} serial 9, another history than the local lineage ${state.lineage} serial 5`,
        ),
      );
      const newer = { ...state, serial: 6 };
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: JSON.stringify(newer) }));
      const e2 = await refused(statePush(config, { configFor }), 'STATE_PUSH_CONFLICT');
      assert.match(e2.message, /serial 6, newer than the local lineage .* serial 5/);
      const sameSerial = { ...state, portAssignments: { '1/tls': 9002 } };
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: JSON.stringify(sameSerial) }));
      await refused(statePush(config, { configFor }), 'STATE_PUSH_CONFLICT');

      assert.deepEqual(await s3State(KEY), sameSerial, 'S3 untouched');
      assert.deepEqual(JSON.parse(await readFile(local, 'utf8')), state, 'local untouched');
      assert.equal(await exists(`${local}.pushed`), false);
      assert.equal(await s3Has(`${KEY}.lock`), false);
      assert.equal(await exists(`${local}.lock`), false);

      // An older serial of the same lineage is replaced; the very same state counts as pushed.
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: JSON.stringify({ ...state, serial: 3 }) }),
      );
      assert.equal((await statePush(config, { configFor })).alreadyThere, false);
      assert.deepEqual(await s3State(KEY), state);
      await writeState(local, state);
      assert.equal((await statePush(config, { configFor })).alreadyThere, true);
    });

    it('takes the S3 lock while writing: refused while another run holds it', async () => {
      const configDir = await tmp('config');
      const config = await writeConfig(net, configDir, s3Config());
      const local = path.join(configDir, '.msk-privatelink', 'payments.state.json');
      await writeState(local, stateAt(1));
      const holder = newLockInfo('apply (pid 77)', { host: 'ci-runner', leaseMs: 60_000 });
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `${KEY}.lock`, Body: JSON.stringify(holder) }),
      );
      const e = await refused(statePush(config, { configFor }), 'STATE_LOCKED');
      assert.match(e.message, /locked by apply \(pid 77\) \(pid \d+ on ci-runner\) since .*, lease until /);
      assert.equal(await s3State(KEY), undefined, 'nothing written');
      assert.equal(await exists(local), true);
      assert.equal(await exists(`${local}.lock`), false, 'the local lock is released');
    });

    it('CLI: state push --from FILE, a config that keeps state locally, and the old default location', async () => {
      const configDir = await tmp('config');
      const config = await writeConfig(net, configDir, s3Config());
      const elsewhere = await tmp('elsewhere');
      const from = path.join(elsewhere, 'old.state.json');
      const state = stateAt(3);
      await writeState(from, state);
      const r = await cli(['state', 'push', '--config', config, '--from', from]);
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.out,
        new RegExp(
          `Pushed ${from} to s3://${bucket}/${KEY}: lineage ${state.lineage}, serial 3, 0 resource\\(s\\)`,
        ),
      );
      assert.match(r.out, new RegExp(`kept as ${from}\\.pushed`));
      assert.equal((await s3State(KEY))?.serial, 3);

      const localConfig = await writeConfig(net, await tmp('local'), undefined);
      const usage = await cli(['state', 'push', '--config', localConfig]);
      assert.equal(usage.code, 1);
      assert.match(usage.err, /^error \[USAGE\]: .*state\.backend: state push moves a local state to S3/m);

      // The default local path is empty but the old default has the state: STATE_MOVED, or --from.
      const oldCwd = await tmp('old-cwd');
      await writeState(path.join(oldCwd, '.msk-privatelink', 'payments.state.json'), stateAt(1));
      const moved = cliIn(oldCwd, ['state', 'push', '--config', config]);
      assert.equal(moved.code, 1, moved.out);
      assert.match(moved.err, /^error \[STATE_MOVED\]/m);
    });
  });

  describe('force-unlock', () => {
    it('CLI: releases an S3 lock and prints who held it; with a lock id, only that lock', async () => {
      const dir = await tmp('config');
      const config = await writeConfig(net, dir, { backend: 's3', bucket, key: 'k.json' });
      const holder = newLockInfo('apply (pid 77)', { host: 'ci-runner', pid: 77, leaseMs: 60_000 });
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'k.json.lock', Body: JSON.stringify(holder) }),
      );

      const wrong = await cli(['force-unlock', '--config', config, 'another-id']);
      assert.equal(wrong.code, 1);
      assert.match(
        wrong.err,
        /^error \[LOCK_ID_MISMATCH\]: the state lock s3:\/\/.*k\.json\.lock is not lock another-id/m,
      );
      assert.equal(await s3Has('k.json.lock'), true);

      const r = await cli(['force-unlock', '--config', config, holder.id]);
      assert.equal(r.code, 0, r.err);
      assert.equal(
        r.out,
        `Released the state lock s3://${bucket}/k.json.lock, held by apply (pid 77) (pid 77 on ci-runner) since ${holder.createdAt}, lease until ${holder.expiresAt} (lock id ${holder.id}).\n`,
      );
      assert.equal(await s3Has('k.json.lock'), false);
      const none = await cli(['force-unlock', '--config', config]);
      assert.equal(none.code, 0, none.err);
      assert.equal(none.out, `No lock is held: s3://${bucket}/k.json.lock\n`);
    });

    it('library: releases a local lock of a dead run (the lock file beside the state beside the config)', async () => {
      const dir = await tmp('config');
      const config = await writeConfig(net, dir, undefined);
      const stateFile = path.join(dir, '.msk-privatelink', 'payments.state.json');
      const holder = newLockInfo('apply', { host: 'other-host', pid: 1 });
      await mkdir(path.dirname(stateFile), { recursive: true });
      await writeFile(`${stateFile}.lock`, JSON.stringify(holder));
      // A run is refused, naming the holder and the command.
      const e = await refused(
        withStack(config, { configFor, lock: 'me' }, async () => undefined),
        'STATE_LOCKED',
      );
      assert.match(
        e.describe(),
        new RegExp(`force-unlock --config ${config.replace(/[.]/g, '\\.')} ${holder.id}`),
      );
      const r = await forceUnlock(config, { configFor });
      assert.deepEqual(r, { location: `${stateFile}.lock`, released: true, holder });
      assert.equal(await exists(`${stateFile}.lock`), false);
      await withStack(config, { configFor, lock: 'me' }, async () => undefined);
    });
  });
});
