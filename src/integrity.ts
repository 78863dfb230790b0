// A checksum sealed into the files the tool writes and reads back (saved plans, state), so a file
// changed after it was written, by hand or by a broken copy, is refused instead of trusted. It is
// not a signature: whoever can write the file can write a matching checksum; it catches accidents
// (a truncated upload, a bad merge, an edit in place), not an attacker.
import { createHash } from 'node:crypto';
import { MplError } from './errors.js';

/** The field that holds the seal: `sha256:<hex>` of the canonical JSON of the rest of the document. */
export const CHECKSUM_FIELD = 'checksum';

/** JSON with object keys sorted and undefined members dropped: the same document, the same text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function checksumOf(doc: Record<string, unknown>): string {
  const { [CHECKSUM_FIELD]: _ignored, ...rest } = doc;
  return `sha256:${createHash('sha256').update(canonicalJson(rest)).digest('hex')}`;
}

/** `doc` with its checksum (any earlier one replaced), ready to be written as JSON. */
export function seal<T extends object>(doc: T): T & { checksum: string } {
  const plain = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  return { ...doc, [CHECKSUM_FIELD]: checksumOf(plain) } as T & { checksum: string };
}

/**
 * Checks a parsed document's seal and answers the document without it, for validation. A document
 * without one was written by a version before seals (accepted); one whose seal does not match its
 * content is refused, naming the file and what to do.
 */
export function unseal(doc: unknown, where: string, what: 'plan' | 'state'): unknown {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const { [CHECKSUM_FIELD]: given, ...rest } = doc as Record<string, unknown>;
  if (given === undefined || (typeof given === 'string' && given === checksumOf(rest))) return rest;
  throw new MplError(
    what === 'plan' ? 'PLAN_TAMPERED' : 'STATE_TAMPERED',
    what === 'plan'
      ? 'the saved plan was changed after it was written (its checksum does not match its content): make the plan again'
      : 'the state was changed after it was written (its checksum does not match its content): restore it from a copy, ' +
          "or move it aside and run `state pull` to rebuild it from what AWS holds under the stack's tags",
    { where },
  );
}
