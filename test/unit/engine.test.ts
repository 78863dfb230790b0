import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClientPool } from '../../src/aws/clients.js';
import { execute, type ExecEvent } from '../../src/executor/engine.js';
import type { Handler, HandlerMap } from '../../src/executor/types.js';
import { diff } from '../../src/plan/diff.js';
import { KINDS, type Kind, type Resource } from '../../src/plan/resource.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { LocalStateBackend } from '../../src/state/local.js';
import { StateStore } from '../../src/state/store.js';
import { brokersFor, configOf, inventoryOf, planInputOf } from '../support/fixtures.js';

/**
 * The graph walk's ordering, parallelism, state writes and failure handling, with fake handlers
 * that record calls (pure logic: no AWS behaviour is claimed here; handlers are tested against the twin).
 */
function fakeHandlers(log: string[], opts: { failOn?: string; delayMs?: number } = {}) {
  let inFlight = 0;
  let maxInFlight = 0;
  const step = async (what: string, id: string) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, opts.delayMs ?? 1));
    inFlight--;
    if (id === opts.failOn) throw new Error(`boom at ${id}`);
    log.push(`${what} ${id}`);
  };
  const handler: Handler<Kind> = {
    read: async () => undefined,
    create: async (_ctx, r) => {
      await step('create', r.id);
      return { id: r.id, kind: r.kind, physicalId: `phys-${r.id}`, props: r.props, outputs: {} };
    },
    update: async (_ctx, r) => {
      await step('update', r.id);
      return { id: r.id, kind: r.kind, physicalId: `phys-${r.id}`, props: r.props, outputs: {} };
    },
    delete: async (_ctx, k) => step('delete', k.id),
  };
  const handlers = Object.fromEntries(KINDS.map((k) => [k, handler])) as unknown as HandlerMap;
  return { handlers, maxInFlight: () => maxInFlight };
}

async function setup() {
  const dir = await mkdtemp(path.join(tmpdir(), 'mpl-engine-'));
  const backend = new LocalStateBackend(path.join(dir, 'state.json'));
  const store = await StateStore.open(backend, 'payments');
  const pool = new ClientPool({ roleArns: {} });
  return { backend, store, pool };
}

const desiredOf = (ids = [1, 2, 3]) =>
  planStack(planInputOf(configOf(), inventoryOf(brokersFor(ids)))).resources;

function assertOrder(log: string[], before: string, after: string) {
  const a = log.indexOf(before);
  const b = log.indexOf(after);
  assert.ok(a >= 0 && b >= 0 && a < b, `${before} before ${after} in ${log.join(', ')}`);
}

describe('executor graph walk', () => {
  it('creates dependencies first, within the parallelism bound, writing state after every step', async () => {
    const { store, pool, backend } = await setup();
    const desired = desiredOf();
    const log: string[] = [];
    const fake = fakeHandlers(log, { delayMs: 3 });
    const events: ExecEvent[] = [];
    const r = await execute(diff(desired, new Map()), desired, {
      stack: 'payments',
      handlers: fake.handlers,
      pool,
      store,
      wait: { intervalMs: 1, timeoutMs: 10 },
      parallelism: 4,
      onEvent: (e) => events.push(e),
    });
    assert.equal(r.failed.length, 0);
    assert.equal(r.done, desired.length);
    assert.ok(fake.maxInFlight() <= 4 && fake.maxInFlight() > 1, `in flight ${fake.maxInFlight()}`);
    for (const res of desired)
      for (const d of res.dependsOn) assertOrder(log, `create ${d}`, `create ${res.id}`);
    const written = await backend.read();
    assert.equal(Object.keys(written?.resources ?? {}).length, desired.length);
    assert.equal(written?.serial, desired.length, 'one write per completed step');
    assert.equal(events.filter((e) => e.type === 'done').length, desired.length);
  });

  it('deletes dependents first (records before zones, listeners before target groups)', async () => {
    const { store, pool } = await setup();
    const desired = desiredOf();
    const log: string[] = [];
    const deps = { stack: 'payments', pool, store, wait: { intervalMs: 1, timeoutMs: 10 }, parallelism: 8 };
    await execute(diff(desired, new Map()), desired, { ...deps, handlers: fakeHandlers([]).handlers });
    const observed = new Map(
      store
        .entries()
        .map(([id, e]) => [
          id,
          { id, kind: e.kind, account: e.account, region: e.region, props: e.props, dependsOn: e.dependsOn },
        ]),
    );
    const changes = diff([], observed);
    assert.ok(changes.every((c) => c.action === 'delete'));
    await execute(changes, [], { ...deps, handlers: fakeHandlers(log).handlers });
    assertOrder(log, 'delete analytics/dns-record/b-1', 'delete analytics/hosted-zone');
    assertOrder(log, 'delete b-1/listener/tls', 'delete b-1/target-group/tls');
    assertOrder(log, 'delete b-1/endpoint-service', 'delete b-1/load-balancer');
    assertOrder(
      log,
      'delete analytics/endpoint-connection-acceptance/b-1',
      'delete analytics/vpc-endpoint/b-1',
    );
    assertOrder(log, 'delete analytics/vpc-endpoint/b-1', 'delete b-1/endpoint-service');
    assert.equal(store.entries().length, 0);
  });

  it('stops starting steps after a failure and keeps what completed in state', async () => {
    const { store, pool, backend } = await setup();
    const desired = desiredOf();
    const log: string[] = [];
    const r = await execute(diff(desired, new Map()), desired, {
      stack: 'payments',
      handlers: fakeHandlers(log, { failOn: 'b-2/load-balancer' }).handlers,
      pool,
      store,
      wait: { intervalMs: 1, timeoutMs: 10 },
      parallelism: 1,
    });
    assert.equal(r.failed[0]?.id, 'b-2/load-balancer');
    assert.ok(r.skipped > 0);
    const written = await backend.read();
    assert.deepEqual(
      Object.keys(written?.resources ?? {}).sort(),
      log.map((l) => l.replace('create ', '')).sort(),
    );
  });

  it('replaces what depends on a replaced resource, and repoints DNS records in place', () => {
    const desired = desiredOf();
    const observed = new Map(
      desired.map((r: Resource) => [
        r.id,
        {
          id: r.id,
          kind: r.kind,
          account: r.account,
          region: r.region,
          props: r.props as Record<string, unknown>,
          dependsOn: r.dependsOn,
        },
      ]),
    );
    const nlb = observed.get('b-1/load-balancer');
    assert.ok(nlb);
    nlb.props = { ...nlb.props, subnetIds: ['subnet-old'] };
    const changes = diff(desired, observed);
    const action = (id: string) => changes.find((c) => c.id === id)?.action;
    assert.equal(action('b-1/load-balancer'), 'replace');
    assert.equal(action('b-1/listener/tls'), 'replace');
    assert.equal(action('b-1/endpoint-service'), 'replace');
    assert.equal(action('analytics/vpc-endpoint/b-1'), 'replace');
    assert.equal(action('analytics/dns-record/b-1'), 'update');
    assert.equal(action('b-1/target-group/tls'), 'noop');
  });

  it('repoints DNS records whose target is made again (deleted out of band), and nothing else', () => {
    const desired = desiredOf();
    const observed = new Map(
      desired
        .filter(
          (r) =>
            r.id !== 'analytics/vpc-endpoint/b-2' && r.id !== 'analytics/endpoint-connection-acceptance/b-2',
        )
        .map((r: Resource) => [
          r.id,
          {
            id: r.id,
            kind: r.kind,
            account: r.account,
            region: r.region,
            props: r.props as Record<string, unknown>,
            dependsOn: r.dependsOn,
          },
        ]),
    );
    const changes = diff(desired, observed);
    const changed = changes.filter((c) => c.action !== 'noop').map((c) => `${c.action} ${c.id}`);
    assert.deepEqual(changed.sort(), [
      'create analytics/endpoint-connection-acceptance/b-2',
      'create analytics/vpc-endpoint/b-2',
      'update analytics/dns-record/b-2',
    ]);
  });

  it('writes state atomically: the file always parses', async () => {
    const { store, pool, backend } = await setup();
    const desired = desiredOf();
    await execute(diff(desired, new Map()), desired, {
      stack: 'payments',
      handlers: fakeHandlers([]).handlers,
      pool,
      store,
      wait: { intervalMs: 1, timeoutMs: 10 },
      parallelism: 8,
    });
    JSON.parse(await readFile(backend.file, 'utf8'));
  });
});
