// The IAM vocabulary kinds use to say what they need: a statement's actions, the ARN patterns it
// may touch and its conditions, for one account and region of a stack. Pure data; the policy
// builder (policy.ts) gathers them per role.
import { TAG_STACK } from '../kinds/kind.js';

/** A condition block as IAM writes it: operator -> key -> value(s). */
export type Condition = Record<string, Record<string, string | string[]>>;

/** One Allow statement a kind needs. Statements with the same `sid` in one role are merged. */
export interface Permission {
  /** Alphanumeric, unique per scope: statements that share it merge actions and resources. */
  sid: string;
  /** IAM actions, `service:Action`, named one by one (no wildcards). */
  actions: readonly string[];
  /** ARN patterns; `*` only where the actions support no resource-level permissions. */
  resources: readonly string[];
  condition?: Condition;
}

/** Where a role acts: the values ARN patterns are built from. */
export interface PolicyScope {
  partition: string;
  region: string;
  account: string;
  stack: string;
  /** Patterns every ELB name of the stack matches (planner/names.ts elbNamePatterns). */
  elbNames: readonly string[];
  /** The MSK cluster's ARN (provider account); undefined elsewhere. */
  clusterArn?: string;
}

/** What a kind needs from IAM: describe calls (read, refresh and scan) and its changes. */
export interface KindPermissions<P> {
  /**
   * Describe, Get and List actions: planning reads every kind the stack has, and a scan (lost
   * state) runs every kind's search in every account of the stack, so these go to every role.
   */
  reads: readonly string[];
  /** The changes, scoped to what the stack makes (`props`: this kind's resources in the scope). */
  writes(scope: PolicyScope, props: readonly P[]): Permission[];
}

export function arn(s: PolicyScope, service: string, resource: string, o: { global?: boolean } = {}): string {
  return o.global
    ? `arn:${s.partition}:${service}::${s.account}:${resource}`
    : `arn:${s.partition}:${service}:${s.region}:${s.account}:${resource}`;
}

/** Only resources carrying the stack's tag (EC2, ELB, VPC Lattice and RAM support aws:ResourceTag). */
export const stackTagged = (s: PolicyScope): Condition => ({
  StringEquals: { [`aws:ResourceTag/${TAG_STACK}`]: s.stack },
});

/** Only a create that tags the new resource with the stack (aws:RequestTag, tag on create). */
export const createsTagged = (s: PolicyScope): Condition => ({
  StringEquals: { [`aws:RequestTag/${TAG_STACK}`]: s.stack },
});

/**
 * EC2's tag on create: CreateTags is authorized for the create actions that carry TagSpecifications
 * (EC2 user guide, "Grant permission to tag Amazon EC2 resources during creation": ec2:CreateAction).
 */
export function ec2TagOnCreate(s: PolicyScope, createActions: readonly string[]): Permission {
  return {
    sid: 'Ec2TagOnCreate',
    actions: ['ec2:CreateTags'],
    resources: [arn(s, 'ec2', '*/*')],
    condition: { StringEquals: { 'ec2:CreateAction': createActions.map((a) => a.replace(/^ec2:/, '')) } },
  };
}

/** EC2 changes to resources the stack made and tagged. */
export function ec2StackTagged(s: PolicyScope, actions: readonly string[]): Permission {
  return { sid: 'Ec2StackResources', actions, resources: ['*'], condition: stackTagged(s) };
}

/** EC2 creates that must tag the new resource with the stack. */
export function ec2CreatesTagged(s: PolicyScope, actions: readonly string[]): Permission {
  return { sid: 'Ec2CreateTagged', actions, resources: ['*'], condition: createsTagged(s) };
}

/**
 * An EC2 resource the stack makes and tags: its create only with the stack's tag on the request,
 * tagging on create for that create, and its changes (tags included) only while it carries the tag.
 */
export function ec2StackResource(s: PolicyScope, create: string, changes: readonly string[]): Permission[] {
  return [
    ec2CreatesTagged(s, [create]),
    ec2TagOnCreate(s, [create]),
    ec2StackTagged(s, [...changes, 'ec2:CreateTags', 'ec2:DeleteTags']),
  ];
}
