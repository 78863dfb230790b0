// A refresh's describe calls asked many ids at a time (pure logic; the AWS calls that use it are
// counted against the twin in test/integration/refresh-batch.test.ts).
import assert from 'node:assert/strict';
import { ReadBatch, type BatchedRead } from '../../src/aws/read-batch.js';

/** A describe call over `known` ids that records what it was asked; `refuse` fails a batch holding it. */
function api(known: Record<string, string>, refuse?: string) {
  const batches: string[][] = [];
  const alone: string[] = [];
  return {
    batches,
    alone,
    spec(id: string, peers: string[], maxIds = 3): BatchedRead<string> {
      return {
        client: known,
        api: 'svc:Describe',
        id,
        peers: () => peers,
        maxIds,
        fetch: async (ids) => {
          batches.push(ids);
          if (refuse !== undefined && ids.includes(refuse)) throw new Error(`${refuse} not found`);
          return new Map(ids.flatMap((i) => (i in known ? [[i, known[i] as string] as const] : [])));
        },
        fetchOne: async (one) => {
          alone.push(one);
          if (one === refuse) return undefined;
          return known[one];
        },
      };
    },
  };
}

describe('read batch (a refresh asks many ids per call)', () => {
  const peers = ['a', 'b', 'c', 'd', 'e'];
  const known = { a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' };

  it('the first read asks for its peers too, up to maxIds; the others answer from that call', async () => {
    const x = api(known);
    const batch = new ReadBatch();
    const got = [];
    for (const id of peers) got.push(await batch.read(x.spec(id, peers)));
    assert.deepEqual(got, ['A', 'B', 'C', 'D', 'E']);
    assert.deepEqual(x.batches, [
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    assert.deepEqual(x.alone, []);
  });

  it('reads running side by side join one call', async () => {
    const x = api(known);
    const batch = new ReadBatch();
    const got = await Promise.all(peers.map((id) => batch.read(x.spec(id, peers, 10))));
    assert.deepEqual(got, ['A', 'B', 'C', 'D', 'E']);
    assert.equal(x.batches.length, 1);
  });

  it('an id the answer lacks is gone (undefined), without a call of its own', async () => {
    const x = api({ a: 'A' });
    const batch = new ReadBatch();
    assert.equal(await batch.read(x.spec('a', ['a', 'b'])), 'A');
    assert.equal(await batch.read(x.spec('b', ['a', 'b'])), undefined);
    assert.deepEqual(x.alone, []);
    assert.equal(x.batches.length, 1);
  });

  it('a batch refused as a whole sends each of its ids to a call of its own', async () => {
    const x = api(known, 'b');
    const batch = new ReadBatch();
    const got = [];
    for (const id of peers) got.push(await batch.read(x.spec(id, peers)));
    assert.deepEqual(got, ['A', undefined, 'C', 'D', 'E']);
    assert.deepEqual(x.batches, [
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    assert.deepEqual(x.alone, ['a', 'b', 'c']);
  });

  it('calls and clients do not share answers', async () => {
    const x = api(known);
    const y = api({ a: 'other' });
    const batch = new ReadBatch();
    assert.equal(await batch.read(x.spec('a', peers)), 'A');
    assert.equal(await batch.read(y.spec('a', peers)), 'other');
    assert.equal(await batch.read({ ...x.spec('a', peers), api: 'svc:DescribeTags' }), 'A');
    assert.equal(x.batches.length, 2);
  });
});
