import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, validate } from '../config/load.js';
import { InputError } from '../errors.js';
import { StateSchema, type State } from './schema.js';
import { LocalStateLock, type Lock } from './lock.js';
import type { StateBackend } from './store.js';

/** Where a stack's local state lives unless state.path says otherwise. */
export function defaultStatePath(stack: string, cwd = process.cwd()): string {
  return path.join(cwd, '.msk-privatelink', `${stack}.state.json`);
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
  };
}

/** The local file backend: a missing file is a stack never applied; writes are atomic (temp + rename). */
export class LocalStateBackend implements StateBackend {
  constructor(readonly file: string) {
    this.locker = new LocalStateLock(file);
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

  async read(): Promise<State | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new InputError(this.file, `cannot read state: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    return validate(StateSchema, this.file, parseDocument(this.file, text));
  }

  /** Writes the next serial of `state` and returns it. */
  async write(state: State): Promise<State> {
    const next: State = { ...state, serial: state.serial + 1 };
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.file);
    return next;
  }
}
