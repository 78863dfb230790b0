// Alias A record: a broker's own name -> its interface endpoint (consumer zones), the shared NLB
// (the provider zone of pattern 2), or the broker's child on a resource endpoint (pattern 3 with
// `pattern3.dns: zone`), so clients keep the broker names and TLS verification works.
// Not on the `resourceHandler` skeleton: a record has no tags and no id of its own (its identity is
// zone, name and type), and create and update are the same idempotent UPSERT.
import {
  ListResourceRecordSetsCommand,
  type AliasTarget,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { z } from 'zod';
import { awsFailure, errorName, isNotFound } from '../aws/errors.js';
import { MplError, type ErrorCode } from '../errors.js';
import type { Instance, Outputs } from '../state/instance.js';
import {
  attempt,
  defineKind,
  orGone,
  type Desired,
  type Handler,
  type HandlerCtx,
  type Live,
} from './kind.js';
import { allRecords, bareZoneId, changeRecords, normalizeDnsName } from './shared/route53.js';
import { firstPerId, foundIn, foundRefs, logicalIds } from './shared/scan.js';
import { Ref } from './shared/schema.js';
import { primeRead, readBatched } from './shared/batched.js';

const Props = z.strictObject({
  zone: Ref,
  name: z.string(),
  type: z.literal('A'),
  aliasTarget: z.strictObject({
    kind: z.enum(['vpc-endpoint', 'load-balancer', 'resource-endpoint']),
    id: Ref,
    /** resource-endpoint: the broker's child resource configuration, whose own DNS entry is the target. */
    child: Ref.optional(),
  }),
});
type Props = z.infer<typeof Props>;
type Target = Props['aliasTarget'];
type TargetKind = Target['kind'];

const label = (p: Partial<Props>) => `dns record ${p.name ?? '?'}`;

export function recordPhysicalId(zoneId: string, name: string): string {
  return `${bareZoneId(zoneId)}|${normalizeDnsName(name)}|A`;
}

function parsePhysicalId(physicalId: string): { zoneId: string; name: string } {
  const [zoneId, name] = physicalId.split('|');
  if (!zoneId || !name)
    throw new MplError('INVALID_STATE', `dns record: malformed physical id ${physicalId}`);
  return { zoneId, name };
}

/**
 * The alias target of a made dependency. Output keys are the other handlers' (vpc-endpoint: its
 * first DNS entry's `dnsName` and `hostedZoneId`; load-balancer: `dnsName` and `canonicalHostedZoneId`).
 */
function aliasOf(ctx: HandlerCtx, target: Target, what: string): { dnsName: string; zoneId: string } {
  const outputs: Outputs = ctx.ref(target.id).outputs;
  if (target.kind === 'resource-endpoint') {
    const configId = target.child === undefined ? undefined : ctx.ref(target.child).outputs.configId;
    const entry = childEntry(outputs, configId);
    if (entry === undefined)
      throw new MplError(
        'MISSING_OUTPUT',
        `${what}: resource endpoint ${target.id} has no DNS entry for ${target.child ?? '?'} (${String(configId)})`,
      );
    return entry;
  }
  const zoneKey = target.kind === 'vpc-endpoint' ? 'hostedZoneId' : 'canonicalHostedZoneId';
  const dnsName = outputs.dnsName;
  const zoneId = outputs[zoneKey];
  if (typeof dnsName !== 'string' || typeof zoneId !== 'string' || !dnsName || !zoneId) {
    throw new MplError(
      'MISSING_OUTPUT',
      `${what}: alias target ${target.id} (${target.kind}) has no dnsName/${zoneKey} output`,
    );
  }
  return { dnsName, zoneId };
}

/** A resource endpoint's DNS entry for one child configuration (outputs `childEntries`: "configId|name|zone"). */
export function childEntry(
  outputs: Outputs,
  configId: unknown,
): { dnsName: string; zoneId: string } | undefined {
  const entries = Array.isArray(outputs.childEntries) ? outputs.childEntries : [];
  for (const e of entries) {
    const [id, dnsName, zoneId] = e.split('|');
    if (id === configId && dnsName && zoneId) return { dnsName, zoneId };
  }
  return undefined;
}

/** For comparing alias DNS names: Route 53 lowercases, adds a trailing dot, and ELB names may carry `dualstack.`. */
function sameTarget(a: string, b: string): boolean {
  const n = (s: string) => normalizeDnsName(s).replace(/^dualstack\./, '');
  return n(a) === n(b);
}

async function findRecord(
  route53: Route53Client,
  zoneId: string,
  name: string,
): Promise<ResourceRecordSet | undefined> {
  // ListResourceRecordSets starts at (name, type) in Route 53's order; the first answer is the
  // record when it exists.
  const out = await route53.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      StartRecordName: name,
      StartRecordType: 'A',
      MaxItems: 1,
    }),
  );
  const rr = out.ResourceRecordSets?.[0];
  if (!rr || rr.Type !== 'A' || normalizeDnsName(rr.Name ?? '') !== normalizeDnsName(name)) return undefined;
  return rr;
}

/** The desired alias target (from desired props, else the one last known), to map a DNS name back to its logical id. */
function expectedTarget(
  desired: Desired<Props> | undefined,
  known: { props: unknown } | undefined,
): Target | undefined {
  if (desired) return desired.props.aliasTarget;
  // State written by an older version (or by hand) may lack it: check before trusting the shape.
  const t = (known?.props as { aliasTarget?: Partial<Target> } | undefined)?.aliasTarget;
  if (!t || typeof t.id !== 'string') return undefined;
  if (t.kind === 'resource-endpoint')
    return typeof t.child === 'string' ? { kind: t.kind, id: t.id, child: t.child } : undefined;
  return t.kind === 'vpc-endpoint' || t.kind === 'load-balancer' ? { kind: t.kind, id: t.id } : undefined;
}

function observedTarget(
  ctx: HandlerCtx,
  alias: AliasTarget | undefined,
  expected: Target | undefined,
): Target {
  const dns = normalizeDnsName(alias?.DNSName ?? '');
  if (expected) {
    try {
      if (sameTarget(aliasOf(ctx, expected, 'dns record').dnsName, dns)) return expected;
    } catch {
      // The expected target is not made (or lacks outputs): report the raw name, the diff shows it.
    }
  }
  // Pointing elsewhere: the raw DNS name, so the diff shows an update (an UPSERT repairs it).
  const kind: TargetKind =
    expected?.kind ??
    (/\.vpce\.amazonaws\.com$/.test(dns)
      ? 'vpc-endpoint'
      : /\.vpc-lattice-rsc\./.test(dns)
        ? 'resource-endpoint'
        : 'load-balancer');
  return { kind, id: dns || '(not an alias record)' };
}

function toLive(
  ctx: HandlerCtx,
  zoneId: string,
  rr: ResourceRecordSet,
  expected: Target | undefined,
): Live<Props> {
  const name = normalizeDnsName(rr.Name ?? '');
  return {
    physicalId: recordPhysicalId(zoneId, name),
    props: {
      zone: ctx.idOf(zoneId) ?? ctx.idOf(`/hostedzone/${zoneId}`) ?? zoneId,
      name,
      type: 'A',
      aliasTarget: observedTarget(ctx, rr.AliasTarget, expected),
    },
    outputs: { zoneId, name, aliasDnsName: normalizeDnsName(rr.AliasTarget?.DNSName ?? '') },
  };
}

async function upsert(ctx: HandlerCtx, r: Desired<Props>, code: ErrorCode): Promise<Live<Props>> {
  const zoneId = bareZoneId(ctx.ref(r.props.zone).physicalId);
  const what = `dns record ${r.id} (${r.props.name} in ${zoneId})`;
  const target = aliasOf(ctx, r.props.aliasTarget, what);
  // The zone's other records of this run go in the same change batch.
  const change = () =>
    changeRecords(
      ctx.aws.route53,
      zoneId,
      [
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: r.props.name,
            Type: 'A',
            AliasTarget: {
              HostedZoneId: target.zoneId,
              DNSName: target.dnsName,
              EvaluateTargetHealth: false,
            },
          },
        },
      ],
      what,
      ctx.wait,
    );
  await attempt(code, what, () => (ctx.gather ? ctx.gather(change) : change()));
  const rr = await orGone(what, () => findRecord(ctx.aws.route53, zoneId, r.props.name));
  if (!rr) throw new MplError('RESOURCE_GONE', `${what}: not found right after the change was INSYNC`);
  return toLive(ctx, zoneId, rr, r.props.aliasTarget);
}

const handler: Handler<Props> = {
  async read(ctx, desired, known) {
    const id = desired?.id ?? known?.id;
    if (id === undefined) return undefined;
    let zoneId: string;
    let name: string;
    if (known !== undefined) {
      ({ zoneId, name } = parsePhysicalId(known.physicalId));
    } else if (desired !== undefined) {
      try {
        zoneId = bareZoneId(ctx.ref(desired.props.zone).physicalId);
      } catch {
        return undefined; // the zone is not made, so neither is the record
      }
      name = desired.props.name;
    } else return undefined;
    // NoSuchHostedZone reads as gone: the zone and its records are gone. In a refresh, the zone's
    // records are listed once (300 a page) for all the state's records in it.
    const rr = await orGone(`dns record ${id} (${name} in ${zoneId})`, () =>
      readBatched(ctx, {
        client: ctx.aws.route53,
        api: `route53:ListResourceRecordSets ${zoneId}`,
        id: recordPhysicalId(zoneId, name),
        peerKinds: ['dns-record'],
        samePeer: (peer) => peer.startsWith(`${zoneId}|`),
        maxIds: Infinity,
        fetch: async () =>
          new Map(
            (await allRecords(ctx.aws.route53, zoneId))
              .filter((r) => r.Type === 'A')
              .map((r) => [recordPhysicalId(zoneId, r.Name ?? ''), r]),
          ),
        fetchOne: () => findRecord(ctx.aws.route53, zoneId, name),
      }),
    );
    return rr ? toLive(ctx, zoneId, rr, expectedTarget(desired, known)) : undefined;
  },

  // UPSERT is idempotent: a create after a crash (or of a record made by hand) converges.
  create: (ctx, r) => upsert(ctx, r, 'CREATE_FAILED'),
  update: (ctx, r) => upsert(ctx, r, 'UPDATE_FAILED'),

  async delete(ctx, known) {
    const { zoneId, name } = parsePhysicalId(known.physicalId);
    const what = `dns record ${known.id} (${name} in ${zoneId})`;
    // DELETE must name the record exactly as it is (Route 53 API reference), so read it first.
    const rr = await orGone(what, () => findRecord(ctx.aws.route53, zoneId, name));
    if (!rr) return;
    try {
      await changeRecords(
        ctx.aws.route53,
        zoneId,
        [{ Action: 'DELETE', ResourceRecordSet: rr }],
        what,
        ctx.wait,
      );
    } catch (e) {
      if (isNotFound(e)) return;
      // Deleted by someone else between the read and the change: Route 53 says the record was not found.
      if (
        errorName(e) === 'InvalidChangeBatch' &&
        /not found/i.test(e instanceof Error ? e.message : String(e))
      )
        return;
      throw awsFailure('DELETE_FAILED', what, e);
    }
  },
};

/**
 * MSK names a broker `b-<broker id>.<cluster domain>`, and pattern 2 adds `b-<broker id>-pl.<cluster
 * domain>` (its PrivateLink name): the broker in a record's name in the cluster's zone.
 */
function brokerInName(name: string, zoneName: string): { id: number; sibling: boolean } | undefined {
  const m = /^b-([1-9]\d*)(-pl)?\.(.+)$/.exec(name);
  return m && m[3] === zoneName ? { id: Number(m[1]), sibling: m[2] !== undefined } : undefined;
}

/**
 * The alias A records in each zone found in ctx's account and region, named after the zone's owner
 * and the record's broker: the broker of the endpoint it points at (pattern 1), else the one in its
 * name (pattern 2's records all point at one endpoint or NLB). The target is the found endpoint or
 * NLB whose DNS name the record holds; a record pointing elsewhere is found with the raw name, as
 * read answers it.
 */
async function scan(
  ctx: HandlerCtx,
  found: ReadonlyMap<string, Instance>,
): Promise<Array<{ id: string; live: Live<Props>; dependsOn: string[] }>> {
  const { ids, tryParseId, formatId, brokerIdOf } = await logicalIds();
  const targets = [...foundIn(ctx, found, 'vpc-endpoint'), ...foundIn(ctx, found, 'load-balancer')];
  // Pattern 3's zone mode: each child's entry on a resource endpoint, by the child's config id.
  const children = [...found.values()].filter((i) => i.kind === 'resource-configuration');
  const childTargets = foundIn(ctx, found, 'resource-endpoint').flatMap((ep) =>
    children.flatMap((c) => {
      const e = childEntry(ep.outputs, c.outputs.configId);
      return e
        ? [{ dnsName: e.dnsName, target: { kind: 'resource-endpoint' as const, id: ep.id, child: c.id } }]
        : [];
    }),
  );
  const targetOf = (dnsName: string): Target | undefined => {
    const t = targets.find(
      (i) => typeof i.outputs.dnsName === 'string' && sameTarget(i.outputs.dnsName, dnsName),
    );
    if (t) return { kind: t.kind as TargetKind, id: t.id };
    return childTargets.find((c) => sameTarget(c.dnsName, dnsName))?.target;
  };
  const perZone = await Promise.all(
    foundIn(ctx, found, 'hosted-zone').map(async (zone) => {
      const owner = tryParseId(zone.id);
      const zoneId = bareZoneId(zone.physicalId);
      const zoneName = typeof zone.props.name === 'string' ? normalizeDnsName(zone.props.name) : '';
      if (owner?.kind !== 'hosted-zone') return [];
      // A zone deleted since it was found has no records left.
      const records =
        (await orGone(`records of ${zone.id}`, () => allRecords(ctx.aws.route53, zoneId))) ?? [];
      for (const rr of records)
        if (rr.Type === 'A')
          primeRead(
            ctx,
            ctx.aws.route53,
            `route53:ListResourceRecordSets ${zoneId}`,
            recordPhysicalId(zoneId, rr.Name ?? ''),
            rr,
          );
      return records.flatMap((rr) => {
        if (rr.Type !== 'A' || rr.AliasTarget === undefined) return [];
        const name = normalizeDnsName(rr.Name ?? '');
        const expected = targetOf(rr.AliasTarget.DNSName ?? '');
        const endpoint = expected?.kind === 'vpc-endpoint' ? tryParseId(expected.id) : undefined;
        const key = endpoint?.kind === 'vpc-endpoint' ? endpoint.broker : undefined;
        // A zone of exactly one broker name (pattern 2's in the provider VPC) says whose in its id.
        const zoneBroker =
          owner.broker !== undefined && name === zoneName
            ? { id: brokerIdOf(owner.broker), sibling: owner.sibling === true }
            : undefined;
        const broker =
          key !== undefined
            ? { id: brokerIdOf(key), sibling: false }
            : (zoneBroker ?? brokerInName(name, zoneName));
        if (broker === undefined) {
          ctx.log(
            `dns record ${name} in ${zone.id} (${zoneId}): no broker in its target or name, so no logical id; left out`,
          );
          return [];
        }
        const id: string =
          owner.scope === 'provider'
            ? ids.providerRecord({ id: broker.id }, broker.sibling)
            : ids.consumerRecord(owner.owner, { id: broker.id }, broker.sibling);
        const acceptance = endpoint?.kind === 'vpc-endpoint' ? [ids.acceptanceFor(formatId(endpoint))] : [];
        return [
          {
            id,
            item: {
              live: toLive(ctx, zoneId, rr, expected),
              dependsOn: foundRefs(found, [
                zone.id,
                ...(expected ? [expected.id] : []),
                ...(expected?.child ? [expected.child] : []),
                ...acceptance,
              ]),
            },
          },
        ];
      });
    }),
  );
  return firstPerId(ctx, perZone.flat(), (r) => r.live.physicalId).map(({ id, item }) => ({ id, ...item }));
}

/**
 * Pattern 3 with the stack's own zone: each record aliases the resource endpoint's DNS entry for its
 * broker's child configuration, which neither template language can pick out of the endpoint's list.
 */
const zoneRecordsUnsupported = () =>
  new MplError(
    'EXPORT_UNSUPPORTED',
    "export does not cover pattern 3 with pattern3.dns: zone (a record per broker aliases the resource endpoint's DNS entry for that broker, which a template cannot pick out); use pattern3.dns: managed",
  );

export const dnsRecord = defineKind({
  kind: 'dns-record',
  // One Route 53 change each (changeRecords waits for INSYNC).
  waits: { create: (t) => t.route53ChangeMs, update: (t) => t.route53ChangeMs },
  // A zone's records are ready at about the same time (each after its endpoint is available): they
  // wait for each other and make one Route 53 change, one INSYNC wait.
  gatherKey: (p, account) => `${account}|${p.zone}`,
  iam: {
    reads: ['route53:ListResourceRecordSets', 'route53:GetChange'],
    writes: (s) => [
      {
        sid: 'HostedZones',
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [`arn:${s.partition}:route53:::hostedzone/*`],
      },
    ],
  },
  props: Props,
  // An alias to the endpoint's (or NLB's) own name; pattern 3's resource endpoints are not exported yet.
  terraform: (p, x) => {
    if (p.aliasTarget.kind === 'resource-endpoint') throw zoneRecordsUnsupported();
    const [dns, zone] =
      p.aliasTarget.kind === 'vpc-endpoint'
        ? ['dns_entry[0].dns_name', 'dns_entry[0].hosted_zone_id']
        : ['dns_name', 'zone_id'];
    return {
      type: 'aws_route53_record',
      args: {
        zone_id: x.ref(p.zone, 'zone_id'),
        name: p.name,
        type: p.type,
        alias: [
          {
            name: x.ref(p.aliasTarget.id, dns),
            zone_id: x.ref(p.aliasTarget.id, zone),
            evaluate_target_health: false,
          },
        ],
      },
    };
  },
  cloudformation: (p, x) => {
    if (p.aliasTarget.kind === 'resource-endpoint') throw zoneRecordsUnsupported();
    const [dns, zone] =
      p.aliasTarget.kind === 'vpc-endpoint'
        ? ['DnsName', 'DnsHostedZoneId']
        : ['DNSName', 'CanonicalHostedZoneID'];
    return {
      type: 'AWS::Route53::RecordSet',
      properties: {
        HostedZoneId: x.ref(p.zone, 'Ref'),
        Name: p.name,
        Type: p.type,
        AliasTarget: {
          DNSName: x.ref(p.aliasTarget.id, dns),
          HostedZoneId: x.ref(p.aliasTarget.id, zone),
          EvaluateTargetHealth: false,
        },
      },
    };
  },
  // A record's identity is its zone, name and type (ChangeResourceRecordSets names it by them);
  // its alias target changes in place with an UPSERT.
  replaceOn: ['zone', 'name', 'type'],
  // An alias record whose target is made again (an endpoint deleted out of band or rejected: a new
  // DNS name) or replaced is UPSERTed to the new target, never replaced: the record itself is fine,
  // and its target's old outputs in state would otherwise make it read as up to date.
  repointsOnReplace: true,
  label,
  handler,
  scan,
  scanAfter: [
    'hosted-zone',
    'vpc-endpoint',
    'load-balancer',
    'endpoint-connection-acceptance',
    'resource-endpoint',
    'resource-configuration',
  ],
});
