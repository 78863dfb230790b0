/**
 * Calls that take a list (AcceptVpcEndpointConnections takes many endpoint ids) made for several
 * steps at the same moment go out as one: items that arrive for the same client and key before the
 * next turn of the event loop share a call, and each caller gets its answer.
 */
const PENDING = new WeakMap<object, Map<string, { items: string[]; answer: Promise<unknown> }>>();

export function mergedCall<R>(
  client: object,
  key: string,
  item: string,
  send: (items: string[]) => Promise<R>,
): Promise<R> {
  let byKey = PENDING.get(client);
  if (!byKey) PENDING.set(client, (byKey = new Map()));
  const open = byKey.get(key);
  if (open) {
    open.items.push(item);
    return open.answer as Promise<R>;
  }
  const items = [item];
  const keys = byKey;
  const answer = new Promise<R>((resolve, reject) =>
    setImmediate(() => {
      keys.delete(key);
      send(items).then(resolve, reject);
    }),
  );
  byKey.set(key, { items, answer });
  return answer;
}
