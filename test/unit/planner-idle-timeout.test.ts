// The idle timeout on the way to the brokers (planner/idle-timeout.ts): the NLB's TCP listeners get
// the clients' connections.max.idle.ms plus a minute (at most 6000 s) unless the default 350 s
// already covers them or the stack is cross-region; TLS listeners stay at their fixed 350 s; lint
// names the limit that applies. Expected values are written out by hand.
import assert from 'node:assert/strict';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Resource } from '../../src/kinds/index.js';
import { lint, type Finding } from '../../src/planner/lint.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { brokersFor, configOf, consumerInput, inventoryOf, planInputOf } from '../support/fixtures.js';

const CERT = 'arn:aws:acm:us-east-2:111111111111:certificate/0d2c7a1e-1111-2222-3333-444455556666';
const west = { ...consumerInput('west', '333333333333', ['usw2-az1', 'usw2-az2']), region: 'us-west-2' };

function planned(over: Partial<ConfigInput>): { resources: Resource[]; findings: Finding[] } {
  const input = planInputOf(configOf(over), inventoryOf(brokersFor([1, 2, 3])));
  const { resources } = planStack(input);
  return { resources, findings: lint(input, resources) };
}

/** Listener id → its idle timeout ('-' when the plan leaves it to AWS), with its protocol. */
function idleOf(rs: Resource[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rs)
    if (r.kind === 'listener') out[r.id] = `${r.props.protocol}:${r.props.idleTimeoutSeconds ?? '-'}`;
  return out;
}

const finding = (fs: Finding[], code: string) => fs.filter((f) => f.code === code);

describe('planner: NLB idle timeout from clients.connectionsMaxIdleMs', () => {
  it("pattern 1: Kafka's default 540 s gives every TCP listener 600 s, noted (MPL302), no warning", () => {
    const { resources, findings } = planned({ pattern: 1 });
    assert.deepEqual(idleOf(resources), {
      'b-1/listener/tls': 'TCP:600',
      'b-2/listener/tls': 'TCP:600',
      'b-3/listener/tls': 'TCP:600',
    });
    assert.deepEqual(finding(findings, 'MPL102'), []);
    const [note, ...more] = finding(findings, 'MPL302');
    assert.deepEqual(more, []);
    assert.equal(note?.severity, 'info');
    assert.match(
      note?.message ?? '',
      /TCP listeners close connections idle for 600 s \(tcp\.idle_timeout\.seconds\)/,
    );
    assert.match(note?.message ?? '', /540 s \(connections\.max\.idle\.ms, Kafka's default\) plus 60 s/);
    assert.match(note?.message ?? '', /AWS documents no idle timeout of the interface endpoints/);
  });

  it('follows the declared value, leaves listeners alone below 350 s, and stops at 6000 s with a warning', () => {
    const at = (ms: number) => planned({ pattern: 1, clients: { connectionsMaxIdleMs: ms } });
    assert.equal(idleOf(at(900_000).resources)['b-2/listener/tls'], 'TCP:960');
    assert.equal(idleOf(at(350_000).resources)['b-2/listener/tls'], 'TCP:410');
    assert.equal(idleOf(at(349_999).resources)['b-2/listener/tls'], 'TCP:-');
    const short = at(300_000);
    assert.equal(idleOf(short.resources)['b-2/listener/tls'], 'TCP:-');
    assert.deepEqual([...finding(short.findings, 'MPL102'), ...finding(short.findings, 'MPL302')], []);

    const long = at(7_200_000);
    assert.equal(idleOf(long.resources)['b-2/listener/tls'], 'TCP:6000');
    const [w] = finding(long.findings, 'MPL102');
    assert.equal(w?.severity, 'warning');
    assert.match(
      w?.message ?? '',
      /TCP listeners close connections idle for 6000 s \(tcp\.idle_timeout\.seconds, the most AWS allows\)/,
    );
    assert.match(w?.message ?? '', /clients keep idle connections 7200 s.*below 6000000/);
  });

  it('cross-region: listeners keep the default 350 s, and MPL102 says AWS refuses a custom one there', () => {
    const { resources, findings } = planned({
      pattern: 2,
      consumers: [consumerInput('analytics', '222222222222'), west],
    });
    assert.ok(
      Object.values(idleOf(resources)).every((v) => v === 'TCP:-'),
      JSON.stringify(idleOf(resources)),
    );
    const [w, ...more] = finding(findings, 'MPL102');
    assert.deepEqual(more, []);
    assert.match(w?.message ?? '', /endpoint service takes consumers from us-west-2/);
    assert.match(
      w?.message ?? '',
      /does not support cross-Region access for NLBs with a custom TCP idle timeout/,
    );
    assert.match(w?.message ?? '', /keep the default 350 s.*540 s.*below 350000/);
  });

  it("pattern 2 with a custom domain: TLS listeners keep their fixed 350 s, plaintext's TCP ones are set", () => {
    const { resources, findings } = planned({
      pattern: 2,
      cluster: { brokersFile: 'b.json', listeners: ['plaintext', 'tls'] },
      pattern2: { domain: 'kafka.example.com', certificateArn: CERT },
    });
    const idle = idleOf(resources);
    assert.equal(idle['bootstrap/listener/tls'], 'TLS:-');
    assert.equal(idle['b-2/listener/tls'], 'TLS:-');
    assert.equal(idle['bootstrap/listener/plaintext'], 'TCP:600');
    assert.equal(idle['b-2/listener/plaintext'], 'TCP:600');
    const [w] = finding(findings, 'MPL102');
    assert.match(
      w?.message ?? '',
      /4 TLS listener\(s\).*idle for 350 s, which AWS does not let anyone change/,
    );
    assert.match(w?.message ?? '', /below 350000/);
    assert.equal(finding(findings, 'MPL302').length, 1, 'the TCP listeners are noted');
  });

  it('patterns 0 and 3 set nothing and say that no idle timeout is documented there', () => {
    const three = planned({ pattern: 3 });
    assert.ok(Object.keys(idleOf(three.resources)).length === 0);
    assert.match(
      finding(three.findings, 'MPL102')[0]?.message ?? '',
      /VPC Lattice documents no TCP idle timeout/,
    );
    const quiet = planned({ pattern: 3, clients: { connectionsMaxIdleMs: 300_000 } });
    assert.deepEqual(finding(quiet.findings, 'MPL102'), []);
    // Pattern 0 has no listener of its own: its lint reads the config alone.
    const zero = configOf({ pattern: 0, cluster: { brokersFile: 'b.json', listeners: ['sasl_scram'] } });
    const fs = lint(planInputOf(zero, inventoryOf(brokersFor([1, 2, 3]))), []);
    assert.match(
      finding(fs, 'MPL102')[0]?.message ?? '',
      /no idle timeout for MSK's multi-VPC private connectivity/,
    );
  });
});
