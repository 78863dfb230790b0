import { createColors } from 'picocolors';
import type { ExecEvent } from '../executor/engine.js';
import type { Io } from './io.js';

const VERB = {
  create: ['Creating...', 'Creation complete'],
  update: ['Modifying...', 'Modifications complete'],
  delete: ['Destroying...', 'Destruction complete'],
} as const;

/**
 * Progress as Terraform prints it: a line when a step starts and when it ends, with its time, and
 * a heartbeat for steps still running (NLBs and endpoints take minutes in AWS). With --json: one
 * JSON event per line instead.
 */
export function progressRenderer(
  io: Io,
  json: boolean,
  heartbeatMs = 10_000,
): { onEvent: (e: ExecEvent) => void; stop: () => void } {
  if (json) return { onEvent: (e) => io.out(`${JSON.stringify(e)}\n`), stop: () => undefined };
  const c = createColors(io.color);
  const running = new Map<string, { since: number; step: ExecEvent['step'] }>();
  const timer = setInterval(() => {
    for (const [id, r] of running) {
      io.out(
        `${c.bold(id)}: Still ${VERB[r.step][0].replace('...', '').toLowerCase()}... [${Math.round((Date.now() - r.since) / 1000)}s elapsed]\n`,
      );
    }
  }, heartbeatMs);
  timer.unref();
  return {
    onEvent: (e) => {
      if (e.type === 'start') {
        running.set(e.id, { since: Date.now(), step: e.step });
        io.out(`${c.bold(e.id)}: ${VERB[e.step][0]}\n`);
      } else if (e.type === 'done') {
        running.delete(e.id);
        io.out(`${c.bold(e.id)}: ${c.green(VERB[e.step][1])} after ${(e.ms / 1000).toFixed(1)}s\n`);
      } else {
        running.delete(e.id);
        io.out(`${c.bold(e.id)}: ${c.red('failed')} after ${(e.ms / 1000).toFixed(1)}s: ${e.error}\n`);
      }
    },
    stop: () => clearInterval(timer),
  };
}
