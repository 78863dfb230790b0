// Ten processes race for one stack's lock, local (O_EXCL file) and S3 (the AWS twin): exactly one
// holds it, every other is refused naming that holder. Each racer is its own Node process
// (test/support/lock-child.ts), started first and then let go at once.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseLockInfo } from '../../src/state/lock.js';
import type { LockChildConfig, LockChildOutcome } from '../support/lock-child.js';
import { race, type LockChild } from '../support/lock-children.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const ACCOUNT = '111111111111';
const RACERS = 10;

/** Exactly one winner; every loser refused with STATE_LOCKED naming the winner's owner and pid. */
function oneWinner(outcomes: LockChildOutcome[]): Extract<LockChildOutcome, { ok: true }> {
  const won = outcomes.filter((o): o is Extract<LockChildOutcome, { ok: true }> => o.ok);
  assert.equal(won.length, 1, `${won.length} holders: ${JSON.stringify(outcomes)}`);
  const winner = won[0]!;
  for (const o of outcomes) {
    if (o.ok) continue;
    assert.equal(o.code, 'STATE_LOCKED', o.message);
    assert.match(
      o.message,
      new RegExp(
        `locked by ${winner.lock.owner} \\(pid ${winner.pid} on [^)]+\\) since ${winner.lock.createdAt}`,
      ),
      o.message,
    );
    assert.match(o.message, new RegExp(`lock id ${winner.lock.id}`));
  }
  return winner;
}

async function releaseWinner(children: LockChild[], winner: { pid: number }): Promise<void> {
  const child = children.find((c) => c.pid === winner.pid)!;
  await child.release();
  await Promise.all(children.map((c) => c.exited));
}

describe('ten processes racing for one lock', function () {
  this.timeout(120_000);

  it('local: exactly one holds the lock file, the others are refused naming it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mpl-lock-race-'));
    try {
      const stateFile = path.join(dir, '.msk-privatelink', 'payments.state.json');
      for (let round = 0; round < 1; round++) {
        const { children, outcomes } = await race(RACERS, (i): LockChildConfig => ({
          backend: 'local',
          stateFile,
          owner: `racer-${round}-${i}`,
        }));
        const winner = oneWinner(outcomes);
        const held = parseLockInfo(await readFile(`${stateFile}.lock`, 'utf8'));
        assert.equal(held?.id, winner.lock.id);
        await releaseWinner(children, winner);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('S3 (AWS twin)', () => {
    let twin: AwsTwin;
    let s3: S3Client;
    before(async () => {
      twin = await startAwsTwin();
      s3 = new S3Client({ ...clientConfigFor(twin, ACCOUNT), forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: 'mpl-race' }));
    });
    after(async () => {
      s3?.destroy();
      await twin?.stop();
    });

    it('exactly one holds <key>.lock, the others are refused naming it', async () => {
      for (let round = 0; round < 1; round++) {
        const key = `stacks/race-${round}.state.json`;
        const { children, outcomes } = await race(RACERS, (i): LockChildConfig => ({
          backend: 's3',
          client: clientConfigFor(twin, ACCOUNT),
          bucket: 'mpl-race',
          key,
          leaseMs: 30_000,
          owner: `racer-${round}-${i}`,
          host: `host-${i}`,
        }));
        const winner = oneWinner(outcomes);
        const obj = await s3.send(new GetObjectCommand({ Bucket: 'mpl-race', Key: `${key}.lock` }));
        assert.equal(parseLockInfo((await obj.Body?.transformToString()) ?? '')?.id, winner.lock.id);
        await releaseWinner(children, winner);
      }
    });
  });
});
