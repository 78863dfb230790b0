// AWS twin: starts test/testbed/aws/launcher.py (moto's server plus this project's gaps) on a free
// loopback port, and talks to its JSON control endpoint under /_twin/.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

const HERE = dirname(fileURLToPath(import.meta.url));
const LAUNCHER = join(HERE, 'launcher.py');
const REQUIREMENTS = join(HERE, 'requirements.txt');

export interface TimeSettings {
  factor: number;
  delaysMs: Required<DelaysMs>;
}

export interface DelaysMs {
  /** ELBv2 load balancer provisioning -> active. */
  nlbActiveMs?: number;
  /** EC2 interface endpoint pending -> available (after acceptance when required). */
  endpointAvailableMs?: number;
  /** EC2 endpoint deleting -> gone from DescribeVpcEndpoints. */
  endpointDeleteMs?: number;
  /** Route 53 change PENDING -> INSYNC. */
  route53ChangeMs?: number;
  /** MSK cluster created through the API: CREATING -> ACTIVE (seeded clusters start ACTIVE). */
  mskActiveMs?: number;
  /** VPC Lattice resource gateway CREATE_IN_PROGRESS -> ACTIVE (a deleted one goes after endpointDeleteMs). */
  resourceGatewayActiveMs?: number;
  /** Lambda function Pending -> Active (Invoke answers ResourceConflictException until then). */
  lambdaActiveMs?: number;
  /** A deleted VPC function's network interfaces stay in use this long (their security group and subnet cannot be deleted). */
  lambdaEniReleaseMs?: number;
  /** One broker's restart in an MSK rolling restart (UpdateClusterConfiguration, UpdateConnectivity) when no driver is registered. */
  mskBrokerRestartMs?: number;
  /** MSK managed VPC connection CREATING -> AVAILABLE, REJECTING -> REJECTED, DELETING -> gone. */
  mskVpcConnectionMs?: number;
  /** One minute of a rate() schedule when auto-firing is on (default 60000; e.g. 500 in tests). */
  schedulerMinuteMs?: number;
  /** A secret deleted with ForceDeleteWithoutRecovery: its name cannot be created again for this long. */
  secretDeleteMs?: number;
}

/** GET /_twin/lambda/invocations: one Invoke as the twin received it. */
export interface LambdaInvocation {
  at: string;
  account: string;
  region: string;
  function: string;
  invocationType: 'RequestResponse' | 'Event' | 'DryRun';
  /** The request's payload as sent (text). */
  payload: string;
  /** The function's execution role and its inline policies (name -> document) when it was invoked. */
  role: { arn: string; inlinePolicies: Record<string, unknown> };
}

/** GET /_twin/crash: the armed crash (after null when disarmed). */
export interface CrashState {
  after: number | null;
  pid?: number | null;
  /** Successful mutating calls counted since arming. */
  seen?: number;
  /** `service:Action` of the call after which the process was killed; null until then. */
  fired?: string | null;
  calls?: string[];
}

/** GET /_twin/iam: IAM enforcement for assumed-role callers, and the calls it refused. */
export interface IamState {
  enforce: boolean;
  denials: Array<{ role: string; action: string; resource: string; call: string }>;
}

export interface StartAwsTwinOptions {
  region?: string;
  delaysMs?: DelaysMs;
  throttling?: boolean;
  /** Twin seconds per AWS second (TwinControl.setTime); 1 by default. */
  timeFactor?: number;
  /** Where the launcher's stdout/stderr go; discarded when absent. */
  logFile?: string;
  /** Python interpreter; default $TWIN_PYTHON or python3. */
  python?: string;
  startTimeoutMs?: number;
}

export interface MskBrokerSeed {
  id: number;
  clientVpcIp: string;
  clientSubnet: string;
  /** Broker DNS name; default b-<id>.<cluster>.<shortId>.c<cell>.kafka.<region>.amazonaws.com */
  endpoint?: string;
  eniId?: string;
}

/**
 * The cluster's starting MSK configuration: a new one made from server properties (revision 1), or an
 * existing one. Absent: MSK's default configuration (DescribeCluster reports no ConfigurationArn).
 */
export type MskSeedConfiguration =
  | { serverProperties: string; name?: string; description?: string; kafkaVersions?: string[] }
  | { arn: string; revision?: number };

export interface MskClusterSeed {
  account: string;
  region?: string;
  clusterName: string;
  /** e.g. "3.9.x"; KRaft clusters get ".kraft" appended when metadataMode is KRAFT. */
  kafkaVersion?: string;
  metadataMode?: 'ZOOKEEPER' | 'KRAFT';
  brokerType?: 'standard' | 'express';
  instanceType?: string;
  serverless?: boolean;
  /** The 6-character id in broker names. */
  shortId?: string;
  cell?: number;
  clientBroker?: 'TLS' | 'TLS_PLAINTEXT' | 'PLAINTEXT';
  auth?: { unauthenticated?: boolean; tls?: boolean; scram?: boolean; iam?: boolean };
  brokers?: MskBrokerSeed[];
  /** Serverless only: the VPC config's subnets. */
  subnets?: string[];
  securityGroups?: string[];
  tags?: Record<string, string>;
  /** Overrides the GetBootstrapBrokers answer (camelCase wire names, e.g. bootstrapBrokerStringTls). */
  bootstrap?: Record<string, string>;
  state?: string;
  /** Provisioned only; checked like UpdateClusterConfiguration checks it (e.g. custom.advertised.listeners). */
  configuration?: MskSeedConfiguration;
}

export interface SeededBroker {
  id: number;
  endpoint: string;
  clientVpcIp: string;
  clientSubnet: string;
  eniId: string;
}

export interface SeededCluster {
  clusterArn: string;
  brokers: SeededBroker[];
  /** Provisioned: the client listeners the cluster has (from clientBroker and auth), name -> port. */
  listeners?: Record<string, number>;
  /** Provisioned: the configuration in effect; null for MSK's default. */
  configuration?: { arn: string; revision: number } | null;
  currentVersion?: string;
}

/** Listener name (e.g. CLIENT_SECURE) -> "host:port" a broker advertises instead of MSK's default. */
export type AdvertisedListeners = Record<string, string>;

/** MSK's multi-VPC private connectivity schemes (VpcConnectivityClientAuthentication: Sasl.Iam, Sasl.Scram, Tls). */
export type VpcConnectivityScheme = 'iam' | 'scram' | 'tls';

/**
 * Multi-VPC private connectivity listeners of one broker: scheme -> the "host:port" it advertises,
 * "b-<id>.<scheme>.<cluster domain>:<14000+id>" (UpdateConnectivity; {} = none).
 */
export type VpcListeners = Partial<Record<VpcConnectivityScheme, string>>;

/** One broker's restart in a rolling restart, waiting for the cluster's driver. */
export interface MskRestartStep {
  clusterArn: string;
  operationArn: string;
  brokerId: number;
  /** Resolved custom.advertised.listeners of the target configuration; {} means MSK's defaults. */
  advertised: AdvertisedListeners;
  /** The multi-VPC connectivity listeners the broker runs with after the step (absent: none). */
  vpcListeners?: VpcListeners;
  /** PENDING until the driver reports it started. */
  status: 'PENDING' | 'IN_PROGRESS';
  /** Position in the rolling restart (brokers go one at a time, by id). */
  index: number;
  total: number;
}

export interface MskRestartReport {
  operationArn: string;
  brokerId: number;
  /** done: the broker is back with its new listeners; failed: the operation ends UPDATE_FAILED. */
  status: 'started' | 'done' | 'failed';
  message?: string;
}

export interface MskBrokerAdd {
  clusterArn: string;
  clientVpcIp: string;
  /** Default: one more than the highest id. */
  brokerId?: number;
  endpoint?: string;
  /** Default: the subnet with the fewest brokers (seeding's round robin). */
  clientSubnet?: string;
  eniId?: string;
}

interface RuleMatch {
  /** moto's service name: ec2, elbv2, route53, kafka, ssm, sts, iam, vpc-lattice, ram, ... ("*" = any). */
  service: string;
  /** API action, e.g. CreateVpcEndpoint ("*" or absent = any). */
  action?: string;
  account?: string;
  /** Applies this many times, then disappears; unlimited when absent. */
  count?: number;
  /** Chance per matching call, (0, 1]; default 1. */
  probability?: number;
}

export interface FaultSpec extends RuleMatch {
  /** error: the named code; throttle: the service's own throttling error; 5xx: a server error. */
  kind: 'error' | 'throttle' | '5xx';
  code?: string;
  status?: number;
  message?: string;
}

export interface LatencySpec extends RuleMatch {
  ms: number;
}

export interface CounterRow {
  account: string;
  region: string;
  service: string;
  action: string;
  mutating: boolean;
  /** Every call received, including the throttled and faulted ones. */
  calls: number;
  throttled: number;
  faulted: number;
}

export interface CounterFilter {
  account?: string;
  region?: string;
  service?: string;
  action?: string;
  mutating?: boolean;
}

/** Which EventBridge Scheduler schedules fireSchedules delivers: the account's in the region, narrowed by name and group. */
export interface ScheduleFireSpec {
  account: string;
  /** Default us-east-1. */
  region?: string;
  name?: string;
  groupName?: string;
}

/** One delivery of a schedule to its Lambda target (fired, or automatic). */
export interface ScheduleInvocation {
  scheduleArn: string;
  name: string;
  groupName: string;
  account: string;
  region: string;
  targetArn: string;
  /** <aws.scheduler.scheduled-time>, e.g. 2026-03-22T18:59:43Z. */
  scheduledTime: string;
  executionId: string;
  attemptNumber: number;
  /** The event the function got: Target.Input with its context attributes filled in ("{}" without Input). */
  input: string;
  /**
   * delivered: Lambda accepted the Event invocation (202) and the run has ended; failed: not delivered
   * (execution role not assumable, function missing or not Active); unsupported: not a Lambda function target.
   */
  status: 'delivered' | 'failed' | 'unsupported';
  statusCode?: number;
  requestId?: string;
  /** "Unhandled" when the handler threw or timed out: Lambda's to retry, so the delivery still counts. */
  functionError?: string | null;
  /** What the handler returned (or Lambda's error object), parsed. */
  result?: unknown;
  /** START/console/END/REPORT lines of the run. */
  logs?: string;
  errorCode?: string;
  errorMessage?: string;
  /** Fired by auto-firing rather than fireSchedules. */
  auto: boolean;
}

export interface ScheduleFireResult {
  /** One per ENABLED schedule matched, in no particular order. */
  invocations: ScheduleInvocation[];
  /** Matched but not fired: DISABLED, or past its EndDate. */
  skipped: Array<{
    scheduleArn: string;
    name: string;
    groupName: string;
    targetArn: string;
    reason: 'DISABLED' | 'ENDED';
  }>;
}

export interface SchedulerInvocationFilter {
  account?: string;
  region?: string;
  name?: string;
  groupName?: string;
  status?: ScheduleInvocation['status'];
}

export class TwinControl {
  constructor(readonly controlUrl: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.controlUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`twin control ${method} ${path}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** moto's reset (all resources, STS sessions) plus the twin's faults, latency, counters and buckets. */
  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }

  async seedMskCluster(spec: MskClusterSeed): Promise<string> {
    return (await this.seedMskClusterDetailed(spec)).clusterArn;
  }

  async seedMskClusterDetailed(spec: MskClusterSeed): Promise<SeededCluster> {
    return this.call<SeededCluster>('POST', '/msk/clusters', spec);
  }

  /** MSK replaced a broker's node: same id and name, a new client IP (ListNodes answers it). */
  async moveBroker(clusterArn: string, brokerId: number, clientVpcIp: string): Promise<void> {
    await this.call('POST', '/msk/brokers', { clusterArn, brokerId, clientVpcIp });
  }

  /**
   * A broker added to a seeded cluster (what MSK's UpdateBrokerCount leaves): ListNodes and
   * NumberOfBrokerNodes grow; it gets the custom advertised listeners of the cluster's configuration.
   */
  async addMskBroker(
    spec: MskBrokerAdd,
  ): Promise<SeededBroker & { advertised: AdvertisedListeners; vpcListeners?: VpcListeners }> {
    return this.call('POST', '/msk/nodes', spec);
  }

  /**
   * The custom advertised listeners and multi-VPC connectivity listeners `brokerId` (default: the
   * next id) gets under the cluster's configuration and connectivity, the configuration, and what
   * each broker runs with now (by id).
   */
  async mskAdvertised(
    clusterArn: string,
    brokerId?: number,
  ): Promise<{
    brokerId: number;
    advertised: AdvertisedListeners;
    /** Present while multi-VPC connectivity is on: the listeners `brokerId` would get. */
    vpcListeners?: VpcListeners;
    configuration: { arn: string; revision: number } | null;
    brokers: Record<string, AdvertisedListeners>;
    /** Present while some broker has multi-VPC connectivity listeners: each broker's now. */
    brokersVpc?: Record<string, VpcListeners>;
  }> {
    const query = new URLSearchParams({ clusterArn });
    if (brokerId !== undefined) query.set('brokerId', String(brokerId));
    return this.call('GET', `/msk/advertised?${query.toString()}`);
  }

  /** From now on, rolling restarts of the cluster wait for reportMskRestart instead of mskBrokerRestartMs. */
  async registerMskDriver(clusterArn: string): Promise<void> {
    await this.call('POST', '/msk/driver', { clusterArn });
  }

  /** Restarts waiting for the driver go on by the clock again (mskBrokerRestartMs each). */
  async unregisterMskDriver(clusterArn: string): Promise<void> {
    await this.call('DELETE', '/msk/driver', { clusterArn });
  }

  /** The broker restarts of the cluster's running operation that wait for its driver (at most one). */
  async mskRestarts(clusterArn: string): Promise<MskRestartStep[]> {
    const qs = new URLSearchParams({ clusterArn }).toString();
    return (await this.call<{ restarts: MskRestartStep[] }>('GET', `/msk/restarts?${qs}`)).restarts;
  }

  async reportMskRestart(report: MskRestartReport): Promise<{ operationState: string }> {
    return this.call('POST', '/msk/restarts', report);
  }

  async injectFault(spec: FaultSpec): Promise<void> {
    await this.call('POST', '/faults', spec);
  }

  async injectLatency(spec: LatencySpec): Promise<void> {
    await this.call('POST', '/latency', spec);
  }

  /** Removes every fault and latency rule. */
  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults');
  }

  async counters(filter: CounterFilter = {}): Promise<CounterRow[]> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) {
      if (value !== undefined) query.set(key, String(value));
    }
    const qs = query.toString();
    const out = await this.call<{ counters: CounterRow[] }>('GET', `/counters${qs ? `?${qs}` : ''}`);
    return out.counters;
  }

  /** Sum of calls matching the filter (e.g. { account, mutating: true } for "no-change plan makes no writes"). */
  async callCount(filter: CounterFilter = {}): Promise<number> {
    return (await this.counters(filter)).reduce((sum, row) => sum + row.calls, 0);
  }

  /**
   * Crash injection: after `afterMutating` successful mutating calls (STS excluded) the twin SIGKILLs
   * the process named by `crashPid`, before the k-th call's answer reaches it (twin_crash.py).
   */
  async armCrash(afterMutating: number): Promise<void> {
    await this.call('POST', '/crash', { afterMutating });
  }

  async crashPid(pid: number): Promise<void> {
    await this.call('POST', '/crash', { pid });
  }

  async crashState(): Promise<CrashState> {
    return this.call<CrashState>('GET', '/crash');
  }

  async disarmCrash(): Promise<void> {
    await this.call('DELETE', '/crash');
  }

  /**
   * IAM enforcement (twin_iam.py): calls made with assumed-role credentials are authorized against
   * the role's inline policies; static twin keys stay unrestricted.
   */
  async setIamEnforcement(enforce: boolean, clearDenials = true): Promise<IamState> {
    return this.call<IamState>('POST', '/iam', { enforce, clearDenials });
  }

  async iamState(): Promise<IamState> {
    return this.call<IamState>('GET', '/iam');
  }

  async resetCounters(): Promise<void> {
    await this.call('DELETE', '/counters');
  }

  async setDelays(delays: DelaysMs): Promise<Required<DelaysMs>> {
    return (await this.call<{ delaysMs: Required<DelaysMs> }>('POST', '/delays', delays)).delaysMs;
  }

  async delays(): Promise<Required<DelaysMs>> {
    return (await this.call<{ delaysMs: Required<DelaysMs> }>('GET', '/delays')).delaysMs;
  }

  /**
   * The time factor: twin seconds per AWS second. Every delay, bucket refill and injected latency
   * scales by it, so a benchmark sets AWS's own delays (src/aws/timings.ts) and runs them faster.
   */
  async setTime(t: { factor: number }): Promise<TimeSettings> {
    return this.call<TimeSettings>('POST', '/time', t);
  }

  async time(): Promise<TimeSettings> {
    return this.call<TimeSettings>('GET', '/time');
  }

  /**
   * Token buckets per account and API family, sized to AWS's API throttling pages (cited in
   * twin_state.py); off by default.
   */
  async setThrottling(on: boolean): Promise<void> {
    await this.call('POST', '/throttling', { enabled: on });
  }

  /**
   * The DNS server ("ip:port") that answers inside `account`'s VPCs (or only `vpcId`, which wins
   * over the account's entry): names a Lambda function in such a VPC resolves go to it. Without
   * one, functions use the system resolver. A reset clears these.
   */
  async setLambdaResolver(account: string, dns: string, vpcId?: string): Promise<void> {
    await this.call(
      'POST',
      '/lambda/resolvers',
      vpcId === undefined ? { account, dns } : { account, dns, vpcId },
    );
  }

  async lambdaResolvers(): Promise<Array<{ account: string; vpcId: string | null; dns: string }>> {
    return (
      await this.call<{ resolvers: Array<{ account: string; vpcId: string | null; dns: string }> }>(
        'GET',
        '/lambda/resolvers',
      )
    ).resolvers;
  }

  /**
   * Every Lambda Invoke the twin received (newest last, at most 500; a reset clears them): the payload
   * exactly as sent and the execution role's inline policies at that moment.
   */
  async lambdaInvocations(filter: { account?: string; name?: string } = {}): Promise<LambdaInvocation[]> {
    const query = new URLSearchParams();
    if (filter.account !== undefined) query.set('account', filter.account);
    if (filter.name !== undefined) query.set('name', filter.name);
    const qs = query.toString();
    return (
      await this.call<{ invocations: LambdaInvocation[] }>('GET', `/lambda/invocations${qs ? `?${qs}` : ''}`)
    ).invocations;
  }

  async clearLambdaInvocations(): Promise<void> {
    await this.call('DELETE', '/lambda/invocations');
  }

  /**
   * Delivers the matching ENABLED schedules to their Lambda targets now, as EventBridge Scheduler does
   * (execution role assumed, Invoke with InvocationType Event and Target.Input), and answers once every
   * run has ended. An unknown `name` or `groupName` is an error.
   */
  async fireSchedules(spec: ScheduleFireSpec): Promise<ScheduleFireResult> {
    return this.call<ScheduleFireResult>('POST', '/scheduler/fire', spec);
  }

  /**
   * Auto-firing: ENABLED rate() schedules fire by themselves, at once and then every N minutes of
   * `schedulerMinuteMs` (setDelays); off by default, and a reset leaves the switch as it is.
   */
  async setSchedulerAutoFire(enabled: boolean): Promise<{ enabled: boolean; minuteMs: number }> {
    return this.call('POST', '/scheduler/auto', { enabled });
  }

  async schedulerAutoFire(): Promise<{ enabled: boolean; minuteMs: number }> {
    return this.call('GET', '/scheduler/auto');
  }

  /** Deliveries so far (fired and automatic, oldest first, the last 500); a reset clears them. */
  async schedulerInvocations(filter: SchedulerInvocationFilter = {}): Promise<ScheduleInvocation[]> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) {
      if (value !== undefined) query.set(key, String(value));
    }
    const qs = query.toString();
    const path = `/scheduler/invocations${qs ? `?${qs}` : ''}`;
    return (await this.call<{ invocations: ScheduleInvocation[] }>('GET', path)).invocations;
  }

  async clearSchedulerInvocations(): Promise<void> {
    await this.call('DELETE', '/scheduler/invocations');
  }

  /**
   * Every account holding a VPC of its own (moto's default VPC left out), with those VPCs;
   * `region` narrows it to one region's. The network twin follows accounts made later by this.
   */
  async accounts(region?: string): Promise<Array<{ account: string; vpcs: string[] }>> {
    const qs = region ? `?region=${encodeURIComponent(region)}` : '';
    return (
      await this.call<{ accounts: Array<{ account: string; vpcs: string[] }> }>('GET', `/accounts${qs}`)
    ).accounts;
  }
}

export interface AwsTwin {
  /** AWS API endpoint for every service (AWS_ENDPOINT_URL). */
  endpoint: string;
  controlUrl: string;
  region: string;
  control: TwinControl;
  pid: number;
  /** Milliseconds from spawn to the first answer. */
  startupMs: number;
  stop(): Promise<void>;
}

// launcher.py exits with this code when moto (or its server extras) cannot be imported.
const MISSING_MOTO_EXIT = 3;

function installMoto(python: string): void {
  // Pinned in requirements.txt (moto[server]==5.2.1); only runs when the import failed.
  const install = spawnSync(python, ['-m', 'pip', 'install', '--quiet', '-r', REQUIREMENTS], {
    encoding: 'utf8',
  });
  if (install.status !== 0) {
    throw new Error(`could not install moto from ${REQUIREMENTS}: ${install.stderr || install.stdout}`);
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort when a test run ends without stop(); the launcher also exits on stdin EOF.
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

interface Launched {
  child: ChildProcess;
  port: number;
}

class MissingMotoError extends Error {}

function launch(
  python: string,
  config: { delaysMs: DelaysMs; throttling: boolean; timeFactor?: number },
  timeoutMs: number,
  logStream: WriteStream | undefined,
): Promise<Launched> {
  const child = spawn(python, [LAUNCHER, '--port', '0', '--config', JSON.stringify(config)], {
    // stdin stays open: the launcher exits when it closes, so it never outlives this process.
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  killOnExit(child);
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    logStream?.write(chunk);
    stderrTail = (stderrTail + chunk.toString()).slice(-2000);
  });
  return new Promise<Launched>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`AWS twin did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    let ready = false;
    lines.on('line', (line) => {
      if (!ready) {
        try {
          const msg = JSON.parse(line) as { ready?: boolean; port?: number };
          if (msg.ready && typeof msg.port === 'number') {
            ready = true;
            clearTimeout(timer);
            resolve({ child, port: msg.port });
            return;
          }
        } catch {
          // not the ready line
        }
      }
      logStream?.write(`${line}\n`);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (ready) return;
      if (code === MISSING_MOTO_EXIT) reject(new MissingMotoError('moto is not installed'));
      else
        reject(
          new Error(`AWS twin exited before it was ready (code ${code}, signal ${signal}): ${stderrTail}`),
        );
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function startAwsTwin(opts: StartAwsTwinOptions = {}): Promise<AwsTwin> {
  const region = opts.region ?? 'us-east-1';
  const python = opts.python ?? process.env.TWIN_PYTHON ?? 'python3';
  let logStream: WriteStream | undefined;
  if (opts.logFile) logStream = createWriteStream(opts.logFile, { flags: 'a' });

  const started = Date.now();
  const config = {
    delaysMs: opts.delaysMs ?? {},
    throttling: opts.throttling ?? false,
    ...(opts.timeFactor === undefined ? {} : { timeFactor: opts.timeFactor }),
  };
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  let launched: Launched;
  try {
    launched = await launch(python, config, timeoutMs, logStream);
  } catch (err) {
    if (!(err instanceof MissingMotoError)) throw err;
    installMoto(python);
    launched = await launch(python, config, timeoutMs, logStream);
  }
  const { child, port } = launched;

  const endpoint = `http://127.0.0.1:${port}`;
  const control = new TwinControl(`${endpoint}/_twin`);
  const health = await fetch(`${endpoint}/_twin/health`).catch((err: unknown) => err as Error);
  if (health instanceof Error || !health.ok) {
    child.kill('SIGKILL');
    throw new Error(
      `AWS twin health check failed: ${health instanceof Error ? health.message : health.status}`,
    );
  }
  const startupMs = Date.now() - started;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        logStream?.end();
        resolve();
        return;
      }
      const force = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(force);
        logStream?.end();
        resolve();
      });
      child.stdin?.end();
      child.kill('SIGTERM');
    });
    return stopping;
  };

  return { endpoint, controlUrl: control.controlUrl, region, control, pid: child.pid ?? -1, startupMs, stop };
}

export interface TwinClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
}

/** The twin maps access key "AKIA<12-digit account>TWIN" to that account; it survives reset(). */
export function twinAccessKeyId(account: string): string {
  if (!/^\d{12}$/.test(account)) throw new Error(`not an AWS account id: ${account}`);
  return `AKIA${account}TWIN`;
}

/** SDK v3 client config acting in `account` (static test keys; no STS round trip). */
export function clientConfigFor(
  twin: Pick<AwsTwin, 'endpoint' | 'region'>,
  account: string,
  extra: { maxAttempts?: number; region?: string } = {},
): TwinClientConfig {
  const config: TwinClientConfig = {
    endpoint: twin.endpoint,
    region: extra.region ?? twin.region,
    credentials: { accessKeyId: twinAccessKeyId(account), secretAccessKey: 'twin-test-secret' },
  };
  if (extra.maxAttempts !== undefined) config.maxAttempts = extra.maxAttempts;
  return config;
}

/** SDK v3 client config from a real STS AssumeRole into arn:aws:iam::<account>:role/<roleName> on the twin. */
export async function assumeRoleConfigFor(
  twin: Pick<AwsTwin, 'endpoint' | 'region'>,
  account: string,
  roleName = 'msk-privatelink-test',
  from: string = account,
): Promise<TwinClientConfig> {
  const sts = new STSClient(clientConfigFor(twin, from));
  try {
    const out = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${roleName}`, RoleSessionName: 'twin' }),
    );
    const creds = out.Credentials;
    if (!creds?.AccessKeyId || !creds.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
    return {
      endpoint: twin.endpoint,
      region: twin.region,
      credentials: {
        accessKeyId: creds.AccessKeyId,
        secretAccessKey: creds.SecretAccessKey,
        sessionToken: creds.SessionToken,
      },
    };
  } finally {
    sts.destroy();
  }
}

/** Environment for a process (the CLI, a shell) acting in `account` against the twin; the SDK reads these itself. */
export function envFor(twin: Pick<AwsTwin, 'endpoint' | 'region'>, account: string): Record<string, string> {
  const config = clientConfigFor(twin, account);
  return {
    AWS_ENDPOINT_URL: config.endpoint,
    AWS_REGION: config.region,
    AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
  };
}
