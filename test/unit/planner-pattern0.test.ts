// Pattern 0 (MSK's managed multi-VPC connectivity): what the plan makes, and every unmet condition
// named at once. Expected values are written out by hand.
import assert from 'node:assert/strict';
import type { ConfigInput, Inventory } from '../../src/config/schema.js';
import { PlanRefused } from '../../src/errors.js';
import { lint } from '../../src/planner/lint.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';

const ARN = 'arn:aws:kafka:us-east-2:111111111111:cluster/payments/0d2c7a1e-1111-2222-3333-444455556666-2';
const DOMAIN = 'payments.abc123.c2.kafka.us-east-2.amazonaws.com';

function plan(over: Partial<ConfigInput>, inv: Partial<Inventory> = {}) {
  const config = configOf({
    pattern: 0,
    cluster: { brokersFile: 'b.json', listeners: ['sasl_scram'] },
    ...over,
  });
  return planStack(
    planInputOf(
      config,
      inventoryOf(brokersFor([1, 2, 3]), { clusterArn: ARN, clientListeners: ['tls', 'sasl_scram'], ...inv }),
    ),
  ).resources;
}

describe('planner: pattern 0, MSK multi-VPC connectivity', () => {
  it('turns connectivity on, grants the consumer accounts, and makes a connection per consumer and scheme', () => {
    const rs = plan(
      {
        cluster: { brokersFile: 'b.json', listeners: ['sasl_scram', 'tls'] },
        consumers: [
          { ...consumerInput('analytics', '222222222222'), bootstrapParameter: '/msk/boot' },
          consumerInput('local', '111111111111'),
        ],
      },
      { mutualTls: true },
    );
    assert.deepEqual(rs.map((r) => r.id).sort(), [
      'analytics/security-group',
      'analytics/ssm-parameter',
      'analytics/vpc-connection/scram',
      'analytics/vpc-connection/tls',
      'local/security-group',
      'local/vpc-connection/scram',
      'local/vpc-connection/tls',
      'shared/cluster-connectivity',
      'shared/cluster-policy',
    ]);
    const conn = rs.find((r) => r.id === 'shared/cluster-connectivity');
    assert.deepEqual(conn?.props, { clusterArn: ARN, schemes: ['scram', 'tls'] });
    const policy = rs.find((r) => r.id === 'shared/cluster-policy');
    // The cluster's own account needs no grant.
    assert.deepEqual(policy?.props, {
      clusterArn: ARN,
      accounts: ['222222222222'],
      actions: [
        'kafka:CreateVpcConnection',
        'kafka:DescribeCluster',
        'kafka:DescribeClusterV2',
        'kafka:GetBootstrapBrokers',
      ],
      sid: 'mplpayments',
    });
    const vc = rs.find((r) => r.id === 'analytics/vpc-connection/scram');
    assert.equal(vc?.account, '222222222222');
    assert.deepEqual(
      { ...(vc?.props as Record<string, unknown>), tags: undefined },
      {
        clusterArn: ARN,
        authentication: 'SASL_SCRAM',
        vpcId: 'vpc-analytics',
        clientSubnets: ['subnet-analytics0', 'subnet-analytics1', 'subnet-analytics2'],
        securityGroups: ['analytics/security-group'],
        tags: undefined,
      },
    );
    assert.deepEqual(vc?.dependsOn.sort(), [
      'analytics/security-group',
      'shared/cluster-connectivity',
      'shared/cluster-policy',
    ]);
    const sg = rs.find((r) => r.id === 'analytics/security-group');
    if (sg?.kind !== 'security-group') return assert.fail('kind');
    assert.deepEqual(
      sg.props.ingress.map((i) => `${i.fromPort}-${i.toPort} ${i.cidr}`),
      ['14001-14003 10.20.0.0/16'],
    );
    const param = rs.find((r) => r.id === 'analytics/ssm-parameter');
    if (param?.kind !== 'ssm-parameter') return assert.fail('kind');
    assert.equal(param.props.value, [1, 2, 3].map((b) => `b-${b}.scram.${DOMAIN}:1400${b}`).join(','));
  });

  it('refuses an ineligible cluster naming every unmet condition at once', () => {
    assert.throws(
      () =>
        plan(
          {
            cluster: { brokersFile: 'b.json', listeners: ['plaintext', 'iam'] },
            consumers: [consumerInput('analytics', '222222222222', 1)],
          },
          { instanceType: 'kafka.t3.small', kafkaVersion: '2.6.2', clientListeners: ['plaintext'] },
        ),
      (e: unknown) => {
        assert.ok(e instanceof PlanRefused);
        assert.equal(e.code, 'PATTERN0_INELIGIBLE');
        for (const part of [
          /kafka\.t3\.small/,
          /Kafka 2\.6\.2 is older than 2\.7\.1/,
          /plaintext is not offered/,
          /does not serve iam clients/,
          /consumer analytics has no subnet in use2-az2, use2-az3: a managed VPC connection needs one client subnet in each of the cluster's AZ IDs/,
        ])
          assert.match(e.message, part);
        return true;
      },
    );
    assert.throws(() => plan({}, { brokerType: 'serverless' }), /Serverless/);
    assert.throws(
      () => plan({ cluster: { brokersFile: 'b.json', listeners: ['tls'] } }, { mutualTls: false }),
      /tls needs mutual TLS client authentication/,
    );
    // KRaft and 3.7.x versions qualify.
    assert.ok(plan({}, { kafkaVersion: '3.7.x.kraft', metadataMode: 'kraft' }).length > 0);
  });

  it("no MPL106: pattern 0 adds no rule to the brokers' group, so there is no port to ask for", () => {
    const i = planInputOf(
      configOf({ pattern: 0, cluster: { brokersFile: 'b.json', listeners: ['sasl_scram'] } }),
      inventoryOf(brokersFor([1, 2, 3]), { clusterArn: ARN, clientListeners: ['sasl_scram'] }),
    );
    const codes = lint(i, planStack(i).resources).map((x) => x.code);
    assert.ok(!codes.includes('MPL106'), codes.join(', '));
    // Pattern 1 with the same config still gets it.
    const p1 = planInputOf(configOf({ pattern: 1 }), inventoryOf(brokersFor([1, 2, 3])));
    assert.ok(lint(p1, planStack(p1).resources).some((x) => x.code === 'MPL106'));
  });
});
