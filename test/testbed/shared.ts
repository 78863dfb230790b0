// One testbed shared by every integration and e2e test file of a mocha run: Kafka starts
// once (the slow part), each file resets the AWS side instead. Importing this module from a
// test file registers a root-level `after` hook that stops the testbed when the run ends;
// `mochaHooks` offers the same as a root hook plugin (mocha --require).
import { startTestbed, type Testbed, type TestbedOptions } from './testbed.js';

let shared: Promise<Testbed> | undefined;

/**
 * The shared testbed, started on first use. With `reset`, the AWS twin is cleared and the
 * scenario seeded again first, so a test file starts from the same state whoever ran before.
 */
export async function getTestbed(opts: { reset?: boolean } = {}): Promise<Testbed> {
  let created = false;
  if (!shared) {
    created = true;
    shared = startTestbed(sharedOptions());
    // A failed start is not cached: the next caller gets a fresh attempt and the real error.
    shared.catch(() => {
      shared = undefined;
    });
  }
  const testbed = await shared;
  if (opts.reset && !created) await testbed.reset();
  return testbed;
}

export async function stopSharedTestbed(): Promise<void> {
  const pending = shared;
  shared = undefined;
  if (!pending) return;
  const testbed = await pending.catch(() => undefined);
  await testbed?.stop();
}

/** Options from the environment, so CI can move the testbed off addresses in use. */
function sharedOptions(): TestbedOptions {
  const kafkaPrefix = process.env.TESTBED_KAFKA_IP_PREFIX;
  const endpointPrefix = process.env.TESTBED_ENDPOINT_IP_PREFIX;
  return {
    ...(kafkaPrefix ? { kafka: { ipPrefix: kafkaPrefix } } : {}),
    ...(endpointPrefix ? { endpointIpPrefix: endpointPrefix } : {}),
  };
}

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await stopSharedTestbed();
  },
};

// Loaded by a test file (not as a plugin): hang the stop on mocha's root suite.
if (typeof after === 'function') {
  after(async function () {
    this.timeout(60_000);
    await stopSharedTestbed();
  });
}
