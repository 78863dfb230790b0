// The cache of live prices: one file per region under the user's cache directory
// ($XDG_CACHE_HOME/msk-privatelink, else ~/.cache/msk-privatelink), prices-<region>.json, holding the
// RegionPrices read from the AWS Price List API and when they were read. `cost --live-prices` reuses a
// file younger than CACHE_MAX_AGE_DAYS instead of calling the API again.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { RegionPrices } from './prices.js';

/** How long fetched prices are reused: AWS changes these list prices rarely (months apart). */
export const CACHE_MAX_AGE_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The cache directory: $XDG_CACHE_HOME/msk-privatelink, else ~/.cache/msk-privatelink. */
export function priceCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
  return path.join(base ?? path.join(homedir(), '.cache'), 'msk-privatelink');
}

export function priceCacheFile(region: string, dir: string = priceCacheDir()): string {
  if (!/^[a-z0-9-]+$/.test(region)) throw new Error(`not a region code: ${region}`);
  return path.join(dir, `prices-${region}.json`);
}

const PriceSchema = z.object({ usd: z.number().nonnegative(), source: z.string().min(1) });
const RegionPricesSchema = z.object({
  region: z.string(),
  nlbHour: PriceSchema,
  nlcuHour: PriceSchema,
  endpointAzHour: PriceSchema,
  privateLinkData: z.object({
    tiers: z.array(
      z.object({ upToGb: z.number().positive().nullable(), usdPerGb: z.number().nonnegative() }),
    ),
    source: z.string().min(1),
  }),
  hostedZoneMonth: z.object({
    first25: z.number().nonnegative(),
    after25: z.number().nonnegative(),
    source: z.string().min(1),
  }),
  crossAzGbEachDirection: PriceSchema,
  provenance: z.string(),
});

const CacheFile = z.object({
  format: z.literal(1),
  region: z.string(),
  /** ISO time the prices were read from the API. */
  fetchedAt: z.iso.datetime(),
  prices: RegionPricesSchema,
});
export type CachedPrices = z.infer<typeof CacheFile>;

/** Checks RegionPrices read from a file (cache or snapshot). */
export function parseRegionPrices(value: unknown): RegionPrices | undefined {
  const r = RegionPricesSchema.safeParse(value);
  return r.success ? r.data : undefined;
}

export type CacheRead =
  | { kind: 'none' }
  /** The file is there but does not parse: ignored (and replaced on the next fetch). */
  | { kind: 'unreadable'; file: string; reason: string }
  | { kind: 'found'; file: string; cached: CachedPrices; ageDays: number; fresh: boolean };

export async function readPriceCache(region: string, now: Date, dir?: string): Promise<CacheRead> {
  const file = priceCacheFile(region, dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'unreadable', file, reason: (e as Error).message };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { kind: 'unreadable', file, reason: `not JSON: ${(e as Error).message}` };
  }
  const r = CacheFile.safeParse(json);
  if (!r.success || r.data.region !== region || r.data.prices.region !== region) {
    return { kind: 'unreadable', file, reason: r.success ? 'for another region' : 'not a price cache file' };
  }
  const ageMs = now.getTime() - Date.parse(r.data.fetchedAt);
  const ageDays = ageMs / DAY_MS;
  // A time ahead of the clock (by more than a minute) is not trusted as fresh.
  const fresh = ageMs > -60_000 && ageDays < CACHE_MAX_AGE_DAYS;
  return { kind: 'found', file, cached: r.data, ageDays, fresh };
}

/** Writes the cache file (to a temporary name first, then renamed, so a reader never sees half a file). */
export async function writePriceCache(prices: RegionPrices, fetchedAt: Date, dir?: string): Promise<string> {
  const file = priceCacheFile(prices.region, dir);
  await mkdir(path.dirname(file), { recursive: true });
  const body: CachedPrices = { format: 1, region: prices.region, fetchedAt: fetchedAt.toISOString(), prices };
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(body, null, 2)}\n`, 'utf8');
  await rename(tmp, file);
  return file;
}
