import Table from 'cli-table3';
import pc from 'picocolors';
import { parseId } from '../planner/ids.js';
import type { CostLine, CostOption, CostReport, OptionId, Topology } from './estimate.js';
import { PRICE_SOURCES } from './prices.js';
import { fitTable, layoutWidth, wrapText, type Cell, type FitOptions } from '../text-layout.js';

export type CostFormat = 'table' | 'json' | 'markdown' | 'html' | 'csv';

export interface RenderOptions {
  /** Terminal colours for `table`; default: when the terminal supports them. */
  color?: boolean;
  /** Heading for markdown and html (e.g. the stack name). */
  title?: string;
  /** Columns `table` fits in (tables and notes wrap); default: the terminal's, else 100; at least 60. */
  width?: number;
}

export function renderCost(report: CostReport, format: CostFormat, opts: RenderOptions = {}): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(toJson(report), null, 2)}\n`;
    case 'table':
      return renderTable(report, opts.color ?? pc.isColorSupported, layoutWidth(opts.width));
    case 'markdown':
      return renderMarkdown(report, opts.title);
    case 'html':
      return renderHtml(report, opts.title);
    case 'csv':
      return renderCsv(report);
  }
}

/** The public cost JSON of `cost --format json` (docs/cost-model.md); topology stays out. */
export function toJson(report: CostReport): unknown {
  return {
    region: report.region,
    hoursPerMonth: report.hoursPerMonth,
    priceTableDate: report.priceTableDate,
    selected: report.selected,
    gbPerMonth: report.gbPerMonth,
    options: report.options.map((o) => ({
      id: o.id,
      viable: o.viable,
      monthlyUsd: o.monthlyUsd,
      lines: o.lines.map((l) => ({
        item: l.item,
        quantity: l.quantity,
        unitUsd: l.unitUsd,
        monthlyUsd: l.monthlyUsd,
        unit: l.unit,
      })),
      ...(o.reason === undefined ? {} : { reason: o.reason, reasonCode: o.reasonCode }),
      label: o.label,
    })),
    notes: report.notes,
    ...(report.recommendation ? { recommendation: report.recommendation } : {}),
  };
}

// ---------------------------------------------------------------- shared formatting

export function usd(n: number): string {
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Unit prices keep all their digits ($0.0225), with at least cents. */
function unitPrice(l: CostLine): string {
  // Fixed notation first: String(0.0000002) is "2e-7".
  const digits = Math.max(2, (l.unitUsd.toFixed(12).replace(/0+$/, '').split('.')[1] ?? '').length);
  const per = {
    hour: '/h',
    month: '/month',
    GB: '/GB',
    'NLCU-hour': '/NLCU-h',
    request: '/request',
    'GB-second': '/GB-s',
  }[l.unit];
  return `$${l.unitUsd.toFixed(digits)}${per}`;
}

function quantity(l: CostLine, hours: number): string {
  const q = l.quantity.toLocaleString('en-US', { maximumFractionDigits: 3 });
  switch (l.unit) {
    case 'hour':
      return `${q} x ${hours} h`;
    case 'month':
      return q;
    case 'GB':
      return `${q} GB`;
    case 'NLCU-hour':
      return `${q} NLCU-h`;
    case 'request':
      return `${q} requests`;
    case 'GB-second':
      return `${q} GB-s`;
  }
}

/** Why an option has no figure: refused by its planner, or (pattern 0) eligible but not priced. */
function whyOut(o: CostOption): string {
  return o.reasonCode === 'NOT_PRICED' ? (o.reason ?? 'not priced') : `not viable: ${o.reason ?? ''}`;
}

function marked(report: CostReport, id: OptionId): boolean {
  return report.selected === id;
}

function optionName(report: CostReport, o: CostOption): string {
  return marked(report, o.id) ? `${o.id} (configured)` : o.id;
}

/** Every item any option has, in first-seen order, so the comparison lines up. */
function allItems(report: CostReport): CostLine['item'][] {
  const items: CostLine['item'][] = [];
  for (const o of report.options) for (const l of o.lines) if (!items.includes(l.item)) items.push(l.item);
  return items;
}

function cheapestViable(report: CostReport): CostOption | undefined {
  return report.options.filter((o) => o.viable).sort((a, b) => a.monthlyUsd - b.monthlyUsd)[0];
}

// ---------------------------------------------------------------- table

/** A cli-table3 table of `rows` (the first is the header) fitted to `width` (see fitTable). */
function fittedTable(
  rows: Cell[][],
  width: number,
  colAligns: Array<'left' | 'right'>,
  opts: FitOptions = {},
): string {
  const fit = fitTable(rows, width, opts);
  const [head = [], ...body] = fit.rows;
  const table = new Table({
    head,
    style: { head: [], border: [] },
    colAligns,
    colWidths: fit.colWidths,
  });
  for (const row of body) table.push(row);
  return table.toString();
}

function renderTable(report: CostReport, color: boolean, width: number): string {
  const c = pc.createColors(color);
  const bold = (text: string): Cell => ({ text, style: c.bold });
  const out: string[] = [];
  const heading = `Monthly cost in ${report.region}`;
  const [first = '', ...rest] = wrapText(
    `${heading} (prices of ${report.priceTableDate}, ${report.hoursPerMonth} hours a month` +
      (report.gbPerMonth === null ? ', no data volume given)' : `, ${report.gbPerMonth} GB a month)`),
    width,
  );
  out.push(first.startsWith(heading) ? c.bold(heading) + first.slice(heading.length) : first, ...rest);

  const summary: Cell[][] = [['option', 'USD a month', 'status'].map(bold)];
  for (const o of report.options) {
    summary.push([
      marked(report, o.id) ? { text: `* ${o.id} (configured)`, style: c.cyan } : `  ${o.id}`,
      o.viable ? usd(o.monthlyUsd) : { text: '-', style: c.dim },
      o.viable ? o.label : { text: whyOut(o), style: c.red },
    ]);
  }
  // The status is prose: at most 68 characters a line, however wide the terminal.
  out.push(fittedTable(summary, width, ['left', 'right', 'left'], { maxWidths: [undefined, undefined, 68] }));

  const viable = report.options.filter((o) => o.viable);
  if (viable.length > 0) {
    const lines: Cell[][] = [['item', 'unit price', ...viable.map((o) => optionName(report, o))].map(bold)];
    for (const item of allItems(report)) {
      const any = viable.flatMap((o) => o.lines).find((l) => l.item === item);
      lines.push([
        item,
        any ? unitPrice(any) : '',
        ...viable.map((o) => {
          const l = o.lines.find((x) => x.item === item);
          return l ? `${quantity(l, report.hoursPerMonth)} = ${usd(l.monthlyUsd)}` : '';
        }),
      ]);
    }
    lines.push([bold('total'), '', ...viable.map((o) => bold(usd(o.monthlyUsd)))]);
    out.push(fittedTable(lines, width, ['left', 'right', ...viable.map(() => 'right' as const)]));
  }
  out.push(...recommendationLines(report, width, c.bold));
  for (const n of report.notes) out.push(...wrapText(`note: ${n}`, width, '      ').map((l) => c.dim(l)));
  return `${out.join('\n')}\n`;
}

/** The recommendation as terminal lines: the option, its reasons, then the alternatives' trade-offs. */
export function recommendationLines(
  report: CostReport,
  width: number,
  bold: (s: string) => string = (s) => s,
): string[] {
  const r = report.recommendation;
  if (r === undefined) return [];
  const out = [bold(`Recommended: ${r.option}, ${usd(r.monthlyUsd)} a month`)];
  for (const reason of r.reasons) out.push(...wrapText(`- ${reason}`, width, '  '));
  if (r.alternatives.length > 0) out.push('Other options, against it:');
  for (const a of r.alternatives)
    out.push(
      ...wrapText(
        `  ${a.option} (${a.deltaUsd >= 0 ? '+' : '-'}${usd(Math.abs(a.deltaUsd))}): ${a.tradeoff}`,
        width,
        '    ',
      ),
    );
  for (const n of r.notViable)
    out.push(
      ...wrapText(
        `  ${n.option}: ${/^eligible, not priced/.test(n.reason) ? '' : 'not viable: '}${n.reason}`,
        width,
        '    ',
      ),
    );
  return out;
}

// ---------------------------------------------------------------- markdown

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function renderMarkdown(report: CostReport, title?: string): string {
  const out: string[] = [];
  out.push(`# ${title ? `${mdEscape(title)}: ` : ''}monthly cost of private access to MSK`, '');
  out.push(
    `Region **${report.region}**, prices of **${report.priceTableDate}**, ${report.hoursPerMonth} hours a month, ` +
      (report.gbPerMonth === null
        ? 'no data volume given (fixed charges only).'
        : `**${report.gbPerMonth} GB** a month through PrivateLink.`),
    `The configured option is **${report.selected}**.`,
    '',
  );
  out.push('## Comparison', '');
  out.push('| option | USD a month | status |', '|---|---:|---|');
  for (const o of report.options) {
    const name = marked(report, o.id) ? `**${o.id}** (configured)` : o.id;
    out.push(
      `| ${name} | ${o.viable ? usd(o.monthlyUsd) : '-'} | ${mdEscape(o.viable ? o.label : whyOut(o))} |`,
    );
  }
  out.push('');
  const chart = xyChart(report);
  if (chart) out.push('```mermaid', chart, '```', '');

  out.push('## Line items', '');
  for (const o of report.options.filter((x) => x.viable)) {
    out.push(`### ${optionName(report, o)}`, '', mdEscape(o.label), '');
    out.push('| item | quantity | unit price | USD a month |', '|---|---:|---:|---:|');
    for (const l of o.lines) {
      out.push(
        `| ${l.item} | ${quantity(l, report.hoursPerMonth)} | ${unitPrice(l)} | ${usd(l.monthlyUsd)} |`,
      );
    }
    out.push(`| **total** | | | **${usd(o.monthlyUsd)}** |`, '');
  }

  out.push(`## Topology of ${report.selected}`, '');
  const sel = report.options.find((o) => o.id === report.selected);
  if (sel?.topology) out.push('```mermaid', topologyMermaid(sel.topology), '```', '');
  else out.push(`Not drawn: ${report.selected} is not viable (${sel?.reason ?? 'no plan'}).`, '');

  const rec = report.recommendation;
  if (rec) {
    out.push('## Recommendation', '', `**${rec.option}**, ${usd(rec.monthlyUsd)} a month:`, '');
    for (const reason of rec.reasons) out.push(`- ${mdEscape(reason)}`);
    out.push('', '| other option | USD a month | difference | trade-off |', '|---|---:|---:|---|');
    for (const a of rec.alternatives)
      out.push(
        `| ${a.option} | ${usd(a.monthlyUsd)} | ${a.deltaUsd >= 0 ? '+' : '-'}${usd(Math.abs(a.deltaUsd))} | ${mdEscape(a.tradeoff)} |`,
      );
    out.push('');
  }
  out.push('## Notes', '');
  for (const n of report.notes) out.push(`- ${mdEscape(n)}`);
  out.push('', `Sources: ${Object.values(PRICE_SOURCES).join(', ')}. Formulas: docs/cost-model.md.`, '');
  return out.join('\n');
}

/** Mermaid bar chart of the viable options' monthly cost. */
export function xyChart(report: CostReport): string | undefined {
  const viable = report.options.filter((o) => o.viable);
  if (viable.length === 0) return undefined;
  // The same round axis as the HTML chart: from 0 to a whole number of steps at or above the tallest bar.
  const axisTop = niceAxis(Math.max(...viable.map((o) => o.monthlyUsd))).max;
  return [
    'xychart-beta',
    '  title "USD a month per option"',
    `  x-axis [${viable.map((o) => `"${o.id}${marked(report, o.id) ? ' *' : ''}"`).join(', ')}]`,
    `  y-axis "USD a month" 0 --> ${axisTop}`,
    `  bar [${viable.map((o) => o.monthlyUsd.toFixed(2)).join(', ')}]`,
  ].join('\n');
}

// ---------------------------------------------------------------- topology diagram

function q(label: string): string {
  return `"${label.replace(/"/g, '#quot;')}"`;
}

function azList(azIds: string[]): string {
  return [...new Set(azIds)].sort().join(', ');
}

/** Brokers per AZ ID: "use2-az1 x2, use2-az2 x2". */
function azCounts(azIds: string[]): string {
  const m = new Map<string, number>();
  for (const a of azIds) m.set(a, (m.get(a) ?? 0) + 1);
  return [...m.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([a, n]) => (n > 1 ? `${a} x${n}` : a))
    .join(', ');
}

/** Beyond these sizes the diagram shows counts, not one box per resource. */
const DETAIL_LIMIT = { brokers: 6, endpoints: 12, consumers: 8 };

/**
 * Mermaid flowchart: consumer VPCs -> endpoints -> endpoint service(s) -> NLB(s) -> brokers.
 * Large plans are summarised (counts and AZ IDs) so a 30-broker cluster stays readable.
 */
export function topologyMermaid(t: Topology): string {
  const endpoints = t.consumers.reduce((s, c) => s + c.endpoints.length, 0);
  const detailed =
    t.brokers.length <= DETAIL_LIMIT.brokers &&
    endpoints <= DETAIL_LIMIT.endpoints &&
    t.consumers.length <= DETAIL_LIMIT.consumers;
  return (detailed ? detailedTopology(t) : summaryTopology(t)).join('\n');
}

function detailedTopology(t: Topology): string[] {
  const out = ['flowchart LR'];
  const svcNode = new Map(t.services.map((s, i) => [s.id, `s${i}`]));
  const nlbNode = new Map(t.nlbs.map((n, i) => [n.id, `n${i}`]));
  t.consumers.forEach((c, ci) => {
    out.push(`  subgraph c${ci}[${q(`${c.name}: ${c.vpcId} (${c.account})`)}]`);
    c.endpoints.forEach((e, ei) => {
      // Pattern 2's one endpoint per consumer has no broker part.
      const short = parseId(e.id).broker ?? 'shared';
      out.push(`    c${ci}e${ei}[${q(`endpoint ${short}<br/>${azList(e.azIds)}`)}]`);
    });
    out.push('  end');
  });
  out.push(`  subgraph p[${q('provider: MSK VPC')}]`);
  t.services.forEach((s) =>
    out.push(`    ${svcNode.get(s.id)}[${q(`endpoint service ${parseId(s.id).owner}`)}]`),
  );
  t.nlbs.forEach((n) =>
    out.push(
      `    ${nlbNode.get(n.id)}[${q(`NLB ${parseId(n.id).owner}<br/>${azList(n.azIds)}${n.crossZone ? ', cross-zone' : ''}`)}]`,
    ),
  );
  t.brokers.forEach((b) => out.push(`    k${b.id}[${q(`broker ${b.id}<br/>${b.azId}`)}]`));
  out.push('  end');
  t.consumers.forEach((c, ci) =>
    c.endpoints.forEach((e, ei) => {
      const s = svcNode.get(e.service);
      if (s) out.push(`  c${ci}e${ei} --> ${s}`);
    }),
  );
  t.services.forEach((s) =>
    s.nlbIds.forEach((n) => {
      const nn = nlbNode.get(n);
      if (nn) out.push(`  ${svcNode.get(s.id)} --> ${nn}`);
    }),
  );
  t.nlbs.forEach((n) => n.brokerIds.forEach((b) => out.push(`  ${nlbNode.get(n.id)} --> k${b}`)));
  return out;
}

function summaryTopology(t: Topology): string[] {
  const out = ['flowchart LR'];
  const enis = (es: Topology['consumers'][number]['endpoints']) => es.reduce((s, e) => s + e.azIds.length, 0);
  const allAzs = (es: Topology['consumers'][number]['endpoints']) => azList(es.flatMap((e) => e.azIds));
  if (t.consumers.length <= DETAIL_LIMIT.consumers) {
    t.consumers.forEach((c, ci) => {
      out.push(
        `  c${ci}[${q(`${c.name}: ${c.vpcId}<br/>${c.endpoints.length} endpoint(s), ${enis(c.endpoints)} ENIs<br/>${allAzs(c.endpoints)}`)}]`,
      );
    });
  } else {
    const es = t.consumers.flatMap((c) => c.endpoints);
    out.push(
      `  c0[${q(`${t.consumers.length} consumer VPCs<br/>${es.length} endpoints, ${enis(es)} ENIs<br/>${allAzs(es)}`)}]`,
    );
  }
  const perBroker = t.pattern === 1 ? ' (one per broker)' : '';
  out.push(`  s[${q(`${t.services.length} endpoint service(s)${perBroker}`)}]`);
  const cross = t.nlbs.some((n) => n.crossZone) ? ', cross-zone' : '';
  out.push(
    `  n[${q(`${t.nlbs.length} NLB(s)${perBroker}${cross}<br/>${azList(t.nlbs.flatMap((n) => n.azIds))}`)}]`,
  );
  out.push(`  k[${q(`${t.brokers.length} brokers<br/>${azCounts(t.brokers.map((b) => b.azId))}`)}]`);
  const consumerNodes = t.consumers.length <= DETAIL_LIMIT.consumers ? t.consumers.length : 1;
  for (let i = 0; i < consumerNodes; i++) out.push(`  c${i} --> s`);
  out.push('  s --> n', '  n --> k');
  return out;
}

// ---------------------------------------------------------------- csv

/** The columns of `cost --format csv`, named as in the JSON (docs/cost-model.md). */
export const CSV_COLUMNS = [
  'option',
  'viable',
  'item',
  'quantity',
  'unit',
  'unitUsd',
  'monthlyUsd',
  'reason',
] as const;

/** One RFC 4180 field: quoted when it holds a comma, a double quote, CR or LF; quotes doubled. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * A header row, then one row per cost line per option; a non-viable option is one row with its
 * reason and empty line fields. RFC 4180: CRLF line ends, fields quoted only when needed.
 */
function renderCsv(report: CostReport): string {
  const rows: string[][] = [[...CSV_COLUMNS]];
  for (const o of report.options) {
    if (!o.viable) {
      rows.push([o.id, 'false', '', '', '', '', '', o.reason ?? '']);
      continue;
    }
    for (const l of o.lines) {
      rows.push([
        o.id,
        'true',
        l.item,
        String(l.quantity),
        l.unit,
        String(l.unitUsd),
        l.monthlyUsd.toFixed(2),
        '',
      ]);
    }
  }
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------- html

function h(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface Axis {
  /** The axis' right end in USD: a whole number of steps, at least the largest cost. */
  max: number;
  /** Distance between ticks: 1, 2, 2.5 or 5 times a power of ten. */
  step: number;
  /** Tick values from 0 to max. */
  ticks: number[];
}

/** Round ticks from $0 to at least `top`, about five intervals. */
export function niceAxis(top: number): Axis {
  const t = top > 0 && Number.isFinite(top) ? top : 1;
  const rough = t / 5;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= rough * (1 - 1e-9)) ?? 10 * mag;
  const clean = (x: number) => Number(x.toPrecision(12));
  const n = Math.max(1, Math.ceil(clean(t / step)));
  const ticks = Array.from({ length: n + 1 }, (_, i) => clean(i * step));
  return { max: clean(n * step), step: clean(step), ticks };
}

function tickLabel(v: number, step: number): string {
  return Number.isInteger(step) ? `$${v.toLocaleString('en-US')}` : usd(v);
}

/** SVG numbers: enough digits that a bar's width keeps its cost's proportion. */
function num(x: number): string {
  return String(Number(x.toPrecision(7)));
}

/** The chart's geometry, in SVG user units (1 unit = 1 px at the chart's natural 720 px width). */
const CHART = {
  width: 720,
  left: 16,
  right: 40,
  top: 8,
  rowHeight: 46,
  refusedRowHeight: 28,
  barHeight: 18,
};

/**
 * A horizontal bar chart as inline SVG: one bar per viable option, its length proportional to the
 * monthly cost on an axis from $0 with round ticks; a non-viable option gets a row without a bar.
 */
export function costChartSvg(report: CostReport): string {
  const viable = report.options.filter((o) => o.viable);
  const axis = niceAxis(Math.max(0, ...viable.map((o) => o.monthlyUsd)));
  const plot = CHART.width - CHART.left - CHART.right;
  const x = (usdValue: number) => CHART.left + (usdValue / axis.max) * plot;
  const cheapest = cheapestViable(report);
  const rows: string[] = [];
  let y = CHART.top;
  for (const o of report.options) {
    const name = `${o.id}${marked(report, o.id) ? ' (configured)' : ''}`;
    if (!o.viable) {
      rows.push(
        `<text class="refused" x="${CHART.left}" y="${y + 16}" fill="#8c959f">${h(name)}: not viable (see below)</text>`,
      );
      y += CHART.refusedRowHeight;
      continue;
    }
    const extra = cheapest && cheapest.id === o.id && viable.length > 1 ? ', the cheapest' : '';
    const value = `${usd(o.monthlyUsd)} a month${extra}`;
    rows.push(
      `<text x="${CHART.left}" y="${y + 14}"><tspan font-weight="600">${h(name)}</tspan>: ${h(value)}</text>`,
      `<rect class="bar" data-option="${h(o.id)}" x="${CHART.left}" y="${y + 20}" width="${num(x(o.monthlyUsd) - CHART.left)}" height="${CHART.barHeight}" fill="${marked(report, o.id) ? '#0969da' : '#8c959f'}"><title>${h(`${o.id}: ${value}`)}</title></rect>`,
    );
    y += CHART.rowHeight;
  }
  const axisY = y + 4;
  const grid = axis.ticks.map(
    (v) =>
      `<line x1="${num(x(v))}" y1="${CHART.top}" x2="${num(x(v))}" y2="${axisY}" stroke="#eaeef2" stroke-width="1"/>`,
  );
  const ticks = axis.ticks.map(
    (v) =>
      `<line class="tick" data-usd="${v}" x1="${num(x(v))}" y1="${axisY}" x2="${num(x(v))}" y2="${axisY + 5}" stroke="#57606a"/>` +
      `<text x="${num(x(v))}" y="${axisY + 19}" text-anchor="middle" font-size="12" fill="#57606a">${h(tickLabel(v, axis.step))}</text>`,
  );
  const height = axisY + 46;
  return [
    `<svg class="chart" role="img" aria-labelledby="chart-title" viewBox="0 0 ${CHART.width} ${height}" width="${CHART.width}" height="${height}" font-family="system-ui, sans-serif" font-size="13" fill="#1b1f24">`,
    `<title id="chart-title">USD a month per option, bars from $0 to scale</title>`,
    ...grid,
    ...rows,
    `<g class="axis" data-max="${axis.max}" data-step="${axis.step}">`,
    `<line x1="${CHART.left}" y1="${axisY}" x2="${num(x(axis.max))}" y2="${axisY}" stroke="#57606a"/>`,
    ...ticks,
    `<text class="axis-title" x="${num(CHART.left + plot / 2)}" y="${axisY + 38}" text-anchor="middle" font-size="12" font-weight="600">USD a month</text>`,
    '</g>',
    '</svg>',
  ].join('\n');
}

/** Escaped for HTML, with each AZ ID ("use2-az1", "use2-az1 x2") kept on one line. */
function hz(s: string): string {
  return h(s).replace(/\b[a-z]+\d+-az\d+(?: x\d+)?/g, (m) => `<span class="nw">${m}</span>`);
}

/** A consumer's endpoint, named by the broker it serves (pattern 2's one endpoint: "shared"). */
function endpointName(e: Topology['consumers'][number]['endpoints'][number]): string {
  return `endpoint ${parseId(e.id).broker ?? 'shared'}`;
}

/**
 * The configured option's topology as an HTML table: one row per NLB with what reaches it (the
 * consumers' endpoints, the endpoint service) and what it reaches (its brokers); large plans are
 * summarised in one row of counts, as the Mermaid diagram does.
 */
export function topologyHtml(t: Topology): string {
  const endpoints = t.consumers.reduce((s, c) => s + c.endpoints.length, 0);
  const detailed =
    t.brokers.length <= DETAIL_LIMIT.brokers &&
    endpoints <= DETAIL_LIMIT.endpoints &&
    t.consumers.length <= DETAIL_LIMIT.consumers;
  const head =
    '<table class="topology"><thead><tr><th>consumer endpoints (ENI AZ IDs) &rarr;</th><th>endpoint service &rarr;</th>' +
    '<th>NLB (AZ IDs) &rarr;</th><th>brokers (AZ ID)</th></tr></thead><tbody>';
  const cell = (items: string[]) => `<td>${items.map((i) => `<div>${i}</div>`).join('')}</td>`;
  const rows: string[] = [];
  const brokerAz = new Map(t.brokers.map((b) => [b.id, b.azId]));
  const nlbText = (n: Topology['nlbs'][number]) =>
    `<b>NLB ${h(parseId(n.id).owner)}</b>: ${hz(azList(n.azIds))}${n.crossZone ? ', cross-zone' : ''}`;
  if (detailed) {
    for (const n of t.nlbs) {
      const services = t.services.filter((s) => s.nlbIds.includes(n.id));
      const ids = new Set(services.map((s) => s.id));
      const eps = t.consumers.flatMap((c) =>
        c.endpoints
          .filter((e) => ids.has(e.service))
          .map((e) => `<b>${h(c.name)}</b> ${h(endpointName(e))}: ${hz(azList(e.azIds))}`),
      );
      rows.push(
        `<tr>${cell(eps)}${cell(services.map((s) => `endpoint service ${h(parseId(s.id).owner)}`))}${cell([nlbText(n)])}` +
          `${cell(n.brokerIds.map((b) => `broker ${b}: ${hz(brokerAz.get(b) ?? '?')}`))}</tr>`,
      );
    }
  } else {
    const enis = (es: Topology['consumers'][number]['endpoints']) =>
      es.reduce((s, e) => s + e.azIds.length, 0);
    const allAzs = (es: Topology['consumers'][number]['endpoints']) => azList(es.flatMap((e) => e.azIds));
    const consumers =
      t.consumers.length <= DETAIL_LIMIT.consumers
        ? t.consumers.map(
            (c) =>
              `<b>${h(c.name)}</b>: ${c.endpoints.length} endpoint(s), ${enis(c.endpoints)} ENIs, ${hz(allAzs(c.endpoints))}`,
          )
        : (() => {
            const es = t.consumers.flatMap((c) => c.endpoints);
            return [
              `<b>${t.consumers.length} consumer VPCs</b>: ${es.length} endpoints, ${enis(es)} ENIs, ${hz(allAzs(es))}`,
            ];
          })();
    const perBroker = t.pattern === 1 ? ' (one per broker)' : '';
    const cross = t.nlbs.some((n) => n.crossZone) ? ', cross-zone' : '';
    rows.push(
      `<tr>${cell(consumers)}${cell([`${t.services.length} endpoint service(s)${perBroker}`])}` +
        `${cell([`${t.nlbs.length} NLB(s)${perBroker}${cross}: ${hz(azList(t.nlbs.flatMap((n) => n.azIds)))}`])}` +
        `${cell([`${t.brokers.length} brokers: ${hz(azCounts(t.brokers.map((b) => b.azId)))}`])}</tr>`,
    );
  }
  const vpcs = t.consumers.length <= DETAIL_LIMIT.consumers ? t.consumers : [];
  const legend = vpcs.length
    ? `<p class="hint">Consumers: ${vpcs.map((c) => `<b>${h(c.name)}</b> = ${h(c.vpcId)} in account ${h(c.account)}`).join('; ')}. The endpoint services, NLBs and brokers are in the MSK VPC.</p>`
    : '<p class="hint">The endpoint services, NLBs and brokers are in the MSK VPC.</p>';
  return `<div class="scroll">${head}${rows.join('')}</tbody></table></div>${legend}`;
}

function renderHtml(report: CostReport, title?: string): string {
  const heading = `${title ? `${title}: ` : ''}monthly cost of private access to MSK`;
  const viable = report.options.filter((o) => o.viable);
  const refused = report.options.filter((o) => !o.viable);
  const cheapest = cheapestViable(report);
  const sel = report.options.find((o) => o.id === report.selected);
  const body: string[] = [];
  body.push(`<h1>${h(heading)}</h1>`);
  body.push(
    `<p>Region <b>${h(report.region)}</b>, prices of <b>${h(report.priceTableDate)}</b>, ${report.hoursPerMonth} hours a month, ` +
      (report.gbPerMonth === null
        ? 'no data volume given (fixed charges only).'
        : `<b>${report.gbPerMonth} GB</b> a month through PrivateLink.`) +
      ` The configured option is <b>${h(report.selected)}</b>${cheapest ? `; the cheapest viable one is <b>${h(cheapest.id)}</b>` : ''}.</p>`,
  );

  body.push('<h2>Comparison</h2>');
  body.push(
    '<div class="scroll"><table><thead><tr><th>option</th><th class="n">USD a month</th><th>status</th></tr></thead><tbody>',
  );
  for (const o of report.options) {
    const cls = [marked(report, o.id) ? 'configured' : '', o.viable ? '' : 'refused']
      .filter(Boolean)
      .join(' ');
    body.push(
      `<tr${cls ? ` class="${cls}"` : ''}><td>${h(o.id)}${marked(report, o.id) ? ' <span class="tag">configured</span>' : ''}</td>` +
        `<td class="n">${o.viable ? usd(o.monthlyUsd) : '-'}</td>` +
        `<td>${h(o.viable ? o.label : whyOut(o))}</td></tr>`,
    );
  }
  body.push('</tbody></table></div>');
  body.push(`<figure>${costChartSvg(report)}`);
  body.push(
    '<figcaption class="hint">Bar lengths are proportional to the monthly cost, on an axis from $0; ' +
      'blue is the configured option.</figcaption></figure>',
  );
  if (refused.length > 0) {
    body.push('<ul class="refused">');
    for (const o of refused) body.push(`<li><b>${h(o.id)}</b>: ${h(whyOut(o))}</li>`);
    body.push('</ul>');
  }

  if (viable.length > 0) {
    // Side by side, the unit price under the item's name: all five options fit an 800 px window
    // (their names may wrap at a hyphen in the header; test/integration/cost-html-chromium measures it).
    body.push('<h2>Line items</h2>');
    body.push(
      `<div class="scroll"><table class="items"><thead><tr><th>item, unit price</th>${viable
        .map(
          (o) =>
            `<th class="n">${h(o.id)}${marked(report, o.id) ? '<br><span class="tag">configured</span>' : ''}</th>`,
        )
        .join('')}</tr></thead><tbody>`,
    );
    for (const item of allItems(report)) {
      const any = viable.flatMap((o) => o.lines).find((l) => l.item === item);
      const cells = viable.map((o) => {
        const l = o.lines.find((x) => x.item === item);
        return l
          ? `<td class="n"><span class="q">${h(quantity(l, report.hoursPerMonth))}</span><br>${usd(l.monthlyUsd)}</td>`
          : '<td class="n">-</td>';
      });
      body.push(
        `<tr><td class="item">${h(item)}<br><span class="q">${any ? h(unitPrice(any)) : ''}</span></td>${cells.join('')}</tr>`,
      );
    }
    body.push(
      `<tr class="total"><td>total</td>${viable.map((o) => `<td class="n">${usd(o.monthlyUsd)}</td>`).join('')}</tr>`,
    );
    body.push('</tbody></table></div>');
  }

  const rec = report.recommendation;
  if (rec) {
    body.push('<h2>Recommendation</h2>');
    body.push(`<p><b>${h(rec.option)}</b>, ${usd(rec.monthlyUsd)} a month:</p><ul>`);
    for (const reason of rec.reasons) body.push(`<li>${h(reason)}</li>`);
    body.push('</ul>');
    if (rec.alternatives.length > 0) {
      body.push(
        '<div class="scroll"><table><thead><tr><th>other option</th><th class="n">difference</th><th>trade-off</th></tr></thead><tbody>',
      );
      for (const a of rec.alternatives)
        body.push(
          `<tr><td>${h(a.option)}</td><td class="n">${a.deltaUsd >= 0 ? '+' : '-'}${usd(Math.abs(a.deltaUsd))}</td><td>${h(a.tradeoff)}</td></tr>`,
        );
      body.push('</tbody></table></div>');
    }
  }

  body.push(`<h2>Topology of ${h(report.selected)}</h2>`);
  if (sel?.topology) body.push(topologyHtml(sel.topology));
  else body.push(`<p>Not drawn: ${h(report.selected)} is not viable (${h(sel?.reason ?? 'no plan')}).</p>`);

  body.push('<h2>Notes</h2><ul>');
  for (const n of report.notes) body.push(`<li>${h(n)}</li>`);
  body.push('</ul>');
  body.push(
    `<p>Sources: ${Object.values(PRICE_SOURCES)
      .map((u) => `<a href="${h(u)}">${h(u)}</a>`)
      .join(', ')}. Formulas: docs/cost-model.md.</p>`,
  );

  // Self-contained: no script, no external stylesheet, font or image; the chart is inline SVG.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(heading)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.scroll { overflow-x: auto; }
.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.items th.n { white-space: normal; }
tr.configured td { background: #eef6ff; font-weight: 600; }
tr.refused td { color: #8c959f; }
tr.total td { font-weight: 700; }
.q { color: #57606a; font-size: 12px; }
.tag { font-size: 11px; background: #0969da; color: #fff; border-radius: 3px; padding: 0 .3rem; font-weight: 400; }
figure { margin: 1rem 0; }
svg.chart { display: block; max-width: 100%; height: auto; }
ul.refused { color: #57606a; }
table.topology td div + div { margin-top: .2rem; }
td.item, .nw { white-space: nowrap; }
.hint { color: #57606a; font-size: 12px; }
</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
