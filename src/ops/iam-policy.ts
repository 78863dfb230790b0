// `iam-policy`: the least-privilege policies of the roles the tool uses, from the stack's plan.
// With cluster.brokersFile it makes no AWS call; with cluster.arn it reads the cluster (as `plan`).
import { stackPolicies, type RolePolicy } from '../iam/policy.js';
import { probePolicies, type ProbePolicy } from '../iam/probe.js';
import { planStack } from '../planner/plan-stack.js';
import type { PlanInput } from '../planner/input.js';
import { planInputOf } from './plan-input.js';
import type { StackOptions } from './stack.js';

export interface IamPolicyReport {
  stack: string;
  /** One per account: the role the config names there (or whatever credentials act there). */
  roles: RolePolicy[];
  /** What `probe --in-vpc` needs in each consumer account, and the function's own role. */
  probe: ProbePolicy[];
}

function report(input: PlanInput): IamPolicyReport {
  const planned = planStack(input);
  return {
    stack: input.config.name,
    roles: stackPolicies({
      config: input.config,
      resources: planned.resources,
      ...(input.inventory.clusterArn !== undefined ? { clusterArn: input.inventory.clusterArn } : {}),
    }),
    probe: probePolicies(input.config),
  };
}

export async function iamPolicy(
  configFile: string,
  global: Pick<StackOptions, 'region' | 'profile' | 'reporter' | 'configFor'> = {},
): Promise<IamPolicyReport> {
  return report(await planInputOf(configFile, global));
}
