// The engine against the AWS twin with the real kinds: a step that fails with a retriable answer
// (the twin's 5xx outlasting the SDK's own attempts) is tried again and the apply converges;
// the AWS calls are reported as events with their account and duration.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ClientPool } from '../../src/aws/clients.js';
import { CollectingReporter, type RunEvent } from '../../src/events.js';
import { execute } from '../../src/executor/engine.js';
import { refresh } from '../../src/executor/refresh.js';
import type { Resource } from '../../src/kinds/index.js';
import { diff } from '../../src/plan/diff.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { LocalStateBackend } from '../../src/state/local.js';
import { StateStore } from '../../src/state/store.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc, type AccountNetwork, type Clients } from '../testbed/scenario.js';

const PROVIDER = '111111111111';
const CONSUMER = '222222222222';

describe('engine retries on the AWS twin', function () {
  this.timeout(60_000);
  let twin: AwsTwin;
  let aws: Clients;
  let net: AccountNetwork;

  before(async () => {
    twin = await startAwsTwin({
      delaysMs: { nlbActiveMs: 100, endpointAvailableMs: 100, route53ChangeMs: 100 },
    });
    aws = clientsFor(twin, PROVIDER);
    net = await seedVpc(aws, '10.0.0.0/16');
  });

  after(async () => {
    aws?.destroy();
    await twin?.stop();
  });

  /** The planner's target groups for three brokers in the seeded VPC (no dependencies among them). */
  function targetGroups(): Resource[] {
    const brokers = brokersFor([1, 2, 3]).map((b, i) => {
      const s = net.subnets[i % 3] as AccountNetwork['subnets'][number];
      return { ...b, subnetId: s.id, availabilityZoneId: s.availabilityZoneId };
    });
    const config = configOf({
      name: 'retrytest',
      region: twin.region,
      pattern: 1,
      provider: {
        account: PROVIDER,
        vpcId: net.vpcId,
        subnets: net.subnets.map((s) => ({ id: s.id, azId: s.availabilityZoneId })),
      },
      consumers: [
        consumerInput(
          'analytics',
          CONSUMER,
          net.subnets.map((s) => s.availabilityZoneId),
        ),
      ],
    });
    const input = planInputOf(config, inventoryOf(brokers, { region: twin.region, vpcId: net.vpcId }));
    return planStack(input).resources.filter((r) => r.kind === 'target-group');
  }

  it('retries a step whose AWS call failed past the SDK retries, once, and the apply converges', async () => {
    const desired = targetGroups();
    assert.equal(desired.length, 3);
    const store = await StateStore.open(
      new LocalStateBackend(path.join(await mkdtemp(path.join(tmpdir(), 'mpl-retry-')), 'state.json')),
      'retrytest',
    );
    const reporter = new CollectingReporter();
    // Two SDK attempts per call: a fault that answers 5xx twice fails the first try of the step.
    const pool = new ClientPool({
      roleArns: {},
      maxAttempts: 2,
      configFor: (account) => clientConfigFor(twin, account),
      onCall: (call) => reporter.emit({ type: 'aws-call', ...call }),
    });
    await twin.control.injectFault({
      service: 'elbv2',
      action: 'CreateTargetGroup',
      kind: '5xx',
      status: 503,
      count: 2,
    });
    const deps = {
      stack: 'retrytest',
      pool,
      store,
      wait: { intervalMs: 50, timeoutMs: 10_000 },
      reporter,
      parallelism: 1,
      kafka: () => Promise.reject(new Error('no Kafka here')),
      retry: { attempts: 3, baseDelayMs: 20 },
    };
    try {
      const result = await execute(diff(desired, new Map()), desired, deps);
      assert.deepEqual(result.failed, []);
      assert.equal(result.done, 3);
      const retries = reporter.events.filter(
        (e): e is Extract<RunEvent, { type: 'retry' }> => e.type === 'retry',
      );
      assert.equal(retries.length, 1, JSON.stringify(retries));
      assert.equal(retries[0]?.id, desired[0]?.id, 'the first create meets the fault');
      assert.equal(retries[0]?.code, 'CREATE_FAILED');
      // Exactly one group per name in AWS: the retry made no duplicate.
      const out = await aws.elbv2.send(new DescribeTargetGroupsCommand({}));
      for (const r of desired) {
        const name = (r.props as { name: string }).name;
        assert.equal(out.TargetGroups?.filter((g) => g.TargetGroupName === name).length, 1, name);
      }
      const faulted = (await twin.control.counters({ service: 'elbv2', action: 'CreateTargetGroup' }))
        .map((row) => row.faulted)
        .reduce((a, b) => a + b, 0);
      assert.equal(faulted, 2);
      // Every AWS call is an event with its account and duration.
      const calls = reporter.events.filter(
        (e): e is Extract<RunEvent, { type: 'aws-call' }> => e.type === 'aws-call',
      );
      const failedCall = calls.find((c) => c.action === 'CreateTargetGroup' && c.error !== undefined);
      assert.ok(failedCall, 'the failed call is reported');
      assert.equal(failedCall.attempts, 2);
      assert.equal(failedCall.account, PROVIDER);
      assert.ok(calls.every((c) => c.ms >= 0 && c.region === twin.region));
      // Converged: a refresh and a diff find nothing to change.
      const again = await refresh(desired, deps);
      const changes = diff(desired, again.observed);
      assert.deepEqual(
        changes.filter((c) => c.action !== 'noop').map((c) => `${c.action} ${c.id}: ${c.reason}`),
        [],
      );
    } finally {
      await twin.control.clearFaults();
      pool.destroy();
    }
  });
});
