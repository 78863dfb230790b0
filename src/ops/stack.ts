import { readFile } from 'node:fs/promises';
import { ClientPool, type ClientPoolOptions } from '../aws/clients.js';
import { loadConfig, loadInventory } from '../config/load.js';
import type { Config, Inventory } from '../config/schema.js';
import { discover, resolveSubnetAzIds } from '../discovery/discover.js';
import { MplError } from '../errors.js';
import { resolveSubnets, unresolvedSubnetIds, type PlanInput } from '../planner/input.js';
import { digestOf } from '../plan/plan-file.js';
import { defaultStatePath, LocalStateBackend } from '../state/local.js';
import { S3StateBackend } from '../state/s3.js';
import { StateStore, type StateBackend } from '../state/store.js';

/** Everything an online command needs for one stack: config, inventory, clients, state. */
export interface Stack {
  configFile: string;
  config: Config;
  configDigest: string;
  inventory: Inventory;
  input: PlanInput;
  pool: ClientPool;
  backend: StateBackend;
  store: StateStore;
  /** Releases the state lock when the stack was opened with `lock` (a no-op otherwise). */
  release(): Promise<void>;
}

export interface OpenOptions {
  profile?: string;
  /** Test hook: per-account SDK overrides (the emulator's endpoint and keys). */
  configFor?: ClientPoolOptions['configFor'];
  onCall?: ClientPoolOptions['onCall'];
  /** Take the state lock before reading state (apply, destroy): a second run is refused, naming the holder. */
  lock?: string;
}

export function poolFor(config: Config, opts: OpenOptions): ClientPool {
  const roleArns: Record<string, string | undefined> = { [config.provider.account]: config.provider.roleArn };
  for (const c of config.consumers) roleArns[c.account] ??= c.roleArn;
  return new ClientPool({
    roleArns,
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
    ...(opts.configFor === undefined ? {} : { configFor: opts.configFor }),
    ...(opts.onCall === undefined ? {} : { onCall: opts.onCall }),
  });
}

export function backendFor(config: Config, pool: ClientPool): StateBackend {
  if (config.state.backend === 's3') {
    const s3 = pool.for(config.provider.account, config.region).s3;
    return new S3StateBackend(
      s3,
      config.state.bucket as string,
      config.state.key ?? `msk-privatelink/${config.name}.state.json`,
    );
  }
  return new LocalStateBackend(config.state.path ?? defaultStatePath(config.name));
}

/**
 * Opens a stack against live AWS: reads the inventory (the brokers file, or MSK through the
 * provider account), resolves bare subnet ids to AZ IDs with EC2 in the account that owns them,
 * and reads state. Makes describe calls only.
 */
export async function openStack(configFile: string, opts: OpenOptions = {}): Promise<Stack> {
  const config = await loadConfig(configFile);
  const configDigest = digestOf(await readFile(configFile, 'utf8'));
  const pool = poolFor(config, opts);
  const provider = pool.for(config.provider.account, config.region);
  const inventory =
    config.cluster.brokersFile !== undefined
      ? await loadInventory(config.cluster.brokersFile, `${configFile}: cluster.brokersFile`)
      : await discover(provider, config.cluster.arn as string);
  const lookup = new Map<string, string>();
  const missing = new Set(unresolvedSubnetIds(config, inventory));
  if (missing.size > 0) {
    const owners: Array<{ account: string; ids: string[] }> = [
      {
        account: config.provider.account,
        ids: (config.provider.subnets ?? []).filter(
          (s): s is string => typeof s === 'string' && missing.has(s),
        ),
      },
      ...config.consumers.map((c) => ({
        account: c.account,
        ids: c.subnets.filter((s): s is string => typeof s === 'string' && missing.has(s)),
      })),
    ];
    for (const o of owners) {
      if (o.ids.length === 0) continue;
      for (const [id, az] of await resolveSubnetAzIds(pool.for(o.account, config.region).ec2, o.ids))
        lookup.set(id, az);
    }
  }
  const subnets = resolveSubnets(config, inventory, configFile, lookup);
  const backend = backendFor(config, pool);
  const held = opts.lock === undefined ? undefined : await backend.lock(opts.lock);
  const release = async () => {
    if (held) await backend.unlock(held);
  };
  let store: StateStore;
  try {
    store = await StateStore.open(backend, config.name);
  } catch (e) {
    await release();
    throw e;
  }
  if (store.state.stack !== config.name) {
    await release();
    throw new MplError(
      'STATE_MISMATCH',
      `the state at ${backend.location} belongs to stack "${store.state.stack}", not "${config.name}"`,
    );
  }
  const input: PlanInput = {
    config,
    inventory,
    configFile,
    ...subnets,
    prior: { portAssignments: store.state.portAssignments },
  };
  return { configFile, config, configDigest, inventory, input, pool, backend, store, release };
}
