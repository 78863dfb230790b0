// `export`: the plan's resources as infrastructure as code, for teams whose changes must go through
// CloudFormation or Terraform. With cluster.brokersFile it makes no AWS call; with cluster.arn it reads the
// cluster (as `plan`). State is not read: the export is of what the config asks for.
import { cloudFormationTemplates, type ManualStep, type RunbookStep } from '../export/cloudformation.js';
import { AWS_PROVIDER_VERSION, terraformConfig, type TfStep } from '../export/terraform.js';
import type { Resource } from '../kinds/index.js';
import type { PlanInput } from '../planner/input.js';
import { planStack } from '../planner/plan-stack.js';
import { planInputOf } from './plan-input.js';
import type { StackOptions } from './stack.js';

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
  const roles = new Map<string, string>();
  for (const c of config.consumers) if (c.roleArn !== undefined) roles.set(c.account, c.roleArn);
  if (config.provider.roleArn !== undefined) roles.set(config.provider.account, config.provider.roleArn);
  const tf = terraformConfig(stack, resources, (a) => roles.get(a));
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

function terraformText(stack: string, file: string, commands: readonly TfStep[]): string {
  const accounts = [...new Set(commands.map((c) => c.account))].sort();
  return [
    `# ${stack}: the Terraform configuration`,
    '',
    `\`${file}\` holds every account and region, each through its own \`hashicorp/aws\` provider`,
    `alias (>= ${AWS_PROVIDER_VERSION}) that assumes the config's role there. In a folder with only it:`,
    '',
    '```sh',
    'terraform init',
    'terraform plan -out tfplan',
    'terraform apply tfplan',
    '```',
    '',
    'Undo: `terraform destroy`.',
    '',
    ...(commands.length === 0
      ? []
      : [
          '## Commands Terraform runs',
          '',
          'No hashicorp/aws resource changes a cluster the configuration does not own: these run as',
          '`terraform_data` resources, with the AWS CLI and bash on the machine that runs Terraform (their',
          'undo when Terraform destroys them). Give each account its AWS CLI profile:',
          `${accounts.map((a) => `\`-var aws_cli_profile_${a}=<profile>\``).join(', ')} (empty: the CLI's default credentials).`,
          '',
          ...commands.flatMap((c) => [
            `### ${c.id} (account ${c.account}, ${c.region})`,
            '',
            c.what,
            '',
            '```sh',
            c.apply,
            '```',
            '',
            'Undo:',
            '',
            '```sh',
            c.undo,
            '```',
            '',
          ]),
        ]),
  ].join('\n');
}

/** Deploy order with the steps CloudFormation cannot take, and the undo in reverse. */
function runbookText(stack: string, runbook: readonly RunbookStep[], manual: readonly ManualStep[]): string {
  const step = new Map(manual.map((m) => [m.id, m]));
  const lines = [
    `# ${stack}: deploying the templates`,
    '',
    "In this order, each template in its own account and region. A template's parameters named",
    "after another template's outputs take those outputs' values; in a command, `<file:Output>` is",
    "that template's output.",
    '',
  ];
  const fence = (cmd: string) => ['```sh', cmd, '```', ''];
  runbook.forEach((u, k) => {
    if ('deploy' in u) {
      lines.push(`${k + 1}. Deploy \`${u.deploy}\`.`, '');
      return;
    }
    const m = step.get(u.run) as ManualStep;
    lines.push(
      `${k + 1}. In account ${m.account} (${m.region}): ${m.what} (\`${m.id}\`).`,
      '',
      ...fence(m.apply),
    );
  });
  lines.push('## Undo', '', 'In this order:', '');
  [...runbook].reverse().forEach((u, k) => {
    if ('deploy' in u) {
      lines.push(`${k + 1}. Delete the stack of \`${u.deploy}\`.`, '');
      return;
    }
    const m = step.get(u.run) as ManualStep;
    lines.push(
      ...(m.undo === ''
        ? [`${k + 1}. \`${m.id}\`: nothing to run (deleting the stacks undoes it).`, '']
        : [`${k + 1}. In account ${m.account} (${m.region}), undo \`${m.id}\`:`, '', ...fence(m.undo)]),
    );
  });
  return lines.join('\n');
}

export async function exportStack(
  configFile: string,
  format: ExportFormat,
  global: Pick<StackOptions, 'region' | 'profile' | 'reporter' | 'configFor'> = {},
): Promise<ExportResult> {
  return exportOf(await planInputOf(configFile, global), format);
}
