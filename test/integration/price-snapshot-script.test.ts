// scripts/price-snapshot.ts against the AWS twin's Price List API (--endpoint): it writes the bundled
// snapshot module for the regions the API lists (GetAttributeValues regionCode) or the regions given,
// leaves out (and names) a region the API lacks products for, and records the GetProducts answers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pricesFor, type PriceSnapshot, type RegionPrices } from '../../src/cost/prices.js';
import { envFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const SCRIPT = path.join('scripts', 'price-snapshot.ts');

describe('scripts/price-snapshot.ts against the AWS twin', function () {
  this.timeout(120_000);
  let twin: AwsTwin;
  let dir: string;

  before(async () => {
    twin = await startAwsTwin();
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-snapshot-'));
  });
  after(async () => {
    await twin?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function run(args: string[]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, '--endpoint', twin.endpoint, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        ...envFor(twin, '111111111111'),
        NODE_OPTIONS: '',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    return { code: r.status, err: r.stderr };
  }
  const load = async (file: string) =>
    ((await import(pathToFileURL(file).href)) as { PRICE_SNAPSHOT: PriceSnapshot }).PRICE_SNAPSHOT;
  const figures = (p: RegionPrices | undefined) =>
    p && [
      p.nlbHour.usd,
      p.nlcuHour.usd,
      p.endpointAzHour.usd,
      p.privateLinkData.tiers,
      p.hostedZoneMonth.first25,
      p.hostedZoneMonth.after25,
      p.crossAzGbEachDirection.usd,
    ];

  it("prices the regions the API lists: us-east-2 as the price table, eu-central-1 at the twin's test values", async () => {
    const out = path.join(dir, 'all.ts');
    const r = run(['--out', out]);
    assert.equal(r.code, 0, r.err);
    const snap = await load(out);
    assert.equal(snap.date, new Date().toISOString().slice(0, 10));
    assert.match(snap.source, /at http:\/\/127\.0\.0\.1:\d+ \(not AWS's endpoint\), 2 of 2 regions/);
    // GetAttributeValues(AmazonVPC, regionCode): the fixture has VPC products for these two only.
    assert.deepEqual(Object.keys(snap.regions).sort(), ['eu-central-1', 'us-east-2']);
    assert.deepEqual(figures(snap.regions['us-east-2']), figures(pricesFor('us-east-2')));
    assert.deepEqual(figures(snap.regions['eu-central-1']), [
      0.0271,
      0.0067,
      0.0121,
      [
        { upToGb: 1048576, usdPerGb: 0.0101 },
        { upToGb: 5242880, usdPerGb: 0.0061 },
        { upToGb: null, usdPerGb: 0.0041 },
      ],
      0.5,
      0.1,
      0.0102,
    ]);
    assert.equal(snap.regions['us-east-2']?.nlbHour.source, 'AWS Price List API (AWSELB, 2026-10-01)');
    assert.deepEqual(snap.skipped, {});
  });

  it('names a region it cannot price, and records every GetProducts answer once', async () => {
    const out = path.join(dir, 'some.ts');
    const record = path.join(dir, 'record.json');
    await twin.control.resetCounters();
    const r = run(['--regions', 'us-east-2,sa-east-1', '--out', out, '--record', record]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /sa-east-1: skipped: the AWS Price List API has no prices for sa-east-1 of: interface endpoint AZ hour/,
    );
    const snap = await load(out);
    assert.deepEqual(Object.keys(snap.regions), ['us-east-2']);
    assert.match(snap.skipped['sa-east-1'] ?? '', /PrivateLink data processed .*data transfer between AZs/);
    const calls = (
      JSON.parse(await readFile(record, 'utf8')) as { calls: Array<{ input: { ServiceCode: string } }> }
    ).calls;
    // Four queries a region, Route 53's (global) asked once: 4 + 3.
    assert.equal(calls.length, 7);
    assert.equal(calls.filter((c) => c.input.ServiceCode === 'AmazonRoute53').length, 1);
    assert.equal(await twin.control.callCount({ service: 'pricing', action: 'GetProducts' }), 7);
  });
});
