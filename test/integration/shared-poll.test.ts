// Waits that share one describe call: six NLBs provisioning at once are asked about together, and
// an ARN AWS refuses (the whole batch fails with LoadBalancerNotFound) is asked about alone.
import assert from 'node:assert/strict';
import {
  CreateLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { MplError } from '../../src/errors.js';
import { orGone } from '../../src/kinds/kind.js';
import { pollShared } from '../../src/kinds/shared/shared-poll.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc } from '../testbed/scenario.js';

const ACCOUNT = '111111111111';

describe('shared poll: one describe call for many waiting resources (AWS twin)', function () {
  this.timeout(60_000);
  let twin: AwsTwin;
  let elb: ElasticLoadBalancingV2Client;
  let subnets: string[];

  before(async () => {
    twin = await startAwsTwin({ region: 'us-east-2', delaysMs: { nlbActiveMs: 1500 } });
    const c = clientsFor(twin, ACCOUNT);
    subnets = (await seedVpc(c, '10.0.0.0/16')).subnets.map((s) => s.id);
    c.destroy();
    elb = new ElasticLoadBalancingV2Client(clientConfigFor(twin, ACCOUNT));
  });
  after(async () => {
    elb?.destroy();
    await twin?.stop();
  });

  const wait = { intervalMs: 100, timeoutMs: 5_000 };
  const waitActive = (arn: string) =>
    pollShared<LoadBalancer, string>({
      client: elb,
      api: 'elbv2:DescribeLoadBalancers',
      id: arn,
      what: `NLB ${arn}`,
      wait,
      maxIds: 4,
      fetchOne: (id) =>
        orGone(
          'nlb',
          async () =>
            (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [id] }))).LoadBalancers?.[0],
        ),
      fetch: async (ids) => {
        const out = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: ids }));
        return new Map((out.LoadBalancers ?? []).map((lb) => [lb.LoadBalancerArn ?? '', lb]));
      },
      verdict: (lb) =>
        lb?.State?.Code === 'active'
          ? { done: true, value: 'active' }
          : { done: false, state: lb?.State?.Code ?? 'absent' },
    });

  it('six NLBs provisioning for 1.5 s: about one call per round for every four, not one per NLB', async () => {
    const arns = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async (i) => {
        const out = await elb.send(
          new CreateLoadBalancerCommand({
            Name: `shared-${i}`,
            Type: 'network',
            Scheme: 'internal',
            Subnets: subnets,
          }),
        );
        return out.LoadBalancers![0]!.LoadBalancerArn!;
      }),
    );
    await twin.control.resetCounters();
    const states = await Promise.all(arns.map(waitActive));
    assert.deepEqual(states, Array(6).fill('active'));
    const calls = (await twin.control.counters({ action: 'DescribeLoadBalancers' })).reduce(
      (n, r) => n + r.calls,
      0,
    );
    // Alone: six first looks and about 15 rounds each (90). Shared: six first looks, then two
    // calls per round (four ARNs a call) over about 15 rounds.
    assert.ok(calls <= 6 + 2 * 20, `${calls} DescribeLoadBalancers calls`);
    assert.ok(calls >= 6 + 2 * 5, `${calls} calls: the rounds should ask about all six`);
  });

  it('an ARN AWS does not know fails the batch: it is asked about alone, and only its wait times out', async () => {
    const good = (
      await elb.send(
        new CreateLoadBalancerCommand({
          Name: 'shared-good',
          Type: 'network',
          Scheme: 'internal',
          Subnets: subnets,
        }),
      )
    ).LoadBalancers![0]!.LoadBalancerArn!;
    const bogus = good.replace(/\/[0-9a-f]+$/, '/0000000000000000');
    const [ok, lost] = await Promise.allSettled([waitActive(good), waitActive(bogus)]);
    assert.equal(ok.status, 'fulfilled');
    assert.equal(lost.status, 'rejected');
    const err = (lost as PromiseRejectedResult).reason as MplError;
    assert.equal(err.code, 'WAIT_TIMEOUT');
    assert.match(err.message, /still absent/);
  });
});
