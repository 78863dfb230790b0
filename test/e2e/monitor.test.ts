// Issue 13 scope 2: `monitor` in the config. Applied with pattern 1 on the testbed, it makes per
// consumer a probe function per AZ ID in the consumer VPC (an egress-only security group, a role
// limited to network interfaces and PutMetricData in its namespace), an EventBridge Scheduler schedule
// per function and one CloudWatch alarm. The AWS twin's scheduler fires the schedules: every run
// probes every broker through the consumer VPC's resolver and endpoints with TLS verified and
// publishes Reachable, ConnectMs and TlsMs per broker and AZ, and BrokersUnreachable per consumer.
// A record deleted out of band turns the alarm to ALARM on the next run; destroy leaves nothing
// (AWS CLI read-back).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';
import type { ScheduleInvocation } from '../testbed/aws/twin.js';
import { cli, cliExpect, writeStackConfig } from '../support/e2e.js';
import { awsCli, dnsName, type StateFile } from './support-lifecycle.js';

const STACK = 'mon';
const NAMESPACE = 'MskPrivateLinkE2e';

interface RunResult {
  ok: boolean;
  unreachable: number[];
  metrics: number;
}

describe('e2e: monitor, the in-VPC probe on a schedule with metrics and an alarm (issue 13)', function () {
  this.timeout(300_000);
  let tb: Testbed;
  let file: string;
  let statePath: string;
  let account: string;
  let vpcId: string;
  let azIds: string[];
  const figures: string[] = [];

  const aws = <T>(args: string[]) => awsCli<T>(tb, account, args);

  const run = (argv: string[], expected: number) => cliExpect(tb, argv, expected);

  /** Fires c1's schedules now (what EventBridge Scheduler does every N minutes) and answers each run. */
  async function fire(): Promise<Array<ScheduleInvocation & { run: RunResult }>> {
    const t0 = Date.now();
    const fired = await tb.control.fireSchedules({ account, region: tb.region });
    figures.push(
      `one round of c1's scheduled probes (${fired.invocations.length} AZs): ${Date.now() - t0} ms`,
    );
    assert.deepEqual(fired.skipped, []);
    return fired.invocations.map((i) => {
      assert.equal(i.status, 'delivered', JSON.stringify(i));
      assert.ok(!i.functionError, `${i.name}: ${JSON.stringify(i.result)}\n${i.logs ?? ''}`);
      return { ...i, run: i.result as RunResult };
    });
  }

  async function alarmState(): Promise<string> {
    const out = await aws<{ MetricAlarms: Array<{ AlarmName: string; StateValue: string }> }>([
      'cloudwatch',
      'describe-alarms',
      '--alarm-names',
      `mpl-${STACK} c1 brokers unreachable`,
    ]);
    assert.equal(out.MetricAlarms.length, 1, 'one alarm for c1');
    return out.MetricAlarms[0]?.StateValue ?? '';
  }

  /** The latest Reachable value of one broker from one AZ (GetMetricStatistics, Minimum over the last minutes). */
  async function reachable(broker: number, azId: string): Promise<number | undefined> {
    const end = new Date(Date.now() + 60_000);
    const start = new Date(Date.now() - 10 * 60_000);
    const out = await aws<{ Datapoints: Array<{ Minimum: number; Timestamp: string | number }> }>([
      'cloudwatch',
      'get-metric-statistics',
      '--namespace',
      NAMESPACE,
      '--metric-name',
      'Reachable',
      '--dimensions',
      `Name=Stack,Value=${STACK}`,
      'Name=Consumer,Value=c1',
      `Name=Broker,Value=${broker}`,
      `Name=AZ,Value=${azId}`,
      '--statistics',
      'Minimum',
      '--period',
      '60',
      '--start-time',
      start.toISOString(),
      '--end-time',
      end.toISOString(),
    ]);
    // The AWS CLI prints timestamps as ISO text or epoch seconds depending on its settings.
    const ms = (t: string | number) => (typeof t === 'number' ? t * 1000 : Date.parse(t));
    const last = out.Datapoints.sort((a, b) => ms(a.Timestamp) - ms(b.Timestamp)).at(-1);
    return last?.Minimum;
  }

  before(async function () {
    this.timeout(240_000);
    tb = await getTestbed({ reset: true });
    await tb.control.clearSchedulerInvocations();
    const stack = await writeStackConfig(tb, {
      name: STACK,
      pattern: 1,
      extra: {
        monitor: { everyMinutes: 1, alarmAfter: 1, namespace: NAMESPACE, caFile: tb.caPath, timeoutMs: 2000 },
      },
    });
    file = stack.file;
    statePath = stack.statePath;
    account = tb.scenario.accounts.consumers[0] as string;
    vpcId = tb.scenario.consumers[0]?.vpcId as string;
    azIds = [...new Set(tb.scenario.consumers[0]?.subnets.map((s) => s.availabilityZoneId))].sort();
    const t0 = Date.now();
    await run(['apply', '--config', file, '--auto-approve'], 0);
    figures.push(
      `apply pattern 1 with monitor (${tb.scenario.consumers.length} consumers): ${Date.now() - t0} ms`,
    );
    await tb.network.reconcileNow();
  });

  after(async function () {
    this.timeout(180_000);
    if (file) await run(['destroy', '--config', file, '--auto-approve'], 0);
    if (figures.length > 0) console.log(`      ${figures.join('\n      ')}`);
  });

  it('makes per consumer a function and a schedule per AZ ID, an egress-only group, two narrow roles and one alarm', async () => {
    const fns = await aws<{
      Functions: Array<{
        FunctionName: string;
        Handler: string;
        Runtime: string;
        VpcConfig?: { SubnetIds: string[]; SecurityGroupIds: string[] };
      }>;
    }>(['lambda', 'list-functions']);
    const mine = fns.Functions.filter((f) => f.FunctionName.startsWith(`mpl-${STACK}-c1-mon-`));
    assert.deepEqual(
      mine.map((f) => f.FunctionName).sort(),
      azIds.map((az) => `mpl-${STACK}-c1-mon-${az}`),
    );
    for (const f of mine) {
      assert.equal(f.Handler, 'index.monitor');
      assert.equal(f.Runtime, 'nodejs20.x');
      assert.equal(f.VpcConfig?.SubnetIds.length, 1);
    }
    const schedules = await aws<{ Schedules: Array<{ Name: string; State: string }> }>([
      'scheduler',
      'list-schedules',
      '--name-prefix',
      `mpl-${STACK}-c1-`,
    ]);
    assert.deepEqual(
      schedules.Schedules.map((s) => s.Name).sort(),
      azIds.map((az) => `mpl-${STACK}-c1-mon-${az}`),
    );
    const one = await aws<{
      ScheduleExpression: string;
      Target: { Arn: string; RoleArn: string; Input: string };
    }>(['scheduler', 'get-schedule', '--name', `mpl-${STACK}-c1-mon-${azIds[0]}`]);
    assert.equal(one.ScheduleExpression, 'rate(1 minute)');
    assert.match(one.Target.RoleArn, new RegExp(`role/mpl-${STACK}-c1-mon-sched$`));
    const input = JSON.parse(one.Target.Input) as { targets: Array<{ host: string; port: number }> };
    assert.equal(input.targets.length, tb.scenario.cluster.brokers.length);
    assert.ok(!/password|PRIVATE KEY/i.test(one.Target.Input), 'no secret in the schedule input');

    const sg = await aws<{
      SecurityGroups: Array<{
        IpPermissions: unknown[];
        IpPermissionsEgress: Array<{
          IpProtocol: string;
          FromPort?: number;
          ToPort?: number;
          IpRanges: Array<{ CidrIp: string }>;
        }>;
      }>;
    }>([
      'ec2',
      'describe-security-groups',
      '--filters',
      `Name=vpc-id,Values=${vpcId}`,
      `Name=group-name,Values=mpl-${STACK}-c1-mon`,
    ]);
    const group = sg.SecurityGroups[0];
    assert.ok(group, 'the probe security group');
    assert.deepEqual(group.IpPermissions, [], 'no ingress');
    const cidr = tb.scenario.consumers[0]?.cidr;
    assert.deepEqual(
      group.IpPermissionsEgress.map(
        (p) => `${p.IpProtocol} ${p.FromPort}-${p.ToPort} ${p.IpRanges.map((r) => r.CidrIp).join(',')}`,
      ),
      [`tcp 9094-9094 ${cidr}`],
      'egress only to the brokers port in the VPC (AWS default allow-all revoked)',
    );

    const policy = await aws<{
      PolicyDocument: { Statement: Array<{ Action: string[]; Condition?: unknown }> };
    }>(['iam', 'get-role-policy', '--role-name', `mpl-${STACK}-c1-mon`, '--policy-name', 'msk-privatelink']);
    const actions = policy.PolicyDocument.Statement.flatMap((s) => s.Action).sort();
    assert.ok(actions.includes('cloudwatch:PutMetricData') && actions.includes('ec2:CreateNetworkInterface'));
    assert.ok(!actions.some((a) => a.includes('*')), `no wildcard actions: ${actions.join(', ')}`);
    const put = policy.PolicyDocument.Statement.find((s) => s.Action.includes('cloudwatch:PutMetricData'));
    assert.deepEqual(put?.Condition, { StringEquals: { 'cloudwatch:namespace': NAMESPACE } });
    assert.equal(await alarmState(), 'INSUFFICIENT_DATA', 'no run yet: no verdict');
  });

  it('a re-plan right after apply changes nothing (the monitor converges)', async () => {
    const r = await cli(tb, ['plan', '--config', file]);
    assert.equal(r.code, 0, `plan after apply wants changes (exit 2 = changes):\n${r.out}\n${r.err}`);
  });

  it('each scheduled run reaches every broker from its AZ with TLS verified and publishes metrics; the alarm is OK', async () => {
    const runs = await fire();
    assert.deepEqual(
      runs.map((r) => r.name).sort(),
      azIds.map((az) => `mpl-${STACK}-c1-mon-${az}`),
    );
    const brokers = tb.scenario.cluster.brokers.length;
    for (const r of runs) {
      assert.deepEqual(r.run.unreachable, [], `${r.name}: ${JSON.stringify(r.run)}`);
      assert.equal(r.run.ok, true);
      // Reachable, ConnectMs and TlsMs per broker, and BrokersUnreachable.
      assert.equal(r.run.metrics, brokers * 3 + 1);
    }
    for (const az of azIds)
      for (const b of tb.scenario.cluster.brokers)
        assert.equal(await reachable(b.id, az), 1, `broker ${b.id} from ${az}`);
    assert.equal(await alarmState(), 'OK');
  });

  it('a record deleted out of band: the next run names the broker and the alarm goes to ALARM; apply mends it', async () => {
    const state = JSON.parse(await readFile(statePath, 'utf8')) as StateFile;
    const zone = state.resources['c1/hosted-zone'];
    const zoneId = String(zone?.outputs.zoneId ?? zone?.physicalId);
    const broker = tb.scenario.cluster.brokers.find((b) => b.id === 2);
    assert.ok(broker);
    const records = await aws<{ ResourceRecordSets: Array<{ Name: string; Type: string }> }>([
      'route53',
      'list-resource-record-sets',
      '--hosted-zone-id',
      zoneId,
    ]);
    const rr = records.ResourceRecordSets.find(
      (r) => dnsName(r.Name) === dnsName(broker.endpoint) && r.Type === 'A',
    );
    assert.ok(rr, `record ${broker.endpoint}`);
    await aws([
      'route53',
      'change-resource-record-sets',
      '--hosted-zone-id',
      zoneId,
      '--change-batch',
      JSON.stringify({ Changes: [{ Action: 'DELETE', ResourceRecordSet: rr }] }),
    ]);
    await tb.network.reconcileNow();
    const runs = await fire();
    for (const r of runs) assert.deepEqual(r.run.unreachable, [2], `${r.name}: ${JSON.stringify(r.run)}`);
    for (const az of azIds) assert.equal(await reachable(2, az), 0, `broker 2 from ${az}`);
    assert.equal(await reachable(1, azIds[0] as string), 1, 'broker 1 still reachable');
    assert.equal(await alarmState(), 'ALARM');

    await run(['apply', '--config', file, '--auto-approve'], 0);
    await tb.network.reconcileNow();
    const after = await fire();
    for (const r of after) assert.deepEqual(r.run.unreachable, [], `${r.name}: ${JSON.stringify(r.run)}`);
  });

  it('destroy removes every function, schedule, alarm, role, security group and network interface of the monitor', async () => {
    await run(['destroy', '--config', file, '--auto-approve'], 0);
    file = '';
    for (const acct of tb.scenario.accounts.consumers) {
      const as = <T>(args: string[]) => awsCli<T>(tb, acct, args);
      const fns = await as<{ Functions: Array<{ FunctionName: string }> }>(['lambda', 'list-functions']);
      assert.deepEqual(
        fns.Functions.map((f) => f.FunctionName).filter((n) => n.startsWith(`mpl-${STACK}-`)),
        [],
      );
      const schedules = await as<{ Schedules: unknown[] }>([
        'scheduler',
        'list-schedules',
        '--name-prefix',
        `mpl-${STACK}-`,
      ]);
      assert.deepEqual(schedules.Schedules, []);
      const alarms = await as<{ MetricAlarms: unknown[] }>([
        'cloudwatch',
        'describe-alarms',
        '--alarm-name-prefix',
        `mpl-${STACK} `,
      ]);
      assert.deepEqual(alarms.MetricAlarms, []);
      const roles = await as<{ Roles: Array<{ RoleName: string }> }>(['iam', 'list-roles']);
      assert.deepEqual(
        roles.Roles.map((r) => r.RoleName).filter((n) => n.startsWith(`mpl-${STACK}-`)),
        [],
      );
      const sgs = await as<{ SecurityGroups: Array<{ GroupName: string }> }>([
        'ec2',
        'describe-security-groups',
      ]);
      assert.deepEqual(
        sgs.SecurityGroups.map((g) => g.GroupName).filter((n) => n.startsWith(`mpl-${STACK}-`)),
        [],
      );
      const enis = await as<{ NetworkInterfaces: Array<{ InterfaceType?: string; Description?: string }> }>([
        'ec2',
        'describe-network-interfaces',
      ]);
      assert.deepEqual(
        enis.NetworkInterfaces.filter(
          (e) => e.InterfaceType === 'lambda' || /Lambda/.test(e.Description ?? ''),
        ),
        [],
      );
    }
  });
});
