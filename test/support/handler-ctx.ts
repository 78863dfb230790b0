import assert from 'node:assert/strict';
import { ClientPool } from '../../src/aws/clients.js';
import type { AdminSource } from '../../src/kafka/admin.js';
import type { Kind } from '../../src/kinds/index.js';
import {
  compareProps,
  type Desired,
  type HandlerCtx,
  type KindDef,
  type Live,
} from '../../src/kinds/kind.js';
import type { Instance } from '../../src/state/instance.js';
import { clientConfigFor, type AwsTwin } from '../testbed/aws/twin.js';

/**
 * A HandlerCtx over the AWS twin for handler tests: real SDK clients (through the project's
 * ClientPool and rate limiter) acting in any account, and a small in-memory "state" that
 * `ref` and `idOf` read, filled with `remember` as a test makes resources.
 */
export class TestCtx {
  readonly pool: ClientPool;
  readonly known = new Map<string, Instance>();
  readonly messages: string[] = [];
  kafkaSource: AdminSource | undefined;

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
        if (!k) throw new Error(`test ctx: ${id} not made`);
        return k;
      },
      idOf: (physicalId) => [...this.known.values()].find((k) => k.physicalId === physicalId)?.id,
      wait,
      log: (m) => void this.messages.push(m),
      kafka: () =>
        this.kafkaSource === undefined
          ? Promise.reject(new Error('test ctx: no kafka source'))
          : Promise.resolve(this.kafkaSource),
    };
  }

  /** Records what a handler made, as the executor writes it to state. */
  remember<P>(
    r: Pick<Desired<P>, 'id' | 'kind' | 'account' | 'region'> & { dependsOn?: string[] },
    o: Live<P>,
  ): Instance<P> {
    const k = instanceOf(r, o);
    this.known.set(r.id, k as Instance);
    return k;
  }

  /** Records a resource made outside the handlers (e.g. by scenario seeding) under a logical id. */
  pretend(
    id: string,
    kind: Kind,
    account: string,
    physicalId: string,
    outputs: Instance['outputs'] = {},
  ): Instance {
    const k: Instance = {
      id,
      kind,
      account,
      region: this.twin.region,
      physicalId,
      props: {},
      dependsOn: [],
      outputs,
      status: 'ready',
    };
    this.known.set(id, k);
    return k;
  }

  destroy(): void {
    this.pool.destroy();
  }
}

/** A read-back must compare `noop` against the desired props: the diff would otherwise never settle. */
export function assertNoop<P>(
  def: Pick<KindDef, 'replaceOn' | 'ignored'>,
  desired: Desired<P>,
  o: Live<P> | undefined,
): asserts o {
  assert.ok(o, `${desired.id} exists`);
  const cmp = compareProps(def, desired.props as Record<string, unknown>, o.props as Record<string, unknown>);
  assert.deepEqual(cmp.changed, [], JSON.stringify({ desired: desired.props, actual: o.props }));
}

/** The state entry the executor would write for what a handler returned. */
export function instanceOf<P>(
  r: Pick<Desired<P>, 'id' | 'kind' | 'account' | 'region'> & { dependsOn?: string[] },
  o: Live<P>,
): Instance<P> {
  return {
    id: r.id,
    kind: r.kind as Kind,
    account: r.account,
    region: r.region,
    physicalId: o.physicalId,
    props: o.props,
    dependsOn: r.dependsOn ?? [],
    outputs: o.outputs,
    status: 'ready',
  };
}
