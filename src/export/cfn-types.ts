// What a resource kind says about itself as CloudFormation (`KindDef.cloudformation`), and what it
// may ask of the template being built. Kept apart from the builder so a kind module depends on
// these types only.

/** An intrinsic value (Ref, Fn::GetAtt, Fn::Sub...) or plain JSON. */
export type CfnValue = unknown;

export interface CfnScope {
  /**
   * An attribute of another resource of the plan, by its logical id: `'Ref'` or a `Fn::GetAtt`
   * attribute, or one the target's kind names in its `attrs` (an endpoint service's ServiceName).
   * In another account's template it becomes a parameter of this one, filled from that template's
   * output.
   */
  ref(id: string, attr: string): CfnValue;
  /** A value the template cannot know (a VPC's or subnet's CIDR): a parameter of the template. */
  param(name: string, description: string): CfnValue;
  /** The same attribute as `ref`, for a command to run by hand: `<template file>:<output name>`. */
  output(id: string, attr: string): string;
}

/** One CloudFormation resource: its type and properties (CloudFormation's own names). */
export interface CfnResource {
  type: string;
  properties: Record<string, CfnValue>;
  /**
   * Attributes other resources may ask for that are not CloudFormation's own: an expression over
   * this resource's logical name (an endpoint service's ServiceName from its id).
   */
  attrs?: Record<string, (name: string) => CfnValue>;
}

/** What CloudFormation cannot do: said in the export, with the exact commands to run and to undo. */
export interface CfnManual {
  manual: {
    what: string;
    /**
     * What depends on the step in the plan must wait for it (a resource endpoint for its accepted
     * share): deployed after it, in a later template of its account if need be. Without it the
     * step runs once its own resources are deployed, and nothing waits for it.
     */
    gate?: boolean;
    apply: string;
    /** '' when there is nothing to undo (what undoes it is a stack's deletion). */
    undo: string;
  };
}

/** A kind's resource as CloudFormation: resources (one or more, named by suffix) or a manual step. */
export type CfnPiece = CfnResource | { resources: Record<string, CfnResource> } | CfnManual;

/** Tags as CloudFormation's `[{ Key, Value }]`, sorted so templates are reproducible. */
export function cfnTags(tags: Record<string, string>): Array<{ Key: string; Value: string }> {
  return Object.keys(tags)
    .sort()
    .map((Key) => ({ Key, Value: tags[Key] as string }));
}
