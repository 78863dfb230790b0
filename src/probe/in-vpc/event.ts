// What `probe --in-vpc` sends its function, and checks on arrival: the targets the local probe would
// check (from the stack's state), the listener, the TLS material as PEM text (the function has no
// files of the operator's) and, for SCRAM, which Secrets Manager secret holds the credentials (never
// the password itself: the function reads it at run time). The event is never stored or logged.
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

/**
 * A Secrets Manager secret's complete ARN: arn:<partition>:secretsmanager:<region>:<account>:secret:
 * <name>-<6 random characters> (Secrets Manager API reference, CreateSecret: "The ARN includes the
 * name of the secret followed by six random characters", so a new secret of a deleted one's name
 * has another ARN). A partial ARN, without them, is refused: the role's policy names exactly this ARN.
 */
export const SecretArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
    'a full Secrets Manager secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>',
  );

/**
 * What MSK's SCRAM secrets hold: SecretString JSON {"username": ..., "password": ...} (Amazon MSK
 * developer guide, "Sign-in credentials authentication with AWS Secrets Manager"). Other keys are
 * allowed and ignored.
 */
export const ScramSecretString = z.object({ username: z.string().min(1), password: z.string().min(1) });

export const InVpcEvent = z.strictObject({
  consumer: z.string(),
  listener: ListenerTypeSchema,
  targets: z.array(Target).min(1),
  timeoutMs: z.number().int().min(100).max(60_000),
  canary: z.boolean(),
  tls: z
    .strictObject({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() })
    .default({}),
  /**
   * SASL/SCRAM (SHA-512, as MSK offers): the secret holding the user name and password, which the
   * function reads with GetSecretValue (its role may read that ARN only).
   */
  scram: z.strictObject({ secretArn: SecretArn }).optional(),
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
