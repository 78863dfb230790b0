// Pure: result records, the report's verdict, the report JSON (docs/probe.md "Output") and the table.
import Table from 'cli-table3';
import { createColors } from 'picocolors';
import { fitTable, layoutWidth, wrapText, type Cell } from '../text-layout.js';
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

/** The report JSON of `probe --json`, as documented in docs/probe.md ("Output"). */
export function toJson(r: ProbeReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

const SHOWN: StepName[] = [...STEPS];

export interface TableOptions {
  /** Columns the table and the lines under it fit in; default: the terminal's, else 100; at least 60. */
  width?: number;
}

export function renderTable(r: ProbeReport, color: boolean, opts: TableOptions = {}): string {
  const c = createColors(color);
  const width = layoutWidth(opts.width);
  const mark = (s: string): Cell =>
    s === 'ok'
      ? { text: 'ok', style: c.green }
      : s === 'failed'
        ? { text: 'FAILED', style: c.red }
        : { text: '-', style: c.dim };
  const rows: Cell[][] = [
    ['broker', 'host:port', 'addresses', ...SHOWN, 'ms'].map((text) => ({ text, style: c.bold })),
  ];
  for (const b of r.brokers) {
    const total = SHOWN.reduce((n, s) => n + (b.ms[s] ?? 0), 0);
    rows.push([
      b.id === null ? '?' : String(b.id),
      `${b.host}:${b.port}`,
      b.addresses.join('\n') || '-',
      ...SHOWN.map((s) => mark(b.steps[s])),
      String(total),
    ]);
  }
  // Host names wrap at their dots; 24 characters of them still read well.
  const fit = fitTable(rows, width, { minWidths: [undefined, 24] });
  const lines: string[] = [];
  // Plain text wrapped to the width, then painted line by line.
  const say = (text: string, paint: (s: string) => string, indent = '') =>
    lines.push(...wrapText(text, width, indent).map(paint));
  if (fit.ok) {
    const [head = [], ...body] = fit.rows;
    const table = new Table({
      head,
      style: { head: [], border: color ? ['grey'] : [] },
      colWidths: fit.colWidths,
    });
    for (const row of body) table.push(row);
    lines.push(table.toString());
  } else {
    // Too narrow for nine columns: a few lines per broker instead.
    const paintSteps = (l: string) =>
      l.replace(
        /\b(dns|tcp|tls|auth|kafka) (ok|FAILED|-)(?=[ ,;]|$)/g,
        (_, step: string, s: string) =>
          `${step} ${s === 'ok' ? c.green(s) : s === 'FAILED' ? c.red(s) : c.dim(s)}`,
      );
    for (const b of r.brokers) {
      const total = SHOWN.reduce((n, s) => n + (b.ms[s] ?? 0), 0);
      const head = `broker ${b.id === null ? '?' : b.id}`;
      say(
        `${head}: ${b.host}:${b.port}`,
        (l) => (l.startsWith(head) ? c.bold(head) + l.slice(head.length) : l),
        '    ',
      );
      say(`    addresses: ${b.addresses.join(', ') || '-'}`, (l) => l, '      ');
      const marks = SHOWN.map(
        (s) => `${s} ${b.steps[s] === 'ok' ? 'ok' : b.steps[s] === 'failed' ? 'FAILED' : '-'}`,
      );
      say(`    ${marks.join(', ')}; ${total} ms`, paintSteps, '      ');
    }
  }
  for (const b of r.brokers) {
    if (b.failedStep === null) continue;
    say(
      `x broker ${b.id ?? b.host} failed at ${b.failedStep}: ${b.error ?? ''}`,
      (l) => (l.startsWith('x ') ? `${c.red('x')}${l.slice(1)}` : l),
      '    ',
    );
    say(`    hint: ${b.hint ?? ''}`, (l) => l, '          ');
  }
  if (r.canary) {
    const k = r.canary;
    if (k.error === null && k.consumed === 1) {
      say(
        `canary: produced ${k.produced}, consumed ${k.consumed} on ${k.topic} in ${k.ms} ms (topic ${k.deleted ? 'deleted' : 'NOT deleted'})`,
        (l) => (l.startsWith('canary:') ? `${c.green('canary')}${l.slice('canary'.length)}` : l),
        '  ',
      );
    } else {
      say(
        `canary failed: ${k.error ?? 'the message did not come back'}`,
        (l) =>
          l.startsWith('canary failed:') ? `${c.red('canary failed')}${l.slice('canary failed'.length)}` : l,
        '  ',
      );
    }
  }
  const failed = r.brokers.filter((b) => b.failedStep !== null).length;
  const who = r.consumer === null ? '' : ` from consumer ${r.consumer}`;
  if (r.ok) say(`All ${r.brokers.length} broker(s) reachable${who} (${r.listener}) in ${r.ms} ms.`, c.green);
  else
    say(
      `${failed} of ${r.brokers.length} broker(s) failed${who} (${r.listener})${failed === 0 ? ', canary failed' : ''}; ${r.ms} ms.`,
      c.red,
    );
  return `${lines.join('\n')}\n`;
}
