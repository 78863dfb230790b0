import { ClientPool, type ClientPoolOptions } from '../aws/clients.js';
import { loadConfig, loadInventory } from '../config/load.js';
import type { Config, Inventory } from '../config/schema.js';
import { discover, resolveSubnetAzIds, type DiscoverOptions } from '../discovery/discover.js';
import { MplError } from '../errors.js';
import { silent, type Reporter } from '../events.js';
import type { RunDeps } from '../executor/context.js';
import { DEFAULT_RETRY, type EngineOptions, type RetryOptions } from '../executor/engine.js';
import type { AdminSource } from '../kafka/admin.js';
import type { WaitOptions } from '../kinds/kind.js';
import { loadMonitor, planInputs, type PlanInputs } from '../plan/inputs.js';
import {
  loadBalancersWithoutGroups,
  resolveSubnets,
  unresolvedSubnetIds,
  type PlanInput,
} from '../planner/input.js';
import { localStateFile, LocalStateBackend } from '../state/local.js';
import { defaultS3StateKey, S3StateBackend } from '../state/s3.js';
import { StateStore, type StateBackend } from '../state/store.js';
import { kafkaAccessFor } from './kafka-access.js';

/** Real AWS: NLBs take minutes to become active ("Network Load Balancers", ELB user guide). */
export const DEFAULT_WAIT: WaitOptions = { intervalMs: 5_000, timeoutMs: 30 * 60_000 };

/** The wait and retry options of a stack: given ones, else the defaults in `timeFactor`'s time. */
function timing(opts: StackOptions): { wait: WaitOptions; retry: RetryOptions } {
  const f = opts.timeFactor ?? 1;
  return {
    wait: opts.wait ?? { ...DEFAULT_WAIT, intervalMs: Math.max(1, Math.round(DEFAULT_WAIT.intervalMs * f)) },
    retry: opts.retry ?? { ...DEFAULT_RETRY, baseDelayMs: Math.round(DEFAULT_RETRY.baseDelayMs * f) },
  };
}

/** How a stack is opened: credentials, the event stream, and the engine's knobs. */
export interface StackOptions {
  /** AWS profile for the base credentials (roles in the config are assumed with them). */
  profile?: string;
  /** Must equal the config's region when given (the stack lives in the config's region). */
  region?: string;
  reporter?: Reporter;
  /** Take the state lock (apply, destroy): a second run is refused, naming the holder. */
  lock?: string;
  wait?: WaitOptions;
  retry?: RetryOptions;
  parallelism?: number;
  /** Per-account SDK overrides (tests: the emulator's endpoint and keys); the SDK's defaults otherwise. */
  configFor?: ClientPoolOptions['configFor'];
  /**
   * Seconds here per AWS second (default 1): scales the client's waits (the default poll interval,
   * the rate limiter's refill, a failed step's back-off) for benchmarks against an AWS twin that
   * runs AWS's timings faster. Timeouts are not scaled.
   */
  timeFactor?: number;
  /** S3 state: the lock's lease in seconds (default: the config's state.lockLeaseSeconds, else 120). */
  lockLeaseSeconds?: number;
}

/** Everything an online operation needs for one stack: config, inventory, clients, state. */
export interface Stack {
  configFile: string;
  config: Config;
  /** What a plan of this stack reads: digests of the config, inventory and CA file; the brokers. */
  inputs: PlanInputs;
  inventory: Inventory;
  input: PlanInput;
  pool: ClientPool;
  backend: StateBackend;
  store: StateStore;
  reporter: Reporter;
  /** What refresh and the engine run with. */
  engine: EngineOptions;
}

/** One client pool per stack: roles per account, every call reported as an `aws-call` event. */
/** The role the config names per account (the provider's first, then each consumer's). */
export function configRoles(config: Config): Record<string, string> {
  const roles: Record<string, string> = {};
  if (config.provider.roleArn !== undefined) roles[config.provider.account] = config.provider.roleArn;
  for (const c of config.consumers) if (c.roleArn !== undefined) roles[c.account] ??= c.roleArn;
  return roles;
}

export function poolFor(config: Config | undefined, opts: StackOptions): ClientPool {
  const roleArns: Record<string, string | undefined> = {};
  if (config) {
    roleArns[config.provider.account] = config.provider.roleArn;
    for (const c of config.consumers) roleArns[c.account] ??= c.roleArn;
  }
  const reporter = opts.reporter ?? silent;
  return new ClientPool({
    roleArns,
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
    ...(opts.configFor === undefined ? {} : { configFor: opts.configFor }),
    ...(opts.timeFactor === undefined ? {} : { timeFactor: opts.timeFactor }),
    onCall: (call) => reporter.emit({ type: 'aws-call', ...call }),
  });
}

/**
 * The config's state backend: S3 (the lock a lease of `lockLeaseSeconds`, else the config's, else
 * 120 s), or the local file (`state.path`, else beside the config file; a state left at the old
 * default in the working directory is refused with STATE_MOVED, never silently replaced by an empty one).
 */
export function backendFor(
  config: Config,
  configFile: string,
  pool: ClientPool,
  opts: Pick<StackOptions, 'reporter' | 'lockLeaseSeconds'> = {},
): StateBackend {
  const reporter = opts.reporter ?? silent;
  const log = (level: 'info' | 'warn', message: string) => reporter.emit({ type: 'log', level, message });
  if (config.state.backend === 's3') {
    const s3 = pool.for(config.provider.account, config.region).s3;
    const leaseSeconds = opts.lockLeaseSeconds ?? config.state.lockLeaseSeconds;
    return new S3StateBackend(
      s3,
      config.state.bucket as string,
      config.state.key ?? defaultS3StateKey(config.name),
      { configFile, log, ...(leaseSeconds === undefined ? {} : { leaseMs: leaseSeconds * 1000 }) },
    );
  }
  const { file, movedFrom } = localStateFile(config, configFile);
  return new LocalStateBackend(file, { configFile, log, ...(movedFrom === undefined ? {} : { movedFrom }) });
}

export function checkRegion(config: Config, configFile: string, region: string | undefined): void {
  if (region !== undefined && region !== config.region) {
    throw new MplError(
      'REGION_MISMATCH',
      `--region ${region} differs from the config's region ${config.region}`,
      {
        where: `${configFile}: region`,
        detail: "The stack lives in the config's region; drop --region or change the config.",
      },
    );
  }
}

/** The inventory: the brokers file, or MSK through the provider account; bare subnet ids resolved with EC2. */
async function readInventory(
  config: Config,
  configFile: string,
  pool: ClientPool,
  discovery: DiscoverOptions = {},
) {
  const provider = pool.for(config.provider.account, config.region);
  const inventory =
    config.cluster.brokersFile !== undefined
      ? await loadInventory(config.cluster.brokersFile, `${configFile}: cluster.brokersFile`)
      : await discover(provider, config.cluster.arn as string, discovery);
  const lookup = new Map<string, string>();
  const missing = new Set(unresolvedSubnetIds(config, inventory));
  const owners = [
    { account: config.provider.account, region: config.region, subnets: config.provider.subnets ?? [] },
    ...config.consumers.map((c) => ({
      account: c.account,
      region: c.region ?? config.region,
      subnets: c.subnets,
    })),
  ];
  for (const o of owners) {
    const ids = o.subnets.filter((s): s is string => typeof s === 'string' && missing.has(s));
    if (ids.length === 0) continue;
    for (const [id, az] of await resolveSubnetAzIds(pool.for(o.account, o.region).ec2, ids))
      lookup.set(id, az);
  }
  return { inventory, subnets: resolveSubnets(config, inventory, configFile, lookup) };
}

/**
 * Opens a stack against live AWS (describe calls only), runs `fn`, and always releases what it
 * took: the state lock (when `lock` is given) and the SDK clients.
 */
export async function withStack<T>(
  configFile: string,
  opts: StackOptions,
  fn: (stack: Stack) => Promise<T>,
): Promise<T> {
  const config = await loadConfig(configFile);
  checkRegion(config, configFile, opts.region);
  const reporter = opts.reporter ?? silent;
  const pool = poolFor(config, opts);
  try {
    // A cluster still updating (a configuration a killed run started restarts the brokers) is
    // waited for, not refused: the run that follows finishes what the killed one began.
    const { inventory, subnets } = await readInventory(config, configFile, pool, {
      wait: timing(opts).wait,
      log: (message) => reporter.emit({ type: 'log', level: 'info', message }),
    });
    const monitor = await loadMonitor(config, configFile);
    const inputs = await planInputs(config, configFile, inventory, monitor);
    const backend = backendFor(config, configFile, pool, opts);
    const held = opts.lock === undefined ? undefined : await backend.lock(opts.lock);
    try {
      const store = await StateStore.open(backend, config.name);
      if (store.state.stack !== config.name) {
        throw new MplError(
          'STATE_MISMATCH',
          `the state at ${backend.location} belongs to stack "${store.state.stack}", not "${config.name}"`,
        );
      }
      // An account the config no longer names is reached through the role state kept for it.
      pool.rememberRoles(store.state.roles);
      store.noteRoles(configRoles(config));
      const input: PlanInput = {
        config,
        inventory,
        configFile,
        ...subnets,
        prior: {
          portAssignments: store.state.portAssignments,
          // NLBs an earlier version made without a security group: kept so (planner/input.ts).
          loadBalancersWithoutGroups: loadBalancersWithoutGroups(store.instances()),
        },
        ...(monitor ? { monitor } : {}),
      };
      let kafka: Promise<AdminSource> | undefined;
      const deps: RunDeps = {
        stack: config.name,
        pool,
        store,
        wait: timing(opts).wait,
        reporter,
        parallelism: opts.parallelism ?? 8,
        // Prepared on first use: only pattern 2's broker settings need the brokers' admin API.
        kafka: () => (kafka ??= kafkaAccessFor(config, inventory, configFile)),
      };
      const engine: EngineOptions = { ...deps, retry: timing(opts).retry };
      return await fn({
        configFile,
        config,
        inputs,
        inventory,
        input,
        pool,
        backend,
        store,
        reporter,
        engine,
      });
    } finally {
      if (held) await backend.unlock(held);
    }
  } finally {
    pool.destroy();
  }
}
