// The whole testbed end to end: PrivateLink wired through the SDK as the tool wires pattern 1,
// then kafkajs in the consumer "VPC" (names through the twin's DNS, bytes through the
// endpoint proxies) over TLS with hostname verification; plus testbed:up/down as a user
// runs them, leaving no process and no listening port behind.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DescribeClusterV2Command, ListNodesCommand } from '@aws-sdk/client-kafka';
import { Kafka, logLevel } from 'kafkajs';
import { resolvingSocketFactory } from '../testbed/kafka/socket-factory.js';
import { queryDns } from '../testbed/network/dns-client.js';
import { wirePrivateLink, type Clients, type PrivateLink } from '../testbed/scenario.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';

const execFileP = promisify(execFile);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

describe('testbed: full stack', function () {
  let tb: Testbed;
  let provider: Clients;
  let consumer: Clients;
  const links: PrivateLink[] = [];

  before(async function () {
    this.timeout(120_000);
    tb = await getTestbed({ reset: true });
    console.log(`      testbed startup: ${(tb.startupMs / 1000).toFixed(1)} s (limit 60 s)`);
    provider = tb.clients(tb.accounts.provider);
    consumer = tb.clients(tb.accounts.consumers[0]!);
  });

  after(() => {
    provider?.destroy();
    consumer?.destroy();
  });

  it('comes up in under 60 s with the MSK cluster seeded over the real brokers', async function () {
    assert.ok(tb.startupMs < 60_000, `startup took ${tb.startupMs} ms`);
    const nodes = await provider.kafka.send(new ListNodesCommand({ ClusterArn: tb.clusterArn }));
    const seen = (nodes.NodeInfoList ?? [])
      .map((n) => [
        n.BrokerNodeInfo?.BrokerId,
        n.BrokerNodeInfo?.Endpoints?.[0],
        n.BrokerNodeInfo?.ClientVpcIpAddress,
      ])
      .sort();
    assert.deepEqual(
      seen,
      tb.kafka.brokers.map((b) => [b.id, b.host, b.ip]),
    );
    const subnets = new Set((nodes.NodeInfoList ?? []).map((n) => n.BrokerNodeInfo?.ClientSubnet));
    assert.deepEqual([...subnets].sort(), tb.scenario.provider.subnets.map((s) => s.id).sort());
    const azIds = tb.scenario.provider.subnets.map((s) => s.availabilityZoneId);
    assert.equal(new Set(azIds).size, 3, `three AZ IDs: ${azIds.join(', ')}`);
    const described = await provider.kafka.send(new DescribeClusterV2Command({ ClusterArn: tb.clusterArn }));
    assert.equal(described.ClusterInfo?.State, 'ACTIVE');
    assert.equal(tb.scenario.consumers.length, 2);
  });

  it('kafkajs reaches every broker by its MSK name through the DNS and endpoint twins, over verified TLS', async function () {
    this.timeout(90_000);
    const net = tb.scenario.consumers[0]!;
    // Pattern 1 by hand: one NLB, endpoint service and endpoint per broker; one private zone.
    let zoneId: string | undefined;
    for (const b of tb.kafka.brokers) {
      const link = await wirePrivateLink({
        provider,
        consumer,
        providerNetwork: tb.scenario.provider,
        consumerNetwork: net,
        name: `fs-b${b.id}`,
        listeners: [{ port: b.ports.tls, targets: [{ ip: b.ip, port: b.ports.tls }] }],
        zoneName: tb.kafka.domain,
        hostedZoneId: zoneId,
        recordNames: [b.host],
      });
      zoneId = link.hostedZoneId;
      links.push(link);
    }

    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([tb.dnsAddress]);
    const start = Date.now();
    for (const [i, b] of tb.kafka.brokers.entries()) {
      for (;;) {
        const reply = await queryDns(tb.dns, b.host);
        const ip = tb.network.addressOf(links[i]!.endpointId);
        if (ip && reply.addresses[0] === ip) break;
        assert.ok(Date.now() - start < 2000, `${b.host} not answered with its endpoint address within 2 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const [address] = await resolver.resolve4(b.host);
      assert.match(
        address ?? '',
        /^127\.0\.1\.\d+$/,
        'Node resolver gets the endpoint address, not the broker',
      );
      assert.notEqual(address, b.ip);
    }
    console.log(
      `      reconcile: all ${links.length} broker names answered ${Date.now() - start} ms after wiring`,
    );

    const kafka = new Kafka({
      clientId: 'testbed-full-stack',
      brokers: tb.kafka.bootstrap.tls.split(','),
      ssl: { ca: [tb.caPem], rejectUnauthorized: true },
      socketFactory: resolvingSocketFactory(async (host) => (await resolver.resolve4(host))[0] ?? ''),
      connectionTimeout: 3000,
      retry: { retries: 5, initialRetryTime: 200 },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumerClient = kafka.consumer({ groupId: `full-stack-${Date.now()}` });
    const topic = `full-stack-${Date.now()}`;
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      assert.deepEqual(
        cluster.brokers.map((b) => b.host).sort(),
        tb.kafka.brokers.map((b) => b.host),
      );
      // One partition led by each broker, so producing touches every broker.
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            replicaAssignment: tb.kafka.brokers.map((b, p) => ({
              partition: p,
              replicas: [b.id, ...tb.kafka.brokers.filter((o) => o.id !== b.id).map((o) => o.id)],
            })),
          },
        ],
      });
      await producer.connect();
      const partitions = tb.kafka.brokers.map((_, p) => p);
      await producer.send({
        topic,
        messages: partitions.map((p) => ({ partition: p, value: `hello through privatelink ${p}` })),
      });
      await consumerClient.connect();
      await consumerClient.subscribe({ topic, fromBeginning: true });
      const received: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumed only ${received.length}`)), 30_000);
        void consumerClient
          .run({
            eachMessage: async ({ message }) => {
              received.push(message.value?.toString() ?? '');
              if (received.length === partitions.length) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      assert.deepEqual(
        received.sort(),
        partitions.map((p) => `hello through privatelink ${p}`),
      );
    } finally {
      await consumerClient.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    // Every byte went through an endpoint proxy: each one carried connections.
    for (const link of links) {
      const binding = tb.network.addresses().find((b) => b.endpointId === link.endpointId);
      assert.ok(binding, `binding for ${link.endpointId}`);
      assert.ok((binding.listeners[0]?.connections ?? 0) > 0, `no connection went through ${binding.ip}`);
    }
  });

  it('resets to the seeded scenario, and the network twin drops the endpoints', async function () {
    this.timeout(30_000);
    const before = tb.scenario.provider.vpcId;
    await tb.reset();
    assert.notEqual(tb.scenario.provider.vpcId, before);
    assert.equal(tb.network.addresses().length, 0);
    assert.equal((await queryDns(tb.dns, tb.kafka.brokers[0]!.host)).rcode, 'NXDOMAIN');
  });
});

describe('testbed: npm run testbed:up / testbed:down', function () {
  // Its own state dir and addresses, so it runs beside the shared testbed and a developer's.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'testbed-cli-'));
  const cli = (cmd: 'up' | 'down') =>
    execFileP(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'test/testbed/cli.ts'),
        cmd,
        '--dir',
        dir,
        '--kafka-ip-prefix',
        '127.0.5',
        '--endpoint-ip-prefix',
        '127.0.6',
      ],
      { cwd: ROOT, timeout: 150_000 },
    );
  let pids: number[] = [];
  let env: Record<string, string> = {};

  after(async function () {
    this.timeout(60_000);
    await cli('down').catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('up starts detached in under 60 s and writes .testbed/env', async function () {
    this.timeout(150_000);
    const { stdout } = await cli('up');
    const took = /testbed up in ([\d.]+) s/.exec(stdout);
    assert.ok(took, stdout);
    console.log(`      testbed:up took ${took[1]} s (limit 60 s)`);
    assert.ok(Number(took[1]) < 60);
    const text = fs.readFileSync(path.join(dir, 'env'), 'utf8');
    env = Object.fromEntries(
      [...text.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    for (const key of [
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'TESTBED_PROVIDER_ACCOUNT',
      'TESTBED_CONSUMER_ACCOUNTS',
      'TESTBED_CLUSTER_ARN',
      'TESTBED_DNS',
      'TESTBED_CA',
      'TESTBED_CONTROL',
    ]) {
      assert.ok(env[key], `${key} in env`);
      assert.ok(stdout.includes(`export ${key}=`), `${key} printed`);
    }
    assert.equal(env.TESTBED_CONSUMER_ACCOUNTS, '222222222222 333333333333');
    assert.ok(fs.existsSync(env.TESTBED_CA!));
    pids = fs.readFileSync(path.join(dir, 'pids'), 'utf8').trim().split('\n').map(Number);
    assert.ok(pids.length >= 6, `daemon, AWS twin, ZooKeeper, 3 brokers: ${pids.join(' ')}`);
    // Still there after the command returned: detached.
    for (const pid of pids) assert.ok(alive(pid), `process ${pid} alive`);
    const health = await fetch(`${env.TESTBED_CONTROL}/health`);
    assert.equal(health.status, 200);
    const [dnsHost, dnsPort] = env.TESTBED_DNS!.split(':');
    const reply = await queryDns({ host: dnsHost!, port: Number(dnsPort) }, 'nothing.example.com');
    assert.equal(reply.rcode, 'NXDOMAIN');
  });

  it('down leaves no process and no listening port behind', async function () {
    this.timeout(60_000);
    assert.ok(pids.length > 0, 'up ran');
    const { stdout } = await cli('down');
    assert.match(stdout, /testbed down in/);
    for (const pid of pids) assert.ok(!alive(pid), `process ${pid} still alive`);
    const listening = execFileSync('ss', ['-ltnupH'], { encoding: 'utf8' });
    const awsPort = new URL(env.AWS_ENDPOINT_URL!).port;
    const dnsPort = env.TESTBED_DNS!.split(':')[1]!;
    const leftovers = listening
      .split('\n')
      .filter(
        (l) => /127\.0\.[56]\.\d+:/.test(l) || l.includes(`:${awsPort} `) || l.includes(`:${dnsPort} `),
      );
    assert.deepEqual(leftovers, []);
    for (const pid of pids) assert.ok(!listening.includes(`pid=${pid},`), `pid ${pid} still listens`);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
