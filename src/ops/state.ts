// Operations on a stack's state itself: moving a local state to S3 (`state push`) and freeing the
// lock of a run that died (`force-unlock`). Neither needs the cluster or the inventory: they open
// the config and its state backend only.
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { MplError } from '../errors.js';
import { canonicalJson } from '../integrity.js';
import { silent } from '../events.js';
import { localStateFile, LocalStateBackend } from '../state/local.js';
import type { LockInfo } from '../state/lock.js';
import type { State } from '../state/schema.js';
import type { StateBackend } from '../state/store.js';
import type { ClientPool } from '../aws/clients.js';
import { backendFor, checkRegion, poolFor, type StackOptions } from './stack.js';

export type { LockInfo } from '../state/lock.js';

/** What the state operations take: credentials, the event stream, the lock's owner and lease. */
export type StateOptions = Pick<
  StackOptions,
  'profile' | 'region' | 'reporter' | 'configFor' | 'lockLeaseSeconds' | 'lock'
>;

/** Opens the config and its client pool (no AWS call until the backend makes one); `fn` always releases it. */
async function withConfig<T>(
  configFile: string,
  opts: StateOptions,
  fn: (config: Config, pool: ClientPool) => Promise<T>,
): Promise<T> {
  const config = await loadConfig(configFile);
  checkRegion(config, configFile, opts.region);
  const pool = poolFor(config, opts);
  try {
    return await fn(config, pool);
  } finally {
    pool.destroy();
  }
}

export interface PushResult {
  /** The local state file pushed. */
  from: string;
  /** The S3 state it now is (`s3://bucket/key`). */
  to: string;
  /** Where the local file was kept: `<from>.pushed`. */
  keptAs: string;
  lineage: string;
  /** The serial, unchanged by the move: a plan saved before the push still applies after it. */
  serial: number;
  resources: number;
  /** S3 held this very state already (a push that stopped before renaming the local file). */
  alreadyThere: boolean;
}

function pushConflict(to: string, why: string): MplError {
  return new MplError(
    'STATE_PUSH_CONFLICT',
    `${to} already holds a state that pushing would overwrite: ${why}`,
    {
      detail:
        'nothing was written; find out which state tracks the stack (status with each), then keep that one',
    },
  );
}

/**
 * Moves a local state to the S3 backend the config names (`state.backend: s3`): the state is
 * written as it is (same lineage and serial), under both locks (the local one, so no local apply
 * runs meanwhile, and the S3 one), and the local file is kept as `<file>.pushed`. Refused when
 * the S3 key holds a state of another lineage, a newer serial, or the same serial with other content.
 * The local file: `from` (resolved from the working directory), else the config's `state.path`,
 * else the default beside the config file.
 */
export async function statePush(
  configFile: string,
  opts: StateOptions & { from?: string } = {},
): Promise<PushResult> {
  return withConfig(configFile, opts, async (config, pool) => {
    const reporter = opts.reporter ?? silent;
    const log = (level: 'info' | 'warn', message: string) => reporter.emit({ type: 'log', level, message });
    if (config.state.backend !== 's3') {
      throw new MplError(
        'USAGE',
        'state push moves a local state to S3, but the config keeps its state locally',
        {
          where: `${configFile}: state.backend`,
          detail: 'set state.backend: s3 and state.bucket (and state.key) in the config, then run state push',
        },
      );
    }
    const { file, movedFrom } =
      opts.from === undefined ? localStateFile(config, configFile) : { file: path.resolve(opts.from) };
    const local = new LocalStateBackend(file, {
      configFile,
      log,
      ...(movedFrom === undefined ? {} : { movedFrom }),
    });
    // Before any lock: a missing or moved state is refused without touching the disk.
    if ((await local.read()) === undefined) {
      throw new MplError('STATE_NOT_FOUND', `no local state to push: ${file} does not exist`, {
        detail:
          opts.from === undefined
            ? 'name the local state file with --from FILE'
            : 'check the path given to --from',
      });
    }
    const owner = opts.lock ?? `state push (pid ${process.pid})`;
    const remote: StateBackend = backendFor(config, configFile, pool, opts);
    const localLock = await local.lock(owner);
    try {
      const state = (await local.read()) as State;
      if (state.stack !== config.name) {
        throw new MplError(
          'STATE_MISMATCH',
          `the state at ${file} belongs to stack "${state.stack}", not "${config.name}"`,
        );
      }
      let alreadyThere = false;
      const remoteLock = await remote.lock(owner);
      try {
        const current = await remote.read();
        if (current !== undefined) {
          const theirs = `lineage ${current.lineage} serial ${current.serial}`;
          const ours = `lineage ${state.lineage} serial ${state.serial}`;
          if (current.lineage !== state.lineage)
            throw pushConflict(remote.location, `it holds ${theirs}, another history than the local ${ours}`);
          if (current.serial > state.serial)
            throw pushConflict(remote.location, `it holds ${theirs}, newer than the local ${ours}`);
          if (current.serial === state.serial) {
            if (canonicalJson(current) !== canonicalJson(state))
              throw pushConflict(remote.location, `it holds ${theirs} with other content than the local one`);
            alreadyThere = true;
          }
        }
        // writeExact is conditional on what read saw: a writer slipping in between is refused.
        if (!alreadyThere) await remote.writeExact(state);
      } finally {
        await remote.unlock(remoteLock);
      }
      const keptAs = `${file}.pushed`;
      await rename(file, keptAs);
      return {
        from: file,
        to: remote.location,
        keptAs,
        lineage: state.lineage,
        serial: state.serial,
        resources: Object.keys(state.resources).length,
        alreadyThere,
      };
    } finally {
      await local.unlock(localLock);
    }
  });
}

export interface ForceUnlockResult {
  /** The lock file or object. */
  location: string;
  /** False when no lock was held. */
  released: boolean;
  /** Who held the lock released (undefined: none was held, or it was unreadable). */
  holder?: LockInfo;
}

/**
 * Releases the stack's lock (local file or S3 object) whoever holds it, or only lock `lockId` when
 * given (LOCK_ID_MISMATCH otherwise, and nothing is released): for a run that died holding it.
 */
export async function forceUnlock(
  configFile: string,
  opts: StateOptions & { lockId?: string } = {},
): Promise<ForceUnlockResult> {
  return withConfig(configFile, opts, async (config, pool) => {
    const backend = backendFor(config, configFile, pool, opts);
    const r = await backend.forceUnlock(opts.lockId);
    if (r === undefined) return { location: `${backend.location}.lock`, released: false };
    return { location: r.location, released: true, ...(r.holder === undefined ? {} : { holder: r.holder }) };
  });
}
