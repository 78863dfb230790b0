import { planJson, renderPlan } from '../plan/render.js';
import { applyLive, hasChanges, planLive } from '../ops/operations.js';
import { runAndReport } from './apply.js';
import type { GlobalOptions, Io } from './io.js';
import { closing, confirm, openLive } from './session.js';

/**
 * `destroy`: a plan whose desired set is empty (a planning mode, not a second code path): the
 * executor deletes in the order AWS accepts and restores the brokers' listener settings.
 */
export async function destroyCommand(
  opts: { config: string; autoApprove?: boolean; json?: boolean },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const session = await openLive(opts.config, global, `destroy (pid ${process.pid})`);
  return closing(session, async () => {
    const { plan } = await planLive(session.stack, 'destroy', session);
    if (!hasChanges(plan)) {
      if (opts.json)
        io.out(`${JSON.stringify({ type: 'summary', ...planJson(plan.changes, plan.summary, []) })}\n`);
      else io.out('Nothing to destroy: no resource of this stack exists.\n');
      return 0;
    }
    if (!opts.json) io.out(renderPlan(plan.changes, plan.summary, [], { color: io.color }));
    if (!(await confirm('Do you really want to destroy all resources of this stack?', opts.autoApprove))) {
      io.err('Destroy cancelled.\n');
      return 1;
    }
    return runAndReport(
      (onEvent) => applyLive(session.stack, plan, { ...session, onEvent }),
      opts,
      io,
      'Destroy',
    );
  });
}
