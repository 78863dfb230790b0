// The AWS twin's MSK configurations, UpdateClusterConfiguration and its rolling restart, and the
// custom.advertised.listeners checks (MSK developer guide, "Configure custom domain names for your Amazon
// MSK cluster"): real AWS SDK v3 clients over HTTP against the twin.
import assert from 'node:assert/strict';
import {
  CreateConfigurationCommand,
  DeleteConfigurationCommand,
  DescribeClusterCommand,
  DescribeClusterOperationCommand,
  DescribeClusterOperationV2Command,
  DescribeClusterV2Command,
  DescribeConfigurationCommand,
  DescribeConfigurationRevisionCommand,
  KafkaClient,
  ListClusterOperationsCommand,
  ListClusterOperationsV2Command,
  ListConfigurationRevisionsCommand,
  ListConfigurationsCommand,
  ListNodesCommand,
  UpdateClusterConfigurationCommand,
  UpdateConfigurationCommand,
  type ClusterOperationV2,
} from '@aws-sdk/client-kafka';
import {
  clientConfigFor,
  startAwsTwin,
  type AdvertisedListeners,
  type AwsTwin,
  type MskClusterSeed,
} from '../testbed/aws/twin.js';
import { startMskDriver } from '../testbed/kafka/msk-driver.js';

const ACCOUNT = '111111111111';
const RESTART_MS = 150;
const DOMAIN = 'orders.abc123.c2.kafka.us-east-1.amazonaws.com';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const listenersProp = (value: string): Uint8Array =>
  utf8(`auto.create.topics.enable=true\ncustom.advertised.listeners=${value}\n`);

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected the call to fail');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('AWS twin: MSK configurations and rolling restarts', function () {
  this.timeout(30_000);
  let twin: AwsTwin;
  let kafka: KafkaClient;

  before(async () => {
    twin = await startAwsTwin({ delaysMs: { mskBrokerRestartMs: RESTART_MS } });
    kafka = new KafkaClient(clientConfigFor(twin, ACCOUNT, { maxAttempts: 1 }));
  });

  after(async () => {
    kafka?.destroy();
    await twin?.stop();
  });

  beforeEach(async () => {
    await twin.control.reset();
    await twin.control.setDelays({ mskBrokerRestartMs: RESTART_MS });
  });

  /** A 3-broker cluster with CLIENT (9092), CLIENT_SECURE (9094) and CLIENT_SASL_SCRAM (9096), as the scenario seeds it. */
  async function seedCluster(extra: Partial<MskClusterSeed> = {}): Promise<string> {
    return twin.control.seedMskCluster({
      account: ACCOUNT,
      clusterName: 'orders',
      shortId: 'abc123',
      clientBroker: 'TLS_PLAINTEXT',
      auth: { unauthenticated: true, scram: true },
      brokers: [1, 2, 3].map((id) => ({ id, clientVpcIp: `10.0.${id}.10`, clientSubnet: `subnet-${id}` })),
      ...extra,
    });
  }

  async function createConfiguration(name: string, properties: Uint8Array): Promise<string> {
    const out = await kafka.send(
      new CreateConfigurationCommand({ Name: name, ServerProperties: properties }),
    );
    return out.Arn!;
  }

  async function describeV2(arn: string) {
    return (await kafka.send(new DescribeClusterV2Command({ ClusterArn: arn }))).ClusterInfo!;
  }

  async function applyConfiguration(
    clusterArn: string,
    configArn: string,
    revision: number,
  ): Promise<string> {
    const version = (await describeV2(clusterArn)).CurrentVersion!;
    const out = await kafka.send(
      new UpdateClusterConfigurationCommand({
        ClusterArn: clusterArn,
        ConfigurationInfo: { Arn: configArn, Revision: revision },
        CurrentVersion: version,
      }),
    );
    assert.equal(out.ClusterArn, clusterArn);
    return out.ClusterOperationArn!;
  }

  async function operation(arn: string): Promise<ClusterOperationV2> {
    return (await kafka.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: arn })))
      .ClusterOperationInfo!;
  }

  async function finished(arn: string, timeoutMs = 5000): Promise<ClusterOperationV2> {
    return waitFor(
      `operation ${arn} to finish`,
      async () => {
        const op = await operation(arn);
        return op.OperationState === 'UPDATE_COMPLETE' || op.OperationState === 'UPDATE_FAILED'
          ? op
          : undefined;
      },
      timeoutMs,
    );
  }

  it('round-trips configurations and their revisions', async () => {
    const properties = listenersProp(`CLIENT_SECURE://b-{broker_id}.${DOMAIN}:9000+{broker_id}`);
    const created = await kafka.send(
      new CreateConfigurationCommand({
        Name: 'custom-domain',
        Description: 'first',
        KafkaVersions: ['3.9.x'],
        ServerProperties: properties,
      }),
    );
    assert.match(
      created.Arn!,
      /^arn:aws:kafka:us-east-1:111111111111:configuration\/custom-domain\/[0-9a-f-]{36}-\d$/,
    );
    assert.equal(created.State, 'ACTIVE');
    assert.equal(created.LatestRevision!.Revision, 1);
    assert.ok(created.CreationTime instanceof Date);

    const described = await kafka.send(new DescribeConfigurationCommand({ Arn: created.Arn! }));
    assert.equal(described.Name, 'custom-domain');
    assert.equal(described.Description, 'first');
    assert.deepEqual(described.KafkaVersions, ['3.9.x']);
    const rev1 = await kafka.send(
      new DescribeConfigurationRevisionCommand({ Arn: created.Arn!, Revision: 1 }),
    );
    assert.equal(new TextDecoder().decode(rev1.ServerProperties), new TextDecoder().decode(properties));
    assert.equal(rev1.Description, 'first');

    const updated = await kafka.send(
      new UpdateConfigurationCommand({
        Arn: created.Arn!,
        Description: 'second',
        ServerProperties: utf8('num.partitions=3\n'),
      }),
    );
    assert.equal(updated.LatestRevision!.Revision, 2);
    const rev2 = await kafka.send(
      new DescribeConfigurationRevisionCommand({ Arn: created.Arn!, Revision: 2 }),
    );
    assert.equal(new TextDecoder().decode(rev2.ServerProperties), 'num.partitions=3\n');
    const revisions = await kafka.send(new ListConfigurationRevisionsCommand({ Arn: created.Arn! }));
    assert.deepEqual(
      revisions.Revisions!.map((r) => [r.Revision, r.Description]),
      [
        [1, 'first'],
        [2, 'second'],
      ],
    );
    const latest = await kafka.send(new DescribeConfigurationCommand({ Arn: created.Arn! }));
    assert.equal(latest.LatestRevision!.Revision, 2);

    await createConfiguration('other', utf8('num.partitions=1\n'));
    const page1 = await kafka.send(new ListConfigurationsCommand({ MaxResults: 1 }));
    assert.equal(page1.Configurations!.length, 1);
    assert.ok(page1.NextToken);
    const page2 = await kafka.send(
      new ListConfigurationsCommand({ MaxResults: 1, NextToken: page1.NextToken }),
    );
    assert.deepEqual([...page1.Configurations!, ...page2.Configurations!].map((c) => c.Name).sort(), [
      'custom-domain',
      'other',
    ]);
    assert.equal(page2.NextToken, undefined);

    const duplicate = await rejection(createConfiguration('custom-domain', utf8('num.partitions=1\n')));
    assert.equal(duplicate.name, 'ConflictException');
    assert.equal(duplicate.$metadata?.httpStatusCode, 409);
    const missing = await rejection(
      kafka.send(new DescribeConfigurationCommand({ Arn: created.Arn!.replace(/-\d$/, '-0') })),
    );
    assert.equal(missing.name, 'BadRequestException');
    assert.match(missing.message, /Configuration ARN does not exist/);
    const noRevision = await rejection(
      kafka.send(new DescribeConfigurationRevisionCommand({ Arn: created.Arn!, Revision: 3 })),
    );
    assert.equal(noRevision.name, 'BadRequestException');
  });

  it('refuses custom.advertised.listeners values MSK refuses, on create and on update', async () => {
    const cases: Array<[string, RegExp]> = [
      [`CLIENT_SECURE://b-{broker_id}.${DOMAIN}:9000`, /port of CLIENT_SECURE must contain \{broker_id\}/],
      [`CLIENT_SECURE://b-1.${DOMAIN}:9001`, /must contain \{broker_id\}/],
      [`CLIENT_SECURE://b-{broker_id}.${DOMAIN}:{broker_id}+9000`, /must be base\+\{broker_id\}/],
      ['CLIENT_TLS://b-{broker_id}.example.com:9000+{broker_id}', /unknown listener name CLIENT_TLS/],
      ['REPLICATION://b-{broker_id}.example.com:9000+{broker_id}', /unknown listener name REPLICATION/],
      [
        'CLIENT_IAM_VPCE://b-{broker_id}.example.com:9000+{broker_id}',
        /unknown listener name CLIENT_IAM_VPCE/,
      ],
      [
        'CLIENT_IAM://b-{broker_id}.a.example.com:9000+{broker_id},CLIENT_IAM://b-{broker_id}.b.example.com:19000+{broker_id}',
        /listener CLIENT_IAM appears more than once/,
      ],
      [
        'CLIENT_IAM://b-{broker_id}.example.com:9000+{broker_id},CLIENT_SASL_SCRAM://b-{broker_id}.example.com:9000+{broker_id}',
        /CLIENT_IAM of broker 1 and CLIENT_SASL_SCRAM of broker 1 both resolve to b-1\.example\.com:9001/,
      ],
      [
        'CLIENT_IAM=b-{broker_id}.example.com:9000+{broker_id}',
        /is not LISTENER_NAME:\/\/hostname-pattern:port\+\{broker_id\}/,
      ],
      ['CLIENT_IAM://b_{broker_id}.example.com:9000+{broker_id}', /is not a hostname pattern/],
      ['CLIENT_IAM://b-{broker_id}.example.com:65535+{broker_id}', /leaves no valid port/],
      ['', /expected LISTENER_NAME/],
    ];
    const existing = await createConfiguration('base', utf8('num.partitions=1\n'));
    for (const [value, message] of cases) {
      const onCreate = await rejection(createConfiguration('refused', listenersProp(value)));
      assert.equal(onCreate.name, 'BadRequestException', value);
      assert.equal(onCreate.$metadata?.httpStatusCode, 400, value);
      assert.match(onCreate.message, message, value);
      const onUpdate = await rejection(
        kafka.send(new UpdateConfigurationCommand({ Arn: existing, ServerProperties: listenersProp(value) })),
      );
      assert.equal(onUpdate.name, 'BadRequestException', value);
      assert.match(onUpdate.message, message, value);
    }
    // None of them left a configuration or a revision behind.
    const all = await kafka.send(new ListConfigurationsCommand({}));
    assert.deepEqual(
      all.Configurations!.map((c) => [c.Name, c.LatestRevision!.Revision]),
      [['base', 1]],
    );
    // What the guide shows is accepted: two listeners, one domain, different ports.
    await createConfiguration(
      'shared-domain',
      listenersProp(
        'CLIENT_IAM://b-{broker_id}.example.com:9000+{broker_id},CLIENT_SASL_SCRAM://b-{broker_id}.example.com:19000+{broker_id}',
      ),
    );
  });

  it('applies a configuration by a rolling restart and reports it in DescribeCluster and the operation', async () => {
    const clusterArn = await seedCluster();
    const before = await describeV2(clusterArn);
    assert.equal(before.State, 'ACTIVE');
    // MSK's default configuration: no ARN, no revision.
    assert.equal(before.Provisioned!.CurrentBrokerSoftwareInfo!.ConfigurationArn, undefined);
    assert.equal(before.Provisioned!.CurrentBrokerSoftwareInfo!.ConfigurationRevision, undefined);
    assert.match(before.CurrentVersion!, /^K[A-Z0-9]{13}$/);

    const configArn = await createConfiguration(
      'custom-domain',
      listenersProp(`CLIENT_SECURE://b-{broker_id}.${DOMAIN}:9000+{broker_id}`),
    );
    const started = Date.now();
    const opArn = await applyConfiguration(clusterArn, configArn, 1);
    assert.match(
      opArn,
      /^arn:aws:kafka:us-east-1:111111111111:cluster-operation\/orders\/[0-9a-f-]+-2\/[0-9a-f-]{36}$/,
    );

    const opStates = new Set<string>();
    const clusterStates = new Set<string>();
    let sawActiveOperation = false;
    const done = await waitFor('the rolling restart', async () => {
      const [op, cluster] = await Promise.all([operation(opArn), describeV2(clusterArn)]);
      opStates.add(op.OperationState!);
      clusterStates.add(cluster.State!);
      if (cluster.ActiveOperationArn === opArn) sawActiveOperation = true;
      return op.OperationState === 'UPDATE_COMPLETE' ? op : undefined;
    });
    const elapsed = Date.now() - started;
    console.log(
      `      rolling restart of 3 brokers (mskBrokerRestartMs ${RESTART_MS}) done in ${elapsed} ms`,
    );
    assert.ok(elapsed >= 3 * RESTART_MS, `three brokers one at a time take at least ${3 * RESTART_MS} ms`);
    assert.ok(opStates.has('UPDATE_IN_PROGRESS'));
    assert.ok(clusterStates.has('UPDATING'));
    assert.ok(sawActiveOperation, 'DescribeClusterV2 names the running operation');
    assert.equal(done.OperationType, 'UPDATE_CLUSTER_CONFIGURATION');
    assert.equal(done.ClusterType, 'PROVISIONED');
    assert.ok(done.StartTime instanceof Date && done.EndTime instanceof Date);
    assert.deepEqual(
      done.Provisioned!.OperationSteps!.map((s) => [s.StepName, s.StepInfo!.StepStatus]),
      [
        ['INITIALIZE_UPDATE', 'SUCCESS'],
        ['UPDATE_APACHE_KAFKA_BROKERS', 'SUCCESS'],
        ['FINALIZE_UPDATE', 'SUCCESS'],
      ],
    );
    assert.deepEqual(done.Provisioned!.TargetClusterInfo!.ConfigurationInfo, { Arn: configArn, Revision: 1 });
    assert.equal(done.Provisioned!.SourceClusterInfo!.ConfigurationInfo, undefined);

    const after = await describeV2(clusterArn);
    assert.equal(after.State, 'ACTIVE');
    assert.equal(after.ActiveOperationArn, undefined);
    assert.notEqual(after.CurrentVersion, before.CurrentVersion);
    assert.equal(after.Provisioned!.CurrentBrokerSoftwareInfo!.ConfigurationArn, configArn);
    assert.equal(after.Provisioned!.CurrentBrokerSoftwareInfo!.ConfigurationRevision, 1);
    const v1 = (await kafka.send(new DescribeClusterCommand({ ClusterArn: clusterArn }))).ClusterInfo!;
    assert.equal(v1.CurrentBrokerSoftwareInfo!.ConfigurationArn, configArn);
    assert.equal(v1.State, 'ACTIVE');

    const opV1 = (await kafka.send(new DescribeClusterOperationCommand({ ClusterOperationArn: opArn })))
      .ClusterOperationInfo!;
    assert.equal(opV1.OperationState, 'UPDATE_COMPLETE');
    assert.equal(opV1.ClusterArn, clusterArn);
    assert.equal(opV1.TargetClusterInfo!.ConfigurationInfo!.Arn, configArn);
    assert.equal(opV1.TargetClusterInfo!.NumberOfBrokerNodes, 3);

    // A second revision without the property: MSK's default addresses again, as a new operation.
    await kafka.send(
      new UpdateConfigurationCommand({ Arn: configArn, ServerProperties: utf8('num.partitions=1\n') }),
    );
    const second = await applyConfiguration(clusterArn, configArn, 2);
    assert.equal((await finished(second)).OperationState, 'UPDATE_COMPLETE');
    const listed = await kafka.send(new ListClusterOperationsV2Command({ ClusterArn: clusterArn }));
    assert.deepEqual(
      listed.ClusterOperationInfoList!.map((o) => [o.OperationArn, o.OperationState, o.OperationType]),
      [
        [second, 'UPDATE_COMPLETE', 'UPDATE_CLUSTER_CONFIGURATION'],
        [opArn, 'UPDATE_COMPLETE', 'UPDATE_CLUSTER_CONFIGURATION'],
      ],
    );
    const listedV1 = await kafka.send(
      new ListClusterOperationsCommand({ ClusterArn: clusterArn, MaxResults: 1 }),
    );
    assert.equal(listedV1.ClusterOperationInfoList![0]!.OperationArn, second);
    assert.ok(listedV1.NextToken);
    assert.equal(
      (await describeV2(clusterArn)).Provisioned!.CurrentBrokerSoftwareInfo!.ConfigurationRevision,
      2,
    );
  });

  it('refuses a stale CurrentVersion, a second update while one runs, and listeners or ports the cluster cannot take', async () => {
    const clusterArn = await seedCluster();
    const good = await createConfiguration(
      'good',
      listenersProp(`CLIENT_SECURE://b-{broker_id}.${DOMAIN}:9000+{broker_id}`),
    );
    const version = (await describeV2(clusterArn)).CurrentVersion!;
    const update = (arn: string, revision: number, currentVersion: string) =>
      kafka.send(
        new UpdateClusterConfigurationCommand({
          ClusterArn: clusterArn,
          ConfigurationInfo: { Arn: arn, Revision: revision },
          CurrentVersion: currentVersion,
        }),
      );

    const stale = await rejection(update(good, 1, 'K0000000000000'));
    assert.equal(stale.name, 'BadRequestException');
    assert.match(stale.message, /version of the cluster isn.t current/);

    const iam = await createConfiguration(
      'iam',
      listenersProp('CLIENT_IAM://b-{broker_id}.example.com:9000+{broker_id}'),
    );
    const notEnabled = await rejection(update(iam, 1, version));
    assert.equal(notEnabled.name, 'BadRequestException');
    assert.match(
      notEnabled.message,
      /listener CLIENT_IAM is not enabled on this cluster; its client listeners are CLIENT, CLIENT_SECURE, CLIENT_SASL_SCRAM/,
    );
    const publicAccess = await createConfiguration(
      'public',
      listenersProp('CLIENT_SECURE_PUBLIC://b-{broker_id}.example.com:9000+{broker_id}'),
    );
    assert.match(
      (await rejection(update(publicAccess, 1, version))).message,
      /CLIENT_SECURE_PUBLIC is not enabled/,
    );
    const high = await createConfiguration(
      'high',
      listenersProp('CLIENT_SECURE://b-{broker_id}.example.com:65533+{broker_id}'),
    );
    const outOfRange = await rejection(update(high, 1, version));
    assert.match(outOfRange.message, /resolves to port 65536 for broker 3, outside 1-65535/);
    // Listeners may share a domain, but then no two brokers may meet on a port: checked for the cluster's ids.
    const crossing = await createConfiguration(
      'crossing',
      listenersProp(
        'CLIENT_SECURE://kafka.example.com:9000+{broker_id},CLIENT_SASL_SCRAM://kafka.example.com:9001+{broker_id}',
      ),
    );
    assert.match(
      (await rejection(update(crossing, 1, version))).message,
      /CLIENT_SASL_SCRAM of broker 1 and CLIENT_SECURE of broker 2 both resolve to kafka\.example\.com:9002/,
    );
    assert.match((await rejection(update(`${good}x`, 1, version))).message, /Invalid Configuration ARN/);
    assert.match((await rejection(update(good, 7, version))).message, /Revision 7 .* does not exist/);
    const old = await kafka.send(
      new CreateConfigurationCommand({
        Name: 'old',
        KafkaVersions: ['2.8.1'],
        ServerProperties: utf8('num.partitions=1\n'),
      }),
    );
    assert.match(
      (await rejection(update(old.Arn!, 1, version))).message,
      /supports Apache Kafka versions 2\.8\.1/,
    );
    // None of the refusals changed the cluster.
    const unchanged = await describeV2(clusterArn);
    assert.equal(unchanged.CurrentVersion, version);
    assert.equal(unchanged.State, 'ACTIVE');

    const opArn = (await update(good, 1, version)).ClusterOperationArn!;
    const running = await describeV2(clusterArn);
    assert.equal(running.State, 'UPDATING');
    assert.notEqual(running.CurrentVersion, version);
    const again = await rejection(update(good, 1, running.CurrentVersion!));
    assert.equal(again.name, 'BadRequestException');
    assert.match(again.message, /UPDATING state/);
    const oldVersion = await rejection(update(good, 1, version));
    assert.equal(oldVersion.name, 'BadRequestException');
    assert.equal((await finished(opArn)).OperationState, 'UPDATE_COMPLETE');
    assert.equal(
      (await kafka.send(new ListClusterOperationsV2Command({ ClusterArn: clusterArn })))
        .ClusterOperationInfoList!.length,
      1,
    );

    const serverless = await twin.control.seedMskCluster({
      account: ACCOUNT,
      clusterName: 'sls',
      serverless: true,
      subnets: ['subnet-1'],
    });
    const onServerless = await rejection(
      kafka.send(
        new UpdateClusterConfigurationCommand({
          ClusterArn: serverless,
          ConfigurationInfo: { Arn: good, Revision: 1 },
          CurrentVersion: '1.0',
        }),
      ),
    );
    assert.match(onServerless.message, /serverless/);
    const unknownOp = await rejection(
      kafka.send(new DescribeClusterOperationV2Command({ ClusterOperationArn: `${opArn}0` })),
    );
    assert.equal(unknownOp.name, 'NotFoundException');
    assert.equal(unknownOp.$metadata?.httpStatusCode, 404);
  });

  it('refuses DeleteConfiguration while a cluster uses the configuration or an update targets it', async () => {
    const clusterArn = await seedCluster();
    const inUse = await createConfiguration('in-use', utf8('num.partitions=1\n'));
    const opArn = await applyConfiguration(clusterArn, inUse, 1);
    const whileUpdating = await rejection(kafka.send(new DeleteConfigurationCommand({ Arn: inUse })));
    assert.equal(whileUpdating.name, 'BadRequestException');
    assert.match(whileUpdating.message, /Configuration is in use by one or more clusters/);
    await finished(opArn);
    const whileUsed = await rejection(kafka.send(new DeleteConfigurationCommand({ Arn: inUse })));
    assert.match(whileUsed.message, /Dissociate the configuration from the clusters/);

    // Once the cluster moved to another configuration, the first one can go.
    const next = await createConfiguration('next', utf8('num.partitions=2\n'));
    await finished(await applyConfiguration(clusterArn, next, 1));
    const deleted = await kafka.send(new DeleteConfigurationCommand({ Arn: inUse }));
    assert.deepEqual([deleted.Arn, deleted.State], [inUse, 'DELETING']);
    const gone = await rejection(kafka.send(new DescribeConfigurationCommand({ Arn: inUse })));
    assert.match(gone.message, /Configuration ARN does not exist/);
  });

  it('waits for a registered driver: PENDING until it starts a broker, one broker at a time, UPDATE_FAILED on a failure', async () => {
    const clusterArn = await seedCluster();
    await twin.control.registerMskDriver(clusterArn);
    const configArn = await createConfiguration(
      'two-listeners',
      listenersProp(
        `CLIENT_SECURE://b-{broker_id}.${DOMAIN}:9000+{broker_id},CLIENT_SASL_SCRAM://b-{broker_id}.${DOMAIN}:19000+{broker_id}`,
      ),
    );
    const opArn = await applyConfiguration(clusterArn, configArn, 1);
    // Longer than a timed restart would take: nothing moves without the driver.
    await new Promise((r) => setTimeout(r, 4 * RESTART_MS));
    assert.equal((await operation(opArn)).OperationState, 'PENDING');
    assert.equal((await describeV2(clusterArn)).State, 'UPDATING');

    const order: number[] = [];
    for (const id of [1, 2, 3]) {
      const steps = await twin.control.mskRestarts(clusterArn);
      assert.equal(steps.length, 1, 'one broker at a time');
      const step = steps[0]!;
      assert.deepEqual(
        { ...step, operationArn: undefined },
        {
          clusterArn,
          operationArn: undefined,
          brokerId: id,
          advertised: {
            CLIENT_SECURE: `b-${id}.${DOMAIN}:${9000 + id}`,
            CLIENT_SASL_SCRAM: `b-${id}.${DOMAIN}:${19000 + id}`,
          },
          status: 'PENDING',
          index: id - 1,
          total: 3,
        },
      );
      await twin.control.reportMskRestart({ operationArn: opArn, brokerId: id, status: 'started' });
      assert.equal((await operation(opArn)).OperationState, 'UPDATE_IN_PROGRESS');
      assert.equal((await twin.control.mskRestarts(clusterArn))[0]!.status, 'IN_PROGRESS');
      await assert.rejects(
        twin.control.reportMskRestart({ operationArn: opArn, brokerId: id + 1, status: 'done' }),
        /not waiting for broker/,
      );
      await twin.control.reportMskRestart({ operationArn: opArn, brokerId: id, status: 'done' });
      order.push(id);
    }
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal((await operation(opArn)).OperationState, 'UPDATE_COMPLETE');
    assert.deepEqual(await twin.control.mskRestarts(clusterArn), []);

    // A broker that does not come back: the operation fails, the cluster stays on its configuration.
    await kafka.send(
      new UpdateConfigurationCommand({ Arn: configArn, ServerProperties: utf8('num.partitions=1\n') }),
    );
    const failing = await applyConfiguration(clusterArn, configArn, 2);
    const first = (await twin.control.mskRestarts(clusterArn))[0]!;
    assert.deepEqual(first.advertised, {}, 'no property: MSK defaults');
    await twin.control.reportMskRestart({ operationArn: failing, brokerId: 1, status: 'done' });
    await twin.control.reportMskRestart({
      operationArn: failing,
      brokerId: 2,
      status: 'failed',
      message: 'broker 2 did not rejoin the cluster within 60 s',
    });
    const failed = await operation(failing);
    assert.equal(failed.OperationState, 'UPDATE_FAILED');
    assert.match(failed.ErrorInfo!.ErrorString!, /broker 2 did not rejoin/);
    assert.ok(failed.ErrorInfo!.ErrorCode);
    assert.equal(failed.Provisioned!.OperationSteps![1]!.StepInfo!.StepStatus, 'FAILED');
    const cluster = await describeV2(clusterArn);
    assert.equal(cluster.State, 'ACTIVE');
    assert.equal(cluster.Provisioned!.CurrentBrokerSoftwareInfo!.ConfigurationRevision, 1);
    // Broker 1 restarted on the new revision; the rollout stopped at broker 2.
    const now = await twin.control.mskAdvertised(clusterArn);
    assert.deepEqual(now.brokers['1'], {});
    assert.equal(now.brokers['3']!.CLIENT_SECURE, `b-3.${DOMAIN}:9003`);

    // Unregistered: a running restart goes on by the clock.
    const timed = await applyConfiguration(clusterArn, configArn, 2);
    assert.equal((await operation(timed)).OperationState, 'PENDING');
    await twin.control.unregisterMskDriver(clusterArn);
    assert.equal((await finished(timed)).OperationState, 'UPDATE_COMPLETE');
  });

  it('runs startMskDriver against the twin: each broker restarted once, in order, with its addresses', async () => {
    const clusterArn = await seedCluster();
    const calls: Array<[number, AdvertisedListeners | undefined]> = [];
    let failOn: number | undefined;
    // Stands in for KafkaTestCluster.restartBroker; the AWS side is the twin over HTTP.
    const cluster = {
      async restartBroker(id: number, advertised?: AdvertisedListeners): Promise<void> {
        calls.push([id, advertised]);
        await new Promise((r) => setTimeout(r, 20));
        if (id === failOn) throw new Error(`broker ${id} exited during startup`);
      },
    };
    const driver = await startMskDriver({ control: twin.control, clusterArn, cluster, intervalMs: 50 });
    try {
      const configArn = await createConfiguration(
        'driven',
        listenersProp(`CLIENT://b-{broker_id}.${DOMAIN}:9000+{broker_id}`),
      );
      const opArn = await applyConfiguration(clusterArn, configArn, 1);
      assert.equal((await finished(opArn)).OperationState, 'UPDATE_COMPLETE');
      assert.deepEqual(
        calls,
        [1, 2, 3].map((id) => [id, { CLIENT: `b-${id}.${DOMAIN}:${9000 + id}` }]),
      );
      assert.deepEqual(
        driver.restarts.map((r) => [r.operationArn, r.brokerId, r.error]),
        [1, 2, 3].map((id) => [opArn, id, undefined]),
      );

      failOn = 2;
      calls.length = 0;
      await kafka.send(
        new UpdateConfigurationCommand({ Arn: configArn, ServerProperties: utf8('num.partitions=1\n') }),
      );
      const failing = await applyConfiguration(clusterArn, configArn, 2);
      const failed = await finished(failing);
      assert.equal(failed.OperationState, 'UPDATE_FAILED');
      assert.match(failed.ErrorInfo!.ErrorString!, /broker 2 exited during startup/);
      assert.deepEqual(calls, [
        [1, {}],
        [2, {}],
      ]);
    } finally {
      await driver.stop();
    }
  });

  it('seeds a cluster on a custom configuration and adds brokers that get its listeners', async () => {
    const seeded = await twin.control.seedMskClusterDetailed({
      account: ACCOUNT,
      clusterName: 'orders',
      shortId: 'abc123',
      clientBroker: 'TLS',
      auth: { unauthenticated: false, iam: true },
      brokers: [1, 2, 3].map((id) => ({
        id,
        clientVpcIp: `10.0.${id}.10`,
        clientSubnet: `subnet-${(id % 2) + 1}`,
      })),
      configuration: {
        name: 'seeded',
        serverProperties:
          'custom.advertised.listeners=CLIENT_IAM://b-{broker_id}.example.com:9000+{broker_id}\n',
      },
    });
    assert.deepEqual(seeded.listeners, { CLIENT_IAM: 9098 });
    assert.equal(seeded.configuration!.revision, 1);
    const info = (await kafka.send(new DescribeClusterCommand({ ClusterArn: seeded.clusterArn })))
      .ClusterInfo!;
    assert.equal(info.CurrentBrokerSoftwareInfo!.ConfigurationArn, seeded.configuration!.arn);
    assert.equal(info.CurrentVersion, seeded.currentVersion);

    assert.deepEqual(await twin.control.mskAdvertised(seeded.clusterArn), {
      brokerId: 4,
      advertised: { CLIENT_IAM: 'b-4.example.com:9004' },
      configuration: seeded.configuration,
      brokers: Object.fromEntries(
        [1, 2, 3].map((id) => [String(id), { CLIENT_IAM: `b-${id}.example.com:${9000 + id}` }]),
      ),
    });
    const added = await twin.control.addMskBroker({
      clusterArn: seeded.clusterArn,
      clientVpcIp: '10.0.4.10',
    });
    assert.equal(added.id, 4);
    assert.deepEqual(added.advertised, { CLIENT_IAM: 'b-4.example.com:9004' });
    // Subnets 2, 1, 2 so far: the new broker goes to the one with fewer.
    assert.equal(added.clientSubnet, 'subnet-1');
    assert.equal(added.endpoint, 'b-4.orders.abc123.c2.kafka.us-east-1.amazonaws.com');
    const nodes = await kafka.send(new ListNodesCommand({ ClusterArn: seeded.clusterArn }));
    assert.deepEqual(
      nodes.NodeInfoList!.map((n) => n.BrokerNodeInfo!.BrokerId),
      [1, 2, 3, 4],
    );
    assert.match(nodes.NodeInfoList![3]!.AddedToClusterTime!, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    const after = (await kafka.send(new DescribeClusterCommand({ ClusterArn: seeded.clusterArn })))
      .ClusterInfo!;
    assert.equal(after.NumberOfBrokerNodes, 4);
    assert.notEqual(after.CurrentVersion, info.CurrentVersion);
    await assert.rejects(
      twin.control.addMskBroker({ clusterArn: seeded.clusterArn, brokerId: 4, clientVpcIp: '10.0.4.11' }),
      /already has broker 4/,
    );

    // A starting configuration the cluster cannot take is refused, and no cluster is left behind.
    await assert.rejects(
      twin.control.seedMskCluster({
        account: ACCOUNT,
        clusterName: 'refused',
        brokers: [{ id: 1, clientVpcIp: '10.0.1.20', clientSubnet: 'subnet-1' }],
        auth: { unauthenticated: true },
        configuration: {
          serverProperties: 'custom.advertised.listeners=CLIENT_IAM://x.example.com:9000+{broker_id}\n',
        },
      }),
      /HTTP 400 .*CLIENT_IAM is not enabled/,
    );
    assert.deepEqual(
      (await kafka.send(new ListConfigurationsCommand({}))).Configurations!.map((c) => c.Name),
      ['seeded'],
    );
    await assert.rejects(twin.control.mskAdvertised(`${seeded.clusterArn}x`), /no MSK cluster/);
  });
});
