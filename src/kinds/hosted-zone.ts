// Private hosted zone for the cluster's sub-domain, associated with one VPC: the broker names
// resolve to the PrivateLink path inside that VPC only.
import { createHash } from 'node:crypto';
import {
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListTagsForResourcesCommand,
  UpdateHostedZoneCommentCommand,
  paginateListHostedZones,
  type HostedZone,
  type ListHostedZonesByNameCommandOutput,
  type ResourceRecordSet,
  type Route53Client,
  type VPC,
} from '@aws-sdk/client-route-53';
import { z } from 'zod';
import { awsFailure, errorName, isNotFound } from '../aws/errors.js';
import { MplError } from '../errors.js';
import { attempt, defineKind, orGone, ownedBy, resourceHandler, type HandlerCtx, type Live } from './kind.js';
import { allRecords, bareZoneId, normalizeDnsName, route53Tags, waitInsync } from './shared/route53.js';
import { ofStack } from './shared/scan.js';
import { Tags } from './shared/schema.js';
import { primeRead, readBatched, readOnce } from './shared/batched.js';
import { cfnTags } from '../export/cfn-types.js';

const Props = z.strictObject({
  name: z.string(),
  vpcId: z.string(),
  vpcRegion: z.string(),
  comment: z.string(),
  tags: Tags,
});
type Props = z.infer<typeof Props>;

/** A zone as GetHostedZone answers it, with the pending change of a create (`ready` waits for it). */
interface Zone {
  zone: HostedZone;
  vpcs: VPC[];
  changeId?: string | undefined;
}

const label = (p: Partial<Props>) => `hosted zone ${p.name ?? '?'}`;

/**
 * CallerReference: Route 53 refuses one that was used before, even for a zone deleted since
 * (HostedZoneAlreadyExists), so a purely deterministic value would break destroy-then-apply.
 * It is `<deterministic prefix><time>`: the prefix (a hash of stack, account and logical id) lets
 * `find` recognise a zone this stack made even when the run died between CreateHostedZone and
 * ChangeTagsForResource (zone made, tags not yet), and the time is only added after `find` has
 * looked the zone up by name, tags and prefix and found nothing, so a resumed run adopts, never
 * duplicates. Route 53 allows at most 128 characters.
 */
export function callerReferencePrefix(stack: string, account: string, id: string): string {
  return `mpl-${createHash('sha256').update(`${stack}|${account}|${id}`).digest('hex').slice(0, 32)}-`;
}

/** GetHostedZone; NoSuchHostedZone is left to the caller (the skeleton reads it as gone). */
async function getZone(ctx: HandlerCtx, zoneId: string): Promise<Zone | undefined> {
  const out = await ctx.aws.route53.send(new GetHostedZoneCommand({ Id: bareZoneId(zoneId) }));
  return out.HostedZone ? { zone: out.HostedZone, vpcs: out.VPCs ?? [] } : undefined;
}

/** GetHostedZone once per plan: its scan and its refresh both observe the zone. */
const zoneOnce = (ctx: HandlerCtx, zoneId: string) =>
  readOnce(ctx, ctx.aws.route53, 'route53:GetHostedZone', bareZoneId(zoneId), () => getZone(ctx, zoneId));

/** Private zones named `name` in the account (ListHostedZonesByName starts at the name; stop past it). */
async function zonesNamed(route53: Route53Client, name: string): Promise<HostedZone[]> {
  const wanted = normalizeDnsName(name);
  const found: HostedZone[] = [];
  let dnsName: string | undefined = wanted;
  let zoneId: string | undefined;
  for (;;) {
    const out: ListHostedZonesByNameCommandOutput = await route53.send(
      new ListHostedZonesByNameCommand({ DNSName: dnsName, HostedZoneId: zoneId, MaxItems: 100 }),
    );
    const zones = out.HostedZones ?? [];
    for (const z of zones) if (normalizeDnsName(z.Name ?? '') === wanted) found.push(z);
    const last = zones.at(-1);
    const pastName = last !== undefined && normalizeDnsName(last.Name ?? '') !== wanted;
    if (!out.IsTruncated || pastName || out.NextDNSName === undefined) break;
    dnsName = out.NextDNSName;
    zoneId = out.NextHostedZoneId;
  }
  return found.filter((z) => z.Config?.PrivateZone === true);
}

/** The tags of zones by bare id. */
async function zoneTags(
  ctx: HandlerCtx,
  ids: readonly string[],
): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (let i = 0; i < ids.length; i += 10) {
    // ListTagsForResources takes at most 10 ids per call (Route 53 API reference).
    const page = await ctx.aws.route53.send(
      new ListTagsForResourcesCommand({ ResourceType: 'hostedzone', ResourceIds: ids.slice(i, i + 10) }),
    );
    for (const set of page.ResourceTagSets ?? []) {
      const tags = Object.fromEntries((set.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      if (set.ResourceId) out.set(bareZoneId(set.ResourceId), tags);
    }
  }
  return out;
}

/**
 * The zone this stack made for logical id `id`: by tags (stack and id), else by this stack's
 * CallerReference prefix (made, but the run died before tagging). Sorted by id so a duplicate left
 * by an older bug resolves the same way every time.
 */
async function find(ctx: HandlerCtx, id: string, name: string): Promise<string | undefined> {
  const candidates = await zonesNamed(ctx.aws.route53, name);
  if (candidates.length === 0) return undefined;
  const ids = candidates.map((z) => bareZoneId(z.Id ?? '')).sort();
  const tags = await zoneTags(ctx, ids);
  const tagged = ids.filter((z) => ownedBy(ctx, id, tags.get(z)));
  if (tagged.length > 1)
    ctx.log(
      `hosted zone ${id}: ${tagged.length} zones carry its tags (${tagged.join(', ')}); using ${tagged[0]}`,
    );
  if (tagged[0] !== undefined) return tagged[0];
  const prefix = callerReferencePrefix(ctx.stack, ctx.aws.account, id);
  const untagged = candidates
    .filter((z) => z.CallerReference?.startsWith(prefix))
    .map((z) => bareZoneId(z.Id ?? ''));
  return untagged.sort()[0];
}

/** The VPC to report: the one wanted when the zone has it, so a zone with extra associations still compares equal. */
function pickVpc(vpcs: VPC[], wanted: { vpcId?: string | undefined }): VPC | undefined {
  return (
    vpcs.find((v) => v.VPCId === wanted.vpcId) ??
    [...vpcs].sort((a, b) => (a.VPCId ?? '').localeCompare(b.VPCId ?? ''))[0]
  );
}

/** Props in the planner's shape: the wanted VPC when the zone has it, the name as the planner writes it. */
async function observe(ctx: HandlerCtx, z: Zone, like: Partial<Props> | undefined): Promise<Live<Props>> {
  const physicalId = bareZoneId(z.zone.Id ?? '');
  const vpc = pickVpc(z.vpcs, like ?? {});
  return {
    physicalId,
    props: {
      name: normalizeDnsName(z.zone.Name ?? ''),
      vpcId: vpc?.VPCId ?? '',
      vpcRegion: vpc?.VPCRegion ?? '',
      comment: z.zone.Config?.Comment ?? '',
      // In a refresh, with the state's other zones (ListTagsForResources takes 10).
      tags:
        (await readBatched(ctx, {
          client: ctx.aws.route53,
          api: 'route53:ListTagsForResources',
          id: physicalId,
          peerKinds: ['hosted-zone'],
          maxIds: 10,
          fetch: (ids) => zoneTags(ctx, ids),
          fetchOne: (one) => route53Tags.read(ctx, one),
        })) ?? {},
    },
    outputs: { zoneId: physicalId },
  };
}

/**
 * The stack's private zones in ctx's account, by their tags (of several with one id the lowest
 * zone id, as read adopts). A zone made by a run that died before tagging it is not found: its
 * CallerReference names it only by a hash of the logical id.
 */
async function scan(ctx: HandlerCtx): Promise<Array<{ id: string; live: Live<Props> }>> {
  const ids: string[] = [];
  for await (const page of paginateListHostedZones({ client: ctx.aws.route53 }, {})) {
    for (const z of page.HostedZones ?? [])
      if (z.Config?.PrivateZone === true) ids.push(bareZoneId(z.Id ?? ''));
  }
  ids.sort();
  const tags = await zoneTags(ctx, ids);
  for (const [zoneId, t] of tags) primeRead(ctx, ctx.aws.route53, 'route53:ListTagsForResources', zoneId, t);
  const mine = await ofStack(
    ctx,
    'hosted-zone',
    ids,
    (zoneId) => tags.get(zoneId),
    (zoneId) => `hosted zone ${zoneId}`,
  );
  const out = await Promise.all(
    mine.map(async ({ id, item }) => {
      // Deleted since it was listed: not found.
      const z = await orGone(`hosted zone ${item}`, () => zoneOnce(ctx, item));
      return z === undefined ? [] : [{ id, live: await observe(ctx, z, undefined) }];
    }),
  );
  return out.flat();
}

/** The comment is the one setting changed in place (UpdateHostedZoneComment); name and VPC replace. */
async function syncComment(
  ctx: HandlerCtx,
  zoneId: string,
  comment: string,
  have: string | undefined,
  what: string,
) {
  if ((have ?? '') === comment) return;
  await attempt('UPDATE_FAILED', `${what}: comment`, () =>
    ctx.aws.route53.send(new UpdateHostedZoneCommentCommand({ Id: zoneId, Comment: comment })),
  );
}

export const hostedZone = defineKind({
  kind: 'hosted-zone',
  iam: {
    reads: [
      'route53:GetHostedZone',
      'route53:ListHostedZones',
      'route53:ListHostedZonesByName',
      'route53:ListTagsForResource',
      'route53:ListTagsForResources',
      'route53:GetChange',
    ],
    // Route 53 has no tag conditions and zone ids are AWS's: any zone of the account. A private
    // zone's create also needs AssociateVPCWithHostedZone and ec2:DescribeVpcs (Route 53 developer
    // guide, "Amazon Route 53 API permissions reference").
    writes: (s) => [
      {
        sid: 'HostedZoneCreate',
        actions: ['route53:CreateHostedZone', 'route53:AssociateVPCWithHostedZone', 'ec2:DescribeVpcs'],
        resources: ['*'],
      },
      {
        sid: 'HostedZones',
        actions: [
          'route53:DeleteHostedZone',
          'route53:UpdateHostedZoneComment',
          'route53:ChangeTagsForResource',
          'route53:AssociateVPCWithHostedZone',
        ],
        resources: [`arn:${s.partition}:route53:::hostedzone/*`],
      },
    ],
  },
  props: Props,
  terraform: (p) => ({
    type: 'aws_route53_zone',
    args: {
      name: p.name,
      comment: p.comment,
      vpc: [{ vpc_id: p.vpcId, vpc_region: p.vpcRegion }],
      tags: p.tags,
    },
  }),
  cloudformation: (p) => ({
    type: 'AWS::Route53::HostedZone',
    properties: {
      Name: p.name,
      VPCs: [{ VPCId: p.vpcId, VPCRegion: p.vpcRegion }],
      HostedZoneConfig: { Comment: p.comment },
      HostedZoneTags: cfnTags(p.tags),
    },
  }),
  // Route 53 has no call that renames a zone; UpdateHostedZoneComment changes the comment in place.
  // The zone's VPC is the one given to CreateHostedZone: the tool does not re-associate VPCs, so a
  // VPC change makes a new zone.
  replaceOn: ['name', 'vpcId', 'vpcRegion'],
  hidden: ['tags'],
  // A hosted zone is billed per month (Amazon Route 53 pricing).
  billing: () => ({ meter: 'hosted-zones', quantity: 1 }),
  waits: { create: (t) => t.route53ChangeMs },
  label,
  handler: resourceHandler<Props, Zone>({
    label,
    byId: (ctx, zoneId) => zoneOnce(ctx, zoneId),
    async byIdentity(ctx, id, p) {
      if (p.name === undefined) return undefined;
      const zoneId = await find(ctx, id, p.name);
      return zoneId === undefined ? undefined : getZone(ctx, zoneId);
    },
    physicalIdOf: (z) => bareZoneId(z.zone.Id ?? ''),

    observe,

    // The skeleton tags what this returns (checking its owner first), then `ready` waits for INSYNC.
    async create(ctx, r) {
      const what = `hosted zone ${r.id}`;
      let zoneId = await find(ctx, r.id, r.props.name);
      let changeId: string | undefined;
      if (zoneId !== undefined) {
        ctx.log(`hosted zone ${r.id}: adopting ${zoneId}, made by an earlier run`);
      } else {
        const callerReference = `${callerReferencePrefix(ctx.stack, ctx.aws.account, r.id)}${Date.now()}`;
        try {
          const out = await ctx.aws.route53.send(
            new CreateHostedZoneCommand({
              Name: r.props.name,
              CallerReference: callerReference,
              VPC: { VPCId: r.props.vpcId, VPCRegion: r.props.vpcRegion as VPC['VPCRegion'] },
              HostedZoneConfig: { PrivateZone: true, Comment: r.props.comment },
            }),
          );
          zoneId = bareZoneId(out.HostedZone?.Id ?? '');
          changeId = out.ChangeInfo?.Id;
        } catch (e) {
          // An SDK retry of a create that did land: the same CallerReference is refused.
          const again =
            errorName(e) === 'HostedZoneAlreadyExists' ? await find(ctx, r.id, r.props.name) : undefined;
          if (again === undefined)
            throw awsFailure('CREATE_FAILED', `${what} (${r.props.name} in ${r.props.vpcId})`, e);
          zoneId = again;
        }
        if (!zoneId) throw new MplError('CREATE_FAILED', `${what}: CreateHostedZone returned no id`);
      }
      const gone = () => new MplError('RESOURCE_GONE', `${what} (${zoneId}) disappeared while being made`);
      let z = await getZone(ctx, zoneId);
      if (!z) throw gone();
      // An adopted zone may carry another comment.
      const before = z.zone.Config?.Comment;
      await syncComment(ctx, zoneId, r.props.comment, before, `${what} (${zoneId})`);
      if ((before ?? '') !== r.props.comment) z = await getZone(ctx, zoneId);
      if (!z) throw gone();
      return { ...z, changeId };
    },

    async ready(ctx, z, what) {
      await waitInsync(ctx.aws.route53, z.changeId, what, ctx.wait);
      return z;
    },

    update: (ctx, r, before) =>
      syncComment(
        ctx,
        before.physicalId,
        r.props.comment,
        before.props.comment,
        `${label(r.props)} (${r.id})`,
      ),

    async remove(ctx, physicalId, _props, id) {
      const zoneId = bareZoneId(physicalId);
      const what = `hosted zone ${id} (${zoneId})`;
      let records: ResourceRecordSet[];
      try {
        records = await allRecords(ctx.aws.route53, zoneId);
      } catch (e) {
        if (isNotFound(e)) return;
        throw awsFailure('READ_FAILED', `${what}: cannot list its records`, e);
      }
      // A zone with records other than NS/SOA cannot be deleted (Route 53 API reference, DeleteHostedZone);
      // the executor deletes dns-record resources first, so anything left was made by someone else.
      const others = records.filter((rr) => rr.Type !== 'NS' && rr.Type !== 'SOA');
      if (others.length > 0) {
        const names = others.map((rr) => `${normalizeDnsName(rr.Name ?? '')} ${rr.Type}`);
        throw new MplError(
          'ZONE_NOT_EMPTY',
          `${what} still has ${others.length} record(s) the stack does not manage: ` +
            `${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}; delete them first`,
        );
      }
      const out = await ctx.aws.route53.send(new DeleteHostedZoneCommand({ Id: zoneId }));
      await waitInsync(ctx.aws.route53, out.ChangeInfo?.Id, `${what} delete`, ctx.wait);
    },
    // HostedZoneNotEmpty: a record made between the listing above and the delete.
    inUseHint: 'it has records the stack does not manage; delete them first',
    tags: route53Tags,
  }),
  scan,
});
