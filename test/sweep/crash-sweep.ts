// Crash sweep: kills `apply` with SIGKILL at every step of a plan, one fresh stack per kill point,
// and checks each time that the next apply finishes it (no change left, no duplicate, every id in
// state) and that destroy leaves nothing (and, for pattern 2, the brokers' listener settings are the
// originals). Too slow for CI (about 25 s per kill point; pattern 2's msk-configuration mode about a
// minute, two rolling restarts); run by hand:
//
//   npx tsx test/sweep/crash-sweep.ts [--pattern 1|2|2c|3|both|all] [--at done|start|both] [--only <id-substring>] [--max N]
//
// 2 is pattern 2's legacy rewrite mode, 2c its msk-configuration mode (custom.advertised.listeners:
// a kill while MSK restarts the brokers resumes by waiting for that operation); both = 1 and 2.
//
// Kill points are the executor's events of a reference apply (`done` events by default: "after
// every step"; `start` kills land while a step runs, mostly in the middle of a create). Exit 1 when
// any kill point fails. The testbed moves with TESTBED_KAFKA_IP_PREFIX / TESTBED_ENDPOINT_IP_PREFIX.
import { parseArgs } from 'node:util';
import {
  brokerSnapshot,
  cleanupStack,
  cliCommand,
  crashAndResume,
  newStack,
  runChild,
  type KillRule,
  type StepEvent,
} from '../support/crash.js';
import { getTestbed, stopSharedTestbed } from '../testbed/shared.js';

const { values } = parseArgs({
  options: {
    pattern: { type: 'string', default: 'both' },
    at: { type: 'string', default: 'done' },
    only: { type: 'string' },
    max: { type: 'string' },
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

try {
  for (const pattern of patterns) {
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
      points++;
      const s = await stackOf(pattern, `sw${pattern}-${i}`);
      const kill: KillRule = { at: (e) => e.type === point.type && e.id === point.id };
      const label = `p${pattern} #${i} kill at ${point.type} ${point.id}`;
      const started = Date.now();
      try {
        const r = await crashAndResume(tb, s, kill);
        const problems = [...r.problems];
        if (r.killed.signal !== 'SIGKILL') problems.push('the apply ended before the kill point');
        if (r.redone.length > 0) problems.push(`redone after the kill: ${r.redone.join(', ')}`);
        if (pattern === '2' || pattern === '2c') {
          const now = await brokerSnapshot(tb);
          if (JSON.stringify(now) !== JSON.stringify(originals))
            problems.push(`broker settings after destroy: ${JSON.stringify(now)}`);
        }
        const done = r.killed.events.filter((e) => e.type === 'done').length;
        const line = `${label}: ${done} step(s) done at the kill, resumed with ${r.resumed.events.filter((e) => e.type === 'done').length}; ${((Date.now() - started) / 1000).toFixed(1)} s`;
        if (problems.length > 0) {
          failures.push(`${label}:\n  ${problems.join('\n  ')}`);
          console.log(`FAIL ${line}\n  ${problems.join('\n  ')}`);
          await cleanupStack(tb, s);
        } else console.log(`ok   ${line}`);
      } catch (e) {
        failures.push(`${label}: ${e instanceof Error ? e.message : String(e)}`);
        console.log(`FAIL ${label}: ${e instanceof Error ? e.message : String(e)}`);
        await cleanupStack(tb, s);
      }
    }
  }
} finally {
  await stopSharedTestbed();
}

console.log(
  `\n${points - failures.length}/${points} kill points ok in ${((Date.now() - t0) / 60_000).toFixed(1)} min`,
);
if (failures.length > 0) {
  console.log(`failures:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
