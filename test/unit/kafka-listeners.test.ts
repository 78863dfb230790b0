import assert from 'node:assert/strict';
import type { Admin } from 'kafkajs';
import { brokerListenerConfig } from '../../src/kinds/broker-listener-config.js';
import type { HandlerCtx } from '../../src/kinds/kind.js';
import { MplError } from '../../src/errors.js';
import {
  changedSettings,
  changePresent,
  decodeOriginal,
  encodeOriginal,
  formatListeners,
  observedProps,
  parseListeners,
  parseProtocolMap,
  reconstructOriginal,
  type BrokerListenerProps,
  type ListenerSettings,
} from '../../src/kafka/listeners.js';

const H = 'b-1.payments.abc123.c2.kafka.us-east-2.amazonaws.com';
const I = 'b-1-internal.payments.abc123.c2.kafka.us-east-2.amazonaws.com';
// MSK-like settings: client listeners on the broker name, replication on the internal name.
const MSK: ListenerSettings = {
  'advertised.listeners': `CLIENT://${H}:9092,CLIENT_SECURE://${H}:9094,REPLICATION://${I}:9093,REPLICATION_SECURE://${I}:9095`,
  listeners:
    'CLIENT://10.0.1.11:9092,CLIENT_SECURE://10.0.1.11:9094,REPLICATION://10.0.1.11:9093,REPLICATION_SECURE://10.0.1.11:9095',
  'listener.security.protocol.map':
    'CLIENT:PLAINTEXT,CLIENT_SECURE:SSL,REPLICATION:PLAINTEXT,REPLICATION_SECURE:SSL',
};

const rewrite: BrokerListenerProps = {
  brokerId: 1,
  host: H,
  mode: 'rewrite',
  listeners: [{ name: 'CLIENT_SECURE', securityProtocol: 'SSL', port: 9094, advertisedPort: 14001 }],
};
const additive: BrokerListenerProps = {
  brokerId: 1,
  host: H,
  mode: 'additive',
  listeners: [{ name: 'PRIVATELINK_TLS', securityProtocol: 'SSL', port: 9194, advertisedPort: 14001 }],
};

const code = (c: string) => (e: unknown) => e instanceof MplError && e.code === c;

describe('kafka listeners: parse and format', function () {
  it('round-trips entries byte for byte, with empty and IPv6 hosts', function () {
    const value = 'CLIENT://:9092,CLIENT_SECURE://[::1]:9094,REPLICATION://b-1-internal.x:9093';
    const parsed = parseListeners(value);
    assert.deepEqual(
      parsed.map((e) => [e.name, e.host, e.port]),
      [
        ['CLIENT', '', 9092],
        ['CLIENT_SECURE', '[::1]', 9094],
        ['REPLICATION', 'b-1-internal.x', 9093],
      ],
    );
    assert.equal(formatListeners(parsed), value);
    assert.deepEqual(parseListeners(''), []);
    assert.deepEqual(parseListeners(null), []);
    assert.throws(() => parseListeners('CLIENT:9092'), code('BROKER_LISTENERS_UNPARSABLE'));
    assert.deepEqual(
      parseProtocolMap('CLIENT:PLAINTEXT, CLIENT_SECURE:SSL').map((m) => [m.name, m.protocol]),
      [
        ['CLIENT', 'PLAINTEXT'],
        ['CLIENT_SECURE', 'SSL'],
      ],
    );
  });
});

describe('kafka listeners: the pattern 2 change', function () {
  it('rewrite changes only the named listener port and keeps every other entry as written', function () {
    const out = changedSettings(MSK, rewrite);
    assert.deepEqual(Object.keys(out), ['advertised.listeners']);
    assert.equal(
      out['advertised.listeners'],
      `CLIENT://${H}:9092,CLIENT_SECURE://${H}:14001,REPLICATION://${I}:9093,REPLICATION_SECURE://${I}:9095`,
    );
    // Case-insensitive names, as Kafka compares them; the broker's spelling is kept.
    const lower = changedSettings(MSK, {
      ...rewrite,
      listeners: [{ name: 'client_secure', securityProtocol: 'SSL', port: 9094, advertisedPort: 14005 }],
    });
    assert.ok(lower['advertised.listeners']?.includes(`CLIENT_SECURE://${H}:14005`));
  });

  it('rewrite refuses a listener the broker does not advertise, or one bound on another port', function () {
    assert.throws(
      () =>
        changedSettings(MSK, {
          ...rewrite,
          listeners: [
            { name: 'CLIENT_IAM', securityProtocol: 'SASL_SSL', port: 9098, advertisedPort: 14001 },
          ],
        }),
      (e: unknown) => code('BROKER_LISTENER_NOT_FOUND')(e) && /CLIENT_SECURE/.test((e as Error).message),
    );
    assert.throws(
      () =>
        changedSettings(MSK, {
          ...rewrite,
          listeners: [{ name: 'CLIENT_SECURE', securityProtocol: 'SSL', port: 9096, advertisedPort: 14001 }],
        }),
      code('BROKER_LISTENER_PORT_MISMATCH'),
    );
  });

  it('additive adds the listener on the same-protocol listener host, its mapping and advertised entry', function () {
    const out = changedSettings(MSK, additive);
    assert.equal(out.listeners, `${MSK.listeners},PRIVATELINK_TLS://10.0.1.11:9194`);
    assert.equal(
      out['listener.security.protocol.map'],
      `${MSK['listener.security.protocol.map']},PRIVATELINK_TLS:SSL`,
    );
    assert.equal(out['advertised.listeners'], `${MSK['advertised.listeners']},PRIVATELINK_TLS://${H}:14001`);
    // Applying it to its own result changes nothing (no duplicate entries).
    assert.deepEqual(changedSettings(out as ListenerSettings, additive), out);
    assert.throws(
      () =>
        changedSettings(MSK, {
          ...additive,
          listeners: [
            { name: 'PRIVATELINK_TLS', securityProtocol: 'SSL', port: 9094, advertisedPort: 14001 },
          ],
        }),
      code('BROKER_LISTENER_PORT_IN_USE'),
    );
  });

  it('detects the change, reports it in the planner shape, and reconstructs the originals', function () {
    assert.equal(changePresent(MSK, rewrite), false);
    assert.equal(changePresent(MSK, additive), false);
    const rewritten = { ...MSK, ...changedSettings(MSK, rewrite) };
    assert.equal(changePresent(rewritten, rewrite), true);
    assert.deepEqual(observedProps(rewritten, rewrite), rewrite);
    const added = { ...MSK, ...changedSettings(MSK, additive) } as ListenerSettings;
    assert.equal(changePresent(added, additive), true);
    assert.deepEqual(observedProps(added, additive), additive);
    // A listener the broker does not have is left out, so the diff shows it.
    assert.deepEqual(observedProps(MSK, additive).listeners, []);

    // Originals: not set dynamically -> null; a prior dynamic value different from static -> kept.
    assert.deepEqual(
      reconstructOriginal({ 'advertised.listeners': rewritten['advertised.listeners'] }, MSK, rewrite),
      { 'advertised.listeners': null },
    );
    assert.deepEqual(
      reconstructOriginal(
        {
          'advertised.listeners': added['advertised.listeners'],
          listeners: added.listeners,
          'listener.security.protocol.map': added['listener.security.protocol.map'],
        },
        MSK,
        additive,
      ),
      { 'advertised.listeners': null, listeners: null, 'listener.security.protocol.map': null },
    );
    const other = `CLIENT://${H}:9092,CLIENT_SECURE://${H}:9094,REPLICATION://${I}:9093,REPLICATION_SECURE://${I}:9095,EXTRA://${H}:9999`;
    const changedOther = changedSettings({ ...MSK, 'advertised.listeners': other }, rewrite);
    assert.deepEqual(reconstructOriginal(changedOther, MSK, rewrite), { 'advertised.listeners': other });
  });

  it('encodes the originals stably and rejects anything else', function () {
    const text = encodeOriginal({ listeners: null, 'advertised.listeners': 'A://h:1' });
    assert.equal(text, '{"advertised.listeners":"A://h:1","listeners":null}');
    assert.deepEqual(decodeOriginal(text), { 'advertised.listeners': 'A://h:1', listeners: null });
    assert.equal(decodeOriginal('{"other":"x"}'), undefined);
    assert.equal(decodeOriginal('{"listeners":3}'), undefined);
    assert.equal(decodeOriginal('nope'), undefined);
    assert.equal(decodeOriginal(undefined), undefined);
  });
});

describe('broker-listener-config preflight on a KRaft cluster (stub admin)', function () {
  it('refuses with PATTERN2_REFUSED_BY_KAFKA before anything is changed', async function () {
    const calls: string[] = [];
    const entry = (configName: string, configValue: string) => ({
      configName,
      configValue,
      configSource: 4,
      isSensitive: false,
      readOnly: false,
      isDefault: false,
      configSynonyms: [],
    });
    const stub = {
      describeCluster: async () => {
        calls.push('describeCluster');
        return { brokers: [{ nodeId: 1, host: H, port: 9094 }], controller: 1, clusterId: 'x' };
      },
      describeConfigs: async () => {
        calls.push('describeConfigs');
        return {
          resources: [
            {
              resourceName: '1',
              resourceType: 4,
              errorCode: 0,
              errorMessage: null,
              configEntries: [
                entry('process.roles', 'broker'),
                entry('advertised.listeners', MSK['advertised.listeners']),
              ],
            },
          ],
          throttleTime: 0,
        };
      },
      alterConfigs: async () => {
        calls.push('alterConfigs');
        return { resources: [] };
      },
    } as unknown as Admin;
    await assert.rejects(
      (brokerListenerConfig.preflight as NonNullable<typeof brokerListenerConfig.preflight>)(
        // Only Kafka is reached in a preflight: the rest of the context is never touched.
        { kafka: async () => async () => stub } as unknown as HandlerCtx,
        [{ action: 'create', props: rewrite }],
      ),
      (e: unknown) =>
        code('PATTERN2_REFUSED_BY_KAFKA')(e) && /Raft-based metadata quorum/.test((e as Error).message),
    );
    assert.deepEqual(calls, ['describeCluster', 'describeConfigs']);
  });
});
