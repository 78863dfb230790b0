// What a resource kind says about itself as Terraform (`KindDef.terraform`, hashicorp/aws), and
// what it may ask of the configuration being built. Kept apart from the builder so a kind module
// depends on these types only.

/** An expression placeholder or plain JSON. */
export type TfValue = unknown;

export interface TfScope {
  /**
   * An attribute of another resource of the plan (its main Terraform resource), by Terraform's
   * attribute name or path: `arn`, `id`, `dns_entry[0].dns_name`. Accounts do not matter: one
   * configuration holds them all.
   */
  ref(id: string, attr: string): TfValue;
  /** An attribute of a data source read in the resource's account and region (a VPC's CIDR). */
  data(type: string, args: Record<string, TfValue>, attr: string): TfValue;
  /** The `each.value` of a resource made once per element of `forEach`. */
  each(): TfValue;
}

/** One Terraform resource: its type and arguments (Terraform's own names; blocks as lists). */
export interface TfResource {
  type: string;
  args: Record<string, TfValue>;
  /** One resource per element of this list of strings (`for_each`, as a set): `x.each()` is one. */
  forEach?: TfValue;
}

/**
 * What no hashicorp/aws resource does (a change to a cluster the configuration does not own): a
 * `terraform_data` resource that runs the AWS CLI command when made and its undo when destroyed.
 */
export interface TfCommand {
  command: { what: string; apply: string; undo: string };
}

/** A kind's resource as Terraform: the main resource `''` and others by suffix, or a command. */
export type TfPiece = TfResource | { resources: Record<string, TfResource> } | TfCommand;
