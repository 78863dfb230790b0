import { randomUUID } from 'node:crypto';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, validate } from '../config/load.js';
import { seal, unseal } from '../integrity.js';
import { InputError, MplError } from '../errors.js';
import { StateSchema, type State } from './schema.js';
import { LocalStateLock, type ForceUnlocked, type Lock } from './lock.js';
import type { StateBackend } from './store.js';

/**
 * Where a stack's local state lives unless state.path says otherwise: beside the config file, so
 * every run of one config finds one state whatever its working directory.
 */
export function defaultStatePath(stack: string, configDir: string): string {
  return path.join(configDir, '.msk-privatelink', `${stack}.state.json`);
}

/** The default of earlier versions: in the working directory. Read only to say where the state went. */
export function legacyStatePath(stack: string, cwd = process.cwd()): string {
  return path.join(cwd, '.msk-privatelink', `${stack}.state.json`);
}

/**
 * The local state file of a config: `state.path` (already resolved from the config's folder by
 * loadConfig), else the default beside the config file. `movedFrom`: the old default to look at
 * when the file is missing (only when the default is in use and differs from it).
 */
export function localStateFile(
  config: { name: string; state: { path?: string | undefined } },
  configFile: string,
  cwd = process.cwd(),
): { file: string; movedFrom?: string } {
  if (config.state.path !== undefined) return { file: config.state.path };
  const file = defaultStatePath(config.name, path.dirname(path.resolve(configFile)));
  const old = legacyStatePath(config.name, cwd);
  return path.resolve(old) === path.resolve(file) ? { file } : { file, movedFrom: old };
}

/** A path as one shell word: as is when it is plain, else single-quoted. */
export function shellQuote(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

export function emptyState(stack: string): State {
  return {
    format: 'msk-privatelink-state',
    version: 1,
    stack,
    lineage: randomUUID(),
    serial: 0,
    resources: {},
    portAssignments: {},
    roles: {},
  };
}

export interface LocalStateOptions {
  /**
   * The old default location of this state: when the file is missing and a state is there, read
   * refuses with STATE_MOVED (and the mv command) instead of starting from an empty state.
   */
  movedFrom?: string;
  /** The config file, for the force-unlock command messages name. */
  configFile?: string;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/**
 * The local file backend: a missing file is a stack never applied (unless its state is found at
 * the old default location); writes are atomic (temp + rename).
 */
export class LocalStateBackend implements StateBackend {
  constructor(
    readonly file: string,
    private readonly opts: LocalStateOptions = {},
  ) {
    this.locker = new LocalStateLock(file, {
      ...(opts.configFile === undefined ? {} : { configFile: opts.configFile }),
      ...(opts.log === undefined ? {} : { log: (m: string) => opts.log?.('warn', m) }),
    });
  }

  private readonly locker: LocalStateLock;

  get location(): string {
    return this.file;
  }

  lock(owner: string): Promise<Lock> {
    return this.locker.lock(owner);
  }

  unlock(lock: Pick<Lock, 'id'>): Promise<void> {
    return this.locker.unlock(lock);
  }

  forceUnlock(expectedId?: string): Promise<ForceUnlocked | undefined> {
    return this.locker.forceUnlock(expectedId);
  }

  async read(): Promise<State | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        await this.refuseIfMoved();
        return undefined;
      }
      throw new InputError(this.file, `cannot read state: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const state = validate(
      StateSchema,
      this.file,
      unseal(parseDocument(this.file, text), this.file, 'state'),
    );
    const old = this.opts.movedFrom;
    if (old !== undefined && (await exists(old)))
      this.opts.log?.(
        'warn',
        `another state of this stack is at the old default location ${old}: it is not used (${this.file} is)`,
      );
    return state;
  }

  /** Never an empty state while the stack's state sits at the old default location: STATE_MOVED. */
  private async refuseIfMoved(): Promise<void> {
    const old = this.opts.movedFrom;
    if (old === undefined || !(await exists(old))) return;
    const dir = path.dirname(this.file);
    throw new MplError(
      'STATE_MOVED',
      `no state at ${this.file}, but this stack's state is at ${old}, the default location of earlier versions (the working directory); the default is now beside the config file`,
      {
        detail: `move it: mkdir -p ${shellQuote(dir)} && mv ${shellQuote(old)} ${shellQuote(this.file)}\n  (or set state.path in the config to where it is)`,
      },
    );
  }

  /** Writes the next serial of `state` and returns it. */
  async write(state: State): Promise<State> {
    return this.writeExact({ ...state, serial: state.serial + 1 });
  }

  /** Writes `state` as it is, serial included (moving a state between backends keeps its version). */
  async writeExact(state: State): Promise<State> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(seal(state), null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.file);
    return state;
  }
}
