// The testbed's Kafka cluster in KRaft mode, and broker restarts with other advertised
// listeners (an MSK rolling restart for custom.advertised.listeners) and broker additions in
// both modes, against real Kafka. KRaft on 127.0.7.x, ZooKeeper mode on 127.0.8.x (127.0.2.x
// is the shared testbed's).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import {
  MSK_PORTS,
  pinnedSocketFactory,
  startKafka,
  type KafkaTestCluster,
  type MetadataMode,
} from '../testbed/kafka/cluster.js';
import { mapLookup, resolvingSocketFactory } from '../testbed/kafka/socket-factory.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

for (const mode of ['kraft', 'zookeeper'] as const satisfies readonly MetadataMode[]) {
  const ipPrefix = mode === 'kraft' ? '127.0.7' : '127.0.8';

  describe(`testbed: Kafka cluster in ${mode} mode, restartBroker and addBroker (${ipPrefix}.x)`, function () {
    let cluster: KafkaTestCluster;
    let startupMs = 0;
    const clients: { disconnect(): Promise<void> }[] = [];
    const pidsSeen = new Set<number>();

    /** A kafkajs client that resolves broker names to their addresses and verifies the test CA. */
    function client(overrides: Partial<KafkaConfig> = {}): Kafka {
      return new Kafka({
        clientId: 'kafka-cluster-kraft-test',
        brokers: cluster.bootstrap.tls.split(','),
        ssl: { ca: [cluster.caPem], rejectUnauthorized: true },
        socketFactory: resolvingSocketFactory(mapLookup(cluster.addresses)),
        connectionTimeout: 3000,
        retry: { retries: 3, initialRetryTime: 200 },
        logLevel: logLevel.NOTHING,
        ...overrides,
      });
    }

    /**
     * The brokers (id -> "host:port") in one broker's own Metadata response on one listener:
     * every connection of the client goes to that broker (kafkajs would otherwise ask a random
     * broker of the metadata), TLS verified against its name.
     */
    async function metadataVia(
      id: number,
      port: number = MSK_PORTS.tls,
      extra: Partial<KafkaConfig> = {},
    ): Promise<Record<number, string>> {
      const b = cluster.brokers.find((x) => x.id === id);
      assert.ok(b, `no broker ${id}`);
      const admin = client({
        brokers: [`${b.host}:${port}`],
        socketFactory: pinnedSocketFactory({ ip: b.ip, port, servername: b.host }),
        ...(port === MSK_PORTS.plaintext ? { ssl: undefined } : {}),
        ...extra,
      }).admin();
      try {
        await admin.connect();
        const { brokers } = await admin.describeCluster();
        return Object.fromEntries(brokers.map((n) => [n.nodeId, `${n.host}:${n.port}`]));
      } finally {
        await admin.disconnect();
      }
    }

    const defaultTls = (id: number): string => `b-${id}.${cluster.domain}:${MSK_PORTS.tls}`;
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };

    before(async function () {
      this.timeout(180_000);
      const t0 = Date.now();
      cluster = await startKafka({ metadataMode: mode, ipPrefix });
      startupMs = Date.now() - t0;
      for (const b of cluster.brokers) pidsSeen.add(b.pid);
      pidsSeen.add(cluster.zookeeper.pid);
      console.log(`      ${mode} cluster startup: ${seconds(startupMs)}`);
    });

    after(async function () {
      this.timeout(60_000);
      await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
      await cluster?.stop();
    });

    it(`starts three brokers with metadata in ${mode === 'kraft' ? 'a KRaft controller' : 'ZooKeeper'}, TLS on 9094 with the CA verified`, async function () {
      this.timeout(30_000);
      assert.ok(startupMs < 60_000, `startup took ${startupMs} ms`);
      assert.equal(cluster.metadataMode, mode);
      assert.deepEqual(
        cluster.brokers.map((b) => [b.id, b.host, b.ip]),
        [1, 2, 3].map((n) => [
          n,
          `b-${n}.payments.abc123.c2.kafka.us-east-2.amazonaws.com`,
          `${ipPrefix}.${n}`,
        ]),
      );
      if (mode === 'kraft') {
        assert.deepEqual(cluster.controller, {
          host: `${ipPrefix}.100`,
          port: 19093,
          pid: cluster.zookeeper.pid,
        });
        assert.deepEqual(cluster.zookeeper, cluster.controller);
        assert.match(
          fs.readFileSync(`/proc/${cluster.controller.pid}/cmdline`, 'utf8'),
          /controller\.properties/,
        );
      } else {
        assert.equal(cluster.controller, undefined);
        assert.deepEqual([cluster.zookeeper.host, cluster.zookeeper.port], [`${ipPrefix}.100`, 2181]);
      }
      assert.ok(await accepts(cluster.zookeeper.host, cluster.zookeeper.port));

      for (const via of [1, 2, 3]) {
        assert.deepEqual(
          await metadataVia(via),
          { 1: defaultTls(1), 2: defaultTls(2), 3: defaultTls(3) },
          `metadata via broker ${via}`,
        );
      }
      // The brokers themselves say how they keep metadata.
      const admin = client().admin();
      clients.push(admin);
      await admin.connect();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: ConfigResourceTypes.BROKER,
            name: '1',
            configNames: ['process.roles', 'zookeeper.connect'],
          },
        ],
      });
      const value = (name: string): string | undefined =>
        resources[0]?.configEntries.find((e) => e.configName === name)?.configValue ?? undefined;
      if (mode === 'kraft') {
        assert.equal(value('process.roles'), 'broker');
        assert.ok(!value('zookeeper.connect'), `zookeeper.connect=${value('zookeeper.connect')}`);
      } else {
        assert.ok(!value('process.roles'), `process.roles=${value('process.roles')}`);
        assert.equal(value('zookeeper.connect'), `${ipPrefix}.100:2181`);
      }
      await admin.disconnect();
    });

    it('has the SCRAM user made at start on every broker (9096), and refuses a wrong password', async function () {
      this.timeout(30_000);
      const sasl = (password: string): Partial<KafkaConfig> => ({
        sasl: { mechanism: 'scram-sha-512', username: cluster.scram.username, password },
        retry: { retries: 0 },
      });
      for (const id of [1, 2, 3]) {
        assert.deepEqual(
          await metadataVia(id, MSK_PORTS.saslScram, sasl(cluster.scram.password)),
          Object.fromEntries([1, 2, 3].map((n) => [n, `b-${n}.${cluster.domain}:9096`])),
        );
      }
      await assert.rejects(
        metadataVia(1, MSK_PORTS.saslScram, sasl(`${cluster.scram.password}x`)),
        (err: Error) => {
          assert.equal(err.name, 'KafkaJSSASLAuthenticationError', `${err.name}: ${err.message}`);
          return true;
        },
      );
    });

    it('keeps the SCRAM password out of files on disk and command lines', () => {
      const { password } = cluster.scram;
      const files = (dir: string): string[] =>
        fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) return p.includes('-data') ? [] : files(p);
          return [p];
        });
      const all = files(cluster.workDir);
      assert.ok(all.some((f) => f.endsWith(mode === 'kraft' ? 'format-controller.log' : 'scram-user.log')));
      assert.deepEqual(
        all.filter((f) => f.endsWith('.args')),
        [],
        'argument files left behind',
      );
      assert.deepEqual(
        all.filter((f) => fs.readFileSync(f, 'latin1').includes(password)),
        [],
        'files holding the password',
      );
      for (const pid of [cluster.zookeeper.pid, ...cluster.brokers.map((b) => b.pid)])
        assert.ok(!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(password));
    });

    it('restartBroker(2, { CLIENT_SECURE: b-2:9002 }): a new JVM, TLS metadata on every broker shows b-2 on 9002, other listeners unchanged', async function () {
      this.timeout(120_000);
      const before = cluster.brokers[1]?.pid ?? 0;
      const custom = `b-2.${cluster.domain}:9002`;
      const t0 = Date.now();
      await cluster.restartBroker(2, { CLIENT_SECURE: custom });
      console.log(`      restartBroker(2, { CLIENT_SECURE: ...:9002 }): ${seconds(Date.now() - t0)}`);

      const after = cluster.brokers[1]?.pid ?? 0;
      pidsSeen.add(after);
      assert.notEqual(after, before);
      assert.ok(alive(after) && !alive(before), 'old JVM gone, new one running');
      assert.deepEqual(cluster.advertisedOverrides(2), { CLIENT_SECURE: custom });
      // Over TLS through the other brokers (and b-2 itself), CA and names verified.
      for (const via of [1, 3, 2]) {
        assert.deepEqual(
          await metadataVia(via),
          { 1: defaultTls(1), 2: custom, 3: defaultTls(3) },
          `TLS metadata via broker ${via}`,
        );
      }
      // Listeners not named keep MSK's defaults.
      assert.equal((await metadataVia(1, MSK_PORTS.plaintext))[2], `b-2.${cluster.domain}:9092`);
      const config = fs.readFileSync(path.join(cluster.workDir, 'broker-2.properties'), 'utf8');
      assert.match(
        config,
        new RegExp(`REPLICATION://b-2-internal\\.${cluster.domain.replace(/\./g, '\\.')}:9093`),
      );
    });

    it('restartBroker(2) without overrides brings 9094 back', async function () {
      this.timeout(120_000);
      const t0 = Date.now();
      await cluster.restartBroker(2);
      console.log(`      restartBroker(2): ${seconds(Date.now() - t0)}`);
      pidsSeen.add(cluster.brokers[1]?.pid ?? 0);
      assert.deepEqual(cluster.advertisedOverrides(2), {});
      for (const via of [1, 3]) {
        assert.deepEqual(await metadataVia(via), { 1: defaultTls(1), 2: defaultTls(2), 3: defaultTls(3) });
      }
    });

    it('refuses unknown listeners, malformed endpoints and unknown brokers, leaving the broker running', async function () {
      const pid = cluster.brokers[1]?.pid;
      await assert.rejects(
        cluster.restartBroker(2, { CLIENT_TLS: 'x.example.com:9001' }),
        /unknown listener/,
      );
      await assert.rejects(cluster.restartBroker(2, { CLIENT_SECURE: 'no-port.example.com' }), /host:port/);
      await assert.rejects(cluster.restartBroker(2, { CLIENT_SECURE: 'x.example.com:70000' }), /host:port/);
      await assert.rejects(cluster.restartBroker(7), /no broker 7/);
      assert.equal(cluster.brokers[1]?.pid, pid);
      assert.ok(pid && alive(pid));
      assert.deepEqual(cluster.advertisedOverrides(2), {});
    });

    it('a restart of a partition leader keeps acks=all sends going (controlled shutdown)', async function () {
      this.timeout(120_000);
      const kafka = client({ retry: { retries: 5, initialRetryTime: 100 } });
      const topic = `restart-${Date.now()}`;
      const admin = kafka.admin();
      clients.push(admin);
      await admin.connect();
      // Partition p led by broker p+1.
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
      const producer = kafka.producer();
      clients.push(producer);
      await producer.connect();
      let running = true;
      let sent = 0;
      let slowest = 0;
      const failures: string[] = [];
      const loops = [0, 1, 2].map(async (partition) => {
        while (running) {
          const t = Date.now();
          try {
            await producer.send({ topic, acks: -1, messages: [{ partition, value: 'x' }] });
            sent += 1;
          } catch (err) {
            failures.push(String(err));
          }
          slowest = Math.max(slowest, Date.now() - t);
          await new Promise((r) => setTimeout(r, 50));
        }
      });
      try {
        await new Promise((r) => setTimeout(r, 1000));
        const t0 = Date.now();
        await cluster.restartBroker(2);
        console.log(
          `      restartBroker(2) under load: ${seconds(Date.now() - t0)}, slowest send ${slowest} ms`,
        );
        pidsSeen.add(cluster.brokers[1]?.pid ?? 0);
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        running = false;
        await Promise.all(loops);
      }
      await producer.disconnect();
      await admin.disconnect();
      assert.deepEqual(failures, []);
      assert.ok(sent > 30, `only ${sent} sends`);
      // Without a controlled shutdown a KRaft broker's partitions stall ~6 s (until it is fenced).
      assert.ok(slowest < 3000, `a send took ${slowest} ms`);
    });

    it('addBroker(): broker 4 in every broker metadata, with TLS and SCRAM, and a produce/consume round trip through it', async function () {
      this.timeout(120_000);
      const t0 = Date.now();
      const b4 = await cluster.addBroker();
      console.log(`      addBroker(): ${seconds(Date.now() - t0)}`);
      pidsSeen.add(b4.pid);
      assert.deepEqual(
        [b4.id, b4.host, b4.internalHost, b4.ip],
        [4, `b-4.${cluster.domain}`, `b-4-internal.${cluster.domain}`, `${ipPrefix}.4`],
      );
      assert.equal(cluster.brokers.length, 4);
      assert.equal(cluster.brokers[3], b4);
      assert.ok(cluster.bootstrap.tls.split(',').includes(defaultTls(4)));
      assert.ok(cluster.bootstrap.saslScram.split(',').includes(`b-4.${cluster.domain}:9096`));
      assert.equal(cluster.addresses[b4.internalHost], b4.ip);
      assert.deepEqual(cluster.advertisedOverrides(4), {});
      const all = { 1: defaultTls(1), 2: defaultTls(2), 3: defaultTls(3), 4: defaultTls(4) };
      for (const via of [1, 2, 3, 4]) assert.deepEqual(await metadataVia(via), all, `metadata via ${via}`);
      // The cluster-wide SCRAM user works on the new broker.
      assert.equal(
        Object.keys(
          await metadataVia(4, MSK_PORTS.saslScram, {
            sasl: {
              mechanism: 'scram-sha-512',
              username: cluster.scram.username,
              password: cluster.scram.password,
            },
          }),
        ).length,
        4,
      );

      // Led by broker 4, replicated by 1 and 2: they reach it by its internal name.
      const kafka = client();
      const topic = `added-${Date.now()}`;
      const admin = kafka.admin();
      clients.push(admin);
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [4, 1, 2] }] }],
      });
      const producer = kafka.producer();
      clients.push(producer);
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ value: 'through broker 4' }] });
      const consumer = kafka.consumer({
        groupId: `${topic}-group`,
        sessionTimeout: 10_000,
        heartbeatInterval: 1000,
        maxWaitTimeInMs: 500,
      });
      clients.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('nothing received within 45 s')), 45_000);
        void consumer
          .run({
            eachMessage: async ({ message }) => {
              clearTimeout(timer);
              resolve(message.value?.toString() ?? '');
            },
          })
          .catch(reject);
      });
      assert.equal(received, 'through broker 4');
      const deadline = Date.now() + 15_000;
      let partition;
      for (;;) {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        partition = meta.topics[0]?.partitions[0];
        if ((partition?.isr.length ?? 0) === 3 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(partition?.leader, 4);
      assert.deepEqual([...(partition?.isr ?? [])].sort(), [1, 2, 4]);
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    });

    it('stop() ends every JVM it started, restarted and added ones included, and frees the ports', async function () {
      this.timeout(60_000);
      await Promise.all(clients.splice(0).map((c) => c.disconnect().catch(() => undefined)));
      const t0 = Date.now();
      await cluster.stop();
      console.log(`      stop: ${seconds(Date.now() - t0)}`);
      assert.ok(pidsSeen.size >= 8, `pids seen: ${[...pidsSeen].join(', ')}`);
      assert.deepEqual([...pidsSeen].filter(alive), [], 'JVMs still running');
      const endpoints: [string, number][] = [
        [cluster.zookeeper.host, cluster.zookeeper.port],
        ...cluster.brokers.flatMap((b) => Object.values(MSK_PORTS).map((p): [string, number] => [b.ip, p])),
      ];
      const listening = execFileSync('ss', ['-Hltn'], { encoding: 'utf8' })
        .split('\n')
        .map((line) => (line.trim().split(/\s+/)[3] ?? '').replace(/^\[(?:::ffff:)?([^\]]+)\]/, '$1'))
        .filter((local) => endpoints.some(([h, p]) => local === `${h}:${p}`));
      assert.deepEqual(listening, [], 'sockets still listening');
      await assert.rejects(cluster.restartBroker(1), /stopped/);
    });
  });
}

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
