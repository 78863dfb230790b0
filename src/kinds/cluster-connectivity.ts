// Pattern 0: MSK's managed multi-VPC private connectivity, turned on for the client authentication
// schemes the consumers use (MSK developer guide, "Turn on multi-VPC private connectivity";
// UpdateConnectivity). MSK restarts the brokers to add the `_VPCE` listeners. The cluster is not
// the stack's: the resource is the connectivity setting, found on the cluster itself; destroy turns
// off only the schemes this stack turned on (outputs.turnedOn), and leaves the others as they were.
import { UpdateConnectivityCommand, type Cluster } from '@aws-sdk/client-kafka';
import { z } from 'zod';
import { jsonArg, mskCurrentVersion, mskWaitActive } from '../export/aws-cli.js';
import { MplError } from '../errors.js';
import { defineKind, type HandlerCtx, type Live } from './kind.js';
import { describeCluster, waitOperation, waitRunning } from './shared/msk.js';
import { arn } from '../iam/scope.js';

const Scheme = z.enum(['iam', 'scram', 'tls']);
type Scheme = z.infer<typeof Scheme>;

const Props = z.strictObject({
  clusterArn: z.string(),
  /** The schemes multi-VPC connectivity must serve (others found on are left on). */
  schemes: z.array(Scheme).min(1),
});
type Props = z.infer<typeof Props>;

const label = (p: Partial<Props>) => `multi-VPC connectivity of ${p.clusterArn ?? '?'}`;

/** The schemes multi-VPC connectivity serves on the cluster now (DescribeClusterV2 ConnectivityInfo). */
export function vpcSchemes(cluster: Cluster): Scheme[] {
  const auth =
    cluster.Provisioned?.BrokerNodeGroupInfo?.ConnectivityInfo?.VpcConnectivity?.ClientAuthentication;
  const on: Scheme[] = [];
  if (auth?.Sasl?.Iam?.Enabled) on.push('iam');
  if (auth?.Sasl?.Scram?.Enabled) on.push('scram');
  if (auth?.Tls?.Enabled) on.push('tls');
  return on;
}

function observe(
  cluster: Cluster,
  like: Partial<Props> | undefined,
  outputs: Record<string, unknown>,
): Live<Props> {
  const on = vpcSchemes(cluster);
  // Props name the schemes the plan asks for that are on; a wanted scheme that is off shows as a change.
  const wanted = like?.schemes ?? on;
  return {
    physicalId: cluster.ClusterArn ?? '',
    props: { clusterArn: cluster.ClusterArn ?? '', schemes: wanted.filter((s) => on.includes(s)) },
    outputs: { ...outputs, on: on.join(',') },
  };
}

/** UpdateConnectivity to exactly `schemes`, then the cluster operation and ACTIVE waited for. */
async function setSchemes(
  ctx: HandlerCtx,
  clusterArn: string,
  schemes: Scheme[],
  what: string,
): Promise<void> {
  const cluster = await waitRunning(ctx, clusterArn);
  const has = (s: Scheme) => schemes.includes(s);
  ctx.log(
    `${what}: UpdateConnectivity to ${schemes.length > 0 ? schemes.join(', ') : 'off'}; MSK restarts the brokers one at a time`,
  );
  const out = await ctx.aws.kafka.send(
    new UpdateConnectivityCommand({
      ClusterArn: clusterArn,
      CurrentVersion: cluster.CurrentVersion,
      ConnectivityInfo: {
        VpcConnectivity: {
          ClientAuthentication: {
            Sasl: { Iam: { Enabled: has('iam') }, Scram: { Enabled: has('scram') } },
            Tls: { Enabled: has('tls') },
          },
        },
      },
    }),
  );
  if (out.ClusterOperationArn)
    await waitOperation(ctx, out.ClusterOperationArn, `${what}: the rolling restart`);
  await waitRunning(ctx, clusterArn);
}

async function read(
  ctx: HandlerCtx,
  p: Partial<Props>,
  outputs: Record<string, unknown>,
): Promise<Live<Props> | undefined> {
  if (p.clusterArn === undefined) return undefined;
  const cluster = await describeCluster(ctx.aws.kafka, p.clusterArn);
  if (cluster === undefined) return undefined;
  const live = observe(cluster, p, outputs);
  // Nothing of the plan's schemes on yet: not made (a create turns them on).
  return live.props.schemes.length === 0 && outputs.turnedOn === undefined ? undefined : live;
}

/** The commands that turn the stack's schemes on (and, to undo, off again): no template can. */
function connectivityCommands(p: Props, region: string): { what: string; apply: string; undo: string } {
  const sasl = p.schemes.flatMap((s) => (s === 'iam' ? ['Iam'] : s === 'scram' ? ['Scram'] : []));
  const auth = (on: boolean) => ({
    VpcConnectivity: {
      ClientAuthentication: {
        ...(sasl.length > 0 ? { Sasl: Object.fromEntries(sasl.map((s) => [s, { Enabled: on }])) } : {}),
        ...(p.schemes.includes('tls') ? { Tls: { Enabled: on } } : {}),
      },
    },
  });
  const update = (on: boolean) =>
    `aws kafka update-connectivity --region ${region} --cluster-arn ${p.clusterArn} --current-version ${mskCurrentVersion(region, p.clusterArn)} --connectivity-info ${jsonArg(auth(on))} && ${mskWaitActive(region, p.clusterArn)}`;
  return {
    what: `turn on MSK multi-VPC private connectivity for ${p.schemes.join(', ')} (MSK restarts the brokers one at a time; name any scheme already on (describe-cluster-v2, ConnectivityInfo) in the command too, so it stays as it is)`,
    apply: update(true),
    undo: update(false),
  };
}

export const clusterConnectivity = defineKind({
  kind: 'cluster-connectivity',
  iam: {
    reads: ['kafka:DescribeClusterV2'],
    writes: (s) => [
      {
        sid: 'MskCluster',
        actions: ['kafka:UpdateConnectivity'],
        resources: [s.clusterArn ?? arn(s, 'kafka', 'cluster/*/*')],
      },
    ],
  },
  props: Props,
  replaceOn: ['clusterArn'],
  // The cluster is not the template's: turning connectivity on is a command, and the VPC
  // connections wait for it.
  cloudformation: (p, _x, r) => ({ manual: { ...connectivityCommands(p, r.region), gate: true } }),
  // Terraform runs the same commands (terraform_data); the VPC connections depend on it.
  terraform: (p, _x, r) => ({ command: connectivityCommands(p, r.region) }),
  label,
  handler: {
    read: (ctx, desired, known) => read(ctx, desired?.props ?? known?.props ?? {}, known?.outputs ?? {}),
    async create(ctx, r) {
      const what = `${label(r.props)} (${r.id})`;
      const cluster = await describeCluster(ctx.aws.kafka, r.props.clusterArn);
      if (cluster === undefined) throw new MplError('CREATE_FAILED', `${what}: the cluster is gone`);
      const before = vpcSchemes(cluster);
      const turnedOn = r.props.schemes.filter((s) => !before.includes(s));
      if (turnedOn.length > 0)
        await setSchemes(ctx, r.props.clusterArn, [...new Set([...before, ...r.props.schemes])], what);
      const live = await read(ctx, r.props, { turnedOn: turnedOn.join(',') });
      if (live === undefined)
        throw new MplError('CREATE_FAILED', `${what}: connectivity is not on after the update`);
      return live;
    },
    async update(ctx, r, before) {
      const what = `${label(r.props)} (${r.id})`;
      const cluster = await describeCluster(ctx.aws.kafka, r.props.clusterArn);
      if (cluster === undefined) throw new MplError('UPDATE_FAILED', `${what}: the cluster is gone`);
      const on = vpcSchemes(cluster);
      const add = r.props.schemes.filter((s) => !on.includes(s));
      const mine = String(before.outputs.turnedOn ?? '')
        .split(',')
        .filter(Boolean);
      if (add.length > 0) await setSchemes(ctx, r.props.clusterArn, [...new Set([...on, ...add])], what);
      const live = await read(ctx, r.props, { turnedOn: [...new Set([...mine, ...add])].join(',') });
      if (live === undefined)
        throw new MplError('UPDATE_FAILED', `${what}: connectivity is not on after the update`);
      return live;
    },
    async delete(ctx, known) {
      const what = `${label(known.props)} (${known.id})`;
      const mine = String(known.outputs.turnedOn ?? '')
        .split(',')
        .filter(Boolean);
      if (mine.length === 0) {
        ctx.log(`${what}: on before this stack; left on`);
        return;
      }
      const cluster = await describeCluster(ctx.aws.kafka, known.props.clusterArn);
      if (cluster === undefined) return;
      const on = vpcSchemes(cluster);
      const keep = on.filter((s) => !mine.includes(s));
      if (keep.length === on.length) return;
      await setSchemes(ctx, known.props.clusterArn, keep, what);
    },
  },
});
