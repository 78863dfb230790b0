import { createHash } from 'node:crypto';
import { QUOTAS } from './quotas.js';
import { TAG_ID, TAG_STACK } from '../kinds/kind.js';
import type { ListenerType } from '../config/schema.js';

function digest(s: string, chars: number): string {
  return createHash('sha256').update(s).digest('hex').slice(0, chars);
}

/**
 * An ELB name (NLB or target group): `mpl-<stack>-<suffix>`, at most 32 characters.
 * When too long, the stack part is shortened and a hash of the full stack name keeps it unique.
 */
export function elbName(stack: string, suffix: string): string {
  const plain = `mpl-${stack}-${suffix}`;
  if (plain.length <= QUOTAS.elbNameMaxLength) return plain;
  const hash = digest(stack, 4);
  const room = QUOTAS.elbNameMaxLength - 'mpl-'.length - hash.length - 1 - suffix.length;
  if (room < 1) throw new Error(`name suffix too long for an ELB name: ${suffix}`);
  const head = stack.slice(0, room).replace(/-+$/, '');
  return `mpl-${head}${hash}-${suffix}`;
}

/**
 * Patterns matching every ELB name elbName makes for the stack (for IAM resource ARNs): the plain
 * `mpl-<stack>-*`, and when some suffix (the longest the planner uses, `bootstrap-scram`, has 15
 * characters) would shorten the name, the shortened form, recognized by the stack name's hash.
 */
export function elbNamePatterns(stack: string): string[] {
  const plain = `mpl-${stack}-*`;
  if (`mpl-${stack}-`.length + 16 <= QUOTAS.elbNameMaxLength) return [plain];
  return [plain, `mpl-${stack.slice(0, 1)}*${digest(stack, 4)}-*`];
}

/** Short listener labels used in names. */
export const LISTENER_LABEL: Record<ListenerType, string> = {
  tls: 'tls',
  sasl_scram: 'scram',
  iam: 'iam',
  plaintext: 'plain',
};

/** EC2 ClientToken: deterministic per stack, account and logical id, so a retried create is idempotent. */
export function clientToken(stack: string, account: string, id: string): string {
  return `mpl-${digest(`${stack}|${account}|${id}`, 40)}`;
}

export function tagsFor(stack: string, id: string, name: string): Record<string, string> {
  return { Name: name, [TAG_STACK]: stack, [TAG_ID]: id };
}
