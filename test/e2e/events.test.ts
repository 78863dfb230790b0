// The event stream through the CLI against the shared testbed: `--verbose apply` shows every AWS
// call with its account, region and duration; `plan` and `destroy` show refresh progress; `--json`
// writes the same events as JSON lines.
import assert from 'node:assert/strict';
import { cli, writeStackConfig } from '../support/e2e.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';

describe('e2e: one event stream (verbose, refresh progress, JSON lines)', function () {
  this.timeout(180_000);
  let tb: Testbed;
  let file: string;

  before(async () => {
    tb = await getTestbed({ reset: true });
    ({ file } = await writeStackConfig(tb, { name: 'events', pattern: 1, layout: 'broker-az' }));
  });

  after(async () => {
    await cli(tb, ['destroy', '--config', file, '--auto-approve']);
  });

  it('--verbose apply shows each AWS call with its account, region and duration', async () => {
    const r = await cli(tb, ['apply', '--config', file, '--auto-approve', '--verbose']);
    assert.equal(r.code, 0, r.err);
    const provider = tb.scenario.accounts.provider;
    const consumer = tb.scenario.accounts.consumers[0] as string;
    const line = (service: string, action: string, account: string) =>
      new RegExp(`^aws ${service}:${action} account ${account} ${tb.scenario.region} \\d+ ms`, 'm');
    assert.match(r.err, line('elbv2', 'CreateLoadBalancer', provider));
    assert.match(r.err, line('ec2', 'CreateVpcEndpointServiceConfiguration', provider));
    assert.match(r.err, line('ec2', 'CreateVpcEndpoint', consumer));
    assert.match(r.err, line('route53', 'ChangeResourceRecordSets', consumer));
    // A call made by an apply step names the step's resource.
    assert.match(r.err, /^aws elbv2:CreateLoadBalancer account \d+ \S+ \d+ ms for b-\d+\/load-balancer/m);
    assert.match(r.err, /^Refreshing \d+ resource\(s\) from AWS\.\.\.$/m);
    assert.match(r.out, /Creation complete after/);
    assert.match(r.out, /Apply complete! \d+ step\(s\) done\./);
  });

  it('without --verbose, no call lines; plan shows refresh progress on stderr and the diff on stdout', async () => {
    const r = await cli(tb, ['plan', '--config', file]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.err, /^aws /m);
    assert.match(r.err, /^Refreshed (\d+) resource\(s\) in [\d.]+s: \1 exist\.$/m);
    assert.match(r.out, /^No changes\./m);
  });

  it('--json --verbose writes the same events as JSON lines, aws-call ones included', async () => {
    const r = await cli(tb, ['plan', '--config', file, '--json', '--verbose']);
    assert.equal(r.code, 0, r.err);
    const events = r.err
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; level: string; account?: string; ms?: number });
    const calls = events.filter((e) => e.type === 'aws-call');
    assert.ok(calls.length > 0, 'aws-call events');
    assert.ok(
      calls.every((e) => e.level === 'debug' && typeof e.account === 'string' && typeof e.ms === 'number'),
    );
    assert.ok(events.some((e) => e.type === 'refresh'));
    const plan = JSON.parse(r.out) as { summary: { noop: number } };
    assert.ok(plan.summary.noop > 0, 'stdout stays the plan document');
  });
});
