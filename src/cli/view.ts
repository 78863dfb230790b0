import { createColors } from 'picocolors';
import { levelOf, type Level, type Reporter, type RunEvent } from '../events.js';
import type { Io } from './io.js';

const RANK: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

const VERB = {
  create: ['Creating...', 'Creation complete', 'creating'],
  update: ['Modifying...', 'Modifications complete', 'modifying'],
  delete: ['Destroying...', 'Destruction complete', 'destroying'],
} as const;

export interface ViewOptions {
  json: boolean;
  verbose: boolean;
  /** JSON events go to stdout for streaming commands (apply, destroy), to stderr where stdout holds one document. */
  jsonTo?: 'out' | 'err';
  /** Refresh progress lines at most this often (non-interactive output). */
  progressEveryMs?: number;
}

/**
 * The CLI's views of the event stream. Human: Terraform-style step lines and heartbeats on stdout;
 * refresh progress, warnings and logs on stderr; debug events (every AWS call with its account,
 * region and duration) only with --verbose. JSON: the same events, one JSON object per line.
 */
export function viewReporter(io: Io, opts: ViewOptions): Reporter {
  const max = RANK[opts.verbose ? 'debug' : 'info'];
  if (opts.json) {
    const write = opts.jsonTo === 'err' ? io.err : io.out;
    return {
      emit: (e) => {
        const level = levelOf(e);
        if (RANK[level] <= max) write(`${JSON.stringify({ ...e, level, time: new Date().toISOString() })}\n`);
      },
    };
  }
  const c = createColors(io.color);
  let lastProgress = 0;
  const every = opts.progressEveryMs ?? 5_000;
  const human = (e: RunEvent): void => {
    switch (e.type) {
      case 'refresh':
        if (e.phase === 'start') {
          lastProgress = Date.now();
          if (e.total > 0) io.err(c.dim(`Refreshing ${e.total} resource(s) from AWS...\n`));
        } else if (e.phase === 'done') {
          if (e.total > 0)
            io.err(
              c.dim(`Refreshed ${e.total} resource(s) in ${(e.ms / 1000).toFixed(1)}s: ${e.found} exist.\n`),
            );
        } else if (Date.now() - lastProgress >= every) {
          lastProgress = Date.now();
          io.err(c.dim(`  refreshed ${e.done}/${e.total}...\n`));
        }
        return;
      case 'start':
        io.out(`${c.bold(e.id)}: ${VERB[e.step][0]}\n`);
        return;
      case 'done':
        io.out(`${c.bold(e.id)}: ${c.green(VERB[e.step][1])} after ${(e.ms / 1000).toFixed(1)}s\n`);
        return;
      case 'retry':
        io.err(
          `${c.bold(e.id)}: ${c.yellow(`retrying in ${(e.delayMs / 1000).toFixed(1)}s`)} after [${e.code}] ${e.error}\n`,
        );
        return;
      case 'failed':
        io.out(
          `${c.bold(e.id)}: ${c.red('failed')} after ${(e.ms / 1000).toFixed(1)}s: ${e.error}${e.tainted ? ' (tainted: the next plan replaces it)' : ''}\n`,
        );
        return;
      case 'heartbeat':
        for (const r of e.running)
          io.out(`${c.bold(r.id)}: Still ${VERB[r.step][2]}... [${Math.round(r.ms / 1000)}s elapsed]\n`);
        return;
      case 'log':
        io.err(
          `${e.level === 'warn' ? c.yellow('warning: ') : e.level === 'debug' ? c.dim('debug: ') : ''}${e.id ? `${e.id}: ` : ''}${e.message}\n`,
        );
        return;
      case 'aws-call':
        io.err(
          c.dim(
            `aws ${e.service}:${e.action} account ${e.account} ${e.region} ${e.ms} ms` +
              (e.id ? ` for ${e.id}` : '') +
              (e.waitedMs > 0 ? ` (rate limit ${e.waitedMs} ms)` : '') +
              (e.attempts > 1 ? ` (${e.attempts} attempts)` : '') +
              (e.error ? ` ${e.error}` : '') +
              '\n',
          ),
        );
        return;
    }
  };
  return { emit: (e) => (RANK[levelOf(e)] <= max ? human(e) : undefined) };
}
