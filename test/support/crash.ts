// Crash-and-resume harness: runs the CLI as a child process, SIGKILLs it at a chosen point of its
// `apply --json` event stream, runs apply again, then checks the end state against the twin: no
// change left to plan, no duplicate resource, every planned id in state, and after destroy nothing
// of the stack anywhere. Used by test/e2e/crash-resume.test.ts and test/sweep/crash-sweep.ts.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  DeleteVpcEndpointsCommand,
  paginateDescribeSecurityGroupRules,
  paginateDescribeSecurityGroups,
  paginateDescribeVpcEndpointServiceConfigurations,
  paginateDescribeVpcEndpoints,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeTagsCommand,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DeleteHostedZoneCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourceCommand,
  paginateListHostedZones,
  type ListResourceRecordSetsCommandInput,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { DescribeVpcConnectionCommand, paginateListVpcConnections } from '@aws-sdk/client-kafka';
import { GetResourceSharesCommand, RAMClient } from '@aws-sdk/client-ram';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  ListResourceConfigurationsCommand,
  ListResourceGatewaysCommand,
  ListTagsForResourceCommand as ListLatticeTagsCommand,
  VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import type { RunEvent } from '../../src/events.js';
import { describeBrokers, withAdmin, type KafkaAccess } from '../../src/kafka/admin.js';
import { TAG_ID, TAG_STACK } from '../../src/kinds/kind.js';
import type { Kind } from '../../src/kinds/index.js';
import type { Testbed } from '../testbed/testbed.js';
import { childEnv, cli, writeStackConfig } from './e2e.js';

/**
 * What a crash scenario needs of a testbed: the shared one (Kafka, network twin), or a twin-only one
 * for pattern 1, which makes no Kafka call (test/testbed/twin-bed.ts).
 */
export type CrashBed = Pick<
  Testbed,
  | 'region'
  | 'control'
  | 'accounts'
  | 'scenario'
  | 'clusterArn'
  | 'caPath'
  | 'caPem'
  | 'clientConfig'
  | 'clients'
  | 'env'
> & {
  kafka: { brokers: Array<{ id: number; host: string; ip: string }> };
  network: { resume(): Promise<void> };
};

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// ---------------------------------------------------------------------------------------------
// Running the CLI

/**
 * How the CLI is started: the built one (bin/msk-privatelink.js, what users run) when dist/ is at
 * least as new as every file under src/, else the sources through tsx (no build step, and no
 * write to the shared dist/ while others edit src/). MPL_E2E_CLI=dist|src forces one.
 */
export function cliCommand(): { argv: string[]; which: 'dist' | 'src' } {
  const forced = process.env.MPL_E2E_CLI;
  const distMain = path.join(ROOT, 'dist/cli/main.js');
  let which: 'dist' | 'src' = forced === 'dist' || forced === 'src' ? forced : 'dist';
  if (forced === undefined) {
    try {
      const built = statSync(distMain).mtimeMs;
      const newest = Math.max(
        ...readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
          .filter((f) => f.endsWith('.ts'))
          .map((f) => statSync(path.join(ROOT, 'src', f)).mtimeMs),
      );
      if (newest > built) which = 'src';
    } catch {
      which = 'src';
    }
  }
  if (which === 'dist') return { argv: [path.join(ROOT, 'bin/msk-privatelink.js')], which };
  const main = path.join(ROOT, 'src/cli/main.ts');
  return {
    argv: [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { main } from ${JSON.stringify(main)}; process.exitCode = await main(process.argv.slice(1));`,
    ],
    which,
  };
}

export type StepEvent = Extract<RunEvent, { type: 'start' | 'done' | 'failed' }>;

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The executor's events, in the order printed. */
  events: StepEvent[];
  /** The event after which the child was killed (when it was). */
  killedAt?: StepEvent;
  /** `service:Action` of the AWS call after which the twin killed the child (afterMutatingCalls). */
  killedAfterCall?: string;
  /** With afterMutatingCalls: the successful mutating calls the twin counted, in order. */
  mutatingCalls?: string[];
  out: string;
  err: string;
  ms: number;
}

export type KillRule =
  | {
      /** Decides, per event, whether to kill; may first wait (e.g. for a resource to appear in AWS). */
      at: (e: StepEvent, seen: readonly StepEvent[]) => boolean | Promise<boolean>;
    }
  | {
      /** The AWS twin kills the child right after its k-th successful mutating call (twin_crash.py). */
      afterMutatingCalls: number;
    };

function isStepEvent(v: unknown): v is StepEvent {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { type?: unknown }).type;
  return (t === 'start' || t === 'done' || t === 'failed') && typeof (v as { id?: unknown }).id === 'string';
}

/**
 * Runs `msk-privatelink <args>` as a child process with the testbed's env. With `kill`, every stdout
 * line that is an executor event goes to `kill.at`; when it says so the child gets SIGKILL at once.
 */
export async function runChild(
  tb: CrashBed,
  args: string[],
  kill?: KillRule,
  timeoutMs = 120_000,
): Promise<ChildRun> {
  const t0 = Date.now();
  const byTwin = kill !== undefined && 'afterMutatingCalls' in kill;
  if (byTwin) await tb.control.armCrash(kill.afterMutatingCalls);
  const child = spawn(process.execPath, [...cliCommand().argv, ...args, '--no-color'], {
    cwd: ROOT,
    env: childEnv(tb),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The child starts Node before its first AWS call: the pid is registered long before it is needed.
  if (byTwin) await tb.control.crashPid(child.pid as number);
  const run: ChildRun = { code: null, signal: null, events: [], out: '', err: '', ms: 0 };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => void (run.err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  let decided = false;
  let pending: Promise<void> = Promise.resolve();
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    run.out += `${line}\n`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (!isStepEvent(parsed)) return;
    const e = parsed;
    run.events.push(e);
    if (!kill || !('at' in kill) || decided) return;
    const seen = [...run.events];
    // Decisions run one after another, in event order; the first "yes" kills.
    pending = pending.then(async () => {
      if (decided) return;
      if (await kill.at(e, seen)) {
        decided = true;
        run.killedAt = e;
        child.kill('SIGKILL');
      }
    });
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  await pending.catch(() => undefined);
  if (byTwin) {
    const crash = await tb.control.crashState();
    await tb.control.disarmCrash();
    run.mutatingCalls = crash.calls ?? [];
    if (crash.fired) {
      decided = true;
      run.killedAfterCall = crash.fired;
    }
  }
  run.code = code;
  run.signal = signal;
  run.ms = Date.now() - t0;
  if (kill && !decided && signal === 'SIGKILL')
    throw new Error(`msk-privatelink ${args[0]} timed out after ${timeoutMs} ms`);
  return run;
}

/** A kill rule: the nth (1-based) event of this type and kind. */
export function nth(type: StepEvent['type'], kind: Kind, n = 1): KillRule {
  let count = 0;
  return {
    at: (e) => e.type === type && e.kind === kind && ++count === n,
  };
}

// ---------------------------------------------------------------------------------------------
// Stacks, plans and state

export interface StackUnderTest {
  name: string;
  pattern: 0 | 1 | 2 | 3;
  file: string;
  statePath: string;
}

export async function newStack(
  tb: CrashBed,
  name: string,
  pattern: 1 | 2 | 3,
  /** Pattern 2's mode; `default` leaves it to the planner (msk-configuration). */
  mode?: 'rewrite' | 'additive' | 'default',
): Promise<StackUnderTest> {
  const c = await writeStackConfig(tb, { name, pattern, ...(mode ? { mode } : {}) });
  return { name, pattern, file: c.file, statePath: c.statePath };
}

export interface PlannedChange {
  action: 'create' | 'update' | 'replace' | 'delete' | 'noop';
  kind: Kind;
  id: string;
  account: string;
  reason: string;
}

/** `plan --json`: the changes (noop included) and the exit code (0 none, 2 changes). */
export async function planOf(
  tb: CrashBed,
  s: StackUnderTest,
): Promise<{ code: number | null; changes: PlannedChange[]; ms: number }> {
  const r = await runChild(tb, ['plan', '--config', s.file, '--json']);
  if (r.code !== 0 && r.code !== 2) throw new Error(`plan exited ${String(r.code)}: ${r.err}`);
  const body = JSON.parse(r.out) as { changes: PlannedChange[] };
  return { code: r.code, changes: body.changes, ms: r.ms };
}

export interface StateEntry {
  kind: Kind;
  account: string;
  physicalId?: string;
  props: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export async function readState(s: StackUnderTest): Promise<Record<string, StateEntry>> {
  let text: string;
  try {
    text = await readFile(s.statePath, 'utf8');
  } catch {
    return {};
  }
  const state = JSON.parse(text) as { resources?: Record<string, StateEntry> };
  return state.resources ?? {};
}

// ---------------------------------------------------------------------------------------------
// What exists in the twin

/** Kinds that are AWS objects one can count; the others are settings on them (checked otherwise). */
export const COUNTED_KINDS = [
  'load-balancer',
  'target-group',
  'listener',
  'endpoint-service',
  'vpc-endpoint',
  'security-group',
  'security-group-rule',
  'hosted-zone',
  'dns-record',
  'ssm-parameter',
  'resource-gateway',
  'resource-configuration',
  'resource-share',
  'resource-endpoint',
  'vpc-connection',
] as const satisfies readonly Kind[];
export type CountedKind = (typeof COUNTED_KINDS)[number];

/** Physical ids found per `kind@account`. */
export type Inventory = Map<string, string[]>;

const key = (kind: Kind, account: string) => `${kind}@${account}`;
const GONE_SERVICE = new Set(['deleted', 'deleting', 'failed']);
const VPC_CONNECTION_GONE = new Set([
  'DELETING',
  'FAILED',
  'REJECTED',
  'REJECTING',
  'INACTIVE',
  'DEACTIVATING',
]);

function add(inv: Inventory, kind: Kind, account: string, id: string): void {
  const k = key(kind, account);
  inv.set(k, [...(inv.get(k) ?? []), id]);
}

async function allRecords(route53: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
  const out: ResourceRecordSet[] = [];
  let input: ListResourceRecordSetsCommandInput = { HostedZoneId: zoneId };
  for (;;) {
    const page = await route53.send(new ListResourceRecordSetsCommand(input));
    out.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated || page.NextRecordName === undefined) return out;
    input = {
      HostedZoneId: zoneId,
      StartRecordName: page.NextRecordName,
      StartRecordType: page.NextRecordType,
      ...(page.NextRecordIdentifier === undefined
        ? {}
        : { StartRecordIdentifier: page.NextRecordIdentifier }),
    };
  }
}

/** Names the stack's resources have (from state and/or the config), to find untagged leftovers. */
export interface KnownNames {
  byKind: Map<string, Set<string>>;
}

export function namesFromState(state: Record<string, StateEntry>, into?: KnownNames): KnownNames {
  const names = into ?? { byKind: new Map<string, Set<string>>() };
  for (const e of Object.values(state)) {
    const n = e.props.name;
    if (typeof n !== 'string' || n === '') continue;
    const k = key(e.kind, e.account);
    const set = names.byKind.get(k) ?? new Set<string>();
    set.add(n.replace(/\.$/, '').toLowerCase());
    names.byKind.set(k, set);
  }
  return names;
}

const hasName = (names: KnownNames, kind: Kind, account: string, n: string | undefined): boolean =>
  n !== undefined && (names.byKind.get(key(kind, account))?.has(n.replace(/\.$/, '').toLowerCase()) ?? false);

/**
 * Every resource in the twin that is the stack's: tagged with its name, or (for kinds whose names
 * are deterministic) carrying one of its names, or hanging off one of those (listeners on its NLBs,
 * records in its zones, endpoints to its services, services on its NLBs). Untagged copies count too:
 * a crash between a create and its tagging must not hide a duplicate.
 */
export async function inventory(tb: CrashBed, stack: string, names: KnownNames): Promise<Inventory> {
  const inv: Inventory = new Map();
  const accounts = [tb.accounts.provider, ...tb.accounts.consumers];
  const serviceNames = new Set<string>();
  for (const account of accounts) {
    const c = tb.clients(account);
    try {
      // Load balancers and target groups (ELBv2 tags come from DescribeTags, 20 ARNs per call).
      const elbTags = async (arns: string[]) => {
        const out = new Map<string, Record<string, string>>();
        for (let i = 0; i < arns.length; i += 20) {
          const r = await c.elbv2.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }));
          for (const d of r.TagDescriptions ?? [])
            out.set(d.ResourceArn ?? '', Object.fromEntries((d.Tags ?? []).map((t) => [t.Key, t.Value])));
        }
        return out;
      };
      const lbs = [];
      for await (const p of paginateDescribeLoadBalancers({ client: c.elbv2 }, {}))
        lbs.push(...(p.LoadBalancers ?? []));
      const lbTags = await elbTags(lbs.flatMap((l) => (l.LoadBalancerArn ? [l.LoadBalancerArn] : [])));
      const stackLbs = lbs.filter(
        (l) =>
          lbTags.get(l.LoadBalancerArn ?? '')?.[TAG_STACK] === stack ||
          hasName(names, 'load-balancer', account, l.LoadBalancerName),
      );
      for (const l of stackLbs) add(inv, 'load-balancer', account, l.LoadBalancerArn ?? '');
      const tgs = [];
      for await (const p of paginateDescribeTargetGroups({ client: c.elbv2 }, {}))
        tgs.push(...(p.TargetGroups ?? []));
      const tgTags = await elbTags(tgs.flatMap((t) => (t.TargetGroupArn ? [t.TargetGroupArn] : [])));
      for (const t of tgs) {
        if (
          tgTags.get(t.TargetGroupArn ?? '')?.[TAG_STACK] === stack ||
          hasName(names, 'target-group', account, t.TargetGroupName)
        )
          add(inv, 'target-group', account, t.TargetGroupArn ?? '');
      }
      for (const l of stackLbs) {
        const r = await c.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: l.LoadBalancerArn }));
        for (const x of r.Listeners ?? []) add(inv, 'listener', account, x.ListenerArn ?? '');
      }
      const lbArns = new Set(stackLbs.map((l) => l.LoadBalancerArn));

      // Endpoint services: tagged, or on one of the stack's NLBs.
      for await (const p of paginateDescribeVpcEndpointServiceConfigurations({ client: c.ec2 }, {})) {
        for (const s of p.ServiceConfigurations ?? []) {
          if (GONE_SERVICE.has((s.ServiceState ?? '').toLowerCase())) continue;
          const tagged = (s.Tags ?? []).some((t) => t.Key === TAG_STACK && t.Value === stack);
          if (tagged || (s.NetworkLoadBalancerArns ?? []).some((a) => lbArns.has(a))) {
            add(inv, 'endpoint-service', account, s.ServiceId ?? '');
            if (s.ServiceName) serviceNames.add(s.ServiceName);
          }
        }
      }

      // Security groups and the stack's tagged rules (counted per logical id).
      for await (const p of paginateDescribeSecurityGroups({ client: c.ec2 }, {})) {
        for (const g of p.SecurityGroups ?? []) {
          const tagged = (g.Tags ?? []).some((t) => t.Key === TAG_STACK && t.Value === stack);
          if (tagged || hasName(names, 'security-group', account, g.GroupName))
            add(inv, 'security-group', account, g.GroupId ?? '');
        }
      }
      const ruleIds = new Map<string, string[]>();
      for await (const p of paginateDescribeSecurityGroupRules({ client: c.ec2 }, {})) {
        for (const r of p.SecurityGroupRules ?? []) {
          const tags = Object.fromEntries((r.Tags ?? []).map((t) => [t.Key, t.Value]));
          if (tags[TAG_STACK] !== stack) continue;
          const id = tags[TAG_ID] ?? '?';
          ruleIds.set(id, [...(ruleIds.get(id) ?? []), r.SecurityGroupRuleId ?? '']);
        }
      }
      for (const [id, rules] of ruleIds)
        add(inv, 'security-group-rule', account, `${id}:${rules.sort().join(',')}`);

      // MSK multi-VPC connections (pattern 0) made in this account, tagged with the stack; gone ones
      // (deleting, rejected, failed: src/kinds/vpc-connection.ts) never serve again.
      for await (const p of paginateListVpcConnections({ client: c.kafka }, {})) {
        for (const v of p.VpcConnections ?? []) {
          if (VPC_CONNECTION_GONE.has(v.State ?? '') || v.VpcConnectionArn === undefined) continue;
          const d = await c.kafka.send(new DescribeVpcConnectionCommand({ Arn: v.VpcConnectionArn }));
          if (d.Tags?.[TAG_STACK] === stack) add(inv, 'vpc-connection', account, v.VpcConnectionArn);
        }
      }

      // Private zones (tagged or by name) and their records other than NS and SOA.
      for await (const p of paginateListHostedZones({ client: c.route53 }, {})) {
        for (const z of p.HostedZones ?? []) {
          const zoneId = (z.Id ?? '').replace(/^\/hostedzone\//, '');
          const tags = await c.route53.send(
            new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId }),
          );
          // By name only when untagged: every stack over the cluster has a zone of the same name.
          const owner = (tags.ResourceTagSet?.Tags ?? []).find((t) => t.Key === TAG_STACK)?.Value;
          if (owner !== stack && !(owner === undefined && hasName(names, 'hosted-zone', account, z.Name)))
            continue;
          add(inv, 'hosted-zone', account, zoneId);
          for (const rr of await allRecords(c.route53, zoneId)) {
            if (rr.Type === 'NS' || rr.Type === 'SOA') continue;
            add(
              inv,
              'dns-record',
              account,
              `${zoneId}/${(rr.Name ?? '').replace(/\.$/, '')}/${rr.Type ?? ''}`,
            );
          }
        }
      }

      // Pattern 3: VPC Lattice gateways and configurations, RAM shares (tagged, or by the stack's names).
      await latticeAndRam(tb, account, stack, names, inv);

      // SSM parameters by the stack's names (only when the stack has some).
      const params = [...(names.byKind.get(key('ssm-parameter', account)) ?? [])];
      if (params.length > 0) {
        const ssm = new SSMClient(tb.clientConfig(account));
        try {
          for (let i = 0; i < params.length; i += 10) {
            const r = await ssm.send(new GetParametersCommand({ Names: params.slice(i, i + 10) }));
            for (const prm of r.Parameters ?? []) add(inv, 'ssm-parameter', account, prm.Name ?? '');
          }
        } finally {
          ssm.destroy();
        }
      }
    } finally {
      c.destroy();
    }
  }
  // Endpoints last: tagged, or to one of the stack's services (deleted ones no longer count).
  for (const account of accounts) {
    const c = tb.clients(account);
    try {
      for await (const p of paginateDescribeVpcEndpoints({ client: c.ec2 }, {})) {
        for (const e of p.VpcEndpoints ?? []) {
          if ((e.State ?? '').toLowerCase() === 'deleted') continue;
          const tagged = (e.Tags ?? []).some((t) => t.Key === TAG_STACK && t.Value === stack);
          if (tagged || serviceNames.has(e.ServiceName ?? ''))
            add(
              inv,
              e.VpcEndpointType === 'Resource' ? 'resource-endpoint' : 'vpc-endpoint',
              account,
              e.VpcEndpointId ?? '',
            );
        }
      }
    } finally {
      c.destroy();
    }
  }
  return inv;
}

/** Pattern 3's provider-side resources in one account: by the stack tag or one of the stack's names. */
async function latticeAndRam(
  tb: CrashBed,
  account: string,
  stack: string,
  names: KnownNames,
  inv: Inventory,
): Promise<void> {
  const lattice = new VPCLatticeClient(tb.clientConfig(account));
  const ram = new RAMClient(tb.clientConfig(account));
  try {
    const tagsOf = async (arn: string) =>
      (await lattice.send(new ListLatticeTagsCommand({ resourceArn: arn }))).tags ?? {};
    let token: string | undefined;
    do {
      const p = await lattice.send(new ListResourceGatewaysCommand({ nextToken: token }));
      for (const g of p.items ?? []) {
        if (g.arn === undefined || g.status === 'DELETE_IN_PROGRESS') continue;
        if ((await tagsOf(g.arn))[TAG_STACK] === stack || hasName(names, 'resource-gateway', account, g.name))
          add(inv, 'resource-gateway', account, g.arn);
      }
      token = p.nextToken;
    } while (token);
    do {
      const p = await lattice.send(new ListResourceConfigurationsCommand({ nextToken: token }));
      for (const c of p.items ?? []) {
        if (c.arn === undefined || c.status === 'DELETE_IN_PROGRESS') continue;
        if (
          (await tagsOf(c.arn))[TAG_STACK] === stack ||
          hasName(names, 'resource-configuration', account, c.name)
        )
          add(inv, 'resource-configuration', account, c.arn);
      }
      token = p.nextToken;
    } while (token);
    const shares = await ram.send(new GetResourceSharesCommand({ resourceOwner: 'SELF' }));
    for (const sh of shares.resourceShares ?? []) {
      if (['DELETED', 'DELETING'].includes(sh.status ?? '') || sh.resourceShareArn === undefined) continue;
      const tagged = (sh.tags ?? []).some((t) => t.key === TAG_STACK && t.value === stack);
      if (tagged || hasName(names, 'resource-share', account, sh.name))
        add(inv, 'resource-share', account, sh.resourceShareArn);
    }
  } finally {
    lattice.destroy();
    ram.destroy();
  }
}

/**
 * Differences between what exists and what the plan has: per counted kind and account, the number
 * found must equal the number planned, and (for kinds whose state id is the AWS id) be the very
 * resources the state names. Empty when they match.
 */
export function duplicatesAndGaps(
  inv: Inventory,
  planned: readonly PlannedChange[],
  state: Record<string, StateEntry>,
): string[] {
  const problems: string[] = [];
  const want = new Map<string, number>();
  for (const c of planned) {
    if (!(COUNTED_KINDS as readonly string[]).includes(c.kind)) continue;
    want.set(key(c.kind, c.account), (want.get(key(c.kind, c.account)) ?? 0) + 1);
  }
  const keys = new Set([...want.keys(), ...inv.keys()]);
  for (const k of [...keys].sort()) {
    const found = inv.get(k) ?? [];
    const n = want.get(k) ?? 0;
    if (found.length !== n) problems.push(`${k}: ${found.length} in AWS, ${n} planned (${found.join(', ')})`);
  }
  // Listeners per NLB: the NLB's ARN is the listener ARN's prefix (…:listener/net/<name>/<lb>/<id>).
  const lbOf = (listenerArn: string) =>
    listenerArn.replace(':listener/', ':loadbalancer/').replace(/\/[^/]+$/, '');
  const perLb = new Map<string, number>();
  for (const [k, ids] of inv)
    if (k.startsWith('listener@')) for (const a of ids) perLb.set(lbOf(a), (perLb.get(lbOf(a)) ?? 0) + 1);
  const plannedPerLb = new Map<string, number>();
  for (const e of Object.values(state)) {
    if (e.kind !== 'listener') continue;
    const lb = state[String(e.props.loadBalancer)]?.physicalId ?? `(${String(e.props.loadBalancer)})`;
    plannedPerLb.set(lb, (plannedPerLb.get(lb) ?? 0) + 1);
  }
  for (const lb of new Set([...perLb.keys(), ...plannedPerLb.keys()])) {
    if ((perLb.get(lb) ?? 0) !== (plannedPerLb.get(lb) ?? 0))
      problems.push(`listeners on ${lb}: ${perLb.get(lb) ?? 0} in AWS, ${plannedPerLb.get(lb) ?? 0} planned`);
  }
  const sameIds: Kind[] = [
    'load-balancer',
    'target-group',
    'listener',
    'endpoint-service',
    'vpc-endpoint',
    'security-group',
    'hosted-zone',
    'resource-gateway',
    'resource-configuration',
    'resource-share',
    'resource-endpoint',
  ];
  for (const kind of sameIds) {
    const inState = Object.values(state)
      .filter((e) => e.kind === kind)
      .map((e) => e.physicalId ?? '(none)')
      .sort();
    const inAws = [...inv.entries()]
      .filter(([k]) => k.startsWith(`${kind}@`))
      .flatMap(([, ids]) => ids)
      .sort();
    if (JSON.stringify(inState) !== JSON.stringify(inAws))
      problems.push(
        `${kind}: state names ${inState.join(', ') || 'none'}, AWS has ${inAws.join(', ') || 'none'}`,
      );
  }
  return problems;
}

/** Every planned id is in state with a physical id, and state holds nothing else. */
export function stateGaps(planned: readonly PlannedChange[], state: Record<string, StateEntry>): string[] {
  const problems: string[] = [];
  const ids = new Set(planned.map((c) => c.id));
  for (const c of planned) {
    const e = state[c.id];
    if (!e) problems.push(`${c.id}: not in state`);
    else if (e.physicalId === undefined) problems.push(`${c.id}: in state without a physical id`);
    else if (e.kind !== c.kind) problems.push(`${c.id}: state says ${e.kind}, plan ${c.kind}`);
  }
  for (const id of Object.keys(state)) if (!ids.has(id)) problems.push(`${id}: in state, not in the plan`);
  return problems;
}

export function describeInventory(inv: Inventory): string {
  return [...inv.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, ids]) => `${k}: ${ids.join(', ')}`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Kafka (pattern 2)

export interface BrokerSnapshot {
  brokerId: number;
  advertised: string | null;
  /** Per-broker dynamic settings, `name=value`, sorted. */
  dynamic: string[];
}

export function kafkaAccess(tb: CrashBed): KafkaAccess {
  return {
    brokers: tb.kafka.brokers.map((b) => ({ id: b.id, host: b.host, ip: b.ip })),
    listener: { port: 9094, ssl: { ca: [tb.caPem] } },
    clientId: 'crash-resume-test',
  };
}

/** Each broker's advertised.listeners and per-broker dynamic settings, read through the admin API. */
export async function brokerSnapshot(tb: CrashBed): Promise<BrokerSnapshot[]> {
  const ids = tb.kafka.brokers.map((b) => b.id).sort((a, b) => a - b);
  return withAdmin(kafkaAccess(tb), async (admin) =>
    (await describeBrokers(admin, ids)).map((cfg) => ({
      brokerId: cfg.brokerId,
      advertised: cfg.value('advertised.listeners'),
      dynamic: cfg.dynamic.map((d) => `${d.name}=${d.value ?? '(sensitive)'}`).sort(),
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// One crash-and-resume scenario

export interface ScenarioResult {
  planned: PlannedChange[];
  killed: ChildRun;
  /** State right after the kill (what the killed run had recorded). */
  stateAtKill: Record<string, StateEntry>;
  resumed: ChildRun;
  /** Ids whose step finished in the killed run and started again in the resumed one. */
  redone: string[];
  problems: string[];
  destroyed: ChildRun;
  leftovers: Inventory;
  /** The stack's names (from its last state), for looking for leftovers again. */
  names: KnownNames;
  timings: Record<string, number>;
}

/**
 * plan; apply killed by `kill`; apply again (to completion); plan must show no changes; the twin
 * must hold exactly the planned resources, the state every planned id; then destroy must leave
 * nothing of the stack (by tag or name) in any account. `afterKill` runs between the kill and the
 * resume (e.g. to clear an injected latency); `beforeDestroy` after the checks.
 */
export async function crashAndResume(
  tb: CrashBed,
  s: StackUnderTest,
  kill: KillRule,
  hooks: {
    /** Runs after the first plan, just before the apply that gets killed. */
    beforeApply?: () => Promise<void>;
    afterKill?: (r: ChildRun) => Promise<void>;
    beforeDestroy?: (planned: PlannedChange[], state: Record<string, StateEntry>) => Promise<void>;
  } = {},
): Promise<ScenarioResult> {
  const timings: Record<string, number> = {};
  const first = await planOf(tb, s);
  if (first.code !== 2)
    throw new Error(`${s.name}: a fresh stack should plan changes (exit ${String(first.code)})`);
  const planned = first.changes;
  timings.plan = first.ms;

  await hooks.beforeApply?.();
  const killed = await runChild(tb, ['apply', '--config', s.file, '--auto-approve', '--json'], kill);
  timings.killedApply = killed.ms;
  const stateAtKill = await readState(s);
  await hooks.afterKill?.(killed);

  const resumed = await runChild(tb, ['apply', '--config', s.file, '--auto-approve', '--json']);
  timings.resumedApply = resumed.ms;
  const problems: string[] = [];
  if (resumed.code !== 0)
    problems.push(`resumed apply exited ${String(resumed.code)}: ${resumed.err.trim()}`);
  for (const e of resumed.events)
    if (e.type === 'failed') problems.push(`resumed apply: ${e.id} failed: ${e.error}`);
  const doneBefore = new Set(killed.events.filter((e) => e.type === 'done').map((e) => e.id));
  const redone = [
    ...new Set(resumed.events.filter((e) => e.type === 'start' && doneBefore.has(e.id)).map((e) => e.id)),
  ];

  const t0 = Date.now();
  const after = await planOf(tb, s);
  timings.checkPlan = after.ms;
  const changed = after.changes.filter((c) => c.action !== 'noop');
  if (after.code !== 0 || changed.length > 0)
    problems.push(
      `plan after resume: exit ${String(after.code)}, ${changed.map((c) => `${c.action} ${c.id}`).join(', ')}`,
    );
  const plannedIds = planned.map((c) => c.id).sort();
  const afterIds = after.changes.map((c) => c.id).sort();
  if (JSON.stringify(plannedIds) !== JSON.stringify(afterIds))
    problems.push(`the plan's ids changed: before ${plannedIds.join(' ')}; after ${afterIds.join(' ')}`);

  const state = await readState(s);
  problems.push(...stateGaps(after.changes, state));
  const names = namesFromState(state);
  const t1 = Date.now();
  const inv = await inventory(tb, s.name, names);
  timings.inventory = Date.now() - t1;
  problems.push(...duplicatesAndGaps(inv, after.changes, state));
  timings.checks = Date.now() - t0;
  await hooks.beforeDestroy?.(after.changes, state);

  const destroyed = await runChild(tb, ['destroy', '--config', s.file, '--auto-approve', '--json']);
  timings.destroy = destroyed.ms;
  if (destroyed.code !== 0)
    problems.push(`destroy exited ${String(destroyed.code)}: ${destroyed.err.trim()}`);
  const leftovers = await inventory(tb, s.name, names);
  if (leftovers.size > 0) problems.push(`left after destroy:\n${describeInventory(leftovers)}`);
  const stateAfter = await readState(s);
  if (Object.keys(stateAfter).length > 0)
    problems.push(`state after destroy still has ${Object.keys(stateAfter).join(', ')}`);
  return { planned, killed, stateAtKill, resumed, redone, problems, destroyed, leftovers, names, timings };
}

export interface DestroyScenarioResult {
  killed: ChildRun;
  resumed: ChildRun;
  problems: string[];
  leftovers: Inventory;
}

/**
 * apply (to completion); destroy killed by `kill`; destroy again (to completion): nothing of the
 * stack may be left in any account (by tag or name), and the state must be empty.
 */
export async function crashDestroyAndResume(
  tb: CrashBed,
  s: StackUnderTest,
  kill: KillRule,
): Promise<DestroyScenarioResult> {
  // The apply is the setup, not under test: in this process, without a CLI start-up.
  const applied = await cli(tb, ['apply', '--config', s.file, '--auto-approve', '--json']);
  if (applied.code !== 0) throw new Error(`${s.name}: apply exited ${String(applied.code)}: ${applied.err}`);
  const names = namesFromState(await readState(s));
  const killed = await runChild(tb, ['destroy', '--config', s.file, '--auto-approve', '--json'], kill);
  const resumed = await runChild(tb, ['destroy', '--config', s.file, '--auto-approve', '--json']);
  const problems: string[] = [];
  if (resumed.code !== 0)
    problems.push(`resumed destroy exited ${String(resumed.code)}: ${resumed.err.trim()}`);
  const leftovers = await inventory(tb, s.name, names);
  if (leftovers.size > 0) problems.push(`left after destroy:\n${describeInventory(leftovers)}`);
  const stateAfter = await readState(s);
  if (Object.keys(stateAfter).length > 0)
    problems.push(`state after destroy still has ${Object.keys(stateAfter).join(', ')}`);
  return { killed, resumed, problems, leftovers };
}

/**
 * Best effort after a scenario (also a failed one): no fault or latency rule left, the network twin
 * polling, the stack destroyed, and any zone or endpoint of it that destroy did not know removed,
 * so the next scenario starts clean.
 */
export async function cleanupStack(tb: CrashBed, s: StackUnderTest): Promise<void> {
  await tb.control.clearFaults().catch(() => undefined);
  await tb.network.resume().catch(() => undefined);
  const names = namesFromState(await readState(s));
  await runChild(tb, ['destroy', '--config', s.file, '--auto-approve', '--json']).catch(() => undefined);
  const left = await inventory(tb, s.name, names).catch(() => new Map<string, string[]>());
  // A zone made by a killed run before its tagging is in no state: the tool's caller references
  // start with "mpl-", and nothing else in the testbed makes untagged zones that way.
  for (const account of [tb.accounts.provider, ...tb.accounts.consumers]) {
    const c = tb.clients(account);
    try {
      for await (const p of paginateListHostedZones({ client: c.route53 }, {})) {
        for (const z of p.HostedZones ?? []) {
          const zoneId = (z.Id ?? '').replace(/^\/hostedzone\//, '');
          if (!(z.CallerReference ?? '').startsWith('mpl-')) continue;
          const tags = await c.route53.send(
            new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId }),
          );
          if ((tags.ResourceTagSet?.Tags ?? []).some((t) => t.Key === TAG_STACK)) continue;
          add(left, 'hosted-zone', account, zoneId);
        }
      }
    } finally {
      c.destroy();
    }
  }
  for (const [k, ids] of left) {
    const [kind, account] = k.split('@') as [Kind, string];
    const c = tb.clients(account);
    try {
      for (const id of ids) {
        if (kind === 'hosted-zone')
          await c.route53.send(new DeleteHostedZoneCommand({ Id: id })).catch(() => undefined);
        if (kind === 'vpc-endpoint' || kind === 'resource-endpoint')
          await c.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] })).catch(() => undefined);
      }
    } finally {
      c.destroy();
    }
  }
}

/**
 * A quicker apply kill point for a bed that can start over (the twin-only bed): the killed apply and
 * the resumed one run as child processes; the checks (no change left, the same ids as
 * `referenceIds`, every id in state, no duplicate in AWS) run in this process; then the bed is reset
 * instead of destroyed. Destroy after a kill has its own points (crashDestroyAndResume).
 */
export async function crashApplyQuick(
  tb: CrashBed,
  s: StackUnderTest,
  kill: KillRule,
  referenceIds: readonly string[],
): Promise<{ killed: ChildRun; resumed: ChildRun; problems: string[] }> {
  const killed = await runChild(tb, ['apply', '--config', s.file, '--auto-approve', '--json'], kill);
  const resumed = await runChild(tb, ['apply', '--config', s.file, '--auto-approve', '--json']);
  const problems: string[] = [];
  if (resumed.code !== 0)
    problems.push(`resumed apply exited ${String(resumed.code)}: ${resumed.err.trim()}`);
  const plan = await cli(tb, ['plan', '--config', s.file, '--json']);
  const changes = (JSON.parse(plan.out || '{"changes":[]}') as { changes: PlannedChange[] }).changes;
  const changed = changes.filter((c) => c.action !== 'noop');
  if (plan.code !== 0 || changed.length > 0)
    problems.push(
      `plan after resume: exit ${plan.code}, ${changed.map((c) => `${c.action} ${c.id}`).join(', ')}${plan.err}`,
    );
  const ids = changes.map((c) => c.id).sort();
  if (JSON.stringify(ids) !== JSON.stringify([...referenceIds].sort()))
    problems.push(`the plan's ids differ from an uninterrupted run's: ${ids.join(' ')}`);
  const state = await readState(s);
  problems.push(...stateGaps(changes, state));
  problems.push(...duplicatesAndGaps(await inventory(tb, s.name, namesFromState(state)), changes, state));
  return { killed, resumed, problems };
}
