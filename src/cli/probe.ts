import type { ListenerType } from '../config/schema.js';
import { probe, type ProbeRequest } from '../ops/probe.js';
import { renderTable, toJson } from '../probe/shape.js';
import type { GlobalOptions, Io } from './io.js';
import { stackOptions } from './session.js';
import { viewReporter } from './view.js';

export type ProbeFlags = ProbeRequest & { listener?: ListenerType };

/** `probe`: exit 0 when every broker passes (and the canary, when asked), 1 otherwise. */
export async function probeCommand(f: ProbeFlags, global: GlobalOptions, io: Io): Promise<number> {
  const reporter = viewReporter(io, { json: f.json === true, verbose: global.verbose, jsonTo: 'err' });
  const report = await probe(f, stackOptions(global, reporter));
  io.out(
    f.json
      ? toJson(report)
      : renderTable(report, io.color, io.columns === undefined ? {} : { width: io.columns }),
  );
  return report.ok ? 0 : 1;
}
