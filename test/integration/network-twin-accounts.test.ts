// The network twin follows accounts made after it started: a consumer account whose VPC,
// private hosted zone and interface endpoint are made with the AWS CLI (as a new user
// would) gets its own DNS server and endpoint proxies, found through GET /_twin/accounts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcCommand,
  DescribeVpcsCommand,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import { clientConfigFor, startAwsTwin, twinAccessKeyId, type AwsTwin } from '../testbed/aws/twin.js';
import { queryDns } from '../testbed/network/dns-client.js';
import { startNetworkTwin, type NetworkTwin } from '../testbed/network/twin.js';
import { clientsFor, seedVpc, wirePrivateLink, type Clients, type PrivateLink } from '../testbed/scenario.js';

const REGION = 'us-east-2';
const PROVIDER = '111111111111';
const SEEDED = '222222222222';
const NEW = '555555555555';
/** Touched (default VPC only) but never given a VPC of its own. */
const IDLE = '666666666666';
/** Made through the SDK, so the time from its VPC to its DNS server is measured exactly. */
const LATER = '777777777777';
const ENDPOINT_PREFIX = '127.0.10';
const TARGET_IP = '127.0.11.1';
const ZONE = 'late.example.internal';
const RECORD = `db.${ZONE}`;
const BROKER = `b-1.${ZONE}`;

type Dns = { host: string; port: number };

/** The AWS CLI (v1, Python: independent of SDK v3) acting in `account` against the twin. */
function awsCli<T>(aws: AwsTwin, account: string, args: string[]): Promise<T> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: twinAccessKeyId(account),
    AWS_SECRET_ACCESS_KEY: 'twin-test-secret',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
  };
  return new Promise((resolve, reject) => {
    execFile('aws', [...args, '--output', 'json'], { env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`aws ${args.join(' ')} (account ${account}): ${stderr || err.message}`));
      else resolve((stdout.trim() === '' ? {} : JSON.parse(stdout)) as T);
    });
  });
}

async function within<T>(ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<number> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < ms) {
    try {
      if ((await check()) !== undefined) return Date.now() - start;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${ms} ms${last ? `: ${String(last)}` : ''}`);
}

async function readFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    s.on('end', () => resolve(data.trim()));
    s.on('error', reject);
    s.setTimeout(2000, () => s.destroy(new Error('timeout')));
  });
}

describe('testbed: network twin follows accounts made later', function () {
  let aws: AwsTwin;
  let twin: NetworkTwin;
  let provider: Clients;
  let seeded: Clients;
  let link: PrivateLink;
  let target: net.Server;
  let targetPort: number;
  const calls: Array<[string, Dns]> = [];
  let vpcId: string;
  let zoneId: string;

  before(async function () {
    this.timeout(60_000);
    aws = await startAwsTwin({ region: REGION });
    const at = { endpoint: aws.endpoint, region: REGION };
    provider = clientsFor(at, PROVIDER);
    seeded = clientsFor(at, SEEDED);
    target = net.createServer((s) => {
      s.on('error', () => undefined);
      s.end('late-target\n');
    });
    await new Promise<void>((r) => target.listen(0, TARGET_IP, r));
    targetPort = (target.address() as net.AddressInfo).port;
    const [providerNet, seededNet] = await Promise.all([
      seedVpc(provider, '10.0.0.0/16'),
      seedVpc(seeded, '10.20.0.0/16'),
    ]);
    // The provider's service, with one endpoint in the seeded account (accepted, no zone).
    link = await wirePrivateLink({
      provider,
      consumer: seeded,
      providerNetwork: providerNet!,
      consumerNetwork: seededNet!,
      name: 'late',
      listeners: [{ port: 9094, targets: [{ ip: TARGET_IP, port: targetPort }] }],
    });
    twin = await startNetworkTwin({
      endpoint: aws.endpoint,
      region: REGION,
      providerAccount: PROVIDER,
      consumerAccounts: [SEEDED],
      listAccounts: async () => (await aws.control.accounts(REGION)).map((a) => a.account),
      onAccountDns: (account, dns) => {
        calls.push([account, dns]);
      },
      clientConfig: (account) => clientConfigFor(aws, account),
      ipPrefix: ENDPOINT_PREFIX,
    });
  });

  after(async function () {
    this.timeout(20_000);
    await twin?.stop();
    provider?.destroy();
    seeded?.destroy();
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    await aws?.stop();
  });

  it('lists accounts with a VPC of their own, default VPCs left out', async function () {
    // IDLE's EC2 backend exists (moto gives it a default VPC) but it has no VPC of its own.
    const idle = clientsFor({ endpoint: aws.endpoint, region: REGION }, IDLE);
    try {
      const vpcs = await idle.ec2.send(new DescribeVpcsCommand({}));
      assert.ok(
        (vpcs.Vpcs ?? []).some((v) => v.IsDefault),
        'moto made a default VPC',
      );
    } finally {
      idle.destroy();
    }
    const listed = await aws.control.accounts(REGION);
    assert.deepEqual(
      listed.map((a) => a.account),
      [PROVIDER, SEEDED],
    );
    for (const a of listed) assert.equal(a.vpcs.length, 1, `${a.account}: only its own VPC (${a.vpcs})`);
    assert.deepEqual(await aws.control.accounts('eu-west-1'), [], 'another region holds none');
  });

  it('calls onAccountDns for the seeded account at start and for accounts with a VPC', function () {
    // SEEDED before startNetworkTwin returned; PROVIDER (it has a VPC) on the first poll.
    assert.deepEqual(
      calls.map(([a]) => a),
      [SEEDED, PROVIDER],
    );
    assert.deepEqual(calls[0]?.[1], twin.dnsByAccount[SEEDED]);
    assert.equal(twin.dnsByAccount[NEW], undefined);
  });

  it('gives a new account its DNS server within 2 s of its VPC, answering its own zone only', async function () {
    this.timeout(20_000);
    const byAccount = twin.dnsByAccount; // held from before: must see the new key
    const vpc = await awsCli<{ Vpc: { VpcId: string } }>(aws, NEW, [
      'ec2',
      'create-vpc',
      '--cidr-block',
      '10.50.0.0/16',
    ]);
    vpcId = vpc.Vpc.VpcId;
    const joined = await within(2000, () => byAccount[NEW]);
    console.log(`      accounts: ${NEW} followed ${joined} ms after its VPC`);
    const listed = await aws.control.accounts(REGION);
    assert.deepEqual(
      listed.map((a) => a.account),
      [PROVIDER, SEEDED, NEW],
    );
    assert.deepEqual(listed[2]?.vpcs, [vpcId], "the new VPC, not moto's default one");
    const newDns = byAccount[NEW]!;
    assert.notDeepEqual(newDns, twin.dnsByAccount[SEEDED]);
    assert.deepEqual(
      calls.filter(([a]) => a === NEW),
      [[NEW, newDns]],
      'onAccountDns once for the new account, with its server',
    );

    const zone = await awsCli<{ HostedZone: { Id: string } }>(aws, NEW, [
      'route53',
      'create-hosted-zone',
      '--name',
      ZONE,
      '--caller-reference',
      'late-zone',
      '--hosted-zone-config',
      'PrivateZone=true',
      '--vpc',
      `VPCRegion=${REGION},VPCId=${vpcId}`,
    ]);
    zoneId = zone.HostedZone.Id.replace(/^\/hostedzone\//, '');
    await awsCli(aws, NEW, [
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
              Name: RECORD,
              Type: 'A',
              TTL: 60,
              ResourceRecords: [{ Value: '10.50.0.10' }],
            },
          },
        ],
      }),
    ]);
    const answered = await within(2000, async () => {
      const r = await queryDns(newDns, RECORD);
      return r.addresses.length > 0 ? r : undefined;
    });
    console.log(`      accounts: ${NEW}'s record answered ${answered} ms after it was written`);
    assert.deepEqual((await queryDns(newDns, RECORD)).addresses, ['10.50.0.10']);
    assert.equal((await queryDns(twin.dnsByAccount[SEEDED]!, RECORD)).rcode, 'NXDOMAIN');
    // The shared server answers from every followed account's zones.
    assert.deepEqual((await queryDns(twin.dns, RECORD)).addresses, ['10.50.0.10']);
  });

  it("materialises the new account's interface endpoint and proxies it", async function () {
    this.timeout(20_000);
    const subnet = await awsCli<{ Subnet: { SubnetId: string } }>(aws, NEW, [
      'ec2',
      'create-subnet',
      '--vpc-id',
      vpcId,
      '--cidr-block',
      '10.50.1.0/24',
    ]);
    await provider.ec2.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: link.serviceId,
        AddAllowedPrincipals: [`arn:aws:iam::${NEW}:root`],
      }),
    );
    const ep = await awsCli<{
      VpcEndpoint: { VpcEndpointId: string; DnsEntries: Array<{ DnsName: string; HostedZoneId: string }> };
    }>(aws, NEW, [
      'ec2',
      'create-vpc-endpoint',
      '--vpc-endpoint-type',
      'Interface',
      '--vpc-id',
      vpcId,
      '--service-name',
      link.serviceName,
      '--subnet-ids',
      subnet.Subnet.SubnetId,
    ]);
    const endpointId = ep.VpcEndpoint.VpcEndpointId;
    const entry = ep.VpcEndpoint.DnsEntries[0]!;
    await awsCli(aws, NEW, [
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
              Name: BROKER,
              Type: 'A',
              AliasTarget: {
                DNSName: entry.DnsName,
                HostedZoneId: entry.HostedZoneId,
                EvaluateTargetHealth: false,
              },
            },
          },
        ],
      }),
    ]);
    await provider.ec2.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: link.serviceId, VpcEndpointIds: [endpointId] }),
    );
    const bound = await within(2000, () => twin.addressOf(endpointId));
    console.log(`      accounts: ${NEW}'s endpoint bound ${bound} ms after acceptance`);
    const ip = twin.addressOf(endpointId)!;
    assert.ok(ip.startsWith(`${ENDPOINT_PREFIX}.`), `endpoint address ${ip}`);
    assert.notEqual(ip, twin.addressOf(link.endpointId), "not the seeded account's endpoint address");
    const binding = twin.addresses().find((b) => b.endpointId === endpointId);
    assert.equal(binding?.account, NEW);
    assert.equal(binding?.vpcId, vpcId);
    assert.equal(await readFrom(ip, 9094), 'late-target');
    await within(2000, async () =>
      (await queryDns(twin.dnsByAccount[NEW]!, BROKER)).addresses[0] === ip ? true : undefined,
    );
    assert.equal((await queryDns(twin.dnsByAccount[SEEDED]!, BROKER)).rcode, 'NXDOMAIN');
  });

  it('follows an account on its own poll loop within 2 s of its VPC (timed through the SDK)', async function () {
    const later = clientsFor({ endpoint: aws.endpoint, region: REGION }, LATER);
    try {
      const before = calls.length;
      await later.ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }));
      const made = Date.now();
      const followed = await within(2000, () => twin.dnsByAccount[LATER]);
      console.log(`      accounts: ${LATER} followed ${followed} ms after CreateVpc answered`);
      assert.deepEqual(
        calls.slice(before).map(([a]) => a),
        [LATER],
      );
      assert.ok(Date.now() - made < 2000);
    } finally {
      later.destroy();
    }
  });

  it('keeps following the accounts it has when listing fails, and survives a failing onAccountDns', async function () {
    this.timeout(20_000);
    let fail = true;
    const seen: string[] = [];
    const other = await startNetworkTwin({
      endpoint: aws.endpoint,
      region: REGION,
      providerAccount: PROVIDER,
      consumerAccounts: [SEEDED],
      listAccounts: async () => {
        if (fail) throw new Error('control route down');
        return [NEW];
      },
      onAccountDns: (account) => {
        seen.push(account);
        throw new Error('resolver refused');
      },
      clientConfig: (account) => clientConfigFor(aws, account),
      ipPrefix: '127.0.12',
      pollMs: 100,
    });
    try {
      assert.match(other.stats().lastError ?? '', /accounts: Error: control route down/);
      assert.deepEqual(Object.keys(other.dnsByAccount), [SEEDED]);
      assert.equal(
        other.addressOf(link.endpointId)?.startsWith('127.0.12.'),
        true,
        'seeded endpoint still bound',
      );
      fail = false;
      await other.reconcileNow();
      assert.deepEqual(Object.keys(other.dnsByAccount), [SEEDED, NEW]);
      assert.deepEqual(seen, [SEEDED, NEW]);
      assert.deepEqual((await queryDns(other.dnsByAccount[NEW]!, RECORD)).addresses, ['10.50.0.10']);
    } finally {
      await other.stop();
    }
  });
});
