// Acceptance tests for the AWS twin (issue 3, scope item 1): real AWS SDK v3 clients over HTTP.
import assert from 'node:assert/strict';
import { AWS_TIMINGS } from '../../src/aws/timings.js';
import { connect } from 'node:net';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DeleteVpcEndpointServiceConfigurationsCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  RejectVpcEndpointConnectionsCommand,
} from '@aws-sdk/client-ec2';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeClusterCommand,
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  KafkaClient,
  ListClustersV2Command,
  ListNodesCommand,
} from '@aws-sdk/client-kafka';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetChangeCommand,
  ListHostedZonesCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  assumeRoleConfigFor,
  clientConfigFor,
  envFor,
  startAwsTwin,
  type AwsTwin,
} from '../testbed/aws/twin.js';

const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const STRANGER = '333333333333';

const DELAYS = {
  nlbActiveMs: 150,
  endpointAvailableMs: 150,
  endpointDeleteMs: 50,
  route53ChangeMs: 150,
  mskActiveMs: 50,
};

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected the call to fail');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('AWS twin', function () {
  this.timeout(30_000);
  let twin: AwsTwin;

  const ec2 = (account: string, maxAttempts = 1): EC2Client =>
    new EC2Client(clientConfigFor(twin, account, { maxAttempts }));
  const elb = (account: string, maxAttempts = 1): ElasticLoadBalancingV2Client =>
    new ElasticLoadBalancingV2Client(clientConfigFor(twin, account, { maxAttempts }));
  const kafka = (account: string): KafkaClient =>
    new KafkaClient(clientConfigFor(twin, account, { maxAttempts: 1 }));
  const r53 = (account: string): Route53Client =>
    new Route53Client(clientConfigFor(twin, account, { maxAttempts: 1 }));

  before(async () => {
    twin = await startAwsTwin({ delaysMs: DELAYS });
    console.log(`      AWS twin started in ${twin.startupMs} ms on ${twin.endpoint}`);
  });

  after(async () => {
    const port = Number(new URL(twin.endpoint).port);
    await twin.stop();
    assert.equal(await portOpen(port), false, 'the twin port still listens after stop()');
    assert.throws(() => process.kill(twin.pid, 0), 'the twin process is still alive after stop()');
  });

  beforeEach(async () => {
    await twin.control.reset();
    await twin.control.setDelays(DELAYS);
    await twin.control.setThrottling(false);
  });

  /** Provider VPC with three subnets, an internal NLB with a TLS listener, and its endpoint service. */
  async function providerService(
    acceptanceRequired = true,
    name = 'msk-nlb',
  ): Promise<{ serviceId: string; serviceName: string; lbArn: string }> {
    const pe = ec2(PROVIDER);
    const vpc = await pe.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
    const vpcId = vpc.Vpc!.VpcId!;
    const subnets: string[] = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b', 'us-east-1c'].entries()) {
      const s = await pe.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.1.${i}.0/24`, AvailabilityZone: az }),
      );
      subnets.push(s.Subnet!.SubnetId!);
    }
    const pl = elb(PROVIDER);
    const lb = await pl.send(
      new CreateLoadBalancerCommand({ Name: name, Type: 'network', Scheme: 'internal', Subnets: subnets }),
    );
    const lbArn = lb.LoadBalancers![0]!.LoadBalancerArn!;
    const tg = await pl.send(
      new CreateTargetGroupCommand({
        Name: `${name}-9094`,
        Protocol: 'TCP',
        Port: 9094,
        VpcId: vpcId,
        TargetType: 'ip',
      }),
    );
    await pl.send(
      new CreateListenerCommand({
        LoadBalancerArn: lbArn,
        Protocol: 'TCP',
        Port: 9094,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroups![0]!.TargetGroupArn! }],
      }),
    );
    const svc = await pe.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        NetworkLoadBalancerArns: [lbArn],
        AcceptanceRequired: acceptanceRequired,
      }),
    );
    const serviceId = svc.ServiceConfiguration!.ServiceId!;
    await pe.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: serviceId,
        AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
      }),
    );
    return { serviceId, serviceName: svc.ServiceConfiguration!.ServiceName!, lbArn };
  }

  async function consumerEndpoint(account: string, serviceName: string): Promise<string> {
    const ce = ec2(account);
    const vpc = await ce.send(new CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }));
    const subnet = await ce.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc!.VpcId!,
        CidrBlock: '10.2.0.0/24',
        AvailabilityZone: 'us-east-1a',
      }),
    );
    const ep = await ce.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: vpc.Vpc!.VpcId!,
        ServiceName: serviceName,
        SubnetIds: [subnet.Subnet!.SubnetId!],
      }),
    );
    return ep.VpcEndpoint!.VpcEndpointId!;
  }

  async function endpointState(account: string, id: string): Promise<string | undefined> {
    const out = await ec2(account).send(new DescribeVpcEndpointsCommand({}));
    return out.VpcEndpoints?.find((e) => e.VpcEndpointId === id)?.State;
  }

  it('serves sts, ssm, ec2 and route53 in two accounts', async () => {
    for (const account of [PROVIDER, CONSUMER]) {
      const id = await new STSClient(clientConfigFor(twin, account)).send(new GetCallerIdentityCommand({}));
      assert.equal(id.Account, account);
      assert.equal(envFor(twin, account).AWS_ENDPOINT_URL, twin.endpoint);
    }
    // A real AssumeRole into the consumer account acts there.
    const assumed = await assumeRoleConfigFor(twin, CONSUMER, 'deployer', PROVIDER);
    assert.equal((await new STSClient(assumed).send(new GetCallerIdentityCommand({}))).Account, CONSUMER);
    const created = await new EC2Client(assumed).send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const vpcId = created.Vpc!.VpcId!;
    const inConsumer = await ec2(CONSUMER).send(new DescribeVpcsCommand({}));
    const inProvider = await ec2(PROVIDER).send(new DescribeVpcsCommand({}));
    assert.ok(inConsumer.Vpcs!.some((v) => v.VpcId === vpcId));
    assert.ok(!inProvider.Vpcs!.some((v) => v.VpcId === vpcId));

    await new SSMClient(clientConfigFor(twin, PROVIDER)).send(
      new PutParameterCommand({ Name: '/twin/p', Value: 'provider', Type: 'String' }),
    );
    const missing = await rejection(
      new SSMClient(clientConfigFor(twin, CONSUMER)).send(new GetParameterCommand({ Name: '/twin/p' })),
    );
    assert.equal(missing.name, 'ParameterNotFound');

    const zone = await r53(CONSUMER).send(
      new CreateHostedZoneCommand({
        Name: 'kafka.us-east-1.amazonaws.com',
        CallerReference: 'z1',
        HostedZoneConfig: { PrivateZone: true },
        VPC: { VPCId: vpcId, VPCRegion: 'us-east-1' },
      }),
    );
    const change = await r53(CONSUMER).send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.HostedZone!.Id!,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: 'b-1.kafka.us-east-1.amazonaws.com',
                Type: 'A',
                TTL: 60,
                ResourceRecords: [{ Value: '10.2.0.5' }],
              },
            },
          ],
        },
      }),
    );
    assert.equal(change.ChangeInfo!.Status, 'PENDING');
    await waitFor('Route 53 change INSYNC', async () => {
      const got = await r53(CONSUMER).send(new GetChangeCommand({ Id: change.ChangeInfo!.Id! }));
      return got.ChangeInfo!.Status === 'INSYNC' ? true : undefined;
    });
    assert.equal((await r53(PROVIDER).send(new ListHostedZonesCommand({}))).HostedZones!.length, 0);
  });

  it('answers ListNodes, GetBootstrapBrokers and DescribeClusterV2 from a seeded cluster', async () => {
    const seeded = await twin.control.seedMskClusterDetailed({
      account: PROVIDER,
      clusterName: 'orders',
      kafkaVersion: '3.9.x',
      shortId: 'abc123',
      brokers: [1, 2, 3].map((id) => ({
        id,
        clientVpcIp: `10.1.${id - 1}.10`,
        clientSubnet: `subnet-${id}`,
      })),
    });
    const arn = seeded.clusterArn;
    assert.match(arn, /^arn:aws:kafka:us-east-1:111111111111:cluster\/orders\//);
    const k = kafka(PROVIDER);
    const nodes = await k.send(new ListNodesCommand({ ClusterArn: arn }));
    const brokers = nodes.NodeInfoList!.map((n) => n.BrokerNodeInfo!);
    assert.deepEqual(
      brokers.map((b) => [b.BrokerId, b.ClientVpcIpAddress, b.ClientSubnet, b.Endpoints]),
      [1, 2, 3].map((id) => [
        id,
        `10.1.${id - 1}.10`,
        `subnet-${id}`,
        [`b-${id}.orders.abc123.c2.kafka.us-east-1.amazonaws.com`],
      ]),
    );
    // A node replaced by MSK: same id and name, a new IP and network interface.
    await twin.control.moveBroker(arn, 2, '10.1.1.77');
    const moved = (await k.send(new ListNodesCommand({ ClusterArn: arn }))).NodeInfoList!.map(
      (n) => n.BrokerNodeInfo!,
    );
    assert.deepEqual(
      moved.map((b) => b.ClientVpcIpAddress),
      ['10.1.0.10', '10.1.1.77', '10.1.2.10'],
    );
    assert.notEqual(moved[1]!.AttachedENIId, brokers[1]!.AttachedENIId);
    assert.deepEqual(moved[1]!.Endpoints, brokers[1]!.Endpoints);
    await assert.rejects(twin.control.moveBroker(arn, 9, '10.1.1.78'), /no broker 9/);
    const boot = await k.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
    assert.equal(
      boot.BootstrapBrokerStringTls,
      [1, 2, 3].map((id) => `b-${id}.orders.abc123.c2.kafka.us-east-1.amazonaws.com:9094`).join(','),
    );
    assert.match(boot.BootstrapBrokerString!, /:9092,/);

    const v2 = (await k.send(new DescribeClusterV2Command({ ClusterArn: arn }))).ClusterInfo!;
    assert.equal(v2.State, 'ACTIVE');
    assert.equal(v2.ClusterType, 'PROVISIONED');
    assert.equal(v2.Provisioned!.CurrentBrokerSoftwareInfo!.KafkaVersion, '3.9.x');
    assert.equal(v2.Provisioned!.BrokerNodeGroupInfo!.InstanceType, 'kafka.m5.large');
    assert.ok(v2.CreationTime instanceof Date && Math.abs(v2.CreationTime.getTime() - Date.now()) < 60_000);
    const v1 = (await k.send(new DescribeClusterCommand({ ClusterArn: arn }))).ClusterInfo!;
    assert.ok(v1.CreationTime instanceof Date);
    assert.equal(v1.State, 'ACTIVE');

    const kraft = await twin.control.seedMskCluster({
      account: PROVIDER,
      clusterName: 'express',
      kafkaVersion: '3.7.x',
      metadataMode: 'KRAFT',
      brokerType: 'express',
      brokers: [{ id: 1, clientVpcIp: '10.1.0.20', clientSubnet: 'subnet-1' }],
    });
    const serverless = await twin.control.seedMskCluster({
      account: PROVIDER,
      clusterName: 'sls',
      serverless: true,
      subnets: ['subnet-1'],
    });
    const list = await k.send(new ListClustersV2Command({}));
    const byArn = new Map(list.ClusterInfoList!.map((c) => [c.ClusterArn, c]));
    assert.equal(byArn.get(kraft)!.Provisioned!.CurrentBrokerSoftwareInfo!.KafkaVersion, '3.7.x.kraft');
    assert.equal(byArn.get(kraft)!.Provisioned!.BrokerNodeGroupInfo!.InstanceType, 'express.m7g.large');
    assert.equal(byArn.get(serverless)!.ClusterType, 'SERVERLESS');
    assert.ok(list.ClusterInfoList!.every((c) => c.CreationTime instanceof Date));
    assert.match(
      (await k.send(new GetBootstrapBrokersCommand({ ClusterArn: serverless })))
        .BootstrapBrokerStringSaslIam!,
      /:9098$/,
    );

    const named = await k.send(new ListClustersV2Command({ ClusterNameFilter: 'exp' }));
    assert.deepEqual(
      named.ClusterInfoList!.map((c) => c.ClusterArn),
      [kraft],
    );
    const typed = await k.send(new ListClustersV2Command({ ClusterTypeFilter: 'SERVERLESS' }));
    assert.deepEqual(
      typed.ClusterInfoList!.map((c) => c.ClusterArn),
      [serverless],
    );

    // The cluster belongs to the provider account only.
    const elsewhere = await rejection(kafka(CONSUMER).send(new ListNodesCommand({ ClusterArn: arn })));
    assert.equal(elsewhere.name, 'NotFoundException');
  });

  it('keeps an endpoint pendingAcceptance until the provider accepts, then pending, then available', async () => {
    const { serviceId, serviceName } = await providerService(true);
    const endpointId = await consumerEndpoint(CONSUMER, serviceName);
    assert.equal(await endpointState(CONSUMER, endpointId), 'pendingAcceptance');
    await new Promise((r) => setTimeout(r, DELAYS.endpointAvailableMs + 50));
    assert.equal(await endpointState(CONSUMER, endpointId), 'pendingAcceptance', 'must not move by itself');

    const conns = await ec2(PROVIDER).send(new DescribeVpcEndpointConnectionsCommand({}));
    assert.deepEqual(
      conns.VpcEndpointConnections!.map((c) => [
        c.VpcEndpointId,
        c.VpcEndpointOwner,
        c.VpcEndpointState,
        c.ServiceId,
      ]),
      [[endpointId, CONSUMER, 'pendingAcceptance', serviceId]],
    );
    const accepted = await ec2(PROVIDER).send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [endpointId] }),
    );
    assert.deepEqual(accepted.Unsuccessful ?? [], []);
    assert.equal(await endpointState(CONSUMER, endpointId), 'pending');
    await waitFor('endpoint available', async () =>
      (await endpointState(CONSUMER, endpointId)) === 'available' ? true : undefined,
    );
    const after = await ec2(PROVIDER).send(
      new DescribeVpcEndpointConnectionsCommand({
        Filters: [{ Name: 'vpc-endpoint-id', Values: [endpointId] }],
      }),
    );
    assert.equal(after.VpcEndpointConnections![0]!.VpcEndpointState, 'available');

    // Deleted endpoints leave describe after the delete delay.
    await ec2(CONSUMER).send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }));
    assert.notEqual(await endpointState(CONSUMER, endpointId), 'available');
    await waitFor('endpoint gone', async () =>
      (await endpointState(CONSUMER, endpointId)) === undefined ? true : undefined,
    );
  });

  it('rejects a connection on request', async () => {
    const { serviceId, serviceName } = await providerService(true);
    const endpointId = await consumerEndpoint(CONSUMER, serviceName);
    const out = await ec2(PROVIDER).send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [endpointId] }),
    );
    assert.deepEqual(out.Unsuccessful ?? [], []);
    assert.equal(await endpointState(CONSUMER, endpointId), 'rejected');
    // An endpoint to a service without acceptance goes straight to pending.
    const open = await providerService(false, 'open-nlb');
    const second = await consumerEndpoint(CONSUMER, open.serviceName);
    assert.equal(await endpointState(CONSUMER, second), 'pending');
  });

  it('refuses a security group description EC2 refuses (an apostrophe), as moto did not', async () => {
    const vpc = await ec2(CONSUMER).send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const create = (GroupName: string, Description: string) =>
      ec2(CONSUMER).send(new CreateSecurityGroupCommand({ GroupName, Description, VpcId: vpc.Vpc?.VpcId }));
    const err = await rejection(create('sg-quote', "Kafka ports from analytics's clients only"));
    assert.equal(err.name, 'InvalidParameterValue');
    assert.match(err.message, /GroupDescription/);
    assert.ok((await create('sg-plain', 'Kafka ports from the clients of analytics only')).GroupId);
    assert.equal((await rejection(create('sg-long', 'x'.repeat(256)))).name, 'InvalidParameterValue');
  });

  it("names each allowed principal with its type and permission id, as Terraform's accepter reads it", async () => {
    const { serviceId } = await providerService(true, 'msk-nlb-perm');
    const role = 'arn:aws:iam::444444444444:role/reader';
    const added = await ec2(PROVIDER).send(
      new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, AddAllowedPrincipals: [role] }),
    );
    assert.equal(added.AddedPrincipals?.length, 1);
    const [a] = added.AddedPrincipals ?? [];
    assert.equal(a?.Principal, role);
    assert.equal(a?.PrincipalType, 'Role');
    assert.match(a?.ServicePermissionId ?? '', /^vpce-svc-perm-[0-9a-f]{17}$/);
    const listed = await ec2(PROVIDER).send(
      new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: serviceId }),
    );
    const byPrincipal = new Map((listed.AllowedPrincipals ?? []).map((p) => [p.Principal, p]));
    assert.equal(byPrincipal.get(role)?.ServicePermissionId, a?.ServicePermissionId, 'the same id when read');
    assert.equal(byPrincipal.get(`arn:aws:iam::${CONSUMER}:root`)?.PrincipalType, 'Account');
    assert.equal(byPrincipal.get(role)?.ServiceId, serviceId);
  });

  it('makes a zone created with a VPC private, PrivateZone given or not (as Route 53 does)', async () => {
    const vpc = await ec2(CONSUMER).send(new CreateVpcCommand({ CidrBlock: '10.8.0.0/16' }));
    const made = await r53(CONSUMER).send(
      new CreateHostedZoneCommand({
        Name: 'private-by-vpc.example.com',
        CallerReference: 'by-vpc',
        HostedZoneConfig: { Comment: 'no PrivateZone flag' },
        VPC: { VPCId: vpc.Vpc?.VpcId, VPCRegion: 'us-east-1' },
      }),
    );
    assert.equal(made.HostedZone?.Config?.PrivateZone, true);
    const pub = await r53(CONSUMER).send(
      new CreateHostedZoneCommand({ Name: 'public.example.com', CallerReference: 'pub' }),
    );
    assert.equal(pub.HostedZone?.Config?.PrivateZone, false);
  });

  it('refuses an endpoint from an account the service does not allow, and an unknown service name', async () => {
    const { serviceName } = await providerService(true);
    // An allowed consumer sees the provider's service; a stranger does not.
    const seen = await ec2(CONSUMER).send(
      new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] }),
    );
    assert.equal(seen.ServiceDetails![0]!.Owner, PROVIDER);
    assert.equal(seen.ServiceDetails![0]!.AcceptanceRequired, true);
    const hidden = await rejection(
      ec2(STRANGER).send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] })),
    );
    assert.equal(hidden.name, 'InvalidServiceName');
    const refused = await rejection(consumerEndpoint(STRANGER, serviceName));
    assert.equal(refused.name, 'InvalidServiceName');
    const unknown = await rejection(
      consumerEndpoint(CONSUMER, 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0'),
    );
    assert.equal(unknown.name, 'InvalidServiceName');
    const nonsense = await rejection(consumerEndpoint(CONSUMER, 'com.example.nothing'));
    assert.equal(nonsense.name, 'InvalidServiceName');
  });

  it('honours ClientToken and refuses deletes in an order AWS refuses', async () => {
    const { serviceId, serviceName, lbArn } = await providerService(true);
    const ce = ec2(CONSUMER);
    const vpc = await ce.send(new CreateVpcCommand({ CidrBlock: '10.5.0.0/16' }));
    const subnet = await ce.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc!.VpcId!,
        CidrBlock: '10.5.0.0/24',
        AvailabilityZone: 'us-east-1b',
      }),
    );
    const request = {
      VpcEndpointType: 'Interface' as const,
      VpcId: vpc.Vpc!.VpcId!,
      ServiceName: serviceName,
      SubnetIds: [subnet.Subnet!.SubnetId!],
      ClientToken: 'plan-1-endpoint',
    };
    const first = await ce.send(new CreateVpcEndpointCommand(request));
    const again = await ce.send(new CreateVpcEndpointCommand(request));
    assert.equal(again.VpcEndpoint!.VpcEndpointId, first.VpcEndpoint!.VpcEndpointId);
    assert.equal((await ce.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints!.length, 1);
    const mismatch = await rejection(ce.send(new CreateVpcEndpointCommand({ ...request, SubnetIds: [] })));
    assert.equal(mismatch.name, 'IdempotentParameterMismatch');
    // The endpoint's DNS names follow AWS's form for a custom service, one regional and one per AZ.
    const names = first.VpcEndpoint!.DnsEntries!.map((d) => d.DnsName!);
    assert.equal(names.length, 2);
    assert.ok(names.every((n) => n.endsWith(`.${serviceId}.us-east-1.vpce.amazonaws.com`)));

    const pe = ec2(PROVIDER);
    const busy = await pe.send(
      new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] }),
    );
    assert.equal(busy.Unsuccessful![0]!.Error!.Code, 'ExistingVpcEndpointConnections');
    const inUse = await rejection(
      elb(PROVIDER).send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn })),
    );
    assert.equal(inUse.name, 'ResourceInUseException');

    await pe.send(
      new RejectVpcEndpointConnectionsCommand({
        ServiceId: serviceId,
        VpcEndpointIds: [first.VpcEndpoint!.VpcEndpointId!],
      }),
    );
    const done = await pe.send(
      new DeleteVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] }),
    );
    assert.deepEqual(done.Unsuccessful ?? [], []);
    await elb(PROVIDER).send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lbArn }));
  });

  it('filters DescribeVpcEndpointServiceConfigurations by tag, id, name and state; refuses an unknown filter', async () => {
    const a = await providerService(true, 'svc-a');
    const b = await providerService(true, 'svc-b');
    const pe = ec2(PROVIDER);
    await pe.send(
      new CreateTagsCommand({
        Resources: [a.serviceId],
        Tags: [
          { Key: 'msk-privatelink:stack', Value: 'pay' },
          { Key: 'team', Value: 'kafka' },
        ],
      }),
    );
    await pe.send(
      new CreateTagsCommand({
        Resources: [b.serviceId],
        Tags: [{ Key: 'msk-privatelink:stack', Value: 'ord' }],
      }),
    );
    const ids = async (Filters: Array<{ Name: string; Values: string[] }>) =>
      (
        await pe.send(new DescribeVpcEndpointServiceConfigurationsCommand({ Filters }))
      ).ServiceConfigurations!.map((c) => c.ServiceId);
    assert.deepEqual(await ids([]), [a.serviceId, b.serviceId]);
    assert.deepEqual(await ids([{ Name: 'tag:msk-privatelink:stack', Values: ['pay'] }]), [a.serviceId]);
    assert.deepEqual(await ids([{ Name: 'tag:msk-privatelink:stack', Values: ['pa'] }]), []);
    assert.deepEqual(await ids([{ Name: 'tag-key', Values: ['team'] }]), [a.serviceId]);
    assert.deepEqual(await ids([{ Name: 'service-id', Values: [b.serviceId] }]), [b.serviceId]);
    assert.deepEqual(await ids([{ Name: 'service-name', Values: [a.serviceName] }]), [a.serviceId]);
    assert.deepEqual(await ids([{ Name: 'service-state', Values: ['Available'] }]), [
      a.serviceId,
      b.serviceId,
    ]);
    // Filters combine with AND.
    assert.deepEqual(
      await ids([
        { Name: 'tag:msk-privatelink:stack', Values: ['pay', 'ord'] },
        { Name: 'service-id', Values: [b.serviceId] },
      ]),
      [b.serviceId],
    );
    const bad = await rejection(ids([{ Name: 'no-such-filter', Values: ['x'] }]));
    assert.equal(bad.name, 'InvalidParameterValue');
  });

  it('refuses a duplicate listener, returns the existing NLB for the same name, and provisions over time', async () => {
    const pe = ec2(PROVIDER);
    const vpc = await pe.send(new CreateVpcCommand({ CidrBlock: '10.3.0.0/16' }));
    const subnet = await pe.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc!.VpcId!,
        CidrBlock: '10.3.0.0/24',
        AvailabilityZone: 'us-east-1a',
      }),
    );
    const pl = elb(PROVIDER);
    await twin.control.setDelays({ nlbActiveMs: 400 });
    const create = () =>
      pl.send(
        new CreateLoadBalancerCommand({
          Name: 'dup-nlb',
          Type: 'network',
          Scheme: 'internal',
          Subnets: [subnet.Subnet!.SubnetId!],
        }),
      );
    const createdAt = Date.now();
    const first = (await create()).LoadBalancers![0]!;
    assert.match(first.LoadBalancerArn!, /:loadbalancer\/net\/dup-nlb\//);
    assert.equal(first.State!.Code, 'provisioning');
    const described = await pl.send(
      new DescribeLoadBalancersCommand({ LoadBalancerArns: [first.LoadBalancerArn!] }),
    );
    if (Date.now() - createdAt < 350) {
      assert.equal(described.LoadBalancers![0]!.State!.Code, 'provisioning', 'active too early');
    }
    await waitFor('NLB active', async () => {
      const d = await pl.send(new DescribeLoadBalancersCommand({ Names: ['dup-nlb'] }));
      return d.LoadBalancers![0]!.State!.Code === 'active' ? true : undefined;
    });
    assert.ok(Date.now() - createdAt >= 400, 'active before the provisioning delay');

    assert.equal((await create()).LoadBalancers![0]!.LoadBalancerArn, first.LoadBalancerArn);
    const different = await rejection(
      pl.send(
        new CreateLoadBalancerCommand({
          Name: 'dup-nlb',
          Type: 'network',
          Subnets: [subnet.Subnet!.SubnetId!],
        }),
      ),
    );
    // SDK v3 names modelled errors after their shape: code DuplicateLoadBalancerName.
    assert.equal(different.name, 'DuplicateLoadBalancerNameException');

    const tg = await pl.send(
      new CreateTargetGroupCommand({
        Name: 'tg',
        Protocol: 'TCP',
        Port: 9094,
        VpcId: vpc.Vpc!.VpcId!,
        TargetType: 'ip',
      }),
    );
    const listener = () =>
      pl.send(
        new CreateListenerCommand({
          LoadBalancerArn: first.LoadBalancerArn!,
          Protocol: 'TCP',
          Port: 9094,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroups![0]!.TargetGroupArn! }],
        }),
      );
    await listener();
    assert.equal((await rejection(listener())).name, 'DuplicateListenerException');

    const tags = (n: number, from = 0) =>
      Array.from({ length: n }, (_, i) => ({ Key: `k${from + i}`, Value: 'v' }));
    await pl.send(new AddTagsCommand({ ResourceArns: [first.LoadBalancerArn!], Tags: tags(50) }));
    const tooMany = await rejection(
      pl.send(new AddTagsCommand({ ResourceArns: [first.LoadBalancerArn!], Tags: tags(1, 50) })),
    );
    assert.equal(tooMany.name, 'TooManyTagsException');
  });

  it("surfaces injected throttles as each service's own error code", async () => {
    await twin.control.seedMskCluster({
      account: PROVIDER,
      clusterName: 'c',
      brokers: [{ id: 1, clientVpcIp: '10.0.0.1', clientSubnet: 'subnet-1' }],
    });
    await twin.control.injectFault({ service: 'ec2', action: 'DescribeVpcs', kind: 'throttle', count: 1 });
    await twin.control.injectFault({
      service: 'elbv2',
      action: 'DescribeLoadBalancers',
      kind: 'throttle',
      count: 1,
    });
    await twin.control.injectFault({
      service: 'route53',
      action: 'ListHostedZones',
      kind: 'throttle',
      count: 1,
    });
    await twin.control.injectFault({
      service: 'kafka',
      action: 'ListClustersV2',
      kind: 'throttle',
      count: 1,
    });
    assert.equal(
      (await rejection(ec2(PROVIDER).send(new DescribeVpcsCommand({})))).name,
      'RequestLimitExceeded',
    );
    assert.equal(
      (await rejection(elb(PROVIDER).send(new DescribeLoadBalancersCommand({})))).name,
      'Throttling',
    );
    assert.equal((await rejection(r53(PROVIDER).send(new ListHostedZonesCommand({})))).name, 'Throttling');
    assert.equal(
      (await rejection(kafka(PROVIDER).send(new ListClustersV2Command({})))).name,
      'TooManyRequestsException',
    );
    // The SDK's standard retry treats it as a throttle and gets through on the next attempt.
    await twin.control.injectFault({ service: 'ec2', action: 'DescribeVpcs', kind: 'throttle', count: 1 });
    await ec2(PROVIDER, 3).send(new DescribeVpcsCommand({}));
  });

  it('throttles with per-account token buckets when switched on', async () => {
    await twin.control.setThrottling(true);
    const ce = ec2(CONSUMER);
    // EC2 CreateVpcEndpoint/DeleteVpcEndpoints/ModifyVpcEndpoint: burst 4, refill 0.3/s.
    for (let i = 0; i < 4; i++) await ce.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ['vpce-0'] }));
    const throttled = await rejection(ce.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ['vpce-0'] })));
    assert.equal(throttled.name, 'RequestLimitExceeded');
    assert.equal(throttled.$metadata?.httpStatusCode, 503);
    // Another account has its own bucket; another family in the same account too.
    await ec2(PROVIDER).send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ['vpce-0'] }));
    await ce.send(new DescribeVpcsCommand({}));
    const rows = await twin.control.counters({ account: CONSUMER, action: 'DeleteVpcEndpoints' });
    assert.equal(rows[0]!.throttled, 1);

    // Route 53: a second change to a zone while the first is PENDING.
    const zone = await r53(CONSUMER).send(
      new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: 'r' }),
    );
    const upsert = (ip: string) =>
      r53(CONSUMER).send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zone.HostedZone!.Id!,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: 'a.example.com',
                  Type: 'A',
                  TTL: 60,
                  ResourceRecords: [{ Value: ip }],
                },
              },
            ],
          },
        }),
      );
    await upsert('10.0.0.1');
    assert.equal((await rejection(upsert('10.0.0.2'))).name, 'PriorRequestNotComplete');

    await twin.control.setThrottling(false);
    await ce.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ['vpce-0'] }));
    await upsert('10.0.0.3');
  });

  it('runs delays, token buckets and latency in scaled time (the time factor)', async () => {
    const pe = ec2(PROVIDER);
    const vpc = await pe.send(new CreateVpcCommand({ CidrBlock: '10.4.0.0/16' }));
    const subnet = await pe.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc!.VpcId!,
        CidrBlock: '10.4.0.0/24',
        AvailabilityZone: 'us-east-1a',
      }),
    );
    try {
      // AWS's typical delays, 100 times faster: 3 minutes of NLB provisioning take 1.8 s.
      await twin.control.setDelays({ nlbActiveMs: AWS_TIMINGS.nlbActiveMs });
      const t = await twin.control.setTime({ factor: 0.01 });
      assert.equal(t.factor, 0.01);
      assert.equal(t.delaysMs.nlbActiveMs, 180_000);
      const nlb = (
        await elb(PROVIDER).send(
          new CreateLoadBalancerCommand({
            Name: 'scaled-nlb',
            Type: 'network',
            Scheme: 'internal',
            Subnets: [subnet.Subnet!.SubnetId!],
          }),
        )
      ).LoadBalancers![0]!;
      const state = async () =>
        (
          await elb(PROVIDER).send(
            new DescribeLoadBalancersCommand({ LoadBalancerArns: [nlb.LoadBalancerArn!] }),
          )
        ).LoadBalancers![0]!.State!.Code;
      const t0 = Date.now();
      assert.equal(await state(), 'provisioning');
      while ((await state()) !== 'active') {
        assert.ok(Date.now() - t0 < 10_000, 'the NLB never became active');
        await new Promise((r) => setTimeout(r, 100));
      }
      const tookMs = Date.now() - t0;
      assert.ok(tookMs > 1_000 && tookMs < 6_000, `active after ${tookMs} ms, not about 1.8 s`);

      // Buckets refill 100 times faster: the endpoint family's 0.3 tokens/s become 30/s.
      await twin.control.setThrottling(true);
      const ce = ec2(CONSUMER);
      const del = () => ce.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ['vpce-0'] }));
      for (let i = 0; i < 4; i++) await del();
      await new Promise((r) => setTimeout(r, 150));
      await del(); // at factor 1 the next token would be 3.3 s away
      // A burst sent at once, not one by one: on a loaded machine serial calls can each take
      // longer than a token's 33 ms refill and never empty the bucket.
      await Promise.all(Array.from({ length: 24 }, () => del().catch(() => undefined)));
      const rows = await twin.control.counters({ account: CONSUMER, action: 'DeleteVpcEndpoints' });
      assert.ok(rows[0]!.throttled >= 1, 'a burst still empties the bucket');

      // Injected latency is AWS time too: 20 s take 0.2 s.
      await twin.control.injectLatency({ service: 'ec2', action: 'DescribeVpcs', ms: 20_000, count: 1 });
      const l0 = Date.now();
      await ce.send(new DescribeVpcsCommand({}));
      const lat = Date.now() - l0;
      assert.ok(lat >= 150 && lat < 5_000, `latency ${lat} ms, not about 200`);

      assert.match((await rejection(twin.control.setTime({ factor: 0 }))).message, /factor must be in/);
    } finally {
      await twin.control.setTime({ factor: 1 });
    }
  });

  it('injects a named fault a given number of times, then clears; 5xx and latency too', async () => {
    await twin.control.injectFault({
      service: 'ec2',
      action: 'DescribeVpcs',
      account: PROVIDER,
      kind: 'error',
      code: 'UnauthorizedOperation',
      status: 403,
      count: 2,
    });
    // Another account is not affected.
    await ec2(CONSUMER).send(new DescribeVpcsCommand({}));
    for (let i = 0; i < 2; i++) {
      const err = await rejection(ec2(PROVIDER).send(new DescribeVpcsCommand({})));
      assert.equal(err.name, 'UnauthorizedOperation');
      assert.equal(err.$metadata?.httpStatusCode, 403);
    }
    await ec2(PROVIDER).send(new DescribeVpcsCommand({}));

    await twin.control.injectFault({ service: 'kafka', kind: '5xx', status: 500 });
    const server = await rejection(kafka(PROVIDER).send(new ListClustersV2Command({})));
    assert.equal(server.$metadata?.httpStatusCode, 500);
    assert.equal(server.name, 'InternalServerErrorException');
    await twin.control.clearFaults();
    await kafka(PROVIDER).send(new ListClustersV2Command({}));

    await twin.control.injectLatency({ service: 'sts', action: 'GetCallerIdentity', ms: 300, count: 1 });
    const sts = new STSClient(clientConfigFor(twin, PROVIDER));
    let t0 = Date.now();
    await sts.send(new GetCallerIdentityCommand({}));
    assert.ok(Date.now() - t0 >= 290, 'latency not applied');
    t0 = Date.now();
    await sts.send(new GetCallerIdentityCommand({}));
    assert.ok(Date.now() - t0 < 250, 'latency applied beyond its count');
  });

  it('applies faults by probability and refuses malformed rules', async () => {
    await twin.control.injectFault({ service: 'sts', kind: '5xx', status: 503, probability: 0.5 });
    const sts = new STSClient(clientConfigFor(twin, PROVIDER, { maxAttempts: 1 }));
    const outcomes = new Set<string>();
    for (let i = 0; i < 30; i++) {
      outcomes.add(
        await sts.send(new GetCallerIdentityCommand({})).then(
          () => 'ok',
          (err: Error) => err.name,
        ),
      );
    }
    assert.deepEqual([...outcomes].sort(), ['ServiceUnavailable', 'ok']);
    await assert.rejects(twin.control.injectFault({ service: 'ec2', kind: 'error' }), /needs a code/);
    await assert.rejects(
      twin.control.injectFault({ service: 'ec2', kind: 'throttle', probability: 2 }),
      /probability/,
    );
  });

  it('counts calls per account and action, mutating or not', async () => {
    await ec2(PROVIDER).send(new DescribeVpcsCommand({}));
    await twin.control.resetCounters();
    await ec2(PROVIDER).send(new DescribeVpcsCommand({}));
    await ec2(PROVIDER).send(new DescribeVpcsCommand({}));
    await ec2(CONSUMER).send(new CreateVpcCommand({ CidrBlock: '10.4.0.0/16' }));

    const provider = await twin.control.counters({ account: PROVIDER });
    assert.deepEqual(
      provider.map((r) => [r.service, r.action, r.calls, r.mutating]),
      [['ec2', 'DescribeVpcs', 2, false]],
    );
    assert.equal(await twin.control.callCount({ account: PROVIDER, mutating: true }), 0);
    assert.equal(await twin.control.callCount({ account: CONSUMER, mutating: true }), 1);
    await twin.control.resetCounters();
    assert.deepEqual(await twin.control.counters(), []);
  });
});
