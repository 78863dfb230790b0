import type { Kind } from '../plan/resource.js';
import type { Known, Outputs } from '../executor/types.js';
import { emptyState } from './local.js';
import type { Lock } from './lock.js';
import type { State, StateResource } from './schema.js';

type Entry = {
  kind: Kind;
  account: string;
  region: string;
  physicalId: string;
  props: Record<string, unknown>;
  dependsOn: string[];
  outputs: Outputs;
};

export interface StateBackend {
  /** Where the state lives, for messages. */
  readonly location: string;
  read(): Promise<State | undefined>;
  /** Writes `state` with the next serial and returns what was written. */
  write(state: State): Promise<State>;
  /** Takes the stack's lock (refused, naming the holder, when another run has it). */
  lock(owner: string): Promise<Lock>;
  unlock(lock: Pick<Lock, 'id'>): Promise<void>;
}

/**
 * The executor's view of state: changed in memory as steps complete and written after every
 * completed step (writes are serialized, so a kill at any point leaves the last completed step on disk).
 */
export class StateStore {
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly backend: StateBackend,
    private current: State,
    /** Whether the state existed before this run (its lineage is then fixed). */
    readonly existed: boolean,
  ) {}

  static async open(backend: StateBackend, stack: string): Promise<StateStore> {
    const s = await backend.read();
    return new StateStore(backend, s ?? emptyState(stack), s !== undefined);
  }

  get state(): State {
    return this.current;
  }

  /** The lineage and serial a plan records; lineage null for a stack never written. */
  get version(): { lineage: string | null; serial: number } {
    return this.existed
      ? { lineage: this.current.lineage, serial: this.current.serial }
      : { lineage: null, serial: 0 };
  }

  known(id: string): Known | undefined {
    const r = this.current.resources[id];
    return r === undefined
      ? undefined
      : {
          id,
          kind: r.kind,
          account: r.account,
          region: r.region,
          physicalId: r.physicalId,
          props: r.props,
          outputs: r.outputs as Outputs,
        };
  }

  entries(): Array<[string, StateResource]> {
    return Object.entries(this.current.resources);
  }

  put(id: string, entry: Entry): Promise<void> {
    this.putInMemory(id, entry);
    return this.flush();
  }

  /** Records what a refresh found without writing: an apply that follows writes it with its first step. */
  putInMemory(id: string, entry: Entry): void {
    const tainted = this.current.resources[id]?.tainted ?? false;
    this.current = { ...this.current, resources: { ...this.current.resources, [id]: { ...entry, tainted } } };
  }

  forgetInMemory(id: string): void {
    const { [id]: _gone, ...rest } = this.current.resources;
    this.current = { ...this.current, resources: rest };
  }

  remove(id: string): Promise<void> {
    const { [id]: _gone, ...rest } = this.current.resources;
    this.current = { ...this.current, resources: rest };
    return this.flush();
  }

  setPortAssignments(ports: Record<string, number>): Promise<void> {
    this.current = { ...this.current, portAssignments: { ...this.current.portAssignments, ...ports } };
    return this.flush();
  }

  /** Writes the latest in-memory state; concurrent calls are chained, never interleaved. */
  flush(): Promise<void> {
    const next = this.writing.then(async () => {
      const written = await this.backend.write(this.current);
      // Keep changes made while the write was in flight; adopt the new serial.
      this.current = { ...this.current, serial: written.serial };
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}
