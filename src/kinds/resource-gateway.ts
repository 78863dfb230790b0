// Pattern 3's resource gateway (VPC Lattice): the provider VPC's point of entry for the brokers'
// resource configurations, in one subnet per AZ with its own security group. AWS can change only
// its security groups in place (UpdateResourceGateway); the name, VPC and subnets need a new one.
import {
  CreateResourceGatewayCommand,
  DeleteResourceGatewayCommand,
  GetResourceGatewayCommand,
  UpdateResourceGatewayCommand,
  type GetResourceGatewayCommandOutput,
} from '@aws-sdk/client-vpc-lattice';
import { z } from 'zod';
import { cfnTags } from '../export/cfn-types.js';
import { clientToken } from '../planner/names.js';
import type { Instance } from '../state/instance.js';
import { defineKind, orGone, resourceHandler, type HandlerCtx, type Live } from './kind.js';
import { orderStringsLike, azIdsOfSubnets } from './shared/ec2.js';
import { logicalOf, refId } from './shared/ec2-endpoint.js';
import { deleteWhenFree, LATTICE_GONE, latticeTags, listGateways } from './shared/lattice.js';
import { poll } from './shared/poll.js';
import { foundRefs, ofStack } from './shared/scan.js';
import { Ref, Tags } from './shared/schema.js';
import { arn } from '../iam/scope.js';
import { readOnce } from './shared/batched.js';

const Props = z.strictObject({
  name: z.string(),
  vpcId: z.string(),
  subnetIds: z.array(z.string()),
  azIds: z.array(z.string()),
  securityGroups: z.array(Ref),
  clientToken: z.string().max(64),
  tags: Tags,
});
type Props = z.infer<typeof Props>;
type Gateway = GetResourceGatewayCommandOutput;

const label = (p: Partial<Props>) => `resource gateway ${p.name ?? '?'}`;
const isGone = (g: Gateway) => LATTICE_GONE.has(g.status ?? '');

// Once per plan: its scan and its refresh both read the gateway.
const byArn = async (ctx: HandlerCtx, arn: string): Promise<Gateway | undefined> =>
  readOnce(ctx, ctx.aws.lattice, 'vpc-lattice:GetResourceGateway', arn, () =>
    ctx.aws.lattice.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: arn })),
  );

async function byName(ctx: HandlerCtx, name: string): Promise<Gateway | undefined> {
  const found = (await listGateways(ctx)).find((g) => g.name === name && g.arn !== undefined);
  return found ? byArn(ctx, found.arn as string) : undefined;
}

async function observe(ctx: HandlerCtx, g: Gateway, like: Partial<Props> | undefined): Promise<Live<Props>> {
  const arn = g.arn ?? '';
  const subnetIds = orderStringsLike(g.subnetIds ?? [], like?.subnetIds);
  const groups = (g.securityGroupIds ?? []).map((sg) => logicalOf(ctx, sg));
  return {
    physicalId: arn,
    props: {
      name: g.name ?? '',
      vpcId: g.vpcId ?? '',
      subnetIds,
      azIds: await azIdsOfSubnets(ctx, subnetIds),
      securityGroups: orderStringsLike(groups, like?.securityGroups),
      clientToken: like?.clientToken ?? '',
      tags: await latticeTags.read(ctx, arn),
    },
    outputs: { arn, gatewayId: g.id ?? '', status: g.status ?? '' },
  };
}

export const resourceGateway = defineKind({
  kind: 'resource-gateway',
  waits: { create: (t) => t.resourceGatewayActiveMs },
  iam: {
    reads: [
      'vpc-lattice:GetResourceGateway',
      'vpc-lattice:ListResourceGateways',
      'vpc-lattice:ListTagsForResource',
    ],
    writes: (s) => [
      {
        sid: 'VpcResources',
        actions: [
          'vpc-lattice:CreateResourceGateway',
          'vpc-lattice:UpdateResourceGateway',
          'vpc-lattice:DeleteResourceGateway',
          'vpc-lattice:TagResource',
          'vpc-lattice:UntagResource',
        ],
        resources: [arn(s, 'vpc-lattice', 'resourcegateway/*')],
      },
    ],
  },
  props: Props,
  cloudformation: (p, x) => ({
    type: 'AWS::VpcLattice::ResourceGateway',
    properties: {
      Name: p.name,
      VpcIdentifier: p.vpcId,
      SubnetIds: p.subnetIds,
      SecurityGroupIds: p.securityGroups.map((sg) => x.ref(sg, 'GroupId')),
      IpAddressType: 'IPV4',
      Tags: cfnTags(p.tags),
    },
  }),
  replaceOn: ['name', 'vpcId', 'subnetIds', 'azIds'],
  ignored: ['clientToken'],
  hidden: ['tags', 'clientToken'],
  // No hourly charge of its own: VPC resources are billed at the consumer's resource endpoint and per
  // GB (AWS PrivateLink pricing, "Resource endpoint"; Amazon VPC Lattice pricing, "VPC resources").
  label,
  handler: resourceHandler<Props, Gateway>({
    label,
    byId: byArn,
    byIdentity: (ctx, _id, props) => (props.name ? byName(ctx, props.name) : Promise.resolve(undefined)),
    isGone,
    physicalIdOf: (g) => g.arn ?? '',
    observe,
    async create(ctx, r) {
      const token = r.props.clientToken || clientToken(ctx.stack, ctx.aws.account, r.id);
      const made = await ctx.aws.lattice.send(
        new CreateResourceGatewayCommand({
          name: r.props.name,
          vpcIdentifier: r.props.vpcId,
          subnetIds: r.props.subnetIds,
          securityGroupIds: r.props.securityGroups.map((sg) => refId(ctx, sg, 'groupId')),
          ipAddressType: 'IPV4',
          clientToken: token,
          tags: r.props.tags,
        }),
      );
      return made.arn === undefined ? undefined : byArn(ctx, made.arn);
    },
    async ready(ctx, g, what) {
      const arn = g.arn ?? '';
      return poll(`${what} to be active`, ctx.wait, async () => {
        const now = await orGone(what, () => byArn(ctx, arn));
        if (now === undefined) return { failed: 'disappeared' };
        if (now.status === 'ACTIVE') return { done: true, value: now };
        if (now.status?.endsWith('FAILED') || now.status === 'DELETE_IN_PROGRESS')
          return { failed: `status ${now.status}` };
        return { done: false, state: now.status ?? 'unknown' };
      });
    },
    async update(ctx, r, before) {
      await ctx.aws.lattice.send(
        new UpdateResourceGatewayCommand({
          resourceGatewayIdentifier: before.physicalId,
          securityGroupIds: r.props.securityGroups.map((sg) => refId(ctx, sg, 'groupId')),
        }),
      );
    },
    async remove(ctx, arn, props, id) {
      await deleteWhenFree(ctx, `${label(props)} (${id})`, () =>
        ctx.aws.lattice.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: arn })),
      );
      await poll(`${label(props)} (${id}) to be deleted`, ctx.wait, async () => {
        const now = await orGone(label(props), () => byArn(ctx, arn));
        return now === undefined
          ? { done: true, value: undefined }
          : { done: false, state: now.status ?? '?' };
      });
    },
    inUseHint: 'resource configurations still use it: they are deleted first',
    tags: latticeTags,
  }),
  async scan(ctx, found: ReadonlyMap<string, Instance>) {
    const live: Gateway[] = [];
    for (const g of await listGateways(ctx)) {
      if (g.arn === undefined) continue;
      const full = await orGone(`resource gateway ${g.arn}`, () => byArn(ctx, g.arn as string));
      if (full !== undefined && !isGone(full)) live.push(full);
    }
    const tagsOf = new Map<string, Record<string, string>>();
    for (const g of live) tagsOf.set(g.arn as string, await latticeTags.read(ctx, g.arn as string));
    const mine = await ofStack(
      ctx,
      'resource-gateway',
      live,
      (g) => tagsOf.get(g.arn as string),
      (g) => `resource gateway ${g.name ?? g.arn}`,
    );
    return Promise.all(
      mine.map(async ({ id, item }) => {
        const o = await observe(ctx, item, { clientToken: clientToken(ctx.stack, ctx.aws.account, id) });
        return { id, live: o, dependsOn: foundRefs(found, o.props.securityGroups) };
      }),
    );
  },
  scanAfter: ['security-group'],
});
