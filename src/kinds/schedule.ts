// An EventBridge Scheduler schedule invoking a Lambda function of the stack (`monitor`: the in-VPC
// probe every N minutes). Schedules carry no tags (Scheduler API reference: tags are on schedule
// groups), so the stack and logical id are written at the start of the description, which scan and
// the owner check read; found by name in the default group (names are unique per group).
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  UpdateScheduleCommand,
  paginateListSchedules,
  type GetScheduleCommandOutput,
} from '@aws-sdk/client-scheduler';
import { z } from 'zod';
import { MplError } from '../errors.js';
import {
  checkOwner,
  defineKind,
  orGone,
  resourceHandler,
  TAG_ID,
  TAG_STACK,
  type HandlerCtx,
  type Live,
} from './kind.js';
import { foundRefs, logicalIds } from './shared/scan.js';
import { Ref } from './shared/schema.js';
import { arn } from '../iam/scope.js';

const Props = z.strictObject({
  /** 64 characters at most (Scheduler API reference, CreateSchedule Name). */
  name: z.string().min(1).max(64),
  /** rate(...) or cron(...), as the Scheduler user guide's "Schedule types" writes them. */
  expression: z.string(),
  /** The lambda-function it invokes and the iam-role it invokes it with (logical ids). */
  function: Ref,
  role: Ref,
  /** The JSON event the function receives. */
  input: z.string(),
  state: z.enum(['ENABLED', 'DISABLED']),
  /** Human text after the owner marker; 512 characters in all at most. */
  description: z.string().max(400),
});
type Props = z.infer<typeof Props>;
type Schedule = GetScheduleCommandOutput;

const GROUP = 'default';
const label = (p: Partial<Props>) => `schedule ${p.name ?? '?'}`;

/** "msk-privatelink:stack=<stack> msk-privatelink:id=<id>: <text>": the tags a schedule cannot have. */
const describeAs = (stack: string, id: string, text: string) =>
  `${TAG_STACK}=${stack} ${TAG_ID}=${id}: ${text}`;
function ownerOf(description: string | undefined): { tags: Record<string, string>; text: string } {
  const m = /^msk-privatelink:stack=(\S+) msk-privatelink:id=(\S+): ([\s\S]*)$/.exec(description ?? '');
  return m
    ? { tags: { [TAG_STACK]: m[1] as string, [TAG_ID]: m[2] as string }, text: m[3] as string }
    : { tags: {}, text: description ?? '' };
}

const get = (ctx: HandlerCtx, name: string) =>
  ctx.aws.scheduler.send(new GetScheduleCommand({ Name: name, GroupName: GROUP }));

const arnOutput = (ctx: HandlerCtx, id: string): string => {
  const v = ctx.ref(id).outputs.arn;
  if (typeof v !== 'string' || v === '') throw new MplError('REF_MISSING', `${id} has no arn in state`);
  return v;
};

/**
 * A function or role ARN back to the logical id of what the stack made under that name: the one
 * props name when its ARN is this one (a schedule and its function share their name, the physical
 * id `idOf` answers by, so `idOf` alone may answer the schedule itself), else by name.
 */
function idOfArn(ctx: HandlerCtx, arn: string, sep: string, like: string | undefined): string {
  if (like !== undefined) {
    try {
      if (ctx.ref(like).outputs.arn === arn) return like;
    } catch {
      // Not made (REF_MISSING): by name below.
    }
  }
  return ctx.idOf(arn.slice(arn.lastIndexOf(sep) + 1)) ?? arn;
}

function observe(ctx: HandlerCtx, s: Schedule, like?: Partial<Props>): Live<Props> {
  return {
    physicalId: s.Name ?? '',
    props: {
      name: s.Name ?? '',
      expression: s.ScheduleExpression ?? '',
      function: idOfArn(ctx, s.Target?.Arn ?? '', ':', like?.function),
      role: idOfArn(ctx, s.Target?.RoleArn ?? '', '/', like?.role),
      input: s.Target?.Input ?? '',
      state: s.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      description: ownerOf(s.Description).text,
    },
    outputs: { arn: s.Arn ?? '', name: s.Name ?? '' },
  };
}

function request(ctx: HandlerCtx, id: string, p: Props) {
  return {
    Name: p.name,
    GroupName: GROUP,
    ScheduleExpression: p.expression,
    // Runs at the time it is due: the probe measures now, not within a window.
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    Target: {
      Arn: arnOutput(ctx, p.function),
      RoleArn: arnOutput(ctx, p.role),
      Input: p.input,
      // A missed run is not worth retrying: the next one is minutes away.
      RetryPolicy: { MaximumRetryAttempts: 0 },
    },
    State: p.state,
    Description: describeAs(ctx.stack, id, p.description),
  };
}

export const schedule = defineKind({
  kind: 'schedule',
  iam: {
    reads: ['scheduler:GetSchedule', 'scheduler:ListSchedules'],
    writes: (s) => [
      {
        sid: 'MonitorSchedules',
        actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
        resources: [arn(s, 'scheduler', `schedule/default/mpl-${s.stack}-*`)],
      },
    ],
  },
  props: Props,
  replaceOn: ['name'],
  // The input is the function's event (targets, CA certificate): long; it is in the plan JSON.
  hidden: ['input'],
  label,
  handler: resourceHandler<Props, Schedule>({
    label,
    byId: (ctx, name) => get(ctx, name),
    async byIdentity(ctx, id, p) {
      if (p.name === undefined) return undefined;
      const s = await get(ctx, p.name);
      checkOwner(ctx, id, label(p), ownerOf(s.Description).tags);
      return s;
    },
    physicalIdOf: (s) => s.Name ?? '',
    observe: (ctx, s, like) => Promise.resolve(observe(ctx, s, like)),
    async create(ctx, r) {
      try {
        await ctx.aws.scheduler.send(new CreateScheduleCommand(request(ctx, r.id, r.props)));
      } catch (e) {
        // Made by a run whose answer was lost (ConflictException): adopted after the owner check.
        if ((e as { name?: string }).name !== 'ConflictException') throw e;
      }
      const s = await get(ctx, r.props.name);
      checkOwner(ctx, r.id, label(r.props), ownerOf(s.Description).tags);
      return s;
    },
    async update(ctx, r) {
      // UpdateSchedule replaces every setting (Scheduler API reference): the whole request again.
      await ctx.aws.scheduler.send(new UpdateScheduleCommand(request(ctx, r.id, r.props)));
    },
    async remove(ctx, name, p, id) {
      const s = await orGone(label(p), () => get(ctx, name));
      if (s === undefined) return;
      const owner = ownerOf(s.Description).tags;
      if (owner[TAG_STACK] !== ctx.stack || owner[TAG_ID] !== id) {
        ctx.log(
          `${label(p)} (${id}) now belongs to ${owner[TAG_STACK] ?? '?'}/${owner[TAG_ID] ?? '?'}; left as is`,
        );
        return;
      }
      await ctx.aws.scheduler.send(new DeleteScheduleCommand({ Name: name, GroupName: GROUP }));
    },
  }),
  async scan(ctx, found) {
    const names: string[] = [];
    for await (const page of paginateListSchedules(
      { client: ctx.aws.scheduler },
      { GroupName: GROUP, NamePrefix: `mpl-${ctx.stack}-` },
    ))
      for (const s of page.Schedules ?? []) if (s.Name) names.push(s.Name);
    const { tryParseId } = await logicalIds();
    const out: Array<{ id: string; live: Live<Props>; dependsOn: string[] }> = [];
    for (const name of names.sort()) {
      const s = await orGone(label({ name }), () => get(ctx, name));
      const owner = ownerOf(s?.Description).tags;
      const id = owner[TAG_ID];
      if (s === undefined || owner[TAG_STACK] !== ctx.stack || id === undefined) continue;
      if (tryParseId(id)?.kind !== 'schedule') continue;
      const live = observe(ctx, s);
      out.push({ id, live, dependsOn: foundRefs(found, [live.props.function, live.props.role]) });
    }
    return out;
  },
  scanAfter: ['lambda-function', 'iam-role'],
});
