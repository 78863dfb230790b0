// S3 state backend against the AWS twin's S3 (moto): conditional writes, serials, the lock.
import assert from 'node:assert/strict';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InputError, MplError } from '../../src/errors.js';
import { emptyState } from '../../src/state/local.js';
import { S3StateBackend } from '../../src/state/s3.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const ACCOUNT = '111111111111';

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

  const backend = (key = 'stacks/payments.state.json', opts = {}) =>
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

  it('lock: <key>.lock holds owner, pid, host, createdAt; another run is refused naming them; unlock', async () => {
    const a = backend('payments.json', { host: 'alice-laptop', pid: 4242 });
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
    });

    const b = backend('payments.json');
    const e = await refused(b.lock('bob'), 'STATE_LOCKED');
    assert.match(
      e.message,
      new RegExp(
        `locked by alice \\(pid 4242 on alice-laptop\\) since ${lock.createdAt}: s3://${bucket}/payments.json.lock`,
      ),
    );
    assert.match(e.describe(), /if it died, delete s3:\/\/.*payments\.json\.lock/);
    // Another stack's key has its own lock.
    await backend('orders.json').lock('bob');

    await a.unlock(lock);
    const bl = await b.lock('bob');
    await refused(a.unlock(lock), 'LOCK_LOST');
    await b.unlock(bl);
    await b.unlock(bl); // already gone: fine
    assert.equal((await a.lock('alice')).owner, 'alice');
    assert.equal((await a.forceUnlock())?.owner, 'alice');
  });

  it('exactly one of many concurrent lockers wins, round after round', async () => {
    for (let round = 0; round < 8; round++) {
      const key = `race-${round}.json`;
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => backend(key, { host: `host-${i}` }).lock(`run-${i}`)),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, `round ${round}: ${won.length} holders`);
      for (const r of results) {
        if (r.status === 'rejected')
          assert.equal((r.reason as MplError).code, 'STATE_LOCKED', String(r.reason));
      }
    }
  });
});
