import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { awsFailure, credentialsError } from '../../src/aws/errors.js';
import { ERRORS, MplError, type ErrorCode } from '../../src/errors.js';

const codes = Object.keys(ERRORS) as ErrorCode[];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/**
 * The string literal first argument of every `MplError(`, `PlanRefused(`, `awsFailure(` and
 * `attempt(` call in src/ (the call may span lines), plus `unlessGone(` and `checkUnsuccessful(`'s
 * code argument: [code, file].
 */
function codesUsedInSrc(): Array<[string, string]> {
  const firstArg = /\b(?:MplError|PlanRefused|awsFailure|attempt|unlessGone)\(\s*(['"`])([^'"`]*)\1/g;
  const secondArg = /\bcheckUnsuccessful\(\s*[^,()]*(?:\([^()]*\))?[^,()]*,\s*(['"`])([^'"`]*)\1/g;
  return sourceFiles('src').flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(firstArg), ...text.matchAll(secondArg)].map((m): [string, string] => [
      m[2] as string,
      file,
    ]);
  });
}

describe('error registry', () => {
  it('gives every code a summary, a hint and a retriable flag', () => {
    assert.ok(codes.length > 50, `only ${codes.length} codes`);
    for (const code of codes) {
      const info = ERRORS[code];
      assert.match(code, /^[A-Z][A-Z0-9_]*$/, code);
      assert.ok(info.summary.trim().length > 0, `${code}: empty summary`);
      assert.ok(info.hint.trim().length > 0, `${code}: empty hint`);
      assert.equal(typeof info.retriable, 'boolean', `${code}: retriable`);
      assert.ok(!info.summary.includes('\n'), `${code}: the summary is one line`);
    }
  });

  it('docs/errors.md has one heading per registered code, and none for an unregistered one', () => {
    const doc = readFileSync('docs/errors.md', 'utf8');
    const headings = [...doc.matchAll(/^###\s+`?([^\s`]+)`?\s*$/gm)].map((m) => m[1] as string);
    const registered = new Set<string>(codes);
    const unregistered = headings.filter((h) => !registered.has(h));
    assert.deepEqual(unregistered, [], 'headings for codes that are not in ERRORS');
    const documented = new Set(headings);
    assert.deepEqual(
      codes.filter((c) => !documented.has(c)),
      [],
      'codes without a heading in docs/errors.md',
    );
    assert.equal(headings.length, documented.size, 'a code has two headings');
  });

  it('registers every code src/ throws (multi-line calls included)', () => {
    const used = codesUsedInSrc();
    // The scan itself must work: these are known call shapes (one-line, multi-line, attempt, awsFailure).
    const seen = new Set(used.map(([c]) => c));
    for (const known of [
      'INVALID_INPUT',
      'PATTERN2_KRAFT',
      'WAIT_TIMEOUT',
      'TAGGING_FAILED',
      'RESOURCE_IN_USE',
    ])
      assert.ok(seen.has(known), `the scan missed ${known}`);
    const missing = used.filter(([c]) => !(c in ERRORS)).map(([c, f]) => `${c} (${f})`);
    assert.deepEqual(missing, [], 'codes used in src/ but not registered in ERRORS');
  });

  it('defaults MplError.retriable to the registry, and lets the thrower override it', () => {
    assert.equal(new MplError('WAIT_TIMEOUT', 'x').retriable, true);
    assert.equal(new MplError('INVALID_INPUT', 'x').retriable, false);
    assert.equal(new MplError('CREATE_FAILED', 'x', { retriable: true }).retriable, true);
  });
});

describe('awsFailure and the registry', () => {
  const aws = (name: string, status = 400) =>
    Object.assign(new Error(`${name} answered`), { name, $metadata: { httpStatusCode: status } });

  it("makes a throttled or transient AWS answer retriable, under the caller's code", () => {
    for (const e of [
      aws('ThrottlingException'),
      aws('RequestLimitExceeded'),
      aws('SlowDown', 503),
      aws('Whatever', 429),
      aws('InternalError', 500),
    ]) {
      const f = awsFailure('CREATE_FAILED', 'target group x', e);
      assert.ok(f instanceof MplError);
      assert.equal(f.code, 'CREATE_FAILED');
      assert.equal(f.retriable, true, e.name);
      assert.equal(f.cause, e);
    }
  });

  it('does not retry a not-found, in-use or plain failure', () => {
    assert.equal(awsFailure('READ_FAILED', 'x', aws('InvalidGroup.NotFound')).retriable, false);
    assert.equal(awsFailure('RESOURCE_IN_USE', 'x', aws('DependencyViolation')).retriable, false);
    assert.equal(awsFailure('RESOURCE_IN_USE', 'x', aws('ResourceInUse')).retriable, false);
    assert.equal(awsFailure('CREATE_FAILED', 'x', aws('InvalidParameterValue')).retriable, false);
  });

  it('turns a credentials answer into AWS_CREDENTIALS, not retriable, whatever the caller was doing', () => {
    const f = awsFailure('DELETE_FAILED', 'x', aws('ExpiredToken', 403));
    assert.equal(f.code, 'AWS_CREDENTIALS');
    assert.equal(f.retriable, false);
    assert.equal(credentialsError(new Error('Could not load credentials')).code, 'AWS_CREDENTIALS');
  });

  it('passes an MplError through unchanged', () => {
    const e = new MplError('WAIT_TIMEOUT', 'still provisioning');
    assert.equal(awsFailure('CREATE_FAILED', 'x', e), e);
  });
});
