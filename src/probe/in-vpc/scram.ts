// The in-VPC probe's SCRAM credentials, read inside the function from the Secrets Manager secret the
// event names (never from the event itself). Errors name the secret and what is wrong with it, never
// any of its content.
import type { SASLOptions } from 'kafkajs';
import { ScramSecretString } from './event.js';

/** The Region in a secret's ARN (arn:<partition>:secretsmanager:<region>:...): where to call. */
export function regionOfArn(arn: string): string {
  const region = arn.split(':')[3];
  if (region === undefined || region === '') throw new Error(`not an ARN with a Region: ${arn}`);
  return region;
}

/** The user name and password from a secret's SecretString, as MSK's SCRAM secrets hold them. */
export function scramFromSecretString(
  arn: string,
  secretString: string | undefined,
): { username: string; password: string } {
  const form = 'MSK\'s SCRAM secrets hold the JSON {"username": "...", "password": "..."}';
  if (secretString === undefined)
    throw new Error(`the secret ${arn} has no SecretString (a binary secret?): ${form}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new Error(`the secret ${arn} is not JSON: ${form}`);
  }
  const r = ScramSecretString.safeParse(parsed);
  if (!r.success) {
    // Only the keys at fault, never a value.
    const keys = [...new Set(r.error.issues.map((i) => String(i.path[0] ?? '(the value)')))].join(', ');
    throw new Error(`the secret ${arn} lacks a non-empty ${keys}: ${form}`);
  }
  return { username: r.data.username, password: r.data.password };
}

export interface SecretReader {
  /** GetSecretValue's SecretString (the SDK's call, or a test's stand-in). */
  (arn: string): Promise<string | undefined>;
}

/**
 * Reads the secret with the function's own credentials (its execution role), from the SDK the
 * Lambda Node.js runtime provides. AccessDenied is retried for a few seconds: a role policy just put
 * may not be in effect yet (IAM user guide, "Troubleshoot IAM": changes are eventually consistent).
 */
export async function scramSasl(
  arn: string,
  o: { read?: SecretReader; deadlineMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<SASLOptions> {
  const read = o.read ?? sdkReader;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (o.deadlineMs ?? 10_000);
  for (let wait = 500; ; wait = Math.min(wait * 2, 2000)) {
    try {
      const creds = scramFromSecretString(arn, await read(arn));
      return { mechanism: 'scram-sha-512', username: creds.username, password: creds.password };
    } catch (e) {
      const name = (e as { name?: string }).name ?? '';
      if (name === 'AccessDeniedException' && Date.now() + wait < deadline) {
        await sleep(wait);
        continue;
      }
      if (name === 'AccessDeniedException')
        throw new Error(
          `reading the SCRAM secret ${arn}: AccessDeniedException (${(e as Error).message}). The probe's role may ` +
            'call secretsmanager:GetSecretValue on this ARN only; a customer managed KMS key must also allow ' +
            'the role kms:Decrypt in its key policy, and a secret of another account needs a resource policy naming the role',
          { cause: e },
        );
      if (name === 'ResourceNotFoundException')
        throw new Error(
          `reading the SCRAM secret ${arn}: it does not exist (or was deleted) in ${regionOfArn(arn)}`,
          { cause: e },
        );
      if (name !== '' && name !== 'Error')
        throw new Error(`reading the SCRAM secret ${arn}: ${name}: ${(e as Error).message}`, { cause: e });
      throw e;
    }
  }
}

async function sdkReader(arn: string): Promise<string | undefined> {
  // Loaded here, from the runtime (the bundle leaves @aws-sdk/* out), and only for SCRAM.
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({ region: regionOfArn(arn) });
  try {
    return (await sm.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
  } finally {
    sm.destroy();
  }
}
