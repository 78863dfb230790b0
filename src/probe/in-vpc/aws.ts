// The AWS calls of `probe --in-vpc`: the probe's temporary execution role, security group and one
// function per AZ in a consumer VPC, their invocation, and their removal; over SASL/SCRAM with
// --sasl-password-env, the temporary secret holding the credentials. None of it is a stack
// resource: it lives only while the probe runs (or until the next run with --keep; never the secret).
import {
  AuthorizeSecurityGroupEgressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  RevokeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  UpdateFunctionCodeCommand,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import type { AccountClients } from '../../aws/clients.js';
import { awsFailure, classify, errorName } from '../../aws/errors.js';
import { MplError } from '../../errors.js';
import { TAG_STACK, type WaitOptions } from '../../kinds/kind.js';
import { poll } from '../../kinds/shared/poll.js';
import { bundleSha256 } from './bundle.js';
import { LAMBDA_VPC_ACTIONS } from './permissions.js';

/** Marks the probe's own resources (besides the stack tag): which consumer they probe from. */
export const TAG_PROBE = 'msk-privatelink:probe';

/** Lambda's runtime for the bundle (AWS Lambda runtimes: nodejs20.x). */
export const RUNTIME = 'nodejs20.x';

// The role's only policy: Lambda's network interfaces (no CloudWatch Logs: the probe's report comes
// back in the invocation's answer).
const ENI_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: LAMBDA_VPC_ACTIONS, Resource: '*' }],
});
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const POLICY_NAME = 'vpc-network-interfaces';
/** The role's second inline policy, over SASL/SCRAM only: GetSecretValue on the one secret's ARN. */
export const SECRET_POLICY_NAME = 'scram-secret';

/**
 * GetSecretValue on exactly one secret ARN: all the function needs to read the SCRAM credentials
 * (Secrets Manager user guide, "Authentication and access control": GetSecretValue; a customer
 * managed KMS key's kms:Decrypt is the key policy's to allow).
 */
export function secretPolicy(secretArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArn }],
  });
}

export interface ProbeSite {
  stack: string;
  consumer: string;
  vpcId: string;
  /** The probe's names: role, security group and function prefix. */
  name: string;
}

const tagsOf = (site: ProbeSite) => ({
  [TAG_STACK]: site.stack,
  [TAG_PROBE]: site.consumer,
  Name: site.name,
});

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw awsFailure('PROBE_IN_VPC_FAILED', what, e);
  }
}

/**
 * The execution role (made once; IAM is global, so it is eventually consistent: see makeFunction),
 * with the network-interface policy and, over SASL/SCRAM, GetSecretValue on `secretArn` only (a
 * grant a kept role had from an earlier run is replaced, or removed when there is no secret).
 */
export async function ensureRole(c: AccountClients, site: ProbeSite, secretArn?: string): Promise<string> {
  let arn: string | undefined;
  try {
    arn = (await c.iam.send(new GetRoleCommand({ RoleName: site.name }))).Role?.Arn;
  } catch (e) {
    if (classify(e) !== 'not-found')
      throw awsFailure('PROBE_IN_VPC_FAILED', `the probe role ${site.name}`, e);
  }
  if (!arn) {
    const made = await call(`creating the probe role ${site.name}`, () =>
      c.iam.send(
        new CreateRoleCommand({
          RoleName: site.name,
          AssumeRolePolicyDocument: TRUST,
          Description: `msk-privatelink ${site.stack}: the in-VPC probe of ${site.consumer}`,
          Tags: Object.entries(tagsOf(site)).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
    arn = made.Role?.Arn;
    if (!arn)
      throw new MplError('PROBE_IN_VPC_FAILED', `creating the probe role ${site.name}: no ARN returned`);
  }
  await call(`the probe role ${site.name}`, () =>
    c.iam.send(
      new PutRolePolicyCommand({ RoleName: site.name, PolicyName: POLICY_NAME, PolicyDocument: ENI_POLICY }),
    ),
  );
  if (secretArn !== undefined)
    await call(`the probe role ${site.name}: reading ${secretArn}`, () =>
      c.iam.send(
        new PutRolePolicyCommand({
          RoleName: site.name,
          PolicyName: SECRET_POLICY_NAME,
          PolicyDocument: secretPolicy(secretArn),
        }),
      ),
    );
  else await dropSecretPolicy(c, site);
  return arn;
}

/** Removes the role's GetSecretValue grant, if any. */
export async function dropSecretPolicy(c: AccountClients, site: ProbeSite): Promise<void> {
  try {
    await c.iam.send(new DeleteRolePolicyCommand({ RoleName: site.name, PolicyName: SECRET_POLICY_NAME }));
  } catch (e) {
    if (classify(e) !== 'not-found')
      throw awsFailure('PROBE_IN_VPC_FAILED', `the probe role ${site.name}: removing its secret grant`, e);
  }
}

/** The temporary secret's name: the probe's, plus -scram. */
export const scramSecretName = (site: ProbeSite): string => `${site.name}-scram`;

/**
 * The temporary secret holding --sasl-username and the password (SecretString JSON as MSK's SCRAM
 * secrets hold it), made for this run in the consumer account and tagged like the probe's other
 * resources; answers its ARN. A secret of that name left by a run that died is ours when it carries
 * the probe's tags: it gets the new value (PutSecretValue), restored first if it was scheduled for
 * deletion. One without them is not touched. CreateSecret right after a forced delete of the same
 * name is refused for a short while (DeleteSecret API reference, ForceDeleteWithoutRecovery: "use
 * appropriate back off and retry logic"): retried until `wait` runs out.
 */
export async function ensureScramSecret(
  c: AccountClients,
  site: ProbeSite,
  creds: { username: string; password: string },
  wait: WaitOptions,
): Promise<string> {
  const name = scramSecretName(site);
  const value = JSON.stringify({ username: creds.username, password: creds.password });
  const tags = Object.entries(tagsOf(site)).map(([Key, Value]) => ({ Key, Value }));
  const existing = await describeSecret(c, name);
  if (existing !== undefined) {
    const own = new Map((existing.Tags ?? []).map((t) => [t.Key, t.Value]));
    if (own.get(TAG_STACK) !== site.stack || own.get(TAG_PROBE) !== site.consumer)
      throw new MplError(
        'PROBE_IN_VPC_FAILED',
        `a secret named ${name} exists in ${c.account} without the probe's tags (${TAG_STACK}=${site.stack}, ${TAG_PROBE}=${site.consumer}): not the probe's, left as it is`,
        { detail: 'delete or rename it, or give the credentials with --sasl-secret-arn' },
      );
    const arn = existing.ARN;
    if (!arn) throw new MplError('PROBE_IN_VPC_FAILED', `the secret ${name}: no ARN`);
    if (existing.DeletedDate !== undefined)
      await call(`restoring the probe's secret ${name}`, () =>
        c.secrets.send(new RestoreSecretCommand({ SecretId: arn })),
      );
    await withValue(`the probe's secret ${name}: PutSecretValue`, () =>
      c.secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value })),
    );
    await call(`tagging the probe's secret ${name}`, () =>
      c.secrets.send(new TagResourceCommand({ SecretId: arn, Tags: tags })),
    );
    return arn;
  }
  return poll(`the probe's secret ${name} to be created`, wait, async () => {
    try {
      const made = await c.secrets.send(
        new CreateSecretCommand({
          Name: name,
          Description: `msk-privatelink ${site.stack}: SASL/SCRAM credentials for the in-VPC probe of ${site.consumer}, deleted after the run`,
          SecretString: value,
          Tags: tags,
        }),
      );
      if (!made.ARN)
        throw new MplError('PROBE_IN_VPC_FAILED', `creating the secret ${name}: no ARN returned`);
      return { done: true, value: made.ARN };
    } catch (e) {
      if (errorName(e) === 'InvalidRequestException' && /scheduled for deletion/i.test(messageOf(e)))
        return { done: false, state: 'a secret of this name is still being deleted' };
      throw valueFailure(`creating the probe's secret ${name}`, e);
    }
  });
}

/**
 * A failed call that carried the password: the error's name and HTTP status only, without its
 * message or the error itself as the cause, so nothing of the request can reach a log or report.
 */
function valueFailure(what: string, e: unknown): MplError {
  if (e instanceof MplError) return e;
  const cls = classify(e);
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return new MplError(
    cls === 'credentials' ? 'AWS_CREDENTIALS' : 'PROBE_IN_VPC_FAILED',
    `${what}: ${errorName(e) || 'error'}${status === undefined ? '' : ` (HTTP ${status})`}`,
    { retriable: cls === 'throttled' || cls === 'transient' },
  );
}

async function withValue<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw valueFailure(what, e);
  }
}

async function describeSecret(
  c: AccountClients,
  name: string,
): Promise<{ ARN?: string; DeletedDate?: Date; Tags?: Array<{ Key?: string; Value?: string }> } | undefined> {
  try {
    return await c.secrets.send(new DescribeSecretCommand({ SecretId: name }));
  } catch (e) {
    if (classify(e) === 'not-found') return undefined;
    throw awsFailure('PROBE_IN_VPC_FAILED', `the probe's secret ${name}`, e);
  }
}

/**
 * Deletes the temporary secret at once, without a recovery window (it holds a password and is
 * made anew by each run). Forcing the delete of a secret already gone is no error (DeleteSecret API
 * reference). By name: also what a run that died before its cleanup left.
 */
export async function deleteScramSecret(c: AccountClients, site: ProbeSite): Promise<void> {
  const name = scramSecretName(site);
  const existing = await describeSecret(c, name);
  if (existing === undefined) return;
  const own = new Map((existing.Tags ?? []).map((t) => [t.Key, t.Value]));
  if (own.get(TAG_STACK) !== site.stack || own.get(TAG_PROBE) !== site.consumer) return;
  await call(`deleting the probe's secret ${name}`, () =>
    c.secrets.send(
      new DeleteSecretCommand({ SecretId: existing.ARN ?? name, ForceDeleteWithoutRecovery: true }),
    ),
  );
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The VPC's IPv4 CIDR blocks: where the endpoints are. */
async function vpcCidrs(c: AccountClients, vpcId: string): Promise<string[]> {
  const out = await call(`reading VPC ${vpcId}`, () =>
    c.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
  );
  const vpc = out.Vpcs?.[0];
  const cidrs = [
    ...new Set([
      ...(vpc?.CidrBlock ? [vpc.CidrBlock] : []),
      ...(vpc?.CidrBlockAssociationSet ?? []).flatMap((a) => (a.CidrBlock ? [a.CidrBlock] : [])),
    ]),
  ];
  if (cidrs.length === 0) throw new MplError('PROBE_IN_VPC_FAILED', `VPC ${vpcId} has no IPv4 CIDR block`);
  return cidrs;
}

/**
 * The probe's security group: no ingress, and egress only to the endpoints' ports in the VPC (AWS
 * adds an allow-all egress rule to a new group: it is revoked). DNS to the VPC's resolver needs no
 * rule: security groups do not filter traffic to the Amazon DNS server (Amazon VPC user guide,
 * "Security group rules").
 */
export async function ensureSecurityGroup(
  c: AccountClients,
  site: ProbeSite,
  ports: number[],
): Promise<string> {
  const found = await call(`the probe security group ${site.name}`, () =>
    c.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [site.vpcId] },
          { Name: 'group-name', Values: [site.name] },
        ],
      }),
    ),
  );
  const existing = found.SecurityGroups?.[0]?.GroupId;
  const groupId =
    existing ??
    (
      await call(`creating the probe security group ${site.name}`, () =>
        c.ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: site.name,
            Description: `msk-privatelink ${site.stack}: in-VPC probe of ${site.consumer}, egress to the endpoints only`,
            VpcId: site.vpcId,
            TagSpecifications: [
              {
                ResourceType: 'security-group',
                Tags: Object.entries(tagsOf(site)).map(([Key, Value]) => ({ Key, Value })),
              },
            ],
          }),
        ),
      )
    ).GroupId;
  if (!groupId)
    throw new MplError('PROBE_IN_VPC_FAILED', `creating the probe security group ${site.name}: no id`);
  const cidrs = await vpcCidrs(c, site.vpcId);
  const sg = (
    await call(`the probe security group ${site.name}`, () =>
      c.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })),
    )
  ).SecurityGroups?.[0];
  const have = sg?.IpPermissionsEgress ?? [];
  if (have.length > 0)
    await call(`narrowing the probe security group ${site.name}`, () =>
      c.ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: have })),
    );
  await call(`the probe security group ${site.name}: egress`, () =>
    c.ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: groupId,
        IpPermissions: [...new Set(ports)]
          .sort((a, b) => a - b)
          .map((p) => ({
            IpProtocol: 'tcp',
            FromPort: p,
            ToPort: p,
            IpRanges: cidrs.map((CidrIp) => ({ CidrIp, Description: 'Kafka through the endpoints' })),
          })),
      }),
    ),
  );
  return groupId;
}

async function config(c: AccountClients, name: string): Promise<FunctionConfiguration | undefined> {
  try {
    return await c.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  } catch (e) {
    if (classify(e) === 'not-found') return undefined;
    throw awsFailure('PROBE_IN_VPC_FAILED', `the probe function ${name}`, e);
  }
}

/**
 * One function in one subnet (so its network interface, and the endpoint interface it reaches, are
 * in that subnet's AZ), made or brought to the bundle's code, and waited for until it is Active.
 */
export async function ensureFunction(
  c: AccountClients,
  site: ProbeSite,
  fn: { name: string; roleArn: string; subnetId: string; groupId: string; zip: Uint8Array; timeoutS: number },
  wait: WaitOptions,
): Promise<void> {
  const now = await config(c, fn.name);
  if (now === undefined) {
    // A new role takes a few seconds before Lambda can assume it (IAM is eventually consistent):
    // "The role defined for the function cannot be assumed by Lambda" until then.
    await poll(`the probe function ${fn.name} to be created`, wait, async () => {
      try {
        await c.lambda.send(
          new CreateFunctionCommand({
            FunctionName: fn.name,
            Runtime: RUNTIME,
            Handler: 'index.handler',
            Role: fn.roleArn,
            Code: { ZipFile: fn.zip },
            Timeout: fn.timeoutS,
            MemorySize: 256,
            Description: `msk-privatelink ${site.stack}: in-VPC probe of ${site.consumer}`,
            VpcConfig: { SubnetIds: [fn.subnetId], SecurityGroupIds: [fn.groupId] },
            Tags: tagsOf(site),
          }),
        );
        return { done: true, value: undefined };
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        if (errorName(e) === 'InvalidParameterValueException' && /cannot be assumed/i.test(msg))
          return { done: false, state: 'waiting for the new role to be usable' };
        throw awsFailure('PROBE_IN_VPC_FAILED', `creating the probe function ${fn.name}`, e);
      }
    });
  } else if (now.CodeSha256 !== bundleSha256(fn.zip)) {
    await call(`updating the probe function ${fn.name}`, () =>
      c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fn.name, ZipFile: fn.zip })),
    );
  }
  await poll(`the probe function ${fn.name} to be active`, wait, async () => {
    const cfg = await config(c, fn.name);
    if (cfg?.State === 'Failed') return { failed: cfg.StateReason ?? 'State Failed' };
    if (cfg?.State === 'Active' && cfg.LastUpdateStatus !== 'InProgress')
      return { done: true, value: undefined };
    return { done: false, state: `${cfg?.State ?? 'absent'}/${cfg?.LastUpdateStatus ?? '?'}` };
  });
}

/** Runs the function once, synchronously; answers its result, or the function's own error. */
export async function invoke(
  c: AccountClients,
  name: string,
  payload: unknown,
): Promise<{ result?: unknown; error?: string }> {
  const out = await call(`invoking the probe function ${name}`, () =>
    c.lambda.send(
      new InvokeCommand({
        FunctionName: name,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    ),
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  if (out.FunctionError) {
    let message = text;
    try {
      const e = JSON.parse(text) as { errorType?: string; errorMessage?: string };
      message = `${e.errorType ?? 'Error'}: ${e.errorMessage ?? text}`;
    } catch {
      // Not JSON: keep the raw answer.
    }
    return { error: message };
  }
  try {
    return { result: JSON.parse(text) as unknown };
  } catch {
    return { error: `the probe function answered no JSON: ${text.slice(0, 200)}` };
  }
}

/**
 * Deletes the functions, then the security group once Lambda has released the functions' network
 * interfaces (DependencyViolation until then: AWS Lambda developer guide, "Giving Lambda functions
 * access to resources in an Amazon VPC", deleting a function's ENIs can take a while), then the role.
 */
export async function removeProbe(
  c: AccountClients,
  site: ProbeSite,
  functions: string[],
  wait: WaitOptions,
): Promise<void> {
  for (const name of functions) {
    try {
      await c.lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    } catch (e) {
      if (classify(e) !== 'not-found') throw awsFailure('PROBE_IN_VPC_FAILED', `deleting ${name}`, e);
    }
  }
  const found = await call(`the probe security group ${site.name}`, () =>
    c.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [site.vpcId] },
          { Name: 'group-name', Values: [site.name] },
        ],
      }),
    ),
  );
  const groupId = found.SecurityGroups?.[0]?.GroupId;
  if (groupId !== undefined) {
    await poll(`the probe's network interfaces to be released from ${groupId}`, wait, async () => {
      try {
        await c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
        return { done: true, value: undefined };
      } catch (e) {
        const cls = classify(e);
        if (cls === 'not-found') return { done: true, value: undefined };
        if (cls === 'in-use') return { done: false, state: `in use (${errorName(e)})` };
        throw awsFailure('PROBE_IN_VPC_FAILED', `deleting the probe security group ${groupId}`, e);
      }
    });
  }
  for (const step of [
    () => c.iam.send(new DeleteRolePolicyCommand({ RoleName: site.name, PolicyName: POLICY_NAME })),
    () => c.iam.send(new DeleteRolePolicyCommand({ RoleName: site.name, PolicyName: SECRET_POLICY_NAME })),
    () => c.iam.send(new DeleteRoleCommand({ RoleName: site.name })),
  ]) {
    try {
      await step();
    } catch (e) {
      if (classify(e) !== 'not-found')
        throw awsFailure('PROBE_IN_VPC_FAILED', `deleting the probe role ${site.name}`, e);
    }
  }
}
