// Pure: result records, the report's verdict, the CONTRACT.md JSON and the table.
import Table from 'cli-table3';
import { createColors } from 'picocolors';
import { STEPS, type BrokerResult, type ProbeReport, type ProbeTarget, type StepName } from './types.js';

export function emptyResult(t: ProbeTarget): BrokerResult {
  const steps = Object.fromEntries(STEPS.map((s) => [s, 'skipped'])) as BrokerResult['steps'];
  const ms = Object.fromEntries(STEPS.map((s) => [s, null])) as BrokerResult['ms'];
  return {
    id: t.id,
    host: t.host,
    port: t.port,
    addresses: [],
    steps,
    ms,
    error: null,
    hint: null,
    failedStep: null,
    advertised: null,
  };
}

/** ok only when every broker passed every step it ran, and the canary (when asked) went round. */
export function finishReport(r: Omit<ProbeReport, 'ok'>): ProbeReport {
  const brokersOk = r.brokers.length > 0 && r.brokers.every((b) => b.failedStep === null);
  const canaryOk = r.canary === null || (r.canary.error === null && r.canary.consumed === 1);
  const brokers = [...r.brokers].sort(
    (a, b) => (a.id ?? 1e9) - (b.id ?? 1e9) || a.host.localeCompare(b.host),
  );
  return { ok: brokersOk && canaryOk, ...r, brokers };
}

/** The JSON of CONTRACT.md ("probe"), with extra fields (mode, listener, consumer, failedStep, advertised). */
export function toJson(r: ProbeReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

const SHOWN: StepName[] = [...STEPS];

export function renderTable(r: ProbeReport, color: boolean): string {
  const c = createColors(color);
  const mark = (s: string) => (s === 'ok' ? c.green('ok') : s === 'failed' ? c.red('FAILED') : c.dim('-'));
  const table = new Table({
    head: ['broker', 'host:port', 'addresses', ...SHOWN, 'ms'],
    style: { head: color ? ['bold'] : [], border: color ? ['grey'] : [] },
  });
  for (const b of r.brokers) {
    const total = SHOWN.reduce((n, s) => n + (b.ms[s] ?? 0), 0);
    table.push([
      b.id === null ? '?' : String(b.id),
      `${b.host}:${b.port}`,
      b.addresses.join('\n') || '-',
      ...SHOWN.map((s) => mark(b.steps[s])),
      String(total),
    ]);
  }
  const lines = [table.toString()];
  for (const b of r.brokers) {
    if (b.failedStep === null) continue;
    lines.push(
      `${c.red('x')} broker ${b.id ?? b.host} failed at ${b.failedStep}: ${b.error ?? ''}\n    hint: ${b.hint ?? ''}`,
    );
  }
  if (r.canary) {
    const k = r.canary;
    lines.push(
      k.error === null && k.consumed === 1
        ? `${c.green('canary')}: produced ${k.produced}, consumed ${k.consumed} on ${k.topic} in ${k.ms} ms (topic ${k.deleted ? 'deleted' : 'NOT deleted'})`
        : `${c.red('canary failed')}: ${k.error ?? 'the message did not come back'}`,
    );
  }
  const failed = r.brokers.filter((b) => b.failedStep !== null).length;
  const who = r.consumer === null ? '' : ` from consumer ${r.consumer}`;
  lines.push(
    r.ok
      ? c.green(`All ${r.brokers.length} broker(s) reachable${who} (${r.listener}) in ${r.ms} ms.`)
      : c.red(
          `${failed} of ${r.brokers.length} broker(s) failed${who} (${r.listener})${failed === 0 ? ', canary failed' : ''}; ${r.ms} ms.`,
        ),
  );
  return `${lines.join('\n')}\n`;
}
