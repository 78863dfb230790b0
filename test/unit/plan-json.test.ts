import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Change } from '../../src/plan/diff.js';
import { planJson, PlanJsonSchema, redactProps, REDACTED, type PlanJson } from '../../src/plan/plan-json.js';
import { renderPlan } from '../../src/plan/render.js';
import { runCli } from '../support/run-cli.js';

// Expected values come from the example files and the documented rules (docs/configuration.md:
// logical ids, pattern 2 port assignment, additive mode), never from the code under test.
const CONFIG = path.join('plans', 'pattern2-three-consumers.yaml');
/** MSK's TLS client port; additive mode's broker port is client port + 100. */
const TLS_CLIENT_PORT = 9094;
const ADDITIVE_TLS_PORT = TLS_CLIENT_PORT + 100;

interface ExampleConfig {
  cluster: { brokersFile: string };
  consumers: Array<{ name: string; account: string; allowedCidrs: string[] }>;
  pattern2: { portBase: number };
}
interface ExampleInventory {
  brokers: Array<{ id: number; host: string; ip: string }>;
}

async function example(): Promise<{ config: ExampleConfig; inventory: ExampleInventory }> {
  const config = parseYaml(await readFile(CONFIG, 'utf8')) as ExampleConfig;
  const inventory = JSON.parse(
    await readFile(path.join(path.dirname(CONFIG), config.cluster.brokersFile), 'utf8'),
  ) as ExampleInventory;
  return { config, inventory };
}

/** The documented port rule: ascending broker ids, lowest free port at or above portBase. */
function expectedPorts(portBase: number, brokerIds: number[]): Map<number, number> {
  const taken = (p: number) =>
    p === 2181 ||
    (p >= 9092 && p <= 9098) ||
    (p >= 14001 && p <= 14100) ||
    p === TLS_CLIENT_PORT ||
    p === ADDITIVE_TLS_PORT;
  const out = new Map<number, number>();
  let next = portBase;
  for (const id of [...brokerIds].sort((a, b) => a - b)) {
    while (taken(next)) next++;
    out.set(id, next++);
  }
  return out;
}

async function planJsonOf(config: string): Promise<{ code: number; json: PlanJson; err: string }> {
  const r = await runCli(['plan', '--offline', '--json', '--config', config]);
  return { code: r.code, json: PlanJsonSchema.parse(JSON.parse(r.out)), err: r.err };
}

function after(j: PlanJson, id: string): Record<string, unknown> {
  const c = j.changes.find((x) => x.id === id);
  assert.ok(c?.after, `no change with props for ${id}`);
  return c.after;
}

describe('plan --json: reviewable changes', () => {
  it('parses with the published schema and keeps the old fields', async () => {
    const { code, json } = await planJsonOf(CONFIG);
    assert.equal(code, 2);
    assert.equal(json.summary.create, json.changes.length);
    for (const c of json.changes) {
      assert.equal(c.action, 'create');
      assert.equal(c.region, 'us-east-2');
      assert.equal(c.before, undefined);
      assert.ok(c.after, c.id);
      for (const k of ['action', 'kind', 'id', 'account', 'reason']) assert.ok(k in c, `${c.id}: ${k}`);
    }
    assert.deepEqual(json.errors, []);
    assert.deepEqual(
      json.warnings,
      json.findings.filter((f) => f.severity === 'warning'),
    );
    // Notes say what the planner chose (pattern 2's mode, the listeners' idle timeout) and are
    // neither errors nor warnings.
    assert.ok(json.findings.every((f) => f.severity !== 'info' || ['MPL301', 'MPL302'].includes(f.code)));
  });

  it('lists the principals allowed to connect', async () => {
    const { config } = await example();
    const { json } = await planJsonOf(CONFIG);
    const principals = after(json, 'shared/endpoint-service-permissions').allowedPrincipals as string[];
    assert.deepEqual(
      [...principals].sort(),
      config.consumers.map((c) => `arn:aws:iam::${c.account}:root`).sort(),
    );
  });

  it("lists each consumer endpoint security group's CIDRs and the ports they reach", async () => {
    const { config, inventory } = await example();
    const { json } = await planJsonOf(CONFIG);
    const advertised = [
      ...expectedPorts(
        config.pattern2.portBase,
        inventory.brokers.map((b) => b.id),
      ).values(),
    ];
    const wanted = [...advertised, TLS_CLIENT_PORT].sort((a, b) => a - b);
    for (const consumer of config.consumers) {
      const ingress = after(json, `${consumer.name}/security-group`).ingress as Array<{
        protocol: string;
        fromPort: number;
        toPort: number;
        cidr: string;
      }>;
      assert.deepEqual([...new Set(ingress.map((r) => r.cidr))].sort(), [...consumer.allowedCidrs].sort());
      assert.ok(ingress.every((r) => r.protocol === 'tcp'));
      for (const cidr of consumer.allowedCidrs) {
        const ports = new Set<number>();
        for (const r of ingress.filter((x) => x.cidr === cidr))
          for (let p = r.fromPort; p <= r.toPort; p++) ports.add(p);
        assert.deepEqual(
          [...ports].sort((a, b) => a - b),
          wanted,
          `${consumer.name} ${cidr}`,
        );
      }
    }
  });

  it("lists pattern 2's per-broker listener ports", async () => {
    const { config, inventory } = await example();
    const { json } = await planJsonOf(CONFIG);
    const ports = expectedPorts(
      config.pattern2.portBase,
      inventory.brokers.map((b) => b.id),
    );
    assert.equal(after(json, 'bootstrap/listener/tls').port, TLS_CLIENT_PORT);
    for (const b of inventory.brokers) {
      const settings = after(json, `b-${b.id}/broker-listener-config`);
      assert.equal(settings.host, b.host);
      assert.equal(settings.mode, 'additive');
      assert.deepEqual(settings.listeners, [
        {
          name: 'PRIVATELINK_TLS',
          securityProtocol: 'SSL',
          port: ADDITIVE_TLS_PORT,
          advertisedPort: ports.get(b.id),
        },
      ]);
      assert.equal(after(json, `b-${b.id}/listener/tls`).port, ports.get(b.id));
      const targets = after(json, `b-${b.id}/target-group/tls`).targets as Array<{
        ip: string;
        port: number;
      }>;
      assert.deepEqual(
        targets.map(({ ip, port }) => ({ ip, port })),
        [{ ip: b.ip, port: ADDITIVE_TLS_PORT }],
      );
    }
  });

  it('puts lint errors under errors and findings, not warnings', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mpl-'));
    await mkdir(path.join(dir, 'inventories'));
    const { config } = await example();
    await copyFile(
      path.join(path.dirname(CONFIG), config.cluster.brokersFile),
      path.join(dir, config.cluster.brokersFile),
    );
    const text = (await readFile(CONFIG, 'utf8')).replace(
      'brokerSecurityGroupId: sg-0123456789abcdef0',
      'brokerSecurityGroupId: sg-0123456789abcdef0\n  endpointService: { acceptanceRequired: false, extraAllowedPrincipals: [arn:aws:iam::555555555555:role/ops] }',
    );
    const file = path.join(dir, 'open.yaml');
    await writeFile(file, text);
    const { code, json, err } = await planJsonOf(file);
    assert.equal(code, 1);
    assert.match(err, /lint error\(s\): MPL002/);
    assert.deepEqual(
      json.errors.map((e) => e.code),
      ['MPL002'],
    );
    assert.ok(json.errors.every((e) => e.severity === 'error'));
    assert.ok(json.warnings.length > 0);
    assert.ok(json.warnings.every((w) => w.severity === 'warning' && w.code !== 'MPL002'));
    assert.deepEqual(
      json.findings
        .filter((f) => f.severity !== 'info')
        .map((f) => f.code)
        .sort(),
      [...json.errors, ...json.warnings].map((f) => f.code).sort(),
    );
    assert.equal(after(json, 'shared/endpoint-service').acceptanceRequired, false);
    assert.ok(
      (after(json, 'shared/endpoint-service-permissions').allowedPrincipals as string[]).includes(
        'arn:aws:iam::555555555555:role/ops',
      ),
    );
  });
});

describe('schema --plan', () => {
  it('prints the JSON Schema of plan --json', async () => {
    const r = await runCli(['schema', '--plan']);
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as {
      $id: string;
      required: string[];
      properties: { changes: { items: { required: string[]; properties: Record<string, unknown> } } };
    };
    assert.match(s.$id, /plan/);
    for (const k of ['changes', 'summary', 'findings', 'warnings', 'errors'])
      assert.ok(s.required.includes(k), k);
    const item = s.properties.changes.items;
    for (const k of ['action', 'kind', 'id', 'account', 'region', 'reason'])
      assert.ok(item.required.includes(k), k);
    for (const k of ['before', 'after', 'changedProps', 'forcingProps']) assert.ok(k in item.properties, k);
    const config = JSON.parse((await runCli(['schema'])).out) as { properties: Record<string, unknown> };
    assert.ok('consumers' in config.properties, 'schema without --plan is still the config');
  });
});

describe('plan JSON: redaction', () => {
  const secretProps = () => ({
    name: '/msk/orders/bootstrap',
    value: 'b-1:9094',
    admin: {
      scramPassword: 'hunter2',
      users: [{ name: 'ops', clientSecret: 's3cr3t', tls: { privateKey: 'PEM-KEY-DATA' } }],
    },
    SecretString: 'xyzzy',
  });

  it("redacts a kind's sensitive props and password-like keys at any depth", () => {
    const props = secretProps();
    const out = redactProps(props, ['value']);
    assert.deepEqual(out, {
      name: '/msk/orders/bootstrap',
      value: REDACTED,
      admin: {
        scramPassword: REDACTED,
        users: [{ name: 'ops', clientSecret: REDACTED, tls: { privateKey: REDACTED } }],
      },
      SecretString: REDACTED,
    });
    assert.deepEqual(props, secretProps(), 'the input is not changed');
    assert.deepEqual(redactProps({ n: 1, list: [1, 'a', null] }), { n: 1, list: [1, 'a', null] });
  });

  it('redacts before and after in the plan JSON and the rendered diff', () => {
    const change: Change = {
      action: 'update',
      kind: 'ssm-parameter',
      id: 'analytics/ssm-parameter',
      account: '222222222222',
      region: 'us-east-2',
      reason: 'admin changed',
      before: { ...secretProps(), admin: { scramPassword: 'old-hunter2' } },
      after: secretProps(),
      changedProps: ['admin'],
    };
    const summary = { create: 0, update: 1, replace: 0, delete: 0, noop: 0 };
    const j = PlanJsonSchema.parse(planJson([change], summary, []));
    const c = j.changes[0];
    assert.deepEqual(c?.before?.admin, { scramPassword: REDACTED });
    assert.equal((c?.after?.admin as { scramPassword: string }).scramPassword, REDACTED);
    assert.deepEqual(c?.changedProps, ['admin']);
    assert.equal(c?.forcingProps, undefined);
    const text = JSON.stringify(j) + renderPlan([change], summary, [], { color: false });
    for (const secret of ['hunter2', 's3cr3t', 'PEM-KEY-DATA', 'xyzzy'])
      assert.ok(!text.includes(secret), secret);
  });
});
