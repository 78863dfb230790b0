// Logical ids are stored in users' state files: the strings below are written out by hand, never
// produced by the code under test, so a change to any id's bytes fails here.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConsumerSchema, LISTENER_TYPES, type ListenerType } from '../../src/config/schema.js';
import {
  brokerIdOf,
  brokerOf,
  formatId,
  ids,
  parseId,
  parsePortKey,
  portKey,
  tryParseId,
  type BrokerKey,
  type ParsedId,
} from '../../src/planner/ids.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';

const b2 = { id: 2 };

/** Every constructor, with the exact string it must produce and what parseId must give back. */
const SHAPES: Array<[string, () => string, ParsedId]> = [
  ['b-2/load-balancer', () => ids.loadBalancer(b2), { scope: 'broker', owner: 'b-2', kind: 'load-balancer' }],
  [
    'shared/load-balancer',
    () => ids.loadBalancer('shared'),
    { scope: 'shared', owner: 'shared', kind: 'load-balancer' },
  ],
  [
    'b-2/target-group/tls',
    () => ids.targetGroup(b2, 'tls'),
    { scope: 'broker', owner: 'b-2', kind: 'target-group', listener: 'tls' },
  ],
  [
    'bootstrap/target-group/sasl_scram',
    () => ids.targetGroup('bootstrap', 'sasl_scram'),
    { scope: 'bootstrap', owner: 'bootstrap', kind: 'target-group', listener: 'sasl_scram' },
  ],
  [
    'b-2/listener/iam',
    () => ids.listener(b2, 'iam'),
    { scope: 'broker', owner: 'b-2', kind: 'listener', listener: 'iam' },
  ],
  [
    'bootstrap/listener/tls',
    () => ids.listener('bootstrap', 'tls'),
    { scope: 'bootstrap', owner: 'bootstrap', kind: 'listener', listener: 'tls' },
  ],
  [
    'b-2/endpoint-service',
    () => ids.endpointService(b2),
    { scope: 'broker', owner: 'b-2', kind: 'endpoint-service' },
  ],
  [
    'shared/endpoint-service',
    () => ids.endpointService('shared'),
    { scope: 'shared', owner: 'shared', kind: 'endpoint-service' },
  ],
  [
    'b-2/endpoint-service-permissions',
    () => ids.permissionsFor(ids.endpointService(b2)),
    { scope: 'broker', owner: 'b-2', kind: 'endpoint-service-permissions' },
  ],
  [
    'shared/endpoint-service-permissions',
    () => ids.permissionsFor(ids.endpointService('shared')),
    { scope: 'shared', owner: 'shared', kind: 'endpoint-service-permissions' },
  ],
  [
    'b-2/broker-listener-config',
    () => ids.brokerListenerConfig(b2),
    { scope: 'broker', owner: 'b-2', kind: 'broker-listener-config' },
  ],
  [
    'provider/security-group-rule/9094',
    () => ids.securityGroupRule(9094, 9094),
    { scope: 'provider', owner: 'provider', kind: 'security-group-rule', ports: { from: 9094, to: 9094 } },
  ],
  [
    'provider/security-group-rule/9001-9003',
    () => ids.securityGroupRule(9001, 9003),
    { scope: 'provider', owner: 'provider', kind: 'security-group-rule', ports: { from: 9001, to: 9003 } },
  ],
  [
    'provider/security-group',
    () => ids.providerSecurityGroup(),
    { scope: 'provider', owner: 'provider', kind: 'security-group' },
  ],
  [
    'provider/hosted-zone',
    () => ids.providerZone(),
    { scope: 'provider', owner: 'provider', kind: 'hosted-zone' },
  ],
  [
    'provider/dns-record/b-2',
    () => ids.providerRecord(b2),
    { scope: 'provider', owner: 'provider', kind: 'dns-record', broker: 'b-2' },
  ],
  [
    'analytics/security-group',
    () => ids.consumerSecurityGroup('analytics'),
    { scope: 'consumer', owner: 'analytics', kind: 'security-group' },
  ],
  [
    'analytics/hosted-zone',
    () => ids.consumerZone('analytics'),
    { scope: 'consumer', owner: 'analytics', kind: 'hosted-zone' },
  ],
  [
    'analytics/vpc-endpoint/b-2',
    () => ids.consumerEndpoint('analytics', b2),
    { scope: 'consumer', owner: 'analytics', kind: 'vpc-endpoint', broker: 'b-2' },
  ],
  [
    'analytics/vpc-endpoint',
    () => ids.consumerEndpoint('analytics'),
    { scope: 'consumer', owner: 'analytics', kind: 'vpc-endpoint' },
  ],
  [
    'analytics/endpoint-connection-acceptance/b-1',
    () => ids.acceptanceFor(ids.consumerEndpoint('analytics', { id: 1 })),
    { scope: 'consumer', owner: 'analytics', kind: 'endpoint-connection-acceptance', broker: 'b-1' },
  ],
  [
    'analytics/endpoint-connection-acceptance',
    () => ids.acceptanceFor(ids.consumerEndpoint('analytics')),
    { scope: 'consumer', owner: 'analytics', kind: 'endpoint-connection-acceptance' },
  ],
  [
    'analytics/dns-record/b-1',
    () => ids.consumerRecord('analytics', { id: 1 }),
    { scope: 'consumer', owner: 'analytics', kind: 'dns-record', broker: 'b-1' },
  ],
  [
    'analytics/ssm-parameter',
    () => ids.bootstrapParameter('analytics'),
    { scope: 'consumer', owner: 'analytics', kind: 'ssm-parameter' },
  ],
  // monitor
  [
    'analytics/iam-role/probe',
    () => ids.monitorRole('analytics', 'probe'),
    { scope: 'consumer', owner: 'analytics', kind: 'iam-role', role: 'probe' },
  ],
  [
    'analytics/iam-role/scheduler',
    () => ids.monitorRole('analytics', 'scheduler'),
    { scope: 'consumer', owner: 'analytics', kind: 'iam-role', role: 'scheduler' },
  ],
  [
    'analytics/security-group/probe',
    () => ids.monitorSecurityGroup('analytics'),
    { scope: 'consumer', owner: 'analytics', kind: 'security-group', role: 'probe' },
  ],
  [
    'analytics/lambda-function/use2-az1',
    () => ids.monitorFunction('analytics', 'use2-az1'),
    { scope: 'consumer', owner: 'analytics', kind: 'lambda-function', az: 'use2-az1' },
  ],
  [
    'analytics/schedule/usw2-lax1-az1',
    () => ids.monitorSchedule('analytics', 'usw2-lax1-az1'),
    { scope: 'consumer', owner: 'analytics', kind: 'schedule', az: 'usw2-lax1-az1' },
  ],
  [
    'analytics/metric-alarm',
    () => ids.monitorAlarm('analytics'),
    { scope: 'consumer', owner: 'analytics', kind: 'metric-alarm' },
  ],
  // pattern 0
  [
    'shared/cluster-connectivity',
    () => ids.clusterConnectivity(),
    { scope: 'shared', owner: 'shared', kind: 'cluster-connectivity' },
  ],
  [
    'shared/cluster-policy',
    () => ids.clusterPolicy(),
    { scope: 'shared', owner: 'shared', kind: 'cluster-policy' },
  ],
  [
    'analytics/vpc-connection/scram',
    () => ids.vpcConnection('analytics', 'scram'),
    { scope: 'consumer', owner: 'analytics', kind: 'vpc-connection', scheme: 'scram' },
  ],
];

/** Names the config schema accepts that look like kinds, owners or parts. */
const AWKWARD_CONSUMERS = [
  'a',
  'c1',
  'vpc-endpoint',
  'x-vpc-endpoint',
  'a-vpc-endpoint-b',
  'dns-record',
  'hosted-zone',
  'target-group',
  'listener',
  'tls',
  'b',
  'b-x',
  'b1',
  'bb-1',
  'b-1a',
  'providers',
  'shared-vpc',
  'bootstrap-x',
  'endpoint-connection',
  'a234567890123456789z',
];

/** Every consumer-owned id of `name`, with the parse it must round trip to. */
function consumerShapes(name: string, b: number): Array<[string, ParsedId]> {
  const broker = `b-${b}` as BrokerKey;
  const owner = { scope: 'consumer', owner: name } as const;
  return [
    [ids.consumerSecurityGroup(name), { ...owner, kind: 'security-group' }],
    [ids.consumerZone(name), { ...owner, kind: 'hosted-zone' }],
    [ids.consumerEndpoint(name, { id: b }), { ...owner, kind: 'vpc-endpoint', broker }],
    [ids.consumerEndpoint(name), { ...owner, kind: 'vpc-endpoint' }],
    [
      ids.acceptanceFor(ids.consumerEndpoint(name, { id: b })),
      { ...owner, kind: 'endpoint-connection-acceptance', broker },
    ],
    [ids.acceptanceFor(ids.consumerEndpoint(name)), { ...owner, kind: 'endpoint-connection-acceptance' }],
    [ids.consumerRecord(name, { id: b }), { ...owner, kind: 'dns-record', broker }],
    [ids.bootstrapParameter(name), { ...owner, kind: 'ssm-parameter' }],
  ];
}

describe('logical ids', () => {
  it('each constructor makes exactly the stored string, and parses back to its parts', () => {
    for (const [text, make, parsed] of SHAPES) {
      assert.equal(make(), text);
      assert.deepEqual(parseId(text), parsed, text);
      assert.equal(formatId(parseId(text)), text);
    }
  });

  it('broker keys are b-<id>', () => {
    assert.equal(ids.brokerKey({ id: 7 }), 'b-7');
    assert.equal(ids.brokerKey({ id: 10000 }), 'b-10000');
    assert.equal(brokerIdOf('b-12'), 12);
  });

  it('brokerOf: the owner of broker-owned ids, the broker part of the others', () => {
    assert.equal(brokerOf(parseId('b-3/listener/tls')), 'b-3');
    assert.equal(brokerOf(parseId('analytics/vpc-endpoint/b-4')), 'b-4');
    assert.equal(brokerOf(parseId('provider/dns-record/b-5')), 'b-5');
    assert.equal(brokerOf(parseId('analytics/vpc-endpoint')), undefined);
    assert.equal(brokerOf(parseId('bootstrap/target-group/tls')), undefined);
  });

  it('round trips consumer names that look like kinds, owners or broker keys', () => {
    for (const name of AWKWARD_CONSUMERS) {
      assert.ok(ConsumerSchema.shape.name.safeParse(name).success, `the schema accepts ${name}`);
      for (const [text, parsed] of consumerShapes(name, 3)) {
        assert.ok(text.startsWith(`${name}/`), text);
        assert.deepEqual(parseId(text), parsed, text);
        assert.equal(formatId(parseId(text)), text);
      }
    }
    assert.equal(ids.consumerEndpoint('vpc-endpoint', { id: 1 }), 'vpc-endpoint/vpc-endpoint/b-1');
    assert.equal(
      ids.acceptanceFor(ids.consumerEndpoint('x-vpc-endpoint', { id: 1 })),
      'x-vpc-endpoint/endpoint-connection-acceptance/b-1',
    );
    assert.equal(ids.consumerRecord('b-x', { id: 2 }), 'b-x/dns-record/b-2');
  });

  it('property: every shape round trips over generated consumer names, broker ids and listeners', () => {
    const consumerName = fc
      .stringMatching(/^[a-z][a-z0-9-]{0,19}$/)
      .filter((n) => ConsumerSchema.shape.name.safeParse(n).success);
    const brokerId = fc.integer({ min: 1, max: 10000 });
    const listener = fc.constantFrom(...LISTENER_TYPES);
    const range = fc
      .tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }))
      .map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) }));
    fc.assert(
      fc.property(consumerName, brokerId, listener, range, (name, id, l: ListenerType, ports) => {
        const key = `b-${id}` as BrokerKey;
        const b = { id };
        const cases: Array<[string, ParsedId]> = [
          ...consumerShapes(name, id),
          [ids.loadBalancer(b), { scope: 'broker', owner: key, kind: 'load-balancer' }],
          [ids.targetGroup(b, l), { scope: 'broker', owner: key, kind: 'target-group', listener: l }],
          [
            ids.listener('bootstrap', l),
            { scope: 'bootstrap', owner: 'bootstrap', kind: 'listener', listener: l },
          ],
          [ids.endpointService(b), { scope: 'broker', owner: key, kind: 'endpoint-service' }],
          [
            ids.permissionsFor(ids.endpointService(b)),
            { scope: 'broker', owner: key, kind: 'endpoint-service-permissions' },
          ],
          [ids.brokerListenerConfig(b), { scope: 'broker', owner: key, kind: 'broker-listener-config' }],
          [
            ids.securityGroupRule(ports.from, ports.to),
            { scope: 'provider', owner: 'provider', kind: 'security-group-rule', ports },
          ],
          [ids.providerRecord(b), { scope: 'provider', owner: 'provider', kind: 'dns-record', broker: key }],
        ];
        const seen = new Set<string>();
        for (const [text, parsed] of cases) {
          assert.deepEqual(parseId(text), parsed, text);
          assert.equal(formatId(parsed), text);
          seen.add(text);
        }
        assert.equal(seen.size, cases.length, 'no two shapes share a string');
        // Port-assignment keys ride along: same broker ids and listeners.
        assert.equal(portKey(id, l), `${id}/${l}`);
        assert.deepEqual(parsePortKey(portKey(id, l)), { brokerId: id, listener: l });
      }),
    );
  });

  it('property: a string parses only in its one canonical spelling', () => {
    // Segments near the valid ones, so the parser meets almost-ids as well as ids.
    const segment = fc.constantFrom(
      'analytics',
      'b-1',
      'b-01',
      'b-0',
      'b-',
      'provider',
      'shared',
      'bootstrap',
      'vpc-endpoint',
      'dns-record',
      'hosted-zone',
      'target-group',
      'listener',
      'security-group-rule',
      'endpoint-connection-acceptance',
      'tls',
      'TLS',
      '9094',
      '9094-9098',
      '9098-9094',
      '',
      'a--b',
    );
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (segs) => {
        const text = segs.join('/');
        const p = tryParseId(text);
        if (p !== undefined) assert.equal(formatId(p), text);
      }),
    );
  });

  it('rejects strings that are not ids the planner makes', () => {
    const bad = [
      '',
      'analytics',
      'analytics/',
      '/vpc-endpoint',
      '//',
      'analytics//b-1',
      'analytics/vpc-endpoint/',
      'analytics/vpc-endpoint/b-1/x',
      'analytics/vpc-endpoint/b-0',
      'analytics/vpc-endpoint/b-01',
      'analytics/vpc-endpoint/2',
      'analytics/vpc-endpoint/tls',
      'Analytics/hosted-zone',
      'a--b/hosted-zone',
      'a-/hosted-zone',
      '1a/hosted-zone',
      'a234567890123456789zz/hosted-zone',
      'analytics/unknown-kind',
      'analytics/target-group/tls',
      'analytics/dns-record',
      'analytics/dns-record/b-1/x',
      'analytics/endpoint-connection-acceptance/tls',
      'analytics/load-balancer',
      'provider/vpc-endpoint',
      'provider/ssm-parameter',
      'provider/dns-record',
      'provider/hosted-zone/tls',
      'shared/cluster-configuration/b-1',
      'b-1/cluster-configuration',
      'analytics/iam-role',
      'analytics/iam-role/admin',
      'provider/iam-role/probe',
      'provider/security-group/probe',
      'analytics/security-group/scheduler',
      'analytics/lambda-function',
      'analytics/lambda-function/use2-az1/x',
      'analytics/lambda-function/use2',
      'analytics/schedule/USE2-AZ1',
      'analytics/metric-alarm/use2-az1',
      'analytics/vpc-connection',
      'analytics/vpc-connection/plaintext',
      'provider/vpc-connection/tls',
      'shared/cluster-policy/tls',
      'analytics/cluster-connectivity',
      'provider/security-group-rule',
      'provider/security-group-rule/9094-9094',
      'provider/security-group-rule/9098-9094',
      'provider/security-group-rule/0',
      'provider/security-group-rule/70000',
      'provider/security-group-rule/09094',
      'provider/security-group-rule/9094-',
      'b-1/hosted-zone',
      'b-1/target-group',
      'b-1/target-group/ssl',
      'b-1/listener/TLS',
      'b-1/broker-listener-config/tls',
      'b-1/load-balancer/tls',
      'bootstrap/load-balancer',
      'bootstrap/broker-listener-config',
      'shared/target-group/tls',
      'shared/vpc-endpoint',
    ];
    for (const text of bad) {
      assert.equal(tryParseId(text), undefined, text);
      assert.throws(() => parseId(text), /not a logical id/, text);
    }
  });

  it('constructors refuse parts that would make an id parse differently or not at all', () => {
    for (const name of ['provider', 'shared', 'bootstrap', 'b-3', 'a/b', '', 'Analytics', 'a--b']) {
      assert.throws(() => ids.consumerZone(name), /planner bug/, name);
      assert.throws(() => ids.consumerEndpoint(name, { id: 1 }), /planner bug/, name);
    }
    for (const id of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => ids.brokerListenerConfig({ id }), /planner bug/, String(id));
    }
    assert.throws(() => ids.securityGroupRule(9098, 9094), /planner bug/);
    assert.throws(() => ids.securityGroupRule(0), /planner bug/);
    assert.throws(() => ids.monitorFunction('analytics', 'use2'), /planner bug/);
    assert.throws(() => ids.monitorSchedule('analytics', 'use2-az1/x'), /planner bug/);
    assert.equal(ids.securityGroupRule(9094), 'provider/security-group-rule/9094');
  });

  it('port-assignment keys: <broker id>/<listener>, other strings refused', () => {
    assert.equal(portKey(2, 'tls'), '2/tls');
    assert.equal(portKey(12, 'sasl_scram'), '12/sasl_scram');
    assert.deepEqual(parsePortKey('3/iam'), { brokerId: 3, listener: 'iam' });
    for (const bad of ['b-2/tls', '2', '2/', '/tls', '2/ssl', '02/tls', '0/tls', '2/tls/x', '2/TLS']) {
      assert.equal(parsePortKey(bad), undefined, bad);
    }
  });

  it("narrows by kind: parseId of a typed id is that kind's shape", () => {
    const ep = parseId(ids.consumerEndpoint('analytics', { id: 1 }));
    // Compile-time checks: these assignments only typecheck if the overloads narrow.
    const kind: 'vpc-endpoint' = ep.kind;
    const broker: BrokerKey | undefined = ep.broker;
    const tg = parseId(ids.targetGroup('bootstrap', 'tls'));
    const listener: ListenerType = tg.listener;
    assert.deepEqual([kind, broker, listener], ['vpc-endpoint', 'b-1', 'tls']);
  });
});

describe('logical ids: what the planner emits', () => {
  const consumers = [
    { ...consumerInput('analytics', '222222222222'), bootstrapParameter: '/msk/analytics' },
    // A name holding a kind word (its subnet ids come from a plainer name: they allow no second hyphen).
    { ...consumerInput('xvpc', '333333333333'), name: 'x-vpc-endpoint' },
  ];
  const base = {
    consumers,
    provider: { account: '111111111111', vpcId: 'vpc-0a1b2c3d', brokerSecurityGroupId: 'sg-0123' },
  };
  const plans = {
    'pattern 1': configOf(base),
    'pattern 2': configOf({
      ...base,
      pattern: 2,
      cluster: { brokersFile: 'b.json', listeners: ['tls', 'iam'] },
      pattern2: { mode: 'rewrite' },
    }),
    'pattern 2 msk-configuration': configOf({
      ...base,
      pattern: 2,
      cluster: { brokersFile: 'b.json', listeners: ['tls', 'iam'] },
    }),
  };

  for (const [label, config] of Object.entries(plans)) {
    it(`${label}: every id parses to its resource's kind and back to the same string`, () => {
      const { resources } = planStack(planInputOf(config, inventoryOf(brokersFor([1, 2, 3]))));
      for (const r of resources) {
        const p = parseId(r.id);
        assert.equal(p.kind, r.kind, r.id);
        assert.equal(formatId(p), r.id);
      }
    });
  }

  it('pattern 1 ids and endpoint names, byte for byte', () => {
    const { resources } = planStack(planInputOf(plans['pattern 1'], inventoryOf(brokersFor([1, 2, 3]))));
    const byId = new Map(resources.map((r) => [r.id, r]));
    for (const id of [
      'b-1/load-balancer',
      'b-1/target-group/tls',
      'b-1/listener/tls',
      'b-1/endpoint-service',
      'b-1/endpoint-service-permissions',
      'provider/security-group-rule/9094',
      'provider/security-group',
      'analytics/security-group',
      'analytics/hosted-zone',
      'analytics/vpc-endpoint/b-3',
      'analytics/endpoint-connection-acceptance/b-3',
      'analytics/dns-record/b-3',
      'analytics/ssm-parameter',
      'x-vpc-endpoint/vpc-endpoint/b-2',
    ]) {
      assert.ok(byId.has(id), id);
    }
    const ep = byId.get('analytics/vpc-endpoint/b-3');
    assert.ok(ep?.kind === 'vpc-endpoint');
    assert.equal(ep.props.name, 'mpl-payments-analytics-b-3');
    assert.deepEqual(ep.dependsOn, [
      'b-3/endpoint-service',
      'b-3/endpoint-service-permissions',
      'analytics/security-group',
    ]);
    const odd = byId.get('x-vpc-endpoint/vpc-endpoint/b-2');
    assert.ok(odd?.kind === 'vpc-endpoint');
    assert.equal(odd.props.name, 'mpl-payments-x-vpc-endpoint-b-2');
    const rec = byId.get('analytics/dns-record/b-3');
    assert.deepEqual(rec?.dependsOn, [
      'analytics/hosted-zone',
      'analytics/vpc-endpoint/b-3',
      'analytics/endpoint-connection-acceptance/b-3',
    ]);
  });

  it('pattern 2 ids and endpoint names, byte for byte', () => {
    const { resources } = planStack(planInputOf(plans['pattern 2'], inventoryOf(brokersFor([1, 2, 3]))));
    const byId = new Map(resources.map((r) => [r.id, r]));
    for (const id of [
      'shared/load-balancer',
      'provider/security-group',
      'shared/endpoint-service',
      'shared/endpoint-service-permissions',
      'bootstrap/target-group/tls',
      'bootstrap/listener/iam',
      'b-2/target-group/iam',
      'b-2/listener/tls',
      'b-2/broker-listener-config',
      'provider/hosted-zone/b-2',
      'provider/dns-record/b-2',
      'analytics/vpc-endpoint',
      'analytics/endpoint-connection-acceptance',
      'analytics/dns-record/b-2',
    ]) {
      assert.ok(byId.has(id), id);
    }
    const ep = byId.get('analytics/vpc-endpoint');
    assert.ok(ep?.kind === 'vpc-endpoint');
    assert.equal(ep.props.name, 'mpl-payments-analytics');
    const cfg = byId.get('b-2/broker-listener-config');
    assert.deepEqual(cfg?.dependsOn, [
      'b-2/listener/tls',
      'bootstrap/listener/tls',
      'b-2/listener/iam',
      'bootstrap/listener/iam',
    ]);
    // The provider VPC's name for the broker follows its change (and goes before it is undone).
    assert.deepEqual(byId.get('provider/dns-record/b-2')?.dependsOn, [
      'provider/hosted-zone/b-2',
      'shared/load-balancer',
      'b-2/broker-listener-config',
    ]);
  });
});
