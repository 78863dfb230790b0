// Scenario helpers for MSK multi-VPC private connectivity ("pattern 0"): the SDK calls a cluster
// owner and a client account make (MSK developer guide, "Get started using multi-VPC private
// connectivity": turn it on, attach a cluster policy, create a managed VPC connection), each
// waiting for the state AWS reaches in minutes and the AWS twin in milliseconds (or, for the
// rolling restart, as long as the testbed's MSK driver takes to restart the real brokers). For
// tests that need a pattern-0 path without the tool, and for checking what the tool made.
import {
  CreateVpcConnectionCommand,
  DeleteVpcConnectionCommand,
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  DescribeVpcConnectionCommand,
  GetBootstrapBrokersCommand,
  GetClusterPolicyCommand,
  PutClusterPolicyCommand,
  UpdateConnectivityCommand,
  type KafkaClient,
  type VpcConnectionState,
} from '@aws-sdk/client-kafka';
import { DescribeSecurityGroupsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { VpcConnectivityScheme } from './aws/twin.js';

/** What a VPC connectivity scheme is called where: CreateVpcConnection's Authentication, GetBootstrapBrokers' member. */
export const VPC_AUTHENTICATION: Record<VpcConnectivityScheme, 'SASL_IAM' | 'SASL_SCRAM' | 'TLS'> = {
  iam: 'SASL_IAM',
  scram: 'SASL_SCRAM',
  tls: 'TLS',
};

/** The actions MSK's "Basic policy for multi-VPC connectivity" grants ("Step 2: Attach a cluster policy"). */
export const MULTI_VPC_POLICY_ACTIONS = [
  'kafka:CreateVpcConnection',
  'kafka:GetBootstrapBrokers',
  'kafka:DescribeCluster',
  'kafka:DescribeClusterV2',
];

/** A cluster policy letting `accounts` set up multi-VPC connectivity to the cluster. */
export function multiVpcClusterPolicy(
  clusterArn: string,
  accounts: string[],
  actions: string[] = MULTI_VPC_POLICY_ACTIONS,
): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: accounts }, Action: actions, Resource: clusterArn }],
  });
}

/** PutClusterPolicy, passing the current policy's version when there is one; answers the new version. */
export async function putClusterPolicy(
  kafka: KafkaClient,
  clusterArn: string,
  policy: string,
): Promise<string> {
  let currentVersion: string | undefined;
  try {
    currentVersion = (await kafka.send(new GetClusterPolicyCommand({ ClusterArn: clusterArn })))
      .CurrentVersion;
  } catch (err) {
    if (!(err instanceof Error && err.name === 'NotFoundException')) throw err;
  }
  const out = await kafka.send(
    new PutClusterPolicyCommand({
      ClusterArn: clusterArn,
      Policy: policy,
      ...(currentVersion ? { CurrentVersion: currentVersion } : {}),
    }),
  );
  return out.CurrentVersion ?? '';
}

export interface OperationResult {
  operationArn: string;
  /** UPDATE_COMPLETE or UPDATE_FAILED. */
  state: string;
  ms: number;
  error?: string;
}

/**
 * UpdateConnectivity with the cluster's current version, turning the given schemes on (true) or off
 * (false) and leaving the others, then waits for the operation (the rolling restart) to end.
 */
export async function updateVpcConnectivity(
  kafka: KafkaClient,
  clusterArn: string,
  schemes: Partial<Record<VpcConnectivityScheme, boolean>>,
  opts: { timeoutMs?: number; pollMs?: number } = {},
): Promise<OperationResult> {
  const started = Date.now();
  const info = (await kafka.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }))).ClusterInfo;
  const flag = (s: VpcConnectivityScheme) => (schemes[s] === undefined ? undefined : { Enabled: schemes[s] });
  const out = await kafka.send(
    new UpdateConnectivityCommand({
      ClusterArn: clusterArn,
      CurrentVersion: info?.CurrentVersion,
      ConnectivityInfo: {
        VpcConnectivity: {
          ClientAuthentication: {
            Sasl: { Iam: flag('iam'), Scram: flag('scram') },
            Tls: flag('tls'),
          },
        },
      },
    }),
  );
  const operationArn = out.ClusterOperationArn ?? '';
  const timeoutMs = opts.timeoutMs ?? 180_000;
  for (;;) {
    const op = (
      await kafka.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: operationArn }))
    ).ClusterOperationInfo;
    const state = op?.OperationState ?? '';
    if (state === 'UPDATE_COMPLETE' || state === 'UPDATE_FAILED')
      return {
        operationArn,
        state,
        ms: Date.now() - started,
        ...(op?.ErrorInfo?.ErrorString ? { error: op.ErrorInfo.ErrorString } : {}),
      };
    if (Date.now() - started > timeoutMs)
      throw new Error(`UpdateConnectivity ${operationArn} still ${state} after ${timeoutMs} ms`);
    await sleep(opts.pollMs ?? 200);
  }
}

/** GetBootstrapBrokers' VpcConnectivity strings by scheme (those the cluster has on). */
export async function vpcConnectivityBootstrap(
  kafka: KafkaClient,
  clusterArn: string,
): Promise<Partial<Record<VpcConnectivityScheme, string>>> {
  const out = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
  return {
    ...(out.BootstrapBrokerStringVpcConnectivitySaslIam
      ? { iam: out.BootstrapBrokerStringVpcConnectivitySaslIam }
      : {}),
    ...(out.BootstrapBrokerStringVpcConnectivitySaslScram
      ? { scram: out.BootstrapBrokerStringVpcConnectivitySaslScram }
      : {}),
    ...(out.BootstrapBrokerStringVpcConnectivityTls
      ? { tls: out.BootstrapBrokerStringVpcConnectivityTls }
      : {}),
  };
}

/** The VPC's default security group (every VPC has one). */
export async function defaultSecurityGroup(ec2: EC2Client, vpcId: string): Promise<string> {
  const out = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: ['default'] },
      ],
    }),
  );
  const id = out.SecurityGroups?.[0]?.GroupId;
  if (!id) throw new Error(`VPC ${vpcId} has no default security group`);
  return id;
}

export interface VpcConnectionSpec {
  clusterArn: string;
  scheme: VpcConnectivityScheme;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  tags?: Record<string, string>;
}

/** CreateVpcConnection from the client account, then waits for AVAILABLE (unless `wait` is false). */
export async function createVpcConnection(
  kafka: KafkaClient,
  spec: VpcConnectionSpec,
  opts: { wait?: boolean; timeoutMs?: number } = {},
): Promise<string> {
  const out = await kafka.send(
    new CreateVpcConnectionCommand({
      TargetClusterArn: spec.clusterArn,
      Authentication: VPC_AUTHENTICATION[spec.scheme],
      VpcId: spec.vpcId,
      ClientSubnets: spec.subnetIds,
      SecurityGroups: spec.securityGroupIds,
      ...(spec.tags ? { Tags: spec.tags } : {}),
    }),
  );
  const arn = out.VpcConnectionArn ?? '';
  if (opts.wait === false) return arn;
  await waitForVpcConnection(kafka, arn, 'AVAILABLE', opts.timeoutMs);
  return arn;
}

/** Waits until DescribeVpcConnection answers `state` (or, for 'GONE', NotFoundException). */
export async function waitForVpcConnection(
  kafka: KafkaClient,
  arn: string,
  state: VpcConnectionState | 'GONE',
  timeoutMs = 10_000,
): Promise<void> {
  const started = Date.now();
  let last = '';
  for (;;) {
    try {
      last = (await kafka.send(new DescribeVpcConnectionCommand({ Arn: arn }))).State ?? '';
    } catch (err) {
      if (!(err instanceof Error && err.name === 'NotFoundException')) throw err;
      last = 'GONE';
    }
    if (last === state) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(`VPC connection ${arn} is ${last}, not ${state}, after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** DeleteVpcConnection from the client account, then waits until it is gone (unless `wait` is false). */
export async function deleteVpcConnection(
  kafka: KafkaClient,
  arn: string,
  opts: { wait?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  await kafka.send(new DeleteVpcConnectionCommand({ Arn: arn }));
  if (opts.wait !== false) await waitForVpcConnection(kafka, arn, 'GONE', opts.timeoutMs);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
