import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';

describe('cli', () => {
  it('runs', async () => {
    assert.equal(await main([]), 0);
  });
});
