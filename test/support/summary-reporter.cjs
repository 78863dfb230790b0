// Mocha's spec reporter plus one closing line in the plain form CI reads: "N passed, N failed, N skipped".
// The line is also written to .cache/test-summary.txt so `npm test` can repeat it after c8's coverage table.
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      const line = `${s.passes} passed, ${s.failures} failed, ${s.pending} skipped`;
      process.stdout.write(`\n${line}\n`);
      const file = path.join(process.cwd(), '.cache', 'test-summary.txt');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${line}\n`);
    });
  }
}

module.exports = SummaryReporter;
