// Route 53 helpers shared by the hosted-zone and dns-record kinds: DNS names as the planner writes
// them, change batches waited to INSYNC, and the hosted zones' tag calls.
import {
  ChangeResourceRecordSetsCommand,
  ChangeTagsForResourceCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourceCommand,
  type Change,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { errorName } from '../../aws/errors.js';
import { outsideNodes } from '../../aws/idle.js';
import { MplError } from '../../errors.js';
import type { TagApi, WaitOptions } from '../kind.js';
import { poll } from './poll.js';

/**
 * A DNS name as the planner writes it: lower case, no trailing dot, escapes decoded.
 * Route 53 answers names with a trailing dot and writes characters outside [a-z0-9-_.] as
 * three-digit octal escapes (`*` is `\052`) (Route 53 developer guide, "DNS domain name format").
 */
export function normalizeDnsName(name: string): string {
  return name
    .replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)))
    .replace(/\.$/, '')
    .toLowerCase();
}

/** The bare zone id: Route 53 answers `/hostedzone/Z123`, and accepts either form. */
export function bareZoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

/**
 * Polls GetChange until INSYNC (Route 53 developer guide, "Editing records": changes generally
 * propagate to all Route 53 name servers within 60 seconds).
 */
export async function waitInsync(
  route53: Route53Client,
  changeId: string | undefined,
  what: string,
  wait: WaitOptions,
): Promise<void> {
  if (changeId === undefined) return;
  await poll(what, wait, async () => {
    const out = await route53.send(new GetChangeCommand({ Id: changeId }));
    const status = out.ChangeInfo?.Status ?? 'unknown';
    return status === 'INSYNC' ? { done: true, value: undefined } : { done: false, state: status };
  });
}

/**
 * Changes records of a zone and waits for INSYNC. Changes to one zone from steps running at once go
 * out together: while a batch of a zone is in flight, the changes that arrive queue into the next
 * one (AWS recommends batching: "group individual operations of the same type into one change batch
 * operation", AWS re:Post knowledge center, "How can I avoid Route 53 API throttling errors?"; a
 * batch takes up to 100 changes, Route 53 API reference, ChangeResourceRecordSets). The engine's gather
 * (dns-record's gatherKey) sends a run's records of a zone together, so they cost one INSYNC wait. A batch Route 53 refuses as a whole
 * (InvalidChangeBatch, InvalidInput) is sent again change by change, so one bad change fails only its own step.
 */
export async function changeRecords(
  route53: Route53Client,
  zoneId: string,
  changes: Change[],
  what: string,
  wait: WaitOptions,
): Promise<void> {
  let zones = QUEUES.get(route53);
  if (!zones) QUEUES.set(route53, (zones = new Map()));
  const zone = bareZoneId(zoneId);
  let q = zones.get(zone);
  if (!q) zones.set(zone, (q = { inFlight: Promise.resolve() }));
  const names = (cs: Change[]) => cs.map((c) => `${c.ResourceRecordSet?.Name}|${c.ResourceRecordSet?.Type}`);
  const mine = new Set(names(changes));
  const open = q.next;
  const fits =
    open !== undefined &&
    open.parts.reduce((n, p) => n + p.changes.length, 0) + changes.length <= MAX_CHANGES &&
    !open.parts.some((p) => names(p.changes).some((n) => mine.has(n)));
  let batch: Batch;
  if (fits) batch = open as Batch;
  else {
    batch = { parts: [], zoneId, wait };
    const queue = q;
    const b = batch;
    queue.next = b;
    queue.inFlight = queue.inFlight.then(() => {
      if (queue.next === b) delete queue.next;
      // Sent for every step in the batch, each waiting idle: no step's slot is involved.
      return outsideNodes(() => sendBatch(route53, b));
    });
  }
  const done = new Promise<void>((resolve, reject) => batch.parts.push({ changes, what, resolve, reject }));
  await (wait.idle ? wait.idle(() => done) : done);
}

/** Route 53's most changes in one ChangeResourceRecordSets request. */
const MAX_CHANGES = 100;

interface Part {
  changes: Change[];
  what: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}
interface Batch {
  parts: Part[];
  zoneId: string;
  wait: WaitOptions;
}
/** Per client (one account) and zone: the batch in flight, and the one gathering changes. */
const QUEUES = new WeakMap<Route53Client, Map<string, { inFlight: Promise<void>; next?: Batch }>>();

/** A batch refused for its content (Route 53 API reference, ChangeResourceRecordSets, "Errors"). */
const BATCH_REFUSED = new Set(['InvalidChangeBatch', 'InvalidInput']);

async function sendBatch(route53: Route53Client, b: Batch): Promise<void> {
  const what = b.parts.length === 1 ? (b.parts[0] as Part).what : `${b.parts.length} record changes`;
  try {
    await changeOnce(
      route53,
      b.zoneId,
      b.parts.flatMap((p) => p.changes),
      what,
      b.wait,
    );
    for (const p of b.parts) p.resolve();
  } catch (e) {
    if (b.parts.length > 1 && BATCH_REFUSED.has(errorName(e) ?? '')) {
      for (const p of b.parts)
        await changeOnce(route53, b.zoneId, p.changes, p.what, b.wait).then(p.resolve, p.reject);
      return;
    }
    for (const p of b.parts) p.reject(e);
  }
}

/**
 * One change batch, retried while Route 53 answers PriorRequestNotComplete (a second change to a
 * zone while the first is still PENDING; Route 53 API reference, ChangeResourceRecordSets,
 * "Errors"). The SDK retries it as a throttling error too, but its few attempts do not cover a
 * change that stays PENDING up to 60 s, so this keeps trying with jittered backoff until the wait
 * timeout. Waits for INSYNC.
 */
async function changeOnce(
  route53: Route53Client,
  zoneId: string,
  changes: Change[],
  what: string,
  wait: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + wait.timeoutMs;
  let delay = Math.max(50, wait.intervalMs);
  for (;;) {
    try {
      const out = await route53.send(
        new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }),
      );
      await waitInsync(route53, out.ChangeInfo?.Id, `${what}: change`, wait);
      return;
    } catch (e) {
      if (errorName(e) !== 'PriorRequestNotComplete') throw e;
      if (Date.now() + delay > deadline) {
        throw new MplError('WAIT_TIMEOUT', `${what}: Route 53 still busy with a prior change to ${zoneId}`, {
          cause: e,
          retriable: true,
        });
      }
      const ms = delay / 2 + Math.random() * (delay / 2);
      await new Promise<void>((r) => setTimeout(r, ms));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/** Every record set of a zone, through every page of ListResourceRecordSets. */
export async function allRecords(route53: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
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

/** ChangeTagsForResource takes at most 10 tags to add and 10 keys to remove per call (Route 53 API reference). */
const TAGS_PER_CALL = 10;

/** The tag calls of a hosted zone (the only Route 53 resource the stack tags); ids with or without `/hostedzone/`. */
export const route53Tags: TagApi = {
  async read(ctx, zoneId) {
    const out = await ctx.aws.route53.send(
      new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: bareZoneId(zoneId) }),
    );
    return Object.fromEntries((out.ResourceTagSet?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  },
  // Adding a key that exists overwrites its value; removing drops the key.
  async write(ctx, zoneId, set, remove) {
    const add = Object.keys(set)
      .sort()
      .map((Key) => ({ Key, Value: set[Key] as string }));
    for (let i = 0; i < Math.max(add.length, remove.length); i += TAGS_PER_CALL) {
      const AddTags = add.slice(i, i + TAGS_PER_CALL);
      const RemoveTagKeys = remove.slice(i, i + TAGS_PER_CALL);
      await ctx.aws.route53.send(
        new ChangeTagsForResourceCommand({
          ResourceType: 'hostedzone',
          ResourceId: bareZoneId(zoneId),
          ...(AddTags.length > 0 ? { AddTags } : {}),
          ...(RemoveTagKeys.length > 0 ? { RemoveTagKeys } : {}),
        }),
      );
    }
  },
};
