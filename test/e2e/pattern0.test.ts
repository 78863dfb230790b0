// Issue 12: pattern 0, MSK's managed multi-VPC private connectivity, on the shared testbed with two
// consumer accounts. An ineligible config (kafka.t3.small brokers, unauthenticated clients only, a
// consumer in another region) is refused naming each reason, with no mutating AWS call. Then apply
// turns connectivity on for SASL/SCRAM (the MSK twin restarts the real brokers with the _VPCE
// listeners), grants the consumer accounts with a cluster policy and makes a managed VPC connection
// in each consumer VPC; the probe passes from both consumers through the connection names
// (b-<id>.scram.<cluster domain>:14000+id) with SCRAM and TLS verified; a re-plan changes nothing;
// destroy deletes the connections and the policy and turns connectivity off again.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DescribeClusterV2Command, KafkaClient, ListVpcConnectionsCommand } from '@aws-sdk/client-kafka';
import type { ProbeReport } from '../../src/probe/types.js';
import { cli, cliExpect, dnsOf, writeStackConfig } from '../support/e2e.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';
import { taggedWithStack } from './support-lifecycle.js';

const STACK = 'p0';
const PASSWORD_ENV = 'MPL_E2E_P0_SCRAM_PASSWORD';
/** AWS calls that change something (the --verbose call lines name them). */
const MUTATING =
  /^aws \S+:(Create|Update|Put|Delete|Modify|Accept|Reject|Associate|Disassociate|Authorize|Revoke|Register|Deregister|Tag|Untag|Change)/m;

describe('e2e: pattern 0, MSK multi-VPC private connectivity (issue 12)', function () {
  this.timeout(600_000);
  let tb: Testbed;
  let file: string;
  const figures: string[] = [];
  const run = (argv: string[], expected: number) => cliExpect(tb, argv, expected);

  async function vpcScram(): Promise<boolean> {
    const kafka = new KafkaClient(tb.clientConfig(tb.accounts.provider));
    try {
      const info = (await kafka.send(new DescribeClusterV2Command({ ClusterArn: tb.clusterArn })))
        .ClusterInfo;
      return (
        info?.Provisioned?.BrokerNodeGroupInfo?.ConnectivityInfo?.VpcConnectivity?.ClientAuthentication?.Sasl
          ?.Scram?.Enabled === true
      );
    } finally {
      kafka.destroy();
    }
  }

  async function connections(account: string): Promise<Array<{ state: string; auth: string }>> {
    const kafka = new KafkaClient(tb.clientConfig(account));
    try {
      const out = await kafka.send(new ListVpcConnectionsCommand({}));
      return (out.VpcConnections ?? [])
        .filter((v) => v.TargetClusterArn === tb.clusterArn)
        .map((v) => ({ state: v.State ?? '', auth: v.Authentication ?? '' }));
    } finally {
      kafka.destroy();
    }
  }

  before(async function () {
    this.timeout(300_000);
    tb = await getTestbed({ reset: true });
    process.env[PASSWORD_ENV] = tb.scram.password;
    file = (
      await writeStackConfig(tb, {
        name: STACK,
        pattern: 1,
        extra: { pattern: 0, cluster: { arn: tb.clusterArn, listeners: ['sasl_scram'] } },
      })
    ).file;
  });

  after(async function () {
    this.timeout(300_000);
    delete process.env[PASSWORD_ENV];
    if (figures.length > 0) console.log(`      ${figures.join('\n      ')}`);
  });

  it('refuses an ineligible cluster naming each reason, with no mutating AWS call', async () => {
    const dir = path.dirname(file);
    const inventory = path.join(dir, 'small.json');
    const sc = tb.scenario;
    // The real cluster's inventory, as `discover` writes it, made ineligible: t3.small brokers that
    // serve unauthenticated (plaintext) clients only.
    await run(['discover', '--cluster-arn', tb.clusterArn, '--out', inventory], 0);
    const inv = JSON.parse(await readFile(inventory, 'utf8')) as Record<string, unknown>;
    await writeFile(
      inventory,
      JSON.stringify({ ...inv, instanceType: 'kafka.t3.small', clientListeners: ['plaintext'] }),
    );
    const bad = path.join(dir, 'ineligible.yaml');
    const c0 = sc.consumers[0];
    assert.ok(c0);
    await writeFile(
      bad,
      JSON.stringify({
        name: 'p0bad',
        region: sc.region,
        pattern: 0,
        cluster: { brokersFile: inventory, listeners: ['plaintext'] },
        provider: { account: sc.accounts.provider, vpcId: sc.provider.vpcId },
        consumers: [
          {
            name: 'west',
            account: sc.accounts.consumers[0],
            region: 'us-west-2',
            vpcId: c0.vpcId,
            subnets: c0.subnets.map((s) => ({ id: s.id, azId: s.availabilityZoneId })),
            allowedCidrs: [c0.cidr],
          },
        ],
        state: { path: path.join(dir, 'ineligible.state.json') },
      }),
    );
    const r = await cli(tb, ['apply', '--config', bad, '--auto-approve', '--verbose']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /PATTERN0_INELIGIBLE/);
    for (const reason of [/kafka\.t3\.small/, /plaintext is not offered/, /consumer west is in us-west-2/])
      assert.match(r.err, reason);
    assert.doesNotMatch(r.err, MUTATING, 'no mutating call');
  });

  it('applies: connectivity on, a connection per consumer; both consumers probe through the connection names with SCRAM and TLS verified; destroy turns it off', async () => {
    let t = Date.now();
    await run(['apply', '--config', file, '--auto-approve'], 0);
    figures.push(`apply pattern 0 with the rolling restart: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    await tb.network.reconcileNow();
    assert.equal(await vpcScram(), true, 'multi-VPC connectivity serves SASL/SCRAM');
    for (const account of tb.accounts.consumers)
      assert.deepEqual(await connections(account), [{ state: 'AVAILABLE', auth: 'SASL_SCRAM' }], account);

    for (const [i, account] of tb.accounts.consumers.entries()) {
      const r = await cli(tb, [
        'probe',
        '--config',
        file,
        '--consumer',
        `c${i + 1}`,
        '--dns-server',
        dnsOf(tb, account),
        '--ca',
        tb.caPath,
        '--sasl-username',
        tb.scram.username,
        '--sasl-password-env',
        PASSWORD_ENV,
        '--canary',
        '--json',
      ]);
      const report = JSON.parse(r.out) as ProbeReport;
      assert.equal(report.ok, true, JSON.stringify(report, null, 2));
      assert.equal(report.brokers.length, tb.kafka.brokers.length);
      for (const b of report.brokers) {
        assert.match(b.host, /^b-\d+\.scram\./, 'the connection name');
        assert.equal(b.port, 14000 + (b.id ?? 0));
        assert.equal(b.steps.tls, 'ok');
        assert.equal(b.steps.auth, 'ok');
        assert.equal(b.advertised, `${b.host}:${b.port}`);
      }
      assert.equal(report.canary?.consumed, 1);
    }
    assert.match((await run(['plan', '--config', file], 0)).out, /No changes/);

    t = Date.now();
    await run(['destroy', '--config', file, '--auto-approve'], 0);
    figures.push(
      `destroy pattern 0 with the rolling restart back: ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    assert.equal(await vpcScram(), false, 'turned off again: this stack turned it on');
    for (const account of tb.accounts.consumers) assert.deepEqual(await connections(account), [], account);
    assert.deepEqual(await taggedWithStack(tb, STACK), []);
  });
});
