// Acceptance tests for the AWS twin's PrivateLink "VPC resources": VPC Lattice resource gateways
// and resource configurations, RAM shares with invitations across accounts, and EC2 resource
// endpoints (VpcEndpointType=Resource). Real AWS SDK v3 clients over HTTP.
import assert from 'node:assert/strict';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcEndpointCommand,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import {
  AcceptResourceShareInvitationCommand,
  AssociateResourceShareCommand,
  CreateResourceShareCommand,
  DeleteResourceShareCommand,
  DisassociateResourceShareCommand,
  GetResourceShareAssociationsCommand,
  GetResourceShareInvitationsCommand,
  GetResourceSharesCommand,
  ListResourcesCommand,
  RAMClient,
  RejectResourceShareInvitationCommand,
  TagResourceCommand as RamTagResourceCommand,
  UpdateResourceShareCommand,
} from '@aws-sdk/client-ram';
import {
  CreateResourceConfigurationCommand,
  CreateResourceGatewayCommand,
  DeleteResourceConfigurationCommand,
  DeleteResourceGatewayCommand,
  GetResourceConfigurationCommand,
  GetResourceGatewayCommand,
  ListResourceConfigurationsCommand,
  ListResourceGatewaysCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateResourceConfigurationCommand,
  UpdateResourceGatewayCommand,
  VPCLatticeClient,
  type CreateResourceConfigurationCommandInput,
} from '@aws-sdk/client-vpc-lattice';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
const STRANGER = '333333333333';
const INVITEE = '444444444444';

const DELAYS = {
  resourceGatewayActiveMs: 150,
  endpointAvailableMs: 150,
  endpointDeleteMs: 50,
};

type AwsError = Error & { $metadata?: { httpStatusCode?: number } } & Record<string, unknown>;

async function rejection(promise: Promise<unknown>): Promise<AwsError> {
  try {
    await promise;
  } catch (err) {
    return err as AwsError;
  }
  assert.fail('expected the call to fail');
}

async function refused(
  promise: Promise<unknown>,
  code: string,
  status?: number,
  message?: RegExp,
): Promise<AwsError> {
  const err = await rejection(promise);
  assert.equal(err.name, code, `expected ${code}, got ${err.name}: ${err.message}`);
  if (status !== undefined) assert.equal(err.$metadata?.httpStatusCode, status);
  if (message) assert.match(err.message, message);
  return err;
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

const ID17 = '[0-9a-z]{17}';

describe('AWS twin: VPC resources (VPC Lattice resource configurations, RAM, resource endpoints)', function () {
  this.timeout(30_000);
  let twin: AwsTwin;

  const ec2 = (account: string): EC2Client =>
    new EC2Client(clientConfigFor(twin, account, { maxAttempts: 1 }));
  const lattice = (account: string): VPCLatticeClient =>
    new VPCLatticeClient(clientConfigFor(twin, account, { maxAttempts: 1 }));
  const ram = (account: string): RAMClient =>
    new RAMClient(clientConfigFor(twin, account, { maxAttempts: 1 }));

  before(async () => {
    twin = await startAwsTwin({ delaysMs: DELAYS });
  });

  after(async () => {
    await twin.stop();
  });

  beforeEach(async () => {
    await twin.control.reset();
    await twin.control.setDelays(DELAYS);
  });

  interface Network {
    vpcId: string;
    subnets: string[];
    sg: string;
  }

  /** A VPC with one subnet per zone and a security group. */
  async function network(account: string, cidr: number, zones: string[]): Promise<Network> {
    const e = ec2(account);
    const vpc = await e.send(new CreateVpcCommand({ CidrBlock: `10.${cidr}.0.0/16` }));
    const vpcId = vpc.Vpc!.VpcId!;
    const subnets: string[] = [];
    for (const [i, zone] of zones.entries()) {
      const s = await e.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${cidr}.${i}.0/24`, AvailabilityZone: zone }),
      );
      subnets.push(s.Subnet!.SubnetId!);
    }
    const sg = await e.send(
      new CreateSecurityGroupCommand({ GroupName: `sg-${cidr}`, Description: 'twin', VpcId: vpcId }),
    );
    return { vpcId, subnets, sg: sg.GroupId! };
  }

  async function activeGateway(net: Network, name = 'msk-gateway'): Promise<{ id: string; arn: string }> {
    const l = lattice(PROVIDER);
    const gw = await l.send(
      new CreateResourceGatewayCommand({
        name,
        vpcIdentifier: net.vpcId,
        subnetIds: net.subnets,
        securityGroupIds: [net.sg],
      }),
    );
    await waitFor('gateway ACTIVE', async () => {
      const got = await l.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: gw.id! }));
      return got.status === 'ACTIVE' ? true : undefined;
    });
    return { id: gw.id!, arn: gw.arn! };
  }

  const brokerHost = (n: number): string => `b-${n}.orders.abc123.c2.kafka.us-east-1.amazonaws.com`;

  /** A GROUP with domain kafka.example.com and children b-1..b-n (DNS targets, custom domains under it). */
  async function brokerGroup(
    gatewayId: string,
    n = 3,
  ): Promise<{ group: { id: string; arn: string }; children: { id: string; arn: string }[] }> {
    const l = lattice(PROVIDER);
    const group = await l.send(
      new CreateResourceConfigurationCommand({
        name: 'orders-brokers',
        type: 'GROUP',
        resourceGatewayIdentifier: gatewayId,
        protocol: 'TCP',
        portRanges: ['9094', '9098'],
        groupDomain: 'kafka.example.com',
      }),
    );
    const children = [];
    for (let i = 1; i <= n; i += 1) {
      const child = await l.send(
        new CreateResourceConfigurationCommand({
          name: `orders-b-${i}`,
          type: 'CHILD',
          resourceConfigurationGroupIdentifier: group.arn!,
          resourceConfigurationDefinition: {
            dnsResource: { domainName: brokerHost(i), ipAddressType: 'IPV4' },
          },
          customDomainName: `b-${i}.kafka.example.com`,
        }),
      );
      children.push({ id: child.id!, arn: child.arn! });
    }
    return { group: { id: group.id!, arn: group.arn! }, children };
  }

  async function share(arns: string[], principals: string[]): Promise<string> {
    const out = await ram(PROVIDER).send(
      new CreateResourceShareCommand({
        name: 'orders-brokers',
        resourceArns: arns,
        principals,
        tags: [{ key: 'team', value: 'streaming' }],
      }),
    );
    return out.resourceShare!.resourceShareArn!;
  }

  async function acceptInvitation(account: string, shareArn: string): Promise<void> {
    const r = ram(account);
    const invitations = await r.send(
      new GetResourceShareInvitationsCommand({ resourceShareArns: [shareArn] }),
    );
    const arn = invitations.resourceShareInvitations![0]!.resourceShareInvitationArn!;
    await r.send(new AcceptResourceShareInvitationCommand({ resourceShareInvitationArn: arn }));
  }

  async function describeEndpoint(account: string, id: string): Promise<VpcEndpoint | undefined> {
    const out = await ec2(account).send(new DescribeVpcEndpointsCommand({}));
    return out.VpcEndpoints?.find((e) => e.VpcEndpointId === id);
  }

  /** The wire state (EC2 answers lowercase states; the SDK's State enum is capitalised). */
  async function endpointState(account: string, id: string): Promise<string | undefined> {
    return (await describeEndpoint(account, id))?.State as string | undefined;
  }

  it('resource gateway: CREATE_IN_PROGRESS then ACTIVE, clientToken idempotency, unique names, validation, paging', async () => {
    const net = await network(PROVIDER, 1, ['us-east-1a', 'us-east-1b']);
    const l = lattice(PROVIDER);
    const input = {
      name: 'msk-gateway',
      vpcIdentifier: net.vpcId,
      subnetIds: net.subnets,
      securityGroupIds: [net.sg],
      clientToken: 'gw-token-1',
      tags: { team: 'streaming' },
    };
    const gw = await l.send(new CreateResourceGatewayCommand(input));
    assert.equal(gw.$metadata.httpStatusCode, 201);
    assert.equal(gw.status, 'CREATE_IN_PROGRESS');
    assert.match(gw.id!, new RegExp(`^rgw-${ID17}$`));
    assert.equal(gw.arn, `arn:aws:vpc-lattice:us-east-1:${PROVIDER}:resourcegateway/${gw.id}`);
    assert.equal(gw.vpcIdentifier, net.vpcId);
    assert.equal(gw.ipAddressType, 'IPV4');
    const early = await l.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: gw.id! }));
    assert.equal(early.status, 'CREATE_IN_PROGRESS');
    await waitFor('gateway ACTIVE', async () => {
      const got = await l.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: gw.arn! }));
      return got.status === 'ACTIVE' ? true : undefined;
    });
    const byArn = await l.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: gw.arn! }));
    assert.equal(byArn.vpcId, net.vpcId);
    assert.deepEqual(byArn.subnetIds, net.subnets);
    assert.deepEqual(byArn.securityGroupIds, [net.sg]);
    assert.ok(byArn.createdAt instanceof Date && Math.abs(byArn.createdAt.getTime() - Date.now()) < 60_000);

    // Same clientToken and parameters: the same gateway; different parameters: ConflictException.
    const again = await l.send(new CreateResourceGatewayCommand(input));
    assert.equal(again.id, gw.id);
    await refused(
      l.send(new CreateResourceGatewayCommand({ ...input, subnetIds: [net.subnets[0]!] })),
      'ConflictException',
      409,
    );
    // Names are unique in the account; another account may reuse one.
    const dup = await refused(
      l.send(new CreateResourceGatewayCommand({ ...input, clientToken: undefined })),
      'ConflictException',
      409,
    );
    assert.equal(dup.resourceId, gw.id);
    const other = await network(CONSUMER, 2, ['us-east-1a']);
    const elsewhere = await lattice(CONSUMER).send(
      new CreateResourceGatewayCommand({
        name: 'msk-gateway',
        vpcIdentifier: other.vpcId,
        subnetIds: other.subnets,
      }),
    );
    assert.notEqual(elsewhere.id, gw.id);

    // Model constraints and the caller's own EC2 resources.
    await refused(
      l.send(new CreateResourceGatewayCommand({ ...input, clientToken: undefined, name: 'rgw-reserved' })),
      'ValidationException',
      400,
    );
    await refused(
      l.send(
        new CreateResourceGatewayCommand({
          ...input,
          clientToken: undefined,
          name: 'gw-b',
          subnetIds: other.subnets,
        }),
      ),
      'ResourceNotFoundException',
      404,
    );
    await refused(
      l.send(
        new CreateResourceGatewayCommand({
          name: 'gw-c',
          vpcIdentifier: other.vpcId,
          subnetIds: other.subnets,
        }),
      ),
      'ResourceNotFoundException',
      404,
    );
    const net2 = await network(PROVIDER, 3, ['us-east-1a']);
    await refused(
      l.send(
        new CreateResourceGatewayCommand({
          name: 'gw-d',
          vpcIdentifier: net.vpcId,
          subnetIds: net.subnets,
          securityGroupIds: [net2.sg],
        }),
      ),
      'ValidationException',
      400,
      /not in VPC/,
    );

    const second = await l.send(
      new CreateResourceGatewayCommand({
        name: 'gw-two',
        vpcIdentifier: net2.vpcId,
        subnetIds: net2.subnets,
      }),
    );
    const page1 = await l.send(new ListResourceGatewaysCommand({ maxResults: 1 }));
    assert.equal(page1.items!.length, 1);
    assert.ok(page1.nextToken);
    const page2 = await l.send(
      new ListResourceGatewaysCommand({ maxResults: 1, nextToken: page1.nextToken }),
    );
    assert.equal(page2.nextToken, undefined);
    assert.deepEqual([...page1.items!, ...page2.items!].map((g) => g.name).sort(), ['gw-two', 'msk-gateway']);

    const updated = await l.send(
      new UpdateResourceGatewayCommand({
        resourceGatewayIdentifier: second.id!,
        securityGroupIds: [net2.sg],
      }),
    );
    assert.deepEqual(updated.securityGroupIds, [net2.sg]);
    const deleted = await l.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: second.id! }));
    assert.equal(deleted.status, 'DELETE_IN_PROGRESS');
    await waitFor('gateway gone', async () => {
      const err = await rejection(
        l.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: second.id! })),
      ).catch(() => undefined);
      return err?.name === 'ResourceNotFoundException' ? true : undefined;
    });
  });

  it('resource configurations: a GROUP with three DNS children under its group domain, and what AWS refuses', async () => {
    const net = await network(PROVIDER, 1, ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const gw = await activeGateway(net);
    const l = lattice(PROVIDER);
    const { group, children } = await brokerGroup(gw.id);
    assert.match(group.id, new RegExp(`^rcfg-${ID17}$`));
    assert.equal(group.arn, `arn:aws:vpc-lattice:us-east-1:${PROVIDER}:resourceconfiguration/${group.id}`);

    const g = await l.send(
      new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: group.arn }),
    );
    assert.equal(g.type, 'GROUP');
    assert.equal(g.status, 'ACTIVE');
    assert.equal(g.groupDomain, 'kafka.example.com');
    assert.equal(g.resourceGatewayId, gw.id);
    assert.equal(g.protocol, 'TCP');
    assert.deepEqual(g.portRanges, ['9094', '9098']);
    assert.equal(g.allowAssociationToShareableServiceNetwork, false);

    const c = await l.send(
      new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: children[1]!.id }),
    );
    assert.equal(c.type, 'CHILD');
    assert.equal(c.resourceConfigurationGroupId, group.id);
    // Gateway, protocol and ports are inherited from the group.
    assert.equal(c.resourceGatewayId, gw.id);
    assert.equal(c.protocol, 'TCP');
    assert.deepEqual(c.portRanges, ['9094', '9098']);
    assert.equal(c.customDomainName, 'b-2.kafka.example.com');
    assert.deepEqual(c.resourceConfigurationDefinition, {
      dnsResource: { domainName: brokerHost(2), ipAddressType: 'IPV4' },
    });
    assert.equal(c.domainVerificationStatus, undefined); // the twin verifies no domain
    assert.ok(c.createdAt instanceof Date && c.lastUpdatedAt instanceof Date);

    const listed = await l.send(
      new ListResourceConfigurationsCommand({ resourceConfigurationGroupIdentifier: group.id }),
    );
    assert.deepEqual(listed.items!.map((i) => i.name).sort(), ['orders-b-1', 'orders-b-2', 'orders-b-3']);
    const byGateway = await l.send(
      new ListResourceConfigurationsCommand({ resourceGatewayIdentifier: gw.arn }),
    );
    assert.equal(byGateway.items!.length, 4);

    const child = (
      extra: Partial<CreateResourceConfigurationCommandInput>,
    ): CreateResourceConfigurationCommandInput => ({
      name: 'orders-b-4',
      type: 'CHILD',
      resourceConfigurationGroupIdentifier: group.id,
      resourceConfigurationDefinition: { dnsResource: { domainName: brokerHost(4), ipAddressType: 'IPV4' } },
      ...extra,
    });
    await refused(
      l.send(new CreateResourceConfigurationCommand(child({ customDomainName: 'b-4.kafka.other.com' }))),
      'ValidationException',
      400,
      /not a subdomain of the group domain kafka\.example\.com/,
    );
    await refused(
      l.send(
        new CreateResourceConfigurationCommand(child({ resourceConfigurationGroupIdentifier: undefined })),
      ),
      'ValidationException',
      400,
      /resourceConfigurationGroupIdentifier is required/,
    );
    await refused(
      l.send(new CreateResourceConfigurationCommand(child({ protocol: 'TCP' }))),
      'ValidationException',
    );
    await refused(
      l.send(
        new CreateResourceConfigurationCommand(
          child({ resourceConfigurationGroupIdentifier: children[0]!.id }),
        ),
      ),
      'ValidationException',
      400,
      /not a GROUP/,
    );
    await refused(
      l.send(new CreateResourceConfigurationCommand(child({ name: 'orders-b-1' }))),
      'ConflictException',
      409,
    );
    const single = (
      extra: Partial<CreateResourceConfigurationCommandInput>,
    ): CreateResourceConfigurationCommandInput => ({
      name: 'single',
      type: 'SINGLE',
      resourceGatewayIdentifier: gw.id,
      protocol: 'TCP',
      portRanges: ['9094'],
      resourceConfigurationDefinition: { ipResource: { ipAddress: '10.1.0.50' } },
      ...extra,
    });
    for (const ports of [['70000'], ['9098-9092'], ['0'], ['a-b']]) {
      await refused(
        l.send(new CreateResourceConfigurationCommand(single({ portRanges: ports }))),
        'ValidationException',
      );
    }
    await refused(
      l.send(
        new CreateResourceConfigurationCommand(
          single({ resourceConfigurationDefinition: { ipResource: { ipAddress: '8.8.8.8' } } }),
        ),
      ),
      'ValidationException',
      400,
      /private IPv4/,
    );
    await refused(
      l.send(new CreateResourceConfigurationCommand(single({ protocol: undefined }))),
      'ValidationException',
    );
    await refused(
      l.send(
        new CreateResourceConfigurationCommand({
          name: 'group-two',
          type: 'GROUP',
          resourceGatewayIdentifier: gw.id,
          protocol: 'TCP',
          portRanges: ['9094'],
          resourceConfigurationDefinition: {
            dnsResource: { domainName: 'x.example.com', ipAddressType: 'IPV4' },
          },
        }),
      ),
      'ValidationException',
    );
    await refused(
      l.send(
        new CreateResourceConfigurationCommand(
          single({ resourceGatewayIdentifier: 'rgw-00000000000000000' }),
        ),
      ),
      'ResourceNotFoundException',
      404,
    );
    const made = await l.send(new CreateResourceConfigurationCommand(single({ clientToken: 'single-1' })));
    assert.equal(made.$metadata.httpStatusCode, 201);
    assert.equal(
      (await l.send(new CreateResourceConfigurationCommand(single({ clientToken: 'single-1' })))).id,
      made.id,
    );
    await refused(
      l.send(
        new CreateResourceConfigurationCommand(single({ clientToken: 'single-1', portRanges: ['9092'] })),
      ),
      'ConflictException',
    );

    // A group with children, and a gateway with configurations, cannot be deleted.
    const groupDelete = await refused(
      l.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: group.id })),
      'ConflictException',
      409,
      /child resource configurations/,
    );
    assert.equal(groupDelete.resourceId, group.id);
    await refused(
      l.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: gw.id })),
      'ConflictException',
      409,
    );

    const upd = await l.send(
      new UpdateResourceConfigurationCommand({
        resourceConfigurationIdentifier: children[0]!.arn,
        portRanges: ['9096'],
      }),
    );
    assert.deepEqual(upd.portRanges, ['9096']);
    const after = await l.send(
      new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: children[0]!.id }),
    );
    assert.deepEqual(after.portRanges, ['9096']);

    // Tags on both kinds of ARN (slashes in the path, URL-encoded by the SDK).
    await l.send(
      new TagResourceCommand({ resourceArn: group.arn, tags: { team: 'streaming', env: 'test' } }),
    );
    await l.send(new UntagResourceCommand({ resourceArn: group.arn, tagKeys: ['env'] }));
    assert.deepEqual((await l.send(new ListTagsForResourceCommand({ resourceArn: group.arn }))).tags, {
      team: 'streaming',
    });
    await l.send(new TagResourceCommand({ resourceArn: gw.arn, tags: { owner: 'platform' } }));
    assert.deepEqual((await l.send(new ListTagsForResourceCommand({ resourceArn: gw.arn }))).tags, {
      owner: 'platform',
    });
    await refused(
      l.send(
        new ListTagsForResourceCommand({
          resourceArn: `arn:aws:vpc-lattice:us-east-1:${PROVIDER}:resourceconfiguration/rcfg-00000000000000000`,
        }),
      ),
      'ResourceNotFoundException',
      404,
    );
    // Another account sees none of it.
    await refused(
      lattice(CONSUMER).send(
        new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: group.arn }),
      ),
      'ResourceNotFoundException',
    );
  });

  it('caps a group at 60 children with ServiceQuotaExceededException', async () => {
    const net = await network(PROVIDER, 1, ['us-east-1a']);
    const gw = await activeGateway(net);
    const { group } = await brokerGroup(gw.id, 60);
    const err = await refused(
      lattice(PROVIDER).send(
        new CreateResourceConfigurationCommand({
          name: 'orders-b-61',
          type: 'CHILD',
          resourceConfigurationGroupIdentifier: group.id,
          resourceConfigurationDefinition: { ipResource: { ipAddress: '10.1.0.61' } },
        }),
      ),
      'ServiceQuotaExceededException',
      402,
    );
    assert.equal(err.quotaCode, 'L-9BC96FEF');
    assert.equal(err.serviceCode, 'vpc-lattice');
    assert.equal(err.resourceType, 'RESOURCE_CONFIGURATION');
  });

  it('RAM: shares a group with two accounts as PENDING invitations; the accepting account lists it', async () => {
    const net = await network(PROVIDER, 1, ['us-east-1a']);
    const gw = await activeGateway(net);
    const { group, children } = await brokerGroup(gw.id);
    const p = ram(PROVIDER);

    await refused(
      p.send(
        new CreateResourceShareCommand({
          name: 'x',
          resourceArns: [children[0]!.arn],
          principals: [CONSUMER],
        }),
      ),
      'InvalidParameterException',
      400,
      /CHILD/,
    );
    await refused(
      p.send(
        new CreateResourceShareCommand({
          name: 'x',
          resourceArns: [
            `arn:aws:vpc-lattice:us-east-1:${PROVIDER}:resourceconfiguration/rcfg-00000000000000000`,
          ],
        }),
      ),
      'UnknownResourceException',
    );
    await refused(
      p.send(new CreateResourceShareCommand({ name: 'x', resourceArns: ['not-an-arn'] })),
      'MalformedArnException',
    );
    // The accounts are in no organization, so every account is external.
    await refused(
      p.send(
        new CreateResourceShareCommand({
          name: 'x',
          resourceArns: [group.arn],
          principals: [CONSUMER],
          allowExternalPrincipals: false,
        }),
      ),
      'OperationNotPermittedException',
    );
    // Only the owner can share a configuration.
    await refused(
      ram(CONSUMER).send(
        new CreateResourceShareCommand({ name: 'x', resourceArns: [group.arn], principals: [STRANGER] }),
      ),
      'UnknownResourceException',
    );

    const shareArn = await share([group.arn], [CONSUMER, INVITEE]);
    assert.match(shareArn, new RegExp(`^arn:aws:ram:us-east-1:${PROVIDER}:resource-share/`));
    for (const account of [CONSUMER, INVITEE]) {
      const inv = await ram(account).send(new GetResourceShareInvitationsCommand({}));
      assert.equal(inv.resourceShareInvitations!.length, 1);
      const only = inv.resourceShareInvitations![0]!;
      assert.equal(only.status, 'PENDING');
      assert.equal(only.senderAccountId, PROVIDER);
      assert.equal(only.receiverAccountId, account);
      assert.equal(only.resourceShareArn, shareArn);
      assert.equal(only.resourceShareName, 'orders-brokers');
    }
    assert.equal(
      (await p.send(new GetResourceShareInvitationsCommand({}))).resourceShareInvitations!.length,
      0,
    );
    const principals = async (): Promise<Record<string, string>> => {
      const out = await p.send(new GetResourceShareAssociationsCommand({ associationType: 'PRINCIPAL' }));
      return Object.fromEntries(out.resourceShareAssociations!.map((a) => [a.associatedEntity!, a.status!]));
    };
    assert.deepEqual(await principals(), { [CONSUMER]: 'ASSOCIATING', [INVITEE]: 'ASSOCIATING' });
    const resources = await p.send(new GetResourceShareAssociationsCommand({ associationType: 'RESOURCE' }));
    assert.deepEqual(
      resources.resourceShareAssociations!.map((a) => [a.associatedEntity, a.status]),
      [[group.arn, 'ASSOCIATED']],
    );
    const sharedWithConsumer = async (): Promise<string[]> =>
      (
        await ram(CONSUMER).send(new ListResourcesCommand({ resourceOwner: 'OTHER-ACCOUNTS' }))
      ).resources!.map((r) => r.arn!);
    assert.deepEqual(await sharedWithConsumer(), []);

    await acceptInvitation(CONSUMER, shareArn);
    const listed = await ram(CONSUMER).send(new ListResourcesCommand({ resourceOwner: 'OTHER-ACCOUNTS' }));
    assert.deepEqual(
      listed.resources!.map((r) => [r.arn, r.type, r.resourceShareArn, r.status]),
      [[group.arn, 'vpc-lattice:ResourceConfiguration', shareArn, 'AVAILABLE']],
    );
    assert.deepEqual(
      (await ram(INVITEE).send(new ListResourcesCommand({ resourceOwner: 'OTHER-ACCOUNTS' }))).resources,
      [],
    );
    assert.deepEqual(await principals(), { [CONSUMER]: 'ASSOCIATED', [INVITEE]: 'ASSOCIATING' });
    const inv = (await ram(CONSUMER).send(new GetResourceShareInvitationsCommand({})))
      .resourceShareInvitations![0]!;
    assert.equal(inv.status, 'ACCEPTED');
    await refused(
      ram(CONSUMER).send(
        new AcceptResourceShareInvitationCommand({
          resourceShareInvitationArn: inv.resourceShareInvitationArn!,
        }),
      ),
      'ResourceShareInvitationAlreadyAcceptedException',
    );
    // Only the receiver can answer its invitation.
    await refused(
      ram(STRANGER).send(
        new AcceptResourceShareInvitationCommand({
          resourceShareInvitationArn: inv.resourceShareInvitationArn!,
        }),
      ),
      'ResourceShareInvitationArnNotFoundException',
    );

    // The consumer now reads the shared group by ARN (not by id: ids are the owner's namespace).
    const seen = await lattice(CONSUMER).send(
      new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: group.arn }),
    );
    assert.equal(seen.groupDomain, 'kafka.example.com');
    await refused(
      lattice(CONSUMER).send(
        new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: group.id }),
      ),
      'ResourceNotFoundException',
    );

    const shared = await ram(CONSUMER).send(
      new GetResourceSharesCommand({ resourceOwner: 'OTHER-ACCOUNTS' }),
    );
    assert.deepEqual(
      shared.resourceShares!.map((s) => [s.resourceShareArn, s.owningAccountId]),
      [[shareArn, PROVIDER]],
    );
    const own = await p.send(
      new GetResourceSharesCommand({
        resourceOwner: 'SELF',
        tagFilters: [{ tagKey: 'team', tagValues: ['streaming'] }],
      }),
    );
    assert.equal(own.resourceShares!.length, 1);
    assert.deepEqual(own.resourceShares![0]!.tags, [{ key: 'team', value: 'streaming' }]);
    assert.equal(own.resourceShares![0]!.allowExternalPrincipals, true);
    assert.equal(own.resourceShares![0]!.status, 'ACTIVE');
    assert.equal(
      (
        await p.send(
          new GetResourceSharesCommand({
            resourceOwner: 'SELF',
            tagFilters: [{ tagKey: 'team', tagValues: ['x'] }],
          }),
        )
      ).resourceShares!.length,
      0,
    );

    // The other account rejects; a third account is added and then removed.
    const invitee = (await ram(INVITEE).send(new GetResourceShareInvitationsCommand({})))
      .resourceShareInvitations![0]!;
    const rejected = await ram(INVITEE).send(
      new RejectResourceShareInvitationCommand({
        resourceShareInvitationArn: invitee.resourceShareInvitationArn!,
      }),
    );
    assert.equal(rejected.resourceShareInvitation!.status, 'REJECTED');
    const added = await p.send(
      new AssociateResourceShareCommand({ resourceShareArn: shareArn, principals: [STRANGER] }),
    );
    assert.deepEqual(
      added.resourceShareAssociations!.map((a) => [a.associatedEntity, a.status]),
      [[STRANGER, 'ASSOCIATING']],
    );
    await p.send(
      new DisassociateResourceShareCommand({ resourceShareArn: shareArn, principals: [STRANGER] }),
    );
    assert.deepEqual(await principals(), {
      [CONSUMER]: 'ASSOCIATED',
      [INVITEE]: 'DISASSOCIATED',
      [STRANGER]: 'DISASSOCIATED',
    });

    const renamed = await p.send(
      new UpdateResourceShareCommand({ resourceShareArn: shareArn, name: 'orders' }),
    );
    assert.equal(renamed.resourceShare!.name, 'orders');
    await p.send(
      new RamTagResourceCommand({ resourceShareArn: shareArn, tags: [{ key: 'env', value: 'test' }] }),
    );
    const tagged = await p.send(
      new GetResourceSharesCommand({ resourceOwner: 'SELF', resourceShareArns: [shareArn] }),
    );
    assert.deepEqual(tagged.resourceShares![0]!.tags!.map((t) => `${t.key}=${t.value}`).sort(), [
      'env=test',
      'team=streaming',
    ]);
    await refused(
      ram(CONSUMER).send(new UpdateResourceShareCommand({ resourceShareArn: shareArn, name: 'mine' })),
      'UnknownResourceException',
    );
  });

  it('resource endpoint: only after acceptance; pending then available; fields, DnsOptions, modify; teardown in AWS order', async () => {
    const net = await network(PROVIDER, 1, ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const gw = await activeGateway(net);
    const l = lattice(PROVIDER);
    const { group, children } = await brokerGroup(gw.id);
    const shareArn = await share([group.arn], [CONSUMER, INVITEE]);

    const request = (vpc: Network, extra: Record<string, unknown> = {}): CreateVpcEndpointCommand =>
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Resource',
        VpcId: vpc.vpcId,
        ResourceConfigurationArn: group.arn,
        SubnetIds: [vpc.subnets[0]!],
        PrivateDnsEnabled: true,
        DnsOptions: {
          PrivateDnsPreference: 'VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS',
          PrivateDnsSpecifiedDomains: ['*.kafka.example.com'],
        },
        TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'team', Value: 'streaming' }] }],
        ...extra,
      });

    // Invited but not accepted, and never invited: both refused the same way.
    const invitee = await network(INVITEE, 4, ['us-east-1a']);
    await refused(
      ec2(INVITEE).send(request(invitee)),
      'InvalidParameter',
      400,
      /does not exist or is not shared/,
    );
    const stranger = await network(STRANGER, 5, ['us-east-1a']);
    await refused(
      ec2(STRANGER).send(request(stranger)),
      'InvalidParameter',
      400,
      /does not exist or is not shared/,
    );

    const consumer = await network(CONSUMER, 2, ['us-east-1a', 'us-east-1b', 'us-east-1d']);
    const ce = ec2(CONSUMER);
    await refused(
      ce.send(request(consumer)),
      'InvalidParameter',
      400,
      /not shared with account 222222222222/,
    );
    await acceptInvitation(CONSUMER, shareArn);

    // What the consumer may not ask for.
    await refused(
      ce.send(request(consumer, { ResourceConfigurationArn: children[0]!.arn })),
      'InvalidParameter',
      400,
      /CHILD/,
    );
    await refused(
      ce.send(request(consumer, { DnsOptions: { PrivateDnsPreference: 'SPECIFIED_DOMAINS_ONLY' } })),
      'InvalidParameter',
    );
    await refused(
      ce.send(
        request(consumer, {
          DnsOptions: {
            PrivateDnsPreference: 'VERIFIED_DOMAINS_ONLY',
            PrivateDnsSpecifiedDomains: ['a.example.com'],
          },
        }),
      ),
      'InvalidParameter',
    );
    await refused(
      ce.send(request(consumer, { DnsOptions: { PrivateDnsPreference: 'SOME_DOMAINS' } })),
      'InvalidParameter',
    );
    await refused(
      ce.send(request(consumer, { PrivateDnsEnabled: false })),
      'InvalidParameter',
      400,
      /require PrivateDnsEnabled/,
    );
    await refused(
      ce.send(request(consumer, { SubnetIds: [consumer.subnets[2]!] })),
      'InvalidParameter',
      400,
      /Availability Zone .* have to overlap/,
    );
    await refused(
      ce.send(
        request(consumer, { ResourceConfigurationArn: undefined, ServiceName: 'com.amazonaws.vpce.x' }),
      ),
      'InvalidParameter',
    );

    const created = await ce.send(
      request(consumer, { ClientToken: 'ep-1', SubnetIds: consumer.subnets.slice(0, 2) }),
    );
    const ep = created.VpcEndpoint!;
    assert.equal(ep.State, 'pending');
    assert.equal(ep.VpcEndpointType, 'Resource');
    const retry = await ce.send(
      request(consumer, { ClientToken: 'ep-1', SubnetIds: consumer.subnets.slice(0, 2) }),
    );
    assert.equal(retry.VpcEndpoint!.VpcEndpointId, ep.VpcEndpointId);
    await refused(ce.send(request(consumer, { ClientToken: 'ep-1' })), 'IdempotentParameterMismatch');
    await waitFor('endpoint available', async () =>
      (await endpointState(CONSUMER, ep.VpcEndpointId!)) === 'available' ? true : undefined,
    );

    const filtered = await ce.send(
      new DescribeVpcEndpointsCommand({
        Filters: [
          { Name: 'vpc-endpoint-type', Values: ['Resource'] },
          { Name: 'vpc-id', Values: [consumer.vpcId] },
          { Name: 'tag:team', Values: ['streaming'] },
          { Name: 'vpc-endpoint-id', Values: [ep.VpcEndpointId!] },
        ],
      }),
    );
    assert.equal(filtered.VpcEndpoints!.length, 1);
    const got = filtered.VpcEndpoints![0]!;
    assert.equal(got.VpcEndpointType, 'Resource');
    assert.equal(got.ResourceConfigurationArn, group.arn);
    assert.equal(got.ServiceName, undefined);
    assert.equal(got.PrivateDnsEnabled, true);
    assert.deepEqual(got.DnsOptions, {
      PrivateDnsPreference: 'VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS',
      PrivateDnsSpecifiedDomains: ['*.kafka.example.com'],
    });
    assert.deepEqual(got.SubnetIds, consumer.subnets.slice(0, 2));
    assert.equal(got.Groups!.length, 1);
    assert.equal(got.Groups![0]!.GroupName, 'default'); // no group given: the VPC's default
    assert.equal(got.NetworkInterfaceIds!.length, 2);
    assert.equal(got.OwnerId, CONSUMER);
    assert.deepEqual(got.Tags, [{ Key: 'team', Value: 'streaming' }]);
    // One generated name per child of the group.
    assert.deepEqual(
      got.DnsEntries!.map((d) => d.DnsName),
      children.map((c) => `${ep.VpcEndpointId}.${c.id}.4232ccc.vpc-lattice-rsc.us-east-1.on.aws`),
    );
    assert.match(got.DnsEntries![0]!.HostedZoneId!, /^Z[0-9A-Z]{20}$/);
    assert.equal(
      (
        await ce.send(
          new DescribeVpcEndpointsCommand({
            Filters: [{ Name: 'vpc-endpoint-type', Values: ['Interface'] }],
          }),
        )
      ).VpcEndpoints!.length,
      0,
    );

    // ModifyVpcEndpoint: DNS options, groups and subnets; private DNS itself cannot change.
    await ce.send(
      new ModifyVpcEndpointCommand({
        VpcEndpointId: ep.VpcEndpointId!,
        DnsOptions: {
          PrivateDnsPreference: 'SPECIFIED_DOMAINS_ONLY',
          PrivateDnsSpecifiedDomains: ['b-1.kafka.example.com'],
        },
        AddSecurityGroupIds: [consumer.sg],
        RemoveSubnetIds: [consumer.subnets[1]!],
      }),
    );
    const modified = (await describeEndpoint(CONSUMER, ep.VpcEndpointId!))!;
    assert.deepEqual(modified.DnsOptions, {
      PrivateDnsPreference: 'SPECIFIED_DOMAINS_ONLY',
      PrivateDnsSpecifiedDomains: ['b-1.kafka.example.com'],
    });
    assert.deepEqual(modified.Groups!.map((g) => g.GroupId).slice(1), [consumer.sg]);
    assert.deepEqual(modified.SubnetIds, [consumer.subnets[0]]);
    assert.equal(modified.NetworkInterfaceIds!.length, 1);
    await ce.send(
      new ModifyVpcEndpointCommand({
        VpcEndpointId: ep.VpcEndpointId!,
        DnsOptions: { PrivateDnsPreference: 'ALL_DOMAINS' },
      }),
    );
    assert.deepEqual((await describeEndpoint(CONSUMER, ep.VpcEndpointId!))!.DnsOptions, {
      PrivateDnsPreference: 'ALL_DOMAINS',
    });
    await refused(
      ce.send(new ModifyVpcEndpointCommand({ VpcEndpointId: ep.VpcEndpointId!, PrivateDnsEnabled: false })),
      'InvalidParameter',
      400,
      /cannot be modified/,
    );
    await refused(
      ce.send(
        new ModifyVpcEndpointCommand({
          VpcEndpointId: ep.VpcEndpointId!,
          DnsOptions: { PrivateDnsPreference: 'ALL_DOMAINS', PrivateDnsSpecifiedDomains: ['x.example.com'] },
        }),
      ),
      'InvalidParameter',
    );

    // The owner uses its own SINGLE configuration without RAM; while an endpoint uses it, it stays.
    const single = await l.send(
      new CreateResourceConfigurationCommand({
        name: 'schema-registry',
        type: 'SINGLE',
        resourceGatewayIdentifier: gw.id,
        protocol: 'TCP',
        portRanges: ['8081'],
        resourceConfigurationDefinition: { ipResource: { ipAddress: '10.1.0.80' } },
        customDomainName: 'registry.example.com',
      }),
    );
    const ownVpc = await network(PROVIDER, 6, ['us-east-1a']);
    const own = await ec2(PROVIDER).send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Resource',
        VpcId: ownVpc.vpcId,
        ResourceConfigurationArn: single.arn,
        SubnetIds: ownVpc.subnets,
        SecurityGroupIds: [ownVpc.sg],
      }),
    );
    const ownEp = (await describeEndpoint(PROVIDER, own.VpcEndpoint!.VpcEndpointId!))!;
    assert.equal(ownEp.DnsOptions, undefined); // private DNS off by default
    assert.deepEqual(
      ownEp.DnsEntries!.map((d) => d.DnsName),
      [`${ownEp.VpcEndpointId}.${single.id}.4232ccc.vpc-lattice-rsc.us-east-1.on.aws`],
    );
    await refused(
      l.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: single.id! })),
      'ConflictException',
      409,
      new RegExp(`in use by VPC endpoints: ${ownEp.VpcEndpointId}`),
    );

    // Teardown in the order AWS allows: endpoints, children, group, gateway, share.
    await twin.control.setDelays({ endpointDeleteMs: 400 });
    await refused(
      l.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: group.id })),
      'ConflictException',
      409,
      /child/,
    );
    await ce.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [ep.VpcEndpointId!] }));
    await ec2(PROVIDER).send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [ownEp.VpcEndpointId!] }));
    for (const child of children) {
      const out = await l.send(
        new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: child.arn }),
      );
      assert.equal(out.$metadata.httpStatusCode, 204);
    }
    // Still deleting: the group stays in use until the endpoint is gone.
    assert.equal(await endpointState(CONSUMER, ep.VpcEndpointId!), 'deleting');
    await refused(
      l.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: group.id })),
      'ConflictException',
      409,
      /in use by VPC endpoints/,
    );
    await waitFor('endpoints gone', async () =>
      (await describeEndpoint(CONSUMER, ep.VpcEndpointId!)) === undefined &&
      (await describeEndpoint(PROVIDER, ownEp.VpcEndpointId!)) === undefined
        ? true
        : undefined,
    );
    await l.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: group.id }));
    await l.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: single.arn! }));
    await refused(
      l.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: group.id })),
      'ResourceNotFoundException',
    );
    assert.deepEqual(
      (await ram(CONSUMER).send(new ListResourcesCommand({ resourceOwner: 'OTHER-ACCOUNTS' }))).resources,
      [],
    );
    const gwDeleted = await l.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: gw.arn }));
    assert.equal(gwDeleted.status, 'DELETE_IN_PROGRESS');
    await waitFor('gateway gone', async () =>
      (await l.send(new ListResourceGatewaysCommand({}))).items!.length === 0 ? true : undefined,
    );

    const p = ram(PROVIDER);
    const deleted = await p.send(new DeleteResourceShareCommand({ resourceShareArn: shareArn }));
    assert.equal(deleted.returnValue, true);
    const gone = await p.send(
      new GetResourceSharesCommand({ resourceOwner: 'SELF', resourceShareArns: [shareArn] }),
    );
    assert.equal(gone.resourceShares![0]!.status, 'DELETED');
    const assoc = await p.send(
      new GetResourceShareAssociationsCommand({
        associationType: 'PRINCIPAL',
        resourceShareArns: [shareArn],
      }),
    );
    assert.deepEqual(
      assoc.resourceShareAssociations!.map((a) => a.status),
      ['DISASSOCIATED', 'DISASSOCIATED'],
    );
    // The invitation the other account never answered can no longer be accepted.
    const pending = (await ram(INVITEE).send(new GetResourceShareInvitationsCommand({})))
      .resourceShareInvitations![0]!;
    assert.equal(pending.status, 'EXPIRED');
    await refused(
      ram(INVITEE).send(
        new AcceptResourceShareInvitationCommand({
          resourceShareInvitationArn: pending.resourceShareInvitationArn!,
        }),
      ),
      'ResourceShareInvitationExpiredException',
    );
    assert.deepEqual(
      (await ram(CONSUMER).send(new GetResourceSharesCommand({ resourceOwner: 'OTHER-ACCOUNTS' })))
        .resourceShares,
      [],
    );
  });

  it('answers injected throttles and 5xx faults in each service own error', async () => {
    await twin.control.injectFault({
      service: 'vpc-lattice',
      action: 'ListResourceGateways',
      kind: 'throttle',
      count: 1,
    });
    await refused(lattice(PROVIDER).send(new ListResourceGatewaysCommand({})), 'ThrottlingException', 429);
    await twin.control.injectFault({ service: 'ram', action: 'GetResourceShares', kind: '5xx', count: 1 });
    await refused(
      ram(PROVIDER).send(new GetResourceSharesCommand({ resourceOwner: 'SELF' })),
      'ServerInternalException',
      500,
    );
    const counters = await twin.control.counters({ account: PROVIDER, service: 'vpc-lattice' });
    assert.deepEqual(
      counters.map((c) => [c.action, c.calls, c.faulted]),
      [['ListResourceGateways', 1, 1]],
    );
    // The faults were used up: the next calls succeed.
    assert.deepEqual((await lattice(PROVIDER).send(new ListResourceGatewaysCommand({}))).items, []);
    assert.deepEqual(
      (await ram(PROVIDER).send(new GetResourceSharesCommand({ resourceOwner: 'SELF' }))).resourceShares,
      [],
    );
  });
});
