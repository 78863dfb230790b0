// `export --format cloudformation` (issue 16): pattern 1's plan as one template per account,
// validated by cfn-lint (AWS's CloudFormation linter, pinned in test/support/requirements-export.txt
// and installed when missing), and compared with the plan: the same resources, names and tags,
// cross-account values as the provider's outputs and the consumers' parameters, and the steps
// CloudFormation cannot take with their commands. No AWS call (the examples' inventory files).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportStack } from '../../src/ops/export.js';
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

describe('export --format cloudformation (pattern 1 in detail, cfn-lint)', function () {
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
    const md = await readFile(path.join(dir, 'orders-runbook.md'), 'utf8');
    for (const a of acceptances) assert.ok(md.includes(`(\`${a.id}\`)`), a.id);
  });

  it('refuses what it cannot export yet, with exit 1 and one message, writing nothing', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'mpl-export-no-'));
    try {
      const monitor = await runCli([
        'export',
        '--config',
        path.join(ROOT, 'plans/pattern2-custom-domain.yaml'),
        '--format',
        'cloudformation',
        '--out',
        out,
      ]);
      assert.equal(monitor.code, 1);
      assert.match(monitor.err, /EXPORT_UNSUPPORTED.*monitor/);
      const bad = await runCli(['export', '--config', config, '--format', 'yaml']);
      assert.equal(bad.code, 1);
      assert.deepEqual(await readdir(out), []);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('export --format cloudformation: every pattern, cfn-lint and the runbook', function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    await ensureCfnLint();
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-export-all-'));
    // Pattern 2 with the brokers' own names: the MSK VPC's names wait for the configuration.
    const p2 = await readFile(path.join(ROOT, 'plans/pattern2-one-consumer.yaml'), 'utf8');
    await writeFile(
      path.join(ROOT, 'plans/.export-test-p2-broker-names.yaml'),
      p2.replace(/^pattern2:$/m, 'pattern2:\n  names: broker'),
    );
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    await rm(path.join(ROOT, 'plans/.export-test-p2-broker-names.yaml'), { force: true });
  });

  const CASES: Array<[string, string[]]> = [
    ['pattern0-one-consumer.yaml', ['cluster-connectivity']],
    ['pattern2-one-consumer.yaml', ['cluster-configuration', 'endpoint-connection-acceptance']],
    ['.export-test-p2-broker-names.yaml', ['cluster-configuration', 'endpoint-connection-acceptance']],
    ['pattern2-three-consumers.yaml', ['broker-listener-config', 'endpoint-connection-acceptance']],
    ['pattern2-express.yaml', ['cluster-configuration', 'endpoint-connection-acceptance']],
    ['pattern3-three-consumers.yaml', ['resource-share-acceptance']],
  ];
  for (const [file, manualKinds] of CASES) {
    it(`${file}: clean under cfn-lint; every resource in its account; the runbook keeps the plan's order`, async () => {
      const config = path.join(ROOT, 'plans', file);
      const r = await exportStack(config, 'cloudformation');
      const out = path.join(dir, file.replace(/\W/g, '_'));
      await mkdir(out, { recursive: true });
      const written: string[] = [];
      for (const f of r.files.filter((x) => x.name.endsWith('.cfn.json'))) {
        written.push(path.join(out, f.name));
        await writeFile(path.join(out, f.name), f.content);
      }
      const lint = await cfnLint(written);
      assert.equal(lint.code, 0, lint.out);

      const templates = new Map(
        r.files
          .filter((f) => f.name.endsWith('.cfn.json'))
          .map((f) => [f.name, JSON.parse(f.content) as Template]),
      );
      const plan = await planOffline(config);
      const tagOf = (props: Record<string, unknown>): string | undefined => {
        const t = props.Tags ?? props.HostedZoneTags;
        if (Array.isArray(t))
          return (t as Array<{ Key: string; Value: string }>).find((x) => x.Key === 'msk-privatelink:id')
            ?.Value;
        return (t as Record<string, string> | undefined)?.['msk-privatelink:id'];
      };
      // Every tagged resource of the plan, by its id tag, in a template of its own account.
      const where = new Map<string, string>();
      for (const [name, t] of templates)
        for (const res of Object.values(t.Resources)) {
          const id = tagOf(res.Properties);
          if (id !== undefined) where.set(id, name);
        }
      for (const res of plan.desired) {
        const tags = (res.props as { tags?: Record<string, string> }).tags;
        // A listener has no Tags in CloudFormation (AWS::ElasticLoadBalancingV2::Listener): counted below.
        if (tags === undefined || res.kind === 'listener') continue;
        const file = where.get(res.id);
        assert.ok(file, `${res.id} is in a template`);
        assert.ok(file.includes(`-${res.account}-${res.region}`), `${res.id} in its account's template`);
      }
      const listeners = [...templates.values()].flatMap((t) =>
        Object.values(t.Resources).filter((x) => x.Type === 'AWS::ElasticLoadBalancingV2::Listener'),
      );
      assert.equal(listeners.length, plan.desired.filter((x) => x.kind === 'listener').length);
      // One step per resource CloudFormation cannot make, of the kinds expected; each command (its
      // `<...>` placeholders filled) parses as bash.
      const manual = plan.desired.filter((x) => manualKinds.includes(x.kind));
      assert.deepEqual(r.manual.map((m) => m.id).sort(), manual.map((m) => m.id).sort());
      for (const m of r.manual)
        for (const cmd of [m.apply, m.undo].filter((c) => c !== '')) {
          const filled = cmd.replace(/<[^<>\n]+>/g, 'X');
          const parsed = await run('bash', ['-n', '-c', filled]).then(
            () => '',
            (e: { stderr?: string }) => e.stderr ?? 'failed',
          );
          assert.equal(parsed, '', `${m.id}: ${filled}`);
        }
      // The runbook: every template once, every step once; a template after those whose outputs it
      // takes; what waits for a gated step (anything that depends on it but an acceptance) after it.
      const pos = new Map(r.runbook.map((u, k) => ['deploy' in u ? u.deploy : u.run, k]));
      assert.equal(pos.size, r.runbook.length);
      assert.deepEqual(
        [...templates.keys()].filter((t) => !pos.has(t)),
        [],
      );
      for (const [name, t] of templates)
        for (const p of Object.keys(t.Parameters ?? {})) {
          const from = [...templates].find(([, o]) => o.Outputs?.[p] !== undefined)?.[0];
          if (from === undefined) continue; // a CIDR the user gives
          assert.ok((pos.get(from) as number) < (pos.get(name) as number), `${from} before ${name}`);
        }
      for (const res of plan.desired) {
        const file = where.get(res.id);
        if (file === undefined) continue;
        for (const d of res.dependsOn) {
          const gated = pos.has(d) && !d.endsWith('/endpoint-connection-acceptance');
          if (gated)
            assert.ok((pos.get(d) as number) < (pos.get(file) as number), `${res.id} after step ${d}`);
        }
      }
    });
  }

  it("pattern 2 with the brokers' own names: their MSK VPC zones are a later template, after the configuration", async () => {
    const r = await exportStack(path.join(ROOT, 'plans/.export-test-p2-broker-names.yaml'), 'cloudformation');
    const later = r.files.find((f) => f.name.endsWith('-after.cfn.json'));
    assert.ok(later, r.files.map((f) => f.name).join(', '));
    const t = JSON.parse(later.content) as Template;
    const zones = Object.values(t.Resources).filter((x) => x.Type === 'AWS::Route53::HostedZone');
    assert.equal(zones.length, 3);
    const order = r.runbook.map((u) => ('deploy' in u ? u.deploy : u.run));
    assert.ok(order.indexOf('shared/cluster-configuration') < order.indexOf(later.name), order.join(' > '));
    // Undo is the reverse: the names go before the brokers advertise their old ports again.
    const md = r.files.find((f) => f.name.endsWith('-runbook.md'))?.content ?? '';
    const undo = md.slice(md.indexOf('## Undo'));
    assert.ok(undo.indexOf(later.name) < undo.indexOf('undo `shared/cluster-configuration`'));
  });
});
