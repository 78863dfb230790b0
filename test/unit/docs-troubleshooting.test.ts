// docs/troubleshooting.md has a section for every hint the probe gives (by the hint's stable id in
// src/probe/diagnose.ts) and a link to docs/errors.md for every error code. The hints are produced
// here from representative facts through diagnose's own functions, so a hint whose id is missing
// from HINT_IDS, or an id no branch produces, fails too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRORS } from '../../src/errors.js';
import {
  HINT_IDS,
  advertisedMismatch,
  authFailure,
  dnsFailure,
  dnsMismatch,
  endpointUnresolved,
  kafkaFailure,
  tcpFailure,
  tlsFailure,
  withEndpointState,
  type HintId,
} from '../../src/probe/diagnose.js';
import type { Diagnosis, EndpointRef } from '../../src/probe/types.js';

const DOC = 'docs/troubleshooting.md';
const HOST = 'b-1.payments.abc123.c2.kafka.us-east-2.amazonaws.com';
const EP: EndpointRef = {
  logicalId: 'analytics/vpc-endpoint/b-1',
  endpointId: 'vpce-0123',
  dnsName: 'vpce-0123.vpce-svc.amazonaws.com',
  account: '222222222222',
  region: 'us-east-2',
  vpcId: 'vpc-0d4e5f6a',
};

/** Every branch of diagnose.ts, with facts that reach it. */
function everyDiagnosis(): Diagnosis[] {
  const dns = { host: HOST, resolver: 'the system resolver', consumer: 'analytics' };
  const tcp = { host: HOST, address: '10.0.0.5', port: 9094, timeoutMs: 3000 };
  const tls = { host: HOST, port: 9094, timeoutMs: 3000 };
  const advertised = { host: HOST, id: 1, expected: { host: HOST, port: 9001 }, listed: [1, 2] };
  const base = tcpFailure({ ...tcp, code: 'ETIMEOUT' });
  return [
    dnsFailure({ ...dns, code: 'ETIMEOUT' }),
    dnsFailure({ ...dns, code: 'ENOTFOUND', record: 'missing', zoneId: 'Z1' }),
    dnsFailure({ ...dns, code: 'ENOTFOUND', record: 'present', zoneId: 'Z1' }),
    dnsFailure({ ...dns, code: 'ENODATA' }),
    endpointUnresolved({ host: HOST, ep: EP, code: 'ENOTFOUND', resolver: 'x' }),
    dnsMismatch({
      host: HOST,
      answer: ['10.0.0.9'],
      expected: ['10.0.0.5'],
      ep: EP,
      otherOwner: "broker 2's endpoint",
    }),
    dnsMismatch({ host: HOST, answer: ['10.0.0.9'], expected: ['10.0.0.5'], ep: EP }),
    ...['pendingAcceptance', 'pending', 'rejected', 'deleted', 'failed', 'odd'].map((s) =>
      withEndpointState(base, s, EP),
    ),
    base,
    tcpFailure({ ...tcp, code: 'ECONNREFUSED' }),
    tcpFailure({ ...tcp, code: 'ECONNRESET' }),
    tcpFailure({ ...tcp, code: 'EHOSTUNREACH' }),
    tlsFailure({ ...tls, code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: 'x' }),
    tlsFailure({ ...tls, code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'x' }),
    tlsFailure({ ...tls, code: 'CERT_HAS_EXPIRED', message: 'x' }),
    tlsFailure({ ...tls, code: 'ETIMEOUT', message: 'x' }),
    tlsFailure({ ...tls, code: 'ERR_SSL', message: 'wrong version number' }),
    tlsFailure({ ...tls, code: 'ERR_SSL', message: 'tlsv13 alert certificate required' }),
    tlsFailure({ ...tls, code: 'ERR_OTHER', message: 'x' }),
    authFailure({ host: HOST, mechanism: 'oauthbearer', message: 'x' }),
    authFailure({ host: HOST, mechanism: 'scram-sha-512', message: 'x' }),
    advertisedMismatch({ ...advertised, actual: undefined }) as Diagnosis,
    advertisedMismatch({ ...advertised, actual: { host: 'elsewhere.example.com', port: 9001 } }) as Diagnosis,
    advertisedMismatch({ ...advertised, actual: { host: HOST, port: 9094 } }) as Diagnosis,
    kafkaFailure({ host: HOST, port: 9001, message: 'x' }),
  ];
}

/** The hint ids that head a section: `### \`tcp-timeout\`: ...` (level 3 or 4). */
function sections(): string[] {
  const doc = readFileSync(DOC, 'utf8');
  return [...doc.matchAll(/^#{3,4}\s+`([a-z0-9-]+)`/gm)].map((m) => m[1] as string);
}

describe('docs/troubleshooting.md', () => {
  it("every branch of diagnose.ts gives a hint with an id of HINT_IDS, and every id but run.ts's has a branch", () => {
    const produced = new Set(everyDiagnosis().map((d) => d.hintId));
    for (const d of everyDiagnosis()) assert.ok(d.hint.length > 0 && HINT_IDS.includes(d.hintId), d.hintId);
    // `unexpected` is run.ts's: a step that threw something other than a diagnosis.
    assert.match(readFileSync('src/probe/run.ts', 'utf8'), /hintId: 'unexpected'/);
    assert.deepEqual(
      HINT_IDS.filter((id) => id !== 'unexpected' && !produced.has(id)),
      [],
      'ids no representative facts produce: add a case to everyDiagnosis()',
    );
  });

  it('has one section per probe hint, and none for a hint that does not exist', () => {
    const heads = sections();
    const known = new Set<string>(HINT_IDS);
    assert.deepEqual(
      HINT_IDS.filter((id: HintId) => !heads.includes(id)),
      [],
      `hints without a section in ${DOC}`,
    );
    assert.deepEqual(
      heads.filter((h) => !known.has(h)),
      [],
      `sections of ${DOC} for no hint`,
    );
    assert.equal(new Set(heads).size, heads.length, 'a hint has two sections');
  });

  it('links every error code to its section in docs/errors.md', () => {
    const doc = readFileSync(DOC, 'utf8');
    const errors = readFileSync('docs/errors.md', 'utf8');
    const missing = Object.keys(ERRORS).filter((c) => !doc.includes(`(errors.md#${c.toLowerCase()})`));
    assert.deepEqual(missing, [], `codes without a link in ${DOC}`);
    for (const m of doc.matchAll(/\(errors\.md#([a-z0-9_]+)\)/g)) {
      const code = (m[1] as string).toUpperCase();
      assert.match(
        errors,
        new RegExp(`^###\\s+\`?${code}\`?\\s*$`, 'm'),
        `${DOC} links ${code}, which has no heading`,
      );
    }
  });
});
