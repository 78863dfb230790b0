import { createInterface } from 'node:readline/promises';
import { handlersFor } from '../executor/handlers/index.js';
import type { HandlerMap, WaitOptions } from '../executor/types.js';
import { MplError } from '../errors.js';
import { preflight } from '../executor/handlers/broker-listener-config.js';
import type { PlanResult } from '../plan/plan-file.js';
import { DEFAULT_WAIT } from '../ops/operations.js';
import { kafkaAccessFor } from '../ops/kafka-access.js';
import { openStack, type Stack } from '../ops/stack.js';
import type { GlobalOptions } from './io.js';

export interface LiveSession {
  stack: Stack;
  handlers: HandlerMap;
  wait: WaitOptions;
  preflight: (plan: PlanResult) => Promise<void>;
}

/** Poll timing: AWS's defaults, or MPL_POLL_INTERVAL_MS / MPL_WAIT_TIMEOUT_MS (the testbed is fast). */
function waitOptions(): WaitOptions {
  const n = (v: string | undefined, d: number) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : d);
  return {
    intervalMs: n(process.env.MPL_POLL_INTERVAL_MS, DEFAULT_WAIT.intervalMs),
    timeoutMs: n(process.env.MPL_WAIT_TIMEOUT_MS, DEFAULT_WAIT.timeoutMs),
  };
}

/**
 * Opens a stack against live AWS with its handlers. Kafka access (pattern 2's broker listener
 * changes) is prepared only when the plan or the state has broker configs.
 */
export async function openLive(
  configFile: string,
  global: GlobalOptions,
  lockOwner?: string,
): Promise<LiveSession> {
  const stack = await openStack(configFile, {
    ...(global.profile === undefined ? {} : { profile: global.profile }),
    ...(lockOwner === undefined ? {} : { lock: lockOwner }),
  });
  const needsKafka =
    stack.config.pattern === 2 || stack.store.entries().some(([, e]) => e.kind === 'broker-listener-config');
  const access = needsKafka ? await kafkaAccessFor(stack.config, stack.inventory, configFile) : undefined;
  const noKafka = () =>
    Promise.reject(new MplError('NO_KAFKA_ACCESS', 'this stack has no broker listener changes'));
  return {
    stack,
    handlers: handlersFor(access ?? noKafka),
    wait: waitOptions(),
    preflight: async (plan) => {
      if (!access) return;
      const changing = plan.changes.filter(
        (c) =>
          c.kind === 'broker-listener-config' &&
          (c.action === 'create' || c.action === 'update' || c.action === 'replace'),
      );
      const props = plan.desired.flatMap((r) =>
        r.kind === 'broker-listener-config' && changing.some((c) => c.id === r.id) ? [r.props] : [],
      );
      await preflight(access, props);
    },
  };
}

/** Runs a command's work on an open session, then releases the state lock and the SDK clients. */
export async function closing<T>(session: LiveSession, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    try {
      await session.stack.release();
    } finally {
      session.stack.pool.destroy();
    }
  }
}

/** Asks for "yes" on a terminal; refuses without one unless --auto-approve was given. */
export async function confirm(question: string, autoApprove: boolean | undefined): Promise<boolean> {
  if (autoApprove) return true;
  if (!process.stdin.isTTY) {
    throw new MplError('NEEDS_APPROVAL', 'no terminal to confirm on: review the plan and add --auto-approve');
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
}
