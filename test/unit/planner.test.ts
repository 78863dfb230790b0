import assert from 'node:assert/strict';
import { PlanRefused } from '../../src/errors.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { lint } from '../../src/planner/lint.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { elbName } from '../../src/planner/names.js';
import { assignPorts, portRanges } from '../../src/planner/ports.js';
import type { Resource } from '../../src/kinds/index.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';

const three = () => inventoryOf(brokersFor([1, 2, 3]));
const byId = (rs: Resource[], id: string) => {
  const r = rs.find((x) => x.id === id);
  assert.ok(r, `no resource ${id}`);
  return r;
};
function refusal(fn: () => unknown): PlanRefused {
  try {
    fn();
  } catch (e) {
    if (e instanceof PlanRefused) return e;
    throw e;
  }
  assert.fail('expected a refusal');
}

describe('planner: pattern 1', () => {
  it('spans every provider AZ with cross-zone on for all-azs, and one AZ for broker-az', () => {
    const all = planStack(planInputOf(configOf(), three())).resources;
    const nlb = byId(all, 'b-2/load-balancer');
    assert.ok(nlb.kind === 'load-balancer');
    assert.deepEqual(nlb.props.azIds, ['use2-az1', 'use2-az2', 'use2-az3']);
    assert.equal(nlb.props.crossZone, true);
    const ep = byId(all, 'analytics/vpc-endpoint/b-2');
    assert.ok(ep.kind === 'vpc-endpoint');
    assert.equal(ep.props.subnetIds.length, 3);

    const cfg = configOf({ consumers: [consumerInput('analytics', '222222222222', 3, 'broker-az')] });
    const one = planStack(planInputOf(cfg, three())).resources;
    const nlb2 = byId(one, 'b-2/load-balancer');
    assert.ok(nlb2.kind === 'load-balancer');
    assert.deepEqual(nlb2.props.azIds, ['use2-az2']);
    assert.equal(nlb2.props.crossZone, false);
    const ep2 = byId(one, 'analytics/vpc-endpoint/b-2');
    assert.ok(ep2.kind === 'vpc-endpoint');
    assert.deepEqual(ep2.props.azIds, ['use2-az2']);
  });

  it('names a consumer subnet whose AZ ID the NLB does not cover', () => {
    const inv = inventoryOf(brokersFor([1, 2], 2));
    const cfg = configOf();
    const e = refusal(() => planStack(planInputOf(cfg, inv)));
    assert.equal(e.code, 'CONSUMER_AZ_NOT_SERVED');
    assert.match(e.message, /subnet-analytics2 is in use2-az3/);
    assert.match(e.where ?? '', /consumers\[0\]\.subnets\[2\]/);
  });

  it('refuses broker-az when the consumer has no subnet in a broker AZ', () => {
    const cfg = configOf({ consumers: [consumerInput('analytics', '222222222222', 2, 'broker-az')] });
    const e = refusal(() => planStack(planInputOf(cfg, three())));
    assert.equal(e.code, 'CONSUMER_AZ_MISSING');
    assert.match(e.message, /use2-az3 \(broker 3\)/);
  });

  it('zones the cluster sub-domain and aliases every broker name to its own endpoint', () => {
    const rs = planStack(planInputOf(configOf(), three())).resources;
    const zone = byId(rs, 'analytics/hosted-zone');
    assert.ok(zone.kind === 'hosted-zone');
    assert.equal(zone.props.name, 'payments.abc123.c2.kafka.us-east-2.amazonaws.com');
    const rec = byId(rs, 'analytics/dns-record/b-3');
    assert.ok(rec.kind === 'dns-record');
    assert.equal(rec.props.name, 'b-3.payments.abc123.c2.kafka.us-east-2.amazonaws.com');
    assert.deepEqual(rec.props.aliasTarget, { kind: 'vpc-endpoint', id: 'analytics/vpc-endpoint/b-3' });
  });

  it('never zones kafka.<region>.amazonaws.com', () => {
    const brokers = brokersFor([1, 2, 3]).map((b) => ({
      ...b,
      host: `b-${b.id}.kafka.us-east-2.amazonaws.com`,
    }));
    const e = refusal(() => planStack(planInputOf(configOf(), inventoryOf(brokers))));
    assert.equal(e.code, 'ZONE_TOO_WIDE');
  });

  it("opens the endpoint group to allowedCidrs on the plan ports only, and the broker group to the NLBs' security group", () => {
    const cfg = configOf({
      cluster: { brokersFile: 'b.json', listeners: ['tls', 'sasl_scram'] },
      provider: { account: '111111111111', vpcId: 'vpc-0a1b2c3d', brokerSecurityGroupId: 'sg-0123' },
    });
    const rs = planStack(planInputOf(cfg, three())).resources;
    const sg = byId(rs, 'analytics/security-group');
    assert.ok(sg.kind === 'security-group');
    assert.deepEqual(
      sg.props.ingress.map((i) => [i.cidr, i.fromPort, i.toPort]),
      [
        ['10.20.0.0/16', 9094, 9094],
        ['10.20.0.0/16', 9096, 9096],
      ],
    );
    const rules = rs.filter((r) => r.kind === 'security-group-rule');
    assert.equal(rules.length, 2);
    for (const r of rules) {
      assert.ok(r.kind === 'security-group-rule');
      assert.equal(r.props.groupId, 'sg-0123');
      assert.equal(r.props.sourceGroup, 'provider/security-group');
      assert.equal(r.props.sourceSubnetIds, undefined);
      assert.deepEqual(r.dependsOn, ['provider/security-group']);
    }
  });

  it('allows exactly the consumer accounts on every endpoint service', () => {
    const cfg = configOf({
      consumers: [
        consumerInput('a', '222222222222'),
        consumerInput('b', '333333333333'),
        consumerInput('c', '222222222222'),
      ],
    });
    const rs = planStack(planInputOf(cfg, three())).resources;
    const perm = byId(rs, 'b-1/endpoint-service-permissions');
    assert.ok(perm.kind === 'endpoint-service-permissions');
    assert.deepEqual(perm.props.allowedPrincipals, [
      'arn:aws:iam::222222222222:root',
      'arn:aws:iam::333333333333:root',
    ]);
  });

  it('puts a bootstrap parameter in the consumer account when asked', () => {
    const c = {
      ...consumerInput('analytics', '222222222222'),
      bootstrapParameter: '/msk/payments/bootstrap',
    };
    const rs = planStack(planInputOf(configOf({ consumers: [c] }), three())).resources;
    const p = byId(rs, 'analytics/ssm-parameter');
    assert.ok(p.kind === 'ssm-parameter');
    assert.equal(p.account, '222222222222');
    assert.equal(p.props.value.split(',').length, 3);
    assert.match(p.props.value, /^b-1\.payments\..*:9094,/);
    assert.equal(p.props.tier, 'Standard');
  });

  it('makes the bootstrap parameter advanced over 4,096 characters, and refuses it over 8,192 naming the field', () => {
    const c = {
      ...consumerInput('analytics', '222222222222'),
      bootstrapParameter: '/msk/payments/bootstrap',
    };
    const cfg = configOf({ pattern: 3, pattern3: { childrenPerGroupQuota: 300 }, consumers: [c] });
    const paramOf = (n: number) => {
      const p = byId(
        planStack(planInputOf(cfg, inventoryOf(brokersFor(Array.from({ length: n }, (_, i) => i + 1)))))
          .resources,
        'analytics/ssm-parameter',
      );
      assert.ok(p.kind === 'ssm-parameter');
      return p.props;
    };
    const small = paramOf(60);
    assert.ok(small.value.length <= 4096, String(small.value.length));
    assert.equal(small.tier, 'Standard');
    const big = paramOf(90);
    assert.ok(big.value.length > 4096, String(big.value.length));
    assert.equal(big.tier, 'Advanced');
    assert.throws(
      () => paramOf(200),
      (e: unknown) =>
        e instanceof PlanRefused &&
        e.code === 'BOOTSTRAP_PARAMETER_TOO_LONG' &&
        e.where === 'test.yaml: consumers[0].bootstrapParameter' &&
        /consumer analytics: the bootstrap string of 200 brokers is \d+ characters; an SSM parameter holds at most 8192/.test(
          e.message,
        ),
    );
  });
});

describe('planner: pattern 2', () => {
  const p2 = (over: Parameters<typeof configOf>[0] = {}) => configOf({ pattern: 2, ...over });

  const rewrite = { pattern2: { mode: 'rewrite' as const } };

  it('rewrite mode: per-broker ports on one NLB, the bootstrap listener on the client port, a provider zone per broker name', () => {
    const d = planStack(planInputOf(p2(rewrite), three()));
    assert.deepEqual(d.portAssignments, { '1/tls': 9001, '2/tls': 9002, '3/tls': 9003 });
    const ls = byId(d.resources, 'b-2/listener/tls');
    assert.ok(ls.kind === 'listener');
    assert.equal(ls.props.port, 9002);
    const tg = byId(d.resources, 'b-2/target-group/tls');
    assert.ok(tg.kind === 'target-group');
    assert.deepEqual(tg.props.targets, [{ ip: '10.0.2.12', port: 9094, brokerId: 2 }]);
    const boot = byId(d.resources, 'bootstrap/listener/tls');
    assert.ok(boot.kind === 'listener');
    assert.equal(boot.props.port, 9094);
    const cfgr = byId(d.resources, 'b-2/broker-listener-config');
    assert.ok(cfgr.kind === 'broker-listener-config');
    assert.deepEqual(cfgr.props.listeners, [
      { name: 'CLIENT_SECURE', securityProtocol: 'SSL', port: 9094, advertisedPort: 9002 },
    ]);
    const rec = byId(d.resources, 'provider/dns-record/b-1');
    assert.ok(rec.kind === 'dns-record');
    assert.deepEqual(rec.props.aliasTarget, { kind: 'load-balancer', id: 'shared/load-balancer' });
    // One zone per broker name: the cluster's other names keep resolving through MSK.
    const zone = byId(d.resources, 'provider/hosted-zone/b-1');
    assert.ok(zone.kind === 'hosted-zone');
    assert.equal(zone.props.name, 'b-1.payments.abc123.c2.kafka.us-east-2.amazonaws.com');
    // The name points at the NLB only after its broker advertises the new port.
    assert.ok(zone.dependsOn.includes('b-1/broker-listener-config'));
    assert.ok(rec.dependsOn.includes('b-1/broker-listener-config'));
    assert.ok(!cfgr.dependsOn.some((x) => x.startsWith('provider/')));
  });

  it('additive mode: a new listener the NLB targets, bootstrap included; no provider zone', () => {
    const d = planStack(planInputOf(p2({ pattern2: { mode: 'additive' } }), three()));
    const boot = byId(d.resources, 'bootstrap/target-group/tls');
    assert.ok(boot.kind === 'target-group');
    assert.equal(boot.props.port, 9194);
    assert.equal(boot.props.targets.length, 3);
    const cfgr = byId(d.resources, 'b-1/broker-listener-config');
    assert.ok(cfgr.kind === 'broker-listener-config');
    assert.deepEqual(cfgr.props.listeners[0], {
      name: 'PRIVATELINK_TLS',
      securityProtocol: 'SSL',
      port: 9194,
      advertisedPort: 9001,
    });
    assert.equal(
      d.resources.find((r) => r.kind === 'hosted-zone' && r.id.startsWith('provider/')),
      undefined,
    );
  });

  it('keeps prior ports and skips ports MSK uses', () => {
    const d = planStack(
      planInputOf(p2({ pattern2: { portBase: 9090, mode: 'rewrite' } }), three(), { '2/tls': 9500 }),
    );
    assert.equal(d.portAssignments['2/tls'], 9500);
    assert.deepEqual([d.portAssignments['1/tls'], d.portAssignments['3/tls']], [9090, 9091]);
    const next = planStack(
      planInputOf(
        p2({ pattern2: { portBase: 9090, mode: 'rewrite' } }),
        inventoryOf(brokersFor([1, 2, 3, 4])),
        d.portAssignments,
      ),
    );
    assert.equal(next.portAssignments['4/tls'], 9099, '9092-9098 belong to MSK');
  });

  it('legacy modes: refuses KRaft and Express clusters, every mode refuses Serverless, before anything is planned', () => {
    for (const [mode, over, code, text] of [
      [
        'rewrite',
        { metadataMode: 'kraft', kafkaVersion: '3.7.x.kraft' },
        'PATTERN2_KRAFT',
        /KRaft.*leave pattern2.mode out/,
      ],
      ['additive', { brokerType: 'express' }, 'PATTERN2_BROKER_TYPE', /express/],
      [undefined, { brokerType: 'serverless' }, 'PATTERN2_BROKER_TYPE', /Serverless/],
      ['msk-configuration', { brokerType: 'serverless' }, 'PATTERN2_BROKER_TYPE', /Serverless/],
    ] as const) {
      const config = p2(mode ? { pattern2: { mode } } : {});
      const e = refusal(() => planStack(planInputOf(config, inventoryOf(brokersFor([1, 2, 3]), over))));
      assert.equal(e.code, code);
      assert.match(e.message, text);
    }
  });

  const kraftInv = () =>
    inventoryOf(brokersFor([1, 2, 3]), {
      kafkaVersion: '3.7.x.kraft',
      metadataMode: 'kraft',
      clusterArn: 'arn:aws:kafka:us-east-2:111111111111:cluster/payments/abc',
      clientListeners: ['tls', 'iam'],
    });

  it('msk-configuration by default, sibling names: b-<id>-pl for the configured listeners, their zones before the restart', () => {
    const inv = kraftInv();
    const d = planStack(planInputOf(p2(), inv));
    assert.deepEqual(d.portAssignments, { '1/tls': 9001, '2/tls': 9002, '3/tls': 9003 });
    const cc = byId(d.resources, 'shared/cluster-configuration');
    assert.ok(cc.kind === 'cluster-configuration');
    assert.equal(
      cc.props.customAdvertisedListeners,
      'CLIENT_SECURE://b-{broker_id}-pl.payments.abc123.c2.kafka.us-east-2.amazonaws.com:9000+{broker_id}',
    );
    assert.equal(cc.props.clusterArn, inv.clusterArn);
    // The new names answer in the MSK VPC before any broker advertises them, and until all are back.
    const zone = byId(d.resources, 'provider/hosted-zone/b-2-pl');
    assert.ok(zone.kind === 'hosted-zone');
    assert.equal(zone.props.name, 'b-2-pl.payments.abc123.c2.kafka.us-east-2.amazonaws.com');
    assert.deepEqual(zone.dependsOn, []);
    for (const id of ['provider/dns-record/b-2-pl', 'b-2/listener/tls', 'bootstrap/listener/tls']) {
      assert.ok(cc.dependsOn.includes(id), id);
    }
    // The brokers' own names: no provider zone (MSK answers them), and IAM stays off the NLB.
    assert.equal(
      d.resources.find((r) => r.id === 'provider/hosted-zone/b-2'),
      undefined,
    );
    assert.equal(
      d.resources.find((r) => r.id === 'b-2/listener/iam'),
      undefined,
    );
    // Consumers: both names of each broker point at the endpoint (the bootstrap listener answers b-<id>).
    const own = byId(d.resources, 'analytics/dns-record/b-2');
    const pl = byId(d.resources, 'analytics/dns-record/b-2-pl');
    assert.ok(own.kind === 'dns-record' && pl.kind === 'dns-record');
    assert.equal(pl.props.name, 'b-2-pl.payments.abc123.c2.kafka.us-east-2.amazonaws.com');
    assert.deepEqual(pl.props.aliasTarget, own.props.aliasTarget);
  });

  it('msk-configuration with names: broker: every client listener through the NLB, ports base + id, the provider zones after the restart', () => {
    const inv = kraftInv();
    const d = planStack(planInputOf(p2({ pattern2: { names: 'broker' } }), inv));
    assert.deepEqual(d.portAssignments, {
      '1/tls': 9001,
      '2/tls': 9002,
      '3/tls': 9003,
      '1/iam': 10001,
      '2/iam': 10002,
      '3/iam': 10003,
    });
    const cc = byId(d.resources, 'shared/cluster-configuration');
    assert.ok(cc.kind === 'cluster-configuration');
    assert.equal(
      cc.props.customAdvertisedListeners,
      'CLIENT_SECURE://b-{broker_id}.payments.abc123.c2.kafka.us-east-2.amazonaws.com:9000+{broker_id},' +
        'CLIENT_IAM://b-{broker_id}.payments.abc123.c2.kafka.us-east-2.amazonaws.com:10000+{broker_id}',
    );
    assert.equal(cc.props.clusterArn, inv.clusterArn);
    assert.equal(cc.props.configurationName, 'mpl-payments');
    // Applied only once the NLB listens on every port; the provider names follow the restart.
    for (const l of ['b-1/listener/tls', 'b-3/listener/iam', 'bootstrap/listener/iam']) {
      assert.ok(cc.dependsOn.includes(l), l);
    }
    assert.ok(
      byId(d.resources, 'provider/hosted-zone/b-2').dependsOn.includes('shared/cluster-configuration'),
    );
    assert.ok(
      byId(d.resources, 'provider/dns-record/b-2').dependsOn.includes('shared/cluster-configuration'),
    );
    assert.equal(d.resources.filter((r) => r.kind === 'broker-listener-config').length, 0);
    // The IAM listener goes through the NLB (MSK VPC clients), but consumers reach only TLS.
    const ls = byId(d.resources, 'b-2/listener/iam');
    assert.ok(ls.kind === 'listener' && ls.props.port === 10002);
    const sg = byId(d.resources, 'analytics/security-group');
    assert.ok(sg.kind === 'security-group');
    assert.ok(!JSON.stringify(sg.props).includes('10002'));
    const info = lint(planInputOf(p2({ pattern2: { names: 'broker' } }), inv), d.resources).find(
      (f) => f.code === 'MPL301',
    );
    assert.equal(info?.severity, 'info');
    assert.match(info?.message ?? '', /msk-configuration, chosen for kafka 3\.7\.x\.kraft, KRaft mode/);
  });

  it('msk-configuration: Express brokers plan offline; ports MSK uses, a port past 65535 or another name pattern are refused', () => {
    const express = inventoryOf(brokersFor([1, 2, 3]), { brokerType: 'express' });
    assert.ok(
      planStack(planInputOf(p2(), express)).resources.some((r) => r.kind === 'cluster-configuration'),
    );
    for (const [portBase, ids, text] of [
      [9090, [1, 2, 3], /9092 .*one MSK uses/],
      [65000, [1, 600], /above 65535/],
    ] as const) {
      const e = refusal(() =>
        planStack(planInputOf(p2({ pattern2: { portBase } }), inventoryOf(brokersFor([...ids])))),
      );
      assert.equal(e.code, 'CUSTOM_LISTENERS_INVALID');
      assert.match(e.message, text);
    }
    // Two listener types: tls 9000+id, sasl_scram 10000+id; broker 1001's tls port is sasl_scram's range.
    const e = refusal(() =>
      planStack(
        planInputOf(
          p2({ cluster: { brokersFile: 'b.json', listeners: ['tls', 'sasl_scram'] } }),
          inventoryOf(brokersFor([1, 1001])),
        ),
      ),
    );
    assert.equal(e.code, 'CUSTOM_LISTENERS_INVALID');
    const renamed = inventoryOf(
      brokersFor([1, 2]).map((b) => ({ ...b, host: b.host.replace(/^b-/, 'broker-') })),
    );
    const e2 = refusal(() => planStack(planInputOf(p2(), renamed)));
    assert.match(e2.message, /b-\{broker_id\}/);
  });

  it('refuses more than 49 brokers (50 listeners per NLB) and accepts 49', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    const ok = planStack(planInputOf(p2(), inventoryOf(brokersFor(ids(49)))));
    assert.equal(ok.resources.filter((r) => r.kind === 'listener').length, 50);
    const e = refusal(() => planStack(planInputOf(p2(), inventoryOf(brokersFor(ids(50))))));
    assert.equal(e.code, 'PATTERN2_TOO_MANY_LISTENERS');
    assert.match(e.message, /not adjustable/);
  });
});

describe('planner: pattern 3', () => {
  const p3 = (over: Parameters<typeof configOf>[0] = {}) => configOf({ pattern: 3, ...over });
  const two = () => [consumerInput('analytics', '222222222222'), consumerInput('billing', '333333333333', 2)];

  it('builds a gateway, a group with one child per broker under its own name, a share, and one endpoint per consumer; no NLB', () => {
    const rs = planStack(planInputOf(p3({ consumers: two() }), three())).resources;
    const kinds = rs.map((r) => r.kind);
    for (const k of [
      'load-balancer',
      'target-group',
      'listener',
      'endpoint-service',
      'vpc-endpoint',
      'hosted-zone',
    ])
      assert.ok(!kinds.includes(k as Resource['kind']), `no ${k}`);
    const gw = byId(rs, 'provider/resource-gateway');
    assert.ok(gw.kind === 'resource-gateway');
    assert.deepEqual(gw.props.azIds, ['use2-az1', 'use2-az2', 'use2-az3']);
    assert.deepEqual(gw.props.securityGroups, ['provider/security-group']);
    const group = byId(rs, 'shared/resource-configuration');
    assert.ok(group.kind === 'resource-configuration');
    assert.equal(group.props.type, 'GROUP');
    assert.equal(group.props.groupDomain, 'payments.abc123.c2.kafka.us-east-2.amazonaws.com');
    assert.deepEqual(group.props.portRanges, ['9094']);
    for (const id of [1, 2, 3]) {
      const child = byId(rs, `b-${id}/resource-configuration`);
      assert.ok(child.kind === 'resource-configuration');
      const host = `b-${id}.payments.abc123.c2.kafka.us-east-2.amazonaws.com`;
      assert.equal(child.props.type, 'CHILD');
      assert.equal(child.props.customDomainName, host);
      assert.deepEqual(child.props.target, { dns: host });
      assert.deepEqual(child.dependsOn, ['shared/resource-configuration']);
    }
    const share = byId(rs, 'shared/resource-share');
    assert.ok(share.kind === 'resource-share');
    assert.deepEqual(share.props.principals, ['222222222222', '333333333333']);
    assert.deepEqual(share.props.resources, ['shared/resource-configuration']);
    const ep = byId(rs, 'billing/resource-endpoint');
    assert.ok(ep.kind === 'resource-endpoint');
    assert.equal(ep.account, '333333333333');
    assert.deepEqual(ep.props.azIds, ['use2-az1', 'use2-az2']);
    assert.equal(ep.props.privateDnsDomains.length, 3);
    assert.ok(ep.dependsOn.includes('billing/resource-share-acceptance'));
    assert.ok(ep.dependsOn.includes('b-3/resource-configuration'), 'every child exists before the endpoint');
    const acc = byId(rs, 'billing/resource-share-acceptance');
    assert.equal(acc.account, '333333333333');
  });

  it('a broker added gets its own child, and each endpoint learns its name; nothing else changes', () => {
    const before = planStack(planInputOf(p3({ consumers: two() }), three())).resources;
    const after = planStack(
      planInputOf(p3({ consumers: two() }), inventoryOf(brokersFor([1, 2, 3, 4]))),
    ).resources;
    const ids = (rs: Resource[]) => new Set(rs.map((r) => r.id));
    assert.deepEqual(
      [...ids(after)].filter((id) => !ids(before).has(id)),
      ['b-4/resource-configuration'],
    );
    const changed = after
      .filter((r) => {
        const old = before.find((x) => x.id === r.id);
        return old !== undefined && JSON.stringify(old.props) !== JSON.stringify(r.props);
      })
      .map((r) => r.id)
      .sort();
    assert.deepEqual(changed, ['analytics/resource-endpoint', 'billing/resource-endpoint']);
  });

  it("zone mode: no custom names; the stack's own zone aliases each broker to its child's entry on the endpoint", () => {
    const rs = planStack(planInputOf(p3({ pattern3: { dns: 'zone' } }), three())).resources;
    const group = byId(rs, 'shared/resource-configuration');
    assert.ok(group.kind === 'resource-configuration');
    assert.equal(group.props.groupDomain, undefined);
    const child = byId(rs, 'b-2/resource-configuration');
    assert.ok(child.kind === 'resource-configuration');
    assert.equal(child.props.customDomainName, undefined);
    const ep = byId(rs, 'analytics/resource-endpoint');
    assert.ok(ep.kind === 'resource-endpoint');
    assert.equal(ep.props.privateDns, false);
    assert.deepEqual(ep.props.privateDnsDomains, []);
    const zone = byId(rs, 'analytics/hosted-zone');
    assert.ok(zone.kind === 'hosted-zone');
    assert.equal(zone.props.name, 'payments.abc123.c2.kafka.us-east-2.amazonaws.com');
    const rec = byId(rs, 'analytics/dns-record/b-2');
    assert.ok(rec.kind === 'dns-record');
    assert.deepEqual(rec.props.aliasTarget, {
      kind: 'resource-endpoint',
      id: 'analytics/resource-endpoint',
      child: 'b-2/resource-configuration',
    });
    assert.deepEqual(rec.dependsOn, [
      'analytics/hosted-zone',
      'analytics/resource-endpoint',
      'b-2/resource-configuration',
    ]);
    const input = planInputOf(p3({ pattern3: { dns: 'zone' } }), three());
    assert.ok(!lint(input, planStack(input).resources).some((f) => f.code === 'MPL107'));
  });

  it('targets IP addresses when asked, and keeps the names', () => {
    const rs = planStack(planInputOf(p3({ pattern3: { target: 'ip' } }), three())).resources;
    const child = byId(rs, 'b-2/resource-configuration');
    assert.ok(child.kind === 'resource-configuration');
    assert.deepEqual(child.props.target, { ip: three().brokers[1]?.ip });
    assert.match(child.props.customDomainName ?? '', /^b-2\./);
  });

  it('shares with other accounts only, and accepts once per account', () => {
    const cfg = p3({
      consumers: [
        consumerInput('local', '111111111111'),
        consumerInput('analytics', '222222222222'),
        consumerInput('reports', '222222222222'),
      ],
    });
    const rs = planStack(planInputOf(cfg, three())).resources;
    const share = byId(rs, 'shared/resource-share');
    assert.ok(share.kind === 'resource-share');
    assert.deepEqual(share.props.principals, ['222222222222']);
    assert.deepEqual(
      rs.filter((r) => r.kind === 'resource-share-acceptance').map((r) => r.id),
      ['analytics/resource-share-acceptance'],
    );
    assert.ok(
      byId(rs, 'reports/resource-endpoint').dependsOn.includes('analytics/resource-share-acceptance'),
    );
    assert.ok(!byId(rs, 'local/resource-endpoint').dependsOn.some((d) => d.includes('acceptance')));
    // Only consumers in the provider account: nothing to share.
    const alone = planStack(
      planInputOf(p3({ consumers: [consumerInput('local', '111111111111')] }), three()),
    );
    assert.ok(!alone.resources.some((r) => r.kind === 'resource-share'));
  });

  it('refuses more brokers than children per group (60 unless raised), and Serverless', () => {
    const many = inventoryOf(brokersFor(Array.from({ length: 61 }, (_, i) => i + 1)));
    const e = refusal(() => planStack(planInputOf(p3(), many)));
    assert.equal(e.code, 'PATTERN3_TOO_MANY_BROKERS');
    assert.match(e.message, /61.*60 children per group/);
    assert.equal(
      planStack(planInputOf(p3({ pattern3: { childrenPerGroupQuota: 100 } }), many)).resources.length > 61,
      true,
    );
    const sixty = inventoryOf(brokersFor(Array.from({ length: 60 }, (_, i) => i + 1)));
    assert.ok(planStack(planInputOf(p3(), sixty)).resources.length > 60);
    const sl = refusal(() =>
      planStack(planInputOf(p3(), inventoryOf(brokersFor([1]), { brokerType: 'serverless' }))),
    );
    assert.equal(sl.code, 'SERVERLESS_UNSUPPORTED');
  });

  it('refuses a consumer subnet in an AZ ID the gateway does not cover', () => {
    const inv = inventoryOf(brokersFor([1, 2], 2));
    const e = refusal(() => planStack(planInputOf(p3(), inv)));
    assert.equal(e.code, 'CONSUMER_AZ_NOT_SERVED');
  });

  it('lints what AWS leaves open as warnings, and the idle timeout without naming an NLB', () => {
    const input = planInputOf(p3(), three());
    const f = lint(input, planStack(input).resources);
    const codes = f.map((x) => x.code);
    assert.ok(codes.includes('MPL107') && codes.includes('MPL108'), codes.join(' '));
    assert.ok(f.every((x) => x.severity === 'warning'));
    const idle = f.find((x) => x.code === 'MPL102');
    assert.match(idle?.message ?? '', /resource gateway/);
    assert.doesNotMatch(idle?.message ?? '', /NLB/);
    const p1 = lint(planInputOf(configOf(), three()), planStack(planInputOf(configOf(), three())).resources);
    assert.ok(!p1.some((x) => x.code === 'MPL107'));
  });
});

describe('planner: names and ports', () => {
  it('shortens long stack names with a hash and keeps them apart', () => {
    const a = elbName('a-very-long-stack-name', 'sb1234-scram');
    const b = elbName('a-very-long-stack-nam2', 'sb1234-scram');
    assert.ok(a.length <= 32 && b.length <= 32);
    assert.notEqual(a, b);
    assert.equal(elbName('payments', 'b1'), 'mpl-payments-b1');
  });

  it('collapses ports into ranges', () => {
    assert.deepEqual(portRanges([9003, 9001, 9002, 9094, 9005]), [
      [9001, 9003],
      [9005, 9005],
      [9094, 9094],
    ]);
  });

  it('assigns in broker order whatever order the brokers come in', () => {
    assert.deepEqual(assignPorts([3, 1, 2], ['tls'], 9001, {}, []), {
      '1/tls': 9001,
      '2/tls': 9002,
      '3/tls': 9003,
    });
  });
});

describe('lint', () => {
  const lintOf = (cfg: ReturnType<typeof configOf>, inv = three()) => {
    const input = planInputOf(cfg, inv);
    return lint(input, planStack(input).resources);
  };
  const codes = (cfg: ReturnType<typeof configOf>) => lintOf(cfg).map((f) => `${f.severity}:${f.code}`);

  it('flags open or unreviewed endpoint services as errors, unless allowed', () => {
    const open = configOf({
      provider: {
        account: '111111111111',
        vpcId: 'vpc-0a1b2c3d',
        endpointService: { acceptanceRequired: false, extraAllowedPrincipals: ['*'] },
      },
    });
    assert.ok(codes(open).includes('error:MPL001'));
    assert.ok(codes(open).includes('error:MPL002'));
    const allowed = configOf({
      provider: {
        account: '111111111111',
        vpcId: 'vpc-0a1b2c3d',
        endpointService: { extraAllowedPrincipals: ['*'] },
      },
      lint: { allow: ['MPL001'] },
    });
    assert.ok(codes(allowed).includes('warning:MPL001'));
  });

  it('refuses a wildcard anywhere in an allowed principal (MPL001), and names each', () => {
    const withPrincipals = (extraAllowedPrincipals: string[]) =>
      configOf({
        provider: {
          account: '111111111111',
          vpcId: 'vpc-0a1b2c3d',
          endpointService: { extraAllowedPrincipals },
        },
      });
    for (const p of [
      'arn:aws:iam::*:root',
      'arn:aws:iam::555555555555:role/*',
      'arn:aws:iam::555555555555:*',
    ]) {
      const found = lintOf(withPrincipals(['arn:aws:iam::555555555555:role/ops', p])).find(
        (f) => f.code === 'MPL001',
      );
      assert.equal(found?.severity, 'error', p);
      assert.ok(found?.message.includes(`"${p}"`), found?.message);
      assert.ok(!found?.message.includes('role/ops"'), 'only the wildcard is named');
    }
    const named = withPrincipals([
      'arn:aws:iam::555555555555:root',
      'arn:aws:iam::555555555555:role/team/ops-reader',
      'arn:aws:iam::555555555555:user/ci@example.com',
    ]);
    assert.ok(!codes(named).includes('error:MPL001'));
  });

  it('refuses two consumers in one VPC offline, naming both; the same VPC id in another account is another VPC', () => {
    const a = consumerInput('analytics', '222222222222');
    const b = { ...consumerInput('billing', '222222222222'), vpcId: a.vpcId };
    const r = ConfigSchema.safeParse({ ...configOf({}), consumers: [a, b] });
    assert.equal(r.success, false);
    const issue = r.error?.issues[0];
    assert.deepEqual(issue?.path, ['consumers', 1, 'vpcId']);
    assert.match(issue?.message ?? '', /is also the VPC of consumer analytics \(consumers\[0\]\)/);
    const elsewhere = { ...b, account: '333333333333' };
    assert.equal(ConfigSchema.safeParse({ ...configOf({}), consumers: [a, elsewhere] }).success, true);
  });

  it('refuses an allowed principal that is not an IAM principal ARN, naming the field', () => {
    for (const bad of [
      ' *',
      '* ',
      '555555555555',
      'arn:aws:iam::5555:root',
      'arn:aws:s3:::bucket',
      'role/ops',
      'arn:aws:iam::555555555555:group/x',
    ]) {
      const r = ConfigSchema.safeParse({
        ...configOf({}),
        provider: {
          account: '111111111111',
          vpcId: 'vpc-0a1b2c3d',
          endpointService: { extraAllowedPrincipals: [bad] },
        },
      });
      assert.equal(r.success, false, JSON.stringify(bad));
      const issue = r.error?.issues[0];
      assert.deepEqual(issue?.path, ['provider', 'endpointService', 'extraAllowedPrincipals', 0], bad);
      assert.match(issue?.message ?? '', /must be an IAM principal ARN/);
    }
  });

  it('warns on plaintext, cross-zone, a one-AZ consumer; notes the idle timeout the NLB listeners get', () => {
    const cfg = configOf({
      cluster: { brokersFile: 'b.json', listeners: ['plaintext'] },
      consumers: [consumerInput('solo', '222222222222', 1)],
    });
    const found = codes(cfg);
    for (const c of ['warning:MPL101', 'info:MPL302', 'warning:MPL103', 'warning:MPL104', 'warning:MPL106']) {
      assert.ok(found.includes(c), `${c} in ${found.join(' ')}`);
    }
    // Pattern 1 sets the TCP listeners' idle timeout: no MPL102; below 350 s there is nothing to set.
    assert.ok(!found.includes('warning:MPL102'), found.join(' '));
    const short = codes(configOf({ clients: { connectionsMaxIdleMs: 300000 } }));
    assert.ok(!short.includes('warning:MPL102') && !short.includes('info:MPL302'), short.join(' '));
  });

  it('counts AZs of bare subnet ids through what the inventory knows', () => {
    const solo = { ...consumerInput('solo', '222222222222', 3, 'broker-az'), subnets: ['subnet-p1'] };
    const inv = inventoryOf(brokersFor([1, 4, 7], 1));
    assert.ok(lintOf(configOf({ consumers: [solo] }), inv).some((f) => f.code === 'MPL104'));
  });

  it('refuses an inventory from another VPC than provider.vpcId', () => {
    const e = refusal(() =>
      planStack(planInputOf(configOf(), inventoryOf(brokersFor([1, 2, 3]), { vpcId: 'vpc-other' }))),
    );
    assert.equal(e.code, 'VPC_MISMATCH');
  });

  it('refuses a port kept in state that the NLB now needs', () => {
    const cfg = configOf({ pattern: 2, pattern2: { mode: 'additive' } });
    const e = refusal(() => planStack(planInputOf(cfg, three(), { '1/tls': 9194 })));
    assert.equal(e.code, 'PORT_CONFLICT');
  });

  it('makes pattern 2 rewrite without the provider zone an error that says what breaks', () => {
    const cfg = configOf({ pattern: 2, pattern2: { providerZone: false } });
    const f = lintOf(cfg).find((x) => x.code === 'MPL003');
    assert.equal(f?.severity, 'error');
    assert.match(f?.message ?? '', /inside the MSK VPC/);
  });

  it('warns when pattern 1 passes the NLB and endpoint quotas', () => {
    const ids = Array.from({ length: 51 }, (_, i) => i + 1);
    const cfg = configOf();
    const found = lintOf(cfg, inventoryOf(brokersFor(ids))).map((f) => f.code);
    assert.ok(found.includes('MPL201'));
    assert.ok(found.includes('MPL202'));
  });
});
