import type { ListenerType } from '../config/schema.js';
import { probe, type ProbeRequest } from '../ops/probe.js';
import { probeInVpc, type InVpcReport } from '../ops/probe-in-vpc.js';
import { InputError } from '../errors.js';
import { renderTable, toJson } from '../probe/shape.js';
import type { GlobalOptions, Io } from './io.js';
import { stackOptions } from './session.js';
import { viewReporter } from './view.js';

export type ProbeFlags = ProbeRequest & {
  listener?: ListenerType;
  inVpc?: boolean;
  allConsumers?: boolean;
  keep?: boolean;
  saslSecretArn?: string;
};

/** `probe`: exit 0 when every broker passes (and the canary, when asked), 1 otherwise. */
export async function probeCommand(f: ProbeFlags, global: GlobalOptions, io: Io): Promise<number> {
  const reporter = viewReporter(io, { json: f.json === true, verbose: global.verbose, jsonTo: 'err' });
  if (f.inVpc) return inVpcCommand(f, global, io, reporter);
  for (const [flag, name] of [
    ['allConsumers', '--all-consumers'],
    ['keep', '--keep'],
    ['saslSecretArn', '--sasl-secret-arn'],
  ] as const)
    if (f[flag] !== undefined && f[flag] !== false)
      throw new InputError(
        name,
        flag === 'saslSecretArn'
          ? 'applies only with --in-vpc (the local probe reads the password with --sasl-password-env)'
          : 'applies only with --in-vpc',
      );
  const report = await probe(f, stackOptions(global, reporter));
  io.out(
    f.json
      ? toJson(report)
      : renderTable(report, io.color, io.columns === undefined ? {} : { width: io.columns }),
  );
  return report.ok ? 0 : 1;
}

/**
 * `probe --in-vpc`: the same report per consumer, each broker once per AZ; JSON is the report for
 * one consumer, and `{ ok, consumers: [reports] }` with --all-consumers.
 */
async function inVpcCommand(
  f: ProbeFlags,
  global: GlobalOptions,
  io: Io,
  reporter: ReturnType<typeof viewReporter>,
): Promise<number> {
  const reports: InVpcReport[] = await probeInVpc(f, stackOptions(global, reporter));
  const ok = reports.every((r) => r.ok);
  if (f.json) {
    io.out(
      f.allConsumers
        ? `${JSON.stringify({ ok, consumers: reports }, null, 2)}\n`
        : toJson(reports[0] as InVpcReport),
    );
    return ok ? 0 : 1;
  }
  for (const r of reports) {
    const sites = r.inVpc.sites.map((s) => `${s.azId} (${s.subnetId}, ${s.ms} ms)`).join(', ');
    io.out(
      `consumer ${r.consumer}: probed inside ${sites}; set up in ${r.inVpc.setupMs} ms${r.inVpc.kept ? ', kept' : `, removed in ${r.inVpc.cleanupMs} ms`}\n`,
    );
    io.out(renderTable(r, io.color, io.columns === undefined ? {} : { width: io.columns }));
  }
  return ok ? 0 : 1;
}
