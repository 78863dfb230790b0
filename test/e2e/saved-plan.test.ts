// Saved plans, staleness and the state lock, through the CLI against the shared testbed:
// `plan --out` then `apply PLAN_FILE` applies exactly that plan; a plan made from an older state
// serial, or after its config changed, is refused; an offline plan is refused; a run holding the
// lock makes the next apply stop, naming the holder, before any AWS change.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import path from 'node:path';
import { LocalStateLock } from '../../src/state/lock.js';
import { cli, writeStackConfig } from '../support/e2e.js';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';

async function mutatingCalls(tb: Testbed): Promise<number> {
  const rows = await tb.control.counters({ mutating: true });
  return rows.filter((r) => r.service !== 'sts').reduce((n, r) => n + r.calls, 0);
}

describe('e2e: saved plans, staleness and the state lock', function () {
  this.timeout(180_000);
  let tb: Testbed;
  let file: string;
  let dir: string;
  let statePath: string;

  before(async () => {
    tb = await getTestbed({ reset: true });
    ({ file, dir, statePath } = await writeStackConfig(tb, { name: 'saved', pattern: 1 }));
  });

  after(async () => {
    await cli(tb, ['destroy', '--config', file, '--auto-approve']);
  });

  it('applies exactly a saved plan, without asking, and converges', async () => {
    const planFile = path.join(dir, 'plan.json');
    const planned = await cli(tb, ['plan', '--config', file, '--out', planFile]);
    assert.equal(planned.code, 2, planned.err);
    const saved = JSON.parse(await readFile(planFile, 'utf8')) as {
      changes: Array<{ action: string }>;
      state: unknown;
    };
    assert.deepEqual(saved.state, { lineage: null, serial: 0 });
    // From another directory: the plan's config path resolves from the plan file's folder.
    const cwd = process.cwd();
    process.chdir(tmpdir());
    let applied: Awaited<ReturnType<typeof cli>>;
    try {
      applied = await cli(tb, ['apply', planFile]);
    } finally {
      process.chdir(cwd);
    }
    assert.equal(applied.code, 0, applied.err);
    assert.match(
      applied.out,
      new RegExp(`${saved.changes.filter((c) => c.action === 'create').length} step\\(s\\) done`),
    );
    const again = await cli(tb, ['plan', '--config', file]);
    assert.equal(again.code, 0, again.out);
  });

  it('refuses a plan made from an older state serial, before any AWS change', async () => {
    const stale = path.join(dir, 'stale.json');
    const config = await readFile(file, 'utf8');
    // A change to plan: one more client CIDR for c1.
    await writeFile(file, config.replace('- 10.20.0.0/16', '- 10.20.0.0/16\n      - 10.21.0.0/16'));
    try {
      assert.equal((await cli(tb, ['plan', '--config', file, '--out', stale])).code, 2);
      // Another run applies first: the state serial moves on.
      assert.equal((await cli(tb, ['apply', '--config', file, '--auto-approve'])).code, 0);
      await tb.control.resetCounters();
      const r = await cli(tb, ['apply', stale]);
      assert.equal(r.code, 1);
      assert.match(r.err, /error \[STALE_PLAN\]/);
      assert.match(r.err, /serial/);
      assert.equal(await mutatingCalls(tb), 0);
    } finally {
      await writeFile(file, config);
    }
    // The config went back: a plan saved before that change is refused for the config too.
    const r2 = await cli(tb, ['apply', stale]);
    assert.equal(r2.code, 1);
    assert.match(r2.err, /STALE_PLAN/);
    assert.equal((await cli(tb, ['apply', '--config', file, '--auto-approve'])).code, 0);
  });

  it('refuses, naming the broker, when MSK reports a broker at another IP than the plan saw, with no AWS change', async () => {
    const planFile = path.join(dir, 'moved.json');
    const config = await readFile(file, 'utf8');
    await writeFile(file, config.replace('- 10.20.0.0/16', '- 10.20.0.0/16\n      - 10.23.0.0/16'));
    const broker = tb.scenario.cluster.brokers.find((b) => b.id === 2);
    assert.ok(broker);
    try {
      assert.equal((await cli(tb, ['plan', '--config', file, '--out', planFile])).code, 2);
      await tb.control.moveBroker(tb.clusterArn, 2, '10.0.9.99');
      await tb.control.resetCounters();
      const r = await cli(tb, ['apply', planFile]);
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /error \[STALE_PLAN\]: the inputs changed since the plan was made: broker 2: ip \S+ -> 10\.0\.9\.99/,
      );
      assert.equal(await mutatingCalls(tb), 0);
    } finally {
      await tb.control.moveBroker(tb.clusterArn, 2, broker.clientVpcIp);
      await writeFile(file, config);
    }
  });

  it('refuses, naming the broker, when the inventory file was edited after the plan, with no AWS change', async () => {
    const inventory = path.join(dir, 'inventory.json');
    assert.equal((await cli(tb, ['discover', '--cluster-arn', tb.clusterArn, '--out', inventory])).code, 0);
    const fromFile = path.join(dir, 'from-file.yaml');
    const config = await readFile(file, 'utf8');
    await writeFile(
      fromFile,
      config.replace(
        /cluster:\n(\s+)arn: \S+/,
        (_m, pad: string) => `cluster:\n${pad}brokersFile: inventory.json`,
      ),
    );
    const planFile = path.join(dir, 'from-file-plan.json');
    const made = await cli(tb, ['plan', '--config', fromFile, '--out', planFile]);
    assert.ok(made.code === 0 || made.code === 2, made.err);
    const inv = JSON.parse(await readFile(inventory, 'utf8')) as {
      brokers: Array<{ id: number; ip: string }>;
    };
    const b3 = inv.brokers.find((b) => b.id === 3);
    assert.ok(b3);
    const was = b3.ip;
    b3.ip = '10.0.8.88';
    await writeFile(inventory, JSON.stringify(inv, null, 2));
    await tb.control.resetCounters();
    const r = await cli(tb, ['apply', planFile]);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`broker 3: ip ${was.replace(/\./g, '\\.')} -> 10\\.0\\.8\\.88`));
    assert.equal(await mutatingCalls(tb), 0);
  });

  it('refuses, naming the resource, when a resource it touches changed in AWS since the plan, with no AWS change', async () => {
    const planFile = path.join(dir, 'drifted.json');
    const config = await readFile(file, 'utf8');
    await writeFile(file, config.replace('- 10.20.0.0/16', '- 10.20.0.0/16\n      - 10.24.0.0/16'));
    const state = JSON.parse(await readFile(statePath, 'utf8')) as {
      resources: Record<string, { physicalId: string; account: string }>;
    };
    const sg = state.resources['c1/security-group'];
    assert.ok(sg);
    const rule = {
      GroupId: sg.physicalId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 9094, ToPort: 9094, IpRanges: [{ CidrIp: '10.99.0.0/16' }] },
      ],
    };
    const k = tb.clients(sg.account);
    try {
      assert.equal((await cli(tb, ['plan', '--config', file, '--out', planFile])).code, 2);
      // Someone opens the endpoint's security group by hand after the plan was reviewed.
      await k.ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
      await tb.control.resetCounters();
      const r = await cli(tb, ['apply', planFile]);
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /error \[STALE_PLAN\]: the live resources changed since the plan was made: c1\/security-group: ingress changed/,
      );
      assert.equal(await mutatingCalls(tb), 0);
    } finally {
      await k.ec2.send(new RevokeSecurityGroupIngressCommand(rule)).catch(() => undefined);
      k.destroy();
      await writeFile(file, config);
    }
  });

  it('refuses to apply an offline plan', async () => {
    const offline = path.join(dir, 'offline.json');
    const made = await cli(tb, [
      'plan',
      '--offline',
      '--config',
      'plans/pattern1-one-consumer.yaml',
      '--out',
      offline,
    ]);
    assert.equal(made.code, 2, made.err);
    const r = await cli(tb, ['apply', offline]);
    assert.equal(r.code, 1);
    assert.match(r.err, /OFFLINE_PLAN/);
  });

  it('stops while another run holds the lock, naming it, and makes no change', async () => {
    const lock = new LocalStateLock(statePath);
    const held = await lock.lock('a colleague running apply');
    try {
      const config = await readFile(file, 'utf8');
      await writeFile(file, config.replace('- 10.20.0.0/16', '- 10.20.0.0/16\n      - 10.22.0.0/16'));
      await tb.control.resetCounters();
      try {
        const r = await cli(tb, ['apply', '--config', file, '--auto-approve']);
        assert.equal(r.code, 1);
        assert.match(r.err, /locked by a colleague running apply/);
        assert.equal(await mutatingCalls(tb), 0);
        const d = await cli(tb, ['destroy', '--config', file, '--auto-approve']);
        assert.equal(d.code, 1);
        assert.match(d.err, /locked/);
      } finally {
        await writeFile(file, config);
      }
    } finally {
      await lock.unlock(held);
    }
    const r = await cli(tb, ['plan', '--config', file]);
    assert.equal(r.code, 0, 'plan needs no lock and nothing changed');
  });
});
