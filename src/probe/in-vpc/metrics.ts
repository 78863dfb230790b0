// What one monitor run publishes (pure): per broker and AZ, Reachable (1 or 0), ConnectMs and TlsMs
// (when those steps ran), and per consumer BrokersUnreachable, the alarm's metric. Dimensions are
// exact sets: CloudWatch treats each combination as its own metric (CloudWatch user guide,
// "Amazon CloudWatch concepts", dimensions).
import type { ProbeReport } from '../types.js';

export interface Datum {
  MetricName: string;
  Dimensions: Array<{ Name: string; Value: string }>;
  Value: number;
  Unit: 'Count' | 'Milliseconds';
  Timestamp: Date;
}

export function monitorData(
  report: ProbeReport,
  m: { stack: string; consumer: string; azId: string },
  at: Date,
): Datum[] {
  const consumer = [
    { Name: 'Stack', Value: m.stack },
    { Name: 'Consumer', Value: m.consumer },
  ];
  const out: Datum[] = [];
  let unreachable = 0;
  for (const b of report.brokers) {
    const dims = [
      ...consumer,
      { Name: 'Broker', Value: String(b.id ?? b.host) },
      { Name: 'AZ', Value: m.azId },
    ];
    const ok = b.failedStep === null;
    if (!ok) unreachable += 1;
    out.push({ MetricName: 'Reachable', Dimensions: dims, Value: ok ? 1 : 0, Unit: 'Count', Timestamp: at });
    if (b.steps.tcp === 'ok' && b.ms.tcp !== null)
      out.push({
        MetricName: 'ConnectMs',
        Dimensions: dims,
        Value: b.ms.tcp,
        Unit: 'Milliseconds',
        Timestamp: at,
      });
    if (b.steps.tls === 'ok' && b.ms.tls !== null)
      out.push({
        MetricName: 'TlsMs',
        Dimensions: dims,
        Value: b.ms.tls,
        Unit: 'Milliseconds',
        Timestamp: at,
      });
  }
  out.push({
    MetricName: 'BrokersUnreachable',
    Dimensions: consumer,
    Value: unreachable,
    Unit: 'Count',
    Timestamp: at,
  });
  return out;
}

/** PutMetricData takes at most 1,000 datums per call (CloudWatch API reference, PutMetricData). */
export function batches<T>(items: T[], size = 1000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
