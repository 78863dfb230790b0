import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportStack, type ExportFormat } from '../ops/export.js';
import type { GlobalOptions, Io } from './io.js';
import { stackOptions } from './session.js';
import { viewReporter } from './view.js';

export const EXPORT_FORMATS = ['cloudformation', 'terraform'] as const;

/**
 * `export`: with --out DIR, one file per template (and the runbook) there, their names
 * printed; without, one JSON object on stdout, file name -> content. Exit 0.
 */
export async function exportCommand(
  opts: { config: string; format: ExportFormat; out?: string },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const reporter = viewReporter(io, { json: false, verbose: global.verbose, jsonTo: 'err' });
  const r = await exportStack(opts.config, opts.format, stackOptions(global, reporter));
  if (opts.out === undefined) {
    const byName = Object.fromEntries(
      r.files.map((f) => [f.name, f.name.endsWith('.json') ? (JSON.parse(f.content) as unknown) : f.content]),
    );
    io.out(`${JSON.stringify(byName, null, 2)}\n`);
    return 0;
  }
  await mkdir(opts.out, { recursive: true });
  for (const f of r.files) {
    await writeFile(path.join(opts.out, f.name), f.content);
    io.out(`${path.join(opts.out, f.name)}\n`);
  }
  io.err(
    r.format === 'terraform'
      ? `how to apply it: ${path.join(opts.out, `${r.stack}-terraform.md`)}${r.manual.length > 0 ? ` (${r.manual.length} command(s) run by terraform_data need the AWS CLI)` : ''}\n`
      : `deploy in the order of ${path.join(opts.out, `${r.stack}-runbook.md`)}${r.manual.length > 0 ? `, with ${r.manual.length} step(s) CloudFormation cannot take` : ''}\n`,
  );
  return 0;
}
