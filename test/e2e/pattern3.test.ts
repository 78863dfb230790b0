// Issue 11's acceptance: pattern 3 (PrivateLink VPC resources) against the shared testbed (the AWS
// twin with a provider and two consumer accounts, the real 3-broker Kafka cluster, the network twin
// serving each resource endpoint's children and VPC Lattice's managed names): apply with no NLB and
// no endpoint service, the AWS CLI's read-back, the probe from both consumers with TLS verified and a
// canary, a no-change plan with zero mutating calls, a broker's IP changed with DNS and with IP
// targets, kills at three points resumed with no duplicate, and destroy leaving nothing tagged.
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';
import { cli, cliExpect, dnsOf as dnsOfAccount, writeStackConfig } from '../support/e2e.js';
import { cleanupStack, crashAndResume, newStack, nth, type StackUnderTest } from '../support/crash.js';
import { awsCli, taggedWithStack } from './support-lifecycle.js';
import type { ProbeReport } from '../../src/probe/types.js';

interface StatusJson {
  inSync: boolean;
  drift: Array<{ id: string; kind: string; account: string; drift: string; detail: string }>;
}

describe('e2e: pattern 3, PrivateLink VPC resources (issue 11 acceptance)', function () {
  this.timeout(240_000);
  let tb: Testbed;
  const figures: string[] = [];

  before(async function () {
    this.timeout(180_000);
    tb = await getTestbed({ reset: true });
  });

  after(() => {
    if (figures.length > 0) console.log(`      ${figures.join('\n      ')}`);
  });

  const run = (argv: string[], expected: number) => cliExpect(tb, argv, expected);

  const dnsOf = (account: string): string => dnsOfAccount(tb, account);

  async function probe(file: string, i: number, extra: string[] = []): Promise<ProbeReport> {
    const account = tb.accounts.consumers[i] as string;
    const r = await cli(tb, [
      'probe',
      '--config',
      file,
      '--consumer',
      `c${i + 1}`,
      '--dns-server',
      dnsOf(account),
      '--ca',
      tb.caPath,
      '--json',
      ...extra,
    ]);
    const report = JSON.parse(r.out) as ProbeReport;
    return report;
  }

  function assertAllPass(report: ProbeReport, canary: boolean): void {
    assert.equal(report.ok, true, JSON.stringify(report, null, 2));
    assert.equal(report.brokers.length, 3);
    for (const b of report.brokers) {
      assert.deepEqual(
        { dns: b.steps.dns, tcp: b.steps.tcp, tls: b.steps.tls, kafka: b.steps.kafka },
        { dns: 'ok', tcp: 'ok', tls: 'ok', kafka: 'ok' },
      );
    }
    if (canary) {
      assert.equal(report.canary?.produced, 1);
      assert.equal(report.canary?.consumed, 1);
    }
  }

  /** Mutating calls the twin counted, STS left out. */
  async function mutating(): Promise<string[]> {
    const rows = await tb.control.counters({ mutating: true });
    return rows
      .filter((r) => r.service !== 'sts')
      .map((r) => `${r.account} ${r.service} ${r.action} x${r.calls}`);
  }

  describe('apply, read back, probe, no-change plan, destroy', () => {
    let file: string;

    before(async function () {
      this.timeout(180_000);
      ({ file } = await writeStackConfig(tb, { name: 'p3', pattern: 3 }));
      await tb.control.resetCounters();
      const t0 = Date.now();
      await run(['apply', '--config', file, '--auto-approve'], 0);
      figures.push(`pattern 3 apply (3 brokers, 2 consumers): ${Date.now() - t0} ms`);
      await tb.network.reconcileNow();
    });

    after(async function () {
      this.timeout(180_000);
      await run(['destroy', '--config', file, '--auto-approve'], 0);
      assert.deepEqual(await taggedWithStack(tb, 'p3'), [], 'nothing tagged with the stack is left');
    });

    it('made no NLB and no endpoint service, and the AWS CLI reads back the gateway, one child per broker, the share and the endpoints', async () => {
      const made = await mutating();
      for (const action of [
        'CreateLoadBalancer',
        'CreateTargetGroup',
        'CreateVpcEndpointServiceConfiguration',
      ])
        assert.ok(!made.some((m) => m.includes(` ${action} `)), `${action} was called: ${made.join('; ')}`);
      const provider = tb.accounts.provider;
      const gws = await awsCli<{ items: Array<{ name: string; status: string }> }>(tb, provider, [
        'vpc-lattice',
        'list-resource-gateways',
      ]);
      assert.deepEqual(
        gws.items.filter((g) => g.name === 'mpl-p3-gw').map((g) => g.status),
        ['ACTIVE'],
      );
      const cfgs = await awsCli<{
        items: Array<{ name: string; type: string; customDomainName?: string; groupDomain?: string }>;
      }>(tb, provider, ['vpc-lattice', 'list-resource-configurations']);
      const mine = cfgs.items.filter((c) => c.name.startsWith('mpl-p3-'));
      assert.equal(mine.filter((c) => c.type === 'GROUP').length, 1);
      const children = mine.filter((c) => c.type === 'CHILD');
      assert.deepEqual(
        children.map((c) => c.customDomainName).sort(),
        tb.scenario.cluster.brokers.map((b) => b.endpoint.toLowerCase()).sort(),
      );
      const shares = await awsCli<{ resourceShares: Array<{ name: string; status: string }> }>(tb, provider, [
        'ram',
        'get-resource-shares',
        '--resource-owner',
        'SELF',
      ]);
      assert.deepEqual(
        shares.resourceShares.filter((s) => s.name === 'mpl-p3-brokers').map((s) => s.status),
        ['ACTIVE'],
      );
      // The sweep destroy is checked with sees every pattern 3 kind while they exist.
      const tagged = await taggedWithStack(tb, 'p3');
      for (const kind of ['resource-gateway', 'resource-configuration', 'resource-share', 'vpc-endpoint'])
        assert.ok(
          tagged.some((line) => line.includes(` ${kind} `)),
          `the tag sweep finds a ${kind}: ${tagged.join('; ')}`,
        );
      for (const consumer of tb.accounts.consumers) {
        const eps = await awsCli<{
          VpcEndpoints: Array<{ VpcEndpointType: string; State: string; ResourceConfigurationArn?: string }>;
        }>(tb, consumer, ['ec2', 'describe-vpc-endpoints']);
        const resource = eps.VpcEndpoints.filter((e) => e.VpcEndpointType === 'Resource');
        assert.equal(resource.length, 1, `one resource endpoint in ${consumer}`);
        assert.equal(resource[0]?.State.toLowerCase(), 'available');
      }
    });

    it('the probe passes from both consumers through each broker name, TLS verified, with a canary', async () => {
      for (const i of [0, 1]) {
        const t0 = Date.now();
        assertAllPass(await probe(file, i, ['--canary']), true);
        figures.push(`pattern 3 probe with canary from c${i + 1}: ${Date.now() - t0} ms`);
      }
    });

    it('a second plan has no changes and makes zero mutating calls', async () => {
      await tb.control.resetCounters();
      const r = await run(['plan', '--config', file], 0);
      assert.match(r.out, /No changes/);
      assert.deepEqual(await mutating(), []);
    });

    it('with DNS targets a broker whose IP changed needs nothing: status in sync, the probe follows it', async () => {
      const moved = await withMovedBroker(async () => {
        await tb.network.reconcileNow();
        const s = JSON.parse((await run(['status', '--config', file, '--json'], 0)).out) as StatusJson;
        assert.equal(s.inSync, true, JSON.stringify(s.drift));
        assertAllPass(await probe(file, 0), false);
      });
      assert.ok(moved.connections > 0, 'broker 2 was reached at its new address');
    });
  });

  describe("the stack's own zones (pattern3.dns: zone)", () => {
    let file: string;

    before(async function () {
      this.timeout(180_000);
      ({ file } = await writeStackConfig(tb, {
        name: 'p3z',
        pattern: 3,
        extra: { pattern3: { dns: 'zone' } },
      }));
      await run(['apply', '--config', file, '--auto-approve'], 0);
      await tb.network.reconcileNow();
    });

    after(async function () {
      this.timeout(180_000);
      await run(['destroy', '--config', file, '--auto-approve'], 0);
      assert.deepEqual(await taggedWithStack(tb, 'p3z'), []);
    });

    it('no custom names; the probe passes from both consumers through the zones; a second plan changes nothing', async () => {
      const cfgs = await awsCli<{ items: Array<{ name: string; customDomainName?: string }> }>(
        tb,
        tb.accounts.provider,
        ['vpc-lattice', 'list-resource-configurations'],
      );
      const mine = cfgs.items.filter((c) => c.name.startsWith('mpl-p3z-'));
      assert.equal(mine.length, 4);
      assert.ok(mine.every((c) => c.customDomainName === undefined));
      for (const i of [0, 1]) assertAllPass(await probe(file, i, ['--canary']), true);
      await tb.control.resetCounters();
      assert.match((await run(['plan', '--config', file], 0)).out, /No changes/);
      assert.deepEqual(await mutating(), []);
    });
  });

  describe('IP targets', () => {
    let file: string;

    before(async function () {
      this.timeout(180_000);
      ({ file } = await writeStackConfig(tb, {
        name: 'p3ip',
        pattern: 3,
        extra: { pattern3: { target: 'ip' } },
      }));
      await run(['apply', '--config', file, '--auto-approve'], 0);
    });

    after(async function () {
      this.timeout(180_000);
      await run(['destroy', '--config', file, '--auto-approve'], 0);
      assert.deepEqual(await taggedWithStack(tb, 'p3ip'), []);
    });

    it("a broker's IP changed: status names the broker, apply repairs only its child, and the probe passes", async () => {
      const moved = await withMovedBroker(async () => {
        const r = await cli(tb, ['status', '--config', file, '--json']);
        assert.equal(r.code, 2, r.err);
        const s = JSON.parse(r.out) as StatusJson;
        assert.deepEqual(
          s.drift.map((d) => d.id),
          ['b-2/resource-configuration'],
          JSON.stringify(s.drift),
        );
        await tb.control.resetCounters();
        await run(['apply', '--config', file, '--auto-approve'], 0);
        const calls = await mutating();
        assert.deepEqual(
          calls.map((c) => c.replace(/ x\d+$/, '')),
          [`${tb.accounts.provider} vpc-lattice UpdateResourceConfiguration`],
          calls.join('; '),
        );
        await tb.network.reconcileNow();
        assertAllPass(await probe(file, 1), false);
      });
      assert.ok(moved.connections > 0, 'broker 2 was reached at its new address after the repair');
    });
  });

  describe('apply killed (SIGKILL) and resumed', () => {
    let current: StackUnderTest | undefined;

    afterEach(async function () {
      this.timeout(120_000);
      if (current && this.currentTest?.state !== 'passed') await cleanupStack(tb, current);
      current = undefined;
    });

    const cases = [
      { name: 'after the gateway', stack: 'p3k1', kill: nth('done', 'resource-gateway', 1) },
      { name: 'midway through the children', stack: 'p3k2', kill: nth('done', 'resource-configuration', 3) },
      { name: 'after the share', stack: 'p3k3', kill: nth('done', 'resource-share', 1) },
    ];
    for (const c of cases) {
      it(`${c.name}: resumes with no duplicate, and destroy leaves nothing`, async function () {
        const s = (current = await newStack(tb, c.stack, 3));
        const r = await crashAndResume(tb, s, c.kill);
        const done = r.killed.events.filter((e) => e.type === 'done').length;
        figures.push(
          `pattern 3 killed ${c.name}: ${done}/${r.planned.length} steps done at the kill, resumed ${
            r.resumed.events.filter((e) => e.type === 'done').length
          }`,
        );
        assert.equal(r.killed.signal, 'SIGKILL', `not killed (exit ${String(r.killed.code)})`);
        assert.deepEqual(r.problems, []);
        assert.deepEqual(r.redone, []);
      });
    }
  });

  /**
   * Runs `fn` while MSK reports broker 2 at a new loopback address (a replaced node), where a TCP
   * forwarder passes connections on to the real broker; puts the address back afterwards.
   */
  async function withMovedBroker(fn: () => Promise<void>): Promise<{ connections: number }> {
    const broker = tb.scenario.cluster.brokers.find((b) => b.id === 2);
    assert.ok(broker);
    const newIp = '127.0.2.200';
    const stats = { connections: 0 };
    const server: Server = createServer((socket) => {
      stats.connections++;
      const upstream = connect(9094, broker.clientVpcIp);
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(9094, newIp, resolve);
    });
    try {
      await tb.control.moveBroker(tb.clusterArn, 2, newIp);
      await fn();
    } finally {
      await tb.control.moveBroker(tb.clusterArn, 2, broker.clientVpcIp);
      await tb.network.reconcileNow().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    return stats;
  }
});
