/**
 * Steps that go out to AWS together: a kind names a gather key for its create and update steps
 * (dns-record: its zone), and each such step, once ready, waits for the run's other steps of the same
 * key to be ready too, so their changes leave in one batch (one Route 53 change per zone, one INSYNC
 * wait). A step that ends without arriving (failed, or made nothing to send) counts as arrived; when
 * the run stops on a failure every gather opens, so nothing waits for steps that will not start.
 */
export class Gatherer {
  private readonly groups = new Map<
    string,
    { expected: Set<string>; arrived: Set<string>; open: () => void; opened: Promise<void> }
  >();
  private stopped = false;

  /** Before the run: step `stepId` will gather under `key`. */
  expect(key: string, stepId: string): void {
    let g = this.groups.get(key);
    if (!g) {
      let open: () => void = () => undefined;
      const opened = new Promise<void>((r) => (open = r));
      g = { expected: new Set(), arrived: new Set(), open, opened };
      this.groups.set(key, g);
    }
    g.expected.add(stepId);
  }

  /** Step `stepId` is ready: resolves once every expected step of `key` is (or the run stopped). */
  arrive(key: string, stepId: string): Promise<void> {
    const g = this.groups.get(key);
    if (!g || this.stopped) return Promise.resolve();
    this.mark(key, stepId);
    return g.opened;
  }

  /** Step `stepId` ended (done or failed): it no longer holds its group back. */
  leave(stepId: string): void {
    for (const key of this.groups.keys()) this.mark(key, stepId);
  }

  /** The run stops starting steps: nobody waits for the ones that will not come. */
  stop(): void {
    this.stopped = true;
    for (const g of this.groups.values()) g.open();
  }

  private mark(key: string, stepId: string): void {
    const g = this.groups.get(key);
    if (!g || !g.expected.has(stepId)) return;
    g.arrived.add(stepId);
    if (g.arrived.size >= g.expected.size) g.open();
  }
}
