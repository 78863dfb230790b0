// Issue 5's acceptance against the shared testbed: pattern 1 and pattern 2 with two consumer
// accounts, the probe passing from each consumer's DNS view with TLS verified and the canary round
// trip; then each failure provoked for real (record deleted, endpoint proxy stopped, name pointed
// elsewhere, endpoint pending acceptance, advertised port put back, TLS name mismatch) and the
// probe naming the right step and hint within 5 s.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { CreateVpcEndpointCommand, DeleteVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, type RRType } from '@aws-sdk/client-route-53';
import { describeBroker, withAdmin, writeDynamic, type KafkaAccess } from '../../src/kafka/admin.js';
import { TAG_ID, TAG_STACK } from '../../src/kinds/kind.js';
import type { ProbeReport } from '../../src/probe/types.js';
import { cliExpect, dnsOf as dnsOfAccount, writeStackConfig } from '../support/e2e.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';

interface StateEntry {
  kind: string;
  account: string;
  physicalId?: string;
  props: Record<string, unknown>;
  outputs: Record<string, unknown>;
}
interface StateFile {
  resources: Record<string, StateEntry>;
}

const FAIL_BUDGET_MS = 5000;

describe('e2e: probe (issue 5 acceptance)', function () {
  this.timeout(240_000);
  let tb: Testbed;
  const timings: string[] = [];

  before(async function () {
    this.timeout(180_000);
    tb = await getTestbed({ reset: true });
  });

  after(() => {
    if (timings.length > 0)
      console.log(`      probe timings:\n${timings.map((t) => `        ${t}`).join('\n')}`);
  });

  const dnsOf = (account: string): string => dnsOfAccount(tb, account);
  const consumerAccount = (i: number) => tb.accounts.consumers[i] as string;

  const run = (argv: string[], expected: number) => cliExpect(tb, argv, expected);

  /** probe --json from consumer `i`'s DNS view; returns the report and the wall time. */
  async function probe(
    file: string,
    i: number,
    expected: 0 | 1,
    extra: string[] = [],
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
        dnsOf(consumerAccount(i)),
        '--ca',
        tb.caPath,
        '--json',
        ...extra,
      ],
      expected,
    );
    return { report: JSON.parse(r.out) as ProbeReport, ms: Date.now() - t0 };
  }

  const readState = async (statePath: string) => JSON.parse(await readFile(statePath, 'utf8')) as StateFile;
  const entry = (s: StateFile, id: string): StateEntry => {
    const e = s.resources[id];
    assert.ok(e, `state has no ${id}`);
    return e;
  };
  const out = (e: StateEntry, k: string): string => {
    const v = e.outputs[k] ?? (k === 'zoneId' ? e.physicalId : undefined);
    assert.equal(typeof v, 'string', `${k} of ${JSON.stringify(e)}`);
    return v as string;
  };

  function assertAllPass(report: ProbeReport, canary: boolean): void {
    assert.equal(report.ok, true, JSON.stringify(report, null, 2));
    assert.equal(report.brokers.length, 3);
    for (const b of report.brokers) {
      assert.deepEqual(
        { dns: b.steps.dns, tcp: b.steps.tcp, tls: b.steps.tls, kafka: b.steps.kafka },
        { dns: 'ok', tcp: 'ok', tls: 'ok', kafka: 'ok' },
      );
      assert.equal(b.error, null);
      assert.equal(b.hint, null);
      assert.ok(b.addresses.length > 0);
    }
    if (canary) {
      assert.equal(report.canary?.produced, 1);
      assert.equal(report.canary?.consumed, 1);
      assert.equal(report.canary?.deleted, true);
    }
  }

  /** The one broker that failed, with the step and hint expected, within the budget. */
  function assertFailure(
    label: string,
    r: { report: ProbeReport; ms: number },
    brokerId: number | null,
    step: string,
    hint: RegExp,
  ): void {
    timings.push(`${label}: ${r.ms} ms`);
    assert.equal(r.report.ok, false);
    const b = r.report.brokers.find((x) => x.id === brokerId);
    assert.ok(b, `broker ${brokerId} in ${JSON.stringify(r.report)}`);
    assert.equal(b.failedStep, step, JSON.stringify(b, null, 2));
    assert.equal(b.steps[step as keyof typeof b.steps], 'failed');
    assert.match(b.hint ?? '', hint, JSON.stringify(b, null, 2));
    assert.ok(r.ms < FAIL_BUDGET_MS, `${label} took ${r.ms} ms, budget ${FAIL_BUDGET_MS}`);
    if (brokerId !== null)
      for (const o of r.report.brokers.filter((x) => x.id !== brokerId))
        assert.equal(o.failedStep, null, `only broker ${brokerId} should fail: ${JSON.stringify(o)}`);
  }

  async function changeRecord(
    account: string,
    zoneId: string,
    action: 'CREATE' | 'DELETE' | 'UPSERT',
    name: string,
    target: { alias: { dnsName: string; zoneId: string } } | { ip: string },
  ): Promise<void> {
    const c = tb.clients(account);
    try {
      await c.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: action,
                ResourceRecordSet: {
                  Name: name,
                  Type: 'A' as RRType,
                  ...('ip' in target
                    ? { TTL: 0, ResourceRecords: [{ Value: target.ip }] }
                    : {
                        AliasTarget: {
                          DNSName: target.alias.dnsName,
                          HostedZoneId: target.alias.zoneId,
                          EvaluateTargetHealth: false,
                        },
                      }),
                },
              },
            ],
          },
        }),
      );
    } finally {
      c.destroy();
    }
    await tb.network.reconcileNow();
  }

  describe('pattern 1, two consumer accounts', () => {
    let file: string;
    let statePath: string;

    before(async function () {
      this.timeout(180_000);
      ({ file, statePath } = await writeStackConfig(tb, { name: 'probe1', pattern: 1 }));
      await run(['apply', '--config', file, '--auto-approve'], 0);
      await tb.network.reconcileNow();
    });

    after(async function () {
      this.timeout(180_000);
      await run(['destroy', '--config', file, '--auto-approve'], 0);
    });

    it('passes for every broker from both consumers, TLS verified, with the canary round trip', async () => {
      for (const i of [0, 1]) {
        const r = await probe(file, i, 0, ['--canary']);
        assertAllPass(r.report, true);
        assert.equal(r.report.consumer, `c${i + 1}`);
        timings.push(
          `pattern 1, consumer c${i + 1}, 3 brokers + canary: ${r.ms} ms (canary ${r.report.canary?.ms} ms: ${JSON.stringify(r.report.canary?.phases)})`,
        );
      }
      const plain = await probe(file, 0, 0);
      timings.push(`pattern 1, 3 brokers, no canary: ${plain.ms} ms (probe ${plain.report.ms} ms)`);
      // The endpoint addresses differ per broker in pattern 1 and per consumer account.
      const [a, b] = [await probe(file, 0, 0), await probe(file, 1, 0)];
      assert.notDeepEqual(a.report.brokers[0]?.addresses, b.report.brokers[0]?.addresses);
    });

    it('a deleted record: dns fails, the record is missing from the zone', async () => {
      const s = await readState(statePath);
      const zoneId = out(entry(s, 'c1/hosted-zone'), 'zoneId');
      const rec = entry(s, 'c1/dns-record/b-1');
      const ep = entry(s, 'c1/vpc-endpoint/b-1');
      const name = rec.props.name as string;
      const alias = { dnsName: out(ep, 'dnsName'), zoneId: out(ep, 'hostedZoneId') };
      await changeRecord(entry(s, 'c1/hosted-zone').account, zoneId, 'DELETE', name, { alias });
      try {
        const r = await probe(file, 0, 1);
        assertFailure(
          'record deleted',
          r,
          1,
          'dns',
          /record is missing from the stack's private hosted zone/,
        );
        assert.match(r.report.brokers[0]?.error ?? '', /does not resolve/);
      } finally {
        await changeRecord(entry(s, 'c1/hosted-zone').account, zoneId, 'CREATE', name, { alias });
      }
      await probe(file, 0, 0);
    });

    it("an endpoint's proxy stopped: tcp fails (refused, reset); blackholed: the handshake times out", async () => {
      const s = await readState(statePath);
      const endpointId = out(entry(s, 'c1/vpc-endpoint/b-2'), 'endpointId');
      try {
        await tb.network.stopEndpoint(endpointId, 'refuse');
        assertFailure(
          'proxy refusing',
          await probe(file, 0, 1),
          2,
          'tcp',
          /no listener on port 9094|proxy is down/,
        );
        await tb.network.restoreEndpoint(endpointId);
        await tb.network.stopEndpoint(endpointId, 'reset');
        assertFailure(
          'proxy resetting',
          await probe(file, 0, 1),
          2,
          'tcp',
          /accepts and drops connections on port 9094/,
        );
        // A blackhole accepts and never answers: TCP connects, the TLS handshake times out.
        await tb.network.restoreEndpoint(endpointId);
        await tb.network.stopEndpoint(endpointId, 'blackhole');
        const r = await probe(file, 0, 1, ['--timeout-ms', '2000']);
        assertFailure(
          'proxy blackholed (--timeout-ms 2000)',
          r,
          2,
          'tls',
          /nothing answers behind port 9094/,
        );
        assert.match(
          r.report.brokers.find((b) => b.id === 2)?.error ?? '',
          /no TLS handshake within 2000 ms/,
        );
      } finally {
        await tb.network.restoreEndpoint(endpointId);
      }
      await probe(file, 0, 0);
    });

    it("a name pointed at another address: dns fails, not this stack's endpoint", async () => {
      const s = await readState(statePath);
      const zone = entry(s, 'c1/hosted-zone');
      const zoneId = out(zone, 'zoneId');
      const name = entry(s, 'c1/dns-record/b-3').props.name as string;
      const own = entry(s, 'c1/vpc-endpoint/b-3');
      const other = entry(s, 'c1/vpc-endpoint/b-1');
      try {
        await changeRecord(zone.account, zoneId, 'UPSERT', name, { ip: '127.0.0.99' });
        const r1 = await probe(file, 0, 1);
        assertFailure(
          'record to 127.0.0.99',
          r1,
          3,
          'dns',
          /not this stack's endpoint: another private hosted zone/,
        );
        assert.match(
          r1.report.brokers[2]?.error ?? '',
          /resolves to 127\.0\.0\.99, not to this stack's endpoint/,
        );
        await changeRecord(zone.account, zoneId, 'UPSERT', name, {
          alias: { dnsName: out(other, 'dnsName'), zoneId: out(other, 'hostedZoneId') },
        });
        const r2 = await probe(file, 0, 1);
        assertFailure("record to broker 1's endpoint", r2, 3, 'dns', /points at broker 1's endpoint vpce-/);
      } finally {
        await changeRecord(zone.account, zoneId, 'UPSERT', name, {
          alias: { dnsName: out(own, 'dnsName'), zoneId: out(own, 'hostedZoneId') },
        });
      }
      await probe(file, 0, 0);
    });

    it('an endpoint left pending acceptance: the hint says so', async () => {
      // What a re-run apply leaves when it dies between a replacement endpoint and its acceptance:
      // the old endpoint gone, a new one of the stack (same tags) waiting for the provider.
      const s = await readState(statePath);
      const own = entry(s, 'c1/vpc-endpoint/b-3');
      const service = entry(s, 'b-3/endpoint-service');
      const c = tb.clients(own.account);
      let pendingId: string | undefined;
      try {
        await c.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [out(own, 'endpointId')] }));
        const created = await c.ec2.send(
          new CreateVpcEndpointCommand({
            VpcEndpointType: 'Interface',
            VpcId: own.props.vpcId as string,
            ServiceName: out(service, 'serviceName'),
            SubnetIds: own.props.subnetIds as string[],
            TagSpecifications: [
              {
                ResourceType: 'vpc-endpoint',
                Tags: [
                  { Key: TAG_STACK, Value: 'probe1' },
                  { Key: TAG_ID, Value: 'c1/vpc-endpoint/b-3' },
                ],
              },
            ],
          }),
        );
        pendingId = created.VpcEndpoint?.VpcEndpointId;
        assert.equal(created.VpcEndpoint?.State, 'pendingAcceptance');
        await tb.network.reconcileNow();
        const r = await probe(file, 0, 1);
        assertFailure('endpoint pending acceptance', r, 3, 'dns', /still pending acceptance/);
        assert.match(r.report.brokers[2]?.hint ?? '', new RegExp(pendingId ?? 'none'));
      } finally {
        if (pendingId) await c.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [pendingId] }));
        c.destroy();
      }
      // apply recreates and accepts the endpoint, and the record follows it.
      await run(['apply', '--config', file, '--auto-approve'], 0);
      await tb.network.reconcileNow();
      await probe(file, 0, 0);
    });
  });

  describe('pattern 2 (rewrite), two consumer accounts', () => {
    let file: string;
    let statePath: string;

    before(async function () {
      this.timeout(180_000);
      ({ file, statePath } = await writeStackConfig(tb, { name: 'probe2', pattern: 2 }));
      await run(['apply', '--config', file, '--auto-approve'], 0);
      await tb.network.reconcileNow();
    });

    after(async function () {
      this.timeout(180_000);
      await run(['destroy', '--config', file, '--auto-approve'], 0);
    });

    it('passes for every broker from both consumers on their advertised ports, with the canary', async () => {
      const s = await readState(statePath);
      for (const i of [0, 1]) {
        const r = await probe(file, i, 0, ['--canary']);
        assertAllPass(r.report, true);
        for (const b of r.report.brokers) {
          const planned = (
            entry(s, `b-${b.id}/broker-listener-config`).props.listeners as Array<{ advertisedPort: number }>
          )[0];
          assert.equal(b.port, planned?.advertisedPort);
          assert.equal(b.advertised, `${b.host}:${b.port}`);
        }
        timings.push(
          `pattern 2, consumer c${i + 1}, 3 brokers + canary: ${r.ms} ms (canary ${r.report.canary?.ms} ms: ${JSON.stringify(r.report.canary?.phases)})`,
        );
      }
    });

    it("a broker's advertised port put back: kafka fails, advertised port differs from the plan", async () => {
      const broker = tb.kafka.brokers.find((b) => b.id === 2);
      assert.ok(broker);
      const access: KafkaAccess = {
        brokers: tb.kafka.brokers.map((b) => ({ id: b.id, host: b.host, ip: b.ip })),
        listener: { port: 9094, ssl: { ca: [tb.caPem], rejectUnauthorized: true } },
      };
      // Drop the per-broker advertised.listeners override: the broker advertises its static 9094 again.
      await withAdmin(access, async (admin) => {
        const cfg = await describeBroker(admin, 2);
        const rest = cfg.dynamic
          .filter((e) => e.name !== 'advertised.listeners')
          .map((e) => ({ name: e.name, value: e.value as string }));
        await writeDynamic(admin, 2, rest);
      });
      try {
        const r = await probe(file, 0, 1);
        assertFailure('advertised port reverted', r, 2, 'kafka', /advertised port differs from the plan/);
        assert.match(
          r.report.brokers[1]?.error ?? '',
          /advertises b-2\.[^ ]+:9094, the plan says b-2\.[^ ]+:900\d/,
        );
      } finally {
        await run(['apply', '--config', file, '--auto-approve'], 0);
      }
      await probe(file, 0, 0);
    });

    it('an endpoint DNS name instead of the broker name: tls fails with the name mismatch', async () => {
      const s = await readState(statePath);
      const dnsName = out(entry(s, 'c1/vpc-endpoint'), 'dnsName');
      const t0 = Date.now();
      const r = await run(
        [
          'probe',
          '--bootstrap',
          `${dnsName}:9094`,
          '--dns-server',
          dnsOf(consumerAccount(0)),
          '--ca',
          tb.caPath,
          '--json',
        ],
        1,
      );
      const report = JSON.parse(r.out) as ProbeReport;
      assertFailure(
        'TLS name mismatch (endpoint name)',
        { report, ms: Date.now() - t0 },
        null,
        'tls',
        /TLS name mismatch/,
      );
      assert.equal(report.brokers[0]?.steps.dns, 'ok');
      assert.equal(report.brokers[0]?.steps.tcp, 'ok');
    });

    it('--bootstrap with a broker name lists every broker from metadata and passes', async () => {
      const host = tb.kafka.brokers[0]?.host as string;
      const r = await run(
        [
          'probe',
          '--bootstrap',
          `${host}:9094`,
          '--dns-server',
          dnsOf(consumerAccount(1)),
          '--ca',
          tb.caPath,
          '--json',
        ],
        0,
      );
      const report = JSON.parse(r.out) as ProbeReport;
      assert.equal(report.mode, 'bootstrap');
      assert.deepEqual(
        report.brokers.map((b) => b.id),
        [1, 2, 3],
      );
      assert.ok(report.brokers.every((b) => b.port >= 9001 && b.port <= 9010));
    });
  });
});
