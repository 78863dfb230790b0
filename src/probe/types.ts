// The probe's data: what it checks per broker (targets) and what it reports (docs/probe.md "Output").
import type { ListenerType } from '../config/schema.js';
import type { HintId } from './diagnose.js';

export const STEPS = ['dns', 'tcp', 'tls', 'auth', 'kafka'] as const;
export type StepName = (typeof STEPS)[number];
export type StepStatus = 'ok' | 'failed' | 'skipped';

/** The stack's endpoint behind a broker name, for one consumer (only with --config). */
export interface EndpointRef {
  /** Logical id in state, e.g. `c1/vpc-endpoint/b-1`. */
  logicalId: string;
  endpointId: string;
  /**
   * The endpoint's regional DNS name: the broker name must resolve to the same addresses. '' for a
   * resource endpoint (pattern 3), whose managed private DNS answers each broker name on its own.
   */
  dnsName: string;
  account: string;
  region: string;
  vpcId: string;
}

/** One broker to probe. */
export interface ProbeTarget {
  /** Broker id; null for a bootstrap entry probed because metadata could not be read through it. */
  id: number | null;
  /** The name clients use: resolved, and the TLS server name. */
  host: string;
  /** The port clients dial (pattern 1: the client port; pattern 2: the broker's advertised port). */
  port: number;
  /** What metadata must advertise for this broker; absent: only that the broker is listed. */
  advertised?: { host: string; port: number };
  endpoint?: EndpointRef;
  /** The record's hosted zone (consumer account), to tell "record missing" from "zone not associated". */
  zone?: { zoneId: string; account: string };
}

export interface Diagnosis {
  step: StepName;
  /** Which hint, as a stable id: its section in docs/troubleshooting.md (HINT_IDS in diagnose.ts). */
  hintId: HintId;
  error: string;
  hint: string;
}

export interface BrokerResult {
  id: number | null;
  host: string;
  port: number;
  addresses: string[];
  steps: Record<StepName, StepStatus>;
  /** Milliseconds per step that ran; null for skipped steps. */
  ms: Record<StepName, number | null>;
  error: string | null;
  hint: string | null;
  /** The first failed step, or null (an extra field beside the contract's). */
  failedStep: StepName | null;
  /** What metadata advertised for this broker (host:port), when the kafka step read it. */
  advertised: string | null;
}

export interface CanaryResult {
  topic: string;
  produced: number;
  consumed: number;
  /** The temporary topic was deleted afterwards. */
  deleted: boolean;
  ms: number;
  error: string | null;
  /** Milliseconds per phase (connecting, creating the topic, producing, joining a consumer group, consuming, cleaning up). */
  phases: Record<string, number>;
}

export interface ProbeReport {
  ok: boolean;
  mode: 'config' | 'bootstrap';
  listener: ListenerType;
  consumer: string | null;
  brokers: BrokerResult[];
  canary: CanaryResult | null;
  /** Wall time of the whole probe. */
  ms: number;
}
