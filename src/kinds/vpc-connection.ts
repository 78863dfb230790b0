// Pattern 0: a managed VPC connection from a consumer VPC to the cluster, for one authentication
// scheme (MSK developer guide, "Create a managed VPC connection"; CreateVpcConnection in the
// consumer account, allowed by the cluster policy). Tagged with the stack, found by its tags in the
// consumer account (ListVpcConnections) when state does not know its ARN.
import {
  CreateVpcConnectionCommand,
  DeleteVpcConnectionCommand,
  DescribeVpcConnectionCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateListVpcConnections,
  type DescribeVpcConnectionResponse,
} from '@aws-sdk/client-kafka';
import { z } from 'zod';
import { MplError } from '../errors.js';
import {
  TAG_ID,
  TAG_STACK,
  defineKind,
  orGone,
  resourceHandler,
  type HandlerCtx,
  type Live,
  type TagApi,
} from './kind.js';
import { poll } from './shared/poll.js';
import { foundRefs, ofStack } from './shared/scan.js';
import { Ref, Tags } from './shared/schema.js';
import { arn } from '../iam/scope.js';

/** CreateVpcConnection's Authentication values (MSK API reference). */
export const VPC_AUTH = { iam: 'SASL_IAM', scram: 'SASL_SCRAM', tls: 'TLS' } as const;

const Props = z.strictObject({
  clusterArn: z.string(),
  authentication: z.enum(['SASL_IAM', 'SASL_SCRAM', 'TLS']),
  vpcId: z.string(),
  clientSubnets: z.array(z.string()).min(2),
  securityGroups: z.array(Ref).min(1),
  tags: Tags,
});
type Props = z.infer<typeof Props>;
type Conn = DescribeVpcConnectionResponse;

const label = (p: Partial<Props>) => `VPC connection ${p.authentication ?? '?'} from ${p.vpcId ?? '?'}`;

/** States in which a connection never carries traffic again: the next plan makes a new one. */
const GONE = new Set(['DELETING', 'FAILED', 'REJECTED', 'REJECTING', 'INACTIVE', 'DEACTIVATING']);

const kafkaTags: TagApi = {
  async read(ctx, arn) {
    const out = await ctx.aws.kafka.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
    return { ...(out.Tags ?? {}) };
  },
  async write(ctx, arn, set, remove) {
    if (Object.keys(set).length > 0)
      await ctx.aws.kafka.send(new TagResourceCommand({ ResourceArn: arn, Tags: set }));
    if (remove.length > 0)
      await ctx.aws.kafka.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: remove }));
  },
};

const describe = (ctx: HandlerCtx, arn: string) =>
  ctx.aws.kafka.send(new DescribeVpcConnectionCommand({ Arn: arn }));

function observe(ctx: HandlerCtx, c: Conn, like: Partial<Props> | undefined): Live<Props> {
  const groups = (c.SecurityGroups ?? []).map((g) => ctx.idOf(g) ?? g);
  const subnets = c.Subnets ?? [];
  return {
    physicalId: c.VpcConnectionArn ?? '',
    props: {
      clusterArn: c.TargetClusterArn ?? '',
      authentication: (c.Authentication ?? '') as Props['authentication'],
      vpcId: c.VpcId ?? '',
      // In the plan's order when the same set.
      clientSubnets:
        like?.clientSubnets &&
        like.clientSubnets.length === subnets.length &&
        like.clientSubnets.every((s) => subnets.includes(s))
          ? like.clientSubnets
          : subnets,
      securityGroups: groups,
      tags: { ...(c.Tags ?? {}) },
    },
    outputs: { arn: c.VpcConnectionArn ?? '', state: c.State ?? '' },
  };
}

/** The caller's connections that still serve (ListVpcConnections, then each described for its tags). */
async function liveConnections(ctx: HandlerCtx): Promise<Conn[]> {
  const out: Conn[] = [];
  for await (const page of paginateListVpcConnections({ client: ctx.aws.kafka }, {}))
    for (const v of page.VpcConnections ?? []) {
      if (v.VpcConnectionArn === undefined || GONE.has(v.State ?? '')) continue;
      const c = await orGone(label({}), () => describe(ctx, v.VpcConnectionArn as string));
      if (c) out.push(c);
    }
  return out;
}

async function byTags(ctx: HandlerCtx, id: string): Promise<Conn | undefined> {
  return (await liveConnections(ctx)).find((c) => c.Tags?.[TAG_STACK] === ctx.stack && c.Tags[TAG_ID] === id);
}

export const vpcConnection = defineKind({
  kind: 'vpc-connection',
  waits: { create: (t) => t.mskVpcConnectionMs },
  iam: {
    reads: ['kafka:DescribeVpcConnection', 'kafka:ListVpcConnections', 'kafka:ListTagsForResource'],
    writes: (s) => [
      {
        sid: 'MskVpcConnections',
        actions: [
          'kafka:CreateVpcConnection',
          'kafka:DeleteVpcConnection',
          'kafka:TagResource',
          'kafka:UntagResource',
        ],
        // The connection is made for the provider's cluster (another account) in this one.
        resources: [
          `arn:${s.partition}:kafka:${s.region}:*:cluster/*/*`,
          arn(s, 'kafka', 'vpc-connection/*/*/*'),
        ],
      },
      // MSK makes the connection's endpoint with the caller's permissions (MSK developer guide,
      // "Requirements and limitations for multi-VPC private connectivity"): allowed only when MSK
      // makes the call on the caller's behalf (aws:CalledVia, IAM user guide "AWS global condition
      // context keys"), never directly.
      {
        sid: 'MskVpcConnectionEndpoints',
        actions: ['ec2:CreateVpcEndpoint', 'ec2:DeleteVpcEndpoints', 'ec2:CreateTags'],
        resources: ['*'],
        condition: { 'ForAnyValue:StringEquals': { 'aws:CalledVia': 'kafka.amazonaws.com' } },
      },
      {
        sid: 'Read',
        actions: [
          'ec2:DescribeVpcEndpoints',
          'ec2:DescribeVpcAttribute',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeVpcs',
        ],
        resources: ['*'],
      },
    ],
  },
  props: Props,
  terraform: (p, x) => ({
    type: 'aws_msk_vpc_connection',
    args: {
      target_cluster_arn: p.clusterArn,
      authentication: p.authentication,
      vpc_id: p.vpcId,
      client_subnets: p.clientSubnets,
      security_groups: p.securityGroups.map((sg) => x.ref(sg, 'id')),
      tags: p.tags,
    },
  }),
  // Tags are a map in this resource's schema (AWS::MSK::VpcConnection).
  cloudformation: (p, x) => ({
    type: 'AWS::MSK::VpcConnection',
    properties: {
      TargetClusterArn: p.clusterArn,
      Authentication: p.authentication,
      VpcId: p.vpcId,
      ClientSubnets: p.clientSubnets,
      SecurityGroups: p.securityGroups.map((sg) => x.ref(sg, 'GroupId')),
      Tags: p.tags,
    },
  }),
  // MSK has no call that changes a connection: every setting but its tags makes a new one.
  replaceOn: ['clusterArn', 'authentication', 'vpcId', 'clientSubnets', 'securityGroups'],
  hidden: ['tags'],
  label,
  handler: resourceHandler<Props, Conn>({
    label,
    byId: (ctx, arn) => describe(ctx, arn),
    byIdentity: (ctx, id) => byTags(ctx, id),
    isGone: (c) => GONE.has(c.State ?? ''),
    physicalIdOf: (c) => c.VpcConnectionArn ?? '',
    observe: (ctx, c, like) => Promise.resolve(observe(ctx, c, like)),
    async create(ctx, r) {
      const p = r.props;
      const groups = p.securityGroups.map((g) => {
        const v = ctx.ref(g).outputs.groupId ?? ctx.ref(g).physicalId;
        if (typeof v !== 'string' || v === '')
          throw new MplError('REF_MISSING', `${g} has no group id in state`);
        return v;
      });
      const out = await ctx.aws.kafka.send(
        new CreateVpcConnectionCommand({
          TargetClusterArn: p.clusterArn,
          Authentication: p.authentication,
          VpcId: p.vpcId,
          ClientSubnets: p.clientSubnets,
          SecurityGroups: groups,
          Tags: p.tags,
        }),
      );
      if (!out.VpcConnectionArn) return undefined;
      return describe(ctx, out.VpcConnectionArn);
    },
    ready: (ctx, c, what) =>
      poll(`${what} to be available`, ctx.wait, async () => {
        const now = await describe(ctx, c.VpcConnectionArn ?? '');
        if (now.State === 'AVAILABLE') return { done: true, value: now };
        if (GONE.has(now.State ?? '')) return { failed: `state ${now.State}` };
        return { done: false, state: now.State ?? '?' };
      }),
    async remove(ctx, arn) {
      await ctx.aws.kafka.send(new DeleteVpcConnectionCommand({ Arn: arn }));
      // Its network interfaces keep the security group in use until it is gone.
      await poll(`VPC connection ${arn} deletion`, ctx.wait, async () => {
        const now = await orGone(arn, () => describe(ctx, arn));
        return now === undefined || now.State === 'INACTIVE' || now.State === undefined
          ? { done: true, value: undefined }
          : { done: false, state: now.State };
      });
    },
    tags: kafkaTags,
  }),
  async scan(ctx, found) {
    const conns = await liveConnections(ctx);
    const mine = await ofStack(
      ctx,
      'vpc-connection',
      conns,
      (c) => c.Tags,
      (c) => c.VpcConnectionArn ?? '?',
    );
    return mine.map(({ id, item }) => {
      const live = observe(ctx, item, undefined);
      return { id, live, dependsOn: foundRefs(found, live.props.securityGroups) };
    });
  },
  scanAfter: ['security-group'],
});
