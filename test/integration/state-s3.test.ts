// S3 state backend against the AWS twin's S3 (moto): conditional writes, serials, the lock, its
// lease and heartbeat (a killed holder is taken over once its lease has passed, never before).
import assert from 'node:assert/strict';
import { refused } from '../support/refused.js';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InputError, MplError } from '../../src/errors.js';
import { emptyState } from '../../src/state/local.js';
import { newLockInfo, parseLockInfo, sleep, type LockInfo } from '../../src/state/lock.js';
import { S3StateBackend, type S3StateOptions } from '../../src/state/s3.js';
import { startLockChild } from '../support/lock-children.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const ACCOUNT = '111111111111';

describe('S3 state backend (AWS twin)', function () {
  this.timeout(30_000);
  let twin: AwsTwin;
  let s3: S3Client;
  let bucket: string;
  let n = 0;
  const started = Date.now();

  before(async () => {
    twin = await startAwsTwin();
    s3 = new S3Client({ ...clientConfigFor(twin, ACCOUNT), forcePathStyle: true, maxAttempts: 1 });
  });
  after(async () => {
    s3?.destroy();
    await twin?.stop();
    console.log(`    state-s3: ${Date.now() - started} ms`);
  });
  beforeEach(async () => {
    bucket = `mpl-state-test-${++n}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  const backend = (key = 'stacks/payments.state.json', opts: S3StateOptions = {}) =>
    new S3StateBackend(s3, bucket, key, opts);

  it('reads nothing for a new stack, then writes and reads back with the serial bumped', async () => {
    const b = backend();
    assert.equal(b.location, `s3://${bucket}/stacks/payments.state.json`);
    assert.equal(await b.read(), undefined);
    const first = await b.write(emptyState('payments'));
    assert.equal(first.serial, 1);
    const second = await b.write({ ...first, portAssignments: { '1/tls': 9001 } });
    assert.equal(second.serial, 2);
    const fresh = backend();
    assert.deepEqual(await fresh.read(), second);
    assert.equal((await fresh.write(second)).serial, 3);
  });

  it('two runs that read the same serial cannot both write (If-Match on the ETag)', async () => {
    const seed = await backend().write(emptyState('payments'));
    const a = backend();
    const b = backend();
    const sa = (await a.read())!;
    const sb = (await b.read())!;
    assert.equal(sa.serial, seed.serial);
    await a.write(sa);
    const e = await refused(b.write(sb), 'STATE_CONFLICT');
    assert.match(
      e.message,
      new RegExp(`state s3://${bucket}/stacks/payments.state.json changed under this run`),
    );
    // After reading again the second run may write.
    const latest = (await b.read())!;
    assert.equal((await b.write(latest)).serial, seed.serial + 2);
  });

  it('two runs creating the first state: only one wins (If-None-Match: *)', async () => {
    const a = backend();
    const b = backend();
    assert.equal(await a.read(), undefined);
    assert.equal(await b.read(), undefined);
    await a.write(emptyState('payments'));
    await refused(b.write(emptyState('payments')), 'STATE_CONFLICT');
  });

  it('a writer that never read refuses to go back over a newer state', async () => {
    const s1 = await backend().write(emptyState('payments'));
    await backend().write(s1);
    await refused(backend().write(s1 /* serial 1, stored is 2 */), 'STATE_CONFLICT');
    await refused(backend().write(emptyState('payments') /* another lineage */), 'STATE_CONFLICT');
  });

  it('an object that is not a state file is an input error naming it', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'bad.json', Body: '{"format":"nope"}' }));
    await assert.rejects(
      backend('bad.json').read(),
      (e: unknown) => e instanceof InputError && /s3:\/\/.*bad\.json/.test(String(e.where)),
    );
  });

  it('lock: <key>.lock holds owner, pid, host, createdAt, expiresAt; another run is refused naming them; unlock', async () => {
    const a = backend('payments.json', { host: 'alice-laptop', pid: 4242 });
    const before = Date.now();
    const lock = await a.lock('alice');
    assert.equal(lock.location, `s3://${bucket}/payments.json.lock`);
    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'payments.json.lock' }));
    const held = JSON.parse((await obj.Body?.transformToString()) ?? '') as Record<string, unknown>;
    assert.deepEqual(held, {
      owner: 'alice',
      pid: 4242,
      host: 'alice-laptop',
      createdAt: lock.createdAt,
      id: lock.id,
      expiresAt: lock.expiresAt,
    });
    // The default lease: 120 s from when it was taken.
    const lease = Date.parse(lock.expiresAt!) - Date.parse(lock.createdAt);
    assert.equal(lease, 120_000);
    assert.ok(Date.parse(lock.createdAt) >= before - 1000);

    const b = backend('payments.json');
    const e = await refused(b.lock('bob'), 'STATE_LOCKED');
    assert.match(
      e.message,
      new RegExp(
        `locked by alice \\(pid 4242 on alice-laptop\\) since ${lock.createdAt}, lease until ${lock.expiresAt}: s3://${bucket}/payments.json.lock`,
      ),
    );
    assert.match(e.describe(), new RegExp(`lock id ${lock.id}`));
    assert.match(
      e.describe(),
      new RegExp(
        `if it died, the next run takes it over once its lease has passed \\(${lock.expiresAt}\\); to free it sooner, run \`msk-privatelink force-unlock --config CONFIG ${lock.id}\``,
      ),
    );
    // Another stack's key has its own lock.
    const other = backend('orders.json');
    await other.unlock(await other.lock('bob'));

    await a.unlock(lock);
    const bl = await b.lock('bob');
    await refused(a.unlock(lock), 'LOCK_LOST');
    await b.unlock(bl);
    await b.unlock(bl); // already gone: fine
    const again = await a.lock('alice');
    assert.equal(again.owner, 'alice');
    const forced = await backend('payments.json').forceUnlock();
    assert.equal(forced?.holder?.owner, 'alice');
    assert.equal(forced?.location, `s3://${bucket}/payments.json.lock`);
    assert.equal(await backend('payments.json').forceUnlock(), undefined, 'nothing left to release');
    await a.unlock(again); // force-unlocked meanwhile: gone is fine
  });

  it('exactly one of many concurrent lockers wins, round after round', async () => {
    for (let round = 0; round < 8; round++) {
      const key = `race-${round}.json`;
      const lockers = Array.from({ length: 6 }, (_, i) => backend(key, { host: `host-${i}` }));
      const results = await Promise.allSettled(lockers.map((b, i) => b.lock(`run-${i}`)));
      const won = results.flatMap((r, i) =>
        r.status === 'fulfilled' ? [{ lock: r.value, by: lockers[i]! }] : [],
      );
      assert.equal(won.length, 1, `round ${round}: ${won.length} holders`);
      for (const r of results) {
        if (r.status === 'rejected') {
          assert.equal((r.reason as MplError).code, 'STATE_LOCKED', String(r.reason));
          assert.match((r.reason as MplError).message, new RegExp(`locked by ${won[0]!.lock.owner} `));
        }
      }
      await won[0]!.by.unlock(won[0]!.lock);
    }
  });

  describe('the lease and its heartbeat', () => {
    const LEASE_MS = 2_000;
    const leased = (key: string, opts: S3StateOptions = {}) => backend(key, { leaseMs: LEASE_MS, ...opts });

    async function lockObject(key: string): Promise<LockInfo> {
      const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.lock` }));
      return parseLockInfo((await obj.Body?.transformToString()) ?? '')!;
    }

    async function untilPassed(iso: string): Promise<void> {
      const wait = Date.parse(iso) - Date.now() + 50;
      if (wait > 0) await sleep(wait);
    }

    it('a killed holder (SIGKILL, no unlock) is taken over only once its lease has passed', async function () {
      this.timeout(60_000);
      const key = 'killed.json';
      const child = startLockChild({
        backend: 's3',
        client: clientConfigFor(twin, ACCOUNT),
        bucket,
        key,
        leaseMs: LEASE_MS,
        owner: 'ci-job-1234',
        host: 'ci-runner-7',
      });
      await child.ready;
      child.go();
      const outcome = await child.outcome;
      assert.ok(outcome.ok, JSON.stringify(outcome));
      // Let it renew at least once, then kill it the way a cancelled CI job dies.
      await sleep(LEASE_MS / 3 + 400);
      const renewed = await lockObject(key);
      assert.equal(renewed.id, outcome.lock.id);
      assert.ok(
        Date.parse(renewed.expiresAt!) > Date.parse(outcome.lock.expiresAt!),
        'the heartbeat renewed it',
      );
      await child.kill('SIGKILL');
      const last = await lockObject(key);

      // Before the lease has passed: refused, naming the holder, since when and until when.
      assert.ok(Date.now() < Date.parse(last.expiresAt!) - 300, 'still inside the lease');
      const logs: string[] = [];
      const next = leased(key, { log: (_level, m) => logs.push(m) });
      const e = await refused(next.lock('next-run'), 'STATE_LOCKED');
      assert.match(
        e.message,
        new RegExp(
          `locked by ci-job-1234 \\(pid ${child.pid} on ci-runner-7\\) since ${last.createdAt}, lease until ${last.expiresAt}`,
        ),
      );
      assert.ok(Date.now() < Date.parse(last.expiresAt!), 'the refusal came before the lease ended');
      assert.equal((await lockObject(key)).id, outcome.lock.id, 'the refused run left the lock alone');

      // After: taken over, and said so.
      await untilPassed(last.expiresAt!);
      const mine = await next.lock('next-run');
      assert.equal(mine.owner, 'next-run');
      assert.equal((await lockObject(key)).id, mine.id);
      assert.match(
        logs.join('\n'),
        /took over the state lock .*killed\.json\.lock of ci-job-1234 .*its lease had passed/,
      );
      await next.unlock(mine);
    });

    it('a holder whose heartbeat stopped is taken over after the lease, and then knows it lost the lock', async () => {
      const key = 'stalled.json';
      const holder = leased(key);
      const lock = await holder.lock('stalled-run');
      await holder.heartbeatOf(lock)!.stop();
      const state = await holder.write(emptyState('payments'));
      await refused(leased(key).lock('early'), 'STATE_LOCKED');
      await untilPassed(lock.expiresAt!);
      const taker = leased(key);
      const taken = await taker.lock('late');
      // The old holder cannot release the new lock.
      const lost = await refused(holder.unlock(lock), 'LOCK_LOST');
      assert.match(lost.message, /now held by late /);
      assert.equal((await lockObject(key)).id, taken.id);
      await taker.unlock(taken);
      assert.equal(state.serial, 1);
    });

    it("a live holder's heartbeat keeps the lock past several leases; others are refused all along", async function () {
      this.timeout(30_000);
      const key = 'long-run.json';
      const holder = leased(key);
      const lock = await holder.lock('long-apply');
      const started = Date.now();
      let attempts = 0;
      while (Date.now() - started < 3.5 * LEASE_MS) {
        await sleep(LEASE_MS / 2);
        const e = await refused(leased(key).lock('impatient'), 'STATE_LOCKED');
        assert.match(e.message, /locked by long-apply /);
        attempts++;
      }
      assert.ok(attempts >= 6, `${attempts} attempts`);
      const now = await lockObject(key);
      assert.equal(now.id, lock.id);
      assert.equal(now.createdAt, lock.createdAt);
      assert.ok(Date.parse(now.expiresAt!) > started + 3 * LEASE_MS, 'the lease moved forward');
      assert.ok(holder.heartbeatOf(lock)!.renewals >= 8, `${holder.heartbeatOf(lock)!.renewals} renewals`);
      // Writes under the lock still work, and unlock stops the heartbeat and removes the lock.
      await holder.write(emptyState('payments'));
      const heartbeat = holder.heartbeatOf(lock)!;
      await holder.unlock(lock);
      assert.equal(holder.heartbeatOf(lock), undefined);
      const renewals = heartbeat.renewals;
      await sleep(LEASE_MS / 3 + 200);
      assert.equal(heartbeat.renewals, renewals, 'no renewal after unlock');
      const after = leased(key);
      await after.unlock(await after.lock('next'));
    });

    it('two runs taking over one expired lock at once: exactly one wins, round after round', async () => {
      for (let round = 0; round < 6; round++) {
        const key = `expired-${round}.json`;
        const dead = {
          ...newLockInfo('dead-run', { host: 'gone-host', leaseMs: 1 }),
          expiresAt: new Date(Date.now() - 5_000).toISOString(),
        };
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: `${key}.lock`, Body: JSON.stringify(dead) }),
        );
        const takers = Array.from({ length: round % 2 === 0 ? 2 : 5 }, (_, i) =>
          leased(key, { host: `taker-${i}` }),
        );
        const results = await Promise.allSettled(takers.map((t, i) => t.lock(`taker-${i}`)));
        const won = results.flatMap((r, i) =>
          r.status === 'fulfilled' ? [{ lock: r.value, by: takers[i]! }] : [],
        );
        assert.equal(won.length, 1, `round ${round}: ${won.length} winners`);
        assert.equal((await lockObject(key)).id, won[0]!.lock.id);
        for (const r of results) {
          if (r.status === 'rejected') {
            assert.equal((r.reason as MplError).code, 'STATE_LOCKED', String(r.reason));
            assert.match((r.reason as MplError).message, new RegExp(`locked by ${won[0]!.lock.owner} `));
          }
        }
        await won[0]!.by.unlock(won[0]!.lock);
      }
    });

    it('a take-over is conditional on the expired lock it saw: one replaced meanwhile is left alone', async () => {
      const key = 'changed.json';
      const dead = {
        ...newLockInfo('dead-run', { leaseMs: 1 }),
        expiresAt: new Date(Date.now() - 5_000).toISOString(),
      };
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${key}.lock`, Body: JSON.stringify(dead) }));
      const quicker = { ...newLockInfo('quicker-run', { leaseMs: 60_000 }) };
      // Between this run's read of the expired lock and its write, another run takes the lock over.
      let injected = false;
      const racing = {
        send: async (command: { input: { Key?: string } }) => {
          const out = (await s3.send(command as never)) as unknown;
          if (!injected && command instanceof GetObjectCommand && command.input.Key === `${key}.lock`) {
            injected = true;
            await s3.send(
              new PutObjectCommand({ Bucket: bucket, Key: `${key}.lock`, Body: JSON.stringify(quicker) }),
            );
          }
          return out;
        },
      } as unknown as S3Client;
      const slow = new S3StateBackend(racing, bucket, key, { leaseMs: LEASE_MS });
      const e = await refused(slow.lock('slow-run'), 'STATE_LOCKED');
      assert.ok(injected);
      assert.match(e.message, /locked by quicker-run /);
      assert.equal((await lockObject(key)).id, quicker.id, "the quicker run's lock was not overwritten");
    });

    it('a lock without a lease (written by an earlier version) is never taken over: force-unlock frees it', async () => {
      const key = 'no-lease.json';
      const old = newLockInfo('old-version', { now: new Date(Date.now() - 24 * 3600_000) });
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${key}.lock`, Body: JSON.stringify(old) }));
      const e = await refused(leased(key).lock('me'), 'STATE_LOCKED');
      assert.match(
        e.describe(),
        new RegExp(`force-unlock --config CONFIG ${old.id}.*never taken over by itself`),
      );
      const mismatch = await refused(leased(key).forceUnlock('some-other-id'), 'LOCK_ID_MISMATCH');
      assert.match(
        mismatch.message,
        new RegExp(`held by old-version .*lock id ${old.id}; nothing was released`),
      );
      assert.equal((await lockObject(key)).id, old.id);
      assert.equal((await leased(key).forceUnlock(old.id))?.holder?.owner, 'old-version');
      const b = leased(key);
      await b.unlock(await b.lock('me'));
    });

    it('force-unlock of a live holder: its heartbeat notices, and its state writes are refused (LOCK_LOST)', async () => {
      const key = 'forced.json';
      const logs: string[] = [];
      const holder = leased(key, { log: (_l, m) => logs.push(m) });
      const lock = await holder.lock('victim');
      const state = await holder.write(emptyState('payments'));
      // The heartbeat renews meanwhile (the ETag changes): force-unlock reads again and still releases it.
      await sleep(LEASE_MS / 3 + 100);
      assert.equal((await leased(key).forceUnlock(lock.id))?.holder?.id, lock.id);
      await sleep(LEASE_MS / 3 + 400);
      assert.equal(holder.heartbeatOf(lock)!.lost, true);
      assert.match(logs.join('\n'), /lost the state lock .*forced\.json\.lock: it was removed/);
      const e = await refused(holder.write(state), 'LOCK_LOST');
      assert.match(e.message, /the state was not written/);
      await holder.unlock(lock); // gone: fine
    });
  });
});
