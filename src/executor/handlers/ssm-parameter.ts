// The bootstrap string published in a consumer account (DESIGN.md "Optional"), so clients need not
// know broker names. Values are never logged or put in messages: a parameter could hold a secret.
import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-ssm';
import { MplError } from '../../errors.js';
import { TAG_ID, TAG_STACK, type ResourceOf } from '../../plan/resource.js';
import { isNotFound } from '../poll.js';
import type { Handler, HandlerCtx, Observed } from '../types.js';
import { errorName } from './route53.js';

type Param = ResourceOf<'ssm-parameter'>;

async function tagsOf(ctx: HandlerCtx, name: string): Promise<Record<string, string>> {
  const out = await ctx.aws.ssm.send(
    new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }),
  );
  return Object.fromEntries((out.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** Another stack's (or another logical id's) parameter: never adopted or overwritten. */
function ownedByOther(ctx: HandlerCtx, id: string, tags: Record<string, string>): boolean {
  return (TAG_STACK in tags || TAG_ID in tags) && (tags[TAG_STACK] !== ctx.stack || tags[TAG_ID] !== id);
}

async function observe(
  ctx: HandlerCtx,
  id: string,
  name: string,
): Promise<Observed<'ssm-parameter'> | undefined> {
  let got;
  try {
    got = await ctx.aws.ssm.send(new GetParameterCommand({ Name: name }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw new MplError('AWS_READ_FAILED', `ssm parameter ${id} (${name}): ${errorName(e)}`, { cause: e });
  }
  const p = got.Parameter;
  if (!p) return undefined;
  return {
    id,
    kind: 'ssm-parameter',
    physicalId: name,
    props: {
      name: p.Name ?? name,
      // The schema has only String; anything else shows as a change (and type forces a replace).
      type: p.Type as 'String',
      value: p.Value ?? '',
      tags: await tagsOf(ctx, name),
    },
    outputs: { name, version: p.Version ?? 0 },
  };
}

async function put(ctx: HandlerCtx, r: Param): Promise<Observed<'ssm-parameter'>> {
  const { name } = r.props;
  const what = `ssm parameter ${r.id} (${name})`;
  const existing = await observe(ctx, r.id, name);
  if (existing && ownedByOther(ctx, r.id, existing.props.tags)) {
    throw new MplError(
      'PARAMETER_CONFLICT',
      `${what} exists and belongs to ${existing.props.tags[TAG_STACK] ?? '?'}/${existing.props.tags[TAG_ID] ?? '?'}; ` +
        'choose another bootstrapParameter name or delete it',
    );
  }
  try {
    // Overwrite cannot be combined with Tags in one PutParameter (SSM API reference), so tags follow.
    if (!existing || existing.props.value !== r.props.value || existing.props.type !== r.props.type) {
      await ctx.aws.ssm.send(
        new PutParameterCommand({ Name: name, Value: r.props.value, Type: r.props.type, Overwrite: true }),
      );
    }
    const have = existing?.props.tags ?? {};
    const add = Object.entries(r.props.tags).filter(([k, v]) => have[k] !== v);
    if (add.length > 0) {
      await ctx.aws.ssm.send(
        new AddTagsToResourceCommand({
          ResourceType: 'Parameter',
          ResourceId: name,
          Tags: add.map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    }
    const remove = Object.keys(have).filter((k) => !(k in r.props.tags));
    if (remove.length > 0) {
      await ctx.aws.ssm.send(
        new RemoveTagsFromResourceCommand({ ResourceType: 'Parameter', ResourceId: name, TagKeys: remove }),
      );
    }
  } catch (e) {
    throw new MplError('AWS_CREATE_FAILED', `${what}: ${errorName(e)}`, { cause: e });
  }
  const after = await observe(ctx, r.id, name);
  if (!after) throw new MplError('RESOURCE_GONE', `${what}: not found right after PutParameter`);
  return after;
}

export const ssmParameterHandler: Handler<'ssm-parameter'> = {
  async read(ctx, desired, known) {
    const id = desired?.id ?? known?.id;
    const name = known?.physicalId ?? desired?.props.name;
    if (id === undefined || name === undefined) return undefined;
    const o = await observe(ctx, id, name);
    // By name only (no id in state): another stack's parameter is not ours to adopt; create refuses it.
    if (o && known?.physicalId === undefined && ownedByOther(ctx, id, o.props.tags)) return undefined;
    return o;
  },

  create: put,
  update: (ctx, r) => put(ctx, r),

  async delete(ctx, known) {
    const name = known.physicalId ?? (typeof known.props.name === 'string' ? known.props.name : undefined);
    if (name === undefined) return;
    if (known.physicalId === undefined) {
      // Known by name only (a create in flight): never delete another stack's parameter.
      const o = await observe(ctx, known.id, name);
      if (!o || ownedByOther(ctx, known.id, o.props.tags)) return;
    }
    try {
      await ctx.aws.ssm.send(new DeleteParameterCommand({ Name: name }));
    } catch (e) {
      if (isNotFound(e)) return; // ParameterNotFound: already gone
      throw new MplError('AWS_DELETE_FAILED', `ssm parameter ${known.id} (${name}): ${errorName(e)}`, {
        cause: e,
      });
    }
  },
};
