// Pattern 3's consumer side: a VPC endpoint of type Resource to the shared group resource
// configuration, with private DNS on for exactly the brokers' names, so VPC Lattice's managed
// private hosted zone answers them in this VPC (EC2 API reference, CreateVpcEndpoint
// `ResourceConfigurationArn` and DnsOptionsSpecification `PrivateDnsPreference`). No acceptance:
// access is granted by the RAM share. Security groups and the DNS options change in place
// (ModifyVpcEndpoint); "After you create a resource endpoint, you can only modify its security
// groups or tags" (AWS PrivateLink guide, "Access VPC resources through a resource endpoint"), so
// the VPC, the configuration and the subnets need a new endpoint. Whether that sentence also rules
// out the DNS options (added later, with custom domain names) is not documented: docs/patterns.md.
import {
  CreateVpcEndpointCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcEndpointCommand,
  paginateDescribeVpcEndpoints,
  type Filter,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { cfnTags } from '../export/cfn-types.js';
import { MplError } from '../errors.js';
import { clientToken } from '../planner/names.js';
import type { Instance } from '../state/instance.js';
import {
  attempt,
  defineKind,
  orGone,
  ownedBy,
  resourceHandler,
  TAG_STACK,
  type HandlerCtx,
  type Live,
} from './kind.js';
import { compareStrings, ec2Tags, orderStringsLike, tagMap, tagSpec, azIdsOfSubnets } from './shared/ec2.js';
import {
  endpointById,
  logicalOf,
  primeEndpoint,
  refId,
  tagFilters,
  untilListed,
  withClientToken,
} from './shared/ec2-endpoint.js';
import { childrenOf } from './shared/lattice.js';
import { poll } from './shared/poll.js';
import { foundRefs, ofStack, stackTagFilter } from './shared/scan.js';
import { Ref, Tags } from './shared/schema.js';
import { deleteAndWait, ENDPOINT_GONE_STATES } from './vpc-endpoint.js';
import { ec2StackResource } from '../iam/scope.js';

/**
 * Which custom domain names VPC Lattice makes private hosted zones for: SPECIFIED_DOMAINS_ONLY with
 * the brokers' names. The brokers' names are under amazonaws.com, which a provider cannot verify, so
 * VERIFIED_DOMAINS_ONLY would give no zone, and ALL_DOMAINS would accept whatever names the provider
 * puts on the configuration (EC2 API reference, DnsOptionsSpecification).
 */
export const PRIVATE_DNS_PREFERENCE = 'SPECIFIED_DOMAINS_ONLY';

const Props = z.strictObject({
  name: z.string(),
  vpcId: z.string(),
  resourceConfiguration: Ref,
  subnetIds: z.array(z.string()),
  azIds: z.array(z.string()),
  securityGroups: z.array(Ref),
  /**
   * VPC Lattice's managed private DNS (pattern3.dns: managed); off when the stack's own zone answers
   * the names (zone). Fixed at creation ("The private DNS enabled parameter cannot be changed").
   */
  privateDns: z.boolean(),
  /** The names VPC Lattice answers in this VPC (sorted): the brokers' own; [] without private DNS. */
  privateDnsDomains: z.array(z.string()),
  clientToken: z.string().max(64),
  tags: Tags,
});
type Props = z.infer<typeof Props>;

const stateOf = (e: VpcEndpoint) => (e.State ?? '').toLowerCase();
const isGone = (e: VpcEndpoint) => ENDPOINT_GONE_STATES.has(stateOf(e));
const label = (p: Partial<Props>) => `resource endpoint ${p.name ?? '?'}`;

async function byId(ctx: HandlerCtx, endpointId: string): Promise<VpcEndpoint | undefined> {
  const out = await ctx.aws.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }));
  return out.VpcEndpoints?.[0];
}

async function allTagged(ctx: HandlerCtx, filters: Filter[]): Promise<VpcEndpoint[]> {
  const found: VpcEndpoint[] = [];
  for await (const page of paginateDescribeVpcEndpoints({ client: ctx.aws.ec2 }, { Filters: filters })) {
    for (const e of page.VpcEndpoints ?? []) {
      // A plan's refresh takes what its scan listed (aws/read-batch.ts).
      primeEndpoint(ctx, e);
      if ((e.VpcEndpointType ?? '') === 'Resource') found.push(e);
    }
  }
  return found.sort((a, b) => (a.CreationTimestamp?.getTime() ?? 0) - (b.CreationTimestamp?.getTime() ?? 0));
}

async function byTags(ctx: HandlerCtx, id: string): Promise<VpcEndpoint | undefined> {
  return (await allTagged(ctx, tagFilters(ctx.stack, id))).find(
    (e) => ownedBy(ctx, id, tagMap(e.Tags)) && !isGone(e),
  );
}

async function observe(
  ctx: HandlerCtx,
  e: VpcEndpoint,
  like: Partial<Props> | undefined,
): Promise<Live<Props>> {
  const subnetIds = orderStringsLike(e.SubnetIds ?? [], like?.subnetIds);
  const groups = (e.Groups ?? []).flatMap((g) =>
    g.GroupId === undefined ? [] : [logicalOf(ctx, g.GroupId)],
  );
  const tags = tagMap(e.Tags);
  // Private DNS off (or another preference) leaves the names unanswered: read as no names, so the diff shows it.
  const dnsOn = e.PrivateDnsEnabled === true && e.DnsOptions?.PrivateDnsPreference === PRIVATE_DNS_PREFERENCE;
  return {
    physicalId: e.VpcEndpointId ?? '',
    props: {
      name: tags.Name ?? '',
      vpcId: e.VpcId ?? '',
      resourceConfiguration: logicalOf(ctx, e.ResourceConfigurationArn ?? ''),
      subnetIds,
      azIds: await azIdsOfSubnets(ctx, subnetIds),
      securityGroups: orderStringsLike(groups, like?.securityGroups),
      privateDns: e.PrivateDnsEnabled ?? false,
      privateDnsDomains: dnsOn
        ? [...(e.DnsOptions?.PrivateDnsSpecifiedDomains ?? [])].sort(compareStrings)
        : [],
      clientToken: like?.clientToken ?? '',
      tags,
    },
    outputs: {
      endpointId: e.VpcEndpointId ?? '',
      dnsName: e.DnsEntries?.[0]?.DnsName ?? '',
      state: e.State ?? '',
      childEntries: childEntriesOf(e),
    },
  };
}

/**
 * One DNS entry per resource behind the endpoint, each named after its configuration:
 * `<vpce id>.<rcfg id>.<label>.vpc-lattice-rsc.<region>.on.aws` (AWS CLI reference,
 * describe-vpc-endpoint-associations example), kept as "configId|name|zone" for alias records.
 */
function childEntriesOf(e: VpcEndpoint): string[] {
  return (e.DnsEntries ?? []).flatMap((d) => {
    const rcfg = /^[^.]+\.(rcfg-[0-9a-z]+)\./.exec(d.DnsName ?? '')?.[1];
    return rcfg && d.DnsName && d.HostedZoneId ? [`${rcfg}|${d.DnsName}|${d.HostedZoneId}`] : [];
  });
}

const dnsOptions = (p: Props) => ({
  PrivateDnsPreference: PRIVATE_DNS_PREFERENCE,
  PrivateDnsSpecifiedDomains: p.privateDnsDomains,
});

export const resourceEndpoint = defineKind({
  kind: 'resource-endpoint',
  iam: {
    reads: ['ec2:DescribeVpcEndpoints', 'ec2:DescribeTags'],
    writes: (s) =>
      ec2StackResource(s, 'ec2:CreateVpcEndpoint', ['ec2:ModifyVpcEndpoint', 'ec2:DeleteVpcEndpoints']),
  },
  props: Props,
  cloudformation: (p, x) => ({
    type: 'AWS::EC2::VPCEndpoint',
    properties: {
      VpcEndpointType: 'Resource',
      VpcId: p.vpcId,
      ResourceConfigurationArn: x.ref(p.resourceConfiguration, 'Arn'),
      SubnetIds: p.subnetIds,
      SecurityGroupIds: p.securityGroups.map((sg) => x.ref(sg, 'GroupId')),
      PrivateDnsEnabled: p.privateDns,
      ...(p.privateDns ? { DnsOptions: dnsOptions(p) } : {}),
      Tags: cfnTags(p.tags),
    },
  }),
  replaceOn: ['vpcId', 'resourceConfiguration', 'subnetIds', 'azIds', 'privateDns'],
  ignored: ['clientToken'],
  hidden: ['tags', 'clientToken'],
  // Billed like an interface endpoint, per hour per AZ it has a network interface in (AWS PrivateLink
  // pricing, "Resource endpoints"; priced with the interface endpoint rate, see docs/cost-model.md).
  billing: (p) => ({ meter: 'resource-endpoint-az-hours', quantity: p.subnetIds.length }),
  waits: { create: (t) => t.endpointAvailableMs },
  label,
  handler: resourceHandler<Props, VpcEndpoint>({
    label,
    byId: (ctx, endpointId) => endpointById(ctx, endpointId, (one) => byId(ctx, one)),
    byIdentity: (ctx, id) => byTags(ctx, id),
    isGone,
    physicalIdOf: (e) => e.VpcEndpointId ?? '',
    observe,
    async create(ctx, r) {
      const arn = ctx.ref(r.props.resourceConfiguration).physicalId;
      const what = `${label(r.props)} (${r.id})`;
      const adopted = await byTags(ctx, r.id);
      if (adopted !== undefined) {
        ctx.log(`${r.id}: adopting resource endpoint ${adopted.VpcEndpointId} found by its tags`);
        return adopted;
      }
      const made = await withClientToken(
        ctx,
        r.id,
        'resource endpoint',
        r.props.clientToken,
        async (token) => {
          const out = await ctx.aws.ec2.send(
            new CreateVpcEndpointCommand({
              VpcEndpointType: 'Resource',
              VpcId: r.props.vpcId,
              ResourceConfigurationArn: arn,
              SubnetIds: r.props.subnetIds,
              SecurityGroupIds: r.props.securityGroups.map((sg) => refId(ctx, sg, 'groupId')),
              PrivateDnsEnabled: r.props.privateDns,
              ...(r.props.privateDns ? { DnsOptions: dnsOptions(r.props) } : {}),
              ClientToken: token,
              TagSpecifications: tagSpec('vpc-endpoint', r.props.tags),
            }),
          );
          if (out.VpcEndpoint?.VpcEndpointId === undefined)
            throw new MplError('CREATE_FAILED', `creating ${what}: AWS returned no endpoint id`);
          return out.VpcEndpoint;
        },
      );
      const endpointId = made.VpcEndpointId as string;
      return untilListed(ctx, `${what}, ${endpointId},`, () => byId(ctx, endpointId));
    },
    async ready(ctx, e, what) {
      const endpointId = e.VpcEndpointId ?? '';
      return poll(`${what}, ${endpointId}, to be available`, ctx.wait, async () => {
        const now = await orGone(what, () => byId(ctx, endpointId));
        if (now === undefined) return { failed: 'disappeared' };
        if (stateOf(now) === 'available') return { done: true, value: now };
        if (isGone(now)) return { failed: `state ${now.State ?? 'unknown'}` };
        return { done: false, state: now.State ?? 'unknown' };
      });
    },
    async update(ctx, r, before) {
      const e = await byId(ctx, before.physicalId);
      if (e === undefined || isGone(e))
        throw new MplError(
          'RESOURCE_GONE',
          `${label(r.props)} (${r.id}): ${before.physicalId} no longer exists`,
        );
      const haveGroups = (e.Groups ?? []).flatMap((g) => (g.GroupId === undefined ? [] : [g.GroupId]));
      const wantGroups = r.props.securityGroups.map((sg) => refId(ctx, sg, 'groupId'));
      const add = <T>(want: T[], have: T[]) => want.filter((x) => !have.includes(x));
      const dnsChanged =
        JSON.stringify(before.props.privateDnsDomains) !== JSON.stringify(r.props.privateDnsDomains);
      const change = {
        AddSecurityGroupIds: add(wantGroups, haveGroups),
        RemoveSecurityGroupIds: add(haveGroups, wantGroups),
      };
      const nonEmpty = Object.fromEntries(Object.entries(change).filter(([, v]) => v.length > 0));
      if (Object.keys(nonEmpty).length === 0 && !(dnsChanged && r.props.privateDns)) return;
      await attempt('UPDATE_FAILED', `modifying ${label(r.props)} (${r.id})`, async () => {
        const out = await ctx.aws.ec2.send(
          new ModifyVpcEndpointCommand({
            VpcEndpointId: before.physicalId,
            ...nonEmpty,
            // Private DNS itself cannot change on a resource endpoint (VPC Lattice user guide); the names can.
            ...(dnsChanged && r.props.privateDns ? { DnsOptions: dnsOptions(r.props) } : {}),
          }),
        );
        if (out.Return === false) throw new Error('ModifyVpcEndpoint returned false');
      });
    },
    async remove(ctx, endpointId, props, id) {
      const e = await byId(ctx, endpointId);
      if (e?.VpcEndpointId === undefined || stateOf(e) === 'deleted') return;
      const deleting = stateOf(e) === 'deleting';
      await deleteAndWait(
        ctx,
        `${label(props)} (${id})`,
        deleting ? [] : [e.VpcEndpointId],
        deleting ? [e.VpcEndpointId] : [],
      );
    },
    tags: ec2Tags,
  }),
  async scan(ctx, found: ReadonlyMap<string, Instance>) {
    const live = (await allTagged(ctx, [stackTagFilter(ctx.stack)])).filter(
      (e) => tagMap(e.Tags)[TAG_STACK] === ctx.stack && !isGone(e),
    );
    const mine = await ofStack(
      ctx,
      'resource-endpoint',
      live,
      (e) => tagMap(e.Tags),
      (e) => `resource endpoint ${e.VpcEndpointId ?? '?'}`,
    );
    return Promise.all(
      mine.map(async ({ id, item }) => {
        const o = await observe(ctx, item, { clientToken: clientToken(ctx.stack, ctx.aws.account, id) });
        return {
          id,
          live: o,
          // The plan's order: the group, its children, the security group. The share's acceptance is
          // not found by a scan (it has no tags); refresh finds it through the share.
          dependsOn: [
            ...foundRefs(found, [o.props.resourceConfiguration]),
            ...childrenOf(found, o.props.resourceConfiguration),
            ...foundRefs(found, o.props.securityGroups),
          ],
        };
      }),
    );
  },
  scanAfter: ['resource-configuration', 'security-group'],
});
