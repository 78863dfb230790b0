// S3 state backend for teams: the state object plus a lock object `<key>.lock`, both written with
// S3 conditional writes (PutObject If-None-Match / If-Match, S3 user guide "Conditional writes").
// The lock is a lease: its holder renews it while it runs; a lock whose lease has passed belongs to
// a run that died and is taken over by the next one.
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseDocument, validate } from '../config/load.js';
import { seal, unseal } from '../integrity.js';
import { errorName, messageOf } from '../aws/errors.js';
import { InputError, MplError } from '../errors.js';
import {
  DEFAULT_LOCK_LEASE_SECONDS,
  describeHolder,
  forceUnlockHint,
  LeaseHeartbeat,
  leaseExpired,
  leaseExpiresAt,
  lockedError,
  lockIdMismatch,
  newLockInfo,
  parseLockInfo,
  renewEveryMs,
  sleep,
  type ForceUnlocked,
  type Lock,
  type LockInfo,
} from './lock.js';
import { StateSchema, type State } from './schema.js';
import type { StateBackend } from './store.js';

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isMissing(e: unknown): boolean {
  return errorName(e) === 'NoSuchKey' || errorName(e) === 'NotFound' || httpStatus(e) === 404;
}

/**
 * A conditional write lost: 412 PreconditionFailed (the condition did not hold), or 409
 * ConditionalRequestConflict (a concurrent conditional write to the same key won; S3 API reference, PutObject).
 */
function isConditionFailed(e: unknown): boolean {
  const n = errorName(e);
  return (
    n === 'PreconditionFailed' ||
    n === 'ConditionalRequestConflict' ||
    httpStatus(e) === 412 ||
    httpStatus(e) === 409
  );
}

export interface S3StateOptions {
  /**
   * Pause before reading a freshly written lock back to confirm it is ours. S3 makes
   * If-None-Match atomic and this is only a second check; moto 5.2.1 (the test twin) checks and
   * writes without a lock between them, so two racing writers can both get 200 there, and the
   * later one's object is what stays: after the pause, the earlier one sees it is not the holder.
   */
  verifyDelayMs?: number;
  pid?: number;
  host?: string;
  /** The lock's lease (default DEFAULT_LOCK_LEASE_SECONDS); renewed every third of it. */
  leaseMs?: number;
  /** Take-overs of expired locks, a lost lock, failed renewals: for the run's event stream. */
  log?: (level: 'info' | 'warn', message: string) => void;
  /** The config file, for the force-unlock command messages name. */
  configFile?: string;
}

/** Why a take-over attempt did not win: the lock changed or went away meanwhile (look again). */
type TakeOver = { won: true; etag: string | undefined } | { won: false };

/**
 * State in `s3://<bucket>/<key>`: `read` remembers the object's ETag and `write` sends it as
 * If-Match (If-None-Match: * for the first write), so a writer that did not see the latest state
 * cannot overwrite it. `lock` creates `<key>.lock` with If-None-Match: *, or takes over a lock
 * whose lease has passed with If-Match on that lock's ETag; the holder's heartbeat renews the lease
 * (If-Match on its own lock's ETag) every third of it until `unlock`.
 */
export class S3StateBackend implements StateBackend {
  readonly location: string;
  readonly lockKey: string;
  readonly lockLocation: string;
  readonly leaseMs: number;
  /** ETag of the state object as last read or written; null: known absent; undefined: not read yet. */
  private etag: string | null | undefined;
  /** Heartbeats of the locks this backend holds, by lock id. */
  private readonly heartbeats = new Map<string, LeaseHeartbeat>();
  /** Set when a heartbeat found its lock taken or removed (who has it now): writes are refused from then on. */
  private lostLock: string | undefined;

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly key: string,
    private readonly opts: S3StateOptions = {},
  ) {
    this.location = `s3://${bucket}/${key}`;
    this.lockKey = `${key}.lock`;
    this.lockLocation = `s3://${bucket}/${this.lockKey}`;
    this.leaseMs = opts.leaseMs ?? DEFAULT_LOCK_LEASE_SECONDS * 1000;
  }

  async read(): Promise<State | undefined> {
    let text: string;
    let etag: string | undefined;
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      text = (await out.Body?.transformToString('utf8')) ?? '';
      etag = out.ETag;
    } catch (e) {
      if (isMissing(e)) {
        this.etag = null;
        return undefined;
      }
      throw new InputError(this.location, `cannot read state: ${errorName(e) || String(e)}`);
    }
    const state = validate(
      StateSchema,
      this.location,
      unseal(parseDocument(this.location, text), this.location, 'state'),
    );
    this.etag = etag ?? undefined;
    return state;
  }

  /** Writes the next serial of `state` and returns it; refused when the object changed since it was read. */
  async write(state: State): Promise<State> {
    if (this.etag === undefined) {
      // Never read: learn the current version first, and refuse to go backwards over a newer state.
      const current = await this.read();
      if (current && (current.lineage !== state.lineage || current.serial > state.serial)) {
        throw this.conflict(`it holds lineage ${current.lineage} serial ${current.serial}`);
      }
    }
    const next: State = { ...state, serial: state.serial + 1 };
    await this.put(next);
    return next;
  }

  /**
   * Writes `state` as it is, serial included (moving a state between backends keeps its version),
   * under the same condition as `write`: the object must be as this backend last read it.
   */
  async writeExact(state: State): Promise<State> {
    if (this.etag === undefined) await this.read();
    await this.put(state);
    return state;
  }

  private async put(state: State): Promise<void> {
    if (this.lostLock !== undefined) {
      throw new MplError(
        'LOCK_LOST',
        `state lock ${this.lockLocation} is no longer this run's: ${this.lostLock}; the state was not written`,
      );
    }
    const condition =
      this.etag === null || this.etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: this.etag };
    try {
      const out = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: `${JSON.stringify(seal(state), null, 2)}\n`,
          ContentType: 'application/json',
          ...condition,
        }),
      );
      this.etag = out.ETag;
    } catch (e) {
      // IfMatch on a deleted object answers 404 NoSuchKey: it changed too.
      if (isConditionFailed(e) || isMissing(e))
        throw this.conflict('another run wrote it since this one read it', e);
      throw new MplError(
        'STATE_WRITE_FAILED',
        `cannot write state ${this.location}: ${errorName(e)}: ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    }
  }

  private conflict(why: string, cause?: unknown): MplError {
    return new MplError('STATE_CONFLICT', `state ${this.location} changed under this run: ${why}`, {
      detail: 'another run may be applying this stack; run plan again',
      ...(cause === undefined ? {} : { cause }),
    });
  }

  private async readLock(): Promise<{ info: LockInfo | undefined; etag: string | undefined } | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.lockKey }));
      return { info: parseLockInfo((await out.Body?.transformToString('utf8')) ?? ''), etag: out.ETag };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw new MplError(
        'STATE_LOCK_FAILED',
        `cannot read the state lock ${this.lockLocation}: ${errorName(e)}: ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    }
  }

  private locked(holder: LockInfo | undefined): MplError {
    const now = `\`${forceUnlockHint(this.opts.configFile, holder?.id)}\``;
    const how =
      holder?.expiresAt === undefined
        ? `run ${now} (this lock has no lease: it is never taken over by itself)`
        : `the next run takes it over once its lease has passed (${holder.expiresAt}); to free it sooner, run ${now}`;
    return lockedError(this.lockLocation, holder, how);
  }

  /** PutObject of a lock body under a condition; the new ETag. */
  private async putLock(info: LockInfo, condition: { IfNoneMatch: '*' } | { IfMatch: string }) {
    const out = await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.lockKey,
        Body: JSON.stringify(info),
        ContentType: 'application/json',
        ...condition,
      }),
    );
    return out.ETag;
  }

  private lockFailed(e: unknown, what: string): MplError {
    return new MplError(
      'STATE_LOCK_FAILED',
      `cannot ${what} the state lock ${this.lockLocation}: ${errorName(e)}: ${messageOf(e)}`,
      {
        cause: e,
      },
    );
  }

  /** Replaces the expired lock seen with `etag` by ours: If-Match, so of two runs taking it over one wins. */
  private async takeOver(info: LockInfo, etag: string | undefined): Promise<TakeOver> {
    if (etag === undefined) return { won: false };
    try {
      return { won: true, etag: await this.putLock(info, { IfMatch: etag }) };
    } catch (e) {
      // 412: another run took it over (or its holder renewed it) first; 404: it was released.
      if (isConditionFailed(e) || isMissing(e)) return { won: false };
      throw this.lockFailed(e, 'take over');
    }
  }

  /**
   * Takes the stack's lock, or refuses with STATE_LOCKED naming who holds it, since when and until
   * when. A lock whose lease has passed is taken over, never one whose lease is still running.
   */
  async lock(owner: string): Promise<Lock> {
    let seen: LockInfo | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const info = newLockInfo(owner, { ...this.opts, leaseMs: this.leaseMs });
      let created = false;
      try {
        await this.putLock(info, { IfNoneMatch: '*' });
        created = true;
      } catch (e) {
        if (!isConditionFailed(e)) throw this.lockFailed(e, 'create');
      }
      if (!created) {
        // The same pause as before the read-back: a lock caught mid-race names the one that stays.
        await this.settle();
        const current = await this.readLock();
        if (current === undefined) continue; // released meanwhile: try again
        seen = current.info;
        if (!current.info || !leaseExpired(current.info, new Date())) throw this.locked(current.info);
        if (!(await this.takeOver(info, current.etag)).won) continue; // someone was quicker: look again
        this.opts.log?.(
          'warn',
          `took over the state lock ${this.lockLocation} of ${describeHolder(current.info)}: its lease had passed (the run is taken for dead)`,
        );
      }
      return this.confirm(info);
    }
    throw this.locked(seen);
  }

  private async settle(): Promise<void> {
    const delay = this.opts.verifyDelayMs ?? 100;
    if (delay > 0) await sleep(delay);
  }

  /**
   * Reads the lock back after a pause: ours unless a racing writer slipped past a non-atomic check
   * (see verifyDelayMs). Then starts the heartbeat with the ETag read.
   */
  private async confirm(info: LockInfo): Promise<Lock> {
    await this.settle();
    const now = await this.readLock();
    if (now?.info?.id !== info.id) throw this.locked(now?.info);
    this.lostLock = undefined;
    let etag = now.etag;
    const heartbeat = new LeaseHeartbeat(
      renewEveryMs(this.leaseMs),
      async () => {
        const renewed = { ...info, expiresAt: leaseExpiresAt(new Date(), this.leaseMs) };
        try {
          etag = await this.putLock(renewed, { IfMatch: etag ?? '' });
          return 'renewed';
        } catch (e) {
          // 412: someone replaced it (took it over); 404: it was force-unlocked. A 409 (a
          // concurrent conditional write) is tried again at the next beat, which learns which.
          const conflict = errorName(e) === 'ConditionalRequestConflict' || httpStatus(e) === 409;
          if (conflict || !(isConditionFailed(e) || isMissing(e))) throw e;
          const holder = (await this.readLock().catch(() => undefined))?.info;
          this.lostLock = holder ? `now held by ${describeHolder(holder)}` : 'it was removed (force-unlock)';
          this.opts.log?.(
            'warn',
            `lost the state lock ${this.lockLocation}: ${this.lostLock}; this run writes no more state`,
          );
          return 'lost';
        }
      },
      (message) => this.opts.log?.('warn', message),
    ).start();
    this.heartbeats.set(info.id, heartbeat);
    return { ...info, location: this.lockLocation };
  }

  /** The heartbeat of a lock this backend holds (tests). */
  heartbeatOf(lock: Pick<LockInfo, 'id'>): LeaseHeartbeat | undefined {
    return this.heartbeats.get(lock.id);
  }

  /** Releases `lock` if it is still the one in S3; a lock already gone is fine. */
  async unlock(lock: Pick<LockInfo, 'id'>): Promise<void> {
    const heartbeat = this.heartbeats.get(lock.id);
    this.heartbeats.delete(lock.id);
    await heartbeat?.stop();
    const now = await this.readLock();
    if (!now) return;
    if (now.info?.id !== lock.id) {
      throw new MplError(
        'LOCK_LOST',
        `state lock ${this.lockLocation} is no longer this run's: now held by ${now.info ? describeHolder(now.info) : 'an unreadable lock'}`,
      );
    }
    try {
      // If-Match: never delete a lock another run took between the read and the delete.
      await this.s3.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: this.lockKey, IfMatch: now.etag }),
      );
    } catch (e) {
      if (isMissing(e)) return;
      if (isConditionFailed(e)) {
        throw new MplError('LOCK_LOST', `state lock ${this.lockLocation} was taken by another run`, {
          cause: e,
        });
      }
      throw this.lockFailed(e, 'delete');
    }
  }

  /**
   * Removes the lock whoever holds it, or only lock `expectedId` when given (LOCK_ID_MISMATCH
   * otherwise): an operator's force-unlock after a run died. Undefined when no lock was held.
   * If-Match on the ETag read, so a lock taken between the read and the delete is left alone (a
   * live holder's renewal changes the ETag too: then it is read again).
   */
  async forceUnlock(expectedId?: string): Promise<ForceUnlocked | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = await this.readLock();
      if (!now) return undefined;
      if (expectedId !== undefined && now.info?.id !== expectedId)
        throw lockIdMismatch(this.lockLocation, now.info, expectedId);
      try {
        await this.s3.send(
          new DeleteObjectCommand({
            Bucket: this.bucket,
            Key: this.lockKey,
            ...(now.etag === undefined ? {} : { IfMatch: now.etag }),
          }),
        );
        return { location: this.lockLocation, holder: now.info };
      } catch (e) {
        if (isMissing(e)) return undefined;
        if (!isConditionFailed(e)) throw this.lockFailed(e, 'delete');
      }
    }
    throw this.locked((await this.readLock())?.info);
  }
}

/** The state object's key when the config names none. */
export const defaultS3StateKey = (stack: string): string => `msk-privatelink/${stack}.state.json`;
