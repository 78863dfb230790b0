// Pattern 3's AWS RAM share: the group resource configuration shared with the consumer accounts
// (VPC Lattice user guide, "Sharing resource configurations through AWS RAM"). Principals and
// resources change in place (AssociateResourceShare / DisassociateResourceShare); the name and
// allowExternalPrincipals are kept as made.
import {
  AssociateResourceShareCommand,
  CreateResourceShareCommand,
  DeleteResourceShareCommand,
  DisassociateResourceShareCommand,
  GetResourceShareAssociationsCommand,
  GetResourceSharesCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type ResourceShare,
  type ResourceShareAssociation,
} from '@aws-sdk/client-ram';
import { z } from 'zod';
import { cfnTags } from '../export/cfn-types.js';
import type { Instance } from '../state/instance.js';
import { defineKind, orGone, resourceHandler, type HandlerCtx, type Live, type TagApi } from './kind.js';
import { compareStrings, orderStringsLike } from './shared/ec2.js';
import { logicalOf } from './shared/ec2-endpoint.js';
import { childrenOf } from './shared/lattice.js';
import { poll } from './shared/poll.js';
import { foundRefs, ofStack } from './shared/scan.js';
import { Ref, Tags } from './shared/schema.js';
import { arn } from '../iam/scope.js';

const Props = z.strictObject({
  name: z.string(),
  /** The shared resources (the group resource configuration), as logical ids. */
  resources: z.array(Ref),
  /** Consumer account ids, sorted. */
  principals: z.array(z.string()),
  /** Accounts outside the provider's AWS Organization need it (RAM API reference, CreateResourceShare). */
  allowExternalPrincipals: z.boolean(),
  tags: Tags,
});
type Props = z.infer<typeof Props>;

const label = (p: Partial<Props>) => `resource share ${p.name ?? '?'}`;
// RAM share statuses: PENDING, ACTIVE, FAILED, DELETING, DELETED (RAM API reference, ResourceShare).
const isGone = (s: ResourceShare) => ['DELETING', 'DELETED', 'FAILED'].includes(s.status ?? '');
const tagMapOf = (s: ResourceShare) =>
  Object.fromEntries((s.tags ?? []).flatMap((t) => (t.key === undefined ? [] : [[t.key, t.value ?? '']])));

async function shares(ctx: HandlerCtx, q: { arn?: string; name?: string }): Promise<ResourceShare[]> {
  const out: ResourceShare[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.aws.ram.send(
      new GetResourceSharesCommand({
        resourceOwner: 'SELF',
        ...(q.arn === undefined ? {} : { resourceShareArns: [q.arn] }),
        ...(q.name === undefined ? {} : { name: q.name }),
        nextToken,
      }),
    );
    out.push(...(page.resourceShares ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

async function associations(
  ctx: HandlerCtx,
  arn: string,
  type: 'PRINCIPAL' | 'RESOURCE',
): Promise<ResourceShareAssociation[]> {
  const out: ResourceShareAssociation[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.aws.ram.send(
      new GetResourceShareAssociationsCommand({ associationType: type, resourceShareArns: [arn], nextToken }),
    );
    out.push(...(page.resourceShareAssociations ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  // An association on its way in counts; one failed or on its way out does not.
  return out.filter((a) => ['ASSOCIATED', 'ASSOCIATING'].includes(a.status ?? ''));
}

const byArn = async (ctx: HandlerCtx, arn: string) => (await shares(ctx, { arn }))[0];

const ramTags: TagApi = {
  async read(ctx, arn) {
    const s = await byArn(ctx, arn);
    return s ? tagMapOf(s) : {};
  },
  async write(ctx, arn, set, remove) {
    if (Object.keys(set).length > 0)
      await ctx.aws.ram.send(
        new TagResourceCommand({
          resourceShareArn: arn,
          tags: Object.entries(set).map(([key, value]) => ({ key, value })),
        }),
      );
    if (remove.length > 0)
      await ctx.aws.ram.send(new UntagResourceCommand({ resourceShareArn: arn, tagKeys: remove }));
  },
};

async function observe(
  ctx: HandlerCtx,
  s: ResourceShare,
  like: Partial<Props> | undefined,
): Promise<Live<Props>> {
  const arn = s.resourceShareArn ?? '';
  const [principals, resources] = await Promise.all([
    associations(ctx, arn, 'PRINCIPAL'),
    associations(ctx, arn, 'RESOURCE'),
  ]);
  return {
    physicalId: arn,
    props: {
      name: s.name ?? '',
      resources: orderStringsLike(
        resources.map((a) => logicalOf(ctx, a.associatedEntity ?? '')),
        like?.resources,
      ),
      principals: principals.map((a) => a.associatedEntity ?? '').sort(compareStrings),
      allowExternalPrincipals: s.allowExternalPrincipals ?? false,
      tags: tagMapOf(s),
    },
    outputs: { arn, status: s.status ?? '' },
  };
}

const arnsOf = (ctx: HandlerCtx, refs: string[]) => refs.map((r) => ctx.ref(r).physicalId);

export const resourceShare = defineKind({
  kind: 'resource-share',
  iam: {
    reads: ['ram:GetResourceShares', 'ram:GetResourceShareAssociations'],
    writes: (s) => [
      {
        sid: 'ResourceShares',
        actions: [
          'ram:CreateResourceShare',
          'ram:AssociateResourceShare',
          'ram:DisassociateResourceShare',
          'ram:DeleteResourceShare',
          'ram:TagResource',
          'ram:UntagResource',
        ],
        resources: [arn(s, 'ram', 'resource-share/*')],
      },
      // Sharing a resource configuration puts a resource policy on it (AWS RAM user guide,
      // "Shareable AWS resources": VPC Lattice).
      {
        sid: 'VpcResourcesSharing',
        actions: [
          'vpc-lattice:PutResourcePolicy',
          'vpc-lattice:GetResourcePolicy',
          'vpc-lattice:DeleteResourcePolicy',
        ],
        resources: [arn(s, 'vpc-lattice', 'resourceconfiguration/*')],
      },
    ],
  },
  props: Props,
  cloudformation: (p, x) => ({
    type: 'AWS::RAM::ResourceShare',
    properties: {
      Name: p.name,
      ResourceArns: p.resources.map((id) => x.ref(id, 'Arn')),
      Principals: p.principals,
      AllowExternalPrincipals: p.allowExternalPrincipals,
      Tags: cfnTags(p.tags),
    },
  }),
  replaceOn: ['name', 'allowExternalPrincipals'],
  hidden: ['tags'],
  label,
  handler: resourceHandler<Props, ResourceShare>({
    label,
    byId: byArn,
    async byIdentity(ctx, _id, props) {
      if (!props.name) return undefined;
      return (await shares(ctx, { name: props.name })).find((s) => !isGone(s));
    },
    isGone,
    physicalIdOf: (s) => s.resourceShareArn ?? '',
    observe,
    async create(ctx, r) {
      const out = await ctx.aws.ram.send(
        new CreateResourceShareCommand({
          name: r.props.name,
          resourceArns: arnsOf(ctx, r.props.resources),
          principals: r.props.principals,
          allowExternalPrincipals: r.props.allowExternalPrincipals,
          tags: Object.entries(r.props.tags).map(([key, value]) => ({ key, value })),
        }),
      );
      return out.resourceShare;
    },
    async update(ctx, r, before) {
      const arn = before.physicalId;
      const wantResources = arnsOf(ctx, r.props.resources);
      const haveResources = (await associations(ctx, arn, 'RESOURCE')).map((a) => a.associatedEntity ?? '');
      const addP = r.props.principals.filter((p) => !before.props.principals.includes(p));
      const dropP = before.props.principals.filter((p) => !r.props.principals.includes(p));
      const addR = wantResources.filter((x) => !haveResources.includes(x));
      const dropR = haveResources.filter((x) => !wantResources.includes(x));
      if (addP.length + addR.length > 0)
        await ctx.aws.ram.send(
          new AssociateResourceShareCommand({
            resourceShareArn: arn,
            ...(addP.length > 0 ? { principals: addP } : {}),
            ...(addR.length > 0 ? { resourceArns: addR } : {}),
          }),
        );
      if (dropP.length + dropR.length > 0)
        await ctx.aws.ram.send(
          new DisassociateResourceShareCommand({
            resourceShareArn: arn,
            ...(dropP.length > 0 ? { principals: dropP } : {}),
            ...(dropR.length > 0 ? { resourceArns: dropR } : {}),
          }),
        );
    },
    async remove(ctx, arn, props, id) {
      await ctx.aws.ram.send(new DeleteResourceShareCommand({ resourceShareArn: arn }));
      await poll(`${label(props)} (${id}) to be deleted`, ctx.wait, async () => {
        const now = await orGone(label(props), () => byArn(ctx, arn));
        return now === undefined || now.status === 'DELETED'
          ? { done: true, value: undefined }
          : { done: false, state: now.status ?? '?' };
      });
    },
    tags: ramTags,
  }),
  async scan(ctx, found: ReadonlyMap<string, Instance>) {
    const live = (await shares(ctx, {})).filter((s) => !isGone(s));
    const mine = await ofStack(
      ctx,
      'resource-share',
      live,
      tagMapOf,
      (s) => `resource share ${s.name ?? '?'}`,
    );
    return Promise.all(
      mine.map(async ({ id, item }) => {
        const o = await observe(ctx, item, undefined);
        const groups = foundRefs(found, o.props.resources);
        return { id, live: o, dependsOn: [...groups, ...groups.flatMap((g) => childrenOf(found, g))] };
      }),
    );
  },
  scanAfter: ['resource-configuration'],
});
