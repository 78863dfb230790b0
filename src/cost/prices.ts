import { MplError } from '../errors.js';
import { PRICE_SNAPSHOT } from './price-snapshot.js';

/**
 * Dated price table for what a msk-privatelink stack is billed for, in USD, per region.
 * Prices change: when updating a figure, update PRICE_TABLE_DATE, the figure's source and
 * docs/cost-model.md together.
 */
export const PRICE_TABLE_DATE = '2026-11-01';

/**
 * Hours in a month when none is given: AWS's convention (the AWS Pricing Calculator uses 730, the
 * average month: 365 x 24 / 12). The reference write-up's $37.80 uses 720 (`--hours-per-month 720`).
 */
export const DEFAULT_HOURS_PER_MONTH = 730;

/** The reference write-up's month (30 days), kept for its figures ($16.20 NLB + $21.60 endpoint). */
export const WRITE_UP_HOURS_PER_MONTH = 720;

/** The longest month (31 days x 24): more hours than this is not a month. */
export const MAX_HOURS_PER_MONTH = 744;

/** AWS's published pricing pages, the source of every figure below. */
export const PRICE_SOURCES = {
  elb: 'https://aws.amazon.com/elasticloadbalancing/pricing/',
  privatelink: 'https://aws.amazon.com/privatelink/pricing/',
  route53: 'https://aws.amazon.com/route53/pricing/',
  dataTransfer: 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer_within_the_same_AWS_Region',
  interRegion: 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer',
  lambda: 'https://aws.amazon.com/lambda/pricing/',
  cloudwatch: 'https://aws.amazon.com/cloudwatch/pricing/',
  eventbridge: 'https://aws.amazon.com/eventbridge/pricing/',
} as const;

/**
 * `monitor`'s charges, US East figures applied in every priced region (the regions here differ by
 * cents at most on these pages; unverified per region). Free tiers (Lambda's 1M requests and
 * 400,000 GB-s, CloudWatch's 10 metrics and 10 alarms, Scheduler's 14M invocations a month) are
 * not subtracted: an account's other use takes them first.
 */
export const MONITOR_PRICES = {
  /** Lambda: $0.20 per 1M requests; $0.0000166667 per GB-second (x86). */
  lambdaRequest: { usd: 0.0000002, source: PRICE_SOURCES.lambda },
  lambdaGbSecond: { usd: 0.0000166667, source: PRICE_SOURCES.lambda },
  /** CloudWatch: $0.30 per custom metric a month (first 10,000); $0.10 per standard alarm metric a month. */
  metricMonth: { usd: 0.3, source: PRICE_SOURCES.cloudwatch },
  alarmMonth: { usd: 0.1, source: PRICE_SOURCES.cloudwatch },
  /** CloudWatch API requests (PutMetricData): $0.01 per 1,000. */
  putMetricRequest: { usd: 0.00001, source: PRICE_SOURCES.cloudwatch },
  /** EventBridge Scheduler: $1.00 per million invocations after the free tier. */
  schedulerInvocation: { usd: 0.000001, source: PRICE_SOURCES.eventbridge },
} as const;

/**
 * A run's billed duration for the estimate: the probe of every broker in parallel plus the metrics
 * call, about 1.5-2.2 s on the testbed per round of three AZs (test/e2e/monitor.test.ts); 2 s.
 */
export const MONITOR_RUN_SECONDS = 2;

/** AWS bills data tiers in binary units: 1 PB = 1,024 TB = 1,048,576 GB. */
export const GB_PER_PB = 1024 * 1024;

export interface Price {
  usd: number;
  source: string;
}

export interface DataTier {
  /** Upper bound of the tier in GB a month (cumulative); null: no bound. */
  upToGb: number | null;
  usdPerGb: number;
}

export interface RegionPrices {
  region: string;
  /** Network Load Balancer, per hour (or partial hour). */
  nlbHour: Price;
  /** Network Load Balancer capacity unit, per NLCU-hour; TCP: 1 NLCU = 1 GB processed in the hour. */
  nlcuHour: Price;
  /** Interface VPC endpoint, per AZ (per ENI) per hour. */
  endpointAzHour: Price;
  /** PrivateLink data processed by interface endpoints, tiered over the region's monthly total. */
  privateLinkData: { tiers: DataTier[]; source: string };
  /** Route 53 hosted zone per month: the first 25 zones of an account, then each one after. */
  hostedZoneMonth: { first25: number; after25: number; source: string };
  /** Data crossing AZs within the region, per GB, charged once out of one AZ and once into the other. */
  crossAzGbEachDirection: Price;
  /** Where the figures come from and how sure they are. */
  provenance: string;
}

// Interface endpoint data tiers: "First 1 PB $0.01, Next 4 PB $0.006, Anything over 5 PB $0.004"
// (PrivateLink pricing page, US East; assumed the same elsewhere, see provenance).
const PRIVATELINK_TIERS: DataTier[] = [
  { upToGb: GB_PER_PB, usdPerGb: 0.01 },
  { upToGb: 5 * GB_PER_PB, usdPerGb: 0.006 },
  { upToGb: null, usdPerGb: 0.004 },
];

// Route 53 is priced globally: $0.50 per hosted zone a month for the first 25, $0.10 after.
const ROUTE53 = { first25: 0.5, after25: 0.1, source: PRICE_SOURCES.route53 };

// Regional data transfer between AZs: $0.01/GB in each direction in every region covered here.
const CROSS_AZ: Price = { usd: 0.01, source: PRICE_SOURCES.dataTransfer };

function usEast(region: string): RegionPrices {
  return {
    region,
    nlbHour: { usd: 0.0225, source: PRICE_SOURCES.elb },
    nlcuHour: { usd: 0.006, source: PRICE_SOURCES.elb },
    endpointAzHour: { usd: 0.01, source: PRICE_SOURCES.privatelink },
    privateLinkData: { tiers: PRIVATELINK_TIERS, source: PRICE_SOURCES.privatelink },
    hostedZoneMonth: ROUTE53,
    crossAzGbEachDirection: CROSS_AZ,
    provenance:
      'AWS pricing pages for US East (ELB, PrivateLink, Route 53 and EC2 data transfer pricing); ' +
      'at 720 hours a month they reproduce the reference write-up ($16.20 NLB + $21.60 endpoint = $37.80).',
  };
}

const TABLE: Record<string, RegionPrices> = {
  'us-east-1': usEast('us-east-1'),
  'us-east-2': usEast('us-east-2'),
  'eu-west-1': {
    region: 'eu-west-1',
    nlbHour: { usd: 0.0252, source: PRICE_SOURCES.elb },
    nlcuHour: { usd: 0.006, source: PRICE_SOURCES.elb },
    endpointAzHour: { usd: 0.011, source: PRICE_SOURCES.privatelink },
    privateLinkData: { tiers: PRIVATELINK_TIERS, source: PRICE_SOURCES.privatelink },
    hostedZoneMonth: ROUTE53,
    crossAzGbEachDirection: CROSS_AZ,
    provenance:
      'AWS pricing pages for EU (Ireland) as best known on the table date; the NLB hour ($0.0252) is ' +
      'corroborated by a public per-region load balancer table, the endpoint hour and the NLCU were not ' +
      're-checked against the live page; the 4 PB and 5 PB data tiers are assumed equal to US East.',
  },
  // US West (Oregon) is priced as US East on these pages; the Price List API's USW2-VpcEndpoint-Hours
  // ($0.01) and USW2-LoadBalancerUsage (730 h = $16.43, i.e. $0.0225) were seen in public cost reports.
  'us-west-2': {
    ...usEast('us-west-2'),
    provenance:
      'AWS pricing pages for US West (Oregon), which list the US East figures for NLB hours, NLCUs, interface ' +
      'endpoint hours and PrivateLink data; corroborated by Price List API usage types USW2-VpcEndpoint-Hours ' +
      '($0.01) and USW2-LoadBalancerUsage ($0.0225) quoted in public cost reports; the NLCU was not re-checked.',
  },
  'eu-central-1': {
    region: 'eu-central-1',
    nlbHour: { usd: 0.027, source: PRICE_SOURCES.elb },
    nlcuHour: { usd: 0.006, source: PRICE_SOURCES.elb },
    endpointAzHour: { usd: 0.012, source: PRICE_SOURCES.privatelink },
    privateLinkData: { tiers: PRIVATELINK_TIERS, source: PRICE_SOURCES.privatelink },
    hostedZoneMonth: ROUTE53,
    crossAzGbEachDirection: CROSS_AZ,
    provenance:
      'AWS pricing pages for EU (Frankfurt) as best known on the table date; the endpoint hour ($0.012, ' +
      'EUC1-VpcEndpoint-Hours) and the first data tier ($0.01, EUC1-VpcEndpoint-Bytes) are Price List API figures ' +
      'quoted in a public cost report, the NLB hour ($0.027) matches a public bill (720 h of EUC1-LoadBalancerUsage ' +
      '= $19.44); the NLCU ($0.006) was not re-checked; the 4 PB and 5 PB data tiers are assumed equal to US East.',
  },
  'ap-southeast-2': {
    region: 'ap-southeast-2',
    nlbHour: { usd: 0.0252, source: PRICE_SOURCES.elb },
    nlcuHour: { usd: 0.006, source: PRICE_SOURCES.elb },
    endpointAzHour: { usd: 0.013, source: PRICE_SOURCES.privatelink },
    privateLinkData: { tiers: PRIVATELINK_TIERS, source: PRICE_SOURCES.privatelink },
    hostedZoneMonth: ROUTE53,
    crossAzGbEachDirection: CROSS_AZ,
    provenance:
      'AWS pricing pages for Asia Pacific (Sydney) as best known on the table date; the NLB hour ($0.0252) ' +
      'is corroborated by a public per-region load balancer table, the endpoint hour ($0.013) and the ' +
      'NLCU were not re-checked against the live page; the 4 PB and 5 PB data tiers are assumed equal to US East.',
  },
};

/**
 * The bundled snapshot of the AWS Price List API (price-snapshot.ts, written by
 * scripts/price-snapshot.ts): regions with the same figures as RegionPrices, each figure's source
 * "AWS Price List API (<service code>, <effective date>)".
 */
export interface PriceSnapshot {
  /** YYYY-MM-DD the snapshot was read from the API; null: never generated. */
  date: string | null;
  /** How it was made (the script, the API endpoint). */
  source: string;
  regions: Record<string, RegionPrices>;
  /** Regions the script could not price, with why (e.g. a product the API does not have there). */
  skipped: Record<string, string>;
}

/** Where a region's bundled prices come from: the table (pricing pages) or the API snapshot. */
export type BundledOrigin = { kind: 'table'; date: string } | { kind: 'snapshot'; date: string };

/**
 * A region's bundled prices: the snapshot's when the table has none, or when the snapshot is newer
 * than the table; the table's otherwise. Undefined when neither has the region.
 */
export function bundledPrices(region: string): { prices: RegionPrices; origin: BundledOrigin } | undefined {
  const table = TABLE[region];
  const snap = PRICE_SNAPSHOT.date === null ? undefined : PRICE_SNAPSHOT.regions[region];
  if (
    snap !== undefined &&
    PRICE_SNAPSHOT.date !== null &&
    (table === undefined || PRICE_SNAPSHOT.date > PRICE_TABLE_DATE)
  )
    return { prices: snap, origin: { kind: 'snapshot', date: PRICE_SNAPSHOT.date } };
  return table === undefined
    ? undefined
    : { prices: table, origin: { kind: 'table', date: PRICE_TABLE_DATE } };
}

/** Regions priced offline (the table and the bundled snapshot), sorted. */
export const PRICED_REGIONS: readonly string[] = [
  ...new Set([
    ...Object.keys(TABLE),
    ...(PRICE_SNAPSHOT.date === null ? [] : Object.keys(PRICE_SNAPSHOT.regions)),
  ]),
].sort();

// Prices for one region that replace the bundled ones while withRegionPrices runs (live prices).
let override: RegionPrices | undefined;

/**
 * Runs `fn` with `prices` answering pricesFor(prices.region) (e.g. prices read from the AWS Price
 * List API), then restores the bundled ones. For synchronous callers only (estimateCost): the
 * override is gone when `fn` returns.
 */
export function withRegionPrices<T>(prices: RegionPrices, fn: () => T): T {
  const saved = override;
  override = prices;
  try {
    const out = fn();
    if (out instanceof Promise) throw new Error('withRegionPrices takes a synchronous function');
    return out;
  } finally {
    override = saved;
  }
}

/** The prices for a region; an unpriced region is an error naming it and the regions covered. */
export function pricesFor(region: string): RegionPrices {
  if (override !== undefined && override.region === region) return override;
  const p = bundledPrices(region)?.prices;
  if (p === undefined) {
    throw new MplError(
      'COST_REGION_UNPRICED',
      `no prices for region ${region}: the price table (${PRICE_TABLE_DATE}) covers ${PRICED_REGIONS.join(', ')}`,
      {
        detail:
          'add the region to src/cost/prices.ts with its AWS pricing page figures, or read its prices from the ' +
          'AWS Price List API with --live-prices',
      },
    );
  }
  return p;
}

// Data transfer OUT from a region to another AWS region, per GB (EC2 on-demand pricing page, "Data
// Transfer OUT From Amazon EC2 To" another AWS Region). Regions within the US and Europe charge $0.02;
// Sydney $0.098 (not re-checked against the live page; AWS's own cost report fixtures of earlier years
// show Sydney far above the US rate). A pair such as us-east-1 <-> us-east-2 ($0.01) is cheaper than
// this: the figure is an upper bound for such pairs.
const INTER_REGION_OUT_GB: Record<string, number> = {
  'us-east-1': 0.02,
  'us-east-2': 0.02,
  'us-west-2': 0.02,
  'eu-west-1': 0.02,
  'eu-central-1': 0.02,
  'ap-southeast-2': 0.098,
};

/** What a GB sent from `region` to another AWS region costs; an unpriced region is COST_REGION_UNPRICED. */
export function interRegionOutGb(region: string): Price {
  const usd = INTER_REGION_OUT_GB[region];
  if (usd === undefined) {
    throw new MplError(
      'COST_REGION_UNPRICED',
      `no inter-region data transfer price for ${region}: the price table (${PRICE_TABLE_DATE}) has it for ${Object.keys(INTER_REGION_OUT_GB).sort().join(', ')}`,
      {
        detail:
          'add the region to INTER_REGION_OUT_GB in src/cost/prices.ts from the EC2 on-demand pricing page',
      },
    );
  }
  return { usd, source: PRICE_SOURCES.interRegion };
}

/** Splits a monthly volume over the tiers: GB charged in each tier, in tier order (zeros included). */
export function splitTiers(gb: number, tiers: readonly DataTier[]): number[] {
  let below = 0;
  return tiers.map((t) => {
    const top = t.upToGb ?? Infinity;
    const inTier = Math.max(0, Math.min(gb, top) - below);
    below = top;
    return inTier;
  });
}
