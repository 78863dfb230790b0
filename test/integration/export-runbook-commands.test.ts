// The runbook's MSK commands, run as a user would (bash and the AWS CLI v1) against the AWS twin's
// MSK. Pattern 2 in msk-configuration mode: the script puts custom.advertised.listeners on the
// cluster through the stack's configuration and keeps the cluster's other properties; run again it
// makes a new revision and keeps what it saved first; its undo puts the cluster back on the
// configuration it ran and deletes the stack's. Pattern 0: the connectivity command turns
// SASL/SCRAM on, its undo off. The wait loop polls every 0.2 s here (30 s in the runbook).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateConfigurationCommand,
  DescribeClusterV2Command,
  DescribeConfigurationRevisionCommand,
  KafkaClient,
  ListConfigurationsCommand,
  UpdateClusterConfigurationCommand,
} from '@aws-sdk/client-kafka';
import { exportStack } from '../../src/ops/export.js';
import { awsCliIn } from '../support/aws-cli.js';
import { writeStackConfig } from '../support/e2e.js';
import { startTwinBed, type TwinBed } from '../testbed/twin-bed.js';

const run = promisify(execFile);
const PROPERTY = 'custom.advertised.listeners';

describe('export: the runbook MSK configuration script, run with bash and the AWS CLI against the twin', function () {
  this.timeout(300_000);
  let bed: TwinBed;
  let file: string;
  let work: string;
  const saved = { ...process.env };

  before(async () => {
    bed = await startTwinBed({ brokers: 3, consumers: 1 });
    ({ file } = await writeStackConfig(bed, { name: 'rbk', pattern: 2, mode: 'msk-configuration' }));
    Object.assign(process.env, bed.env());
    work = await mkdtemp(path.join(tmpdir(), 'mpl-runbook-'));
    await awsCliIn(work);
  });

  after(async () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await bed?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const bash = (script: string) =>
    run('bash', ['-c', `sleep() { command sleep 0.2; }\n${script}`], {
      cwd: work,
      env: {
        PATH: `${work}:${process.env.PATH ?? ''}`,
        HOME: process.env.HOME,
        AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL,
        AWS_DEFAULT_REGION: process.env.AWS_REGION,
        AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_PAGER: '',
      },
      timeout: 120_000,
    });

  /** The cluster's configuration (ARN, revision) and that revision's server properties. */
  async function current(): Promise<{ arn?: string; revision?: number; properties: string }> {
    const kafka = new KafkaClient(bed.clientConfig(bed.scenario.accounts.provider));
    try {
      const info = await kafka.send(new DescribeClusterV2Command({ ClusterArn: bed.clusterArn }));
      const sw = info.ClusterInfo?.Provisioned?.CurrentBrokerSoftwareInfo;
      if (sw?.ConfigurationArn === undefined) return { properties: '' };
      const rev = await kafka.send(
        new DescribeConfigurationRevisionCommand({
          Arn: sw.ConfigurationArn,
          Revision: sw.ConfigurationRevision,
        }),
      );
      return {
        arn: sw.ConfigurationArn,
        revision: Number(sw.ConfigurationRevision),
        properties: Buffer.from(rev.ServerProperties ?? new Uint8Array()).toString('utf8'),
      };
    } finally {
      kafka.destroy();
    }
  }

  it('applies the property, re-runs as a new revision, and undoes it', async () => {
    const r = await exportStack(file, 'cloudformation');
    const step = r.manual.find((m) => m.id === 'shared/cluster-configuration');
    assert.ok(step, r.manual.map((m) => m.id).join(', '));
    // The script's own wait, for the cluster's update above.
    const mskWait = step.apply.split('\n').find((l) => l.startsWith('until ')) ?? '';
    assert.ok(mskWait);
    const value = /custom\.advertised\.listeners=([^']+)'/.exec(step.apply)?.[1];
    assert.ok(value, 'the script names the value');
    // The cluster on a configuration of its own, whose properties the script must keep.
    const OWN = ['auto.create.topics.enable=false', 'log.retention.hours=48'];
    const kafka = new KafkaClient(bed.clientConfig(bed.scenario.accounts.provider));
    try {
      const made = await kafka.send(
        new CreateConfigurationCommand({ Name: 'team-own', ServerProperties: Buffer.from(OWN.join('\n')) }),
      );
      const info = await kafka.send(new DescribeClusterV2Command({ ClusterArn: bed.clusterArn }));
      await kafka.send(
        new UpdateClusterConfigurationCommand({
          ClusterArn: bed.clusterArn,
          CurrentVersion: info.ClusterInfo?.CurrentVersion,
          ConfigurationInfo: { Arn: made.Arn, Revision: 1 },
        }),
      );
      await bash(mskWait);
    } finally {
      kafka.destroy();
    }
    const before = await current();
    assert.match(before.arn ?? '', /configuration\/team-own\//);

    await bash(step.apply);
    const first = await current();
    assert.match(first.arn ?? '', /:configuration\/mpl-rbk\//);
    assert.equal(first.revision, 1);
    assert.ok(first.properties.split('\n').includes(`${PROPERTY}=${value}`), first.properties);
    for (const line of OWN) assert.ok(first.properties.split('\n').includes(line), `${line} kept`);
    const savedFile = path.join(work, 'mpl-rbk-previous-configuration.txt');
    const savedFirst = await readFile(savedFile, 'utf8');
    assert.deepEqual(savedFirst.trim().split(/\s+/), [before.arn, String(before.revision)]);

    // Run again: a new revision of the same configuration; what the cluster ran first stays saved.
    await bash(step.apply);
    const second = await current();
    assert.equal(second.arn, first.arn);
    assert.equal(second.revision, 2);
    assert.equal(second.properties.split('\n').filter((l) => l.startsWith(`${PROPERTY}=`)).length, 1);
    assert.equal(await readFile(savedFile, 'utf8'), savedFirst);

    await bash(step.undo);
    const undone = await current();
    assert.ok(!undone.properties.includes(`${PROPERTY}=`), undone.properties);
    assert.equal(undone.arn, before.arn);
    assert.equal(undone.revision, before.revision);
    // The stack's configuration is deleted once the cluster no longer runs it.
    const left = new KafkaClient(bed.clientConfig(bed.scenario.accounts.provider));
    try {
      const names = ((await left.send(new ListConfigurationsCommand({}))).Configurations ?? []).map(
        (c) => c.Name,
      );
      assert.ok(!names.includes('mpl-rbk'), names.join(', '));
    } finally {
      left.destroy();
    }
  });

  it('turns multi-VPC connectivity on for SASL/SCRAM (pattern 0), and off again', async () => {
    const { file: p0 } = await writeStackConfig(bed, {
      name: 'rbk0',
      pattern: 1,
      extra: { pattern: 0, cluster: { arn: bed.clusterArn, listeners: ['sasl_scram'] } },
    });
    const r = await exportStack(p0, 'cloudformation');
    const step = r.manual.find((m) => m.id === 'shared/cluster-connectivity');
    assert.ok(step, r.manual.map((m) => m.id).join(', '));
    const scram = async () => {
      const kafka = new KafkaClient(bed.clientConfig(bed.scenario.accounts.provider));
      try {
        const info = await kafka.send(new DescribeClusterV2Command({ ClusterArn: bed.clusterArn }));
        return info.ClusterInfo?.Provisioned?.BrokerNodeGroupInfo?.ConnectivityInfo?.VpcConnectivity
          ?.ClientAuthentication?.Sasl?.Scram?.Enabled;
      } finally {
        kafka.destroy();
      }
    };
    assert.notEqual(await scram(), true);
    await bash(step.apply);
    assert.equal(await scram(), true);
    await bash(step.undo);
    assert.notEqual(await scram(), true);
  });
});
