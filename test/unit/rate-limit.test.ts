import assert from 'node:assert/strict';
import { waitIdle, withIdle } from '../../src/aws/idle.js';
import { BUCKETS, familyOf, RateLimiter, scaledBuckets } from '../../src/aws/rate-limit.js';
import { walk } from '../../src/executor/walk.js';

/** A fake clock: sleeping advances time, so bucket arithmetic is checked exactly and instantly. */
function clock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

describe('client-side rate limiter', () => {
  it('classifies calls into AWS throttling families', () => {
    assert.equal(familyOf('ec2', 'CreateVpcEndpoint'), 'ec2:endpoint');
    assert.equal(familyOf('ec2', 'AcceptVpcEndpointConnections'), 'ec2:endpoint-service');
    assert.equal(familyOf('ec2', 'DescribeVpcEndpoints'), 'ec2:describe');
    assert.equal(familyOf('ec2', 'CreateSecurityGroup'), 'ec2:mutate');
    assert.equal(familyOf('elbv2', 'DescribeListeners'), 'elbv2:describe');
    assert.equal(familyOf('route53', 'GetChange'), 'route53:all');
  });

  it('lets a burst through, then paces calls at the refill rate (EC2 endpoint calls: 4 burst, 0.3/s)', async () => {
    const c = clock();
    const limiter = new RateLimiter(BUCKETS, c.now, c.sleep);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      await limiter.take('111111111111|us-east-2', 'ec2:endpoint');
      times.push(c.now());
    }
    assert.deepEqual(times.slice(0, 4), [0, 0, 0, 0]);
    // Then one token every 1 / 0.3 s = 3333.3 ms; a wait is rounded up to the next ms and the
    // surplus carries over, so call n waits until ceil(n x 3333.3) ms.
    assert.deepEqual(times.slice(4), [3334, 6667, 10000]);
  });

  it('keeps accounts and families apart', async () => {
    const c = clock();
    const limiter = new RateLimiter(
      { a: { burst: 1, perSecond: 1 }, other: { burst: 1, perSecond: 1 } },
      c.now,
      c.sleep,
    );
    await limiter.take('acct1', 'a');
    await limiter.take('acct2', 'a');
    await limiter.take('acct1', 'other');
    assert.equal(c.now(), 0, 'separate buckets: nobody waited');
    await limiter.take('acct1', 'a');
    assert.equal(c.now(), 1000);
  });
});

describe('rate limiter in scaled time, and its waits inside the graph walk', () => {
  it('scales refill by the time factor, keeps the burst, and says when a call would wait', async () => {
    const scaled = scaledBuckets(0.01);
    assert.deepEqual(scaled['ec2:endpoint'], { burst: 4, perSecond: 30 });
    assert.equal(scaledBuckets(1), BUCKETS);
    const c = clock();
    const limiter = new RateLimiter(scaled, c.now, c.sleep);
    const scope = '111111111111|us-east-2';
    assert.equal(limiter.wouldWait(scope, 'ec2:endpoint'), false);
    for (let i = 0; i < 4; i++) await limiter.take(scope, 'ec2:endpoint');
    assert.equal(limiter.wouldWait(scope, 'ec2:endpoint'), true);
    assert.equal(limiter.wouldWait(scope, 'ec2:describe'), false);
    const t = c.now();
    await limiter.take(scope, 'ec2:endpoint');
    assert.equal(c.now() - t, 34, 'the fifth token 1/30 s later, not 3.3 s');
  });

  it('a step waiting for a token inside withIdle gives its walk slot to a step of another family', async () => {
    // Real clock: 1 slot, the first node waits 300 ms for an endpoint token, the second needs none.
    const limiter = new RateLimiter({
      slow: { burst: 1, perSecond: 1000 / 300 },
      other: { burst: 10, perSecond: 10 },
    });
    await limiter.take('s', 'slow');
    const order: string[] = [];
    const t0 = Date.now();
    await walk(
      [
        { key: 'a', after: [] },
        { key: 'b', after: [] },
      ],
      1,
      (n, control) =>
        withIdle(control.idle, async () => {
          const family = n.key === 'a' ? 'slow' : 'other';
          if (limiter.wouldWait('s', family)) await waitIdle(() => limiter.take('s', family));
          else await limiter.take('s', family);
          order.push(`${n.key}@${Date.now() - t0 < 150 ? 'early' : 'late'}`);
        }),
    );
    assert.deepEqual(order, ['b@early', 'a@late']);
  });
});
