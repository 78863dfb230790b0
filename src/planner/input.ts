import type { Config, Inventory, SubnetRef } from '../config/schema.js';
import { InputError } from '../errors.js';
import type { Instance } from '../state/instance.js';

export interface Subnet {
  id: string;
  azId: string;
}

/** Everything the planner needs, with every subnet's AZ ID known. Built offline or by discovery. */
export interface PlanInput {
  config: Config;
  /** The config's path, for messages that name a field. */
  configFile: string;
  inventory: Inventory;
  providerSubnets: Subnet[];
  /** Consumer name -> its subnets, in config order. */
  consumerSubnets: Record<string, Subnet[]>;
  prior: PriorState;
  /** What `monitor` reads from files (plan/inputs.ts loadMonitor); present when the config has monitor. */
  monitor?: MonitorFiles;
}

export interface MonitorFiles {
  /** The probe bundle's CodeSha256 (base64 SHA-256 of dist/probe-lambda.zip). */
  codeSha256: string;
  /** monitor.caFile's text. */
  ca?: string;
}

/** What the planner reads from state: only what must stay stable across runs. */
export interface PriorState {
  /** `<brokerId>/<listenerType>` -> advertised port; never pruned, so a port is never reused. */
  portAssignments: Record<string, number>;
  /**
   * Logical ids of load balancers that exist without a security group (made by versions before
   * the NLBs had one). AWS cannot add a group to such an NLB, and replacing it would replace its
   * endpoint service and every consumer endpoint: the planner keeps them as they are. Absent or
   * empty: none known (an offline plan shows every NLB with its group).
   */
  loadBalancersWithoutGroups?: readonly string[];
}

export const EMPTY_PRIOR: PriorState = { portAssignments: {} };

/**
 * The load balancers among `instances` (state entries, or what a scan found) that have no security
 * group: `props.securityGroups` missing (state written before the prop existed) or empty. Sorted.
 * A tainted one is left out: it is replaced anyway, so the new one can have its group.
 */
export function loadBalancersWithoutGroups(
  instances: Iterable<Pick<Instance, 'id' | 'kind' | 'props'> & Partial<Pick<Instance, 'status'>>>,
): string[] {
  const out = new Set<string>();
  for (const i of instances) {
    if (i.kind !== 'load-balancer' || i.status === 'tainted') continue;
    const groups: unknown = i.props.securityGroups;
    if (!Array.isArray(groups) || groups.length === 0) out.add(i.id);
  }
  return [...out].sort();
}

/**
 * The state's list (`known`) brought up to what a scan found (AWS is the truth): an NLB found with
 * groups leaves it, one found without joins it (a lost state). An NLB the scan did not find stays
 * as the state has it. Sorted.
 */
export function withFoundLoadBalancers(
  known: readonly string[] | undefined,
  found: Iterable<Pick<Instance, 'id' | 'kind' | 'props'>>,
): string[] {
  const all = [...found];
  const bare = new Set(loadBalancersWithoutGroups(all));
  const grouped = new Set(all.filter((i) => i.kind === 'load-balancer' && !bare.has(i.id)).map((i) => i.id));
  return [...new Set([...(known ?? []).filter((id) => !grouped.has(id)), ...bare])].sort();
}

/** AZ IDs the tool already knows: from the inventory's brokers and subnets. */
export function knownAzIds(inventory: Inventory): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of inventory.subnets ?? []) m.set(s.id, s.azId);
  for (const b of inventory.brokers) m.set(b.subnetId, b.availabilityZoneId);
  return m;
}

/**
 * Resolves every subnet to its AZ ID from what the config and inventory carry, calling `lookup`
 * (EC2 DescribeSubnets when online) for the rest. Offline, `lookup` is absent and a bare id is an error.
 */
export function resolveSubnets(
  config: Config,
  inventory: Inventory,
  configFile: string,
  lookup?: Map<string, string>,
): { providerSubnets: Subnet[]; consumerSubnets: Record<string, Subnet[]> } {
  const known = knownAzIds(inventory);
  const resolve = (ref: SubnetRef, where: string): Subnet => {
    if (typeof ref !== 'string') return { id: ref.id, azId: ref.azId };
    const azId = known.get(ref) ?? lookup?.get(ref);
    if (azId === undefined) {
      throw new InputError(
        `${configFile}: ${where}`,
        `subnet ${ref} has no AZ ID: write it as { id: ${ref}, azId: <AZ ID> } (required with --offline)`,
      );
    }
    return { id: ref, azId };
  };
  const providerSubnets = config.provider.subnets
    ? config.provider.subnets.map((s, i) => resolve(s, `provider.subnets[${i}]`))
    : dedupe(inventory.brokers.map((b) => ({ id: b.subnetId, azId: b.availabilityZoneId })));
  const consumerSubnets: Record<string, Subnet[]> = {};
  config.consumers.forEach((c, ci) => {
    consumerSubnets[c.name] = c.subnets.map((s, si) => resolve(s, `consumers[${ci}].subnets[${si}]`));
  });
  return { providerSubnets, consumerSubnets };
}

function dedupe(subnets: Subnet[]): Subnet[] {
  const seen = new Map<string, Subnet>();
  for (const s of subnets) if (!seen.has(s.id)) seen.set(s.id, s);
  return [...seen.values()];
}

/** Bare subnet ids the config names that neither the config nor the inventory maps to an AZ ID. */
export function unresolvedSubnetIds(config: Config, inventory: Inventory): string[] {
  const known = knownAzIds(inventory);
  const refs = [...(config.provider.subnets ?? []), ...config.consumers.flatMap((c) => c.subnets)];
  return [...new Set(refs.filter((r): r is string => typeof r === 'string' && !known.has(r)))];
}
