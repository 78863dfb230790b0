import { createInterface } from 'node:readline/promises';
import { MplError } from '../errors.js';
import type { Reporter } from '../events.js';
import type { Confirm } from '../ops/plan.js';
import { DEFAULT_WAIT, type StackOptions } from '../ops/stack.js';
import type { GlobalOptions } from './io.js';

/**
 * Timing for tests and benchmarks against the AWS twin: MPL_POLL_INTERVAL_MS / MPL_WAIT_TIMEOUT_MS
 * (the poll), MPL_TIME_FACTOR (seconds here per AWS second: StackOptions.timeFactor). AWS's defaults
 * when unset.
 */
function timingOptions(): Pick<StackOptions, 'wait' | 'timeFactor'> {
  const env = process.env;
  const factor = env.MPL_TIME_FACTOR !== undefined ? Number(env.MPL_TIME_FACTOR) : undefined;
  const timeFactor = factor !== undefined && factor > 0 && Number.isFinite(factor) ? factor : undefined;
  if (env.MPL_POLL_INTERVAL_MS === undefined && env.MPL_WAIT_TIMEOUT_MS === undefined)
    return timeFactor === undefined ? {} : { timeFactor };
  const n = (v: string | undefined, d: number) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : d);
  const interval = Math.max(1, Math.round(DEFAULT_WAIT.intervalMs * (timeFactor ?? 1)));
  return {
    wait: {
      intervalMs: n(env.MPL_POLL_INTERVAL_MS, interval),
      timeoutMs: n(env.MPL_WAIT_TIMEOUT_MS, DEFAULT_WAIT.timeoutMs),
    },
    ...(timeFactor === undefined ? {} : { timeFactor }),
  };
}

/** The library's stack options from the global flags: profile, region, the view, and the lock owner. */
export function stackOptions(global: GlobalOptions, reporter: Reporter, lockFor?: string): StackOptions {
  return {
    reporter,
    ...timingOptions(),
    ...(global.profile === undefined ? {} : { profile: global.profile }),
    ...(global.region === undefined ? {} : { region: global.region }),
    ...(lockFor === undefined ? {} : { lock: `${lockFor} (pid ${process.pid})` }),
  };
}

/** Asks for "yes" on a terminal; refuses without one unless --auto-approve was given. */
export function terminalConfirm(question: string, autoApprove: boolean | undefined): Confirm {
  return async () => {
    if (autoApprove) return true;
    if (!process.stdin.isTTY) {
      throw new MplError(
        'NEEDS_APPROVAL',
        'no terminal to confirm on: review the plan and add --auto-approve',
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      const answer = await rl.question(
        `${question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `,
      );
      return answer.trim() === 'yes';
    } finally {
      rl.close();
    }
  };
}
