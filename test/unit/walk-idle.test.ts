// The graph walker's slots: a node waiting (inside control.idle) holds none, so other nodes start
// meanwhile, and at most `parallelism` nodes ever work at once outside their waits.
import assert from 'node:assert/strict';
import { waitIdle, withIdle } from '../../src/aws/idle.js';
import { walk, type WalkNode } from '../../src/executor/walk.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nodes = (n: number): WalkNode[] => Array.from({ length: n }, (_, i) => ({ key: `n${i}`, after: [] }));

describe('graph walk: waiting gives the slot away', () => {
  it('12 nodes that each wait 150 ms, 4 slots: one wave when they wait idle, three when they hold the slot', async () => {
    const time = async (idle: boolean) => {
      const t0 = Date.now();
      await walk(nodes(12), 4, async (_n, control) => {
        await (idle ? control.idle(() => sleep(150)) : sleep(150));
      });
      return Date.now() - t0;
    };
    const held = await time(false);
    const given = await time(true);
    assert.ok(held >= 440, `holding slots: three waves, ${held} ms`);
    assert.ok(given < 300, `waiting idle: one wave, ${given} ms`);
  });

  it('never runs more than `parallelism` nodes outside their waits, and resumes parked nodes first', async () => {
    let working = 0;
    let most = 0;
    const order: string[] = [];
    const work = async (ms: number) => {
      working++;
      most = Math.max(most, working);
      await sleep(ms);
      working--;
    };
    await walk(nodes(10), 3, async (n, control) => {
      order.push(`start ${n.key}`);
      await work(5);
      await control.idle(() => sleep(n.key === 'n0' ? 5 : 40));
      order.push(`resume ${n.key}`);
      await work(20);
    });
    assert.ok(most <= 3, `at most 3 working at once, saw ${most}`);
    // n0's short wait ends while later nodes are still being started: it resumes before the last starts.
    assert.ok(order.indexOf('resume n0') < order.indexOf('start n9'), order.join(', '));
  });

  it('a node that throws inside idle still stops the walk and is reported', async () => {
    await assert.rejects(
      walk(nodes(3), 2, async (n, control) => {
        await control.idle(async () => {
          await sleep(5);
          if (n.key === 'n1') throw new Error('boom');
        });
      }),
      /boom/,
    );
  });

  it('a wait within a wait (waitIdle inside withIdle) parks the node once: never more than `parallelism` at work', async () => {
    let working = 0;
    let most = 0;
    await walk(nodes(12), 3, (_n, control) =>
      withIdle(control.idle, async () => {
        working++;
        most = Math.max(most, working);
        await sleep(5);
        working--;
        await waitIdle(() => waitIdle(() => sleep(40)));
        working++;
        most = Math.max(most, working);
        await sleep(5);
        working--;
      }),
    );
    assert.ok(most <= 3, `${most} nodes at work at once with 3 slots`);
  });
});
