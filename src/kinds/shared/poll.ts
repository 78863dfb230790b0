import { MplError } from '../../errors.js';
import type { WaitOptions } from '../kind.js';

export type Verdict<T> = { done: true; value: T } | { done: false; state: string } | { failed: string };

/**
 * The one generic poller (as the SDK's waiters are acceptors over a describe call): calls
 * `probe` until it says done, fails on a failure state at once, and gives up after the timeout
 * naming the last state seen.
 */
export async function poll<T>(what: string, opts: WaitOptions, probe: () => Promise<Verdict<T>>): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'unknown';
  for (;;) {
    const v = await probe();
    if ('failed' in v) throw new MplError('RESOURCE_FAILED', `${what} failed: ${v.failed}`);
    if (v.done) return v.value;
    last = v.state;
    if (Date.now() + opts.intervalMs > deadline) {
      throw new MplError(
        'WAIT_TIMEOUT',
        `${what} is still ${last} after ${Math.round(opts.timeoutMs / 1000)} s`,
        {
          retriable: true,
        },
      );
    }
    const pause = () => new Promise<void>((r) => setTimeout(r, opts.intervalMs));
    await (opts.idle ? opts.idle(pause) : pause());
  }
}
