// Issue 4's acceptance against the shared testbed (AWS twin with a provider and two consumer
// accounts, the real 3-broker Kafka cluster, the network twin with DNS), for pattern 1 and for
// pattern 2 (rewrite): discover, plan, apply, a no-change plan without a mutating call, the
// resources read back with the AWS CLI against the plan, drift made out of band reported and
// repaired, a fourth broker planned with the smallest change, destroy leaving nothing tagged and
// the brokers' listeners restored; and pattern 2 on KRaft refused before any AWS call.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DeleteVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { getTestbed } from '../testbed/shared.js';
import type { Testbed } from '../testbed/testbed.js';
import { queryDns } from '../testbed/network/dns-client.js';
import { cli, writeStackConfig } from '../support/e2e.js';
import {
  brokerListeners,
  editConfig,
  readBack,
  readJson,
  taggedWithStack,
  zonesNamed,
  type BrokerListeners,
  type PlannedResource,
  type SavedPlan,
  type StateFile,
} from './support-lifecycle.js';

interface Inventory {
  clusterArn?: string;
  clusterName: string;
  region: string;
  kafkaVersion: string;
  metadataMode: string;
  brokerType: string;
  vpcId: string;
  brokers: Array<{ id: number; host: string; ip: string; subnetId: string; availabilityZoneId: string }>;
  subnets?: Array<{ id: string; azId: string; cidr?: string }>;
}

interface StatusJson {
  inSync: boolean;
  drift: Array<{ id: string; kind: string; account: string; drift: string; detail: string }>;
}

/** Mutating calls the twin counted, STS (credentials, not a change) left out, as "account service action xN". */
async function mutatingCalls(tb: Testbed): Promise<string[]> {
  const rows = await tb.control.counters({ mutating: true });
  return rows
    .filter((r) => r.service !== 'sts')
    .map((r) => `${r.account} ${r.service} ${r.action} x${r.calls}`);
}

/** Runs the CLI and fails with its output when the exit code is not the expected one. */
async function run(tb: Testbed, argv: string[], expected: number): Promise<{ out: string; err: string }> {
  const r = await cli(tb, argv);
  assert.equal(
    r.code,
    expected,
    `${argv.join(' ')} exited ${r.code}, expected ${expected}\n${r.out}\n${r.err}`,
  );
  return r;
}

const byId = (plan: SavedPlan) => new Map(plan.desired.map((r) => [r.id, r]));
const str = (v: unknown): string => {
  assert.equal(typeof v, 'string', `expected a string, got ${JSON.stringify(v)}`);
  return v as string;
};

describe('e2e: lifecycle across three accounts (issue 4 acceptance)', function () {
  this.timeout(120_000);
  let tb: Testbed;
  const timings: string[] = [];
  const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings.push(`${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  };

  before(async function () {
    this.timeout(180_000);
    tb = await getTestbed({ reset: true });
  });

  after(function () {
    if (timings.length > 0) console.log(`      timings:\n${timings.map((t) => `        ${t}`).join('\n')}`);
  });

  it('discover writes an inventory with 3 brokers, metadataMode zookeeper and AZ IDs', async function () {
    const { dir } = await writeStackConfig(tb, { name: 'life-disc', pattern: 1 });
    const out = path.join(dir, 'inventory.json');
    await timed('discover', () => run(tb, ['discover', '--cluster-arn', tb.clusterArn, '--out', out], 0));
    const inv = await readJson<Inventory>(out);
    assert.equal(inv.clusterArn, tb.clusterArn);
    assert.equal(inv.metadataMode, 'zookeeper');
    assert.equal(inv.brokerType, 'standard');
    assert.equal(inv.vpcId, tb.scenario.provider.vpcId);
    assert.equal(inv.brokers.length, 3);
    const azOf = new Map(tb.scenario.provider.subnets.map((s) => [s.id, s.availabilityZoneId]));
    assert.deepEqual(
      [...inv.brokers].sort((a, b) => a.id - b.id).map((b) => [b.id, b.host, b.ip]),
      tb.kafka.brokers.map((b) => [b.id, b.host, b.ip]),
    );
    for (const b of inv.brokers) {
      assert.match(b.availabilityZoneId, /^use2-az\d$/);
      assert.equal(b.availabilityZoneId, azOf.get(b.subnetId), `broker ${b.id}: AZ ID of ${b.subnetId}`);
    }
    // One broker per AZ in the scenario: three distinct AZ IDs.
    assert.equal(new Set(inv.brokers.map((b) => b.availabilityZoneId)).size, 3);
  });

  const patterns = [
    {
      pattern: 1 as const,
      name: 'life-p1',
      endpointOf: (consumer: string, broker: string) => `${consumer}/vpc-endpoint/${broker}`,
    },
    { pattern: 2 as const, name: 'life-p2', endpointOf: (consumer: string) => `${consumer}/vpc-endpoint` },
  ];

  for (const spec of patterns) {
    describe(`pattern ${spec.pattern}${spec.pattern === 2 ? ' (rewrite)' : ''}, two consumer accounts`, function () {
      let file = '';
      let dir = '';
      let statePath = '';
      let plan: SavedPlan;
      let originals: Map<number, BrokerListeners> | undefined;
      const stack = spec.name;
      const parameter = (i: number) => `/mpl/${stack}/c${i + 1}/bootstrap`;
      const addBootstrapParameters = (c: Record<string, unknown>) => {
        (c.consumers as Array<Record<string, unknown>>).forEach(
          (k, i) => (k.bootstrapParameter = parameter(i)),
        );
      };
      const consumerAccount = (i: number) => tb.accounts.consumers[i] as string;

      before(async function () {
        ({ file, dir, statePath } = await writeStackConfig(tb, {
          name: stack,
          pattern: spec.pattern,
          ...(spec.pattern === 2 ? { mode: 'rewrite' as const } : {}),
        }));
        await editConfig(file, addBootstrapParameters);
      });

      it('plan exits 2, apply exits 0, and a second plan shows no changes with zero mutating calls', async function () {
        this.timeout(180_000);
        if (spec.pattern === 2) originals = await brokerListeners(tb);
        const planFile = path.join(dir, 'plan.json');
        await timed(`p${spec.pattern} plan (empty state)`, () =>
          run(tb, ['plan', '--config', file, '--out', planFile], 2),
        );
        plan = await readJson<SavedPlan>(planFile);
        assert.ok(plan.changes.length > 0);
        assert.deepEqual(
          plan.changes.filter((c) => c.action !== 'create').map((c) => `${c.action} ${c.id}`),
          [],
          'a first plan only creates',
        );
        const accounts = new Set(plan.desired.map((r) => r.account));
        assert.deepEqual([...accounts].sort(), [tb.accounts.provider, ...tb.accounts.consumers].sort());

        await timed(`p${spec.pattern} apply`, () =>
          run(tb, ['apply', '--config', file, '--auto-approve'], 0),
        );
        const state = await readJson<StateFile>(statePath);
        assert.deepEqual(Object.keys(state.resources).sort(), plan.desired.map((r) => r.id).sort());
        for (const [id, r] of Object.entries(state.resources))
          assert.ok(r.physicalId, `${id} has a physical id in state`);

        if (spec.pattern === 2) {
          // The brokers now advertise their assigned ports (read back by the test's own admin client).
          const now = await brokerListeners(tb);
          for (const b of tb.kafka.brokers) {
            const port = state.portAssignments[`${b.id}/tls`];
            assert.ok(port !== undefined && port !== 9094, `broker ${b.id} has a port assignment`);
            assert.ok(
              now.get(b.id)?.advertised?.includes(`CLIENT_SECURE://${b.host}:${port}`),
              `broker ${b.id} advertises ${port}: ${now.get(b.id)?.advertised}`,
            );
          }
        }

        await tb.control.resetCounters();
        const again = await timed(`p${spec.pattern} plan (no changes)`, () =>
          run(tb, ['plan', '--config', file], 0),
        );
        assert.match(again.out, /No changes\./);
        assert.deepEqual(await mutatingCalls(tb), [], 'a plan with nothing to change makes no mutating call');
        // The plan did read: the counters are live, so zero writes means something.
        assert.ok((await tb.control.callCount({ mutating: false })) > 0);
      });

      it('the resources read back with the AWS CLI match the plan: names, ports, targets, permissions, aliases', async function () {
        this.timeout(120_000);
        assert.ok(plan, 'needs the applied plan');
        const live = await timed(`p${spec.pattern} AWS CLI read-back`, () =>
          readBack(tb, stack, [parameter(0), parameter(1)]),
        );
        const desired = byId(plan);
        const of = (id: string): PlannedResource => {
          const r = desired.get(id);
          assert.ok(r, `planned resource ${id}`);
          return r;
        };
        const nameOf = (id: string) => str(of(id).props.name);
        const kinds = (k: string) => plan.desired.filter((r) => r.kind === k);
        const account = (a: string) => {
          const x = live.accounts.get(a);
          assert.ok(x, `account ${a} read back`);
          return x;
        };
        const checked = new Set<string>();

        // NLBs: the planned names, internal network load balancers in the planned subnets.
        assert.deepEqual(
          [...live.nlbs.keys()].sort(),
          kinds('load-balancer')
            .map((r) => r.props.name)
            .sort(),
        );
        for (const r of kinds('load-balancer')) {
          const nlb = live.nlbs.get(nameOf(r.id));
          assert.ok(nlb);
          assert.equal(nlb.scheme, 'internal', r.id);
          assert.equal(nlb.type, 'network', r.id);
          assert.deepEqual(nlb.subnetIds, [...(r.props.subnetIds as string[])].sort(), `${r.id} subnets`);
        }
        checked.add('load-balancer');

        // Target groups: names, TCP, port, VPC, and exactly the planned targets (broker IP and port).
        assert.deepEqual(
          [...live.targetGroups.keys()].sort(),
          kinds('target-group')
            .map((r) => r.props.name)
            .sort(),
        );
        for (const r of kinds('target-group')) {
          const tg = live.targetGroups.get(nameOf(r.id));
          assert.ok(tg);
          assert.equal(tg.protocol, 'TCP');
          assert.equal(tg.port, r.props.port, `${r.id} port`);
          assert.equal(tg.vpcId, tb.scenario.provider.vpcId);
          const targets = (r.props.targets as Array<{ ip: string; port: number }>).map(
            (t) => `${t.ip}:${t.port}`,
          );
          assert.deepEqual(tg.targets, targets.sort(), `${r.id} targets`);
          const brokerIps = new Set(tb.kafka.brokers.map((b) => b.ip));
          for (const t of tg.targets)
            assert.ok(brokerIps.has(t.split(':')[0] as string), `${t} is a broker IP`);
        }
        checked.add('target-group');

        // Listeners: each NLB has exactly the planned ports, each forwarding to the planned target group.
        for (const nlbRes of kinds('load-balancer')) {
          const nlb = live.nlbs.get(nameOf(nlbRes.id));
          assert.ok(nlb);
          const want = kinds('listener').filter((l) => l.props.loadBalancer === nlbRes.id);
          assert.deepEqual(
            [...nlb.listeners.keys()].sort((a, b) => a - b),
            want.map((l) => l.props.port as number).sort((a, b) => a - b),
            `${nlbRes.id} listener ports`,
          );
          for (const l of want) {
            const tg = live.targetGroups.get(nameOf(str(l.props.targetGroup)));
            assert.ok(tg);
            assert.equal(nlb.listeners.get(l.props.port as number), `forward:${tg.arn}`, `${l.id} forwards`);
          }
        }
        checked.add('listener');

        // Endpoint services: one per planned service (found by tag), on the planned NLBs, acceptance
        // required, allowing exactly the planned principals (both consumer accounts).
        assert.equal(live.services.length, kinds('endpoint-service').length);
        for (const r of kinds('endpoint-service')) {
          const svc = live.services.find((s) => s.logicalId === r.id);
          assert.ok(svc, `service ${r.id}`);
          assert.equal(svc.acceptanceRequired, true);
          const arns = (r.props.loadBalancers as string[]).map((id) => live.nlbs.get(nameOf(id))?.arn);
          assert.deepEqual(svc.nlbArns, arns.sort(), `${r.id} NLBs`);
        }
        checked.add('endpoint-service');
        for (const r of kinds('endpoint-service-permissions')) {
          const svc = live.services.find((s) => s.logicalId === r.props.service);
          assert.ok(svc);
          assert.deepEqual(svc.principals, [...(r.props.allowedPrincipals as string[])].sort(), `${r.id}`);
          assert.deepEqual(svc.principals, tb.accounts.consumers.map((a) => `arn:aws:iam::${a}:root`).sort());
        }
        checked.add('endpoint-service-permissions');

        // Security groups: the consumers' endpoint groups and the provider's group of the NLBs, with
        // the planned ingress ('vpc' is the MSK VPC's CIDR block).
        for (const r of kinds('security-group')) {
          const sg = account(r.account).securityGroups.get(r.id);
          assert.ok(sg, `security group ${r.id}`);
          const want = (
            r.props.ingress as Array<{ protocol: string; fromPort: number; toPort: number; cidr: string }>
          ).map(
            (i) =>
              `${i.protocol}:${i.fromPort}-${i.toPort}:${i.cidr === 'vpc' ? tb.scenario.provider.cidr : i.cidr}`,
          );
          assert.deepEqual(sg.ingress, [...new Set(want)].sort(), `${r.id} ingress`);
        }
        // Every NLB was made with the provider's group, PrivateLink inbound rules enforced.
        const nlbGroup = account(tb.accounts.provider).securityGroups.get('provider/security-group');
        assert.ok(nlbGroup, 'the NLBs security group');
        for (const nlbRes of kinds('load-balancer')) {
          const nlb = live.nlbs.get(nameOf(nlbRes.id));
          assert.deepEqual(nlb?.securityGroups, [nlbGroup.groupId], `${nlbRes.id} security groups`);
          assert.equal(
            nlb?.enforcePrivateLink,
            'on',
            `${nlbRes.id} enforces inbound rules on PrivateLink traffic`,
          );
        }
        checked.add('security-group');

        // Interface endpoints: in the consumer's VPC and subnets, to the planned service, accepted
        // (available), with the planned security group.
        for (const r of kinds('vpc-endpoint')) {
          const acct = account(r.account);
          const ep = acct.endpoints.find((e) => e.logicalId === r.id);
          assert.ok(ep, `endpoint ${r.id}`);
          assert.equal(ep.state, 'available', `${r.id} state`);
          assert.equal(ep.vpcId, r.props.vpcId);
          assert.deepEqual(ep.subnetIds, [...(r.props.subnetIds as string[])].sort(), `${r.id} subnets`);
          const svc = live.services.find((s) => s.logicalId === r.props.service);
          assert.equal(ep.serviceName, svc?.serviceName, `${r.id} service`);
          const groups = (r.props.securityGroups as string[]).map((g) => acct.securityGroups.get(g)?.groupId);
          assert.deepEqual(ep.groupIds, groups.sort(), `${r.id} security groups`);
        }
        for (const a of tb.accounts.consumers)
          assert.equal(
            account(a).endpoints.length,
            kinds('vpc-endpoint').filter((r) => r.account === a).length,
            `endpoints in ${a}`,
          );
        checked.add('vpc-endpoint');
        checked.add('endpoint-connection-acceptance'); // accepted = the endpoints are available

        // Zones and alias records: each planned name aliased to its endpoint's DNS name (or the NLB's).
        for (const r of kinds('hosted-zone')) {
          const zones = account(r.account).zones.filter((z) => z.name === r.props.name);
          assert.equal(zones.length, 1, `one zone ${str(r.props.name)} in ${r.account}`);
        }
        checked.add('hosted-zone');
        for (const r of kinds('dns-record')) {
          const zone = account(r.account).zones.find((z) => z.name === nameOf(str(r.props.zone)));
          assert.ok(zone);
          const target = r.props.aliasTarget as { kind: string; id: string };
          const alias = zone.aliases.get(str(r.props.name));
          const expected =
            target.kind === 'vpc-endpoint'
              ? account(r.account).endpoints.find((e) => e.logicalId === target.id)?.dnsName
              : live.nlbs.get(nameOf(target.id))?.dnsName;
          assert.ok(expected, `${r.id}: alias target ${target.id} exists`);
          assert.equal(alias, expected, `${r.id} aliases ${str(r.props.name)} to ${target.id}`);
        }
        for (const r of kinds('hosted-zone')) {
          const zone = account(r.account).zones.find((z) => z.name === r.props.name);
          const records = kinds('dns-record').filter((d) => d.props.zone === r.id);
          assert.equal(zone?.aliases.size, records.length, `${r.id}: only the planned alias records`);
        }
        checked.add('dns-record');

        // Bootstrap parameters: the planned value in each consumer account.
        for (const r of kinds('ssm-parameter'))
          assert.equal(account(r.account).parameters.get(str(r.props.name)), r.props.value, r.id);
        assert.equal(kinds('ssm-parameter').length, 2);
        checked.add('ssm-parameter');
        checked.add('broker-listener-config'); // read back through Kafka in the apply test

        const unchecked = [...new Set(plan.desired.map((r) => r.kind))].filter((k) => !checked.has(k));
        assert.deepEqual(unchecked, [], 'every planned kind is read back');
      });

      it('status: in sync, then a deleted record and endpoint are reported (exit 2) and apply repairs both', async function () {
        this.timeout(180_000);
        await timed(`p${spec.pattern} status (in sync)`, () => run(tb, ['status', '--config', file], 0));
        const state = await readJson<StateFile>(statePath);
        const b1 = tb.kafka.brokers[0];
        const b2 = tb.kafka.brokers[1];
        assert.ok(b1 && b2);
        const recordId = 'c1/dns-record/b-1';
        const endpointId = spec.endpointOf('c2', 'b-2');
        const record = state.resources[recordId];
        const endpoint = state.resources[endpointId];
        assert.ok(record?.physicalId && endpoint?.physicalId);
        const c1 = consumerAccount(0);
        const c2 = consumerAccount(1);
        const dns1 = tb.network.dnsByAccount[c1];
        const dns2 = tb.network.dnsByAccount[c2];
        assert.ok(dns1 && dns2);
        await tb.network.reconcileNow();
        const before1 = await queryDns(dns1, b1.host);
        const before2 = await queryDns(dns2, b2.host);
        assert.equal(before1.addresses.length, 1, `${b1.host} resolves in ${c1}`);
        assert.equal(before2.addresses.length, 1, `${b2.host} resolves in ${c2}`);

        // Out of band: the record (exact DELETE) in consumer 1, the endpoint in consumer 2.
        const [zoneId, name] = record.physicalId.split('|') as [string, string];
        const k1 = tb.clients(c1);
        const k2 = tb.clients(c2);
        try {
          const rr = await k1.route53.send(
            new ListResourceRecordSetsCommand({
              HostedZoneId: zoneId,
              StartRecordName: name,
              StartRecordType: 'A',
              MaxItems: 1,
            }),
          );
          const set = rr.ResourceRecordSets?.[0];
          assert.ok(set && set.Type === 'A', `record ${name} exists`);
          await k1.route53.send(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId: zoneId,
              ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: set }] },
            }),
          );
          const del = await k2.ec2.send(
            new DeleteVpcEndpointsCommand({ VpcEndpointIds: [endpoint.physicalId] }),
          );
          assert.deepEqual(del.Unsuccessful ?? [], []);
        } finally {
          k1.destroy();
          k2.destroy();
        }
        await tb.network.reconcileNow();
        assert.deepEqual(
          (await queryDns(dns1, b1.host)).addresses,
          [],
          `${b1.host} no longer resolves in ${c1}`,
        );
        assert.deepEqual(
          (await queryDns(dns2, b2.host)).addresses,
          [],
          `${b2.host} no longer resolves in ${c2}`,
        );

        const status = await timed(`p${spec.pattern} status (drift)`, () =>
          run(tb, ['status', '--config', file, '--json'], 2),
        );
        const report = JSON.parse(status.out) as StatusJson;
        assert.equal(report.inSync, false);
        const drifted = new Map(report.drift.map((d) => [d.id, d]));
        assert.equal(drifted.get(recordId)?.drift, 'missing', `status names ${recordId}: ${status.out}`);
        assert.equal(drifted.get(endpointId)?.drift, 'missing', `status names ${endpointId}: ${status.out}`);
        const text = await run(tb, ['status', '--config', file], 2);
        assert.ok(text.out.includes(recordId) && text.out.includes(endpointId), text.out);

        // The repair plan: the two resources again, and only what hangs on the new endpoint.
        const repairFile = path.join(dir, 'repair.json');
        await run(tb, ['plan', '--config', file, '--out', repairFile], 2);
        const repair = await readJson<SavedPlan>(repairFile);
        const changed = repair.changes.filter((c) => c.action !== 'noop');
        assert.deepEqual(
          changed.filter((c) => c.action === 'delete' || c.action === 'replace').map((c) => c.id),
          [],
        );
        const acceptance = endpointId.replace('/vpc-endpoint', '/endpoint-connection-acceptance');
        const onNewEndpoint = (id: string) =>
          id === acceptance ||
          (id.startsWith('c2/dns-record/') &&
            (repair.desired.find((r) => r.id === id)?.props.aliasTarget as { id: string }).id === endpointId);
        for (const c of changed)
          assert.ok(
            c.id === recordId || c.id === endpointId || onNewEndpoint(c.id),
            `unexpected ${c.action} ${c.id}: ${c.reason}`,
          );
        assert.ok(changed.some((c) => c.id === recordId && c.action === 'create'));
        assert.ok(changed.some((c) => c.id === endpointId && c.action === 'create'));
        // The records aliasing the lost endpoint must follow it to the new one's DNS name.
        const repoint = repair.desired
          .filter((r) => r.kind === 'dns-record' && (r.props.aliasTarget as { id: string }).id === endpointId)
          .map((r) => r.id);
        assert.ok(repoint.length > 0);
        for (const id of repoint)
          assert.ok(
            changed.some((c) => c.id === id && c.action === 'update'),
            `${id} is repointed to the new endpoint`,
          );

        await timed(`p${spec.pattern} apply (repair)`, () =>
          run(tb, ['apply', '--config', file, '--auto-approve'], 0),
        );
        await tb.control.resetCounters();
        await run(tb, ['plan', '--config', file], 0);
        assert.deepEqual(await mutatingCalls(tb), []);
        await run(tb, ['status', '--config', file], 0);

        // The broker names resolve again, each to its consumer's (new) endpoint address.
        const after = await readJson<StateFile>(statePath);
        const newEndpoint = str(after.resources[endpointId]?.physicalId);
        assert.notEqual(newEndpoint, endpoint.physicalId, 'a new endpoint was made');
        await tb.network.reconcileNow();
        const c1Endpoint = str(after.resources[spec.endpointOf('c1', 'b-1')]?.physicalId);
        const addr1 = tb.network.addressOf(c1Endpoint);
        const addr2 = tb.network.addressOf(newEndpoint);
        assert.ok(addr1 && addr2, 'both endpoints have addresses in the network twin');
        assert.deepEqual((await queryDns(dns1, b1.host)).addresses, [addr1]);
        assert.deepEqual((await queryDns(dns2, b2.host)).addresses, [addr2]);
        assert.deepEqual(tb.network.resolve(b2.host, c2), [addr2]);
      });

      it('a fourth broker: the next plan creates only its resources, replaces nothing, updates only what must change', async function () {
        this.timeout(120_000);
        // The MSK twin seeds a cluster whole (a new ARN each time) and cannot add a node to one,
        // so the fourth broker comes through cluster.brokersFile: discover's output plus b-4.
        const invFile = path.join(dir, 'inventory-4.json');
        await run(tb, ['discover', '--cluster-arn', tb.clusterArn, '--out', invFile], 0);
        const inv = await readJson<Inventory>(invFile);
        const b1 = inv.brokers.find((b) => b.id === 1);
        assert.ok(b1);
        const subnet = tb.scenario.provider.subnets[0];
        assert.ok(subnet);
        inv.brokers.push({
          id: 4,
          host: b1.host.replace(/^b-1\./, 'b-4.'),
          ip: b1.ip.replace(/\.\d+$/, '.4'),
          subnetId: subnet.id,
          availabilityZoneId: subnet.availabilityZoneId,
        });
        await writeFile(invFile, JSON.stringify(inv, null, 2));
        const four = await writeStackConfig(tb, {
          name: stack,
          pattern: spec.pattern,
          ...(spec.pattern === 2 ? { mode: 'rewrite' as const } : {}),
          extra: { cluster: { brokersFile: invFile, listeners: ['tls'] }, state: { path: statePath } },
        });
        await editConfig(four.file, addBootstrapParameters);

        const stateBefore = await readJson<StateFile>(statePath);
        const status = await run(tb, ['status', '--config', four.file, '--json'], 2);
        const drift = (JSON.parse(status.out) as StatusJson).drift;
        assert.ok(
          drift.some((d) => d.drift === 'new' && d.id.includes('b-4')),
          `status reports the new broker's resources: ${status.out}`,
        );

        const planFile = path.join(four.dir, 'plan-4.json');
        await timed(`p${spec.pattern} plan (fourth broker)`, () =>
          run(tb, ['plan', '--config', four.file, '--out', planFile], 2),
        );
        const p4 = await readJson<SavedPlan>(planFile);
        const b4 = (id: string) => /(^|\/)b-4(\/|$)/.test(id);
        const creates = p4.changes
          .filter((c) => c.action === 'create')
          .map((c) => c.id)
          .sort();
        const updates = p4.changes
          .filter((c) => c.action === 'update')
          .map((c) => c.id)
          .sort();
        const others = p4.changes.filter((c) => c.action === 'replace' || c.action === 'delete');
        assert.deepEqual(
          others.map((c) => `${c.action} ${c.id}: ${c.reason}`),
          [],
          'nothing replaced or deleted',
        );
        assert.deepEqual(
          creates,
          p4.desired
            .filter((r) => b4(r.id))
            .map((r) => r.id)
            .sort(),
          'creates = b-4',
        );
        assert.ok(creates.length > 0);
        const expectedUpdates =
          spec.pattern === 1
            ? ['c1/ssm-parameter', 'c2/ssm-parameter'] // the bootstrap string lists b-4
            : [
                'bootstrap/target-group/tls', // b-4 joins the bootstrap targets
                'c1/security-group', // b-4's port is opened on the endpoints
                'c1/ssm-parameter',
                'c2/security-group',
                'c2/ssm-parameter',
                'provider/security-group', // and on the NLBs' group
              ];
        assert.deepEqual(
          updates,
          expectedUpdates,
          `updates: ${JSON.stringify(p4.changes.filter((c) => c.action === 'update'))}`,
        );
        if (spec.pattern === 1) {
          // Pattern 1: a new NLB, service and an endpoint per consumer for b-4.
          for (const id of [
            'b-4/load-balancer',
            'b-4/endpoint-service',
            'c1/vpc-endpoint/b-4',
            'c2/vpc-endpoint/b-4',
          ])
            assert.ok(creates.includes(id), `creates ${id}`);
        } else {
          // Pattern 2: existing brokers keep their ports; b-4 gets a port no one had.
          for (const b of [1, 2, 3])
            assert.equal(
              p4.portAssignments[`${b}/tls`],
              stateBefore.portAssignments[`${b}/tls`],
              `broker ${b} port`,
            );
          const p = p4.portAssignments['4/tls'];
          assert.ok(p !== undefined && !Object.values(stateBefore.portAssignments).includes(p) && p !== 9094);
          for (const id of ['b-4/listener/tls', 'b-4/broker-listener-config', 'c1/dns-record/b-4'])
            assert.ok(creates.includes(id), `creates ${id}`);
          const listener = p4.desired.find((r) => r.id === 'b-4/listener/tls');
          assert.equal(listener?.props.port, p);
        }
        // Planning writes nothing: state, and its port assignments, are as before.
        assert.deepEqual(await readJson<StateFile>(statePath), stateBefore);
      });

      it('destroy leaves nothing tagged with the stack in any account, and restores the brokers', async function () {
        this.timeout(180_000);
        const state = await readJson<StateFile>(statePath);
        // The sweep sees the stack while it exists (so an empty sweep afterwards means something).
        const present = await taggedWithStack(tb, stack);
        for (const kind of [
          'load-balancer',
          'target-group',
          'endpoint-service',
          'vpc-endpoint',
          'security-group',
          'hosted-zone',
          'ssm-parameter',
        ])
          assert.ok(
            present.some((l) => l.split(' ')[1] === kind),
            `the sweep finds ${kind}s: ${present.join('\n')}`,
          );

        await timed(`p${spec.pattern} destroy`, () =>
          run(tb, ['destroy', '--config', file, '--auto-approve'], 0),
        );
        let left = await taggedWithStack(tb, stack);
        // Deleted endpoints linger as "deleting" for a moment, as in AWS; nothing else may remain.
        for (let i = 0; i < 20 && left.length > 0 && left.every((l) => /\(deleting\)$/.test(l)); i++) {
          await new Promise((r) => setTimeout(r, 250));
          left = await taggedWithStack(tb, stack);
        }
        assert.deepEqual(left, [], 'nothing tagged with the stack remains');
        // Zones by name too (a zone made but not yet tagged would escape the tag sweep).
        const zoneNames = new Set(
          plan.desired.filter((r) => r.kind === 'hosted-zone').map((r) => str(r.props.name)),
        );
        assert.deepEqual(await zonesNamed(tb, zoneNames), [], 'no zone of the cluster domain is left');
        const after = await readJson<StateFile>(statePath);
        assert.deepEqual(after.resources, {}, 'state is empty');
        assert.ok(Object.keys(state.resources).length > 0);

        if (spec.pattern === 2) {
          assert.ok(originals, 'originals captured before apply');
          const restored = await brokerListeners(tb);
          assert.deepEqual(restored, originals, "the brokers' listener settings are the originals");
        }
        await run(tb, ['destroy', '--config', file, '--auto-approve'], 0);
      });
    });
  }

  it("pattern 2's legacy rewrite mode against a KRaft cluster is refused before any AWS call (discovered and from a brokers file)", async function () {
    this.timeout(60_000);
    const sc = tb.scenario;
    const kraftArn = await tb.control.seedMskCluster({
      account: sc.accounts.provider,
      region: sc.region,
      clusterName: 'ledger',
      kafkaVersion: '3.7.x',
      metadataMode: 'KRAFT',
      brokers: sc.cluster.brokers.map((b) => ({
        id: b.id,
        clientVpcIp: b.clientVpcIp,
        clientSubnet: b.clientSubnet,
      })),
    });
    const seeded = await writeStackConfig(tb, {
      name: 'life-kraft',
      pattern: 2,
      extra: { cluster: { arn: kraftArn, listeners: ['tls'] } },
    });
    const invFile = path.join(seeded.dir, 'kraft-inventory.json');
    await run(tb, ['discover', '--cluster-arn', tb.clusterArn, '--out', invFile], 0);
    const inv = await readJson<Inventory>(invFile);
    await writeFile(
      invFile,
      JSON.stringify({ ...inv, metadataMode: 'kraft', kafkaVersion: '3.7.x.kraft' }, null, 2),
    );
    const fromFile = await writeStackConfig(tb, {
      name: 'life-kraft-file',
      pattern: 2,
      extra: { cluster: { brokersFile: invFile, listeners: ['tls'] } },
    });
    for (const cfg of [seeded, fromFile]) {
      await tb.control.resetCounters();
      for (const argv of [
        ['plan', '--config', cfg.file],
        ['apply', '--config', cfg.file, '--auto-approve'],
      ]) {
        const r = await run(tb, argv, 1);
        // PATTERN2_KRAFT's message (the CLI prints messages, not codes).
        assert.match(
          r.err,
          /pattern2\.mode rewrite changes each broker's advertised\.listeners through the Kafka admin API, which KRaft brokers refuse.*leave pattern2\.mode out/s,
          `${argv[0]}: ${r.err}`,
        );
      }
      assert.deepEqual(await mutatingCalls(tb), [], `${cfg.file}: no mutating AWS call`);
      assert.equal(existsSync(cfg.statePath), false, 'no state written');
    }
    assert.deepEqual(await taggedWithStack(tb, 'life-kraft'), []);
  });
});
