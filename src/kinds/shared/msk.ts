// MSK calls behind pattern 2's cluster configuration (MSK API reference: DescribeClusterV2,
// ListConfigurations, DescribeConfigurationRevision, Create/UpdateConfiguration,
// UpdateClusterConfiguration, DescribeClusterOperationV2, ListClusterOperationsV2): a cluster's
// configuration, our configuration's revisions, and MSK's operations waited for.
import {
  CreateConfigurationCommand,
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  DescribeConfigurationRevisionCommand,
  ListClusterOperationsV2Command,
  ListConfigurationsCommand,
  UpdateClusterConfigurationCommand,
  UpdateConfigurationCommand,
  type Cluster,
  type Configuration,
  type KafkaClient,
} from '@aws-sdk/client-kafka';
import { awsFailure, errorName, isNotFound } from '../../aws/errors.js';
import { MplError } from '../../errors.js';
import { errorText } from '../../kafka/admin.js';
import type { HandlerCtx } from '../kind.js';
import { poll } from './poll.js';

/** A configuration revision, or MSK's default configuration (a cluster made without one). */
export type ConfigRef = { arn: string; revision: number } | 'default';

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const encodeRef = (r: ConfigRef): string => (r === 'default' ? 'default' : `${r.arn}#${r.revision}`);
export function decodeRef(s: string | undefined): ConfigRef | undefined {
  if (s === 'default') return 'default';
  const m = /^(arn:[^#]+)#(\d+)$/.exec(s ?? '');
  return m ? { arn: m[1] as string, revision: Number(m[2]) } : undefined;
}

// A rolling restart takes minutes per broker on MSK; the executor's wait is sized for one resource.
export const MIN_OPERATION_WAIT_MS = 6 * 3600_000;

export async function describeCluster(kafka: KafkaClient, clusterArn: string): Promise<Cluster | undefined> {
  try {
    return (await kafka.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }))).ClusterInfo;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw awsFailure('READ_FAILED', `MSK cluster ${clusterArn}`, e);
  }
}

export function currentRef(cluster: Cluster): ConfigRef {
  const info = cluster.Provisioned?.CurrentBrokerSoftwareInfo;
  return info?.ConfigurationArn && info.ConfigurationRevision !== undefined
    ? { arn: info.ConfigurationArn, revision: info.ConfigurationRevision }
    : 'default';
}

export async function findConfiguration(
  kafka: KafkaClient,
  name: string,
): Promise<Configuration | undefined> {
  let token: string | undefined;
  do {
    const page = await kafka.send(new ListConfigurationsCommand({ NextToken: token }));
    const hit = page.Configurations?.find((c) => c.Name === name && c.State !== 'DELETING');
    if (hit) return hit;
    token = page.NextToken;
  } while (token);
  return undefined;
}

export async function serverProperties(kafka: KafkaClient, ref: ConfigRef): Promise<string> {
  if (ref === 'default') return '';
  const out = await kafka.send(
    new DescribeConfigurationRevisionCommand({ Arn: ref.arn, Revision: ref.revision }),
  );
  return new TextDecoder().decode(out.ServerProperties ?? new Uint8Array());
}

/**
 * Where the cluster was before our configuration, from the cluster's operations: the source of the
 * latest configuration update that moved it onto `ourArn`.
 */
export async function previousFromOperations(
  kafka: KafkaClient,
  clusterArn: string,
  ourArn: string,
): Promise<ConfigRef | undefined> {
  let token: string | undefined;
  const ops: Array<{ arn: string; start: number }> = [];
  do {
    const page = await kafka.send(
      new ListClusterOperationsV2Command({ ClusterArn: clusterArn, NextToken: token }),
    );
    for (const o of page.ClusterOperationInfoList ?? []) {
      if (o.OperationType === 'UPDATE_CLUSTER_CONFIGURATION' && o.OperationArn) {
        ops.push({ arn: o.OperationArn, start: o.StartTime?.getTime() ?? 0 });
      }
    }
    token = page.NextToken;
  } while (token);
  ops.sort((a, b) => a.start - b.start);
  // Walk back from the newest: the first update that went from another configuration onto ours.
  for (const o of ops.reverse()) {
    const info = (await kafka.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: o.arn })))
      .ClusterOperationInfo?.Provisioned;
    const target = info?.TargetClusterInfo?.ConfigurationInfo;
    const source = info?.SourceClusterInfo?.ConfigurationInfo;
    if (target?.Arn !== ourArn) continue;
    if (source?.Arn === ourArn) continue;
    return source?.Arn && source.Revision !== undefined
      ? { arn: source.Arn, revision: source.Revision }
      : 'default';
  }
  return undefined;
}

export function operationWait(ctx: HandlerCtx) {
  return { intervalMs: ctx.wait.intervalMs, timeoutMs: Math.max(ctx.wait.timeoutMs, MIN_OPERATION_WAIT_MS) };
}

export async function waitOperation(ctx: HandlerCtx, operationArn: string, what: string): Promise<void> {
  await poll(what, operationWait(ctx), async () => {
    const info = (
      await ctx.aws.kafka.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: operationArn }))
    ).ClusterOperationInfo;
    const state = info?.OperationState ?? 'UNKNOWN';
    if (state === 'UPDATE_COMPLETE') return { done: true, value: undefined };
    if (state === 'UPDATE_FAILED') {
      const err = info?.ErrorInfo;
      return { failed: `${state}: ${err?.ErrorCode ?? ''} ${err?.ErrorString ?? ''}`.trim() };
    }
    const steps = info?.Provisioned?.OperationSteps ?? [];
    const doing = steps.find((s) => s.StepInfo?.StepStatus === 'IN_PROGRESS')?.StepName;
    return { done: false, state: doing ? `${state} (${doing})` : state };
  });
}

/** Waits out an operation already running on the cluster (a resumed run finds its own there). */
export async function waitRunning(ctx: HandlerCtx, clusterArn: string): Promise<Cluster> {
  for (;;) {
    const cluster = await describeCluster(ctx.aws.kafka, clusterArn);
    if (cluster === undefined) throw new MplError('CLUSTER_NOT_FOUND', `MSK cluster ${clusterArn} is gone`);
    if (cluster.State === 'ACTIVE') return cluster;
    const page = await ctx.aws.kafka.send(new ListClusterOperationsV2Command({ ClusterArn: clusterArn }));
    const running = page.ClusterOperationInfoList?.find(
      (o) => o.OperationArn && !['UPDATE_COMPLETE', 'UPDATE_FAILED'].includes(o.OperationState ?? ''),
    );
    if (running?.OperationArn === undefined) {
      throw new MplError(
        'CLUSTER_NOT_ACTIVE',
        `MSK cluster ${clusterArn} is ${cluster.State ?? '?'}, not ACTIVE, and runs no operation to wait for`,
        { retriable: true },
      );
    }
    ctx.log(
      `MSK cluster is ${cluster.State}: waiting for operation ${running.OperationType ?? ''} to finish`,
    );
    await waitOperation(ctx, running.OperationArn, `MSK operation ${running.OperationType ?? ''}`).catch(
      () => undefined, // its failure is not ours to report; the cluster's state decides below
    );
  }
}

/** Applies `ref` to the cluster and waits for MSK's rolling restart to finish. */
export async function applyToCluster(
  ctx: HandlerCtx,
  cluster: Cluster,
  ref: ConfigRef & object,
  why: string,
) {
  const clusterArn = cluster.ClusterArn as string;
  ctx.log(
    `MSK cluster: applying configuration revision ${ref.revision} (${why}); MSK restarts the brokers one at a time`,
  );
  let operationArn: string | undefined;
  try {
    operationArn = (
      await ctx.aws.kafka.send(
        new UpdateClusterConfigurationCommand({
          ClusterArn: clusterArn,
          ConfigurationInfo: { Arn: ref.arn, Revision: ref.revision },
          CurrentVersion: cluster.CurrentVersion,
        }),
      )
    ).ClusterOperationArn;
  } catch (e) {
    if (errorName(e) === 'BadRequestException') {
      throw new MplError(
        'MSK_CONFIGURATION_REFUSED',
        `MSK refused the configuration update: ${errorText(e)}`,
        {
          cause: e,
        },
      );
    }
    throw awsFailure('UPDATE_FAILED', `UpdateClusterConfiguration on ${clusterArn}`, e);
  }
  if (operationArn === undefined)
    throw new MplError('UPDATE_FAILED', 'UpdateClusterConfiguration returned no operation');
  await waitOperation(ctx, operationArn, `MSK rolling restart for configuration revision ${ref.revision}`);
}

/**
 * Creates our configuration, or a new revision of `found` (what the caller's ListConfigurations
 * found under `name`), holding `text`; reuses a latest revision that already does.
 */
export async function ensureRevision(
  ctx: HandlerCtx,
  name: string,
  found: Configuration | undefined,
  text: string,
  description: string,
) {
  const kafka = ctx.aws.kafka;
  const blob = new TextEncoder().encode(text);
  try {
    if (found?.Arn === undefined) {
      const out = await kafka.send(
        new CreateConfigurationCommand({ Name: name, ServerProperties: blob, Description: description }),
      );
      return { arn: out.Arn as string, revision: out.LatestRevision?.Revision ?? 1 };
    }
    const latest = found.LatestRevision?.Revision ?? 1;
    if ((await serverProperties(kafka, { arn: found.Arn, revision: latest })) === text) {
      return { arn: found.Arn, revision: latest };
    }
    const out = await kafka.send(
      new UpdateConfigurationCommand({ Arn: found.Arn, ServerProperties: blob, Description: description }),
    );
    return { arn: found.Arn, revision: out.LatestRevision?.Revision ?? latest + 1 };
  } catch (e) {
    if (errorName(e) === 'BadRequestException') {
      throw new MplError('MSK_CONFIGURATION_REFUSED', `MSK refused configuration ${name}: ${errorText(e)}`, {
        cause: e,
      });
    }
    throw awsFailure('CREATE_FAILED', `MSK configuration ${name}`, e);
  }
}
