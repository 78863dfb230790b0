// Kills by AWS call (issue "Reliability and security", scope 1, in CI): the AWS twin SIGKILLs the
// CLI right after its k-th successful mutating call, before the answer arrives: the AWS change is
// made and the run never records it. Pattern 1 (3 brokers, 2 consumer accounts): apply killed after
// its first, middle and last mutating call; destroy killed right after it rejects an endpoint
// connection (a rejected endpoint used to read as gone and was left behind) and midway. Each time
// the next run finishes the job: no change left, no duplicate, every id in state, nothing left
// after destroy. `npm run sweep:crash -- --by calls --phase both` tries every k.
import assert from 'node:assert/strict';
import {
  cleanupStack,
  crashAndResume,
  crashDestroyAndResume,
  newStack,
  runChild,
  type StackUnderTest,
} from '../support/crash.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';

describe('e2e: apply and destroy killed right after a mutating AWS call', function () {
  this.timeout(180_000);
  let tb: Testbed;
  let applyCalls: string[] = [];
  let destroyCalls: string[] = [];
  const figures: string[] = [];
  let current: StackUnderTest | undefined;
  // Never reached: the twin records the calls of a whole run in order without killing it.
  const RECORD = { afterMutatingCalls: 1_000_000 };

  before(async function () {
    tb = await getTestbed({ reset: true });
    const ref = await newStack(tb, 'ccref', 1);
    const applied = await runChild(tb, ['apply', '--config', ref.file, '--auto-approve', '--json'], RECORD);
    assert.equal(applied.code, 0, applied.err);
    const destroyed = await runChild(
      tb,
      ['destroy', '--config', ref.file, '--auto-approve', '--json'],
      RECORD,
    );
    assert.equal(destroyed.code, 0, destroyed.err);
    applyCalls = applied.mutatingCalls ?? [];
    destroyCalls = destroyed.mutatingCalls ?? [];
    figures.push(`reference: apply ${applyCalls.length} mutating calls, destroy ${destroyCalls.length}`);
  });

  after(() => {
    if (figures.length > 0) console.log(`      ${figures.join('\n      ')}`);
  });

  afterEach(async function () {
    this.timeout(120_000);
    if (current && this.currentTest?.state !== 'passed') await cleanupStack(tb, current);
    current = undefined;
  });

  it('apply killed after its first, middle and last mutating call: the next apply finishes it', async function () {
    this.timeout(300_000);
    const n = applyCalls.length;
    assert.ok(n > 20, `a real plan: ${n} calls`);
    for (const k of [1, Math.ceil(n / 2), n]) {
      current = await newStack(tb, `cca${k}`, 1);
      const t0 = Date.now();
      const r = await crashAndResume(tb, current, { afterMutatingCalls: k });
      assert.equal(r.killed.signal, 'SIGKILL', `apply ${k}/${n} was killed`);
      assert.deepEqual(r.problems, [], `apply killed after call ${k}/${n} (${r.killed.killedAfterCall})`);
      figures.push(
        `apply killed after ${k}/${n} (${r.killed.killedAfterCall}): ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
  });

  it('destroy killed right after it rejects an endpoint connection, and midway: the next destroy leaves nothing', async function () {
    this.timeout(300_000);
    const n = destroyCalls.length;
    const reject = destroyCalls.indexOf('ec2:RejectVpcEndpointConnections') + 1;
    assert.ok(reject > 0, `destroy rejects connections: ${destroyCalls.join(' ')}`);
    for (const k of [reject, Math.ceil(n / 2)]) {
      current = await newStack(tb, `ccd${k}`, 1);
      const t0 = Date.now();
      const r = await crashDestroyAndResume(tb, current, { afterMutatingCalls: k });
      assert.equal(r.killed.signal, 'SIGKILL', `destroy ${k}/${n} was killed`);
      assert.deepEqual(r.problems, [], `destroy killed after call ${k}/${n} (${r.killed.killedAfterCall})`);
      figures.push(
        `destroy killed after ${k}/${n} (${r.killed.killedAfterCall}): ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
  });
});
