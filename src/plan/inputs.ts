import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Config, Inventory } from '../config/schema.js';
import { InputError } from '../errors.js';
import type { MonitorFiles } from '../planner/input.js';
import { bundleSha256, probeBundle } from '../probe/in-vpc/bundle.js';

/** What a plan read, so `apply PLAN` can tell whether it would still make the same plan. */
export interface PlanInputs {
  /** Input name -> sha256 digest: `config`, `inventory` (the broker list, from a file or MSK), `pattern2.admin.caFile`, `monitor.bundle`, `monitor.caFile`. */
  digests: Record<string, string>;
  /** The brokers the plan saw, to name the ones that changed since. */
  brokers: Array<{ id: number; host: string; ip: string; subnetId: string }>;
}

export function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * The inventory's digest is over its content in a fixed order (brokers by id), so the same cluster
 * read from MSK or from a file, or a file only reformatted, digests the same; any change to a
 * broker, the cluster's version, mode or VPC does not.
 */
function inventoryDigest(inv: Inventory): string {
  const brokers = [...inv.brokers].sort((a, b) => a.id - b.id);
  const { brokers: _b, ...cluster } = inv;
  const sorted = Object.fromEntries(Object.entries(cluster).sort(([a], [b]) => (a < b ? -1 : 1)));
  return digestOf(JSON.stringify({ cluster: sorted, brokers: brokers.map((b) => Object.entries(b).sort()) }));
}

async function read(file: string, where: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new InputError(where, `cannot read ${file}`);
  }
}

/** `monitor`'s files: the probe bundle (its digest) and the CA bundle; undefined without monitor. */
export async function loadMonitor(config: Config, configFile: string): Promise<MonitorFiles | undefined> {
  if (config.monitor === undefined) return undefined;
  const codeSha256 = bundleSha256(await probeBundle());
  const caFile = config.monitor.caFile;
  if (caFile === undefined) return { codeSha256 };
  const ca = await read(caFile, `${configFile}: monitor.caFile`);
  if (!/-----BEGIN CERTIFICATE-----/.test(ca))
    throw new InputError(`${configFile}: monitor.caFile`, `${caFile} holds no PEM certificate`);
  return { codeSha256, ca };
}

export async function planInputs(
  config: Config,
  configFile: string,
  inventory: Inventory,
  monitor?: MonitorFiles,
): Promise<PlanInputs> {
  const digests: Record<string, string> = {
    config: digestOf(await read(configFile, configFile)),
    inventory: inventoryDigest(inventory),
  };
  // Files the admin client reads (the key is not: a plan carries nothing of a secret).
  for (const field of ['caFile', 'clientCertFile'] as const) {
    const file = config.pattern2.admin[field];
    if (file !== undefined)
      digests[`pattern2.admin.${field}`] = digestOf(
        await read(file, `${configFile}: pattern2.admin.${field}`),
      );
  }
  // A rebuilt probe bundle or another CA makes a saved plan's functions and schedules stale.
  if (monitor !== undefined) {
    digests['monitor.bundle'] = `sha256:${Buffer.from(monitor.codeSha256, 'base64').toString('hex')}`;
    if (monitor.ca !== undefined) digests['monitor.caFile'] = digestOf(monitor.ca);
  }
  const brokers = [...inventory.brokers]
    .sort((a, b) => a.id - b.id)
    .map(({ id, host, ip, subnetId }) => ({ id, host, ip, subnetId }));
  return { digests, brokers };
}

/**
 * How the inputs differ from what a saved plan read: one line per input, and for the inventory one
 * per broker that was added, removed or changed. Empty when nothing differs.
 */
export function inputChanges(saved: PlanInputs, now: PlanInputs): string[] {
  const out: string[] = [];
  const names = new Set([...Object.keys(saved.digests), ...Object.keys(now.digests)]);
  for (const name of [...names].sort()) {
    if (saved.digests[name] === now.digests[name]) continue;
    if (name !== 'inventory') {
      out.push(`${name} changed`);
      continue;
    }
    const before = new Map(saved.brokers.map((b) => [b.id, b]));
    const after = new Map(now.brokers.map((b) => [b.id, b]));
    const lines: string[] = [];
    for (const [id, b] of before) {
      const a = after.get(id);
      if (!a) lines.push(`broker ${id} (${b.host}) is gone`);
      else
        for (const k of ['ip', 'host', 'subnetId'] as const)
          if (a[k] !== b[k]) lines.push(`broker ${id}: ${k} ${b[k]} -> ${a[k]}`);
    }
    for (const [id, a] of after) if (!before.has(id)) lines.push(`broker ${id} (${a.host}) is new`);
    out.push(...(lines.length > 0 ? lines : ['the inventory changed (cluster version, mode or VPC)']));
  }
  return out;
}
