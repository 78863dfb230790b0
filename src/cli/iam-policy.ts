import { IAM_INLINE_ROLE_POLICY_MAX, IAM_MANAGED_POLICY_MAX } from '../iam/policy.js';
import { iamPolicy } from '../ops/iam-policy.js';
import type { GlobalOptions, Io } from './io.js';
import { stackOptions } from './session.js';
import { viewReporter } from './view.js';

/** `iam-policy`: each role's policy as JSON to attach; `--json` the whole report. Exit 0. */
export async function iamPolicyCommand(
  opts: { config: string; json?: boolean },
  global: GlobalOptions,
  io: Io,
): Promise<number> {
  const reporter = viewReporter(io, { json: opts.json === true, verbose: global.verbose, jsonTo: 'err' });
  const r = await iamPolicy(opts.config, stackOptions(global, reporter));
  if (opts.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const sizeNote = (size: number) =>
    size > IAM_INLINE_ROLE_POLICY_MAX
      ? `${size} characters: over IAM's ${IAM_INLINE_ROLE_POLICY_MAX} for a role's inline policies; split it into managed policies`
      : size > IAM_MANAGED_POLICY_MAX
        ? `${size} characters: fits inline (${IAM_INLINE_ROLE_POLICY_MAX}), not as one managed policy (${IAM_MANAGED_POLICY_MAX})`
        : `${size} characters`;
  for (const role of r.roles) {
    const who = role.role === 'provider' ? 'provider' : `${role.role} (${role.consumers.join(', ')})`;
    io.out(
      `# ${who}: account ${role.account}, ${role.regions.join(', ')}${role.roleArn ? `, role ${role.roleArn}` : ''}; ${sizeNote(role.size)}\n`,
    );
    io.out(`${JSON.stringify(role.policy, null, 2)}\n\n`);
  }
  for (const p of r.probe) {
    io.out(`# probe --in-vpc from ${p.consumer}: account ${p.account}; ${sizeNote(p.size)}\n`);
    io.out(`${JSON.stringify(p.policy, null, 2)}\n\n`);
    io.out(`# the probe function's own role (made by the tool) for ${p.consumer}\n`);
    io.out(`${JSON.stringify(p.functionRole, null, 2)}\n\n`);
  }
  return 0;
}
