import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Broker } from '../../src/config/schema.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { isMskReserved } from '../../src/planner/ports.js';
import type { Resource } from '../../src/kinds/index.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';

const LISTENERS = ['tls', 'sasl_scram', 'iam', 'plaintext'] as const;

const scenario = fc.record({
  pattern: fc.constantFrom(1 as const, 2 as const),
  brokerIds: fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 12 }),
  azCount: fc.integer({ min: 1, max: 3 }),
  listeners: fc.subarray([...LISTENERS], { minLength: 1, maxLength: 2 }),
  consumers: fc.array(fc.record({ azCount: fc.integer({ min: 1, max: 3 }), brokerAz: fc.boolean() }), {
    minLength: 1,
    maxLength: 4,
  }),
  mode: fc.constantFrom('rewrite' as const, 'additive' as const, 'msk-configuration' as const),
  portBase: fc.integer({ min: 1024, max: 20000 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario, brokers: Broker[], prior: Record<string, number> = {}) {
  // Consumer subnets sit in AZs the brokers use (the NLB's subnets default to the brokers' own);
  // broker-az consumers need one in every broker AZ.
  const azs = [...new Set(brokers.map((b) => b.availabilityZoneId))].sort();
  const config = configOf({
    pattern: s.pattern,
    cluster: { brokersFile: 'b.json', listeners: s.listeners },
    // msk-configuration ports are base - 1 + 100k + id: kept clear of MSK's ports (9092-9098, 14001-14100).
    pattern2: {
      portBase: s.mode === 'msk-configuration' ? 20_000 + (s.portBase % 20_000) : s.portBase,
      mode: s.mode,
    },
    consumers: s.consumers.map((c, i) =>
      consumerInput(
        `c${i}`,
        String(222222222222 + i),
        s.pattern === 1 && c.brokerAz ? azs : azs.slice(0, c.azCount),
        c.brokerAz ? 'broker-az' : 'all-azs',
      ),
    ),
  });
  return planStack(planInputOf(config, inventoryOf(brokers), prior));
}

function count(resources: Resource[], kind: Resource['kind']): number {
  return resources.filter((r) => r.kind === kind).length;
}

/** Physical names: what AWS enforces for NLB and target group names (32 chars, letters digits hyphens). */
function elbNames(resources: Resource[]): string[] {
  return resources.flatMap((r) =>
    r.kind === 'load-balancer' || r.kind === 'target-group' ? [r.props.name] : [],
  );
}

describe('planner properties', () => {
  it('plans exactly the resources each pattern needs', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const brokers = brokersFor(s.brokerIds, s.azCount);
        const { resources } = build(s, brokers);
        const B = brokers.length;
        const L = s.listeners.length;
        const C = s.consumers.length;
        const fleet = (kind: Resource['kind']) => count(resources, kind);
        if (s.pattern === 1) {
          assert.equal(fleet('load-balancer'), B);
          assert.equal(fleet('endpoint-service'), B);
          assert.equal(fleet('target-group'), B * L);
          assert.equal(fleet('listener'), B * L);
          assert.equal(fleet('vpc-endpoint'), B * C);
          assert.equal(fleet('broker-listener-config'), 0);
        } else {
          assert.equal(fleet('load-balancer'), 1);
          assert.equal(fleet('endpoint-service'), 1);
          assert.equal(fleet('listener'), B * L + L);
          assert.equal(fleet('target-group'), B * L + L);
          assert.equal(fleet('vpc-endpoint'), C);
          const custom = s.mode === 'msk-configuration';
          assert.equal(fleet('broker-listener-config'), custom ? 0 : B);
          assert.equal(fleet('cluster-configuration'), custom ? 1 : 0);
        }
        // One zone per consumer with a record per broker; in pattern 2 (not additive) a provider zone per advertised name, its record at the apex.
        const providerZones = s.pattern === 2 && s.mode !== 'additive' ? B : 0;
        // msk-configuration's sibling names (b-<id>-pl): a second record per broker in each consumer zone.
        const siblings = s.pattern === 2 && s.mode === 'msk-configuration' ? B * C : 0;
        assert.equal(fleet('hosted-zone'), C + providerZones);
        assert.equal(fleet('dns-record'), B * C + siblings + providerZones);
        for (const c of s.consumers.keys()) {
          const records = resources.filter((r) => r.kind === 'dns-record' && r.id.startsWith(`c${c}/`));
          const names = brokers.map((b) => b.host);
          // Sibling names sit beside the brokers' own: b-<id>-pl.<the same domain>.
          if (siblings > 0) names.push(...brokers.map((b) => b.host.replace(/^(b-\d+)\./, '$1-pl.')));
          assert.deepEqual(
            records.map((r) => (r.kind === 'dns-record' ? r.props.name : '')).sort(),
            names.sort(),
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps names unique and within AWS limits, and ports unique and clear of MSK ports', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const brokers = brokersFor(s.brokerIds, s.azCount);
        const { resources, portAssignments } = build(s, brokers);
        const names = elbNames(resources);
        assert.equal(new Set(names).size, names.length, 'ELB names unique');
        for (const n of names) {
          assert.ok(n.length <= 32, `${n} is longer than 32`);
          assert.match(n, /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/);
        }
        const ids = resources.map((r) => r.id);
        assert.equal(new Set(ids).size, ids.length, 'logical ids unique');
        const ports = Object.values(portAssignments);
        assert.equal(new Set(ports).size, ports.length, 'ports unique');
        for (const p of ports) assert.ok(!isMskReserved(p) && p >= s.portBase && p <= 65535, `port ${p}`);
        // Each NLB's listener ports are unique (AWS refuses a duplicate listener).
        const byNlb = new Map<string, number[]>();
        for (const r of resources) {
          if (r.kind === 'listener')
            byNlb.set(r.props.loadBalancer, [...(byNlb.get(r.props.loadBalancer) ?? []), r.props.port]);
        }
        for (const list of byNlb.values()) assert.equal(new Set(list).size, list.length);
      }),
      { numRuns: 200 },
    );
  });

  it('never changes the ports or names of other brokers when brokers come and go', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 201, max: 300 }), fc.nat(), (s, newId, pick) => {
        const before = brokersFor(s.brokerIds, s.azCount);
        const first = build(s, before);
        const removed = before.length > 1 ? before[pick % before.length]!.id : undefined;
        const after = brokersFor([...s.brokerIds.filter((id) => id !== removed), newId], s.azCount);
        const second = build(s, after, first.portAssignments);
        const namesById = (rs: Resource[]) =>
          new Map(
            rs.flatMap((r) =>
              'name' in r.props ? [[r.id, JSON.stringify([r.props.name, r.account])] as const] : [],
            ),
          );
        const n1 = namesById(first.resources);
        const n2 = namesById(second.resources);
        for (const [id, name] of n1) if (n2.has(id)) assert.equal(n2.get(id), name, `name of ${id}`);
        for (const b of after) {
          for (const l of s.listeners) {
            const k = `${b.id}/${l}`;
            if (first.portAssignments[k] !== undefined)
              assert.equal(second.portAssignments[k], first.portAssignments[k]);
          }
        }
        // The departed broker's ports stay reserved: the newcomer never gets them.
        if (removed !== undefined && s.pattern === 2) {
          const departed = s.listeners.map((l) => first.portAssignments[`${removed}/${l}`]);
          for (const l of s.listeners) assert.ok(!departed.includes(second.portAssignments[`${newId}/${l}`]));
        }
      }),
      { numRuns: 150 },
    );
  });
});
