// The probe's pure parts: diagnosis mapping, result shaping, targets from state, flag parsing.
import assert from 'node:assert/strict';
import {
  advertisedMismatch,
  authFailure,
  dnsFailure,
  dnsMismatch,
  endpointStateHint,
  endpointUnresolved,
  tcpFailure,
  tlsFailure,
  withEndpointState,
} from '../../src/probe/diagnose.js';
import { parseDnsServer } from '../../src/probe/net.js';
import { saslFor } from '../../src/probe/sasl.js';
import { emptyResult, finishReport, renderTable, toJson } from '../../src/probe/shape.js';
import { listenerForPort, parseBootstrap, targetsFromState } from '../../src/probe/targets.js';
import type { BrokerResult, EndpointRef, ProbeReport } from '../../src/probe/types.js';
import type { State } from '../../src/state/schema.js';
import { brokersFor, configOf, consumerInput, inventoryOf } from '../support/fixtures.js';

const EP: EndpointRef = {
  logicalId: 'c1/vpc-endpoint/b-1',
  endpointId: 'vpce-0123',
  dnsName: 'vpce-0123-abcd.vpce-svc-1.us-east-2.vpce.amazonaws.com',
  account: '222222222222',
  region: 'us-east-2',
  vpcId: 'vpc-c1',
};
const HOST = 'b-1.payments.abc123.c2.kafka.us-east-2.amazonaws.com';

describe('probe: diagnosis', () => {
  it('a name that does not resolve: zone association or record, refined by the Route 53 lookup', () => {
    const base = { host: HOST, code: 'ENOTFOUND', resolver: '10.20.0.2:53', consumer: 'c1' };
    const plain = dnsFailure(base);
    assert.equal(plain.step, 'dns');
    assert.match(plain.error, /does not resolve \(ENOTFOUND from 10\.20\.0\.2:53\)/);
    assert.match(plain.hint, /zone is not associated with this VPC, or the broker's record is missing/);
    assert.match(
      dnsFailure({ ...base, record: 'missing', zoneId: 'Z1' }).hint,
      /record is missing from the stack's private hosted zone Z1/,
    );
    assert.match(
      dnsFailure({ ...base, record: 'present', zoneId: 'Z1' }).hint,
      /not associated with consumer c1's VPC/,
    );
    assert.match(dnsFailure({ ...base, code: 'ENODATA' }).error, /has no A record/);
    assert.match(dnsFailure({ ...base, code: 'ETIMEOUT' }).hint, /DNS server did not answer/);
    assert.match(dnsFailure({ ...base, code: 'ECONNREFUSED' }).error, /no answer from 10\.20\.0\.2:53/);
  });

  it("resolves elsewhere: shadowing zone or stale record, or another broker's endpoint", () => {
    const d = dnsMismatch({ host: HOST, answer: ['127.0.0.99'], expected: ['10.20.1.5'], ep: EP });
    assert.equal(d.step, 'dns');
    assert.match(
      d.error,
      /resolves to 127\.0\.0\.99, not to this stack's endpoint vpce-0123 \(10\.20\.1\.5\)/,
    );
    assert.match(d.hint, /not this stack's endpoint: another private hosted zone .* shadows this name/);
    const other = dnsMismatch({
      host: HOST,
      answer: ['10.20.1.6'],
      expected: ['10.20.1.5'],
      ep: EP,
      otherOwner: "broker 2's endpoint vpce-0456",
    });
    assert.match(other.hint, /points at broker 2's endpoint vpce-0456/);
  });

  it("the endpoint's state explains a DNS or TCP failure unless it is available", () => {
    assert.equal(endpointStateHint('available', EP), undefined);
    assert.equal(endpointStateHint(undefined, EP), undefined);
    assert.match(endpointStateHint('pendingAcceptance', EP) ?? '', /vpce-0123 .* still pending acceptance/);
    assert.match(endpointStateHint('pending', EP) ?? '', /still being created/);
    assert.match(endpointStateHint('rejected', EP) ?? '', /rejected/);
    assert.match(endpointStateHint('not-found', EP) ?? '', /no longer exists/);
    assert.match(endpointStateHint('Deleted', EP) ?? '', /no longer exists/);
    assert.match(endpointStateHint('failed', EP) ?? '', /failed to create/);
    assert.match(endpointStateHint('odd', EP) ?? '', /is odd, not available/);
    const d = tcpFailure({ host: HOST, address: '10.20.1.5', port: 9094, code: 'ETIMEOUT', timeoutMs: 3000 });
    assert.equal(withEndpointState(d, 'available', EP), d);
    assert.equal(withEndpointState(d, 'pendingAcceptance', undefined), d);
    const pending = withEndpointState(d, 'pendingAcceptance', EP);
    assert.equal(pending.error, d.error);
    assert.match(pending.hint, /pending acceptance/);
    assert.match(
      endpointUnresolved({ host: HOST, ep: EP, code: 'ENOTFOUND', resolver: 'x' }).hint,
      /vpce-0123 has no addresses/,
    );
  });

  it('tcp: timed out, refused, reset, other', () => {
    const f = { host: HOST, address: '10.20.1.5', port: 9001, timeoutMs: 2000 };
    const t = tcpFailure({ ...f, code: 'ETIMEOUT' });
    assert.equal(t.step, 'tcp');
    assert.match(t.error, /timed out after 2000 ms/);
    assert.match(t.hint, /security group .* drops it/);
    assert.match(tcpFailure({ ...f, code: 'ECONNREFUSED' }).hint, /no listener on port 9001 .* NLB listener/);
    assert.match(tcpFailure({ ...f, code: 'ECONNRESET' }).hint, /accepts and drops connections on port 9001/);
    assert.match(tcpFailure({ ...f, code: 'EHOSTUNREACH' }).error, /cannot connect to 10\.20\.1\.5:9001/);
  });

  it('tls: name mismatch, untrusted chain, timeout, not TLS, client certificate', () => {
    const f = { host: 'vpce-0123.vpce.amazonaws.com', port: 9094, timeoutMs: 3000 };
    const m = tlsFailure({
      ...f,
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      message: "Hostname/IP does not match certificate's altnames",
    });
    assert.equal(m.step, 'tls');
    assert.match(m.hint, /TLS name mismatch: .* not an NLB or endpoint DNS name/);
    assert.match(tlsFailure({ ...f, code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'x' }).hint, /--ca/);
    assert.match(
      tlsFailure({ ...f, code: 'ETIMEOUT', message: 'x' }).hint,
      /nothing answers behind port 9094/,
    );
    assert.match(
      tlsFailure({ ...f, code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' }).hint,
      /does not speak TLS/,
    );
    assert.match(
      tlsFailure({ ...f, code: 'ERR_SSL', message: 'tlsv13 alert certificate required' }).hint,
      /--cert and --key/,
    );
    assert.match(tlsFailure({ ...f, code: 'CERT_HAS_EXPIRED', message: 'x' }).hint, /validity/);
  });

  it('auth: SCRAM and IAM hints', () => {
    assert.match(authFailure({ host: HOST, mechanism: 'scram-sha-512', message: 'bad' }).hint, /AmazonMSK_/);
    assert.match(
      authFailure({ host: HOST, mechanism: 'oauthbearer', message: 'bad' }).hint,
      /kafka-cluster:Connect/,
    );
  });

  it('kafka: advertised port or host differs from the plan, broker missing, match', () => {
    const expected = { host: HOST, port: 9002 };
    assert.equal(
      advertisedMismatch({ host: HOST, id: 2, expected, actual: { ...expected }, listed: [1, 2, 3] }),
      undefined,
    );
    const port = advertisedMismatch({
      host: HOST,
      id: 2,
      expected,
      actual: { host: HOST.toUpperCase(), port: 9094 },
      listed: [1, 2, 3],
    });
    assert.equal(port?.step, 'kafka');
    assert.match(port?.error ?? '', /advertises .*:9094, the plan says .*:9002/);
    assert.match(
      port?.hint ?? '',
      /advertised port differs from the plan: the pattern 2 listener change is not applied or was reverted on broker 2/,
    );
    assert.match(
      advertisedMismatch({
        host: HOST,
        id: 2,
        expected,
        actual: { host: '10.0.1.5', port: 9002 },
        listed: [2],
      })?.hint ?? '',
      /advertised host differs/,
    );
    assert.match(
      advertisedMismatch({ host: HOST, id: 4, expected, actual: undefined, listed: [1, 2, 3] })?.error ?? '',
      /broker 4 is not in the cluster's metadata \(brokers 1, 2, 3\)/,
    );
  });
});

describe('probe: results and output', () => {
  const ok = (id: number): BrokerResult => {
    const r = emptyResult({ id, host: `b-${id}.x`, port: 9094 });
    for (const s of ['dns', 'tcp', 'tls', 'kafka'] as const) {
      r.steps[s] = 'ok';
      r.ms[s] = 1;
    }
    r.addresses = ['10.20.1.5'];
    return r;
  };

  it('starts every step skipped with no timing', () => {
    const r = emptyResult({ id: 1, host: 'h', port: 1 });
    assert.deepEqual(r.steps, {
      dns: 'skipped',
      tcp: 'skipped',
      tls: 'skipped',
      auth: 'skipped',
      kafka: 'skipped',
    });
    assert.deepEqual(Object.values(r.ms), [null, null, null, null, null]);
    assert.equal(r.error, null);
  });

  it('is ok only when every broker passes and the canary came back; brokers sorted by id', () => {
    const base = { mode: 'config' as const, listener: 'tls' as const, consumer: 'c1', canary: null, ms: 5 };
    const good = finishReport({ ...base, brokers: [ok(3), ok(1), ok(2)] });
    assert.equal(good.ok, true);
    assert.deepEqual(
      good.brokers.map((b) => b.id),
      [1, 2, 3],
    );
    const bad = ok(2);
    bad.steps.kafka = 'failed';
    bad.failedStep = 'kafka';
    assert.equal(finishReport({ ...base, brokers: [ok(1), bad] }).ok, false);
    assert.equal(finishReport({ ...base, brokers: [] }).ok, false);
    const canary = { topic: 't', produced: 1, consumed: 0, deleted: true, ms: 1, error: null, phases: {} };
    assert.equal(finishReport({ ...base, brokers: [ok(1)], canary }).ok, false);
    assert.equal(finishReport({ ...base, brokers: [ok(1)], canary: { ...canary, consumed: 1 } }).ok, true);
  });

  it("JSON carries the contract's fields", () => {
    const r = finishReport({
      mode: 'config',
      listener: 'tls',
      consumer: 'c1',
      canary: null,
      brokers: [ok(1)],
      ms: 3,
    });
    const j = JSON.parse(toJson(r)) as ProbeReport & { brokers: Array<Record<string, unknown>> };
    assert.equal(j.ok, true);
    const b = j.brokers[0] as Record<string, unknown>;
    for (const k of ['id', 'host', 'port', 'addresses', 'steps', 'ms', 'error', 'hint']) assert.ok(k in b, k);
    assert.deepEqual(b.steps, { dns: 'ok', tcp: 'ok', tls: 'ok', auth: 'skipped', kafka: 'ok' });
    assert.ok('canary' in j);
  });

  it('the table shows each step and the failing broker with its hint', () => {
    const bad = ok(2);
    bad.steps.tcp = 'failed';
    bad.steps.tls = 'skipped';
    bad.steps.kafka = 'skipped';
    bad.failedStep = 'tcp';
    bad.error = 'connection refused';
    bad.hint = 'no listener';
    const text = renderTable(
      finishReport({
        mode: 'config',
        listener: 'tls',
        consumer: 'c1',
        canary: null,
        brokers: [ok(1), bad],
        ms: 9,
      }),
      false,
    );
    assert.match(text, /broker 2 failed at tcp: connection refused\n {4}hint: no listener/);
    assert.match(text, /1 of 2 broker\(s\) failed from consumer c1/);
    assert.match(text, /FAILED/);
  });
});

describe('probe: targets', () => {
  const inventory = inventoryOf(brokersFor([2, 1]));
  const endpoint = (id: string, n: number) => ({
    kind: 'vpc-endpoint' as const,
    account: '222222222222',
    region: 'us-east-2',
    physicalId: `vpce-${n}`,
    props: { vpcId: 'vpc-analytics' },
    dependsOn: [],
    outputs: { endpointId: `vpce-${n}`, dnsName: `VPCE-${n}.example.com`, hostedZoneId: 'ZV' },
    status: 'ready' as const,
  });
  const zone = {
    kind: 'hosted-zone' as const,
    account: '222222222222',
    region: 'us-east-2',
    physicalId: 'Z1',
    props: {},
    dependsOn: [],
    outputs: { zoneId: 'Z1' },
    status: 'ready' as const,
  };

  it('pattern 1: one endpoint per broker, the client port', () => {
    const config = configOf();
    const state: Pick<State, 'resources' | 'portAssignments'> = {
      resources: {
        'analytics/vpc-endpoint/b-1': endpoint('b-1', 1),
        'analytics/vpc-endpoint/b-2': endpoint('b-2', 2),
        'analytics/hosted-zone': zone,
      },
      portAssignments: {},
    };
    const t = targetsFromState(config, inventory, state, 'analytics', 'tls');
    assert.deepEqual(
      t.map((x) => [x.id, x.port, x.endpoint?.endpointId, x.endpoint?.dnsName]),
      [
        [1, 9094, 'vpce-1', 'vpce-1.example.com'],
        [2, 9094, 'vpce-2', 'vpce-2.example.com'],
      ],
    );
    assert.deepEqual(t[0]?.advertised, { host: inventory.brokers[1]?.host, port: 9094 });
    assert.deepEqual(t[0]?.zone, { zoneId: 'Z1', account: '222222222222' });
    assert.throws(
      () => targetsFromState(config, inventory, { resources: {}, portAssignments: {} }, 'analytics', 'tls'),
      /run `apply` first/,
    );
  });

  it("pattern 2: the shared endpoint, each broker's advertised port from state", () => {
    const config = configOf({ pattern: 2 });
    const blc = (id: number, port: number) => ({
      kind: 'broker-listener-config' as const,
      account: '111111111111',
      region: 'us-east-2',
      physicalId: String(id),
      props: { brokerId: id, listeners: [{ name: 'CLIENT_SECURE', advertisedPort: port }] },
      dependsOn: [],
      outputs: {},
      status: 'ready' as const,
    });
    const state = {
      resources: {
        'analytics/vpc-endpoint': endpoint('shared', 9),
        'b-1/broker-listener-config': blc(1, 9001),
      },
      portAssignments: { '2/tls': 9002 },
    };
    const t = targetsFromState(config, inventory, state, 'analytics', 'tls');
    assert.deepEqual(
      t.map((x) => [x.id, x.port, x.endpoint?.endpointId]),
      [
        [1, 9001, 'vpce-9'],
        [2, 9002, 'vpce-9'],
      ],
    );
  });

  it('consumers and listeners are checked against the config', () => {
    const config = configOf({
      consumers: [consumerInput('a', '222222222222'), consumerInput('b', '333333333333')],
    });
    assert.throws(
      () => targetsFromState(config, inventory, { resources: {}, portAssignments: {} }, 'zz', 'tls'),
      /--consumer zz is not in the config \(consumers: a, b\)/,
    );
  });

  it('parses --bootstrap and --dns-server', () => {
    assert.deepEqual(parseBootstrap('B-1.X:9001, b-2.x', 'tls'), [
      { host: 'b-1.x', port: 9001 },
      { host: 'b-2.x', port: 9094 },
    ]);
    assert.throws(() => parseBootstrap('a:b:c', 'tls'), /not HOST:PORT/);
    assert.throws(() => parseBootstrap(' , ', 'tls'), /at least one/);
    assert.equal(listenerForPort(9096), 'sasl_scram');
    assert.equal(listenerForPort(9001), 'tls');
    assert.deepEqual(parseDnsServer('127.0.0.1:5353'), {
      host: '127.0.0.1',
      port: 5353,
      server: '127.0.0.1:5353',
    });
    assert.equal(parseDnsServer('10.20.0.2').server, '10.20.0.2:53');
    assert.equal(parseDnsServer('[::1]:53').server, '[::1]:53');
    assert.throws(() => parseDnsServer('dns.example.com'), /IP\[:PORT\]/);
  });

  it('SASL: SCRAM reads the password from the environment only; none for TLS', async () => {
    assert.equal(saslFor('tls', {}), undefined);
    assert.throws(() => saslFor('sasl_scram', { saslPasswordEnv: 'X' }), { where: '--sasl-username' });
    assert.throws(
      () => saslFor('sasl_scram', { saslUsername: 'u', saslPasswordEnv: 'MPL_TEST_UNSET_PW' }),
      /MPL_TEST_UNSET_PW is not set/,
    );
    process.env.MPL_TEST_PW = 's3cret';
    try {
      const s = await saslFor('sasl_scram', { saslUsername: 'u', saslPasswordEnv: 'MPL_TEST_PW' })?.();
      assert.deepEqual(s, { mechanism: 'scram-sha-512', username: 'u', password: 's3cret' });
    } finally {
      delete process.env.MPL_TEST_PW;
    }
    const iam = await saslFor('iam', { region: 'us-east-2' })?.();
    assert.equal(iam?.mechanism, 'oauthbearer');
  });
});
