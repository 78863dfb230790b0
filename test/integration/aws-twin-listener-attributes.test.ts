// Acceptance tests for Network Load Balancer listener attributes in the AWS twin (twin_elbv2_attrs.py):
// the TCP idle timeout (tcp.idle_timeout.seconds) only on TCP listeners, whole seconds from 60 to 6000,
// no other key, and never together with cross-Region access of the NLB's endpoint service (AWS
// PrivateLink guide, "Share your services through AWS PrivateLink", Cross-Region access).
// Real AWS SDK v3 clients over HTTP against a twin this file starts.
import assert from 'node:assert/strict';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  EC2Client,
  ModifyVpcEndpointServiceConfigurationCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenerAttributesCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerAttributesCommand,
  type ProtocolEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { selfSignedCert } from '../support/self-signed.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const OWNER = '111111111111';
const KEY = 'tcp.idle_timeout.seconds';

type AwsError = Error & { $metadata?: { httpStatusCode?: number } };

async function refused(promise: Promise<unknown>, code: string, message?: RegExp): Promise<AwsError> {
  let err: AwsError | undefined;
  try {
    await promise;
  } catch (e) {
    err = e as AwsError;
  }
  if (err === undefined) assert.fail(`expected ${code}, the call succeeded`);
  assert.equal(err.name, code, `expected ${code}, got ${err.name}: ${err.message}`);
  assert.equal(err.$metadata?.httpStatusCode, 400);
  if (message) assert.match(err.message, message);
  return err;
}

describe('AWS twin: NLB listener attributes (TCP idle timeout)', function () {
  this.timeout(30_000);
  let twin: AwsTwin;
  let pems: { cert: string; key: string };

  const ec2 = (): EC2Client => new EC2Client(clientConfigFor(twin, OWNER, { maxAttempts: 1 }));
  const elb = (): ElasticLoadBalancingV2Client =>
    new ElasticLoadBalancingV2Client(clientConfigFor(twin, OWNER, { maxAttempts: 1 }));

  before(async () => {
    twin = await startAwsTwin({ delaysMs: { nlbActiveMs: 0 } });
    // A self-signed certificate for the TLS listener (ACM needs one of the listener's account).
    pems = await selfSignedCert('kafka.example.com');
  });

  after(async () => {
    await twin.stop();
  });

  beforeEach(async () => {
    await twin.control.reset();
  });

  /** An internal NLB in a new VPC with two subnets; answers its ARN and the VPC. */
  async function nlb(name: string, cidr: number): Promise<{ arn: string; vpcId: string }> {
    const vpc = await ec2().send(new CreateVpcCommand({ CidrBlock: `10.${cidr}.0.0/16` }));
    const vpcId = vpc.Vpc!.VpcId!;
    const subnets: string[] = [];
    for (const [i, zone] of ['us-east-1a', 'us-east-1b'].entries()) {
      const s = await ec2().send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${cidr}.${i}.0/24`, AvailabilityZone: zone }),
      );
      subnets.push(s.Subnet!.SubnetId!);
    }
    const out = await elb().send(
      new CreateLoadBalancerCommand({ Name: name, Type: 'network', Scheme: 'internal', Subnets: subnets }),
    );
    return { arn: out.LoadBalancers![0]!.LoadBalancerArn!, vpcId };
  }

  async function listener(
    lb: { arn: string; vpcId: string },
    protocol: ProtocolEnum,
    port: number,
    certificateArn?: string,
  ): Promise<string> {
    const tg = await elb().send(
      new CreateTargetGroupCommand({
        Name: `tg-${protocol.toLowerCase()}-${port}`,
        Protocol: protocol,
        Port: port,
        VpcId: lb.vpcId,
        TargetType: 'ip',
      }),
    );
    const out = await elb().send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.arn,
        Protocol: protocol,
        Port: port,
        ...(certificateArn ? { Certificates: [{ CertificateArn: certificateArn }] } : {}),
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroups![0]!.TargetGroupArn! }],
      }),
    );
    return out.Listeners![0]!.ListenerArn!;
  }

  async function idleOf(arn: string): Promise<string | undefined> {
    const out = await elb().send(new DescribeListenerAttributesCommand({ ListenerArn: arn }));
    return out.Attributes?.find((a) => a.Key === KEY)?.Value;
  }

  const setIdle = (arn: string, value: string) =>
    elb().send(
      new ModifyListenerAttributesCommand({ ListenerArn: arn, Attributes: [{ Key: KEY, Value: value }] }),
    );

  it('sets a TCP listener idle timeout from 60 to 6000 s (default 350) and refuses anything else', async () => {
    const lb = await nlb('idle-tcp', 1);
    const tcp = await listener(lb, 'TCP', 9094);
    assert.equal(await idleOf(tcp), '350');

    const out = await setIdle(tcp, '600');
    assert.equal(out.Attributes?.find((a) => a.Key === KEY)?.Value, '600');
    assert.equal(await idleOf(tcp), '600');
    await setIdle(tcp, '60');
    await setIdle(tcp, '6000');
    assert.equal(await idleOf(tcp), '6000');

    for (const bad of ['59', '6001', '0', '-1', '600.5', 'ten', '']) {
      await refused(setIdle(tcp, bad), 'InvalidConfigurationRequestException', /from 60 to 6000/);
    }
    await refused(
      elb().send(
        new ModifyListenerAttributesCommand({
          ListenerArn: tcp,
          Attributes: [{ Key: 'routing.http.response.server.enabled', Value: 'false' }],
        }),
      ),
      'InvalidConfigurationRequestException',
      /routing\.http\.response\.server\.enabled/,
    );
    // Checked before anything is stored: a good value beside a bad one changes nothing.
    await refused(
      elb().send(
        new ModifyListenerAttributesCommand({
          ListenerArn: tcp,
          Attributes: [
            { Key: KEY, Value: '900' },
            { Key: 'no.such.key', Value: '1' },
          ],
        }),
      ),
      'InvalidConfigurationRequestException',
    );
    assert.equal(await idleOf(tcp), '6000');

    await refused(
      elb().send(new DescribeListenerAttributesCommand({ ListenerArn: `${tcp.slice(0, -4)}ffff` })),
      'ListenerNotFoundException',
    );
  });

  it('refuses the idle timeout on TLS and UDP listeners (TLS: fixed at 350 s)', async () => {
    const lb = await nlb('idle-other', 2);
    const imported = await new ACMClient(clientConfigFor(twin, OWNER, { maxAttempts: 1 })).send(
      new ImportCertificateCommand({
        Certificate: Buffer.from(pems.cert),
        PrivateKey: Buffer.from(pems.key),
      }),
    );
    const tls = await listener(lb, 'TLS', 9094, imported.CertificateArn);
    await refused(
      setIdle(tls, '600'),
      'InvalidConfigurationRequestException',
      /only on TCP listeners.*fixed at 350/,
    );
    await refused(setIdle(tls, '350'), 'InvalidConfigurationRequestException', /only on TCP listeners/);
    const udp = await listener(lb, 'UDP', 5000);
    await refused(
      setIdle(udp, '600'),
      'InvalidConfigurationRequestException',
      /only on TCP listeners, not on a UDP/,
    );
  });

  it('never lets a custom idle timeout and cross-Region access meet on one endpoint service', async () => {
    const lb = await nlb('idle-xr', 3);
    const tcp = await listener(lb, 'TCP', 9094);
    await setIdle(tcp, '600');

    await refused(
      ec2().send(
        new CreateVpcEndpointServiceConfigurationCommand({
          NetworkLoadBalancerArns: [lb.arn],
          SupportedRegions: ['us-east-1', 'us-west-2'],
        }),
      ),
      'InvalidParameter',
      /Cross-Region access is not supported/,
    );
    // Same-Region: fine; then adding a Region is refused until the listener is back at the default.
    const svc = await ec2().send(
      new CreateVpcEndpointServiceConfigurationCommand({ NetworkLoadBalancerArns: [lb.arn] }),
    );
    const serviceId = svc.ServiceConfiguration!.ServiceId!;
    const addWest = () =>
      ec2().send(
        new ModifyVpcEndpointServiceConfigurationCommand({
          ServiceId: serviceId,
          AddSupportedRegions: ['us-west-2'],
        }),
      );
    await refused(addWest(), 'InvalidParameter', new RegExp(`Cross-Region access.*${tcp.split('/').pop()}`));
    await setIdle(tcp, '350');
    await addWest();
    const described = await ec2().send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] }),
    );
    assert.deepEqual(described.ServiceConfigurations?.[0]?.SupportedRegions?.map((r) => r.Region).sort(), [
      'us-east-1',
      'us-west-2',
    ]);
    await refused(setIdle(tcp, '600'), 'InvalidConfigurationRequestException', new RegExp(`${serviceId}`));
    await setIdle(tcp, '350');
    assert.equal(await idleOf(tcp), '350');
  });
});
