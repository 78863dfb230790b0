/**
 * `npm run bench:plan`: plans a 30-broker cluster for 1, 100 and 1,000 consumers (patterns 1 and 2),
 * each size in its own process so peak memory (max RSS) is per size. Prints one key=value line per
 * size: time, peak memory, the time per broker x consumer, and its growth from the previous size:
 * linear growth keeps the time per broker x consumer flat (growth-per-unit near 1.0 or below).
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { resourceUsage } from 'node:process';
import { fileURLToPath } from 'node:url';
import { lint } from '../../src/planner/lint.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { diff } from '../../src/plan/diff.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';

const BROKERS = 30;
const SIZES = [1, 100, 1000];

function inputFor(pattern: 1 | 2, consumers: number) {
  const config = configOf({
    pattern,
    consumers: Array.from({ length: consumers }, (_, i) => consumerInput(`c${i}`, String(200000000000 + i))),
  });
  return planInputOf(config, inventoryOf(brokersFor(Array.from({ length: BROKERS }, (_, i) => i + 1))));
}

/** What `plan` computes once the input is loaded: the desired resources, their lint, the diff. */
function planOnce(input: ReturnType<typeof inputFor>): number {
  const desired = planStack(input);
  lint(input, desired.resources);
  return diff(desired.resources, new Map()).length;
}

function child(pattern: 1 | 2, consumers: number): void {
  const input = inputFor(pattern, consumers);
  planOnce(input); // warm-up
  const runs = consumers >= 1000 ? 5 : consumers >= 100 ? 20 : 300;
  let resources = 0;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    resources = planOnce(input);
    times.push(performance.now() - t0);
  }
  // The median: robust to a GC pause or another process taking the core for one run.
  const ms = times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
  process.stdout.write(JSON.stringify({ ms, resources, maxRssMb: resourceUsage().maxRSS / 1024 }));
}

const [, , mode, p, n] = process.argv;
if (mode === '--child') {
  child(Number(p) as 1 | 2, Number(n));
} else {
  const self = fileURLToPath(import.meta.url);
  // One key=value line per size: plan + lint + diff of 30 brokers, one process per size.
  for (const pattern of [1, 2] as const) {
    let prev: number | undefined;
    for (const size of SIZES) {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', self, '--child', String(pattern), String(size)],
        {
          encoding: 'utf8',
        },
      );
      const r = JSON.parse(out) as { ms: number; resources: number; maxRssMb: number };
      const perUnit = (r.ms * 1000) / (BROKERS * size);
      console.log(
        [
          `case=plan-p${pattern}-b${BROKERS}-c${size}`,
          `resources=${r.resources}`,
          `plan-ms=${r.ms.toFixed(0)}`,
          `peak-rss-mb=${r.maxRssMb.toFixed(0)}`,
          `us-per-broker-consumer=${perUnit.toFixed(2)}`,
          ...(prev === undefined ? [] : [`growth-per-unit=${(perUnit / prev).toFixed(2)}`]),
        ].join(' '),
      );
      prev = perUnit;
    }
  }
}
