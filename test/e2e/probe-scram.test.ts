// SASL/SCRAM end to end against the shared testbed (its Kafka cluster listens on 9096 like MSK's
// CLIENT_SASL_SCRAM, with a user made at start): the MSK twin answers the SCRAM bootstrap string;
// pattern 1 over sasl_scram from both consumer accounts passes the probe's auth step and the canary,
// a wrong password fails at auth with the credentials hint; `probe --in-vpc` over SCRAM passes with
// the credentials in a Secrets Manager secret, both the user's (--sasl-secret-arn) and a temporary
// one (--sasl-username/--sasl-password-env): the Lambda invocation payloads (the twin's log of them)
// name the secret and never hold the password, the function's role may read that one ARN, and the
// temporary secret is gone afterwards, also one a run that died left; pattern 2 (rewrite) reaches
// the brokers' admin API over SCRAM (the legacy AlterConfigs path), the probe passes on the
// advertised ports, and destroy puts the brokers' listener settings back.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { GetBootstrapBrokersCommand } from '@aws-sdk/client-kafka';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { TAG_STACK } from '../../src/kinds/kind.js';
import { TAG_PROBE } from '../../src/probe/in-vpc/aws.js';
import type { ProbeReport } from '../../src/probe/types.js';
import { clientConfigFor, type LambdaInvocation } from '../testbed/aws/twin.js';
import { cli, cliExpect, writeStackConfig } from '../support/e2e.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';
import { brokerListeners, type BrokerListeners, type StateFile } from './support-lifecycle.js';

interface InVpcReport extends ProbeReport {
  brokers: Array<ProbeReport['brokers'][number] & { azId: string }>;
  inVpc: {
    sites: Array<{ azId: string; function: string }>;
    setupMs: number;
    cleanupMs: number;
    kept: boolean;
  };
}

const PASSWORD_ENV = 'E2E_SCRAM_PASSWORD';
const WRONG_PASSWORD_ENV = 'E2E_SCRAM_WRONG_PASSWORD';

describe('e2e: probe and pattern 2 over SASL/SCRAM', function () {
  this.timeout(240_000);
  let tb: Testbed;
  const timings: string[] = [];

  before(async function () {
    this.timeout(180_000);
    tb = await getTestbed({ reset: true });
    // Read by the probe (--sasl-password-env) and by pattern 2's admin client (passwordEnv); cli()
    // keeps what process.env held before it ran.
    process.env[PASSWORD_ENV] = tb.scram.password;
    process.env[WRONG_PASSWORD_ENV] = `${tb.scram.password}-wrong`;
  });

  after(() => {
    delete process.env[PASSWORD_ENV];
    delete process.env[WRONG_PASSWORD_ENV];
    if (timings.length > 0)
      console.log(`      SCRAM probe timings:\n${timings.map((t) => `        ${t}`).join('\n')}`);
  });

  const dnsOf = (i: number): string => {
    const d = tb.network.dnsByAccount[tb.accounts.consumers[i] as string];
    assert.ok(d, `no DNS server for consumer ${i}`);
    return `${d.host}:${d.port}`;
  };

  const run = (argv: string[], expected: number) => cliExpect(tb, argv, expected);

  /** probe --json over SASL/SCRAM from consumer `i`'s DNS view, the password from `passwordEnv`. */
  async function probe(
    file: string,
    i: number,
    expected: 0 | 1,
    extra: string[] = [],
    passwordEnv = PASSWORD_ENV,
  ): Promise<{ report: ProbeReport; ms: number }> {
    const t0 = Date.now();
    const r = await run(
      [
        'probe',
        '--config',
        file,
        '--consumer',
        `c${i + 1}`,
        '--dns-server',
        dnsOf(i),
        '--ca',
        tb.caPath,
        '--sasl-username',
        tb.scram.username,
        '--sasl-password-env',
        passwordEnv,
        '--json',
        ...extra,
      ],
      expected,
    );
    return { report: JSON.parse(r.out) as ProbeReport, ms: Date.now() - t0 };
  }

  function assertAllPass(report: ProbeReport, canary: boolean): void {
    assert.equal(report.ok, true, JSON.stringify(report, null, 2));
    assert.equal(report.listener, 'sasl_scram');
    assert.deepEqual(
      report.brokers.map((b) => b.id),
      [1, 2, 3],
    );
    for (const b of report.brokers) {
      assert.deepEqual(
        b.steps,
        { dns: 'ok', tcp: 'ok', tls: 'ok', auth: 'ok', kafka: 'ok' },
        JSON.stringify(b, null, 2),
      );
      assert.equal(b.error, null);
      assert.equal(b.hint, null);
    }
    if (canary) {
      assert.equal(report.canary?.error, null, JSON.stringify(report.canary));
      assert.equal(report.canary?.produced, 1);
      assert.equal(report.canary?.consumed, 1);
      assert.equal(report.canary?.deleted, true);
    } else {
      assert.equal(report.canary, null);
    }
  }

  it('the testbed carries the SCRAM user, and the MSK twin answers BootstrapBrokerStringSaslScram', async () => {
    assert.equal(tb.scram.username, 'probe-user');
    const env = tb.env();
    assert.equal(env.TESTBED_SCRAM_USERNAME, tb.scram.username);
    assert.equal(env.TESTBED_SCRAM_PASSWORD, tb.scram.password);
    assert.equal(env.TESTBED_BOOTSTRAP_SASL_SCRAM, tb.kafka.bootstrap.saslScram);
    const c = tb.clients(tb.accounts.provider);
    try {
      const boot = await c.kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: tb.clusterArn }));
      assert.equal(boot.BootstrapBrokerStringSaslScram, tb.kafka.bootstrap.saslScram);
      assert.equal(boot.BootstrapBrokerStringTls, tb.kafka.bootstrap.tls);
      assert.match(boot.BootstrapBrokerStringSaslScram ?? '', /^(b-\d\.[^,]+:9096,){2}b-\d\.[^,]+:9096$/);
    } finally {
      c.destroy();
    }
  });

  describe('pattern 1, listener sasl_scram, two consumer accounts', () => {
    let file: string;

    before(async function () {
      this.timeout(180_000);
      ({ file } = await writeStackConfig(tb, {
        name: 'scram1',
        pattern: 1,
        extra: { cluster: { arn: tb.clusterArn, listeners: ['sasl_scram'] } },
      }));
      await run(['apply', '--config', file, '--auto-approve'], 0);
      await tb.network.reconcileNow();
    });

    after(async function () {
      this.timeout(180_000);
      await run(['destroy', '--config', file, '--auto-approve'], 0);
    });

    it('passes dns, tcp, tls, auth and kafka for every broker from both consumers, with the canary', async () => {
      for (const i of [0, 1]) {
        const r = await probe(file, i, 0, ['--canary']);
        assertAllPass(r.report, true);
        assert.equal(r.report.consumer, `c${i + 1}`);
        for (const b of r.report.brokers) {
          assert.equal(b.port, 9096);
          assert.equal(b.advertised, `${b.host}:9096`);
        }
        timings.push(
          `pattern 1, consumer c${i + 1}, 3 brokers + canary: ${r.ms} ms (canary ${r.report.canary?.ms} ms)`,
        );
      }
    });

    describe('probe --in-vpc from c1: the credentials in a Secrets Manager secret, never in the payload', () => {
      let account: string;
      let sm: SecretsManagerClient;
      let iam: IAMClient;
      const TEMP = 'mpl-scram1-c1-probe-scram';
      // Everything the in-VPC runs printed (stdout and stderr, --json --verbose): checked for the password.
      const printed: string[] = [];

      before(() => {
        account = tb.accounts.consumers[0] as string;
        sm = new SecretsManagerClient(clientConfigFor(tb.aws, account, { maxAttempts: 2 }));
        iam = new IAMClient(clientConfigFor(tb.aws, account, { maxAttempts: 2 }));
      });

      after(() => {
        sm?.destroy();
        iam?.destroy();
      });

      async function inVpc(
        extra: string[],
      ): Promise<{ report: InVpcReport; ms: number; invocations: LambdaInvocation[] }> {
        await tb.control.clearLambdaInvocations();
        const t0 = Date.now();
        const r = await cli(tb, [
          'probe',
          '--config',
          file,
          '--consumer',
          'c1',
          '--in-vpc',
          '--ca',
          tb.caPath,
          '--canary',
          '--json',
          '--verbose',
          ...extra,
        ]);
        const ms = Date.now() - t0;
        printed.push(r.out, r.err);
        assert.equal(r.code, 0, `${r.out}\n${r.err}`);
        const report = JSON.parse(r.out) as InVpcReport;
        return { report, ms, invocations: await tb.control.lambdaInvocations({ account }) };
      }

      /** Every broker from every AZ passes each step, auth included, and the canary went through. */
      function assertInVpcPass(report: InVpcReport): void {
        assert.equal(report.ok, true, JSON.stringify(report, null, 2));
        assert.equal(report.listener, 'sasl_scram');
        const azs = report.inVpc.sites.length;
        assert.ok(azs >= 2, `functions in ${azs} AZs`);
        assert.equal(report.brokers.length, 3 * azs, 'every broker from every AZ');
        for (const b of report.brokers)
          assert.deepEqual(
            b.steps,
            { dns: 'ok', tcp: 'ok', tls: 'ok', auth: 'ok', kafka: 'ok' },
            JSON.stringify(b),
          );
        assert.equal(report.canary?.produced, 1);
        assert.equal(report.canary?.consumed, 1);
      }

      /**
       * One invocation per AZ, each naming `arn` and nothing of the password; each function's role
       * had the network-interface policy and GetSecretValue on exactly that ARN when it ran.
       */
      function assertPayloads(invocations: LambdaInvocation[], report: InVpcReport, arn: string): void {
        assert.deepEqual(
          invocations.map((i) => i.function).sort(),
          report.inVpc.sites.map((s) => s.function).sort(),
          'one invocation per function',
        );
        for (const inv of invocations) {
          assert.ok(!inv.payload.includes(tb.scram.password), `${inv.function}'s payload holds the password`);
          const event = JSON.parse(inv.payload) as { scram?: unknown; listener: string };
          assert.equal(event.listener, 'sasl_scram');
          assert.deepEqual(event.scram, { secretArn: arn });
          assert.deepEqual(Object.keys(inv.role.inlinePolicies).sort(), [
            'scram-secret',
            'vpc-network-interfaces',
          ]);
          assert.deepEqual(inv.role.inlinePolicies['scram-secret'], {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: arn }],
          });
          assert.ok(!JSON.stringify(inv.role).includes('secretsmanager:*'));
        }
      }

      async function secretNames(): Promise<string[]> {
        const out = await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: true }));
        return (out.SecretList ?? []).map((x) => x.Name ?? '').sort();
      }

      async function assertGone(arn: string): Promise<void> {
        await assert.rejects(sm.send(new DescribeSecretCommand({ SecretId: arn })), {
          name: 'ResourceNotFoundException',
        });
        assert.ok(!(await secretNames()).includes(TEMP), 'no temporary secret left');
      }

      async function probeRoles(): Promise<string[]> {
        const roles = await iam.send(new ListRolesCommand({}));
        return (roles.Roles ?? []).map((r) => r.RoleName ?? '').filter((n) => n.includes('-probe'));
      }

      it('(b) --sasl-username/--sasl-password-env: a temporary secret read by the functions, deleted after the run', async function () {
        this.timeout(180_000);
        await tb.control.resetCounters();
        const { report, ms, invocations } = await inVpc([
          '--sasl-username',
          tb.scram.username,
          '--sasl-password-env',
          PASSWORD_ENV,
        ]);
        timings.push(
          `in-VPC, temporary secret, ${report.inVpc.sites.length} AZs + canary: ${ms} ms (setup ${report.inVpc.setupMs} ms, cleanup ${report.inVpc.cleanupMs} ms)`,
        );
        assertInVpcPass(report);
        const arn =
          (JSON.parse(invocations[0]?.payload ?? '{}') as { scram?: { secretArn?: string } }).scram
            ?.secretArn ?? '';
        assert.match(
          arn,
          new RegExp(
            `^arn:aws:secretsmanager:${tb.scenario.region}:${account}:secret:${TEMP}-[A-Za-z0-9]{6}$`,
          ),
        );
        assertPayloads(invocations, report, arn);
        // Each function read the secret itself; the tool made it and deleted it without a recovery window.
        const calls = async (action: string) =>
          tb.control.callCount({ account, service: 'secretsmanager', action });
        assert.equal(await calls('GetSecretValue'), report.inVpc.sites.length);
        assert.equal(await calls('CreateSecret'), 1);
        assert.equal(await calls('DeleteSecret'), 1);
        await assertGone(arn);
        assert.deepEqual(await probeRoles(), [], 'the role went too');
      });

      it('(b) a secret a dead run left is taken over and deleted, also with --keep (the role and functions stay)', async function () {
        this.timeout(180_000);
        const left = await sm.send(
          new CreateSecretCommand({
            Name: TEMP,
            SecretString: JSON.stringify({ username: tb.scram.username, password: 'stale-password' }),
            Tags: [
              { Key: TAG_STACK, Value: 'scram1' },
              { Key: TAG_PROBE, Value: 'c1' },
            ],
          }),
        );
        try {
          const { report, invocations } = await inVpc([
            '--sasl-username',
            tb.scram.username,
            '--sasl-password-env',
            PASSWORD_ENV,
            '--keep',
          ]);
          // The stale password was replaced (auth passes) and the same secret used.
          assertInVpcPass(report);
          assertPayloads(invocations, report, left.ARN ?? '');
          assert.equal(report.inVpc.kept, true);
          await assertGone(left.ARN ?? '');
          assert.deepEqual(await probeRoles(), ['mpl-scram1-c1-probe'], '--keep kept the role');
        } finally {
          // The next run (without --keep) removes what --keep left; its secret is new and goes too.
          const last = await inVpc([
            '--sasl-username',
            tb.scram.username,
            '--sasl-password-env',
            PASSWORD_ENV,
          ]);
          assertInVpcPass(last.report);
          assert.deepEqual(await probeRoles(), []);
          assert.ok(!(await secretNames()).includes(TEMP));
        }
      });

      it("(a) --sasl-secret-arn: the user's secret is read by the functions, the only one the role may read, and left in place", async function () {
        this.timeout(180_000);
        // As MSK wants SCRAM secrets: a name starting AmazonMSK_, SecretString {"username", "password"}.
        const own = await sm.send(
          new CreateSecretCommand({
            Name: 'AmazonMSK_probe-user',
            SecretString: JSON.stringify({ username: tb.scram.username, password: tb.scram.password }),
          }),
        );
        const arn = own.ARN ?? '';
        try {
          await tb.control.resetCounters();
          const { report, ms, invocations } = await inVpc(['--sasl-secret-arn', arn]);
          timings.push(`in-VPC, --sasl-secret-arn, ${report.inVpc.sites.length} AZs + canary: ${ms} ms`);
          assertInVpcPass(report);
          assertPayloads(invocations, report, arn);
          assert.equal(
            await tb.control.callCount({ account, service: 'secretsmanager', action: 'CreateSecret' }),
            0,
          );
          assert.equal(
            await tb.control.callCount({ account, service: 'secretsmanager', action: 'DeleteSecret' }),
            0,
          );
          assert.deepEqual(
            await secretNames(),
            ['AmazonMSK_probe-user'],
            "the user's secret stays; no other was made",
          );
          assert.deepEqual(await probeRoles(), []);
        } finally {
          await sm.send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }));
        }
      });

      it('the password is in nothing the in-VPC runs printed (--json --verbose)', () => {
        assert.ok(printed.length >= 8, 'the runs above printed');
        const text = printed.join('\n');
        assert.match(text, /in-VPC probe of c1/, 'the verbose log is there');
        assert.ok(!text.includes(tb.scram.password), 'the in-VPC runs printed the SCRAM password');
      });
    });

    it('a wrong password fails every broker at the auth step with the credentials hint', async () => {
      const r = await probe(file, 0, 1, [], WRONG_PASSWORD_ENV);
      timings.push(`pattern 1, wrong password: ${r.ms} ms`);
      assert.equal(r.report.ok, false);
      assert.equal(r.report.brokers.length, 3);
      for (const b of r.report.brokers) {
        assert.equal(b.failedStep, 'auth', JSON.stringify(b, null, 2));
        assert.deepEqual(b.steps, { dns: 'ok', tcp: 'ok', tls: 'ok', auth: 'failed', kafka: 'skipped' });
        assert.match(b.error ?? '', /SASL\/SCRAM authentication failed/);
        assert.match(b.hint ?? '', /wrong user name or password/);
      }
      // The password is nowhere in the report.
      assert.ok(!JSON.stringify(r.report).includes(tb.scram.password));
    });
  });

  describe('pattern 2 (rewrite), listener sasl_scram, admin over SCRAM', () => {
    let file: string;
    let statePath: string;
    let originals: Map<number, BrokerListeners>;
    let applied = false;
    // Everything the tool printed while the SCRAM admin client was in use: checked for the password.
    const printed: string[] = [];

    before(async function () {
      this.timeout(180_000);
      ({ file, statePath } = await writeStackConfig(tb, {
        name: 'scram2',
        pattern: 2,
        extra: {
          cluster: { arn: tb.clusterArn, listeners: ['sasl_scram'] },
          pattern2: {
            mode: 'rewrite',
            admin: {
              listener: 'sasl_scram',
              caFile: tb.caPath,
              scram: { username: tb.scram.username, passwordEnv: PASSWORD_ENV },
            },
          },
        },
      }));
      originals = await brokerListeners(tb);
    });

    after(async function () {
      this.timeout(180_000);
      // Only when a test failed midway: the last test destroys and checks the brokers itself.
      if (applied) await run(['destroy', '--config', file, '--auto-approve'], 0);
    });

    it('apply rewrites CLIENT_SASL_SCRAM to each broker port through the SCRAM admin client', async function () {
      this.timeout(180_000);
      applied = true;
      const out = await run(['apply', '--config', file, '--auto-approve', '--verbose'], 0);
      printed.push(out.out, out.err);
      await tb.network.reconcileNow();
      const state = JSON.parse(await readFile(statePath, 'utf8')) as StateFile;
      const now = await brokerListeners(tb);
      for (const b of tb.kafka.brokers) {
        const port = state.portAssignments[`${b.id}/sasl_scram`];
        assert.ok(port !== undefined && port >= 9001 && port <= 9010, `broker ${b.id} port ${port}`);
        const advertised = now.get(b.id)?.advertised ?? '';
        assert.ok(advertised.includes(`CLIENT_SASL_SCRAM://${b.host}:${port}`), advertised);
        // Only the SCRAM listener moved.
        assert.ok(advertised.includes(`CLIENT_SECURE://${b.host}:9094`), advertised);
        assert.notDeepEqual(now.get(b.id), originals.get(b.id));
      }
    });

    it('the probe passes from a consumer on the advertised ports, with the canary', async () => {
      const r = await probe(file, 1, 0, ['--canary']);
      assertAllPass(r.report, true);
      for (const b of r.report.brokers) {
        assert.ok(b.port >= 9001 && b.port <= 9010, `broker ${b.id} on ${b.port}`);
        assert.equal(b.advertised, `${b.host}:${b.port}`);
      }
      timings.push(
        `pattern 2, consumer c2, 3 brokers + canary: ${r.ms} ms (canary ${r.report.canary?.ms} ms)`,
      );
    });

    it('the SCRAM password is in no saved plan, state, log line, JSON event or report', async function () {
      this.timeout(120_000);
      const secret = tb.scram.password;
      assert.ok(secret.length >= 8, 'a password worth looking for');
      const planFile = `${statePath}.plan.json`;
      const plan = await run(['plan', '--config', file, '--out', planFile, '--verbose'], 0);
      const again = await run(['apply', '--config', file, '--auto-approve', '--json', '--verbose'], 0);
      const status = await run(['status', '--config', file, '--json'], 0);
      const probed = await probe(file, 1, 0);
      const texts: Array<[string, string]> = [
        ['apply output', printed.join('\n')],
        ['plan output', plan.out + plan.err],
        ['saved plan', await readFile(planFile, 'utf8')],
        ['apply --json events', again.out + again.err],
        ['status', status.out + status.err],
        ['state', await readFile(statePath, 'utf8')],
        ['probe report', JSON.stringify(probed.report)],
      ];
      for (const [what, text] of texts) {
        assert.ok(text.length > 0, `${what} is not empty`);
        assert.ok(!text.includes(secret), `${what} holds the SCRAM password`);
      }
      // The verbose apply did use the SCRAM admin client (the password was in play).
      assert.match(printed.join('\n'), /sasl_scram|SCRAM/i);
    });

    it("destroy puts the brokers' listener settings back", async function () {
      this.timeout(180_000);
      await run(['destroy', '--config', file, '--auto-approve'], 0);
      applied = false;
      assert.deepEqual(
        await brokerListeners(tb),
        originals,
        "the brokers' listener settings are the originals",
      );
    });
  });
});
