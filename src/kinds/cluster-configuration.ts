// Pattern 2 in msk-configuration mode: MSK's `custom.advertised.listeners` property in an MSK
// configuration this stack owns (`mpl-<stack>`), applied to the cluster with
// UpdateClusterConfiguration. MSK validates it and applies it by a rolling restart, one broker at a
// time, and to brokers added later by itself (MSK developer guide, "Configure custom domain names for
// your Amazon MSK cluster"). The new revision keeps the cluster's other server properties. Delete
// puts the cluster back on the configuration it had before (kept in outputs, recoverable from the
// cluster's operations), or, for a cluster on MSK's default configuration, which no API goes back
// to, on a revision without the property.
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteConfigurationCommand, ListClustersV2Command } from '@aws-sdk/client-kafka';
import { z } from 'zod';
import { mskPropertyScript, mskPropertyUndo } from '../export/aws-cli.js';
import { awsFailure, errorName, isNotFound } from '../aws/errors.js';
import { MplError } from '../errors.js';
import { advertisedInMetadata, errorText, withAdmin } from '../kafka/admin.js';
import {
  customAdvertisedIn,
  parseCustomAdvertised,
  resolveFor,
  withCustomAdvertised,
} from '../kafka/custom-advertised.js';
import type { Instance } from '../state/instance.js';
import { defineKind, type Handler, type HandlerCtx, type Live } from './kind.js';
import {
  applyToCluster,
  currentRef,
  decodeRef,
  describeCluster,
  encodeRef,
  ensureRevision,
  findConfiguration,
  previousFromOperations,
  serverProperties,
  str,
  waitRunning,
  type ConfigRef,
} from './shared/msk.js';
import { poll } from './shared/poll.js';
import { logicalIds } from './shared/scan.js';
import { arn } from '../iam/scope.js';

const Props = z.strictObject({
  clusterArn: z.string().min(1),
  /** The MSK configuration this stack owns; every change is a new revision of it. */
  configurationName: z.string().min(1),
  /** The property's value, e.g. `CLIENT_SECURE://b-{broker_id}-pl.<cluster domain>:9000+{broker_id}`. */
  customAdvertisedListeners: z.string().min(1),
  /** The client listener the brokers' admin API is reached on (metadata check), as Kafka names it. */
  checkListener: z.string().optional(),
  /** That listener's real port on the brokers (9094 for CLIENT_SECURE). */
  checkPort: z.number().int().optional(),
  /** Brokers the rolling restart goes through, one after another (the lower bound of an apply). */
  brokerCount: z.number().int().positive().optional(),
});
type Props = z.infer<typeof Props>;

const label = (p: Partial<Props>) => `MSK configuration ${p.configurationName ?? '?'} on the cluster`;

/**
 * Checks through the brokers' admin API that every broker advertises what the property says on the
 * check listener. A machine that cannot reach the brokers (no route into the MSK VPC) skips it with a
 * note: MSK's operation state already said the rolling restart finished.
 */
async function checkMetadata(ctx: HandlerCtx, props: Props, value: string | undefined): Promise<void> {
  if (props.checkListener === undefined || props.checkPort === undefined) return;
  const listener = props.checkListener;
  const parsed = value === undefined ? undefined : parseCustomAdvertised(value);
  const entries = parsed && 'entries' in parsed ? parsed.entries : [];
  const entry = entries.find((e) => e.listener === listener);
  let source;
  try {
    source = await ctx.kafka();
  } catch (e) {
    ctx.log(`metadata not checked: ${errorText(e)}`);
    return;
  }
  const hosts = new Map(
    typeof source === 'function' ? [] : source.brokers.map((b) => [b.id, b.host.toLowerCase()] as const),
  );
  try {
    await withAdmin(source, (admin) =>
      poll(`brokers advertising ${listener}`, { intervalMs: 1000, timeoutMs: 60_000 }, async () => {
        const seen = await advertisedInMetadata(admin);
        for (const [id, address] of seen) {
          // Restored: the broker's own name on the listener's port (a lent admin names no brokers).
          const host = hosts.get(id);
          const want = entry
            ? resolveFor([entry], id)[listener]
            : host === undefined
              ? undefined
              : `${host}:${props.checkPort}`;
          if (want !== undefined && address.toLowerCase() !== want.toLowerCase()) {
            return { done: false, state: `broker ${id} advertising ${address} (expected ${want})` };
          }
        }
        return { done: true, value: undefined };
      }),
    );
  } catch (e) {
    if (e instanceof MplError && e.code === 'KAFKA_UNREACHABLE') {
      ctx.log(`metadata not checked from here (${e.message}); run \`probe\` from the consumer VPCs`);
      return;
    }
    if (e instanceof MplError && e.code === 'WAIT_TIMEOUT') {
      throw new MplError(
        'BROKER_LISTENER_NOT_APPLIED',
        `MSK finished the rolling restart, but ${e.message}`,
        {
          cause: e,
          retriable: true,
        },
      );
    }
    throw e;
  }
}

/**
 * AWS asks that the network path be in place and verified before the property is applied, or
 * clients lose the cluster (MSK developer guide, "Configure custom domain names for your Amazon MSK
 * cluster"): every NLB listener this step follows must forward to targets the NLB reports healthy
 * (ELBv2 DescribeTargetHealth; a new target stays `initial` until its health checks pass).
 */
async function verifyPath(ctx: HandlerCtx, after: readonly string[]): Promise<void> {
  const groups = after.flatMap((id) => {
    const listener = ctx.ref(id);
    if (listener.kind !== 'listener') return [];
    const tg = ctx.ref(String(listener.props.targetGroup));
    return [{ id: tg.id, arn: tg.physicalId }];
  });
  if (groups.length === 0) return;
  await poll(
    `NLB targets of ${groups.length} listeners healthy`,
    { intervalMs: ctx.wait.intervalMs, timeoutMs: ctx.wait.timeoutMs },
    async () => {
      for (const g of groups) {
        const out = await ctx.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: g.arn }));
        const states = (out.TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State ?? 'unknown');
        const bad = states.filter((st) => st !== 'healthy');
        if (states.length === 0 || bad.length > 0) {
          return { done: false, state: `${g.id}: ${states.length === 0 ? 'no targets' : bad.join(', ')}` };
        }
      }
      return { done: true, value: undefined };
    },
  );
}

async function apply(
  ctx: HandlerCtx,
  props: Props,
  prior: ConfigRef | undefined,
  after: readonly string[],
): Promise<Live<Props>> {
  const kafka = ctx.aws.kafka;
  let cluster = await describeCluster(kafka, props.clusterArn);
  if (cluster === undefined)
    throw new MplError('CLUSTER_NOT_FOUND', `MSK cluster ${props.clusterArn} is not there`);
  if (cluster.State !== 'ACTIVE') cluster = await waitRunning(ctx, props.clusterArn);
  const ours = await findConfiguration(kafka, props.configurationName);
  const current = currentRef(cluster);
  const onOurs = current !== 'default' && current.arn === ours?.Arn;
  const previous =
    prior ??
    (onOurs && ours?.Arn ? await previousFromOperations(kafka, props.clusterArn, ours.Arn) : undefined) ??
    (onOurs ? 'default' : current);
  // The base text: what the cluster runs now (ours, or what it had before us), with our property set.
  const base = await serverProperties(kafka, current);
  const text = withCustomAdvertised(base, props.customAdvertisedListeners);
  const target = await ensureRevision(
    ctx,
    props.configurationName,
    ours,
    text,
    `msk-privatelink ${ctx.stack}: custom.advertised.listeners for pattern 2`,
  );
  if (!(current !== 'default' && current.arn === target.arn && current.revision === target.revision)) {
    await verifyPath(ctx, after);
    await applyToCluster(ctx, cluster, target, 'custom.advertised.listeners');
  }
  await checkMetadata(ctx, props, props.customAdvertisedListeners);
  return {
    physicalId: target.arn,
    props,
    outputs: {
      configurationArn: target.arn,
      revision: String(target.revision),
      previous: encodeRef(previous),
    },
  };
}

const handler: Handler<Props> = {
  async read(ctx, desired, known) {
    const template = desired?.props ?? Props.safeParse(known?.props).data;
    if (template === undefined) return undefined;
    const kafka = ctx.aws.kafka;
    const cluster = await describeCluster(kafka, template.clusterArn);
    if (cluster === undefined) return undefined;
    const ours = await findConfiguration(kafka, template.configurationName);
    const current = currentRef(cluster);
    if (ours?.Arn === undefined || current === 'default' || current.arn !== ours.Arn) return undefined;
    const value = customAdvertisedIn(await serverProperties(kafka, current));
    // Our configuration without the property (a destroy that could not leave it): not there.
    if (value === undefined) return undefined;
    const previous =
      decodeRef(str(known?.outputs.previous)) ??
      (await previousFromOperations(kafka, template.clusterArn, ours.Arn));
    return {
      physicalId: ours.Arn,
      props: { ...template, customAdvertisedListeners: value },
      outputs: {
        configurationArn: ours.Arn,
        revision: String(current.revision),
        ...(previous ? { previous: encodeRef(previous) } : {}),
      },
    };
  },

  create(ctx, r) {
    return apply(ctx, r.props, undefined, r.dependsOn);
  },

  update(ctx, r, before) {
    return apply(ctx, r.props, decodeRef(str(before.outputs.previous)), r.dependsOn);
  },

  async delete(ctx, known: Instance<Props>) {
    const props = Props.safeParse(known.props).data;
    if (props === undefined)
      throw new MplError('INVALID_STATE', `${known.id}: no cluster in state to restore`);
    const kafka = ctx.aws.kafka;
    // One lookup serves the restore and the delete: a new revision keeps the configuration's ARN.
    const ours = await findConfiguration(kafka, props.configurationName);
    let cluster = await describeCluster(kafka, props.clusterArn);
    if (cluster === undefined) {
      ctx.log(`MSK cluster ${props.clusterArn} is gone: nothing to restore`);
    } else {
      if (cluster.State !== 'ACTIVE') cluster = await waitRunning(ctx, props.clusterArn);
      const current = currentRef(cluster);
      if (ours?.Arn !== undefined && current !== 'default' && current.arn === ours.Arn) {
        const previous =
          decodeRef(str(known.outputs.previous)) ??
          (await previousFromOperations(kafka, props.clusterArn, ours.Arn));
        if (previous !== undefined && previous !== 'default') {
          await applyToCluster(ctx, cluster, previous, 'the configuration before this stack');
        } else {
          const base = await serverProperties(kafka, current);
          if (customAdvertisedIn(base) !== undefined) {
            // MSK has no call that puts a cluster back on its default configuration.
            const plain = await ensureRevision(
              ctx,
              props.configurationName,
              ours,
              // MSK requires server properties: a configuration of nothing but defaults says so in a comment.
              withCustomAdvertised(base, undefined) ||
                '# msk-privatelink: MSK defaults, custom.advertised.listeners removed\n',
              `msk-privatelink ${ctx.stack}: without custom.advertised.listeners (the cluster had MSK's default configuration)`,
            );
            await applyToCluster(ctx, cluster, plain, 'without custom.advertised.listeners');
          }
        }
      } else {
        ctx.log("the cluster no longer runs this stack's configuration: nothing to restore");
      }
      await checkMetadata(ctx, props, undefined);
    }
    if (ours?.Arn === undefined) return;
    try {
      await kafka.send(new DeleteConfigurationCommand({ Arn: ours.Arn }));
    } catch (e) {
      if (isNotFound(e)) return;
      if (errorName(e) === 'BadRequestException') {
        // In use: the cluster had MSK's default configuration, to which no API goes back.
        ctx.log(
          `MSK configuration ${props.configurationName} stays: the cluster runs it (a revision without custom.advertised.listeners); MSK cannot delete a configuration in use`,
        );
        return;
      }
      throw awsFailure('DELETE_FAILED', `DeleteConfiguration ${props.configurationName}`, e);
    }
  },
};

/**
 * The script that puts the property on the cluster, keeping its other server properties, and its
 * undo. A template cannot: the cluster is not its own.
 */
function configurationCommands(p: Props, region: string): { what: string; apply: string; undo: string } {
  const saved = `${p.configurationName}-previous-configuration.txt`;
  const property = 'custom.advertised.listeners';
  return {
    what: `put ${property} on the cluster through MSK configuration ${p.configurationName} (MSK restarts the brokers one at a time); the script saves the configuration the cluster ran in ${saved}, which the undo needs`,
    apply: mskPropertyScript(
      region,
      p.clusterArn,
      p.configurationName,
      property,
      p.customAdvertisedListeners,
      saved,
    ),
    undo: mskPropertyUndo(region, p.clusterArn, p.configurationName, property, saved),
  };
}

export const clusterConfiguration = defineKind({
  kind: 'cluster-configuration',
  iam: {
    reads: [
      'kafka:DescribeConfigurationRevision',
      'kafka:ListConfigurations',
      'kafka:DescribeClusterOperationV2',
      'kafka:ListClusterOperationsV2',
      'kafka:DescribeClusterV2',
      'kafka:ListClustersV2',
      'elasticloadbalancing:DescribeTargetHealth',
    ],
    writes: (s) => [
      { sid: 'MskConfigurationCreate', actions: ['kafka:CreateConfiguration'], resources: ['*'] },
      {
        sid: 'MskConfiguration',
        actions: [
          'kafka:UpdateConfiguration',
          'kafka:DeleteConfiguration',
          'kafka:UpdateClusterConfiguration',
        ],
        resources: [
          arn(s, 'kafka', `configuration/mpl-${s.stack}/*`),
          ...(s.clusterArn !== undefined ? [s.clusterArn] : [arn(s, 'kafka', 'cluster/*/*')]),
        ],
      },
    ],
  },
  props: Props,
  // The cluster is not the template's, and the revision must keep its other server properties: a
  // script, after the NLB listens on every advertised port; names the brokers advertise that are
  // theirs already wait for it (a later template).
  cloudformation: (p, _x, r) => ({ manual: { ...configurationCommands(p, r.region), gate: true } }),
  // Terraform runs the same script (terraform_data); what waits for it depends on it.
  terraform: (p, _x, r) => ({ command: configurationCommands(p, r.region) }),
  // Another cluster or another configuration name is another resource; a new property value is a
  // new revision applied in place.
  replaceOn: ['clusterArn', 'configurationName'],
  ignored: ['checkListener', 'checkPort', 'brokerCount'],
  // MSK restarts the brokers one at a time to apply a configuration (MSK developer guide, "Update
  // the configuration of an Amazon MSK cluster"), for a new revision and for the one put back.
  waits: {
    create: (t, p) => (p.brokerCount ?? 1) * t.mskBrokerRestartMs,
    update: (t, p) => (p.brokerCount ?? 1) * t.mskBrokerRestartMs,
    delete: (t, p) => (p.brokerCount ?? 1) * t.mskBrokerRestartMs,
  },
  label,
  handler,
  /** Before any AWS change: the cluster must be named by its ARN (an inventory file may lack it). */
  async preflight(_ctx, items) {
    for (const i of items) {
      if (i.action !== 'delete' && !i.props.clusterArn.startsWith('arn:')) {
        throw new MplError(
          'INVALID_INPUT',
          `pattern 2 in msk-configuration mode changes the cluster's configuration and needs its ARN: ${i.props.clusterArn}`,
        );
      }
    }
  },
  /**
   * After a lost state: this stack's configuration is found by its name (`mpl-<stack>`; MSK
   * configurations carry no stack tags here) and the cluster that runs it among the account's
   * clusters; nothing when no cluster runs it with the property (already restored). It depends on
   * the listeners found, so a destroy puts the configuration back before they go.
   */
  async scan(ctx, found) {
    const kafka = ctx.aws.kafka;
    const name = `mpl-${ctx.stack}`;
    const ours = await findConfiguration(kafka, name);
    if (ours?.Arn === undefined) return [];
    const id: string = (await logicalIds()).ids.clusterConfiguration();
    const listeners = [...found.values()].filter((i) => i.kind === 'listener').map((i) => i.id);
    let token: string | undefined;
    do {
      const page = await kafka.send(new ListClustersV2Command({ NextToken: token }));
      for (const c of page.ClusterInfoList ?? []) {
        if (c.ClusterArn === undefined) continue;
        if (c.Provisioned?.CurrentBrokerSoftwareInfo?.ConfigurationArn !== ours.Arn) continue;
        const live = await handler.read(ctx, undefined, {
          id,
          kind: 'cluster-configuration',
          account: ctx.aws.account,
          region: ctx.aws.region,
          physicalId: ours.Arn,
          props: { clusterArn: c.ClusterArn, configurationName: name, customAdvertisedListeners: '-' },
          dependsOn: [],
          outputs: {},
          status: 'ready',
        });
        // One configuration per stack, on one cluster.
        if (live !== undefined) return [{ id, live, dependsOn: listeners }];
      }
      token = page.NextToken;
    } while (token);
    return [];
  },
  scanAfter: ['listener'],
});
