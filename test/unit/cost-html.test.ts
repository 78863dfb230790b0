import assert from 'node:assert/strict';
import { estimateCost, type CostReport } from '../../src/cost/estimate.js';
import { niceAxis, renderCost, topologyHtml } from '../../src/cost/render.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';

// `cost --format html`: one self-contained page (no script, no stylesheet, font or image fetched), the
// chart inline SVG with bars to scale on a labelled axis. The page is read with a small tag scanner.

interface Tag {
  name: string;
  attrs: Record<string, string>;
  /** Offset of the tag's '<' in the page. */
  at: number;
}

/** Every start tag with its attributes (double-quoted or bare); enough for the page this renders. */
function tags(html: string): Tag[] {
  const out: Tag[] = [];
  for (const m of html.matchAll(
    /<([a-zA-Z][\w:-]*)((?:\s+[\w:-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*\/?>/g,
  )) {
    const attrs: Record<string, string> = {};
    for (const a of (m[2] ?? '').matchAll(/([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
      attrs[(a[1] ?? '').toLowerCase()] = a[2] ?? a[3] ?? a[4] ?? '';
    }
    out.push({ name: (m[1] ?? '').toLowerCase(), attrs, at: m.index });
  }
  return out;
}

/** The text of an element from its start tag to its closing tag (same name, no nesting of that name). */
function elementText(html: string, tag: Tag): string {
  const end = html.indexOf(`</${tag.name}>`, tag.at);
  return html.slice(tag.at, end === -1 ? undefined : end).replace(/<[^>]*>/g, '');
}

const unescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

/** Everything that would make a browser fetch something, or run a script. */
function assertSelfContained(html: string): void {
  assert.doesNotMatch(html, /<script/i, 'no script at all');
  assert.doesNotMatch(html, /<(link|iframe|img|object|embed|image|use|source|video|audio)\b/i);
  assert.doesNotMatch(html, /@import|@font-face|url\(/i, 'the style loads nothing');
  for (const t of tags(html)) {
    for (const k of ['src', 'srcset', 'xlink:href', 'data', 'poster', 'background'])
      assert.equal(k in t.attrs, false, `<${t.name} ${k}=...>`);
    // href only on links a reader may follow (the price sources); a browser fetches none of them.
    if ('href' in t.attrs) assert.equal(t.name, 'a', `href on <${t.name}>`);
  }
  // No address anywhere but in those links: strip them and nothing http(s) is left.
  const withoutLinks = html.replace(/<a\s[^>]*>[^<]*<\/a>/g, '');
  assert.doesNotMatch(withoutLinks, /https?:\/\//);
}

interface Chart {
  bars: Map<string, number>;
  axisMax: number;
  ticks: { usd: number; x: number }[];
  left: number;
}

function chartOf(html: string): Chart {
  const all = tags(html);
  const svgs = all.filter((t) => t.name === 'svg');
  assert.equal(svgs.length, 1, 'one chart');
  const bars = new Map<string, number>();
  for (const t of all.filter((x) => x.name === 'rect' && x.attrs.class === 'bar')) {
    const id = t.attrs['data-option'] ?? '';
    assert.ok(!bars.has(id), `one bar for ${id}`);
    bars.set(id, Number(t.attrs.width));
  }
  const axis = all.find((t) => t.name === 'g' && t.attrs.class === 'axis');
  assert.ok(axis, 'an axis');
  const ticks = all
    .filter((t) => t.name === 'line' && t.attrs.class === 'tick')
    .map((t) => ({ usd: Number(t.attrs['data-usd']), x: Number(t.attrs.x1) }));
  const rect = all.find((t) => t.name === 'rect' && t.attrs.class === 'bar');
  return { bars, axisMax: Number(axis.attrs['data-max']), ticks, left: Number(rect?.attrs.x ?? NaN) };
}

/** The checks every report's page must pass. */
function assertChart(report: CostReport, html: string): void {
  assertSelfContained(html);
  const chart = chartOf(html);
  const viable = report.options.filter((o) => o.viable);
  assert.deepEqual([...chart.bars.keys()].sort(), viable.map((o) => o.id).sort(), 'a bar per viable option');
  const maxCost = Math.max(...viable.map((o) => o.monthlyUsd));
  const maxWidth = Math.max(...chart.bars.values());
  for (const o of viable) {
    const ratio = (chart.bars.get(o.id) ?? 0) / maxWidth;
    const want = o.monthlyUsd / maxCost;
    assert.ok(Math.abs(ratio - want) <= 0.005 * want, `${o.id}: bar ${ratio} of the largest, cost ${want}`);
  }
  // The axis: from $0 to at least the largest cost, in round equal steps, drawn to the bars' scale.
  assert.ok(chart.axisMax >= maxCost, `axis ${chart.axisMax} >= ${maxCost}`);
  const values = chart.ticks.map((t) => t.usd);
  assert.equal(values[0], 0);
  assert.equal(values.at(-1), chart.axisMax);
  const step = (values[1] ?? NaN) - (values[0] ?? NaN);
  values.forEach((v, i) => assert.ok(Math.abs(v - i * step) < 1e-9, `tick ${i}: ${v}`));
  const mantissa = step / 10 ** Math.floor(Math.log10(step));
  assert.ok(
    [1, 2, 2.5, 5].some((m) => Math.abs(mantissa - m) < 1e-9),
    `round step ${step}`,
  );
  assert.ok(values.length >= 3 && values.length <= 12, `${values.length} ticks`);
  const zero = chart.ticks[0]?.x ?? NaN;
  const end = chart.ticks.at(-1)?.x ?? NaN;
  assert.ok(Math.abs(zero - chart.left) < 1e-6, 'bars start at $0');
  for (const o of viable) {
    const onAxis = ((chart.bars.get(o.id) ?? 0) / (end - zero)) * chart.axisMax;
    assert.ok(Math.abs(onAxis - o.monthlyUsd) <= 0.005 * o.monthlyUsd, `${o.id} reads ${onAxis} on the axis`);
  }
  assert.match(html, /<text class="axis-title"[^>]*>USD a month<\/text>/);
  // Non-viable options: listed with the planner's reason.
  const items = tags(html)
    .filter((t) => t.name === 'li')
    .map((t) => unescape(elementText(html, t)));
  for (const o of report.options.filter((x) => !x.viable)) {
    assert.ok(
      items.some(
        (i) =>
          i.includes(o.id) &&
          (o.reasonCode === 'NOT_PRICED' || i.includes('not viable')) &&
          i.includes(o.reason ?? '?'),
      ),
      `${o.id} listed with its reason`,
    );
    assert.equal(chart.bars.has(o.id), false);
  }
}

const kraft = { kafkaVersion: '3.7.x.kraft', metadataMode: 'kraft' } as const;
// Pattern 2's legacy rewrite mode, which KRaft clusters refuse.
const legacy = { pattern2: { mode: 'rewrite' as const } };

describe('cost: html report', () => {
  it('draws pattern 2 at its share of pattern 1 (34%, not 44%): three brokers, one consumer', () => {
    const r = estimateCost(planInputOf(configOf(), inventoryOf(brokersFor([1, 2, 3]))), {
      hoursPerMonth: 720,
    });
    const html = renderCost(r, 'html');
    assertChart(r, html);
    const { bars } = chartOf(html);
    const share = (bars.get('pattern2') ?? 0) / (bars.get('pattern1') ?? 1);
    // $39.80 / $113.90 at 720 hours (pattern 2: a provider-VPC zone per broker name, three).
    assert.ok(Math.abs(share - 39.8 / 113.9) < 0.001, String(share));
  });

  it('lists a refused option with its reason (pattern 2 on KRaft), without a bar', () => {
    const r = estimateCost(planInputOf(configOf(legacy), inventoryOf(brokersFor([1, 2, 3]), kraft)));
    assert.equal(r.options.find((o) => o.id === 'pattern2')?.viable, false);
    const html = renderCost(r, 'html');
    assertChart(r, html);
    assert.ok(html.includes('pattern2: not viable (see below)'));
  });

  it('compares five options with data lines, and a configured option that is refused', () => {
    const mixed = configOf({
      consumers: [
        consumerInput('analytics', '222222222222'),
        consumerInput('billing', '333333333333', 3, 'broker-az'),
        consumerInput('fraud', '444444444444', 2),
      ],
    });
    const r = estimateCost(planInputOf(mixed, inventoryOf(brokersFor([1, 2, 3, 4, 5, 6]))), {
      gbPerMonth: 12_345,
    });
    // The four patterns, the configured mix, and pattern 0 (eligible here, not priced).
    assert.equal(r.options.length, 6);
    const html = renderCost(r, 'html', { title: 'payments' });
    assertChart(r, html);
    // Every option's total and every line item is on the page, side by side.
    for (const o of r.options.filter((x) => x.viable)) {
      assert.ok(
        html.includes(
          `<td class="n">$${o.monthlyUsd.toLocaleString('en-US', { minimumFractionDigits: 2 })}</td>`,
        ),
      );
    }
    for (const item of ['nlb-hours', 'endpoint-az-hours', 'privatelink-data', 'nlcu-hours', 'cross-az-data'])
      assert.ok(html.includes(`<td class="item">${item}<br>`), item);

    const refused = estimateCost(
      planInputOf(configOf({ pattern: 2, ...legacy }), inventoryOf(brokersFor([1, 2, 3]), kraft)),
    );
    const page = renderCost(refused, 'html');
    assertChart(refused, page);
    assert.ok(page.includes('Not drawn: pattern2 is not viable'));
  });

  it('keeps bars to scale for large and for small figures', () => {
    for (const [brokers, consumers] of [
      [1, 1],
      [30, 20],
      [49, 3],
    ] as const) {
      const config = configOf({
        consumers: Array.from({ length: consumers }, (_, i) =>
          consumerInput(`team${i}`, String(222222222222 + i)),
        ),
      });
      const r = estimateCost(
        planInputOf(config, inventoryOf(brokersFor(Array.from({ length: brokers }, (_, i) => i + 1)))),
      );
      assertChart(r, renderCost(r, 'html'));
    }
  });

  it('fits an 800 px window: the chart is at most 720 units wide, scales down, and its text is 12 px or more', () => {
    const r = estimateCost(planInputOf(configOf(), inventoryOf(brokersFor([1, 2, 3]))));
    const html = renderCost(r, 'html');
    assert.ok(html.includes('<meta name="viewport" content="width=device-width, initial-scale=1">'));
    const svg = tags(html).find((t) => t.name === 'svg');
    const [, , w] = (svg?.attrs.viewbox ?? '').split(' ').map(Number);
    assert.ok(w !== undefined && w <= 720, `viewBox width ${w}`);
    assert.equal(svg?.attrs.width, String(w));
    assert.match(html, /svg\.chart \{[^}]*max-width: 100%[^}]*height: auto/);
    const sizes = tags(html)
      .filter((t) => 'font-size' in t.attrs)
      .map((t) => Number(t.attrs['font-size']));
    assert.ok(sizes.length > 0 && sizes.every((s) => s >= 12), sizes.join(', '));
    // Wide tables scroll inside the page instead of widening it.
    assert.ok(html.includes('.scroll { overflow-x: auto; }'));
  });
});

describe('cost: html topology', () => {
  it('a row per NLB for a small pattern-1 plan: endpoints, endpoint service, NLB, broker', () => {
    const r = estimateCost(planInputOf(configOf(), inventoryOf(brokersFor([1, 2, 3]))));
    const t = r.options.find((o) => o.id === 'pattern1')?.topology;
    assert.ok(t);
    const html = topologyHtml(t).replace(/<\/?span[^>]*>/g, '');
    assert.equal((html.match(/<tr>/g) ?? []).length, 1 + 3, 'a header and three NLB rows');
    for (const s of [
      '<b>analytics</b> endpoint b-1: use2-az1, use2-az2, use2-az3',
      'endpoint service b-2',
      '<b>NLB b-3</b>: use2-az1, use2-az2, use2-az3, cross-zone',
      'broker 2: use2-az2',
      '<b>analytics</b> = vpc-analytics in account 222222222222',
    ])
      assert.ok(html.includes(s), s);
  });

  it('one row for pattern 2: every consumer endpoint, one service, one NLB, every broker', () => {
    const r = estimateCost(planInputOf(configOf({ pattern: 2 }), inventoryOf(brokersFor([1, 2, 3]))));
    const t = r.options.find((o) => o.id === 'pattern2')?.topology;
    assert.ok(t);
    const html = topologyHtml(t).replace(/<\/?span[^>]*>/g, '');
    assert.equal((html.match(/<tr>/g) ?? []).length, 2);
    for (const s of ['endpoint shared', 'broker 1: use2-az1', 'broker 3: use2-az3', 'cross-zone'])
      assert.ok(html.includes(s), s);
  });

  it('summarises a large plan in one row of counts', () => {
    const config = configOf({
      consumers: Array.from({ length: 20 }, (_, i) => consumerInput(`team${i}`, String(222222222222 + i))),
    });
    const r = estimateCost(
      planInputOf(config, inventoryOf(brokersFor(Array.from({ length: 30 }, (_, i) => i + 1)))),
    );
    const t = r.options.find((o) => o.id === 'pattern1')?.topology;
    assert.ok(t);
    const html = topologyHtml(t).replace(/<\/?span[^>]*>/g, '');
    assert.equal((html.match(/<tr>/g) ?? []).length, 2);
    for (const s of [
      '20 consumer VPCs',
      '30 endpoint service(s) (one per broker)',
      '30 brokers: use2-az1 x10',
    ])
      assert.ok(html.includes(s), s);
  });

  it('escapes names from the config', () => {
    const t = estimateCost(planInputOf(configOf(), inventoryOf(brokersFor([1, 2, 3])))).options[0]?.topology;
    assert.ok(t);
    const html = topologyHtml({ ...t, consumers: t.consumers.map((c) => ({ ...c, vpcId: 'vpc-<x>&"' })) });
    assert.ok(html.includes('vpc-&lt;x&gt;&amp;&quot;'));
  });
});

describe('cost: niceAxis', () => {
  it('ends at a whole number of round steps at or above the top', () => {
    assert.deepEqual(niceAxis(113.9), { max: 125, step: 25, ticks: [0, 25, 50, 75, 100, 125] });
    assert.deepEqual(niceAxis(38.83).max, 40);
    assert.deepEqual(niceAxis(487.5), { max: 500, step: 100, ticks: [0, 100, 200, 300, 400, 500] });
    assert.equal(niceAxis(40).max, 40);
    assert.equal(niceAxis(0.37).max, 0.4);
    assert.equal(niceAxis(0).max, 1);
    for (let top = 0.01; top < 1e7; top *= 1.37) {
      const a = niceAxis(top);
      assert.ok(a.max >= top && a.max < top * 2.6, `${top} -> ${a.max}`);
      assert.ok(a.ticks.length >= 3 && a.ticks.length <= 12, `${top}: ${a.ticks.length} ticks`);
    }
  });
});
