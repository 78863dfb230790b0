import type { Inventory } from '../config/schema.js';
import { discover as readCluster } from '../discovery/discover.js';
import { MplError } from '../errors.js';
import { poolFor, type StackOptions } from './stack.js';

/** Reads an MSK cluster's brokers (MSK) and their subnets' AZ IDs (EC2) into an inventory. */
export async function discover(clusterArn: string, opts: StackOptions = {}): Promise<Inventory> {
  const m = /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):(\d{12}):cluster\//.exec(clusterArn);
  if (!m)
    throw new MplError(
      'INVALID_INPUT',
      'must be an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)',
      {
        where: '--cluster-arn',
      },
    );
  const region = opts.region ?? (m[1] as string);
  const pool = poolFor(undefined, opts);
  try {
    return await readCluster(pool.for(m[2] as string, region), clusterArn);
  } finally {
    pool.destroy();
  }
}
