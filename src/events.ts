// One event stream for everything a run reports: refresh progress, engine steps, retries,
// heartbeats while AWS provisions, handler logs and every AWS call. The library emits; the CLI's
// views render (human lines, or JSON lines with --json); a library user passes its own reporter.
import type { Kind } from './kinds/index.js';

export type Level = 'error' | 'warn' | 'info' | 'debug';
export type StepName = 'create' | 'update' | 'delete';

interface StepRef {
  id: string;
  kind: Kind;
  step: StepName;
  account: string;
  region: string;
}

export type RunEvent =
  /** Refresh (describe calls only) of `total` resources; `done` so far. */
  | {
      type: 'refresh';
      phase: 'start' | 'progress' | 'done';
      done: number;
      total: number;
      found: number;
      ms: number;
    }
  | ({ type: 'start' } & StepRef)
  | ({ type: 'done'; ms: number } & StepRef)
  | ({ type: 'retry'; attempt: number; delayMs: number; code: string; error: string } & StepRef)
  | ({ type: 'failed'; ms: number; code: string; error: string; tainted: boolean } & StepRef)
  /** Steps still running (NLBs and endpoints take minutes in AWS). */
  | { type: 'heartbeat'; running: Array<{ id: string; step: StepName; ms: number }> }
  | { type: 'log'; level: Level; message: string; id?: string }
  /** One AWS API call: after the SDK's own retries (`attempts`), with the time the rate limiter held it. */
  | {
      type: 'aws-call';
      service: string;
      action: string;
      account: string;
      region: string;
      ms: number;
      waitedMs: number;
      attempts: number;
      error?: string;
      /** The resource whose apply step made the call (absent outside a step: refresh, discovery). */
      id?: string;
    };

export type EventType = RunEvent['type'];

/** The level an event is shown at: AWS calls and per-resource refresh progress are debug detail. */
export function levelOf(e: RunEvent): Level {
  switch (e.type) {
    case 'aws-call':
      return 'debug';
    case 'log':
      return e.level;
    case 'retry':
      return 'warn';
    case 'failed':
      return 'error';
    default:
      return 'info';
  }
}

export interface Reporter {
  emit(e: RunEvent): void;
}

/** Reports nothing: the library's default. */
export const silent: Reporter = { emit: () => undefined };

/** Collects events (tests, and library users who want them afterwards). */
export class CollectingReporter implements Reporter {
  readonly events: RunEvent[] = [];
  emit(e: RunEvent): void {
    this.events.push(e);
  }
}
