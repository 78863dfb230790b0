import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClientPool } from '../../src/aws/clients.js';
import { execute, type EngineOptions } from '../../src/executor/engine.js';
import { refresh } from '../../src/executor/refresh.js';
import { CollectingReporter, silent, type RunEvent } from '../../src/events.js';
import type { Handler } from '../../src/kinds/kind.js';
import type { Resource } from '../../src/kinds/index.js';
import { MplError } from '../../src/errors.js';
import { diff } from '../../src/plan/diff.js';
import type { Instance } from '../../src/state/instance.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { LocalStateBackend } from '../../src/state/local.js';
import { StateStore } from '../../src/state/store.js';
import { brokersFor, configOf, inventoryOf, planInputOf } from '../support/fixtures.js';

/**
 * The graph walk's ordering, parallelism, state writes and failure handling, with fake handlers
 * that record calls (pure logic: no AWS behaviour is claimed here; handlers are tested against the twin).
 */
function fakeHandlers(
  log: string[],
  opts: { failOn?: string; delayMs?: number; failTimes?: number; retriable?: boolean; leaves?: boolean } = {},
) {
  let inFlight = 0;
  let maxInFlight = 0;
  let failures = 0;
  const step = async (what: string, id: string) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, opts.delayMs ?? 1));
    inFlight--;
    if (id === opts.failOn && failures < (opts.failTimes ?? Infinity)) {
      failures++;
      throw new MplError('WAIT_TIMEOUT', `boom at ${id}`, { retriable: opts.retriable ?? false });
    }
    log.push(`${what} ${id}`);
  };
  const handler: Handler<Record<string, unknown>> = {
    // After a failed create, `leaves` says AWS kept something under the resource's name.
    read: async (_ctx, r) =>
      r && opts.leaves && r.id === opts.failOn
        ? { physicalId: `half-${r.id}`, props: r.props, outputs: {} }
        : undefined,
    create: async (_ctx, r) => {
      await step('create', r.id);
      return { physicalId: `phys-${r.id}`, props: r.props, outputs: {} };
    },
    update: async (_ctx, r) => {
      await step('update', r.id);
      return { physicalId: `phys-${r.id}`, props: r.props, outputs: {} };
    },
    delete: async (_ctx, k) => step('delete', k.id),
  };
  return { handlerFor: () => handler, maxInFlight: () => maxInFlight, failures: () => failures };
}

async function setup() {
  const dir = await mkdtemp(path.join(tmpdir(), 'mpl-engine-'));
  const backend = new LocalStateBackend(path.join(dir, 'state.json'));
  const store = await StateStore.open(backend, 'payments');
  const pool = new ClientPool({ roleArns: {} });
  const deps = (fake: ReturnType<typeof fakeHandlers>, more: Partial<EngineOptions> = {}): EngineOptions => ({
    stack: 'payments',
    pool,
    store,
    wait: { intervalMs: 1, timeoutMs: 10 },
    parallelism: 8,
    reporter: silent,
    kafka: () => Promise.reject(new Error('no kafka in engine tests')),
    retry: { attempts: 3, baseDelayMs: 1 },
    handlerFor: fake.handlerFor,
    ...more,
  });
  return { backend, store, pool, deps };
}

const asObserved = (items: Array<Resource | Instance>): Map<string, Instance> =>
  new Map(
    items.map((r) => [
      r.id,
      {
        id: r.id,
        kind: r.kind,
        account: r.account,
        region: r.region,
        physicalId: 'physicalId' in r ? r.physicalId : `phys-${r.id}`,
        props: r.props as Record<string, unknown>,
        dependsOn: r.dependsOn,
        outputs: {},
        status: 'status' in r ? r.status : 'ready',
      },
    ]),
  );

const desiredOf = (ids = [1, 2, 3]) =>
  planStack(planInputOf(configOf(), inventoryOf(brokersFor(ids)))).resources;

function assertOrder(log: string[], before: string, after: string) {
  const a = log.indexOf(before);
  const b = log.indexOf(after);
  assert.ok(a >= 0 && b >= 0 && a < b, `${before} before ${after} in ${log.join(', ')}`);
}

describe('executor graph walk', () => {
  it('creates dependencies first, within the parallelism bound, writing state after every step', async () => {
    const { deps, backend } = await setup();
    const desired = desiredOf();
    const log: string[] = [];
    const fake = fakeHandlers(log, { delayMs: 3 });
    const events = new CollectingReporter();
    const r = await execute(
      diff(desired, new Map()),
      desired,
      deps(fake, { parallelism: 4, reporter: events }),
    );
    assert.equal(r.failed.length, 0);
    assert.equal(r.done, desired.length);
    assert.ok(fake.maxInFlight() <= 4 && fake.maxInFlight() > 1, `in flight ${fake.maxInFlight()}`);
    for (const res of desired)
      for (const d of res.dependsOn) assertOrder(log, `create ${d}`, `create ${res.id}`);
    const written = await backend.read();
    assert.equal(Object.keys(written?.resources ?? {}).length, desired.length);
    assert.equal(written?.serial, desired.length, 'one write per completed step');
    assert.equal(events.events.filter((e) => e.type === 'done').length, desired.length);
  });

  it('deletes dependents first (records before zones, listeners before target groups)', async () => {
    const { store, deps } = await setup();
    const desired = desiredOf();
    const log: string[] = [];
    await execute(diff(desired, new Map()), desired, deps(fakeHandlers([])));
    const changes = diff([], asObserved(store.instances()));
    assert.ok(changes.every((c) => c.action === 'delete'));
    await execute(changes, [], deps(fakeHandlers(log)));
    assertOrder(log, 'delete analytics/dns-record/b-1', 'delete analytics/hosted-zone');
    assertOrder(log, 'delete b-1/listener/tls', 'delete b-1/target-group/tls');
    assertOrder(log, 'delete b-1/endpoint-service', 'delete b-1/load-balancer');
    assertOrder(
      log,
      'delete analytics/endpoint-connection-acceptance/b-1',
      'delete analytics/vpc-endpoint/b-1',
    );
    assertOrder(log, 'delete analytics/vpc-endpoint/b-1', 'delete b-1/endpoint-service');
    assert.equal(store.instances().length, 0);
  });

  it('stops starting steps after a failure and keeps what completed in state', async () => {
    const { deps, backend } = await setup();
    const desired = desiredOf();
    const log: string[] = [];
    const r = await execute(
      diff(desired, new Map()),
      desired,
      deps(fakeHandlers(log, { failOn: 'b-2/load-balancer' }), { parallelism: 1 }),
    );
    assert.equal(r.failed[0]?.id, 'b-2/load-balancer');
    assert.ok(r.skipped > 0);
    const written = await backend.read();
    assert.deepEqual(
      Object.keys(written?.resources ?? {}).sort(),
      log.map((l) => l.replace('create ', '')).sort(),
    );
  });

  it('retries a step that failed with a retriable error, then goes on', async () => {
    const { deps } = await setup();
    const desired = desiredOf();
    const log: string[] = [];
    const fake = fakeHandlers(log, { failOn: 'b-2/load-balancer', failTimes: 2, retriable: true });
    const events = new CollectingReporter();
    const r = await execute(diff(desired, new Map()), desired, deps(fake, { reporter: events }));
    assert.equal(r.failed.length, 0);
    assert.equal(r.done, desired.length);
    assert.equal(fake.failures(), 2);
    const retries = events.events.filter(
      (e): e is Extract<RunEvent, { type: 'retry' }> => e.type === 'retry',
    );
    assert.deepEqual(
      retries.map((e) => [e.id, e.attempt, e.code]),
      [
        ['b-2/load-balancer', 1, 'WAIT_TIMEOUT'],
        ['b-2/load-balancer', 2, 'WAIT_TIMEOUT'],
      ],
    );
  });

  it('gives up after the bounded attempts, and never retries an error that is not retriable', async () => {
    const { deps } = await setup();
    const desired = desiredOf();
    const always = fakeHandlers([], { failOn: 'b-2/load-balancer', retriable: true });
    const r1 = await execute(diff(desired, new Map()), desired, deps(always));
    assert.equal(r1.failed[0]?.id, 'b-2/load-balancer');
    assert.equal(always.failures(), 3, 'three attempts in all');
    const { deps: deps2 } = await setup();
    const once = fakeHandlers([], { failOn: 'b-2/load-balancer', failTimes: 1, retriable: false });
    const r2 = await execute(diff(desired, new Map()), desired, deps2(once));
    assert.equal(r2.failed[0]?.id, 'b-2/load-balancer');
    assert.equal(once.failures(), 1);
  });

  it('taints what a failed create left behind, and the next plan replaces it', async () => {
    const { deps, store } = await setup();
    const desired = desiredOf();
    const events = new CollectingReporter();
    const fake = fakeHandlers([], { failOn: 'b-2/load-balancer', leaves: true });
    const r = await execute(diff(desired, new Map()), desired, deps(fake, { reporter: events }));
    assert.equal(r.failed[0]?.id, 'b-2/load-balancer');
    assert.equal(store.get('b-2/load-balancer')?.status, 'tainted');
    assert.equal(store.get('b-2/load-balancer')?.physicalId, 'half-b-2/load-balancer');
    const failed = events.events.find((e) => e.type === 'failed');
    assert.ok(failed?.type === 'failed' && failed.tainted);
    const next = diff(desired, asObserved(store.instances()));
    const lb = next.find((c) => c.id === 'b-2/load-balancer');
    assert.equal(lb?.action, 'replace');
    assert.match(lb?.reason ?? '', /tainted/);
  });

  it('a read that finds a resource unusable (a rejected endpoint) marks it tainted: apply replaces it, destroy deletes it', async () => {
    const { deps, store } = await setup();
    const desired = desiredOf();
    const fake = fakeHandlers([]);
    const dead = desired.find((r) => r.kind === 'vpc-endpoint');
    assert.ok(dead);
    const handler = fake.handlerFor();
    const reading: Handler<Record<string, unknown>> = {
      ...handler,
      read: async (_ctx, r, k) => {
        const id = r?.id ?? k?.id;
        const found = desired.find((x) => x.id === id);
        if (found === undefined) return undefined;
        const live = {
          physicalId: `phys-${found.id}`,
          props: found.props as Record<string, unknown>,
          outputs: {},
        };
        return found.id === dead.id ? { ...live, unusable: true } : live;
      },
    };
    const opts = deps({ ...fake, handlerFor: () => reading });
    const refreshed = await refresh(desired, opts);
    assert.equal(refreshed.observed.get(dead.id)?.status, 'tainted');
    assert.equal(store.get(dead.id)?.status, 'tainted');
    const plan = diff(desired, refreshed.observed);
    const change = plan.find((c) => c.id === dead.id);
    assert.equal(change?.action, 'replace');
    assert.match(change?.reason ?? '', /unusable in AWS/);
    // Nothing else is created or deleted: only the endpoint and what hangs off it change.
    assert.ok(
      plan.filter((c) => c.id !== dead.id).every((c) => c.action !== 'create' && c.action !== 'delete'),
      plan.map((c) => `${c.action} ${c.id}`).join(', '),
    );
    // Destroy: nothing desired, the unusable endpoint is still deleted.
    const teardown = diff([], refreshed.observed);
    assert.equal(teardown.find((c) => c.id === dead.id)?.action, 'delete');
  });

  it('replaces what depends on a replaced resource, and repoints DNS records in place', () => {
    const desired = desiredOf();
    const observed = asObserved(desired);
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
    const observed = asObserved(
      desired.filter(
        (r) =>
          r.id !== 'analytics/vpc-endpoint/b-2' && r.id !== 'analytics/endpoint-connection-acceptance/b-2',
      ),
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
    const { deps, backend } = await setup();
    const desired = desiredOf();
    await execute(diff(desired, new Map()), desired, deps(fakeHandlers([])));
    JSON.parse(await readFile(backend.file, 'utf8'));
  });
});
