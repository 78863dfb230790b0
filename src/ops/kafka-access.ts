import { readFile } from 'node:fs/promises';
import { LISTENER_PORTS, type Config, type Inventory } from '../config/schema.js';
import { InputError, MplError } from '../errors.js';
import type { KafkaAccess } from '../kafka/admin.js';

/**
 * How to reach the brokers' admin API (pattern 2): each broker by its client-VPC IP from the
 * inventory, on MSK's own port of the chosen listener (which keeps serving after a rewrite),
 * with the broker's name for TLS. The SCRAM password comes from the environment only.
 */
export async function kafkaAccessFor(
  config: Config,
  inventory: Inventory,
  configFile: string,
): Promise<KafkaAccess> {
  const admin = config.pattern2.admin;
  const type = admin.listener ?? config.cluster.listeners[0] ?? 'tls';
  if (type === 'iam') {
    throw new MplError(
      'ADMIN_IAM_UNSUPPORTED',
      'pattern2.admin.listener iam: the admin client speaks TLS, mutual TLS (clientCertFile, clientKeyFile) and ' +
        'SASL/SCRAM, not IAM (SASL OAUTHBEARER with AWS signatures); choose one of those the cluster also serves, or ' +
        'leave pattern2.mode out (msk-configuration needs no admin access)',
      {
        where: `${configFile}: pattern2.admin.listener`,
      },
    );
  }
  const read = async (file: string, field: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch {
      throw new InputError(`${configFile}: pattern2.admin.${field}`, `cannot read ${file}`);
    }
  };
  if ((admin.clientCertFile === undefined) !== (admin.clientKeyFile === undefined)) {
    throw new InputError(
      `${configFile}: pattern2.admin.${admin.clientCertFile === undefined ? 'clientCertFile' : 'clientKeyFile'}`,
      'mutual TLS needs both clientCertFile and clientKeyFile',
    );
  }
  if (admin.clientCertFile !== undefined && type !== 'tls') {
    throw new InputError(
      `${configFile}: pattern2.admin.clientCertFile`,
      `mutual TLS is MSK's TLS client authentication, on the tls listener (9094), not ${type}`,
    );
  }
  let ssl: KafkaAccess['listener']['ssl'] = type !== 'plaintext';
  if (type !== 'plaintext' && (admin.caFile !== undefined || admin.clientCertFile !== undefined)) {
    ssl = {
      rejectUnauthorized: true,
      ...(admin.caFile !== undefined ? { ca: [await read(admin.caFile, 'caFile')] } : {}),
      ...(admin.clientCertFile !== undefined && admin.clientKeyFile !== undefined
        ? {
            cert: await read(admin.clientCertFile, 'clientCertFile'),
            key: await read(admin.clientKeyFile, 'clientKeyFile'),
          }
        : {}),
    };
  }
  const listener: KafkaAccess['listener'] = { port: LISTENER_PORTS[type], ssl };
  if (type === 'sasl_scram') {
    if (!admin.scram)
      throw new InputError(`${configFile}: pattern2.admin.scram`, 'is required for the sasl_scram listener');
    const password = process.env[admin.scram.passwordEnv];
    if (password === undefined || password === '') {
      throw new InputError(
        `${configFile}: pattern2.admin.scram.passwordEnv`,
        `environment variable ${admin.scram.passwordEnv} is not set`,
      );
    }
    listener.sasl = { mechanism: 'scram-sha-512', username: admin.scram.username, password };
  }
  return {
    brokers: inventory.brokers.map((b) => ({ id: b.id, host: b.host, ip: b.ip })),
    listener,
    clientId: `msk-privatelink-${config.name}`,
  };
}
