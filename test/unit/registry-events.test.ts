// The kind registry's invariants, and the event stream's levels and views (pure logic).
import assert from 'node:assert/strict';
import { z } from 'zod';
import { viewReporter } from '../../src/cli/view.js';
import { CollectingReporter, levelOf, type RunEvent } from '../../src/events.js';
import { KINDS, kindDef } from '../../src/kinds/index.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { brokersFor, configOf, inventoryOf, planInputOf } from '../support/fixtures.js';

const call: RunEvent = {
  type: 'aws-call',
  service: 'elbv2',
  action: 'CreateLoadBalancer',
  account: '111111111111',
  region: 'us-east-2',
  ms: 42,
  waitedMs: 0,
  attempts: 2,
};
const step: RunEvent = {
  type: 'done',
  id: 'b-1/load-balancer',
  kind: 'load-balancer',
  step: 'create',
  account: '111111111111',
  region: 'us-east-2',
  ms: 1500,
};

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), color: false },
    out,
    err,
  };
}

describe('kind registry', () => {
  it('has one definition per kind, named as its key', () => {
    assert.equal(new Set(KINDS).size, KINDS.length);
    for (const k of KINDS) assert.equal(kindDef(k).kind, k);
  });

  it('names only props its schema has in replaceOn, replaceWhen, ignored, hidden and sensitive', () => {
    for (const k of KINDS) {
      const def = kindDef(k);
      const shape = (def.props as unknown as z.ZodObject).shape as Record<string, unknown>;
      const when = Object.keys(def.replaceWhen ?? {});
      for (const list of [def.replaceOn, when, def.ignored ?? [], def.hidden ?? [], def.sensitive ?? []])
        for (const p of list) assert.ok(p in shape, `${k}: ${p} is not a prop`);
    }
  });

  it("parses every resource the planner emits with its kind's schema, for every pattern", () => {
    for (const pattern of [1, 2, 3] as const) {
      const input = planInputOf(configOf({ pattern }), inventoryOf(brokersFor([1, 2, 3])));
      const kinds = new Set<string>();
      for (const r of planStack(input).resources) {
        kinds.add(r.kind);
        const parsed = kindDef(r.kind).props.safeParse(r.props);
        assert.ok(parsed.success, `${r.id}: ${JSON.stringify(parsed.error?.issues)}`);
      }
      assert.ok(kinds.size >= (pattern === 3 ? 6 : 8), [...kinds].join(' '));
    }
  });
});

describe('event stream', () => {
  it('gives each event its level: AWS calls debug, retries warn, failures error, the rest info', () => {
    assert.equal(levelOf(call), 'debug');
    assert.equal(levelOf(step), 'info');
    assert.equal(
      levelOf({
        ...step,
        type: 'retry',
        attempt: 1,
        delayMs: 10,
        code: 'WAIT_TIMEOUT',
        error: 'x',
      } as RunEvent),
      'warn',
    );
    assert.equal(
      levelOf({ ...step, type: 'failed', code: 'CREATE_FAILED', error: 'x', tainted: false } as RunEvent),
      'error',
    );
    assert.equal(levelOf({ type: 'log', level: 'debug', message: 'm' }), 'debug');
  });

  it('human view: step lines on stdout, AWS call lines on stderr only with --verbose', () => {
    const quiet = capture();
    const r1 = viewReporter(quiet.io, { json: false, verbose: false });
    r1.emit(call);
    r1.emit(step);
    assert.deepEqual(quiet.err, []);
    assert.deepEqual(quiet.out, ['b-1/load-balancer: Creation complete after 1.5s\n']);
    const loud = capture();
    viewReporter(loud.io, { json: false, verbose: true }).emit(call);
    assert.deepEqual(loud.err, [
      'aws elbv2:CreateLoadBalancer account 111111111111 us-east-2 42 ms (2 attempts)\n',
    ]);
  });

  it('JSON view: the same events as JSON lines with level and time, on the chosen stream', () => {
    const c = capture();
    const r = viewReporter(c.io, { json: true, verbose: true, jsonTo: 'err' });
    r.emit(call);
    r.emit(step);
    assert.equal(c.out.length, 0);
    const lines = c.err.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => [l.type, l.level]),
      [
        ['aws-call', 'debug'],
        ['done', 'info'],
      ],
    );
    assert.ok(lines.every((l) => typeof l.time === 'string' && !Number.isNaN(Date.parse(l.time as string))));
    const quiet = capture();
    viewReporter(quiet.io, { json: true, verbose: false }).emit(call);
    assert.deepEqual(quiet.out, [], 'debug events only with --verbose');
  });

  it('a collecting reporter keeps every event in order', () => {
    const r = new CollectingReporter();
    r.emit(step);
    r.emit(call);
    assert.deepEqual(
      r.events.map((e) => e.type),
      ['done', 'aws-call'],
    );
  });
});
