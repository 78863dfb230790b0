/**
 * The describe calls of one plan (its scan for what the stack made, then its refresh), asked many
 * ids at a time and each once. A no-change plan reads every resource; read one by one, 30 target
 * groups make 30 DescribeTargetGroups and 30 DescribeTags, where AWS answers 20 ARNs a call. Here
 * the first read of an id through a call also asks for the ids the refresh will read next through
 * the same call and client (its peers, from state), and later reads take their answer from that
 * one call; what the scan's listings answered (`prime`) is not asked again.
 *
 * Only while nothing changes in AWS (a plan's scan and refresh), so an answer stays true. A batch
 * refused as a whole (ELBv2 answers NotFound for the whole call when one ARN is unknown) sends each
 * of its ids back to its own call, which says which one is gone.
 */
export interface BatchedRead<T> {
  /** Whose answers are shared: the client of one account and region. */
  client: object;
  /** The call, e.g. `elbv2:DescribeTags` (one cache per call and client). */
  api: string;
  id: string;
  /**
   * Ids the refresh will ask for through the same call; up to `maxIds` go with `id`. Asked only
   * when a call is made (most reads are answered by an earlier one).
   */
  peers: () => Iterable<string>;
  maxIds: number;
  /** One call for these ids; an id the answer lacks does not exist. */
  fetch(ids: string[]): Promise<ReadonlyMap<string, T>>;
  /** The id alone (without a batch, or when its batch was refused). */
  fetchOne(id: string): Promise<T | undefined>;
}

type Slot = { batched: true; value: unknown } | { batched: false };

export class ReadBatch {
  private readonly slots = new WeakMap<object, Map<string, Promise<Slot>>>();
  private readonly onces = new WeakMap<object, Map<string, Promise<unknown>>>();

  /**
   * Records an answer got another way (a listing that returned the whole resource), so a read of
   * `id` through `api` takes it without a call. An answer already there is kept.
   */
  prime(client: object, api: string, id: string, value: unknown): void {
    let slots = this.slots.get(client);
    if (!slots) this.slots.set(client, (slots = new Map()));
    const key = `${api}\n${id}`;
    if (!slots.has(key)) slots.set(key, Promise.resolve({ batched: true, value }));
  }

  /**
   * A read AWS answers for one resource only (an NLB's attributes, a group's target health), made
   * once: a plan's scan and its refresh both observe every resource. Its failure is kept too.
   */
  once<T>(client: object, api: string, id: string, fetch: () => Promise<T>): Promise<T> {
    let done = this.onces.get(client);
    if (!done) this.onces.set(client, (done = new Map()));
    const key = `${api}\n${id}`;
    let answer = done.get(key);
    if (!answer) done.set(key, (answer = fetch()));
    return answer as Promise<T>;
  }

  async read<T>(spec: BatchedRead<T>): Promise<T | undefined> {
    let slots = this.slots.get(spec.client);
    if (!slots) this.slots.set(spec.client, (slots = new Map()));
    const key = (id: string) => `${spec.api}\n${id}`;
    let slot = slots.get(key(spec.id));
    if (!slot) {
      const ids = [spec.id];
      for (const p of spec.peers()) {
        if (ids.length >= spec.maxIds) break;
        if (!slots.has(key(p)) && !ids.includes(p)) ids.push(p);
      }
      // The slots are set before any await, so reads running beside this one join it.
      const answer = spec.fetch(ids).then(
        (m) => m,
        () => undefined,
      );
      for (const id of ids) {
        slots.set(
          key(id),
          answer.then((m): Slot =>
            m === undefined ? { batched: false } : { batched: true, value: m.get(id) },
          ),
        );
      }
      slot = slots.get(key(spec.id)) as Promise<Slot>;
    }
    const s = await slot;
    return s.batched ? (s.value as T | undefined) : spec.fetchOne(spec.id);
  }
}
