import { statePull } from '../ops/pull.js';
import { withStack } from '../ops/stack.js';
import { forceUnlock, statePush } from '../ops/state.js';
import { describeHolder } from '../state/lock.js';
import type { GlobalOptions, Io } from './io.js';
import { stackOptions } from './session.js';
import { viewReporter } from './view.js';

/** `state push`: the local state to the S3 backend the config names; the local file kept as `.pushed`. */
export async function statePushCommand(
  opts: { config: string; from?: string },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const reporter = viewReporter(io, { json: false, verbose: global.verbose });
  const r = await statePush(opts.config, {
    ...stackOptions(global, reporter, 'state push'),
    ...(opts.from === undefined ? {} : { from: opts.from }),
  });
  io.out(
    `${r.alreadyThere ? `${r.to} already held this state` : `Pushed ${r.from} to ${r.to}`}: ` +
      `lineage ${r.lineage}, serial ${r.serial}, ${r.resources} resource(s).\n` +
      `The local file is kept as ${r.keptAs}; the config's S3 state is the stack's state from now on.\n`,
  );
  return 0;
}

/** `force-unlock`: releases the stack's lock (only LOCK_ID when given) and says who held it. */
export async function forceUnlockCommand(
  opts: { config: string; lockId?: string },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const reporter = viewReporter(io, { json: false, verbose: global.verbose });
  const r = await forceUnlock(opts.config, {
    ...stackOptions(global, reporter),
    ...(opts.lockId === undefined ? {} : { lockId: opts.lockId }),
  });
  if (!r.released) io.out(`No lock is held: ${r.location}\n`);
  else
    io.out(
      `Released the state lock ${r.location}, held by ${r.holder ? `${describeHolder(r.holder)} (lock id ${r.holder.id})` : 'an unreadable lock'}.\n`,
    );
  return 0;
}

/** `state pull`: the state rebuilt from AWS (under the stack's lock), written when it knew less. */
export async function statePullCommand(
  opts: { config: string; json?: boolean },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const reporter = viewReporter(io, { json: opts.json === true, verbose: global.verbose, jsonTo: 'err' });
  const r = await withStack(opts.config, stackOptions(global, reporter, 'state pull'), statePull);
  if (opts.json) io.out(`${JSON.stringify(r, null, 2)}\n`);
  else
    io.out(
      `${r.resources} resource(s) of the stack exist in AWS; ` +
        (r.written
          ? `the state now knows them (serial ${r.serial}): ${r.added.length} added, ${r.dropped.length} gone dropped.\n`
          : 'the state already knew them all; nothing written.\n'),
    );
  return 0;
}
