// The AWS twin's crash injection (twin_crash.py): a child process making mutating calls is killed
// by the twin right after its k-th successful one, before the answer arrives; reads, STS and
// refused calls are not counted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { clientConfigFor, envFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const ACCOUNT = '111111111111';

// A child that assumes nothing: reads (not counted), an STS call (not counted), a refused call (not
// counted), then CreateVpc five times, printing each VPC id as its answer arrives.
const CHILD = `
import { EC2Client, CreateVpcCommand, DescribeVpcsCommand, CreateSubnetCommand } from '@aws-sdk/client-ec2';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
const ec2 = new EC2Client({});
await ec2.send(new DescribeVpcsCommand({}));
await new STSClient({}).send(new GetCallerIdentityCommand({}));
await ec2.send(new CreateSubnetCommand({ VpcId: 'vpc-00000000', CidrBlock: '10.9.0.0/24' })).catch(() => {});
for (let i = 0; i < 5; i++) {
  const out = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.' + (50 + i) + '.0.0/16' }));
  console.log(out.Vpc.VpcId);
}
`;

describe('AWS twin: crash injection after the k-th mutating call', function () {
  this.timeout(60_000);
  let twin: AwsTwin;
  let ec2: EC2Client;

  before(async () => {
    twin = await startAwsTwin();
    ec2 = new EC2Client(clientConfigFor(twin, ACCOUNT));
  });
  after(async () => {
    ec2?.destroy();
    await twin?.stop();
  });

  async function vpcCount(): Promise<number> {
    return (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0;
  }

  function runChild(): Promise<{ out: string; signal: NodeJS.Signals | null; pid: number }> {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, ...envFor(twin, ACCOUNT), AWS_MAX_ATTEMPTS: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<{ out: string; signal: NodeJS.Signals | null; pid: number }>((resolve) =>
      child.on('close', (_c, signal) => resolve({ out, signal, pid: child.pid as number })),
    );
    void twin.control.crashPid(child.pid as number);
    return done;
  }

  it('kills after the 3rd CreateVpc: 3 VPCs made, 2 answers seen, reads/STS/refused calls not counted', async () => {
    const before = await vpcCount();
    await twin.control.armCrash(3);
    const r = await runChild();
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.out.trim().split('\n').filter(Boolean).length, 2, 'the third answer never arrived');
    assert.equal((await vpcCount()) - before, 3, 'the third VPC exists all the same');
    const state = await twin.control.crashState();
    assert.equal(state.fired, 'ec2:CreateVpc');
    assert.deepEqual(state.calls, ['ec2:CreateVpc', 'ec2:CreateVpc', 'ec2:CreateVpc']);
    await twin.control.disarmCrash();
    assert.equal((await twin.control.crashState()).after, null);
  });

  it('disarmed, nothing is killed', async () => {
    const before = await vpcCount();
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, ...envFor(twin, ACCOUNT), AWS_MAX_ATTEMPTS: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const signal = await new Promise((resolve) => child.on('close', (_c, s) => resolve(s)));
    assert.equal(signal, null);
    assert.equal((await vpcCount()) - before, 5);
  });

  it('refuses a k below 1 and a pid before arming', async () => {
    await twin.control.disarmCrash();
    await assert.rejects(twin.control.armCrash(0), /afterMutating must be 1 or more/);
    await assert.rejects(twin.control.crashPid(12345), /arm with afterMutating first/);
  });
});
