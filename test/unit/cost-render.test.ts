import assert from 'node:assert/strict';
import { estimateCost, type CostReport } from '../../src/cost/estimate.js';
import { renderCost, topologyMermaid, xyChart } from '../../src/cost/render.js';
import type { PlanInput } from '../../src/planner/input.js';
import { build as buildFixture } from '../support/cost-fixture.js';

// B brokers round-robin over use2-az1..3, C consumers in all three AZs (the shared cost fixture).
const build = (
  brokers: number,
  consumers: number,
  opts: { kraft?: boolean; pattern?: 1 | 2 } = {},
): PlanInput =>
  buildFixture({
    brokers,
    consumers: Array.from({ length: consumers }, () => ({ azs: [1, 2, 3] })),
    ...(opts.kraft ? { kraft: true } : {}),
    ...(opts.pattern ? { pattern: opts.pattern } : {}),
  });

// One broker, one consumer in three AZs, on KRaft, at the write-up's 720 hours a month: $16.20 + $21.60
// (+ $0.50 zone), pattern 2 refused.
const writeUp = (gbPerMonth?: number): CostReport =>
  estimateCost(build(1, 1, { kraft: true }), {
    hoursPerMonth: 720,
    ...(gbPerMonth === undefined ? {} : { gbPerMonth }),
  });
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[/;

describe('cost: renderCost', () => {
  it('json is the public cost JSON shape, topology left out', () => {
    const j = JSON.parse(renderCost(writeUp(), 'json')) as Record<string, unknown>;
    assert.equal(j.region, 'us-east-2');
    assert.equal(j.hoursPerMonth, 720);
    assert.equal(j.priceTableDate, '2026-11-01');
    assert.equal(j.selected, 'pattern1');
    const options = j.options as Record<string, unknown>[];
    assert.deepEqual(
      options.map((o) => o.id),
      ['pattern1', 'pattern1-broker-az', 'pattern2', 'pattern3', 'pattern0'],
    );
    for (const o of options) {
      assert.equal(typeof o.viable, 'boolean');
      assert.equal(typeof o.monthlyUsd, 'number');
      assert.equal('topology' in o, false);
      for (const l of o.lines as Record<string, unknown>[]) {
        for (const k of ['item', 'quantity', 'unitUsd', 'monthlyUsd'])
          assert.ok(k in l, `${String(o.id)} line has ${k}`);
      }
    }
    const p1 = options[0] as {
      lines: { item: string; quantity: number; unitUsd: number; monthlyUsd: number }[];
    };
    assert.deepEqual(
      p1.lines
        .filter((l) => l.item === 'nlb-hours' || l.item === 'endpoint-az-hours')
        .map((l) => [l.item, l.quantity, l.unitUsd, l.monthlyUsd]),
      [
        ['nlb-hours', 1, 0.0225, 16.2],
        ['endpoint-az-hours', 3, 0.01, 21.6],
      ],
    );
    const p2 = options[2] as { viable: boolean; reason?: string };
    assert.equal(p2.viable, false);
    assert.match(p2.reason ?? '', /KRaft/);
  });

  it('table shows every option, the figures, the configured mark and the refusal; no colour when told', () => {
    const plain = renderCost(writeUp(), 'table', { color: false });
    assert.doesNotMatch(plain, ANSI);
    for (const s of [
      'pattern1 (configured)',
      'pattern1-broker-az',
      'pattern2',
      '$16.20',
      '$21.60',
      '$38.30',
      'KRaft',
    ]) {
      assert.ok(plain.includes(s), `table has ${s}`);
    }
    assert.match(renderCost(writeUp(), 'table', { color: true }), ANSI);
    // With a volume: 1,000 GB = $10.00 PrivateLink data, $6.00 NLCU, 2/3 crossing at $0.02 = $13.33.
    const data = renderCost(writeUp(1000), 'table', { color: false, width: 160 });
    for (const s of ['privatelink-data', '1,000 GB = $10.00', '1,000 NLCU-h = $6.00', '$13.33', '$67.63']) {
      assert.ok(data.includes(s), `table has ${s}`);
    }
  });

  it('markdown has the comparison table, a bar chart, the topology and the notes', () => {
    const r = writeUp();
    const md = renderCost(r, 'markdown', { title: 'payments' });
    assert.match(md, /^# payments: /);
    assert.match(md, /\| \*\*pattern1\*\* \(configured\) \| \$\d/);
    assert.ok(md.includes('not viable:') && md.includes('KRaft'));
    assert.ok(md.includes('| nlb-hours | 1 x 720 h | $0.0225/h | $16.20 |'));
    assert.ok(md.includes('| endpoint-az-hours | 3 x 720 h | $0.01/h | $21.60 |'));
    assert.equal((md.match(/```mermaid/g) ?? []).length, 2);
    assert.ok(md.includes('xychart-beta') && md.includes('flowchart LR'));
    assert.ok(md.includes('Topology of pattern1'));
  });

  it('the bar chart plots the viable options at their monthly cost', () => {
    const r = writeUp();
    const chart = xyChart(r) ?? '';
    const viable = r.options.filter((o) => o.viable);
    const bars = /bar \[([^\]]*)\]/
      .exec(chart)?.[1]
      ?.split(',')
      .map((s) => Number(s.trim()));
    assert.deepEqual(
      bars,
      viable.map((o) => o.monthlyUsd),
    );
    const top = Number(/0 --> (\d+)/.exec(chart)?.[1]);
    assert.ok(top >= Math.max(...viable.map((o) => o.monthlyUsd)));
  });

  it('html shows the figures in plain tables (the full checks: cost-html.test.ts)', () => {
    const html = renderCost(writeUp(), 'html', { title: 'pay<ments>' });
    assert.match(html, /^<!doctype html>/);
    assert.ok(html.includes('<title>pay&lt;ments&gt;: '));
    for (const s of ['$16.20', '$21.60', '$38.30', '1 x 720 h', 'configured', 'KRaft']) {
      assert.ok(html.includes(s), `html has ${s}`);
    }
  });

  it('table, markdown and html say 730 hours when none is given', () => {
    const r = estimateCost(build(1, 1, { kraft: true }));
    assert.ok(renderCost(r, 'table', { color: false }).includes('1 x 730 h = $16.43'));
    assert.ok(renderCost(r, 'markdown').includes('| nlb-hours | 1 x 730 h | $0.0225/h | $16.43 |'));
    assert.ok(renderCost(r, 'html').includes('730 hours a month'));
  });

  it('draws one box per resource for a small plan', () => {
    const topo = estimateCost(build(3, 1)).options[0]?.topology;
    assert.ok(topo);
    const d = topologyMermaid(topo);
    for (const s of ['c0: vpc-0c0', 'endpoint service b-1', 'NLB b-3', 'broker 2<br/>use2-az2'])
      assert.ok(d.includes(s), s);
    // Three endpoints -> three services -> three NLBs -> three brokers.
    assert.equal((d.match(/-->/g) ?? []).length, 9);
  });

  it('summarises a large plan instead of drawing a box per resource', () => {
    const topo = estimateCost(build(30, 3)).options[0]?.topology;
    assert.ok(topo);
    const d = topologyMermaid(topo);
    assert.ok(d.split('\n').length < 15, d);
    assert.ok(d.includes('30 brokers'));
    assert.ok(d.includes('30 endpoint service(s)'));
    assert.ok(d.includes('30 endpoint(s), 90 ENIs'));
    const p2 = estimateCost(build(30, 20, { pattern: 2 })).options.find((o) => o.id === 'pattern2')?.topology;
    assert.ok(p2);
    assert.ok(topologyMermaid(p2).includes('20 consumer VPCs'));
  });

  it('says why the topology is missing when the configured option is not viable', () => {
    const r = estimateCost(build(3, 1, { kraft: true, pattern: 2 }));
    const md = renderCost(r, 'markdown');
    assert.match(md, /Not drawn: pattern2 is not viable \(.*KRaft/);
    assert.ok(renderCost(r, 'html').includes('Not drawn: pattern2 is not viable'));
  });
});
