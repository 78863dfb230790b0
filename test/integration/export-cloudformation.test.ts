// `export --format cloudformation` (issue 16): pattern 1's plan as one template per account,
// validated by cfn-lint (AWS's CloudFormation linter, pinned in test/support/requirements-export.txt
// and installed when missing), and compared with the plan: the same resources, names and tags,
// cross-account values as the provider's outputs and the consumers' parameters, and the steps
// CloudFormation cannot take with their commands. No AWS call (the examples' inventory files).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { planOffline } from '../../src/ops/plan.js';
import { runCli } from '../support/run-cli.js';

const run = promisify(execFile);
const PYTHON = process.env.TWIN_PYTHON ?? 'python3';
const ROOT = path.resolve(import.meta.dirname, '../..');
const REQUIREMENTS = path.join(ROOT, 'test/support/requirements-export.txt');
const CFN_LINT = '1.51.0';
// cfn-lint's console script, run through the same Python (the package has no __main__).
const LINT = 'import sys; from cfnlint.runner import main; sys.exit(main())';
const VERSION = "import importlib.metadata as m; print(m.version('cfn-lint'))";

async function ensureCfnLint(): Promise<void> {
  const version = await run(PYTHON, ['-c', VERSION]).then(
    (r) => r.stdout.trim(),
    () => '',
  );
  if (version !== CFN_LINT)
    await run(PYTHON, ['-m', 'pip', 'install', '--quiet', '-r', REQUIREMENTS], { timeout: 300_000 });
}

/** cfn-lint's exit code (0: clean; 2 errors, 4 warnings, 8 informational, or-ed) and its findings. */
async function cfnLint(files: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(PYTHON, ['-c', LINT, '--', ...files]);
    return { code: 0, out: r.stdout };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

type Template = {
  Parameters?: Record<string, unknown>;
  Outputs?: Record<string, { Value: unknown }>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Metadata?: { 'msk-privatelink': { manual: Array<{ id: string; apply: string; undo: string }> } };
};

describe('export --format cloudformation (pattern 1, cfn-lint)', function () {
  this.timeout(300_000);
  const config = path.join(ROOT, 'plans/pattern1-three-consumers.yaml');
  let dir: string;
  let files: string[];
  const templates = new Map<string, Template>();

  before(async () => {
    await ensureCfnLint();
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-export-'));
    const r = await runCli(['export', '--config', config, '--format', 'cloudformation', '--out', dir]);
    assert.equal(r.code, 0, r.err);
    files = (await readdir(dir)).filter((f) => f.endsWith('.cfn.json')).map((f) => path.join(dir, f));
    for (const f of files) templates.set(path.basename(f), JSON.parse(await readFile(f, 'utf8')) as Template);
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes one template per account, each clean under cfn-lint', async () => {
    assert.deepEqual(
      [...templates.keys()].sort(),
      ['111111111111', '222222222222', '333333333333', '444444444444'].map(
        (a) => `orders-${a}-us-east-2.cfn.json`,
      ),
    );
    const lint = await cfnLint(files);
    assert.equal(lint.code, 0, lint.out);
  });

  it('cfn-lint is really looking: a template with a refused description fails it', async () => {
    const [first] = files;
    const t = JSON.parse(await readFile(first as string, 'utf8')) as Template;
    const sg = Object.values(t.Resources).find((r) => r.Type === 'AWS::EC2::SecurityGroup');
    assert.ok(sg);
    sg.Properties.GroupDescription = "the clients' group";
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify(t));
    const lint = await cfnLint([bad]);
    assert.notEqual(lint.code, 0);
    assert.match(lint.out, /E3031/);
  });

  it('holds every resource of the plan with its name and tags, in its own account', async () => {
    const plan = await planOffline(config);
    const TYPES: Record<string, string> = {
      'security-group': 'AWS::EC2::SecurityGroup',
      'target-group': 'AWS::ElasticLoadBalancingV2::TargetGroup',
      'load-balancer': 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      listener: 'AWS::ElasticLoadBalancingV2::Listener',
      'endpoint-service': 'AWS::EC2::VPCEndpointService',
      'endpoint-service-permissions': 'AWS::EC2::VPCEndpointServicePermissions',
      'vpc-endpoint': 'AWS::EC2::VPCEndpoint',
      'hosted-zone': 'AWS::Route53::HostedZone',
      'dns-record': 'AWS::Route53::RecordSet',
      'ssm-parameter': 'AWS::SSM::Parameter',
    };
    for (const [kind, type] of Object.entries(TYPES)) {
      for (const account of new Set(plan.desired.map((r) => r.account))) {
        const want = plan.desired.filter((r) => r.kind === kind && r.account === account);
        const t = templates.get(`orders-${account}-us-east-2.cfn.json`) as Template;
        const have = Object.values(t.Resources).filter((r) => r.Type === type);
        assert.equal(have.length, want.length, `${kind} in ${account}`);
        for (const r of want) {
          const p = r.props as { name?: string; tags?: Record<string, string> };
          if (p.name === undefined) continue;
          // Named by a property, or (endpoint services and endpoints) by their Name tag.
          const nameOf = (h: (typeof have)[number]) => {
            const tags = h.Properties.Tags as Array<{ Key: string; Value: string }> | undefined;
            return [h.Properties.Name, h.Properties.GroupName, tags?.find?.((x) => x.Key === 'Name')?.Value];
          };
          const named = have.find((h) => nameOf(h).includes(p.name));
          assert.ok(named, `${r.id}: ${p.name} in the template`);
          if (p.tags !== undefined && kind !== 'ssm-parameter') {
            const tags = (named.Properties.Tags ?? named.Properties.HostedZoneTags) as Array<{
              Key: string;
              Value: string;
            }>;
            assert.deepEqual(Object.fromEntries(tags.map((x) => [x.Key, x.Value])), p.tags, `${r.id}: tags`);
          }
        }
      }
    }
    // A security group rule on the brokers' group the stack does not own: one ingress per source.
    const provider = templates.get('orders-111111111111-us-east-2.cfn.json') as Template;
    assert.ok(Object.values(provider.Resources).some((r) => r.Type === 'AWS::EC2::SecurityGroupIngress'));
  });

  it("each consumer's parameters are the provider template's outputs", () => {
    const provider = templates.get('orders-111111111111-us-east-2.cfn.json') as Template;
    for (const [file, t] of templates) {
      if (file.includes('111111111111')) continue;
      const params = Object.keys(t.Parameters ?? {});
      assert.ok(params.length > 0, `${file} takes the endpoint service names`);
      for (const p of params) assert.ok(provider.Outputs?.[p], `${file}: ${p} is a provider output`);
    }
  });

  it('says what CloudFormation cannot do, with the commands to run and to undo', async () => {
    const plan = await planOffline(config);
    const acceptances = plan.desired.filter((r) => r.kind === 'endpoint-connection-acceptance');
    const provider = templates.get('orders-111111111111-us-east-2.cfn.json') as Template;
    const steps = provider.Metadata?.['msk-privatelink'].manual ?? [];
    assert.deepEqual(steps.map((s) => s.id).sort(), acceptances.map((a) => a.id).sort());
    for (const s of steps) {
      assert.match(
        s.apply,
        /^aws ec2 accept-vpc-endpoint-connections --region us-east-2 --service-id <orders-111111111111-us-east-2\.cfn\.json:\w+Id> --vpc-endpoint-ids <orders-\d{12}-us-east-2\.cfn\.json:\w+Id>$/,
      );
      assert.match(s.undo, /^aws ec2 reject-vpc-endpoint-connections /);
    }
    const md = await readFile(path.join(dir, 'orders-manual-steps.md'), 'utf8');
    for (const a of acceptances) assert.ok(md.includes(`## ${a.id}`), a.id);
  });

  it('refuses what it cannot export yet, with exit 1 and one message, writing nothing', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'mpl-export-no-'));
    try {
      const p3 = await runCli([
        'export',
        '--config',
        path.join(ROOT, 'plans/pattern3-three-consumers.yaml'),
        '--format',
        'cloudformation',
        '--out',
        out,
      ]);
      assert.equal(p3.code, 1);
      assert.match(p3.err, /EXPORT_UNSUPPORTED.*resource-gateway/);
      const tf = await runCli(['export', '--config', config, '--format', 'terraform', '--out', out]);
      assert.equal(tf.code, 1);
      assert.match(tf.err, /terraform is not available yet/);
      const bad = await runCli(['export', '--config', config, '--format', 'yaml']);
      assert.equal(bad.code, 1);
      assert.deepEqual(await readdir(out), []);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
