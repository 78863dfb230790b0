// Crash sweep: kills `apply` (or `destroy`) with SIGKILL, one fresh stack per kill point, and checks
// each time that the next run finishes it (no change left, no duplicate, every id in state) and that
// destroy leaves nothing (and, for pattern 2, the brokers' listener settings are the originals). Too
// slow for CI (about 25 s per kill point; pattern 2's msk-configuration mode about a minute, two
// rolling restarts); run by hand:
//
//   npx tsx test/sweep/crash-sweep.ts [--pattern 1|2|2c|3|both|all] [--by steps|calls]
//       [--phase apply|destroy|both] [--stride N] [--at done|start|both] [--only <substring>] [--max N]
//
// --only: with --by steps, the steps whose id contains it; with --by calls, every kill point right
// after a call whose `service:Action` contains it (e.g. --only ChangeResourceRecordSets).
//
// 2 is pattern 2's legacy rewrite mode, 2c its msk-configuration mode (custom.advertised.listeners:
// a kill while MSK restarts the brokers resumes by waiting for that operation); both = 1 and 2.
//
// --by steps (default): kill points are the executor's events of a reference apply (`done` events by
// default: "after every step"; `start` kills land while a step runs, mostly in the middle of a create).
// --by calls: the AWS twin kills the process right after its k-th successful mutating AWS call, before
// the answer arrives (twin_crash.py), for every k of a reference run (every --stride-th k), in apply,
// destroy or both (--phase). Prints each point, then the count and the pass rate. Exit 1 when any kill
// point fails. The testbed moves with TESTBED_KAFKA_IP_PREFIX / TESTBED_ENDPOINT_IP_PREFIX.
import { parseArgs } from 'node:util';
import {
  brokerSnapshot,
  cleanupStack,
  cliCommand,
  crashAndResume,
  crashDestroyAndResume,
  newStack,
  runChild,
  type KillRule,
  type StackUnderTest,
  type StepEvent,
} from '../support/crash.js';
import { getTestbed, stopSharedTestbed } from '../testbed/shared.js';

const { values } = parseArgs({
  options: {
    pattern: { type: 'string', default: 'both' },
    at: { type: 'string', default: 'done' },
    only: { type: 'string' },
    max: { type: 'string' },
    by: { type: 'string', default: 'steps' },
    phase: { type: 'string', default: 'apply' },
    stride: { type: 'string', default: '1' },
  },
});
type Sweep = '1' | '2' | '2c' | '3';
const ALL: Sweep[] = ['1', '2', '2c', '3'];
const patterns: Sweep[] =
  values.pattern === 'all'
    ? ALL
    : values.pattern === 'both' || values.pattern === undefined
      ? ['1', '2']
      : (values.pattern.split(',') as Sweep[]);
for (const p of patterns)
  if (!ALL.includes(p)) throw new Error(`--pattern: ${p} is not one of ${ALL.join(', ')}, both, all`);
const stackOf = (p: Sweep, name: string) =>
  newStack(
    tb,
    name,
    p === '1' ? 1 : p === '3' ? 3 : 2,
    p === '2c' ? 'default' : p === '2' ? 'rewrite' : undefined,
  );
const types: Array<StepEvent['type']> =
  values.at === 'start' ? ['start'] : values.at === 'both' ? ['start', 'done'] : ['done'];
const max = values.max === undefined ? Infinity : Number(values.max);

const t0 = Date.now();
const tb = await getTestbed({ reset: true });
console.log(`testbed up in ${(tb.startupMs / 1000).toFixed(1)} s; CLI from ${cliCommand().which}`);
const originals = await brokerSnapshot(tb);
const failures: string[] = [];
let points = 0;

function report(label: string, started: number, problems: string[], detail: string): boolean {
  points++;
  const line = `${label}: ${detail}; ${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (problems.length > 0) {
    failures.push(`${label}:\n  ${problems.join('\n  ')}`);
    console.log(`FAIL ${line}\n  ${problems.join('\n  ')}`);
    return false;
  }
  console.log(`ok   ${line}`);
  return true;
}

/**
 * A run that made fewer mutating calls than the reference (Route 53 changes that arrive together go
 * out as one batch, and what arrives together varies) ends before a late kill point: that run, not
 * killed, was checked like the others; it is counted apart, not as a kill point.
 */
const notReached: string[] = [];
function unreached(label: string, started: number): void {
  notReached.push(label);
  console.log(
    `--   ${label}: not reached (the run made fewer calls); ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** One apply kill point: killed, resumed, checked, destroyed. */
async function applyPoint(pattern: Sweep, s: StackUnderTest, kill: KillRule, label: string): Promise<void> {
  const started = Date.now();
  try {
    const r = await crashAndResume(tb, s, kill);
    const problems = [...r.problems];
    if ('at' in kill && r.redone.length > 0) problems.push(`redone after the kill: ${r.redone.join(', ')}`);
    if (pattern === '2' || pattern === '2c') {
      const now = await brokerSnapshot(tb);
      if (JSON.stringify(now) !== JSON.stringify(originals))
        problems.push(`broker settings after destroy: ${JSON.stringify(now)}`);
    }
    if (r.killed.signal !== 'SIGKILL' && problems.length === 0) return unreached(label, started);
    if (r.killed.signal !== 'SIGKILL') problems.push('not killed: the run made fewer calls');
    const done = r.killed.events.filter((e) => e.type === 'done').length;
    const after = r.killed.killedAfterCall === undefined ? '' : ` (after ${r.killed.killedAfterCall})`;
    const ok = report(
      label,
      started,
      problems,
      `${done} step(s) done at the kill${after}, resumed with ${r.resumed.events.filter((e) => e.type === 'done').length}`,
    );
    if (!ok) await cleanupStack(tb, s);
  } catch (e) {
    report(label, started, [e instanceof Error ? e.message : String(e)], 'error');
    await cleanupStack(tb, s);
  }
}

/** One destroy kill point: applied, destroy killed, destroy again, nothing left. */
async function destroyPoint(pattern: Sweep, s: StackUnderTest, k: number, label: string): Promise<void> {
  const started = Date.now();
  try {
    const r = await crashDestroyAndResume(tb, s, { afterMutatingCalls: k });
    const problems = [...r.problems];
    if (pattern === '2' || pattern === '2c') {
      const now = await brokerSnapshot(tb);
      if (JSON.stringify(now) !== JSON.stringify(originals))
        problems.push(`broker settings after destroy: ${JSON.stringify(now)}`);
    }
    if (r.killed.signal !== 'SIGKILL' && problems.length === 0) return unreached(label, started);
    if (r.killed.signal !== 'SIGKILL') problems.push('not killed: the run made fewer calls');
    const ok = report(label, started, problems, `killed after ${r.killed.killedAfterCall ?? '?'}`);
    if (!ok) await cleanupStack(tb, s);
  } catch (e) {
    report(label, started, [e instanceof Error ? e.message : String(e)], 'error');
    await cleanupStack(tb, s);
  }
}

/** --by calls: every (stride-th) k of a reference apply and destroy. */
async function sweepCalls(pattern: Sweep): Promise<void> {
  const stride = Math.max(1, Number(values.stride));
  const ref = await stackOf(pattern, `swref${pattern}`);
  // Never reached: the twin records the run's mutating calls in order without killing it.
  const RECORD = { afterMutatingCalls: 1_000_000 };
  const refRun = await runChild(tb, ['apply', '--config', ref.file, '--auto-approve', '--json'], RECORD);
  if (refRun.code !== 0) throw new Error(`reference apply failed: ${refRun.err}`);
  const refDestroy = await runChild(
    tb,
    ['destroy', '--config', ref.file, '--auto-approve', '--json'],
    RECORD,
  );
  if (refDestroy.code !== 0) throw new Error(`reference destroy failed: ${refDestroy.err}`);
  const phases = values.phase === 'both' ? ['apply', 'destroy'] : [values.phase ?? 'apply'];
  for (const phase of phases) {
    const calls = (phase === 'apply' ? refRun.mutatingCalls : refDestroy.mutatingCalls) ?? [];
    const n = calls.length;
    // --only: the kill points right after calls whose `service:Action` contains it (every one).
    const ks = Array.from({ length: n }, (_, i) => i + 1).filter((k) =>
      values.only !== undefined
        ? (calls[k - 1] ?? '').includes(values.only)
        : (k - 1) % stride === 0 || k === n,
    );
    console.log(
      `pattern ${pattern}, ${phase}: ${n} mutating calls, ${Math.min(ks.length, max)} kill points (${values.only === undefined ? `stride ${stride}` : `after ${values.only}`})`,
    );
    for (const k of ks.slice(0, max)) {
      const s = await stackOf(pattern, `sc${pattern}${phase[0]}-${k}`);
      const label = `p${pattern} ${phase} killed after mutating call ${k}/${n}`;
      if (phase === 'apply') await applyPoint(pattern, s, { afterMutatingCalls: k }, label);
      else await destroyPoint(pattern, s, k, label);
    }
  }
}

try {
  for (const pattern of patterns) {
    if (values.by === 'calls') {
      await sweepCalls(pattern);
      continue;
    }
    // A reference apply gives the kill points (the order varies between runs; the ids do not).
    const ref = await stackOf(pattern, `swref${pattern}`);
    const refRun = await runChild(tb, ['apply', '--config', ref.file, '--auto-approve', '--json']);
    if (refRun.code !== 0) throw new Error(`reference apply failed: ${refRun.err}`);
    await runChild(tb, ['destroy', '--config', ref.file, '--auto-approve', '--json']);
    const killPoints = refRun.events
      .filter((e) => types.includes(e.type) && (values.only === undefined || e.id.includes(values.only)))
      .slice(0, max);
    console.log(`pattern ${pattern}: ${killPoints.length} kill points (reference apply ${refRun.ms} ms)`);
    for (const [i, point] of killPoints.entries()) {
      const s = await stackOf(pattern, `sw${pattern}-${i}`);
      const kill: KillRule = { at: (e) => e.type === point.type && e.id === point.id };
      await applyPoint(pattern, s, kill, `p${pattern} #${i} kill at ${point.type} ${point.id}`);
    }
  }
} finally {
  await stopSharedTestbed();
}

if (notReached.length > 0) console.log(`\nnot reached (runs checked, not killed): ${notReached.length}`);
console.log(
  `\n${points - failures.length}/${points} kill points ok (${((100 * (points - failures.length)) / Math.max(1, points)).toFixed(1)}%) in ${((Date.now() - t0) / 60_000).toFixed(1)} min`,
);
if (failures.length > 0) {
  console.log(`failures:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
