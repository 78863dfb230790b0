/**
 * `npm run bench:faults`: apply and destroy of pattern 1 (3 brokers, 2 consumer accounts) on the
 * testbed, clean and then with the AWS twin answering 5% of all calls with a 5xx, throttling 30%
 * and adding 70 ms to a third of them, side by side in one run. Prints one key=value line per
 * phase: wall time clean and faulted, the overhead, the calls the twin received, how many it
 * throttled or failed (each one a retry the tool had to make), and whether the run converged (exit
 * 0, a following plan without changes, nothing left after destroy).
 */
import { cli, writeStackConfig } from '../support/e2e.js';
import { inventory, namesFromState, readState, type StackUnderTest } from '../support/crash.js';
import type { CounterRow } from '../testbed/aws/twin.js';
import { getTestbed, stopSharedTestbed } from '../testbed/shared.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const tb = await getTestbed({ reset: true });

type Totals = { calls: number; throttled: number; faulted: number };
const totals = (rows: CounterRow[]): Totals =>
  rows.reduce(
    (t, r) => ({
      calls: t.calls + r.calls,
      throttled: t.throttled + r.throttled,
      faulted: t.faulted + r.faulted,
    }),
    { calls: 0, throttled: 0, faulted: 0 },
  );
const minus = (a: Totals, b: Totals): Totals => ({
  calls: a.calls - b.calls,
  throttled: a.throttled - b.throttled,
  faulted: a.faulted - b.faulted,
});

async function stack(name: string): Promise<StackUnderTest> {
  const { file, statePath } = await writeStackConfig(tb, { name, pattern: 1 });
  return { name, pattern: 1, file, statePath };
}

/** Faults on: 5xx on 5% of every call, throttling on 30% (0.3/0.95 of the rest), latency on a third. */
async function faultsOn(): Promise<void> {
  await tb.control.injectFault({ service: '*', action: '*', kind: '5xx', status: 503, probability: 0.05 });
  await tb.control.injectFault({ service: '*', action: '*', kind: 'throttle', probability: 0.3 / 0.95 });
  await tb.control.injectLatency({ service: '*', action: '*', ms: 70, probability: 0.33 });
}

/**
 * apply, check (a plan without changes), destroy, check (nothing left): times and counters. With
 * `faults`, they are on during apply and destroy only; the checks read a clean twin.
 */
async function cycle(s: StackUnderTest, faults: boolean) {
  const on = async () => {
    if (faults) await faultsOn();
  };
  const off = () => tb.control.clearFaults();
  await on();
  const c0 = totals(await tb.control.counters());
  let t = Date.now();
  const applied = await cli(tb, ['apply', '--config', s.file, '--auto-approve']);
  const applyMs = Date.now() - t;
  const c1 = totals(await tb.control.counters());
  await off();
  const names = namesFromState(await readState(s));
  const replan = await cli(tb, ['plan', '--config', s.file]);
  await on();
  const c2 = totals(await tb.control.counters());
  t = Date.now();
  const destroyed = await cli(tb, ['destroy', '--config', s.file, '--auto-approve']);
  const destroyMs = Date.now() - t;
  const c3 = totals(await tb.control.counters());
  await off();
  const left = await inventory(tb, s.name, names);
  return {
    apply: { ms: applyMs, ok: applied.code === 0 && replan.code === 0, ...minus(c1, c0), err: applied.err },
    destroy: {
      ms: destroyMs,
      ok: destroyed.code === 0 && left.size === 0,
      ...minus(c3, c2),
      err: destroyed.err,
    },
  };
}

let exit = 0;
try {
  const clean = await cycle(await stack('faults-clean'), false);
  let faulted;
  try {
    faulted = await cycle(await stack('faults-on'), true);
  } finally {
    await tb.control.clearFaults();
  }
  for (const phase of ['apply', 'destroy'] as const) {
    const a = clean[phase];
    const b = faulted[phase];
    console.log(
      [
        `case=faults-pattern1-${phase}`,
        `clean-s=${(a.ms / 1000).toFixed(1)}`,
        `faulted-s=${(b.ms / 1000).toFixed(1)}`,
        `overhead=${(b.ms / a.ms).toFixed(2)}x`,
        `calls-clean=${a.calls}`,
        `calls-faulted=${b.calls}`,
        // Injected throttling and 5xx answers both count as faulted; throttled counts the twin's own
        // token buckets (off on the testbed).
        `injected-faults=${b.faulted}`,
        `bucket-throttled=${b.throttled}`,
        `rejected-share=${((100 * (b.throttled + b.faulted)) / Math.max(1, b.calls)).toFixed(1)}%`,
        `converged=${a.ok && b.ok}`,
      ].join(' '),
    );
    if (!(a.ok && b.ok)) {
      exit = 1;
      console.log(`  ${phase} did not converge: ${a.err}${b.err}`.trim());
    }
  }
} finally {
  await stopSharedTestbed();
}
process.exitCode = exit;
