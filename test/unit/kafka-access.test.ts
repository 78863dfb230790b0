// How pattern 2's legacy modes reach the brokers' admin API: TLS with a CA, mutual TLS with a client
// certificate and key, SASL/SCRAM from the environment; IAM refused with the way out.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConfigInput } from '../../src/config/schema.js';
import { kafkaAccessFor } from '../../src/ops/kafka-access.js';
import { brokersFor, configOf, inventoryOf } from '../support/fixtures.js';

/** An input error naming the field (where) and saying what is wrong. */
const inputError = (field: string, text: RegExp) => (e: Error & { code?: string; where?: string }) => {
  assert.equal(e.code, 'INVALID_INPUT');
  assert.equal(e.where, `c.yaml: pattern2.admin.${field}`);
  assert.match(e.message, text);
  return true;
};

describe('kafka access for the legacy pattern 2 modes', () => {
  let dir: string;
  const files: Record<string, string> = {};
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-access-'));
    for (const [name, text] of [
      ['ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n'],
      ['client.pem', '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n'],
      ['client.key', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n'],
    ]) {
      files[name as string] = path.join(dir, name as string);
      await writeFile(files[name as string] as string, text as string);
    }
  });

  const access = (
    admin: NonNullable<ConfigInput['pattern2']>['admin'],
    listeners: ConfigInput['cluster']['listeners'] = ['tls'],
  ) =>
    kafkaAccessFor(
      configOf({
        pattern: 2,
        cluster: { brokersFile: 'b.json', listeners },
        pattern2: { mode: 'rewrite', admin },
      }),
      inventoryOf(brokersFor([1, 2])),
      'c.yaml',
    );

  it('mutual TLS: the client certificate and key with the CA, on the tls listener', async () => {
    const a = await access({
      caFile: files['ca.pem'],
      clientCertFile: files['client.pem'],
      clientKeyFile: files['client.key'],
    });
    assert.equal(a.listener.port, 9094);
    assert.ok(typeof a.listener.ssl === 'object');
    const ssl = a.listener.ssl as {
      ca?: string[];
      cert?: string;
      key?: string;
      rejectUnauthorized?: boolean;
    };
    assert.match(ssl.cert ?? '', /client/);
    assert.match(ssl.key ?? '', /PRIVATE KEY/);
    assert.match(ssl.ca?.[0] ?? '', /ca/);
    assert.equal(ssl.rejectUnauthorized, true);
  });

  it('refuses half a client identity, mutual TLS on another listener, an unreadable key, and IAM', async () => {
    await assert.rejects(
      access({ clientCertFile: files['client.pem'] }),
      inputError('clientKeyFile', /mutual TLS needs both/),
    );
    await assert.rejects(
      access(
        { listener: 'sasl_scram', clientCertFile: files['client.pem'], clientKeyFile: files['client.key'] },
        ['tls', 'sasl_scram'],
      ),
      inputError('clientCertFile', /mutual TLS is MSK's TLS client authentication, on the tls listener/),
    );
    await assert.rejects(
      access({ clientCertFile: files['client.pem'], clientKeyFile: path.join(dir, 'missing.key') }),
      inputError('clientKeyFile', /cannot read/),
    );
    await assert.rejects(access({ listener: 'iam' }, ['tls', 'iam']), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ADMIN_IAM_UNSUPPORTED');
      assert.match(e.message, /not IAM.*leave pattern2\.mode out/);
      return true;
    });
  });
});
