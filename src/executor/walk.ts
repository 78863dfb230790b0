/**
 * The one graph walker, for refresh and apply: runs each node once every node it comes after has
 * finished (nodes it names that are not in the graph are ignored), at most `parallelism` at a time.
 * `stop()` (or a node that throws) starts nothing new; running nodes finish. The first error thrown
 * by a node is rethrown once they have.
 */
export interface WalkNode {
  key: string;
  after: Iterable<string>;
}

export interface WalkResult {
  finished: Set<string>;
  /** Nodes never started because the walk stopped. */
  notStarted: number;
}

export interface WalkControl {
  /** Starts nothing new; running nodes finish. */
  stop(): void;
  /**
   * Runs `fn` (a wait: provisioning, a retry's back-off) without holding one of the `parallelism`
   * slots, so other nodes start meanwhile; the slot is taken back before `fn`'s result returns
   * (parked nodes go before new ones). An NLB provisioning for minutes then holds no slot.
   */
  idle<T>(fn: () => Promise<T>): Promise<T>;
}

export async function walk<N extends WalkNode>(
  nodes: readonly N[],
  parallelism: number,
  run: (node: N, control: WalkControl) => Promise<void>,
): Promise<WalkResult> {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const n of nodes) {
    const after = new Set([...n.after].filter((k) => byKey.has(k) && k !== n.key));
    waitingOn.set(n.key, after.size);
    for (const k of after) dependents.set(k, [...(dependents.get(k) ?? []), n.key]);
  }
  const ready = nodes.filter((n) => waitingOn.get(n.key) === 0).map((n) => n.key);
  const finished = new Set<string>();
  const running = new Map<string, Promise<void>>();
  let stopped = false;
  let firstError: unknown;
  // Nodes inside idle(): running but holding no slot; those done waiting queue for a slot back.
  let parked = 0;
  const resuming: Array<() => void> = [];
  const active = () => running.size - parked;
  let wake: () => void = () => undefined;
  let tick = new Promise<void>((r) => (wake = r));
  const signal = () => {
    wake();
    tick = new Promise<void>((r) => (wake = r));
  };
  const control: WalkControl = {
    stop: () => void (stopped = true),
    async idle(fn) {
      parked++;
      signal();
      try {
        return await fn();
      } finally {
        await new Promise<void>((r) => {
          resuming.push(r);
          signal();
        });
      }
    },
  };

  const start = (key: string) => {
    const node = byKey.get(key) as N;
    const p = run(node, control)
      .catch((e: unknown) => {
        if (firstError === undefined) firstError = e;
        stopped = true;
      })
      .then(() => {
        running.delete(key);
        finished.add(key);
        for (const d of dependents.get(key) ?? []) {
          const left = (waitingOn.get(d) ?? 1) - 1;
          waitingOn.set(d, left);
          if (left === 0) ready.push(d);
        }
      });
    running.set(key, p);
  };

  for (;;) {
    while (resuming.length > 0 && active() < parallelism) {
      parked--;
      (resuming.shift() as () => void)();
    }
    while (!stopped && ready.length > 0 && active() < parallelism) start(ready.shift() as string);
    if (running.size === 0) break;
    await Promise.race([...running.values(), tick]);
  }
  if (firstError !== undefined) throw firstError;
  const notStarted = nodes.length - finished.size;
  if (!stopped && notStarted > 0)
    throw new Error('graph walk: nodes left with unmet dependencies (a cycle?)');
  return { finished, notStarted };
}
