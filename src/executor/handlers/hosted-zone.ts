// Private hosted zone for the cluster's sub-domain, associated with one VPC (DESIGN.md "What an
// expert adds"): the broker names resolve to the PrivateLink path inside that VPC only.
import { createHash } from 'node:crypto';
import {
  ChangeTagsForResourceCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourceCommand,
  ListTagsForResourcesCommand,
  UpdateHostedZoneCommentCommand,
  type HostedZone,
  type ListHostedZonesByNameCommandOutput,
  type ResourceRecordSet,
  type Route53Client,
  type VPC,
} from '@aws-sdk/client-route-53';
import { MplError } from '../../errors.js';
import { TAG_ID, TAG_STACK, type ResourceOf } from '../../plan/resource.js';
import { isNotFound } from '../poll.js';
import type { Handler, HandlerCtx, Known, Observed } from '../types.js';
import { bareZoneId, errorName, normalizeDnsName, waitInsync } from './route53.js';

type Zone = ResourceOf<'hosted-zone'>;
type Props = Zone['props'];

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

function isNoSuchZone(e: unknown): boolean {
  return errorName(e) === 'NoSuchHostedZone' || isNotFound(e);
}

async function tagsOf(route53: Route53Client, zoneId: string): Promise<Record<string, string>> {
  const out = await route53.send(
    new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId }),
  );
  return Object.fromEntries((out.ResourceTagSet?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

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

/**
 * The zone this stack made for logical id `id`: by tags (stack and id), else by this stack's
 * CallerReference prefix (made, but the run died before tagging). Sorted by id so a duplicate left
 * by an older bug resolves the same way every time.
 */
async function find(ctx: HandlerCtx, id: string, name: string): Promise<string | undefined> {
  const candidates = await zonesNamed(ctx.aws.route53, name);
  if (candidates.length === 0) return undefined;
  const ids = candidates.map((z) => bareZoneId(z.Id ?? '')).sort();
  const tagged: string[] = [];
  for (let i = 0; i < ids.length; i += 10) {
    // ListTagsForResources takes at most 10 ids per call (Route 53 API reference).
    const out = await ctx.aws.route53.send(
      new ListTagsForResourcesCommand({ ResourceType: 'hostedzone', ResourceIds: ids.slice(i, i + 10) }),
    );
    for (const set of out.ResourceTagSets ?? []) {
      const tags = new Map((set.Tags ?? []).map((t) => [t.Key, t.Value]));
      if (tags.get(TAG_STACK) === ctx.stack && tags.get(TAG_ID) === id && set.ResourceId) {
        tagged.push(bareZoneId(set.ResourceId));
      }
    }
  }
  tagged.sort();
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

async function observe(
  ctx: HandlerCtx,
  id: string,
  zoneId: string,
  wanted: Partial<Props>,
): Promise<Observed<'hosted-zone'> | undefined> {
  let got;
  try {
    got = await ctx.aws.route53.send(new GetHostedZoneCommand({ Id: zoneId }));
  } catch (e) {
    if (isNoSuchZone(e)) return undefined;
    throw new MplError('AWS_READ_FAILED', `hosted zone ${id} (${zoneId}): cannot read it: ${String(e)}`, {
      cause: e,
    });
  }
  const zone = got.HostedZone;
  if (!zone) return undefined;
  const vpc = pickVpc(got.VPCs ?? [], wanted);
  const physicalId = bareZoneId(zone.Id ?? zoneId);
  return {
    id,
    kind: 'hosted-zone',
    physicalId,
    props: {
      name: normalizeDnsName(zone.Name ?? ''),
      vpcId: vpc?.VPCId ?? '',
      vpcRegion: vpc?.VPCRegion ?? '',
      comment: zone.Config?.Comment ?? '',
      tags: await tagsOf(ctx.aws.route53, physicalId),
    },
    outputs: { zoneId: physicalId },
  };
}

async function syncTags(ctx: HandlerCtx, zoneId: string, want: Record<string, string>): Promise<void> {
  const have = await tagsOf(ctx.aws.route53, zoneId);
  const add = Object.entries(want)
    .filter(([k, v]) => have[k] !== v)
    .map(([Key, Value]) => ({ Key, Value }));
  const remove = Object.keys(have).filter((k) => !(k in want));
  // ChangeTagsForResource takes at most 10 tags to add and 10 keys to remove per call.
  for (let i = 0; i < Math.max(add.length, remove.length); i += 10) {
    const AddTags = add.slice(i, i + 10);
    const RemoveTagKeys = remove.slice(i, i + 10);
    await ctx.aws.route53.send(
      new ChangeTagsForResourceCommand({
        ResourceType: 'hostedzone',
        ResourceId: zoneId,
        ...(AddTags.length ? { AddTags } : {}),
        ...(RemoveTagKeys.length ? { RemoveTagKeys } : {}),
      }),
    );
  }
}

async function converge(ctx: HandlerCtx, r: Zone, zoneId: string): Promise<Observed<'hosted-zone'>> {
  const now = await observe(ctx, r.id, zoneId, r.props);
  if (!now)
    throw new MplError('RESOURCE_GONE', `hosted zone ${r.id} (${zoneId}) disappeared while being made`);
  if (now.props.comment !== r.props.comment) {
    await ctx.aws.route53.send(new UpdateHostedZoneCommentCommand({ Id: zoneId, Comment: r.props.comment }));
  }
  await syncTags(ctx, zoneId, r.props.tags);
  const after = await observe(ctx, r.id, zoneId, r.props);
  if (!after)
    throw new MplError('RESOURCE_GONE', `hosted zone ${r.id} (${zoneId}) disappeared while being made`);
  return after;
}

async function allRecords(route53: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
  const out: ResourceRecordSet[] = [];
  let start: {
    StartRecordName?: string;
    StartRecordType?: ResourceRecordSet['Type'];
    StartRecordIdentifier?: string;
  } = {};
  for (;;) {
    const page = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...start }));
    out.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated || page.NextRecordName === undefined) return out;
    start = {
      StartRecordName: page.NextRecordName,
      StartRecordType: page.NextRecordType,
      ...(page.NextRecordIdentifier === undefined
        ? {}
        : { StartRecordIdentifier: page.NextRecordIdentifier }),
    };
  }
}

export const hostedZoneHandler: Handler<'hosted-zone'> = {
  async read(ctx, desired, known) {
    const id = desired?.id ?? known?.id;
    if (id === undefined) return undefined;
    const wanted: Partial<Props> = desired?.props ?? (known?.props as Partial<Props> | undefined) ?? {};
    let zoneId = known?.physicalId;
    if (zoneId === undefined) {
      if (wanted.name === undefined) return undefined;
      zoneId = await find(ctx, id, wanted.name);
      if (zoneId === undefined) return undefined;
    }
    return observe(ctx, id, bareZoneId(zoneId), wanted);
  },

  async create(ctx, r) {
    const existing = await find(ctx, r.id, r.props.name);
    if (existing !== undefined) {
      ctx.log(`hosted zone ${r.id}: adopting ${existing}, made by an earlier run`);
      return converge(ctx, r, existing);
    }
    const callerReference = `${callerReferencePrefix(ctx.stack, ctx.aws.account, r.id)}${Date.now()}`;
    let zoneId: string;
    let changeId: string | undefined;
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
      if (again === undefined) {
        throw new MplError(
          'AWS_CREATE_FAILED',
          `hosted zone ${r.id} (${r.props.name} in ${r.props.vpcId}): ${errorName(e) || 'error'}: ${(e as Error).message}`,
          { cause: e },
        );
      }
      zoneId = again;
    }
    if (!zoneId)
      throw new MplError('AWS_CREATE_FAILED', `hosted zone ${r.id}: CreateHostedZone returned no id`);
    await syncTags(ctx, zoneId, r.props.tags);
    await waitInsync(ctx.aws.route53, changeId, `hosted zone ${r.id} (${zoneId})`, ctx.wait);
    return converge(ctx, r, zoneId);
  },

  async update(ctx, r, before) {
    return converge(ctx, r, before.physicalId);
  },

  async delete(ctx, known: Known) {
    let zoneId = known.physicalId;
    const name = typeof known.props.name === 'string' ? known.props.name : undefined;
    if (zoneId === undefined) {
      if (name === undefined) return;
      zoneId = await find(ctx, known.id, name);
      if (zoneId === undefined) return;
    }
    zoneId = bareZoneId(zoneId);
    let records: ResourceRecordSet[];
    try {
      records = await allRecords(ctx.aws.route53, zoneId);
    } catch (e) {
      if (isNoSuchZone(e)) return;
      throw new MplError('AWS_READ_FAILED', `hosted zone ${known.id} (${zoneId}): cannot list its records`, {
        cause: e,
      });
    }
    // A zone with records other than NS/SOA cannot be deleted (AWS-NOTES.md "Destroy order");
    // the executor deletes dns-record resources first, so anything left was made by someone else.
    const others = records.filter((rr) => rr.Type !== 'NS' && rr.Type !== 'SOA');
    if (others.length > 0) {
      const names = others.map((rr) => `${normalizeDnsName(rr.Name ?? '')} ${rr.Type}`);
      throw new MplError(
        'ZONE_NOT_EMPTY',
        `hosted zone ${known.id} (${zoneId}) still has ${others.length} record(s) the stack does not manage: ` +
          `${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}; delete them first`,
      );
    }
    try {
      const out = await ctx.aws.route53.send(new DeleteHostedZoneCommand({ Id: zoneId }));
      await waitInsync(
        ctx.aws.route53,
        out.ChangeInfo?.Id,
        `hosted zone ${known.id} (${zoneId}) delete`,
        ctx.wait,
      );
    } catch (e) {
      if (isNoSuchZone(e)) return;
      if (e instanceof MplError) throw e;
      throw new MplError(
        'AWS_DELETE_FAILED',
        `hosted zone ${known.id} (${zoneId}): ${errorName(e)}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  },
};
