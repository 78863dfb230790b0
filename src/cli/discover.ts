import { writeFile } from 'node:fs/promises';
import { ClientPool } from '../aws/clients.js';
import { discover } from '../discovery/discover.js';
import { MplError } from '../errors.js';
import type { GlobalOptions, Io } from './io.js';

/** `discover`: reads the cluster from MSK (and its subnets from EC2) and writes the inventory. */
export async function discoverCommand(
  opts: { clusterArn: string; out?: string },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const m = /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):(\d{12}):cluster\//.exec(opts.clusterArn);
  if (!m)
    throw new MplError(
      'INVALID_INPUT',
      'must be an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)',
      { where: '--cluster-arn' },
    );
  const region = global.region ?? (m[1] as string);
  const pool = new ClientPool({
    roleArns: {},
    ...(global.profile === undefined ? {} : { profile: global.profile }),
  });
  try {
    const inventory = await discover(pool.for(m[2] as string, region), opts.clusterArn);
    const text = `${JSON.stringify(inventory, null, 2)}\n`;
    if (opts.out === undefined) io.out(text);
    else {
      await writeFile(opts.out, text);
      io.out(`Wrote ${inventory.brokers.length} brokers of ${inventory.clusterName} to ${opts.out}\n`);
    }
    return 0;
  } finally {
    pool.destroy();
  }
}
