/**
 * `npm run bench:aws-cli`: the baseline. What a careful user does by hand for pattern 1 (a Network
 * Load Balancer, an endpoint service, an interface endpoint and a DNS alias per broker, as in AWS's
 * reference write-up "How Goldman Sachs builds cross-account connectivity to their Amazon MSK
 * clusters with AWS PrivateLink"), scripted one AWS CLI command at a time, against the same AWS twin,
 * the same scenario and the same resources as `apply` makes (security groups, target groups, NLBs,
 * listeners, endpoint services and permissions, endpoints, their acceptance, a private zone and
 * one alias per broker), waiting where AWS's guides say to wait. Then `apply` of the same stack on a
 * fresh twin. Prints, in AWS time (twin time / factor):
 *
 *   case=aws-cli-p1-b3-c1 factor=0.05 aws-cli-s=… apply-s=… vs-aws-cli=0.41 aws-cli-commands=…
 *
 * Each `aws` command starts a Python interpreter (about a second here, unscaled); that start-up,
 * measured before the run, is taken out of the baseline's time for the commands outside waits (polls
 * run while AWS provisions: their start-up overlaps a wait that lasts as long either way), so the
 * figure compares AWS time only. The waits poll as the AWS CLI's waiters do (elbv2 load-balancer-available every
 * 15 s, route53 resource-record-sets-changed every 30 s; endpoints have no waiter: every 15 s),
 * in scaled time.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AWS_TIMINGS } from '../../src/aws/timings.js';
import { applyPlan, planLive } from '../../src/ops/plan.js';
import { withStack } from '../../src/ops/stack.js';
import { ensureAwsCli } from '../support/aws-cli.js';
import { writeStackConfig } from '../support/e2e.js';
import { envFor } from '../testbed/aws/twin.js';
import { startTwinBed, type TwinBed } from '../testbed/twin-bed.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const run = promisify(execFile);
const PYTHON = process.env.TWIN_PYTHON ?? 'python3';
const FACTOR = Number(process.env.MPL_BENCH_FACTOR ?? '0.05');
const BROKERS = Number(process.env.MPL_BENCH_BROKERS ?? '3');
const PORT = 9094;

async function bed(): Promise<TwinBed> {
  const b = await startTwinBed({ brokers: BROKERS, consumers: 1, throttling: true });
  await b.aws.control.setDelays({ ...AWS_TIMINGS });
  await b.aws.control.setTime({ factor: FACTOR });
  return b;
}

const sleep = (awsMs: number) => new Promise((r) => setTimeout(r, awsMs * FACTOR));

/**
 * The AWS CLI in one account against the twin; answers the parsed JSON. Counts commands, and apart
 * those that poll during a wait (their start-up overlaps time AWS spends provisioning anyway).
 */
function cliIn(b: TwinBed) {
  let commands = 0;
  let polls = 0;
  const aws = async (account: string, args: string[], poll = false): Promise<Record<string, unknown>> => {
    commands++;
    if (poll) polls++;
    const { stdout } = await run(PYTHON, ['-m', 'awscli', ...args, '--output', 'json'], {
      env: { ...process.env, ...envFor(b.aws, account), AWS_DEFAULT_REGION: b.region, AWS_PAGER: '' },
    });
    return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
  };
  return { aws, commands: () => commands, polls: () => polls };
}

/** The hand-made steps, one command at a time. */
async function byHand(b: TwinBed): Promise<{ ms: number; commands: number; polls: number }> {
  const { aws, commands, polls } = cliIn(b);
  const provider = b.accounts.provider;
  const consumer = b.accounts.consumers[0] as string;
  const pNet = b.scenario.provider;
  const cNet = b.scenario.consumers[0]!;
  const t0 = performance.now();
  const get = (o: unknown, ...path: Array<string | number>): string => {
    let v: unknown = o;
    for (const k of path) v = (v as Record<string | number, unknown>)[k];
    return String(v);
  };

  // A group admitting the consumer VPC on the Kafka port, as the tool's own groups do.
  const securityGroup = async (account: string, name: string, vpcId: string): Promise<string> => {
    const sg = await aws(account, [
      'ec2',
      'create-security-group',
      '--group-name',
      name,
      '--description',
      name,
      '--vpc-id',
      vpcId,
    ]);
    const id = get(sg, 'GroupId');
    await aws(account, [
      'ec2',
      'authorize-security-group-ingress',
      '--group-id',
      id,
      '--protocol',
      'tcp',
      '--port',
      String(PORT),
      '--cidr',
      cNet.cidr,
    ]);
    return id;
  };
  const sgId = await securityGroup(provider, 'bl-nlb', pNet.vpcId);
  const services: string[] = [];
  for (const broker of b.kafka.brokers) {
    const tg = await aws(provider, [
      'elbv2',
      'create-target-group',
      '--name',
      `bl-b${broker.id}`,
      '--protocol',
      'TCP',
      '--port',
      String(PORT),
      '--vpc-id',
      pNet.vpcId,
      '--target-type',
      'ip',
    ]);
    const tgArn = get(tg, 'TargetGroups', 0, 'TargetGroupArn');
    await aws(provider, [
      'elbv2',
      'register-targets',
      '--target-group-arn',
      tgArn,
      '--targets',
      `Id=${broker.ip}`,
    ]);
    const nlb = await aws(provider, [
      'elbv2',
      'create-load-balancer',
      '--name',
      `bl-b${broker.id}`,
      '--type',
      'network',
      '--scheme',
      'internal',
      '--subnets',
      ...pNet.subnets.map((s) => s.id),
      '--security-groups',
      sgId,
    ]);
    const nlbArn = get(nlb, 'LoadBalancers', 0, 'LoadBalancerArn');
    // `aws elbv2 wait load-balancer-available`: every 15 s.
    for (;;) {
      const d = await aws(
        provider,
        ['elbv2', 'describe-load-balancers', '--load-balancer-arns', nlbArn],
        true,
      );
      if (get(d, 'LoadBalancers', 0, 'State', 'Code') === 'active') break;
      await sleep(15_000);
    }
    await aws(provider, [
      'elbv2',
      'create-listener',
      '--load-balancer-arn',
      nlbArn,
      '--protocol',
      'TCP',
      '--port',
      String(PORT),
      '--default-actions',
      `Type=forward,TargetGroupArn=${tgArn}`,
    ]);
    const svc = await aws(provider, [
      'ec2',
      'create-vpc-endpoint-service-configuration',
      '--network-load-balancer-arns',
      nlbArn,
      '--acceptance-required',
    ]);
    const svcId = get(svc, 'ServiceConfiguration', 'ServiceId');
    services.push(get(svc, 'ServiceConfiguration', 'ServiceName'));
    await aws(provider, [
      'ec2',
      'modify-vpc-endpoint-service-permissions',
      '--service-id',
      svcId,
      '--add-allowed-principals',
      `arn:aws:iam::${consumer}:root`,
    ]);
  }

  const csgId = await securityGroup(consumer, 'bl-endpoints', cNet.vpcId);
  const zoneName = b.kafka.brokers[0]!.host.split('.').slice(1).join('.');
  const zone = await aws(consumer, [
    'route53',
    'create-hosted-zone',
    '--name',
    zoneName,
    '--caller-reference',
    `bl-${Date.now()}`,
    '--vpc',
    `VPCRegion=${b.region},VPCId=${cNet.vpcId}`,
  ]);
  const zoneId = get(zone, 'HostedZone', 'Id');
  for (const [i, broker] of b.kafka.brokers.entries()) {
    const ep = await aws(consumer, [
      'ec2',
      'create-vpc-endpoint',
      '--vpc-endpoint-type',
      'Interface',
      '--vpc-id',
      cNet.vpcId,
      '--service-name',
      services[i] as string,
      '--subnet-ids',
      ...cNet.subnets.map((s) => s.id),
      '--security-group-ids',
      csgId,
    ]);
    const epId = get(ep, 'VpcEndpoint', 'VpcEndpointId');
    const svcId = (services[i] as string).split('.').pop() as string;
    await aws(provider, [
      'ec2',
      'accept-vpc-endpoint-connections',
      '--service-id',
      svcId,
      '--vpc-endpoint-ids',
      epId,
    ]);
    let dns: { DnsName?: string; HostedZoneId?: string } = {};
    for (;;) {
      const d = await aws(consumer, ['ec2', 'describe-vpc-endpoints', '--vpc-endpoint-ids', epId], true);
      const e = (d.VpcEndpoints as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
      if (e.State === 'available') {
        dns = (e.DnsEntries as Array<{ DnsName?: string; HostedZoneId?: string }>)[0] ?? {};
        break;
      }
      await sleep(15_000);
    }
    const change = await aws(consumer, [
      'route53',
      'change-resource-record-sets',
      '--hosted-zone-id',
      zoneId,
      '--change-batch',
      JSON.stringify({
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: broker.host,
              Type: 'A',
              AliasTarget: {
                DNSName: dns.DnsName,
                HostedZoneId: dns.HostedZoneId,
                EvaluateTargetHealth: false,
              },
            },
          },
        ],
      }),
    ]);
    // `aws route53 wait resource-record-sets-changed`: every 30 s.
    for (;;) {
      const c = await aws(consumer, ['route53', 'get-change', '--id', get(change, 'ChangeInfo', 'Id')], true);
      if (get(c, 'ChangeInfo', 'Status') === 'INSYNC') break;
      await sleep(30_000);
    }
  }
  return { ms: performance.now() - t0, commands: commands(), polls: polls() };
}

/** One AWS CLI start-up here: the median of five `--version`. */
async function startupMs(): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    await run(PYTHON, ['-m', 'awscli', '--version']);
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[2] as number;
}

async function ours(): Promise<number> {
  const b = await bed();
  const saved = { ...process.env };
  try {
    const { file } = await writeStackConfig(b, { name: 'baseline', pattern: 1 });
    Object.assign(process.env, b.env(), { MPL_TIME_FACTOR: String(FACTOR) });
    delete process.env.MPL_POLL_INTERVAL_MS;
    return await withStack(file, { timeFactor: FACTOR, lock: 'bench' }, async (stack) => {
      const t0 = performance.now();
      const { plan } = await planLive(stack);
      const out = await applyPlan(stack, plan, () => Promise.resolve(true));
      if (out.outcome !== 'applied' || out.result.failed.length > 0) throw new Error('apply failed');
      return performance.now() - t0;
    });
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await b.stop();
  }
}

await ensureAwsCli();
const startup = await startupMs();
const b = await bed();
let hand: { ms: number; commands: number; polls: number };
try {
  hand = await byHand(b);
} finally {
  await b.stop();
}
const applyMs = await ours();
// Start-up outside waits is the CLI's own overhead, not AWS time: taken out. Polls run while AWS
// provisions, so their start-up stays (the wait would have lasted as long).
const baselineMs = hand.ms - (hand.commands - hand.polls) * startup;
const s = (twinMs: number) => (twinMs / FACTOR / 1000).toFixed(1);
console.log(
  [
    `case=aws-cli-p1-b${BROKERS}-c1`,
    `factor=${FACTOR}`,
    `aws-cli-s=${s(baselineMs)}`,
    `apply-s=${s(applyMs)}`,
    `vs-aws-cli=${(applyMs / baselineMs).toFixed(2)}`,
    `aws-cli-commands=${hand.commands}`,
    `aws-cli-polls=${hand.polls}`,
    `aws-cli-startup-ms=${Math.round(startup)}`,
  ].join(' '),
);
