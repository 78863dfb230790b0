import assert from 'node:assert/strict';
import { ClientPool } from '../../src/aws/clients.js';
import { compareProps } from '../../src/plan/diff.js';
import type { HandlerCtx, Known, Observed } from '../../src/executor/types.js';
import type { Kind, Resource, ResourceOf } from '../../src/plan/resource.js';
import { clientConfigFor, type AwsTwin } from '../testbed/aws/twin.js';

/**
 * A HandlerCtx over the AWS twin for handler tests: real SDK clients (through the project's
 * ClientPool and rate limiter) acting in any account, and a small in-memory "state" that
 * `ref` and `idOf` read, filled with `remember` as a test makes resources.
 */
export class TestCtx {
  readonly pool: ClientPool;
  readonly known = new Map<string, Known>();
  readonly messages: string[] = [];

  constructor(
    readonly twin: Pick<AwsTwin, 'endpoint' | 'region'>,
    readonly stack = 'teststack',
  ) {
    this.pool = new ClientPool({
      roleArns: {},
      maxAttempts: 3,
      configFor: (account) => clientConfigFor(twin, account),
    });
  }

  /** The ctx a handler gets for a resource in `account`. */
  ctx(account: string, region = this.twin.region, wait = { intervalMs: 50, timeoutMs: 10_000 }): HandlerCtx {
    return {
      stack: this.stack,
      aws: this.pool.for(account, region),
      awsFor: (a, r) => this.pool.for(a, r),
      ref: (id) => {
        const k = this.known.get(id);
        if (!k || k.physicalId === undefined) throw new Error(`test ctx: ${id} not made`);
        return k;
      },
      idOf: (physicalId) => [...this.known.values()].find((k) => k.physicalId === physicalId)?.id,
      wait,
      log: (m) => void this.messages.push(m),
    };
  }

  /** Records what a handler made, as the executor writes it to state. */
  remember(r: Pick<Resource, 'id' | 'kind' | 'account' | 'region'>, o: Observed): Known {
    const k = knownOf(r, o);
    this.known.set(r.id, k);
    return k;
  }

  /** Records a resource made outside the handlers (e.g. by scenario seeding) under a logical id. */
  pretend(
    id: string,
    kind: Resource['kind'],
    account: string,
    physicalId: string,
    outputs: Known['outputs'] = {},
  ): Known {
    const k: Known = { id, kind, account, region: this.twin.region, physicalId, props: {}, outputs };
    this.known.set(id, k);
    return k;
  }

  destroy(): void {
    this.pool.destroy();
  }
}

/** A read-back must compare `noop` against the desired props: the diff would otherwise never settle. */
export function assertNoop<K extends Kind>(desired: ResourceOf<K>, o: Observed<K> | undefined): asserts o {
  assert.ok(o, `${desired.id} exists`);
  const cmp = compareProps(
    desired.kind,
    desired.props as Record<string, unknown>,
    o.props as Record<string, unknown>,
  );
  assert.deepEqual(
    cmp,
    { action: 'noop', changed: [] },
    JSON.stringify({ desired: desired.props, actual: o.props }),
  );
}

/** The state entry the executor would write for what a handler returned. */
export function knownOf<K extends Kind>(
  r: Pick<ResourceOf<K>, 'id' | 'kind' | 'account' | 'region'>,
  o: Observed<K>,
): Known {
  return {
    id: r.id,
    kind: r.kind,
    account: r.account,
    region: r.region,
    physicalId: o.physicalId,
    props: o.props as Record<string, unknown>,
    outputs: o.outputs,
  };
}
