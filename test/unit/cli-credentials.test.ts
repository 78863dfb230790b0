// What a user sees without usable AWS credentials, or with a --region that is not the stack's:
// one message that says what to do, exit 1, and no AWS call (the SDK's credential chain fails
// before any request; the instance metadata lookup is switched off so nothing leaves loopback).
import assert from 'node:assert/strict';
import { runCli } from '../support/run-cli.js';

const CONFIG = 'plans/pattern1-one-consumer.yaml';

async function withoutCredentials<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env))
    if (k.startsWith('AWS_') && k !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED')
      delete process.env[k];
  Object.assign(process.env, {
    AWS_CONFIG_FILE: '/nonexistent/msk-privatelink-test/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/msk-privatelink-test/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe('cli: credentials and region', function () {
  this.timeout(30_000);

  it('no credentials at all: AWS_CREDENTIALS saying how to supply them, not a resource READ_FAILED', async () => {
    const r = await withoutCredentials(() => runCli(['plan', '--config', CONFIG]));
    assert.equal(r.code, 1);
    assert.match(r.err, /^error \[AWS_CREDENTIALS\]: no usable AWS credentials/m);
    assert.match(r.err, /AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile NAME/);
    assert.doesNotMatch(r.err, /READ_FAILED/);
    assert.equal(
      r.err
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error')).length,
      1,
      r.err,
    );
  });

  it('an unknown --profile: AWS_CREDENTIALS naming the profile problem', async () => {
    const r = await withoutCredentials(() =>
      runCli(['plan', '--config', CONFIG, '--profile', 'no-such-profile']),
    );
    assert.equal(r.code, 1);
    assert.match(r.err, /^error \[AWS_CREDENTIALS\]/m);
    assert.match(r.err, /no-such-profile|profile/i);
  });

  it('--region that differs from the config: REGION_MISMATCH before any AWS call', async () => {
    const r = await withoutCredentials(() => runCli(['status', '--config', CONFIG, '--region', 'eu-west-1']));
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^error \[REGION_MISMATCH\]: plans\/pattern1-one-consumer\.yaml: region: --region eu-west-1 differs from the config's region us-east-2/m,
    );
  });

  it('--region equal to the config is accepted (the same failure as without it: no credentials)', async () => {
    const r = await withoutCredentials(() => runCli(['plan', '--config', CONFIG, '--region', 'us-east-2']));
    assert.equal(r.code, 1);
    assert.match(r.err, /^error \[AWS_CREDENTIALS\]/m);
  });
});
