import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { runCli } from '../support/run-cli.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in a JSON document. */
function paths(doc: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (doc !== null && typeof doc === 'object')
    for (const [k, v] of Object.entries(doc)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function mutate(doc: Json, at: Array<string | number>, how: 'delete' | 'replace' | 'add', value: Json): Json {
  const copy = structuredClone(doc);
  if (at.length === 0) return how === 'replace' ? value : copy;
  let parent: Json = copy;
  for (const k of at.slice(0, -1)) parent = (parent as Record<string, Json>)[k as string] as Json;
  const last = at[at.length - 1] as string | number;
  const obj = parent as Record<string | number, Json>;
  if (how === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete obj[last];
  } else if (how === 'replace') obj[last] = value;
  else if (parent !== null && typeof parent === 'object' && !Array.isArray(parent))
    obj['unexpectedField'] = value;
  return copy;
}

const json: fc.Arbitrary<Json> = fc.jsonValue() as fc.Arbitrary<Json>;

describe('fuzzed invalid input', function () {
  this.timeout(120_000);
  let dir: string;
  let config: Json;
  let inventory: Json;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-fuzz-'));
    config = parseYaml(await readFile('plans/pattern2-one-consumer.yaml', 'utf8')) as Json;
    inventory = JSON.parse(await readFile('plans/inventories/payments-3-brokers.json', 'utf8')) as Json;
    (config as Record<string, Json>).cluster = { brokersFile: 'inventory.json', listeners: ['tls'] };
  });

  /** Exit 1 with one message naming the file (and a field when the document parsed), or a valid plan. */
  function assertHandled(r: { code: number; out: string; err: string }, file: string) {
    if (r.code === 0 || r.code === 2) return;
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /^error( \[[A-Z0-9_]+\])?: /);
    assert.ok(!r.err.includes('internal'), r.err);
    assert.ok(!/\n\s+at /.test(r.err), `stack trace: ${r.err}`);
    assert.ok(r.err.includes(file) || /lint error/.test(r.err), r.err);
  }

  it('configs: any field deleted, replaced or added ends in exit 1 naming file and field, never a crash', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.constantFrom('delete' as const, 'replace' as const, 'add' as const),
        json,
        fc.boolean(),
        async (pick, how, value, asJson) => {
          const all = paths(config);
          const at = all[pick % all.length] as Array<string | number>;
          const bad = mutate(config, at, how, value);
          const file = path.join(dir, `config-${n++}.${asJson ? 'json' : 'yaml'}`);
          await writeFile(file, asJson ? JSON.stringify(bad) : toYaml(bad));
          await writeFile(path.join(dir, 'inventory.json'), JSON.stringify(inventory));
          const r = await runCli(['plan', '--offline', '--config', file]);
          assertHandled(r, file);
          if (
            r.code === 1 &&
            how !== 'replace' &&
            at.length > 0 &&
            !/lint error|PrivateLink|subnet|broker/.test(r.err)
          ) {
            // A schema failure names a field path after the file.
            assert.match(
              r.err,
              new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: [A-Za-z(]`),
              r.err,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('inventories: any field deleted, replaced or added ends in exit 1 naming the inventory, never a crash', async () => {
    const cfgFile = path.join(dir, 'inv-config.yaml');
    await writeFile(cfgFile, toYaml(config));
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.constantFrom('delete' as const, 'replace' as const, 'add' as const),
        json,
        async (pick, how, value) => {
          const all = paths(inventory);
          const bad = mutate(inventory, all[pick % all.length] as Array<string | number>, how, value);
          await writeFile(path.join(dir, 'inventory.json'), JSON.stringify(bad));
          const r = await runCli(['plan', '--offline', '--config', cfgFile]);
          if (r.code === 1) {
            assert.ok(!r.err.includes('internal'), r.err);
            assert.ok(r.err.includes('inventory.json') || r.err.includes(cfgFile), r.err);
          } else assert.ok(r.code === 0 || r.code === 2);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('garbage bytes and wrong document types end in exit 1 naming the file', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.uint8Array().map((a) => Buffer.from(a).toString('latin1')),
        ),
        async (text) => {
          const file = path.join(dir, 'garbage.yaml');
          await writeFile(file, text);
          const r = await runCli(['plan', '--offline', '--config', file]);
          assert.equal(r.code, 1);
          assertHandled(r, file);
        },
      ),
      { numRuns: 200 },
    );
  });
});
