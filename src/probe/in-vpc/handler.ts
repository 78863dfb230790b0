// The in-VPC probe: the Lambda function `probe --in-vpc` bundles (scripts/build-probe-lambda.mjs)
// and runs in a consumer VPC. It resolves names with the VPC's own resolver (the system one there),
// runs the same steps as the local probe and answers the same report. `handler` (probe --in-vpc)
// makes one AWS call at most: over SASL/SCRAM it reads the credentials from the Secrets Manager
// secret the event names (GetSecretValue, with the SDK the runtime provides); the operator's side
// explains failures with Route 53 and EC2 reads afterwards.
// `monitor` (a schedule's run) also publishes the run's metrics to CloudWatch with the SDK the
// Lambda Node.js runtime provides (the bundle leaves @aws-sdk/* out).
import { systemResolver } from '../net.js';
import { probe } from '../run.js';
import type { ProbeReport, ProbeTarget } from '../types.js';
import { InVpcEvent, MonitorEvent } from './event.js';
import { batches, monitorData } from './metrics.js';
import { scramSasl } from './scram.js';

export async function handler(event: unknown): Promise<ProbeReport> {
  const e = InVpcEvent.parse(event);
  const scram = e.scram;
  return probe(e.targets as ProbeTarget[], {
    resolver: systemResolver(e.timeoutMs),
    timeoutMs: e.timeoutMs,
    listener: e.listener,
    tls: {
      ...(e.tls.ca === undefined ? {} : { ca: [e.tls.ca] }),
      ...(e.tls.cert === undefined ? {} : { cert: e.tls.cert }),
      ...(e.tls.key === undefined ? {} : { key: e.tls.key }),
    },
    ...(scram ? { sasl: () => scramSasl(scram.secretArn) } : {}),
    canary: e.canary,
    mode: 'config',
    consumer: e.consumer,
  });
}

/** One scheduled run: the probe, then its metrics; answers a summary (the run's log). */
export async function monitor(
  event: unknown,
): Promise<{ ok: boolean; unreachable: number[]; metrics: number }> {
  const e = MonitorEvent.parse(event);
  const report = await probe(e.targets as ProbeTarget[], {
    resolver: systemResolver(e.timeoutMs),
    timeoutMs: e.timeoutMs,
    listener: e.listener,
    tls: e.tls.ca === undefined ? {} : { ca: [e.tls.ca] },
    canary: false,
    mode: 'config',
    consumer: e.consumer,
  });
  const data = monitorData(
    report,
    { stack: e.metrics.stack, consumer: e.consumer, azId: e.metrics.azId },
    new Date(),
  );
  // Loaded here, from the runtime: `handler` (probe --in-vpc) never needs it.
  const { CloudWatchClient, PutMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  const cw = new CloudWatchClient({});
  try {
    for (const batch of batches(data))
      await cw.send(new PutMetricDataCommand({ Namespace: e.metrics.namespace, MetricData: batch }));
  } finally {
    cw.destroy();
  }
  return {
    ok: report.ok,
    unreachable: report.brokers.filter((b) => b.failedStep !== null).map((b) => b.id ?? -1),
    metrics: data.length,
  };
}
