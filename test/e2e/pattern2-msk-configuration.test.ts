// Issue 10's acceptance: pattern 2 in msk-configuration mode, on the ZooKeeper cluster (the shared
// testbed) and on a KRaft cluster (a testbed of its own), two consumer accounts each. Apply sets
// MSK's custom.advertised.listeners through the MSK twin, which restarts the real brokers one at a
// time with the resolved listeners; two independent clients (kafkajs and Kafka's own Java
// BrokerApiVersionsCommand, standing in for kcat, which this machine does not have) then see every
// broker at portBase + id; the probe passes from both consumers with TLS verified and a canary;
// destroy puts the previous configuration back and the brokers advertise 9094 again. On KRaft a
// fourth broker joins the running cluster: the next plan adds only what that broker needs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DescribeClusterV2Command, KafkaClient } from '@aws-sdk/client-kafka';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { getTestbed } from '../testbed/shared.js';
import { startTestbed, type Testbed } from '../testbed/testbed.js';
import { pinnedSocketFactory } from '../testbed/kafka/cluster.js';
import { resolvingSocketFactory } from '../testbed/kafka/socket-factory.js';
import { queryDns } from '../testbed/network/dns-client.js';
import { directSocketFactory } from '../../src/kafka/admin.js';
import { cli, cliExpect, writeStackConfig } from '../support/e2e.js';
import { taggedWithStack } from './support-lifecycle.js';
import type { ProbeReport } from '../../src/probe/types.js';

const execFileP = promisify(execFile);

/** A broker's PrivateLink name, what msk-configuration mode makes it advertise: b-<id>-pl.<domain>. */
const pl = (host: string): string => host.replace(/^(b-\d+)\./, '$1-pl.');

/** What the brokers advertise on CLIENT_SECURE, seen by kafkajs over TLS at the brokers' own addresses. */
async function advertisedByKafkajs(tb: Testbed): Promise<Map<number, string>> {
  const kafka = new Kafka({
    clientId: 'e2e-metadata',
    brokers: [tb.kafka.brokers[0] as { host: string }].map((b) => `${b.host}:9094`),
    ssl: { ca: [tb.caPem] },
    // Broker names to their own IPs, on the port MSK really listens on (9094): the advertised
    // ports are only for the NLB, this client stands beside the brokers.
    socketFactory: directSocketFactory(tb.kafka.brokers, 9094, { ca: [tb.caPem] }),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    return new Map(brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Kafka's own Java client (kafka-broker-api-versions) against one broker's IP: its output names each
 * broker as `host:port (id: N rack: ...)` from the metadata it was given.
 */
async function advertisedByJava(tb: Testbed): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mpl-java-'));
  const props = path.join(dir, 'client.properties');
  await writeFile(
    props,
    ['security.protocol=SSL', 'ssl.truststore.type=PEM', `ssl.truststore.location=${tb.caPath}`, ''].join(
      '\n',
    ),
  );
  const first = tb.kafka.brokers[0] as { host: string };
  const lib = path.resolve('.cache/kafka/lib/*');
  // Only the bootstrap connection is needed: the tool prints metadata's brokers, then asks each
  // for its API versions (refused at their NLB ports here, which it reports per broker).
  const { stdout } = await execFileP(
    'java',
    [
      `-Djdk.net.hosts.file=${tb.kafka.hostsFile}`,
      '-cp',
      lib,
      'kafka.admin.BrokerApiVersionsCommand',
      '--bootstrap-server',
      `${first.host}:9094`,
      '--command-config',
      props,
    ],
    { timeout: 60_000 },
  ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return stdout;
}

async function configurationOf(tb: Testbed): Promise<{ arn?: string; revision?: number }> {
  const kafka = new KafkaClient(tb.clientConfig(tb.accounts.provider));
  try {
    const info = (await kafka.send(new DescribeClusterV2Command({ ClusterArn: tb.clusterArn }))).ClusterInfo;
    const sw = info?.Provisioned?.CurrentBrokerSoftwareInfo;
    return { arn: sw?.ConfigurationArn, revision: sw?.ConfigurationRevision };
  } finally {
    kafka.destroy();
  }
}

interface LoopCounts {
  /** The broker asked for answered. */
  right: number;
  /** Another broker answered (Kafka: "Unexpected broker id"): must stay 0. */
  wrong: number;
  /** No answer (a name not resolving, a refused or reset connection, a broker restarting). */
  none: number;
  /** SASL/SCRAM client (a listener the stack does not cover) attempts that failed, and that worked. */
  scramFailed: number;
  scramOk: number;
  /** Why SCRAM rounds failed (kafkajs' error names and messages). */
  scramErrors: string[];
  /** Whether the last SCRAM round worked (after the restarts). */
  scramLastOk: boolean;
}

/**
 * A client inside the MSK VPC, in a loop until stopped: for each broker, it reads what the broker
 * advertises on CLIENT_SECURE (from the broker itself), resolves that name the way the MSK VPC
 * does (the provider account's private zones, else MSK's own DNS: the brokers' addresses), connects
 * there with TLS verified and asks for broker N's own configuration, which only broker N serves
 * (Kafka answers another broker id with "Unexpected broker id"). Beside it, a SASL/SCRAM client
 * bootstraps on the brokers' own names (the stand-in for an IAM client: this testbed's Kafka has
 * no IAM) and must keep working, retrying as Kafka clients do while a broker restarts.
 */
function providerVpcLoop(tb: Testbed): { stop(): Promise<LoopCounts> } {
  const counts: LoopCounts = {
    right: 0,
    wrong: 0,
    none: 0,
    scramFailed: 0,
    scramOk: 0,
    scramErrors: [],
    scramLastOk: false,
  };
  const dns = tb.network.dnsByAccount[tb.accounts.provider];
  assert.ok(dns, 'the provider account has a DNS view');
  let running = true;
  const resolve = async (host: string): Promise<string | undefined> => {
    const r = await queryDns(dns, host).catch(() => undefined);
    return r?.addresses[0] ?? tb.kafka.addresses[host.toLowerCase()];
  };
  const quiet = { logLevel: logLevel.NOTHING, connectionTimeout: 1500, requestTimeout: 3000 } as const;
  const oneBroker = async (id: number): Promise<void> => {
    const seen = await advertisedByKafkajs(tb).catch(() => undefined);
    const address = seen?.get(id);
    if (address === undefined) return void counts.none++;
    const at = address.lastIndexOf(':');
    const host = address.slice(0, at);
    const port = Number(address.slice(at + 1));
    const ip = await resolve(host);
    if (ip === undefined) return void counts.none++;
    const admin = new Kafka({
      clientId: 'provider-vpc-loop',
      brokers: [`${host}:${port}`],
      ssl: { ca: [tb.caPem], rejectUnauthorized: true },
      socketFactory: pinnedSocketFactory({ ip, port, servername: host }),
      retry: { retries: 0 },
      ...quiet,
    }).admin();
    try {
      await admin.connect();
      await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.BROKER, name: String(id) }],
        includeSynonyms: false,
      });
      counts.right++;
    } catch (e) {
      if (
        /Unexpected broker id/i.test(String((e as Error).message)) ||
        (e as { type?: string }).type === 'INVALID_REQUEST'
      )
        counts.wrong++;
      else counts.none++;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
  const scram = async (): Promise<void> => {
    const brokers = tb.kafka.brokers.map((b) => ({ host: b.host, ip: b.ip }));
    const admin = new Kafka({
      clientId: 'provider-vpc-scram',
      brokers: brokers.map((b) => `${b.host}:9096`),
      ssl: { ca: [tb.caPem], rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: tb.scram.username, password: tb.scram.password },
      socketFactory: resolvingSocketFactory(async (h) => (await resolve(h)) ?? ''),
      // As patient as a Kafka client is by default (the Java client retries for minutes): MSK's
      // rolling restart takes each broker away for seconds whatever this tool does.
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
      ...quiet,
    }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      counts.scramOk++;
      counts.scramLastOk = true;
    } catch (e) {
      counts.scramFailed++;
      counts.scramLastOk = false;
      counts.scramErrors.push(`${(e as Error).name}: ${(e as Error).message}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
  const loops = [
    ...tb.kafka.brokers.map((b) => async () => {
      while (running) await oneBroker(b.id);
    }),
    async () => {
      while (running) await scram();
    },
  ].map((f) => f());
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return counts;
    },
  };
}

function acceptance(
  label: string,
  testbed: () => Promise<Testbed>,
  opts: { addBroker: boolean; providerLoop: boolean },
) {
  describe(`e2e: pattern 2, msk-configuration mode, ${label} (issue 10 acceptance)`, function () {
    this.timeout(600_000);
    let tb: Testbed;
    const figures: string[] = [];

    before(async function () {
      this.timeout(300_000);
      tb = await testbed();
    });

    after(() => {
      if (figures.length > 0) console.log(`      ${figures.join('\n      ')}`);
    });

    const run = (argv: string[], expected: number) => cliExpect(tb, argv, expected);

    async function probeAll(file: string, brokers: number): Promise<void> {
      // The network twin follows AWS on its own poll (every 500 ms): an apply that ends right after
      // a new listener is made must not be probed before a pass has seen it.
      await tb.network.reconcileNow();
      for (const [i, account] of tb.accounts.consumers.entries()) {
        const d = tb.network.dnsByAccount[account];
        assert.ok(d, `no DNS server for ${account}`);
        const r = await cli(tb, [
          'probe',
          '--config',
          file,
          '--consumer',
          `c${i + 1}`,
          '--dns-server',
          `${d.host}:${d.port}`,
          '--ca',
          tb.caPath,
          '--canary',
          '--json',
        ]);
        const report = JSON.parse(r.out) as ProbeReport;
        assert.equal(report.ok, true, JSON.stringify(report, null, 2));
        assert.equal(report.brokers.length, brokers);
        for (const b of report.brokers) {
          assert.equal(b.steps.tls, 'ok');
          assert.equal(b.advertised, `${b.host}:${9000 + (b.id ?? 0)}`);
          assert.match(b.host, /^b-\d+-pl\./, 'the broker is reached by its PrivateLink name');
          assert.equal(b.port, 9000 + (b.id ?? 0), `c${i + 1} broker ${b.id} probed on ${b.port}`);
        }
        assert.equal(report.canary?.produced, 1);
        assert.equal(report.canary?.consumed, 1);
      }
    }

    it(
      `applies with ${opts.providerLoop ? 'an MSK VPC client watching, ' : ''}brokers advertising portBase + id to kafkajs and Kafka's Java client; ` +
        `both consumers probe with TLS and a canary; ${opts.addBroker ? 'a fourth broker adds only what it needs; ' : ''}destroy restores 9094`,
      async () => {
        const stack = `p2c-${label.toLowerCase()}`;
        const { file } = await writeStackConfig(tb, { name: stack, pattern: 2, mode: 'default' });
        const before = await configurationOf(tb);
        const plan = await run(['plan', '--config', file, '--json'], 2);
        const planned = JSON.parse(plan.out) as {
          changes: Array<{ kind: string }>;
          findings: Array<{ code: string; message: string }>;
        };
        assert.ok(planned.changes.some((c) => c.kind === 'cluster-configuration'));
        assert.match(planned.findings.find((f) => f.code === 'MPL301')?.message ?? '', /msk-configuration/);

        // Apply, with a client inside the MSK VPC going round the brokers all along.
        let loop = opts.providerLoop ? providerVpcLoop(tb) : undefined;
        let t = Date.now();
        await run(['apply', '--config', file, '--auto-approve'], 0);
        figures.push(`${label}: apply with the rolling restart ${((Date.now() - t) / 1000).toFixed(1)} s`);
        const duringApply = await loop?.stop();
        const seen = await advertisedByKafkajs(tb);
        for (const b of tb.kafka.brokers)
          assert.equal(seen.get(b.id), `${pl(b.host)}:${9000 + b.id}`, `kafkajs, broker ${b.id}`);
        const java = await advertisedByJava(tb);
        for (const b of tb.kafka.brokers) {
          assert.match(
            java,
            new RegExp(`${pl(b.host).replace(/\./g, '\\.')}:${9000 + b.id} \\(id: ${b.id} `),
            `java, broker ${b.id}`,
          );
        }
        const during = await configurationOf(tb);
        assert.ok(during.arn?.includes(`configuration/mpl-${stack}/`), JSON.stringify(during));
        await probeAll(file, tb.kafka.brokers.length);
        assert.match((await run(['plan', '--config', file], 0)).out, /No changes/);

        if (opts.addBroker) {
          t = Date.now();
          const added = await tb.addBroker();
          figures.push(`${label}: broker ${added.id} added in ${((Date.now() - t) / 1000).toFixed(1)} s`);
          assert.equal(added.id, 4);
          // MSK gives the new broker the property by itself: it advertises its port already.
          assert.equal((await advertisedByKafkajs(tb)).get(4), `${pl(added.host)}:9004`);
          const next = JSON.parse((await run(['plan', '--config', file, '--json'], 2)).out) as {
            changes: Array<{ action: string; kind: string; id: string }>;
          };
          const changed = next.changes.filter((c) => c.action !== 'noop');
          assert.ok(changed.some((c) => c.id === 'b-4/listener/tls' && c.action === 'create'));
          assert.ok(changed.some((c) => c.id === 'b-4/target-group/tls' && c.action === 'create'));
          assert.ok(!changed.some((c) => c.kind === 'cluster-configuration'), 'the configuration stays');
          // Everything else that changes is broker 4's (its names, its zone), or takes it in: the
          // bootstrap group and the security groups.
          for (const c of changed) {
            assert.ok(
              /b-4/.test(c.id) ||
                c.id.startsWith('bootstrap/target-group/') ||
                c.kind.startsWith('security-group'),
              `unexpected change ${c.action} ${c.id}`,
            );
          }
          await run(['apply', '--config', file, '--auto-approve'], 0);
          await probeAll(file, 4);
        }

        loop = opts.providerLoop ? providerVpcLoop(tb) : undefined;
        t = Date.now();
        await run(['destroy', '--config', file, '--auto-approve'], 0);
        figures.push(
          `${label}: destroy with the rolling restart back ${((Date.now() - t) / 1000).toFixed(1)} s`,
        );
        const duringDestroy = await loop?.stop();
        for (const [when, c] of [
          ['apply', duringApply],
          ['destroy', duringDestroy],
        ] as const) {
          if (c === undefined) continue;
          figures.push(`${label}: MSK VPC client during ${when}: ${JSON.stringify(c)}`);
          assert.equal(c.wrong, 0, `${when}: a broker's name never led to another broker`);
          assert.ok(c.right > 20, `${when}: the loop ran (${c.right} right answers)`);
          // MSK's rolling restart takes each broker away for seconds: a round may fail while one
          // goes (at most one per broker); the client keeps working and works at the end.
          assert.ok(
            c.scramFailed <= 3,
            `${when}: ${c.scramFailed} SCRAM rounds failed: ${c.scramErrors.join('; ')}`,
          );
          assert.ok(c.scramOk > 5, `${when}: ${c.scramOk} SCRAM rounds`);
          assert.ok(c.scramLastOk, `${when}: the last SCRAM round failed: ${c.scramErrors.join('; ')}`);
        }
        const back = await advertisedByKafkajs(tb);
        for (const b of tb.kafka.brokers)
          assert.equal(back.get(b.id), `${b.host}:9094`, `after destroy, broker ${b.id}`);
        if (before.arn !== undefined)
          assert.deepEqual(await configurationOf(tb), before, 'the previous configuration is back');
        assert.deepEqual(await taggedWithStack(tb, stack), []);
      },
    );
  });
}

acceptance('ZooKeeper', () => getTestbed({ reset: true }), { addBroker: false, providerLoop: true });

let kraft: Testbed | undefined;
acceptance(
  'KRaft',
  async () =>
    (kraft ??= await startTestbed({
      kafka: { metadataMode: 'kraft', ipPrefix: '127.0.21' },
      endpointIpPrefix: '127.0.22',
    })),
  { addBroker: true, providerLoop: false },
);
after(async function () {
  this.timeout(60_000);
  await kraft?.stop();
});
