import type { Config } from '../config/schema.js';
import { MplError, PlanRefused } from '../errors.js';
import { kindDef, type Resource, type ResourceOf } from '../kinds/index.js';
import type { PlanInput } from '../planner/input.js';
import { parseId } from '../planner/ids.js';
import { recommend, type Recommendation } from './recommend.js';
import { planStack } from '../planner/plan-stack.js';
import {
  DEFAULT_HOURS_PER_MONTH,
  MAX_HOURS_PER_MONTH,
  MONITOR_PRICES,
  MONITOR_RUN_SECONDS,
  PRICE_TABLE_DATE,
  WRITE_UP_HOURS_PER_MONTH,
  interRegionOutGb,
  pricesFor,
  splitTiers,
  type RegionPrices,
} from './prices.js';

/**
 * Monthly cost of every access option for a config, each priced FROM THE RESOURCES THE PLANNER
 * EMITS for it, so a cost always matches what `plan` would build. Formulas: docs/cost-model.md.
 */

/**
 * pattern1, pattern1-broker-az and pattern2 are the documented option ids (docs/cost-model.md).
 * pattern1-mixed only appears when a pattern-1 config mixes endpoint layouts across consumers: it is
 * that config, planned as written.
 */
export type OptionId =
  'pattern0' | 'pattern1' | 'pattern1-broker-az' | 'pattern2' | 'pattern3' | 'pattern1-mixed';

export type CostItem =
  | 'nlb-hours'
  | 'endpoint-az-hours'
  | 'resource-endpoint-az-hours'
  | 'hosted-zones'
  | 'hosted-zones-after-25'
  | 'privatelink-data'
  | 'privatelink-data-next-4pb'
  | 'privatelink-data-over-5pb'
  | 'nlcu-hours'
  | 'cross-az-data'
  | 'inter-region-data'
  | 'monitor-lambda-requests'
  | 'monitor-lambda-gb-seconds'
  | 'monitor-scheduler-invocations'
  | 'monitor-metrics'
  | 'monitor-metric-requests'
  | 'monitor-alarms';

/**
 * What `quantity` counts and what `unitUsd` is per. monthlyUsd = quantity x unitUsd, times
 * hoursPerMonth for `hour` lines (quantity: resources running all month, as in the nlb-hours line of
 * docs/cost-model.md's reference write-up), once for the others (quantity: the month's GB, NLCU-hours
 * or zones).
 */
export type CostUnit = 'hour' | 'month' | 'GB' | 'NLCU-hour' | 'request' | 'GB-second';

export interface CostLine {
  item: CostItem;
  quantity: number;
  unitUsd: number;
  monthlyUsd: number;
  unit: CostUnit;
}

/** What the option's plan connects, for diagrams (not part of the JSON output). */
export interface Topology {
  pattern: 0 | 1 | 2 | 3;
  brokers: { id: number; azId: string }[];
  nlbs: { id: string; azIds: string[]; crossZone: boolean; brokerIds: number[] }[];
  services: { id: string; nlbIds: string[] }[];
  consumers: {
    name: string;
    account: string;
    vpcId: string;
    endpoints: { id: string; service: string; azIds: string[] }[];
  }[];
}

export interface CostOption {
  id: OptionId;
  label: string;
  viable: boolean;
  /** Sum of the lines' monthlyUsd (each rounded to cents); 0 when not viable. */
  monthlyUsd: number;
  lines: CostLine[];
  /** Why the planner refused the option (PlanRefused message). */
  reason?: string;
  reasonCode?: string;
  topology?: Topology;
}

export interface CostReport {
  region: string;
  hoursPerMonth: number;
  priceTableDate: string;
  /** The option the config describes. */
  selected: OptionId;
  /** Total GB a month through PrivateLink, all consumers together; null when not given. */
  gbPerMonth: number | null;
  /** Assumptions and remarks a reader needs to trust the figures. */
  notes: string[];
  options: CostOption[];
  /** Which option to take and why (cost/recommend.ts); absent when no option is viable. */
  recommendation?: Recommendation;
}

export interface EstimateOptions {
  /** Total GB a month through PrivateLink, all consumers together; adds the data lines. */
  gbPerMonth?: number;
  /**
   * Hours in the month that `hour` lines are billed for: more than 0, at most 744 (31 days). Default
   * 730, AWS's convention (the AWS Pricing Calculator's average month); 720 gives the reference
   * write-up's figures ($16.20 NLB + $21.60 endpoint = $37.80).
   */
  hoursPerMonth?: number;
}

/** Why `hours` cannot be a month's hours, or undefined when it can (the CLI and the library share it). */
export function hoursPerMonthProblem(hours: number): string | undefined {
  if (Number.isFinite(hours) && hours > 0 && hours <= MAX_HOURS_PER_MONTH) return undefined;
  return `must be a number of hours, more than 0 and at most ${MAX_HOURS_PER_MONTH} (31 days x 24); AWS's calculator uses ${DEFAULT_HOURS_PER_MONTH}, the reference write-up ${WRITE_UP_HOURS_PER_MONTH}`;
}

const LABELS: Record<OptionId, string> = {
  pattern0: "Pattern 0, MSK's managed multi-VPC private connectivity (no NLB of the stack's)",
  pattern1: 'Pattern 1, endpoint in every consumer AZ (all-azs)',
  'pattern1-broker-az': "Pattern 1, endpoint in the broker's AZ only (broker-az)",
  pattern2: 'Pattern 2, one shared NLB and endpoint (unique port per broker)',
  pattern3: 'Pattern 3, VPC resources: a resource gateway and one resource endpoint, no NLB',
  'pattern1-mixed': 'Pattern 1 as configured (layouts mixed per consumer)',
};

/**
 * Rounds USD to cents, half up. Products such as 5 x $0.0225 x 730 h ($82.125) come out of floating
 * point as 82.12499999999999; fixing the cents to six decimals first drops that noise, so a half cent
 * rounds up as it does on paper.
 */
export function round2(x: number): number {
  return Math.round(Number((x * 100).toFixed(6))) / 100;
}

/** The option a config describes. */
export function configuredOption(config: Config): OptionId {
  if (config.pattern === 0) return 'pattern0';
  if (config.pattern === 2) return 'pattern2';
  if (config.pattern === 3) return 'pattern3';
  const layouts = new Set(config.consumers.map((c) => c.endpointLayout));
  if (layouts.size > 1) return 'pattern1-mixed';
  return layouts.has('broker-az') ? 'pattern1-broker-az' : 'pattern1';
}

function variant(config: Config, id: OptionId): Config {
  switch (id) {
    case 'pattern1':
      return {
        ...config,
        pattern: 1,
        consumers: config.consumers.map((c) => ({ ...c, endpointLayout: 'all-azs' })),
      };
    case 'pattern1-broker-az':
      return {
        ...config,
        pattern: 1,
        consumers: config.consumers.map((c) => ({ ...c, endpointLayout: 'broker-az' })),
      };
    case 'pattern2':
      return { ...config, pattern: 2 };
    case 'pattern3':
      return { ...config, pattern: 3 };
    case 'pattern0':
      return { ...config, pattern: 0 };
    case 'pattern1-mixed':
      return config;
  }
}

export function estimateCost(input: PlanInput, opts: EstimateOptions = {}): CostReport {
  const { config } = input;
  const gb = opts.gbPerMonth;
  if (gb !== undefined && !(Number.isFinite(gb) && gb >= 0)) {
    throw new MplError(
      'INVALID_GB_PER_MONTH',
      `--gb-per-month must be a number of GB, 0 or more (got ${gb})`,
    );
  }
  const hours = opts.hoursPerMonth ?? DEFAULT_HOURS_PER_MONTH;
  const hoursProblem = hoursPerMonthProblem(hours);
  if (hoursProblem !== undefined) {
    throw new MplError(
      'INVALID_INPUT',
      `hoursPerMonth (--hours-per-month) ${hoursProblem} (got ${opts.hoursPerMonth})`,
    );
  }
  const prices = pricesFor(config.region);
  const selected = configuredOption(config);
  const ids: OptionId[] = ['pattern1', 'pattern1-broker-az', 'pattern2', 'pattern3', 'pattern0'];
  if (selected === 'pattern1-mixed') ids.push('pattern1-mixed');

  const options = ids.map((id) =>
    priceOption(id, { ...input, config: variant(config, id) }, prices, gb, hours),
  );

  const notes = [
    `${hours} hours a month (${hoursConvention(hours)}); prices of ${PRICE_TABLE_DATE} for ${prices.region}: ${prices.provenance}`,
    'Hosted zones are tiered per owning account, assuming it has no other zones (an upper bound); DNS queries, ' +
      'the endpoint service, security groups and SSM parameters are not charged or not included.',
  ];
  if (options.some((o) => o.id === 'pattern3' && o.viable)) {
    notes.push(
      'Pattern 3: a resource endpoint is priced at the interface endpoint rate per AZ and its data at the ' +
        "PrivateLink data tiers; the resource gateway has no hourly charge of its own. AWS's pricing pages did " +
        'not state these rates where this table was made: unverified, see docs/cost-model.md.',
    );
  }
  if (selected === 'pattern1-mixed') {
    notes.push(
      'The config mixes endpoint layouts across consumers, so the configured option is pattern1-mixed: the config ' +
        'planned as written (its NLBs span every broker AZ because at least one consumer is all-azs).',
    );
  }
  if (config.monitor !== undefined) {
    notes.push(
      `monitor: Lambda, Scheduler and CloudWatch at US East list prices without free tiers, each run billed ${MONITOR_RUN_SECONDS} s; ` +
        'metrics count per broker and AZ (Reachable, ConnectMs, TlsMs) plus one per consumer; see docs/cost-model.md.',
    );
  }
  if (gb === undefined) {
    notes.push(
      'No data lines: give gbPerMonth (--gb-per-month) for PrivateLink data, NLCU and cross-AZ charges.',
    );
  } else {
    notes.push(
      `Data lines for ${gb} GB a month through PrivateLink (both directions, all consumers), spread evenly over ` +
        "consumers, brokers, the consumers' AZs and the hours of the month. NLCU counts processed bytes only " +
        "(1 NLCU = 1 GB in an hour, so GB a month = NLCU-hours; Kafka's few long-lived connections stay far " +
        'below the connection dimensions). Cross-AZ: a GB crossing an AZ boundary is billed out and in.',
    );
  }
  const report: CostReport = {
    region: config.region,
    hoursPerMonth: hours,
    priceTableDate: PRICE_TABLE_DATE,
    selected,
    gbPerMonth: gb ?? null,
    notes,
    options,
  };
  const recommendation = recommend(report, config);
  return recommendation === undefined ? report : { ...report, recommendation };
}

/** Where a month's hours come from, for the report's first note. */
function hoursConvention(hours: number): string {
  if (hours === DEFAULT_HOURS_PER_MONTH)
    return `AWS's convention, as in the AWS Pricing Calculator; the reference write-up uses ${WRITE_UP_HOURS_PER_MONTH}: --hours-per-month ${WRITE_UP_HOURS_PER_MONTH}`;
  if (hours === WRITE_UP_HOURS_PER_MONTH)
    return `the reference write-up's convention; AWS's calculator uses ${DEFAULT_HOURS_PER_MONTH}`;
  return `as given; AWS's calculator uses ${DEFAULT_HOURS_PER_MONTH}, the reference write-up ${WRITE_UP_HOURS_PER_MONTH}`;
}

function priceOption(
  id: OptionId,
  input: PlanInput,
  prices: RegionPrices,
  gb: number | undefined,
  hours: number,
): CostOption {
  const out = (reason: string, reasonCode: string): CostOption => ({
    id,
    label: LABELS[id],
    viable: false,
    monthlyUsd: 0,
    lines: [],
    reason,
    reasonCode,
  });
  let resources: Resource[];
  try {
    resources = planStack(input).resources;
  } catch (e) {
    if (e instanceof PlanRefused) return out(e.message, e.code);
    throw e;
  }
  // Eligible, but MSK bills it (per VPC connection-hour and per GB: https://aws.amazon.com/msk/pricing/)
  // at rates this table does not hold: said, not guessed.
  if (input.config.pattern === 0)
    return out(
      `eligible, not priced: MSK bills multi-VPC connectivity per VPC connection-hour and per GB processed (Amazon MSK pricing page); those rates are not in the price table of ${PRICE_TABLE_DATE}`,
      'NOT_PRICED',
    );
  const topology = topologyOf(input, resources);
  const lines = costLines(resources, topology, input, prices, gb, hours);
  return {
    id,
    label: LABELS[id],
    viable: true,
    monthlyUsd: round2(lines.reduce((s, l) => s + l.monthlyUsd, 0)),
    lines,
    topology,
  };
}

function line(item: CostItem, quantity: number, unitUsd: number, unit: CostUnit, hours: number): CostLine {
  const factor = unit === 'hour' ? hours : 1;
  // Quantities of GB can be fractional (cross-AZ shares): keep enough digits to recompute the cents.
  return {
    item,
    quantity: Math.round(quantity * 1000) / 1000,
    unitUsd,
    monthlyUsd: round2(quantity * unitUsd * factor),
    unit,
  };
}

function ofKind<K extends Resource['kind']>(resources: Resource[], kind: K): ResourceOf<K>[] {
  return resources.filter((r) => r.kind === kind) as ResourceOf<K>[];
}

export function costLines(
  resources: Resource[],
  topology: Topology,
  input: PlanInput,
  prices: RegionPrices,
  gb: number | undefined,
  hours: number = DEFAULT_HOURS_PER_MONTH,
): CostLine[] {
  // What each resource is billed for comes from its kind (the registry); Route 53's first-25 price
  // applies per account, so zones are counted per owning account.
  const metered = { 'nlb-hours': 0, 'endpoint-az-hours': 0, 'resource-endpoint-az-hours': 0 };
  const zonesPerAccount = new Map<string, number>();
  for (const r of resources) {
    const bill = kindDef(r.kind).billing?.(r.props as Record<string, unknown>);
    if (!bill) continue;
    if (bill.meter === 'hosted-zones')
      zonesPerAccount.set(r.account, (zonesPerAccount.get(r.account) ?? 0) + bill.quantity);
    else metered[bill.meter] += bill.quantity;
  }
  const nlbs = metered['nlb-hours'];
  const endpointAzs = metered['endpoint-az-hours'];
  let first = 0;
  let after = 0;
  for (const n of zonesPerAccount.values()) {
    first += Math.min(n, 25);
    after += Math.max(0, n - 25);
  }
  const lines = [
    line('nlb-hours', nlbs, prices.nlbHour.usd, 'hour', hours),
    line('endpoint-az-hours', endpointAzs, prices.endpointAzHour.usd, 'hour', hours),
    line('hosted-zones', first, prices.hostedZoneMonth.first25, 'month', hours),
  ];
  const resourceAzs = metered['resource-endpoint-az-hours'];
  // Only pattern 3 has resource endpoints: the line shows where they are billed, not on the others.
  if (resourceAzs > 0)
    lines.splice(
      2,
      0,
      line('resource-endpoint-az-hours', resourceAzs, prices.endpointAzHour.usd, 'hour', hours),
    );
  if (after > 0)
    lines.push(line('hosted-zones-after-25', after, prices.hostedZoneMonth.after25, 'month', hours));
  lines.push(...monitorLines(resources, hours));
  if (gb === undefined) return lines;

  const tiers = prices.privateLinkData.tiers;
  const split = splitTiers(gb, tiers);
  const tierItems: CostItem[] = [
    'privatelink-data',
    'privatelink-data-next-4pb',
    'privatelink-data-over-5pb',
  ];
  split.forEach((q, i) => {
    // The first tier always shows (even at 0 GB); higher tiers only when reached.
    if (i === 0 || q > 0)
      lines.push(line(tierItems[i] as CostItem, q, (tiers[i] as { usdPerGb: number }).usdPerGb, 'GB', hours));
  });
  // NLCUs are an NLB's: pattern 3 has none.
  lines.push(line('nlcu-hours', nlbs > 0 ? gb : 0, prices.nlcuHour.usd, 'NLCU-hour', hours));
  lines.push(
    line(
      'cross-az-data',
      gb * crossAzShare(topology, input),
      2 * prices.crossAzGbEachDirection.usd,
      'GB',
      hours,
    ),
  );
  // Consumers in another region: their share of the traffic crosses regions, billed once by the
  // sending side, priced at the cluster region's rate (prices.ts, interRegionOutGb).
  const away = input.config.consumers.filter(
    (c) => c.region !== undefined && c.region !== input.config.region,
  );
  if (away.length > 0)
    lines.push(
      line(
        'inter-region-data',
        (gb * away.length) / input.config.consumers.length,
        interRegionOutGb(input.config.region).usd,
        'GB',
        hours,
      ),
    );
  return lines;
}

/**
 * `monitor`'s lines, from its schedules (runs a month: hours x 60 / minutes per schedule; one
 * PutMetricData call per 1,000 datums a run), functions (memory) and alarms. None without monitor.
 */
function monitorLines(resources: Resource[], hours: number): CostLine[] {
  const memoryMb = new Map(ofKind(resources, 'lambda-function').map((f) => [f.id, f.props.memoryMb]));
  let runs = 0;
  let gbSeconds = 0;
  let putCalls = 0;
  let metrics = 0;
  const consumers = new Set<string>();
  for (const s of ofKind(resources, 'schedule')) {
    const minutes = Number(/^rate\((\d+) minutes?\)$/.exec(s.props.expression)?.[1] ?? NaN);
    if (!Number.isFinite(minutes)) continue;
    const perMonth = (hours * 60) / minutes;
    const targets = (JSON.parse(s.props.input) as { targets?: unknown[] }).targets?.length ?? 0;
    // Reachable, ConnectMs and TlsMs per broker from this AZ; BrokersUnreachable once per consumer.
    const datums = targets * 3 + 1;
    runs += perMonth;
    gbSeconds += perMonth * MONITOR_RUN_SECONDS * ((memoryMb.get(s.props.function) ?? 128) / 1024);
    putCalls += perMonth * Math.ceil(datums / 1000);
    metrics += targets * 3;
    consumers.add(parseId(s.id).owner);
  }
  if (runs === 0) return [];
  metrics += consumers.size;
  const alarms = ofKind(resources, 'metric-alarm').length;
  const p = MONITOR_PRICES;
  return [
    line('monitor-lambda-requests', runs, p.lambdaRequest.usd, 'request', hours),
    line('monitor-lambda-gb-seconds', gbSeconds, p.lambdaGbSecond.usd, 'GB-second', hours),
    line('monitor-scheduler-invocations', runs, p.schedulerInvocation.usd, 'request', hours),
    line('monitor-metrics', metrics, p.metricMonth.usd, 'month', hours),
    line('monitor-metric-requests', putCalls, p.putMetricRequest.usd, 'request', hours),
    line('monitor-alarms', alarms, p.alarmMonth.usd, 'month', hours),
  ];
}

/**
 * Expected AZ-boundary crossings per GB, averaged over consumers and brokers (evenly weighted), with
 * each consumer's clients spread evenly over its subnets' AZs. A client uses the endpoint ENI in its
 * own AZ when there is one, else one of the endpoint's ENIs at random (a crossing); the ENI hands the
 * traffic to the NLB node in the same AZ ID (no crossing), and that node reaches the broker in another
 * AZ only through cross-zone load balancing (a crossing).
 */
export function crossAzShare(topology: Topology, input: PlanInput): number {
  const brokers = topology.brokers;
  if (brokers.length === 0 || topology.consumers.length === 0) return 0;
  const serviceOfNlb = new Map<string, string>();
  for (const s of topology.services) for (const n of s.nlbIds) serviceOfNlb.set(n, s.id);
  const serviceOfBroker = new Map<number, string>();
  for (const n of topology.nlbs) {
    for (const b of n.brokerIds) {
      const svc = serviceOfNlb.get(n.id);
      if (svc !== undefined) serviceOfBroker.set(b, svc);
    }
  }
  let total = 0;
  for (const c of topology.consumers) {
    const clientAzs = [...new Set((input.consumerSubnets[c.name] ?? []).map((s) => s.azId))];
    let perConsumer = 0;
    for (const b of brokers) {
      const svc = serviceOfBroker.get(b.id);
      // Pattern 3: one resource endpoint reaches every broker; its ENI hands traffic to the resource
      // gateway in the same AZ ID, which reaches a broker in another AZ by crossing (as cross-zone does).
      const ep = topology.pattern === 3 ? c.endpoints[0] : c.endpoints.find((e) => e.service === svc);
      if (ep === undefined || clientAzs.length === 0) continue;
      perConsumer += crossingsPerGb(clientAzs, ep.azIds, b.azId);
    }
    total += perConsumer / brokers.length;
  }
  return total / topology.consumers.length;
}

export function crossingsPerGb(clientAzs: string[], eniAzs: string[], brokerAz: string): number {
  if (eniAzs.length === 0) return 0;
  const remote = eniAzs.filter((x) => x !== brokerAz).length / eniAzs.length;
  let sum = 0;
  for (const a of clientAzs) {
    if (eniAzs.includes(a)) sum += a === brokerAz ? 0 : 1;
    else sum += 1 + remote;
  }
  return sum / clientAzs.length;
}

/** Follows the plan's references: endpoint -> service -> NLB -> listener -> target group -> broker. */
export function topologyOf(input: PlanInput, resources: Resource[]): Topology {
  const tgs = new Map(ofKind(resources, 'target-group').map((t) => [t.id, t]));
  const brokersOfNlb = new Map<string, Set<number>>();
  for (const l of ofKind(resources, 'listener')) {
    const tg = tgs.get(l.props.targetGroup);
    // Per-broker paths only: pattern 2's bootstrap group (all brokers) carries no steady traffic.
    if (tg === undefined || tg.props.targets.length !== 1) continue;
    const set = brokersOfNlb.get(l.props.loadBalancer) ?? new Set<number>();
    for (const t of tg.props.targets) set.add(t.brokerId);
    brokersOfNlb.set(l.props.loadBalancer, set);
  }
  const endpoints = [
    ...ofKind(resources, 'vpc-endpoint').map((e) => ({
      id: e.id,
      service: e.props.service,
      azIds: e.props.azIds,
    })),
    ...ofKind(resources, 'resource-endpoint').map((e) => ({
      id: e.id,
      service: e.props.resourceConfiguration,
      azIds: e.props.azIds,
    })),
  ];
  return {
    pattern: input.config.pattern,
    brokers: [...input.inventory.brokers]
      .sort((a, b) => a.id - b.id)
      .map((b) => ({ id: b.id, azId: b.availabilityZoneId })),
    nlbs: ofKind(resources, 'load-balancer').map((n) => ({
      id: n.id,
      azIds: [...n.props.azIds],
      crossZone: n.props.crossZone,
      brokerIds: [...(brokersOfNlb.get(n.id) ?? [])].sort((a, b) => a - b),
    })),
    services: ofKind(resources, 'endpoint-service').map((s) => ({
      id: s.id,
      nlbIds: [...s.props.loadBalancers],
    })),
    consumers: input.config.consumers.map((c) => ({
      name: c.name,
      account: c.account,
      vpcId: c.vpcId,
      // A consumer owns its endpoints: logical ids like 'analytics/vpc-endpoint/b-2' (docs/configuration.md).
      endpoints: endpoints
        .filter((e) => parseId(e.id).owner === c.name)
        .map((e) => ({ id: e.id, service: e.service, azIds: [...e.azIds] })),
    })),
  };
}
