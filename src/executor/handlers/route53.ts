// Route 53 helpers shared by the hosted-zone and dns-record handlers.
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  type Change,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { MplError } from '../../errors.js';
import { poll } from '../poll.js';
import type { WaitOptions } from '../types.js';

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

/** Polls GetChange until INSYNC (Route 53: "within 60 s", AWS-NOTES.md "Provisioning times"). */
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

function errorName(e: unknown): string {
  return (e as { name?: string } | undefined)?.name ?? '';
}

/**
 * One change batch, retried while Route 53 answers PriorRequestNotComplete (a second change to a
 * zone while the first is still PENDING, AWS-NOTES.md "API throttling"). The SDK retries it as a
 * throttling error too, but its few attempts do not cover a change that stays PENDING up to 60 s,
 * so this keeps trying with jittered backoff until the wait timeout. Waits for INSYNC.
 */
export async function changeRecords(
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
      await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * (delay / 2)));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

export { errorName };
