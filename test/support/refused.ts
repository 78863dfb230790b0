import assert from 'node:assert/strict';
import { MplError } from '../../src/errors.js';

/** Awaits `p`, which must reject with an MplError of `code`; answers that error for more checks. */
export async function refused(p: Promise<unknown>, code: string): Promise<MplError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MplError, `not an MplError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}
