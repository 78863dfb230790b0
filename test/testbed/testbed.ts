// The whole testbed in one call: AWS twin (two or more accounts), the MSK-like Kafka cluster,
// the scenario seeded over them, and the network twin that makes PrivateLink real on
// loopback. Tests, the CLI (testbed:up) and demos all start it through here.
import {
  clientConfigFor,
  startAwsTwin,
  envFor,
  type AdvertisedListeners,
  type AwsTwin,
  type DelaysMs,
  type TwinClientConfig,
  type TwinControl,
  type VpcListeners,
} from './aws/twin.js';
import { startKafka, type KafkaTestCluster, type StartKafkaOptions } from './kafka/cluster.js';
import { startMskDriver, type MskDriver } from './kafka/msk-driver.js';
import { startNetworkTwin, type NetworkTwin } from './network/twin.js';
import {
  clientsFor,
  DEFAULT_CONSUMERS,
  DEFAULT_PROVIDER,
  DEFAULT_REGION,
  resetScenario,
  seedScenario,
  type Clients,
  type Scenario,
} from './scenario.js';

export interface TestbedOptions {
  region?: string;
  provider?: string;
  consumers?: string[];
  /** Passed to startKafka; ipPrefix defaults to 127.0.2 (brokers .1..N). */
  kafka?: StartKafkaOptions;
  /** First three octets of endpoint addresses; default 127.0.1. */
  endpointIpPrefix?: string;
  /** DNS server port on 127.0.0.1; default a free one. */
  dnsPort?: number;
  /** AWS twin provisioning delays. */
  delaysMs?: DelaysMs;
  throttling?: boolean;
  /** AWS twin log file; discarded when absent. */
  awsLogFile?: string;
  /**
   * Client authentication the scenario's MSK cluster has besides unauthenticated and SASL/SCRAM:
   * `tls` and/or `iam`, so that multi-VPC private connectivity can be turned on for them
   * (scenario.ts, ScenarioOptions). Kept across reset().
   */
  mskClientAuth?: { tls?: boolean; iam?: boolean };
  /**
   * Regions the network twin follows besides the testbed's (cross-region PrivateLink), each VPC then
   * with a DNS server of its own (`network.dnsByVpc`); default the testbed's region only.
   */
  regions?: string[];
  /** Network twin messages (endpoint added/removed, failed polls) and the MSK driver's restarts. */
  log?: (message: string) => void;
}

export interface AddedBroker {
  id: number;
  host: string;
  ip: string;
  clientSubnet: string;
  /** The custom advertised listeners it started with ({} = MSK's defaults). */
  advertised: AdvertisedListeners;
  /** Its multi-VPC connectivity listeners (scheme -> advertised; {} = none). */
  vpcListeners: VpcListeners;
}

export interface Testbed {
  region: string;
  /** AWS_ENDPOINT_URL for every service. */
  endpoint: string;
  controlUrl: string;
  control: TwinControl;
  accounts: { provider: string; consumers: string[] };
  /** Current scenario (replaced by reset()). */
  scenario: Scenario;
  clusterArn: string;
  kafka: KafkaTestCluster;
  network: NetworkTwin;
  /** The network twin's DNS server (all consumer zones) and its "host:port" form. */
  dns: { host: string; port: number };
  dnsAddress: string;
  caPath: string;
  caPem: string;
  /** The SASL/SCRAM user of the Kafka cluster (SCRAM-SHA-512 on 9096; no ACLs). */
  scram: { username: string; password: string };
  aws: AwsTwin;
  /** Wall time of startTestbed. */
  startupMs: number;
  /** SDK v3 client config acting in an account of the twin. */
  clientConfig(account: string): TwinClientConfig;
  /** Ready-made SDK clients for an account (call destroy() when done). */
  clients(account: string): Clients;
  /**
   * Restarts the Kafka brokers when UpdateClusterConfiguration or UpdateConnectivity runs on the
   * scenario's cluster (MSK's rolling restart, one broker at a time, with the configuration's
   * custom.advertised.listeners and the multi-VPC connectivity listeners). Replaced by reset().
   */
  mskDriver: MskDriver;
  /**
   * A broker more, as MSK's UpdateBrokerCount adds one: started in Kafka with the custom advertised
   * listeners of the cluster's configuration (and its multi-VPC connectivity listeners), then registered in the AWS twin (ListNodes,
   * NumberOfBrokerNodes); the network twin picks it up on its next poll.
   */
  addBroker(): Promise<AddedBroker>;
  /**
   * Clears the AWS twin and seeds the scenario again (brokers left on custom advertised listeners or
   * with multi-VPC connectivity listeners are restarted on MSK's defaults first); the network twin
   * follows by itself.
   */
  reset(): Promise<Scenario>;
  /** The variables .testbed/env exports. */
  env(): Record<string, string>;
  /** Process ids this testbed started (AWS twin, ZooKeeper, brokers). */
  pids(): number[];
  stop(): Promise<void>;
}

export async function startTestbed(opts: TestbedOptions = {}): Promise<Testbed> {
  const started = Date.now();
  const region = opts.region ?? DEFAULT_REGION;
  const accounts = {
    provider: opts.provider ?? DEFAULT_PROVIDER,
    consumers: opts.consumers ?? DEFAULT_CONSUMERS,
  };
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    // Reverse order: the network twin stops polling before the AWS twin goes away.
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };

  try {
    // Kafka takes longest: start it alongside the AWS twin and the network twin.
    const kafkaP = startKafka({ region, ...opts.kafka });
    kafkaP.catch(() => undefined); // awaited below; avoids an unhandled rejection meanwhile
    // On a failed start this waits for Kafka to finish starting, then stops it.
    stops.push(async () => (await kafkaP.catch(() => undefined))?.stop());
    const aws = await startAwsTwin({
      region,
      delaysMs: opts.delaysMs,
      throttling: opts.throttling,
      logFile: opts.awsLogFile,
    });
    stops.push(() => aws.stop());
    const network = await startNetworkTwin({
      endpoint: aws.endpoint,
      region,
      providerAccount: accounts.provider,
      consumerAccounts: accounts.consumers,
      // Accounts made later (e.g. with the AWS CLI) are followed once they hold a VPC.
      listAccounts: async () => (await aws.control.accounts(region)).map((a) => a.account),
      // Lambda functions in an account's VPCs resolve through that account's DNS server.
      onAccountDns: (account, d) => aws.control.setLambdaResolver(account, `${d.host}:${d.port}`),
      clientConfig: (account) => clientConfigFor(aws, account),
      ipPrefix: opts.endpointIpPrefix,
      dnsPort: opts.dnsPort,
      log: opts.log,
      ...(opts.regions ? { regions: [...new Set([region, ...opts.regions])], vpcDns: true } : {}),
    });
    stops.push(() => network.stop());
    const k = await kafkaP;
    if (k.region !== region) throw new Error(`Kafka cluster is in ${k.region}, the testbed in ${region}`);
    const target = { endpoint: aws.endpoint, region, control: aws.control };
    const scenarioOptions = opts.mskClientAuth ? { clientAuth: opts.mskClientAuth } : {};
    const scenario = await seedScenario(target, k, accounts, scenarioOptions);
    // The provider's VPC was made just now: follow it (its DNS view) before anyone asks.
    await network.reconcileNow();
    // Every scenario cluster gets MSK's rolling restarts on the real brokers (a new one after reset()).
    const startDriver = (clusterArn: string): Promise<MskDriver> =>
      startMskDriver({ control: aws.control, clusterArn, cluster: k, log: opts.log });
    let mskDriver = await startDriver(scenario.clusterArn);
    stops.push(() => mskDriver.stop());

    const testbed: Testbed = {
      region,
      endpoint: aws.endpoint,
      controlUrl: aws.controlUrl,
      control: aws.control,
      accounts,
      scenario,
      clusterArn: scenario.clusterArn,
      kafka: k,
      network,
      dns: network.dns,
      dnsAddress: `${network.dns.host}:${network.dns.port}`,
      caPath: k.caPath,
      caPem: k.caPem,
      scram: k.scram,
      aws,
      startupMs: Date.now() - started,
      clientConfig: (account) => clientConfigFor(aws, account),
      clients: (account) => clientsFor(aws, account),
      mskDriver,
      async addBroker() {
        const clusterArn = testbed.clusterArn;
        const next = await aws.control.mskAdvertised(clusterArn);
        // With multi-VPC private connectivity on, MSK gives the new broker its VPC listeners too.
        const added = await k.addBroker(next.advertised, next.vpcListeners ?? {});
        if (added.id !== next.brokerId) {
          throw new Error(`Kafka added broker ${added.id}, the AWS twin expected ${next.brokerId}`);
        }
        const node = await aws.control.addMskBroker({
          clusterArn,
          brokerId: added.id,
          endpoint: added.host,
          clientVpcIp: added.ip,
        });
        return {
          id: added.id,
          host: added.host,
          ip: added.ip,
          clientSubnet: node.clientSubnet,
          advertised: node.advertised,
          vpcListeners: node.vpcListeners ?? {},
        };
      },
      async reset() {
        await mskDriver.stop();
        // The new scenario's cluster is on MSK's default configuration with multi-VPC connectivity
        // off: brokers a rolling restart left on custom advertised listeners or with VPC
        // connectivity listeners go back to the defaults.
        for (const b of k.brokers) {
          const custom = Object.keys(k.advertisedOverrides(b.id)).length > 0;
          const vpc = Object.keys(k.vpcListeners(b.id)).length > 0;
          if (custom || vpc) await k.restartBroker(b.id, {}, {});
        }
        const next = await resetScenario(target, k, accounts, scenarioOptions);
        // The AWS twin's reset forgot the Lambda resolvers; the DNS servers are still there.
        for (const [account, d] of Object.entries(network.dnsByAccount))
          await aws.control.setLambdaResolver(account, `${d.host}:${d.port}`);
        testbed.scenario = next;
        testbed.clusterArn = next.clusterArn;
        mskDriver = testbed.mskDriver = await startDriver(next.clusterArn);
        await network.reconcileNow();
        return next;
      },
      env: () => ({
        // Keys that act in the provider account; other accounts by AssumeRole.
        ...envFor(aws, accounts.provider),
        AWS_DEFAULT_REGION: region,
        TESTBED_PROVIDER_ACCOUNT: accounts.provider,
        TESTBED_CONSUMER_ACCOUNTS: accounts.consumers.join(' '),
        TESTBED_CLUSTER_ARN: testbed.clusterArn,
        TESTBED_DNS: testbed.dnsAddress,
        // One resolver per consumer account, answering from that account's zones only.
        ...Object.fromEntries(
          Object.entries(network.dnsByAccount).map(([a, d]) => [`TESTBED_DNS_${a}`, `${d.host}:${d.port}`]),
        ),
        TESTBED_CA: k.caPath,
        TESTBED_CONTROL: aws.controlUrl,
        TESTBED_BOOTSTRAP_TLS: k.bootstrap.tls,
        TESTBED_BOOTSTRAP_SASL_SCRAM: k.bootstrap.saslScram,
        TESTBED_SCRAM_USERNAME: k.scram.username,
        TESTBED_SCRAM_PASSWORD: k.scram.password,
      }),
      pids: () => [aws.pid, k.zookeeper.pid, ...k.brokers.map((b) => b.pid)].filter((p) => p > 0),
      stop: stopAll,
    };
    return testbed;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
