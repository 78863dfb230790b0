// Mocha's spec reporter plus one closing line in the plain form CI reads: "N passed, N failed, N skipped".
// The line is also written to .cache/test-summary.txt so `npm test` can repeat it after c8's coverage table.
// .cache/test-times.txt lists each file's wall time (hooks included), slowest first, to keep CI in budget.
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const started = new Map();
    const times = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.parent?.root && suite.file) started.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const t0 = started.get(suite);
      if (t0 === undefined) return;
      const file = path.relative(process.cwd(), suite.file);
      times.set(file, (times.get(file) ?? 0) + (Date.now() - t0));
    });
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      const line = `${s.passes} passed, ${s.failures} failed, ${s.pending} skipped`;
      process.stdout.write(`\n${line}\n`);
      const dir = path.join(process.cwd(), '.cache');
      fs.mkdirSync(dir, { recursive: true });
      // `npm run test:all` runs two lanes at once (test/support/run-all.mjs): each writes its own files.
      const lane = process.env.MPL_TEST_LANE ? `-${process.env.MPL_TEST_LANE}` : '';
      fs.writeFileSync(path.join(dir, `test-summary${lane}.txt`), `${line}\n`);
      const rows = [...times]
        .sort((a, b) => b[1] - a[1])
        .map(([f, ms]) => `${(ms / 1000).toFixed(1).padStart(7)} s  ${f}`);
      fs.writeFileSync(path.join(dir, `test-times${lane}.txt`), `${rows.join('\n')}\n`);
    });
  }
}

module.exports = SummaryReporter;
