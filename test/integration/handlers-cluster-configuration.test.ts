// The cluster-configuration kind (pattern 2, msk-configuration mode) against the AWS twin's MSK
// configuration APIs through real SDK clients: the cluster's other server properties carried into
// the new revision, MSK's operation waited for, a crash after CreateConfiguration adopted, the
// previous configuration put back on delete (recovered from the cluster's operations when the
// state lost it), a default-configuration cluster left on a revision without the property, and
// MSK's refusals passed on. No Kafka here: the twin completes each broker's restart on its clock.
import assert from 'node:assert/strict';
import {
  CreateConfigurationCommand,
  DescribeClusterV2Command,
  DescribeConfigurationRevisionCommand,
  KafkaClient,
  ListConfigurationsCommand,
  UpdateClusterConfigurationCommand,
} from '@aws-sdk/client-kafka';
import { kindDef } from '../../src/kinds/index.js';
import type { Desired } from '../../src/kinds/kind.js';
import type { Instance } from '../../src/state/instance.js';
import { TestCtx } from '../support/handler-ctx.js';
import { clientConfigFor, startAwsTwin, type AwsTwin } from '../testbed/aws/twin.js';
import { clientsFor, seedVpc, type AccountNetwork } from '../testbed/scenario.js';

const PROVIDER = '111111111111';
const PROPERTY = (domain: string) => `CLIENT_SECURE://b-{broker_id}.${domain}:9000+{broker_id}`;

type Props = {
  clusterArn: string;
  configurationName: string;
  customAdvertisedListeners: string;
  checkListener?: string;
  checkPort?: number;
};

describe('handlers: cluster-configuration (MSK custom.advertised.listeners) against the AWS twin', function () {
  this.timeout(60_000);
  let twin: AwsTwin;
  let kafka: KafkaClient;
  let net: AccountNetwork;
  const def = kindDef('cluster-configuration');

  before(async () => {
    twin = await startAwsTwin({ delaysMs: { mskBrokerRestartMs: 50 } });
    kafka = new KafkaClient(clientConfigFor(twin, PROVIDER));
    const c = clientsFor(twin, PROVIDER);
    try {
      net = await seedVpc(c, '10.0.0.0/16');
    } finally {
      c.destroy();
    }
  });

  after(async () => {
    kafka?.destroy();
    await twin?.stop();
  });

  async function seed(name: string, configuration?: { serverProperties: string }) {
    const c = await twin.control.seedMskClusterDetailed({
      account: PROVIDER,
      region: twin.region,
      clusterName: name,
      auth: { unauthenticated: true },
      brokers: [1, 2, 3].map((id) => ({
        id,
        clientVpcIp: `10.0.${id}.10`,
        clientSubnet: net.subnets[(id - 1) % net.subnets.length]?.id as string,
      })),
      ...(configuration ? { configuration } : {}),
    });
    const info = (await kafka.send(new DescribeClusterV2Command({ ClusterArn: c.clusterArn }))).ClusterInfo;
    const domain = /^b-1\.(.+)$/.exec(c.brokers[0]?.endpoint ?? '')?.[1];
    assert.ok(domain, JSON.stringify(c.brokers));
    return { arn: c.clusterArn, domain, sw: info?.Provisioned?.CurrentBrokerSoftwareInfo };
  }

  function desired(stack: string, props: Props): Desired<Props> {
    return {
      kind: 'cluster-configuration',
      id: 'shared/cluster-configuration',
      account: PROVIDER,
      region: twin.region,
      props,
      dependsOn: [],
    };
  }

  async function current(clusterArn: string) {
    const sw = (await kafka.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }))).ClusterInfo
      ?.Provisioned?.CurrentBrokerSoftwareInfo;
    const text =
      sw?.ConfigurationArn === undefined
        ? ''
        : new TextDecoder().decode(
            (
              await kafka.send(
                new DescribeConfigurationRevisionCommand({
                  Arn: sw.ConfigurationArn,
                  Revision: sw.ConfigurationRevision,
                }),
              )
            ).ServerProperties,
          );
    return { arn: sw?.ConfigurationArn, revision: sw?.ConfigurationRevision, text };
  }

  const asInstance = (
    d: Desired<Props>,
    live: { physicalId: string; outputs: Instance['outputs'] },
  ): Instance<Props> => ({
    id: d.id,
    kind: 'cluster-configuration',
    account: d.account,
    region: d.region,
    physicalId: live.physicalId,
    props: d.props,
    dependsOn: [],
    outputs: live.outputs,
    status: 'ready',
  });

  it("applies the property on top of the cluster's own configuration and puts that configuration back on delete", async () => {
    const t = new TestCtx(twin, 'cc1');
    const c = await seed('cc1', {
      serverProperties: 'auto.create.topics.enable=true\nlog.retention.hours=48\n',
    });
    const before = await current(c.arn);
    assert.ok(before.arn, 'the seeded cluster runs a configuration of its own');
    const d = desired('cc1', {
      clusterArn: c.arn,
      configurationName: 'mpl-cc1',
      customAdvertisedListeners: PROPERTY(c.domain),
      checkListener: 'CLIENT_SECURE',
      checkPort: 9094,
    });
    assert.equal(await def.handler.read(t.ctx(PROVIDER), d, undefined), undefined, 'nothing applied yet');

    const made = await def.handler.create(t.ctx(PROVIDER), d);
    const now = await current(c.arn);
    assert.match(now.arn ?? '', /configuration\/mpl-cc1\//);
    assert.match(
      now.text,
      /^auto\.create\.topics\.enable=true\nlog\.retention\.hours=48\ncustom\.advertised\.listeners=CLIENT_SECURE:\/\/b-\{broker_id\}/,
    );
    assert.equal(made.outputs.previous, `${before.arn}#${before.revision}`);
    assert.ok(
      t.messages.some((m) => /metadata not checked/.test(m)),
      'no Kafka here: the check says so',
    );

    const read = await def.handler.read(t.ctx(PROVIDER), d, asInstance(d, made));
    assert.equal(read?.props.customAdvertisedListeners, PROPERTY(c.domain));
    // Lost state: the previous configuration comes back from the cluster's operations.
    const lost = await def.handler.read(t.ctx(PROVIDER), d, undefined);
    assert.equal(lost?.outputs.previous, made.outputs.previous);

    // A new value is a new revision, and what the cluster had before is still the way back.
    const d2 = desired('cc1', {
      ...d.props,
      customAdvertisedListeners: PROPERTY(c.domain).replace(':9000+', ':9500+'),
    });
    const updated = await def.handler.update!(t.ctx(PROVIDER), d2, made);
    assert.equal(updated.outputs.previous, made.outputs.previous);
    assert.equal(Number((await current(c.arn)).revision), 2);

    await def.handler.delete(t.ctx(PROVIDER), { ...asInstance(d2, updated), outputs: {} });
    assert.deepEqual(
      await current(c.arn),
      before,
      'the cluster is back on its own configuration (found without state)',
    );
    const names =
      (await kafka.send(new ListConfigurationsCommand({}))).Configurations?.map((x) => x.Name) ?? [];
    assert.ok(!names.includes('mpl-cc1'), 'our configuration is deleted once no cluster runs it');
  });

  it("a cluster on MSK's default configuration ends on a revision without the property, which stays", async () => {
    const t = new TestCtx(twin, 'cc2');
    const c = await seed('cc2');
    assert.equal((await current(c.arn)).arn, undefined);
    const d = desired('cc2', {
      clusterArn: c.arn,
      configurationName: 'mpl-cc2',
      customAdvertisedListeners: PROPERTY(c.domain),
    });
    const made = await def.handler.create(t.ctx(PROVIDER), d);
    assert.equal(made.outputs.previous, 'default');
    await def.handler.delete(t.ctx(PROVIDER), asInstance(d, made));
    const after = await current(c.arn);
    assert.match(after.arn ?? '', /mpl-cc2/);
    assert.doesNotMatch(after.text, /^\s*custom\.advertised\.listeners\s*=/m);
    assert.ok(
      t.messages.some((m) => /stays: the cluster runs it/.test(m)),
      t.messages.join('\n'),
    );
    assert.equal(
      await def.handler.read(t.ctx(PROVIDER), d, undefined),
      undefined,
      'read: not there any more',
    );
  });

  it('a run killed after CreateConfiguration adopts the configuration: no second one, one revision', async () => {
    const t = new TestCtx(twin, 'cc3');
    const c = await seed('cc3');
    // What the killed run left: the configuration, never applied.
    const blob = new TextEncoder().encode(`custom.advertised.listeners=${PROPERTY(c.domain)}\n`);
    await kafka.send(new CreateConfigurationCommand({ Name: 'mpl-cc3', ServerProperties: blob }));
    const d = desired('cc3', {
      clusterArn: c.arn,
      configurationName: 'mpl-cc3',
      customAdvertisedListeners: PROPERTY(c.domain),
    });
    await def.handler.create(t.ctx(PROVIDER), d);
    const mine =
      (await kafka.send(new ListConfigurationsCommand({}))).Configurations?.filter(
        (x) => x.Name === 'mpl-cc3',
      ) ?? [];
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.LatestRevision?.Revision, 1, 'the same text reuses the revision');
    assert.equal((await current(c.arn)).revision, 1);
  });

  it('a lost state: scan finds the configuration on its cluster, with the way back, after the listeners', async () => {
    const t = new TestCtx(twin, 'cc6');
    const c = await seed('cc6', { serverProperties: 'log.retention.hours=24\n' });
    const before = await current(c.arn);
    const d = desired('cc6', {
      clusterArn: c.arn,
      configurationName: 'mpl-cc6',
      customAdvertisedListeners: PROPERTY(c.domain),
    });
    const made = await def.handler.create(t.ctx(PROVIDER), d);
    const listener: Instance = {
      id: 'b-1/listener/tls',
      kind: 'listener',
      account: PROVIDER,
      region: twin.region,
      physicalId: 'arn:listener',
      props: {},
      dependsOn: [],
      outputs: {},
      status: 'ready',
    };
    assert.ok(def.scan, 'cluster-configuration has a scan');
    const found = await def.scan(t.ctx(PROVIDER), new Map([[listener.id, listener]]));
    assert.equal(found.length, 1);
    assert.equal(found[0]?.id, 'shared/cluster-configuration');
    assert.equal(found[0]?.live.physicalId, made.physicalId);
    assert.equal(found[0]?.live.props.clusterArn, c.arn);
    assert.equal(found[0]?.live.props.customAdvertisedListeners, PROPERTY(c.domain));
    assert.equal(found[0]?.live.outputs.previous, `${before.arn}#${before.revision}`);
    assert.deepEqual(found[0]?.dependsOn, ['b-1/listener/tls']);
    // Another stack's scan finds nothing; after a restore there is nothing to find.
    assert.deepEqual(await def.scan(new TestCtx(twin, 'other').ctx(PROVIDER), new Map()), []);
    await def.handler.delete(t.ctx(PROVIDER), asInstance(d, found[0]!.live));
    assert.deepEqual(await current(c.arn), before);
    assert.deepEqual(await def.scan(t.ctx(PROVIDER), new Map()), []);
  });

  it("passes MSK's refusal on as MSK_CONFIGURATION_REFUSED, before changing the cluster", async () => {
    const t = new TestCtx(twin, 'cc4');
    const c = await seed('cc4');
    // CLIENT_IAM is not a listener this cluster serves (unauthenticated TLS only).
    const d = desired('cc4', {
      clusterArn: c.arn,
      configurationName: 'mpl-cc4',
      customAdvertisedListeners: `CLIENT_IAM://b-{broker_id}.${c.domain}:9000+{broker_id}`,
    });
    await assert.rejects(def.handler.create(t.ctx(PROVIDER), d), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'MSK_CONFIGURATION_REFUSED');
      assert.match(e.message, /CLIENT_IAM/);
      return true;
    });
    assert.equal((await current(c.arn)).arn, undefined, 'the cluster is untouched');
  });

  it('waits out an operation already running (a resumed run) instead of starting a second', async () => {
    const t = new TestCtx(twin, 'cc5');
    const c = await seed('cc5');
    const blob = new TextEncoder().encode(`custom.advertised.listeners=${PROPERTY(c.domain)}\n`);
    const cfg = await kafka.send(new CreateConfigurationCommand({ Name: 'mpl-cc5', ServerProperties: blob }));
    const info = (await kafka.send(new DescribeClusterV2Command({ ClusterArn: c.arn }))).ClusterInfo;
    // The killed run's UpdateClusterConfiguration, still rolling.
    await kafka.send(
      new UpdateClusterConfigurationCommand({
        ClusterArn: c.arn,
        ConfigurationInfo: { Arn: cfg.Arn, Revision: 1 },
        CurrentVersion: info?.CurrentVersion,
      }),
    );
    const d = desired('cc5', {
      clusterArn: c.arn,
      configurationName: 'mpl-cc5',
      customAdvertisedListeners: PROPERTY(c.domain),
    });
    const made = await def.handler.create(t.ctx(PROVIDER), d);
    assert.equal(made.outputs.revision, '1');
    assert.ok(
      t.messages.some((m) => /waiting for operation/.test(m)),
      t.messages.join('\n'),
    );
    const again = await def.handler.read(t.ctx(PROVIDER), d, undefined);
    assert.equal(again?.props.customAdvertisedListeners, PROPERTY(c.domain));
  });
});
