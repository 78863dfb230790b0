import { createColors } from 'picocolors';
import { status } from '../ops/status.js';
import { withStack } from '../ops/stack.js';
import type { GlobalOptions, Io } from './io.js';
import { stackOptions } from './session.js';
import { viewReporter } from './view.js';

/** `status`: live AWS and brokers against state and the current inventory; exit 0 in sync, 2 drift. */
export async function statusCommand(
  opts: { config: string; json?: boolean },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const reporter = viewReporter(io, { json: opts.json === true, verbose: global.verbose, jsonTo: 'err' });
  const r = await withStack(opts.config, stackOptions(global, reporter), status);
  if (opts.json) {
    io.out(`${JSON.stringify({ inSync: r.inSync, drift: r.drift, adopted: r.adopted }, null, 2)}\n`);
  } else {
    const c = createColors(io.color);
    if (r.inSync)
      io.out(`${c.green('In sync:')} ${r.tracked} resource(s) match the state and the cluster.\n`);
    for (const d of r.drift)
      io.out(`${c.yellow(d.drift.padEnd(8))} ${d.id} (${d.kind}, account ${d.account}): ${d.detail}\n`);
    if (!r.inSync)
      io.out(
        `\n${r.drift.length} drifted; \`apply\` repairs it with the smallest change (\`plan\` shows it).\n`,
      );
  }
  return r.inSync ? 0 : 2;
}
