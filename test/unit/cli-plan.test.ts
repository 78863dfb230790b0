import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PlanFileSchema } from '../../src/plan/plan-file.js';
import { runCli } from '../support/run-cli.js';

const example = (name: string) => path.join('plans', name);

describe('cli', () => {
  it('lists every command of the contract in --help', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['discover', 'plan', 'apply', 'destroy', 'status', 'cost', 'probe', 'export', 'schema']) {
      assert.match(r.out, new RegExp(`\\n  ${c}\\b`), c);
    }
  });

  it('answers an unknown command with exit 1', async () => {
    const r = await runCli(['frobnicate']);
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown command/);
  });
});

describe('cli: plan --offline', () => {
  it('prints a diff with a reason per change and a summary line, and exits 2 when there are changes', async () => {
    const r = await runCli(['plan', '--offline', '--config', example('pattern1-one-consumer.yaml')]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.out, /\+ load-balancer "b-1\/load-balancer"/);
    assert.match(r.out, /will be created: not yet made/);
    // 3 brokers: NLB, TG, listener, service, permissions each (15); SG, zone, SSM (3); endpoint, acceptance, record each (9); broker SG rule (1);
    // the NLBs' SG (1).
    assert.match(r.out, /Plan: 29 to add, 0 to change, 0 to replace, 0 to destroy\./);
  });

  it('gives the public plan JSON with --json', async () => {
    const r = await runCli([
      'plan',
      '--offline',
      '--json',
      '--config',
      example('pattern2-three-consumers.yaml'),
    ]);
    assert.equal(r.code, 2);
    const j = JSON.parse(r.out) as {
      changes: Array<{ action: string; kind: string; id: string; account: string; reason: string }>;
      summary: Record<string, number>;
      warnings: Array<{ code: string; message: string }>;
    };
    assert.deepEqual(Object.keys(j.summary).sort(), ['create', 'delete', 'noop', 'replace', 'update']);
    assert.equal(j.summary.create, j.changes.length);
    // The original fields stay; region and the props (after, on a create) were added.
    assert.deepEqual(Object.keys(j.changes[0] ?? {}).sort(), [
      'account',
      'action',
      'after',
      'id',
      'kind',
      'reason',
      'region',
    ]);
    const configs = j.changes.filter((c) => c.kind === 'broker-listener-config');
    assert.equal(configs.length, 6);
    assert.ok(j.changes.filter((c) => c.kind === 'vpc-endpoint').every((c) => c.account !== '111111111111'));
    assert.ok(j.warnings.every((w) => /^MPL\d{3}$/.test(w.code)));
  });

  it('saves a plan file that records the state it was made from', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mpl-'));
    const out = path.join(dir, 'plan.json');
    const r = await runCli([
      'plan',
      '--offline',
      '--config',
      example('pattern2-one-consumer.yaml'),
      '--out',
      out,
    ]);
    assert.equal(r.code, 2);
    const plan = PlanFileSchema.parse(JSON.parse(await readFile(out, 'utf8')));
    assert.deepEqual(plan.state, { lineage: null, serial: 0 });
    assert.deepEqual(plan.portAssignments, { '1/tls': 9001, '2/tls': 9002, '3/tls': 9003 });
    assert.equal(plan.desired.length, plan.changes.length);
    assert.match(plan.inputs.digests.config ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.match(plan.inputs.digests.inventory ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(
      plan.inputs.brokers.map((b) => b.id),
      [1, 2, 3],
    );
    // Relative to the plan file's folder: it applies from any directory.
    assert.equal(
      path.resolve(path.dirname(out), plan.configFile),
      path.resolve(example('pattern2-one-consumer.yaml')),
    );
  });

  it('exits 1 on lint errors and names them', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mpl-'));
    await mkdir(path.join(dir, 'inventories'));
    await copyFile(
      example('inventories/payments-3-brokers.json'),
      path.join(dir, 'inventories/payments-3-brokers.json'),
    );
    const text = (await readFile(example('pattern1-one-consumer.yaml'), 'utf8')).replace(
      'brokerSecurityGroupId: sg-0123456789abcdef0',
      'brokerSecurityGroupId: sg-0123456789abcdef0\n  endpointService: { acceptanceRequired: false }',
    );
    const file = path.join(dir, 'open.yaml');
    await writeFile(file, text);
    const r = await runCli(['plan', '--offline', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.out, /Error \[MPL002\]/);
    assert.match(r.err, /lint error\(s\): MPL002/);
  });

  it('prints a JSON Schema that describes the config fields', async () => {
    const r = await runCli(['schema']);
    assert.equal(r.code, 0);
    const s = JSON.parse(r.out) as { properties: Record<string, { properties?: Record<string, unknown> }> };
    for (const k of ['name', 'region', 'pattern', 'cluster', 'provider', 'pattern2', 'consumers', 'state']) {
      assert.ok(k in s.properties, k);
    }
    assert.ok('portBase' in (s.properties.pattern2?.properties ?? {}));
  });
});

describe('cli: cost --offline', () => {
  it('reproduces the write-up: one broker, one consumer in three AZs is $37.80 of NLB and endpoint a month', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mpl-'));
    const inv = JSON.parse(await readFile(example('inventories/payments-3-brokers.json'), 'utf8')) as {
      brokers: unknown[];
    };
    inv.brokers = inv.brokers.slice(0, 1);
    await mkdir(path.join(dir, 'inventories'));
    await writeFile(path.join(dir, 'inventories/payments-3-brokers.json'), JSON.stringify(inv));
    // The NLB spans the three provider AZs (MSK's client subnets), as in the write-up.
    const config = (await readFile(example('pattern1-one-consumer.yaml'), 'utf8')).replace(
      '  vpcId: vpc-0a1b2c3d\n',
      '  vpcId: vpc-0a1b2c3d\n  subnets: [subnet-0a1a1a1a, { id: subnet-0b2b2b2b, azId: use2-az2 }, { id: subnet-0c3c3c3c, azId: use2-az3 }]\n',
    );
    await writeFile(path.join(dir, 'c.yaml'), config);
    // The write-up's month is 720 hours (the default is AWS's 730).
    const r = await runCli([
      'cost',
      '--offline',
      '--format',
      'json',
      '--hours-per-month',
      '720',
      '--config',
      path.join(dir, 'c.yaml'),
    ]);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as {
      selected: string;
      options: Array<{ id: string; lines: Array<{ item: string; monthlyUsd: number }> }>;
    };
    assert.equal(report.selected, 'pattern1');
    const p1 = report.options.find((o) => o.id === 'pattern1');
    const line = (item: string) => p1?.lines.find((l) => l.item === item)?.monthlyUsd;
    assert.equal(line('nlb-hours'), 16.2);
    assert.equal(line('endpoint-az-hours'), 21.6);
    assert.equal(Math.round(((line('nlb-hours') ?? 0) + (line('endpoint-az-hours') ?? 0)) * 100) / 100, 37.8);
  });

  it('renders every format and rejects a bad volume with exit 1', async () => {
    for (const format of ['table', 'markdown', 'html', 'csv'] as const) {
      const r = await runCli([
        'cost',
        '--offline',
        '--format',
        format,
        '--config',
        example('pattern2-three-consumers.yaml'),
      ]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /pattern2/);
    }
    const bad = await runCli([
      'cost',
      '--offline',
      '--gb-per-month',
      '-5',
      '--config',
      example('pattern2-one-consumer.yaml'),
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /gb-per-month/);
  });
});

describe('cli: pattern 2 on Express brokers (msk-configuration)', () => {
  it('plans offline: one MSK configuration for the cluster with sibling names, the mode and its reason as a note', async () => {
    const r = await runCli(['plan', '--offline', '--json', '--config', example('pattern2-express.yaml')]);
    assert.equal(r.code, 2, r.err);
    const j = JSON.parse(r.out) as {
      changes: Array<{ kind: string; id: string; after?: Record<string, unknown> }>;
      findings: Array<{ code: string; severity: string; message: string }>;
    };
    const cc = j.changes.filter((c) => c.kind === 'cluster-configuration');
    assert.equal(cc.length, 1);
    assert.match(
      String(cc[0]?.after?.customAdvertisedListeners),
      /^CLIENT_SECURE:\/\/b-\{broker_id\}-pl\.orders-express\.fed654\.c2\.kafka\.us-east-2\.amazonaws\.com:9000\+\{broker_id\}$/,
    );
    assert.equal(j.changes.filter((c) => c.kind === 'broker-listener-config').length, 0);
    // 6 brokers x 1 listener type + 1 bootstrap listener: IAM keeps the brokers' own names, not the NLB.
    assert.equal(j.changes.filter((c) => c.kind === 'listener').length, 7);
    // Sibling names: a provider-VPC zone each, and a record each in every consumer zone.
    assert.ok(j.changes.some((c) => c.id === 'provider/hosted-zone/b-4-pl'));
    assert.ok(j.changes.some((c) => c.id === 'billing/dns-record/b-4-pl'));
    const note = j.findings.find((f) => f.code === 'MPL301');
    assert.equal(note?.severity, 'info');
    assert.match(
      note?.message ?? '',
      /msk-configuration, chosen for kafka 3\.7\.x\.kraft, KRaft mode, express brokers/,
    );
    assert.ok(j.findings.some((f) => f.code === 'MPL109' && /restarts every broker/.test(f.message)));
  });

  it('prices it beside the other options', async () => {
    const r = await runCli([
      'cost',
      '--offline',
      '--format',
      'json',
      '--config',
      example('pattern2-express.yaml'),
    ]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      selected: string;
      options: Array<{ id: string; viable: boolean; lines: Array<{ item: string; quantity: number }> }>;
    };
    const p2 = j.options.find((o) => o.id === 'pattern2');
    assert.equal(p2?.viable, true);
    assert.equal(j.selected, 'pattern2');
    // Three consumer zones and one provider zone per broker name.
    assert.equal(p2?.lines.find((l) => l.item === 'hosted-zones')?.quantity, 9);
  });

  it('refuses the legacy modes there, naming the way out', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mpl-'));
    await mkdir(path.join(dir, 'inventories'));
    await copyFile(
      example('inventories/orders-express-6-brokers.json'),
      path.join(dir, 'inventories/orders-express-6-brokers.json'),
    );
    const text = (await readFile(example('pattern2-express.yaml'), 'utf8')).replace(
      'portBase: 9001',
      'portBase: 9001\n  mode: rewrite',
    );
    await writeFile(path.join(dir, 'c.yaml'), text);
    const r = await runCli(['plan', '--offline', '--config', path.join(dir, 'c.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /PATTERN2_KRAFT.*leave pattern2\.mode out/s);
  });
});
