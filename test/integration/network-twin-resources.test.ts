// The network twin for PrivateLink "VPC resources" (pattern 3) against the AWS twin: a
// resource gateway and a GROUP of per-broker CHILD configurations in the provider account,
// shared through RAM, reached through a Resource VPC endpoint in the consumer account; then
// checked on the wire (real UDP DNS per account, real TCP through the child proxies to
// loopback "brokers" whose addresses the MSK twin reports).
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
} from '@aws-sdk/client-ec2';
import {
  AcceptResourceShareInvitationCommand,
  CreateResourceShareCommand,
  GetResourceShareInvitationsCommand,
  RAMClient,
} from '@aws-sdk/client-ram';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import {
  CreateResourceConfigurationCommand,
  CreateResourceGatewayCommand,
  DeleteResourceConfigurationCommand,
  VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import { clientConfigFor, startAwsTwin, type AwsTwin, type SeededCluster } from '../testbed/aws/twin.js';
import { queryDns } from '../testbed/network/dns-client.js';
import {
  expandPorts,
  privateDnsCovers,
  startNetworkTwin,
  type EndpointBinding,
  type NetworkTwin,
} from '../testbed/network/twin.js';
import { clientsFor, seedVpc, type AccountNetwork, type Clients } from '../testbed/scenario.js';

const REGION = 'us-east-2';
const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const OTHER_CONSUMER = '333333333333';
// Not 127.0.1 (shared testbed), 127.0.7 (network-twin.test.ts) or 127.0.2/5/6 (Kafka testbeds).
const ENDPOINT_PREFIX = '127.0.8';
const BROKER_PREFIX = '127.0.9';
const PORTS = [9094, 9095];
const broker = (id: number): string => `b-${id}.orders.abc123.c2.kafka.${REGION}.amazonaws.com`;
// Resolves nowhere: no MSK broker has this name.
const GHOST = `b-9.orders.abc123.c2.kafka.${REGION}.amazonaws.com`;
// IP targets must be private (10/8, ...): not reachable on loopback, so only its binding is checked.
const IP_TARGET = '10.0.1.99';

/** Listens on every test port of one address and says who and which port it is, then closes. */
async function brokerServer(name: string, host: string): Promise<{ close(): Promise<void> }> {
  const servers = await Promise.all(
    PORTS.map(async (port) => {
      const server = net.createServer((s) => {
        s.on('error', () => undefined);
        s.end(`${name}:${port}\n`);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, resolve);
      });
      return server;
    }),
  );
  return {
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
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

describe('network twin: managed private DNS coverage and port ranges (pure)', function () {
  const ep = (pref: string | undefined, domains: string[] = [], on = true) => ({
    privateDnsEnabled: on,
    dnsOptions: { ...(pref ? { privateDnsPreference: pref } : {}), privateDnsSpecifiedDomains: domains },
  });
  const child = (name: string, verified = false) => ({ customDomainName: name, domainVerified: verified });

  it('follows PrivateDnsPreference; "*.d" covers names below d, a bare name only itself', function () {
    const n = 'b-1.kafka.example.com';
    assert.equal(privateDnsCovers(ep('ALL_DOMAINS'), child(n)), true);
    assert.equal(privateDnsCovers(ep('ALL_DOMAINS', [], false), child(n)), false, 'private DNS off');
    assert.equal(
      privateDnsCovers(ep(undefined), child(n)),
      false,
      'default VERIFIED_DOMAINS_ONLY, unverified',
    );
    assert.equal(privateDnsCovers(ep('VERIFIED_DOMAINS_ONLY'), child(n, true)), true);
    assert.equal(
      privateDnsCovers(ep('VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS', ['*.example.com']), child(n)),
      true,
    );
    assert.equal(
      privateDnsCovers(ep('VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS', ['x.example.com']), child(n)),
      false,
    );
    assert.equal(privateDnsCovers(ep('SPECIFIED_DOMAINS_ONLY', [n]), child(n)), true);
    assert.equal(privateDnsCovers(ep('SPECIFIED_DOMAINS_ONLY', [n]), child(n, true)), true);
    assert.equal(privateDnsCovers(ep('SPECIFIED_DOMAINS_ONLY', ['kafka.example.com']), child(n)), false);
    assert.equal(privateDnsCovers(ep('SPECIFIED_DOMAINS_ONLY', ['*.kafka.example.com']), child(n)), true);
    assert.equal(
      privateDnsCovers(ep('SPECIFIED_DOMAINS_ONLY', ['*.kafka.example.com']), child('kafka.example.com')),
      false,
    );
    assert.equal(privateDnsCovers(ep('SPECIFIED_DOMAINS_ONLY', ['*.ample.com']), child(n)), false);
  });

  it('expands port ranges and caps them', function () {
    assert.deepEqual(expandPorts(['9094', '9092-9093', '9094'], 16), {
      ports: [9092, 9093, 9094],
      capped: false,
    });
    const big = expandPorts(['1-65535'], 16);
    assert.equal(big.ports.length, 16);
    assert.equal(big.capped, true);
    assert.deepEqual(expandPorts(['x', '0-1'], 16), { ports: [1], capped: false });
  });
});

describe('testbed: network twin, resource endpoints (VPC resources)', function () {
  this.timeout(20_000);
  let aws: AwsTwin;
  let twin: NetworkTwin;
  let provider: Clients;
  let consumer: Clients;
  let lattice: VPCLatticeClient;
  let providerRam: RAMClient;
  let consumerRam: RAMClient;
  let providerNet: AccountNetwork;
  let consumerNet: AccountNetwork;
  let cluster: SeededCluster;
  const servers: Array<{ close(): Promise<void> }> = [];
  const logs: string[] = [];
  let groupArn: string;
  let endpointId: string;
  /** Child ARN by what it stands for: b1, b2, b3, ghost, ip. */
  const childArns: Record<string, string> = {};
  let endpointDnsNames: string[] = [];

  const bindings = (): EndpointBinding[] => twin.addresses().filter((b) => b.endpointId === endpointId);
  const bindingOf = (key: string): EndpointBinding => {
    const b = bindings().find((x) => x.resource?.childArn === childArns[key]);
    assert.ok(b, `binding for child ${key}`);
    return b;
  };

  before(async function () {
    this.timeout(60_000);
    aws = await startAwsTwin({ region: REGION });
    const target = { endpoint: aws.endpoint, region: REGION };
    provider = clientsFor(target, PROVIDER);
    consumer = clientsFor(target, CONSUMER);
    lattice = new VPCLatticeClient(clientConfigFor(aws, PROVIDER));
    providerRam = new RAMClient(clientConfigFor(aws, PROVIDER));
    consumerRam = new RAMClient(clientConfigFor(aws, CONSUMER));
    [providerNet, consumerNet] = await Promise.all([
      seedVpc(provider, '10.0.0.0/16'),
      seedVpc(consumer, '10.20.0.0/16'),
    ]);
    for (const id of [1, 2, 3]) servers.push(await brokerServer(`broker-${id}`, `${BROKER_PREFIX}.${id}`));
    // Where broker 1 moves to later.
    servers.push(await brokerServer('broker-1-moved', `${BROKER_PREFIX}.11`));
    cluster = await aws.control.seedMskClusterDetailed({
      account: PROVIDER,
      region: REGION,
      clusterName: 'orders',
      shortId: 'abc123',
      cell: 2,
      brokers: [1, 2, 3].map((id) => ({
        id,
        clientVpcIp: `${BROKER_PREFIX}.${id}`,
        clientSubnet: providerNet.subnets[(id - 1) % providerNet.subnets.length]!.id,
      })),
    });
    assert.deepEqual(
      cluster.brokers.map((b) => b.endpoint),
      [1, 2, 3].map(broker),
    );
    twin = await startNetworkTwin({
      endpoint: aws.endpoint,
      region: REGION,
      providerAccount: PROVIDER,
      consumerAccounts: [CONSUMER, OTHER_CONSUMER],
      clientConfig: (account) => clientConfigFor(aws, account),
      ipPrefix: ENDPOINT_PREFIX,
      log: (m) => logs.push(m),
    });
  });

  after(async function () {
    this.timeout(20_000);
    await twin?.stop();
    provider?.destroy();
    consumer?.destroy();
    for (const c of [lattice, providerRam, consumerRam]) c?.destroy();
    await Promise.all(servers.map((s) => s.close()));
    await aws?.stop();
  });

  it('binds one address per child once the shared group has an available resource endpoint', async function () {
    const gw = await lattice.send(
      new CreateResourceGatewayCommand({
        name: 'orders-gateway',
        vpcIdentifier: providerNet.vpcId,
        subnetIds: providerNet.subnets.map((s) => s.id),
      }),
    );
    const group = await lattice.send(
      new CreateResourceConfigurationCommand({
        name: 'orders-brokers',
        type: 'GROUP',
        resourceGatewayIdentifier: gw.id,
        protocol: 'TCP',
        portRanges: ['9094-9095'],
      }),
    );
    groupArn = group.arn!;
    const children: Array<[string, Record<string, unknown>, string | undefined]> = [
      ['b1', { dnsResource: { domainName: broker(1), ipAddressType: 'IPV4' } }, broker(1)],
      ['b2', { dnsResource: { domainName: broker(2), ipAddressType: 'IPV4' } }, broker(2)],
      ['b3', { dnsResource: { domainName: broker(3), ipAddressType: 'IPV4' } }, broker(3)],
      ['ghost', { dnsResource: { domainName: GHOST, ipAddressType: 'IPV4' } }, GHOST],
      ['ip', { ipResource: { ipAddress: IP_TARGET } }, undefined],
    ];
    for (const [key, definition, custom] of children) {
      const c = await lattice.send(
        new CreateResourceConfigurationCommand({
          name: `orders-${key}`,
          type: 'CHILD',
          resourceConfigurationGroupIdentifier: groupArn,
          resourceConfigurationDefinition: definition as never,
          ...(custom ? { customDomainName: custom } : {}),
        }),
      );
      childArns[key] = c.arn!;
    }
    const share = await providerRam.send(
      new CreateResourceShareCommand({
        name: 'orders-brokers',
        resourceArns: [groupArn],
        principals: [CONSUMER],
      }),
    );
    const invitations = await consumerRam.send(
      new GetResourceShareInvitationsCommand({ resourceShareArns: [share.resourceShare!.resourceShareArn!] }),
    );
    await consumerRam.send(
      new AcceptResourceShareInvitationCommand({
        resourceShareInvitationArn: invitations.resourceShareInvitations![0]!.resourceShareInvitationArn!,
      }),
    );
    const ep = await consumer.ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Resource',
        VpcId: consumerNet.vpcId,
        ResourceConfigurationArn: groupArn,
        SubnetIds: consumerNet.subnets.map((s) => s.id),
        PrivateDnsEnabled: true,
        // b-3 left out on purpose: its custom name must not be answered.
        DnsOptions: {
          PrivateDnsPreference: 'SPECIFIED_DOMAINS_ONLY',
          PrivateDnsSpecifiedDomains: [broker(1), broker(2), GHOST],
        },
      }),
    );
    endpointId = ep.VpcEndpoint!.VpcEndpointId!;
    const { elapsed } = await within(5000, async () => (bindings().length === 5 ? true : undefined));
    console.log(
      `      reconcile: 5 child addresses ${elapsed} ms after CreateVpcEndpoint (pending -> available included)`,
    );
    const described = await consumer.ec2.send(
      new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }),
    );
    endpointDnsNames = (described.VpcEndpoints?.[0]?.DnsEntries ?? []).map((d) => d.DnsName!);
    assert.equal(endpointDnsNames.length, 5, 'one generated DNS name per child');

    const ips = bindings().map((b) => b.ip);
    assert.equal(new Set(ips).size, 5, `distinct addresses: ${ips.join(', ')}`);
    for (const b of bindings()) {
      assert.ok(b.ip.startsWith(`${ENDPOINT_PREFIX}.`), b.ip);
      assert.equal(b.account, CONSUMER);
      assert.equal(b.resource?.configurationArn, groupArn);
      assert.deepEqual(
        b.listeners.map((l) => l.port),
        PORTS,
        'one proxy per port of the group range',
      );
    }
    assert.deepEqual(bindingOf('b1').listeners[0]!.targets, [{ host: `${BROKER_PREFIX}.1`, port: 9094 }]);
    assert.deepEqual(bindingOf('ip').listeners[0]!.targets, [{ host: IP_TARGET, port: 9094 }]);
    assert.deepEqual(bindingOf('ghost').listeners[0]!.targets, [], 'an unresolvable name has no target');
  });

  it("answers the specified custom names in the consumer's view only", async function () {
    const mine = twin.dnsByAccount[CONSUMER]!;
    const theirs = twin.dnsByAccount[OTHER_CONSUMER]!;
    const seen = new Set<string>();
    for (const key of ['b1', 'b2'] as const) {
      const name = broker(key === 'b1' ? 1 : 2);
      const reply = await queryDns(mine, name);
      assert.equal(reply.rcode, 'NOERROR', name);
      assert.deepEqual(reply.addresses, [bindingOf(key).ip], name);
      seen.add(reply.addresses[0]!);
      assert.equal((await queryDns(theirs, name)).rcode, 'NXDOMAIN', `${name} in another account`);
    }
    assert.equal(seen.size, 2, 'distinct addresses per broker');
    // b-3 has a child and an address, but its name is not among the specified domains.
    assert.equal((await queryDns(mine, broker(3))).rcode, 'NXDOMAIN');
    assert.equal(
      (await queryDns(mine, `b-4.orders.abc123.c2.kafka.${REGION}.amazonaws.com`)).rcode,
      'NXDOMAIN',
    );
    // The generated per-child names answer too (as endpoint DNS names do, in every view).
    const b3Name = endpointDnsNames.find((n) => n.includes(childArns.b3!.split('/').pop()!))!;
    assert.deepEqual((await queryDns(mine, b3Name)).addresses, [bindingOf('b3').ip]);
    assert.deepEqual(twin.resolve(broker(1), CONSUMER), [bindingOf('b1').ip]);
    assert.deepEqual(twin.resolve(broker(1), OTHER_CONSUMER), []);
  });

  it("reaches each child's broker on each port; an unresolvable target refuses", async function () {
    assert.equal(await readFrom(bindingOf('b1').ip, 9094), 'broker-1:9094');
    assert.equal(await readFrom(bindingOf('b2').ip, 9095), 'broker-2:9095');
    assert.equal(await readFrom(bindingOf('b3').ip, 9094), 'broker-3:9094');
    assert.equal(await readFrom(bindingOf('b2').ip, 9094), 'broker-2:9094');
    await assert.rejects(readFrom(bindingOf('ghost').ip, 9094), /ECONNREFUSED/);
    await assert.rejects(readFrom(bindingOf('b1').ip, 9096), /ECONNREFUSED/, 'a port outside the range');
    assert.ok(bindingOf('b1').listeners[0]!.connections >= 1);
  });

  it("stops and restores all of a resource endpoint's child proxies", async function () {
    await twin.stopEndpoint(endpointId);
    await assert.rejects(readFrom(bindingOf('b1').ip, 9094), /ECONNREFUSED/);
    await assert.rejects(readFrom(bindingOf('b2').ip, 9095), /ECONNREFUSED/);
    await twin.reconcileNow();
    await assert.rejects(readFrom(bindingOf('b3').ip, 9094), /ECONNREFUSED/, 'a poll does not revive it');
    assert.ok(bindings().every((b) => b.broken === 'refuse'));
    await twin.restoreEndpoint(endpointId);
    assert.equal(await readFrom(bindingOf('b1').ip, 9094), 'broker-1:9094');
    assert.equal(await readFrom(bindingOf('b2').ip, 9095), 'broker-2:9095');
    await assert.rejects(readFrom(bindingOf('ghost').ip, 9094), /ECONNREFUSED/, 'still no target');
  });

  it("follows a broker's new IP for DNS targets; IP targets keep theirs", async function () {
    const b1 = bindingOf('b1').ip;
    await aws.control.moveBroker(cluster.clusterArn, 1, `${BROKER_PREFIX}.11`);
    const { elapsed } = await within(2500, async () =>
      (await readFrom(b1, 9094)) === 'broker-1-moved:9094' ? true : undefined,
    );
    console.log(`      reconcile: moved broker reached ${elapsed} ms after the move`);
    assert.equal(await readFrom(b1, 9095), 'broker-1-moved:9095');
    assert.equal(bindingOf('b1').ip, b1, 'same address, new target');
    assert.equal(await readFrom(bindingOf('b2').ip, 9094), 'broker-2:9094');
    assert.deepEqual(bindingOf('ip').listeners[1]!.targets, [{ host: IP_TARGET, port: 9095 }]);
  });

  it("keeps a consumer private hosted zone's answer for the same name", async function () {
    const zone = await consumer.route53.send(
      new CreateHostedZoneCommand({
        Name: broker(2),
        CallerReference: 'override-b2',
        HostedZoneConfig: { PrivateZone: true },
        VPC: { VPCId: consumerNet.vpcId, VPCRegion: REGION },
      }),
    );
    await consumer.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.HostedZone!.Id!,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: broker(2),
                Type: 'A',
                TTL: 60,
                ResourceRecords: [{ Value: '10.20.9.9' }],
              },
            },
          ],
        },
      }),
    );
    await within(2000, async () => {
      const r = await queryDns(twin.dnsByAccount[CONSUMER]!, broker(2));
      return r.addresses[0] === '10.20.9.9' ? true : undefined;
    });
    assert.deepEqual((await queryDns(twin.dnsByAccount[CONSUMER]!, broker(1))).addresses, [
      bindingOf('b1').ip,
    ]);
  });

  it('drops a child deleted from the group, and its custom name, on the next polls', async function () {
    const ghost = bindingOf('ghost');
    assert.deepEqual((await queryDns(twin.dnsByAccount[CONSUMER]!, GHOST)).addresses, [ghost.ip]);
    await lattice.send(
      new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: childArns.ghost }),
    );
    await within(2000, async () => (bindings().length === 4 ? true : undefined));
    assert.ok(!bindings().some((b) => b.ip === ghost.ip || b.resource?.childArn === childArns.ghost));
    assert.equal((await queryDns(twin.dnsByAccount[CONSUMER]!, GHOST)).rcode, 'NXDOMAIN');
    assert.equal(
      await readFrom(bindingOf('b2').ip, 9094),
      'broker-2:9094',
      'the other children are untouched',
    );
  });

  it("releases every child's address and proxy within 2 s of the endpoint's deletion", async function () {
    const before = bindings();
    await consumer.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }));
    const { elapsed } = await within(2000, async () => (bindings().length === 0 ? true : undefined));
    console.log(`      reconcile: resource endpoint deletion seen after ${elapsed} ms`);
    assert.equal(twin.addressOf(endpointId), undefined);
    for (const b of before) await assert.rejects(readFrom(b.ip, 9094), /ECONNREFUSED/, b.ip);
    assert.equal((await queryDns(twin.dnsByAccount[CONSUMER]!, broker(1))).rcode, 'NXDOMAIN');
    assert.equal((await queryDns(twin.dns, broker(1))).rcode, 'NXDOMAIN');
    assert.ok(
      logs.some((m) => m.includes(`resource endpoint ${endpointId} gone`)),
      'the release is logged',
    );
  });
});
