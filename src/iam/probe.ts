// What `probe --in-vpc` needs in each consumer account: its temporary role, security group and
// functions (one per AZ), their invocation and removal, and over SASL/SCRAM the temporary secret.
// The run also opens the stack as `plan` does (the provider role's reads and state statements).
import type { Config } from '../config/schema.js';
import { LAMBDA_VPC_ACTIONS } from '../probe/in-vpc/permissions.js';
import { mergeStatements, partitionOf, policySize, type PolicyDocument } from './policy.js';
import { arn, ec2CreatesTagged, ec2StackTagged, ec2TagOnCreate, type PolicyScope } from './scope.js';

export interface ProbePolicy {
  consumer: string;
  account: string;
  /** The operator's: what the tool calls in the consumer account for the probe. */
  policy: PolicyDocument;
  size: number;
  /** The function's execution role, which the tool makes itself (shown for review). */
  functionRole: PolicyDocument;
}

export function probePolicies(config: Config): ProbePolicy[] {
  return config.consumers.map((c) => {
    const region = c.region ?? config.region;
    const s: PolicyScope = {
      partition: partitionOf(region),
      region,
      account: c.account,
      stack: config.name,
      elbNames: [],
    };
    // Names from ops/probe-in-vpc.ts: mpl-<stack>-<consumer>-probe, functions -<azId>, secret -scram.
    const base = `mpl-${config.name}-${c.name}-probe`;
    const statements = mergeStatements([
      {
        sid: 'Read',
        actions: [
          'ec2:DescribeVpcs',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeVpcEndpoints',
          'route53:ListResourceRecordSets',
          'iam:GetRole',
          'lambda:GetFunctionConfiguration',
          'secretsmanager:DescribeSecret',
        ],
        resources: ['*'],
      },
      {
        sid: 'ProbeRole',
        actions: [
          'iam:CreateRole',
          'iam:TagRole',
          'iam:PutRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:DeleteRole',
        ],
        resources: [arn(s, 'iam', `role/${base}`, { global: true })],
      },
      {
        sid: 'ProbeRolePass',
        actions: ['iam:PassRole'],
        resources: [arn(s, 'iam', `role/${base}`, { global: true })],
        condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
      },
      {
        sid: 'ProbeFunctions',
        actions: [
          'lambda:CreateFunction',
          'lambda:UpdateFunctionCode',
          'lambda:InvokeFunction',
          'lambda:DeleteFunction',
          'lambda:TagResource',
        ],
        resources: [arn(s, 'lambda', `function:${base}-*`)],
      },
      ec2CreatesTagged(s, ['ec2:CreateSecurityGroup']),
      ec2TagOnCreate(s, ['ec2:CreateSecurityGroup']),
      ec2StackTagged(s, [
        'ec2:AuthorizeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupEgress',
        'ec2:DeleteSecurityGroup',
      ]),
      {
        sid: 'ProbeSecret',
        actions: [
          'secretsmanager:CreateSecret',
          'secretsmanager:PutSecretValue',
          'secretsmanager:RestoreSecret',
          'secretsmanager:TagResource',
          'secretsmanager:DeleteSecret',
        ],
        // Secrets Manager appends six random characters to a secret's ARN.
        resources: [arn(s, 'secretsmanager', `secret:${base}-scram-??????`)],
      },
    ]);
    const policy: PolicyDocument = { Version: '2012-10-17', Statement: statements };
    const functionRole: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'NetworkInterfaces', Effect: 'Allow', Action: [...LAMBDA_VPC_ACTIONS], Resource: '*' },
        {
          Sid: 'ScramSecret',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: arn(s, 'secretsmanager', `secret:${base}-scram-??????`),
        },
      ],
    };
    return { consumer: c.name, account: c.account, policy, size: policySize(policy), functionRole };
  });
}
