// Finding a stack without state (issue 9, "AWS is the truth, state is a cache"): a pattern 1 and a
// pattern 2 stack, two consumer accounts each, are made on the AWS twin with the real handlers
// through the engine and a state file; then the state is thrown away and scanStack finds from
// nothing what the engine wrote (a different code path: state records the planner's props, the
// scan reads AWS). Another stack's resources with the same tag keys are never found, and neither
// is a resource found only through a parent that is not the stack's.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AcceptVpcEndpointConnectionsCommand,
  CreateSecurityGroupCommand,
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { ClientPool } from '../../src/aws/clients.js';
import type { Config } from '../../src/config/schema.js';
import { CollectingReporter, type RunEvent } from '../../src/events.js';
import type { RunDeps } from '../../src/executor/context.js';
import { execute } from '../../src/executor/engine.js';
import { refresh } from '../../src/executor/refresh.js';
import { scanPlaces, scanStack } from '../../src/executor/scan.js';
import type { Resource } from '../../src/kinds/index.js';
import { TAG_ID, TAG_STACK } from '../../src/kinds/kind.js';
import { diff } from '../../src/plan/diff.js';
import { loadBalancersWithoutGroups } from '../../src/planner/input.js';
import { lint } from '../../src/planner/lint.js';
import { planStack } from '../../src/planner/plan-stack.js';
import { portAssignmentsFrom } from '../../src/planner/ports-found.js';
import type { Instance } from '../../src/state/instance.js';
import { LocalStateBackend } from '../../src/state/local.js';
import { StateStore } from '../../src/state/store.js';
import { brokersFor, configOf, inventoryOf, planInputOf } from '../support/fixtures.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc, type AccountNetwork, type Clients } from '../testbed/scenario.js';

const PROVIDER = '111111111111';
const ANALYTICS = '222222222222';
const BILLING = '333333333333';

let twin: AwsTwin;
let provider: Clients;
let analytics: Clients;
let billing: Clients;
let pnet: AccountNetwork;
let anet: AccountNetwork;
let bnet: AccountNetwork;
let pool: ClientPool;
let dir: string;

/** A stack made through the engine: its config, what the planner wanted and the state file the engine wrote. */
interface Made {
  config: Config;
  desired: Resource[];
  portAssignments: Record<string, number>;
  state: Instance[];
}
let pay: Made;
let ord: Made;
let res: Made;
let rez: Made;
const ORD_DOMAIN = () => `orders.def456.c2.kafka.${twin.region}.amazonaws.com`;
/** Pattern 2 ports kept from an earlier state (a plan from nothing would start at portBase 9001). */
const ORD_PORTS = {
  '1/tls': 9101,
  '1/iam': 9102,
  '2/tls': 9011,
  '2/iam': 9012,
  '3/tls': 9121,
  '3/iam': 9122,
};

function deps(stack: string, store: StateStore, reporter = new CollectingReporter()): RunDeps {
  return {
    stack,
    pool,
    store,
    wait: { intervalMs: 25, timeoutMs: 15_000 },
    reporter,
    parallelism: 8,
    kafka: () => Promise.reject(new Error('no Kafka here')),
  };
}

async function storeAt(file: string, stack: string): Promise<StateStore> {
  return StateStore.open(new LocalStateBackend(path.join(dir, file)), stack);
}

function subnetsOf(net: AccountNetwork) {
  return net.subnets.map((s) => ({ id: s.id, azId: s.availabilityZoneId }));
}

/** The planner's stack over the seeded VPCs: three brokers in the provider subnets, consumers in two accounts. */
function planOf(
  config: Config,
  domain: string,
  ipBase: number,
  ports: Record<string, number> = {},
  withoutGroups: string[] = [],
) {
  const brokers = brokersFor([1, 2, 3], 3, domain).map((b, i) => {
    const s = pnet.subnets[i % 3] as AccountNetwork['subnets'][number];
    return {
      ...b,
      ip: `10.0.${i + 1}.${ipBase + b.id}`,
      subnetId: s.id,
      availabilityZoneId: s.availabilityZoneId,
    };
  });
  const input = planInputOf(config, inventoryOf(brokers, { region: twin.region, vpcId: pnet.vpcId }), ports);
  input.prior.loadBalancersWithoutGroups = withoutGroups;
  return planStack(input);
}

/**
 * Makes a stack with the real handlers through the engine. Pattern 2's broker settings live in
 * Kafka (not scanned, and there is no Kafka here): they are left out, and nothing refers to them.
 */
async function make(
  config: Config,
  domain: string,
  ipBase: number,
  ports: Record<string, number> = {},
  withoutGroups: string[] = [],
): Promise<Made> {
  const planned = planOf(config, domain, ipBase, ports, withoutGroups);
  const desired = planned.resources.filter((r) => r.kind !== 'broker-listener-config');
  const store = await storeAt(`${config.name}.json`, config.name);
  const result = await execute(diff(desired, new Map()), desired, {
    ...deps(config.name, store),
    retry: { attempts: 3, baseDelayMs: 20 },
  });
  assert.deepEqual(
    result.failed.map((f) => `${f.id}: ${f.error.message}`),
    [],
  );
  // The state as the engine wrote it to the file, read back from disk.
  const written = await storeAt(`${config.name}.json`, config.name);
  return { config, desired, portAssignments: planned.portAssignments, state: written.instances() };
}

/** Scans a stack from an empty state; answers what was found and the events reported. */
async function scanFromNothing(stack: string, config: Config) {
  const store = await storeAt(`empty-${stack}-${Date.now()}.json`, stack);
  assert.equal(store.instances().length, 0);
  const reporter = new CollectingReporter();
  const found = await scanStack(deps(stack, store, reporter), scanPlaces(config));
  return { found, reporter };
}

/**
 * Props to compare: AWS keeps an NLB's or an endpoint's subnets as a set, so without state their
 * order is AWS's (subnet with its AZ ID, by AZ ID or id); the planner's is the config's. Refresh
 * puts them back in the desired order (the no-change plan below); here they compare as pairs.
 */
function comparable(i: Pick<Instance, 'kind' | 'props'>): Record<string, unknown> {
  if (!['load-balancer', 'vpc-endpoint', 'resource-gateway', 'resource-endpoint'].includes(i.kind))
    return i.props;
  const { subnetIds, azIds, ...rest } = i.props as { subnetIds: string[]; azIds: string[] };
  const pairs = subnetIds.map((s, n) => `${s}@${azIds[n] ?? '?'}`).sort();
  return { ...rest, subnets: pairs };
}

/** Outputs but the endpoint and connection states (pendingAcceptance when the engine wrote them). */
function stableOutputs(i: Instance): Instance['outputs'] {
  const { state: _state, ...rest } = i.outputs;
  return rest;
}

function assertFoundAsWritten(found: Map<string, Instance>, state: Instance[]): void {
  assert.deepEqual([...found.keys()].sort(), state.map((i) => i.id).sort());
  for (const s of state) {
    const f = found.get(s.id) as Instance;
    const where = `${s.id}: ${JSON.stringify({ found: f, state: s })}`;
    assert.equal(f.kind, s.kind, where);
    assert.equal(f.account, s.account, where);
    assert.equal(f.region, s.region, where);
    assert.equal(f.physicalId, s.physicalId, where);
    assert.deepEqual(comparable(f), comparable(s), where);
    // Broker listener settings live in Kafka, not in AWS: no scan finds them, so nothing found
    // depends on them (the legacy provider-VPC records did in state).
    const scanned = s.dependsOn.filter((d) => !d.endsWith('/broker-listener-config'));
    assert.deepEqual(f.dependsOn, scanned, where);
    assert.deepEqual(stableOutputs(f), stableOutputs(s), where);
    assert.equal(f.status, 'ready');
  }
}

function countsLogged(reporter: CollectingReporter): string[] {
  return reporter.events
    .filter((e): e is Extract<RunEvent, { type: 'log' }> => e.type === 'log' && e.level === 'info')
    .map((e) => e.message)
    .filter((m) => m.startsWith('found '));
}

function countsOf(state: Instance[], stack: string, accounts: string[]): string[] {
  return accounts.map(
    (a) => `found ${state.filter((i) => i.account === a).length} resources of stack ${stack} in account ${a}`,
  );
}

/** A group for the brokers in the provider VPC (each stack's rules go on its own). */
async function brokerGroup(name: string): Promise<string> {
  return (
    await provider.ec2.send(
      new CreateSecurityGroupCommand({ GroupName: name, Description: 'brokers', VpcId: pnet.vpcId }),
    )
  ).GroupId as string;
}

/** The two consumers every stack here has, with the stack's own bootstrap parameters. */
function consumers(p: { analytics: string; billing: string }, billingLayout: 'all-azs' | 'broker-az') {
  return [
    {
      name: 'analytics',
      account: ANALYTICS,
      vpcId: anet.vpcId,
      subnets: subnetsOf(anet),
      allowedCidrs: ['10.20.0.0/16'],
      bootstrapParameter: p.analytics,
    },
    {
      name: 'billing',
      account: BILLING,
      vpcId: bnet.vpcId,
      subnets: subnetsOf(bnet),
      allowedCidrs: ['10.30.0.0/16'],
      endpointLayout: billingLayout,
      bootstrapParameter: p.billing,
    },
  ];
}

/** Refreshes the found instances against `desired` and diffs (what a plan after a state loss shows). */
async function changesAfterScan(made: Made, desired: Resource[], found: Map<string, Instance>) {
  const store = await storeAt(`refresh-${made.config.name}-${Date.now()}.json`, made.config.name);
  for (const i of found.values()) store.putInMemory(i);
  const refreshed = await refresh(desired, deps(made.config.name, store));
  return diff(desired, refreshed.observed).filter((c) => c.action !== 'noop');
}

/** A no-change plan: the found instances, refreshed against the desired resources, diff to noops only. */
async function assertNoChangePlan(made: Made, found: Map<string, Instance>): Promise<void> {
  const store = await storeAt(`refresh-${made.config.name}-${Date.now()}.json`, made.config.name);
  for (const i of found.values()) store.putInMemory(i);
  const refreshed = await refresh(made.desired, deps(made.config.name, store));
  assert.deepEqual(refreshed.vanished, []);
  const changes = diff(made.desired, refreshed.observed).filter((c) => c.action !== 'noop');
  assert.deepEqual(
    changes.map((c) => `${c.action} ${c.id}: ${c.reason}`),
    [],
  );
}

describe('scanStack: a stack found from AWS alone', function () {
  this.timeout(180_000);

  before(async () => {
    twin = await startAwsTwin({
      delaysMs: { nlbActiveMs: 50, endpointAvailableMs: 50, endpointDeleteMs: 50, route53ChangeMs: 50 },
    });
    provider = clientsFor(twin, PROVIDER);
    analytics = clientsFor(twin, ANALYTICS);
    billing = clientsFor(twin, BILLING);
    pnet = await seedVpc(provider, '10.0.0.0/16');
    anet = await seedVpc(analytics, '10.20.0.0/16');
    bnet = await seedVpc(billing, '10.30.0.0/16');
    pool = new ClientPool({ roleArns: {}, maxAttempts: 3, configFor: (a) => clientConfigFor(twin, a) });
    dir = await mkdtemp(path.join(tmpdir(), 'mpl-scan-'));
    // Pattern 1: an NLB, service and endpoint per broker; billing's endpoints in the broker's AZ.
    pay = await make(
      configOf({
        name: 'pay',
        region: twin.region,
        pattern: 1,
        cluster: { brokersFile: 'brokers.json', listeners: ['tls'] },
        provider: {
          account: PROVIDER,
          vpcId: pnet.vpcId,
          subnets: subnetsOf(pnet),
          brokerSecurityGroupId: await brokerGroup('pay-brokers'),
        },
        consumers: consumers({ analytics: '/msk/pay/bootstrap', billing: '/msk/pay/billing' }, 'broker-az'),
      }),
      `payments.abc123.c2.kafka.${twin.region}.amazonaws.com`,
      10,
    );
    // Pattern 2: one shared NLB with a port per broker and listener, a provider zone. The same
    // consumer names, so many logical ids are the same as pay's: only the stack tag tells them apart.
    // Its ports come from an earlier state and are not the ones a plan from nothing would pick.
    ord = await make(
      configOf({
        name: 'ord',
        region: twin.region,
        pattern: 2,
        cluster: { brokersFile: 'brokers.json', listeners: ['tls', 'iam'] },
        pattern2: { mode: 'rewrite', providerZone: true, portBase: 9001 },
        provider: {
          account: PROVIDER,
          vpcId: pnet.vpcId,
          subnets: subnetsOf(pnet),
          brokerSecurityGroupId: await brokerGroup('ord-brokers'),
        },
        consumers: consumers({ analytics: '/msk/ord/bootstrap', billing: '/msk/ord/billing' }, 'all-azs'),
      }),
      ORD_DOMAIN(),
      20,
      ORD_PORTS,
    );
    // Pattern 3: a resource gateway, a group and its children, a RAM share accepted in both consumer
    // accounts, a resource endpoint each. The same consumer names again.
    res = await make(
      configOf({
        name: 'res',
        region: twin.region,
        pattern: 3,
        cluster: { brokersFile: 'brokers.json', listeners: ['tls'] },
        provider: {
          account: PROVIDER,
          vpcId: pnet.vpcId,
          subnets: subnetsOf(pnet),
          brokerSecurityGroupId: await brokerGroup('res-brokers'),
        },
        consumers: consumers({ analytics: '/msk/res/bootstrap', billing: '/msk/res/billing' }, 'all-azs'),
      }),
      `reports.fed789.c2.kafka.${twin.region}.amazonaws.com`,
      30,
    );
    // Pattern 3 with the stack's own zones: no custom names, an alias per broker to its child's entry.
    rez = await make(
      configOf({
        name: 'rez',
        region: twin.region,
        pattern: 3,
        pattern3: { dns: 'zone' },
        cluster: { brokersFile: 'brokers.json', listeners: ['tls'] },
        provider: { account: PROVIDER, vpcId: pnet.vpcId, subnets: subnetsOf(pnet) },
        consumers: consumers({ analytics: '/msk/rez/bootstrap', billing: '/msk/rez/billing' }, 'all-azs'),
      }),
      `audit.aaa111.c2.kafka.${twin.region}.amazonaws.com`,
      40,
    );
  });

  after(async () => {
    for (const c of [provider, analytics, billing]) c?.destroy();
    pool?.destroy();
    await twin?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('finds a pattern 1 stack as the engine wrote it: ids, kinds, physical ids, props, dependencies', async () => {
    assert.ok(pay.state.length > 30, `pay has ${pay.state.length} resources`);
    const kinds = new Set(pay.state.map((i) => i.kind));
    for (const k of [
      'listener',
      'endpoint-connection-acceptance',
      'security-group-rule',
      'dns-record',
      'ssm-parameter',
    ])
      assert.ok(kinds.has(k as Instance['kind']), `pay has a ${k}`);
    // The NLBs' security group: every NLB made with it, the brokers' rule admitting it.
    assert.ok(pay.state.some((i) => i.id === 'provider/security-group'));
    for (const i of pay.state.filter((x) => x.kind === 'load-balancer' || x.kind === 'security-group-rule'))
      assert.ok(i.dependsOn.includes('provider/security-group'), i.id);
    assert.equal(
      pay.state.find((i) => i.kind === 'security-group-rule')?.props.sourceGroup,
      'provider/security-group',
    );
    const { found, reporter } = await scanFromNothing('pay', pay.config);
    assertFoundAsWritten(found, pay.state);
    assert.deepEqual(countsLogged(reporter), countsOf(pay.state, 'pay', [PROVIDER, ANALYTICS, BILLING]));
    await assertNoChangePlan(pay, found);
  });

  it("finds a pattern 2 stack as the engine wrote it, and rebuilds the planner's port table", async () => {
    assert.ok(
      ord.state.some((i) => i.id === 'provider/dns-record/b-1'),
      'ord has a provider zone record',
    );
    // Its NLB group admits the MSK VPC's clients (the provider zone sends them to the NLB): 'vpc',
    // which the scan reads back from the VPC's CIDR blocks.
    const group = ord.state.find((i) => i.id === 'provider/security-group');
    const ingress = (group?.props.ingress ?? []) as Array<{ cidr: string }>;
    assert.ok(
      ingress.some((r) => r.cidr === 'vpc'),
      JSON.stringify(ingress),
    );
    const { found, reporter } = await scanFromNothing('ord', ord.config);
    assertFoundAsWritten(found, ord.state);
    assert.deepEqual(countsLogged(reporter), countsOf(ord.state, 'ord', [PROVIDER, ANALYTICS, BILLING]));
    // The port table from the shared NLB's listeners is the planner's.
    assert.deepEqual(ord.portAssignments, ORD_PORTS);
    const table = portAssignmentsFrom(found.values());
    assert.deepEqual(table, ord.portAssignments);
    // A plan made after the state loss with it keeps each broker's port: the same resources as before.
    const fromNothing = planOf(ord.config, ORD_DOMAIN(), 20);
    assert.notDeepEqual(fromNothing.portAssignments, ORD_PORTS, 'without the table the ports would move');
    const replanned = planOf(ord.config, ORD_DOMAIN(), 20, table);
    assert.deepEqual(replanned.portAssignments, ORD_PORTS);
    assert.deepEqual(
      replanned.resources.filter((r) => r.kind !== 'broker-listener-config'),
      ord.desired,
    );
    await assertNoChangePlan(ord, found);
    // Pattern 1 has no shared NLB: no port table.
    assert.deepEqual(portAssignmentsFrom(pay.state), {});
  });

  for (const [label, stack] of [
    ['managed names', () => res],
    ["the stack's own zones", () => rez],
  ] as const)
    it(`finds a pattern 3 stack (${label}) as the engine wrote it; the untagged share acceptances come back through refresh`, async () => {
      await assertPattern3Found(stack());
    });

  async function assertPattern3Found(res: Made): Promise<void> {
    const name = res.config.name;
    const kinds = new Set(res.state.map((i) => i.kind));
    for (const k of ['resource-gateway', 'resource-configuration', 'resource-share', 'resource-endpoint'])
      assert.ok(kinds.has(k as Instance['kind']), `${name} has a ${k}`);
    if (res.config.pattern3.dns === 'zone')
      assert.ok(kinds.has('dns-record') && kinds.has('hosted-zone'), `${name} has its own zones and records`);
    const { found, reporter } = await scanFromNothing(name, res.config);
    // An acceptance is no resource of its own in AWS (no tags): not scanned, and nothing else lists it.
    const acceptance = (id: string) => id.endsWith('/resource-share-acceptance');
    const written = res.state
      .filter((i) => !acceptance(i.id))
      .map((i) => ({ ...i, dependsOn: i.dependsOn.filter((d) => !acceptance(d)) }));
    assert.equal(res.state.length - written.length, 2, 'one acceptance per consumer account');
    assertFoundAsWritten(found, written);
    assert.deepEqual(countsLogged(reporter), countsOf(written, name, [PROVIDER, ANALYTICS, BILLING]));
    await assertNoChangePlan(res, found);
  }

  it("never finds another stack's resources, though they carry the same tag keys and logical ids", async () => {
    const shared = pay.state.filter((i) => ord.state.some((o) => o.id === i.id)).map((i) => i.id);
    assert.ok(
      shared.includes('analytics/security-group') && shared.includes('analytics/hosted-zone'),
      String(shared),
    );
    const { found } = await scanFromNothing('pay', pay.config);
    const ordPhysical = new Set(ord.state.map((i) => i.physicalId));
    assert.deepEqual(
      [...found.values()].filter((i) => ordPhysical.has(i.physicalId)).map((i) => i.id),
      [],
    );
    // Stack names are matched whole: a stack whose name is a prefix of another's finds nothing.
    for (const stack of ['pa', 'or', 'nobody']) {
      const { found: none, reporter } = await scanFromNothing(stack, pay.config);
      assert.deepEqual([...none.keys()], [], stack);
      assert.deepEqual(countsLogged(reporter), countsOf([], stack, [PROVIDER, ANALYTICS, BILLING]));
    }
  });

  it('finds a stack an earlier version made (its NLB without a security group) and keeps the NLB so: no change planned; without that, a cascade of replacements', async () => {
    const domain = `legacy.fff000.c2.kafka.${twin.region}.amazonaws.com`;
    const config = configOf({
      name: 'old',
      region: twin.region,
      pattern: 2,
      cluster: { brokersFile: 'brokers.json', listeners: ['tls'] },
      pattern2: { mode: 'rewrite', providerZone: true, portBase: 9301 },
      provider: {
        account: PROVIDER,
        vpcId: pnet.vpcId,
        subnets: subnetsOf(pnet),
        brokerSecurityGroupId: await brokerGroup('old-brokers'),
      },
      consumers: consumers({ analytics: '/msk/old/bootstrap', billing: '/msk/old/billing' }, 'all-azs'),
    });
    // As an earlier version left it: the NLB without a group, the brokers admitting its subnets.
    const old = await make(config, domain, 50, {}, ['shared/load-balancer']);
    assert.ok(!old.state.some((i) => i.id === 'provider/security-group'));
    assert.deepEqual(old.state.find((i) => i.id === 'shared/load-balancer')?.props.securityGroups, []);
    const { found } = await scanFromNothing('old', config);
    assertFoundAsWritten(found, old.state);
    const kept = loadBalancersWithoutGroups(found.values());
    assert.deepEqual(kept, ['shared/load-balancer']);
    const replanned = planOf(config, domain, 50, portAssignmentsFrom(found.values()), kept);
    assert.deepEqual(
      replanned.resources.filter((r) => r.kind !== 'broker-listener-config'),
      old.desired,
    );
    await assertNoChangePlan(old, found);
    const input = planInputOf(config, inventoryOf([], { region: twin.region, vpcId: pnet.vpcId }));
    assert.match(
      lint(input, replanned.resources).find((f) => f.code === 'MPL110')?.message ?? '',
      /^shared\/load-balancer: made by an earlier version without a security group/,
    );
    // Planned as for a new stack instead: the NLB replaced, and with it the service and every endpoint.
    const fresh = planOf(config, domain, 50, portAssignmentsFrom(found.values())).resources.filter(
      (r) => r.kind !== 'broker-listener-config',
    );
    const changes = await changesAfterScan(old, fresh, found);
    const replaced = changes.filter((c) => c.action === 'replace').map((c) => c.id);
    for (const id of [
      'shared/load-balancer',
      'shared/endpoint-service',
      'analytics/vpc-endpoint',
      'billing/vpc-endpoint',
    ])
      assert.ok(replaced.includes(id), `${id} in ${replaced.join(', ')}`);
  });

  it("finds nothing through a parent that is not the stack's, nor what went with a parent that is gone", async () => {
    const svcB1 = pay.state.find((i) => i.id === 'b-1/endpoint-service') as Instance;
    // A listener tagged as pay's on an NLB pay did not make: listeners are found on pay's NLBs only.
    const lb = await provider.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: 'stray-nlb',
        Type: 'network',
        Scheme: 'internal',
        Subnets: pnet.subnets.map((s) => s.id),
      }),
    );
    const tg = await provider.elbv2.send(
      new CreateTargetGroupCommand({
        Name: 'stray-tg',
        Protocol: 'TCP',
        Port: 9094,
        VpcId: pnet.vpcId,
        TargetType: 'ip',
      }),
    );
    await provider.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancers?.[0]?.LoadBalancerArn,
        Protocol: 'TCP',
        Port: 9094,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroups?.[0]?.TargetGroupArn }],
        Tags: [
          { Key: TAG_STACK, Value: 'pay' },
          { Key: TAG_ID, Value: 'b-9/listener/tls' },
        ],
      }),
    );
    // An endpoint pay did not make, connected to (and accepted on) pay's service: not pay's acceptance.
    const stray = await analytics.ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: anet.vpcId,
        ServiceName: svcB1.outputs.serviceName as string,
        SubnetIds: [anet.subnets[0]?.id as string],
      }),
    );
    await provider.ec2.send(
      new AcceptVpcEndpointConnectionsCommand({
        ServiceId: svcB1.physicalId,
        VpcEndpointIds: [stray.VpcEndpoint?.VpcEndpointId as string],
      }),
    );
    // A zone with pay's domain that pay did not make: its broker record is not pay's.
    const zone = await analytics.route53.send(
      new CreateHostedZoneCommand({
        Name: `payments.abc123.c2.kafka.${twin.region}.amazonaws.com`,
        CallerReference: `stray-${Date.now()}`,
        VPC: { VPCId: anet.vpcId, VPCRegion: twin.region as never },
        HostedZoneConfig: { PrivateZone: true },
      }),
    );
    const pick = (id: string) => pay.state.find((i) => i.id === id) as Instance;
    await analytics.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.HostedZone?.Id,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: `b-7.payments.abc123.c2.kafka.${twin.region}.amazonaws.com`,
                Type: 'A',
                AliasTarget: {
                  HostedZoneId: pick('analytics/vpc-endpoint/b-1').outputs.hostedZoneId as string,
                  DNSName: pick('analytics/vpc-endpoint/b-1').outputs.dnsName as string,
                  EvaluateTargetHealth: false,
                },
              },
            },
          ],
        },
      }),
    );
    // An endpoint of pay deleted out of band: it and its acceptance are gone; its record is still
    // in pay's zone (so found), pointing at a name nothing found has.
    const gone = pick('billing/vpc-endpoint/b-2');
    await billing.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [gone.physicalId] }));
    for (let n = 0; ; n++) {
      const left = await billing.ec2.send(new DescribeVpcEndpointsCommand({}));
      if (
        !left.VpcEndpoints?.some(
          (e) => e.VpcEndpointId === gone.physicalId && e.State?.toLowerCase() !== 'deleted',
        )
      )
        break;
      assert.ok(n < 100, 'the endpoint is deleted');
      await new Promise((r) => setTimeout(r, 25));
    }

    const { found } = await scanFromNothing('pay', pay.config);
    const expected = pay.state.filter(
      (i) => i.id !== 'billing/vpc-endpoint/b-2' && i.id !== 'billing/endpoint-connection-acceptance/b-2',
    );
    assert.deepEqual([...found.keys()].sort(), expected.map((i) => i.id).sort());
    const record = found.get('billing/dns-record/b-2') as Instance;
    assert.equal(record.physicalId, pick('billing/dns-record/b-2').physicalId);
    assert.deepEqual(record.props.aliasTarget, {
      kind: 'vpc-endpoint',
      id: (gone.outputs.dnsName as string).toLowerCase(),
    });
    assert.deepEqual(record.dependsOn, ['billing/hosted-zone']);
    assertFoundAsWritten(
      new Map([...found].filter(([id]) => id !== 'billing/dns-record/b-2')),
      expected.filter((i) => i.id !== 'billing/dns-record/b-2'),
    );
  });
});
