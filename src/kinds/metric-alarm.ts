// A CloudWatch metric alarm (`monitor`: one per consumer, on the probe's BrokersUnreachable).
// PutMetricAlarm creates and updates alike (CloudWatch API reference: "creates or updates"); found
// by name, which is its identity in an account and region; tags by the alarm's ARN.
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateDescribeAlarms,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { z } from 'zod';
import { defineKind, resourceHandler, type HandlerCtx, type Live, type TagApi } from './kind.js';
import { ofStack } from './shared/scan.js';
import { Tags } from './shared/schema.js';
import { arn } from '../iam/scope.js';

const Props = z.strictObject({
  /** 255 characters at most (CloudWatch API reference, PutMetricAlarm AlarmName). */
  name: z.string().min(1).max(255),
  description: z.string().max(1024),
  namespace: z.string(),
  metricName: z.string(),
  dimensions: z.record(z.string(), z.string()),
  statistic: z.enum(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']),
  /** Seconds: 10, 30 or a multiple of 60 (PutMetricAlarm Period). */
  periodS: z.number().int().min(10),
  evaluationPeriods: z.number().int().min(1),
  datapointsToAlarm: z.number().int().min(1),
  threshold: z.number(),
  comparison: z.enum([
    'GreaterThanOrEqualToThreshold',
    'GreaterThanThreshold',
    'LessThanThreshold',
    'LessThanOrEqualToThreshold',
  ]),
  treatMissingData: z.enum(['breaching', 'notBreaching', 'ignore', 'missing']),
  tags: Tags,
});
type Props = z.infer<typeof Props>;

const label = (p: Partial<Props>) => `alarm ${p.name ?? '?'}`;

const arnOf = (ctx: HandlerCtx, name: string) =>
  `arn:aws:cloudwatch:${ctx.aws.region}:${ctx.aws.account}:alarm:${name}`;

const alarmTags: TagApi = {
  async read(ctx, name) {
    const out = await ctx.aws.cloudwatch.send(
      new ListTagsForResourceCommand({ ResourceARN: arnOf(ctx, name) }),
    );
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  },
  async write(ctx, name, set, remove) {
    const add = Object.entries(set);
    if (add.length > 0)
      await ctx.aws.cloudwatch.send(
        new TagResourceCommand({
          ResourceARN: arnOf(ctx, name),
          Tags: add.map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    if (remove.length > 0)
      await ctx.aws.cloudwatch.send(
        new UntagResourceCommand({ ResourceARN: arnOf(ctx, name), TagKeys: remove }),
      );
  },
};

/** DescribeAlarms answers an empty list for an unknown name, not an error: that is "gone". */
async function get(ctx: HandlerCtx, name: string): Promise<MetricAlarm | undefined> {
  const out = await ctx.aws.cloudwatch.send(
    new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm'] }),
  );
  return out.MetricAlarms?.find((a) => a.AlarmName === name);
}

async function observe(ctx: HandlerCtx, a: MetricAlarm): Promise<Live<Props>> {
  const name = a.AlarmName ?? '';
  return {
    physicalId: name,
    props: {
      name,
      description: a.AlarmDescription ?? '',
      namespace: a.Namespace ?? '',
      metricName: a.MetricName ?? '',
      dimensions: Object.fromEntries((a.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? ''])),
      statistic: (a.Statistic ?? 'Maximum') as Props['statistic'],
      periodS: a.Period ?? 0,
      evaluationPeriods: a.EvaluationPeriods ?? 0,
      datapointsToAlarm: a.DatapointsToAlarm ?? a.EvaluationPeriods ?? 0,
      threshold: a.Threshold ?? 0,
      comparison: (a.ComparisonOperator ?? 'GreaterThanOrEqualToThreshold') as Props['comparison'],
      treatMissingData: (a.TreatMissingData ?? 'missing') as Props['treatMissingData'],
      tags: await alarmTags.read(ctx, name),
    },
    outputs: { arn: a.AlarmArn ?? arnOf(ctx, name), name, state: a.StateValue ?? '' },
  };
}

async function put(ctx: HandlerCtx, p: Props, withTags: boolean): Promise<void> {
  await ctx.aws.cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: p.name,
      AlarmDescription: p.description,
      Namespace: p.namespace,
      MetricName: p.metricName,
      Dimensions: Object.entries(p.dimensions).map(([Name, Value]) => ({ Name, Value })),
      Statistic: p.statistic,
      Period: p.periodS,
      EvaluationPeriods: p.evaluationPeriods,
      DatapointsToAlarm: p.datapointsToAlarm,
      Threshold: p.threshold,
      ComparisonOperator: p.comparison,
      TreatMissingData: p.treatMissingData,
      ActionsEnabled: true,
      // On an update PutMetricAlarm ignores Tags (API reference): the skeleton syncs them.
      ...(withTags ? { Tags: Object.entries(p.tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
    }),
  );
}

export const metricAlarm = defineKind({
  kind: 'metric-alarm',
  iam: {
    reads: ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource'],
    writes: (s) => [
      {
        sid: 'MonitorAlarms',
        actions: [
          'cloudwatch:PutMetricAlarm',
          'cloudwatch:DeleteAlarms',
          'cloudwatch:TagResource',
          'cloudwatch:UntagResource',
        ],
        resources: [arn(s, 'cloudwatch', `alarm:mpl-${s.stack} *`)],
      },
    ],
  },
  props: Props,
  replaceOn: ['name'],
  hidden: ['tags'],
  label,
  handler: resourceHandler<Props, MetricAlarm>({
    label,
    byId: (ctx, name) => get(ctx, name),
    byIdentity: (ctx, _id, p) => (p.name === undefined ? Promise.resolve(undefined) : get(ctx, p.name)),
    physicalIdOf: (a) => a.AlarmName ?? '',
    observe: (ctx, a) => observe(ctx, a),
    async create(ctx, r) {
      // An alarm of this name made by someone else would be overwritten by the put: refuse first.
      const before = await get(ctx, r.props.name);
      if (before === undefined) await put(ctx, r.props, true);
      return before ?? (await get(ctx, r.props.name));
    },
    // The skeleton checks the owner of an adopted alarm before configure puts the settings.
    async configure(ctx, r) {
      await put(ctx, r.props, false);
    },
    async update(ctx, r) {
      await put(ctx, r.props, false);
    },
    async remove(ctx, name) {
      await ctx.aws.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
    },
    tags: alarmTags,
  }),
  async scan(ctx) {
    const alarms: MetricAlarm[] = [];
    for await (const page of paginateDescribeAlarms(
      { client: ctx.aws.cloudwatch },
      { AlarmNamePrefix: `mpl-${ctx.stack} `, AlarmTypes: ['MetricAlarm'] },
    ))
      alarms.push(...(page.MetricAlarms ?? []));
    const tagged = await Promise.all(
      alarms.map(async (a) => ({ a, tags: await alarmTags.read(ctx, a.AlarmName ?? '') })),
    );
    const mine = await ofStack(
      ctx,
      'metric-alarm',
      tagged,
      (t) => t.tags,
      (t) => label({ name: t.a.AlarmName }),
    );
    return Promise.all(mine.map(async ({ id, item }) => ({ id, live: await observe(ctx, item.a) })));
  },
});
