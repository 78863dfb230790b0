import type { Kind } from '../kinds/index.js';

/** Values other resources need from a made resource (e.g. an NLB's ARN and DNS name). */
export type Outputs = Record<string, string | string[] | number | boolean>;

/**
 * `ready`: made and usable. `tainted`: a create (or replace) failed after AWS had made something;
 * the next plan replaces it (Terraform's taint), rather than trusting a half-made resource.
 */
export type InstanceStatus = 'ready' | 'tainted';

/**
 * The one description of a resource that exists: what refresh finds, what the diff compares the
 * desired resources with, what the engine and handlers act on and what the state file stores.
 * `props` are in the planner's shape (references as logical ids).
 */
export interface Instance<P = Record<string, unknown>> {
  id: string;
  kind: Kind;
  account: string;
  region: string;
  /** ARN or id in AWS. */
  physicalId: string;
  props: P;
  dependsOn: string[];
  outputs: Outputs;
  status: InstanceStatus;
}
