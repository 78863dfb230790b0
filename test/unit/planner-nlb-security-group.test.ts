// The NLBs' security group (patterns 1 and 2): what it admits per pattern and mode, the NLBs made
// with it and PrivateLink enforcement on, the brokers' group admitting it; NLBs an earlier version
// made without a group kept so, with lint MPL110. Expected values are written out by hand.
import assert from 'node:assert/strict';
import type { ConfigInput } from '../../src/config/schema.js';
import { kindDef, type Resource, type ResourceOf } from '../../src/kinds/index.js';
import {
  loadBalancersWithoutGroups,
  withFoundLoadBalancers,
  type PlanInput,
} from '../../src/planner/input.js';
import { lint } from '../../src/planner/lint.js';
import { planStack } from '../../src/planner/plan-stack.js';
import type { Instance } from '../../src/state/instance.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';

const SG = 'provider/security-group';
const CERT = 'arn:aws:acm:us-east-2:111111111111:certificate/0d2c7a1e-1111-2222-3333-444455556666';
const provider = { account: '111111111111', vpcId: 'vpc-0a1b2c3d', brokerSecurityGroupId: 'sg-0b0b0b0b' };
const consumers = [
  { ...consumerInput('analytics', '222222222222'), allowedCidrs: ['10.30.0.0/16', '10.20.0.0/16'] },
  { ...consumerInput('billing', '333333333333'), allowedCidrs: ['10.20.0.0/16'] },
];

function input(over: Partial<ConfigInput>, inventory = inventoryOf(brokersFor([1, 2, 3]))): PlanInput {
  return planInputOf(configOf({ provider, consumers, ...over }), inventory);
}

const plan = (i: PlanInput) => planStack(i).resources;

function one<K extends Resource['kind']>(rs: Resource[], kind: K, id: string): ResourceOf<K> {
  const r = rs.find((x) => x.id === id);
  assert.ok(r, `no ${id}`);
  assert.equal(r.kind, kind);
  return r as ResourceOf<K>;
}

/** Ingress as "cidr from-to description" rows, in the planner's order. */
const ingress = (rs: Resource[]) =>
  one(rs, 'security-group', SG).props.ingress.map(
    (r) => `${r.cidr} ${r.fromPort}-${r.toPort} ${r.description}`,
  );
const egress = (rs: Resource[]) =>
  one(rs, 'security-group', SG).props.egress?.map((r) => `${r.to} ${r.fromPort}-${r.toPort}`);

const THROUGH = 'Kafka clients through PrivateLink';
const IN_VPC = 'Kafka clients in the MSK VPC';

describe("planner: the NLBs' security group", () => {
  it('pattern 1: the client ports from every allowedCidr (deduplicated, sorted), egress to the VPC on the same ports; each NLB made with it, enforcement on', () => {
    const rs = plan(
      input({ pattern: 1, cluster: { brokersFile: 'b.json', listeners: ['tls', 'sasl_scram'] } }),
    );
    const sg = one(rs, 'security-group', SG);
    assert.equal(sg.account, '111111111111');
    assert.equal(sg.region, 'us-east-2');
    assert.equal(sg.props.name, 'mpl-payments-nlb');
    assert.equal(sg.props.vpcId, 'vpc-0a1b2c3d');
    assert.equal(
      sg.props.description,
      'msk-privatelink payments: Kafka clients to the NLBs, the NLBs to the brokers',
    );
    assert.deepEqual(sg.props.tags, {
      Name: 'mpl-payments-nlb',
      'msk-privatelink:stack': 'payments',
      'msk-privatelink:id': SG,
    });
    assert.deepEqual(ingress(rs), [
      `10.20.0.0/16 9094-9094 ${THROUGH}`,
      `10.20.0.0/16 9096-9096 ${THROUGH}`,
      `10.30.0.0/16 9094-9094 ${THROUGH}`,
      `10.30.0.0/16 9096-9096 ${THROUGH}`,
    ]);
    // Clients in the MSK VPC reach the brokers directly in pattern 1: no rule for the VPC.
    assert.deepEqual(egress(rs), ['vpc 9094-9094', 'vpc 9096-9096']);
    for (const b of [1, 2, 3]) {
      const nlb = one(rs, 'load-balancer', `b-${b}/load-balancer`);
      assert.deepEqual(nlb.props.securityGroups, [SG]);
      assert.equal(nlb.props.enforcePrivateLinkInboundRules, 'on');
      assert.deepEqual(nlb.dependsOn, [SG]);
    }
    // Security groups are free: no meter, so cost is unchanged.
    assert.equal(kindDef('security-group').billing, undefined);
  });

  it('pattern 2 msk-configuration (sibling names): bootstrap and advertised ports from the consumers and, through the provider zones, from the VPC; egress to the target port', () => {
    const rs = plan(input({ pattern: 2 }));
    assert.deepEqual(ingress(rs), [
      `10.20.0.0/16 9001-9003 ${THROUGH}`,
      `10.20.0.0/16 9094-9094 ${THROUGH}`,
      `10.30.0.0/16 9001-9003 ${THROUGH}`,
      `10.30.0.0/16 9094-9094 ${THROUGH}`,
      `vpc 9001-9003 ${IN_VPC}`,
      `vpc 9094-9094 ${IN_VPC}`,
    ]);
    assert.deepEqual(egress(rs), ['vpc 9094-9094']);
    const nlb = one(rs, 'load-balancer', 'shared/load-balancer');
    assert.deepEqual(nlb.props.securityGroups, [SG]);
    assert.equal(nlb.props.enforcePrivateLinkInboundRules, 'on');
    assert.deepEqual(nlb.dependsOn, [SG]);
  });

  it('pattern 2 with pattern2.names broker: the consumers on their configured listeners only, the VPC on every listener the NLB carries', () => {
    const rs = plan(
      input(
        { pattern: 2, pattern2: { names: 'broker' } },
        inventoryOf(brokersFor([1, 2, 3]), { clientListeners: ['tls', 'iam'] }),
      ),
    );
    assert.deepEqual(ingress(rs), [
      `10.20.0.0/16 9001-9003 ${THROUGH}`,
      `10.20.0.0/16 9094-9094 ${THROUGH}`,
      `10.30.0.0/16 9001-9003 ${THROUGH}`,
      `10.30.0.0/16 9094-9094 ${THROUGH}`,
      `vpc 9001-9003 ${IN_VPC}`,
      `vpc 9094-9094 ${IN_VPC}`,
      `vpc 9098-9098 ${IN_VPC}`,
      `vpc 10001-10003 ${IN_VPC}`,
    ]);
    assert.deepEqual(egress(rs), ['vpc 9094-9094', 'vpc 9098-9098']);
  });

  it('pattern 2 with a custom domain and in rewrite mode: the VPC too; in additive mode and without provider zones: the consumers only', () => {
    const domain = plan(
      input({ pattern: 2, pattern2: { domain: 'kafka.example.com', certificateArn: CERT } }),
    );
    assert.ok(ingress(domain).includes(`vpc 9094-9094 ${IN_VPC}`));
    assert.ok(ingress(domain).includes(`vpc 9001-9003 ${IN_VPC}`));

    const rewrite = plan(input({ pattern: 2, pattern2: { mode: 'rewrite' } }));
    assert.deepEqual(ingress(rewrite), [
      `10.20.0.0/16 9001-9003 ${THROUGH}`,
      `10.20.0.0/16 9094-9094 ${THROUGH}`,
      `10.30.0.0/16 9001-9003 ${THROUGH}`,
      `10.30.0.0/16 9094-9094 ${THROUGH}`,
      `vpc 9001-9003 ${IN_VPC}`,
      `vpc 9094-9094 ${IN_VPC}`,
    ]);
    const noZones = plan(input({ pattern: 2, pattern2: { mode: 'rewrite', providerZone: false } }));
    assert.ok(!ingress(noZones).some((r) => r.startsWith('vpc ')), String(ingress(noZones)));

    // Additive: the brokers' new listeners (client port + 100) are the targets.
    const additive = plan(input({ pattern: 2, pattern2: { mode: 'additive' } }));
    assert.deepEqual(ingress(additive), [
      `10.20.0.0/16 9001-9003 ${THROUGH}`,
      `10.20.0.0/16 9094-9094 ${THROUGH}`,
      `10.30.0.0/16 9001-9003 ${THROUGH}`,
      `10.30.0.0/16 9094-9094 ${THROUGH}`,
    ]);
    assert.deepEqual(egress(additive), ['vpc 9194-9194']);
  });

  it('admits a consumer in another region by its allowedCidrs, like any other', () => {
    const west = {
      ...consumerInput('west', '444444444444', ['usw2-az1', 'usw2-az2']),
      region: 'us-west-2',
      allowedCidrs: ['10.40.0.0/16'],
    };
    const rs = plan(input({ pattern: 2, consumers: [...consumers, west] }));
    assert.ok(ingress(rs).includes(`10.40.0.0/16 9094-9094 ${THROUGH}`), String(ingress(rs)));
    assert.ok(ingress(rs).includes(`10.40.0.0/16 9001-9003 ${THROUGH}`));
    assert.equal(one(rs, 'security-group', SG).region, 'us-east-2');
  });

  it("makes the brokers' rules admit the group (patterns 1 and 2), and pattern 3's resource gateway by its subnets", () => {
    for (const pattern of [1, 2] as const) {
      const rules = plan(input({ pattern })).filter((r) => r.kind === 'security-group-rule');
      assert.ok(rules.length > 0);
      for (const r of rules) {
        if (r.kind !== 'security-group-rule') continue;
        assert.equal(r.props.groupId, 'sg-0b0b0b0b');
        assert.equal(r.props.sourceGroup, SG, `${pattern}: ${r.id}`);
        assert.equal(r.props.sourceSubnetIds, undefined);
        assert.deepEqual(r.dependsOn, [SG]);
        assert.equal(r.props.description, 'msk-privatelink payments: NLB to brokers');
      }
    }
    const rs3 = plan(input({ pattern: 3 }));
    const gw = one(rs3, 'security-group', SG);
    assert.equal(
      gw.props.name,
      'mpl-payments-resource-gateway',
      "pattern 3's one provider group is the gateway's",
    );
    const rule = one(rs3, 'security-group-rule', 'provider/security-group-rule/9094');
    assert.deepEqual(rule.props.sourceSubnetIds, ['subnet-p1', 'subnet-p2', 'subnet-p3']);
    assert.equal(rule.props.sourceGroup, undefined);
    assert.deepEqual(rule.dependsOn, []);
  });

  it('lint MPL106 names the group as the source to allow when the brokers’ group is not managed', () => {
    const i = planInputOf(configOf({ pattern: 1, consumers }), inventoryOf(brokersFor([1, 2, 3])));
    const f = lint(i, planStack(i).resources).find((x) => x.code === 'MPL106');
    assert.match(
      f?.message ?? '',
      /allow TCP 9094 from the NLBs' security group mpl-payments-nlb \(or the NLBs' subnets\)/,
    );
  });

  it('lint MPL204 when the group would hold more rules than the default quota of 60 inbound', () => {
    // 31 consumers, one CIDR each, on two port ranges (9001-9003 and 9094): 62 rules (and 2 for the VPC).
    const many = Array.from({ length: 31 }, (_, n) => ({
      ...consumerInput(`c${n}`, '222222222222'),
      vpcId: `vpc-c${n}`,
      allowedCidrs: [`10.${100 + n}.0.0/16`],
    }));
    const i = input({ pattern: 2, consumers: many });
    const f = lint(i, plan(i)).filter((x) => x.code === 'MPL204');
    assert.deepEqual(
      f.map((x) => x.message.split(':')[0]),
      ['provider/security-group (mpl-payments-nlb) needs at least 64 inbound rules'],
    );
    const fewer = input({ pattern: 2, consumers: many.slice(0, 29) });
    assert.equal(
      lint(fewer, plan(fewer)).filter((x) => x.code === 'MPL204').length,
      0,
      '58 + 2 = 60 is within',
    );
  });

  describe('NLBs an earlier version made without a group', () => {
    const legacy = (i: PlanInput, ids: string[]): PlanInput => ({
      ...i,
      prior: { ...i.prior, loadBalancersWithoutGroups: ids },
    });

    it('pattern 2: the shared NLB planned as it is, no group made, the brokers admit its subnets, MPL110 says why and how', () => {
      const i = legacy(input({ pattern: 2 }), ['shared/load-balancer']);
      const rs = plan(i);
      const nlb = one(rs, 'load-balancer', 'shared/load-balancer');
      assert.deepEqual(nlb.props.securityGroups, []);
      assert.equal(nlb.props.enforcePrivateLinkInboundRules, undefined);
      assert.deepEqual(nlb.dependsOn, []);
      assert.equal(
        rs.find((r) => r.id === SG),
        undefined,
        'no group nothing would use',
      );
      for (const r of rs) {
        if (r.kind !== 'security-group-rule') continue;
        assert.deepEqual(r.props.sourceSubnetIds, ['subnet-p1', 'subnet-p2', 'subnet-p3']);
        assert.equal(r.props.sourceGroup, undefined);
      }
      const findings = lint(i, rs);
      const f = findings.find((x) => x.code === 'MPL110');
      assert.equal(f?.severity, 'warning');
      assert.match(
        f?.message ?? '',
        /^shared\/load-balancer: made by an earlier version without a security group/,
      );
      assert.match(f?.message ?? '', /every consumer endpoint/);
      assert.match(f?.message ?? '', /destroy and apply the stack/);
      // Offline (no prior state): the group is shown, no warning.
      assert.equal(
        lint(input({ pattern: 2 }), plan(input({ pattern: 2 }))).find((x) => x.code === 'MPL110'),
        undefined,
      );
    });

    it('pattern 1: one NLB kept without, the others (a broker added since) made with the group; the brokers admit the subnets', () => {
      const i = legacy(input({ pattern: 1 }), ['b-1/load-balancer']);
      const rs = plan(i);
      assert.deepEqual(one(rs, 'load-balancer', 'b-1/load-balancer').props.securityGroups, []);
      for (const b of [2, 3])
        assert.deepEqual(one(rs, 'load-balancer', `b-${b}/load-balancer`).props.securityGroups, [SG]);
      assert.ok(rs.some((r) => r.id === SG));
      const rule = one(rs, 'security-group-rule', 'provider/security-group-rule/9094');
      assert.deepEqual(rule.props.sourceSubnetIds, ['subnet-p1', 'subnet-p2', 'subnet-p3']);
      assert.match(lint(i, rs).find((x) => x.code === 'MPL110')?.message ?? '', /^b-1\/load-balancer: /);
      // Every NLB kept: no group at all.
      const all = plan(
        legacy(input({ pattern: 1 }), ['b-1/load-balancer', 'b-2/load-balancer', 'b-3/load-balancer']),
      );
      assert.equal(
        all.find((r) => r.id === SG),
        undefined,
      );
    });

    it('a scan corrects the state’s list: found with a group leaves it, found without joins it, not found stays', () => {
      const lb = (id: string, securityGroups: string[]) => ({
        id,
        kind: 'load-balancer' as const,
        props: { securityGroups },
      });
      assert.deepEqual(
        withFoundLoadBalancers(
          ['b-1/load-balancer', 'b-3/load-balancer'],
          [lb('b-1/load-balancer', [SG]), lb('b-2/load-balancer', []), lb('b-4/load-balancer', [SG])],
        ),
        ['b-2/load-balancer', 'b-3/load-balancer'],
      );
      assert.deepEqual(withFoundLoadBalancers(undefined, []), []);
    });

    it('are the state’s or found load balancers with no (or an empty) securityGroups, not tainted ones', () => {
      const lb = (id: string, props: Record<string, unknown>, status: Instance['status'] = 'ready') => ({
        id,
        kind: 'load-balancer' as const,
        props,
        status,
      });
      assert.deepEqual(
        loadBalancersWithoutGroups([
          lb('b-2/load-balancer', { name: 'mpl-payments-b2' }),
          lb('b-1/load-balancer', { securityGroups: [] }),
          lb('b-3/load-balancer', { securityGroups: [SG] }),
          lb('b-4/load-balancer', {}, 'tainted'),
          { id: SG, kind: 'security-group' as const, props: {} },
        ]),
        ['b-1/load-balancer', 'b-2/load-balancer'],
      );
    });
  });
});
