// discover() and resolveSubnetAzIds() against the AWS twin: MSK DescribeClusterV2 + ListNodes, EC2 DescribeSubnets.
import assert from 'node:assert/strict';
import { ACMClient } from '@aws-sdk/client-acm';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateConfigurationCommand,
  DescribeClusterV2Command,
  KafkaClient,
  UpdateClusterConfigurationCommand,
} from '@aws-sdk/client-kafka';
import { Route53Client } from '@aws-sdk/client-route-53';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RAMClient } from '@aws-sdk/client-ram';
import { VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AccountClients } from '../../src/aws/clients.js';
import { discover, metadataModeOf, resolveSubnetAzIds } from '../../src/discovery/discover.js';
import { MplError } from '../../src/errors.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { configOf, consumerInput, planInputOf } from '../support/fixtures.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc, type AccountNetwork } from '../testbed/scenario.js';

const PROVIDER = '111111111111';
const REGION = 'us-east-2';

function accountClients(twin: AwsTwin, account: string, region = twin.region): AccountClients {
  const cfg = clientConfigFor(twin, account, { region, maxAttempts: 2 });
  return {
    account,
    region,
    ec2: new EC2Client(cfg),
    elbv2: new ElasticLoadBalancingV2Client(cfg),
    route53: new Route53Client(cfg),
    ssm: new SSMClient(cfg),
    kafka: new KafkaClient(cfg),
    s3: new S3Client({ ...cfg, forcePathStyle: true }),
    lattice: new VPCLatticeClient(cfg),
    ram: new RAMClient(cfg),
    lambda: new LambdaClient(cfg),
    iam: new IAMClient(cfg),
    scheduler: new SchedulerClient(cfg),
    cloudwatch: new CloudWatchClient(cfg),
    acm: new ACMClient(cfg),
    secrets: new SecretsManagerClient(cfg),
  };
}

async function rejects(p: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MplError, `not an MplError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, text);
    return;
  }
  assert.fail(`expected ${code}`);
}

describe('discovery (AWS twin)', function () {
  this.timeout(30_000);
  let twin: AwsTwin;
  let aws: AccountClients;
  let net: AccountNetwork;
  const started = Date.now();

  before(async () => {
    twin = await startAwsTwin({ region: REGION });
    const c = clientsFor(twin, PROVIDER);
    net = await seedVpc(c, '10.0.0.0/16');
    c.destroy();
    aws = accountClients(twin, PROVIDER);
  });
  after(async () => {
    for (const c of [aws?.ec2, aws?.elbv2, aws?.route53, aws?.ssm, aws?.kafka, aws?.s3]) c?.destroy();
    await twin?.stop();
    console.log(`    discovery: ${Date.now() - started} ms`);
  });

  function brokers(n: number) {
    return Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      clientVpcIp: `10.0.${(i % 3) + 1}.${10 + Math.floor(i / 3)}`,
      clientSubnet: net.subnets[i % 3]!.id,
    }));
  }

  it('a ZooKeeper cluster: brokers with names, IPs, subnets, AZ names and IDs; subnets with CIDRs; plannable', async () => {
    const arn = await twin.control.seedMskCluster({
      account: PROVIDER,
      region: REGION,
      clusterName: 'payments',
      shortId: 'abc123',
      kafkaVersion: '3.6.0',
      brokers: brokers(3).reverse(),
    });
    const inv = await discover(aws, arn);
    assert.equal(inv.clusterArn, arn);
    assert.equal(inv.clusterName, 'payments');
    assert.equal(inv.region, REGION);
    assert.equal(inv.kafkaVersion, '3.6.0');
    assert.equal(inv.metadataMode, 'zookeeper');
    assert.equal(inv.brokerType, 'standard');
    assert.equal(inv.vpcId, net.vpcId);
    assert.deepEqual(
      inv.brokers,
      [1, 2, 3].map((id) => {
        const s = net.subnets[id - 1]!;
        return {
          id,
          host: `b-${id}.payments.abc123.c2.kafka.${REGION}.amazonaws.com`,
          ip: `10.0.${id}.10`,
          subnetId: s.id,
          availabilityZone: s.availabilityZone,
          availabilityZoneId: s.availabilityZoneId,
        };
      }),
    );
    assert.deepEqual(
      inv.subnets,
      net.subnets
        .map((s) => ({ id: s.id, azId: s.availabilityZoneId, cidr: s.cidr }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    );
    // What discovery gives is what the planner takes.
    const config = configOf({
      region: REGION,
      provider: { account: PROVIDER, vpcId: net.vpcId },
      consumers: [consumerInput('analytics', '222222222222', ['use2-az1', 'use2-az2', 'use2-az3'])],
    });
    const plan = planStack(planInputOf(config, inv));
    assert.equal(plan.domain, `payments.abc123.c2.kafka.${REGION}.amazonaws.com`);
    assert.equal(plan.resources.filter((r) => r.kind === 'load-balancer').length, 3);
  });

  it("a KRaft cluster: metadataMode kraft and its client listeners; pattern 2 plans MSK's configuration, the legacy mode is refused", async () => {
    const arn = await twin.control.seedMskCluster({
      account: PROVIDER,
      region: REGION,
      clusterName: 'kraft',
      kafkaVersion: '3.7.x',
      metadataMode: 'KRAFT',
      clientBroker: 'TLS',
      auth: { unauthenticated: true, scram: true },
      brokers: brokers(3),
    });
    const inv = await discover(aws, arn);
    assert.equal(inv.kafkaVersion, '3.7.x.kraft');
    assert.equal(inv.metadataMode, 'kraft');
    // TLS only in transit, unauthenticated and SASL/SCRAM clients: 9094 and 9096, no plaintext 9092.
    assert.deepEqual(inv.clientListeners, ['tls', 'sasl_scram']);
    const config = (mode?: 'rewrite') =>
      configOf({
        region: REGION,
        pattern: 2,
        provider: { account: PROVIDER, vpcId: net.vpcId },
        consumers: [consumerInput('analytics', '222222222222', ['use2-az1', 'use2-az2', 'use2-az3'])],
        ...(mode ? { pattern2: { mode } } : {}),
      });
    const planned = planStack(planInputOf(config(), inv));
    const cc = planned.resources.find((r) => r.kind === 'cluster-configuration');
    assert.ok(cc?.kind === 'cluster-configuration');
    assert.equal(cc.props.clusterArn, arn);
    assert.throws(
      () => planStack(planInputOf(config('rewrite'), inv)),
      (e: MplError) => e.code === 'PATTERN2_KRAFT',
    );
  });

  it('express brokers', async () => {
    const arn = await twin.control.seedMskCluster({
      account: PROVIDER,
      region: REGION,
      clusterName: 'fast',
      brokerType: 'express',
      brokers: brokers(3),
    });
    const inv = await discover(aws, arn);
    assert.equal(inv.brokerType, 'express');
    assert.equal(inv.metadataMode, 'zookeeper');
  });

  it('pages through ListNodes (120 brokers)', async () => {
    const arn = await twin.control.seedMskCluster({
      account: PROVIDER,
      region: REGION,
      clusterName: 'big',
      brokers: brokers(120),
    });
    const inv = await discover(aws, arn);
    assert.equal(inv.brokers.length, 120);
    assert.deepEqual(
      inv.brokers.map((b) => b.id),
      Array.from({ length: 120 }, (_, i) => i + 1),
    );
  });

  it('clear refusals: unknown ARN, not ACTIVE, serverless, another region', async () => {
    const unknown = `arn:aws:kafka:${REGION}:${PROVIDER}:cluster/ghost/0b5c1e2a-1111-2222-3333-444444444444-2`;
    await rejects(discover(aws, unknown), 'CLUSTER_NOT_FOUND', new RegExp(unknown.replace(/[/.]/g, '\\$&')));
    const creating = await twin.control.seedMskCluster({
      account: PROVIDER,
      region: REGION,
      clusterName: 'young',
      state: 'CREATING',
      brokers: brokers(3),
    });
    await rejects(discover(aws, creating), 'CLUSTER_NOT_ACTIVE', /young is CREATING, not ACTIVE/);
    const serverless = await twin.control.seedMskCluster({
      account: PROVIDER,
      region: REGION,
      clusterName: 'nobrokers',
      serverless: true,
      subnets: net.subnets.map((s) => s.id),
    });
    await rejects(
      discover(aws, serverless),
      'SERVERLESS_UNSUPPORTED',
      /patterns 1 and 2 both need each broker's address/,
    );
    await rejects(
      discover(aws, unknown.replace(REGION, 'eu-west-1')),
      'REGION_MISMATCH',
      /is in eu-west-1, but discovery runs in us-east-2/,
    );
  });

  it('a cluster in the middle of an update: refused without waiting, read once ACTIVE when told to wait', async () => {
    const arn = await twin.control.seedMskCluster({
      account: PROVIDER,
      region: REGION,
      clusterName: 'restarting',
      brokers: brokers(3),
    });
    const conf = await aws.kafka.send(
      new CreateConfigurationCommand({
        Name: 'restarting-settings',
        ServerProperties: new TextEncoder().encode('auto.create.topics.enable=false\n'),
      }),
    );
    const current = (await aws.kafka.send(new DescribeClusterV2Command({ ClusterArn: arn }))).ClusterInfo
      ?.CurrentVersion;
    await aws.kafka.send(
      new UpdateClusterConfigurationCommand({
        ClusterArn: arn,
        CurrentVersion: current,
        ConfigurationInfo: { Arn: conf.Arn, Revision: 1 },
      }),
    );
    await rejects(discover(aws, arn), 'CLUSTER_NOT_ACTIVE', /restarting is UPDATING, not ACTIVE/);
    const logs: string[] = [];
    const t0 = Date.now();
    const inv = await discover(aws, arn, {
      wait: { intervalMs: 50, timeoutMs: 20_000 },
      log: (m) => logs.push(m),
    });
    assert.equal(inv.brokers.length, 3);
    assert.match(logs.join('\n'), /restarting is UPDATING: waiting until it is ACTIVE/);
    // The twin restarts the three brokers one at a time (mskBrokerRestartMs each).
    assert.ok(Date.now() - t0 >= 200, `waited ${Date.now() - t0} ms`);
  });

  it('a cluster whose broker subnet EC2 does not know names the subnet', async () => {
    const arn = await twin.control.seedMskCluster({
      account: PROVIDER,
      region: REGION,
      clusterName: 'orphan',
      brokers: [{ id: 1, clientVpcIp: '10.0.1.5', clientSubnet: 'subnet-0deadbeef0000000' }],
    });
    await rejects(discover(aws, arn), 'SUBNET_NOT_FOUND', /orphan: subnet subnet-0deadbeef0000000 not found/);
  });

  it('resolveSubnetAzIds: AZ IDs of bare subnet ids; an unknown subnet is named', async () => {
    const ids = net.subnets.map((s) => s.id);
    const m = await resolveSubnetAzIds(aws.ec2, [...ids, ids[0]!]);
    assert.deepEqual(
      Object.fromEntries(m),
      Object.fromEntries(net.subnets.map((s) => [s.id, s.availabilityZoneId])),
    );
    assert.equal((await resolveSubnetAzIds(aws.ec2, [])).size, 0);
    await rejects(
      resolveSubnetAzIds(aws.ec2, [ids[0]!, 'subnet-0123456789abcdef0']),
      'SUBNET_NOT_FOUND',
      /^subnet subnet-0123456789abcdef0 not found/,
    );
  });

  it('metadataModeOf: kraft suffix and Kafka 4', () => {
    assert.equal(metadataModeOf('3.7.x.kraft'), 'kraft');
    assert.equal(metadataModeOf('4.0.x'), 'kraft');
    assert.equal(metadataModeOf('3.9.x'), 'zookeeper');
    assert.equal(metadataModeOf('2.8.1'), 'zookeeper');
  });
});
