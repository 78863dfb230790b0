// Prices from the AWS Price List Query API (GetProducts), for `cost --live-prices` and for the
// bundled snapshot (scripts/price-snapshot.ts). The API's shapes, as AWS documents them:
// - GetProducts(ServiceCode, Filters [{Type: TERM_MATCH, Field, Value}], MaxResults, NextToken) answers
//   PriceList, a list of JSON strings, one product each, and NextToken while more pages follow
//   (AWS Price List Service API reference, GetProducts; @aws-sdk/client-pricing GetProductsCommand).
// - Each product: {product: {productFamily, attributes: {regionCode, usagetype, operation, ...}, sku},
//   serviceCode, terms: {OnDemand: {<offerTermCode>: {effectiveDate, priceDimensions: {<rateCode>:
//   {unit, beginRange, endRange, pricePerUnit: {USD}}}}}}, publicationDate} (AWS Billing user guide,
//   "Reading the service price list file for an AWS service": the same product and terms shape).
// - Tiered prices are several price dimensions of one term, each from beginRange to endRange ("Inf"
//   for the last), in the product's unit (GB for data, a month's zones for Route 53).
// - The API is served in us-east-1 (also eu-central-1 and ap-south-1): the client is always made for
//   us-east-1, whatever region the stack is in; the region priced is a filter.
// Which products: the filters and usage types below follow AWS's public price list files as other
// tools read them (AWSELB products of operation LoadBalancing:Network, usage types <prefix>-
// LoadBalancerUsage and <prefix>-LCUUsage; AmazonVPC product family VpcEndpoint, <prefix>-VpcEndpoint-
// Hours and -Bytes; AmazonRoute53 DNS Zone HostedZone; AWSDataTransfer IntraRegion, <prefix>-
// DataTransfer-Regional-Bytes). They could not be checked against the live API from where this was
// written (no AWS credentials): a product the API does not answer is an error naming it, never a guess.
// Not read: Amazon MSK's multi-VPC private connectivity (its price list usage types are not documented
// where this was written, and no option here uses it) and VPC Lattice (pattern 3's resource endpoints
// are priced at the interface endpoint rates, docs/cost-model.md).
import { GetProductsCommand, PricingClient, type Filter } from '@aws-sdk/client-pricing';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { z } from 'zod';
import { awsFailure } from '../aws/errors.js';
import { MplError } from '../errors.js';
import type { DataTier, Price, RegionPrices } from './prices.js';

/** Where the Price List Query API is served (also eu-central-1 and ap-south-1). */
export const PRICING_API_REGION = 'us-east-1';

/** The service codes read, in the Price List API's spelling. */
export const PRICE_SERVICE_CODES = ['AWSELB', 'AmazonVPC', 'AmazonRoute53', 'AWSDataTransfer'] as const;
export type PriceServiceCode = (typeof PRICE_SERVICE_CODES)[number];

/** GetProducts' page size: the API answers at most 100 products a page. */
const PAGE_SIZE = 100;
/** More pages than this for one query means the filters match far more than they should. */
const MAX_PAGES = 50;

/** What livePrices needs of a Pricing client (a PricingClient, or a stand-in in tests). */
export interface ProductsClient {
  send(command: GetProductsCommand): Promise<{ PriceList?: unknown; NextToken?: string | undefined }>;
}

/** A Pricing client for the Price List API's region, with the SDK's usual credential chain. */
export function pricingClient(
  opts: {
    profile?: string;
    endpoint?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    maxAttempts?: number;
  } = {},
): PricingClient {
  return new PricingClient({
    region: PRICING_API_REGION,
    credentials:
      opts.credentials ?? fromNodeProviderChain(opts.profile === undefined ? {} : { profile: opts.profile }),
    maxAttempts: opts.maxAttempts ?? 6,
    ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
  });
}

// ---------------------------------------------------------------- the product JSON, at the boundary

const Usd = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'a decimal number of USD')
  .transform((s) => Number(s));

const Range = z.string().regex(/^(\d+(\.\d+)?|Inf)$/, 'a number or Inf');

const PriceDimension = z.object({
  unit: z.string(),
  beginRange: Range.optional(),
  endRange: Range.optional(),
  description: z.string().optional(),
  pricePerUnit: z.object({ USD: Usd }),
});

const Term = z.object({
  effectiveDate: z.string().optional(),
  offerTermCode: z.string().optional(),
  priceDimensions: z.record(z.string(), PriceDimension),
});

/** One PriceList entry of GetProducts, once its JSON string is parsed. */
export const PriceListProduct = z.object({
  product: z.object({
    productFamily: z.string().optional(),
    sku: z.string().optional(),
    attributes: z.record(z.string(), z.string()),
  }),
  serviceCode: z.string(),
  terms: z.object({ OnDemand: z.record(z.string(), Term).optional() }),
  publicationDate: z.string().optional(),
  version: z.string().optional(),
});
export type PriceListProduct = z.infer<typeof PriceListProduct>;

/** One on-demand price dimension, parsed: [begin, end) in the product's unit; end null for "Inf". */
export interface Dimension {
  unit: string;
  usd: number;
  begin: number;
  end: number | null;
}

/** A product reduced to what pricing needs: its usage type, on-demand dimensions and date. */
export interface PricedProduct {
  serviceCode: string;
  sku: string;
  usagetype: string;
  attributes: Record<string, string>;
  productFamily: string | undefined;
  dimensions: Dimension[];
  /** YYYY-MM-DD: the on-demand term's effectiveDate, else the product's publicationDate, else ''. */
  date: string;
}

/** Parses one PriceList entry (a JSON string, the SDK's LazyJsonString, or an object) at the boundary. */
export function parsePriceListEntry(entry: unknown, what: string): PricedProduct {
  let raw: unknown = entry;
  if (typeof entry === 'string' || entry instanceof String) {
    try {
      raw = JSON.parse(String(entry));
    } catch (e) {
      throw new MplError('READ_FAILED', `${what}: a PriceList entry is not JSON`, { cause: e });
    }
  }
  const r = PriceListProduct.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MplError(
      'READ_FAILED',
      `${what}: a PriceList entry is not a product in the price list's shape: ${issue ? `${issue.path.join('.')}: ${issue.message}` : r.error.message}`,
    );
  }
  const p = r.data;
  const sku = p.product.sku ?? '';
  const terms = Object.values(p.terms.OnDemand ?? {});
  if (terms.length > 1) {
    throw new MplError('READ_FAILED', `${what}: product ${sku} has ${terms.length} on-demand terms, not one`);
  }
  const term = terms[0];
  const dimensions: Dimension[] = Object.values(term?.priceDimensions ?? {}).map((d) => ({
    unit: d.unit,
    usd: d.pricePerUnit.USD,
    begin: d.beginRange === undefined || d.beginRange === 'Inf' ? 0 : Number(d.beginRange),
    end: d.endRange === undefined || d.endRange === 'Inf' ? null : Number(d.endRange),
  }));
  dimensions.sort((a, b) => a.begin - b.begin);
  const date = (term?.effectiveDate ?? p.publicationDate ?? '').slice(0, 10);
  return {
    serviceCode: p.serviceCode,
    sku,
    usagetype: p.product.attributes.usagetype ?? '',
    attributes: p.product.attributes,
    productFamily: p.product.productFamily,
    dimensions,
    date,
  };
}

// ---------------------------------------------------------------- queries

export interface ProductQuery {
  serviceCode: PriceServiceCode;
  /** TERM_MATCH filters, field -> value. */
  filters: Record<string, string>;
}

/** The GetProducts calls that price a region: one per service, every page. */
export function queriesFor(region: string): Record<PriceServiceCode, ProductQuery> {
  return {
    // The NLB hour and its NLCU both carry operation LoadBalancing:Network (ALB, GWLB and CLB do not).
    AWSELB: { serviceCode: 'AWSELB', filters: { regionCode: region, operation: 'LoadBalancing:Network' } },
    AmazonVPC: { serviceCode: 'AmazonVPC', filters: { regionCode: region, productFamily: 'VpcEndpoint' } },
    // Route 53 is priced globally: no region filter.
    AmazonRoute53: {
      serviceCode: 'AmazonRoute53',
      filters: { productFamily: 'DNS Zone', usagetype: 'HostedZone' },
    },
    AWSDataTransfer: {
      serviceCode: 'AWSDataTransfer',
      filters: { fromRegionCode: region, toRegionCode: region, transferType: 'IntraRegion' },
    },
  };
}

function describeQuery(q: ProductQuery): string {
  return `GetProducts ${q.serviceCode} (${Object.entries(q.filters)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')})`;
}

/** Every product a query matches, all pages (NextToken) read. */
export async function getProducts(client: ProductsClient, q: ProductQuery): Promise<PricedProduct[]> {
  const what = `AWS Price List API ${describeQuery(q)}`;
  const Filters: Filter[] = Object.entries(q.filters).map(([Field, Value]) => ({
    Type: 'TERM_MATCH',
    Field,
    Value,
  }));
  const out: PricedProduct[] = [];
  let token: string | undefined;
  for (let page = 0; ; page++) {
    if (page >= MAX_PAGES) {
      throw new MplError('READ_FAILED', `${what}: more than ${MAX_PAGES} pages; the filters match too much`);
    }
    let answer: Awaited<ReturnType<ProductsClient['send']>>;
    try {
      answer = await client.send(
        new GetProductsCommand({
          ServiceCode: q.serviceCode,
          Filters,
          FormatVersion: 'aws_v1',
          MaxResults: PAGE_SIZE,
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
    } catch (e) {
      throw awsFailure('READ_FAILED', what, e, 'the Price List API needs pricing:GetProducts');
    }
    const list = answer.PriceList ?? [];
    if (!Array.isArray(list)) throw new MplError('READ_FAILED', `${what}: PriceList is not a list`);
    for (const entry of list) out.push(parsePriceListEntry(entry, what));
    token = answer.NextToken || undefined;
    if (token === undefined) return out;
  }
}

// ---------------------------------------------------------------- from products to prices

/** A usage type with an optional region prefix (USE2-, EU-, APS2-; none in some us-east-1 ones). */
function usageType(name: string): RegExp {
  return new RegExp(`^(?:[A-Z]+[0-9]*-)?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/** Why no product of a query has the usage type: the query and the usage types it did answer. */
function missingWhy(products: PricedProduct[], q: ProductQuery, usage: string): string {
  const seen = [...new Set(products.map((p) => p.usagetype))].sort();
  return (
    `${describeQuery(q)} answered ${products.length} product(s), none with usage type [<region prefix>-]${usage}` +
    (seen.length > 0
      ? ` (usage types: ${seen.slice(0, 12).join(', ')}${seen.length > 12 ? ', ...' : ''})`
      : '')
  );
}

/** The one product of `products` with this usage type; none or several is an error naming it. */
export function pickProduct(
  products: PricedProduct[],
  q: ProductQuery,
  usage: string,
  item: string,
  region: string,
): PricedProduct {
  const re = usageType(usage);
  const found = products.filter((p) => re.test(p.usagetype));
  if (found.length === 1) return found[0] as PricedProduct;
  if (found.length === 0) {
    throw new MplError(
      'COST_REGION_UNPRICED',
      `the AWS Price List API has no ${item} for ${region}: ${missingWhy(products, q, usage)}`,
      { detail: 'price a region the API prices, or drop --live-prices for the bundled prices' },
    );
  }
  throw new MplError(
    'READ_FAILED',
    `the AWS Price List API has ${found.length} products for the ${item} in ${region} (${describeQuery(q)}, ` +
      `usage type ${usage}: ${found.map((p) => `${p.usagetype} ${p.sku}`).join(', ')}); expected one`,
  );
}

export function sourceOf(p: PricedProduct): string {
  return `AWS Price List API (${p.serviceCode}, ${p.date || 'undated'})`;
}

const HOURLY_UNIT = /^(n?lcu-)?(hrs?|hours?)$/i;
const GB_UNIT = /^gb$/i;

function checkUnit(p: PricedProduct, unit: RegExp, item: string): void {
  for (const d of p.dimensions) {
    if (!unit.test(d.unit)) {
      throw new MplError(
        'READ_FAILED',
        `the AWS Price List API prices the ${item} (${p.usagetype}) per ${d.unit}, not the unit the cost model uses`,
      );
    }
  }
}

/** A product with one price for all usage (one dimension from 0 to Inf). */
export function flatPrice(p: PricedProduct, item: string, unit: RegExp): Price {
  checkUnit(p, unit, item);
  const d = p.dimensions[0];
  if (p.dimensions.length !== 1 || d === undefined || d.begin !== 0 || d.end !== null) {
    throw new MplError(
      'READ_FAILED',
      `the AWS Price List API prices the ${item} (${p.usagetype}) in ${p.dimensions.length} tiers, not one price`,
    );
  }
  return { usd: d.usd, source: sourceOf(p) };
}

/** A tiered product's dimensions as contiguous tiers from 0: [{upToGb, usdPerGb}], the last unbounded. */
export function tiersOf(p: PricedProduct, item: string): DataTier[] {
  let below = 0;
  const tiers: DataTier[] = [];
  p.dimensions.forEach((d, i) => {
    const last = i === p.dimensions.length - 1;
    if (d.begin !== below || (d.end === null) !== last || (d.end !== null && d.end <= d.begin)) {
      throw new MplError(
        'READ_FAILED',
        `the AWS Price List API's tiers for the ${item} (${p.usagetype}) are not contiguous from 0 to Inf: ` +
          p.dimensions.map((x) => `${x.begin}-${x.end ?? 'Inf'}`).join(', '),
      );
    }
    tiers.push({ upToGb: d.end, usdPerGb: d.usd });
    below = d.end ?? below;
  });
  if (tiers.length === 0) {
    throw new MplError('READ_FAILED', `the AWS Price List API has no on-demand price for the ${item}`);
  }
  return tiers;
}

/** The items and where each comes from, for docs and errors. */
export const LIVE_ITEMS = {
  nlbHour: { service: 'AWSELB', usage: 'LoadBalancerUsage', item: 'Network Load Balancer hour' },
  nlcuHour: { service: 'AWSELB', usage: 'LCUUsage', item: 'Network Load Balancer NLCU hour' },
  endpointAzHour: { service: 'AmazonVPC', usage: 'VpcEndpoint-Hours', item: 'interface endpoint AZ hour' },
  privateLinkData: { service: 'AmazonVPC', usage: 'VpcEndpoint-Bytes', item: 'PrivateLink data processed' },
  hostedZoneMonth: { service: 'AmazonRoute53', usage: 'HostedZone', item: 'Route 53 hosted zone month' },
  crossAzGbEachDirection: {
    service: 'AWSDataTransfer',
    usage: 'DataTransfer-Regional-Bytes',
    item: 'data transfer between AZs',
  },
} as const satisfies Record<string, { service: PriceServiceCode; usage: string; item: string }>;

/** A day as the sources print it. */
export function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * The region's prices from the Price List API: four GetProducts queries (AWSELB, AmazonVPC,
 * AmazonRoute53, AWSDataTransfer), every page, each figure's source "AWS Price List API (<service
 * code>, <effective date>)". A product the API does not answer is an error naming it.
 */
export async function livePrices(
  region: string,
  client: ProductsClient,
  now: Date = new Date(),
): Promise<RegionPrices> {
  const q = queriesFor(region);
  const [elb, vpc, route53, transfer] = await Promise.all([
    getProducts(client, q.AWSELB),
    getProducts(client, q.AmazonVPC),
    getProducts(client, q.AmazonRoute53),
    getProducts(client, q.AWSDataTransfer),
  ]);
  // Every item missing in the region is named in one error, not only the first.
  const missing: string[] = [];
  const pick = (products: PricedProduct[], key: keyof typeof LIVE_ITEMS): PricedProduct => {
    const it = LIVE_ITEMS[key];
    const query = q[it.service];
    if (!products.some((p) => usageType(it.usage).test(p.usagetype))) {
      missing.push(`${it.item} (${missingWhy(products, query, it.usage)})`);
      return products[0] as PricedProduct; // not used: the missing items are thrown below
    }
    return pickProduct(products, query, it.usage, it.item, region);
  };

  const nlb = pick(elb, 'nlbHour');
  const nlcu = pick(elb, 'nlcuHour');
  const endpoint = pick(vpc, 'endpointAzHour');
  const data = pick(vpc, 'privateLinkData');
  const zone = pick(route53, 'hostedZoneMonth');
  const crossAz = pick(transfer, 'crossAzGbEachDirection');
  if (missing.length > 0) {
    throw new MplError(
      'COST_REGION_UNPRICED',
      `the AWS Price List API has no ${missing.length === 1 ? 'price' : 'prices'} for ${region} of: ${missing.join('; ')}`,
      { detail: 'price a region the API prices, or drop --live-prices for the bundled prices' },
    );
  }

  checkUnit(data, GB_UNIT, LIVE_ITEMS.privateLinkData.item);
  const dataTiers = tiersOf(data, LIVE_ITEMS.privateLinkData.item);
  // The cost model names three tiers (first 1 PB, next 4 PB, over 5 PB: estimate.ts's items).
  if (dataTiers.length > 3) {
    throw new MplError(
      'READ_FAILED',
      `the AWS Price List API prices PrivateLink data in ${region} in ${dataTiers.length} tiers; the cost model has three`,
    );
  }
  const zoneTiers = tiersOf(zone, LIVE_ITEMS.hostedZoneMonth.item);
  const [first25, after25] = zoneTiers;
  if (zoneTiers.length !== 2 || first25?.upToGb !== 25 || after25 === undefined) {
    throw new MplError(
      'READ_FAILED',
      `the AWS Price List API prices Route 53 hosted zones in tiers ${zoneTiers.map((t) => `up to ${t.upToGb ?? 'Inf'}`).join(', ')}; ` +
        'the cost model has the first 25 zones and those after',
    );
  }
  return {
    region,
    nlbHour: flatPrice(nlb, LIVE_ITEMS.nlbHour.item, HOURLY_UNIT),
    nlcuHour: flatPrice(nlcu, LIVE_ITEMS.nlcuHour.item, HOURLY_UNIT),
    endpointAzHour: flatPrice(endpoint, LIVE_ITEMS.endpointAzHour.item, HOURLY_UNIT),
    privateLinkData: { tiers: dataTiers, source: sourceOf(data) },
    hostedZoneMonth: { first25: first25.usdPerGb, after25: after25.usdPerGb, source: sourceOf(zone) },
    crossAzGbEachDirection: flatPrice(crossAz, LIVE_ITEMS.crossAzGbEachDirection.item, GB_UNIT),
    provenance: `AWS Price List API (GetProducts: ${PRICE_SERVICE_CODES.join(', ')}), on-demand USD list prices read ${day(now)}`,
  };
}

/** Every figure's source of a RegionPrices, with `tag` appended (e.g. "live, 2026-12-02"). */
export function tagSources(p: RegionPrices, tag: string): RegionPrices {
  const t = (price: Price): Price => ({ ...price, source: `${price.source}; ${tag}` });
  return {
    ...p,
    nlbHour: t(p.nlbHour),
    nlcuHour: t(p.nlcuHour),
    endpointAzHour: t(p.endpointAzHour),
    privateLinkData: { ...p.privateLinkData, source: `${p.privateLinkData.source}; ${tag}` },
    hostedZoneMonth: { ...p.hostedZoneMonth, source: `${p.hostedZoneMonth.source}; ${tag}` },
    crossAzGbEachDirection: t(p.crossAzGbEachDirection),
  };
}

/** "source: figures" lines of a RegionPrices, grouped by source (for the report's notes). */
export function sourceLines(p: RegionPrices): string[] {
  const bySource = new Map<string, string[]>();
  const add = (source: string, what: string) => bySource.set(source, [...(bySource.get(source) ?? []), what]);
  add(p.nlbHour.source, 'NLB hour');
  add(p.nlcuHour.source, 'NLCU hour');
  add(p.endpointAzHour.source, 'endpoint AZ hour');
  add(p.privateLinkData.source, 'PrivateLink data tiers');
  add(p.hostedZoneMonth.source, 'hosted zone month');
  add(p.crossAzGbEachDirection.source, 'cross-AZ GB');
  return [...bySource].map(([source, what]) => `${what.join(', ')}: ${source}`);
}
