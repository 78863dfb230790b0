// Saved plans and state files, sealed by the tool, then changed: one field, truncated, one bit
// flipped, or replaced by garbage. Every run ends in exit 1 with one message naming the file, no
// stack trace, and no AWS call at all (a recording endpoint counts every request the SDK sends).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { parseDocument } from '../../src/config/load.js';
import { canonicalJson, seal } from '../../src/integrity.js';
import { emptyState, LocalStateBackend } from '../../src/state/local.js';
import { runCli } from '../support/run-cli.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function leaves(doc: Json, at: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(doc)) return doc.flatMap((v, i) => leaves(v, [...at, i]));
  if (doc !== null && typeof doc === 'object')
    return Object.entries(doc).flatMap(([k, v]) => leaves(v, [...at, k]));
  return [at];
}

function setAt(doc: Json, at: Array<string | number>, value: Json): Json {
  const copy = structuredClone(doc);
  let parent = copy as Record<string | number, Json>;
  for (const k of at.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
  parent[at[at.length - 1] as string | number] = value;
  return copy;
}

/** True when `text` parses (as the tool parses it) to exactly `doc`. */
function sameDocument(file: string, text: string, doc: Json): boolean {
  try {
    return canonicalJson(parseDocument(file, text)) === canonicalJson(doc);
  } catch {
    return false;
  }
}

describe('fuzzed saved plans and state files (zero AWS calls)', function () {
  this.timeout(180_000);
  let dir: string;
  let server: Server;
  let requests = 0;
  let configFile: string;
  let stateFile: string;
  let planFile: string;
  let sealedPlan: Json;
  let sealedState: Json;
  const saved = { ...process.env };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-fuzz-files-'));
    server = createServer((req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // Any AWS call the CLI makes lands here (and fails): the tests count them.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AWS_ACCESS_KEY_ID: 'AKIDFUZZ',
      AWS_SECRET_ACCESS_KEY: 'fuzz',
      AWS_MAX_ATTEMPTS: '1',
    });
    delete process.env.AWS_PROFILE;
    const config = parseYaml(await readFile('plans/pattern1-one-consumer.yaml', 'utf8')) as Record<
      string,
      Json
    >;
    stateFile = path.join(dir, 'payments.state.json');
    config.cluster = { brokersFile: 'inventory.json', listeners: ['tls'] };
    config.state = { path: stateFile };
    configFile = path.join(dir, 'payments.yaml');
    await writeFile(configFile, toYaml(config));
    await writeFile(
      path.join(dir, 'inventory.json'),
      await readFile('plans/inventories/payments-3-brokers.json'),
    );
    planFile = path.join(dir, 'plan.json');
    const out = await runCli(['plan', '--offline', '--config', configFile, '--out', planFile]);
    assert.ok(out.code === 2, out.err);
    sealedPlan = JSON.parse(await readFile(planFile, 'utf8')) as Json;
    assert.match(String((sealedPlan as Record<string, Json>).checksum), /^sha256:[0-9a-f]{64}$/);
    // A state as the tool writes it: sealed, with one resource and a port table.
    const backend = new LocalStateBackend(stateFile);
    await backend.writeExact({
      ...emptyState('payments'),
      serial: 3,
      portAssignments: { '1/tls': 9001 },
      resources: {
        'b-1/load-balancer': {
          kind: 'load-balancer',
          account: '111111111111',
          region: 'us-east-2',
          physicalId:
            'arn:aws:elasticloadbalancing:us-east-2:111111111111:loadbalancer/net/mpl-payments-b1/0123',
          props: { name: 'mpl-payments-b1' },
          dependsOn: [],
          outputs: { dnsName: 'mpl-payments-b1.elb.us-east-2.amazonaws.com' },
          status: 'ready',
        },
      },
    });
    sealedState = JSON.parse(await readFile(stateFile, 'utf8')) as Json;
    assert.match(String((sealedState as Record<string, Json>).checksum), /^sha256:[0-9a-f]{64}$/);
  });

  after(async () => {
    process.env = saved;
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  /** Exit 1, one line naming the file, no stack trace, and not one request to AWS. */
  function assertRefused(r: { code: number; err: string }, file: string, before: number) {
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /^error \[[A-Z0-9_]+\]: /);
    assert.ok(r.err.includes(file), r.err);
    assert.ok(!/\n\s+at /.test(r.err), `stack trace: ${r.err}`);
    assert.ok(!r.err.includes('internal'), r.err);
    assert.equal(requests, before, 'no AWS call');
  }

  it('a sealed plan with any one value changed is refused as PLAN_TAMPERED, before anything else', async () => {
    const all = leaves(sealedPlan).filter((p) => p[0] !== 'checksum');
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.jsonValue(), async (pick, value) => {
        const at = all[pick % all.length] as Array<string | number>;
        const bad = setAt(sealedPlan, at, value as Json);
        fc.pre(JSON.stringify(bad) !== JSON.stringify(sealedPlan));
        await writeFile(planFile, JSON.stringify(bad, null, 2));
        const before = requests;
        const r = await runCli(['apply', planFile, '--auto-approve']);
        assertRefused(r, planFile, before);
        assert.match(r.err, /PLAN_TAMPERED/);
      }),
      { numRuns: 400 },
    );
  });

  it('a sealed state with any one value changed is refused as STATE_TAMPERED, naming the state file', async () => {
    const all = leaves(sealedState).filter((p) => p[0] !== 'checksum');
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.jsonValue(), async (pick, value) => {
        const at = all[pick % all.length] as Array<string | number>;
        const bad = setAt(sealedState, at, value as Json);
        fc.pre(JSON.stringify(bad) !== JSON.stringify(sealedState));
        await writeFile(stateFile, JSON.stringify(bad, null, 2));
        const before = requests;
        const r = await runCli(['plan', '--config', configFile]);
        assertRefused(r, stateFile, before);
        assert.match(r.err, /STATE_TAMPERED/);
      }),
      { numRuns: 400 },
    );
  });

  it('truncated, bit-flipped and garbage plan and state files: exit 1 naming the file, no AWS call', async () => {
    const planText = `${JSON.stringify(sealedPlan, null, 2)}\n`;
    const stateText = `${JSON.stringify(sealedState, null, 2)}\n`;
    const damaged = (text: string) =>
      fc.oneof(
        fc.nat({ max: text.length - 1 }).map((n) => text.slice(0, n)),
        fc.tuple(fc.nat({ max: text.length - 1 }), fc.integer({ min: 0, max: 7 })).map(([i, bit]) => {
          const b = Buffer.from(text);
          b[i] = (b[i] as number) ^ (1 << bit);
          return b.toString('latin1');
        }),
        fc.string(),
        fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a).toString('latin1')),
      );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), damaged(planText), damaged(stateText), async (plan, p, s) => {
        const file = plan ? planFile : stateFile;
        const text = plan ? p : s;
        // Damage that leaves the same document (a flipped bit turning a space into another space
        // the YAML/JSON reader accepts) is no damage: the file is still what the tool wrote.
        fc.pre(!sameDocument(file, text, plan ? sealedPlan : sealedState));
        await writeFile(file, text, 'latin1');
        if (!plan) await writeFile(planFile, planText);
        const before = requests;
        const r = plan
          ? await runCli(['apply', planFile, '--auto-approve'])
          : await runCli(['plan', '--config', configFile]);
        assertRefused(r, file, before);
      }),
      { numRuns: 600 },
    );
  });

  it('the untouched files pass the seal: the plan reaches the offline check, the state reaches AWS', async () => {
    await writeFile(planFile, `${JSON.stringify(sealedPlan, null, 2)}\n`);
    const r = await runCli(['apply', planFile, '--auto-approve']);
    assert.equal(r.code, 1);
    assert.match(r.err, /OFFLINE_PLAN/);
    await writeFile(stateFile, `${JSON.stringify(sealedState, null, 2)}\n`);
    const before = requests;
    const live = await runCli(['plan', '--config', configFile]);
    assert.equal(live.code, 1);
    assert.doesNotMatch(live.err, /TAMPERED|INVALID_INPUT/);
    assert.ok(requests > before, 'a sound state goes on to AWS (here: the recording endpoint)');
    // A state without a seal (written before seals) is accepted too.
    const { checksum: _drop, ...unsealed } = sealedState as Record<string, Json>;
    await writeFile(stateFile, JSON.stringify(unsealed));
    const old = await runCli(['plan', '--config', configFile]);
    assert.doesNotMatch(old.err, /TAMPERED|INVALID_INPUT/);
    assert.deepEqual(seal(unsealed), sealedState, 'sealing is deterministic');
  });
});
