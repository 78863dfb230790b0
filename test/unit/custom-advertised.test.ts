// MSK's custom.advertised.listeners property: the format MSK documents, resolved per broker, and
// the server.properties edits that keep a cluster's other settings.
import assert from 'node:assert/strict';
import {
  checkCustomAdvertised,
  customAdvertisedIn,
  formatCustomAdvertised,
  parseCustomAdvertised,
  resolveFor,
  withCustomAdvertised,
} from '../../src/kafka/custom-advertised.js';

describe('custom.advertised.listeners', () => {
  it("resolves MSK's own example: CLIENT_IAM://b-{broker_id}.example.com:9000+{broker_id}", () => {
    const parsed = parseCustomAdvertised('CLIENT_IAM://b-{broker_id}.example.com:9000+{broker_id}');
    assert.ok('entries' in parsed);
    assert.deepEqual(resolveFor(parsed.entries, 1), { CLIENT_IAM: 'b-1.example.com:9001' });
    assert.deepEqual(resolveFor(parsed.entries, 10), { CLIENT_IAM: 'b-10.example.com:9010' });
  });

  it('formats what it parses, listener by listener, comma-separated', () => {
    const entries = [
      { listener: 'CLIENT_SECURE', hostPattern: 'b-{broker_id}.d.example', portBase: 9000 },
      { listener: 'CLIENT_SASL_SCRAM', hostPattern: 'b-{broker_id}.d.example', portBase: 10000 },
    ];
    const text = formatCustomAdvertised(entries);
    assert.equal(
      text,
      'CLIENT_SECURE://b-{broker_id}.d.example:9000+{broker_id},CLIENT_SASL_SCRAM://b-{broker_id}.d.example:10000+{broker_id}',
    );
    assert.deepEqual(parseCustomAdvertised(text), { entries });
  });

  it('refuses what MSK refuses: no {broker_id} in the port, a listener twice, a malformed entry', () => {
    for (const [value, text] of [
      ['CLIENT_SECURE://b-1.example.com:9001', /base\+\{broker_id\}/],
      ['CLIENT_SECURE://b-{broker_id}.example.com:{broker_id}', /base\+\{broker_id\}/],
      [
        'CLIENT_SECURE://a-{broker_id}.x:9000+{broker_id},CLIENT_SECURE://b-{broker_id}.x:9100+{broker_id}',
        /appears twice/,
      ],
      ['CLIENT_SECURE://b-{broker_id}.x:9000+{broker_id},', /empty entry/],
      ['client_secure://b-{broker_id}.x:9000+{broker_id}', /not LISTENER_NAME/],
    ] as const) {
      const r = parseCustomAdvertised(value);
      assert.ok('problem' in r, value);
      assert.match(r.problem, text);
    }
  });

  it('names listeners the cluster lacks, ports past 65535 and two listeners on one host:port', () => {
    const entries = [
      { listener: 'CLIENT_SECURE', hostPattern: 'b-{broker_id}.x', portBase: 65530 },
      { listener: 'CLIENT_IAM', hostPattern: 'b-{broker_id}.x', portBase: 65529 },
    ];
    const problems = checkCustomAdvertised(entries, [1, 6], ['CLIENT_SECURE']);
    assert.ok(problems.some((p) => /CLIENT_IAM is not one the cluster serves/.test(p)));
    assert.ok(problems.some((p) => /broker 6: CLIENT_SECURE resolves to port 65536/.test(p)));
    // broker 1: 65531 and 65530; none shared. Same base: shared host:port.
    assert.ok(!problems.some((p) => /both resolve/.test(p)));
    const same = checkCustomAdvertised(
      [entries[0]!, { ...entries[1]!, portBase: 65530 }],
      [1],
      ['CLIENT_SECURE', 'CLIENT_IAM'],
    );
    assert.deepEqual(same, ['broker 1: CLIENT_SECURE and CLIENT_IAM both resolve to b-1.x:65531']);
  });

  it('sets, replaces and removes the property and keeps every other line', () => {
    const base = 'auto.create.topics.enable=true\n# a comment\nlog.retention.hours=48\n';
    const set = withCustomAdvertised(base, 'CLIENT_SECURE://b-{broker_id}.x:9000+{broker_id}');
    assert.equal(customAdvertisedIn(set), 'CLIENT_SECURE://b-{broker_id}.x:9000+{broker_id}');
    assert.ok(set.startsWith(base));
    const replaced = withCustomAdvertised(set, 'CLIENT_SECURE://b-{broker_id}.x:9500+{broker_id}');
    assert.equal(replaced.match(/custom\.advertised\.listeners/g)?.length, 1);
    assert.equal(customAdvertisedIn(replaced), 'CLIENT_SECURE://b-{broker_id}.x:9500+{broker_id}');
    const removed = withCustomAdvertised(replaced, undefined);
    assert.equal(removed, base);
    assert.equal(customAdvertisedIn(removed), undefined);
    assert.equal(withCustomAdvertised('', undefined), '');
    assert.equal(
      customAdvertisedIn('custom.advertised.listeners = A://h:1+{broker_id}\r\nx=1'),
      'A://h:1+{broker_id}',
    );
  });
});
