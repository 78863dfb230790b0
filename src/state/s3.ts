// S3 state backend for teams: the state object plus a lock object `<key>.lock`, both written with
// S3 conditional writes (PutObject If-None-Match / If-Match, S3 user guide "Conditional writes").
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseDocument, validate } from '../config/load.js';
import { InputError, MplError } from '../errors.js';
import { lockedError, newLockInfo, parseLockInfo, type Lock, type LockInfo } from './lock.js';
import { StateSchema, type State } from './schema.js';

function errorName(e: unknown): string {
  return (e as { name?: string } | undefined)?.name ?? '';
}

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
}

/**
 * State in `s3://<bucket>/<key>`: `read` remembers the object's ETag and `write` sends it as
 * If-Match (If-None-Match: * for the first write), so a writer that did not see the latest state
 * cannot overwrite it. `lock` creates `<key>.lock` with If-None-Match: *.
 */
export class S3StateBackend {
  readonly location: string;
  readonly lockKey: string;
  /** ETag of the state object as last read or written; null: known absent; undefined: not read yet. */
  private etag: string | null | undefined;

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly key: string,
    private readonly opts: S3StateOptions = {},
  ) {
    this.location = `s3://${bucket}/${key}`;
    this.lockKey = `${key}.lock`;
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
    const state = validate(StateSchema, this.location, parseDocument(this.location, text));
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
    const condition =
      this.etag === null || this.etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: this.etag };
    try {
      const out = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: `${JSON.stringify(next, null, 2)}\n`,
          ContentType: 'application/json',
          ...condition,
        }),
      );
      this.etag = out.ETag;
    } catch (e) {
      // IfMatch on a deleted object answers 404 NoSuchKey: it changed too.
      if (isConditionFailed(e) || isMissing(e))
        throw this.conflict('another run wrote it since this one read it', e);
      throw new MplError('STATE_WRITE_FAILED', `cannot write state ${this.location}: ${errorName(e)}`, {
        cause: e,
      });
    }
    return next;
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
      throw e;
    }
  }

  private locked(holder: LockInfo | undefined): MplError {
    return lockedError(
      `s3://${this.bucket}/${this.lockKey}`,
      holder,
      `delete s3://${this.bucket}/${this.lockKey} (a lock in S3 cannot be checked for a dead process)`,
    );
  }

  /** Takes the stack's lock, or refuses with STATE_LOCKED naming who holds it and since when. */
  async lock(owner: string): Promise<Lock> {
    const info = newLockInfo(owner, this.opts);
    const location = `s3://${this.bucket}/${this.lockKey}`;
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.lockKey,
          Body: JSON.stringify(info),
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
    } catch (e) {
      if (!isConditionFailed(e)) {
        throw new MplError('STATE_LOCK_FAILED', `cannot create the state lock ${location}: ${errorName(e)}`, {
          cause: e,
        });
      }
      throw this.locked((await this.readLock())?.info);
    }
    // Read back after a pause: ours unless a racing writer slipped past a non-atomic check (see verifyDelayMs).
    const delay = this.opts.verifyDelayMs ?? 100;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const now = await this.readLock();
    if (now?.info?.id !== info.id) throw this.locked(now?.info);
    return { ...info, location };
  }

  /** Releases `lock` if it is still the one in S3; a lock already gone is fine. */
  async unlock(lock: Pick<LockInfo, 'id'>): Promise<void> {
    const now = await this.readLock();
    if (!now) return;
    if (now.info?.id !== lock.id) {
      throw new MplError(
        'LOCK_LOST',
        `state lock s3://${this.bucket}/${this.lockKey} is no longer this run's: now held by ${now.info ? `${now.info.owner} (pid ${now.info.pid} on ${now.info.host})` : 'an unreadable lock'}`,
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
        throw new MplError(
          'LOCK_LOST',
          `state lock s3://${this.bucket}/${this.lockKey} was taken by another run`,
          {
            cause: e,
          },
        );
      }
      throw new MplError('STATE_LOCK_FAILED', `cannot delete the state lock: ${errorName(e)}`, { cause: e });
    }
  }

  /** Removes the lock whoever holds it (an operator's force-unlock after a run died). */
  async forceUnlock(): Promise<LockInfo | undefined> {
    const now = await this.readLock();
    if (!now) return undefined;
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.lockKey }));
    return now.info;
  }
}
