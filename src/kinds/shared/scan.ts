// What the kinds' `scan` share: which tags make a resource the stack's, the found instances of a
// kind in one account and region, references kept to what was found, and the logical-id module.
import type { Instance } from '../../state/instance.js';
import type { Kind } from '../index.js';
import { TAG_ID, TAG_STACK, type HandlerCtx } from '../kind.js';

/**
 * planner/ids.ts, loaded when a scan runs. A static import would close a cycle (ids.ts reads the
 * registry's KINDS when it loads, and the registry loads every kind module), which breaks whichever
 * of the two is loaded first; by the time a scan runs both are loaded.
 */
export function logicalIds(): Promise<typeof import('../../planner/ids.js')> {
  return import('../../planner/ids.js');
}

/**
 * The logical id in a resource's tags when they name this stack and an id of `kind`; undefined
 * for another stack's resource or an untagged one. A stack tag with an id that is not one of
 * `kind` (edited by hand) is logged and skipped.
 */
export async function taggedId(
  ctx: HandlerCtx,
  kind: Kind,
  tags: Record<string, string> | undefined,
  where: string,
): Promise<string | undefined> {
  if (tags?.[TAG_STACK] !== ctx.stack) return undefined;
  const id = tags[TAG_ID];
  if (id !== undefined && (await logicalIds()).tryParseId(id)?.kind === kind) return id;
  ctx.log(
    `${where} carries stack ${ctx.stack}'s tag but ${TAG_ID}=${id ?? '(none)'} is not a ${kind} id; skipped`,
  );
  return undefined;
}

/** The found instances of `kind` in ctx's account and region (the parents a scan looks under). */
export function foundIn(ctx: HandlerCtx, found: ReadonlyMap<string, Instance>, kind: Kind): Instance[] {
  return [...found.values()].filter(
    (i) => i.kind === kind && i.account === ctx.aws.account && i.region === ctx.aws.region,
  );
}

/** The ids among `refs` that were found (a reference to something not found is no dependency). */
export function foundRefs(found: ReadonlyMap<string, Instance>, refs: readonly string[]): string[] {
  return [...new Set(refs)].filter((r) => found.has(r));
}

/** Resources found under one id more than once: the first is kept, the others logged. */
export function firstPerId<T>(
  ctx: HandlerCtx,
  items: Array<{ id: string; item: T }>,
  name: (t: T) => string,
): Array<{ id: string; item: T }> {
  const byId = new Map<string, T[]>();
  for (const { id, item } of items) byId.set(id, [...(byId.get(id) ?? []), item]);
  return [...byId].map(([id, all]) => {
    if (all.length > 1)
      ctx.log(
        `${id}: ${all.length} resources carry this id's tags (${all.map(name).join(', ')}); using the first`,
      );
    return { id, item: all[0] as T };
  });
}

/** An EC2 describe filter on the stack tag (the twin ignores it for some calls: filter client-side too). */
export function stackTagFilter(stack: string): { Name: string; Values: string[] } {
  return { Name: `tag:${TAG_STACK}`, Values: [stack] };
}

/**
 * Of `items`, those whose tags name this stack and an id of `kind`, by that id (the first when
 * several carry one id); `nameOf` names an item in messages.
 */
export async function ofStack<T>(
  ctx: HandlerCtx,
  kind: Kind,
  items: readonly T[],
  tagsOf: (t: T) => Record<string, string> | undefined,
  nameOf: (t: T) => string,
): Promise<Array<{ id: string; item: T }>> {
  const tagged: Array<{ id: string; item: T }> = [];
  for (const item of items) {
    const id = await taggedId(ctx, kind, tagsOf(item), nameOf(item));
    if (id !== undefined) tagged.push({ id, item });
  }
  return firstPerId(ctx, tagged, nameOf);
}
