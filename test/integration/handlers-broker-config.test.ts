// The broker-listener-config handler against the testbed's real Kafka 3.9 cluster (ZooKeeper
// mode, MSK's listener names): rewrite and additive changes, read-back in the planner's shape,
// restore of the originals, the sensitive-setting refusal and the preflight. One cluster per file.
import assert from 'node:assert/strict';
import net from 'node:net';
import kafkajs from 'kafkajs';
import type { Admin, ISocketFactory } from 'kafkajs';
import { MplError } from '../../src/errors.js';
import type { AdminSource, KafkaAccess } from '../../src/kafka/admin.js';
import { brokerListenerConfig } from '../../src/kinds/broker-listener-config.js';
import type { ResourceOf } from '../../src/kinds/index.js';
import { compareProps, type Handler, type Live, type PreflightItem } from '../../src/kinds/kind.js';
import { planStack } from '../../src/planner/plan-stack.js';
import type { Instance } from '../../src/state/instance.js';
import { TestCtx } from '../support/handler-ctx.js';
import { brokersFor, configOf, inventoryOf, planInputOf } from '../support/fixtures.js';
import { MSK_PORTS, startKafka, type KafkaTestCluster } from '../testbed/kafka/cluster.js';
import { mapLookup, resolvingSocketFactory } from '../testbed/kafka/socket-factory.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
const KIND = 'broker-listener-config';
type R = ResourceOf<typeof KIND>;
type P = R['props'];
const DYNAMIC = 2;

describe('handler: broker-listener-config (real Kafka, ZooKeeper mode)', function () {
  this.timeout(60_000);
  let cluster: KafkaTestCluster;
  let access: KafkaAccess;
  const handler: Handler<P> = brokerListenerConfig.handler;
  let tctx: TestCtx;
  let admin: Admin; // the test's own admin, over CLIENT (plaintext), which no test changes
  const ctx = () => tctx.ctx('111111111111', 'us-east-2', { intervalMs: 100, timeoutMs: 15_000 });

  /** The planner's broker-listener-config resources for the testbed's brokers. */
  function planned(mode: 'rewrite' | 'additive', ports: Record<string, number> = {}): Map<number, R> {
    const config = configOf({ pattern: 2, pattern2: { mode, portBase: 14001, providerZone: true } });
    const inv = inventoryOf(brokersFor([1, 2, 3]));
    const { resources } = planStack(planInputOf(config, inv, ports));
    const out = new Map<number, R>();
    for (const r of resources) if (r.kind === KIND) out.set(r.props.brokerId, r);
    return out;
  }

  async function describe(id: number, names?: string[]) {
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.BROKER, name: String(id), ...(names ? { configNames: names } : {}) },
      ],
    });
    return res.resources[0]?.configEntries ?? [];
  }
  const valueOf = async (id: number, name: string) => (await describe(id, [name]))[0];
  const dynamicOf = async (id: number) =>
    (await describe(id)).filter((e) => e.configSource === DYNAMIC).map((e) => [e.configName, e.configValue]);

  async function setDynamic(id: number, entries: { name: string; value: string }[]): Promise<void> {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(id), configEntries: entries }],
    });
    // The broker applies it through a ZooKeeper notification, shortly after the answer.
    const want = JSON.stringify(entries.map((e) => e.name).sort());
    for (let i = 0; i < 50; i++) {
      const names = (await describe(id)).filter((e) => e.configSource === DYNAMIC).map((e) => e.configName);
      if (JSON.stringify(names.sort()) === want) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`broker ${id} did not apply ${want}`);
  }

  /**
   * Metadata from a fresh, independent client: it dials every broker at its real port `dial`
   * (standing in for the NLB), and returns broker id -> advertised host:port.
   */
  async function metadataVia(
    dial: number,
    brokers = cluster.brokers,
    tls = true,
  ): Promise<Map<number, string>> {
    const base = resolvingSocketFactory(mapLookup(cluster.addresses));
    const socketFactory: ISocketFactory = (args) => base({ ...args, port: dial });
    const client = new Kafka({
      clientId: 'broker-config-test',
      brokers: brokers.map((b) => `${b.host}:${dial}`),
      ...(tls ? { ssl: { ca: [cluster.caPem], rejectUnauthorized: true } } : {}),
      socketFactory,
      connectionTimeout: 3000,
      retry: { retries: 2, initialRetryTime: 200 },
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await client.connect();
      const { brokers: seen } = await client.describeCluster();
      return new Map(seen.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
    } finally {
      await client.disconnect();
    }
  }

  function known(r: R, o: Live<P>): Instance<P> {
    return tctx.remember(r, o);
  }

  /** The kind's preflight, as the engine runs it before any change: Kafka comes from the ctx. */
  function preflight(items: Array<PreflightItem<P>>, c = ctx()): Promise<void> {
    assert.ok(brokerListenerConfig.preflight, 'broker-listener-config has a preflight');
    return brokerListenerConfig.preflight(c, items);
  }
  const creates = (ps: Iterable<P>): Array<PreflightItem<P>> =>
    [...ps].map((props) => ({ action: 'create', props }));

  before(async function () {
    this.timeout(180_000);
    cluster = await startKafka({ ipPrefix: '127.0.4' });
    access = {
      brokers: cluster.brokers.map((b) => ({ id: b.id, host: b.host, ip: b.ip })),
      listener: { port: MSK_PORTS.tls, ssl: { ca: [cluster.caPem], rejectUnauthorized: true } },
    };
    // The handler never calls AWS; the ctx's clients point nowhere. Kafka comes from ctx.kafka().
    tctx = new TestCtx({ endpoint: 'http://127.0.0.1:1', region: 'us-east-2' });
    tctx.kafkaSource = access;
    admin = new Kafka({
      clientId: 'broker-config-test-admin',
      brokers: cluster.bootstrap.plaintext.split(','),
      socketFactory: resolvingSocketFactory(mapLookup(cluster.addresses)),
      retry: { retries: 3, initialRetryTime: 200 },
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
  });

  after(async function () {
    this.timeout(30_000);
    await admin?.disconnect().catch(() => undefined);
    tctx?.destroy();
    await cluster?.stop();
  });

  it('preflight passes on the ZooKeeper-mode cluster for the planned change, and names missing brokers', async function () {
    const rewrite = [...planned('rewrite').values()].map((r) => r.props);
    const additive = [...planned('additive').values()].map((r) => r.props);
    assert.deepEqual(
      rewrite.map((p) => p.brokerId),
      [1, 2, 3],
    );
    await preflight(creates(rewrite));
    await preflight(creates(additive));
    // Updates and replaces are checked like creates.
    await preflight(additive.map((props, i) => ({ action: i % 2 === 0 ? 'update' : 'replace', props })));
    const b1 = rewrite[0] as P;
    await assert.rejects(
      preflight(creates([b1, { ...b1, brokerId: 7 }])),
      (e: unknown) => e instanceof MplError && e.code === 'BROKER_NOT_FOUND' && /7/.test(e.message),
    );
    // Deletes restore what state recorded (a broker that left has nothing to restore): nothing to
    // check, and with nothing to check Kafka is not even reached.
    const noKafka = new TestCtx({ endpoint: 'http://127.0.0.1:1', region: 'us-east-2' });
    try {
      const c = noKafka.ctx('111111111111', 'us-east-2');
      await preflight([{ action: 'delete', props: { ...b1, brokerId: 7 } }], c);
      await preflight([], c);
      await assert.rejects(preflight(creates([b1]), c), /no kafka source/);
    } finally {
      noKafka.destroy();
    }
    // Nothing changed on any broker.
    for (const b of cluster.brokers) assert.deepEqual(await dynamicOf(b.id), []);
  });

  it('rewrite: moves only CLIENT_SECURE to its port, reads back as planned, adopts, updates keeping the first originals, restores exactly', async function () {
    const r = planned('rewrite').get(2) as R;
    const b2 = cluster.brokers[1];
    assert.ok(b2);
    const port = r.props.listeners[0]?.advertisedPort as number;
    assert.equal(r.props.listeners[0]?.name, 'CLIENT_SECURE');
    assert.ok(port >= 14001);
    const originalAdvertised = (await valueOf(2, 'advertised.listeners'))?.configValue;
    assert.ok(originalAdvertised);
    // An unrelated dynamic setting the broker already has must survive the change and the restore.
    await setDynamic(2, [{ name: 'log.cleaner.threads', value: '1' }]);

    assert.equal(await handler.read(ctx(), r, undefined), undefined, 'nothing to read before the change');
    const made = await handler.create(ctx(), r);
    assert.equal(made.physicalId, 'broker-2');
    assert.deepEqual(JSON.parse(made.outputs.original as string), { 'advertised.listeners': null });
    assert.equal(compareProps(brokerListenerConfig, r.props, made.props).action, 'noop');

    // Clients see the new port in metadata (from any broker), the others keep theirs.
    const meta = await metadataVia(MSK_PORTS.tls);
    assert.equal(meta.get(2), `${b2.host}:${port}`);
    assert.equal(meta.get(1), `${cluster.brokers[0]?.host}:${MSK_PORTS.tls}`);
    const now = await valueOf(2, 'advertised.listeners');
    assert.equal(now?.configSource, DYNAMIC);
    assert.equal(
      now?.configValue,
      originalAdvertised.replace(`CLIENT_SECURE://${b2.host}:9094`, `CLIENT_SECURE://${b2.host}:${port}`),
    );
    assert.ok(now?.configValue.includes(`REPLICATION://${b2.internalHost}:9093`));
    assert.ok(now?.configValue.includes(`REPLICATION_SECURE://${b2.internalHost}:9095`));
    assert.ok(now?.configValue.includes(`CLIENT://${b2.host}:9092`));
    assert.deepEqual(
      (await dynamicOf(2)).find(([n]) => n === 'log.cleaner.threads'),
      ['log.cleaner.threads', '1'],
    );

    const k = known(r, made);
    const read = await handler.read(ctx(), r, k);
    assert.ok(read);
    assert.equal(compareProps(brokerListenerConfig, r.props, read.props).action, 'noop');
    assert.equal(read.outputs.original, made.outputs.original);
    // A run killed before the state write: found without state, same id, same originals.
    const adopted = await handler.read(ctx(), r, undefined);
    assert.equal(adopted?.physicalId, 'broker-2');
    assert.equal(adopted?.outputs.original, made.outputs.original);
    // Create again (resume) neither stacks the change nor records it as the original.
    const again = await handler.create(ctx(), r);
    assert.equal(again.outputs.original, made.outputs.original);

    // Update to another port: the first originals stay.
    const moved: R = {
      ...r,
      props: {
        ...r.props,
        listeners: [
          { ...(r.props.listeners[0] as R['props']['listeners'][number]), advertisedPort: port + 40 },
        ],
      },
    };
    const read2 = await handler.read(ctx(), moved, k);
    assert.equal(compareProps(brokerListenerConfig, moved.props, read2?.props ?? r.props).action, 'update');
    const updated = await handler.update?.(ctx(), moved, made);
    assert.ok(updated);
    assert.equal(updated.outputs.original, made.outputs.original);
    assert.equal((await metadataVia(MSK_PORTS.tls)).get(2), `${b2.host}:${port + 40}`);

    await handler.delete(ctx(), known(moved, updated));
    const restored = await valueOf(2, 'advertised.listeners');
    assert.equal(restored?.configValue, originalAdvertised);
    assert.notEqual(restored?.configSource, DYNAMIC, 'the dynamic override is removed, not copied');
    assert.deepEqual(await dynamicOf(2), [['log.cleaner.threads', '1']]);
    assert.equal((await metadataVia(MSK_PORTS.tls)).get(2), `${b2.host}:${MSK_PORTS.tls}`);
    assert.equal(await handler.read(ctx(), r, k), undefined);
    await handler.delete(ctx(), k); // already restored: no error, no change
    assert.deepEqual(await dynamicOf(2), [['log.cleaner.threads', '1']]);
    await setDynamic(2, []);
  });

  it('additive: a new TLS listener serves the broker certificate and advertises the NLB port; restore removes it', async function () {
    const r = planned('additive').get(3) as R;
    const b3 = cluster.brokers[2];
    assert.ok(b3);
    const l = r.props.listeners[0];
    assert.ok(l);
    assert.deepEqual([l.name, l.securityProtocol, l.port], ['PRIVATELINK_TLS', 'SSL', 9194]);
    const before = Object.fromEntries(
      (await describe(3, ['listeners', 'advertised.listeners', 'listener.security.protocol.map'])).map(
        (e) => [e.configName, e.configValue],
      ),
    );

    const made = await handler.create(ctx(), r);
    assert.equal(compareProps(brokerListenerConfig, r.props, made.props).action, 'noop');
    assert.deepEqual(JSON.parse(made.outputs.original as string), {
      'advertised.listeners': null,
      listeners: null,
      'listener.security.protocol.map': null,
    });
    // Through the new port (as the NLB's target), with TLS and hostname verification: metadata
    // names the broker at the NLB's port; the old listener still advertises 9094.
    const via = await metadataVia(l.port, [b3]);
    assert.equal(via.get(3), `${b3.host}:${l.advertisedPort}`);
    assert.equal((await metadataVia(MSK_PORTS.tls)).get(3), `${b3.host}:${MSK_PORTS.tls}`);
    const listeners = (await valueOf(3, 'listeners'))?.configValue ?? '';
    assert.equal(listeners, `${before.listeners},PRIVATELINK_TLS://${b3.ip}:9194`);

    const k = known(r, made);
    const read = await handler.read(ctx(), r, k);
    assert.equal(compareProps(brokerListenerConfig, r.props, read?.props ?? r.props).action, 'noop');
    assert.ok(read);

    await handler.delete(ctx(), k);
    const after = Object.fromEntries(
      (await describe(3, ['listeners', 'advertised.listeners', 'listener.security.protocol.map'])).map(
        (e) => [e.configName, e.configValue],
      ),
    );
    assert.deepEqual(after, before);
    assert.deepEqual(await dynamicOf(3), []);
    assert.equal(await handler.read(ctx(), r, k), undefined);
    // The listener is gone (Kafka closes it shortly after the config change).
    let open = true;
    for (let i = 0; i < 30 && open; i++) {
      open = await accepts(b3.ip, 9194);
      if (open) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(open, false, 'port 9194 still accepts connections');
  });

  it('refuses, changing nothing, when a dynamic setting cannot be read back (it would be erased)', async function () {
    const r = planned('rewrite').get(1) as R;
    // Kafka treats names it does not know as sensitive: DescribeConfigs returns no value.
    await setDynamic(1, [{ name: 'custom.secret', value: 'keep-me' }]);
    const hidden = (await describe(1)).find((e) => e.configName === 'custom.secret');
    assert.equal(hidden?.isSensitive, true);
    assert.equal(hidden?.configValue, null);
    const isSensitiveRefusal = (e: unknown) =>
      e instanceof MplError && e.code === 'BROKER_CONFIG_SENSITIVE' && e.message.includes('custom.secret');
    try {
      await assert.rejects(handler.create(ctx(), r), isSensitiveRefusal);
      await assert.rejects(preflight(creates([r.props])), isSensitiveRefusal);
      assert.deepEqual(await dynamicOf(1), [['custom.secret', null]]);
      assert.equal((await metadataVia(MSK_PORTS.tls)).get(1), `${cluster.brokers[0]?.host}:${MSK_PORTS.tls}`);
    } finally {
      await setDynamic(1, []);
    }
  });

  it('update from rewrite to additive keeps the first originals, and delete restores all three settings', async function () {
    const rw = planned('rewrite').get(1) as R;
    const add = planned('additive').get(1) as R;
    const keys = ['listeners', 'advertised.listeners', 'listener.security.protocol.map'];
    const snapshot = async () =>
      Object.fromEntries((await describe(1, keys)).map((e) => [e.configName, e.configValue]));
    const before = await snapshot();
    const made = await handler.create(ctx(), rw);
    const updated = await handler.update?.(ctx(), add, made);
    assert.ok(updated);
    assert.equal(compareProps(brokerListenerConfig, add.props, updated.props).action, 'noop');
    assert.deepEqual(JSON.parse(updated.outputs.original as string), {
      'advertised.listeners': null,
      listeners: null,
      'listener.security.protocol.map': null,
    });
    // The rewrite is undone by the mode change: CLIENT_SECURE is back on 9094 in metadata.
    assert.equal((await metadataVia(MSK_PORTS.tls)).get(1), `${cluster.brokers[0]?.host}:${MSK_PORTS.tls}`);
    await handler.delete(ctx(), known(add, updated));
    assert.deepEqual(await snapshot(), before);
    assert.deepEqual(await dynamicOf(1), []);
  });

  it('works with a lent admin instead of connection details', async function () {
    let lends = 0;
    const lent: AdminSource = async () => {
      lends++;
      return admin;
    };
    tctx.kafkaSource = lent;
    try {
      const r = planned('rewrite').get(1) as R;
      const made = await handler.create(ctx(), r);
      assert.equal(compareProps(brokerListenerConfig, r.props, made.props).action, 'noop');
      const k = known(r, made);
      assert.ok(await handler.read(ctx(), r, k));
      await handler.delete(ctx(), k);
      assert.equal(await handler.read(ctx(), r, k), undefined);
      assert.deepEqual(await dynamicOf(1), []);
      assert.equal(lends, 4, 'each call borrows the admin from ctx.kafka()');

      // A broker no longer in the cluster: nothing to read or restore.
      const gone: R = { ...r, id: 'b-9/broker-listener-config', props: { ...r.props, brokerId: 9 } };
      const goneKnown: Instance<P> = { ...k, id: gone.id, physicalId: 'broker-9', props: gone.props };
      assert.equal(await handler.read(ctx(), gone, goneKnown), undefined);
      await handler.delete(ctx(), goneKnown);
    } finally {
      tctx.kafkaSource = access;
    }
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
