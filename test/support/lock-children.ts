// Starts test/support/lock-child.ts processes and talks to them (see that file for the protocol).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LockChildConfig, LockChildOutcome } from './lock-child.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lock-child.ts');

export interface LockChild {
  pid: number;
  /** Resolves once the child is started and waits for "go". */
  ready: Promise<void>;
  go(): void;
  /** The outcome of its lock attempt. */
  outcome: Promise<LockChildOutcome>;
  /** Asks a winner to unlock; resolves when it says it did. */
  release(): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
  exited: Promise<number | null>;
}

export function startLockChild(config: LockChildConfig): LockChild {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      LOCK_CHILD: JSON.stringify(config),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<{
    test: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as Record<string, unknown>;
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.test(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const waitFor = (test: (m: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = messages.find(test);
      if (seen) return resolve(seen);
      waiters.push({ test, resolve });
      void exited.then((code) =>
        reject(new Error(`lock child exited (${code}) before answering: ${stderr.slice(-2000)}`)),
      );
    });
  const send = (line: string) => child.stdin?.write(`${line}\n`);
  return {
    pid: child.pid ?? -1,
    ready: waitFor((m) => m.ready === true).then(() => undefined),
    go: () => send('go'),
    outcome: waitFor((m) => typeof m.ok === 'boolean') as unknown as Promise<LockChildOutcome>,
    release: async () => {
      send('release');
      await waitFor((m) => m.released === true);
    },
    kill: async (signal) => {
      child.kill(signal);
      await exited;
    },
    exited,
  };
}

/** Starts `n` children, waits until all are ready, then lets them race at once; their outcomes. */
export async function race(
  n: number,
  config: (i: number) => LockChildConfig,
): Promise<{ children: LockChild[]; outcomes: LockChildOutcome[] }> {
  const children = Array.from({ length: n }, (_, i) => startLockChild(config(i)));
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.go();
  const outcomes = await Promise.all(children.map((c) => c.outcome));
  return { children, outcomes };
}
