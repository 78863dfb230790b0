// The network twin's TLS listeners ("TLS listeners for your Network Load Balancer", Elastic Load
// Balancing user guide): a certificate for a custom name, signed by a test CA, imported into the
// AWS twin's ACM; an NLB with TLS listeners using it; the network twin terminates TLS on the NLB's
// loopback address with that certificate and forwards to a TLS target group over TLS (the target's
// self-signed certificate is not verified, as an NLB does not) or to a TCP target group in the
// clear. Clients are real node:tls clients that verify the name against the CA. The ELBv2 and
// ACM refusals (CertificateNotFound, a TLS listener with no certificate, a certificate in use) are
// checked through the SDK.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { ACMClient, DeleteCertificateCommand, ImportCertificateCommand } from '@aws-sdk/client-acm';
import {
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  ModifyVpcEndpointServicePermissionsCommand,
} from '@aws-sdk/client-ec2';
import {
  CertificateNotFoundException,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  ModifyListenerCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { queryDns } from '../testbed/network/dns-client.js';
import { startNetworkTwin, type NetworkTwin } from '../testbed/network/twin.js';
import { clientsFor, seedVpc, type AccountNetwork, type Clients } from '../testbed/scenario.js';

const execFileP = promisify(execFile);

const REGION = 'us-east-2';
const OTHER_REGION = 'us-west-2';
const PROVIDER = '111111111111';
const CONSUMER = '222222222222';
// Not 127.0.1/127.0.2 (shared testbed), nor any other test's prefix (docs/testing.md, Addresses).
const PREFIX = '127.0.51';
const TARGET_HOST = '127.0.52.1';
const NAME = 'b-1.kafka.example.com';
const OTHER_NAME = 'b-2.kafka.example.com';
/** TLS listener -> TLS target group; TLS listener (TLS 1.3 policy) -> TCP group; TCP listener -> TCP group. */
const TLS_PORT = 9194;
const TLS_TO_TCP_PORT = 9195;
const TCP_PORT = 9196;
const NLB_ACTIVE_MS = 300;

interface Pems {
  caPem: string;
  cert: string;
  key: string;
  otherCert: string;
  otherKey: string;
  targetCert: string;
  targetKey: string;
}

/** A test CA, certificates for NAME and OTHER_NAME signed by it, and a self-signed one for the target. */
async function makeCertificates(dir: string): Promise<Pems> {
  const f = (n: string): string => join(dir, n);
  const openssl = (...args: string[]): Promise<unknown> => execFileP('openssl', args, { cwd: dir });
  const selfSigned = (name: string, subject: string, ...ext: string[]): Promise<unknown> =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.pem`),
      '-days',
      '2',
      '-subj',
      subject,
      ...ext,
    );
  await selfSigned(
    'ca',
    '/CN=msk-privatelink test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  // The target's own certificate: trusted by nobody, named for nothing the client asks for.
  await selfSigned('target', '/CN=target.invalid', '-addext', 'subjectAltName=DNS:target.invalid');
  for (const [file, dns] of [
    ['leaf', NAME],
    ['other', OTHER_NAME],
  ] as const) {
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${file}.key`),
      '-out',
      f(`${file}.csr`),
      '-subj',
      `/CN=${dns}`,
    );
    writeFileSync(f(`${file}.ext`), `subjectAltName=DNS:${dns}\nextendedKeyUsage=serverAuth\n`);
    await openssl(
      'x509',
      '-req',
      '-in',
      f(`${file}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f(`${file}.ext`),
      '-out',
      f(`${file}.pem`),
    );
  }
  const read = (n: string): string => readFileSync(f(n), 'utf8');
  return {
    caPem: read('ca.pem'),
    cert: read('leaf.pem'),
    key: read('leaf.key'),
    otherCert: read('other.pem'),
    otherKey: read('other.key'),
    targetCert: read('target.pem'),
    targetKey: read('target.key'),
  };
}

interface TargetServer {
  port: number;
  /** What each connection sent first, as received (for a TLS server: after decryption). */
  received: Buffer[];
  close(): Promise<void>;
}

/** Answers the first bytes of each connection with `<name> <bytes>` and closes. */
async function targetServer(name: string, tlsOptions?: tls.TlsOptions): Promise<TargetServer> {
  const received: Buffer[] = [];
  const onSocket = (s: net.Socket): void => {
    s.on('error', () => undefined);
    s.once('data', (d: Buffer) => {
      received.push(Buffer.from(d));
      s.end(`${name} ${d.toString()}`);
    });
  };
  const server = tlsOptions ? tls.createServer(tlsOptions, onSocket) : net.createServer(onSocket);
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, TARGET_HOST, r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

interface Exchange {
  reply: string;
  protocol: string | null;
  authorized: boolean;
  /** The subject CN of the certificate the server presented. */
  subject: string;
}

/** A TLS client that verifies `servername` against `ca`, sends `message` and reads until the end. */
async function tlsExchange(
  host: string,
  port: number,
  opts: { servername: string; ca?: string; message?: string; rejectUnauthorized?: boolean },
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host,
      port,
      servername: opts.servername,
      ...(opts.ca ? { ca: opts.ca } : {}),
      rejectUnauthorized: opts.rejectUnauthorized ?? true,
    });
    let reply = '';
    let info: Omit<Exchange, 'reply'> | undefined;
    s.once('secureConnect', () => {
      const cn = s.getPeerCertificate().subject?.CN;
      info = {
        protocol: s.getProtocol(),
        authorized: s.authorized,
        subject: Array.isArray(cn) ? cn.join(',') : (cn ?? ''),
      };
      s.write(opts.message ?? 'ping');
    });
    s.on('data', (d: Buffer) => (reply += d.toString()));
    s.on('end', () =>
      info ? resolve({ reply, ...info }) : reject(new Error('closed before the handshake')),
    );
    s.on('error', reject);
    s.setTimeout(3000, () => s.destroy(new Error('timeout')));
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

describe('testbed: network twin NLB TLS listeners (ACM certificates, TLS and TCP target groups)', function () {
  let dir: string;
  let pems: Pems;
  let aws: AwsTwin;
  let twin: NetworkTwin;
  let provider: Clients;
  let acm: ACMClient;
  let providerNet: AccountNetwork;
  let tlsTarget: TargetServer;
  let tcpTarget: TargetServer;
  let certificateArn: string;
  /** OTHER_NAME's certificate, the TLS_PORT listener's default once ModifyListener replaced it. */
  let otherCertificateArn: string;
  let nlbArn: string;
  let nlbDnsName: string;
  let nlbIp: string;
  const listenerArns = new Map<number, string>();

  before(async function () {
    this.timeout(60_000);
    dir = mkdtempSync(join(tmpdir(), 'mpl-nlb-tls-'));
    const made = makeCertificates(dir);
    aws = await startAwsTwin({ region: REGION, delaysMs: { nlbActiveMs: NLB_ACTIVE_MS } });
    pems = await made;
    provider = clientsFor({ endpoint: aws.endpoint, region: REGION }, PROVIDER);
    acm = new ACMClient(clientConfigFor(aws, PROVIDER));
    providerNet = await seedVpc(provider, '10.0.0.0/16');
    tlsTarget = await targetServer('tls-target', { cert: pems.targetCert, key: pems.targetKey });
    tcpTarget = await targetServer('tcp-target');
    twin = await startNetworkTwin({
      endpoint: aws.endpoint,
      region: REGION,
      providerAccount: PROVIDER,
      consumerAccounts: [],
      listAccounts: async () => (await aws.control.accounts(REGION)).map((a) => a.account),
      clientConfig: (account) => clientConfigFor(aws, account),
      ipPrefix: PREFIX,
    });
    const imported = await acm.send(
      new ImportCertificateCommand({
        Certificate: Buffer.from(pems.cert),
        PrivateKey: Buffer.from(pems.key),
        CertificateChain: Buffer.from(pems.caPem),
      }),
    );
    certificateArn = imported.CertificateArn ?? '';
    assert.match(certificateArn, /^arn:aws:acm:us-east-2:111111111111:certificate\//);
    const lb = await provider.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: 'mpl-tls',
        Type: 'network',
        Scheme: 'internal',
        Subnets: providerNet.subnets.map((s) => s.id),
      }),
    );
    nlbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
    nlbDnsName = lb.LoadBalancers?.[0]?.DNSName ?? '';
  });

  after(async function () {
    this.timeout(20_000);
    await twin?.stop();
    provider?.destroy();
    acm?.destroy();
    await Promise.all([tlsTarget?.close(), tcpTarget?.close()]);
    await aws?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function targetGroup(name: string, protocol: 'TLS' | 'TCP', port: number): Promise<string> {
    const tg = await provider.elbv2.send(
      new CreateTargetGroupCommand({
        Name: name,
        Protocol: protocol,
        Port: port,
        VpcId: providerNet.vpcId,
        TargetType: 'ip',
      }),
    );
    const arn = tg.TargetGroups?.[0]?.TargetGroupArn ?? '';
    await provider.elbv2.send(
      new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: TARGET_HOST, Port: port }] }),
    );
    return arn;
  }

  async function listenerPorts(): Promise<number[]> {
    const out = await provider.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: nlbArn }));
    return (out.Listeners ?? []).map((l) => l.Port ?? 0).sort((a, b) => a - b);
  }

  function assertBound(): void {
    assert.ok(nlbIp && twin.addressOf(nlbArn) === nlbIp, `NLB ${nlbArn} bound at ${nlbIp}`);
  }

  it('refuses a TLS listener whose certificate does not exist in its account and region (CertificateNotFound), or that has none', async function () {
    const tgArn = await targetGroup('mpl-refused', 'TLS', tlsTarget.port);
    const forward = [{ Type: 'forward' as const, TargetGroupArn: tgArn }];
    const missing = `arn:aws:acm:${REGION}:${PROVIDER}:certificate/00000000-0000-4000-8000-000000000000`;
    // The same certificate imported in another region: a listener takes its own region's only.
    const otherAcm = new ACMClient(clientConfigFor(aws, PROVIDER, { region: OTHER_REGION }));
    let elsewhere: string;
    try {
      elsewhere =
        (
          await otherAcm.send(
            new ImportCertificateCommand({
              Certificate: Buffer.from(pems.cert),
              PrivateKey: Buffer.from(pems.key),
            }),
          )
        ).CertificateArn ?? '';
    } finally {
      otherAcm.destroy();
    }
    for (const arn of [missing, elsewhere]) {
      await assert.rejects(
        provider.elbv2.send(
          new CreateListenerCommand({
            LoadBalancerArn: nlbArn,
            Protocol: 'TLS',
            Port: TLS_PORT,
            Certificates: [{ CertificateArn: arn }],
            DefaultActions: forward,
          }),
        ),
        (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.ok(err instanceof CertificateNotFoundException, `${err.name}: ${err.message}`);
          assert.equal(err.$metadata?.httpStatusCode, 400);
          // AWS names the certificate; moto's own refusal ("Supplied certificate was not found") does not.
          assert.ok(err.message.includes(arn), err.message);
          return true;
        },
      );
    }
    await assert.rejects(
      provider.elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: nlbArn,
          Protocol: 'TLS',
          Port: TLS_PORT,
          DefaultActions: forward,
        }),
      ),
      (err: Error) => err.name === 'ValidationError' && /certificate must be specified/.test(err.message),
    );
    assert.deepEqual(await listenerPorts(), [], 'no listener was made');
  });

  it('terminates TLS with the imported certificate on the NLB address, re-encrypting to a TLS target it does not verify', async function () {
    this.timeout(20_000);
    const tgArn = await targetGroup('mpl-tls-target', 'TLS', tlsTarget.port);
    const l = await provider.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: nlbArn,
        Protocol: 'TLS',
        Port: TLS_PORT,
        Certificates: [{ CertificateArn: certificateArn }],
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
      }),
    );
    const listener = l.Listeners?.[0];
    listenerArns.set(TLS_PORT, listener?.ListenerArn ?? '');
    assert.equal(listener?.SslPolicy, 'ELBSecurityPolicy-2016-08', "the API's default policy");
    assert.deepEqual(listener?.Certificates, [{ CertificateArn: certificateArn }]);

    const bound = await within(NLB_ACTIVE_MS + 2000, () =>
      twin.loadBalancers()[0]?.listeners.find((x) => x.port === TLS_PORT),
    );
    console.log(`      nlb tls: listener bound ${bound} ms after CreateListener`);
    const binding = twin.loadBalancers()[0]!;
    nlbIp = binding.ip;
    assert.ok(nlbIp.startsWith(`${PREFIX}.`), nlbIp);
    const bl = binding.listeners.find((x) => x.port === TLS_PORT);
    assert.deepEqual(bl?.targets, [{ host: TARGET_HOST, port: tlsTarget.port, tls: true }]);
    assert.deepEqual(bl?.tls, { certificateArn, sslPolicy: 'ELBSecurityPolicy-2016-08' });

    // By the NLB's DNS name, in its owner's view, as a client in its VPC finds it.
    const providerDns = twin.dnsByAccount[PROVIDER]!;
    const address = (await queryDns(providerDns, nlbDnsName)).addresses[0];
    assert.equal(address, nlbIp);
    const before = tlsTarget.received.length;
    const ex = await tlsExchange(address!, TLS_PORT, { servername: NAME, ca: pems.caPem, message: 'ping' });
    assert.equal(ex.authorized, true);
    assert.equal(ex.subject, NAME, 'the imported certificate, not the target one');
    assert.equal(ex.protocol, 'TLSv1.2', 'ELBSecurityPolicy-2016-08 stops at TLS 1.2');
    assert.equal(ex.reply, 'tls-target ping', 'bytes reached the TLS target and came back');
    assert.equal(tlsTarget.received.length, before + 1);
    assert.equal(tlsTarget.received.at(-1)?.toString(), 'ping');

    // The handshake really checks the name and the chain against the client's trust.
    await assert.rejects(
      tlsExchange(nlbIp, TLS_PORT, { servername: OTHER_NAME, ca: pems.caPem }),
      (err: NodeJS.ErrnoException) => err.code === 'ERR_TLS_CERT_ALTNAME_INVALID',
    );
    await assert.rejects(tlsExchange(nlbIp, TLS_PORT, { servername: NAME }), (err: NodeJS.ErrnoException) =>
      ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'].includes(String(err.code)),
    );
  });

  it('sends plain bytes to a TCP target group behind a TLS listener (TLS 1.3 with a TLS13 policy)', async function () {
    this.timeout(20_000);
    assertBound();
    const tgArn = await targetGroup('mpl-tls-to-tcp', 'TCP', tcpTarget.port);
    await provider.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: nlbArn,
        Protocol: 'TLS',
        Port: TLS_TO_TCP_PORT,
        SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        Certificates: [{ CertificateArn: certificateArn }],
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
      }),
    );
    await within(2000, () => twin.loadBalancers()[0]?.listeners.find((x) => x.port === TLS_TO_TCP_PORT));
    const bl = twin.loadBalancers()[0]?.listeners.find((x) => x.port === TLS_TO_TCP_PORT);
    assert.deepEqual(bl?.targets, [{ host: TARGET_HOST, port: tcpTarget.port }], 'no tls flag: a TCP group');
    const before = tcpTarget.received.length;
    const ex = await tlsExchange(nlbIp, TLS_TO_TCP_PORT, {
      servername: NAME,
      ca: pems.caPem,
      message: 'hello-plain',
    });
    assert.equal(ex.authorized, true);
    assert.equal(ex.protocol, 'TLSv1.3');
    assert.equal(ex.reply, 'tcp-target hello-plain');
    assert.equal(tcpTarget.received.length, before + 1);
    // Exactly the client's bytes, in the clear: no TLS record (0x16 starts a handshake).
    assert.deepEqual(tcpTarget.received.at(-1), Buffer.from('hello-plain'));
  });

  it('leaves a TCP listener a plain stream: TLS passes through to the target, whose certificate the client sees', async function () {
    this.timeout(20_000);
    assertBound();
    const tgArn = await targetGroup('mpl-tcp-pass', 'TCP', tlsTarget.port);
    await provider.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: nlbArn,
        Protocol: 'TCP',
        Port: TCP_PORT,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
      }),
    );
    await within(2000, () => twin.loadBalancers()[0]?.listeners.find((x) => x.port === TCP_PORT));
    const bl = twin.loadBalancers()[0]?.listeners.find((x) => x.port === TCP_PORT);
    assert.equal(bl?.tls, undefined);
    const ex = await tlsExchange(nlbIp, TCP_PORT, {
      servername: NAME,
      rejectUnauthorized: false,
      message: 'through',
    });
    assert.equal(ex.subject, 'target.invalid');
    assert.equal(ex.authorized, false);
    assert.equal(ex.reply, 'tls-target through');
  });

  it("follows ModifyListener replacing a TLS listener's default certificate within 2 s; ACM keeps a certificate in use", async function () {
    this.timeout(20_000);
    assertBound();
    const other =
      (
        await acm.send(
          new ImportCertificateCommand({
            Certificate: Buffer.from(pems.otherCert),
            PrivateKey: Buffer.from(pems.otherKey),
            CertificateChain: Buffer.from(pems.caPem),
          }),
        )
      ).CertificateArn ?? '';
    await provider.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: listenerArns.get(TLS_PORT),
        Certificates: [{ CertificateArn: other }],
      }),
    );
    otherCertificateArn = other;
    const described = await provider.elbv2.send(
      new DescribeListenersCommand({ ListenerArns: [listenerArns.get(TLS_PORT)!] }),
    );
    assert.deepEqual(described.Listeners?.[0]?.Certificates, [{ CertificateArn: other }]);
    const elapsed = await within(2000, async () => {
      const ex = await tlsExchange(nlbIp, TLS_PORT, {
        servername: OTHER_NAME,
        ca: pems.caPem,
        message: 'again',
      });
      return ex.subject === OTHER_NAME ? ex : undefined;
    });
    console.log(`      nlb tls: certificate change followed after ${elapsed} ms`);
    assert.equal(
      (await tlsExchange(nlbIp, TLS_PORT, { servername: OTHER_NAME, ca: pems.caPem, message: 'again' }))
        .reply,
      'tls-target again',
    );
    await assert.rejects(
      tlsExchange(nlbIp, TLS_PORT, { servername: NAME, ca: pems.caPem }),
      (err: NodeJS.ErrnoException) => err.code === 'ERR_TLS_CERT_ALTNAME_INVALID',
    );
    // The first certificate is still the TLS_TO_TCP_PORT listener's.
    await assert.rejects(
      acm.send(new DeleteCertificateCommand({ CertificateArn: certificateArn })),
      (err: Error) => err.name === 'ResourceInUseException',
    );
  });

  it("terminates TLS the same way on an interface endpoint of the NLB's endpoint service", async function () {
    this.timeout(20_000);
    assertBound();
    const consumer = clientsFor({ endpoint: aws.endpoint, region: REGION }, CONSUMER);
    try {
      const consumerNet = await seedVpc(consumer, '10.20.0.0/16');
      const svc = await provider.ec2.send(
        new CreateVpcEndpointServiceConfigurationCommand({
          NetworkLoadBalancerArns: [nlbArn],
          AcceptanceRequired: false,
        }),
      );
      await provider.ec2.send(
        new ModifyVpcEndpointServicePermissionsCommand({
          ServiceId: svc.ServiceConfiguration?.ServiceId,
          AddAllowedPrincipals: [`arn:aws:iam::${CONSUMER}:root`],
        }),
      );
      const ep = await consumer.ec2.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: consumerNet.vpcId,
          ServiceName: svc.ServiceConfiguration?.ServiceName,
          SubnetIds: consumerNet.subnets.map((s) => s.id),
        }),
      );
      const endpointId = ep.VpcEndpoint?.VpcEndpointId ?? '';
      const bound = await within(5000, () =>
        twin
          .addresses()
          .find((a) => a.endpointId === endpointId && a.listeners.some((l) => l.port === TLS_PORT)),
      );
      console.log(`      nlb tls: endpoint bound ${bound} ms after CreateVpcEndpoint`);
      const binding = twin.addresses().find((a) => a.endpointId === endpointId)!;
      assert.notEqual(binding.ip, nlbIp);
      assert.deepEqual(binding.listeners.find((l) => l.port === TLS_PORT)?.tls, {
        certificateArn: otherCertificateArn,
        sslPolicy: 'ELBSecurityPolicy-2016-08',
      });
      const ex = await tlsExchange(binding.ip, TLS_PORT, {
        servername: OTHER_NAME,
        ca: pems.caPem,
        message: 'via-endpoint',
      });
      assert.equal(ex.authorized, true);
      assert.equal(ex.subject, OTHER_NAME);
      assert.equal(ex.reply, 'tls-target via-endpoint');
    } finally {
      consumer.destroy();
    }
  });

  it('follows a certificate re-imported under the same ARN (ImportCertificate with CertificateArn) within 2 s', async function () {
    this.timeout(20_000);
    assertBound();
    // Before: the TLS_TO_TCP_PORT listener still serves the first certificate.
    assert.equal(
      (await tlsExchange(nlbIp, TLS_TO_TCP_PORT, { servername: NAME, ca: pems.caPem })).subject,
      NAME,
    );
    await acm.send(
      new ImportCertificateCommand({
        CertificateArn: certificateArn,
        Certificate: Buffer.from(pems.otherCert),
        PrivateKey: Buffer.from(pems.otherKey),
        CertificateChain: Buffer.from(pems.caPem),
      }),
    );
    const elapsed = await within(2000, async () => {
      const ex = await tlsExchange(nlbIp, TLS_TO_TCP_PORT, { servername: OTHER_NAME, ca: pems.caPem });
      return ex.subject === OTHER_NAME ? ex : undefined;
    });
    console.log(`      nlb tls: re-import followed after ${elapsed} ms`);
    assert.deepEqual(twin.loadBalancers()[0]?.listeners.find((x) => x.port === TLS_TO_TCP_PORT)?.tls, {
      certificateArn,
      sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
  });
});
