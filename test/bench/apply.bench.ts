/**
 * `npm run bench:apply`: apply against the lower bound, at AWS's own timings.
 *
 * Each case gets its own AWS twin (test/testbed/twin-bed.ts) running AWS's typical provisioning
 * times (src/aws/timings.ts) and its token buckets, both scaled by one time factor, so minutes of
 * AWS take seconds here. The tool runs in-process with the same factor (MPL_TIME_FACTOR scales its
 * poll interval, rate limiter and back-off). Every figure is printed in AWS time (twin time divided
 * by the factor):
 *
 *   case=p1-b12-c1 factor=0.05 apply-s=412.0 lower-bound-s=398.3 ratio-to-lower-bound=1.03
 *     path-s=398.3 bucket-s=12.0 calls=… throttled=0 throttled-share=0.000 call-ms=260 steps=…
 *
 * The lower bound (src/executor/lower-bound.ts) is the longer of the plan's longest path (each step
 * one call plus what it waits for) and the time AWS's buckets take to admit the run's mutating calls.
 * `call-ms` is one twin round trip in AWS time, measured before each case (it stands for AWS's own
 * call latency). Cases: MPL_BENCH_CASES=p1-b3-c1,p3-b3-c1 (default: all below); MPL_BENCH_FACTOR sets
 * one factor for all (default: per case, 0.05 for 3 brokers up to 0.3 for 30 brokers x 5 consumers).
 */
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { BUCKETS, familyOf } from '../../src/aws/rate-limit.js';
import { AWS_TIMINGS } from '../../src/aws/timings.js';
import { stepsOf } from '../../src/executor/engine.js';
import { applyLowerBound, type CallCount } from '../../src/executor/lower-bound.js';
import { applyPlan, planLive } from '../../src/ops/plan.js';
import { withStack } from '../../src/ops/stack.js';
import type { RunEvent } from '../../src/events.js';
import { writeStackConfig } from '../support/e2e.js';
import type { CounterRow } from '../testbed/aws/twin.js';
import { startTwinBed, type TwinBed } from '../testbed/twin-bed.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface Case {
  name: string;
  pattern: 1 | 2 | 3;
  brokers: number;
  consumers: number;
  /**
   * The time factor: larger for larger stacks, so the twin's own work (moto answers one call at a
   * time, some milliseconds each) stays small against the scaled waits.
   */
  factor: number;
}

const FACTORS: Record<string, number> = { 'b3-c1': 0.05, 'b3-c5': 0.05, 'b12-c1': 0.08, 'b12-c5': 0.15 };
const factorOf = (brokers: number, consumers: number) =>
  Number(
    process.env.MPL_BENCH_FACTOR ?? FACTORS[`b${brokers}-c${consumers}`] ?? (consumers > 1 ? 0.3 : 0.15),
  );
const ALL: Case[] = [
  ...[3, 12, 30].flatMap((brokers) =>
    [1, 5].map((consumers): Case => ({
      name: `p1-b${brokers}-c${consumers}`,
      pattern: 1,
      brokers,
      consumers,
      factor: factorOf(brokers, consumers),
    })),
  ),
  // Pattern 2 in msk-configuration mode: MSK's rolling restart (a broker at a time) is its path;
  // the twin-only bed has no Kafka, so the metadata check after it is skipped (brokers unreachable).
  { name: 'p2-b3-c1', pattern: 2, brokers: 3, consumers: 1, factor: factorOf(3, 1) },
  { name: 'p2-b12-c5', pattern: 2, brokers: 12, consumers: 5, factor: factorOf(12, 5) },
  { name: 'p3-b3-c1', pattern: 3, brokers: 3, consumers: 1, factor: factorOf(3, 1) },
  { name: 'p3-b12-c5', pattern: 3, brokers: 12, consumers: 5, factor: factorOf(12, 5) },
  // 50 consumer accounts: accounts run in parallel, each under its own buckets.
  {
    name: 'p1-b3-c50',
    pattern: 1,
    brokers: 3,
    consumers: 50,
    factor: Number(process.env.MPL_BENCH_FACTOR ?? 0.3),
  },
];
const wanted = process.env.MPL_BENCH_CASES?.split(',').filter(Boolean);
const cases = wanted ? ALL.filter((c) => wanted.includes(c.name)) : ALL;

/** The twin's delay names for AWS's timings (the same keys, the twin knows a few more). */
const twinDelays = { ...AWS_TIMINGS } as Record<string, number>;

/** One round trip to the twin in AWS time: the median of 15 describe calls, divided by the factor. */
async function callMs(bed: TwinBed, FACTOR: number): Promise<number> {
  const ec2 = new EC2Client(bed.clientConfig(bed.accounts.provider));
  try {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      await ec2.send(new DescribeVpcsCommand({}));
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return (times[7] as number) / FACTOR;
  } finally {
    ec2.destroy();
  }
}

/**
 * The run's mutating calls per account, region and rate limiter family (Route 53's bucket is per
 * account), with the steps that made them (the `id` of each aws-call event).
 */
function mutatingCalls(events: ReadonlyArray<Extract<RunEvent, { type: 'aws-call' }>>): CallCount[] {
  const by = new Map<string, { scope: string; family: string; count: number; steps: Set<string> }>();
  for (const e of events) {
    if (/^(Describe|List|Get)/.test(e.action) || e.error !== undefined) continue;
    const family = familyOf(e.service, e.action);
    const scope = family.startsWith('route53') ? e.account : `${e.account}|${e.region}`;
    const key = `${scope}|${family}`;
    const c = by.get(key) ?? { scope, family, count: 0, steps: new Set<string>() };
    c.count++;
    if (e.id !== undefined) c.steps.add(`up:${e.id}`);
    by.set(key, c);
  }
  return [...by.values()].map((c) => ({ ...c, steps: [...c.steps] }));
}

/** The action the twin throttled most, when it throttled any. */
function throttledBy(rows: CounterRow[]): string[] {
  const top = [...rows].sort((a, b) => b.throttled - a.throttled)[0];
  return top && top.throttled > 0 ? [`throttled-most=${top.service}:${top.action}:${top.throttled}`] : [];
}

const sum = (rows: CounterRow[], k: 'calls' | 'throttled') => rows.reduce((n, r) => n + r[k], 0);

/** A plan with no change over the applied stack: its read calls per resource (issue: batch reads). */
async function readCost(c: Case, bed: TwinBed, file: string): Promise<string> {
  const FACTOR = c.factor;
  await bed.aws.control.resetCounters();
  const t0 = performance.now();
  const changes = await withStack(file, { timeFactor: FACTOR }, async (stack) => {
    const { plan } = await planLive(stack);
    return {
      changed: plan.changes.filter((x) => x.action !== 'noop').length,
      resources: plan.desired.length,
    };
  });
  const ms = (performance.now() - t0) / FACTOR;
  if (changes.changed > 0) throw new Error(`${c.name}: the plan after apply has ${changes.changed} changes`);
  const rows = await bed.aws.control.counters();
  const reads = rows.filter((r) => !r.mutating).reduce((n, r) => n + r.calls, 0);
  const byAction = new Map<string, number>();
  for (const r of rows.filter((x) => !x.mutating))
    byAction.set(`${r.service}:${r.action}`, (byAction.get(`${r.service}:${r.action}`) ?? 0) + r.calls);
  const top = [...byAction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, v]) => `${k}:${v}`);
  return [
    `case=read-${c.name}`,
    `resources=${changes.resources}`,
    `read-calls=${reads}`,
    `reads-per-resource=${(reads / changes.resources).toFixed(2)}`,
    `plan-s=${(ms / 1000).toFixed(1)}`,
    `most=${top.join(',')}`,
  ].join(' ');
}

async function run(c: Case): Promise<string> {
  const FACTOR = c.factor;
  const bed = await startTwinBed({ brokers: c.brokers, consumers: c.consumers, throttling: true });
  const saved = { ...process.env };
  try {
    await bed.aws.control.setDelays(twinDelays);
    await bed.aws.control.setTime({ factor: FACTOR });
    const oneCall = await callMs(bed, FACTOR);
    const { file } = await writeStackConfig(bed, {
      name: c.name,
      pattern: c.pattern,
      ...(c.pattern === 2 ? { mode: 'msk-configuration' as const } : {}),
    });
    Object.assign(process.env, bed.env(), { MPL_TIME_FACTOR: String(FACTOR) });
    delete process.env.MPL_POLL_INTERVAL_MS;
    const trace: string[] = [];
    let tStart = 0;
    const calls: Array<Extract<RunEvent, { type: 'aws-call' }>> = [];
    const reporter = {
      emit(e: RunEvent) {
        if (e.type === 'aws-call' && tStart > 0) calls.push(e);
        if (process.env.MPL_BENCH_TRACE && (e.type === 'start' || e.type === 'done' || e.type === 'retry'))
          trace.push(
            `${((performance.now() - tStart) / FACTOR / 1000).toFixed(1)} ${e.type} ${e.id} ${e.step}`,
          );
      },
    };
    const line = await withStack(file, { timeFactor: FACTOR, lock: 'bench', reporter }, async (stack) => {
      const { plan } = await planLive(stack);
      const steps = stepsOf(plan.changes, plan.desired, stack.store.instances());
      await bed.aws.control.resetCounters();
      const t0 = performance.now();
      tStart = t0;
      const out = await applyPlan(stack, plan, () => Promise.resolve(true));
      const ms = (performance.now() - t0) / FACTOR;
      if (out.outcome !== 'applied' || out.result.failed.length > 0) {
        const why =
          out.outcome === 'applied'
            ? out.result.failed.map((f) => `${f.id}: ${f.error.message}`).join('; ')
            : out.outcome;
        throw new Error(`${c.name}: apply failed: ${why}`);
      }
      const rows = await bed.aws.control.counters();
      const lb = applyLowerBound(steps, {
        timings: AWS_TIMINGS,
        callMs: oneCall,
        calls: mutatingCalls(calls),
        buckets: BUCKETS,
      });
      const total = sum(rows, 'calls');
      const throttled = sum(rows, 'throttled');
      const s = (v: number) => (v / 1000).toFixed(1);
      if (trace.length > 0) console.log(trace.join('\n'));
      return [
        `case=${c.name}`,
        `factor=${FACTOR}`,
        `apply-s=${s(ms)}`,
        `lower-bound-s=${s(lb.ms)}`,
        `ratio-to-lower-bound=${(ms / lb.ms).toFixed(2)}`,
        `path-s=${s(lb.pathMs)}`,
        `bucket-s=${s(lb.bucketMs)}`,
        ...(lb.bucket ? [`bucket=${lb.bucket.replace(/ /g, '_')}`] : []),
        `steps=${steps.length}`,
        `calls=${total}`,
        `throttled=${throttled}`,
        `throttled-share=${(throttled / Math.max(1, total)).toFixed(3)}`,
        ...throttledBy(rows),
        `call-ms=${Math.round(oneCall)}`,
        `path=${lb.path.map((k) => k.replace(/^up:/, '')).join('>')}`,
      ].join(' ');
    });
    return `${line}\n${await readCost(c, bed, file)}`;
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await bed.stop();
  }
}

for (const c of cases) console.log(await run(c));
