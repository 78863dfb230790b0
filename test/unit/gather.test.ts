// Steps that go out together: a zone's records wait for each other once ready (pure logic of the
// engine's rendezvous, with fake handlers; the Route 53 batch itself is tested against the twin).
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClientPool } from '../../src/aws/clients.js';
import { execute } from '../../src/executor/engine.js';
import { Gatherer } from '../../src/executor/gather.js';
import { silent } from '../../src/events.js';
import { MplError } from '../../src/errors.js';
import type { Resource } from '../../src/kinds/index.js';
import type { Handler } from '../../src/kinds/kind.js';
import type { Change } from '../../src/plan/diff.js';
import { LocalStateBackend } from '../../src/state/local.js';
import { StateStore } from '../../src/state/store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gather: steps whose changes leave together', () => {
  it('opens when every expected step arrived or left, and at once after stop()', async () => {
    const g = new Gatherer();
    for (const s of ['a', 'b', 'c']) g.expect('zone', s);
    let opened = false;
    const a = g.arrive('zone', 'a').then(() => (opened = true));
    await sleep(5);
    assert.equal(opened, false);
    g.leave('b'); // b ended without arriving (failed, or nothing to send)
    void g.arrive('zone', 'c');
    await a;
    assert.equal(opened, true);

    const h = new Gatherer();
    h.expect('zone', 'x');
    h.expect('zone', 'y');
    const x = h.arrive('zone', 'x');
    h.stop();
    await x; // resolves: y will not start
    await h.arrive('other', 'z'); // an unknown key never waits
  });

  it('in the engine: three records of one zone, ready 0, 30 and 60 ms apart, send together; a failed sibling does not hold the others', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mpl-gather-'));
    const store = await StateStore.open(new LocalStateBackend(path.join(dir, 'state.json')), 'payments');
    const sent: Array<{ id: string; at: number }> = [];
    const t0 = Date.now();
    const handler = (failOn?: string): Handler<Record<string, unknown>> => ({
      read: async () => undefined,
      create: async (ctx, r) => {
        await sleep(Number(r.props.readyAfterMs));
        if (r.id === failOn) throw new MplError('CREATE_FAILED', `boom at ${r.id}`);
        const send = async () => void sent.push({ id: r.id, at: Date.now() - t0 });
        await (ctx.gather ? ctx.gather(send) : send());
        return { physicalId: `phys-${r.id}`, props: r.props, outputs: {} };
      },
      delete: async () => undefined,
    });
    const records: Resource[] = [0, 30, 60].map(
      (ms, i) =>
        ({
          kind: 'dns-record',
          id: `c1/dns-record/b-${i + 1}`,
          account: '222222222222',
          region: 'us-east-2',
          props: { zone: 'c1/hosted-zone', name: `b-${i + 1}.x`, type: 'A', readyAfterMs: ms },
          dependsOn: [],
        }) as unknown as Resource,
    );
    const changes = records.map(
      (r) => ({ id: r.id, kind: r.kind, action: 'create', account: r.account, region: r.region }) as Change,
    );
    const deps = (failOn?: string) => ({
      stack: 'payments',
      pool: new ClientPool({ roleArns: {} }),
      store,
      wait: { intervalMs: 1, timeoutMs: 1000 },
      parallelism: 8,
      reporter: silent,
      kafka: () => Promise.reject(new Error('no kafka')),
      retry: { attempts: 1, baseDelayMs: 1 },
      handlerFor: () => handler(failOn),
    });
    const out = await execute(changes, records, deps());
    assert.equal(out.done, 3);
    const times = sent.map((s) => s.at);
    assert.ok(Math.max(...times) - Math.min(...times) < 20, `sent at ${times.join(', ')} ms: together`);
    assert.ok(Math.min(...times) >= 55, 'the first waited for the last');

    sent.length = 0;
    const failed = await execute(changes, records, deps('c1/dns-record/b-3'));
    assert.equal(failed.failed.length, 1);
    assert.equal(sent.length, 2, 'the two others still went out');
  });
});
