// State locks: one run at a time may apply or destroy a stack. The local backend's lock is a file
// created with O_EXCL next to the state file; the S3 backend's is in s3.ts, held with a lease that a
// heartbeat renews. Both hold the same JSON.
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
  /**
   * End of the lease (S3 locks): the holder pushes it forward while it runs; once it has passed,
   * the holder is taken for dead and another run may take the lock over. Absent on local locks
   * (and on S3 locks written by versions without leases: those never expire by themselves).
   */
  expiresAt?: string;
}

export interface Lock extends LockInfo {
  /** The lock object or file, for messages. */
  location: string;
}

/**
 * The S3 lock's lease: 120 s. Long enough that a run whose network stalls for a minute (a
 * VPN reconnecting, S3 throttling with the SDK backing off) keeps its lock: with a renewal every
 * 40 s, two renewals in a row may fail before the lease ends. Short enough that a killed CI job
 * (no chance to unlock) frees the stack within two minutes, without anyone running force-unlock.
 */
export const DEFAULT_LOCK_LEASE_SECONDS = 120;

/** The holder renews its lease every third of it, so one or two failed renewals do not lose it. */
export function renewEveryMs(leaseMs: number): number {
  return Math.max(1, Math.floor(leaseMs / 3));
}

/** When a lease taken (or renewed) at `now` ends. */
export function leaseExpiresAt(now: Date, leaseMs: number): string {
  return new Date(now.getTime() + leaseMs).toISOString();
}

/**
 * Whether a lock's lease has passed at `now` (the lease's last millisecond still holds it). A lock
 * without a lease, or with one that does not parse, never expires: only force-unlock removes it.
 */
export function leaseExpired(holder: Pick<LockInfo, 'expiresAt'>, now: Date): boolean {
  if (holder.expiresAt === undefined) return false;
  const end = Date.parse(holder.expiresAt);
  return Number.isFinite(end) && now.getTime() > end;
}

export function newLockInfo(
  owner: string,
  opts: { pid?: number; host?: string; now?: Date; leaseMs?: number } = {},
): LockInfo {
  const now = opts.now ?? new Date();
  return {
    owner,
    pid: opts.pid ?? process.pid,
    host: opts.host ?? hostname(),
    createdAt: now.toISOString(),
    id: randomUUID(),
    ...(opts.leaseMs === undefined ? {} : { expiresAt: leaseExpiresAt(now, opts.leaseMs) }),
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
      typeof v.id === 'string' &&
      (v.expiresAt === undefined || typeof v.expiresAt === 'string')
    ) {
      return v as LockInfo;
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/** "alice (pid 42 on laptop) since <time>[, lease until <time>]": who holds a lock, for messages. */
export function describeHolder(holder: LockInfo): string {
  const lease = holder.expiresAt === undefined ? '' : `, lease until ${holder.expiresAt}`;
  return `${holder.owner} (pid ${holder.pid} on ${holder.host}) since ${holder.createdAt}${lease}`;
}

/**
 * The STATE_LOCKED refusal, naming the holder, since when and until when (its lease), its lock id,
 * and how to break a dead run's lock.
 */
export function lockedError(location: string, holder: LockInfo | undefined, howToBreak: string): MplError {
  const who = holder ? describeHolder(holder) : 'another run (its lock is unreadable)';
  const id = holder ? `lock id ${holder.id}; ` : '';
  return new MplError('STATE_LOCKED', `state is locked by ${who}: ${location}`, {
    detail: `${id}wait for that run to finish; if it died, ${howToBreak}`,
    retriable: true,
  });
}

/** The LOCK_ID_MISMATCH refusal of force-unlock: the lock held is not the one named. */
export function lockIdMismatch(location: string, holder: LockInfo | undefined, wanted: string): MplError {
  return new MplError(
    'LOCK_ID_MISMATCH',
    `the state lock ${location} is not lock ${wanted}: it is held by ${holder ? `${describeHolder(holder)}, lock id ${holder.id}` : 'an unreadable lock'}; nothing was released`,
    { detail: 'check who holds it now; run force-unlock again with its lock id, or without one' },
  );
}

/** What force-unlock released: the lock's location and its holder (undefined: the lock was unreadable). */
export interface ForceUnlocked {
  location: string;
  holder: LockInfo | undefined;
}

/**
 * Renews a lease every `everyMs` while a run lasts. The timer is unref'd (it never keeps Node
 * alive) and never runs two renewals at once. `renew` answers 'lost' when the lock is no longer
 * this run's (taken over, force-unlocked): the heartbeat then stops and `lost` stays true. A
 * renewal that throws (network, throttling) is reported and tried again at the next beat.
 */
export class LeaseHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lostLock = false;
  /** Renewals made, for tests and debugging. */
  renewals = 0;

  constructor(
    private readonly everyMs: number,
    private readonly renew: () => Promise<'renewed' | 'lost'>,
    private readonly onProblem: (message: string) => void = () => undefined,
  ) {}

  get lost(): boolean {
    return this.lostLock;
  }

  start(): this {
    if (this.timer === undefined && !this.lostLock) {
      this.timer = setInterval(() => this.beat(), this.everyMs);
      this.timer.unref();
    }
    return this;
  }

  private beat(): void {
    if (this.inFlight !== undefined || this.timer === undefined) return;
    this.inFlight = this.renew()
      .then(
        (r) => {
          if (r === 'lost') {
            this.lostLock = true;
            this.clear();
          } else this.renewals++;
        },
        (e: unknown) =>
          this.onProblem(
            `cannot renew the state lock's lease (tried again in ${this.everyMs} ms): ${e instanceof Error ? e.message : String(e)}`,
          ),
      )
      .finally(() => {
        this.inFlight = undefined;
      });
  }

  private clear(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops renewing; waits for a renewal in flight, so nothing writes the lock afterwards. */
  async stop(): Promise<void> {
    this.clear();
    await this.inFlight;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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

/** The command that frees a dead run's lock, for messages. */
export function forceUnlockHint(configFile: string | undefined, id: string | undefined): string {
  return `msk-privatelink force-unlock --config ${configFile ?? 'CONFIG'}${id === undefined ? '' : ` ${id}`}`;
}

// A lock file is created empty and its JSON written right after: a reader that finds it empty waits
// this long for the JSON before naming the holder as unreadable.
const HALF_WRITTEN_WAIT_MS = 500;

export interface LocalLockOptions {
  pid?: number;
  host?: string;
  log?: (message: string) => void;
  /** The config file, for the force-unlock command messages name. */
  configFile?: string;
}

/**
 * The local backend's lock: `<state file>.lock`, created with O_EXCL. A lock left by a run on this
 * host whose pid is gone is stale and is taken over; a lock from another host is never broken
 * automatically (its pid means nothing here): force-unlock removes it. Taking over goes through a
 * second O_EXCL file (`.lock.break`) so two runs that both find the same stale lock cannot both
 * take it. Local locks have no lease.
 */
export class LocalStateLock {
  readonly lockFile: string;

  constructor(
    readonly stateFile: string,
    private readonly opts: LocalLockOptions = {},
  ) {
    this.lockFile = `${stateFile}.lock`;
  }

  private locked(holder: LockInfo | undefined): MplError {
    return lockedError(
      this.lockFile,
      holder,
      `remove ${this.lockFile} or run \`${forceUnlockHint(this.opts.configFile, holder?.id)}\``,
    );
  }

  async lock(owner: string): Promise<Lock> {
    await mkdir(path.dirname(this.lockFile), { recursive: true });
    const info = newLockInfo(owner, this.opts);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await createExclusive(this.lockFile, `${JSON.stringify(info, null, 2)}\n`)) {
        return { ...info, location: this.lockFile };
      }
      const text = await this.readSettled();
      if (text === undefined) continue; // released meanwhile: try again
      const holder = parseLockInfo(text);
      if (!(await this.isStale(holder))) throw this.locked(holder);
      await this.breakStale(text, holder);
    }
    throw this.locked(parseLockInfo((await readText(this.lockFile)) ?? ''));
  }

  /**
   * The lock file's text once its JSON is there: a lock file just created by another run is empty
   * for the moment between its creation and its write, and the holder it names is then unknown.
   */
  private async readSettled(): Promise<string | undefined> {
    const until = Date.now() + HALF_WRITTEN_WAIT_MS;
    for (;;) {
      const text = await readText(this.lockFile);
      if (text === undefined || parseLockInfo(text) !== undefined || Date.now() >= until) return text;
      await sleep(10);
    }
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

  /**
   * Removes the lock whoever holds it, or only lock `expectedId` when given (LOCK_ID_MISMATCH
   * otherwise): an operator's force-unlock after a run died. Undefined when no lock was held.
   */
  async forceUnlock(expectedId?: string): Promise<ForceUnlocked | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const text = await readText(this.lockFile);
      if (text === undefined) return undefined;
      const holder = parseLockInfo(text);
      if (expectedId !== undefined && holder?.id !== expectedId)
        throw lockIdMismatch(this.lockFile, holder, expectedId);
      // Through the breaker, and only the exact lock judged: never one taken meanwhile.
      const r = await this.removeIfUnchanged(text);
      if (r === 'removed') return { location: this.lockFile, holder };
      if (r === 'gone') return undefined;
      if (r === 'busy') await sleep(50 + Math.random() * 100);
    }
    throw this.locked(parseLockInfo((await readText(this.lockFile)) ?? ''));
  }

  private async isStale(holder: LockInfo | undefined): Promise<boolean> {
    if (!holder) return ((await ageMs(this.lockFile)) ?? 0) > HALF_WRITTEN_STALE_MS;
    const host = this.opts.host ?? hostname();
    return holder.host === host && !pidAlive(holder.pid);
  }

  /** Removes the lock file if it still holds `seen`, through the breaker file (busy: try again). */
  private async removeIfUnchanged(seen: string): Promise<'removed' | 'gone' | 'changed' | 'busy'> {
    const breaker = `${this.lockFile}.break`;
    if (!(await createExclusive(breaker, String(this.opts.pid ?? process.pid)))) {
      if (((await ageMs(breaker)) ?? 0) > BREAKER_STALE_MS) await unlink(breaker).catch(() => undefined);
      return 'busy';
    }
    try {
      const now = await readText(this.lockFile);
      if (now === undefined) return 'gone';
      if (now !== seen) return 'changed';
      await unlink(this.lockFile).catch(() => undefined);
      return 'removed';
    } finally {
      await unlink(breaker).catch(() => undefined);
    }
  }

  private async breakStale(seen: string, holder: LockInfo | undefined): Promise<void> {
    const r = await this.removeIfUnchanged(seen);
    if (r === 'busy') await sleep(50 + Math.random() * 100);
    if (r === 'removed' && holder) {
      this.opts.log?.(
        `removed a stale state lock of ${holder.owner} (pid ${holder.pid}, gone) from ${holder.createdAt}`,
      );
    }
  }
}
