// What `probe --in-vpc` sends its function, and checks on arrival: the targets the local probe would
// check (from the stack's state), the listener, the TLS material as PEM text (the function has no
// files of the operator's) and, for SCRAM, the credentials. The event is never stored or logged.
import { z } from 'zod';
import { ListenerTypeSchema } from '../../config/schema.js';

const Target = z.strictObject({
  id: z.number().int().nullable(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  advertised: z.strictObject({ host: z.string(), port: z.number().int() }).optional(),
  endpoint: z
    .strictObject({
      logicalId: z.string(),
      endpointId: z.string(),
      dnsName: z.string(),
      account: z.string(),
      region: z.string(),
      vpcId: z.string(),
    })
    .optional(),
  zone: z.strictObject({ zoneId: z.string(), account: z.string() }).optional(),
});

export const InVpcEvent = z.strictObject({
  consumer: z.string(),
  listener: ListenerTypeSchema,
  targets: z.array(Target).min(1),
  timeoutMs: z.number().int().min(100).max(60_000),
  canary: z.boolean(),
  tls: z
    .strictObject({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() })
    .default({}),
  /** SASL/SCRAM (SHA-512, as MSK offers): sent in the invocation only, never put in the function's settings. */
  scram: z.strictObject({ username: z.string().min(1), password: z.string().min(1) }).optional(),
});
export type InVpcEvent = z.infer<typeof InVpcEvent>;
export type InVpcEventInput = z.input<typeof InVpcEvent>;

/**
 * What a `monitor` schedule sends its function (the schedule's input, so it is in the plan and in
 * AWS: no secrets, so no SCRAM and no client key): the same targets, plus where to put metrics.
 */
export const MonitorEvent = z.strictObject({
  consumer: z.string(),
  listener: ListenerTypeSchema,
  targets: z.array(Target).min(1),
  timeoutMs: z.number().int().min(100).max(60_000),
  tls: z.strictObject({ ca: z.string().optional() }).default({}),
  metrics: z.strictObject({
    namespace: z.string().min(1),
    stack: z.string().min(1),
    /** The AZ ID the function runs in (its subnet's): a dimension of the per-broker metrics. */
    azId: z.string().min(1),
  }),
});
export type MonitorEvent = z.infer<typeof MonitorEvent>;
