// Issue 4 acceptance: an apply killed with SIGKILL at several points is finished by the next apply,
// with the same end state, no duplicate resource and nothing left after destroy. The built CLI runs
// as a child process against the shared testbed; its `apply --json` events say where it is. Besides
// the four points of the issue, three kills land in the middle of a create (the resource exists in
// AWS, the state does not know it), where only adoption by tags, name or caller reference prevents
// a duplicate.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import {
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DeleteVpcEndpointsCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateVpcEndpointCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointsCommand,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, DescribeTagsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListHostedZonesCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-route-53';
import { withAdmin, writeDynamic } from '../../src/kafka/admin.js';
import { TAG_STACK } from '../../src/kinds/kind.js';
import {
  brokerSnapshot,
  cleanupStack,
  cliCommand,
  crashAndResume,
  duplicatesAndGaps,
  inventory,
  kafkaAccess,
  namesFromState,
  newStack,
  nth,
  type BrokerSnapshot,
  type KillRule,
  type ScenarioResult,
  type StackUnderTest,
} from '../support/crash.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 25 ms until it answers something, or gives up after `ms`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('e2e: apply killed (SIGKILL) and resumed by the next apply', function () {
  this.timeout(180_000);
  let tb: Testbed;
  let originals: BrokerSnapshot[] = [];
  const figures: string[] = [];
  let current: StackUnderTest | undefined;

  before(async function () {
    this.timeout(180_000);
    tb = await getTestbed({ reset: true });
    originals = await brokerSnapshot(tb);
    figures.push(`CLI: ${cliCommand().which}`);
  });

  after(async function () {
    this.timeout(60_000);
    if (!tb) return;
    await tb.control.clearFaults().catch(() => undefined);
    await tb.network.resume().catch(() => undefined);
    // Leave the brokers as found, whatever a failed test did to them (other files share Kafka).
    const now = await brokerSnapshot(tb).catch(() => []);
    for (const o of originals) {
      const n = now.find((x) => x.brokerId === o.brokerId);
      if (n && JSON.stringify(n.dynamic) === JSON.stringify(o.dynamic)) continue;
      const entries = o.dynamic.map((d) => ({
        name: d.slice(0, d.indexOf('=')),
        value: d.slice(d.indexOf('=') + 1),
      }));
      await withAdmin(kafkaAccess(tb), (admin) => writeDynamic(admin, o.brokerId, entries)).catch(
        () => undefined,
      );
    }
    if (figures.length > 0) console.log(`      ${figures.join('\n      ')}`);
  });

  afterEach(async function () {
    this.timeout(120_000);
    // A failed scenario may leave resources (or an injected rule) behind: clear them for the next.
    if (current && this.currentTest?.state !== 'passed') await cleanupStack(tb, current);
    current = undefined;
  });

  /** Records the figures of a scenario and fails on its problems. */
  function report(name: string, r: ScenarioResult): void {
    const t = r.timings;
    const s = (k: string) => `${((t[k] ?? 0) / 1000).toFixed(1)}s`;
    const done = r.killed.events.filter((e) => e.type === 'done').length;
    const resumedSteps = r.resumed.events.filter((e) => e.type === 'done').length;
    figures.push(
      `${name}: killed after ${done}/${r.planned.length} steps at ${r.killed.killedAt?.type ?? '?'} ${r.killed.killedAt?.id ?? '?'} ` +
        `(${s('killedApply')}), resumed ${resumedSteps} steps (${s('resumedApply')}), checks ${s('checks')}, destroy ${s('destroy')}`,
    );
    assert.equal(
      r.killed.signal,
      'SIGKILL',
      `${name}: the apply was not killed (exit ${String(r.killed.code)})`,
    );
    assert.ok(r.killed.killedAt, `${name}: no kill point reached`);
    assert.deepEqual(r.problems, [], `${name}:\n${r.problems.join('\n')}`);
    assert.deepEqual(
      r.redone,
      [],
      `${name}: steps finished before the kill ran again: ${r.redone.join(', ')}`,
    );
  }

  /** The stack's NLBs in the provider account (by tag), with their state. */
  async function stackNlbs(stack: string): Promise<Array<{ arn: string; state: string }>> {
    const c = tb.clients(tb.accounts.provider);
    try {
      const lbs = (await c.elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
      if (lbs.length === 0) return [];
      const arns = lbs.map((l) => l.LoadBalancerArn ?? '');
      const tags =
        (await c.elbv2.send(new DescribeTagsCommand({ ResourceArns: arns.slice(0, 20) }))).TagDescriptions ??
        [];
      const ours = new Set(
        tags
          .filter((d) => (d.Tags ?? []).some((x) => x.Key === TAG_STACK && x.Value === stack))
          .map((d) => d.ResourceArn),
      );
      return lbs
        .filter((l) => ours.has(l.LoadBalancerArn))
        .map((l) => ({ arn: l.LoadBalancerArn ?? '', state: l.State?.Code ?? '' }));
    } finally {
      c.destroy();
    }
  }

  const physicalIds = (state: ScenarioResult['stateAtKill'], kind: string) =>
    Object.values(state)
      .filter((e) => e.kind === kind)
      .map((e) => e.physicalId);

  describe('pattern 1 (two consumer accounts)', function () {
    it('after the first NLB is made: resumes, and the duplicate counter catches a hand-made duplicate', async function () {
      const s = (current = await newStack(tb, 'crash-nlb', 1));
      let checked = false;
      const r = await crashAndResume(tb, s, nth('done', 'load-balancer', 1), {
        beforeDestroy: async (planned, state) => {
          // The counter must be able to fail: a second endpoint to a stack service, tagged like
          // the first, and an untagged private zone of the stack's name in another account.
          const [c1, c2] = tb.accounts.consumers as [string, string];
          const ep = Object.values(state).find((e) => e.kind === 'vpc-endpoint' && e.account === c1);
          const zone = Object.values(state).find((e) => e.kind === 'hosted-zone' && e.account === c2);
          assert.ok(ep?.physicalId && zone);
          const k1 = tb.clients(c1);
          const k2 = tb.clients(c2);
          try {
            const orig = (
              await k1.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [ep.physicalId] }))
            ).VpcEndpoints?.[0];
            assert.ok(orig);
            const dup = await k1.ec2.send(
              new CreateVpcEndpointCommand({
                VpcEndpointType: 'Interface',
                VpcId: orig.VpcId,
                ServiceName: orig.ServiceName,
                SubnetIds: orig.SubnetIds,
                TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: orig.Tags }],
              }),
            );
            const z = await k2.route53.send(
              new CreateHostedZoneCommand({
                Name: String(zone.props.name),
                CallerReference: `crash-test-dup-${Date.now()}`,
                VPC: { VPCId: tb.scenario.consumers[1]?.vpcId, VPCRegion: 'us-east-2' },
                HostedZoneConfig: { PrivateZone: true },
              }),
            );
            const problems = duplicatesAndGaps(
              await inventory(tb, s.name, namesFromState(state)),
              planned,
              state,
            );
            assert.ok(
              problems.some((p) => p.startsWith(`vpc-endpoint@${c1}: 4 in AWS, 3 planned`)),
              `the counter missed the duplicate endpoint:\n${problems.join('\n')}`,
            );
            assert.ok(
              problems.some((p) => p.startsWith(`hosted-zone@${c2}: 2 in AWS, 1 planned`)),
              `the counter missed the untagged duplicate zone:\n${problems.join('\n')}`,
            );
            await k1.ec2.send(
              new DeleteVpcEndpointsCommand({ VpcEndpointIds: [dup.VpcEndpoint?.VpcEndpointId ?? ''] }),
            );
            await k2.route53.send(new DeleteHostedZoneCommand({ Id: z.HostedZone?.Id }));
            await until('the hand-made duplicates to go', async () => {
              const again = duplicatesAndGaps(
                await inventory(tb, s.name, namesFromState(state)),
                planned,
                state,
              );
              return again.length === 0 ? true : undefined;
            });
            checked = true;
          } finally {
            k1.destroy();
            k2.destroy();
          }
        },
      });
      report('after the first NLB', r);
      assert.ok(checked);
      // ...and the leftover finder must be able to fail too: a group named and tagged like the stack's.
      const c1 = tb.accounts.consumers[0] as string;
      const k1 = tb.clients(c1);
      try {
        const sgName = [...(r.names.byKind.get(`security-group@${c1}`) ?? [])][0];
        assert.ok(sgName);
        const sg = await k1.ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: sgName,
            Description: 'left behind on purpose',
            VpcId: tb.scenario.consumers[0]?.vpcId,
          }),
        );
        const left = await inventory(tb, s.name, r.names);
        await k1.ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg.GroupId }));
        assert.deepEqual([...left.keys()], [`security-group@${c1}`], 'the leftover finder missed a group');
      } finally {
        k1.destroy();
      }
    });

    it('midway through the endpoints: resumes without a second endpoint', async function () {
      const s = (current = await newStack(tb, 'crash-ep', 1));
      // Half of the endpoints (3 of 6 with three brokers and two consumers).
      const r = await crashAndResume(tb, s, {
        at: (e, seen) => {
          if (e.type !== 'done' || e.kind !== 'vpc-endpoint') return false;
          const total = 6;
          return seen.filter((x) => x.type === 'done' && x.kind === 'vpc-endpoint').length === total / 2;
        },
      });
      const planned = r.planned.filter((c) => c.kind === 'vpc-endpoint').length;
      assert.equal(planned, 6, 'the scenario has three brokers and two consumers');
      report('midway through the endpoints', r);
    });

    it('midway through the endpoints, then the state file lost: resumes from AWS alone with no duplicate', async function () {
      const s = (current = await newStack(tb, 'crash-lost', 1));
      let recorded = 0;
      const r = await crashAndResume(
        tb,
        s,
        {
          at: (e, seen) =>
            e.type === 'done' &&
            e.kind === 'vpc-endpoint' &&
            seen.filter((x) => x.type === 'done' && x.kind === 'vpc-endpoint').length === 3,
        },
        {
          // The killed run's state file goes too: the resumed apply has only the stack's tags.
          afterKill: async () => {
            recorded = Object.keys(
              JSON.parse(await readFile(s.statePath, 'utf8')).resources as object,
            ).length;
            await rm(s.statePath);
          },
        },
      );
      assert.ok(recorded > 0, 'the killed run had recorded resources');
      report('midway through the endpoints, state lost', r);
    });

    it('before the DNS records (at the first record start): resumes and makes every record once', async function () {
      const s = (current = await newStack(tb, 'crash-dns', 1));
      const r = await crashAndResume(tb, s, nth('start', 'dns-record', 1));
      report('before the DNS records', r);
      const recordsAtKill = Object.values(r.stateAtKill).filter((e) => e.kind === 'dns-record');
      assert.equal(recordsAtKill.length, 0, 'a record was recorded before the kill');
    });

    it('in the middle of an NLB create (exists in AWS, not in state): the next apply adopts it', async function () {
      const s = (current = await newStack(tb, 'crash-mid-nlb', 1));
      let seen: string[] = [];
      const kill: KillRule = {
        at: async (e) => {
          if (e.type !== 'start' || e.kind !== 'load-balancer') return false;
          // Wait for the NLB to exist, still provisioning: its create step has not finished.
          const lbs = await until('an NLB of the stack', async () => {
            const l = await stackNlbs(s.name);
            return l.length > 0 ? l : undefined;
          });
          seen = lbs.filter((l) => l.state !== 'active').map((l) => l.arn);
          return true;
        },
      };
      const r = await crashAndResume(tb, s, kill);
      assert.ok(seen.length > 0, 'no NLB was caught provisioning');
      const known = physicalIds(r.stateAtKill, 'load-balancer');
      const orphans = seen.filter((a) => !known.includes(a));
      assert.ok(orphans.length > 0, 'the kill did not leave an NLB unknown to state');
      report('in the middle of an NLB create', r);
      figures.push(`  NLBs made but not in state at the kill: ${orphans.length}`);
    });

    it('in the middle of an endpoint create (exists in AWS, not in state): the next apply adopts it', async function () {
      const s = (current = await newStack(tb, 'crash-mid-ep', 1));
      const c1 = tb.accounts.consumers[0] as string;
      let made: string[] = [];
      // The twin answers at once, so the window between CreateVpcEndpoint and the state write is
      // widened: the consumer's DescribeVpcEndpoints take 1.5 s (the network twin pauses meanwhile,
      // as its polls are such calls too). The kill comes when the provider sees a connection.
      const kill: KillRule = {
        at: async (e) => {
          if (e.type !== 'start' || e.kind !== 'vpc-endpoint' || e.account !== c1) return false;
          const p = tb.clients(tb.accounts.provider);
          try {
            made = await until('a connection from the first consumer', async () => {
              const out = await p.ec2.send(new DescribeVpcEndpointConnectionsCommand({}));
              const ids = (out.VpcEndpointConnections ?? [])
                .filter((x) => x.VpcEndpointOwner === c1)
                .map((x) => x.VpcEndpointId ?? '');
              return ids.length > 0 ? ids : undefined;
            });
          } finally {
            p.destroy();
          }
          return true;
        },
      };
      const r = await crashAndResume(tb, s, kill, {
        beforeApply: async () => {
          await tb.network.pause();
          await tb.control.injectLatency({
            service: 'ec2',
            action: 'DescribeVpcEndpoints',
            account: c1,
            ms: 1500,
          });
        },
        afterKill: async () => {
          await tb.control.clearFaults();
          await tb.network.resume();
        },
      });
      const known = physicalIds(r.stateAtKill, 'vpc-endpoint');
      const orphans = made.filter((id) => !known.includes(id));
      assert.ok(
        orphans.length > 0,
        `the kill did not leave an endpoint unknown to state (${made.join(', ')})`,
      );
      report('in the middle of an endpoint create', r);
      figures.push(`  endpoints made but not in state at the kill: ${orphans.length}`);
    });

    it('between a hosted zone create and its tagging: the next apply adopts the untagged zone', async function () {
      const s = (current = await newStack(tb, 'crash-mid-zone', 1));
      const c1 = tb.accounts.consumers[0] as string;
      let zoneId = '';
      const zones = async () => {
        const k = tb.clients(c1);
        try {
          return (await k.route53.send(new ListHostedZonesCommand({}))).HostedZones ?? [];
        } finally {
          k.destroy();
        }
      };
      const tagCalls = async () =>
        (
          await tb.control.counters({ account: c1, service: 'route53', action: 'ChangeTagsForResource' })
        ).reduce((n, x) => ({ calls: n.calls + x.calls, faulted: n.faulted + x.faulted }), {
          calls: 0,
          faulted: 0,
        });
      let baseline = { calls: 0, faulted: 0 };
      // The tagging call waits 5 s in the twin, then takes a fault: the kill comes once the zone
      // exists and that call has arrived, so the zone is made and never tagged by the killed run.
      const kill: KillRule = {
        at: async (e) => {
          if (e.type !== 'start' || e.kind !== 'hosted-zone' || e.account !== c1) return false;
          await until('the tagging call', async () =>
            (await tagCalls()).calls > baseline.calls ? true : undefined,
          );
          zoneId = await until('the first consumer zone', async () =>
            (await zones())[0]?.Id?.replace('/hostedzone/', ''),
          );
          return true;
        },
      };
      const rule = { service: 'route53', action: 'ChangeTagsForResource', account: c1, count: 1 };
      const r = await crashAndResume(tb, s, kill, {
        beforeApply: async () => {
          // Earlier scenarios on the shared testbed tagged zones in c1 too: count from here.
          baseline = await tagCalls();
          await tb.control.injectLatency({ ...rule, ms: 5000 });
          await tb.control.injectFault({ ...rule, kind: 'error', code: 'InvalidInput' });
        },
        afterKill: async () => {
          // The twin answers it 5 s after it arrived; a loaded machine can stretch that a lot.
          await until(
            'the pending tagging call to fail',
            async () => ((await tagCalls()).faulted > baseline.faulted ? true : undefined),
            60_000,
          );
          const k = tb.clients(c1);
          try {
            const tags = await k.route53.send(
              new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId }),
            );
            assert.deepEqual(tags.ResourceTagSet?.Tags ?? [], [], 'the zone got its tags before the kill');
          } finally {
            k.destroy();
          }
        },
      });
      assert.ok(zoneId);
      assert.ok(
        !physicalIds(r.stateAtKill, 'hosted-zone').includes(zoneId),
        'the zone was in state at the kill',
      );
      report('between a zone create and its tagging', r);
    });
  });

  describe('pattern 2 (rewrite mode, brokers changed through the admin API)', function () {
    it('midway through the broker changes: resumes, and destroy restores every broker', async function () {
      const s = (current = await newStack(tb, 'crash-p2', 2));
      const r = await crashAndResume(tb, s, nth('done', 'broker-listener-config', 1));
      const atKill = Object.values(r.stateAtKill).filter((e) => e.kind === 'broker-listener-config');
      assert.ok(
        atKill.length >= 1 && atKill.length < 3,
        `${atKill.length} broker changes recorded at the kill`,
      );
      report('midway through the broker changes', r);
      const after = await brokerSnapshot(tb);
      assert.deepEqual(
        after,
        originals,
        "the brokers' listener settings differ from the originals after destroy",
      );
    });
  });
});
