// probe --in-vpc's flags: what does not go with it is refused with one message naming the flag,
// before any AWS call (there are no credentials here).
import assert from 'node:assert/strict';
import { runCli } from '../support/run-cli.js';

const CONFIG = 'plans/pattern1-one-consumer.yaml';
const ARN = 'arn:aws:secretsmanager:us-east-1:222222222222:secret:AmazonMSK_probe-AbC123';

describe('cli: probe --in-vpc flags', () => {
  for (const [argv, flag, text] of [
    [['probe', '--bootstrap', 'b-1.x.amazonaws.com:9094', '--in-vpc'], '--in-vpc', /needs --config/],
    [['probe', '--config', CONFIG, '--in-vpc', '--dns-server', '127.0.0.1'], '--dns-server', /VPC resolver/],
    [['probe', '--config', CONFIG, '--keep'], '--keep', /only with --in-vpc/],
    [['probe', '--config', CONFIG, '--all-consumers'], '--all-consumers', /only with --in-vpc/],
    [['probe', '--config', CONFIG, '--sasl-secret-arn', ARN], '--sasl-secret-arn', /only with --in-vpc/],
    [
      ['probe', '--config', CONFIG, '--in-vpc', '--sasl-secret-arn', ARN, '--sasl-username', 'u'],
      '--sasl-secret-arn',
      /either --sasl-secret-arn or --sasl-username/,
    ],
    [
      // A partial ARN (no random suffix): the role's grant must name the exact secret.
      ['probe', '--config', CONFIG, '--in-vpc', '--sasl-secret-arn', ARN.slice(0, -7)],
      '--sasl-secret-arn',
      /full Secrets Manager secret ARN/,
    ],
    [
      ['probe', '--config', CONFIG, '--in-vpc', '--sasl-secret-arn', 'my-secret'],
      '--sasl-secret-arn',
      /full Secrets Manager secret ARN/,
    ],
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
