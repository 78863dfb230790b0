// Pattern 3's resource configurations (VPC Lattice): one GROUP on the resource gateway, whose
// group domain is the cluster's sub-domain, and one CHILD per broker that targets the broker (its
// DNS name or its IP) under the broker's own name as custom domain name, so clients keep the names
// the brokers' certificates carry. AWS changes only the port ranges and the target in place
// (UpdateResourceConfiguration); anything else needs a new configuration.
import {
  CreateResourceConfigurationCommand,
  DeleteResourceConfigurationCommand,
  GetResourceConfigurationCommand,
  UpdateResourceConfigurationCommand,
  type GetResourceConfigurationCommandOutput,
  type ResourceConfigurationDefinition,
} from '@aws-sdk/client-vpc-lattice';
import { z } from 'zod';
import { MplError } from '../errors.js';
import { AWS_PROVIDER_VERSION } from '../export/terraform.js';
import { cfnTags } from '../export/cfn-types.js';
import { clientToken } from '../planner/names.js';
import type { Instance } from '../state/instance.js';
import { defineKind, orGone, resourceHandler, type HandlerCtx, type Live } from './kind.js';
import { tryRef } from './shared/ec2-endpoint.js';
import { deleteWhenFree, LATTICE_GONE, latticeTags, listConfigurations } from './shared/lattice.js';
import { poll } from './shared/poll.js';
import { foundRefs, ofStack } from './shared/scan.js';
import { Ref, Tags } from './shared/schema.js';
import { arn } from '../iam/scope.js';
import { readOnce } from './shared/batched.js';

const Target = z.union([z.strictObject({ dns: z.string() }), z.strictObject({ ip: z.string() })]);

const Props = z.strictObject({
  type: z.enum(['GROUP', 'CHILD']),
  name: z.string(),
  /** GROUP: the resource gateway (a child inherits its group's). */
  gateway: Ref.optional(),
  /** CHILD: its group. */
  group: Ref.optional(),
  /** TCP port ranges clients may use, such as "9094" or "9092-9098". */
  portRanges: z.array(z.string()),
  /** GROUP: every child's custom domain name is a sub-domain of it. */
  groupDomain: z.string().optional(),
  /** CHILD: the name clients use (the broker's own). */
  customDomainName: z.string().optional(),
  /** CHILD: what the gateway forwards to. */
  target: Target.optional(),
  clientToken: z.string().max(64),
  tags: Tags,
});
type Props = z.infer<typeof Props>;
type Config = GetResourceConfigurationCommandOutput;

const label = (p: Partial<Props>) =>
  `resource configuration ${p.name ?? '?'}${p.type === 'GROUP' ? ' (group)' : ''}`;
const isGone = (c: Config) => LATTICE_GONE.has(c.status ?? '');

// Once per plan: its scan and its refresh both read each configuration (no batch call exists).
const byArn = (ctx: HandlerCtx, arn: string): Promise<Config> =>
  readOnce(ctx, ctx.aws.lattice, 'vpc-lattice:GetResourceConfiguration', arn, () =>
    ctx.aws.lattice.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: arn })),
  );

async function byName(ctx: HandlerCtx, name: string): Promise<Config | undefined> {
  const found = (await listConfigurations(ctx)).find((c) => c.name === name && c.arn !== undefined);
  return found ? byArn(ctx, found.arn as string) : undefined;
}

function definitionOf(t: Props['target']): ResourceConfigurationDefinition | undefined {
  if (t === undefined) return undefined;
  return 'dns' in t
    ? { dnsResource: { domainName: t.dns, ipAddressType: 'IPV4' } }
    : { ipResource: { ipAddress: t.ip } };
}

function targetOf(d: ResourceConfigurationDefinition | undefined): Props['target'] {
  if (d?.dnsResource?.domainName !== undefined) return { dns: d.dnsResource.domainName };
  if (d?.ipResource?.ipAddress !== undefined) return { ip: d.ipResource.ipAddress };
  return undefined;
}

/** A parent's AWS id (gateway or group) as the logical id that made it, when the plan names it. */
function parentRef(
  ctx: HandlerCtx,
  awsId: string | undefined,
  like: string | undefined,
  output: string,
): string | undefined {
  if (awsId === undefined || awsId === '') return undefined;
  if (like !== undefined && tryRef(ctx, like)?.outputs[output] === awsId) return like;
  // Found without state (scan): the parent's instance has the id among its outputs.
  return ctx.idOf(awsId) ?? awsId;
}

function parentId(ctx: HandlerCtx, ref: string, output: string): string {
  const v = ctx.ref(ref).outputs[output];
  return typeof v === 'string' && v !== '' ? v : ctx.ref(ref).physicalId;
}

async function observe(ctx: HandlerCtx, c: Config, like: Partial<Props> | undefined): Promise<Live<Props>> {
  const arn = c.arn ?? '';
  const type = c.type === 'GROUP' ? 'GROUP' : 'CHILD';
  const gateway =
    type === 'GROUP' ? parentRef(ctx, c.resourceGatewayId, like?.gateway, 'gatewayId') : undefined;
  const group =
    type === 'CHILD' ? parentRef(ctx, c.resourceConfigurationGroupId, like?.group, 'configId') : undefined;
  const target = targetOf(c.resourceConfigurationDefinition);
  return {
    physicalId: arn,
    props: {
      type,
      name: c.name ?? '',
      ...(gateway === undefined ? {} : { gateway }),
      ...(group === undefined ? {} : { group }),
      portRanges: [...(c.portRanges ?? [])],
      ...(c.groupDomain === undefined ? {} : { groupDomain: c.groupDomain }),
      ...(c.customDomainName === undefined ? {} : { customDomainName: c.customDomainName }),
      ...(target === undefined ? {} : { target }),
      clientToken: like?.clientToken ?? '',
      tags: await latticeTags.read(ctx, arn),
    },
    outputs: { arn, configId: c.id ?? '', status: c.status ?? '' },
  };
}

export const resourceConfiguration = defineKind({
  kind: 'resource-configuration',
  iam: {
    reads: [
      'vpc-lattice:GetResourceConfiguration',
      'vpc-lattice:ListResourceConfigurations',
      'vpc-lattice:ListTagsForResource',
    ],
    writes: (s) => [
      {
        sid: 'VpcResources',
        actions: [
          'vpc-lattice:CreateResourceConfiguration',
          'vpc-lattice:UpdateResourceConfiguration',
          'vpc-lattice:DeleteResourceConfiguration',
          'vpc-lattice:TagResource',
          'vpc-lattice:UntagResource',
        ],
        // A configuration is created on its resource gateway.
        resources: [
          arn(s, 'vpc-lattice', 'resourceconfiguration/*'),
          arn(s, 'vpc-lattice', 'resourcegateway/*'),
        ],
      },
    ],
  },
  props: Props,
  // hashicorp/aws 5.100.0's aws_vpclattice_resource_configuration has no custom domain name or
  // group domain (its schema), which pattern 3's broker names need.
  terraform: () => {
    throw new MplError(
      'EXPORT_UNSUPPORTED',
      `export --format terraform does not cover pattern 3: hashicorp/aws ${AWS_PROVIDER_VERSION} has no custom domain name for a resource configuration, which the broker names need; use --format cloudformation`,
    );
  },
  // Ref is the ARN; the group and gateway are asked for by id (CloudFormation resource schema).
  cloudformation: (p, x) => ({
    type: 'AWS::VpcLattice::ResourceConfiguration',
    properties: {
      Name: p.name,
      ResourceConfigurationType: p.type,
      PortRanges: p.portRanges,
      ...(p.type === 'GROUP'
        ? {
            ProtocolType: 'TCP',
            ResourceGatewayId: x.ref(p.gateway ?? '', 'Id'),
            ...(p.groupDomain === undefined ? {} : { GroupDomain: p.groupDomain }),
          }
        : {
            ResourceConfigurationGroupId: x.ref(p.group ?? '', 'Id'),
            ...(p.target === undefined
              ? {}
              : {
                  ResourceConfigurationDefinition:
                    'dns' in p.target
                      ? { DnsResource: { DomainName: p.target.dns, IpAddressType: 'IPV4' } }
                      : { IpResource: p.target.ip },
                }),
            ...(p.customDomainName === undefined ? {} : { CustomDomainName: p.customDomainName }),
          }),
      Tags: cfnTags(p.tags),
    },
  }),
  replaceOn: ['type', 'name', 'gateway', 'group', 'groupDomain', 'customDomainName'],
  ignored: ['clientToken'],
  hidden: ['tags', 'clientToken'],
  label,
  handler: resourceHandler<Props, Config>({
    label,
    byId: byArn,
    byIdentity: (ctx, _id, props) => (props.name ? byName(ctx, props.name) : Promise.resolve(undefined)),
    isGone,
    physicalIdOf: (c) => c.arn ?? '',
    observe,
    async create(ctx, r) {
      const p = r.props;
      const made = await ctx.aws.lattice.send(
        new CreateResourceConfigurationCommand({
          name: p.name,
          type: p.type,
          portRanges: p.portRanges,
          ...(p.type === 'GROUP'
            ? {
                protocol: 'TCP',
                resourceGatewayIdentifier: parentId(ctx, p.gateway ?? '', 'gatewayId'),
                ...(p.groupDomain === undefined ? {} : { groupDomain: p.groupDomain }),
              }
            : {
                resourceConfigurationGroupIdentifier: parentId(ctx, p.group ?? '', 'configId'),
                resourceConfigurationDefinition: definitionOf(p.target),
                ...(p.customDomainName === undefined ? {} : { customDomainName: p.customDomainName }),
              }),
          clientToken: p.clientToken || clientToken(ctx.stack, ctx.aws.account, r.id),
          tags: p.tags,
        }),
      );
      return made.arn === undefined ? undefined : byArn(ctx, made.arn);
    },
    async ready(ctx, c, what) {
      const arn = c.arn ?? '';
      return poll(`${what} to be active`, ctx.wait, async () => {
        const now = await orGone(what, () => byArn(ctx, arn));
        if (now === undefined) return { failed: 'disappeared' };
        if (now.status === 'ACTIVE') return { done: true, value: now };
        if (now.status?.endsWith('FAILED'))
          return { failed: `status ${now.status}${now.failureReason ? `: ${now.failureReason}` : ''}` };
        return { done: false, state: now.status ?? 'unknown' };
      });
    },
    async update(ctx, r, before) {
      await ctx.aws.lattice.send(
        new UpdateResourceConfigurationCommand({
          resourceConfigurationIdentifier: before.physicalId,
          portRanges: r.props.portRanges,
          ...(r.props.type === 'CHILD'
            ? { resourceConfigurationDefinition: definitionOf(r.props.target) }
            : {}),
        }),
      );
    },
    async remove(ctx, arn, props, id) {
      await deleteWhenFree(ctx, `${label(props)} (${id})`, () =>
        ctx.aws.lattice.send(
          new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: arn }),
        ),
      );
      await poll(`${label(props)} (${id}) to be deleted`, ctx.wait, async () => {
        const now = await orGone(label(props), () => byArn(ctx, arn));
        return now === undefined
          ? { done: true, value: undefined }
          : { done: false, state: now.status ?? '?' };
      });
    },
    inUseHint: 'a resource endpoint or a child still uses it: those are deleted first',
    tags: latticeTags,
  }),
  async scan(ctx, found: ReadonlyMap<string, Instance>) {
    const live: Config[] = [];
    for (const c of await listConfigurations(ctx)) {
      if (c.arn === undefined) continue;
      const full = await orGone(`resource configuration ${c.arn}`, () => byArn(ctx, c.arn as string));
      if (full !== undefined && !isGone(full)) live.push(full);
    }
    const tagsOf = new Map<string, Record<string, string>>();
    for (const c of live) tagsOf.set(c.arn as string, await latticeTags.read(ctx, c.arn as string));
    // Groups first, so a child's group is among the found when the child is observed.
    live.sort((a, b) => (a.type === 'GROUP' ? 0 : 1) - (b.type === 'GROUP' ? 0 : 1));
    const mine = await ofStack(
      ctx,
      'resource-configuration',
      live,
      (c) => tagsOf.get(c.arn as string),
      (c) => `resource configuration ${c.name ?? c.arn}`,
    );
    // Parents are reported by their short ids, not the ARNs state keys instances by.
    const byShortId = new Map<string, string>();
    for (const i of found.values())
      if (typeof i.outputs.gatewayId === 'string') byShortId.set(i.outputs.gatewayId, i.id);
    for (const { id, item } of mine) if (item.id !== undefined) byShortId.set(item.id, id);
    return Promise.all(
      mine.map(async ({ id, item }) => {
        const o = await observe(ctx, item, { clientToken: clientToken(ctx.stack, ctx.aws.account, id) });
        if (o.props.gateway !== undefined)
          o.props.gateway = byShortId.get(o.props.gateway) ?? o.props.gateway;
        if (o.props.group !== undefined) o.props.group = byShortId.get(o.props.group) ?? o.props.group;
        const refs = [o.props.gateway, o.props.group].filter((x): x is string => x !== undefined);
        // A child depends on its group, found in this same scan.
        const group = mine.some((m) => m.id === o.props.group) ? [o.props.group as string] : [];
        return { id, live: o, dependsOn: [...new Set([...foundRefs(found, refs), ...group])] };
      }),
    );
  },
  scanAfter: ['resource-gateway'],
});
