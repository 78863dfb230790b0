// Calls made for several steps at the same moment go out as one (pure logic; the AWS call it is
// used for, AcceptVpcEndpointConnections, is tested against the twin in handlers-endpoints).
import assert from 'node:assert/strict';
import { mergedCall } from '../../src/aws/merge.js';

describe('merged calls', () => {
  it('items arriving in one turn share a call and its answer; a later item gets a call of its own', async () => {
    const client = {};
    const sent: string[][] = [];
    const send = async (items: string[]) => {
      sent.push([...items]);
      return { accepted: items };
    };
    const answers = await Promise.all(['a', 'b', 'c'].map((id) => mergedCall(client, 'svc-1', id, send)));
    assert.deepEqual(sent, [['a', 'b', 'c']]);
    assert.deepEqual(answers[2], { accepted: ['a', 'b', 'c'] });
    await mergedCall(client, 'svc-1', 'd', send);
    await mergedCall(client, 'svc-2', 'e', send);
    assert.deepEqual(sent.slice(1), [['d'], ['e']]);
  });

  it('a failed call fails every caller that shared it', async () => {
    const client = {};
    const results = await Promise.allSettled(
      ['a', 'b'].map((id) => mergedCall(client, 'k', id, () => Promise.reject(new Error('refused')))),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
  });
});
