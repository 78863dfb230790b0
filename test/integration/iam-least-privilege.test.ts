// Least privilege (issue 14): `iam-policy` prints each role's policy; the AWS twin, with IAM
// enforcement on (twin_iam.py), lets the roles do exactly what those policies allow. A pattern 1
// stack with two consumer accounts is applied and destroyed with exactly those policies, with no
// call refused; then every statement of every role is taken away in turn, and apply (or destroy)
// must fail naming an action of that statement; patterns 3, 0 and 2 (msk-configuration mode) the
// same, and pattern 1 with `monitor`. The twin is this file's own (no Kafka: nothing here needs
// the brokers), so it runs beside the shared testbed.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateSecurityGroupCommand } from '@aws-sdk/client-ec2';
import {
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { stringify } from 'yaml';
import type { IamPolicyReport } from '../../src/ops/iam-policy.js';
import type { PolicyDocument } from '../../src/iam/policy.js';
import { runCli } from '../support/run-cli.js';
import { selfSignedCert } from '../support/self-signed.js';
import { clientConfigFor, envFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc, type AccountNetwork } from '../testbed/scenario.js';

const PROVIDER = '111111111111';
const CONSUMERS = ['222222222222', '333333333333'];
const ROLE = 'msk-privatelink';
const POLICY = 'mpl';

let twin: AwsTwin;
let dir: string;
let configFile: string;
let report: IamPolicyReport;

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, envFor(twin, PROVIDER), {
    MPL_POLL_INTERVAL_MS: '20',
    MPL_WAIT_TIMEOUT_MS: '20000',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  try {
    return await runCli([...argv, '--no-color']);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

async function putPolicy(account: string, doc: PolicyDocument | undefined): Promise<void> {
  const iam = new IAMClient(clientConfigFor(twin, account));
  try {
    await iam
      .send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: POLICY }))
      .catch(() => undefined);
    if (doc)
      await iam.send(
        new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: POLICY, PolicyDocument: JSON.stringify(doc) }),
      );
  } finally {
    iam.destroy();
  }
}

async function putNamedPolicy(account: string, name: string, doc: PolicyDocument): Promise<void> {
  const iam = new IAMClient(clientConfigFor(twin, account));
  try {
    await iam.send(
      new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: name, PolicyDocument: JSON.stringify(doc) }),
    );
  } finally {
    iam.destroy();
  }
}

let seeded: { pnet: AccountNetwork; cnets: AccountNetwork[]; brokerSg: string; clusterArn: string };

/** Writes a stack's config over the seeded accounts and asks the tool for its policies. */
async function writeCase(name: string, over: Record<string, unknown>): Promise<Case> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(
    file,
    stringify({
      name,
      region: twin.region,
      provider: {
        account: PROVIDER,
        roleArn: `arn:aws:iam::${PROVIDER}:role/${ROLE}`,
        vpcId: seeded.pnet.vpcId,
        brokerSecurityGroupId: seeded.brokerSg,
      },
      consumers: seeded.cnets.map((n, i) => ({
        name: `c${i + 1}`,
        account: CONSUMERS[i],
        roleArn: `arn:aws:iam::${CONSUMERS[i]}:role/${ROLE}`,
        vpcId: n.vpcId,
        subnets: n.subnets.map((s) => s.id),
        allowedCidrs: [n.cidr],
        bootstrapParameter: `/kafka/${name}/c${i + 1}/bootstrap`,
      })),
      state: { path: path.join(dir, `${name}.state.json`) },
      clients: { connectionsMaxIdleMs: 300000 },
      ...over,
    }),
  );
  // The policies come from the tool itself, with the static keys (the roles have none yet).
  const r = await cli(['iam-policy', '--config', file, '--json']);
  assert.equal(r.code, 0, r.err);
  return { configFile: file, report: JSON.parse(r.out) as IamPolicyReport };
}

/**
 * Pattern 2 in msk-configuration mode (MSK's own custom.advertised.listeners: AWS calls only) on a
 * cluster of its own whose brokers' client addresses are on loopback, where nothing listens: the
 * metadata check after MSK's rolling restart finds the brokers unreachable and is skipped with a
 * note, as from a machine outside the MSK VPC. Its broker settings in rewrite mode are Kafka calls,
 * which IAM does not govern.
 */
async function pattern2Over(): Promise<Record<string, unknown>> {
  const caFile = path.join(dir, 'ca.pem');
  await writeFile(caFile, '');
  const cluster = await twin.control.seedMskClusterDetailed({
    account: PROVIDER,
    region: twin.region,
    clusterName: 'orders2',
    shortId: 'def456',
    cell: 2,
    kafkaVersion: '3.9.x',
    metadataMode: 'KRAFT',
    brokerType: 'standard',
    clientBroker: 'TLS',
    // TLS without client authentication: MSK's CLIENT_SECURE listener (9094).
    auth: { unauthenticated: true },
    securityGroups: [seeded.brokerSg],
    brokers: [1, 2, 3].map((id, i) => ({
      id,
      endpoint: `b-${id}.orders2.def456.c2.kafka.${twin.region}.amazonaws.com`,
      clientVpcIp: `127.0.251.${id}`,
      clientSubnet: seeded.pnet.subnets[i]?.id ?? '',
    })),
  });
  return {
    cluster: { arn: cluster.clusterArn, listeners: ['tls'] },
    pattern2: { mode: 'msk-configuration', admin: { caFile } },
  };
}

/** A stack under test: its config file and the policies iam-policy printed for it. */
interface Case {
  configFile: string;
  report: IamPolicyReport;
}

async function grantAll(c: Case = { configFile, report }): Promise<void> {
  for (const r of c.report.roles) await putPolicy(r.account, r.policy);
}

/** Destroys whatever a failed run left, with enforcement off, and checks nothing is left to do. */
async function cleanUp(c: Case = { configFile, report }): Promise<void> {
  await twin.control.setIamEnforcement(false);
  const d = await cli(['destroy', '--config', c.configFile, '--auto-approve']);
  assert.equal(d.code, 0, `clean-up destroy failed:\n${d.err}`);
}

/**
 * Each statement of each role taken away in turn: apply (or destroy) fails naming one of its
 * actions. `fresh` gives each turn a stack of its own, for what only a first apply does (pattern 2
 * makes its MSK configuration once: destroy leaves it, as MSK cannot delete a configuration a
 * cluster runs, so a later apply only adds a revision).
 */
async function everyStatementNeeded(first: Case, fresh?: (turn: number) => Promise<Case>): Promise<string[]> {
  const results: string[] = [];
  let turn = 0;
  for (const { account, policy } of first.report.roles) {
    for (const { Sid } of policy.Statement) {
      const c = fresh ? await fresh(turn++) : first;
      const role = c.report.roles.find((r) => r.account === account);
      const statement = role?.policy.Statement.find((x) => x.Sid === Sid);
      assert.ok(role && statement, `${account}/${Sid} in every stack's policy`);
      await grantAll(c);
      await putPolicy(role.account, {
        ...role.policy,
        Statement: role.policy.Statement.filter((s) => s !== statement),
      });
      await twin.control.setIamEnforcement(true);
      let run = await cli(['apply', '--config', c.configFile, '--auto-approve']);
      let phase = 'apply';
      if (run.code === 0) {
        run = await cli(['destroy', '--config', c.configFile, '--auto-approve']);
        phase = 'destroy';
      }
      const denials = (await twin.control.iamState()).denials;
      assert.notEqual(
        run.code,
        0,
        `${role.account} without ${statement.Sid}: apply and destroy both succeeded`,
      );
      const named = statement.Action.filter((a) => run.err.includes(a));
      assert.ok(
        named.length > 0,
        `${role.account} without ${statement.Sid}: ${phase} failed without naming any of ${statement.Action.join(', ')}:\n${run.err}`,
      );
      assert.ok(denials.some((d) => statement.Action.includes(d.action)));
      results.push(`${role.account}/${statement.Sid}: ${phase} refused ${named.join(', ')}`);
      await grantAll(c);
      await cleanUp(c);
    }
  }
  return results;
}

/** Apply, a no-change plan and destroy with exactly the printed policies: nothing refused. */
async function runsWithExactly(c: Case): Promise<void> {
  await grantAll(c);
  await twin.control.setIamEnforcement(true);
  const a = await cli(['apply', '--config', c.configFile, '--auto-approve']);
  assert.equal(
    a.code,
    0,
    `apply:\n${a.err}\ndenials: ${JSON.stringify((await twin.control.iamState()).denials)}`,
  );
  const plan = await cli(['plan', '--config', c.configFile]);
  assert.equal(plan.code, 0, `no change left:\n${plan.out}${plan.err}`);
  const d = await cli(['destroy', '--config', c.configFile, '--auto-approve']);
  assert.equal(
    d.code,
    0,
    `destroy:\n${d.err}\ndenials: ${JSON.stringify((await twin.control.iamState()).denials)}`,
  );
  assert.deepEqual((await twin.control.iamState()).denials, []);
}

describe('least privilege: iam-policy against the twin with IAM enforcement on', function () {
  this.timeout(600_000);

  before(async () => {
    twin = await startAwsTwin({
      delaysMs: { nlbActiveMs: 30, endpointAvailableMs: 30, endpointDeleteMs: 30, route53ChangeMs: 20 },
      ...(process.env.TWIN_LOG ? { logFile: process.env.TWIN_LOG } : {}),
    });
    const nets: AccountNetwork[] = [];
    for (const [i, account] of [PROVIDER, ...CONSUMERS].entries()) {
      const c = clientsFor(twin, account);
      nets.push(await seedVpc(c, `10.${10 * i}.0.0/16`));
      c.destroy();
      const iam = new IAMClient(clientConfigFor(twin, account));
      await iam.send(
        new CreateRoleCommand({
          RoleName: ROLE,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${PROVIDER}:root` },
                Action: 'sts:AssumeRole',
              },
            ],
          }),
        }),
      );
      iam.destroy();
    }
    const [pnet, ...cnets] = nets as [AccountNetwork, ...AccountNetwork[]];
    const p = clientsFor(twin, PROVIDER);
    const sg = await p.ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'orders-brokers',
        Description: 'brokers',
        VpcId: pnet.vpcId,
      }),
    );
    p.destroy();
    const cluster = await twin.control.seedMskClusterDetailed({
      account: PROVIDER,
      region: twin.region,
      clusterName: 'orders',
      shortId: 'abc123',
      cell: 2,
      kafkaVersion: '3.9.x',
      metadataMode: 'KRAFT',
      brokerType: 'standard',
      clientBroker: 'TLS',
      // SASL/SCRAM too: pattern 0 turns multi-VPC connectivity on for it.
      auth: { unauthenticated: false, scram: true },
      securityGroups: [sg.GroupId ?? ''],
      brokers: [1, 2, 3].map((id, i) => ({
        id,
        endpoint: `b-${id}.orders.abc123.c2.kafka.${twin.region}.amazonaws.com`,
        clientVpcIp: `10.0.${i + 1}.10`,
        clientSubnet: pnet.subnets[i]?.id ?? '',
      })),
    });
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-iam-'));
    seeded = { pnet, cnets, brokerSg: sg.GroupId ?? '', clusterArn: cluster.clusterArn };
    ({ configFile, report } = await writeCase('iamtest', {
      pattern: 1,
      cluster: { arn: cluster.clusterArn, listeners: ['tls'] },
    }));
  });

  after(async () => {
    await twin?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('names actions one by one and scopes what AWS lets it scope', () => {
    assert.deepEqual(
      report.roles.map((r) => [r.account, r.role]),
      [
        [PROVIDER, 'provider'],
        [CONSUMERS[0], 'consumer'],
        [CONSUMERS[1], 'consumer'],
      ],
    );
    for (const r of report.roles) {
      for (const s of r.policy.Statement) {
        for (const a of s.Action) assert.match(a, /^[a-z0-9-]+:[A-Za-z0-9]+$/, `${r.account} ${s.Sid}: ${a}`);
        // Only describe calls, and creates bound by a request-tag condition, go to every resource.
        if (s.Resource === '*' && s.Sid !== 'Read' && s.Sid !== 'HostedZoneCreate')
          assert.ok(s.Condition, `${r.account} ${s.Sid} allows ${s.Action.join(', ')} on every resource`);
      }
      assert.ok(r.size <= 10_240, `${r.account}: ${r.size} characters`);
    }
    const provider = report.roles[0];
    const elb = provider?.policy.Statement.find((s) => s.Sid === 'LoadBalancing');
    assert.ok(elb, 'the provider has a LoadBalancing statement');
    for (const res of [elb.Resource].flat())
      assert.match(res, /:(loadbalancer\/net|targetgroup|listener\/net)\/mpl-iamtest-\*\//);
    const brokers = provider?.policy.Statement.find((s) => s.Sid === 'BrokerSecurityGroups');
    assert.ok(
      [brokers?.Resource].flat().some((x) => typeof x === 'string' && /:security-group\/sg-/.test(x)),
      'broker security group rules are scoped to the brokers group',
    );
  });

  it('apply and destroy succeed with exactly those policies, no call refused', async () => {
    await grantAll();
    await twin.control.setIamEnforcement(true);
    const a = await cli(['apply', '--config', configFile, '--auto-approve']);
    assert.equal(
      a.code,
      0,
      `apply:\n${a.err}\ndenials: ${JSON.stringify((await twin.control.iamState()).denials)}`,
    );
    const plan = await cli(['plan', '--config', configFile]);
    assert.equal(plan.code, 0, `no change left:\n${plan.out}${plan.err}`);
    const d = await cli(['destroy', '--config', configFile, '--auto-approve']);
    assert.equal(
      d.code,
      0,
      `destroy:\n${d.err}\ndenials: ${JSON.stringify((await twin.control.iamState()).denials)}`,
    );
    const st = await twin.control.iamState();
    assert.equal(st.enforce, true);
    assert.deepEqual(st.denials, []);
    // Enforcement was really on: the roles' calls went through it (a refused call is tried below).
    const calls = await twin.control.callCount({ account: CONSUMERS[0], mutating: true });
    assert.ok(calls > 0);
  });

  it('probe --in-vpc runs with the printed probe policy beside the consumer role policy, no call refused', async () => {
    await grantAll();
    await twin.control.setIamEnforcement(true);
    const a = await cli(['apply', '--config', configFile, '--auto-approve']);
    assert.equal(a.code, 0, a.err);
    const probe = report.probe.find((p) => p.consumer === 'c1');
    assert.ok(probe);
    await putNamedPolicy(probe.account, 'mpl-probe', probe.policy);
    // Nothing listens at the brokers' addresses here: the probe reports them unreachable (exit 1);
    // what is checked is that it could make, invoke and remove its function, role and group.
    const p = await cli([
      'probe',
      '--config',
      configFile,
      '--in-vpc',
      '--consumer',
      'c1',
      '--timeout-ms',
      '300',
      '--json',
    ]);
    const denials = (await twin.control.iamState()).denials;
    assert.deepEqual(denials, [], `refused: ${JSON.stringify(denials)}\n${p.err}`);
    assert.ok(p.code === 0 || p.code === 1, `probe exited ${p.code}: ${p.err}`);
    type Report = { inVpc: { sites: Array<{ error: string | null }> } };
    const body = JSON.parse(p.out) as Report | Report[];
    const reports = Array.isArray(body) ? body : [body];
    assert.ok(reports[0]?.inVpc.sites.length, 'the probe ran from at least one AZ');
    assert.deepEqual(
      reports[0]?.inVpc.sites.map((x) => x.error),
      reports[0]?.inVpc.sites.map(() => null),
      'every function was made and invoked',
    );
    // Without its function statement the probe stops at the first function, naming the action.
    await putNamedPolicy(probe.account, 'mpl-probe', {
      ...probe.policy,
      Statement: probe.policy.Statement.filter((x) => x.Sid !== 'ProbeFunctions'),
    });
    const refused = await cli([
      'probe',
      '--config',
      configFile,
      '--in-vpc',
      '--consumer',
      'c1',
      '--timeout-ms',
      '300',
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /lambda:CreateFunction/);
    // The role goes back to the stack's policy alone for the cases that follow.
    const iam = new IAMClient(clientConfigFor(twin, probe.account));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'mpl-probe' }));
    iam.destroy();
    await cleanUp();
  });

  it('without any one statement, apply or destroy fails naming an action of that statement', async function () {
    const results = await everyStatementNeeded({ configFile, report });
    console.log(
      `      ${results.length} statements taken away one at a time:\n        ${results.join('\n        ')}`,
    );
    assert.equal(
      results.length,
      report.roles.reduce((n, r) => n + r.policy.Statement.length, 0),
    );
  });

  it('monitor: pattern 1 with the in-VPC probe on a schedule, exactly the printed policies, every statement needed', async () => {
    // The function verifies the brokers' TLS with this CA: any certificate will do here.
    const caFile = path.join(dir, 'monitor-ca.pem');
    await writeFile(caFile, (await selfSignedCert('mpl-iam-test')).cert);
    const c = await writeCase('iammon', {
      pattern: 1,
      cluster: { arn: seeded.clusterArn, listeners: ['tls'] },
      monitor: { everyMinutes: 5, alarmAfter: 1, namespace: 'MplIamTest', caFile, timeoutMs: 2000 },
    });
    await runsWithExactly(c);
    const results = await everyStatementNeeded(c);
    console.log(
      `      monitor: ${results.length} statements taken away one at a time:\n        ${results.join('\n        ')}`,
    );
    assert.equal(
      results.length,
      c.report.roles.reduce((n, r) => n + r.policy.Statement.length, 0),
    );
  });

  for (const pattern of [3, 0, 2] as const) {
    it(`pattern ${pattern}: apply and destroy with exactly the printed policies, and every statement needed`, async () => {
      const over = pattern === 2 ? await pattern2Over() : {};
      const stack = (name: string) =>
        writeCase(name, {
          pattern,
          cluster: { arn: seeded.clusterArn, listeners: pattern === 0 ? ['sasl_scram'] : ['tls'] },
          ...over,
        });
      const c = await stack(`iamp${pattern}`);
      await runsWithExactly(c);
      const results = await everyStatementNeeded(
        c,
        pattern === 2 ? (turn) => stack(`iamp${pattern}t${turn}`) : undefined,
      );
      console.log(
        `      pattern ${pattern}: ${results.length} statements taken away one at a time:\n        ${results.join('\n        ')}`,
      );
      assert.equal(
        results.length,
        c.report.roles.reduce((n, r) => n + r.policy.Statement.length, 0),
      );
    });
  }
});
