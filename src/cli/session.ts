import { createInterface } from 'node:readline/promises';
import { MplError } from '../errors.js';
import type { Reporter } from '../events.js';
import type { Confirm } from '../ops/plan.js';
import { DEFAULT_WAIT, type StackOptions } from '../ops/stack.js';
import type { GlobalOptions } from './io.js';

/** Poll timing: AWS's defaults, or MPL_POLL_INTERVAL_MS / MPL_WAIT_TIMEOUT_MS (the testbed is fast). */
function waitOptions(): StackOptions['wait'] {
  const n = (v: string | undefined, d: number) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : d);
  return {
    intervalMs: n(process.env.MPL_POLL_INTERVAL_MS, DEFAULT_WAIT.intervalMs),
    timeoutMs: n(process.env.MPL_WAIT_TIMEOUT_MS, DEFAULT_WAIT.timeoutMs),
  };
}

/** The library's stack options from the global flags: profile, region, the view, and the lock owner. */
export function stackOptions(global: GlobalOptions, reporter: Reporter, lockFor?: string): StackOptions {
  return {
    reporter,
    wait: waitOptions(),
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
