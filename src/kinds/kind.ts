// What every resource kind declares, and the generic handler skeleton most kinds are built on.
// A kind module is one `defineKind({...})`: its props schema, the props that force a replace and
// those never compared, how a change is labelled, and its handler (the only code that calls AWS
// for it). The registry (index.ts) lists them; diff, render, refresh, the engine and cost read it.
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import type { AccountClients } from '../aws/clients.js';
import { awsFailure, classify } from '../aws/errors.js';
import { MplError, type ErrorCode } from '../errors.js';
import type { AdminSource } from '../kafka/admin.js';
import type { Instance, Outputs } from '../state/instance.js';
import type { Kind } from './index.js';
import type { AwsTimings } from '../aws/timings.js';
import type { ReadBatch } from '../aws/read-batch.js';
import type { StepName } from '../events.js';
import type { KindPermissions } from '../iam/scope.js';
import type { CfnPiece, CfnScope } from '../export/cfn-types.js';
import type { TfPiece, TfScope } from '../export/tf-types.js';

/** Tag keys every taggable resource carries, so a crashed run (or a lost state) finds what it made. */
export const TAG_STACK = 'msk-privatelink:stack';
export const TAG_ID = 'msk-privatelink:id';

/** A desired resource of one kind, as the planner emits it (references are logical ids). */
export interface Desired<P> {
  kind: string;
  id: string;
  account: string;
  region: string;
  props: P;
  dependsOn: string[];
}

/** What a handler finds in (or makes in) AWS: the physical id, props in the planner's shape, outputs. */
export interface Live<P> {
  physicalId: string;
  props: P;
  outputs: Outputs;
  /**
   * It exists but will never work again (a rejected or failed VPC endpoint): the plan replaces it
   * (it reads as tainted), and destroy deletes it, rather than leave it behind as if it were gone.
   */
  unusable?: boolean;
}

/** Polling for provisioning (NLB active, endpoint available, Route 53 INSYNC). */
export interface WaitOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Runs a pause without holding the engine's parallelism (set per step by the engine). */
  idle?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export type LogLevel = 'info' | 'debug';

export interface HandlerCtx {
  stack: string;
  /** Clients acting in the resource's own account and region. */
  aws: AccountClients;
  /** Clients for another account (e.g. a provider-side lookup of a consumer endpoint). */
  awsFor(account: string, region: string): AccountClients;
  /** A dependency that is already made. Throws REF_MISSING when it is not. */
  ref(id: string): Instance;
  /** The logical id of a physical id this stack made, if any (to express observed props as logical ids). */
  idOf(physicalId: string): string | undefined;
  wait: WaitOptions;
  log(message: string, level?: LogLevel): void;
  /** How to reach the brokers' admin API (pattern 2's broker settings); prepared on first use. */
  kafka(): Promise<AdminSource>;
  /**
   * Waits until the run's other steps sharing this step's gather key (KindDef.gatherKey) are ready
   * too, so their changes go out in one batch, then runs `then` (all of them in the same turn, none
   * holding a slot: a merged call, aws/merge.ts); absent outside the engine.
   */
  gather?<T>(then: () => Promise<T>): Promise<T>;
  /**
   * Present during a plan's scan and refresh only (they change nothing, so answers stay true):
   * describe calls that take many ids go through `batch` with the physical ids in state of
   * `peers(kinds)` (ctx's account and region) asked in the same call, and what a scan's listing
   * answered is not asked again (aws/read-batch.ts, kinds/shared/batched.ts).
   */
  reads?: { batch: ReadBatch; peers(kinds: readonly Kind[]): readonly string[] };
}

export interface Handler<P> {
  /**
   * Finds the resource by the physical id in state, else by its deterministic identity (name,
   * tags or client token), so a run killed after a create adopts what it made; undefined when gone.
   */
  read(
    ctx: HandlerCtx,
    desired: Desired<P> | undefined,
    known: Instance<P> | undefined,
  ): Promise<Live<P> | undefined>;
  create(ctx: HandlerCtx, r: Desired<P>): Promise<Live<P>>;
  update?(ctx: HandlerCtx, r: Desired<P>, before: Live<P>): Promise<Live<P>>;
  delete(ctx: HandlerCtx, known: Instance<P>): Promise<void>;
}

/** A change of one kind as a preflight sees it: checked before any AWS change is made. */
export interface PreflightItem<P> {
  action: 'create' | 'update' | 'replace' | 'delete';
  props: P;
}

/** Meters the cost estimator prices (AWS pricing pages for Elastic Load Balancing, PrivateLink, Route 53). */
export type BilledMeter = 'nlb-hours' | 'endpoint-az-hours' | 'resource-endpoint-az-hours' | 'hosted-zones';

export interface KindDef<S extends z.ZodType = z.ZodType> {
  kind: string;
  /** The props schema: what the planner emits and the plan file and state carry. */
  props: S;
  /** Props AWS cannot change in place (from each API's Modify/Set calls): a change replaces. */
  replaceOn: readonly string[];
  /**
   * Props AWS can change in place except for some changes: a change replaces when the prop's
   * function answers true for (desired, actual) values (an NLB's security groups: between none and
   * some, while one list of groups can replace another in place).
   */
  replaceWhen?: Readonly<Record<string, (desired: unknown, actual: unknown) => boolean>>;
  /** Props that are inputs to a create call, never kept by AWS: never a reason to change. */
  ignored?: readonly string[];
  /** Props a rendered diff leaves out (tags, tokens): they are in the JSON. */
  hidden?: readonly string[];
  /**
   * Props whose values are secret: the plan JSON and the rendered diff print `"(sensitive)"`
   * (keys like password, secret or private key are redacted at any depth whatever the kind).
   */
  sensitive?: readonly string[];
  /** A dependent whose target is made again is updated (repointed), not replaced (DNS alias records). */
  repointsOnReplace?: boolean;
  /**
   * What AWS bills for one resource of this kind while it runs (the cost estimator sums it):
   * an NLB hour, an endpoint's hour per AZ, a hosted zone's month. Absent: no charge of its own.
   */
  billing?(props: z.infer<S>): { meter: BilledMeter; quantity: number };
  /**
   * What a step of this kind waits for in AWS after its calls (an NLB provisioning, a Route 53
   * change going INSYNC), in AWS's typical time: the lower bound of an apply sums these along the
   * plan's longest path (plan/lower-bound.ts). Absent: the step only makes its calls.
   */
  waits?: Partial<Record<StepName, (t: AwsTimings, props: z.infer<S>) => number>>;
  /**
   * Create and update steps of this kind with the same key go out to AWS together (executor/gather.ts):
   * a record's zone, whose changes are one Route 53 change batch and one INSYNC wait.
   */
  gatherKey?(props: z.infer<S>, account: string): string;
  /**
   * What IAM must allow for this kind: its describe calls and its scoped changes (`iam-policy`
   * prints them; the twin's IAM enforcement checks apply and destroy against them).
   */
  iam: KindPermissions<z.infer<S>>;
  /** A short human label of one resource ("target group mpl-pay-b1-tls"). */
  label(props: Partial<z.infer<S>>): string;
  handler: Handler<z.infer<S>>;
  /**
   * The resource as CloudFormation (`export --format cloudformation`): the same names, settings and
   * tags the handler makes, or a manual step with its commands when CloudFormation cannot do it.
   * Absent: the kind cannot be exported yet (the export says so).
   */
  cloudformation?(
    props: z.infer<S>,
    x: CfnScope,
    r: { id: string; account: string; region: string },
  ): CfnPiece;
  /**
   * The resource as Terraform JSON (`export --format terraform`, hashicorp/aws): the same names,
   * settings and tags, or a command run by `terraform_data` when no resource can do it. Absent,
   * or throwing EXPORT_UNSUPPORTED with the reason: the kind cannot be exported as Terraform.
   */
  terraform?(props: z.infer<S>, x: TfScope, r: { id: string; account: string; region: string }): TfPiece;
  /** Checks what a plan would change, before any AWS change (pattern 2: Kafka accepts the listeners). */
  preflight?(ctx: HandlerCtx, items: Array<PreflightItem<z.infer<S>>>): Promise<void>;
  /**
   * Every resource of this kind the stack (`ctx.stack`) made in ctx's account and region, found
   * without state (a lost state file): by the stack tag, or through parents already in `found`
   * (every account's; `ctx.ref` and `ctx.idOf` answer from it too). The logical id comes from the
   * TAG_ID tag or is built with planner/ids.ts from the parent's id; `live` is what `handler.read`
   * would answer for it; `dependsOn` the found resources it refers to. Absent: nothing of the kind
   * is kept in AWS (broker settings live in Kafka).
   */
  scan?(
    ctx: HandlerCtx,
    found: ReadonlyMap<string, Instance>,
  ): Promise<Array<{ id: string; live: Live<z.infer<S>>; dependsOn?: string[] }>>;
  /** The kinds `scan` reads from `found` (its parents, the kinds its props refer to): scanned before it. */
  scanAfter?: readonly Kind[];
}

/** Declares a kind; the identity function keeps the schema's type for the registry. */
export function defineKind<S extends z.ZodType>(def: KindDef<S> & { props: S }): KindDef<S> {
  return def;
}

/**
 * Refuses to adopt a resource found by name or tags that carries another stack's (or another
 * logical id's) tags: deterministic names make this unlikely, and taking it over would be worse.
 */
export function checkOwner(
  ctx: HandlerCtx,
  id: string,
  what: string,
  tags: Record<string, string> | undefined,
): void {
  const stack = tags?.[TAG_STACK];
  const owner = tags?.[TAG_ID];
  if ((stack !== undefined && stack !== ctx.stack) || (owner !== undefined && owner !== id)) {
    throw new MplError(
      'NAME_TAKEN',
      `${what} exists but belongs to ${stack ?? '?'}/${owner ?? '?'}, not ${ctx.stack}/${id}; rename the stack or remove it`,
    );
  }
}

/** True when the tags name this stack and logical id (a resource found by tags alone). */
export function ownedBy(ctx: HandlerCtx, id: string, tags: Record<string, string> | undefined): boolean {
  return tags?.[TAG_STACK] === ctx.stack && tags[TAG_ID] === id;
}

/** Keys added or changed, and keys removed, to go from `actual` tags to `desired` tags. */
export function tagChanges(
  desired: Record<string, string>,
  actual: Record<string, string>,
): { set: Record<string, string>; remove: string[] } {
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(desired)) if (actual[k] !== v) set[k] = v;
  const remove = Object.keys(actual)
    .filter((k) => !(k in desired))
    .sort();
  return { set, remove };
}

/** How one API family reads and writes a resource's tags (EC2, ELBv2, Route 53, SSM). */
export interface TagApi {
  read(ctx: HandlerCtx, physicalId: string): Promise<Record<string, string>>;
  write(ctx: HandlerCtx, physicalId: string, set: Record<string, string>, remove: string[]): Promise<void>;
}

/** The kind-specific half of a handler; `resourceHandler` adds the rest. */
export interface ResourceOps<P, L> {
  /** For messages: "target group mpl-pay-b1-tls". */
  label(props: Partial<P>): string;
  /** By physical id. A NotFound answer is read as gone by the skeleton. */
  byId(ctx: HandlerCtx, physicalId: string, props: Partial<P>): Promise<L | undefined>;
  /** By deterministic identity (name, tags or client token), for a resource not in state. */
  byIdentity?(ctx: HandlerCtx, id: string, props: Partial<P>): Promise<L | undefined>;
  /** A found resource that no longer serves (a failed NLB, a deleted endpoint) reads as gone. */
  isGone?(l: L): boolean;
  physicalIdOf(l: L): string;
  /** Props in the planner's shape (lists in the desired order where AWS answers unordered) and outputs. */
  observe(ctx: HandlerCtx, l: L, like: Partial<P> | undefined): Promise<Live<P>>;
  /** The create call(s): what was made, or adopted when AWS answers a repeated create with it (undefined: AWS answered nothing). */
  create(ctx: HandlerCtx, r: Desired<P>): Promise<L | undefined>;
  /**
   * Settings made right after the create and the owner check (targets, attributes, rules), so a
   * create that adopted another stack's resource is refused before anything on it changes.
   */
  configure?(ctx: HandlerCtx, r: Desired<P>, l: L): Promise<void>;
  /** Waits until usable (an NLB active, an endpoint available) and answers the fresh description. */
  ready?(ctx: HandlerCtx, l: L, what: string): Promise<L>;
  /** In-place changes other than tags; absent: only tags change in place. */
  update?(ctx: HandlerCtx, r: Desired<P>, before: Live<P>): Promise<void>;
  /** The delete call(s). NotFound is success; an in-use answer gets `inUseHint`. */
  remove(ctx: HandlerCtx, physicalId: string, props: Partial<P>, id: string): Promise<void>;
  inUseHint?: string;
  /** Present for kinds whose props carry `tags`. */
  tags?: TagApi;
}

type Tagged = { tags?: Record<string, string> };

/** Runs an AWS call; a NotFound answer is `undefined`, any other failure is classified. */
export async function orGone<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (classify(e) === 'not-found') return undefined;
    throw awsFailure('READ_FAILED', what, e);
  }
}

/** Runs an AWS call, turning a failure into `code` with the resource named. */
export async function attempt<T>(
  code: ErrorCode,
  what: string,
  call: () => Promise<T>,
  hint?: string | ((e: unknown) => string | undefined),
): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw awsFailure(code, what, e, typeof hint === 'function' ? hint(e) : hint);
  }
}

/**
 * The handler skeleton: read finds by id, else by identity, and checks the owner of what it adopts;
 * create makes (or adopts), checks the owner, makes the tags exact, waits until ready and re-reads;
 * update applies the kind's in-place changes and the tags, and re-reads; delete treats NotFound
 * as done and explains an in-use answer. A kind module writes only what is special to it.
 */
export function resourceHandler<P extends object, L>(ops: ResourceOps<P, L>): Handler<P> {
  // Kinds without tags (schedules) have no `tags` prop; the weak type would refuse them.
  const tagsOf = (p: P): Record<string, string> | undefined => (p as Tagged).tags;
  const find = async (
    ctx: HandlerCtx,
    physicalId: string | undefined,
    id: string,
    props: Partial<P>,
  ): Promise<L | undefined> => {
    const what = ops.label(props);
    const l =
      physicalId !== undefined
        ? await orGone(what, () => ops.byId(ctx, physicalId, props))
        : ops.byIdentity
          ? await orGone(what, () => (ops.byIdentity as NonNullable<typeof ops.byIdentity>)(ctx, id, props))
          : undefined;
    return l === undefined || ops.isGone?.(l) ? undefined : l;
  };

  const syncTags = async (
    ctx: HandlerCtx,
    physicalId: string,
    desired: P,
    actual: Record<string, string>,
  ) => {
    const wanted = tagsOf(desired);
    if (!ops.tags || wanted === undefined) return;
    const { set, remove } = tagChanges(wanted, actual);
    if (Object.keys(set).length === 0 && remove.length === 0) return;
    const what = `${ops.label(desired)}: tags`;
    await attempt('TAGGING_FAILED', what, () => (ops.tags as TagApi).write(ctx, physicalId, set, remove));
  };

  return {
    async read(ctx, desired, known) {
      const id = desired?.id ?? known?.id;
      if (id === undefined) throw new MplError('INTERNAL', 'read needs a desired resource or a state entry');
      const props: Partial<P> = desired?.props ?? known?.props ?? {};
      const l = await find(ctx, known?.physicalId, id, props);
      if (l === undefined) return undefined;
      const live = await ops.observe(ctx, l, props);
      if (known === undefined) checkOwner(ctx, id, ops.label(props), tagsOf(live.props));
      return live;
    },

    async create(ctx, r) {
      const what = `${ops.label(r.props)} (${r.id})`;
      const made = await attempt('CREATE_FAILED', what, () => ops.create(ctx, r));
      const physicalId = made === undefined ? '' : ops.physicalIdOf(made);
      if (made === undefined || physicalId === '')
        throw new MplError('CREATE_FAILED', `${what}: the create call answered no resource id`);
      let l: L = made;
      if (ops.tags) {
        const actual = await attempt('READ_FAILED', what, () => (ops.tags as TagApi).read(ctx, physicalId));
        checkOwner(ctx, r.id, what, actual);
        await syncTags(ctx, physicalId, r.props, actual);
      }
      const configure = ops.configure;
      if (configure) await attempt('CREATE_FAILED', what, () => configure(ctx, r, l));
      // Answer what AWS holds now (tags and settings just written), not the create call's answer.
      if (ops.ready) l = await ops.ready(ctx, l, what);
      else if (ops.tags || configure) l = (await find(ctx, physicalId, r.id, r.props)) ?? l;
      return ops.observe(ctx, l, r.props);
    },

    async update(ctx, r, before) {
      const what = `${ops.label(r.props)} (${r.id})`;
      const change = ops.update;
      if (change) await attempt('UPDATE_FAILED', what, () => change(ctx, r, before));
      await syncTags(ctx, before.physicalId, r.props, tagsOf(before.props) ?? {});
      let l: L | undefined = await find(ctx, before.physicalId, r.id, r.props);
      if (l === undefined) throw new MplError('RESOURCE_GONE', `${what}: gone during the update`);
      if (ops.ready) l = await ops.ready(ctx, l, what);
      return ops.observe(ctx, l, r.props);
    },

    async delete(ctx, known) {
      const what = `${ops.label(known.props)} (${known.id})`;
      try {
        await ops.remove(ctx, known.physicalId, known.props, known.id);
      } catch (e) {
        if (e instanceof MplError) throw e;
        const cls = classify(e);
        if (cls === 'not-found') return;
        if (cls === 'in-use') throw awsFailure('RESOURCE_IN_USE', what, e, ops.inUseHint);
        throw awsFailure('DELETE_FAILED', what, e);
      }
    },
  };
}

/**
 * Desired props against actual props of one kind: noop, an in-place update, or a replace when a
 * prop in the kind's `replaceOn` differs (or one in `replaceWhen` differs the way it names).
 * `ignored` props never count.
 */
export function compareProps(
  def: Pick<KindDef, 'replaceOn' | 'ignored'> & Partial<Pick<KindDef, 'replaceWhen'>>,
  desired: Record<string, unknown>,
  actual: Record<string, unknown>,
): { action: 'noop' | 'update' | 'replace'; changed: string[]; forcing: string[] } {
  const ignored = new Set(def.ignored ?? []);
  const keys = new Set([...Object.keys(desired), ...Object.keys(actual)]);
  const changed = [...keys]
    .filter((k) => !ignored.has(k) && !isDeepStrictEqual(desired[k], actual[k]))
    .sort();
  const forcing = changed.filter(
    (k) => def.replaceOn.includes(k) || def.replaceWhen?.[k]?.(desired[k], actual[k]) === true,
  );
  const action = changed.length === 0 ? 'noop' : forcing.length > 0 ? 'replace' : 'update';
  return { action, changed, forcing };
}
