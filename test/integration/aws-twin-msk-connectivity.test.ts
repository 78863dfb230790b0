// MSK multi-VPC private connectivity ("pattern 0") in the testbed, with the real AWS SDK v3 Kafka
// client: UpdateConnectivity and its rolling restart, cluster policies, managed VPC connections
// (MSK developer guide, "Amazon MSK multi-VPC private connectivity in a single Region" and the pages
// under it; MSK API reference). Part one is the AWS twin alone, every refusal included; part two is a
// private testbed (startTestbed: real Kafka on 127.0.71.x, its MSK driver, a network twin handing out
// 127.0.72.x; the shared testbed is left alone): the brokers get their VPC connectivity listeners, a client in the consumer account's DNS view
// bootstraps with the VpcConnectivity SASL/SCRAM string (TLS verified against the testbed CA) and
// reads metadata naming b-<id>.scram.<domain>:1400<id>; deleting the connection takes the names
// away; turning connectivity off restores the brokers.
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import {
  CreateClusterV2Command,
  CreateVpcConnectionCommand,
  DeleteClusterPolicyCommand,
  DeleteVpcConnectionCommand,
  DescribeClusterCommand,
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  DescribeVpcConnectionCommand,
  GetBootstrapBrokersCommand,
  GetClusterPolicyCommand,
  KafkaClient,
  ListClientVpcConnectionsCommand,
  ListClusterOperationsV2Command,
  ListTagsForResourceCommand,
  ListVpcConnectionsCommand,
  PutClusterPolicyCommand,
  RejectClientVpcConnectionCommand,
  TagResourceCommand,
  UpdateClusterConfigurationCommand,
  UpdateConnectivityCommand,
  type Cluster,
  type CreateVpcConnectionCommandInput,
} from '@aws-sdk/client-kafka';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startAwsTwin, type AwsTwin, type MskClusterSeed } from '../testbed/aws/twin.js';
import type { KafkaTestCluster } from '../testbed/kafka/cluster.js';
import type { MskDriver } from '../testbed/kafka/msk-driver.js';
import { resolvingSocketFactory } from '../testbed/kafka/socket-factory.js';
import { VPC_LISTENERS } from '../testbed/kafka/vpc-listeners.js';
import {
  createVpcConnection,
  defaultSecurityGroup,
  deleteVpcConnection,
  multiVpcClusterPolicy,
  putClusterPolicy,
  updateVpcConnectivity,
  vpcConnectivityBootstrap,
  waitForVpcConnection,
} from '../testbed/msk-vpc-connectivity.js';
import { queryDns } from '../testbed/network/dns-client.js';
import type { NetworkTwin } from '../testbed/network/twin.js';
import { clientsFor, seedVpc, type AccountNetwork, type Clients } from '../testbed/scenario.js';
import { startTestbed, type Testbed } from '../testbed/testbed.js';

const REGION = 'us-east-2';
const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const OTHER = '333333333333';
const RESTART_MS = 100;
const CONNECTION_MS = 150;

type Failure = Error & { $metadata?: { httpStatusCode?: number }; invalidParameter?: string };

async function rejection(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (err) {
    return err as Failure;
  }
  assert.fail('expected the call to fail');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

describe('AWS twin: MSK multi-VPC private connectivity (UpdateConnectivity, cluster policies, VPC connections)', function () {
  this.timeout(30_000);
  let twin: AwsTwin;
  let provider: Clients;
  let consumer: Clients;
  let other: Clients;
  let providerNet: AccountNetwork;
  let consumerNet: AccountNetwork;
  let consumerGroup: string;

  before(async () => {
    twin = await startAwsTwin({
      region: REGION,
      delaysMs: { mskBrokerRestartMs: RESTART_MS, mskVpcConnectionMs: CONNECTION_MS },
    });
    const target = { endpoint: twin.endpoint, region: REGION };
    provider = clientsFor(target, PROVIDER);
    consumer = clientsFor(target, CONSUMER);
    other = clientsFor(target, OTHER);
  });

  after(async () => {
    for (const c of [provider, consumer, other]) c?.destroy();
    await twin?.stop();
  });

  beforeEach(async () => {
    await twin.control.reset();
    [providerNet, consumerNet] = await Promise.all([
      seedVpc(provider, '10.0.0.0/16'),
      seedVpc(consumer, '10.20.0.0/16'),
    ]);
    consumerGroup = await defaultSecurityGroup(consumer.ec2, consumerNet.vpcId);
  });

  /** Three brokers over the provider's three subnets; SASL/SCRAM and TLS client authentication by default. */
  async function seedCluster(extra: Partial<MskClusterSeed> = {}): Promise<string> {
    return twin.control.seedMskCluster({
      account: PROVIDER,
      region: REGION,
      clusterName: 'orders',
      shortId: 'abc123',
      clientBroker: 'TLS',
      auth: { scram: true, tls: true },
      brokers: [1, 2, 3].map((id) => ({
        id,
        clientVpcIp: `10.0.${id}.10`,
        clientSubnet: providerNet.subnets[id - 1]!.id,
      })),
      ...extra,
    });
  }
  const domain = 'orders.abc123.c2.kafka.us-east-2.amazonaws.com';

  async function describeV2(kafka: KafkaClient, arn: string): Promise<Cluster> {
    return (await kafka.send(new DescribeClusterV2Command({ ClusterArn: arn }))).ClusterInfo!;
  }

  function connectivity(scram?: boolean, tls?: boolean, iam?: boolean) {
    const flag = (v?: boolean) => (v === undefined ? undefined : { Enabled: v });
    return {
      VpcConnectivity: {
        ClientAuthentication: { Sasl: { Scram: flag(scram), Iam: flag(iam) }, Tls: flag(tls) },
      },
    };
  }

  async function updateConnectivity(
    arn: string,
    info: ReturnType<typeof connectivity>,
    version?: string,
  ): Promise<string> {
    const out = await provider.kafka.send(
      new UpdateConnectivityCommand({
        ClusterArn: arn,
        CurrentVersion: version ?? (await describeV2(provider.kafka, arn)).CurrentVersion,
        ConnectivityInfo: info,
      }),
    );
    return out.ClusterOperationArn!;
  }

  async function finished(opArn: string): Promise<string> {
    return waitFor(`operation ${opArn}`, async () => {
      const op = (
        await provider.kafka.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: opArn }))
      ).ClusterOperationInfo!;
      return op.OperationState === 'UPDATE_COMPLETE' || op.OperationState === 'UPDATE_FAILED'
        ? op.OperationState
        : undefined;
    });
  }

  function connectionInput(arn: string, extra: Partial<CreateVpcConnectionCommandInput> = {}) {
    return {
      TargetClusterArn: arn,
      Authentication: 'SASL_SCRAM',
      VpcId: consumerNet.vpcId,
      ClientSubnets: consumerNet.subnets.map((s) => s.id),
      SecurityGroups: [consumerGroup],
      ...extra,
    };
  }

  it('refuses UpdateConnectivity as MSK does: stale version, unauthenticated, scheme not on, t3.small, Kafka < 2.7.1, no change, not ACTIVE', async () => {
    const arn = await seedCluster({ auth: { scram: true } });
    const stale = await rejection(updateConnectivity(arn, connectivity(true), 'K0000000000000'));
    assert.equal(stale.name, 'BadRequestException');
    assert.equal(stale.$metadata?.httpStatusCode, 400);
    assert.match(stale.message, /version of the cluster isn.t current/);

    const tls = await rejection(updateConnectivity(arn, connectivity(undefined, true)));
    assert.equal(tls.name, 'BadRequestException');
    assert.match(
      tls.message,
      /can't turn on multi-VPC private connectivity for TLS: TLS client authentication isn't turned on/,
    );
    const iam = await rejection(updateConnectivity(arn, connectivity(undefined, undefined, true)));
    assert.match(iam.message, /for IAM: IAM client authentication isn't turned on/);

    const unauthenticated = await seedCluster({ clusterName: 'open', auth: { unauthenticated: true } });
    const open = await rejection(updateConnectivity(unauthenticated, connectivity(true)));
    assert.equal(open.name, 'BadRequestException');
    assert.match(open.message, /can't be turned on for an unauthenticated cluster/);

    const small = await seedCluster({ clusterName: 'small', instanceType: 'kafka.t3.small' });
    assert.match(
      (await rejection(updateConnectivity(small, connectivity(true)))).message,
      /isn't supported on the kafka\.t3\.small instance type/,
    );
    const old = await seedCluster({ clusterName: 'old', kafkaVersion: '2.6.2' });
    assert.match(
      (await rejection(updateConnectivity(old, connectivity(true)))).message,
      /only on Apache Kafka 2\.7\.1 or higher; this cluster runs 2\.6\.2/,
    );
    // 2.7.1 itself is enough; so is a KRaft cluster's 3.9.x.kraft.
    const edge = await seedCluster({ clusterName: 'edge', kafkaVersion: '2.7.1' });
    assert.equal(await finished(await updateConnectivity(edge, connectivity(true))), 'UPDATE_COMPLETE');
    const kraft = await seedCluster({ clusterName: 'kraft', metadataMode: 'KRAFT' });
    assert.equal(await finished(await updateConnectivity(kraft, connectivity(true))), 'UPDATE_COMPLETE');

    const same = await rejection(updateConnectivity(arn, connectivity(false)));
    assert.match(same.message, /doesn't change the cluster's connectivity/);
    const publicAccess = await rejection(
      updateConnectivity(arn, {
        ...connectivity(true),
        PublicAccess: { Type: 'SERVICE_PROVIDED_EIPS' },
      } as never),
    );
    assert.match(publicAccess.message, /models no public access/);

    // One operation at a time: UPDATING refuses another update.
    await updateConnectivity(arn, connectivity(true));
    const busy = await rejection(updateConnectivity(arn, connectivity(false)));
    assert.match(busy.message, /is in UPDATING state/);
    const config = await rejection(
      provider.kafka.send(
        new UpdateClusterConfigurationCommand({
          ClusterArn: arn,
          ConfigurationInfo: { Arn: 'arn:aws:kafka:us-east-2:111111111111:configuration/x/y-1', Revision: 1 },
          CurrentVersion: (await describeV2(provider.kafka, arn)).CurrentVersion,
        }),
      ),
    );
    assert.match(config.message, /is in UPDATING state/);

    // A new cluster cannot start with a scheme on (MSK's own message).
    const create = await rejection(
      provider.kafka.send(
        new CreateClusterV2Command({
          ClusterName: 'fresh',
          Provisioned: {
            KafkaVersion: '3.9.x',
            NumberOfBrokerNodes: 3,
            BrokerNodeGroupInfo: {
              InstanceType: 'kafka.m5.large',
              ClientSubnets: providerNet.subnets.map((s) => s.id),
              ConnectivityInfo: connectivity(true),
            },
          },
        }),
      ),
    );
    assert.match(
      create.message,
      /When creating a cluster, all vpcConnectivity auth schemes must be disabled/,
    );
  });

  it('turns connectivity on by a rolling restart: UPDATE_CONNECTIVITY, ConnectivityInfo, VpcConnectivity bootstrap strings', async () => {
    const arn = await seedCluster();
    const before = await describeV2(provider.kafka, arn);
    assert.deepEqual(before.Provisioned!.BrokerNodeGroupInfo!.ConnectivityInfo, {
      PublicAccess: { Type: 'DISABLED' },
      VpcConnectivity: {
        ClientAuthentication: {
          Sasl: { Scram: { Enabled: false }, Iam: { Enabled: false } },
          Tls: { Enabled: false },
        },
      },
    });
    const plain = await provider.kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
    assert.equal(plain.BootstrapBrokerStringVpcConnectivitySaslScram, undefined);

    const started = Date.now();
    const opArn = await updateConnectivity(arn, connectivity(true, true));
    assert.match(
      opArn,
      /^arn:aws:kafka:us-east-2:111111111111:cluster-operation\/orders\/[0-9a-f-]+\/[0-9a-f-]{36}$/,
    );
    const during = await describeV2(provider.kafka, arn);
    assert.equal(during.State, 'UPDATING');
    assert.equal(during.ActiveOperationArn, opArn);
    assert.notEqual(during.CurrentVersion, before.CurrentVersion);
    // Still off until the restart ends.
    assert.equal(
      during.Provisioned!.BrokerNodeGroupInfo!.ConnectivityInfo!.VpcConnectivity!.ClientAuthentication!.Tls!
        .Enabled,
      false,
    );
    assert.equal(await finished(opArn), 'UPDATE_COMPLETE');
    assert.ok(Date.now() - started >= 3 * RESTART_MS, 'three brokers, one at a time');

    const op = (
      await provider.kafka.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: opArn }))
    ).ClusterOperationInfo!;
    assert.equal(op.OperationType, 'UPDATE_CONNECTIVITY');
    assert.equal(
      op.Provisioned!.SourceClusterInfo!.ConnectivityInfo!.VpcConnectivity!.ClientAuthentication!.Sasl!.Scram!
        .Enabled,
      false,
    );
    assert.deepEqual(op.Provisioned!.TargetClusterInfo!.ConnectivityInfo!.VpcConnectivity, {
      ClientAuthentication: {
        Sasl: { Scram: { Enabled: true }, Iam: { Enabled: false } },
        Tls: { Enabled: true },
      },
    });
    const ops = await provider.kafka.send(new ListClusterOperationsV2Command({ ClusterArn: arn }));
    assert.deepEqual(
      ops.ClusterOperationInfoList!.map((o) => [o.OperationType, o.OperationState]),
      [['UPDATE_CONNECTIVITY', 'UPDATE_COMPLETE']],
    );

    const after = await describeV2(provider.kafka, arn);
    assert.equal(after.State, 'ACTIVE');
    assert.equal(after.ActiveOperationArn, undefined);
    assert.deepEqual(after.Provisioned!.BrokerNodeGroupInfo!.ConnectivityInfo!.VpcConnectivity, {
      ClientAuthentication: {
        Sasl: { Scram: { Enabled: true }, Iam: { Enabled: false } },
        Tls: { Enabled: true },
      },
    });
    const v1 = (await provider.kafka.send(new DescribeClusterCommand({ ClusterArn: arn }))).ClusterInfo!;
    assert.equal(
      v1.BrokerNodeGroupInfo!.ConnectivityInfo!.VpcConnectivity!.ClientAuthentication!.Tls!.Enabled,
      true,
    );

    const strings = await provider.kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
    assert.equal(
      strings.BootstrapBrokerStringVpcConnectivitySaslScram,
      [1, 2, 3].map((id) => `b-${id}.scram.${domain}:${14000 + id}`).join(','),
    );
    assert.equal(
      strings.BootstrapBrokerStringVpcConnectivityTls,
      [1, 2, 3].map((id) => `b-${id}.tls.${domain}:${14000 + id}`).join(','),
    );
    assert.equal(strings.BootstrapBrokerStringVpcConnectivitySaslIam, undefined);
    // The cluster's own strings are unchanged.
    assert.equal(strings.BootstrapBrokerStringSaslScram, plain.BootstrapBrokerStringSaslScram);
    // A broker added later gets the VPC listeners too.
    const next = await twin.control.mskAdvertised(arn);
    assert.deepEqual(next.vpcListeners, {
      scram: `b-4.scram.${domain}:14004`,
      tls: `b-4.tls.${domain}:14004`,
    });
    assert.deepEqual(next.brokersVpc!['2'], {
      scram: `b-2.scram.${domain}:14002`,
      tls: `b-2.tls.${domain}:14002`,
    });
  });

  it('keeps a cluster policy with its version: Put, Get, update needs CurrentVersion, Delete', async () => {
    const arn = await seedCluster();
    const none = await rejection(provider.kafka.send(new GetClusterPolicyCommand({ ClusterArn: arn })));
    assert.equal(none.name, 'NotFoundException');
    assert.equal(none.$metadata?.httpStatusCode, 404);

    const policy = multiVpcClusterPolicy(arn, [CONSUMER]);
    const v1 = (await provider.kafka.send(new PutClusterPolicyCommand({ ClusterArn: arn, Policy: policy })))
      .CurrentVersion!;
    const got = await provider.kafka.send(new GetClusterPolicyCommand({ ClusterArn: arn }));
    assert.equal(got.CurrentVersion, v1);
    assert.deepEqual(JSON.parse(got.Policy!), JSON.parse(policy));

    const missing = await rejection(
      provider.kafka.send(new PutClusterPolicyCommand({ ClusterArn: arn, Policy: policy })),
    );
    assert.equal(missing.name, 'BadRequestException');
    assert.match(missing.message, /currentVersion is required to update/);
    const stale = await rejection(
      provider.kafka.send(
        new PutClusterPolicyCommand({ ClusterArn: arn, Policy: policy, CurrentVersion: 'K1' }),
      ),
    );
    assert.match(stale.message, /policy version isn't current/);
    const invalid = await rejection(
      provider.kafka.send(
        new PutClusterPolicyCommand({ ClusterArn: arn, Policy: '{not json', CurrentVersion: v1 }),
      ),
    );
    assert.match(invalid.message, /not valid JSON/);
    const v2 = await putClusterPolicy(provider.kafka, arn, multiVpcClusterPolicy(arn, [CONSUMER, OTHER]));
    assert.notEqual(v2, v1);

    // Only the owner manages it: another account does not see the cluster through these calls.
    assert.equal(
      (await rejection(consumer.kafka.send(new GetClusterPolicyCommand({ ClusterArn: arn })))).name,
      'NotFoundException',
    );
    await provider.kafka.send(new DeleteClusterPolicyCommand({ ClusterArn: arn }));
    assert.equal(
      (await rejection(provider.kafka.send(new GetClusterPolicyCommand({ ClusterArn: arn })))).name,
      'NotFoundException',
    );
    assert.equal(
      (await rejection(provider.kafka.send(new DeleteClusterPolicyCommand({ ClusterArn: arn })))).name,
      'NotFoundException',
    );
  });

  it('refuses CreateVpcConnection without the cluster policy, without the scheme on, with subnets that do not match the cluster AZ IDs, and bad input', async () => {
    const arn = await seedCluster();
    await updateConnectivity(arn, connectivity(true));
    await finished(
      (await provider.kafka.send(new ListClusterOperationsV2Command({ ClusterArn: arn })))
        .ClusterOperationInfoList![0]!.OperationArn!,
    );
    const create = (input: ReturnType<typeof connectionInput>, client: Clients = consumer) =>
      client.kafka.send(new CreateVpcConnectionCommand(input));

    // No cluster policy: another account may not.
    const noPolicy = await rejection(create(connectionInput(arn)));
    assert.equal(noPolicy.name, 'ForbiddenException');
    assert.equal(noPolicy.$metadata?.httpStatusCode, 403);
    assert.match(
      noPolicy.message,
      /User: arn:aws:iam::222222222222:root is not authorized to perform: kafka:CreateVpcConnection on resource: .* because no resource-based policy allows/,
    );
    // A policy for another account, or without the action, is no better; a Deny wins over an Allow.
    await putClusterPolicy(provider.kafka, arn, multiVpcClusterPolicy(arn, [OTHER]));
    assert.equal((await rejection(create(connectionInput(arn)))).name, 'ForbiddenException');
    await putClusterPolicy(
      provider.kafka,
      arn,
      multiVpcClusterPolicy(arn, [CONSUMER], ['kafka:GetBootstrapBrokers']),
    );
    assert.equal((await rejection(create(connectionInput(arn)))).name, 'ForbiddenException');
    await putClusterPolicy(
      provider.kafka,
      arn,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` },
            Action: 'kafka:*',
            Resource: '*',
          },
          { Effect: 'Deny', Principal: '*', Action: 'kafka:CreateVpc*', Resource: arn },
        ],
      }),
    );
    assert.equal((await rejection(create(connectionInput(arn)))).name, 'ForbiddenException');
    // The basic policy for multi-VPC connectivity lets it through to the next checks.
    await putClusterPolicy(provider.kafka, arn, multiVpcClusterPolicy(arn, [CONSUMER]));

    const tlsOff = await rejection(create(connectionInput(arn, { Authentication: 'TLS' })));
    assert.equal(tlsOff.name, 'BadRequestException');
    assert.match(tlsOff.message, /for TLS isn't turned on for cluster/);
    const bogus = await rejection(create(connectionInput(arn, { Authentication: 'PLAINTEXT' })));
    assert.match(bogus.message, /Specify one of these auth type strings: SASL_IAM, SASL_SCRAM, or TLS/);

    // "the same number of client subnets as cluster subnets" in the same AZ IDs.
    const two = await rejection(
      create(connectionInput(arn, { ClientSubnets: consumerNet.subnets.slice(0, 2).map((s) => s.id) })),
    );
    assert.equal(two.name, 'BadRequestException');
    const zones = providerNet.subnets.map((s) => s.availabilityZoneId).sort();
    assert.match(
      two.message,
      new RegExp(`cluster: ${zones.join(', ')}; client subnets: ${zones.slice(0, 2).join(', ')}`),
    );
    // Three subnets but two in one AZ ID.
    const extra = await consumer.ec2.send(
      new CreateSubnetCommand({
        VpcId: consumerNet.vpcId,
        CidrBlock: '10.20.9.0/24',
        AvailabilityZone: consumerNet.subnets[0]!.availabilityZone,
      }),
    );
    const skewed = [consumerNet.subnets[0]!.id, consumerNet.subnets[1]!.id, extra.Subnet!.SubnetId!];
    assert.match(
      (await rejection(create(connectionInput(arn, { ClientSubnets: skewed })))).message,
      /same Availability Zone IDs/,
    );

    const otherVpc = await consumer.ec2.send(new CreateVpcCommand({ CidrBlock: '10.99.0.0/16' }));
    assert.match(
      (await rejection(create(connectionInput(arn, { VpcId: otherVpc.Vpc!.VpcId! })))).message,
      /is not in VPC vpc-/,
    );
    assert.match(
      (await rejection(create(connectionInput(arn, { VpcId: 'vpc-0123456789abcdef0' })))).message,
      /The VPC vpc-0123456789abcdef0 does not exist/,
    );
    assert.match(
      (await rejection(create(connectionInput(arn, { SecurityGroups: ['sg-0123456789abcdef0'] })))).message,
      /security group sg-0123456789abcdef0 does not exist/,
    );
    const crossRegion = await rejection(create(connectionInput(arn.replace('us-east-2', 'us-west-2'))));
    assert.match(crossRegion.message, /isn't supported across AWS Regions/);
    const unknown = await rejection(create(connectionInput(arn.replace(/-\d$/, '-0'))));
    assert.equal(unknown.name, 'BadRequestException');
    assert.match(unknown.message, /cluster was not found/);
    // Nothing was made by any of them.
    assert.deepEqual((await consumer.kafka.send(new ListVpcConnectionsCommand({}))).VpcConnections, []);
  });

  it('makes a VPC connection CREATING -> AVAILABLE; both sides list it; reject, delete and turning the scheme off end it', async () => {
    const arn = await seedCluster();
    await putClusterPolicy(provider.kafka, arn, multiVpcClusterPolicy(arn, [CONSUMER]));
    assert.equal(await finished(await updateConnectivity(arn, connectivity(true, true))), 'UPDATE_COMPLETE');

    // Through the policy the client account reads the cluster and its bootstrap brokers; others may not.
    const strings = await vpcConnectivityBootstrap(consumer.kafka, arn);
    assert.equal(strings.scram, [1, 2, 3].map((id) => `b-${id}.scram.${domain}:${14000 + id}`).join(','));
    assert.equal((await describeV2(consumer.kafka, arn)).ClusterName, 'orders');
    const denied = await rejection(other.kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: arn })));
    assert.equal(denied.name, 'ForbiddenException');
    assert.match(denied.message, /kafka:GetBootstrapBrokers/);

    const created = await consumer.kafka.send(
      new CreateVpcConnectionCommand({ ...connectionInput(arn), Tags: { team: 'payments' } }),
    );
    assert.match(
      created.VpcConnectionArn!,
      /^arn:aws:kafka:us-east-2:222222222222:vpc-connection\/111111111111\/orders\/[0-9a-f-]{36}-\d$/,
    );
    assert.equal(created.State, 'CREATING');
    assert.equal(created.Authentication, 'SASL_SCRAM');
    assert.deepEqual(
      created.ClientSubnets,
      consumerNet.subnets.map((s) => s.id),
    );
    assert.deepEqual(created.SecurityGroups, [consumerGroup]);
    assert.ok(created.CreationTime instanceof Date);
    const connArn = created.VpcConnectionArn!;
    const duplicate = await rejection(
      consumer.kafka.send(new CreateVpcConnectionCommand(connectionInput(arn))),
    );
    assert.match(duplicate.message, /already exists/);
    const t0 = Date.now();
    await waitForVpcConnection(consumer.kafka, connArn, 'AVAILABLE');
    assert.ok(Date.now() - t0 >= CONNECTION_MS - 50, 'CREATING for mskVpcConnectionMs');

    const described = await consumer.kafka.send(new DescribeVpcConnectionCommand({ Arn: connArn }));
    assert.equal(described.TargetClusterArn, arn);
    assert.equal(described.VpcId, consumerNet.vpcId);
    assert.deepEqual(
      described.Subnets,
      consumerNet.subnets.map((s) => s.id),
    );
    assert.deepEqual(described.Tags, { team: 'payments' });
    assert.deepEqual(
      (await consumer.kafka.send(new ListTagsForResourceCommand({ ResourceArn: connArn }))).Tags,
      { team: 'payments' },
    );
    // Tags written later (TagResource, as the tool tags a connection it adopts) show in Describe too.
    await consumer.kafka.send(new TagResourceCommand({ ResourceArn: connArn, Tags: { stack: 's1' } }));
    assert.deepEqual((await consumer.kafka.send(new DescribeVpcConnectionCommand({ Arn: connArn }))).Tags, {
      team: 'payments',
      stack: 's1',
    });
    const mine = await consumer.kafka.send(new ListVpcConnectionsCommand({}));
    assert.deepEqual(
      mine.VpcConnections!.map((c) => [
        c.VpcConnectionArn,
        c.TargetClusterArn,
        c.Authentication,
        c.VpcId,
        c.State,
      ]),
      [[connArn, arn, 'SASL_SCRAM', consumerNet.vpcId, 'AVAILABLE']],
    );
    assert.deepEqual((await other.kafka.send(new ListVpcConnectionsCommand({}))).VpcConnections, []);
    const clients = await provider.kafka.send(new ListClientVpcConnectionsCommand({ ClusterArn: arn }));
    assert.deepEqual(
      clients.ClientVpcConnections!.map((c) => [c.VpcConnectionArn, c.Owner, c.Authentication, c.State]),
      [[connArn, CONSUMER, 'SASL_SCRAM', 'AVAILABLE']],
    );
    // The cluster owner cannot delete it; a stranger does not see it.
    assert.equal(
      (await rejection(provider.kafka.send(new DeleteVpcConnectionCommand({ Arn: connArn })))).name,
      'NotFoundException',
    );
    assert.equal(
      (await rejection(other.kafka.send(new DescribeVpcConnectionCommand({ Arn: connArn })))).name,
      'NotFoundException',
    );

    // The owner rejects it (AVAILABLE only): REJECTING -> REJECTED; the client may then only delete it.
    await provider.kafka.send(
      new RejectClientVpcConnectionCommand({ ClusterArn: arn, VpcConnectionArn: connArn }),
    );
    assert.equal(
      (await consumer.kafka.send(new DescribeVpcConnectionCommand({ Arn: connArn }))).State,
      'REJECTING',
    );
    await waitForVpcConnection(consumer.kafka, connArn, 'REJECTED');
    const again = await rejection(
      provider.kafka.send(
        new RejectClientVpcConnectionCommand({ ClusterArn: arn, VpcConnectionArn: connArn }),
      ),
    );
    assert.match(again.message, /only an AVAILABLE one can be rejected/);
    const deleted = await consumer.kafka.send(new DeleteVpcConnectionCommand({ Arn: connArn }));
    assert.equal(deleted.State, 'DELETING');
    await waitForVpcConnection(consumer.kafka, connArn, 'GONE');
    assert.deepEqual((await consumer.kafka.send(new ListVpcConnectionsCommand({}))).VpcConnections, []);

    // Turning a scheme off: its connections go INACTIVE (and leave the owner's list); the other scheme's stay.
    const scram = await createVpcConnection(consumer.kafka, {
      clusterArn: arn,
      scheme: 'scram',
      vpcId: consumerNet.vpcId,
      subnetIds: consumerNet.subnets.map((s) => s.id),
      securityGroupIds: [consumerGroup],
    });
    const tls = await createVpcConnection(consumer.kafka, {
      clusterArn: arn,
      scheme: 'tls',
      vpcId: consumerNet.vpcId,
      subnetIds: consumerNet.subnets.map((s) => s.id),
      securityGroupIds: [consumerGroup],
    });
    const offArn = await updateConnectivity(arn, connectivity(false));
    // Still AVAILABLE while the brokers restart; INACTIVE once the operation ends, as the client
    // account sees it without anyone reading the cluster.
    assert.equal(
      (await consumer.kafka.send(new DescribeVpcConnectionCommand({ Arn: scram }))).State,
      'AVAILABLE',
    );
    await new Promise((r) => setTimeout(r, 3 * RESTART_MS + 100));
    assert.deepEqual(
      (await consumer.kafka.send(new ListVpcConnectionsCommand({}))).VpcConnections!.map((c) => [
        c.VpcConnectionArn,
        c.State,
      ]),
      [
        [scram, 'INACTIVE'],
        [tls, 'AVAILABLE'],
      ],
    );
    assert.equal(await finished(offArn), 'UPDATE_COMPLETE');
    assert.equal(
      (await consumer.kafka.send(new DescribeVpcConnectionCommand({ Arn: scram }))).State,
      'INACTIVE',
    );
    assert.equal(
      (await consumer.kafka.send(new DescribeVpcConnectionCommand({ Arn: tls }))).State,
      'AVAILABLE',
    );
    assert.deepEqual(
      (
        await provider.kafka.send(new ListClientVpcConnectionsCommand({ ClusterArn: arn }))
      ).ClientVpcConnections!.map((c) => c.VpcConnectionArn),
      [tls],
    );
    const left = await vpcConnectivityBootstrap(provider.kafka, arn);
    assert.deepEqual(Object.keys(left), ['tls']);
    await deleteVpcConnection(consumer.kafka, scram);
    await deleteVpcConnection(consumer.kafka, tls);
  });
});

describe('testbed: MSK multi-VPC private connectivity end to end (startTestbed: Kafka 127.0.71.x, network twin 127.0.72.x)', function () {
  this.timeout(240_000);
  let tb: Testbed;
  let k: KafkaTestCluster;
  let network: NetworkTwin;
  let driver: MskDriver;
  let provider: Clients;
  let consumer: Clients;
  let consumerNet: AccountNetwork;
  let consumerGroup: string;
  let clusterArn: string;
  let scramConnection = '';
  let tlsConnection = '';
  const log: string[] = [];

  before(async function () {
    // A private testbed beside the shared one (docs/testing.md, Addresses), its scenario cluster with
    // TLS client authentication as well, so that both SASL/SCRAM and TLS connectivity can be on.
    tb = await startTestbed({
      kafka: { ipPrefix: '127.0.71' },
      endpointIpPrefix: '127.0.72',
      delaysMs: { mskVpcConnectionMs: CONNECTION_MS },
      mskClientAuth: { tls: true },
      log: (m) => log.push(m),
    });
    ({ kafka: k, network, mskDriver: driver, clusterArn } = tb);
    provider = tb.clients(PROVIDER);
    consumer = tb.clients(CONSUMER);
    consumerNet = tb.scenario.consumers[0]!;
    consumerGroup = await defaultSecurityGroup(consumer.ec2, consumerNet.vpcId);
    console.log(`      testbed up in ${seconds(tb.startupMs)}`);
  });

  after(async function () {
    this.timeout(60_000);
    for (const c of [provider, consumer]) c?.destroy();
    await tb?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(log.slice(-30).join('\n'));
  });

  /** A resolver asking the network twin's DNS server for one account's VPCs. */
  function resolverFor(account: string): Resolver {
    const d = network.dnsByAccount[account]!;
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([`${d.host}:${d.port}`]);
    return r;
  }

  async function admin(
    bootstrap: string,
    extra: { sasl?: { username: string; password: string } } = {},
  ): Promise<Admin> {
    const resolver = resolverFor(CONSUMER);
    const a = new Kafka({
      clientId: 'vpc-connectivity-test',
      brokers: bootstrap.split(','),
      ssl: { ca: [k.caPem], rejectUnauthorized: true },
      ...(extra.sasl ? { sasl: { mechanism: 'scram-sha-512' as const, ...extra.sasl } } : {}),
      socketFactory: resolvingSocketFactory(async (host) => (await resolver.resolve4(host))[0] ?? ''),
      connectionTimeout: 3000,
      authenticationTimeout: 3000,
      retry: { retries: 2, initialRetryTime: 200 },
      logLevel: logLevel.NOTHING,
    }).admin();
    await a.connect();
    return a;
  }

  const tcpOpen = (host: string, port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const s = net.connect({ host, port });
      s.setTimeout(1000);
      const done = (ok: boolean): void => {
        s.destroy();
        resolve(ok);
      };
      s.once('connect', () => done(true));
      s.once('error', () => done(false));
      s.once('timeout', () => done(false));
    });

  it('UpdateConnectivity (SASL/SCRAM and TLS) restarts the real brokers one at a time with their VPC connectivity listeners', async () => {
    await putClusterPolicy(provider.kafka, clusterArn, multiVpcClusterPolicy(clusterArn, [CONSUMER]));
    const result = await updateVpcConnectivity(provider.kafka, clusterArn, { scram: true, tls: true });
    console.log(`      UpdateConnectivity on: rolling restart of 3 brokers in ${seconds(result.ms)}`);
    assert.equal(result.state, 'UPDATE_COMPLETE', result.error);
    const restarts = driver.restarts.filter((r) => r.operationArn === result.operationArn);
    assert.deepEqual(
      restarts.map((r) => [r.brokerId, r.error]),
      [
        [1, undefined],
        [2, undefined],
        [3, undefined],
      ],
    );
    for (const b of k.brokers) {
      const expected = {
        scram: `b-${b.id}.scram.${k.domain}:${14000 + b.id}`,
        tls: `b-${b.id}.tls.${k.domain}:${14000 + b.id}`,
      };
      assert.deepEqual(restarts[b.id - 1]!.vpcListeners, expected);
      assert.deepEqual(k.vpcListeners(b.id), expected);
      // Each scheme's listener on the broker's own address; the cluster's own listeners unchanged.
      assert.ok(
        await tcpOpen(b.ip, VPC_LISTENERS.scram!.bindBase + b.id),
        `broker ${b.id} SASL/SCRAM VPC listener`,
      );
      assert.ok(await tcpOpen(b.ip, VPC_LISTENERS.tls!.bindBase + b.id), `broker ${b.id} TLS VPC listener`);
      assert.ok(await tcpOpen(b.ip, 9096));
    }
    const strings = await vpcConnectivityBootstrap(consumer.kafka, clusterArn);
    assert.equal(
      strings.scram,
      k.brokers.map((b) => `b-${b.id}.scram.${k.domain}:${14000 + b.id}`).join(','),
    );
  });

  it('a SASL/SCRAM VPC connection: names answer in the consumer view within 2 s; kafkajs bootstraps with the VpcConnectivity string and reads b-<id>.scram.<domain>:1400<id>', async () => {
    scramConnection = await createVpcConnection(consumer.kafka, {
      clusterArn,
      scheme: 'scram',
      vpcId: consumerNet.vpcId,
      subnetIds: consumerNet.subnets.map((s) => s.id),
      securityGroupIds: [consumerGroup],
    });
    const available = Date.now();
    const name = `b-1.scram.${k.domain}`;
    const ip = await waitFor(
      `${name} in the consumer's DNS`,
      async () => {
        const reply = await queryDns(network.dnsByAccount[CONSUMER]!, name);
        return reply.addresses[0];
      },
      2000,
    );
    console.log(`      ${name} answered ${Date.now() - available} ms after AVAILABLE: ${ip}`);
    assert.match(ip, /^127\.0\.72\.\d+$/);
    assert.equal(network.addressOf(scramConnection), ip);
    for (const b of k.brokers)
      assert.deepEqual(
        (await queryDns(network.dnsByAccount[CONSUMER]!, `b-${b.id}.scram.${k.domain}`)).addresses,
        [ip],
      );
    // Only inside the client's VPC: the provider account's view does not answer it.
    assert.equal((await queryDns(network.dnsByAccount[PROVIDER]!, name)).rcode, 'NXDOMAIN');
    const [binding] = network.vpcConnections();
    assert.equal(binding!.arn, scramConnection);
    assert.equal(binding!.scheme, 'scram');
    assert.deepEqual(
      binding!.listeners.map((l) => [l.port, l.targets]),
      k.brokers.map((b) => [14000 + b.id, [{ host: b.ip, port: VPC_LISTENERS.scram!.bindBase + b.id }]]),
    );

    const bootstrap = (await vpcConnectivityBootstrap(consumer.kafka, clusterArn)).scram!;
    const a = await admin(bootstrap, { sasl: k.scram });
    try {
      const cluster = await a.describeCluster();
      assert.deepEqual(
        cluster.brokers.map((b) => [b.nodeId, b.host, b.port]).sort((x, y) => Number(x[0]) - Number(y[0])),
        k.brokers.map((b) => [b.id, `b-${b.id}.scram.${k.domain}`, 14000 + b.id]),
      );
      await a.createTopics({
        topics: [{ topic: 'vpc-connectivity', numPartitions: 3 }],
        waitForLeaders: true,
      });
      const meta = await a.fetchTopicMetadata({ topics: ['vpc-connectivity'] });
      assert.equal(meta.topics[0]!.partitions.length, 3);
    } finally {
      await a.disconnect();
    }
    const used = network.vpcConnections().find((c) => c.arn === scramConnection)!;
    assert.ok(
      used.listeners.reduce((n, l) => n + l.connections, 0) > 0,
      'traffic went through the connection',
    );
    // A wrong password fails at SASL/SCRAM authentication on the VPC listener.
    await assert.rejects(
      admin(bootstrap, { sasl: { username: k.scram.username, password: 'wrong-password' } }),
    );
  });

  it('a TLS VPC connection: kafkajs over TLS reads b-<id>.tls.<domain>:1400<id>', async () => {
    tlsConnection = await createVpcConnection(consumer.kafka, {
      clusterArn,
      scheme: 'tls',
      vpcId: consumerNet.vpcId,
      subnetIds: consumerNet.subnets.map((s) => s.id),
      securityGroupIds: [consumerGroup],
    });
    const name = `b-2.tls.${k.domain}`;
    const ip = await waitFor(
      name,
      async () => (await queryDns(network.dnsByAccount[CONSUMER]!, name)).addresses[0],
      2000,
    );
    assert.notEqual(ip, network.addressOf(scramConnection), 'one address per connection');
    const a = await admin((await vpcConnectivityBootstrap(consumer.kafka, clusterArn)).tls!);
    try {
      const cluster = await a.describeCluster();
      assert.deepEqual(
        cluster.brokers.map((b) => [b.nodeId, b.host, b.port]).sort((x, y) => Number(x[0]) - Number(y[0])),
        k.brokers.map((b) => [b.id, `b-${b.id}.tls.${k.domain}`, 14000 + b.id]),
      );
    } finally {
      await a.disconnect();
    }
  });

  it('deleting the SASL/SCRAM connection makes its names stop resolving within 2 s and closes its ports', async () => {
    const ip = network.addressOf(scramConnection)!;
    await deleteVpcConnection(consumer.kafka, scramConnection, { wait: false });
    const t0 = Date.now();
    await waitFor(
      'the SASL/SCRAM names to go',
      async () =>
        (await queryDns(network.dnsByAccount[CONSUMER]!, `b-1.scram.${k.domain}`)).rcode === 'NXDOMAIN'
          ? true
          : undefined,
      2000 + CONNECTION_MS,
    );
    console.log(`      names gone ${Date.now() - t0} ms after DeleteVpcConnection`);
    assert.equal(await tcpOpen(ip, 14001), false);
    await waitForVpcConnection(consumer.kafka, scramConnection, 'GONE');
    // The TLS connection is untouched.
    assert.equal(
      (await queryDns(network.dnsByAccount[CONSUMER]!, `b-1.tls.${k.domain}`)).addresses.length,
      1,
    );
  });

  it('UpdateConnectivity off restores the brokers; the TLS connection goes INACTIVE and its names go', async () => {
    const result = await updateVpcConnectivity(provider.kafka, clusterArn, { scram: false, tls: false });
    console.log(`      UpdateConnectivity off: rolling restart of 3 brokers in ${seconds(result.ms)}`);
    assert.equal(result.state, 'UPDATE_COMPLETE', result.error);
    for (const b of k.brokers) {
      assert.deepEqual(k.vpcListeners(b.id), {});
      assert.equal(await tcpOpen(b.ip, VPC_LISTENERS.scram!.bindBase + b.id), false);
      assert.equal(await tcpOpen(b.ip, VPC_LISTENERS.tls!.bindBase + b.id), false);
    }
    assert.equal(
      (await consumer.kafka.send(new DescribeVpcConnectionCommand({ Arn: tlsConnection }))).State,
      'INACTIVE',
    );
    await waitFor(
      'the TLS names to go',
      async () =>
        (await queryDns(network.dnsByAccount[CONSUMER]!, `b-1.tls.${k.domain}`)).rcode === 'NXDOMAIN'
          ? true
          : undefined,
      2000,
    );
    assert.deepEqual(network.vpcConnections(), []);
    assert.deepEqual(await vpcConnectivityBootstrap(consumer.kafka, clusterArn), {});
    // The cluster's own listeners serve as before.
    for (const b of k.brokers) assert.ok(await tcpOpen(b.ip, 9094));
    await deleteVpcConnection(consumer.kafka, tlsConnection);
  });
});
