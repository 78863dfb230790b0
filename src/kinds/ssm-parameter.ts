// The bootstrap string published in a consumer account (optional, `bootstrapParameter`), so clients need not
// know broker names. Values are never logged or put in messages: a parameter could hold a secret.
// Found by name (its identity); another stack's parameter is never adopted, overwritten or deleted.
// Tier: standard up to 4 KB, advanced up to 8 KB ("Managing parameter tiers", AWS Systems Manager User
// Guide); an advanced parameter cannot become standard again, so a tier change replaces it.
import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  RemoveTagsFromResourceCommand,
  paginateDescribeParameters,
  type Parameter,
} from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { awsFailure, errorName, messageOf } from '../aws/errors.js';
import { MplError, type ErrorCode } from '../errors.js';
import {
  TAG_ID,
  TAG_STACK,
  defineKind,
  orGone,
  ownedBy,
  resourceHandler,
  type HandlerCtx,
  type Live,
  type TagApi,
} from './kind.js';
import { firstPerId, taggedId } from './shared/scan.js';
import { Tags } from './shared/schema.js';
import { arn } from '../iam/scope.js';

const Props = z.strictObject({
  name: z.string(),
  type: z.literal('String'),
  value: z.string(),
  /** Standard holds 4,096 characters, Advanced 8,192 ($0.05 a month, AWS Systems Manager pricing). */
  tier: z.enum(['Standard', 'Advanced']).default('Standard'),
  tags: Tags,
});
type Props = z.infer<typeof Props>;

const label = (p: Partial<Props>) => `ssm parameter ${p.name ?? '?'}`;

/** SSM's tag calls for a parameter (resource id: its name). */
export const ssmTags: TagApi = {
  async read(ctx, name) {
    const out = await ctx.aws.ssm.send(
      new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }),
    );
    return Object.fromEntries((out.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  },
  async write(ctx, name, set, remove) {
    const add = Object.entries(set);
    if (add.length > 0) {
      await ctx.aws.ssm.send(
        new AddTagsToResourceCommand({
          ResourceType: 'Parameter',
          ResourceId: name,
          Tags: add.map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    }
    if (remove.length > 0) {
      await ctx.aws.ssm.send(
        new RemoveTagsFromResourceCommand({ ResourceType: 'Parameter', ResourceId: name, TagKeys: remove }),
      );
    }
  },
};

/** Another stack's (or another logical id's) parameter: never adopted, overwritten or deleted. */
function ownedByOther(ctx: HandlerCtx, id: string, tags: Record<string, string>): boolean {
  return (TAG_STACK in tags || TAG_ID in tags) && !ownedBy(ctx, id, tags);
}

async function get(ctx: HandlerCtx, name: string): Promise<Parameter | undefined> {
  const out = await ctx.aws.ssm.send(new GetParameterCommand({ Name: name }));
  return out.Parameter;
}

/**
 * The parameter as it is now (undefined when there is none), refused when another stack's tags
 * are on it: checked before PutParameter, which would overwrite it.
 */
async function guard(
  ctx: HandlerCtx,
  id: string,
  name: string,
  what: string,
): Promise<Parameter | undefined> {
  const existing = await orGone(what, () => get(ctx, name));
  if (existing === undefined) return undefined;
  const tags = (await orGone(what, () => ssmTags.read(ctx, name))) ?? {};
  if (ownedByOther(ctx, id, tags)) {
    throw new MplError(
      'PARAMETER_CONFLICT',
      `${what} exists and belongs to ${tags[TAG_STACK] ?? '?'}/${tags[TAG_ID] ?? '?'}; ` +
        'choose another bootstrapParameter name or delete it',
    );
  }
  return existing;
}

/**
 * Writes the value when it differs. A failure is reported by its AWS error name only: SSM's
 * validation messages quote the offending input ("Value '...' at 'value' failed to satisfy
 * constraint"), which here is the parameter's value. Credentials failures keep their own message.
 */
async function putValue(
  ctx: HandlerCtx,
  p: Props,
  existing: Parameter | undefined,
  code: ErrorCode,
  what: string,
): Promise<void> {
  if (
    existing &&
    existing.Value === p.value &&
    existing.Type === p.type &&
    (await tierOf(ctx, p.name)) === p.tier
  )
    return;
  try {
    // Overwrite cannot be combined with Tags in one PutParameter (SSM API reference), so tags follow.
    await ctx.aws.ssm.send(
      new PutParameterCommand({ Name: p.name, Value: p.value, Type: p.type, Tier: p.tier, Overwrite: true }),
    );
  } catch (e) {
    const f = awsFailure(code, what, e);
    if (f.code !== code) throw f;
    // SSM's validation messages can quote the whole value (thousands of characters): left out then.
    const message = messageOf(e);
    const shown = message.includes(p.value) ? '' : `: ${message}`;
    throw new MplError(code, `${what}: ${errorName(e) || 'error'}${shown}`, {
      cause: e,
      retriable: f.retriable,
    });
  }
}

/** A parameter's tier: GetParameter does not answer it, DescribeParameters does. */
async function tierOf(ctx: HandlerCtx, name: string): Promise<Props['tier']> {
  const out = await ctx.aws.ssm.send(
    new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] }),
  );
  return out.Parameters?.[0]?.Tier === 'Advanced' ? 'Advanced' : 'Standard';
}

/** Props as SSM answers them (values are never logged). */
async function observe(ctx: HandlerCtx, p: Parameter): Promise<Live<Props>> {
  const name = p.Name as string;
  return {
    physicalId: name,
    props: {
      name,
      // The schema has only String; anything else shows as a change (and type forces a replace).
      type: p.Type as 'String',
      value: p.Value ?? '',
      tier: await tierOf(ctx, name),
      tags: await ssmTags.read(ctx, name),
    },
    outputs: { name, version: p.Version ?? 0 },
  };
}

/** The stack's parameters in ctx's account and region, by their tags (filtered by SSM and checked here). */
async function scan(ctx: HandlerCtx): Promise<Array<{ id: string; live: Live<Props> }>> {
  const names: string[] = [];
  for await (const page of paginateDescribeParameters(
    { client: ctx.aws.ssm },
    { ParameterFilters: [{ Key: `tag:${TAG_STACK}`, Values: [ctx.stack] }] },
  )) {
    for (const p of page.Parameters ?? []) if (p.Name !== undefined) names.push(p.Name);
  }
  const tagged: Array<{ id: string; item: Parameter }> = [];
  for (const name of names.sort()) {
    const what = label({ name });
    // Deleted since it was listed: not found.
    const tags = await orGone(what, () => ssmTags.read(ctx, name));
    const id = await taggedId(ctx, 'ssm-parameter', tags, what);
    const p = id === undefined ? undefined : await orGone(what, () => get(ctx, name));
    if (id !== undefined && p !== undefined) tagged.push({ id, item: p });
  }
  return Promise.all(
    firstPerId(ctx, tagged, (p) => p.Name ?? '?').map(async ({ id, item }) => ({
      id,
      live: await observe(ctx, item),
    })),
  );
}

export const ssmParameter = defineKind({
  kind: 'ssm-parameter',
  iam: {
    reads: ['ssm:DescribeParameters', 'ssm:GetParameter', 'ssm:ListTagsForResource'],
    // Exactly the parameters the config names.
    writes: (s, props) => [
      {
        sid: 'BootstrapParameters',
        actions: [
          'ssm:PutParameter',
          'ssm:DeleteParameter',
          'ssm:AddTagsToResource',
          'ssm:RemoveTagsFromResource',
        ],
        resources: [...new Set(props.map((p) => arn(s, 'ssm', `parameter/${p.name.replace(/^\//, '')}`)))],
      },
    ],
  },
  props: Props,
  terraform: (p) => ({
    type: 'aws_ssm_parameter',
    args: { name: p.name, type: p.type, value: p.value, tier: p.tier, tags: p.tags },
  }),
  // AWS::SSM::Parameter takes its tags as a map.
  cloudformation: (p) => ({
    type: 'AWS::SSM::Parameter',
    properties: { Name: p.name, Type: p.type, Value: p.value, Tier: p.tier, Tags: p.tags },
  }),
  // The name is the parameter's identity. The schema has only String; a type that differs is a
  // parameter made otherwise (StringList, SecureString), which is replaced, not overwritten. An
  // advanced parameter cannot be made standard, and a standard one grows into advanced only with a
  // value it could not hold before: either way the tier replaces (delete, then PutParameter).
  replaceOn: ['name', 'type', 'tier'],
  hidden: ['tags'],
  label,
  handler: resourceHandler<Props, Parameter>({
    label,
    byId: (ctx, name) => get(ctx, name),
    async byIdentity(ctx, id, p) {
      if (p.name === undefined) return undefined;
      const found = await get(ctx, p.name);
      // By name only (no id in state): another stack's parameter is not ours to adopt; create refuses it.
      if (found === undefined || ownedByOther(ctx, id, await ssmTags.read(ctx, p.name))) return undefined;
      return found;
    },
    physicalIdOf: (p) => p.Name ?? '',

    observe: (ctx, p) => observe(ctx, p),

    async create(ctx, r) {
      const what = `${label(r.props)} (${r.id})`;
      const existing = await guard(ctx, r.id, r.props.name, what);
      await putValue(ctx, r.props, existing, 'CREATE_FAILED', what);
      const after = await orGone(what, () => get(ctx, r.props.name));
      if (!after) throw new MplError('RESOURCE_GONE', `${what}: not found right after PutParameter`);
      return after;
    },

    async update(ctx, r) {
      const what = `${label(r.props)} (${r.id})`;
      // Read again rather than trusting `before`: the tags may have changed hands since.
      const existing = await guard(ctx, r.id, r.props.name, what);
      await putValue(ctx, r.props, existing, 'UPDATE_FAILED', what);
    },

    async remove(ctx, name, _p, id) {
      let tags: Record<string, string>;
      try {
        tags = await ssmTags.read(ctx, name);
      } catch (e) {
        // ListTagsForResource answers InvalidResourceId for a parameter that does not exist: gone.
        if (errorName(e) === 'InvalidResourceId') return;
        throw e;
      }
      // Made again under this name by another stack since this one recorded it: not ours to delete.
      if (ownedByOther(ctx, id, tags)) {
        ctx.log(`ssm parameter ${id} (${name}) now carries another stack's tags; left as is`);
        return;
      }
      // ParameterNotFound (already gone) is success for the skeleton's delete.
      await ctx.aws.ssm.send(new DeleteParameterCommand({ Name: name }));
    },
    tags: ssmTags,
  }),
  scan,
});
