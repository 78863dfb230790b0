import { outsideNodes } from '../../aws/idle.js';
import { MplError } from '../../errors.js';
import type { WaitOptions } from '../kind.js';
import type { Verdict } from './poll.js';

/**
 * One describe call for many waiting resources. Thirty NLBs provisioning, or 150 endpoints waiting
 * to be available, each polled on its own every few seconds, make hundreds of describe calls a minute
 * and run into EC2's and ELB's describe buckets (EC2 developer guide, "Request throttling for the
 * Amazon EC2 API"; ELB user guide, "API throttling"). Here every resource waiting through the same
 * client and describe call joins one loop that asks about them all at once, up to `maxIds` per call.
 *
 * The first look at a resource is its own call (what a lone wait does, and how a resource just made
 * is seen at once); only the waits that follow join the shared loop.
 */
export interface SharedPollSpec<T, V> {
  /** Whose calls are shared: the client of the account and region. */
  client: object;
  /** The describe call, e.g. `ec2:DescribeVpcEndpoints`. */
  api: string;
  id: string;
  what: string;
  wait: WaitOptions;
  /** Asks about these ids in one call; an id AWS does not list is absent from the map. */
  fetch: (ids: string[]) => Promise<Map<string, T>>;
  /** Asks about one id alone (the first look, and when the shared call is refused as a whole). */
  fetchOne: (id: string) => Promise<T | undefined>;
  maxIds: number;
  verdict: (item: T | undefined) => Verdict<V>;
}

interface Watcher {
  spec: SharedPollSpec<unknown, unknown>;
  deadline: number;
  last: string;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Group {
  watchers: Set<Watcher>;
  running: boolean;
}

const GROUPS = new WeakMap<object, Map<string, Group>>();

export async function pollShared<T, V>(spec: SharedPollSpec<T, V>): Promise<V> {
  const first = spec.verdict(await spec.fetchOne(spec.id));
  if ('failed' in first) throw new MplError('RESOURCE_FAILED', `${spec.what} failed: ${first.failed}`);
  if (first.done) return first.value;
  // Without a wait to share (tests with tiny delays still go through here), the loop is the same.
  let groups = GROUPS.get(spec.client);
  if (!groups) GROUPS.set(spec.client, (groups = new Map()));
  let group = groups.get(spec.api);
  if (!group) groups.set(spec.api, (group = { watchers: new Set(), running: false }));
  const g = group;
  const done = new Promise<V>((resolve, reject) => {
    g.watchers.add({
      spec: spec as SharedPollSpec<unknown, unknown>,
      deadline: Date.now() + spec.wait.timeoutMs,
      last: first.state,
      resolve: resolve as (v: unknown) => void,
      reject,
    });
  });
  if (!g.running) {
    g.running = true;
    void outsideNodes(() => loop(g)).finally(() => (g.running = false));
  }
  return spec.wait.idle ? spec.wait.idle(() => done) : done;
}

/** Every interval: one call per `maxIds` waiting ids, each watcher judged on its answer. */
async function loop(g: Group): Promise<void> {
  while (g.watchers.size > 0) {
    const interval = Math.min(...[...g.watchers].map((w) => w.spec.wait.intervalMs));
    await new Promise((r) => setTimeout(r, interval));
    const watchers = [...g.watchers];
    const spec = (watchers[0] as Watcher).spec;
    const ids = [...new Set(watchers.map((w) => w.spec.id))];
    const answers = new Map<string, unknown>();
    for (let i = 0; i < ids.length; i += spec.maxIds) {
      const chunk = ids.slice(i, i + spec.maxIds);
      try {
        for (const [id, item] of await spec.fetch(chunk)) answers.set(id, item);
      } catch {
        // A batch describe fails as a whole when one id is unknown (NotFound): ask one by one.
        for (const id of chunk) {
          try {
            answers.set(id, await spec.fetchOne(id));
          } catch (e) {
            for (const w of watchers) if (w.spec.id === id) settle(g, w, () => w.reject(e));
          }
        }
      }
    }
    for (const w of watchers) {
      if (!g.watchers.has(w)) continue;
      const v = w.spec.verdict(answers.get(w.spec.id));
      if ('failed' in v) {
        settle(g, w, () => w.reject(new MplError('RESOURCE_FAILED', `${w.spec.what} failed: ${v.failed}`)));
      } else if (v.done) settle(g, w, () => w.resolve(v.value));
      else {
        w.last = v.state;
        if (Date.now() + w.spec.wait.intervalMs > w.deadline) {
          const err = new MplError(
            'WAIT_TIMEOUT',
            `${w.spec.what} is still ${w.last} after ${Math.round(w.spec.wait.timeoutMs / 1000)} s`,
            { retriable: true },
          );
          settle(g, w, () => w.reject(err));
        }
      }
    }
  }
}

function settle(g: Group, w: Watcher, fn: () => void): void {
  g.watchers.delete(w);
  fn();
}
