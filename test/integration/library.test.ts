// The library as a user gets it: the built package imported by its name, running the example
// program that docs/library.md shows.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('library (the built package, imported as msk-privatelink)', function () {
  this.timeout(180_000);

  before(async () => {
    // dist/ is what `import 'msk-privatelink'` resolves to (package.json exports).
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: process.cwd() });
  });

  it('exports the operations and their companions', async () => {
    const lib = (await import('msk-privatelink' as string)) as Record<string, unknown>;
    for (const name of [
      'withStack',
      'planOffline',
      'planLive',
      'apply',
      'applySaved',
      'destroy',
      'status',
      'probe',
      'cost',
      'discover',
      'exportStack',
      'renderPlan',
      'estimateCost',
      'CollectingReporter',
      'MplError',
      'ERRORS',
      'KINDS',
    ])
      assert.equal(typeof lib[name] === 'function' || typeof lib[name] === 'object', true, `exports ${name}`);
  });

  it('runs the example of docs/library.md: a plan and the price of every option, no AWS call', async () => {
    const doc = await readFile('docs/library.md', 'utf8');
    assert.match(doc, /examples\/plan-and-price\.mjs/, 'the doc shows the example that is run here');
    const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' };
    const { stdout } = await run('node', ['examples/plan-and-price.mjs'], { env });
    const cli = await run(
      'node',
      [
        'bin/msk-privatelink.js',
        'plan',
        '--offline',
        '--json',
        '--config',
        'plans/pattern1-one-consumer.yaml',
      ],
      {
        env,
      },
    ).catch((e: { stdout: string; code: number }) => e);
    const summary = (JSON.parse(cli.stdout) as { summary: { create: number } }).summary;
    assert.match(
      stdout,
      new RegExp(`Plan: ${summary.create} to add, 0 to change, 0 to replace, 0 to destroy`),
    );
    assert.match(stdout, /^pattern1 \(configured\): \$\d+\.\d\d a month$/m);
    assert.match(stdout, /^pattern2: /m);
  });
});
