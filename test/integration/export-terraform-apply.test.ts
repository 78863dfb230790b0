// `export --format terraform` applied by Terraform itself against the AWS twin (the hashicorp/aws
// provider from a plugin mirror, every service endpoint pointed at the twin, each account through
// the exported alias's AssumeRole), then read back by msk-privatelink: `state pull` finds by tags
// what Terraform made, and a plan of the same config has nothing to change. That is the check
// that the export makes the same resources, names, settings and tags as `apply`: pattern 1, and
// pattern 2 whose cluster configuration is a terraform_data command running the AWS CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportStack } from '../../src/ops/export.js';
import { planLive } from '../../src/ops/plan.js';
import { statePull } from '../../src/ops/pull.js';
import { withStack } from '../../src/ops/stack.js';
import { awsCliIn } from '../support/aws-cli.js';
import { writeStackConfig } from '../support/e2e.js';
import { startTwinBed, type TwinBed } from '../testbed/twin-bed.js';

const run = promisify(execFile);
const PLUGINS = process.env.TF_PLUGIN_DIR ?? '/opt/tf-plugins';
const SERVICES = ['ec2', 'elbv2', 'route53', 'ssm', 'kafka', 'sts', 'iam', 'ram', 'vpclattice'];

describe('export --format terraform, applied by Terraform on the AWS twin, then planned by msk-privatelink', function () {
  this.timeout(900_000);
  let bed: TwinBed;
  let root: string;
  let work: string;
  const saved = { ...process.env };

  const terraform = async (args: string[]) =>
    run('terraform', [...args, '-no-color'], {
      cwd: work,
      // terraform_data's commands run the AWS CLI against the twin as the provider account.
      env: {
        ...process.env,
        TF_IN_AUTOMATION: '1',
        PATH: `${root}:${process.env.PATH ?? ''}`,
        AWS_DEFAULT_REGION: process.env.AWS_REGION,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
      maxBuffer: 1 << 26,
    }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: typeof e.code === 'number' ? e.code : -1,
        out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
      }),
    );

  before(async function () {
    // Terraform and the provider come with the machine, not from the project's package managers.
    const tfVersion = await run('terraform', ['version']).then(
      () => true,
      () => false,
    );
    if (!existsSync(PLUGINS) || !tfVersion) {
      console.log(`      skipped: needs terraform and the hashicorp/aws provider in ${PLUGINS}`);
      this.skip();
    }
    bed = await startTwinBed({ brokers: 3, consumers: 2 });
    Object.assign(process.env, bed.env());
    root = await mkdtemp(path.join(tmpdir(), 'mpl-tf-apply-'));
    // `aws` for terraform_data's commands: the AWS CLI v1 the benches pin.
    await awsCliIn(root);
  });

  after(async () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await bed?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const CASES: Array<[string, { name: string; pattern: 1 | 2; mode?: 'msk-configuration' }]> = [
    ['pattern 1, two consumer accounts', { name: 'tfx', pattern: 1 }],
    [
      'pattern 2 in msk-configuration mode (its cluster configuration a terraform_data command)',
      { name: 'tfy', pattern: 2, mode: 'msk-configuration' },
    ],
  ];
  for (const [what, stackOptions] of CASES)
    it(`${what}: terraform apply makes what msk-privatelink would; after state pull, its plan has nothing to change`, async () => {
      const { file } = await writeStackConfig(bed, stackOptions);
      work = await mkdtemp(path.join(root, `${stackOptions.name}-`));
      const r = await exportStack(file, 'terraform');
      const tf = r.files.find((f) => f.name.endsWith('.tf.json'));
      assert.ok(tf);
      await writeFile(path.join(work, tf.name), tf.content);
      // The same aliases, pointed at the twin (an override file merges into each provider block).
      const aliases = (
        JSON.parse(tf.content) as { provider: { aws: Array<{ alias: string; region: string }> } }
      ).provider.aws;
      const endpoint = process.env.AWS_ENDPOINT_URL as string;
      await writeFile(
        path.join(work, 'twin_override.tf.json'),
        JSON.stringify({
          provider: {
            aws: aliases.map((a) => ({
              alias: a.alias,
              region: a.region,
              access_key: process.env.AWS_ACCESS_KEY_ID,
              secret_key: process.env.AWS_SECRET_ACCESS_KEY,
              skip_credentials_validation: true,
              skip_metadata_api_check: true,
              skip_region_validation: true,
              endpoints: [Object.fromEntries(SERVICES.map((s) => [s, endpoint]))],
            })),
          },
        }),
      );
      const init = await terraform(['init', '-input=false', `-plugin-dir=${PLUGINS}`]);
      assert.equal(init.code, 0, init.out);
      const apply = await terraform(['apply', '-auto-approve', '-input=false', '-parallelism=4']);
      assert.equal(apply.code, 0, apply.out.slice(-6000));

      await withStack(file, { lock: 'test' }, async (stack) => {
        await statePull(stack);
        const { plan } = await planLive(stack);
        const changes = plan.changes.filter((c) => c.action !== 'noop');
        assert.deepEqual(
          changes.map((c) => `${c.action} ${c.id}: ${c.reason} ${JSON.stringify(c.changedProps ?? [])}`),
          [],
        );
      });

      const destroy = await terraform(['destroy', '-auto-approve', '-input=false', '-parallelism=4']);
      assert.equal(destroy.code, 0, destroy.out.slice(-6000));
    });
});
