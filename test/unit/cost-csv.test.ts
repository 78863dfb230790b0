import assert from 'node:assert/strict';
import path from 'node:path';
import { estimateCost, type CostReport } from '../../src/cost/estimate.js';
import { csvField, renderCost } from '../../src/cost/render.js';
import { brokersFor, configOf, inventoryOf, planInputOf } from '../support/fixtures.js';
import { runCli } from '../support/run-cli.js';

// `cost --format csv`: RFC 4180, read back here with a parser written from the RFC (not the renderer's
// quoting), so a field that needs quoting is checked both ways.

/** RFC 4180 records: CRLF between records, "..." fields with "" for a quote, commas and line breaks inside. */
function parseCsv(text: string): string[][] {
  assert.ok(text.endsWith('\r\n'), 'the last record ends with CRLF');
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i += 1;
        assert.ok(
          [',', '\r', undefined].includes(text[i]),
          `a quoted field ends at a separator (offset ${i})`,
        );
      } else {
        field += c;
        i += 1;
      }
    } else if (c === '"') {
      assert.equal(field, '', `a quote only opens a field (offset ${i})`);
      quoted = true;
      i += 1;
    } else if (c === ',') {
      record.push(field);
      field = '';
      i += 1;
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      assert.ok(c !== '\n' && c !== '\r', `a bare line break outside quotes (offset ${i})`);
      field += c;
      i += 1;
    }
  }
  assert.equal(quoted, false, 'every quote closed');
  return records;
}

const HEADER = ['option', 'viable', 'item', 'quantity', 'unit', 'unitUsd', 'monthlyUsd', 'reason'];
const kraft = { kafkaVersion: '3.7.x.kraft', metadataMode: 'kraft' } as const;
// Pattern 2's legacy rewrite mode, which KRaft clusters refuse.
const legacy = { pattern2: { mode: 'rewrite' as const } };

function rowsOf(report: CostReport): Record<string, string>[] {
  const [head, ...rows] = parseCsv(renderCost(report, 'csv'));
  assert.deepEqual(head, HEADER);
  return rows.map((r) => {
    assert.equal(r.length, HEADER.length, r.join('|'));
    return Object.fromEntries(HEADER.map((k, i) => [k, r[i] as string]));
  });
}

describe('cost: csv', () => {
  it('one row per cost line per option, the figures as in the JSON', () => {
    const r = estimateCost(planInputOf(configOf(), inventoryOf(brokersFor([1, 2, 3]))), { gbPerMonth: 1000 });
    const rows = rowsOf(r);
    // Pattern 0 (eligible, not priced) is one row with its reason; the others one row per line.
    const expected = r.options.flatMap((o) =>
      !o.viable
        ? [
            {
              option: o.id,
              viable: 'false',
              item: '',
              quantity: '',
              unit: '',
              unitUsd: '',
              monthlyUsd: '',
              reason: o.reason ?? '',
            },
          ]
        : o.lines.map((l) => ({
            option: o.id,
            viable: 'true',
            item: l.item,
            quantity: String(l.quantity),
            unit: l.unit,
            unitUsd: String(l.unitUsd),
            monthlyUsd: l.monthlyUsd.toFixed(2),
            reason: '',
          })),
    );
    assert.deepEqual(rows, expected);
    assert.equal(rows.find((x) => x.option === 'pattern0')?.viable, 'false');
    // Spot figures at 730 hours: 3 NLBs x $0.0225 x 730 = $49.275 -> 49.28; 1,000 GB x $0.01 = 10.00.
    assert.deepEqual(
      rows.find((x) => x.option === 'pattern1' && x.item === 'nlb-hours'),
      {
        option: 'pattern1',
        viable: 'true',
        item: 'nlb-hours',
        quantity: '3',
        unit: 'hour',
        unitUsd: '0.0225',
        monthlyUsd: '49.28',
        reason: '',
      },
    );
    assert.equal(
      rows.find((x) => x.option === 'pattern2' && x.item === 'privatelink-data')?.monthlyUsd,
      '10.00',
    );
    // The lines of an option add up to its total.
    for (const o of r.options) {
      const cents: number = rows
        .filter((x) => x.option === o.id)
        .reduce((s: number, x) => s + Math.round(Number(x.monthlyUsd) * 100), 0);
      assert.equal(cents, Math.round(o.monthlyUsd * 100), o.id);
    }
  });

  it('a non-viable option is one row with its reason, quoted because it holds commas and quotes', () => {
    const r = estimateCost(planInputOf(configOf(legacy), inventoryOf(brokersFor([1, 2, 3]), kraft)));
    const p2 = r.options.find((o) => o.id === 'pattern2');
    assert.equal(p2?.viable, false);
    const reason = p2?.reason ?? '';
    assert.match(reason, /,.*"/, 'the planner reason has a comma and a quote');
    const rows = rowsOf(r).filter((x) => x.option === 'pattern2');
    assert.deepEqual(rows, [
      {
        option: 'pattern2',
        viable: 'false',
        item: '',
        quantity: '',
        unit: '',
        unitUsd: '',
        monthlyUsd: '',
        reason,
      },
    ]);
    // On the wire: the field quoted, its quotes doubled.
    const raw = renderCost(r, 'csv');
    assert.ok(raw.includes(`pattern2,false,,,,,,"${reason.replace(/"/g, '""')}"\r\n`), raw);
  });

  it('quotes a field with a comma, a quote, CR or LF, and only those', () => {
    assert.equal(csvField('plain text; no quoting'), 'plain text; no quoting');
    assert.equal(csvField('a, b'), '"a, b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\rhere'), '"cr\rhere"');
    assert.equal(csvField(''), '');
    // A reason over several lines reads back whole.
    const r = estimateCost(planInputOf(configOf(legacy), inventoryOf(brokersFor([1, 2, 3]), kraft)));
    const odd = 'first line, with a comma\r\nsecond "quoted" line\nthird';
    const report: CostReport = {
      ...r,
      options: r.options.map((o) => (o.viable ? o : { ...o, reason: odd })),
    };
    const rows = rowsOf(report).filter((x) => x.viable === 'false');
    // Pattern 2 (refused on KRaft) and pattern 0 (not priced).
    assert.deepEqual(
      rows.map((x) => [x.option, x.reason]),
      [
        ['pattern2', odd],
        ['pattern0', odd],
      ],
    );
  });

  it('cost --format csv on the CLI', async () => {
    const r = await runCli([
      'cost',
      '--offline',
      '--format',
      'csv',
      '--hours-per-month',
      '720',
      '--config',
      path.join('plans', 'pattern1-one-consumer.yaml'),
    ]);
    assert.equal(r.code, 0, r.err);
    const [head, ...rows] = parseCsv(r.out);
    assert.deepEqual(head, HEADER);
    assert.deepEqual(
      rows.find((x) => x[0] === 'pattern2' && x[2] === 'nlb-hours'),
      ['pattern2', 'true', 'nlb-hours', '1', 'hour', '0.0225', '16.20', ''],
    );
  });
});
