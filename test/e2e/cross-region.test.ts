// Issue 12: a consumer in another region (cross-region PrivateLink). A testbed of its own whose
// network twin follows us-west-2 too; a consumer account's VPC made there with the AWS CLI; pattern 2
// planned, applied and probed from that VPC's own resolver with TLS verified and a canary; the
// endpoint service lists us-west-2 (AWS CLI read-back) and the endpoint names us-east-2 as its
// service region; destroy leaves nothing tagged.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ProbeReport } from '../../src/probe/types.js';
import { cli, cliExpect } from '../support/e2e.js';
import { startTestbed, type Testbed } from '../testbed/testbed.js';
import { awsCli, taggedWithStack } from './support-lifecycle.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const WEST = 'us-west-2';
const STACK = 'xr';

describe('e2e: a consumer in another region (issue 12)', function () {
  this.timeout(600_000);
  let tb: Testbed | undefined;
  let file: string;
  let vpcId: string;
  const figures: string[] = [];

  const bed = (): Testbed => tb as Testbed;
  const run = (argv: string[], expected: number) => cliExpect(bed(), argv, expected);
  const consumer = () => bed().accounts.consumers[0] as string;
  const west = <T>(args: string[]) => awsCli<T>(bed(), consumer(), [...args, '--region', WEST]);

  before(async function () {
    this.timeout(300_000);
    tb = await startTestbed({
      kafka: { ipPrefix: '127.0.23' },
      endpointIpPrefix: '127.0.24',
      regions: [WEST],
    });
    const vpc = await west<{ Vpc: { VpcId: string } }>(['ec2', 'create-vpc', '--cidr-block', '10.70.0.0/16']);
    vpcId = vpc.Vpc.VpcId;
    const zones = await west<{ AvailabilityZones: Array<{ ZoneName: string; ZoneId: string }> }>([
      'ec2',
      'describe-availability-zones',
    ]);
    const subnets: Array<{ id: string; azId: string }> = [];
    for (const [i, z] of zones.AvailabilityZones.slice(0, 2).entries()) {
      const s = await west<{ Subnet: { SubnetId: string; AvailabilityZoneId?: string } }>([
        'ec2',
        'create-subnet',
        '--vpc-id',
        vpcId,
        '--cidr-block',
        `10.70.${i + 1}.0/24`,
        '--availability-zone',
        z.ZoneName,
      ]);
      subnets.push({ id: s.Subnet.SubnetId, azId: s.Subnet.AvailabilityZoneId ?? z.ZoneId });
    }
    const sc = bed().scenario;
    const dir = await mkdtemp(path.join(tmpdir(), 'mpl-e2e-xr-'));
    file = path.join(dir, 'xr.yaml');
    await writeFile(
      file,
      stringify({
        name: STACK,
        region: sc.region,
        pattern: 2,
        cluster: { arn: bed().clusterArn, listeners: ['tls'] },
        provider: {
          account: sc.accounts.provider,
          roleArn: `arn:aws:iam::${sc.accounts.provider}:role/msk-privatelink`,
          vpcId: sc.provider.vpcId,
        },
        pattern2: { admin: { caFile: bed().caPath } },
        consumers: [
          {
            name: 'west',
            account: consumer(),
            roleArn: `arn:aws:iam::${consumer()}:role/msk-privatelink`,
            region: WEST,
            vpcId,
            // Bare ids: their AZ IDs are looked up in us-west-2.
            subnets: subnets.map((s) => s.id),
            allowedCidrs: ['10.70.0.0/16'],
          },
        ],
        state: { path: path.join(dir, 'xr.state.json') },
        clients: { connectionsMaxIdleMs: 300000 },
      }),
    );
  });

  after(async function () {
    this.timeout(120_000);
    if (figures.length > 0) console.log(`      ${figures.join('\n      ')}`);
    await tb?.stop();
  });

  it('plans, applies and probes from the other region; the service lists it; destroy leaves nothing', async () => {
    const plan = JSON.parse((await run(['plan', '--config', file, '--json'], 2)).out) as {
      changes: Array<{ id: string; after?: Record<string, unknown> }>;
    };
    const ep = plan.changes.find((c) => c.id === 'west/vpc-endpoint');
    assert.equal(ep?.after?.serviceRegion, bed().scenario.region);
    const t = Date.now();
    await run(['apply', '--config', file, '--auto-approve'], 0);
    figures.push(
      `apply with a us-west-2 consumer (MSK restart included): ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    await bed().network.reconcileNow();

    const services = await awsCli<{
      ServiceConfigurations: Array<{
        SupportedRegions?: Array<{ Region: string }>;
        Tags?: Array<{ Key: string; Value: string }>;
      }>;
    }>(bed(), bed().accounts.provider, ['ec2', 'describe-vpc-endpoint-service-configurations']);
    const mine = services.ServiceConfigurations.find((s) =>
      (s.Tags ?? []).some((t) => t.Key === 'msk-privatelink:stack' && t.Value === STACK),
    );
    assert.deepEqual(
      (mine?.SupportedRegions ?? []).map((r) => r.Region).sort(),
      [bed().scenario.region, WEST].sort(),
      'the endpoint service lists the consumer region beside its own',
    );
    const eps = await west<{ VpcEndpoints: Array<{ VpcId: string; ServiceRegion?: string; State: string }> }>(
      ['ec2', 'describe-vpc-endpoints'],
    );
    const endpoint = eps.VpcEndpoints.find((e) => e.VpcId === vpcId);
    assert.equal(endpoint?.ServiceRegion, bed().scenario.region);
    assert.equal(endpoint?.State.toLowerCase(), 'available');

    const dns = bed().network.dnsByVpc[vpcId];
    assert.ok(dns, 'the us-west-2 VPC has its own resolver');
    const r = await cli(bed(), [
      'probe',
      '--config',
      file,
      '--dns-server',
      `${dns.host}:${dns.port}`,
      '--ca',
      bed().caPath,
      '--canary',
      '--json',
    ]);
    const report = JSON.parse(r.out) as ProbeReport;
    assert.equal(report.ok, true, JSON.stringify(report, null, 2));
    for (const b of report.brokers) assert.equal(b.steps.tls, 'ok');
    assert.equal(report.canary?.consumed, 1);
    assert.match((await run(['plan', '--config', file], 0)).out, /No changes/);

    await run(['destroy', '--config', file, '--auto-approve'], 0);
    assert.deepEqual(await taggedWithStack(bed(), STACK), []);
  });
});
