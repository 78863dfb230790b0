import { AsyncLocalStorage } from 'node:async_hooks';

/** The graph walk's `idle`: runs a wait without holding one of its parallelism slots. */
export type Idle = <T>(fn: () => Promise<T>) => Promise<T>;

const scope = new AsyncLocalStorage<{ idle: Idle; idling: boolean; id?: string }>();

/**
 * Runs a node's work so that waits deep inside it (a rate limiter's token, in the SDK middleware,
 * far from the walk) can give the node's slot away through `waitIdle`; `id` (the step's resource)
 * names the calls it makes in `aws-call` events.
 */
export function withIdle<T>(idle: Idle, work: () => Promise<T>, id?: string): Promise<T> {
  return scope.run({ idle, idling: false, ...(id === undefined ? {} : { id }) }, work);
}

/** The resource whose step is making the current call, inside `withIdle`. */
export function currentStepId(): string | undefined {
  return scope.getStore()?.id;
}

/** A wait that holds no walk slot inside `withIdle` (and runs as is outside it, or when nested). */
export function waitIdle<T>(fn: () => Promise<T>): Promise<T> {
  const s = scope.getStore();
  if (!s || s.idling) return fn();
  return s.idle(() => scope.run({ ...s, idling: true }, fn));
}

/** Runs `fn` outside any node's scope: work shared by several nodes (a batch) gives no slot away. */
export function outsideNodes<T>(fn: () => Promise<T>): Promise<T> {
  return scope.exit(fn);
}
