import assert from 'node:assert/strict';
import { BUCKETS, familyOf, RateLimiter } from '../../src/aws/rate-limit.js';

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
