// Pattern 3 offline, through the CLI: the bundled example's plan and cost, a 30-broker cluster, and
// the refusal above the children-per-group quota (issue 11 acceptance, offline part).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { specifiedDomains } from '../../src/planner/pattern3.js';
import { runCli } from '../support/run-cli.js';

const EXAMPLE = 'plans/pattern3-three-consumers.yaml';

interface PlanJson {
  changes: Array<{ action: string; kind: string; id: string }>;
  warnings?: Array<{ code: string }>;
}
interface CostJson {
  selected: string;
  options: Array<{
    id: string;
    viable: boolean;
    monthlyUsd: number;
    lines: Array<{ item: string; quantity: number; monthlyUsd: number }>;
  }>;
}

/** The example with a cluster of `n` brokers (two per AZ pattern over use2-az1..3), in a temp dir. */
async function exampleWith(n: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mpl-p3-'));
  const inv = JSON.parse(await readFile('plans/inventories/orders-6-brokers.json', 'utf8')) as {
    brokers: Array<Record<string, unknown>>;
  };
  const az = ['use2-az1', 'use2-az2', 'use2-az3'];
  const subnets = ['subnet-0a1a1a1a', 'subnet-0b2b2b2b', 'subnet-0c3c3c3c'];
  inv.brokers = Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    host: `b-${i + 1}.orders.def456.c2.kafka.us-east-2.amazonaws.com`,
    ip: `10.0.${(i % 3) + 1}.${10 + i}`,
    subnetId: subnets[i % 3],
    availabilityZoneId: az[i % 3],
  }));
  await writeFile(path.join(dir, 'brokers.json'), JSON.stringify(inv));
  const config = parseYaml(await readFile(EXAMPLE, 'utf8')) as { cluster: { brokersFile: string } };
  config.cluster.brokersFile = 'brokers.json';
  const file = path.join(dir, 'stack.yaml');
  await writeFile(file, stringify(config));
  return file;
}

const option = (c: CostJson, id: string) => {
  const o = c.options.find((x) => x.id === id);
  assert.ok(o, `option ${id}`);
  return o;
};
const lineOf = (o: CostJson['options'][number], item: string) => o.lines.find((l) => l.item === item);

describe('cli: pattern 3 offline', () => {
  it('plans the bundled example with no NLB: a gateway, a group, a child per broker, a share, an endpoint per consumer', async () => {
    const r = await runCli(['plan', '--offline', '--config', EXAMPLE, '--json']);
    assert.equal(r.code, 2, r.err);
    const plan = JSON.parse(r.out) as PlanJson;
    const count = (kind: string) => plan.changes.filter((c) => c.kind === kind).length;
    assert.equal(count('load-balancer'), 0);
    assert.equal(count('endpoint-service'), 0);
    assert.equal(count('resource-gateway'), 1);
    assert.equal(count('resource-configuration'), 7, 'the group and six children');
    assert.equal(count('resource-share'), 1);
    assert.equal(count('resource-share-acceptance'), 3);
    assert.equal(count('resource-endpoint'), 3);
    assert.ok(plan.changes.every((c) => c.action === 'create'));
    assert.match(r.err + r.out, /MPL107/);
  });

  it('prices pattern 3 beside the others: one endpoint AZ-hour per consumer AZ, no NLB, no NLCU', async () => {
    const r = await runCli([
      'cost',
      '--offline',
      '--config',
      EXAMPLE,
      '--format',
      'json',
      '--gb-per-month',
      '1000',
    ]);
    assert.equal(r.code, 0, r.err);
    const c = JSON.parse(r.out) as CostJson;
    assert.equal(c.selected, 'pattern3');
    const p3 = option(c, 'pattern3');
    // 3 consumers x 3 AZs = 9 resource endpoint ENIs x $0.01 x 730 h = $65.70.
    assert.equal(lineOf(p3, 'resource-endpoint-az-hours')?.quantity, 9);
    assert.equal(lineOf(p3, 'resource-endpoint-az-hours')?.monthlyUsd, 65.7);
    assert.equal(lineOf(p3, 'nlb-hours')?.quantity, 0);
    assert.equal(lineOf(p3, 'nlcu-hours')?.monthlyUsd, 0);
    assert.equal(lineOf(p3, 'privatelink-data')?.monthlyUsd, 10);
    // $65.70 + $10.00 data + $13.33 cross-AZ.
    assert.equal(p3.monthlyUsd, 89.03);
    assert.equal(lineOf(option(c, 'pattern2'), 'resource-endpoint-az-hours'), undefined);
    assert.ok(p3.monthlyUsd < option(c, 'pattern2').monthlyUsd);
  });

  it('plans and prices a 30-broker cluster: 30 children, the endpoint charge independent of brokers', async () => {
    const file = await exampleWith(30);
    const plan = await runCli(['plan', '--offline', '--config', file, '--json']);
    assert.equal(plan.code, 2, plan.err);
    const children = (JSON.parse(plan.out) as PlanJson).changes.filter(
      (c) => c.kind === 'resource-configuration' && c.id.startsWith('b-'),
    );
    assert.equal(children.length, 30);
    const cost = JSON.parse(
      (await runCli(['cost', '--offline', '--config', file, '--format', 'json'])).out,
    ) as CostJson;
    assert.equal(option(cost, 'pattern3').monthlyUsd, 65.7);
    assert.ok(option(cost, 'pattern1').monthlyUsd > 30 * 16);
  });

  it('refuses 61 brokers above the 60 children per group, naming the quota and the field', async () => {
    const file = await exampleWith(61);
    const r = await runCli(['plan', '--offline', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.err, /PATTERN3_TOO_MANY_BROKERS/);
    assert.match(r.err, /61.*above the 60 children per group quota/);
    assert.match(r.err, /stack\.yaml: pattern/);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  });
});

describe('pattern 3: more than 10 brokers', () => {
  it('asks VPC Lattice for one wildcard per parent domain past the 10 names a resource endpoint takes', () => {
    const names = Array.from(
      { length: 12 },
      (_, i) => `b-${i + 1}.orders.abc123.c2.kafka.us-east-2.amazonaws.com`,
    );
    assert.deepEqual(specifiedDomains(names.slice(0, 10), 'x.yaml'), names.slice(0, 10));
    assert.deepEqual(specifiedDomains(names, 'x.yaml'), ['*.orders.abc123.c2.kafka.us-east-2.amazonaws.com']);
    const spread = Array.from({ length: 11 }, (_, i) => `b-1.c${i}.example.com`);
    assert.throws(
      () => specifiedDomains(spread, 'x.yaml'),
      /TOO_MANY_PRIVATE_DNS_DOMAINS|at most 10 domains/,
    );
  });
});
