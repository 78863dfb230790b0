/**
 * The fastest an apply of a plan can be, whatever the tool: the longer of
 * - the plan's longest path of steps, each step one call plus what it waits for in AWS (its kind's
 *   `waits`, at AWS's typical timings), and
 * - the time AWS's token buckets take to admit the mutating calls of each account and API family
 *   (calls beyond the burst at the refill rate).
 *   With the steps that make a bucket's calls known, the bucket's time starts when the first of them
 *   can, and the last call is followed by the shortest of their tails (a step's wait comes after
 *   its calls, KindDef.waits).
 * Both hold for any order of work, so an apply can only be slower; benchmarks report the ratio.
 */
import type { Bucket } from '../aws/rate-limit.js';
import type { AwsTimings } from '../aws/timings.js';
import { kindDef } from '../kinds/index.js';
import type { Step } from './engine.js';

export interface CallCount {
  /** Account and region (Route 53: the account), as the rate limiter scopes buckets. */
  scope: string;
  family: string;
  count: number;
  /**
   * The steps (keys) that made these calls, when known: then the bucket's time counts from the
   * earliest of them can start, and the last call is followed by the shortest tail of them (its
   * own wait and what comes after it).
   */
  steps?: readonly string[];
}

export interface LowerBound {
  ms: number;
  /** The longest path of steps and its length. */
  pathMs: number;
  path: string[];
  /** The slowest bucket: its scope and family, and the time its calls need. */
  bucketMs: number;
  bucket?: string;
}

export function applyLowerBound(
  steps: readonly Step[],
  o: {
    timings: AwsTimings;
    /** One API call's round trip, in AWS time. */
    callMs: number;
    calls?: readonly CallCount[];
    buckets?: Record<string, Bucket>;
  },
): LowerBound {
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const ownMs = (s: Step): number => {
    const wait = kindDef(s.change.kind).waits?.[s.step];
    const props = (s.desired?.props ?? {}) as never;
    return o.callMs + (wait ? wait(o.timings, props) : 0);
  };
  // Longest path ending at each step (steps form a DAG: the engine walks the same graph).
  const finish = new Map<string, { ms: number; via?: string }>();
  const visit = (key: string, seen: Set<string>): number => {
    const known = finish.get(key);
    if (known) return known.ms;
    if (seen.has(key)) throw new Error(`lower bound: a cycle through ${key}`);
    seen.add(key);
    const s = byKey.get(key) as Step;
    let best = 0;
    let via: string | undefined;
    for (const a of s.after) {
      if (!byKey.has(a)) continue;
      const ms = visit(a, seen);
      if (ms > best) [best, via] = [ms, a];
    }
    const ms = best + ownMs(s);
    finish.set(key, via === undefined ? { ms } : { ms, via });
    return ms;
  };
  let pathMs = 0;
  let last: string | undefined;
  for (const s of steps) {
    const ms = visit(s.key, new Set());
    if (ms > pathMs) [pathMs, last] = [ms, s.key];
  }
  const path: string[] = [];
  for (let k = last; k !== undefined; k = finish.get(k)?.via) path.unshift(k);

  // The longest path from a step's end to the end of the run (what must follow it).
  const dependents = new Map<string, string[]>();
  for (const s of steps)
    for (const a of s.after) if (byKey.has(a)) dependents.set(a, [...(dependents.get(a) ?? []), s.key]);
  const after = new Map<string, number>();
  const tailOf = (key: string): number => {
    const known = after.get(key);
    if (known !== undefined) return known;
    let best = 0;
    for (const d of dependents.get(key) ?? []) best = Math.max(best, ownMs(byKey.get(d) as Step) + tailOf(d));
    after.set(key, best);
    return best;
  };
  const waitOf = (s: Step) => ownMs(s) - o.callMs;

  let bucketMs = 0;
  let bucket: string | undefined;
  for (const c of o.calls ?? []) {
    const b = o.buckets?.[c.family] ?? o.buckets?.other;
    if (!b) continue;
    const known = (c.steps ?? []).filter((k) => byKey.has(k)).map((k) => byKey.get(k) as Step);
    // Earliest start: the longest path before the step; the tail: its own wait and what follows.
    const start =
      known.length === 0 ? 0 : Math.min(...known.map((s) => (finish.get(s.key)?.ms ?? 0) - ownMs(s)));
    const tail = known.length === 0 ? 0 : Math.min(...known.map((s) => waitOf(s) + tailOf(s.key)));
    const ms = start + (Math.max(0, c.count - b.burst) / b.perSecond) * 1000 + tail;
    if (ms > bucketMs) [bucketMs, bucket] = [ms, `${c.scope} ${c.family} (${c.count} calls)`];
  }
  return { ms: Math.max(pathMs, bucketMs), pathMs, path, bucketMs, ...(bucket ? { bucket } : {}) };
}
