// What one `monitor` run publishes (src/probe/in-vpc/metrics.ts): per broker Reachable, ConnectMs and
// TlsMs (only for steps that ran and passed) with the dimensions Stack, Consumer, Broker and AZ, per
// consumer BrokersUnreachable with Stack and Consumer, and PutMetricData batches of 1,000 at most.
// Every expected datum is written out by hand.
import assert from 'node:assert/strict';
import { batches, monitorData, type Datum } from '../../src/probe/in-vpc/metrics.js';
import type { BrokerResult, ProbeReport, StepName, StepStatus } from '../../src/probe/types.js';

const AT = new Date('2026-03-22T18:59:43.000Z');
const M = { stack: 'pay', consumer: 'analytics', azId: 'use2-az1' };

/** A broker's result: the steps given, the rest skipped (ms null), failedStep the first failed one. */
function broker(
  id: number | null,
  host: string,
  steps: Partial<Record<StepName, readonly [StepStatus, number | null]>>,
): BrokerResult {
  const names: StepName[] = ['dns', 'tcp', 'tls', 'auth', 'kafka'];
  const status = Object.fromEntries(names.map((n) => [n, steps[n]?.[0] ?? 'skipped'])) as Record<
    StepName,
    StepStatus
  >;
  const ms = Object.fromEntries(names.map((n) => [n, steps[n]?.[1] ?? null])) as Record<
    StepName,
    number | null
  >;
  const failedStep = names.find((n) => status[n] === 'failed') ?? null;
  return {
    id,
    host,
    port: 9094,
    addresses: ['10.0.1.10'],
    steps: status,
    ms,
    error: failedStep === null ? null : `${failedStep} failed`,
    hint: null,
    failedStep,
    advertised: null,
  };
}

function report(brokers: BrokerResult[]): ProbeReport {
  return {
    ok: brokers.every((b) => b.failedStep === null),
    mode: 'config',
    listener: 'tls',
    consumer: M.consumer,
    brokers,
    canary: null,
    ms: 100,
  };
}

const ALL_OK = { dns: ['ok', 2], tcp: ['ok', 5], tls: ['ok', 12], kafka: ['ok', 30] } as const;

describe('monitor metrics (monitorData, batches)', () => {
  it('publishes Reachable, ConnectMs and TlsMs per broker and BrokersUnreachable per consumer, with exact dimension sets', () => {
    const data = monitorData(
      report([
        broker(1, 'b-1.pay.abc123.c2.kafka.us-east-2.amazonaws.com', { ...ALL_OK }),
        // Connected, but the TLS handshake failed.
        broker(2, 'b-2.pay.abc123.c2.kafka.us-east-2.amazonaws.com', {
          dns: ['ok', 1],
          tcp: ['ok', 7],
          tls: ['failed', 1500],
        }),
        // Never connected.
        broker(3, 'b-3.pay.abc123.c2.kafka.us-east-2.amazonaws.com', {
          dns: ['ok', 1],
          tcp: ['failed', 3],
        }),
      ]),
      M,
      AT,
    );
    const dims = (b: string) => [
      { Name: 'Stack', Value: 'pay' },
      { Name: 'Consumer', Value: 'analytics' },
      { Name: 'Broker', Value: b },
      { Name: 'AZ', Value: 'use2-az1' },
    ];
    const expected: Datum[] = [
      { MetricName: 'Reachable', Dimensions: dims('1'), Value: 1, Unit: 'Count', Timestamp: AT },
      { MetricName: 'ConnectMs', Dimensions: dims('1'), Value: 5, Unit: 'Milliseconds', Timestamp: AT },
      { MetricName: 'TlsMs', Dimensions: dims('1'), Value: 12, Unit: 'Milliseconds', Timestamp: AT },
      { MetricName: 'Reachable', Dimensions: dims('2'), Value: 0, Unit: 'Count', Timestamp: AT },
      { MetricName: 'ConnectMs', Dimensions: dims('2'), Value: 7, Unit: 'Milliseconds', Timestamp: AT },
      { MetricName: 'Reachable', Dimensions: dims('3'), Value: 0, Unit: 'Count', Timestamp: AT },
      {
        MetricName: 'BrokersUnreachable',
        Dimensions: [
          { Name: 'Stack', Value: 'pay' },
          { Name: 'Consumer', Value: 'analytics' },
        ],
        Value: 2,
        Unit: 'Count',
        Timestamp: AT,
      },
    ];
    assert.deepEqual(data, expected);
  });

  it('counts no broker unreachable when all pass; a plaintext run (TLS skipped) has no TlsMs', () => {
    const data = monitorData(
      report([
        broker(1, 'b-1.x', { dns: ['ok', 1], tcp: ['ok', 4], kafka: ['ok', 20] }),
        broker(2, 'b-2.x', { dns: ['ok', 1], tcp: ['ok', 6], kafka: ['ok', 22] }),
      ]),
      { stack: 's', consumer: 'c', azId: 'euw1-az3' },
      AT,
    );
    const dims = (b: string) => [
      { Name: 'Stack', Value: 's' },
      { Name: 'Consumer', Value: 'c' },
      { Name: 'Broker', Value: b },
      { Name: 'AZ', Value: 'euw1-az3' },
    ];
    assert.deepEqual(data, [
      { MetricName: 'Reachable', Dimensions: dims('1'), Value: 1, Unit: 'Count', Timestamp: AT },
      { MetricName: 'ConnectMs', Dimensions: dims('1'), Value: 4, Unit: 'Milliseconds', Timestamp: AT },
      { MetricName: 'Reachable', Dimensions: dims('2'), Value: 1, Unit: 'Count', Timestamp: AT },
      { MetricName: 'ConnectMs', Dimensions: dims('2'), Value: 6, Unit: 'Milliseconds', Timestamp: AT },
      {
        MetricName: 'BrokersUnreachable',
        Dimensions: [
          { Name: 'Stack', Value: 's' },
          { Name: 'Consumer', Value: 'c' },
        ],
        Value: 0,
        Unit: 'Count',
        Timestamp: AT,
      },
    ]);
  });

  it('names a broker without an id by its host; a 0 ms step is published, a step without a time is not', () => {
    const data = monitorData(
      report([
        // A bootstrap entry probed because metadata could not be read: no broker id.
        broker(null, 'boot.example.internal', { dns: ['ok', 1], tcp: ['ok', 0], tls: ['ok', null] }),
        // A DNS failure: nothing else ran.
        broker(4, 'b-4.x', { dns: ['failed', 2000] }),
      ]),
      M,
      AT,
    );
    const dims = (b: string) => [
      { Name: 'Stack', Value: 'pay' },
      { Name: 'Consumer', Value: 'analytics' },
      { Name: 'Broker', Value: b },
      { Name: 'AZ', Value: 'use2-az1' },
    ];
    assert.deepEqual(data, [
      {
        MetricName: 'Reachable',
        Dimensions: dims('boot.example.internal'),
        Value: 1,
        Unit: 'Count',
        Timestamp: AT,
      },
      {
        MetricName: 'ConnectMs',
        Dimensions: dims('boot.example.internal'),
        Value: 0,
        Unit: 'Milliseconds',
        Timestamp: AT,
      },
      { MetricName: 'Reachable', Dimensions: dims('4'), Value: 0, Unit: 'Count', Timestamp: AT },
      {
        MetricName: 'BrokersUnreachable',
        Dimensions: [
          { Name: 'Stack', Value: 'pay' },
          { Name: 'Consumer', Value: 'analytics' },
        ],
        Value: 1,
        Unit: 'Count',
        Timestamp: AT,
      },
    ]);
  });

  it('publishes BrokersUnreachable 0 alone for a run with no brokers', () => {
    assert.deepEqual(monitorData(report([]), M, AT), [
      {
        MetricName: 'BrokersUnreachable',
        Dimensions: [
          { Name: 'Stack', Value: 'pay' },
          { Name: 'Consumer', Value: 'analytics' },
        ],
        Value: 0,
        Unit: 'Count',
        Timestamp: AT,
      },
    ]);
  });

  it('batches at most 1,000 datums per PutMetricData call, in order', () => {
    const items = Array.from({ length: 2500 }, (_, i) => i);
    const out = batches(items);
    assert.deepEqual(
      out.map((b) => b.length),
      [1000, 1000, 500],
    );
    assert.deepEqual(
      out.map((b) => [b[0], b[b.length - 1]]),
      [
        [0, 999],
        [1000, 1999],
        [2000, 2499],
      ],
    );
    assert.deepEqual(
      batches(Array.from({ length: 1000 }, (_, i) => i)).map((b) => b.length),
      [1000],
    );
    assert.deepEqual(
      batches(Array.from({ length: 1001 }, (_, i) => i)).map((b) => b.length),
      [1000, 1],
    );
    assert.deepEqual(batches([]), []);
    assert.deepEqual(batches([1, 2, 3, 4, 5], 3), [
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it("one run's datums for 333 brokers fit one call (3 each and the consumer's); 334 take two", () => {
    const run = (n: number) =>
      monitorData(
        report(Array.from({ length: n }, (_, i) => broker(i + 1, `b-${i + 1}.x`, { ...ALL_OK }))),
        M,
        AT,
      );
    const fits = run(333);
    assert.equal(fits.length, 1000);
    assert.deepEqual(
      batches(fits).map((b) => b.length),
      [1000],
    );
    const split = batches(run(334));
    assert.deepEqual(
      split.map((b) => b.length),
      [1000, 3],
    );
    // The last call ends with broker 334's TlsMs and the consumer's BrokersUnreachable.
    assert.deepEqual(
      split[1]?.map((d) => `${d.MetricName} ${d.Dimensions.map((x) => x.Value).join('/')} ${d.Value}`),
      [
        'ConnectMs pay/analytics/334/use2-az1 5',
        'TlsMs pay/analytics/334/use2-az1 12',
        'BrokersUnreachable pay/analytics 0',
      ],
    );
  });
});
