// Issue 13's acceptance: the probe runs where the clients are. A consumer account and VPC made after
// the testbed started, with the AWS CLI as a new user would; pattern 1 applied to it; the local probe
// with that account's resolver passes; `probe --in-vpc` passes for every broker from every AZ with
// TLS verified (the AWS twin runs each function in a Node process whose DNS is that VPC's); a record
// deleted out of band is named by the in-VPC probe; afterwards no function, role, security group or
// network interface of the probe remains (AWS CLI read-back).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';
import { cli, cliExpect } from '../support/e2e.js';
import { awsCli } from './support-lifecycle.js';

interface InVpcJson {
  ok: boolean;
  consumer: string;
  brokers: Array<{
    id: number;
    azId: string;
    steps: Record<string, string>;
    failedStep: string | null;
    error: string | null;
    hint: string | null;
  }>;
  canary: { produced: number; consumed: number } | null;
  inVpc: {
    sites: Array<{ azId: string; subnetId: string; function: string; ms: number }>;
    setupMs: number;
    cleanupMs: number;
    kept: boolean;
  };
}

const NEW_ACCOUNT = '666666666666';

describe('e2e: probe --in-vpc from a consumer made after start-up (issue 13 acceptance)', function () {
  this.timeout(300_000);
  let tb: Testbed;
  let file: string;
  let vpcId: string;
  const subnets: Array<{ id: string; az: string }> = [];
  const figures: string[] = [];

  const aws = <T>(args: string[]) => awsCli<T>(tb, NEW_ACCOUNT, args);

  const run = (argv: string[], expected: number) => cliExpect(tb, argv, expected);

  async function inVpc(extra: string[] = []): Promise<{ report: InVpcJson; ms: number; code: number }> {
    const t0 = Date.now();
    const r = await cli(tb, ['probe', '--config', file, '--in-vpc', '--ca', tb.caPath, '--json', ...extra]);
    assert.ok(r.code === 0 || r.code === 1, `probe --in-vpc exited ${r.code}\n${r.out}\n${r.err}`);
    return { report: JSON.parse(r.out) as InVpcJson, ms: Date.now() - t0, code: r.code };
  }

  before(async function () {
    this.timeout(240_000);
    tb = await getTestbed({ reset: true });
    // A new consumer account and VPC, made with the AWS CLI after the testbed is up.
    const vpc = await aws<{ Vpc: { VpcId: string } }>(['ec2', 'create-vpc', '--cidr-block', '10.60.0.0/16']);
    vpcId = vpc.Vpc.VpcId;
    const zones = await aws<{ AvailabilityZones: Array<{ ZoneName: string }> }>([
      'ec2',
      'describe-availability-zones',
    ]);
    for (const [i, z] of zones.AvailabilityZones.slice(0, 3).entries()) {
      const s = await aws<{ Subnet: { SubnetId: string } }>([
        'ec2',
        'create-subnet',
        '--vpc-id',
        vpcId,
        '--cidr-block',
        `10.60.${i + 1}.0/24`,
        '--availability-zone',
        z.ZoneName,
      ]);
      subnets.push({ id: s.Subnet.SubnetId, az: z.ZoneName });
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'mpl-e2e-invpc-'));
    file = path.join(dir, 'invpc.yaml');
    const sc = tb.scenario;
    await writeFile(
      file,
      stringify({
        name: 'invpc',
        region: sc.region,
        pattern: 1,
        cluster: { arn: tb.clusterArn, listeners: ['tls'] },
        provider: {
          account: sc.accounts.provider,
          roleArn: `arn:aws:iam::${sc.accounts.provider}:role/msk-privatelink`,
          vpcId: sc.provider.vpcId,
        },
        consumers: [
          {
            name: 'late',
            account: NEW_ACCOUNT,
            roleArn: `arn:aws:iam::${NEW_ACCOUNT}:role/msk-privatelink`,
            vpcId,
            subnets: subnets.map((s) => s.id),
            allowedCidrs: ['10.60.0.0/16'],
          },
        ],
        state: { path: path.join(dir, 'invpc.state.json') },
        clients: { connectionsMaxIdleMs: 300000 },
      }),
    );
    await run(['apply', '--config', file, '--auto-approve'], 0);
    await tb.network.reconcileNow();
  });

  after(async function () {
    this.timeout(180_000);
    if (file) await run(['destroy', '--config', file, '--auto-approve'], 0);
    if (figures.length > 0) console.log(`      ${figures.join('\n      ')}`);
  });

  it("the local probe with the new account's resolver passes (the network twin follows accounts made later)", async () => {
    const dns = tb.network.dnsByAccount[NEW_ACCOUNT];
    assert.ok(dns, 'the network twin serves the new account');
    const r = await cli(tb, [
      'probe',
      '--config',
      file,
      '--dns-server',
      `${dns.host}:${dns.port}`,
      '--ca',
      tb.caPath,
      '--json',
    ]);
    assert.equal(r.code, 0, r.out + r.err);
  });

  it('probe --in-vpc passes for every broker from every AZ, TLS verified, with a canary, and leaves nothing behind', async () => {
    const { report, ms } = await inVpc(['--canary']);
    figures.push(
      `probe --in-vpc (3 AZs, make + run + remove): ${ms} ms; setup ${report.inVpc.setupMs} ms, cleanup ${report.inVpc.cleanupMs} ms`,
    );
    assert.equal(report.ok, true, JSON.stringify(report, null, 2));
    assert.deepEqual(
      report.inVpc.sites.map((s) => s.subnetId).sort(),
      subnets.map((s) => s.id).sort(),
      'one function per AZ, each in its own subnet',
    );
    assert.equal(report.brokers.length, 3 * 3, 'every broker from every AZ');
    for (const b of report.brokers)
      assert.deepEqual(
        [b.steps.dns, b.steps.tcp, b.steps.tls, b.steps.kafka],
        ['ok', 'ok', 'ok', 'ok'],
        JSON.stringify(b),
      );
    assert.equal(report.canary?.produced, 1);
    assert.equal(report.canary?.consumed, 1);
    await assertNothingLeft();
  });

  it('names a record deleted out of band within 5 s of the probe start (functions kept from a first run)', async () => {
    // A first run with --keep makes the functions; the timed run reuses them.
    const first = await inVpc(['--keep']);
    assert.equal(first.report.ok, true, JSON.stringify(first.report, null, 2));
    const state = JSON.parse(await readFile(path.join(path.dirname(file), 'invpc.state.json'), 'utf8')) as {
      resources: Record<string, { physicalId: string; outputs: Record<string, unknown> }>;
    };
    const zoneId = String(
      state.resources['late/hosted-zone']?.outputs.zoneId ?? state.resources['late/hosted-zone']?.physicalId,
    );
    const broker = tb.scenario.cluster.brokers.find((b) => b.id === 2);
    assert.ok(broker);
    const name = broker.endpoint.toLowerCase();
    const records = await aws<{ ResourceRecordSets: Array<{ Name: string; Type: string }> }>([
      'route53',
      'list-resource-record-sets',
      '--hosted-zone-id',
      zoneId,
    ]);
    const rr = records.ResourceRecordSets.find((r) => r.Name.replace(/\.$/, '') === name && r.Type === 'A');
    assert.ok(rr, `record ${name} in ${zoneId}`);
    await aws([
      'route53',
      'change-resource-record-sets',
      '--hosted-zone-id',
      zoneId,
      '--change-batch',
      JSON.stringify({ Changes: [{ Action: 'DELETE', ResourceRecordSet: rr }] }),
    ]);
    await tb.network.reconcileNow();
    try {
      const { report, ms } = await inVpc(['--keep']);
      figures.push(`probe --in-vpc --keep naming a deleted record: ${ms} ms`);
      assert.equal(report.ok, false);
      const failed = report.brokers.filter((b) => b.failedStep !== null);
      assert.deepEqual([...new Set(failed.map((b) => b.id))], [2], JSON.stringify(failed));
      assert.equal(failed.length, 3, 'broker 2 fails from every AZ');
      for (const b of failed) {
        assert.equal(b.failedStep, 'dns');
        assert.match(b.hint ?? '', /record is missing from the stack's private hosted zone/);
      }
      assert.ok(ms < 5000, `named after ${ms} ms`);
    } finally {
      await run(['apply', '--config', file, '--auto-approve'], 0);
      await tb.network.reconcileNow();
      // The last run removes what --keep left.
      const last = await inVpc();
      assert.equal(last.report.ok, true, JSON.stringify(last.report, null, 2));
    }
    await assertNothingLeft();
  });

  /** AWS CLI read-back: no function, role, security group or Lambda network interface of the probe. */
  async function assertNothingLeft(): Promise<void> {
    const fns = await aws<{ Functions: Array<{ FunctionName: string }> }>(['lambda', 'list-functions']);
    assert.deepEqual(
      fns.Functions.map((f) => f.FunctionName).filter((n) => n.includes('-probe')),
      [],
    );
    const roles = await aws<{ Roles: Array<{ RoleName: string }> }>(['iam', 'list-roles']);
    assert.deepEqual(
      roles.Roles.map((r) => r.RoleName).filter((n) => n.includes('-probe')),
      [],
    );
    const sgs = await aws<{ SecurityGroups: Array<{ GroupName: string }> }>([
      'ec2',
      'describe-security-groups',
      '--filters',
      `Name=vpc-id,Values=${vpcId}`,
    ]);
    assert.deepEqual(
      sgs.SecurityGroups.map((g) => g.GroupName).filter((n) => n.includes('-probe')),
      [],
    );
    const enis = await aws<{ NetworkInterfaces: Array<{ InterfaceType?: string; Description?: string }> }>([
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
