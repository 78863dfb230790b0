// Issue 10 scope 2: pattern 2 with a custom domain. On the ZooKeeper testbed, with a certificate for
// *.kafka.example.test (signed by the testbed CA) imported into ACM in the provider account: a
// certificate ARN ACM does not hold stops the apply before any change; apply makes TLS listeners
// presenting the certificate and TLS target groups, and MSK's property makes the real brokers
// advertise b-<id>.kafka.example.test on portBase + id; both consumers probe with TLS verified
// against the custom names (the network twin terminates TLS with the ACM certificate and
// re-encrypts to the brokers) and a canary; inside the MSK VPC the custom names resolve to the NLB
// and answer the same way; destroy restores 9094 and leaves nothing tagged.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { ACMClient, DeleteCertificateCommand, ImportCertificateCommand } from '@aws-sdk/client-acm';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { Kafka, logLevel } from 'kafkajs';
import { directSocketFactory } from '../../src/kafka/admin.js';
import type { ProbeReport } from '../../src/probe/types.js';
import { cli, cliExpect, dnsOf as dnsOfAccount, writeStackConfig } from '../support/e2e.js';
import { queryDns } from '../testbed/network/dns-client.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';
import { taggedWithStack } from './support-lifecycle.js';

const execFileP = promisify(execFile);
const DOMAIN = 'kafka.example.test';
const STACK = 'p2dom';

/** A certificate for *.<DOMAIN> signed by the testbed CA (its key sits beside ca.pem). */
async function wildcardCertificate(tb: Testbed): Promise<{ cert: string; key: string; chain: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mpl-e2e-domain-'));
  const f = (n: string) => path.join(dir, n);
  const caDir = path.dirname(tb.caPath);
  const openssl = (...args: string[]) => execFileP('openssl', args, { cwd: dir });
  await openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('k.pem'),
    '-out',
    f('c.csr'),
    '-subj',
    `/CN=*.${DOMAIN}`,
  );
  await writeFile(
    f('ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:*.${DOMAIN}`,
      '',
    ].join('\n'),
  );
  await openssl(
    'x509',
    '-req',
    '-in',
    f('c.csr'),
    '-CA',
    tb.caPath,
    '-CAkey',
    path.join(caDir, 'ca.key'),
    '-CAcreateserial',
    '-CAserial',
    f('ca.srl'),
    '-days',
    '7',
    '-extfile',
    f('ext'),
    '-out',
    f('c.pem'),
  );
  return {
    cert: await readFile(f('c.pem'), 'utf8'),
    key: await readFile(f('k.pem'), 'utf8'),
    chain: tb.caPem,
  };
}

/** The certificate subject a TLS server at ip:port presents for `servername`, verified against `ca`. */
function tlsPeer(ip: string, port: number, servername: string, ca: string): Promise<{ subject: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: ip, port, servername, ca: [ca], rejectUnauthorized: true }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      s.end();
      resolve({ subject: Array.isArray(cn) ? cn.join(',') : (cn ?? '') });
    });
    s.setTimeout(5000, () => s.destroy(new Error('TLS timeout')));
    s.on('error', reject);
  });
}

/** What the brokers advertise on CLIENT_SECURE, read from the brokers themselves. */
async function advertised(tb: Testbed): Promise<Map<number, string>> {
  const kafka = new Kafka({
    clientId: 'e2e-domain',
    brokers: [`${tb.kafka.brokers[0]?.host}:9094`],
    ssl: { ca: [tb.caPem] },
    socketFactory: directSocketFactory(tb.kafka.brokers, 9094, { ca: [tb.caPem] }),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.describeCluster()).brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
  } finally {
    await admin.disconnect();
  }
}

describe('e2e: pattern 2 with a custom domain, TLS at the NLB with an ACM certificate (issue 10)', function () {
  this.timeout(600_000);
  let tb: Testbed;
  let file: string;
  let certificateArn: string;
  let acm: ACMClient;
  const figures: string[] = [];

  const run = (argv: string[], expected: number) => cliExpect(tb, argv, expected);

  async function probe(extra: string[]): Promise<ProbeReport> {
    const r = await cli(tb, ['probe', ...extra, '--ca', tb.caPath, '--json']);
    return JSON.parse(r.out) as ProbeReport;
  }

  const dnsOf = (account: string): string => dnsOfAccount(tb, account);

  before(async function () {
    this.timeout(300_000);
    tb = await getTestbed({ reset: true });
    acm = new ACMClient(tb.clientConfig(tb.accounts.provider));
    const pem = await wildcardCertificate(tb);
    const enc = new TextEncoder();
    const imported = await acm.send(
      new ImportCertificateCommand({
        Certificate: enc.encode(pem.cert),
        PrivateKey: enc.encode(pem.key),
        CertificateChain: enc.encode(pem.chain),
      }),
    );
    certificateArn = imported.CertificateArn as string;
    file = (
      await writeStackConfig(tb, {
        name: STACK,
        pattern: 2,
        mode: 'default',
        extra: { pattern2: { admin: { caFile: tb.caPath }, domain: DOMAIN, certificateArn } },
      })
    ).file;
  });

  after(async function () {
    this.timeout(300_000);
    if (figures.length > 0) console.log(`      ${figures.join('\n      ')}`);
    await acm?.send(new DeleteCertificateCommand({ CertificateArn: certificateArn })).catch(() => undefined);
    acm?.destroy();
  });

  it('refuses a certificate ACM does not hold before any change', async () => {
    const other = certificateArn.replace(
      /certificate\/.*/,
      'certificate/00000000-0000-0000-0000-000000000000',
    );
    const text = (await readFile(file, 'utf8')).replace(certificateArn, other);
    const wrong = file.replace(/\.yaml$/, '-wrong.yaml');
    await writeFile(wrong, text.replace(/path: .*\.state\.json/, `path: ${wrong}.state.json`));
    const r = await cli(tb, ['apply', '--config', wrong, '--auto-approve']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /PATTERN2_DOMAIN_INVALID/);
    assert.match(r.err, /is not in ACM/);
    assert.deepEqual(await taggedWithStack(tb, STACK), [], 'nothing made');
  });

  it('applies: TLS listeners with the certificate, brokers advertising b-<id>.<domain>; both consumers and the MSK VPC verify the custom names; destroy restores 9094', async () => {
    let t = Date.now();
    await run(['apply', '--config', file, '--auto-approve'], 0);
    figures.push(
      `apply with a custom domain and the rolling restart: ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    await tb.network.reconcileNow();

    // What AWS holds: every listener TLS with the certificate, every target group TLS to 9094.
    const elb = new ElasticLoadBalancingV2Client(tb.clientConfig(tb.accounts.provider));
    try {
      const nlb = (await elb.send(new DescribeLoadBalancersCommand({ Names: [`mpl-${STACK}-shared`] })))
        .LoadBalancers?.[0];
      assert.ok(nlb?.LoadBalancerArn);
      const listeners =
        (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: nlb.LoadBalancerArn }))).Listeners ??
        [];
      assert.equal(listeners.length, tb.kafka.brokers.length + 1);
      for (const l of listeners) {
        assert.equal(l.Protocol, 'TLS', `listener ${l.Port}`);
        assert.equal(l.Certificates?.[0]?.CertificateArn, certificateArn);
        assert.equal(l.SslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06');
      }
      const groups =
        (await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: nlb.LoadBalancerArn })))
          .TargetGroups ?? [];
      for (const g of groups) assert.deepEqual([g.Protocol, g.Port], ['TLS', 9094], g.TargetGroupName);
    } finally {
      elb.destroy();
    }

    const seen = await advertised(tb);
    for (const b of tb.kafka.brokers)
      assert.equal(seen.get(b.id), `b-${b.id}.${DOMAIN}:${9000 + b.id}`, `broker ${b.id}`);

    for (const [i, account] of tb.accounts.consumers.entries()) {
      const report = await probe([
        '--config',
        file,
        '--consumer',
        `c${i + 1}`,
        '--dns-server',
        dnsOf(account),
        '--canary',
      ]);
      assert.equal(report.ok, true, JSON.stringify(report, null, 2));
      for (const b of report.brokers) {
        assert.equal(b.host, `b-${b.id}.${DOMAIN}`);
        assert.equal(b.port, 9000 + (b.id ?? 0));
        assert.equal(b.steps.tls, 'ok', 'TLS verified against the custom name');
        assert.equal(b.advertised, `b-${b.id}.${DOMAIN}:${9000 + (b.id ?? 0)}`);
      }
      assert.equal(report.canary?.consumed, 1);
    }
    // Inside the MSK VPC: the custom names resolve to the NLB (the provider's zone) and answer.
    const inMsk = await probe([
      '--bootstrap',
      `b-1.${DOMAIN}:9094`,
      '--dns-server',
      dnsOf(tb.accounts.provider),
    ]);
    assert.equal(inMsk.ok, true, JSON.stringify(inMsk, null, 2));
    assert.deepEqual(
      inMsk.brokers.map((b) => `${b.host}:${b.port}`).sort(),
      tb.kafka.brokers.map((b) => `b-${b.id}.${DOMAIN}:${9000 + b.id}`).sort(),
    );
    // The NLB, not the broker, answers TLS: its certificate names *.<domain>, not the broker's name.
    const c1 = tb.network.dnsByAccount[tb.accounts.consumers[0] as string];
    assert.ok(c1);
    const ip = (await queryDns(c1, `b-1.${DOMAIN}`)).addresses[0];
    assert.ok(ip, `b-1.${DOMAIN} resolves in c1`);
    const peer = await tlsPeer(ip, 9001, `b-1.${DOMAIN}`, tb.caPem);
    assert.equal(peer.subject, `*.${DOMAIN}`);
    await assert.rejects(
      tlsPeer(ip, 9001, tb.kafka.brokers[0]?.host ?? '', tb.caPem),
      /altnames|ERR_TLS_CERT_ALTNAME_INVALID/,
    );
    assert.match((await run(['plan', '--config', file], 0)).out, /No changes/);

    t = Date.now();
    await run(['destroy', '--config', file, '--auto-approve'], 0);
    figures.push(`destroy with the rolling restart back: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const back = await advertised(tb);
    for (const b of tb.kafka.brokers)
      assert.equal(back.get(b.id), `${b.host}:9094`, `after destroy, broker ${b.id}`);
    assert.deepEqual(await taggedWithStack(tb, STACK), []);
  });
});
