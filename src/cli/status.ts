import { createColors } from 'picocolors';
import { planLive } from '../ops/operations.js';
import type { GlobalOptions, Io } from './io.js';
import { openLive } from './session.js';

export interface Drift {
  id: string;
  kind: string;
  account: string;
  /** missing: in state, gone live; changed: differs from the plan; new: the plan needs it (e.g. a broker was added); extra: made, no longer planned. */
  drift: 'missing' | 'changed' | 'new' | 'extra';
  detail: string;
}

/** `status`: live AWS and brokers against state and the current inventory; exit 0 in sync, 2 drift. */
export async function statusCommand(
  opts: { config: string; json?: boolean },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const session = await openLive(opts.config, global);
  try {
    const stateIds = new Set(session.stack.store.entries().map(([id]) => id));
    const { plan, refreshed } = await planLive(session.stack, 'apply', session);
    const vanished = new Set(refreshed.vanished);
    const drifts: Drift[] = plan.changes
      .filter((c) => c.action !== 'noop')
      .map((c) => ({
        id: c.id,
        kind: c.kind,
        account: c.account,
        drift: vanished.has(c.id)
          ? 'missing'
          : c.action === 'delete'
            ? 'extra'
            : c.action === 'create' && !stateIds.has(c.id)
              ? 'new'
              : 'changed',
        detail: vanished.has(c.id) ? 'deleted outside this tool' : c.reason,
      }));
    if (opts.json) {
      io.out(
        `${JSON.stringify({ inSync: drifts.length === 0, drift: drifts, adopted: refreshed.adopted }, null, 2)}\n`,
      );
    } else {
      const c = createColors(io.color);
      if (drifts.length === 0)
        io.out(`${c.green('In sync:')} ${stateIds.size} resource(s) match the state and the cluster.\n`);
      for (const d of drifts)
        io.out(`${c.yellow(d.drift.padEnd(8))} ${d.id} (${d.kind}, account ${d.account}): ${d.detail}\n`);
      if (drifts.length > 0)
        io.out(
          `\n${drifts.length} drifted; \`apply\` repairs it with the smallest change (\`plan\` shows it).\n`,
        );
    }
    return drifts.length === 0 ? 0 : 2;
  } finally {
    session.stack.pool.destroy();
  }
}
