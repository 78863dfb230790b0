import type { AccountClients } from '../aws/clients.js';
import type { Kind, LogicalId, PropsOf, ResourceOf } from '../plan/resource.js';

/** Values other resources need from a made resource (e.g. an NLB's ARN and DNS name). */
export type Outputs = Record<string, string | string[] | number | boolean>;

/** A resource as it exists in AWS, with props in the planner's shape (references as logical ids). */
export interface Observed<K extends Kind = Kind> {
  id: LogicalId;
  kind: K;
  physicalId: string;
  props: PropsOf<K>;
  outputs: Outputs;
}

/** What the executor knows of a made resource: its entry in state. */
export interface Known {
  id: LogicalId;
  kind: Kind;
  account: string;
  region: string;
  physicalId?: string | undefined;
  props: Record<string, unknown>;
  outputs: Outputs;
}

/** Polling for provisioning (NLB active, endpoint available, Route 53 INSYNC). */
export interface WaitOptions {
  intervalMs: number;
  timeoutMs: number;
}

export interface HandlerCtx {
  stack: string;
  /** Clients acting in the resource's own account and region. */
  aws: AccountClients;
  /** Clients for another account (e.g. a provider-side lookup of a consumer endpoint). */
  awsFor(account: string, region: string): AccountClients;
  /** A dependency that is already made: its physical id and outputs. Throws when it is not. */
  ref(id: LogicalId): Known;
  /** The logical id of a physical id this stack made, if any (to express observed props as logical ids). */
  idOf(physicalId: string): LogicalId | undefined;
  wait: WaitOptions;
  log(message: string): void;
}

/**
 * One handler per resource kind: the only code that calls AWS for that kind.
 * `read` finds the resource by the physical id in state, else by its deterministic name and tags
 * (so a run killed after a create adopts what it made), and answers undefined when it is gone.
 */
export interface Handler<K extends Kind> {
  read(
    ctx: HandlerCtx,
    desired: ResourceOf<K> | undefined,
    known: Known | undefined,
  ): Promise<Observed<K> | undefined>;
  create(ctx: HandlerCtx, r: ResourceOf<K>): Promise<Observed<K>>;
  update?(ctx: HandlerCtx, r: ResourceOf<K>, before: Observed<K>): Promise<Observed<K>>;
  delete(ctx: HandlerCtx, known: Known): Promise<void>;
}

export type HandlerMap = { [K in Kind]: Handler<K> };
