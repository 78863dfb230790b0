// `export`: the plan's resources as infrastructure as code, for teams whose changes must go through
// CloudFormation or Terraform. With cluster.brokersFile it makes no AWS call; with cluster.arn it reads the
// cluster (as `plan`). State is not read: the export is of what the config asks for.
import { cloudFormationTemplates, type ManualStep, type RunbookStep } from '../export/cloudformation.js';
import { runbookText, terraformText } from '../export/runbook.js';
import { terraformConfig } from '../export/terraform.js';
import type { Resource } from '../kinds/index.js';
import type { PlanInput } from '../planner/input.js';
import { planStack } from '../planner/plan-stack.js';
import { planInputOf } from './plan-input.js';
import { configRoles, type StackOptions } from './stack.js';

export type ExportFormat = 'cloudformation' | 'terraform';

export interface ExportFile {
  /** A file name (no directory): `<stack>-<account>-<region>.cfn.json`, `<stack>-runbook.md`. */
  name: string;
  content: string;
}

export interface ExportResult {
  stack: string;
  format: ExportFormat;
  files: ExportFile[];
  /** What the format cannot express, with the commands to run (and to undo) by hand. */
  manual: ManualStep[];
  /** The order to deploy the templates and run the manual steps in (undo: the reverse). */
  runbook: RunbookStep[];
}

function exportOf(input: PlanInput, format: ExportFormat): ExportResult {
  const stack = input.config.name;
  const { resources } = planStack(input);
  if (format === 'terraform') return terraformExport(input, resources);
  const { templates, manual, runbook } = cloudFormationTemplates(stack, resources);
  const files: ExportFile[] = templates.map((t) => ({
    name: t.file,
    content: `${JSON.stringify(t.body, null, 2)}\n`,
  }));
  files.push({ name: `${stack}-runbook.md`, content: runbookText(stack, runbook, manual) });
  return { stack, format, files, manual, runbook };
}

/** One configuration, `<stack>.tf.json`, each account through its provider alias and the config's role. */
function terraformExport(input: PlanInput, resources: Resource[]): ExportResult {
  const { config } = input;
  const stack = config.name;
  const roles = configRoles(config);
  const tf = terraformConfig(stack, resources, (a) => roles[a]);
  const file = `${stack}.tf.json`;
  const manual: ManualStep[] = tf.commands.map((c) => ({ file, ...c }));
  return {
    stack,
    format: 'terraform',
    files: [
      { name: file, content: `${JSON.stringify(tf.config, null, 2)}\n` },
      { name: `${stack}-terraform.md`, content: terraformText(stack, file, tf.commands) },
    ],
    manual,
    runbook: [{ deploy: file }],
  };
}

export async function exportStack(
  configFile: string,
  format: ExportFormat,
  global: Pick<StackOptions, 'region' | 'profile' | 'reporter' | 'configFor'> = {},
): Promise<ExportResult> {
  return exportOf(await planInputOf(configFile, global), format);
}
