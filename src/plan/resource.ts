import { z } from 'zod';

/**
 * The resource model the planner emits and the executor consumes: pure data.
 * References between resources are logical ids (e.g. `listener.targetGroup`); the executor
 * resolves them to ARNs and ids from state. `dependsOn` lists every id a resource refers to.
 */
export const KINDS = [
  'target-group',
  'load-balancer',
  'listener',
  'endpoint-service',
  'endpoint-service-permissions',
  'endpoint-connection-acceptance',
  'vpc-endpoint',
  'security-group',
  'security-group-rule',
  'hosted-zone',
  'dns-record',
  'ssm-parameter',
  'broker-listener-config',
] as const;
export type Kind = (typeof KINDS)[number];
export type LogicalId = string;

const Tags = z.record(z.string(), z.string());
const Port = z.number().int().min(1).max(65535);
const Ref = z.string().min(1);

export const PropsSchemas = {
  'target-group': z.strictObject({
    name: z.string(),
    protocol: z.literal('TCP'),
    port: Port,
    vpcId: z.string(),
    targetType: z.literal('ip'),
    targets: z.array(z.strictObject({ ip: z.string(), port: Port, brokerId: z.number().int() })),
    tags: Tags,
  }),
  'load-balancer': z.strictObject({
    name: z.string(),
    type: z.literal('network'),
    scheme: z.literal('internal'),
    subnetIds: z.array(z.string()),
    azIds: z.array(z.string()),
    crossZone: z.boolean(),
    tags: Tags,
  }),
  listener: z.strictObject({
    loadBalancer: Ref,
    port: Port,
    protocol: z.literal('TCP'),
    targetGroup: Ref,
    tags: Tags,
  }),
  'endpoint-service': z.strictObject({
    name: z.string(),
    loadBalancers: z.array(Ref),
    acceptanceRequired: z.boolean(),
    clientToken: z.string().max(64),
    tags: Tags,
  }),
  'endpoint-service-permissions': z.strictObject({
    service: Ref,
    allowedPrincipals: z.array(z.string()),
  }),
  'endpoint-connection-acceptance': z.strictObject({
    service: Ref,
    endpoint: Ref,
    endpointAccount: z.string(),
  }),
  'vpc-endpoint': z.strictObject({
    name: z.string(),
    vpcId: z.string(),
    service: Ref,
    subnetIds: z.array(z.string()),
    azIds: z.array(z.string()),
    securityGroups: z.array(Ref),
    privateDnsEnabled: z.literal(false),
    clientToken: z.string().max(64),
    tags: Tags,
  }),
  'security-group': z.strictObject({
    name: z.string(),
    description: z.string(),
    vpcId: z.string(),
    ingress: z.array(
      z.strictObject({
        protocol: z.literal('tcp'),
        fromPort: Port,
        toPort: Port,
        cidr: z.string(),
        description: z.string(),
      }),
    ),
    tags: Tags,
  }),
  /** A rule on a group the stack does not own (the brokers' group): traffic from the NLB's subnets. */
  'security-group-rule': z.strictObject({
    groupId: z.string(),
    protocol: z.literal('tcp'),
    fromPort: Port,
    toPort: Port,
    sourceSubnetIds: z.array(z.string()),
    description: z.string(),
  }),
  'hosted-zone': z.strictObject({
    name: z.string(),
    vpcId: z.string(),
    vpcRegion: z.string(),
    comment: z.string(),
    tags: Tags,
  }),
  'dns-record': z.strictObject({
    zone: Ref,
    name: z.string(),
    type: z.literal('A'),
    aliasTarget: z.strictObject({ kind: z.enum(['vpc-endpoint', 'load-balancer']), id: Ref }),
  }),
  'ssm-parameter': z.strictObject({
    name: z.string(),
    type: z.literal('String'),
    value: z.string(),
    tags: Tags,
  }),
  'broker-listener-config': z.strictObject({
    brokerId: z.number().int(),
    host: z.string(),
    mode: z.enum(['rewrite', 'additive']),
    listeners: z.array(
      z.strictObject({
        /** Kafka listener name: MSK's (CLIENT_SECURE ...) in rewrite mode, a new one in additive mode. */
        name: z.string(),
        securityProtocol: z.enum(['PLAINTEXT', 'SSL', 'SASL_SSL']),
        /** The port the broker listens on (the NLB's target port). */
        port: Port,
        advertisedPort: Port,
      }),
    ),
  }),
} satisfies Record<Kind, z.ZodType>;

export type PropsOf<K extends Kind> = z.infer<(typeof PropsSchemas)[K]>;

export interface ResourceOf<K extends Kind> {
  kind: K;
  id: LogicalId;
  account: string;
  region: string;
  props: PropsOf<K>;
  dependsOn: LogicalId[];
}
/** A discriminated union over every kind, so `r.kind === 'listener'` narrows `r.props`. */
export type Resource = { [K in Kind]: ResourceOf<K> }[Kind];

export const ResourceSchema = z
  .strictObject({
    kind: z.enum(KINDS),
    id: z.string().min(1),
    account: z.string(),
    region: z.string(),
    props: z.unknown(),
    dependsOn: z.array(z.string()),
  })
  .superRefine((r, ctx) => {
    const res = PropsSchemas[r.kind].safeParse(r.props);
    if (!res.success) {
      for (const issue of res.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['props', ...issue.path.map(String)], message: issue.message });
      }
    }
  })
  .transform((r) => r as Resource);

/** Tag keys every resource carries, so a crashed run can find what it already made. */
export const TAG_STACK = 'msk-privatelink:stack';
export const TAG_ID = 'msk-privatelink:id';
