// The AWS twin's Price List API (test/testbed/aws/twin_pricing.py) through the real
// @aws-sdk/client-pricing: DescribeServices, GetAttributeValues, GetProducts with filters and paging,
// the errors the SDK names, and call counters under service "pricing".
import assert from 'node:assert/strict';
import {
  DescribeServicesCommand,
  GetAttributeValuesCommand,
  GetProductsCommand,
  PricingClient,
  type Filter,
} from '@aws-sdk/client-pricing';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const ACCOUNT = '111111111111';

interface Product {
  product: { productFamily?: string; attributes: Record<string, string>; sku: string };
  serviceCode: string;
  terms: { OnDemand: Record<string, { priceDimensions: Record<string, { pricePerUnit: { USD: string } }> }> };
}

describe('AWS twin: Price List API', function () {
  this.timeout(60_000);
  let twin: AwsTwin;
  let pricing: PricingClient;

  before(async () => {
    twin = await startAwsTwin();
    // The Price List API is served in us-east-1, as in AWS.
    pricing = new PricingClient({
      ...clientConfigFor(twin, ACCOUNT, { region: 'us-east-1' }),
      maxAttempts: 1,
    });
  });
  after(async () => {
    pricing?.destroy();
    await twin?.stop();
  });
  beforeEach(async () => {
    await twin.control.reset();
  });

  const term = (Field: string, Value: string): Filter => ({ Type: 'TERM_MATCH', Field, Value });
  async function products(ServiceCode: string, Filters: Filter[], MaxResults?: number): Promise<Product[]> {
    const out: Product[] = [];
    let NextToken: string | undefined;
    do {
      const page = await pricing.send(
        new GetProductsCommand({
          ServiceCode,
          Filters,
          ...(MaxResults === undefined ? {} : { MaxResults }),
          ...(NextToken === undefined ? {} : { NextToken }),
        }),
      );
      assert.equal(page.FormatVersion, 'aws_v1');
      for (const entry of (page.PriceList ?? []) as unknown[]) out.push(JSON.parse(String(entry)) as Product);
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }
  const skus = (ps: Product[]) => ps.map((p) => p.product.sku).sort();

  it('DescribeServices lists the four services with their attribute names; one by code; an unknown one is NotFound', async () => {
    const all = await pricing.send(new DescribeServicesCommand({}));
    assert.equal(all.FormatVersion, 'aws_v1');
    assert.deepEqual(
      all.Services?.map((s) => s.ServiceCode),
      ['AWSDataTransfer', 'AWSELB', 'AmazonRoute53', 'AmazonVPC'],
    );
    const elb = await pricing.send(new DescribeServicesCommand({ ServiceCode: 'AWSELB' }));
    assert.equal(elb.Services?.length, 1);
    for (const a of ['regionCode', 'usagetype', 'operation', 'location', 'locationType'])
      assert.ok(elb.Services?.[0]?.AttributeNames?.includes(a), a);
    const paged = await pricing.send(new DescribeServicesCommand({ MaxResults: 3 }));
    assert.equal(paged.Services?.length, 3);
    const rest = await pricing.send(
      new DescribeServicesCommand({ MaxResults: 3, NextToken: paged.NextToken }),
    );
    assert.deepEqual(
      rest.Services?.map((s) => s.ServiceCode),
      ['AmazonVPC'],
    );
    assert.equal(rest.NextToken, undefined);
    await assert.rejects(
      pricing.send(new DescribeServicesCommand({ ServiceCode: 'AmazonNothing' })),
      (e: unknown) => (e as Error).name === 'NotFoundException',
    );
  });

  it('GetAttributeValues answers the regions the fixture prices', async () => {
    const out = await pricing.send(
      new GetAttributeValuesCommand({ ServiceCode: 'AWSELB', AttributeName: 'regionCode' }),
    );
    assert.deepEqual(
      out.AttributeValues?.map((v) => v.Value),
      ['eu-central-1', 'sa-east-1', 'us-east-2'],
    );
    await assert.rejects(
      pricing.send(new GetAttributeValuesCommand({ ServiceCode: 'AWSELB', AttributeName: 'nope' })),
      (e: unknown) => (e as Error).name === 'NotFoundException',
    );
  });

  it('GetProducts applies every filter (TERM_MATCH and the others) and answers products as JSON strings', async () => {
    const nlb = await products('AWSELB', [
      term('regionCode', 'us-east-2'),
      term('operation', 'LoadBalancing:Network'),
    ]);
    assert.deepEqual(skus(nlb), ['TWUSE2NLBHOUR', 'TWUSE2NLBOUTPOSTS', 'TWUSE2NLCU']);
    for (const p of nlb) {
      assert.equal(p.serviceCode, 'AWSELB');
      assert.equal(p.product.attributes.regionCode, 'us-east-2');
    }
    const hour = nlb.find((p) => p.product.sku === 'TWUSE2NLBHOUR');
    const dims = Object.values(Object.values(hour?.terms.OnDemand ?? {})[0]?.priceDimensions ?? {});
    assert.deepEqual(
      dims.map((d) => Number(d.pricePerUnit.USD)),
      [0.0225],
    );
    // productFamily and usagetype are fields too; a value nobody has matches nothing.
    assert.deepEqual(
      skus(
        await products('AmazonVPC', [
          term('productFamily', 'VpcEndpoint'),
          term('usagetype', 'EUC1-VpcEndpoint-Bytes'),
        ]),
      ),
      ['TWEUC1VPCEBYTES'],
    );
    assert.deepEqual(await products('AWSELB', [term('regionCode', 'xx-nowhere-1')]), []);
    // Route 53 is global: no region attribute.
    assert.deepEqual(skus(await products('AmazonRoute53', [term('usagetype', 'HostedZone')])), [
      'TWR53HOSTEDZONE',
    ]);
    // TERM_MATCH is exact; CONTAINS, ANY_OF and NONE_OF as their names say.
    assert.deepEqual(await products('AWSELB', [term('usagetype', 'LCUUsage')]), []);
    assert.deepEqual(
      skus(await products('AWSELB', [{ Type: 'CONTAINS', Field: 'usagetype', Value: 'LCUUsage' }])),
      ['TWEUC1NLCU', 'TWSAE1NLCU', 'TWUSE2NLCU'],
    );
    assert.deepEqual(
      skus(
        await products('AWSDataTransfer', [
          { Type: 'ANY_OF', Field: 'fromRegionCode', Value: 'us-east-2,eu-central-1' },
          { Type: 'NONE_OF', Field: 'transferType', Value: 'AWS Outbound' },
        ]),
      ),
      ['TWEUC1INTRAREGION', 'TWUSE2INTRAREGION'],
    );
  });

  it('GetProducts pages by MaxResults and NextToken; a wrong token or MaxResults is refused', async () => {
    const filters = [term('regionCode', 'us-east-2')];
    const whole = skus(await products('AmazonVPC', filters));
    assert.equal(whole.length, 3);
    const first = await pricing.send(
      new GetProductsCommand({ ServiceCode: 'AmazonVPC', Filters: filters, MaxResults: 2 }),
    );
    assert.equal((first.PriceList ?? []).length, 2);
    assert.ok(first.NextToken);
    assert.deepEqual(skus(await products('AmazonVPC', filters, 1)), whole);
    assert.deepEqual(skus(await products('AmazonVPC', filters, 2)), whole);
    // A token belongs to its request.
    await assert.rejects(
      pricing.send(
        new GetProductsCommand({
          ServiceCode: 'AWSELB',
          Filters: filters,
          MaxResults: 2,
          NextToken: first.NextToken,
        }),
      ),
      (e: unknown) => (e as Error).name === 'InvalidNextTokenException',
    );
    await assert.rejects(
      pricing.send(new GetProductsCommand({ ServiceCode: 'AmazonVPC', NextToken: 'bm90LWEtdG9rZW4=' })),
      (e: unknown) => (e as Error).name === 'InvalidNextTokenException',
    );
    await assert.rejects(
      pricing.send(new GetProductsCommand({ ServiceCode: 'AmazonVPC', MaxResults: 101 })),
      (e: unknown) => (e as Error).name === 'InvalidParameterException',
    );
    await assert.rejects(
      pricing.send(new GetProductsCommand({ ServiceCode: 'AmazonNothing' })),
      (e: unknown) => (e as Error).name === 'NotFoundException',
    );
    // The control route caps a page below MaxResults (AWS may answer fewer than asked).
    const res = await fetch(`${twin.controlUrl}/pricing`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pageSize: 1 }),
    });
    assert.equal(res.status, 200);
    const capped = await pricing.send(new GetProductsCommand({ ServiceCode: 'AmazonVPC', Filters: filters }));
    assert.equal((capped.PriceList ?? []).length, 1);
    assert.deepEqual(skus(await products('AmazonVPC', filters)), whole);
  });

  it('counts calls under service pricing, with the caller account, and applies faults', async () => {
    await twin.control.resetCounters();
    await pricing.send(new DescribeServicesCommand({}));
    await products('AWSELB', [term('regionCode', 'us-east-2')], 2);
    assert.equal(
      await twin.control.callCount({ service: 'pricing', action: 'DescribeServices', account: ACCOUNT }),
      1,
    );
    // Four us-east-2 AWSELB products (NLB hour, NLCU, Outposts NLB, ALB hour) at 2 a page: 2 calls.
    assert.equal(
      await twin.control.callCount({ service: 'pricing', action: 'GetProducts', region: 'us-east-1' }),
      2,
    );
    await twin.control.injectFault({ service: 'pricing', action: 'GetProducts', kind: 'throttle', count: 1 });
    await assert.rejects(
      pricing.send(new GetProductsCommand({ ServiceCode: 'AWSELB' })),
      (e: unknown) => (e as Error).name === 'ThrottlingException',
    );
  });
});
