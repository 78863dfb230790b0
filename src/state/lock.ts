// State locks: one run at a time may apply or destroy a stack. The local backend's lock is a file
// created with O_EXCL next to the state file; the S3 backend's is in s3.ts. Both hold the same JSON.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { MplError } from '../errors.js';

/** What a lock holds: who took it, where, since when; `id` tells this lock from a later one by the same owner. */
export interface LockInfo {
  owner: string;
  pid: number;
  host: string;
  createdAt: string;
  id: string;
}

export interface Lock extends LockInfo {
  /** The lock object or file, for messages. */
  location: string;
}

export function newLockInfo(owner: string, opts: { pid?: number; host?: string; now?: Date } = {}): LockInfo {
  return {
    owner,
    pid: opts.pid ?? process.pid,
    host: opts.host ?? hostname(),
    createdAt: (opts.now ?? new Date()).toISOString(),
    id: randomUUID(),
  };
}

/** Parses a lock's JSON; undefined when it is not one (e.g. a lock file caught half-written). */
export function parseLockInfo(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (
      typeof v.owner === 'string' &&
      typeof v.pid === 'number' &&
      typeof v.host === 'string' &&
      typeof v.createdAt === 'string' &&
      typeof v.id === 'string'
    ) {
      return v as LockInfo;
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/** The STATE_LOCKED refusal, naming the holder and since when, and how to break a dead run's lock. */
export function lockedError(location: string, holder: LockInfo | undefined, howToBreak: string): MplError {
  const who = holder
    ? `${holder.owner} (pid ${holder.pid} on ${holder.host}) since ${holder.createdAt}`
    : 'another run (its lock is unreadable)';
  return new MplError('STATE_LOCKED', `state is locked by ${who}: ${location}`, {
    detail: `wait for that run to finish; if it died, ${howToBreak}`,
    retriable: true,
  });
}

/** True unless the process is known to be gone (EPERM: alive, owned by another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

// A lock file that never got its JSON (the run died between create and write) is stale after this.
const HALF_WRITTEN_STALE_MS = 10_000;
// The stale-lock breaker file (held for a few file operations) is itself stale after this.
const BREAKER_STALE_MS = 30_000;

async function ageMs(file: string): Promise<number | undefined> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function createExclusive(file: string, text: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'wx', 0o600); // O_CREAT | O_EXCL: exactly one creator wins
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

/**
 * The local backend's lock: `<state file>.lock`, created with O_EXCL. A lock left by a run on this
 * host whose pid is gone is stale and is taken over; a lock from another host is never broken
 * automatically (its pid means nothing here). Taking over goes through a second O_EXCL file
 * (`.lock.break`) so two runs that both find the same stale lock cannot both take it.
 */
export class LocalStateLock {
  readonly lockFile: string;

  constructor(
    readonly stateFile: string,
    private readonly opts: { pid?: number; host?: string; log?: (message: string) => void } = {},
  ) {
    this.lockFile = `${stateFile}.lock`;
  }

  async lock(owner: string): Promise<Lock> {
    await mkdir(path.dirname(this.lockFile), { recursive: true });
    const info = newLockInfo(owner, this.opts);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await createExclusive(this.lockFile, `${JSON.stringify(info, null, 2)}\n`)) {
        return { ...info, location: this.lockFile };
      }
      const text = await readText(this.lockFile);
      if (text === undefined) continue; // released meanwhile: try again
      const holder = parseLockInfo(text);
      if (!(await this.isStale(holder))) {
        throw lockedError(this.lockFile, holder, `remove ${this.lockFile}`);
      }
      await this.breakStale(text, holder);
    }
    throw lockedError(
      this.lockFile,
      parseLockInfo((await readText(this.lockFile)) ?? ''),
      `remove ${this.lockFile}`,
    );
  }

  /** Releases `lock` if it is still the one held; a lock file that is gone already is fine. */
  async unlock(lock: Pick<LockInfo, 'id'>): Promise<void> {
    const text = await readText(this.lockFile);
    if (text === undefined) return;
    const holder = parseLockInfo(text);
    if (holder?.id !== lock.id) {
      throw new MplError(
        'LOCK_LOST',
        `state lock ${this.lockFile} is no longer this run's: now held by ${holder ? `${holder.owner} (pid ${holder.pid} on ${holder.host})` : 'an unreadable lock'}`,
      );
    }
    await unlink(this.lockFile).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  private async isStale(holder: LockInfo | undefined): Promise<boolean> {
    if (!holder) return ((await ageMs(this.lockFile)) ?? 0) > HALF_WRITTEN_STALE_MS;
    const host = this.opts.host ?? hostname();
    return holder.host === host && !pidAlive(holder.pid);
  }

  private async breakStale(seen: string, holder: LockInfo | undefined): Promise<void> {
    const breaker = `${this.lockFile}.break`;
    if (!(await createExclusive(breaker, String(this.opts.pid ?? process.pid)))) {
      if (((await ageMs(breaker)) ?? 0) > BREAKER_STALE_MS) await unlink(breaker).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      return;
    }
    try {
      // Only the exact stale lock we judged is removed, never one taken meanwhile.
      if ((await readText(this.lockFile)) === seen) {
        await unlink(this.lockFile).catch(() => undefined);
        if (holder) {
          this.opts.log?.(
            `removed a stale state lock of ${holder.owner} (pid ${holder.pid}, gone) from ${holder.createdAt}`,
          );
        }
      }
    } finally {
      await unlink(breaker).catch(() => undefined);
    }
  }
}
