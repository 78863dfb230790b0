// `export`: the plan's resources as infrastructure as code, for teams whose changes must go through
// CloudFormation. With cluster.brokersFile it makes no AWS call; with cluster.arn it reads the
// cluster (as `plan`). State is not read: the export is of what the config asks for.
import { MplError } from '../errors.js';
import { cloudFormationTemplates, type ManualStep } from '../export/cloudformation.js';
import type { PlanInput } from '../planner/input.js';
import { planStack } from '../planner/plan-stack.js';
import { planInputOf } from './plan-input.js';
import type { StackOptions } from './stack.js';

export type ExportFormat = 'cloudformation' | 'terraform';

export interface ExportFile {
  /** A file name (no directory): `<stack>-<account>-<region>.cfn.json`, `<stack>-manual-steps.md`. */
  name: string;
  content: string;
}

export interface ExportResult {
  stack: string;
  format: ExportFormat;
  files: ExportFile[];
  /** What the format cannot express, with the commands to run (and to undo) by hand. */
  manual: ManualStep[];
}

function exportOf(input: PlanInput, format: ExportFormat): ExportResult {
  const stack = input.config.name;
  if (format === 'terraform')
    throw new MplError(
      'EXPORT_UNSUPPORTED',
      'export --format terraform is not available yet: use --format cloudformation, or apply with msk-privatelink',
    );
  const { resources } = planStack(input);
  const { templates, manual } = cloudFormationTemplates(stack, resources);
  const files: ExportFile[] = templates.map((t) => ({
    name: t.file,
    content: `${JSON.stringify(t.body, null, 2)}\n`,
  }));
  if (manual.length > 0)
    files.push({ name: `${stack}-manual-steps.md`, content: manualSteps(stack, manual) });
  return { stack, format, files, manual };
}

/** The steps CloudFormation cannot take, in deployment order, with their undo. */
function manualSteps(stack: string, steps: readonly ManualStep[]): string {
  const lines = [
    `# ${stack}: steps CloudFormation cannot take`,
    '',
    "Deploy the templates first: the provider account's, then each consumer's (its parameters are",
    "the provider template's outputs). Then run each command below, with `<file:Output>` replaced by",
    "that template's output. To undo, run the undo command before deleting the stacks.",
    '',
  ];
  for (const s of steps)
    lines.push(
      `## ${s.id}`,
      '',
      s.what,
      '',
      '```sh',
      s.apply,
      '```',
      '',
      'Undo:',
      '',
      '```sh',
      s.undo,
      '```',
      '',
    );
  return lines.join('\n');
}

export async function exportStack(
  configFile: string,
  format: ExportFormat,
  global: Pick<StackOptions, 'region' | 'profile' | 'reporter' | 'configFor'> = {},
): Promise<ExportResult> {
  return exportOf(await planInputOf(configFile, global), format);
}
