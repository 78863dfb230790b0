// The network twin against the AWS twin: PrivateLink made through the SDK as the tool makes
// it, then checked on the wire (real UDP DNS, real TCP through the endpoint proxies).
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  AcceptVpcEndpointConnectionsCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
} from '@aws-sdk/client-ec2';
import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { queryDns } from '../testbed/network/dns-client.js';
import { startNetworkTwin, type NetworkTwin } from '../testbed/network/twin.js';
import {
  clientsFor,
  seedVpc,
  upsertAliases,
  wirePrivateLink,
  type AccountNetwork,
  type Clients,
  type PrivateLink,
} from '../testbed/scenario.js';

const REGION = 'us-east-2';
const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const OTHER_CONSUMER = '333333333333';
const BROKER = 'b-1.demo.abc123.c2.kafka.us-east-2.amazonaws.com';
const ENDPOINT_PREFIX = '127.0.7';
const ZONE = 'demo.abc123.c2.kafka.us-east-2.amazonaws.com';

/** An echo-ish TCP server that says who it is, so a test can see which target it reached. */
async function namedServer(
  name: string,
  host = '127.0.0.1',
): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.end(`${name}\n`);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function readFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    s.on('end', () => resolve(data.trim()));
    s.on('error', reject);
    s.setTimeout(2000, () => s.destroy(new Error('timeout')));
  });
}

async function within<T>(
  ms: number,
  check: () => Promise<T | undefined>,
): Promise<{ value: T; elapsed: number }> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < ms) {
    try {
      const v = await check();
      if (v !== undefined) return { value: v, elapsed: Date.now() - start };
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${ms} ms${last ? `: ${String(last)}` : ''}`);
}

describe('testbed: network twin', function () {
  let aws: AwsTwin;
  let twin: NetworkTwin;
  let provider: Clients;
  let consumer: Clients;
  let providerNet: AccountNetwork;
  let consumerNet: AccountNetwork;
  const servers: Array<{ close(): Promise<void> }> = [];
  let targets: Array<{ name: string; ip: string; port: number }>;
  let link: PrivateLink;

  before(async function () {
    this.timeout(60_000);
    aws = await startAwsTwin({ region: REGION });
    const target = { endpoint: aws.endpoint, region: REGION };
    provider = clientsFor(target, PROVIDER);
    consumer = clientsFor(target, CONSUMER);
    providerNet = await seedVpc(provider, '10.0.0.0/16');
    consumerNet = await seedVpc(consumer, '10.20.0.0/16');
    targets = [];
    // Distinct addresses: the emulator keys IP targets by address alone.
    for (const [i, name] of ['target-a', 'target-b'].entries()) {
      const s = await namedServer(name, `127.0.4.${i + 1}`);
      servers.push(s);
      targets.push({ name, ip: `127.0.4.${i + 1}`, port: s.port });
    }
    twin = await startNetworkTwin({
      endpoint: aws.endpoint,
      region: REGION,
      providerAccount: PROVIDER,
      consumerAccounts: [CONSUMER, OTHER_CONSUMER],
      clientConfig: (account) => clientConfigFor(aws, account),
      // Not 127.0.1: the shared testbed's network twin may be running in this process.
      ipPrefix: ENDPOINT_PREFIX,
    });
  });

  after(async function () {
    this.timeout(20_000);
    await twin?.stop();
    provider?.destroy();
    consumer?.destroy();
    await Promise.all(servers.map((s) => s.close()));
    await aws?.stop();
  });

  it('gives a pending endpoint nothing, then materialises it within 2 s of acceptance', async function () {
    link = await wirePrivateLink({
      provider,
      consumer,
      providerNetwork: providerNet,
      consumerNetwork: consumerNet,
      name: 'demo',
      listeners: [{ port: 9094, targets: targets.map((t) => ({ ip: t.ip, port: t.port })) }],
      zoneName: ZONE,
      recordNames: [BROKER],
      accept: false,
    });
    // pendingAcceptance: no address, and the alias has no available target yet.
    await twin.reconcileNow();
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(twin.addressOf(link.endpointId), undefined);
    assert.equal((await queryDns(twin.dns, BROKER)).rcode, 'NXDOMAIN');

    await provider.ec2.send(
      new AcceptVpcEndpointConnectionsCommand({
        ServiceId: link.serviceId,
        VpcEndpointIds: [link.endpointId],
      }),
    );
    const { value: reply, elapsed } = await within(2000, async () => {
      const r = await queryDns(twin.dns, BROKER);
      return r.addresses.length > 0 ? r : undefined;
    });
    console.log(
      `      reconcile: DNS answered ${elapsed} ms after acceptance (endpoint pending -> available included)`,
    );
    const ip = twin.addressOf(link.endpointId);
    assert.ok(ip?.startsWith(`${ENDPOINT_PREFIX}.`), `endpoint address ${ip}`);
    if (!ip) return;
    assert.deepEqual(reply.addresses, [ip]);
    assert.equal(reply.rcode, 'NOERROR');
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await readFrom(ip, 9094));
    assert.deepEqual([...seen].sort(), ['target-a', 'target-b'], 'round robin across both targets');
  });

  it('answers NXDOMAIN for an unknown name and NODATA for AAAA of a known one', async function () {
    const unknown = await queryDns(twin.dns, `b-9.${ZONE}`);
    assert.equal(unknown.rcode, 'NXDOMAIN');
    assert.equal((await queryDns(twin.dns, 'example.com')).rcode, 'NXDOMAIN');
    const aaaa = await queryDns(twin.dns, BROKER, 'AAAA');
    assert.equal(aaaa.rcode, 'NOERROR');
    assert.equal(aaaa.answers.length, 0);
  });

  it("scopes per-account DNS servers to that account's zones", async function () {
    const mine = await queryDns(twin.dnsByAccount[CONSUMER]!, BROKER);
    assert.deepEqual(mine.addresses, [twin.addressOf(link.endpointId)]);
    const theirs = await queryDns(twin.dnsByAccount[OTHER_CONSUMER]!, BROKER);
    assert.equal(theirs.rcode, 'NXDOMAIN');
  });

  it('reflects a deleted record within 2 s', async function () {
    await upsertAliases(consumer, link.hostedZoneId!, [BROKER], link, 'DELETE');
    const { elapsed } = await within(2000, async () =>
      (await queryDns(twin.dns, BROKER)).rcode === 'NXDOMAIN' ? true : undefined,
    );
    console.log(`      reconcile: record deletion seen after ${elapsed} ms`);
    await upsertAliases(consumer, link.hostedZoneId!, [BROKER], link);
    await within(2000, async () =>
      (await queryDns(twin.dns, BROKER)).addresses.length > 0 ? true : undefined,
    );
  });

  it("stops and restores one endpoint's proxy on request", async function () {
    const ip = twin.addressOf(link.endpointId)!;
    await twin.stopEndpoint(link.endpointId);
    await assert.rejects(readFrom(ip, 9094), /ECONNREFUSED/);
    await twin.reconcileNow();
    await assert.rejects(readFrom(ip, 9094), /ECONNREFUSED/, 'a poll does not revive a stopped path');
    assert.equal(twin.addresses().find((b) => b.endpointId === link.endpointId)?.broken, 'refuse');
    await twin.restoreEndpoint(link.endpointId);
    assert.match(await readFrom(ip, 9094), /^target-/);
  });

  it('follows target registration changes within 2 s', async function () {
    const extra = await namedServer('target-c', '127.0.4.3');
    servers.push(extra);
    const ip = twin.addressOf(link.endpointId)!;
    await provider.elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: link.targetGroupArns[0],
        Targets: [{ Id: '127.0.4.3', Port: extra.port }],
      }),
    );
    const { elapsed } = await within(2000, async () =>
      twin.addresses()[0]?.listeners[0]?.targets.some((t) => t.host === '127.0.4.3') ? true : undefined,
    );
    console.log(`      reconcile: new target routed after ${elapsed} ms`);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await readFrom(ip, 9094));
    assert.deepEqual([...seen].sort(), ['target-a', 'target-b', 'target-c']);
  });

  it('blackholes one endpoint: connections open but nothing comes back', async function () {
    const ip = twin.addressOf(link.endpointId)!;
    await twin.stopEndpoint(link.endpointId, 'blackhole');
    const socket = net.connect({ host: ip, port: 9094 });
    const outcome = await new Promise<string>((resolve) => {
      socket.once('data', () => resolve('data'));
      socket.once('error', (e) => resolve(`error ${e.message}`));
      socket.once('connect', () => setTimeout(() => resolve('silent'), 300));
    });
    socket.destroy();
    assert.equal(outcome, 'silent');
    await twin.restoreEndpoint(link.endpointId);
    assert.match(await readFrom(ip, 9094), /^target-/);
  });

  it('pauses polling so that an injected read fault reaches the caller it was meant for', async function () {
    await twin.pause();
    try {
      await aws.control.injectFault({
        service: 'ec2',
        action: 'DescribeVpcEndpoints',
        account: CONSUMER,
        kind: 'error',
        code: 'InvalidParameterValue',
        status: 400,
        count: 1,
      });
      await new Promise((r) => setTimeout(r, 1200));
      await assert.rejects(consumer.ec2.send(new DescribeVpcEndpointsCommand({})), {
        name: 'InvalidParameterValue',
      });
    } finally {
      await aws.control.clearFaults();
      await twin.resume();
    }
    assert.ok(twin.addressOf(link.endpointId), 'resumed with the endpoint still there');
  });

  it("removes the endpoint's address and proxies within 2 s of its deletion", async function () {
    const ip = twin.addressOf(link.endpointId)!;
    await consumer.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [link.endpointId] }));
    const { elapsed } = await within(2000, async () =>
      twin.addressOf(link.endpointId) === undefined ? true : undefined,
    );
    console.log(`      reconcile: endpoint deletion seen after ${elapsed} ms`);
    await assert.rejects(readFrom(ip, 9094), /ECONNREFUSED/);
    assert.equal((await queryDns(twin.dns, BROKER)).rcode, 'NXDOMAIN', 'the alias has nothing to point at');
  });
});
