// The probe's Kafka side with kafkajs: clients tuned to fail fast (no retry tail), metadata through
// one broker, and the canary round trip on a temporary topic.
import { randomUUID } from 'node:crypto';
import type tls from 'node:tls';
// kafkajs is CommonJS and its export list defeats Node's named-export detection for everything
// but `Kafka`: take values from the default export (as src/kafka/admin.ts does).
import kafkajs from 'kafkajs';
import type { Admin, Kafka as KafkaClient, SASLOptions } from 'kafkajs';
import { messageOf, resolvingSocketFactory, withDeadline, type NameResolver } from './net.js';
import type { CanaryResult } from './types.js';

const { Kafka, logLevel } = kafkajs;

export interface KafkaSettings {
  resolver: NameResolver;
  /** false for plaintext; TLS options (ca, cert, key) otherwise. */
  ssl: false | tls.ConnectionOptions;
  sasl?: SASLOptions;
  timeoutMs: number;
  clientId?: string;
}

export function kafkaClient(
  seeds: string[],
  s: KafkaSettings,
  pin?: { host: string; port: number },
  retries = 0,
): KafkaClient {
  return new Kafka({
    clientId: s.clientId ?? 'msk-privatelink-probe',
    brokers: seeds,
    ssl: s.ssl === false ? false : { ...s.ssl, rejectUnauthorized: true },
    ...(s.sasl ? { sasl: s.sasl } : {}),
    socketFactory: resolvingSocketFactory(s.resolver, {}, pin),
    // kafkajs' defaults (5 retries from 300 ms, 30 s requests) take ~15 s to report a dead path;
    // each step here has its own deadline instead.
    connectionTimeout: s.timeoutMs,
    authenticationTimeout: s.timeoutMs,
    requestTimeout: s.timeoutMs,
    enforceRequestTimeout: true,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 500 },
    logLevel: logLevel.NOTHING,
  });
}

export interface Advertised {
  nodeId: number;
  host: string;
  port: number;
}

/** An admin connected through one broker: `connect` is the auth step, `metadata` the kafka step. */
export class OneBroker {
  private readonly admin: Admin;

  constructor(host: string, port: number, s: KafkaSettings) {
    this.admin = kafkaClient([`${host}:${port}`], s, { host, port }).admin({ retry: { retries: 0 } });
  }

  connect(timeoutMs: number): Promise<void> {
    return withDeadline(this.admin.connect(), timeoutMs, 'Kafka connect');
  }

  async metadata(timeoutMs: number): Promise<Advertised[]> {
    const { brokers } = await withDeadline(this.admin.describeCluster(), timeoutMs, 'Kafka metadata');
    return brokers;
  }

  close(): Promise<void> {
    return this.admin.disconnect().catch(() => undefined);
  }
}

/** Brokers as the cluster's metadata lists them, read through the bootstrap list. */
export async function brokersFromMetadata(seeds: string[], s: KafkaSettings): Promise<Advertised[]> {
  const admin = kafkaClient(seeds, s).admin({ retry: { retries: 0 } });
  try {
    await withDeadline(admin.connect(), s.timeoutMs * 2, 'Kafka connect');
    const { brokers } = await withDeadline(admin.describeCluster(), s.timeoutMs, 'Kafka metadata');
    return [...brokers].sort((a, b) => a.nodeId - b.nodeId);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Produces one message to a new topic and reads it back with a fresh consumer group, then deletes
 * the topic and the group whatever happened. Leaders sit on any broker, so this crosses the paths
 * of the brokers that lead and coordinate.
 */
export async function canary(seeds: string[], s: KafkaSettings, replicas: number): Promise<CanaryResult> {
  const started = Date.now();
  const id = randomUUID().slice(0, 8);
  const topic = `msk-privatelink-probe-${id}`;
  const groupId = `msk-privatelink-probe-${id}`;
  const value = `probe ${id} ${new Date().toISOString()}`;
  // Unlike the per-broker steps, the round trip may meet transient answers worth retrying within its
  // budget: on a young cluster the first group join waits for __consumer_offsets to be created
  // (COORDINATOR_NOT_AVAILABLE until then).
  const kafka = kafkaClient(seeds, { ...s, clientId: 'msk-privatelink-probe-canary' }, undefined, 20);
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  // A short fetch wait: disconnect waits for the fetch in flight, 5 s by default.
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 200,
  });
  const result: CanaryResult = {
    topic,
    produced: 0,
    consumed: 0,
    deleted: false,
    ms: 0,
    error: null,
    phases: {},
  };
  // The round trip has several requests (create, join, fetch): a budget of a few step timeouts.
  const budget = Math.max(15_000, s.timeoutMs * 5);
  let created = false;
  let phase = 'connecting';
  let t = Date.now();
  const next = (name: string) => {
    if (phase !== 'done') result.phases[phase] = Date.now() - t;
    t = Date.now();
    phase = name;
  };
  try {
    await withDeadline(
      (async () => {
        await admin.connect();
        next('creating the topic');
        await admin.createTopics({
          topics: [{ topic, numPartitions: 1, replicationFactor: Math.max(1, Math.min(3, replicas)) }],
          waitForLeaders: true,
        });
        created = true;
        next('producing');
        await producer.connect();
        await producer.send({ topic, acks: -1, messages: [{ key: id, value }] });
        result.produced = 1;
        next('joining a consumer group');
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        next('consuming');
        await new Promise<void>((resolve, reject) => {
          consumer
            .run({
              eachMessage: async ({ message }) => {
                if (message.value?.toString() === value) {
                  result.consumed = 1;
                  next('done');
                  resolve();
                }
              },
            })
            .catch(reject);
        });
      })(),
      budget,
      'canary',
    );
  } catch (e) {
    result.error = `${phase}: ${messageOf(e)}`;
  } finally {
    next('cleaning up');
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    if (created) {
      result.deleted = await admin
        .deleteTopics({ topics: [topic], timeout: Math.max(5000, s.timeoutMs) })
        .then(() => true)
        .catch(() => false);
    }
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    next('');
    result.ms = Date.now() - started;
  }
  return result;
}
