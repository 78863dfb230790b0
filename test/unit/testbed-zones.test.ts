// The network twin's DNS answering rules (pure): what Route 53 Resolver answers in a VPC.
import assert from 'node:assert/strict';
import { nameExists, resolveA, type DnsView, type Zone } from '../testbed/network/zones.js';

const zone = (name: string, records: Zone['records'], account = '222222222222'): Zone => ({
  id: `Z-${name}`,
  account,
  name,
  records,
});

const view: DnsView = {
  zones: [
    zone('c2.kafka.us-east-2.amazonaws.com', [
      {
        name: 'b-1.payments.abc.c2.kafka.us-east-2.amazonaws.com',
        type: 'A',
        ttl: 0,
        values: [],
        alias: 'vpce-1.example',
      },
      {
        name: 'plain.c2.kafka.us-east-2.amazonaws.com',
        type: 'A',
        ttl: 300,
        values: ['10.0.0.1', '10.0.0.2'],
      },
      {
        name: '*.wild.c2.kafka.us-east-2.amazonaws.com',
        type: 'A',
        ttl: 0,
        values: [],
        alias: 'vpce-2.example',
      },
      {
        name: 'alias-to-record.c2.kafka.us-east-2.amazonaws.com',
        type: 'A',
        ttl: 0,
        values: [],
        alias: 'plain.c2.kafka.us-east-2.amazonaws.com',
      },
      { name: 'cname.c2.kafka.us-east-2.amazonaws.com', type: 'CNAME', ttl: 60, values: ['vpce-1.example'] },
      { name: 'txt.c2.kafka.us-east-2.amazonaws.com', type: 'TXT', ttl: 60, values: ['"x"'] },
      {
        name: 'dangling.c2.kafka.us-east-2.amazonaws.com',
        type: 'A',
        ttl: 0,
        values: [],
        alias: 'vpce-gone.example',
      },
    ]),
    // A more specific zone shadows the parent for names under it, even when it lacks them.
    zone('payments.abc.c2.kafka.us-east-2.amazonaws.com', [
      {
        name: 'b-2.payments.abc.c2.kafka.us-east-2.amazonaws.com',
        type: 'A',
        ttl: 0,
        values: [],
        alias: 'vpce-2.example',
      },
    ]),
    zone(
      'payments.abc.c2.kafka.us-east-2.amazonaws.com',
      [
        {
          name: 'b-3.payments.abc.c2.kafka.us-east-2.amazonaws.com',
          type: 'A',
          ttl: 0,
          values: ['10.9.9.9'],
        },
      ],
      '333333333333',
    ),
  ],
  hosts: new Map([
    ['vpce-1.example', ['127.0.1.1']],
    ['vpce-2.example', ['127.0.1.2']],
  ]),
};

const addrs = (name: string): string[] =>
  resolveA(view, name)
    .answers.filter((a) => a.type === 'A')
    .map((a) => a.data);

describe('testbed network twin: DNS rules', () => {
  it('answers plain records as they are and caps TTLs', () => {
    assert.deepEqual(addrs('plain.c2.kafka.us-east-2.amazonaws.com'), ['10.0.0.1', '10.0.0.2']);
    assert.equal(resolveA(view, 'plain.c2.kafka.us-east-2.amazonaws.com', 5).answers[0]?.ttl, 5);
  });

  it('resolves alias records through endpoint names and other records, case and dot insensitive', () => {
    assert.deepEqual(addrs('B-2.payments.abc.c2.kafka.us-east-2.amazonaws.com.'), ['127.0.1.2']);
    assert.deepEqual(addrs('alias-to-record.c2.kafka.us-east-2.amazonaws.com'), ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(addrs('vpce-1.example'), ['127.0.1.1']);
  });

  it('lets the most specific zone answer, with no fall-through to the parent', () => {
    assert.equal(resolveA(view, 'b-1.payments.abc.c2.kafka.us-east-2.amazonaws.com').rcode, 'NXDOMAIN');
    // Same-name zones of several accounts are searched in order.
    assert.deepEqual(addrs('b-3.payments.abc.c2.kafka.us-east-2.amazonaws.com'), ['10.9.9.9']);
  });

  it('matches wildcards at any depth', () => {
    assert.deepEqual(addrs('x.wild.c2.kafka.us-east-2.amazonaws.com'), ['127.0.1.2']);
    assert.deepEqual(addrs('x.y.wild.c2.kafka.us-east-2.amazonaws.com'), ['127.0.1.2']);
  });

  it('follows CNAMEs and reports the chain', () => {
    const r = resolveA(view, 'cname.c2.kafka.us-east-2.amazonaws.com');
    assert.deepEqual(
      r.answers.map((a) => [a.type, a.data]),
      [
        ['CNAME', 'vpce-1.example'],
        ['A', '127.0.1.1'],
      ],
    );
  });

  it('tells NODATA from NXDOMAIN, and treats a dangling alias as absent', () => {
    assert.equal(resolveA(view, 'txt.c2.kafka.us-east-2.amazonaws.com').rcode, 'NOERROR');
    assert.equal(resolveA(view, 'txt.c2.kafka.us-east-2.amazonaws.com').answers.length, 0);
    assert.ok(nameExists(view, 'txt.c2.kafka.us-east-2.amazonaws.com'));
    assert.equal(resolveA(view, 'dangling.c2.kafka.us-east-2.amazonaws.com').rcode, 'NXDOMAIN');
    assert.equal(resolveA(view, 'nothing.c2.kafka.us-east-2.amazonaws.com').rcode, 'NXDOMAIN');
    assert.equal(resolveA(view, 'example.com').rcode, 'NXDOMAIN');
  });
});
