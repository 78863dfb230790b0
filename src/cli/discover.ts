import { discover } from '../ops/discover.js';
import { writeOutputFile, type GlobalOptions, type Io } from './io.js';
import { stackOptions } from './session.js';
import { viewReporter } from './view.js';

/** `discover`: reads the cluster from MSK (and its subnets from EC2) and writes the inventory. */
export async function discoverCommand(
  opts: { clusterArn: string; out?: string },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const reporter = viewReporter(io, { json: false, verbose: global.verbose });
  const inventory = await discover(opts.clusterArn, stackOptions(global, reporter));
  const text = `${JSON.stringify(inventory, null, 2)}\n`;
  if (opts.out === undefined) io.out(text);
  else {
    await writeOutputFile('--out', opts.out, text);
    io.out(`Wrote ${inventory.brokers.length} brokers of ${inventory.clusterName} to ${opts.out}\n`);
  }
  return 0;
}
