// AWS is the truth, state is a cache (issue 9 acceptance), through the CLI against the shared
// testbed, both patterns, two consumer accounts: after the state file is deleted, `plan` finds
// every resource (no changes, zero mutating calls), pattern 2's ports stay put through a new
// apply, and `destroy` removes everything the stack made and restores the brokers.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { cli, writeStackConfig } from '../support/e2e.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';
import { brokerListeners, editConfig, taggedWithStack, type BrokerListeners } from './support-lifecycle.js';

async function mutatingCalls(tb: Testbed): Promise<number> {
  const rows = await tb.control.counters({ mutating: true });
  return rows.filter((r) => r.service !== 'sts').reduce((n, r) => n + r.calls, 0);
}

/** Listener ports per logical id, as the state recorded them. */
async function listenerPorts(statePath: string): Promise<Record<string, number>> {
  const state = JSON.parse(await readFile(statePath, 'utf8')) as {
    resources: Record<string, { kind: string; props: { port?: number } }>;
  };
  return Object.fromEntries(
    Object.entries(state.resources)
      .filter(([, r]) => r.kind === 'listener')
      .map(([id, r]) => [id, r.props.port ?? 0]),
  );
}

interface StateShape {
  resources: Record<string, { physicalId: string }>;
  portAssignments: Record<string, number>;
}

const physicalIds = (s: StateShape) =>
  Object.fromEntries(Object.entries(s.resources).map(([id, r]) => [id, r.physicalId]));

async function nothingLeft(tb: Testbed, stack: string): Promise<string[]> {
  let left = await taggedWithStack(tb, stack);
  // Deleted endpoints linger as "deleting" for a moment, as in AWS.
  for (let i = 0; i < 20 && left.length > 0 && left.every((l) => /\(deleting\)$/.test(l)); i++) {
    await new Promise((r) => setTimeout(r, 250));
    left = await taggedWithStack(tb, stack);
  }
  return left;
}

describe('e2e: state lost (AWS is the truth)', function () {
  this.timeout(300_000);
  let tb: Testbed;

  before(async () => {
    tb = await getTestbed({ reset: true });
  });

  for (const pattern of [1, 2] as const) {
    it(`pattern ${pattern}: plan finds everything, ports stay, destroy removes all after the state file is deleted`, async () => {
      const stack = `lost${pattern}`;
      const { file, statePath } = await writeStackConfig(tb, { name: stack, pattern });
      const originals: Map<number, BrokerListeners> | undefined =
        pattern === 2 ? await brokerListeners(tb) : undefined;
      try {
        const applied = await cli(tb, ['apply', '--config', file, '--auto-approve']);
        assert.equal(applied.code, 0, applied.err);
        const ports = await listenerPorts(statePath);
        const before = JSON.parse(await readFile(statePath, 'utf8')) as StateShape;
        assert.ok(Object.keys(ports).length > 0);

        await rm(statePath);
        // Pattern 2: another portBase would give other ports to a plan from nothing; the ports the
        // shared NLB listens on win, so no broker's port moves.
        if (pattern === 2)
          await editConfig(file, (c) => void ((c.pattern2 as Record<string, unknown>).portBase = 9301));
        await tb.control.resetCounters();
        const planned = await cli(tb, ['plan', '--config', file, '--json']);
        assert.equal(planned.code, 0, `no changes after the state loss:\n${planned.out}\n${planned.err}`);
        assert.equal(await mutatingCalls(tb), 0);

        // `state pull` rebuilds the state from AWS alone: the same ids, physical ids and ports.
        const pulled = await cli(tb, ['state', 'pull', '--config', file]);
        assert.equal(pulled.code, 0, pulled.err);
        assert.match(pulled.out, /the state now knows them/);
        const rebuilt = JSON.parse(await readFile(statePath, 'utf8')) as StateShape;
        assert.deepEqual(physicalIds(rebuilt), physicalIds(before));
        assert.deepEqual(rebuilt.portAssignments, before.portAssignments);

        // A new apply after the loss writes the state again: every listener keeps its port.
        await rm(statePath, { force: true });
        const again = await cli(tb, ['apply', '--config', file, '--auto-approve']);
        assert.equal(again.code, 0, again.err);
        assert.deepEqual(await listenerPorts(statePath), ports, 'ports read back unchanged');

        await rm(statePath);
        assert.ok((await taggedWithStack(tb, stack)).length > 0, 'the sweep sees the stack');
        const destroyed = await cli(tb, ['destroy', '--config', file, '--auto-approve']);
        assert.equal(destroyed.code, 0, destroyed.err);
        assert.match(destroyed.out, /Destroy complete!/);
        assert.deepEqual(await nothingLeft(tb, stack), [], 'nothing tagged with the stack remains');
        if (originals)
          assert.deepEqual(await brokerListeners(tb), originals, 'brokers advertise their originals');
      } finally {
        await cli(tb, ['destroy', '--config', file, '--auto-approve']);
      }
    });
  }
});
