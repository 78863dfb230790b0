// `cost --live-prices` and `recommend --live-prices` against the AWS twin's Price List API
// (test/testbed/aws/twin_pricing.py): us-east-2 from the API gives the price table's figures,
// eu-central-1 is priced from the API (the fixture's test values, not the table's), the answer is
// cached under $XDG_CACHE_HOME and reused without a second GetProducts, and the notes say "live, <date>".
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PRICE_TABLE_DATE } from '../../src/cost/prices.js';
import { runCli } from '../support/run-cli.js';
import { envFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const ACCOUNT = '111111111111';

interface Line {
  item: string;
  quantity: number;
  unitUsd: number;
  monthlyUsd: number;
}
interface Report {
  region: string;
  priceTableDate: string;
  notes: string[];
  options: Array<{ id: string; viable: boolean; monthlyUsd: number; lines: Line[] }>;
}

describe('cost --live-prices against the AWS twin', function () {
  this.timeout(120_000);
  let twin: AwsTwin;
  let dir: string;
  let cache: string;
  const saved = { ...process.env };
  const today = new Date().toISOString().slice(0, 10);
  const config = (region: string) => path.join(dir, `${region}.yaml`);
  const cacheFile = (region: string) => path.join(cache, 'msk-privatelink', `prices-${region}.json`);
  const getProducts = () => twin.control.callCount({ service: 'pricing', action: 'GetProducts' });

  before(async () => {
    twin = await startAwsTwin();
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-live-prices-'));
    cache = path.join(dir, 'cache');
    // The payments stack of plans/pattern2-one-consumer.yaml (one NLB, one consumer in three AZs), in
    // three regions: us-east-2 as written, eu-central-1 and sa-east-1 with their AZ IDs.
    const yaml = await readFile(path.join('plans', 'pattern2-one-consumer.yaml'), 'utf8');
    const inventory = await readFile(path.join('plans', 'inventories', 'payments-3-brokers.json'), 'utf8');
    for (const [region, az] of [
      ['us-east-2', 'use2'],
      ['eu-central-1', 'euc1'],
      ['sa-east-1', 'sae1'],
    ] as const) {
      const swap = (s: string) => s.replaceAll('us-east-2', region).replaceAll('use2-az', `${az}-az`);
      await writeFile(
        config(region),
        swap(yaml).replace('inventories/payments-3-brokers.json', `inventory-${region}.json`),
      );
      await writeFile(path.join(dir, `inventory-${region}.json`), swap(inventory));
    }
    Object.assign(process.env, envFor(twin, ACCOUNT), {
      XDG_CACHE_HOME: cache,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
  });
  after(async () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await twin?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function cost(args: string[]): Promise<Report> {
    const r = await runCli(['cost', '--format', 'json', ...args]);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as Report;
  }
  const line = (r: Report, option: string, item: string) =>
    r.options.find((o) => o.id === option)?.lines.find((l) => l.item === item);

  it('us-east-2 from the API: the figures of the price table, the notes saying live and every source', async () => {
    const table = await cost(['--config', config('us-east-2'), '--gb-per-month', '2000']);
    assert.equal(table.priceTableDate, PRICE_TABLE_DATE);
    assert.equal(await getProducts(), 0, 'no Price List call without --live-prices');

    const t0 = Date.now();
    const live = await cost(['--config', config('us-east-2'), '--gb-per-month', '2000', '--live-prices']);
    const ms = Date.now() - t0;
    assert.deepEqual(live.options, table.options);
    assert.equal(live.priceTableDate, today);
    assert.match(
      live.notes[0] ?? '',
      /^730 hours a month \(AWS's convention.*; prices live, \d{4}-\d\d-\d\d \(AWS Price List API\) for us-east-2: AWS Price List API \(GetProducts/,
    );
    assert.ok(live.notes[0]?.includes(`prices live, ${today} (AWS Price List API)`), live.notes[0]);
    const sources = live.notes[1] ?? '';
    assert.match(sources, /^Price sources: /);
    for (const s of [
      `NLB hour, NLCU hour: AWS Price List API (AWSELB, 2026-10-01); live, ${today}`,
      `endpoint AZ hour, PrivateLink data tiers: AWS Price List API (AmazonVPC, 2026-10-01); live, ${today}`,
      `hosted zone month: AWS Price List API (AmazonRoute53, 2026-10-01); live, ${today}`,
      `cross-AZ GB: AWS Price List API (AWSDataTransfer, 2026-10-01); live, ${today}`,
    ])
      assert.ok(sources.includes(s), `${s} in ${sources}`);
    // The rest of the notes are the table run's.
    assert.deepEqual(live.notes.slice(2), table.notes.slice(1));
    // One GetProducts per service (each answer fits a page).
    assert.equal(await getProducts(), 4);
    const cached = JSON.parse(await readFile(cacheFile('us-east-2'), 'utf8')) as {
      fetchedAt: string;
      prices: { nlbHour: { usd: number } };
    };
    assert.equal(cached.prices.nlbHour.usd, 0.0225);
    assert.equal(cached.fetchedAt.slice(0, 10), today);
    assert.ok(ms < 20_000, `${ms} ms`);

    // The second run reads the cache: no GetProducts.
    const again = await cost(['--config', config('us-east-2'), '--gb-per-month', '2000', '--live-prices']);
    assert.equal(await getProducts(), 4);
    assert.deepEqual(again.options, table.options);
    assert.ok(
      again.notes[0]?.includes(
        `prices live, ${today} (AWS Price List API, cached in ${cacheFile('us-east-2')})`,
      ),
    );
  });

  it("eu-central-1: the price table's figures offline, the API's with --live-prices, then the cache offline", async () => {
    const offline = await cost(['--offline', '--config', config('eu-central-1')]);
    assert.equal(line(offline, 'pattern2', 'nlb-hours')?.unitUsd, 0.027);

    const before = await getProducts();
    const r = await cost(['--config', config('eu-central-1'), '--gb-per-month', '1000', '--live-prices']);
    assert.equal(await getProducts(), before + 4);
    assert.equal(r.region, 'eu-central-1');
    // The fixture's eu-central-1 test values (not AWS's): NLB $0.0271/h, NLCU $0.0067, endpoint
    // $0.0121 per AZ-hour, data $0.0101/GB (first PB), cross-AZ $0.0102/GB each way.
    const nlb = line(r, 'pattern2', 'nlb-hours');
    assert.deepEqual([nlb?.quantity, nlb?.unitUsd, nlb?.monthlyUsd], [1, 0.0271, 19.78]); // 0.0271 x 730 = 19.783
    const ep = line(r, 'pattern2', 'endpoint-az-hours');
    assert.deepEqual([ep?.quantity, ep?.unitUsd, ep?.monthlyUsd], [3, 0.0121, 26.5]); // 3 x 0.0121 x 730 = 26.499
    const data = line(r, 'pattern2', 'privatelink-data');
    assert.deepEqual([data?.quantity, data?.unitUsd, data?.monthlyUsd], [1000, 0.0101, 10.1]);
    assert.equal(line(r, 'pattern2', 'nlcu-hours')?.unitUsd, 0.0067);
    assert.equal(line(r, 'pattern2', 'cross-az-data')?.unitUsd, 0.0204); // billed out and in: 2 x 0.0102
    assert.equal(line(r, 'pattern2', 'hosted-zones')?.unitUsd, 0.5);
    assert.ok(
      r.notes[0]?.includes(`prices live, ${today} (AWS Price List API) for eu-central-1`),
      r.notes[0],
    );
    await stat(cacheFile('eu-central-1'));

    // Offline, the cache is used (never fetched).
    const cachedOffline = await cost(['--offline', '--live-prices', '--config', config('eu-central-1')]);
    assert.equal(await getProducts(), before + 4);
    assert.equal(line(cachedOffline, 'pattern2', 'nlb-hours')?.unitUsd, 0.0271);
    assert.match(cachedOffline.notes[0] ?? '', /prices live, .* cached in /);

    const rec = await runCli(['recommend', '--live-prices', '--json', '--config', config('eu-central-1')]);
    assert.equal(rec.code, 0, rec.err);
    const pick = JSON.parse(rec.out) as { option: string; monthlyUsd: number };
    const sameRun = await cost(['--live-prices', '--config', config('eu-central-1')]);
    assert.equal(pick.monthlyUsd, sameRun.options.find((o) => o.id === pick.option)?.monthlyUsd);
    assert.equal(await getProducts(), before + 4);
  });

  it('offline with no cache: the bundled prices, and the first note says price table', async () => {
    await rm(path.join(cache, 'msk-privatelink'), { recursive: true, force: true });
    const before = await getProducts();
    const r = await cost(['--offline', '--live-prices', '--config', config('us-east-2')]);
    assert.equal(await getProducts(), before);
    assert.ok(
      r.notes[0]?.includes(
        `prices price table ${PRICE_TABLE_DATE} (--offline: live prices not fetched and none cached)`,
      ),
    );
    assert.match(
      r.notes[1] ?? '',
      /^Price sources: NLB hour, NLCU hour: https:\/\/aws\.amazon\.com\/elasticloadbalancing\/pricing\//,
    );
    assert.equal(r.priceTableDate, PRICE_TABLE_DATE);
  });

  it('a cache older than 7 days is fetched again, every page read', async () => {
    await cost(['--live-prices', '--config', config('us-east-2')]);
    const file = cacheFile('us-east-2');
    const old = JSON.parse(await readFile(file, 'utf8')) as { fetchedAt: string };
    old.fetchedAt = new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString();
    await writeFile(file, JSON.stringify(old));
    // One product a page: AWSELB 3 (NLB hour, NLCU, Outposts), AmazonVPC 3, Route 53 1, transfer 1.
    const res = await fetch(`${twin.controlUrl}/pricing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pageSize: 1 }),
    });
    assert.equal(res.status, 200);
    const before = await getProducts();
    const r = await cost(['--live-prices', '--config', config('us-east-2')]);
    assert.equal((await getProducts()) - before, 8);
    assert.equal(line(r, 'pattern2', 'nlb-hours')?.unitUsd, 0.0225);
    const fresh = JSON.parse(await readFile(file, 'utf8')) as { fetchedAt: string };
    assert.equal(fresh.fetchedAt.slice(0, 10), today);
    await fetch(`${twin.controlUrl}/pricing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pageSize: null }),
    });
  });

  it('a region the API lacks products for is an error naming what is missing; nothing is cached', async () => {
    const r = await runCli(['cost', '--live-prices', '--config', config('sa-east-1')]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /error \[COST_REGION_UNPRICED\]: the AWS Price List API has no prices for sa-east-1 of: /,
    );
    assert.match(
      r.err,
      /interface endpoint AZ hour \(GetProducts AmazonVPC \(regionCode=sa-east-1, productFamily=VpcEndpoint\) answered 0 product/,
    );
    assert.match(r.err, /data transfer between AZs/);
    assert.doesNotMatch(r.err, /Network Load Balancer hour/);
    await assert.rejects(stat(cacheFile('sa-east-1')));
  });
});
