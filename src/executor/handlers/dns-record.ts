// Alias A record: a broker's own name -> its interface endpoint (consumer zones) or the shared NLB
// (the provider zone of pattern 2), so clients keep the broker names and TLS verification works.
import {
  ListResourceRecordSetsCommand,
  type AliasTarget,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { MplError } from '../../errors.js';
import type { PropsOf, ResourceOf } from '../../plan/resource.js';
import { isNotFound } from '../poll.js';
import type { Handler, HandlerCtx, Known, Observed, Outputs } from '../types.js';
import { bareZoneId, changeRecords, errorName, normalizeDnsName } from './route53.js';

type Rec = ResourceOf<'dns-record'>;
type Props = PropsOf<'dns-record'>;
type TargetKind = Props['aliasTarget']['kind'];

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
function aliasOf(
  ctx: HandlerCtx,
  target: Props['aliasTarget'],
  what: string,
): { dnsName: string; zoneId: string } {
  const outputs: Outputs = ctx.ref(target.id).outputs;
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
  desired: Rec | undefined,
  known: Known | undefined,
): Props['aliasTarget'] | undefined {
  if (desired) return desired.props.aliasTarget;
  const t = known?.props.aliasTarget as Props['aliasTarget'] | undefined;
  return t && typeof t.id === 'string' ? t : undefined;
}

function observedTarget(
  ctx: HandlerCtx,
  alias: AliasTarget | undefined,
  expected: Props['aliasTarget'] | undefined,
) {
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
    expected?.kind ?? (/\.vpce\.amazonaws\.com$/.test(dns) ? 'vpc-endpoint' : 'load-balancer');
  return { kind, id: dns || '(not an alias record)' };
}

function toObserved(
  ctx: HandlerCtx,
  id: string,
  zoneId: string,
  rr: ResourceRecordSet,
  expected: Props['aliasTarget'] | undefined,
): Observed<'dns-record'> {
  const name = normalizeDnsName(rr.Name ?? '');
  return {
    id,
    kind: 'dns-record',
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

async function upsert(ctx: HandlerCtx, r: Rec): Promise<Observed<'dns-record'>> {
  const zoneId = bareZoneId(ctx.ref(r.props.zone).physicalId ?? '');
  const what = `dns record ${r.id} (${r.props.name} in ${zoneId})`;
  const target = aliasOf(ctx, r.props.aliasTarget, what);
  try {
    await changeRecords(
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
  } catch (e) {
    if (e instanceof MplError) throw e;
    throw new MplError('AWS_CREATE_FAILED', `${what}: ${errorName(e)}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const rr = await findRecord(ctx.aws.route53, zoneId, r.props.name);
  if (!rr) throw new MplError('RESOURCE_GONE', `${what}: not found right after the change was INSYNC`);
  return toObserved(ctx, r.id, zoneId, rr, r.props.aliasTarget);
}

export const dnsRecordHandler: Handler<'dns-record'> = {
  async read(ctx, desired, known) {
    const id = desired?.id ?? known?.id;
    if (id === undefined) return undefined;
    let zoneId: string;
    let name: string;
    if (known?.physicalId !== undefined) {
      ({ zoneId, name } = parsePhysicalId(known.physicalId));
    } else if (desired) {
      let zone;
      try {
        zone = ctx.ref(desired.props.zone);
      } catch {
        return undefined; // the zone is not made, so neither is the record
      }
      if (zone.physicalId === undefined) return undefined;
      zoneId = bareZoneId(zone.physicalId);
      name = desired.props.name;
    } else return undefined;
    let rr;
    try {
      rr = await findRecord(ctx.aws.route53, zoneId, name);
    } catch (e) {
      if (isNotFound(e)) return undefined; // NoSuchHostedZone: the zone and its records are gone
      throw new MplError('AWS_READ_FAILED', `dns record ${id} (${name} in ${zoneId}): ${errorName(e)}`, {
        cause: e,
      });
    }
    return rr ? toObserved(ctx, id, zoneId, rr, expectedTarget(desired, known)) : undefined;
  },

  // UPSERT is idempotent: a create after a crash (or of a record made by hand) converges.
  create: upsert,
  update: (ctx, r) => upsert(ctx, r),

  async delete(ctx, known) {
    if (known.physicalId === undefined) return;
    const { zoneId, name } = parsePhysicalId(known.physicalId);
    const what = `dns record ${known.id} (${name} in ${zoneId})`;
    // DELETE must name the record exactly as it is (Route 53 API reference), so read it first.
    let rr;
    try {
      rr = await findRecord(ctx.aws.route53, zoneId, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw new MplError('AWS_READ_FAILED', `${what}: ${errorName(e)}`, { cause: e });
    }
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
      if (errorName(e) === 'InvalidChangeBatch' && /not found/i.test((e as Error).message)) return;
      if (e instanceof MplError) throw e;
      throw new MplError('AWS_DELETE_FAILED', `${what}: ${errorName(e)}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  },
};
