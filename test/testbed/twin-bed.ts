// A testbed of the AWS twin alone: the scenario's accounts, VPCs and MSK cluster, no Kafka and no
// network twin. Enough for what makes no Kafka call and needs no DNS or TCP: pattern 1's apply and
// destroy, which crash tests by call repeat dozens of times. Each bed has its own twin (a free
// port on 127.0.0.1), so beds run beside the shared testbed and beside each other.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CrashBed } from '../support/crash.js';
import { clientConfigFor, envFor, startAwsTwin, type AwsTwin, type DelaysMs } from './aws/twin.js';
import {
  clientsFor,
  DEFAULT_CONSUMERS,
  DEFAULT_PROVIDER,
  DEFAULT_REGION,
  seedScenario,
  type KafkaLike,
} from './scenario.js';

export type TwinBed = CrashBed & {
  aws: AwsTwin;
  /** Clears the twin and seeds the scenario again (new VPC and cluster ids). */
  reset(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * The brokers MSK would list (names and client IPs): data for the twin's ListNodes only; nothing
 * listens on these addresses, and pattern 1 never connects to them.
 */
const brokersOf = (count: number): KafkaLike => ({
  clusterName: 'orders',
  clusterId: 'twinbed1',
  region: DEFAULT_REGION,
  brokers: Array.from({ length: count }, (_, i) => i + 1).map((id) => ({
    id,
    host: `b-${id}.orders.twinbed1.c2.kafka.${DEFAULT_REGION}.amazonaws.com`,
    ip: `127.0.250.${id}`,
  })),
  // SASL/SCRAM on the cluster (MSK's 9096 listener): pattern 0 turns multi-VPC connectivity on for it.
  scram: { username: 'twinbed' },
});

export interface TwinBedOptions {
  delaysMs?: DelaysMs;
  logFile?: string;
  /** Brokers of the cluster (default 3, at most 250). */
  brokers?: number;
  /** Consumer accounts, each with its own VPC (default 2: 222222222222, 333333333333). */
  consumers?: number;
  /** Twin seconds per AWS second (TwinControl.setTime); 1 by default. */
  timeFactor?: number;
  /** The twin's token buckets (off by default). */
  throttling?: boolean;
}

/** Twelve-digit account ids after the default consumers: 400000000001, 400000000002, ... */
function consumerAccounts(count: number): string[] {
  const extra = Array.from({ length: Math.max(0, count - DEFAULT_CONSUMERS.length) }, (_, i) =>
    String(400_000_000_001 + i),
  );
  return [...DEFAULT_CONSUMERS, ...extra].slice(0, count);
}

export async function startTwinBed(opts: TwinBedOptions = {}): Promise<TwinBed> {
  const region = DEFAULT_REGION;
  const BROKERS = brokersOf(opts.brokers ?? 3);
  const accounts = { provider: DEFAULT_PROVIDER, consumers: consumerAccounts(opts.consumers ?? 2) };
  const aws = await startAwsTwin({
    region,
    ...(opts.delaysMs ? { delaysMs: opts.delaysMs } : {}),
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
    ...(opts.timeFactor === undefined ? {} : { timeFactor: opts.timeFactor }),
    ...(opts.throttling === undefined ? {} : { throttling: opts.throttling }),
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'mpl-twinbed-'));
  try {
    // Pattern 2's admin section names a CA file; pattern 1 never reads it.
    const caPath = path.join(dir, 'ca.pem');
    await writeFile(caPath, '');
    const target = { endpoint: aws.endpoint, region, control: aws.control };
    const scenario = await seedScenario(target, BROKERS, accounts);
    const bed: TwinBed = {
      region,
      control: aws.control,
      accounts,
      scenario,
      clusterArn: scenario.clusterArn,
      caPath,
      caPem: '',
      kafka: { brokers: BROKERS.brokers },
      network: { resume: () => Promise.resolve() },
      aws,
      clientConfig: (account) => clientConfigFor(aws, account),
      clients: (account) => clientsFor(aws, account),
      // Provisioning delays are tens of milliseconds here: poll as often.
      env: () => ({
        ...envFor(aws, accounts.provider),
        AWS_DEFAULT_REGION: region,
        MPL_POLL_INTERVAL_MS: '20',
      }),
      async reset() {
        await aws.control.reset();
        bed.scenario = await seedScenario(target, BROKERS, accounts);
        bed.clusterArn = bed.scenario.clusterArn;
      },
      async stop() {
        await aws.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
    return bed;
  } catch (e) {
    await aws.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
