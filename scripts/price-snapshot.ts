// Regenerates the bundled price snapshot (src/cost/price-snapshot.ts) from the AWS Price List Query
// API: the same GetProducts queries as `cost --live-prices` (src/cost/price-list.ts), for every
// commercial region the API prices, or the regions given.
//
//   npx tsx scripts/price-snapshot.ts [--regions us-east-2,eu-central-1] [--out FILE] [--record FILE]
//                                     [--endpoint URL] [--profile NAME]
//
// Needs AWS credentials allowed pricing:GetProducts and pricing:GetAttributeValues (the SDK's usual
// chain, or --profile); the API is served in us-east-1 whatever the credentials' region. Without
// --regions, the regions are the API's own list: GetAttributeValues(AmazonVPC, regionCode), less
// GovCloud, China, ISO and Local/Wavelength Zone codes. A region the API lacks a product for is left
// out of the snapshot and listed under `skipped` with what is missing; any other failure stops the run.
// --record FILE keeps every GetProducts request and answer as JSON (the recorded responses the unit
// tests replay, test/fixtures/pricing/). --endpoint points at another endpoint (the test's AWS twin).
// Not run where this was written: no AWS credentials there (docs/cost-model.md, "Live prices").
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { GetAttributeValuesCommand, type GetProductsCommand } from '@aws-sdk/client-pricing';
import { MplError } from '../src/errors.js';
import { day, livePrices, pricingClient, type ProductsClient } from '../src/cost/price-list.js';
import type { PriceSnapshot, RegionPrices } from '../src/cost/prices.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_OUT = path.join(ROOT, 'src/cost/price-snapshot.ts');
// Commercial regions: <area>-<direction>-<n>; not us-gov-*, cn-*, us-iso*, nor zone codes (us-east-1-bos-1).
const COMMERCIAL =
  /^(?:us|ca|mx|sa|eu|il|me|af|ap)-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d+$/;

const { values } = parseArgs({
  options: {
    regions: { type: 'string' },
    out: { type: 'string', default: DEFAULT_OUT },
    record: { type: 'string' },
    endpoint: { type: 'string' },
    profile: { type: 'string' },
  },
});

interface Recorded {
  input: unknown;
  output: { FormatVersion?: string; PriceList: string[]; NextToken?: string };
}

/** A client that answers a repeated GetProducts (Route 53's, the same for every region) once, and records. */
function memoClient(inner: ProductsClient, records: Recorded[]): ProductsClient {
  const seen = new Map<string, Promise<Awaited<ReturnType<ProductsClient['send']>>>>();
  return {
    send(command: GetProductsCommand) {
      const key = JSON.stringify(command.input);
      let answer = seen.get(key);
      if (answer === undefined) {
        answer = inner.send(command).then((out) => {
          const list = Array.isArray(out.PriceList) ? out.PriceList.map((e: unknown) => String(e)) : [];
          records.push({
            input: command.input,
            output: {
              ...(out.FormatVersion === undefined ? {} : { FormatVersion: String(out.FormatVersion) }),
              PriceList: list,
              ...(out.NextToken ? { NextToken: out.NextToken } : {}),
            },
          });
          return { PriceList: list, NextToken: out.NextToken };
        });
        seen.set(key, answer);
      }
      return answer;
    },
  };
}

const client = pricingClient({
  ...(values.profile === undefined ? {} : { profile: values.profile }),
  ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
});

async function commercialRegions(): Promise<string[]> {
  const out = new Set<string>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new GetAttributeValuesCommand({
        ServiceCode: 'AmazonVPC',
        AttributeName: 'regionCode',
        MaxResults: 100,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    for (const v of page.AttributeValues ?? []) if (v.Value && COMMERCIAL.test(v.Value)) out.add(v.Value);
    token = page.NextToken || undefined;
  } while (token !== undefined);
  return [...out].sort();
}

const now = new Date();
const records: Recorded[] = [];
const products = memoClient(client, records);
try {
  const regions = values.regions
    ? values.regions
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean)
    : await commercialRegions();
  if (regions.length === 0) throw new Error('no regions to price');
  const priced: Record<string, RegionPrices> = {};
  const skipped: Record<string, string> = {};
  for (const region of regions) {
    try {
      priced[region] = await livePrices(region, products, now);
      process.stderr.write(`${region}: priced\n`);
    } catch (e) {
      if (!(e instanceof MplError) || e.code !== 'COST_REGION_UNPRICED') throw e;
      skipped[region] = e.message;
      process.stderr.write(`${region}: skipped: ${e.message}\n`);
    }
  }
  const snapshot: PriceSnapshot = {
    date: day(now),
    source:
      `scripts/price-snapshot.ts, AWS Price List API GetProducts` +
      (values.endpoint === undefined ? '' : ` at ${values.endpoint} (not AWS's endpoint)`) +
      `, ${Object.keys(priced).length} of ${regions.length} regions`,
    regions: priced,
    skipped,
  };
  const body =
    `// Written by scripts/price-snapshot.ts on ${day(now)} from the AWS Price List API: do not edit by hand,\n` +
    '// run the script again (docs/cost-model.md, "Live prices").\n' +
    "import type { PriceSnapshot } from './prices.js';\n\n" +
    `export const PRICE_SNAPSHOT: PriceSnapshot = ${JSON.stringify(snapshot, null, 2)};\n`;
  await writeFile(values.out, await formatted(body, values.out), 'utf8');
  process.stderr.write(
    `wrote ${values.out}: ${Object.keys(priced).length} regions, ${Object.keys(skipped).length} skipped\n`,
  );
  if (values.record !== undefined) {
    const recording = {
      _comment:
        'GetProducts requests and answers recorded by scripts/price-snapshot.ts --record' +
        (values.endpoint === undefined
          ? ' from the AWS Price List API'
          : ` from ${values.endpoint}, not AWS`),
      recordedAt: now.toISOString(),
      calls: records,
    };
    await writeFile(values.record, `${JSON.stringify(recording, null, 2)}\n`, 'utf8');
    process.stderr.write(`recorded ${records.length} GetProducts answers in ${values.record}\n`);
  }
} finally {
  client.destroy();
}

/** The file as the repository's prettier config formats it (prettier is a dev dependency). */
async function formatted(text: string, file: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...config, filepath: file });
  } catch {
    return text;
  }
}
