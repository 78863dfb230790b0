// Saved plans, staleness and the state lock, through the CLI against the shared testbed:
// `plan --out` then `apply PLAN_FILE` applies exactly that plan; a plan made from an older state
// serial, or after its config changed, is refused; an offline plan is refused; a run holding the
// lock makes the next apply stop, naming the holder, before any AWS change.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalStateLock } from '../../src/state/lock.js';
import { cli, writeStackConfig } from '../support/e2e.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';

async function mutatingCalls(tb: Testbed): Promise<number> {
  const rows = await tb.control.counters({ mutating: true });
  return rows.filter((r) => r.service !== 'sts').reduce((n, r) => n + r.calls, 0);
}

describe('e2e: saved plans, staleness and the state lock', function () {
  this.timeout(180_000);
  let tb: Testbed;
  let file: string;
  let dir: string;
  let statePath: string;

  before(async () => {
    tb = await getTestbed({ reset: true });
    ({ file, dir, statePath } = await writeStackConfig(tb, { name: 'saved', pattern: 1 }));
  });

  after(async () => {
    await cli(tb, ['destroy', '--config', file, '--auto-approve']);
  });

  it('applies exactly a saved plan, without asking, and converges', async () => {
    const planFile = path.join(dir, 'plan.json');
    const planned = await cli(tb, ['plan', '--config', file, '--out', planFile]);
    assert.equal(planned.code, 2, planned.err);
    const saved = JSON.parse(await readFile(planFile, 'utf8')) as {
      changes: Array<{ action: string }>;
      state: unknown;
    };
    assert.deepEqual(saved.state, { lineage: null, serial: 0 });
    const applied = await cli(tb, ['apply', planFile]);
    assert.equal(applied.code, 0, applied.err);
    assert.match(
      applied.out,
      new RegExp(`${saved.changes.filter((c) => c.action === 'create').length} step\\(s\\) done`),
    );
    const again = await cli(tb, ['plan', '--config', file]);
    assert.equal(again.code, 0, again.out);
  });

  it('refuses a plan made from an older state serial, before any AWS change', async () => {
    const stale = path.join(dir, 'stale.json');
    const config = await readFile(file, 'utf8');
    // A change to plan: one more client CIDR for c1.
    await writeFile(file, config.replace('- 10.20.0.0/16', '- 10.20.0.0/16\n      - 10.21.0.0/16'));
    try {
      assert.equal((await cli(tb, ['plan', '--config', file, '--out', stale])).code, 2);
      // Another run applies first: the state serial moves on.
      assert.equal((await cli(tb, ['apply', '--config', file, '--auto-approve'])).code, 0);
      await tb.control.resetCounters();
      const r = await cli(tb, ['apply', stale]);
      assert.equal(r.code, 1);
      assert.match(r.err, /error \[STALE_PLAN\]/);
      assert.match(r.err, /serial/);
      assert.equal(await mutatingCalls(tb), 0);
    } finally {
      await writeFile(file, config);
    }
    // The config went back: a plan saved before that change is refused for the config too.
    const r2 = await cli(tb, ['apply', stale]);
    assert.equal(r2.code, 1);
    assert.match(r2.err, /STALE_PLAN/);
    assert.equal((await cli(tb, ['apply', '--config', file, '--auto-approve'])).code, 0);
  });

  it('refuses to apply an offline plan', async () => {
    const offline = path.join(dir, 'offline.json');
    const made = await cli(tb, [
      'plan',
      '--offline',
      '--config',
      'plans/pattern1-one-consumer.yaml',
      '--out',
      offline,
    ]);
    assert.equal(made.code, 2, made.err);
    const r = await cli(tb, ['apply', offline]);
    assert.equal(r.code, 1);
    assert.match(r.err, /OFFLINE_PLAN/);
  });

  it('stops while another run holds the lock, naming it, and makes no change', async () => {
    const lock = new LocalStateLock(statePath);
    const held = await lock.lock('a colleague running apply');
    try {
      const config = await readFile(file, 'utf8');
      await writeFile(file, config.replace('- 10.20.0.0/16', '- 10.20.0.0/16\n      - 10.22.0.0/16'));
      await tb.control.resetCounters();
      try {
        const r = await cli(tb, ['apply', '--config', file, '--auto-approve']);
        assert.equal(r.code, 1);
        assert.match(r.err, /locked by a colleague running apply/);
        assert.equal(await mutatingCalls(tb), 0);
        const d = await cli(tb, ['destroy', '--config', file, '--auto-approve']);
        assert.equal(d.code, 1);
        assert.match(d.err, /locked/);
      } finally {
        await writeFile(file, config);
      }
    } finally {
      await lock.unlock(held);
    }
    const r = await cli(tb, ['plan', '--config', file]);
    assert.equal(r.code, 0, 'plan needs no lock and nothing changed');
  });
});
