// Kills by AWS call (issue "Reliability and security", scope 1). The AWS twin SIGKILLs the CLI
// right after its k-th successful mutating call, before the answer arrives: the AWS change is made
// and the run never records it. Three brokers, two consumer accounts; apply killed after its k-th
// mutating call, then apply again: no change left, the same resources as an uninterrupted run,
// every id in state, no duplicate in AWS; destroy killed after its k-th, then destroy again: nothing
// of the stack left in any account, state empty. Patterns 1, 3 and 0 make no Kafka call, so this
// runs on a twin of its own (test/testbed/twin-bed.ts), beside the shared testbed; pattern 2 needs
// the brokers (`npm run sweep:crash -- --by calls --pattern 2|2c`).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cleanupStack,
  crashApplyQuick,
  crashDestroyAndResume,
  newStack,
  planOf,
  runChild,
  type StackUnderTest,
} from '../support/crash.js';
import { writeStackConfig } from '../support/e2e.js';
import { startTwinBed, type TwinBed } from '../testbed/twin-bed.js';

// Never reached: the twin records the calls of a whole run in order without killing it.
const RECORD = { afterMutatingCalls: 1_000_000 };
// Every k of pattern 1 takes about 15 minutes on two cores (80 kill points, 11 to 13 s each: two
// CLI runs of a second's start-up each plus their AWS calls, a plan and an inventory), more than
// CI's 30-minute budget beside the other suites. CI tries the first and last k, destroy right after
// it rejects an endpoint connection, and every 5th k from an offset that moves with the commit
// (MPL_CRASH_OFFSET, else the commit id's last hex digit mod 5): five commits cover every k.
// MPL_CRASH_STRIDE=1 tries every k of every pattern (`npm run sweep:crash:every`).
const STRIDE = Math.max(1, Number(process.env.MPL_CRASH_STRIDE ?? '5'));
const OFFSET = crashOffset(STRIDE);

/** Where this run's every-`stride`-th k start: MPL_CRASH_OFFSET, else from the commit id. */
function crashOffset(stride: number): number {
  const given = process.env.MPL_CRASH_OFFSET;
  if (given !== undefined) return Math.abs(Math.trunc(Number(given))) % stride || 0;
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return parseInt(head.trim().slice(-1), 16) % stride || 0;
  } catch {
    return 0; // not a git checkout
  }
}

/** The kill points: the first and last k, every `stride`-th k from 1 + `offset`, and any named ones. */
function killPoints(n: number, stride: number, also: number[] = [], offset = OFFSET): number[] {
  const ks = new Set<number>([1, n, ...also.filter((k) => k >= 1 && k <= n)]);
  for (let k = 1 + offset; k <= n; k += stride) ks.add(k);
  return [...ks].sort((a, b) => a - b);
}

async function stackOf(bed: TwinBed, pattern: 0 | 1 | 3, name: string): Promise<StackUnderTest> {
  if (pattern !== 0) return newStack(bed, name, pattern);
  const c = await writeStackConfig(bed, {
    name,
    pattern: 1,
    extra: { pattern: 0, cluster: { arn: bed.clusterArn, listeners: ['sasl_scram'] } },
  });
  return { name, pattern: 0, file: c.file, statePath: c.statePath };
}

// MPL_CRASH_PATTERNS=3,0 limits a run to some patterns (all three by default).
const ONLY = (process.env.MPL_CRASH_PATTERNS ?? '1,3,0').split(',').map((p) => p.trim());
const CASES = [
  { pattern: 1 as const, stride: STRIDE },
  { pattern: 3 as const, stride: STRIDE },
  { pattern: 0 as const, stride: STRIDE },
].filter((c) => ONLY.includes(String(c.pattern)));

describe('crash right after a mutating AWS call, patterns 1, 3 and 0 (twin only)', function () {
  this.timeout(60 * 60_000);
  let bed: TwinBed;
  const figures: string[] = [];

  before(async function () {
    this.timeout(120_000);
    bed = await startTwinBed({
      delaysMs: {
        nlbActiveMs: 50,
        endpointAvailableMs: 50,
        endpointDeleteMs: 50,
        route53ChangeMs: 50,
        resourceGatewayActiveMs: 50,
        mskBrokerRestartMs: 20,
        mskVpcConnectionMs: 50,
      },
    });
  });

  after(async () => {
    if (figures.length > 0) console.log(`      ${figures.join('\n      ')}`);
    await bed?.stop();
  });

  async function sweep(
    label: string,
    ks: number[],
    n: number,
    run: (k: number) => Promise<{ killedAfterCall?: string; signal: string | null; problems: string[] }>,
  ): Promise<void> {
    const failed: string[] = [];
    // A run may make fewer mutating calls than the reference (Route 53 changes that arrive together
    // go out as one batch, and what arrives together varies): a k past its last call is not reached,
    // and that run, not killed, must still be right.
    const unreached: number[] = [];
    const t0 = Date.now();
    for (const k of ks) {
      try {
        const r = await run(k);
        if (r.signal !== 'SIGKILL' && r.problems.length === 0) unreached.push(k);
        else if (r.signal !== 'SIGKILL')
          failed.push(`${label} ${k}/${n}: not killed, and:\n  ${r.problems.join('\n  ')}`);
        else if (r.problems.length > 0)
          failed.push(
            `${label} killed after ${k}/${n} (${r.killedAfterCall ?? '?'}):\n  ${r.problems.join('\n  ')}`,
          );
      } catch (e) {
        failed.push(`${label} ${k}/${n}: ${e instanceof Error ? e.message : String(e)}`);
      }
      await bed.reset();
    }
    const s = (Date.now() - t0) / 1000;
    figures.push(
      `${label}: ${ks.length - failed.length - unreached.length}/${ks.length} kill points ok (k = ${ks.join(' ')} of ${n}; offset ${OFFSET})${unreached.length > 0 ? `, not reached: ${unreached.join(' ')}` : ''} in ${s.toFixed(0)} s, ${(s / ks.length).toFixed(1)} s a point`,
    );
    assert.deepEqual(failed, []);
    assert.ok(unreached.length <= 2, `${label}: kill points not reached: ${unreached.join(' ')} of ${n}`);
  }

  for (const { pattern, stride } of CASES) {
    describe(`pattern ${pattern}`, () => {
      let applyCalls: string[] = [];
      let destroyCalls: string[] = [];
      let referenceIds: string[] = [];

      before(async function () {
        this.timeout(120_000);
        const ref = await stackOf(bed, pattern, `ev${pattern}ref`);
        referenceIds = (await planOf(bed, ref)).changes.map((c) => c.id);
        const applied = await runChild(
          bed,
          ['apply', '--config', ref.file, '--auto-approve', '--json'],
          RECORD,
        );
        assert.equal(applied.code, 0, applied.err);
        const destroyed = await runChild(
          bed,
          ['destroy', '--config', ref.file, '--auto-approve', '--json'],
          RECORD,
        );
        assert.equal(destroyed.code, 0, destroyed.err);
        applyCalls = applied.mutatingCalls ?? [];
        destroyCalls = destroyed.mutatingCalls ?? [];
        figures.push(
          `pattern ${pattern} reference: apply ${applyCalls.length} mutating calls, destroy ${destroyCalls.length}`,
        );
        await bed.reset();
      });

      it('apply killed after its k-th mutating call: the next apply finishes it', async () => {
        const n = applyCalls.length;
        assert.ok(n >= 5, `a real plan: ${n} calls`);
        await sweep(`pattern ${pattern} apply`, killPoints(n, stride), n, async (k) => {
          const s = await stackOf(bed, pattern, `ev${pattern}a${k}`);
          const r = await crashApplyQuick(bed, s, { afterMutatingCalls: k }, referenceIds);
          if (r.problems.length > 0) await cleanupStack(bed, s);
          return { killedAfterCall: r.killed.killedAfterCall, signal: r.killed.signal, problems: r.problems };
        });
      });

      it('destroy killed after its k-th mutating call: the next destroy leaves nothing', async () => {
        const n = destroyCalls.length;
        assert.ok(n >= 5, `a real destroy: ${n} calls`);
        // Right after rejecting an endpoint connection: a rejected endpoint once read as gone and was left.
        const reject = destroyCalls.indexOf('ec2:RejectVpcEndpointConnections') + 1;
        await sweep(`pattern ${pattern} destroy`, killPoints(n, stride, [reject]), n, async (k) => {
          const s = await stackOf(bed, pattern, `ev${pattern}d${k}`);
          const r = await crashDestroyAndResume(bed, s, { afterMutatingCalls: k });
          if (r.problems.length > 0) await cleanupStack(bed, s);
          return { killedAfterCall: r.killed.killedAfterCall, signal: r.killed.signal, problems: r.problems };
        });
      });
    });
  }
});
