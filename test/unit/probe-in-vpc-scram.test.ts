// The in-VPC probe's SCRAM credentials: the event names a secret ARN (never a password), the
// function reads MSK's {"username", "password"} SecretString, retries AccessDenied for a while (a
// role policy just put), and its errors never hold anything of the secret's value.
import assert from 'node:assert/strict';
import { InVpcEvent, SecretArn } from '../../src/probe/in-vpc/event.js';
import { secretPolicy } from '../../src/probe/in-vpc/aws.js';
import { regionOfArn, scramFromSecretString, scramSasl } from '../../src/probe/in-vpc/scram.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:AmazonMSK_probe-AbC123';
const PASSWORD = 'pa55-w0rd-not-to-leak';

const event = (scram: unknown) => ({
  consumer: 'c1',
  listener: 'sasl_scram',
  targets: [{ id: 1, host: 'b-1.example.kafka.us-east-1.amazonaws.com', port: 9096 }],
  timeoutMs: 3000,
  canary: false,
  scram,
});

function awsError(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

describe('in-VPC probe: SCRAM through a Secrets Manager secret', () => {
  it('the event takes a complete secret ARN and refuses credentials', () => {
    assert.deepEqual(InVpcEvent.parse(event({ secretArn: ARN })).scram, { secretArn: ARN });
    assert.equal(InVpcEvent.safeParse(event({ username: 'u', password: PASSWORD })).success, false);
    assert.equal(InVpcEvent.safeParse(event({ secretArn: ARN, password: PASSWORD })).success, false);
    for (const ok of [
      ARN,
      'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:a/b_c+d=e.f@g-h-ZZZZZZ',
    ])
      assert.equal(SecretArn.safeParse(ok).success, true, ok);
    for (const bad of [
      'AmazonMSK_probe',
      'arn:aws:secretsmanager:eu-west-1:222222222222:secret:AmazonMSK_probe',
      'arn:aws:secretsmanager:eu-west-1:2222:secret:AmazonMSK_probe-AbC123',
      'arn:aws:ssm:eu-west-1:222222222222:parameter/AmazonMSK_probe-AbC123',
    ])
      assert.equal(SecretArn.safeParse(bad).success, false, bad);
  });

  it("the role's grant names that ARN and GetSecretValue only", () => {
    assert.deepEqual(JSON.parse(secretPolicy(ARN)), {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ARN }],
    });
  });

  it("reads MSK's SecretString; other keys are ignored; errors name the keys, never a value", () => {
    assert.equal(regionOfArn(ARN), 'eu-west-1');
    assert.deepEqual(
      scramFromSecretString(ARN, JSON.stringify({ username: 'alice', password: PASSWORD, note: 'x' })),
      { username: 'alice', password: PASSWORD },
    );
    for (const [value, text] of [
      [undefined, /no SecretString/],
      [`not json ${PASSWORD}`, /is not JSON/],
      [JSON.stringify({ username: 'alice', pass: PASSWORD }), /lacks a non-empty password/],
      [JSON.stringify({ username: '', password: PASSWORD }), /lacks a non-empty username/],
      [JSON.stringify(PASSWORD), /lacks a non-empty/],
    ] as const) {
      const err = (() => {
        try {
          scramFromSecretString(ARN, value);
        } catch (e) {
          return e as Error;
        }
        return assert.fail('expected a refusal');
      })();
      assert.match(err.message, text);
      assert.match(err.message, /AmazonMSK_probe-AbC123/);
      assert.ok(!err.message.includes(PASSWORD), err.message);
    }
  });

  it('scramSasl: SCRAM-SHA-512 from the secret; AccessDenied retried until the deadline, then explained', async () => {
    const good = JSON.stringify({ username: 'alice', password: PASSWORD });
    let calls = 0;
    const sleeps: number[] = [];
    const sasl = await scramSasl(ARN, {
      read: (arn) => {
        assert.equal(arn, ARN);
        calls += 1;
        return calls < 3 ? Promise.reject(awsError('AccessDeniedException')) : Promise.resolve(good);
      },
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });
    assert.deepEqual(sasl, { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD });
    assert.deepEqual(sleeps, [500, 1000]);

    await assert.rejects(
      scramSasl(ARN, { read: () => Promise.reject(awsError('AccessDeniedException')), deadlineMs: 0 }),
      /AccessDeniedException.*GetSecretValue on this ARN only.*kms:Decrypt.*resource policy/s,
    );
    await assert.rejects(
      scramSasl(ARN, { read: () => Promise.reject(awsError('ResourceNotFoundException')) }),
      /does not exist \(or was deleted\) in eu-west-1/,
    );
    await assert.rejects(
      scramSasl(ARN, { read: () => Promise.reject(awsError('DecryptionFailure', 'KMS said no')) }),
      /DecryptionFailure: KMS said no/,
    );
  });
});
