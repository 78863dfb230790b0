// Cross-Region PrivateLink (AWS, November 2024) on the twins: a provider's endpoint service in
// us-east-2 lists SupportedRegions [us-east-2, us-west-2]; a consumer VPC in us-west-2 creates an
// interface endpoint with ServiceRegion us-east-2, the provider accepts it in us-east-2, and the
// network twin (following both Regions, one DNS server per VPC) proxies it to the NLB's target
// and answers the private hosted zones associated with that VPC. Sources: AWS PrivateLink guide,
// "Share your services through AWS PrivateLink" (Cross-Region access) and "Configure an endpoint
// service" (Modify the supported Regions); EC2 API reference for the calls.
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcEndpointServiceConfigurationCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  RejectVpcEndpointConnectionsCommand,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetHostedZoneCommand,
} from '@aws-sdk/client-route-53';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { queryDns } from '../testbed/network/dns-client.js';
import { startNetworkTwin, type NetworkTwin } from '../testbed/network/twin.js';
import { clientsFor, seedVpc, type AccountNetwork, type Clients } from '../testbed/scenario.js';

const SERVICE_REGION = 'us-east-2';
const CONSUMER_REGION = 'us-west-2';
const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
/** Endpoint addresses (network twin pool) and the NLB's target: prefixes no other test uses. */
const ENDPOINT_PREFIX = '127.0.81';
const TARGET_IP = '127.0.82.1';
const PORT = 9094;
const WEST_ZONE = 'west.cross-region.internal';
const EAST_ZONE = 'east.cross-region.internal';
const WEST_BROKER = `b-1.${WEST_ZONE}`;
const EAST_BROKER = `b-1.${EAST_ZONE}`;

async function within<T>(ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<number> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < ms) {
    try {
      if ((await check()) !== undefined) return Date.now() - start;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${ms} ms${last ? `: ${String(last)}` : ''}`);
}

async function readFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    s.on('end', () => resolve(data.trim()));
    s.on('error', reject);
    s.setTimeout(2000, () => s.destroy(new Error('timeout')));
  });
}

/** The error an SDK call failed with (name and message), or a failure when it succeeded. */
async function refusal(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await call;
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  assert.fail('the call succeeded');
}

describe('testbed: cross-Region PrivateLink (AWS twin and network twin)', function () {
  let aws: AwsTwin;
  let twin: NetworkTwin;
  let provider: Clients;
  /** The consumer account acting in us-west-2 and in us-east-2. */
  let west: Clients;
  let east: Clients;
  let providerNet: AccountNetwork;
  let westNet: AccountNetwork;
  let eastNet: AccountNetwork;
  let target: net.Server;
  let serviceId: string;
  let serviceName: string;
  let endpoint: VpcEndpoint;
  let endpointIp: string;

  before(async function () {
    this.timeout(60_000);
    aws = await startAwsTwin({ region: SERVICE_REGION });
    provider = clientsFor({ endpoint: aws.endpoint, region: SERVICE_REGION }, PROVIDER);
    west = clientsFor({ endpoint: aws.endpoint, region: CONSUMER_REGION }, CONSUMER);
    east = clientsFor({ endpoint: aws.endpoint, region: SERVICE_REGION }, CONSUMER);
    target = net.createServer((s) => {
      s.on('error', () => undefined);
      s.end('east-target\n');
    });
    await new Promise<void>((r) => target.listen(0, TARGET_IP, r));
    const targetPort = (target.address() as net.AddressInfo).port;
    [providerNet, westNet, eastNet] = await Promise.all([
      seedVpc(provider, '10.0.0.0/16'),
      seedVpc(west, '10.60.0.0/16'),
      seedVpc(east, '10.20.0.0/16'),
    ]);

    // The provider's NLB in us-east-2, one TCP listener to the loopback target.
    const lb = await provider.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: 'xr-nlb',
        Type: 'network',
        Scheme: 'internal',
        Subnets: providerNet.subnets.map((s) => s.id),
      }),
    );
    const lbArn = lb.LoadBalancers![0]!.LoadBalancerArn!;
    const tg = await provider.elbv2.send(
      new CreateTargetGroupCommand({
        Name: 'xr-9094',
        Protocol: 'TCP',
        Port: PORT,
        VpcId: providerNet.vpcId,
        TargetType: 'ip',
      }),
    );
    const tgArn = tg.TargetGroups![0]!.TargetGroupArn!;
    await provider.elbv2.send(
      new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: TARGET_IP, Port: targetPort }] }),
    );
    await provider.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lbArn,
        Protocol: 'TCP',
        Port: PORT,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
      }),
    );
    const svc = await provider.ec2.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        NetworkLoadBalancerArns: [lbArn],
        AcceptanceRequired: true,
        SupportedRegions: [SERVICE_REGION, CONSUMER_REGION],
      }),
    );
    serviceId = svc.ServiceConfiguration!.ServiceId!;
    serviceName = svc.ServiceConfiguration!.ServiceName!;
    await provider.ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: serviceId,
        AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
      }),
    );

    twin = await startNetworkTwin({
      endpoint: aws.endpoint,
      region: SERVICE_REGION,
      regions: [SERVICE_REGION, CONSUMER_REGION],
      vpcDns: true,
      providerAccount: PROVIDER,
      consumerAccounts: [CONSUMER],
      clientConfig: (account) => clientConfigFor(aws, account),
      ipPrefix: ENDPOINT_PREFIX,
    });
  });

  after(async function () {
    this.timeout(20_000);
    await twin?.stop();
    for (const c of [provider, west, east]) c?.destroy();
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    await aws?.stop();
  });

  it('describes the service with its SupportedRegions and lists it in us-west-2 only when asked with ServiceRegions', async function () {
    const configs = await provider.ec2.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] }),
    );
    const config = configs.ServiceConfigurations?.[0];
    assert.deepEqual(config?.SupportedRegions, [
      { Region: SERVICE_REGION, ServiceState: 'Available' },
      { Region: CONSUMER_REGION, ServiceState: 'Available' },
    ]);
    assert.equal(config?.RemoteAccessEnabled, true);

    // From us-west-2: listed with ServiceRegions [us-east-2], with its Region and no zones.
    const remote = await west.ec2.send(
      new DescribeVpcEndpointServicesCommand({ ServiceRegions: [SERVICE_REGION] }),
    );
    const detail = remote.ServiceDetails?.find((d) => d.ServiceName === serviceName);
    assert.ok(detail, `${serviceName} listed: ${remote.ServiceNames?.join(', ')}`);
    assert.equal(detail.ServiceRegion, SERVICE_REGION);
    assert.equal(detail.Owner, PROVIDER);
    assert.deepEqual(detail.AvailabilityZones, []);
    const filtered = await west.ec2.send(
      new DescribeVpcEndpointServicesCommand({
        ServiceRegions: [SERVICE_REGION],
        Filters: [{ Name: 'service-region', Values: [CONSUMER_REGION] }],
      }),
    );
    assert.deepEqual(filtered.ServiceNames, []);
    // Without ServiceRegions only us-west-2's own services answer.
    const local = await west.ec2.send(new DescribeVpcEndpointServicesCommand({}));
    assert.equal(local.ServiceNames?.includes(serviceName), false);
    assert.ok(local.ServiceDetails?.every((d) => d.ServiceRegion === CONSUMER_REGION));
    const byName = await refusal(
      west.ec2.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] })),
    );
    assert.equal(byName.name, 'InvalidServiceName');
    // The provider's own Region sees it the usual way, with its zones.
    const home = await east.ec2.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] }));
    assert.equal(home.ServiceDetails?.[0]?.ServiceRegion, SERVICE_REGION);
    assert.equal(home.ServiceDetails?.[0]?.AvailabilityZones?.length, 3);
  });

  it('refuses an endpoint to a service that does not support the Region, or without ServiceRegion', async function () {
    // A second service of the same provider, host Region only.
    const lb = await provider.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: 'xr-local-nlb',
        Type: 'network',
        Scheme: 'internal',
        Subnets: providerNet.subnets.map((s) => s.id),
      }),
    );
    const local = await provider.ec2.send(
      new CreateVpcEndpointServiceConfigurationCommand({
        NetworkLoadBalancerArns: [lb.LoadBalancers![0]!.LoadBalancerArn!],
        AcceptanceRequired: true,
      }),
    );
    const localConfig = local.ServiceConfiguration!;
    assert.deepEqual(localConfig.SupportedRegions, [{ Region: SERVICE_REGION, ServiceState: 'Available' }]);
    assert.equal(localConfig.RemoteAccessEnabled, false);
    await provider.ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: localConfig.ServiceId!,
        AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
      }),
    );
    const create = (name: string, serviceRegion?: string) =>
      west.ec2.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: westNet.vpcId,
          ServiceName: name,
          SubnetIds: [westNet.subnets[0]!.id],
          ...(serviceRegion ? { ServiceRegion: serviceRegion } : {}),
        }),
      );
    const unsupported = await refusal(create(localConfig.ServiceName!, SERVICE_REGION));
    assert.equal(unsupported.name, 'InvalidServiceName');
    assert.match(unsupported.message, /does not exist/);
    // The cross-Region service, but looked up in us-west-2 (no ServiceRegion) or in a Region
    // that does not host it.
    assert.equal((await refusal(create(serviceName))).name, 'InvalidServiceName');
    assert.equal((await refusal(create(serviceName, 'eu-west-1'))).name, 'InvalidServiceName');
    assert.equal((await refusal(create(serviceName, 'mars-1'))).name, 'InvalidParameterValue');
    const endpoints = await west.ec2.send(new DescribeVpcEndpointsCommand({}));
    assert.deepEqual(endpoints.VpcEndpoints, [], 'nothing was created');
  });

  it('creates an endpoint in us-west-2 to the us-east-2 service, accepted in us-east-2, and proxies it within 2 s', async function () {
    this.timeout(20_000);
    const created = await west.ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: westNet.vpcId,
        ServiceName: serviceName,
        ServiceRegion: SERVICE_REGION,
        SubnetIds: westNet.subnets.map((s) => s.id),
      }),
    );
    endpoint = created.VpcEndpoint!;
    const id = endpoint.VpcEndpointId!;
    assert.equal(endpoint.State, 'pendingAcceptance');
    assert.equal(endpoint.ServiceRegion, SERVICE_REGION);
    // "endpoint_id.endpoint_service_id.service_region.vpce.amazonaws.com", zonal names with the
    // endpoint's (us-west-2) zones.
    const names = (endpoint.DnsEntries ?? []).map((d) => d.DnsName!);
    assert.match(
      names[0]!,
      new RegExp(`^${id}-[a-z0-9]+\\.${serviceId}\\.${SERVICE_REGION}\\.vpce\\.amazonaws\\.com$`),
    );
    assert.ok(
      names.slice(1).every((n) => n.includes(`-${CONSUMER_REGION}`)),
      names.join(', '),
    );

    // The provider sees the connection in us-east-2, from us-west-2.
    const pending = await provider.ec2.send(
      new DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name: 'vpc-endpoint-id', Values: [id] }] }),
    );
    const connection = pending.VpcEndpointConnections?.[0];
    assert.equal(connection?.VpcEndpointState, 'pendingAcceptance');
    assert.equal(connection?.VpcEndpointOwner, CONSUMER);
    assert.equal(connection?.VpcEndpointRegion, CONSUMER_REGION);
    await twin.reconcileNow();
    assert.equal(twin.addressOf(id), undefined, 'no address before acceptance');

    const accepted = await provider.ec2.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [id] }),
    );
    assert.deepEqual(accepted.Unsuccessful, []);
    const bound = await within(2000, () => twin.addressOf(id));
    console.log(`      cross-region: endpoint bound ${bound} ms after acceptance`);
    endpointIp = twin.addressOf(id)!;
    assert.ok(endpointIp.startsWith(`${ENDPOINT_PREFIX}.`), endpointIp);
    const binding = twin.addresses().find((b) => b.endpointId === id);
    assert.equal(binding?.region, CONSUMER_REGION);
    assert.equal(binding?.serviceRegion, SERVICE_REGION);
    assert.equal(binding?.vpcId, westNet.vpcId);

    const described = await west.ec2.send(
      new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'service-region', Values: [SERVICE_REGION] }] }),
    );
    assert.deepEqual(
      described.VpcEndpoints?.map((e) => [e.VpcEndpointId, e.State, e.ServiceRegion]),
      [[id, 'available', SERVICE_REGION]],
    );
    // Its DNS name answers in the us-west-2 VPC's own view and in the account's.
    const westDns = twin.dnsByVpc[westNet.vpcId];
    assert.ok(westDns, `DNS server for ${westNet.vpcId}: ${Object.keys(twin.dnsByVpc).join(', ')}`);
    assert.deepEqual((await queryDns(westDns, names[0]!)).addresses, [endpointIp]);
    assert.deepEqual((await queryDns(twin.dnsByAccount[CONSUMER]!, names[0]!)).addresses, [endpointIp]);
    // A TCP connection through it reaches the target behind the NLB in us-east-2.
    assert.equal(await readFrom(endpointIp, PORT), 'east-target');
  });

  it("answers a private hosted zone associated with the us-west-2 VPC in that VPC's view only", async function () {
    this.timeout(20_000);
    const entry = endpoint.DnsEntries![0]!;
    const zoneFor = async (name: string, vpc: AccountNetwork, region: string): Promise<string> => {
      const zone = await west.route53.send(
        new CreateHostedZoneCommand({
          Name: name,
          CallerReference: `xr-${name}`,
          HostedZoneConfig: { PrivateZone: true },
          VPC: { VPCId: vpc.vpcId, VPCRegion: region as never },
        }),
      );
      const zoneId = zone.HostedZone!.Id!;
      await west.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: `b-1.${name}`,
                  Type: 'A',
                  AliasTarget: {
                    DNSName: entry.DnsName!,
                    HostedZoneId: entry.HostedZoneId!,
                    EvaluateTargetHealth: false,
                  },
                },
              },
            ],
          },
        }),
      );
      return zoneId;
    };
    const westZone = await zoneFor(WEST_ZONE, westNet, CONSUMER_REGION);
    await zoneFor(EAST_ZONE, eastNet, SERVICE_REGION);
    const vpcs = (await west.route53.send(new GetHostedZoneCommand({ Id: westZone }))).VPCs;
    assert.deepEqual(vpcs, [{ VPCId: westNet.vpcId, VPCRegion: CONSUMER_REGION }]);

    const westDns = twin.dnsByVpc[westNet.vpcId]!;
    const eastDns = twin.dnsByVpc[eastNet.vpcId]!;
    assert.ok(eastDns, `DNS server for ${eastNet.vpcId}`);
    const answered = await within(2000, async () =>
      (await queryDns(westDns, WEST_BROKER)).addresses[0] === endpointIp ? true : undefined,
    );
    console.log(`      cross-region: zone answered in the us-west-2 VPC ${answered} ms after its record`);
    // Each zone answers only in the VPC it is associated with.
    assert.equal((await queryDns(westDns, EAST_BROKER)).rcode, 'NXDOMAIN');
    await within(2000, async () =>
      (await queryDns(eastDns, EAST_BROKER)).addresses[0] === endpointIp ? true : undefined,
    );
    assert.equal((await queryDns(eastDns, WEST_BROKER)).rcode, 'NXDOMAIN');
    assert.deepEqual(twin.resolveInVpc(westNet.vpcId, WEST_BROKER), [endpointIp]);
    // The account's server still answers every zone of the account, as before.
    assert.deepEqual((await queryDns(twin.dnsByAccount[CONSUMER]!, WEST_BROKER)).addresses, [endpointIp]);
    // The broker name, resolved in the us-west-2 VPC, reaches the target in us-east-2.
    const [ip] = (await queryDns(westDns, WEST_BROKER)).addresses;
    assert.equal(await readFrom(ip!, PORT), 'east-target');
  });

  it('serves a same-Region endpoint of the same account beside it, as before', async function () {
    this.timeout(20_000);
    const created = await east.ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: eastNet.vpcId,
        ServiceName: serviceName,
        SubnetIds: eastNet.subnets.map((s) => s.id),
      }),
    );
    const id = created.VpcEndpoint!.VpcEndpointId!;
    assert.equal(created.VpcEndpoint!.ServiceRegion, SERVICE_REGION);
    await provider.ec2.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [id] }),
    );
    await within(2000, () => twin.addressOf(id));
    const binding = twin.addresses().find((b) => b.endpointId === id)!;
    assert.equal(binding.region, SERVICE_REGION);
    assert.equal(binding.serviceRegion, SERVICE_REGION);
    assert.notEqual(binding.ip, endpointIp);
    assert.equal(await readFrom(binding.ip, PORT), 'east-target');
    const regions = (
      await provider.ec2.send(new DescribeVpcEndpointConnectionsCommand({}))
    ).VpcEndpointConnections?.map((c) => [c.VpcEndpointId, c.VpcEndpointRegion]);
    assert.deepEqual(
      new Map(regions as Array<[string, string]>),
      new Map([
        [endpoint.VpcEndpointId!, CONSUMER_REGION],
        [id, SERVICE_REGION],
      ]),
    );
  });

  it('removing us-west-2 leaves the existing endpoint working, refuses new ones; rejecting it then drops its address', async function () {
    this.timeout(20_000);
    const id = endpoint.VpcEndpointId!;
    const hostOnly = await refusal(
      provider.ec2.send(
        new ModifyVpcEndpointServiceConfigurationCommand({
          ServiceId: serviceId,
          RemoveSupportedRegions: [SERVICE_REGION],
        }),
      ),
    );
    assert.equal(hostOnly.name, 'InvalidParameter', "the host Region can't be removed");
    await provider.ec2.send(
      new ModifyVpcEndpointServiceConfigurationCommand({
        ServiceId: serviceId,
        RemoveSupportedRegions: [CONSUMER_REGION],
      }),
    );
    const config = (
      await provider.ec2.send(
        new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] }),
      )
    ).ServiceConfigurations?.[0];
    assert.deepEqual(config?.SupportedRegions, [{ Region: SERVICE_REGION, ServiceState: 'Available' }]);
    assert.equal(config?.RemoteAccessEnabled, false);

    // "this does not affect access to the endpoint service from existing endpoints".
    await twin.reconcileNow();
    assert.equal(twin.addressOf(id), endpointIp);
    assert.equal(await readFrom(endpointIp, PORT), 'east-target');
    const still = await west.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    assert.equal(still.VpcEndpoints?.[0]?.State, 'available');
    // "service consumers can't select that Region as the service Region when they create new endpoints".
    const again = await refusal(
      west.ec2.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: westNet.vpcId,
          ServiceName: serviceName,
          ServiceRegion: SERVICE_REGION,
          SubnetIds: [westNet.subnets[0]!.id],
        }),
      ),
    );
    assert.equal(again.name, 'InvalidServiceName');
    const listed = await west.ec2.send(
      new DescribeVpcEndpointServicesCommand({ ServiceRegions: [SERVICE_REGION] }),
    );
    assert.equal(listed.ServiceNames?.includes(serviceName), false);

    // "we recommend that you reject any existing endpoint connections from that Region".
    const rejected = await provider.ec2.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: [id] }),
    );
    assert.deepEqual(rejected.Unsuccessful, []);
    const dropped = await within(2000, () => (twin.addressOf(id) === undefined ? true : undefined));
    console.log(`      cross-region: rejected endpoint released ${dropped} ms after the rejection`);
    const state = await west.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    assert.equal(state.VpcEndpoints?.[0]?.State, 'rejected');
    await assert.rejects(readFrom(endpointIp, PORT));
    const entry = endpoint.DnsEntries![0]!.DnsName!;
    assert.equal((await queryDns(twin.dnsByVpc[westNet.vpcId]!, entry)).rcode, 'NXDOMAIN');
  });
});
