// Probes every broker in parallel: dns -> tcp -> tls -> auth -> kafka, each timed and bounded by
// the step timeout; the first failed step stops that broker and carries the diagnosis.
import type tls from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { ListenerType } from '../config/schema.js';
import {
  advertisedMismatch,
  authFailure,
  dnsFailure,
  dnsMismatch,
  endpointUnresolved,
  kafkaFailure,
  tcpFailure,
  tlsFailure,
  withEndpointState,
} from './diagnose.js';
import type { EndpointStatus } from './aws.js';
import { canary, OneBroker, type KafkaSettings } from './kafka.js';
import { codeOf, messageOf, tcpConnect, tlsHandshake, withDeadline, type NameResolver } from './net.js';
import { emptyResult, finishReport } from './shape.js';
import type { BrokerResult, Diagnosis, EndpointRef, ProbeReport, ProbeTarget, StepName } from './types.js';

export interface ProbeOptions {
  resolver: NameResolver;
  timeoutMs: number;
  listener: ListenerType;
  /** TLS options (ca, cert, key) for TLS listeners; ignored for plaintext. */
  tls: tls.ConnectionOptions;
  /** SASL for sasl_scram / iam listeners, built lazily (IAM signs a token). */
  sasl?: () => Promise<SASLOptions>;
  canary: boolean;
  mode: ProbeReport['mode'];
  consumer?: string;
  /** With --config: the endpoint's state in the consumer account ('not-found' when gone). */
  endpointState?: (ep: EndpointRef) => Promise<EndpointStatus>;
  /** With --config: whether the broker's record is in the stack's zone. */
  recordState?: (t: ProbeTarget) => Promise<'present' | 'missing' | undefined>;
  /** Seeds for the canary (default: every target's host:port). */
  canarySeeds?: string[];
}

class StepFailed extends Error {
  constructor(readonly diagnosis: Diagnosis) {
    super(diagnosis.error);
  }
}

/** A bounded side lookup for diagnosis: never slows a failure by more than `ms`, never throws. */
async function within<T>(p: Promise<T> | undefined, ms: number): Promise<T | undefined> {
  if (p === undefined) return undefined;
  return withDeadline(p, ms, 'diagnosis').catch(() => undefined);
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export async function probe(targets: ProbeTarget[], o: ProbeOptions): Promise<ProbeReport> {
  const started = Date.now();
  // Each endpoint name is resolved once and shared by the brokers behind it (pattern 2: all).
  const epAddresses = new Map<string, Promise<string[]>>();
  const addressesOf = (ep: EndpointRef) => {
    let p = epAddresses.get(ep.dnsName);
    if (!p) {
      p = o.resolver.resolve(ep.dnsName);
      p.catch(() => undefined);
      epAddresses.set(ep.dnsName, p);
    }
    return p;
  };
  const otherOwner = async (answer: string[], self: ProbeTarget): Promise<string | undefined> => {
    for (const t of targets) {
      if (t === self || !t.endpoint?.dnsName || t.endpoint.endpointId === self.endpoint?.endpointId) continue;
      const a = await addressesOf(t.endpoint).catch(() => [] as string[]);
      if (a.length > 0 && answer.some((x) => a.includes(x)))
        return `broker ${t.id}'s endpoint ${t.endpoint.endpointId}`;
    }
    return undefined;
  };
  const sasl = o.sasl ? await o.sasl() : undefined;
  const settings: KafkaSettings = {
    resolver: o.resolver,
    ssl: o.listener === 'plaintext' ? false : o.tls,
    ...(sasl ? { sasl } : {}),
    timeoutMs: o.timeoutMs,
  };
  const brokers = await Promise.all(
    targets.map((t) => probeOne(t, o, settings, { addressesOf, otherOwner: (a) => otherOwner(a, t) })),
  );
  const allOk = brokers.every((b) => b.failedStep === null);
  const canaryResult =
    o.canary && allOk
      ? await canary(
          o.canarySeeds ?? targets.map((t) => `${t.host}:${t.port}`),
          settings,
          targets.filter((t) => t.id !== null).length,
        )
      : null;
  return finishReport({
    mode: o.mode,
    listener: o.listener,
    consumer: o.consumer ?? null,
    brokers,
    canary:
      o.canary && !allOk
        ? {
            topic: '',
            produced: 0,
            consumed: 0,
            deleted: false,
            ms: 0,
            error: 'not run: a broker failed',
            phases: {},
          }
        : canaryResult,
    ms: Date.now() - started,
  });
}

async function probeOne(
  t: ProbeTarget,
  o: ProbeOptions,
  settings: KafkaSettings,
  h: {
    addressesOf: (ep: EndpointRef) => Promise<string[]>;
    otherOwner: (answer: string[]) => Promise<string | undefined>;
  },
): Promise<BrokerResult> {
  const r = emptyResult(t);
  const diagWait = Math.max(1000, Math.min(3000, o.timeoutMs));
  const endpointState = () => (t.endpoint ? within(o.endpointState?.(t.endpoint), diagWait) : undefined);
  // The endpoint's state explains a DNS or TCP failure when it is not available.
  const explain = (d: Diagnosis, s: EndpointStatus | undefined): Diagnosis =>
    t.endpoint && s ? withEndpointState(d, s.state, { ...t.endpoint, endpointId: s.endpointId }) : d;
  const step = async (name: StepName, fn: () => Promise<void>) => {
    const t0 = Date.now();
    try {
      await fn();
      r.steps[name] = 'ok';
    } catch (e) {
      r.steps[name] = 'failed';
      const d =
        e instanceof StepFailed
          ? e.diagnosis
          : {
              step: name,
              hintId: 'unexpected' as const,
              error: messageOf(e),
              hint: 'unexpected failure: run with --verbose',
            };
      r.error = d.error;
      r.hint = d.hint;
      r.failedStep = name;
      throw e;
    } finally {
      r.ms[name] = Date.now() - t0;
    }
  };
  const tlsOn = o.listener !== 'plaintext';
  let broker: OneBroker | undefined;
  try {
    await step('dns', async () => {
      try {
        r.addresses = await o.resolver.resolve(t.host);
      } catch (e) {
        const [record, state] = await Promise.all([within(o.recordState?.(t), diagWait), endpointState()]);
        const d = dnsFailure({
          host: t.host,
          code: codeOf(e),
          resolver: o.resolver.label,
          ...(record === undefined ? {} : { record }),
          ...(t.zone ? { zoneId: t.zone.zoneId } : {}),
          ...(o.consumer === undefined ? {} : { consumer: o.consumer }),
        });
        throw new StepFailed(explain(d, state));
      }
      if (!t.endpoint || t.endpoint.dnsName === '') return;
      const ep = t.endpoint;
      let expected: string[];
      try {
        expected = await h.addressesOf(ep);
      } catch (e) {
        const d = endpointUnresolved({ host: t.host, ep, code: codeOf(e), resolver: o.resolver.label });
        throw new StepFailed(explain(d, await endpointState()));
      }
      if (!sameSet(r.addresses, expected)) {
        const other = await h.otherOwner(r.addresses);
        throw new StepFailed(
          dnsMismatch({
            host: t.host,
            answer: r.addresses,
            expected,
            ep,
            ...(other === undefined ? {} : { otherOwner: other }),
          }),
        );
      }
    });
    await step('tcp', async () => {
      // Every address the name has (one per AZ in AWS): a client may pick any of them.
      const results = await Promise.allSettled(r.addresses.map((a) => tcpConnect(a, t.port, o.timeoutMs)));
      const i = results.findIndex((x) => x.status === 'rejected');
      if (i < 0) return;
      const failed = results[i] as PromiseRejectedResult;
      const d = tcpFailure({
        host: t.host,
        address: r.addresses[i] as string,
        port: t.port,
        code: codeOf(failed.reason),
        timeoutMs: o.timeoutMs,
      });
      throw new StepFailed(explain(d, await endpointState()));
    });
    if (tlsOn) {
      await step('tls', async () => {
        try {
          await tlsHandshake(r.addresses[0] as string, t.port, t.host, o.tls, o.timeoutMs);
        } catch (e) {
          throw new StepFailed(
            tlsFailure({
              host: t.host,
              port: t.port,
              code: codeOf(e),
              message: messageOf(e),
              timeoutMs: o.timeoutMs,
            }),
          );
        }
      });
    }
    broker = new OneBroker(t.host, t.port, settings);
    const b = broker;
    const connect = async () => {
      try {
        await b.connect(o.timeoutMs * 2);
      } catch (e) {
        const sasl = settings.sasl;
        if (sasl && /SASL|authenticat/i.test(`${(e as Error).name} ${messageOf(e)}`)) {
          throw new StepFailed(
            authFailure({ host: t.host, mechanism: sasl.mechanism, message: messageOf(e) }),
          );
        }
        throw new StepFailed(kafkaFailure({ host: t.host, port: t.port, message: messageOf(e) }));
      }
    };
    if (settings.sasl) await step('auth', connect);
    await step('kafka', async () => {
      if (!settings.sasl) await connect();
      let listed;
      try {
        listed = await b.metadata(o.timeoutMs);
      } catch (e) {
        throw new StepFailed(kafkaFailure({ host: t.host, port: t.port, message: messageOf(e) }));
      }
      if (t.id === null) return;
      const mine = listed.find((x) => x.nodeId === t.id);
      if (mine) r.advertised = `${mine.host}:${mine.port}`;
      const d = advertisedMismatch({
        host: t.host,
        id: t.id,
        expected: t.advertised ?? { host: mine?.host ?? t.host, port: mine?.port ?? t.port },
        actual: mine ? { host: mine.host, port: mine.port } : undefined,
        listed: listed.map((x) => x.nodeId).sort((a, z) => a - z),
      });
      if (d) throw new StepFailed(d);
    });
  } catch {
    // step() recorded the failure (and skipped the rest); the report goes on with other brokers.
  } finally {
    await broker?.close();
  }
  return r;
}
