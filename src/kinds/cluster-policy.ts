// Pattern 0: the cluster policy that lets the consumer accounts make managed VPC connections to the
// cluster (MSK developer guide, "Attach a cluster policy"): exactly the consumer accounts, exactly
// the actions a managed VPC connection needs. A cluster has one policy: another one found on the
// cluster (not written by this stack) is refused rather than replaced.
import {
  DeleteClusterPolicyCommand,
  GetClusterPolicyCommand,
  PutClusterPolicyCommand,
} from '@aws-sdk/client-kafka';
import { z } from 'zod';
import { classify } from '../aws/errors.js';
import { MplError } from '../errors.js';
import { defineKind, type HandlerCtx, type Live } from './kind.js';
import { arn } from '../iam/scope.js';

/** What a consumer account needs on the cluster (the guide's example policy). */
export const CLUSTER_POLICY_ACTIONS = [
  'kafka:CreateVpcConnection',
  'kafka:GetBootstrapBrokers',
  'kafka:DescribeCluster',
  'kafka:DescribeClusterV2',
];

const Props = z.strictObject({
  clusterArn: z.string(),
  /** Consumer account ids, sorted. */
  accounts: z.array(z.string().regex(/^\d{12}$/)).min(1),
  /** CLUSTER_POLICY_ACTIONS, sorted. */
  actions: z.array(z.string()).min(1),
  /** The statement id that marks the policy as this stack's. */
  sid: z.string().regex(/^[A-Za-z0-9]+$/),
});
type Props = z.infer<typeof Props>;

const label = (p: Partial<Props>) => `cluster policy of ${p.clusterArn ?? '?'}`;

function document(p: Props): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: p.sid,
        Effect: 'Allow',
        Principal: { AWS: p.accounts.map((a) => `arn:aws:iam::${a}:root`) },
        Action: p.actions,
        Resource: p.clusterArn,
      },
    ],
  });
}

interface Found {
  version: string | undefined;
  props: Props | undefined;
  /** A policy there that this stack did not write (another Sid, other statements). */
  foreign: boolean;
}

async function get(ctx: HandlerCtx, clusterArn: string, sid: string | undefined): Promise<Found | undefined> {
  let out;
  try {
    out = await ctx.aws.kafka.send(new GetClusterPolicyCommand({ ClusterArn: clusterArn }));
  } catch (e) {
    if (classify(e) === 'not-found') return undefined;
    throw e;
  }
  if (out.Policy === undefined || out.Policy === '') return undefined;
  const doc = JSON.parse(out.Policy) as {
    Statement?: Array<{ Sid?: string; Principal?: { AWS?: string | string[] }; Action?: string | string[] }>;
  };
  const st = doc.Statement ?? [];
  const ours =
    st.length === 1 && st[0]?.Sid !== undefined && (sid === undefined || st[0].Sid === sid)
      ? st[0]
      : undefined;
  if (ours === undefined) return { version: out.CurrentVersion, props: undefined, foreign: true };
  const principals = [ours.Principal?.AWS ?? []].flat();
  const actions = [ours.Action ?? []].flat();
  return {
    version: out.CurrentVersion,
    foreign: false,
    props: {
      clusterArn,
      accounts: principals.map((a) => /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(a)?.[1] ?? a).sort(),
      actions: [...actions].sort(),
      sid: ours.Sid as string,
    },
  };
}

function live(p: Props, version: string | undefined): Live<Props> {
  return { physicalId: p.clusterArn, props: p, outputs: { version: version ?? '' } };
}

async function put(ctx: HandlerCtx, p: Props, version: string | undefined): Promise<Live<Props>> {
  const out = await ctx.aws.kafka.send(
    new PutClusterPolicyCommand({
      ClusterArn: p.clusterArn,
      Policy: document(p),
      ...(version ? { CurrentVersion: version } : {}),
    }),
  );
  return live(p, out.CurrentVersion);
}

export const clusterPolicy = defineKind({
  kind: 'cluster-policy',
  iam: {
    reads: ['kafka:GetClusterPolicy'],
    writes: (s) => [
      {
        sid: 'MskCluster',
        actions: ['kafka:PutClusterPolicy', 'kafka:DeleteClusterPolicy'],
        resources: [s.clusterArn ?? arn(s, 'kafka', 'cluster/*/*')],
      },
    ],
  },
  props: Props,
  terraform: (p) => ({
    type: 'aws_msk_cluster_policy',
    args: { cluster_arn: p.clusterArn, policy: document(p) },
  }),
  // A cluster has one policy: the stack's template owns it (CloudFormation fails on a cluster that
  // has another).
  cloudformation: (p) => ({
    type: 'AWS::MSK::ClusterPolicy',
    properties: { ClusterArn: p.clusterArn, Policy: JSON.parse(document(p)) as unknown },
  }),
  replaceOn: ['clusterArn'],
  label,
  handler: {
    async read(ctx, desired, known) {
      const p = desired?.props ?? known?.props;
      if (p === undefined) return undefined;
      const found = await get(ctx, p.clusterArn, p.sid);
      if (found === undefined) return undefined;
      if (found.foreign || found.props === undefined)
        throw new MplError(
          'NAME_TAKEN',
          `${label(p)}: the cluster has a policy this stack did not write; merge its statements by hand or remove it (a cluster has one policy)`,
        );
      return live(found.props, found.version);
    },
    async create(ctx, r) {
      const found = await get(ctx, r.props.clusterArn, r.props.sid);
      if (found?.foreign)
        throw new MplError(
          'NAME_TAKEN',
          `${label(r.props)}: the cluster has a policy this stack did not write`,
        );
      return put(ctx, r.props, found?.version);
    },
    async update(ctx, r, before) {
      return put(ctx, r.props, String(before.outputs.version ?? '') || undefined);
    },
    async delete(ctx, known) {
      const found = await get(ctx, known.props.clusterArn, known.props.sid);
      if (found === undefined) return;
      if (found.foreign) {
        ctx.log(`${label(known.props)}: now another policy; left as is`);
        return;
      }
      await ctx.aws.kafka.send(new DeleteClusterPolicyCommand({ ClusterArn: known.props.clusterArn }));
    },
  },
});
