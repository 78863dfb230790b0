// The testbed's MSK-like Kafka cluster, against real Kafka: TLS by MSK-style broker names
// with hostname verification, SASL/SCRAM on 9096 with the user made at start, a dynamic
// advertised.listeners change, a clean stop.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type tls from 'node:tls';
import { ConfigResourceTypes, Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import { MSK_PORTS, SCRAM_USER, startKafka, type KafkaTestCluster } from '../testbed/kafka/cluster.js';
import { mapLookup, resolvingSocketFactory, type HostLookup } from '../testbed/kafka/socket-factory.js';

const DYNAMIC_BROKER_CONFIG = 2; // DescribeConfigs config source

describe('testbed: MSK-like Kafka cluster', function () {
  let cluster: KafkaTestCluster;
  let startupMs = 0;
  const clients: { disconnect(): Promise<void> }[] = [];

  /** A kafkajs client that resolves broker names to 127.0.2.x and verifies the test CA. */
  function client(
    overrides: Partial<KafkaConfig> = {},
    lookup: HostLookup = mapLookup(cluster.addresses),
  ): Kafka {
    return new Kafka({
      clientId: 'kafka-cluster-test',
      brokers: cluster.bootstrap.tls.split(','),
      ssl: { ca: [cluster.caPem], rejectUnauthorized: true },
      socketFactory: resolvingSocketFactory(lookup),
      connectionTimeout: 3000,
      retry: { retries: 3, initialRetryTime: 200 },
      logLevel: logLevel.NOTHING,
      ...overrides,
    });
  }

  async function connectedAdmin(overrides: Partial<KafkaConfig> = {}): Promise<Admin> {
    const admin = client(overrides).admin();
    clients.push(admin);
    await admin.connect();
    return admin;
  }

  before(async function () {
    this.timeout(180_000);
    const t0 = Date.now();
    cluster = await startKafka();
    startupMs = Date.now() - t0;
    console.log(`      Kafka testbed startup: ${(startupMs / 1000).toFixed(1)} s (limit 60 s)`);
  });

  after(async function () {
    this.timeout(30_000);
    await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
    await cluster?.stop();
  });

  it('starts in under 60 s with three brokers registered under MSK-style names', async function () {
    assert.ok(startupMs < 60_000, `startup took ${startupMs} ms`);
    assert.deepEqual(
      cluster.brokers.map((b) => [b.id, b.host, b.ip]),
      [1, 2, 3].map((n) => [n, `b-${n}.payments.abc123.c2.kafka.us-east-2.amazonaws.com`, `127.0.2.${n}`]),
    );
    const admin = await connectedAdmin();
    const { brokers, controller } = await admin.describeCluster();
    assert.notEqual(controller, null);
    assert.deepEqual(
      brokers.map((b) => [b.nodeId, b.host, b.port]).sort(),
      cluster.brokers.map((b) => [b.id, b.host, MSK_PORTS.tls]),
    );
  });

  it('produces and consumes over TLS to every broker by name, hostname verified', async function () {
    this.timeout(60_000);
    const resolved = new Set<string>();
    const recording: HostLookup = (host) => {
      resolved.add(host);
      return mapLookup(cluster.addresses)(host);
    };
    const kafka = client({}, recording);
    const topic = `tls-every-broker-${Date.now()}`;
    const admin = kafka.admin();
    clients.push(admin);
    await admin.connect();
    // Partition p led by broker p+1, so the producer must reach each broker itself.
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          replicaAssignment: [0, 1, 2].map((p) => ({
            partition: p,
            replicas: [1, 2, 3].map((i) => ((p + i - 1) % 3) + 1),
          })),
        },
      ],
    });
    // The broker asked may not have the controller's metadata update yet on a busy machine
    // (UNKNOWN_TOPIC_OR_PARTITION): ask again for a while.
    const metaDeadline = Date.now() + 15_000;
    let meta: Awaited<ReturnType<Admin['fetchTopicMetadata']>>;
    for (;;) {
      try {
        meta = await admin.fetchTopicMetadata({ topics: [topic] });
        break;
      } catch (err) {
        if (Date.now() > metaDeadline || !/does not host this topic-partition/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    assert.deepEqual(meta.topics[0]?.partitions.map((p) => [p.partitionId, p.leader]).sort(), [
      [0, 1],
      [1, 2],
      [2, 3],
    ]);

    const producer = kafka.producer();
    clients.push(producer);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [0, 1, 2].map((p) => ({ partition: p, value: `hello from partition ${p}` })),
    });

    const consumer = kafka.consumer({
      groupId: `${topic}-group`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 500,
    });
    clients.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`received only ${JSON.stringify(received)}`)), 45_000);
      void consumer
        .run({
          eachMessage: async ({ message }) => {
            received.push(message.value?.toString() ?? '');
            if (received.length === 3) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();

    assert.deepEqual(
      received.sort(),
      [0, 1, 2].map((p) => `hello from partition ${p}`),
    );
    assert.deepEqual(
      [...resolved].sort(),
      cluster.brokers.map((b) => b.host),
    );
  });

  it('refuses a TLS connection under a name outside the certificate', async function () {
    const [b1] = cluster.brokers;
    assert.ok(b1);
    const wrongName = 'b-1.other.xyz789.c2.kafka.us-east-2.amazonaws.com';
    const factory = resolvingSocketFactory(mapLookup({ [b1.host]: b1.ip, [wrongName]: b1.ip }));
    const attempt = (host: string): Promise<string> =>
      new Promise((resolve) => {
        const ssl: tls.ConnectionOptions = { ca: [cluster.caPem], rejectUnauthorized: true };
        const socket = factory({
          host,
          port: MSK_PORTS.tls,
          ssl,
          onConnect: () => {
            socket.destroy();
            resolve('connected');
          },
        });
        socket.on('error', (err: NodeJS.ErrnoException) => {
          socket.destroy();
          resolve(err.code ?? err.message);
        });
      });
    // Same address both times: only the name differs.
    assert.equal(await attempt(b1.host), 'connected');
    assert.equal(await attempt(wrongName), 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  const scramClient = (password: string, username = cluster.scram.username): Kafka =>
    client({
      brokers: cluster.bootstrap.saslScram.split(','),
      sasl: { mechanism: 'scram-sha-512', username, password },
      retry: { retries: 0 },
    });

  it('SASL/SCRAM: has the user made at start, MSK-style bootstrap string and ports', () => {
    assert.equal(cluster.scram.username, SCRAM_USER);
    assert.match(cluster.scram.password, /^[A-Za-z0-9_-]{16,}$/);
    assert.equal(cluster.bootstrap.saslScram, cluster.brokers.map((b) => `${b.host}:9096`).join(','));
    assert.deepEqual(
      cluster.brokers.map((b) => b.ports.saslScram),
      [9096, 9096, 9096],
    );
  });

  it('SASL/SCRAM on 9096: the user reads metadata over TLS, hostname verified, and may create and delete a topic (no ACLs)', async function () {
    this.timeout(60_000);
    const resolved = new Set<string>();
    const admin = client(
      {
        brokers: cluster.bootstrap.saslScram.split(','),
        sasl: {
          mechanism: 'scram-sha-512',
          username: cluster.scram.username,
          password: cluster.scram.password,
        },
      },
      (host) => {
        resolved.add(host);
        return mapLookup(cluster.addresses)(host);
      },
    ).admin();
    clients.push(admin);
    await admin.connect();
    const { brokers, controller } = await admin.describeCluster();
    assert.notEqual(controller, null);
    // Metadata through this listener advertises it: every broker by name on 9096.
    assert.deepEqual(
      brokers.map((b) => [b.nodeId, b.host, b.port]).sort(),
      cluster.brokers.map((b) => [b.id, b.host, MSK_PORTS.saslScram]),
    );
    const topic = `scram-${Date.now()}`;
    assert.equal(await admin.createTopics({ topics: [{ topic }], waitForLeaders: true }), true);
    assert.ok((await admin.listTopics()).includes(topic));
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    assert.ok(resolved.size > 0 && [...resolved].every((h) => h.endsWith(cluster.domain)));
  });

  it('SASL/SCRAM: refuses a wrong password and an unknown user with an authentication error', async function () {
    this.timeout(30_000);
    for (const [password, username] of [
      [`${cluster.scram.password}x`, cluster.scram.username],
      [cluster.scram.password, 'nobody'],
    ] as const) {
      const admin = scramClient(password, username).admin();
      clients.push(admin);
      await assert.rejects(admin.connect(), (err: Error) => {
        assert.equal(err.name, 'KafkaJSSASLAuthenticationError', `${err.name}: ${err.message}`);
        assert.match(err.message, /SASL SCRAM SHA512 authentication failed/);
        return true;
      });
    }
  });

  it('SASL/SCRAM: refuses SCRAM without TLS on 9096 (SASL_SSL, not SASL_PLAINTEXT)', async function () {
    this.timeout(30_000);
    const admin = client({
      brokers: cluster.bootstrap.saslScram.split(','),
      ssl: false,
      sasl: {
        mechanism: 'scram-sha-512',
        username: cluster.scram.username,
        password: cluster.scram.password,
      },
      retry: { retries: 0 },
      connectionTimeout: 2000,
      authenticationTimeout: 2000,
      requestTimeout: 2000,
    }).admin();
    clients.push(admin);
    // The broker expects a TLS handshake and drops the plaintext SASL handshake request.
    await assert.rejects(admin.connect(), /Closed connection|ECONNRESET/);
  });

  it('SASL/SCRAM: keeps the password out of logs, command lines and files on disk', () => {
    const { password } = cluster.scram;
    const files = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return p.includes('-data') ? [] : files(p);
        return [p];
      });
    const all = files(cluster.workDir);
    assert.ok(
      all.some((f) => f.endsWith('scram-user.log')),
      'ConfigCommand output kept',
    );
    assert.deepEqual(
      all.filter((f) => fs.readFileSync(f, 'latin1').includes(password)),
      [],
      'files holding the password',
    );
    for (const pid of [cluster.zookeeper.pid, ...cluster.brokers.map((b) => b.pid)])
      assert.ok(!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(password));
  });

  it('applies a per-broker advertised.listeners change without a restart, then restores it', async function () {
    this.timeout(60_000);
    const target = cluster.brokers[1];
    assert.ok(target);
    const name = String(target.id);
    // Over CLIENT (plaintext), which the change leaves alone, so the admin keeps reaching
    // the broker it reconfigures (AlterConfigs for a broker must go to that broker).
    const admin = await connectedAdmin({ brokers: cluster.bootstrap.plaintext.split(','), ssl: undefined });

    // Legacy AlterConfigs replaces all of a broker's dynamic settings: read them first.
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name }],
    });
    const entries = described.resources[0]?.configEntries ?? [];
    const dynamic = entries.filter((e) => e.configSource === DYNAMIC_BROKER_CONFIG);
    assert.ok(!dynamic.some((e) => e.isSensitive), 'a sensitive dynamic setting cannot be written back');
    const original = entries.find((e) => e.configName === 'advertised.listeners')?.configValue;
    assert.ok(original, 'advertised.listeners not described');
    assert.ok(original.includes(`REPLICATION://${target.internalHost}:9093`));

    const changed = original
      .split(',')
      .map((l) => (l.startsWith('CLIENT_SECURE://') ? `CLIENT_SECURE://${target.host}:9001` : l))
      .join(',');
    const keep = dynamic.filter((e) => e.configName !== 'advertised.listeners');
    const toEntries = (list: typeof dynamic): { name: string; value: string }[] =>
      list.map((e) => ({ name: e.configName, value: e.configValue }));

    const tlsPortOf = async (): Promise<number | undefined> => {
      // A fresh client each time: its metadata comes straight from the brokers.
      const probe = client({ brokers: [`${cluster.brokers[0]?.host}:${MSK_PORTS.tls}`] }).admin();
      try {
        await probe.connect();
        const { brokers } = await probe.describeCluster();
        return brokers.find((b) => b.nodeId === target.id)?.port;
      } finally {
        await probe.disconnect();
      }
    };
    const waitForPort = async (port: number): Promise<void> => {
      const deadline = Date.now() + 15_000;
      let seen: number | undefined;
      while (Date.now() < deadline) {
        seen = await tlsPortOf();
        if (seen === port) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.fail(`broker ${name} still advertises TLS port ${seen}, expected ${port}`);
    };

    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.BROKER,
            name,
            configEntries: [...toEntries(keep), { name: 'advertised.listeners', value: changed }],
          },
        ],
      });
      await waitForPort(9001);

      const after = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name, configNames: ['advertised.listeners'] }],
      });
      const now = after.resources[0]?.configEntries.find((e) => e.configName === 'advertised.listeners');
      assert.equal(now?.configValue, changed);
      assert.equal(now?.configSource, DYNAMIC_BROKER_CONFIG);

      // A TLS client now reaches that broker at its new port (a forwarder stands in for the
      // NLB listener), still verifying the broker's name.
      let forwarded = 0;
      const forwarder = net.createServer((inbound) => {
        forwarded += 1;
        const outbound = net.connect({ host: target.ip, port: MSK_PORTS.tls });
        inbound.pipe(outbound).pipe(inbound);
        const close = (): void => {
          inbound.destroy();
          outbound.destroy();
        };
        inbound.on('error', close);
        outbound.on('error', close);
      });
      await new Promise<void>((resolve) => forwarder.listen(9001, target.ip, resolve));
      try {
        const tlsAdmin = await connectedAdmin();
        const viaNewPort = await tlsAdmin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.BROKER, name, configNames: ['broker.id'] }],
        });
        assert.equal(viaNewPort.resources[0]?.configEntries[0]?.configValue, name);
        assert.ok(forwarded > 0, 'the client did not use the new advertised port');
        await tlsAdmin.disconnect();
      } finally {
        forwarder.close();
      }
      // Replication listeners kept, and the same JVM still runs it: no restart.
      assert.ok(changed.includes(':9093') && changed.includes(':9095'));
      process.kill(target.pid, 0);
    } finally {
      // Writing back the original dynamic set drops the override when there was none.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name, configEntries: toEntries(dynamic) }],
      });
    }
    await waitForPort(MSK_PORTS.tls);
  });

  it('stop() leaves no java process and no listening port behind', async function () {
    this.timeout(30_000);
    await Promise.all(clients.splice(0).map((c) => c.disconnect().catch(() => undefined)));
    const pids = [cluster.zookeeper.pid, ...cluster.brokers.map((b) => b.pid)];
    const t0 = Date.now();
    await cluster.stop();
    console.log(`      Kafka testbed stop: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    assert.deepEqual(alive, [], 'JVMs still running');

    const endpoints: [string, number][] = [
      [cluster.zookeeper.host, cluster.zookeeper.port],
      ...cluster.brokers.flatMap((b) => Object.values(MSK_PORTS).map((p): [string, number] => [b.ip, p])),
    ];
    const open = (
      await Promise.all(endpoints.map(async ([h, p]) => ((await accepts(h, p)) ? `${h}:${p}` : undefined)))
    ).filter(Boolean);
    assert.deepEqual(open, [], 'ports still accepting connections');
    // Cross-check with the kernel's table of listening sockets.
    const listening = execFileSync('ss', ['-Hltn'], { encoding: 'utf8' })
      .split('\n')
      // Local address column; JVMs listen on IPv4-mapped IPv6 ([::ffff:127.0.2.1]:9092).
      .map((line) => (line.trim().split(/\s+/)[3] ?? '').replace(/^\[(?:::ffff:)?([^\]]+)\]/, '$1'))
      .filter((local) => endpoints.some(([h, p]) => local === `${h}:${p}`));
    assert.deepEqual(listening, [], 'sockets still listening');
  });
});

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
