// State locks (src/state/lock.ts): the lease arithmetic and heartbeat of S3 locks, and the local
// lock (O_EXCL lock file, holder named, stale locks of dead pids, force-unlock).
import assert from 'node:assert/strict';
import { refused } from '../support/refused.js';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { MplError } from '../../src/errors.js';
import {
  DEFAULT_LOCK_LEASE_SECONDS,
  describeHolder,
  LeaseHeartbeat,
  leaseExpired,
  leaseExpiresAt,
  LocalStateLock,
  newLockInfo,
  parseLockInfo,
  renewEveryMs,
  sleep,
} from '../../src/state/lock.js';

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.ok(r.pid);
  return r.pid;
}

describe('lock lease arithmetic', () => {
  const t0 = new Date('2026-03-01T12:00:00.000Z');

  it('a lease ends its length after it was taken or renewed; the default is 120 s', () => {
    assert.equal(DEFAULT_LOCK_LEASE_SECONDS, 120);
    assert.equal(leaseExpiresAt(t0, 120_000), '2026-03-01T12:02:00.000Z');
    assert.equal(leaseExpiresAt(t0, 2_000), '2026-03-01T12:00:02.000Z');
    const info = newLockInfo('apply', { now: t0, leaseMs: 120_000, pid: 7, host: 'h' });
    assert.equal(info.createdAt, t0.toISOString());
    assert.equal(info.expiresAt, '2026-03-01T12:02:00.000Z');
    assert.equal(
      newLockInfo('apply', { now: t0 }).expiresAt,
      undefined,
      'no lease unless asked (local locks)',
    );
  });

  it('expired only strictly after the end of the lease', () => {
    const holder = { expiresAt: '2026-03-01T12:02:00.000Z' };
    assert.equal(leaseExpired(holder, new Date('2026-03-01T12:01:59.999Z')), false);
    assert.equal(
      leaseExpired(holder, new Date('2026-03-01T12:02:00.000Z')),
      false,
      'the last millisecond holds',
    );
    assert.equal(leaseExpired(holder, new Date('2026-03-01T12:02:00.001Z')), true);
    assert.equal(leaseExpired(holder, new Date('2030-01-01T00:00:00.000Z')), true);
  });

  it('a lock without a lease, or with one that does not parse, never expires', () => {
    assert.equal(leaseExpired({}, new Date('2099-01-01T00:00:00Z')), false);
    assert.equal(leaseExpired({ expiresAt: 'soon' }, new Date('2099-01-01T00:00:00Z')), false);
  });

  it('renews every third of the lease, so two renewals in a row may fail before it ends', () => {
    assert.equal(renewEveryMs(120_000), 40_000);
    assert.equal(renewEveryMs(2_000), 666);
    assert.ok(3 * renewEveryMs(2_000) <= 2_000);
    assert.equal(renewEveryMs(1), 1, 'never a zero interval');
    // A lease renewed at every beat always has at least two beats of margin left.
    for (const lease of [5_000, 30_000, 120_000, 3_600_000]) {
      const every = renewEveryMs(lease);
      assert.ok(lease - every >= 2 * every - 1, `${lease}`);
    }
  });

  it('parses lock JSON with and without expiresAt; a non-string expiresAt is not a lock', () => {
    const info = newLockInfo('a', { now: t0, leaseMs: 1000, pid: 1, host: 'h' });
    assert.deepEqual(parseLockInfo(JSON.stringify(info)), info);
    const { expiresAt: _e, ...noLease } = info;
    assert.deepEqual(parseLockInfo(JSON.stringify(noLease)), noLease);
    assert.equal(parseLockInfo(JSON.stringify({ ...info, expiresAt: 5 })), undefined);
    assert.equal(parseLockInfo(''), undefined);
  });

  it('names the holder, since when and until when', () => {
    const info = newLockInfo('ci (pid 9)', { now: t0, leaseMs: 120_000, pid: 9, host: 'runner' });
    assert.equal(
      describeHolder(info),
      'ci (pid 9) (pid 9 on runner) since 2026-03-01T12:00:00.000Z, lease until 2026-03-01T12:02:00.000Z',
    );
    const { expiresAt: _e, ...local } = info;
    assert.equal(describeHolder(local), 'ci (pid 9) (pid 9 on runner) since 2026-03-01T12:00:00.000Z');
  });
});

describe('lease heartbeat', () => {
  it('renews every interval, never two at once, and stops on stop()', async () => {
    let running = 0;
    let overlap = false;
    let calls = 0;
    const hb = new LeaseHeartbeat(20, async () => {
      calls++;
      running++;
      if (running > 1) overlap = true;
      await sleep(50); // slower than the interval
      running--;
      return 'renewed';
    }).start();
    await sleep(300);
    await hb.stop();
    assert.equal(overlap, false);
    assert.ok(calls >= 3 && calls <= 8, `${calls} renewals`);
    const after = calls;
    await sleep(100);
    assert.equal(calls, after, 'nothing after stop');
    assert.equal(hb.lost, false);
  });

  it('stops for good when the lock is lost; a failed renewal is reported and tried again', async () => {
    const problems: string[] = [];
    let n = 0;
    const hb = new LeaseHeartbeat(
      15,
      async () => {
        n++;
        if (n === 1) throw new Error('socket hang up');
        return n === 2 ? 'renewed' : 'lost';
      },
      (m) => problems.push(m),
    ).start();
    await sleep(200);
    assert.equal(hb.lost, true);
    assert.equal(n, 3, 'no renewal after the loss');
    assert.equal(hb.renewals, 1);
    assert.match(
      problems.join('\n'),
      /cannot renew the state lock's lease \(tried again in 15 ms\): socket hang up/,
    );
    await hb.stop();
  });

  it('does not keep Node alive: a process holding only a heartbeat exits at once', () => {
    const script = [
      `import { LeaseHeartbeat } from ${JSON.stringify(path.resolve('src/state/lock.ts'))};`,
      `new LeaseHeartbeat(60_000, async () => 'renewed').start();`,
      `console.log('started');`,
    ].join('\n');
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'started');
    assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
  });
});

describe('local state lock', () => {
  let dir: string;
  let stateFile: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-lock-'));
    stateFile = path.join(dir, 'nested', 'payments.state.json');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('creates <state>.lock holding owner, pid, host, createdAt; a second run is refused naming them', async () => {
    const a = new LocalStateLock(stateFile);
    const lock = await a.lock('alice@laptop');
    assert.equal(lock.location, `${stateFile}.lock`);
    const held = parseLockInfo(await readFile(`${stateFile}.lock`, 'utf8'));
    assert.deepEqual(held, {
      owner: 'alice@laptop',
      pid: process.pid,
      host: hostname(),
      createdAt: lock.createdAt,
      id: lock.id,
    });
    assert.equal((await stat(`${stateFile}.lock`)).mode & 0o777, 0o600);

    const e = await refused(new LocalStateLock(stateFile).lock('bob'), 'STATE_LOCKED');
    assert.match(
      e.message,
      new RegExp(`locked by alice@laptop \\(pid ${process.pid} on ${hostname()}\\) since ${lock.createdAt}`),
    );
    assert.match(e.message, /payments\.state\.json\.lock/);
    assert.match(e.describe(), /if it died, remove .*\.lock/);
    assert.equal(e.retriable, true);

    await a.unlock(lock);
    await assert.rejects(stat(`${stateFile}.lock`), /ENOENT/);
    const again = await new LocalStateLock(stateFile).lock('bob');
    assert.notEqual(again.id, lock.id);
  });

  it('exactly one of many concurrent lockers wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => new LocalStateLock(stateFile).lock(`run-${i}`)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as MplError).code, 'STATE_LOCKED');
    }
  });

  it('takes over a stale lock of a dead process on the same host, and says so', async () => {
    const pid = deadPid();
    const messages: string[] = [];
    const dead = new LocalStateLock(stateFile, { pid });
    await dead.lock('crashed-run');
    const lock = await new LocalStateLock(stateFile, { log: (m) => messages.push(m) }).lock('next-run');
    assert.equal(lock.owner, 'next-run');
    assert.equal(parseLockInfo(await readFile(`${stateFile}.lock`, 'utf8'))?.id, lock.id);
    assert.match(messages.join('\n'), new RegExp(`stale state lock of crashed-run \\(pid ${pid}, gone\\)`));
    await refused(dead.unlock({ id: 'not-this-one' }), 'LOCK_LOST');
  });

  it("never breaks another host's lock, even when its pid is not running here", async () => {
    await new LocalStateLock(stateFile, { pid: deadPid(), host: 'build-agent-7' }).lock('ci');
    const e = await refused(new LocalStateLock(stateFile).lock('me'), 'STATE_LOCKED');
    assert.match(e.message, /locked by ci \(pid \d+ on build-agent-7\)/);
  });

  it('a half-written lock file is refused while fresh and taken over when old', async () => {
    await new LocalStateLock(stateFile).lock('x').then((l) => new LocalStateLock(stateFile).unlock(l));
    await writeFile(`${stateFile}.lock`, '');
    const e = await refused(new LocalStateLock(stateFile).lock('me'), 'STATE_LOCKED');
    assert.match(e.message, /another run \(its lock is unreadable\)/);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${stateFile}.lock`, old, old);
    assert.equal((await new LocalStateLock(stateFile).lock('me')).owner, 'me');
  });

  it('a lock file caught between its creation and its JSON: the refusal waits for the JSON and names the holder', async () => {
    const first = new LocalStateLock(stateFile);
    await first.unlock(await first.lock('x'));
    await writeFile(`${stateFile}.lock`, '');
    const holder = newLockInfo('slow-writer', { pid: process.pid });
    setTimeout(() => void writeFile(`${stateFile}.lock`, JSON.stringify(holder)), 100);
    const e = await refused(new LocalStateLock(stateFile).lock('me'), 'STATE_LOCKED');
    assert.match(e.message, /locked by slow-writer \(pid \d+ on /);
  });

  it('force-unlock: releases whoever holds it and says who; with a lock id, only that lock', async () => {
    const held = await new LocalStateLock(stateFile, { pid: 4242, host: 'build-agent-7' }).lock('ci');
    const locker = new LocalStateLock(stateFile, { configFile: 'stack.yaml' });
    const e = await refused(locker.lock('me'), 'STATE_LOCKED');
    assert.match(
      e.describe(),
      new RegExp(`lock id ${held.id}; .*msk-privatelink force-unlock --config stack\\.yaml ${held.id}`),
    );

    const wrong = await refused(locker.forceUnlock('not-this-one'), 'LOCK_ID_MISMATCH');
    assert.match(
      wrong.message,
      new RegExp(
        `held by ci \\(pid 4242 on build-agent-7\\) since .*, lock id ${held.id}; nothing was released`,
      ),
    );
    assert.equal(parseLockInfo(await readFile(`${stateFile}.lock`, 'utf8'))?.id, held.id);

    const released = await locker.forceUnlock(held.id);
    assert.equal(released?.location, `${stateFile}.lock`);
    assert.deepEqual(released?.holder, {
      owner: 'ci',
      pid: 4242,
      host: 'build-agent-7',
      createdAt: held.createdAt,
      id: held.id,
    });
    await assert.rejects(stat(`${stateFile}.lock`), /ENOENT/);
    assert.equal(await locker.forceUnlock(), undefined, 'nothing held');
    // Without an id: whoever holds it.
    const next = await locker.lock('me');
    assert.equal((await new LocalStateLock(stateFile).forceUnlock())?.holder?.id, next.id);
  });

  it('unlock: a lock already gone is fine; a lock now held by another run is LOCK_LOST and left alone', async () => {
    const a = new LocalStateLock(stateFile);
    const mine = await a.lock('me');
    await a.unlock(mine);
    await a.unlock(mine);
    const theirs = await new LocalStateLock(stateFile).lock('them');
    const e = await refused(a.unlock(mine), 'LOCK_LOST');
    assert.match(e.message, /now held by them/);
    assert.equal(parseLockInfo(await readFile(`${stateFile}.lock`, 'utf8'))?.id, theirs.id);
  });
});
