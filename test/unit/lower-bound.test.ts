// The lower bound of an apply: the longest path of steps (each one call plus its kind's wait) and
// the token buckets' time for the run's mutating calls; the longer of the two.
import assert from 'node:assert/strict';
import { AWS_TIMINGS } from '../../src/aws/timings.js';
import type { Step } from '../../src/executor/engine.js';
import { applyLowerBound } from '../../src/executor/lower-bound.js';
import type { Kind } from '../../src/kinds/index.js';

const step = (key: string, kind: Kind, after: string[] = [], name: Step['step'] = 'create'): Step =>
  ({
    key,
    step: name,
    change: { id: key, kind, action: 'create', account: '1', region: 'r' },
    after: new Set(after),
  }) as unknown as Step;

describe('lower bound of an apply', () => {
  it('follows the longest path: NLB, then endpoint acceptance, then a record (3 + 2 + 1 minutes)', () => {
    const steps = [
      step('sg', 'security-group'),
      step('nlb', 'load-balancer', ['sg']),
      step('zone', 'hosted-zone'),
      step('vpce', 'vpc-endpoint', ['nlb']),
      step('accept', 'endpoint-connection-acceptance', ['vpce']),
      step('rec', 'dns-record', ['accept', 'zone']),
    ];
    const lb = applyLowerBound(steps, { timings: AWS_TIMINGS, callMs: 100 });
    assert.deepEqual(lb.path, ['sg', 'nlb', 'vpce', 'accept', 'rec']);
    assert.equal(lb.pathMs, 5 * 100 + 180_000 + 120_000 + 60_000);
    assert.equal(lb.ms, lb.pathMs);
    assert.equal(lb.bucketMs, 0);
  });

  it('a delete waits what its kind says for deletes; an update of a kind without waits costs one call', () => {
    const lb = applyLowerBound(
      [step('vpce', 'vpc-endpoint', [], 'delete'), step('nlb', 'load-balancer', [], 'update')],
      { timings: AWS_TIMINGS, callMs: 100 },
    );
    assert.equal(lb.pathMs, 100 + AWS_TIMINGS.endpointDeleteMs);
  });

  it('the slowest bucket wins when its calls take longer than the path (EC2 endpoints: 4 burst, 0.3/s)', () => {
    const lb = applyLowerBound([step('vpce', 'vpc-endpoint')], {
      timings: AWS_TIMINGS,
      callMs: 100,
      calls: [
        { scope: '2|r', family: 'ec2:endpoint', count: 64 },
        { scope: '3|r', family: 'ec2:endpoint', count: 10 },
      ],
      buckets: { 'ec2:endpoint': { burst: 4, perSecond: 0.3 }, other: { burst: 50, perSecond: 20 } },
    });
    assert.equal(lb.bucketMs, 200_000);
    assert.equal(lb.ms, 200_000);
    assert.equal(lb.bucket, '2|r ec2:endpoint (64 calls)');
  });

  it("with the steps that made a bucket's calls: from their earliest start, plus the shortest tail after the last call", () => {
    // 20 acceptances after an NLB (3 min); each then waits 2 min for its endpoint, then a record (1 min).
    const steps = [step('nlb', 'load-balancer')];
    for (let i = 0; i < 20; i++) {
      steps.push(step(`acc${i}`, 'endpoint-connection-acceptance', ['nlb']));
      steps.push(step(`rec${i}`, 'dns-record', [`acc${i}`]));
    }
    const lb = applyLowerBound(steps, {
      timings: AWS_TIMINGS,
      callMs: 0,
      calls: [
        {
          scope: '1|r',
          family: 'ec2:endpoint-service',
          count: 20,
          steps: steps.filter((s) => s.key.startsWith('acc')).map((s) => s.key),
        },
      ],
      buckets: { 'ec2:endpoint-service': { burst: 10, perSecond: 1 } },
    });
    assert.equal(lb.pathMs, 180_000 + 120_000 + 60_000);
    assert.equal(lb.bucketMs, 180_000 + 10_000 + 120_000 + 60_000);
    assert.equal(lb.ms, lb.bucketMs);
  });
});
