// The human part of an export: the CloudFormation runbook (deploy order, the steps a template
// cannot take, the undo in reverse) and how to apply the Terraform configuration.
import type { ManualStep, RunbookStep } from './cloudformation.js';
import { AWS_PROVIDER_VERSION, type TfStep } from './terraform.js';

export function terraformText(stack: string, file: string, commands: readonly TfStep[]): string {
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
export function runbookText(
  stack: string,
  runbook: readonly RunbookStep[],
  manual: readonly ManualStep[],
): string {
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
