// The AWS twin's Secrets Manager as the in-VPC probe uses it, and the Lambda invocation log its e2e
// test reads: a function in a VPC reads a secret with its account's credentials (the runtime's
// @aws-sdk/client-secrets-manager, AWS_ENDPOINT_URL at the twin); GET /_twin/lambda/invocations
// answers each payload as sent and the role's inline policies then; a force-deleted secret's name
// is taken for secretDeleteMs (InvalidRequestException), as the DeleteSecret API reference warns.
import assert from 'node:assert/strict';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateSecurityGroupCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { strToU8, zipSync } from 'fflate';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';

const ACCOUNT = '222222222222';
const OTHER = '333333333333';
const DELETE_MS = 600;

// Reads the secret the event names, as the probe's handler does, and answers what it found.
const HANDLER = `
export const handler = async (event) => {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({});
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: event.secretArn }));
    return { arn: out.ARN, value: JSON.parse(out.SecretString) };
  } catch (e) {
    return { error: e.name };
  } finally {
    sm.destroy();
  }
};
`;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected the call to fail');
}

describe('AWS twin: Secrets Manager for the in-VPC probe, and the Lambda invocation log', function () {
  this.timeout(30_000);
  let twin: AwsTwin;
  const sm = (account = ACCOUNT) =>
    new SecretsManagerClient(clientConfigFor(twin, account, { maxAttempts: 1 }));

  before(async () => {
    twin = await startAwsTwin({ delaysMs: { lambdaActiveMs: 100, secretDeleteMs: DELETE_MS } });
  });

  after(async () => {
    await twin?.stop();
  });

  it('a function in a VPC reads a secret of its account; the log has each payload as sent and the role policies then', async () => {
    const ec2 = new EC2Client(clientConfigFor(twin, ACCOUNT, { maxAttempts: 1 }));
    const iam = new IAMClient(clientConfigFor(twin, ACCOUNT, { maxAttempts: 1 }));
    const lambda = new LambdaClient(clientConfigFor(twin, ACCOUNT, { maxAttempts: 1 }));
    const secrets = sm();
    try {
      const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }))).Vpc!.VpcId!;
      const subnet = (
        await ec2.send(
          new CreateSubnetCommand({
            VpcId: vpcId,
            CidrBlock: '10.70.1.0/24',
            AvailabilityZone: 'us-east-1a',
          }),
        )
      ).Subnet!.SubnetId!;
      const group = (
        await ec2.send(
          new CreateSecurityGroupCommand({ GroupName: 'reader', Description: 'r', VpcId: vpcId }),
        )
      ).GroupId!;
      const made = await secrets.send(
        new CreateSecretCommand({
          Name: 'mpl-t-c-probe-scram',
          SecretString: JSON.stringify({ username: 'alice', password: 'hunter2-hunter2' }),
        }),
      );
      const arn = made.ARN!;
      assert.match(
        arn,
        /^arn:aws:secretsmanager:us-east-1:222222222222:secret:mpl-t-c-probe-scram-[A-Za-z0-9]{6}$/,
      );
      const roleArn = (
        await iam.send(
          new CreateRoleCommand({
            RoleName: 'reader',
            AssumeRolePolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
              ],
            }),
          }),
        )
      ).Role!.Arn!;
      const grant = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: arn }],
      };
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: 'reader',
          PolicyName: 'scram-secret',
          PolicyDocument: JSON.stringify(grant),
        }),
      );
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'reader',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: roleArn,
          Code: { ZipFile: zipSync({ 'index.mjs': strToU8(HANDLER) }) },
          Timeout: 10,
          VpcConfig: { SubnetIds: [subnet], SecurityGroupIds: [group] },
        }),
      );
      for (;;) {
        const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'reader' }));
        if (c.State === 'Active') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await twin.control.clearLambdaInvocations();
      const payload = JSON.stringify({ secretArn: arn, note: 'ünïcode' });
      const out = await lambda.send(
        new InvokeCommand({ FunctionName: 'reader', Payload: new TextEncoder().encode(payload) }),
      );
      assert.equal(out.FunctionError, undefined);
      assert.deepEqual(JSON.parse(new TextDecoder().decode(out.Payload)), {
        arn,
        value: { username: 'alice', password: 'hunter2-hunter2' },
      });

      const log = await twin.control.lambdaInvocations({ account: ACCOUNT, name: 'reader' });
      assert.equal(log.length, 1);
      const [entry] = log;
      assert.equal(entry?.payload, payload, 'the payload exactly as sent');
      assert.equal(entry?.function, 'reader');
      assert.equal(entry?.invocationType, 'RequestResponse');
      assert.equal(entry?.role.arn, roleArn);
      assert.deepEqual(entry?.role.inlinePolicies, { 'scram-secret': grant });
      assert.deepEqual(await twin.control.lambdaInvocations({ name: 'other' }), []);
      assert.deepEqual(await twin.control.lambdaInvocations({ account: OTHER }), []);
      await twin.control.clearLambdaInvocations();
      assert.deepEqual(await twin.control.lambdaInvocations(), []);
    } finally {
      for (const c of [ec2, iam, lambda, secrets]) c.destroy();
    }
  });

  it('a force-deleted name is gone for readers at once but cannot be created again for secretDeleteMs', async () => {
    const secrets = sm();
    try {
      const name = 'mpl-t-c-probe-scram-2';
      const first = await secrets.send(new CreateSecretCommand({ Name: name, SecretString: '{"a":1}' }));
      await secrets.send(new DeleteSecretCommand({ SecretId: first.ARN, ForceDeleteWithoutRecovery: true }));
      const t0 = Date.now();
      const gone = await rejection(secrets.send(new DescribeSecretCommand({ SecretId: name })));
      assert.equal(gone.name, 'ResourceNotFoundException');
      const read = await rejection(secrets.send(new GetSecretValueCommand({ SecretId: first.ARN })));
      assert.equal(read.name, 'ResourceNotFoundException');
      const early = await rejection(
        secrets.send(new CreateSecretCommand({ Name: name, SecretString: '{"a":2}' })),
      );
      assert.equal(early.name, 'InvalidRequestException');
      assert.equal(
        early.message,
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
      // Force-deleting it again (or a name never made) answers as AWS does: no ResourceNotFoundException.
      await secrets.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
      await new Promise((r) => setTimeout(r, DELETE_MS - (Date.now() - t0) + 50));
      const again = await secrets.send(new CreateSecretCommand({ Name: name, SecretString: '{"a":3}' }));
      assert.notEqual(again.ARN, first.ARN, 'a new secret, a new ARN suffix');
      const v = await secrets.send(new GetSecretValueCommand({ SecretId: again.ARN }));
      assert.equal(v.SecretString, '{"a":3}');
    } finally {
      secrets.destroy();
    }
  });

  it('a name scheduled for deletion (recovery window) is InvalidRequestException until restored', async () => {
    const secrets = sm(OTHER);
    try {
      const name = 'scheduled';
      await secrets.send(new CreateSecretCommand({ Name: name, SecretString: '{"b":1}' }));
      await secrets.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
      const err = await rejection(
        secrets.send(new CreateSecretCommand({ Name: name, SecretString: '{"b":2}' })),
      );
      assert.equal(err.name, 'InvalidRequestException');
      assert.match(err.message, /already scheduled for deletion/);
      const d = await secrets.send(new DescribeSecretCommand({ SecretId: name }));
      assert.ok(d.DeletedDate instanceof Date, 'DescribeSecret shows the deletion date');
      await secrets.send(new RestoreSecretCommand({ SecretId: name }));
      const restored = await secrets.send(new DescribeSecretCommand({ SecretId: name }));
      assert.equal(restored.DeletedDate, undefined);
    } finally {
      secrets.destroy();
    }
  });
});
