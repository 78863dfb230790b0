// docs/aws-facts.md names every AWS figure the code uses, with the code's value: each table is read
// back and compared with the constants (a figure changed in one place only fails here).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUCKETS } from '../../src/aws/rate-limit.js';
import { AWS_TIMINGS } from '../../src/aws/timings.js';
import { MSK_RESERVED_PORT_RANGES, QUOTAS } from '../../src/planner/quotas.js';

const DOC = path.resolve(import.meta.dirname, '../../docs/aws-facts.md');

/** The rows of the table under `## heading`: cells by column, header and rule left out. */
function table(doc: string, heading: string): string[][] {
  const at = doc.indexOf(`## ${heading}\n`);
  assert.ok(at >= 0, `docs/aws-facts.md has a section "${heading}"`);
  const rest = doc.slice(at + heading.length + 4);
  const end = rest.indexOf('\n## ');
  const rows = (end < 0 ? rest : rest.slice(0, end))
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  return rows.slice(2);
}

/** The first two columns as name -> value, each source cell non-empty. */
function figures(rows: string[][], columns: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rows) {
    const [name = '', ...rest] = r;
    assert.ok((r.at(-1) ?? '').length > 0, `${name}: a source`);
    out.set(name, rest.slice(0, columns).map(Number));
  }
  return out;
}

describe('docs/aws-facts.md against the code', () => {
  const doc = readFileSync(DOC, 'utf8');

  it('throttling buckets: every family with its burst and refill', () => {
    const rows = figures(table(doc, 'API throttling buckets'), 2);
    assert.deepEqual([...rows.keys()].sort(), Object.keys(BUCKETS).sort());
    for (const [family, b] of Object.entries(BUCKETS))
      assert.deepEqual(rows.get(family), [b.burst, b.perSecond], family);
  });

  it('timings: every one AWS_TIMINGS has, in milliseconds', () => {
    const rows = figures(table(doc, 'How long AWS takes'), 1);
    assert.deepEqual([...rows.keys()].sort(), Object.keys(AWS_TIMINGS).sort());
    for (const [name, ms] of Object.entries(AWS_TIMINGS)) assert.deepEqual(rows.get(name), [ms], name);
  });

  it('quotas: every one QUOTAS has, with its value', () => {
    const rows = figures(table(doc, 'Quotas'), 1);
    assert.deepEqual([...rows.keys()].sort(), Object.keys(QUOTAS).sort());
    for (const [name, v] of Object.entries(QUOTAS)) assert.deepEqual(rows.get(name), [v], name);
  });

  it("MSK's reserved ports, as the planner avoids them", () => {
    const msk = table(doc, 'MSK and Kafka behaviour').find((r) => r[0]?.includes('MSK_RESERVED_PORT_RANGES'));
    assert.ok(msk, 'a row on the reserved ports');
    for (const [from, to] of MSK_RESERVED_PORT_RANGES)
      assert.ok(msk[0]?.includes(from === to ? `${from}` : `${from}-${to}`), `${from}-${to} named`);
  });
});
