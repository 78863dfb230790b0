// `monitor`'s plan: per consumer two roles, an egress-only group, a function and a schedule per AZ
// ID and one alarm; the schedules' events name what clients use (pattern 1: broker names on the
// client port; pattern 2 msk-configuration: the b-N-pl names on each broker's port). Expected values
// are written out by hand.
import assert from 'node:assert/strict';
import { ConfigSchema } from '../../src/config/schema.js';
import type { Resource } from '../../src/kinds/index.js';
import { rateExpression } from '../../src/planner/monitor.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';

const DOMAIN = 'payments.abc123.c2.kafka.us-east-2.amazonaws.com';
const FILES = {
  codeSha256: 'c2hhMjU2LW9mLXRoZS1idW5kbGU=',
  ca: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n',
};

function plan(over: Parameters<typeof configOf>[0], withFiles = true): Resource[] {
  const config = configOf(over);
  const input = planInputOf(config, inventoryOf(brokersFor([1, 2, 3])));
  return planStack(withFiles ? { ...input, monitor: FILES } : input).resources;
}

const byId = (rs: Resource[], id: string) => {
  const r = rs.find((x) => x.id === id);
  assert.ok(r, `no ${id}`);
  return r;
};

describe('planner: monitor', () => {
  it('adds nothing without monitor', () => {
    const rs = plan({});
    assert.deepEqual(
      rs.filter((r) => ['iam-role', 'lambda-function', 'schedule', 'metric-alarm'].includes(r.kind)),
      [],
    );
  });

  it('pattern 1: per consumer two roles, a probe group, a function and schedule per AZ ID, one alarm', () => {
    const rs = plan({
      consumers: [consumerInput('analytics', '222222222222'), consumerInput('billing', '333333333333', 2)],
      monitor: { everyMinutes: 5 },
    });
    const monitorIds = rs
      .filter(
        (r) =>
          ['iam-role', 'lambda-function', 'schedule', 'metric-alarm'].includes(r.kind) ||
          r.id.endsWith('/security-group/probe'),
      )
      .map((r) => r.id)
      .sort();
    assert.deepEqual(monitorIds, [
      'analytics/iam-role/probe',
      'analytics/iam-role/scheduler',
      'analytics/lambda-function/use2-az1',
      'analytics/lambda-function/use2-az2',
      'analytics/lambda-function/use2-az3',
      'analytics/metric-alarm',
      'analytics/schedule/use2-az1',
      'analytics/schedule/use2-az2',
      'analytics/schedule/use2-az3',
      'analytics/security-group/probe',
      'billing/iam-role/probe',
      'billing/iam-role/scheduler',
      'billing/lambda-function/use2-az1',
      'billing/lambda-function/use2-az2',
      'billing/metric-alarm',
      'billing/schedule/use2-az1',
      'billing/schedule/use2-az2',
      'billing/security-group/probe',
    ]);
    const fn = byId(rs, 'billing/lambda-function/use2-az2');
    assert.equal(fn.account, '333333333333');
    assert.deepEqual(fn.props, {
      name: 'mpl-payments-billing-mon-use2-az2',
      runtime: 'nodejs20.x',
      handler: 'index.monitor',
      role: 'billing/iam-role/probe',
      subnetId: 'subnet-billing1',
      securityGroup: 'billing/security-group/probe',
      timeoutS: 54,
      memoryMb: 256,
      codeSha256: 'c2hhMjU2LW9mLXRoZS1idW5kbGU=',
      description: 'msk-privatelink payments: monitor probe of billing in use2-az2',
      tags: {
        Name: 'mpl-payments-billing-mon-use2-az2',
        'msk-privatelink:stack': 'payments',
        'msk-privatelink:id': 'billing/lambda-function/use2-az2',
      },
    });
    const sched = byId(rs, 'analytics/schedule/use2-az1');
    assert.equal(sched.kind, 'schedule');
    if (sched.kind !== 'schedule') return;
    assert.equal(sched.props.expression, 'rate(5 minutes)');
    assert.deepEqual(JSON.parse(sched.props.input), {
      consumer: 'analytics',
      listener: 'tls',
      targets: [1, 2, 3].map((id) => ({
        id,
        host: `b-${id}.${DOMAIN}`,
        port: 9094,
        advertised: { host: `b-${id}.${DOMAIN}`, port: 9094 },
      })),
      timeoutMs: 3000,
      tls: { ca: FILES.ca },
      metrics: { namespace: 'MskPrivateLink', stack: 'payments', azId: 'use2-az1' },
    });
    // The first run finds the endpoints and records in place.
    for (const dep of [
      'analytics/lambda-function/use2-az1',
      'analytics/iam-role/scheduler',
      'analytics/dns-record/b-2',
      'analytics/vpc-endpoint/b-3',
    ])
      assert.ok(sched.dependsOn.includes(dep), `schedule depends on ${dep}`);
    assert.ok(!sched.dependsOn.some((d) => d.startsWith('billing/')), 'not on another consumer');
    const role = byId(rs, 'analytics/iam-role/scheduler');
    if (role.kind !== 'iam-role') return assert.fail('iam-role');
    assert.equal(role.props.service, 'scheduler.amazonaws.com');
    assert.deepEqual(role.props.trustCondition, { StringEquals: { 'aws:SourceAccount': '222222222222' } });
    assert.deepEqual(role.props.statements, [
      {
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: ['use2-az1', 'use2-az2', 'use2-az3'].map(
          (az) => `arn:aws:lambda:us-east-2:222222222222:function:mpl-payments-analytics-mon-${az}`,
        ),
      },
    ]);
    const sg = byId(rs, 'analytics/security-group/probe');
    if (sg.kind !== 'security-group') return assert.fail('security-group');
    assert.deepEqual(sg.props.ingress, []);
    assert.deepEqual(sg.props.egress, [
      {
        protocol: 'tcp',
        fromPort: 9094,
        toPort: 9094,
        to: 'vpc',
        description: 'Kafka through the endpoints',
      },
    ]);
    const alarm = byId(rs, 'billing/metric-alarm');
    if (alarm.kind !== 'metric-alarm') return assert.fail('metric-alarm');
    assert.equal(alarm.props.name, 'mpl-payments billing brokers unreachable');
    assert.deepEqual(alarm.props.dimensions, { Stack: 'payments', Consumer: 'billing' });
    assert.equal(alarm.props.periodS, 300);
    assert.equal(alarm.props.evaluationPeriods, 2);
    assert.equal(alarm.props.datapointsToAlarm, 2);
  });

  it("pattern 2 (msk-configuration): the events name each broker's PrivateLink name and port", () => {
    const rs = plan({ pattern: 2, monitor: { everyMinutes: 1, alarmAfter: 1 } });
    const sched = byId(rs, 'analytics/schedule/use2-az3');
    if (sched.kind !== 'schedule') return assert.fail('schedule');
    assert.equal(sched.props.expression, 'rate(1 minute)');
    const event = JSON.parse(sched.props.input) as { targets: Array<{ host: string; port: number }> };
    assert.deepEqual(
      event.targets.map((t) => `${t.host}:${t.port}`),
      [`b-1-pl.${DOMAIN}:9001`, `b-2-pl.${DOMAIN}:9002`, `b-3-pl.${DOMAIN}:9003`],
    );
    const sg = byId(rs, 'analytics/security-group/probe');
    if (sg.kind !== 'security-group') return assert.fail('security-group');
    assert.deepEqual(
      sg.props.egress?.map((e) => e.fromPort),
      [9001, 9002, 9003],
    );
    assert.ok(
      sched.dependsOn.includes('shared/cluster-configuration'),
      'runs after MSK advertises the ports',
    );
  });

  it('refuses a listener it cannot probe from the function, or one the cluster lacks', () => {
    const base = { ...configOf({}) } as Record<string, unknown>;
    const bad = (monitor: unknown, listeners: string[] = ['tls']) =>
      ConfigSchema.safeParse({ ...base, cluster: { brokersFile: 'b.json', listeners }, monitor });
    const iam = bad({ listener: 'iam' }, ['tls', 'iam']);
    assert.equal(iam.success, false);
    assert.match(JSON.stringify(iam.error?.issues), /kafka-cluster permissions/);
    const scram = bad({}, ['sasl_scram']);
    assert.match(JSON.stringify(scram.error?.issues), /the SCRAM secret/);
    const missing = bad({ listener: 'plaintext' });
    assert.match(JSON.stringify(missing.error?.issues), /is not one of cluster.listeners/);
    assert.match(JSON.stringify(bad({ namespace: 'AWS/Kafka' }).error?.issues), /not starting with AWS/);
    assert.equal(bad({}).success, true);
  });

  it('rate expressions use the singular for one minute', () => {
    assert.equal(rateExpression(1), 'rate(1 minute)');
    assert.equal(rateExpression(15), 'rate(15 minutes)');
  });
});
