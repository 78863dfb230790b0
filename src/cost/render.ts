import Table from 'cli-table3';
import pc from 'picocolors';
import { parseId } from '../planner/ids.js';
import type { CostLine, CostOption, CostReport, OptionId, Topology } from './estimate.js';
import { PRICE_SOURCES } from './prices.js';
import { fitTable, layoutWidth, wrapText, type Cell, type FitOptions } from '../text-layout.js';

export type CostFormat = 'table' | 'json' | 'markdown' | 'html';

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
  };
}

// ---------------------------------------------------------------- shared formatting

export function usd(n: number): string {
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Unit prices keep all their digits ($0.0225), with at least cents. */
function unitPrice(l: CostLine): string {
  const digits = Math.max(2, (String(l.unitUsd).split('.')[1] ?? '').length);
  const per = { hour: '/h', month: '/month', GB: '/GB', 'NLCU-hour': '/NLCU-h' }[l.unit];
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
  }
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
      o.viable ? o.label : { text: `not viable: ${o.reason ?? ''}`, style: c.red },
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
  for (const n of report.notes) out.push(...wrapText(`note: ${n}`, width, '      ').map((l) => c.dim(l)));
  return `${out.join('\n')}\n`;
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
      `| ${name} | ${o.viable ? usd(o.monthlyUsd) : '-'} | ${mdEscape(o.viable ? o.label : `not viable: ${o.reason ?? ''}`)} |`,
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

  out.push('## Notes', '');
  for (const n of report.notes) out.push(`- ${mdEscape(n)}`);
  out.push('', `Sources: ${Object.values(PRICE_SOURCES).join(', ')}. Formulas: docs/cost-model.md.`, '');
  return out.join('\n');
}

/** Mermaid bar chart of the viable options' monthly cost. */
export function xyChart(report: CostReport): string | undefined {
  const viable = report.options.filter((o) => o.viable);
  if (viable.length === 0) return undefined;
  const top = Math.max(...viable.map((o) => o.monthlyUsd));
  // A round axis top a little above the tallest bar.
  const step = 10 ** Math.max(0, Math.floor(Math.log10(Math.max(top, 1))));
  const axisTop = Math.ceil((top * 1.1) / step) * step || 10;
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

// ---------------------------------------------------------------- html

function h(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function renderHtml(report: CostReport, title?: string): string {
  const heading = `${title ? `${title}: ` : ''}monthly cost of private access to MSK`;
  const viable = report.options.filter((o) => o.viable);
  const top = Math.max(1, ...viable.map((o) => o.monthlyUsd));
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
    '<table><thead><tr><th>option</th><th class="n">USD a month</th><th>status</th></tr></thead><tbody>',
  );
  for (const o of report.options) {
    const cls = [marked(report, o.id) ? 'configured' : '', o.viable ? '' : 'refused']
      .filter(Boolean)
      .join(' ');
    body.push(
      `<tr${cls ? ` class="${cls}"` : ''}><td>${h(o.id)}${marked(report, o.id) ? ' <span class="tag">configured</span>' : ''}</td>` +
        `<td class="n">${o.viable ? usd(o.monthlyUsd) : '-'}</td>` +
        `<td>${h(o.viable ? o.label : `not viable: ${o.reason ?? ''}`)}</td></tr>`,
    );
  }
  body.push('</tbody></table>');
  // A chart drawn with plain HTML, so it shows without any script.
  body.push('<div class="chart" role="img" aria-label="USD a month per option">');
  for (const o of viable) {
    const pct = ((o.monthlyUsd / top) * 100).toFixed(1);
    body.push(
      `<div class="row"><span class="lbl">${h(o.id)}</span><span class="bar${marked(report, o.id) ? ' sel' : ''}" style="width:${pct}%"></span><span class="val">${usd(o.monthlyUsd)}</span></div>`,
    );
  }
  body.push('</div>');

  body.push('<h2>Line items</h2>');
  for (const o of viable) {
    body.push(`<h3>${h(optionName(report, o))}</h3><p>${h(o.label)}</p>`);
    body.push(
      '<table><thead><tr><th>item</th><th class="n">quantity</th><th class="n">unit price</th><th class="n">USD a month</th></tr></thead><tbody>',
    );
    for (const l of o.lines) {
      body.push(
        `<tr><td>${h(l.item)}</td><td class="n">${h(quantity(l, report.hoursPerMonth))}</td><td class="n">${h(unitPrice(l))}</td><td class="n">${usd(l.monthlyUsd)}</td></tr>`,
      );
    }
    body.push(
      `<tr class="total"><td>total</td><td></td><td></td><td class="n">${usd(o.monthlyUsd)}</td></tr>`,
    );
    body.push('</tbody></table>');
  }

  body.push(`<h2>Topology of ${h(report.selected)}</h2>`);
  if (sel?.topology) {
    body.push(`<pre class="mermaid">${h(topologyMermaid(sel.topology))}</pre>`);
    body.push(
      '<p class="hint">The diagram needs Mermaid (loaded from a CDN); without it its source shows above.</p>',
    );
  } else {
    body.push(`<p>Not drawn: ${h(report.selected)} is not viable (${h(sel?.reason ?? 'no plan')}).</p>`);
  }

  body.push('<h2>Notes</h2><ul>');
  for (const n of report.notes) body.push(`<li>${h(n)}</li>`);
  body.push('</ul>');
  body.push(
    `<p>Sources: ${Object.values(PRICE_SOURCES)
      .map((u) => `<a href="${h(u)}">${h(u)}</a>`)
      .join(', ')}. Formulas: docs/cost-model.md.</p>`,
  );

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
.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.configured td { background: #eef6ff; font-weight: 600; }
tr.refused td { color: #8c959f; }
tr.total td { font-weight: 700; }
.tag { font-size: 11px; background: #0969da; color: #fff; border-radius: 3px; padding: 0 .3rem; }
.chart { margin: 1rem 0; }
.chart .row { display: flex; align-items: center; gap: .5rem; margin: .2rem 0; }
.chart .lbl { width: 11rem; }
.chart .bar { display: inline-block; height: 1rem; background: #8c959f; min-width: 2px; }
.chart .bar.sel { background: #0969da; }
.chart .val { white-space: nowrap; font-variant-numeric: tabular-nums; }
.hint { color: #57606a; font-size: 12px; }
</style>
</head>
<body>
${body.join('\n')}
<script type="module">
import mermaid from 'https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs';
mermaid.initialize({ startOnLoad: true, securityLevel: 'strict' });
</script>
</body>
</html>
`;
}
