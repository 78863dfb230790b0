// SASL settings for the probe's Kafka connections: SCRAM with a password from the environment only,
// or IAM with a token from AWS's MSK IAM signer over the SDK's credential chain.
import type { SASLOptions } from 'kafkajs';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { ListenerType } from '../config/schema.js';
import { InputError, MplError } from '../errors.js';

export interface SaslFlags {
  saslUsername?: string;
  saslPasswordEnv?: string;
  region?: string;
  profile?: string;
}

/** undefined for listeners without SASL; throws a clear error when a needed flag is missing. */
export function saslFor(listener: ListenerType, f: SaslFlags): (() => Promise<SASLOptions>) | undefined {
  if (listener === 'sasl_scram') {
    if (f.saslUsername === undefined)
      throw new InputError('--sasl-username', 'is required for the sasl_scram listener');
    if (f.saslPasswordEnv === undefined)
      throw new InputError(
        '--sasl-password-env',
        'is required for the sasl_scram listener (the password is read from that variable)',
      );
    const password = process.env[f.saslPasswordEnv];
    if (password === undefined || password === '')
      throw new InputError('--sasl-password-env', `environment variable ${f.saslPasswordEnv} is not set`);
    const username = f.saslUsername;
    // MSK's SCRAM is SHA-512 only.
    return () => Promise.resolve({ mechanism: 'scram-sha-512', username, password });
  }
  if (listener === 'iam') {
    const region = f.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (region === undefined)
      throw new InputError('--region', 'is required to sign IAM authentication tokens');
    const credentials = fromNodeProviderChain(f.profile === undefined ? {} : { profile: f.profile });
    return async () => {
      let signer: typeof import('aws-msk-iam-sasl-signer-js');
      try {
        signer = await import('aws-msk-iam-sasl-signer-js');
      } catch {
        throw new MplError(
          'IAM_UNSUPPORTED',
          'SASL/IAM needs the aws-msk-iam-sasl-signer-js package, which is not installed',
        );
      }
      return {
        mechanism: 'oauthbearer',
        // A fresh token per connection: they expire after 15 minutes.
        oauthBearerProvider: async () => {
          const { token } = await signer.generateAuthTokenFromCredentialsProvider({
            region,
            awsCredentialsProvider: credentials,
          });
          return { value: token };
        },
      };
    };
  }
  return undefined;
}
