// Pattern 2 with a custom domain (`pattern2.domain`): names b-<id>.<domain> in MSK's property, TLS
// listeners presenting the configured ACM certificate and TLS target groups (the NLB re-encrypts),
// zones for the domain in the consumer VPCs and the MSK VPC, and the refusals. Expected values are
// written out by hand.
import assert from 'node:assert/strict';
import type { ConfigInput } from '../../src/config/schema.js';
import { PlanRefused } from '../../src/errors.js';
import type { Resource } from '../../src/kinds/index.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';

const CERT = 'arn:aws:acm:us-east-2:111111111111:certificate/0d2c7a1e-1111-2222-3333-444455556666';
const CLUSTER = 'payments.abc123.c2.kafka.us-east-2.amazonaws.com';

function plan(
  pattern2: ConfigInput['pattern2'],
  listeners: ConfigInput['cluster']['listeners'] = ['tls'],
): Resource[] {
  const config = configOf({
    pattern: 2,
    cluster: { brokersFile: 'b.json', listeners },
    pattern2,
    consumers: [{ ...consumerInput('analytics', '222222222222'), bootstrapParameter: '/msk/boot' }],
  });
  return planStack(planInputOf(config, inventoryOf(brokersFor([1, 2, 3])))).resources;
}

function refused(
  pattern2: ConfigInput['pattern2'],
  field: string,
  text: RegExp,
  listeners?: ConfigInput['cluster']['listeners'],
): void {
  assert.throws(
    () => plan(pattern2, listeners),
    (e: unknown) =>
      e instanceof PlanRefused &&
      e.code === 'PATTERN2_DOMAIN_INVALID' &&
      e.where === `test.yaml: pattern2.${field}` &&
      text.test(e.message),
  );
}

const byId = (rs: Resource[], id: string) => {
  const r = rs.find((x) => x.id === id);
  assert.ok(r, `no ${id}`);
  return r;
};

describe('planner: pattern 2 with a custom domain', () => {
  it('advertises b-<id>.<domain>, terminates TLS at the NLB with the certificate and re-encrypts to the brokers', () => {
    const rs = plan({ domain: 'kafka.example.com', certificateArn: CERT });
    const cfg = byId(rs, 'shared/cluster-configuration');
    if (cfg.kind !== 'cluster-configuration') return assert.fail('kind');
    assert.equal(
      cfg.props.customAdvertisedListeners,
      'CLIENT_SECURE://b-{broker_id}.kafka.example.com:9000+{broker_id}',
    );
    for (const id of ['bootstrap/listener/tls', 'b-1/listener/tls', 'b-3/listener/tls']) {
      const l = byId(rs, id);
      if (l.kind !== 'listener') return assert.fail('kind');
      assert.equal(l.props.protocol, 'TLS', id);
      assert.equal(l.props.certificateArn, CERT, id);
      assert.equal(l.props.sslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06', id);
    }
    for (const id of ['bootstrap/target-group/tls', 'b-2/target-group/tls']) {
      const tg = byId(rs, id);
      if (tg.kind !== 'target-group') return assert.fail('kind');
      assert.equal(tg.props.protocol, 'TLS', id);
      assert.equal(tg.props.port, 9094, `${id}: to the brokers' TLS port`);
    }
    // The MSK VPC: one zone for the domain, a record per broker, all before the restart.
    const zone = byId(rs, 'provider/hosted-zone');
    if (zone.kind !== 'hosted-zone') return assert.fail('kind');
    assert.equal(zone.props.name, 'kafka.example.com');
    assert.equal(zone.props.vpcId, 'vpc-0a1b2c3d');
    const rec = byId(rs, 'provider/dns-record/b-2');
    if (rec.kind !== 'dns-record') return assert.fail('kind');
    assert.equal(rec.props.name, 'b-2.kafka.example.com');
    assert.equal(rec.props.zone, 'provider/hosted-zone');
    assert.deepEqual(rec.props.aliasTarget, { kind: 'load-balancer', id: 'shared/load-balancer' });
    for (const b of [1, 2, 3])
      assert.ok(cfg.dependsOn.includes(`provider/dns-record/b-${b}`), `restart after b-${b}'s name`);
    assert.equal(
      rs.filter((r) => r.id.startsWith('provider/hosted-zone/')).length,
      0,
      'no per-broker provider zones',
    );
    // The consumer: a zone for the domain holding only the new names.
    const czone = byId(rs, 'analytics/hosted-zone');
    if (czone.kind !== 'hosted-zone') return assert.fail('kind');
    assert.equal(czone.props.name, 'kafka.example.com');
    const records = rs.filter((r) => r.kind === 'dns-record' && r.id.startsWith('analytics/'));
    assert.deepEqual(
      records.map((r) => `${r.id} ${r.kind === 'dns-record' ? r.props.name : ''}`),
      [1, 2, 3].map((b) => `analytics/dns-record/b-${b} b-${b}.kafka.example.com`),
    );
    assert.ok(
      !rs.some((r) => r.kind === 'dns-record' && r.props.name.endsWith(CLUSTER)),
      "no record for MSK's names",
    );
    const param = byId(rs, 'analytics/ssm-parameter');
    if (param.kind !== 'ssm-parameter') return assert.fail('kind');
    assert.equal(
      param.props.value,
      'b-1.kafka.example.com:9094,b-2.kafka.example.com:9094,b-3.kafka.example.com:9094',
    );
  });

  it('keeps plaintext on TCP (nothing to terminate), and needs no certificate for plaintext alone', () => {
    const rs = plan({ domain: 'kafka.example.com' }, ['plaintext']);
    const l = byId(rs, 'b-1/listener/plaintext');
    if (l.kind !== 'listener') return assert.fail('kind');
    assert.equal(l.props.protocol, 'TCP');
    assert.equal(l.props.certificateArn, undefined);
    const both = plan({ domain: 'kafka.example.com', certificateArn: CERT }, ['tls', 'plaintext']);
    const tls = byId(both, 'b-1/listener/tls');
    const plain = byId(both, 'b-1/listener/plaintext');
    assert.ok(tls.kind === 'listener' && tls.props.protocol === 'TLS');
    assert.ok(plain.kind === 'listener' && plain.props.protocol === 'TCP');
  });

  it('refuses what cannot work, naming the field', () => {
    refused(
      { domain: 'kafka.example.com' },
      'certificateArn',
      /needs pattern2.certificateArn.*\*\.kafka\.example\.com/,
    );
    refused(
      { domain: 'kafka.example.com', certificateArn: CERT.replace('us-east-2', 'us-west-2') },
      'certificateArn',
      /is in 111111111111 us-west-2.*own account and region/,
    );
    refused(
      { domain: 'kafka.example.com', certificateArn: CERT.replace('111111111111', '999999999999') },
      'certificateArn',
      /is in 999999999999 us-east-2/,
    );
    refused(
      { domain: `x.${CLUSTER}`, certificateArn: CERT },
      'domain',
      /overlaps the cluster's own sub-domain/,
    );
    refused({ domain: 'amazonaws.com', certificateArn: CERT }, 'domain', /overlaps/);
    refused(
      { domain: 'kafka.example.com', certificateArn: CERT, mode: 'rewrite' },
      'mode',
      /needs msk-configuration mode/,
    );
    refused(
      { domain: 'kafka.example.com', certificateArn: CERT, names: 'broker' },
      'names',
      /exclude each other/,
    );
    refused({ certificateArn: CERT }, 'certificateArn', /without pattern2.domain/);
  });

  it('the config schema refuses a malformed domain or certificate ARN', () => {
    assert.throws(
      () => configOf({ pattern: 2, pattern2: { domain: 'Kafka.Example.COM' } }),
      /lower-case DNS domain/,
    );
    assert.throws(
      () =>
        configOf({
          pattern: 2,
          pattern2: { domain: 'kafka.example.com', certificateArn: 'arn:aws:iam::1:x' },
        }),
      /ACM certificate ARN/,
    );
  });
});
