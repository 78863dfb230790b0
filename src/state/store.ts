import { emptyState } from './local.js';
import type { Instance } from './instance.js';
import type { ForceUnlocked, Lock } from './lock.js';
import type { State } from './schema.js';

export interface StateBackend {
  /** Where the state lives, for messages. */
  readonly location: string;
  read(): Promise<State | undefined>;
  /** Writes `state` with the next serial and returns what was written. */
  write(state: State): Promise<State>;
  /** Writes `state` as it is, serial included: moving a state from one backend to another. */
  writeExact(state: State): Promise<State>;
  /** Takes the stack's lock (refused, naming the holder, since when and until when, when another run has it). */
  lock(owner: string): Promise<Lock>;
  unlock(lock: Pick<Lock, 'id'>): Promise<void>;
  /** Removes the lock whoever holds it (only lock `expectedId` when given); undefined when none was held. */
  forceUnlock(expectedId?: string): Promise<ForceUnlocked | undefined>;
}

/**
 * The run's view of state: instances by logical id, changed in memory as steps complete and written
 * after every completed step (writes are serialized, so a kill at any point leaves the last
 * completed step on disk). Refresh changes it in memory only.
 */
export class StateStore {
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly backend: StateBackend,
    private current: State,
    /** Whether the state existed before this run (its lineage is then fixed). */
    readonly existed: boolean,
  ) {
    this.initial = current;
  }

  private readonly initial: State;

  static async open(backend: StateBackend, stack: string): Promise<StateStore> {
    const s = await backend.read();
    return new StateStore(backend, s ?? emptyState(stack), s !== undefined);
  }

  get state(): State {
    return this.current;
  }

  get location(): string {
    return this.backend.location;
  }

  /** The lineage and serial a plan records; lineage null for a stack never written. */
  get version(): { lineage: string | null; serial: number } {
    return this.existed
      ? { lineage: this.current.lineage, serial: this.current.serial }
      : { lineage: null, serial: 0 };
  }

  get(id: string): Instance | undefined {
    const r = this.current.resources[id];
    return r === undefined ? undefined : { id, ...r };
  }

  instances(): Instance[] {
    return Object.entries(this.current.resources).map(([id, r]) => ({ id, ...r }));
  }

  /** The logical id of a physical id this stack made. */
  idOf(physicalId: string): string | undefined {
    return Object.entries(this.current.resources).find(([, r]) => r.physicalId === physicalId)?.[0];
  }

  put(instance: Instance): Promise<void> {
    this.putInMemory(instance);
    return this.flush();
  }

  /** Records what a refresh found without writing: an apply that follows writes it with its first step. */
  putInMemory({ id, ...entry }: Instance): void {
    this.current = { ...this.current, resources: { ...this.current.resources, [id]: entry } };
  }

  forgetInMemory(id: string): void {
    const { [id]: _gone, ...rest } = this.current.resources;
    this.current = { ...this.current, resources: rest };
  }

  remove(id: string): Promise<void> {
    this.forgetInMemory(id);
    return this.flush();
  }

  setPortAssignments(ports: Record<string, number>): Promise<void> {
    this.current = { ...this.current, portAssignments: { ...this.current.portAssignments, ...ports } };
    return this.flush();
  }

  /**
   * Records the config's role per account (written with the next write: a role alone makes no
   * write). A role the config names replaces the state's.
   */
  noteRoles(roles: Record<string, string>): void {
    this.current = { ...this.current, roles: { ...this.current.roles, ...roles } };
  }

  /** What was last read or written, to tell whether the run knows more than the state file. */
  private saved: string | undefined;

  private contentOf(state: State): string {
    return JSON.stringify([state.resources, state.portAssignments]);
  }

  /** True when the run found what the state does not have yet (adopted, found by tags, ports). */
  unsaved(): boolean {
    this.saved ??= this.contentOf(this.initial);
    return this.contentOf(this.current) !== this.saved;
  }

  /** Writes the latest in-memory state; concurrent calls are chained, never interleaved. */
  flush(): Promise<void> {
    const next = this.writing.then(async () => {
      const content = this.contentOf(this.current);
      const written = await this.backend.write(this.current);
      this.saved = content;
      // Keep changes made while the write was in flight; adopt the new serial.
      this.current = { ...this.current, serial: written.serial };
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}
