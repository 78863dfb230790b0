// `monitor`: the in-VPC probe on a schedule, per consumer. In each consumer VPC: the probe bundle as
// one Lambda function per AZ ID of the consumer's subnets (so every AZ's path is measured), in a
// security group whose egress reaches only the brokers' ports in the VPC, run by an EventBridge
// Scheduler schedule every N minutes; each run publishes per-broker metrics and the consumer's
// BrokersUnreachable, on which one CloudWatch alarm per consumer fires.
import type { ConsumerConfig, ListenerType } from '../config/schema.js';
import type { MonitorEvent } from '../probe/in-vpc/event.js';
import { LAMBDA_VPC_ACTIONS } from '../probe/in-vpc/permissions.js';
import { brokerAddresses } from '../probe/targets.js';
import { ids, parseId } from './ids.js';
import type { Subnet } from './input.js';
import { tagsFor } from './names.js';
import { regionOf, type Ctx } from './stack-parts.js';

/** Lambda's runtime for the bundle (AWS Lambda runtimes: nodejs20.x). */
export const MONITOR_RUNTIME = 'nodejs20.x';
/** The bundle's entry for `monitor` (scripts/build-probe-lambda.mjs exports it beside `handler`). */
export const MONITOR_HANDLER = 'index.monitor';
/** The metric the consumer's alarm watches: brokers one run could not reach (per AZ, Maximum). */
export const UNREACHABLE_METRIC = 'BrokersUnreachable';

/** What the function may do besides its network interfaces: put metrics in its namespace only. */
function probePolicy(namespace: string) {
  return [
    // Lambda's network interfaces in the VPC (AWSLambdaVPCAccessExecutionRole's EC2 actions).
    { Effect: 'Allow' as const, Action: [...LAMBDA_VPC_ACTIONS], Resource: ['*'] },
    // PutMetricData has no resource ARN; the cloudwatch:namespace condition key limits it
    // (CloudWatch user guide, "Using condition keys to limit access to CloudWatch namespaces").
    {
      Effect: 'Allow' as const,
      Action: ['cloudwatch:PutMetricData'],
      Resource: ['*'],
      Condition: { StringEquals: { 'cloudwatch:namespace': namespace } },
    },
  ];
}

/** `rate(1 minute)` / `rate(5 minutes)`: Scheduler wants the singular unit for 1 (user guide, "Rate-based schedules"). */
export function rateExpression(minutes: number): string {
  return `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`;
}

/** The consumer's subnets, the first of each AZ ID: one function per AZ. */
function oneSubnetPerAz(subnets: Subnet[]): Subnet[] {
  const byAz = new Map<string, Subnet>();
  for (const s of subnets) if (!byAz.has(s.azId)) byAz.set(s.azId, s);
  return [...byAz.values()];
}

/** The names of a consumer's monitor resources (IAM, Lambda and Scheduler allow 64 characters). */
export function monitorNames(stack: string, consumer: string) {
  const base = `mpl-${stack}-${consumer}-mon`;
  return {
    role: base,
    schedulerRole: `${base}-sched`,
    securityGroup: base,
    fn: (azId: string) => `${base}-${azId}`,
    alarm: `mpl-${stack} ${consumer} brokers unreachable`,
  };
}

/** The consumer's resources the first run needs in place: its endpoints, records and acceptances. */
const PATH_KINDS = new Set([
  'vpc-endpoint',
  'endpoint-connection-acceptance',
  'resource-endpoint',
  'resource-share-acceptance',
  'dns-record',
]);

export function planMonitor(ctx: Ctx, portAssignments: Record<string, number>): void {
  const { config } = ctx;
  const m = config.monitor;
  if (m === undefined) return;
  const files = ctx.monitor;
  if (files === undefined) throw new Error('planner bug: monitor configured but its files not loaded');
  const listener = (m.listener ?? config.cluster.listeners[0]) as ListenerType;
  const planned = ctx.set.list();
  const byId = new Map(planned.map((r) => [r.id as string, r.props as Record<string, unknown>]));
  const addresses = brokerAddresses(config, ctx.inventory, (id) => byId.get(id), portAssignments, listener);
  const targets = addresses.map((a) => ({
    id: a.id,
    host: a.host,
    port: a.port,
    advertised: { host: a.host, port: a.port },
  }));
  const ports = [...new Set(targets.map((t) => t.port))].sort((a, b) => a - b);
  const clusterConfig = byId.has(ids.clusterConfiguration()) ? [ids.clusterConfiguration()] : [];
  config.consumers.forEach((c, ci) => {
    const pathIds = planned
      .filter((r) => PATH_KINDS.has(r.kind) && parseId(r.id).owner === c.name)
      .map((r) => r.id);
    addConsumerMonitor(ctx, c, ci, { listener, targets, ports, after: [...pathIds, ...clusterConfig] });
  });
}

function addConsumerMonitor(
  ctx: Ctx,
  c: ConsumerConfig,
  ci: number,
  o: { listener: ListenerType; targets: MonitorEvent['targets']; ports: number[]; after: string[] },
): void {
  const m = ctx.config.monitor as NonNullable<Ctx['config']['monitor']>;
  const files = ctx.monitor as NonNullable<Ctx['monitor']>;
  const stack = ctx.config.name;
  const region = regionOf(ctx, c);
  const names = monitorNames(stack, c.name);
  const subnets = oneSubnetPerAz(ctx.consumerSubnets[c.name] ?? []);
  // The schema requires a subnet per consumer.
  if (subnets.length === 0) throw new Error(`planner bug: consumers[${ci}] has no subnets`);
  const roleId = ids.monitorRole(c.name, 'probe');
  ctx.set.add('iam-role', roleId, c.account, region, {
    name: names.role,
    service: 'lambda.amazonaws.com',
    description: `msk-privatelink ${stack}: the monitor's in-VPC probe of ${c.name}`,
    policyName: 'msk-privatelink',
    statements: probePolicy(m.namespace),
    tags: tagsFor(stack, roleId, names.role),
  });
  const sgId = ids.monitorSecurityGroup(c.name);
  ctx.set.add('security-group', sgId, c.account, region, {
    name: names.securityGroup,
    description: `msk-privatelink ${stack}: monitor probe of ${c.name}, egress to the broker ports only`,
    vpcId: c.vpcId,
    ingress: [],
    // DNS to the VPC resolver needs no rule: security groups do not filter it (Amazon VPC user
    // guide, "Security group rules").
    egress: o.ports.map((p) => ({
      protocol: 'tcp' as const,
      fromPort: p,
      toPort: p,
      to: 'vpc',
      description: 'Kafka through the endpoints',
    })),
    tags: tagsFor(stack, sgId, names.securityGroup),
  });
  const fnArns = subnets.map((s) => `arn:aws:lambda:${region}:${c.account}:function:${names.fn(s.azId)}`);
  const schedRoleId = ids.monitorRole(c.name, 'scheduler');
  ctx.set.add('iam-role', schedRoleId, c.account, region, {
    name: names.schedulerRole,
    service: 'scheduler.amazonaws.com',
    // Only this account's schedules may use it (EventBridge Scheduler user guide, "Set up the
    // execution role": confused deputy prevention).
    trustCondition: { StringEquals: { 'aws:SourceAccount': c.account } },
    description: `msk-privatelink ${stack}: runs the monitor's probe of ${c.name}`,
    policyName: 'msk-privatelink',
    statements: [{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: fnArns }],
    tags: tagsFor(stack, schedRoleId, names.schedulerRole),
  });
  // Bounded by its probe: steps in parallel per broker (the in-VPC probe's own bound).
  const timeoutS = Math.min(900, Math.ceil((m.timeoutMs * 8) / 1000) + 30);
  for (const s of subnets) {
    const fnId = ids.monitorFunction(c.name, s.azId);
    const name = names.fn(s.azId);
    ctx.set.add(
      'lambda-function',
      fnId,
      c.account,
      region,
      {
        name,
        runtime: MONITOR_RUNTIME,
        handler: MONITOR_HANDLER,
        role: roleId,
        subnetId: s.id,
        securityGroup: sgId,
        timeoutS,
        memoryMb: 256,
        codeSha256: files.codeSha256,
        description: `msk-privatelink ${stack}: monitor probe of ${c.name} in ${s.azId}`,
        tags: tagsFor(stack, fnId, name),
      },
      [roleId, sgId],
    );
    const event: MonitorEvent = {
      consumer: c.name,
      listener: o.listener,
      targets: o.targets,
      timeoutMs: m.timeoutMs,
      tls: files.ca === undefined ? {} : { ca: files.ca },
      metrics: { namespace: m.namespace, stack, azId: s.azId },
    };
    const schedId = ids.monitorSchedule(c.name, s.azId);
    ctx.set.add(
      'schedule',
      schedId,
      c.account,
      region,
      {
        name,
        expression: rateExpression(m.everyMinutes),
        function: fnId,
        role: schedRoleId,
        input: JSON.stringify(event),
        state: 'ENABLED',
        description: `runs the probe of ${c.name} in ${s.azId} every ${m.everyMinutes} min`,
      },
      // The first run finds the path in place.
      [fnId, schedRoleId, ...o.after],
    );
  }
  const alarmId = ids.monitorAlarm(c.name);
  ctx.set.add('metric-alarm', alarmId, c.account, region, {
    name: names.alarm,
    description: `msk-privatelink ${stack}: a broker was unreachable from ${c.name} (${c.vpcId}) in ${m.alarmAfter} run(s) in a row; see the ${m.namespace} Reachable metric per broker and AZ`,
    namespace: m.namespace,
    metricName: UNREACHABLE_METRIC,
    dimensions: { Stack: stack, Consumer: c.name },
    statistic: 'Maximum',
    periodS: m.everyMinutes * 60,
    evaluationPeriods: m.alarmAfter,
    datapointsToAlarm: m.alarmAfter,
    threshold: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
    // No data is no verdict (INSUFFICIENT_DATA), not a false alarm before the first run.
    treatMissingData: 'missing',
    tags: tagsFor(stack, alarmId, names.alarm),
  });
}
