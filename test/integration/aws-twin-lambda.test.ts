// Acceptance tests for the AWS twin's Lambda (what `probe --in-vpc` uses): real AWS SDK v3 clients
// over HTTP; functions run as Node subprocesses that resolve names through the VPC's DNS server.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
  type CreateFunctionCommandInput,
  type InvokeCommandOutput,
} from '@aws-sdk/client-lambda';
import { strToU8, zipSync } from 'fflate';
import { startDnsServer, type DnsServer } from '../testbed/network/dns-server.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const CONSUMER = '222222222222';
const OTHER = '444444444444'; // no DNS server registered for its VPCs
const BROKER_NAME = 'broker.example.internal';
const BROKER_IP = '127.0.10.77';
const BROKER_PORT = 9094;
const DELAYS = { lambdaActiveMs: 250, lambdaEniReleaseMs: 700 };

const TRUST_LAMBDA = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const TRUST_EC2 = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

// The probe-like handler: echoes the payload, resolves a name and reads a banner over TCP.
const HANDLER = `
import dns from 'node:dns';
import net from 'node:net';

function banner(host, port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let data = '';
    let remote;
    socket.once('connect', () => { remote = socket.remoteAddress; });
    socket.setEncoding('utf8');
    socket.setTimeout(2000, () => { socket.destroy(); reject(new Error('read timed out')); });
    socket.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\\n')) { socket.destroy(); resolve({ text: data.trim(), remote }); }
    });
    socket.on('error', reject);
  });
}

export const handler = async (event, context) => {
  console.log('probe event', JSON.stringify(event));
  if (event.action === 'throw') throw new Error(event.message);
  if (event.action === 'sleep') { await new Promise((r) => setTimeout(r, event.ms)); return 'late'; }
  if (event.action === 'spam') {
    for (let i = 0; i < 200; i++) console.log('line ' + i + ' ' + 'x'.repeat(60));
    console.log('last line');
    return 'spammed';
  }
  const out = { echo: event, functionName: context.functionName, env: process.env.PROBE_MODE ?? null,
    twinVars: Object.keys(process.env).filter((k) => k.startsWith('TWIN_')), servers: dns.getServers() };
  if (event.lookup) {
    try { out.lookup = await dns.promises.lookup(event.lookup); } catch (err) { out.lookupError = err.code; }
  }
  if (event.connect) out.banner = await banner(event.connect.host, event.connect.port);
  return out;
};
`;

const ZIP = zipSync({ 'index.mjs': strToU8(HANDLER) });

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

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function payloadOf(out: InvokeCommandOutput): unknown {
  return JSON.parse(new TextDecoder().decode(out.Payload));
}

interface Vpc {
  vpcId: string;
  subnets: string[];
  groupId: string;
  roleArn: string;
}

describe('AWS twin: Lambda in a VPC', function () {
  this.timeout(20_000);
  let twin: AwsTwin;
  let dns: DnsServer;
  let broker: Server;
  let consumer: Vpc;
  let fnCount = 0;

  const ec2 = (account: string): EC2Client =>
    new EC2Client(clientConfigFor(twin, account, { maxAttempts: 1 }));
  const iam = (account: string): IAMClient =>
    new IAMClient(clientConfigFor(twin, account, { maxAttempts: 1 }));
  const lambda = (account: string): LambdaClient =>
    new LambdaClient(clientConfigFor(twin, account, { maxAttempts: 1 }));

  async function makeVpc(account: string, cidr: string, roleName = 'probe-role'): Promise<Vpc> {
    const e = ec2(account);
    const vpcId = (await e.send(new CreateVpcCommand({ CidrBlock: `${cidr}.0.0/16` }))).Vpc!.VpcId!;
    const subnets: string[] = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
      const s = await e.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${cidr}.${i}.0/24`, AvailabilityZone: az }),
      );
      subnets.push(s.Subnet!.SubnetId!);
    }
    const groupId = (
      await e.send(
        new CreateSecurityGroupCommand({ GroupName: `probe-${cidr}`, Description: 'probe', VpcId: vpcId }),
      )
    ).GroupId!;
    const role = await iam(account).send(
      new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST_LAMBDA }),
    );
    return { vpcId, subnets, groupId, roleArn: role.Role!.Arn! };
  }

  function spec(vpc: Vpc, extra: Partial<CreateFunctionCommandInput> = {}): CreateFunctionCommandInput {
    return {
      FunctionName: `probe-${++fnCount}`,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: vpc.roleArn,
      Code: { ZipFile: ZIP },
      Timeout: 5,
      VpcConfig: { SubnetIds: vpc.subnets, SecurityGroupIds: [vpc.groupId] },
      ...extra,
    };
  }

  /** Creates the function and waits for Active, as the probe does. */
  async function activeFunction(account: string, input: CreateFunctionCommandInput): Promise<string> {
    const l = lambda(account);
    await l.send(new CreateFunctionCommand(input));
    await waitFor('Active', async () => {
      const c = await l.send(new GetFunctionConfigurationCommand({ FunctionName: input.FunctionName }));
      return c.State === 'Active' ? true : undefined;
    });
    return input.FunctionName!;
  }

  async function lambdaEnis(account: string, vpcId: string, name: string): Promise<NetworkInterface[]> {
    const out = await ec2(account).send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
    );
    return (out.NetworkInterfaces ?? []).filter((n) =>
      n.Description?.startsWith(`AWS Lambda VPC ENI-${name}-`),
    );
  }

  before(async () => {
    twin = await startAwsTwin({ delaysMs: DELAYS });
    dns = await startDnsServer(() => ({ zones: [], hosts: new Map([[BROKER_NAME, [BROKER_IP]]]) }), {
      host: '127.0.10.53',
    });
    broker = createServer((socket) => socket.end('KAFKA-BANNER twin-broker\n'));
    await new Promise<void>((resolve, reject) => {
      broker.once('error', reject);
      broker.listen(BROKER_PORT, BROKER_IP, () => resolve());
    });
    consumer = await makeVpc(CONSUMER, '10.20');
    // A dead server for the account; the VPC's own entry must win over it.
    await twin.control.setLambdaResolver(CONSUMER, '127.0.10.99:9');
    await twin.control.setLambdaResolver(CONSUMER, `${dns.host}:${dns.port}`, consumer.vpcId);
  });

  after(async () => {
    await twin?.stop();
    await dns?.close();
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
  });

  it('refuses a role Lambda cannot assume; DeleteRole waits for its inline policies (DeleteConflict)', async () => {
    const i = iam(CONSUMER);
    const ec2Role = await i.send(
      new CreateRoleCommand({ RoleName: 'ec2-only', AssumeRolePolicyDocument: TRUST_EC2 }),
    );
    for (const Role of [ec2Role.Role!.Arn!, `arn:aws:iam::${CONSUMER}:role/missing`]) {
      const err = await rejection(lambda(CONSUMER).send(new CreateFunctionCommand(spec(consumer, { Role }))));
      assert.equal(err.name, 'InvalidParameterValueException');
      assert.equal(err.message, 'The role defined for the function cannot be assumed by Lambda.');
    }
    const foreign = await rejection(
      lambda(CONSUMER).send(
        new CreateFunctionCommand(spec(consumer, { Role: 'arn:aws:iam::111111111111:role/x' })),
      ),
    );
    assert.equal(foreign.name, 'AccessDeniedException');

    await i.send(
      new PutRolePolicyCommand({
        RoleName: 'ec2-only',
        PolicyName: 'eni',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ec2:CreateNetworkInterface', Resource: '*' }],
        }),
      }),
    );
    const conflict = await rejection(i.send(new DeleteRoleCommand({ RoleName: 'ec2-only' })));
    assert.equal(conflict.name, 'DeleteConflictException');
    await i.send(new DeleteRolePolicyCommand({ RoleName: 'ec2-only', PolicyName: 'eni' }));
    await i.send(new DeleteRoleCommand({ RoleName: 'ec2-only' }));
  });

  it('validates VpcConfig: subnets must exist, groups must exist in the same VPC, both or neither', async () => {
    const l = lambda(CONSUMER);
    const other = await makeVpc(CONSUMER, '10.21', 'probe-role-2');
    const cases: Array<[CreateFunctionCommandInput['VpcConfig'], RegExp]> = [
      [
        { SubnetIds: ['subnet-0000000000000dead'], SecurityGroupIds: [consumer.groupId] },
        /InvalidSubnetID\.NotFound/,
      ],
      [{ SubnetIds: consumer.subnets, SecurityGroupIds: ['sg-0000000000000dead'] }, /InvalidGroup\.NotFound/],
      [{ SubnetIds: consumer.subnets, SecurityGroupIds: [other.groupId] }, /not in the subnets' VPC/],
      [
        { SubnetIds: [consumer.subnets[0]!, other.subnets[0]!], SecurityGroupIds: [consumer.groupId] },
        /different VPCs/,
      ],
      [{ SubnetIds: consumer.subnets, SecurityGroupIds: [] }, /must coexist/],
    ];
    for (const [VpcConfig, message] of cases) {
      const err = await rejection(l.send(new CreateFunctionCommand(spec(consumer, { VpcConfig }))));
      assert.equal(
        err.name,
        'InvalidParameterValueException',
        `${JSON.stringify(VpcConfig)}: ${err.message}`,
      );
      assert.match(err.message, message);
    }
    const runtime = await rejection(
      l.send(new CreateFunctionCommand(spec(consumer, { Runtime: 'nodejs16.x' }))),
    );
    assert.equal(runtime.name, 'InvalidParameterValueException');
  });

  it('is Pending, then Active after lambdaActiveMs; Invoke before that is ResourceConflictException', async () => {
    const l = lambda(CONSUMER);
    const input = spec(consumer);
    const created = await l.send(new CreateFunctionCommand(input));
    assert.equal(created.State, 'Pending');
    assert.equal(created.StateReasonCode, 'Creating');
    const early = await rejection(l.send(new InvokeCommand({ FunctionName: input.FunctionName })));
    assert.equal(early.name, 'ResourceConflictException');
    assert.equal(early.$metadata?.httpStatusCode, 409);
    assert.match(early.message, /Pending/);

    const started = Date.now();
    await waitFor('Active', async () => {
      const c = await l.send(new GetFunctionConfigurationCommand({ FunctionName: input.FunctionName }));
      return c.State === 'Active' ? true : undefined;
    });
    assert.ok(Date.now() - started >= 100, 'Active came before lambdaActiveMs');
    const got = await l.send(new GetFunctionCommand({ FunctionName: input.FunctionName }));
    const config = got.Configuration!;
    assert.equal(config.LastUpdateStatus, 'Successful');
    assert.equal(config.VpcConfig?.VpcId, consumer.vpcId);
    assert.deepEqual(config.VpcConfig?.SubnetIds, consumer.subnets);
    assert.deepEqual(config.VpcConfig?.SecurityGroupIds, [consumer.groupId]);
    assert.equal(config.StateReasonCode, undefined);
  });

  it('updates code InProgress, then Successful; a second update meanwhile is ResourceConflictException', async () => {
    const name = await activeFunction(CONSUMER, spec(consumer));
    const l = lambda(CONSUMER);
    const v2 = zipSync({ 'index.mjs': strToU8('export const handler = async () => "v2";') });
    const updated = await l.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: v2 }));
    assert.equal(updated.LastUpdateStatus, 'InProgress');
    const again = await rejection(l.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: v2 })));
    assert.equal(again.name, 'ResourceConflictException');
    assert.match(again.message, /An update is in progress/);
    await waitFor('Successful', async () => {
      const c = await l.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      return c.LastUpdateStatus === 'Successful' ? true : undefined;
    });
    assert.equal(payloadOf(await l.send(new InvokeCommand({ FunctionName: name }))), 'v2');
  });

  it("puts one in-use lambda network interface per subnet in the caller's VPC while the function exists", async () => {
    const name = await activeFunction(CONSUMER, spec(consumer));
    const enis = await lambdaEnis(CONSUMER, consumer.vpcId, name);
    assert.equal(enis.length, 2);
    assert.deepEqual(enis.map((n) => n.SubnetId).sort(), [...consumer.subnets].sort());
    for (const eni of enis) {
      assert.equal(eni.InterfaceType, 'lambda');
      assert.equal(eni.Status, 'in-use');
      assert.equal(eni.RequesterManaged, true);
      assert.equal(eni.OwnerId, CONSUMER);
      assert.deepEqual(
        eni.Groups?.map((g) => g.GroupId),
        [consumer.groupId],
      );
      assert.match(eni.Attachment?.AttachmentId ?? '', /^ela-attach-/);
      assert.equal(eni.Attachment?.InstanceOwnerId, 'amazon-aws');
    }
  });

  it("runs the handler with the payload; names resolve through the VPC's DNS server and it reaches the broker", async () => {
    const name = await activeFunction(
      CONSUMER,
      spec(consumer, { Environment: { Variables: { PROBE_MODE: 'in-vpc' } } }),
    );
    const queriesBefore = dns.queries;
    const out = await lambda(CONSUMER).send(
      new InvokeCommand({
        FunctionName: name,
        InvocationType: 'RequestResponse',
        Payload: JSON.stringify({ lookup: BROKER_NAME, connect: { host: BROKER_NAME, port: BROKER_PORT } }),
      }),
    );
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    const result = payloadOf(out) as Record<string, unknown>;
    assert.deepEqual(result.echo, { lookup: BROKER_NAME, connect: { host: BROKER_NAME, port: BROKER_PORT } });
    assert.equal(result.functionName, name);
    assert.equal(result.env, 'in-vpc');
    assert.deepEqual(result.twinVars, [], "the runner's own variables leaked into the function");
    assert.deepEqual(result.servers, [`${dns.host}:${dns.port}`]);
    assert.deepEqual(result.lookup, { address: BROKER_IP, family: 4 });
    assert.deepEqual(result.banner, { text: 'KAFKA-BANNER twin-broker', remote: BROKER_IP });
    assert.ok(dns.queries >= queriesBefore + 2, 'the VPC DNS server was not asked');
    const resolvers = await twin.control.lambdaResolvers();
    assert.ok(resolvers.some((r) => r.vpcId === consumer.vpcId && r.dns === `${dns.host}:${dns.port}`));

    const dry = await lambda(CONSUMER).send(
      new InvokeCommand({ FunctionName: name, InvocationType: 'DryRun' }),
    );
    assert.equal(dry.StatusCode, 204);
  });

  it('keeps DeleteSecurityGroup refused (DependencyViolation) until the ENIs are released after DeleteFunction', async () => {
    const vpc = await makeVpc(CONSUMER, '10.22', 'probe-role-3');
    const name = await activeFunction(CONSUMER, spec(vpc));
    const l = lambda(CONSUMER);
    const e = ec2(CONSUMER);
    const inUse = await rejection(e.send(new DeleteSecurityGroupCommand({ GroupId: vpc.groupId })));
    assert.equal(inUse.name, 'DependencyViolation');

    await l.send(new DeleteFunctionCommand({ FunctionName: name }));
    const deletedAt = Date.now();
    const gone = await rejection(l.send(new GetFunctionCommand({ FunctionName: name })));
    assert.equal(gone.name, 'ResourceNotFoundException');
    const early = await rejection(e.send(new DeleteSecurityGroupCommand({ GroupId: vpc.groupId })));
    assert.equal(early.name, 'DependencyViolation');
    const subnet = await rejection(e.send(new DeleteSubnetCommand({ SubnetId: vpc.subnets[0] })));
    assert.equal(subnet.name, 'DependencyViolation');
    assert.equal((await lambdaEnis(CONSUMER, vpc.vpcId, name)).length, 2);

    await waitFor('ENIs released', async () =>
      (await lambdaEnis(CONSUMER, vpc.vpcId, name)).length === 0 ? true : undefined,
    );
    assert.ok(
      Date.now() - deletedAt >= DELAYS.lambdaEniReleaseMs - 100,
      'ENIs went before lambdaEniReleaseMs',
    );
    await e.send(new DeleteSecurityGroupCommand({ GroupId: vpc.groupId }));
    await e.send(new DeleteSubnetCommand({ SubnetId: vpc.subnets[0] }));
  });

  it("answers injected throttling with Lambda's own TooManyRequestsException (429)", async () => {
    const name = await activeFunction(CONSUMER, spec(consumer));
    await twin.control.injectFault({ service: 'lambda', action: 'Invoke', kind: 'throttle', count: 1 });
    const err = await rejection(lambda(CONSUMER).send(new InvokeCommand({ FunctionName: name })));
    assert.equal(err.name, 'TooManyRequestsException');
    assert.equal(err.$metadata?.httpStatusCode, 429);
    const calls = await twin.control.callCount({ account: CONSUMER, service: 'lambda', action: 'Invoke' });
    assert.ok(calls >= 1);
  });

  it('answers a thrown error with FunctionError Unhandled and the error object', async () => {
    const name = await activeFunction(CONSUMER, spec(consumer));
    const out = await lambda(CONSUMER).send(
      new InvokeCommand({
        FunctionName: name,
        Payload: JSON.stringify({ action: 'throw', message: 'broker unreachable' }),
      }),
    );
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    const error = payloadOf(out) as { errorType: string; errorMessage: string; trace: string[] };
    assert.equal(error.errorType, 'Error');
    assert.equal(error.errorMessage, 'broker unreachable');
    assert.match(error.trace[0]!, /Error: broker unreachable/);
  });

  it("stops a run at the function's Timeout with Lambda's Task timed out error", async () => {
    const name = await activeFunction(CONSUMER, spec(consumer, { Timeout: 1 }));
    const started = Date.now();
    const out = await lambda(CONSUMER).send(
      new InvokeCommand({
        FunctionName: name,
        Payload: JSON.stringify({ action: 'sleep', ms: 5000 }),
        LogType: 'Tail',
      }),
    );
    const took = Date.now() - started;
    assert.ok(took >= 1000 && took < 4000, `took ${took} ms`);
    assert.equal(out.FunctionError, 'Unhandled');
    const error = payloadOf(out) as { errorType: string; errorMessage: string };
    assert.equal(error.errorType, 'Sandbox.Timedout');
    assert.match(error.errorMessage, /Task timed out after 1\.00 seconds/);
    assert.match(Buffer.from(out.LogResult!, 'base64').toString(), /Task timed out after 1\.00 seconds/);
  });

  it('returns the last 4 KB of the log with LogType Tail (and none without it)', async () => {
    const name = await activeFunction(CONSUMER, spec(consumer));
    const l = lambda(CONSUMER);
    const out = await l.send(
      new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ action: 'spam' }), LogType: 'Tail' }),
    );
    assert.equal(payloadOf(out), 'spammed');
    const log = Buffer.from(out.LogResult ?? '', 'base64');
    assert.ok(log.length > 3000 && log.length <= 4096, `log tail is ${log.length} bytes`);
    const text = log.toString();
    assert.match(text, /\tINFO\tlast line\n/);
    assert.match(text, /END RequestId: [0-9a-f-]+\nREPORT RequestId: [0-9a-f-]+\tDuration: /);
    assert.doesNotMatch(text, /line 0 x/, 'more than the last 4 KB came back');

    const quiet = await l.send(
      new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ action: 'spam' }) }),
    );
    assert.equal(quiet.LogResult, undefined);
  });

  it('uses the system resolver in an account with no registered DNS server', async () => {
    const vpc = await makeVpc(OTHER, '10.30');
    const name = await activeFunction(OTHER, spec(vpc));
    const queriesBefore = dns.queries;
    const out = await lambda(OTHER).send(
      new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ lookup: 'localhost' }) }),
    );
    assert.equal(out.FunctionError, undefined);
    const result = payloadOf(out) as {
      lookup?: { address: string };
      lookupError?: string;
      servers: string[];
    };
    assert.equal(result.lookupError, undefined);
    assert.ok(!result.servers.includes(`${dns.host}:${dns.port}`), `servers ${result.servers.join(', ')}`);
    assert.match(result.lookup?.address ?? '', /^(127\.0\.0\.1|::1)$/);
    assert.equal(dns.queries, queriesBefore, "the other account's function asked the consumer's DNS server");
  });
});
