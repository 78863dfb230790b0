// Acceptance tests for security groups on Network Load Balancers in the AWS twin (twin_elbv2_sg.py):
// groups only at creation, checked against the caller's VPC, replaced by SetSecurityGroups with the
// PrivateLink enforcement setting, and DeleteSecurityGroup refused while an NLB uses the group.
// Real AWS SDK v3 clients over HTTP.
import assert from 'node:assert/strict';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
  SetSecurityGroupsCommand,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const OWNER = '111111111111';
const OTHER = '222222222222';

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

describe('AWS twin: security groups on Network Load Balancers', function () {
  this.timeout(30_000);
  let twin: AwsTwin;

  const ec2 = (account = OWNER): EC2Client =>
    new EC2Client(clientConfigFor(twin, account, { maxAttempts: 1 }));
  const elb = (account = OWNER): ElasticLoadBalancingV2Client =>
    new ElasticLoadBalancingV2Client(clientConfigFor(twin, account, { maxAttempts: 1 }));

  before(async () => {
    twin = await startAwsTwin({ delaysMs: { nlbActiveMs: 0 } });
  });

  after(async () => {
    await twin.stop();
  });

  beforeEach(async () => {
    await twin.control.reset();
  });

  interface Network {
    vpcId: string;
    subnets: string[];
  }

  async function network(cidr: number, account = OWNER): Promise<Network> {
    const e = ec2(account);
    const vpc = await e.send(new CreateVpcCommand({ CidrBlock: `10.${cidr}.0.0/16` }));
    const vpcId = vpc.Vpc!.VpcId!;
    const subnets: string[] = [];
    for (const [i, zone] of ['us-east-1a', 'us-east-1b'].entries()) {
      const s = await e.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${cidr}.${i}.0/24`, AvailabilityZone: zone }),
      );
      subnets.push(s.Subnet!.SubnetId!);
    }
    return { vpcId, subnets };
  }

  async function group(net: Network, name: string, account = OWNER): Promise<string> {
    const sg = await ec2(account).send(
      new CreateSecurityGroupCommand({ GroupName: name, Description: 'nlb', VpcId: net.vpcId }),
    );
    return sg.GroupId!;
  }

  async function nlb(net: Network, name: string, securityGroups?: string[]): Promise<LoadBalancer> {
    const out = await elb().send(
      new CreateLoadBalancerCommand({
        Name: name,
        Type: 'network',
        Scheme: 'internal',
        Subnets: net.subnets,
        ...(securityGroups ? { SecurityGroups: securityGroups } : {}),
      }),
    );
    return out.LoadBalancers![0]!;
  }

  async function described(arn: string): Promise<LoadBalancer> {
    const out = await elb().send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }));
    return out.LoadBalancers![0]!;
  }

  async function noBalancer(name: string): Promise<void> {
    await refused(
      elb().send(new DescribeLoadBalancersCommand({ Names: [name] })),
      'LoadBalancerNotFoundException',
    );
  }

  it('stores the groups of an NLB made with them, enforcement on; an NLB without has neither member', async () => {
    const net = await network(1);
    const a = await group(net, 'nlb-a');
    const b = await group(net, 'nlb-b');

    const made = await nlb(net, 'with-groups', [a, b]);
    assert.deepEqual(made.SecurityGroups, [a, b]);
    assert.equal(made.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'on');
    const seen = await described(made.LoadBalancerArn!);
    assert.deepEqual(seen.SecurityGroups, [a, b]);
    assert.equal(seen.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'on');

    const bare = await nlb(net, 'without-groups');
    assert.equal(bare.SecurityGroups, undefined);
    const bareSeen = await described(bare.LoadBalancerArn!);
    assert.equal(bareSeen.SecurityGroups, undefined);
    assert.equal(bareSeen.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, undefined);
  });

  it('refuses CreateLoadBalancer with a group that does not exist, is another account’s or another VPC’s', async () => {
    const net = await network(2);
    const elsewhere = await network(3);
    const foreignVpc = await group(elsewhere, 'other-vpc');
    const otherAccount = await group(await network(4, OTHER), 'other-account', OTHER);
    const mine = await group(net, 'mine');

    await refused(
      nlb(net, 'missing', [mine, 'sg-0123456789abcdef0']),
      'InvalidSecurityGroupException',
      /sg-0123456789abcdef0/,
    );
    await noBalancer('missing');
    await refused(
      nlb(net, 'foreign', [otherAccount]),
      'InvalidSecurityGroupException',
      new RegExp(otherAccount),
    );
    await noBalancer('foreign');
    await refused(
      nlb(net, 'other-vpc', [mine, foreignVpc]),
      'InvalidConfigurationRequestException',
      new RegExp(`${foreignVpc}' does not belong to VPC '${net.vpcId}'`),
    );
    await noBalancer('other-vpc');
  });

  it('takes at most five groups on CreateLoadBalancer and SetSecurityGroups', async () => {
    const net = await network(5);
    const groups: string[] = [];
    for (let i = 0; i < 6; i++) groups.push(await group(net, `g${i}`));

    await refused(
      nlb(net, 'six', groups),
      'InvalidConfigurationRequestException',
      /maximum number of security groups/,
    );
    await noBalancer('six');
    const five = await nlb(net, 'five', groups.slice(0, 5));
    assert.equal(five.SecurityGroups?.length, 5);
    await refused(
      elb().send(
        new SetSecurityGroupsCommand({ LoadBalancerArn: five.LoadBalancerArn!, SecurityGroups: groups }),
      ),
      'InvalidConfigurationRequestException',
      /maximum number of security groups/,
    );
    assert.deepEqual((await described(five.LoadBalancerArn!)).SecurityGroups, groups.slice(0, 5));
  });

  it('refuses SetSecurityGroups on an NLB made without groups', async () => {
    const net = await network(6);
    const a = await group(net, 'late');
    const bare = await nlb(net, 'bare');

    await refused(
      elb().send(
        new SetSecurityGroupsCommand({ LoadBalancerArn: bare.LoadBalancerArn!, SecurityGroups: [a] }),
      ),
      'InvalidConfigurationRequestException',
      /created without any security groups/,
    );
    const seen = await described(bare.LoadBalancerArn!);
    assert.equal(seen.SecurityGroups, undefined);
    assert.equal(seen.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, undefined);
  });

  it('replaces the groups of an NLB made with them and switches PrivateLink enforcement', async () => {
    const net = await network(7);
    const a = await group(net, 'first');
    const b = await group(net, 'second');
    const c = await group(net, 'third');
    const made = await nlb(net, 'switching', [a]);
    const arn = made.LoadBalancerArn!;

    const replaced = await elb().send(
      new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: [b, c] }),
    );
    assert.deepEqual(replaced.SecurityGroupIds, [b, c]);
    assert.equal(replaced.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'on');

    const off = await elb().send(
      new SetSecurityGroupsCommand({
        LoadBalancerArn: arn,
        SecurityGroups: [b],
        EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'off',
      }),
    );
    assert.deepEqual(off.SecurityGroupIds, [b]);
    assert.equal(off.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'off');
    let seen = await described(arn);
    assert.deepEqual(seen.SecurityGroups, [b]);
    assert.equal(seen.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'off');

    // Left out, the setting stays as it is.
    const kept = await elb().send(
      new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: [a, b] }),
    );
    assert.equal(kept.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'off');
    // A repeated CreateLoadBalancer with the same settings returns the NLB as it is.
    const again = await nlb(net, 'switching', [a, b]);
    assert.equal(again.LoadBalancerArn, arn);
    assert.equal(again.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'off');

    const on = await elb().send(
      new SetSecurityGroupsCommand({
        LoadBalancerArn: arn,
        SecurityGroups: [a, b],
        EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'on',
      }),
    );
    assert.equal(on.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'on');
    seen = await described(arn);
    assert.deepEqual(seen.SecurityGroups, [a, b]);
    assert.equal(seen.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'on');
  });

  it('checks the groups SetSecurityGroups names and its enforcement value', async () => {
    const net = await network(8);
    const elsewhere = await network(9);
    const a = await group(net, 'kept');
    const foreignVpc = await group(elsewhere, 'far');
    const arn = (await nlb(net, 'checked', [a])).LoadBalancerArn!;

    await refused(
      elb().send(
        new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: ['sg-00000000000000000'] }),
      ),
      'InvalidSecurityGroupException',
    );
    await refused(
      elb().send(new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: [foreignVpc] })),
      'InvalidConfigurationRequestException',
      /does not belong to VPC/,
    );
    await refused(
      elb().send(
        new SetSecurityGroupsCommand({
          LoadBalancerArn: arn,
          SecurityGroups: [a],
          EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'maybe' as 'on',
        }),
      ),
      'ValidationError',
      /enum value set: \[on, off\]/,
    );
    const seen = await described(arn);
    assert.deepEqual(seen.SecurityGroups, [a]);
    assert.equal(seen.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, 'on');
  });

  it('refuses to remove every group from an NLB made with groups', async () => {
    const net = await network(10);
    const a = await group(net, 'only');
    const arn = (await nlb(net, 'keep-one', [a])).LoadBalancerArn!;

    await refused(
      elb().send(new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: [] })),
      'ValidationError',
      /remove all security groups/,
    );
    assert.deepEqual((await described(arn)).SecurityGroups, [a]);
  });

  it('refuses DeleteSecurityGroup while an NLB uses the group, and deletes it once the NLB is gone', async () => {
    const net = await network(11);
    const used = await group(net, 'used');
    const spare = await group(net, 'spare');
    const arn = (await nlb(net, 'holder', [used, spare])).LoadBalancerArn!;

    await refused(
      ec2().send(new DeleteSecurityGroupCommand({ GroupId: used })),
      'DependencyViolation',
      new RegExp(`resource ${used} has a dependent object`),
    );
    // A group the NLB no longer uses can go.
    await elb().send(new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: [used] }));
    await ec2().send(new DeleteSecurityGroupCommand({ GroupId: spare }));
    await refused(ec2().send(new DeleteSecurityGroupCommand({ GroupId: used })), 'DependencyViolation');

    await elb().send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
    await ec2().send(new DeleteSecurityGroupCommand({ GroupId: used }));
    const left = await ec2().send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [net.vpcId] }] }),
    );
    assert.deepEqual(
      (left.SecurityGroups ?? []).map((g) => g.GroupName).filter((n) => n !== 'default'),
      [],
    );
  });
});
