// MSK's `custom.advertised.listeners` cluster configuration property: built, parsed, checked and
// resolved per broker, and set in (or removed from) a configuration's server.properties text.
// MSK developer guide, "Configure custom domain names for your Amazon MSK cluster"
// (https://docs.aws.amazon.com/msk/latest/developerguide/custom-domain-names.html):
//   custom.advertised.listeners=LISTENER_NAME://hostname-pattern:port+{broker_id}[,...]
// `{broker_id}` is required and must appear in the port (base + id), so every broker resolves to a
// unique address; one domain per listener (a listener appears once); listeners may share a domain as
// long as each broker's host:port stays unique. MSK validates listener name, format and uniqueness.

export const CUSTOM_ADVERTISED_LISTENERS = 'custom.advertised.listeners';
const BROKER_ID = '{broker_id}';

/** One listener's entry: broker N advertises `hostPattern` (with N for {broker_id}) at portBase + N. */
export interface AdvertisedEntry {
  listener: string;
  hostPattern: string;
  portBase: number;
}

export function formatCustomAdvertised(entries: readonly AdvertisedEntry[]): string {
  return entries.map((e) => `${e.listener}://${e.hostPattern}:${e.portBase}+${BROKER_ID}`).join(',');
}

const ENTRY = /^([A-Z][A-Z0-9_]*):\/\/([^:/\s,]+):(\d{1,5})\+\{broker_id\}$/;

/** The entries of a property value, or the first problem with it (MSK's documented format). */
export function parseCustomAdvertised(value: string): { entries: AdvertisedEntry[] } | { problem: string } {
  const parts = value.split(',').map((p) => p.trim());
  const entries: AdvertisedEntry[] = [];
  for (const part of parts) {
    if (part === '') return { problem: 'an empty entry (two commas, or one at an end)' };
    const m = ENTRY.exec(part);
    if (m === null) {
      if (!part.includes('+{broker_id}')) {
        return { problem: `"${part}": the port must be base+{broker_id}, so each broker gets its own port` };
      }
      return { problem: `"${part}" is not LISTENER_NAME://hostname-pattern:port+{broker_id}` };
    }
    const [, listener = '', hostPattern = '', base = ''] = m;
    if (entries.some((e) => e.listener === listener)) {
      return { problem: `listener ${listener} appears twice (one domain per listener)` };
    }
    entries.push({ listener, hostPattern, portBase: Number(base) });
  }
  return { entries };
}

/** Broker `id`'s advertised address per listener: `{ CLIENT_SECURE: 'b-1.example.com:9001' }`. */
export function resolveFor(entries: readonly AdvertisedEntry[], id: number): Record<string, string> {
  return Object.fromEntries(
    entries.map((e) => [e.listener, `${e.hostPattern.split(BROKER_ID).join(String(id))}:${e.portBase + id}`]),
  );
}

/**
 * Problems MSK would refuse for these brokers: a listener the cluster does not serve, a resolved port
 * outside 1..65535, two listeners of one broker on the same host:port. Empty when all is well.
 */
export function checkCustomAdvertised(
  entries: readonly AdvertisedEntry[],
  brokerIds: readonly number[],
  clusterListeners: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const e of entries) {
    if (!clusterListeners.includes(e.listener)) {
      problems.push(`listener ${e.listener} is not one the cluster serves (${clusterListeners.join(', ')})`);
    }
  }
  for (const id of brokerIds) {
    const seen = new Map<string, string>();
    for (const [listener, address] of Object.entries(resolveFor(entries, id))) {
      const port = Number(address.slice(address.lastIndexOf(':') + 1));
      if (port < 1 || port > 65535) problems.push(`broker ${id}: ${listener} resolves to port ${port}`);
      const key = address.toLowerCase();
      const other = seen.get(key);
      if (other !== undefined)
        problems.push(`broker ${id}: ${other} and ${listener} both resolve to ${address}`);
      seen.set(key, listener);
    }
  }
  return problems;
}

// ---------------------------------------------------------------- server.properties text

const PROPERTY_LINE = /^\s*custom\.advertised\.listeners\s*[=:]/;

/** The property's value in a server.properties text, undefined when it is not set. */
export function customAdvertisedIn(serverProperties: string): string | undefined {
  const line = serverProperties.split(/\r?\n/).find((l) => PROPERTY_LINE.test(l));
  return line?.replace(PROPERTY_LINE, '').trim();
}

/**
 * The text with the property set to `value` (replacing any line of it) or, with undefined, removed;
 * every other line is kept as it was, so the cluster's other settings carry over.
 */
export function withCustomAdvertised(serverProperties: string, value: string | undefined): string {
  const lines = serverProperties.split(/\r?\n/).filter((l) => !PROPERTY_LINE.test(l));
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  if (value !== undefined) lines.push(`${CUSTOM_ADVERTISED_LISTENERS}=${value}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
