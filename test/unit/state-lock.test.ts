// The local state lock (src/state/lock.ts): O_EXCL lock file, holder named, stale locks of dead pids.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { MplError } from '../../src/errors.js';
import { LocalStateLock, parseLockInfo } from '../../src/state/lock.js';

async function refused(p: Promise<unknown>, code: string): Promise<MplError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MplError, `not an MplError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.ok(r.pid);
  return r.pid;
}

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
