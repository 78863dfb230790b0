// A separate process that races for a stack's state lock (tests of src/state/lock.ts and s3.ts):
// started with `node --import tsx test/support/lock-child.ts`, configured by LOCK_CHILD (JSON).
// It prints {"ready":true}, waits for "go" on stdin, tries the lock and prints the outcome as one
// JSON line; a winner holds the lock (its heartbeat renewing an S3 lease) until "release" on stdin,
// or until it is killed.
import { createInterface } from 'node:readline';
import { S3Client } from '@aws-sdk/client-s3';
import { MplError } from '../../src/errors.js';
import { LocalStateLock, type Lock } from '../../src/state/lock.js';
import { S3StateBackend } from '../../src/state/s3.js';

export type LockChildConfig = { owner: string; host?: string } & (
  | { backend: 'local'; stateFile: string }
  | {
      backend: 's3';
      client: {
        endpoint: string;
        region: string;
        credentials: { accessKeyId: string; secretAccessKey: string };
      };
      bucket: string;
      key: string;
      leaseMs: number;
    }
);

/** What a child prints after trying the lock. */
export type LockChildOutcome =
  { ok: true; lock: Lock; pid: number } | { ok: false; code: string; message: string; pid: number };

const config = JSON.parse(process.env.LOCK_CHILD ?? '') as LockChildConfig;
const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);

let s3: S3Client | undefined;
const locker =
  config.backend === 'local'
    ? new LocalStateLock(config.stateFile, config.host === undefined ? {} : { host: config.host })
    : new S3StateBackend(
        (s3 = new S3Client({ ...config.client, forcePathStyle: true, maxAttempts: 1 })),
        config.bucket,
        config.key,
        { leaseMs: config.leaseMs, ...(config.host === undefined ? {} : { host: config.host }) },
      );

const lines = createInterface({ input: process.stdin });
const next = (want: string) =>
  new Promise<void>((resolve) => {
    const on = (line: string) => {
      if (line.trim() !== want) return;
      lines.off('line', on);
      resolve();
    };
    lines.on('line', on);
  });

print({ ready: true });
await next('go');
let lock: Lock;
try {
  lock = await locker.lock(config.owner);
} catch (e) {
  print({
    ok: false,
    code: e instanceof MplError ? e.code : 'NOT_MPL',
    message: e instanceof MplError ? e.describe() : String(e),
    pid: process.pid,
  } satisfies LockChildOutcome);
  s3?.destroy();
  process.exit(0);
}
print({ ok: true, lock, pid: process.pid } satisfies LockChildOutcome);
// Stay alive while holding: the heartbeat's timer is unref'd and must not be what keeps us running.
const alive = setInterval(() => undefined, 60_000);
await next('release');
await locker.unlock(lock);
print({ released: true });
clearInterval(alive);
s3?.destroy();
process.exit(0);
