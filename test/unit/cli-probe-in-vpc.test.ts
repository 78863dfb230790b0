// probe --in-vpc's flags: what does not go with it is refused with one message naming the flag,
// before any AWS call (there are no credentials here).
import assert from 'node:assert/strict';
import { runCli } from '../support/run-cli.js';

const CONFIG = 'plans/pattern1-one-consumer.yaml';

describe('cli: probe --in-vpc flags', () => {
  for (const [argv, flag, text] of [
    [['probe', '--bootstrap', 'b-1.x.amazonaws.com:9094', '--in-vpc'], '--in-vpc', /needs --config/],
    [['probe', '--config', CONFIG, '--in-vpc', '--dns-server', '127.0.0.1'], '--dns-server', /VPC resolver/],
    [['probe', '--config', CONFIG, '--keep'], '--keep', /only with --in-vpc/],
    [['probe', '--config', CONFIG, '--all-consumers'], '--all-consumers', /only with --in-vpc/],
  ] as const) {
    it(`${argv.slice(1).join(' ')}: refused at ${flag}`, async () => {
      const r = await runCli([...argv]);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(flag.replace(/-/g, '\\-')));
      assert.match(r.err, text);
      assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    });
  }
});
