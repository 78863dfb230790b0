// The network twin for clients inside the NLB's own VPC (pattern 2's in-VPC path): an active
// internal NLB gets a loopback address, a proxy per TCP listener to that listener's targets,
// and its DNS name in the owner account's DNS view, so that a private hosted zone named
// exactly a broker name with an apex alias to the NLB answers that name. Made through the SDK
// against the AWS twin, checked on the wire (real UDP DNS, real TCP to named targets).
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeregisterTargetsCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { queryDns } from '../testbed/network/dns-client.js';
import { startNetworkTwin, type NetworkTwin } from '../testbed/network/twin.js';
import { clientsFor, seedVpc, type AccountNetwork, type Clients } from '../testbed/scenario.js';

const REGION = 'us-east-2';
const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
// Not 127.0.1/127.0.2 (shared testbed) nor the prefixes of the other network twin tests.
const PREFIX = '127.0.13';
const TARGET_HOST = '127.0.14.1';
const NEW_TARGET_HOST = '127.0.14.2';
const PORTS = [9101, 9102] as const;
const DOMAIN = 'example-cluster.test';
const BROKER = `b-1.${DOMAIN}`;
const DUALSTACK_BROKER = `b-2.${DOMAIN}`;
// Provisioning long enough to see an NLB that is not active yet, even when the machine is busy
// (1.5 s was too short once: CI's other lane slowed the target group and listener calls that
// come between the create and the check past it).
const NLB_ACTIVE_MS = 4000;

type Dns = { host: string; port: number };

/** A TCP server that says who it is and closes, so a test can see which target it reached. */
async function namedServer(name: string, host: string): Promise<{ port: number; close(): Promise<void> }> {
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

async function within<T>(ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<number> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < ms) {
    try {
      if ((await check()) !== undefined) return Date.now() - start;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${ms} ms${last ? `: ${String(last)}` : ''}`);
}

describe('testbed: network twin NLB addresses (in-VPC clients, pattern 2)', function () {
  let aws: AwsTwin;
  let twin: NetworkTwin;
  let provider: Clients;
  let consumer: Clients;
  let providerNet: AccountNetwork;
  let providerDns: Dns;
  const servers: Array<{ close(): Promise<void> }> = [];
  /** Listener port -> the named target behind it. */
  const targetPorts = new Map<number, number>();
  let nlbArn: string;
  let nlbDnsName: string;
  let nlbZoneId: string;
  let nlbIp: string;
  const listenerArns = new Map<number, string>();
  const targetGroupArns = new Map<number, string>();

  before(async function () {
    this.timeout(60_000);
    aws = await startAwsTwin({ region: REGION, delaysMs: { nlbActiveMs: NLB_ACTIVE_MS } });
    const at = { endpoint: aws.endpoint, region: REGION };
    provider = clientsFor(at, PROVIDER);
    consumer = clientsFor(at, CONSUMER);
    [providerNet] = await Promise.all([seedVpc(provider, '10.0.0.0/16'), seedVpc(consumer, '10.20.0.0/16')]);
    for (const port of PORTS) {
      const s = await namedServer(`target-${port}`, TARGET_HOST);
      servers.push(s);
      targetPorts.set(port, s.port);
    }
    // As the testbed starts it: every account with a VPC is followed, the provider included.
    twin = await startNetworkTwin({
      endpoint: aws.endpoint,
      region: REGION,
      providerAccount: PROVIDER,
      consumerAccounts: [CONSUMER],
      listAccounts: async () => (await aws.control.accounts(REGION)).map((a) => a.account),
      clientConfig: (account) => clientConfigFor(aws, account),
      ipPrefix: PREFIX,
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

  async function privateZone(name: string, records: ResourceRecordSet[]): Promise<string> {
    const zone = await provider.route53.send(
      new CreateHostedZoneCommand({
        Name: name,
        CallerReference: `nlb-test-${name}`,
        HostedZoneConfig: { PrivateZone: true },
        VPC: { VPCId: providerNet.vpcId, VPCRegion: REGION },
      }),
    );
    const id = zone.HostedZone?.Id ?? '';
    await provider.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: id,
        ChangeBatch: { Changes: records.map((r) => ({ Action: 'UPSERT', ResourceRecordSet: r })) },
      }),
    );
    return id;
  }

  /** Later tests build on the NLB bound in the second: fail plainly when it is not there. */
  function assertBound(): void {
    assert.ok(nlbIp && twin.addressOf(nlbArn) === nlbIp, `NLB ${nlbArn} bound at ${nlbIp}`);
  }

  const apexAlias = (name: string, target: string): ResourceRecordSet => ({
    Name: name,
    Type: 'A',
    AliasTarget: { DNSName: target, HostedZoneId: nlbZoneId, EvaluateTargetHealth: false },
  });

  it('gives the provider account its own DNS server (it has a VPC) before startNetworkTwin returns', function () {
    const dns = twin.dnsByAccount[PROVIDER];
    assert.ok(dns, 'provider followed');
    assert.notDeepEqual(dns, twin.dnsByAccount[CONSUMER]);
    providerDns = dns;
  });

  it('binds an NLB once it is active: an address from the pool, its DNS name in the owner view only', async function () {
    this.timeout(20_000);
    const lb = await provider.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: 'mpl-shared',
        Type: 'network',
        Scheme: 'internal',
        Subnets: providerNet.subnets.map((s) => s.id),
      }),
    );
    nlbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
    nlbDnsName = lb.LoadBalancers?.[0]?.DNSName ?? '';
    nlbZoneId = lb.LoadBalancers?.[0]?.CanonicalHostedZoneId ?? '';
    assert.match(nlbDnsName, /\.elb\.us-east-2\.amazonaws\.com$/);
    for (const port of PORTS) {
      const tg = await provider.elbv2.send(
        new CreateTargetGroupCommand({
          Name: `mpl-${port}`,
          Protocol: 'TCP',
          Port: port,
          VpcId: providerNet.vpcId,
          TargetType: 'ip',
        }),
      );
      const tgArn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
      targetGroupArns.set(port, tgArn);
      await provider.elbv2.send(
        new RegisterTargetsCommand({
          TargetGroupArn: tgArn,
          Targets: [{ Id: TARGET_HOST, Port: targetPorts.get(port) }],
        }),
      );
      const l = await provider.elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: nlbArn,
          Protocol: 'TCP',
          Port: port,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
        }),
      );
      listenerArns.set(port, l.Listeners?.[0]?.ListenerArn ?? '');
    }

    // Still provisioning: nothing bound, the name answers nothing.
    await twin.reconcileNow();
    assert.deepEqual(twin.loadBalancers(), []);
    assert.equal((await queryDns(providerDns, nlbDnsName)).rcode, 'NXDOMAIN');

    const bound = await within(NLB_ACTIVE_MS + 2000, () => twin.addressOf(nlbArn));
    console.log(`      nlb: bound ${bound} ms after CreateListener (provisioning ${NLB_ACTIVE_MS} ms)`);
    const [binding, ...others] = twin.loadBalancers();
    assert.equal(others.length, 0);
    assert.ok(binding);
    nlbIp = binding.ip;
    assert.ok(nlbIp.startsWith(`${PREFIX}.`), `NLB address ${nlbIp}`);
    assert.equal(twin.addressOf(nlbArn), nlbIp);
    assert.equal(binding.account, PROVIDER);
    assert.equal(binding.dnsName, nlbDnsName.toLowerCase());
    assert.deepEqual(
      binding.listeners.map((l) => [l.port, l.targets]),
      PORTS.map((p) => [p, [{ host: TARGET_HOST, port: targetPorts.get(p) }]]),
    );

    assert.deepEqual((await queryDns(providerDns, nlbDnsName)).addresses, [nlbIp]);
    assert.deepEqual((await queryDns(providerDns, nlbDnsName.toUpperCase())).addresses, [nlbIp]);
    assert.equal(
      (await queryDns(twin.dnsByAccount[CONSUMER]!, nlbDnsName)).rcode,
      'NXDOMAIN',
      "not in another account's view",
    );
    assert.deepEqual((await queryDns(twin.dns, nlbDnsName)).addresses, [nlbIp], 'shared view: every view');
  });

  it('answers a zone named exactly the broker name (apex alias to the NLB), each port reaching its own target', async function () {
    assertBound();
    await privateZone(BROKER, [apexAlias(BROKER, nlbDnsName)]);
    const answered = await within(2000, async () =>
      (await queryDns(providerDns, BROKER)).addresses[0] === nlbIp ? true : undefined,
    );
    console.log(`      nlb: alias answered ${answered} ms after the record was written`);
    const reply = await queryDns(providerDns, BROKER);
    assert.equal(reply.rcode, 'NOERROR');
    assert.deepEqual(reply.addresses, [nlbIp]);
    const address = reply.addresses[0]!;
    for (const port of PORTS)
      for (let i = 0; i < 3; i++) assert.equal(await readFrom(address, port), `target-${port}`);
    // The zone is associated with the provider's VPC only.
    assert.equal((await queryDns(twin.dnsByAccount[CONSUMER]!, BROKER)).rcode, 'NXDOMAIN');
    // Other names of the cluster's domain are not this zone's: nothing else answers them here.
    for (const other of [`b-1-internal.${DOMAIN}`, `boot-xyz.${DOMAIN}`, `b-2.${DOMAIN}`, DOMAIN])
      assert.equal((await queryDns(providerDns, other)).rcode, 'NXDOMAIN', other);
  });

  it('covers only its own name and names below it: siblings go to the parent zone; dualstack aliases resolve', async function () {
    assertBound();
    // A parent zone for the whole domain, with a wildcard: it answers every sibling of b-1 but
    // neither b-1 (the more specific zone wins) nor names below b-1 (no fall-through).
    await privateZone(DOMAIN, [
      { Name: `*.${DOMAIN}`, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.9.9.7' }] },
      { Name: `boot-xyz.${DOMAIN}`, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.9.9.9' }] },
      { Name: BROKER, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.9.9.8' }] },
    ]);
    await privateZone(DUALSTACK_BROKER, [apexAlias(DUALSTACK_BROKER, `dualstack.${nlbDnsName}`)]);
    await within(2000, async () =>
      (await queryDns(providerDns, `boot-xyz.${DOMAIN}`)).addresses[0] === '10.9.9.9' ? true : undefined,
    );
    await within(2000, async () =>
      (await queryDns(providerDns, DUALSTACK_BROKER)).addresses[0] === nlbIp ? true : undefined,
    );
    assert.deepEqual((await queryDns(providerDns, BROKER)).addresses, [nlbIp]);
    assert.deepEqual((await queryDns(providerDns, `b-1-internal.${DOMAIN}`)).addresses, ['10.9.9.7']);
    assert.deepEqual((await queryDns(providerDns, `b-3.${DOMAIN}`)).addresses, ['10.9.9.7']);
    assert.equal((await queryDns(providerDns, `x.${BROKER}`)).rcode, 'NXDOMAIN');
    assert.equal(
      await readFrom((await queryDns(providerDns, DUALSTACK_BROKER)).addresses[0]!, 9102),
      'target-9102',
    );
  });

  it("follows a listener's target changes within 2 s", async function () {
    assertBound();
    const moved = await namedServer('target-new', NEW_TARGET_HOST);
    servers.push(moved);
    const tgArn = targetGroupArns.get(9101)!;
    await provider.elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: tgArn,
        Targets: [{ Id: NEW_TARGET_HOST, Port: moved.port }],
      }),
    );
    await provider.elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: tgArn,
        Targets: [{ Id: TARGET_HOST, Port: targetPorts.get(9101) }],
      }),
    );
    const elapsed = await within(2000, () => {
      const l = twin.loadBalancers()[0]?.listeners.find((x) => x.port === 9101);
      return l?.targets.length === 1 && l.targets[0]?.host === NEW_TARGET_HOST ? true : undefined;
    });
    console.log(`      nlb: target change followed after ${elapsed} ms`);
    for (let i = 0; i < 3; i++) assert.equal(await readFrom(nlbIp, 9101), 'target-new');
    assert.equal(await readFrom(nlbIp, 9102), 'target-9102');
  });

  it("stops and restores the NLB's own path on request", async function () {
    assertBound();
    await twin.stopEndpoint(nlbArn);
    await assert.rejects(readFrom(nlbIp, 9102), /ECONNREFUSED/);
    await twin.reconcileNow();
    await assert.rejects(readFrom(nlbIp, 9102), /ECONNREFUSED/, 'a poll does not revive a stopped path');
    assert.equal(twin.loadBalancers()[0]?.broken, 'refuse');
    await twin.restoreEndpoint(nlbArn);
    assert.equal(await readFrom(nlbIp, 9102), 'target-9102');
    assert.equal(twin.loadBalancers()[0]?.broken, undefined);
  });

  it("closes a deleted listener's proxy within 2 s, the other listener still forwarding", async function () {
    assertBound();
    await provider.elbv2.send(new DeleteListenerCommand({ ListenerArn: listenerArns.get(9101) }));
    const elapsed = await within(2000, async () => {
      try {
        await readFrom(nlbIp, 9101);
        return undefined;
      } catch (err) {
        return /ECONNREFUSED/.test(String(err)) ? true : undefined;
      }
    });
    console.log(`      nlb: listener deletion followed after ${elapsed} ms`);
    assert.deepEqual(
      twin.loadBalancers()[0]?.listeners.map((l) => l.port),
      [9102],
    );
    assert.equal(await readFrom(nlbIp, 9102), 'target-9102');
  });

  it('releases the address within 2 s of the NLB being deleted: nothing listens, the aliases answer nothing', async function () {
    assertBound();
    await provider.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: nlbArn }));
    const elapsed = await within(2000, () => (twin.addressOf(nlbArn) === undefined ? true : undefined));
    console.log(`      nlb: deletion followed after ${elapsed} ms`);
    assert.deepEqual(twin.loadBalancers(), []);
    await assert.rejects(readFrom(nlbIp, 9102), /ECONNREFUSED/);
    assert.equal((await queryDns(providerDns, nlbDnsName)).rcode, 'NXDOMAIN');
    assert.equal(
      (await queryDns(providerDns, BROKER)).rcode,
      'NXDOMAIN',
      'the alias has nothing to point at',
    );
    assert.equal((await queryDns(providerDns, DUALSTACK_BROKER)).rcode, 'NXDOMAIN');
    // The parent zone's own records are untouched.
    assert.deepEqual((await queryDns(providerDns, `boot-xyz.${DOMAIN}`)).addresses, ['10.9.9.9']);
  });
});
