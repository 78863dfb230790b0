// SASL/SCRAM end to end against the shared testbed (its Kafka cluster listens on 9096 like MSK's
// CLIENT_SASL_SCRAM, with a user made at start): the MSK twin answers the SCRAM bootstrap string;
// pattern 1 over sasl_scram from both consumer accounts passes the probe's auth step and the canary,
// a wrong password fails at auth with the credentials hint; pattern 2 (rewrite) reaches the brokers'
// admin API over SCRAM (the legacy AlterConfigs path), the probe passes on the advertised ports, and
// destroy puts the brokers' listener settings back.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { GetBootstrapBrokersCommand } from '@aws-sdk/client-kafka';
import type { ProbeReport } from '../../src/probe/types.js';
import { cliExpect, writeStackConfig } from '../support/e2e.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';
import { brokerListeners, type BrokerListeners, type StateFile } from './support-lifecycle.js';

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
