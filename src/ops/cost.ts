import { estimateCost, type CostReport, type EstimateOptions } from '../cost/estimate.js';
import { readPriceCache, writePriceCache, type CacheRead } from '../cost/price-cache.js';
import {
  day,
  livePrices,
  pricingClient,
  PRICING_API_REGION,
  sourceLines,
  tagSources,
  type ProductsClient,
} from '../cost/price-list.js';
import { bundledPrices, PRICE_TABLE_DATE, withRegionPrices, type RegionPrices } from '../cost/prices.js';
import { silent, type Reporter } from '../events.js';
import { loadOffline } from '../plan/make-plan.js';
import type { PlanInput } from '../planner/input.js';
import { withStack, type StackOptions } from './stack.js';

/** Where the report's prices came from (`cost --live-prices`). */
export type PriceOrigin =
  /** Read from the AWS Price List API in this run (and written to the cache). */
  | { kind: 'live'; date: string; cacheFile?: string }
  /** Read from the API earlier, from the cache file. */
  | { kind: 'cache'; date: string; cacheFile: string; ageDays: number }
  /** The bundled prices: the price table, or the bundled API snapshot. */
  | { kind: 'table' | 'snapshot'; date: string };

export interface CostOptions extends EstimateOptions {
  /** No AWS call: the inventory from cluster.brokersFile; with livePrices, only cached prices. */
  offline?: boolean;
  /**
   * Prices from the AWS Price List API (GetProducts) instead of the bundled table: a cached answer
   * younger than 7 days when there is one, else fetched (and cached). Offline: the cache only.
   */
  livePrices?: boolean;
  /** Overrides for the live prices (tests): the Pricing client, the clock, the cache directory. */
  pricing?: { client?: ProductsClient; now?: () => Date; cacheDir?: string };
}

/**
 * The monthly cost of every way to reach the cluster for this config, the configured one marked.
 * Offline: the inventory from cluster.brokersFile; online: the cluster (MSK) and subnets (EC2) are
 * read like `plan` reads them, describe calls only. `hoursPerMonth` (default 730, AWS's convention;
 * 720 for the reference write-up's figures) and `gbPerMonth` go to estimateCost. With `livePrices`,
 * the region's prices come from the AWS Price List API (cached 7 days), the notes say so and name
 * every figure's source.
 */
export async function cost(
  configFile: string,
  opts: CostOptions,
  stackOpts: StackOptions = {},
): Promise<CostReport & { stack: string; priceOrigin?: PriceOrigin }> {
  const input = opts.offline
    ? (await loadOffline(configFile)).input
    : await withStack(configFile, stackOpts, (stack) => Promise.resolve(stack.input));
  if (!opts.livePrices) return { stack: input.config.name, ...estimateCost(input, opts) };

  const resolved = await resolveLivePrices(input, opts, stackOpts);
  const report =
    resolved === undefined
      ? estimateCost(input, opts)
      : withRegionPrices(resolved.prices, () => estimateCost(input, opts));
  return { stack: input.config.name, ...relabel(report, input, resolved) };
}

interface Resolved {
  prices: RegionPrices;
  origin: PriceOrigin;
}

/**
 * Live prices for the config's region: a fresh cache (under 7 days), else the API (written to the
 * cache); offline, any cached answer however old, else undefined (the bundled prices, said in the notes).
 */
async function resolveLivePrices(
  input: PlanInput,
  opts: CostOptions,
  stackOpts: StackOptions,
): Promise<Resolved | undefined> {
  const region = input.config.region;
  const reporter: Reporter = stackOpts.reporter ?? silent;
  const log = (level: 'info' | 'warn', message: string) => reporter.emit({ type: 'log', level, message });
  const now = opts.pricing?.now?.() ?? new Date();
  const dir = opts.pricing?.cacheDir;
  const cache: CacheRead = await readPriceCache(region, now, dir);
  if (cache.kind === 'unreadable') log('warn', `ignoring the price cache ${cache.file}: ${cache.reason}`);
  if (cache.kind === 'found' && (cache.fresh || opts.offline)) {
    const date = cache.cached.fetchedAt.slice(0, 10);
    log('info', `prices for ${region} from the cache ${cache.file} (live, ${date})`);
    return {
      prices: tagSources(cache.cached.prices, `live, ${date}`),
      origin: { kind: 'cache', date, cacheFile: cache.file, ageDays: cache.ageDays },
    };
  }
  if (opts.offline) {
    log('warn', `--offline: live prices for ${region} not fetched and none cached; using the bundled prices`);
    return undefined;
  }

  const owned = opts.pricing?.client === undefined;
  const client =
    opts.pricing?.client ??
    pricingClient({
      ...(stackOpts.profile === undefined ? {} : { profile: stackOpts.profile }),
      // Tests: the emulator's endpoint and keys, as for the stack's other clients.
      ...stackOpts.configFor?.(input.config.provider.account, PRICING_API_REGION),
    });
  try {
    const prices = await livePrices(region, client, now);
    const date = day(now);
    let cacheFile: string | undefined;
    try {
      cacheFile = await writePriceCache(prices, now, dir);
    } catch (e) {
      log('warn', `live prices not cached: ${(e as Error).message}`);
    }
    log(
      'info',
      `prices for ${region} read from the AWS Price List API${cacheFile ? `, cached in ${cacheFile}` : ''}`,
    );
    return {
      prices: tagSources(prices, `live, ${date}`),
      origin: { kind: 'live', date, ...(cacheFile === undefined ? {} : { cacheFile }) },
    };
  } finally {
    if (owned) (client as { destroy?: () => void }).destroy?.();
  }
}

/**
 * The report as estimateCost made it, with the first note, the price date and a note of every
 * figure's source saying where the prices came from: "live, <date>" (the Price List API, read that
 * day) or "price table <date>" (the bundled prices, when --live-prices could not be served).
 */
function relabel(
  report: CostReport,
  input: PlanInput,
  resolved: Resolved | undefined,
): CostReport & { priceOrigin: PriceOrigin } {
  const region = input.config.region;
  const bundled = bundledPrices(region);
  const prices = resolved?.prices ?? bundled?.prices;
  const origin: PriceOrigin = resolved?.origin ??
    bundled?.origin ?? { kind: 'table', date: PRICE_TABLE_DATE };
  let label: string;
  switch (origin.kind) {
    case 'live':
      label = `live, ${origin.date} (AWS Price List API)`;
      break;
    case 'cache':
      label =
        `live, ${origin.date} (AWS Price List API, cached in ${origin.cacheFile}` +
        (origin.ageDays >= 1 ? `, ${Math.floor(origin.ageDays)} days old)` : ')');
      break;
    case 'table':
      label = `price table ${origin.date} (--offline: live prices not fetched and none cached)`;
      break;
    case 'snapshot':
      label = `price snapshot ${origin.date} (AWS Price List API, bundled; --offline: none cached)`;
      break;
  }
  const [first = '', ...rest] = report.notes;
  const marker = `; prices of ${PRICE_TABLE_DATE} for ${region}: `;
  const at = first.indexOf(marker);
  const provenance = prices?.provenance ?? '';
  const firstNote =
    at >= 0
      ? `${first.slice(0, at)}; prices ${label} for ${region}: ${provenance}`
      : `prices ${label} for ${region}: ${provenance}`;
  const notes = at >= 0 ? [firstNote, ...rest] : [firstNote, first, ...rest];
  if (prices !== undefined) notes.splice(1, 0, `Price sources: ${sourceLines(prices).join('; ')}.`);
  return { ...report, priceTableDate: origin.date, notes, priceOrigin: origin };
}
