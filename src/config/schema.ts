import { z } from 'zod';
import { LINT_RULES } from './lint-codes.js';

/** Kafka client listener types MSK offers, with their ports (MSK developer guide, "Port information"). */
export const LISTENER_PORTS = { tls: 9094, sasl_scram: 9096, iam: 9098, plaintext: 9092 } as const;
export type ListenerType = keyof typeof LISTENER_PORTS;
export const LISTENER_TYPES = Object.keys(LISTENER_PORTS) as ListenerType[];

export const AccountId = z
  .string({
    error: (i) =>
      i.input === undefined
        ? 'is required'
        : 'must be a 12-digit AWS account id in quotes, such as "111111111111"',
  })
  .regex(/^\d{12}$/, 'must be a 12-digit AWS account id, such as "111111111111"');
export const Region = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'must be an AWS region such as us-east-2');
export const VpcId = z.string().regex(/^vpc-[0-9a-z]+$/, 'must be a VPC id (vpc-...)');
export const SubnetId = z.string().regex(/^subnet-[0-9a-z]+$/, 'must be a subnet id (subnet-...)');
/** AZ IDs such as use2-az1, euw1-az3, usw2-lax1-az1 (zone ids are the same in every account; names are not). */
export const AzId = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*-az\d+$/, 'must be an AZ ID such as use2-az1');
export const SecurityGroupId = z.string().regex(/^sg-[0-9a-z]+$/, 'must be a security group id (sg-...)');
export const RoleArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
    'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
  );
export const ClusterArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9-]+\/[A-Za-z0-9-]+$/,
    'must be an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)',
  );
const StackName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,19}$/,
    'must be 1-20 characters: lower-case letters, digits, hyphens, starting with a letter',
  )
  .refine((s) => !s.endsWith('-') && !s.includes('--'), 'must not end with a hyphen or contain "--"');

function isCidr(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  if (!m) return false;
  const nums = m.slice(1, 5).map(Number);
  return nums.every((n) => n <= 255) && Number(m[5]) <= 32;
}
export const Cidr = z.string().refine(isCidr, 'must be an IPv4 CIDR such as 10.20.0.0/16');

/** A subnet as a bare id (AZ ID then looked up with EC2) or an object that carries its AZ ID. */
export const SubnetRef = z.union([SubnetId, z.strictObject({ id: SubnetId, azId: AzId })], {
  error: 'must be a subnet id (subnet-...) or an object { id, azId }',
});
export type SubnetRef = z.infer<typeof SubnetRef>;

function unique<T>(key: (t: T) => string, what: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const k = key(item);
      const first = seen.get(k);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `duplicate ${what} "${k}" (also at index ${first})`,
        });
      } else seen.set(k, i);
    });
  };
}

export const ListenerTypeSchema = z.enum(['tls', 'sasl_scram', 'iam', 'plaintext']);

const ClusterSection = z
  .strictObject({
    arn: ClusterArn.optional(),
    brokersFile: z.string().regex(/\S/, 'must be a file path').optional(),
    listeners: z.array(ListenerTypeSchema).min(1).superRefine(unique(String, 'listener')).default(['tls']),
  })
  .refine((c) => (c.arn === undefined) !== (c.brokersFile === undefined), {
    message:
      'give exactly one of cluster.arn (read with the MSK API) or cluster.brokersFile (an inventory file)',
  });

/**
 * An endpoint service's allowed principal, as AddAllowedPrincipals takes it: "*" or the ARN of an
 * account (:root), IAM role or IAM user (Amazon VPC API reference, ModifyVpcEndpointServicePermissions;
 * IAM identifiers: names of [\w+=,.@-], paths of /-separated segments). "*" in place of the account or
 * a name parses here so that lint (MPL001) names it as a wildcard rather than as a malformed value.
 */
const IAM_PRINCIPAL =
  /^(\*|arn:aws(-cn|-us-gov)?:iam::(\d{12}|\*):(root|\*|(role|user)\/([\w+=,.@*-]+\/)*[\w+=,.@*-]+))$/;
const AllowedPrincipal = z
  .string()
  .regex(
    IAM_PRINCIPAL,
    'must be an IAM principal ARN: arn:aws:iam::<12-digit account>:root, ...:role/<name> or ...:user/<name> (no spaces)',
  );

const ProviderSection = z.strictObject({
  account: AccountId,
  roleArn: RoleArn.optional(),
  vpcId: VpcId,
  subnets: z.array(SubnetRef).min(1).optional(),
  brokerSecurityGroupId: SecurityGroupId.optional(),
  endpointService: z
    .strictObject({
      /** Turning acceptance off is a lint error unless its code is listed in lint.allow. */
      acceptanceRequired: z.boolean().default(true),
      /** Principals allowed besides the consumer accounts (e.g. a role ARN); a wildcard is a lint error. */
      extraAllowedPrincipals: z.array(AllowedPrincipal).default([]),
    })
    .default({ acceptanceRequired: true, extraAllowedPrincipals: [] }),
});

const Pattern2Section = z.strictObject({
  portBase: z.number().int().min(1024).max(65000).default(9001),
  /**
   * How brokers come to advertise their ports: `msk-configuration` (MSK's custom.advertised.listeners
   * configuration property, applied by MSK with a rolling restart; the default wherever MSK offers it),
   * or the legacy per-broker dynamic settings `rewrite` / `additive` (ZooKeeper clusters only).
   * Absent: the planner chooses from the cluster and says why in the plan.
   */
  mode: z.enum(['msk-configuration', 'rewrite', 'additive']).optional(),
  /**
   * msk-configuration mode: the names brokers advertise. `sibling` (default): `b-<id>-pl.<cluster
   * domain>`, a new name beside each broker's own in the cluster's sub-domain (covered by the
   * brokers' wildcard certificate), so clients inside the MSK VPC keep the brokers' own names on
   * the other listeners and never lose a broker while MSK restarts them. `broker`: the brokers'
   * own names (the MSK VPC's names then point at the NLB, after the rolling restart).
   */
  names: z.enum(['sibling', 'broker']).default('sibling'),
  /**
   * msk-configuration and rewrite modes: alias each broker name to the NLB inside the provider VPC
   * (one private zone per broker name), so in-VPC clients follow the new ports too.
   */
  providerZone: z.boolean().default(true),
  /**
   * msk-configuration mode: a domain of your own for the names brokers advertise, `b-<id>.<domain>`,
   * that outlive the cluster (migration, disaster recovery). The NLB then terminates TLS with
   * `certificateArn` (a certificate for `*.<domain>`) and re-encrypts to the brokers; private zones
   * for the domain are made in every consumer VPC and in the MSK VPC.
   */
  domain: z
    .string()
    .max(200)
    .regex(
      /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      'must be a lower-case DNS domain such as kafka.example.com',
    )
    .optional(),
  /** The ACM certificate (in the provider account and the config's region) the NLB presents for `domain`. */
  certificateArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/,
      'must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)',
    )
    .optional(),
  /** How the tool reaches the brokers' admin API to change their listeners (from inside the MSK VPC). */
  admin: z
    .strictObject({
      /** The client listener to connect on; default the first of cluster.listeners. */
      listener: ListenerTypeSchema.optional(),
      /** PEM file of CAs for the brokers' TLS certificates; default the system CAs (MSK's are public). */
      caFile: z.string().regex(/\S/, 'must be a file path').optional(),
      /**
       * Mutual TLS (MSK's TLS client authentication): the admin client's certificate and its key, PEM
       * files. The key is read at run time only, never copied into plans or state.
       */
      clientCertFile: z.string().regex(/\S/, 'must be a file path').optional(),
      clientKeyFile: z.string().regex(/\S/, 'must be a file path').optional(),
      /** SASL/SCRAM: the password is read from this environment variable, never from the file. */
      scram: z
        .strictObject({
          username: z.string().min(1),
          passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name'),
        })
        .optional(),
    })
    .default({}),
});

const Pattern3Section = z.strictObject({
  /**
   * What each broker's child resource configuration targets: its DNS name (the gateway resolves it,
   * so a broker whose IP changes is followed) or its IP address (repaired by the next apply).
   */
  target: z.enum(['dns', 'ip']).default('dns'),
  /**
   * Who answers the brokers' names in the consumer VPCs: VPC Lattice's managed private DNS for the
   * children's custom domain names (`managed`), or the stack's own private hosted zone with an alias
   * per broker to its child's DNS entry on the resource endpoint (`zone`: no custom domain names).
   */
  dns: z.enum(['managed', 'zone']).default('managed'),
  /**
   * Child resource configurations per group: 60 by default, adjustable (VPC Lattice quotas,
   * https://docs.aws.amazon.com/vpc-lattice/latest/ug/quotas.html). Set it when AWS raised yours.
   */
  childrenPerGroupQuota: z.number().int().min(1).max(10000).default(60),
});

export const ConsumerSchema = z.strictObject({
  // Consumer names prefix logical ids, so they must not look like the provider's own prefixes.
  name: StackName.refine(
    (n) => !['provider', 'shared', 'bootstrap'].includes(n) && !/^b-\d+$/.test(n),
    'must not be "provider", "shared", "bootstrap" or "b-<number>" (reserved for logical ids)',
  ),
  account: AccountId,
  roleArn: RoleArn.optional(),
  /**
   * The consumer VPC's region when it is not the cluster's: cross-region PrivateLink (patterns 1
   * and 2; the endpoint service lists the region, the endpoint names the service's region).
   */
  region: Region.optional(),
  vpcId: VpcId,
  subnets: z
    .array(SubnetRef)
    .min(1)
    .superRefine(unique((s: SubnetRef) => (typeof s === 'string' ? s : s.id), 'subnet')),
  allowedCidrs: z.array(Cidr).min(1),
  endpointLayout: z.enum(['all-azs', 'broker-az']).default('all-azs'),
  bootstrapParameter: z
    .string()
    .regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, 'must be an SSM parameter path starting with "/"')
    .optional(),
});
export type ConsumerConfig = z.infer<typeof ConsumerSchema>;

/**
 * `monitor`: the in-VPC probe on a schedule in every consumer VPC, publishing per-broker metrics to
 * CloudWatch, with one alarm per consumer (docs/probe.md "Monitoring").
 */
const MonitorSection = z.strictObject({
  /** How often each AZ's function runs (an EventBridge Scheduler rate expression in minutes). */
  everyMinutes: z.number().int().min(1).max(1440).default(5),
  /** The listener probed; the first of cluster.listeners when absent. tls and plaintext only. */
  listener: ListenerTypeSchema.optional(),
  /** Per step (DNS, TCP, TLS, Kafka metadata), as the probe's --timeout. */
  timeoutMs: z.number().int().min(100).max(60_000).default(3000),
  /** Consecutive runs with a broker unreachable before the consumer's alarm goes to ALARM. */
  alarmAfter: z.number().int().min(1).max(10).default(2),
  /** The CloudWatch namespace of the metrics (not AWS/...: reserved for AWS services). */
  namespace: z
    .string()
    .regex(/^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/, 'must be a CloudWatch namespace not starting with AWS/')
    .default('MskPrivateLink'),
  /** PEM CA bundle the function trusts besides Node's own (a private CA); put in the schedule's input. */
  caFile: z.string().min(1).optional(),
});

const StateSection = z
  .strictObject({
    backend: z.enum(['local', 's3']).default('local'),
    path: z.string().min(1).optional(),
    bucket: z.string().min(3).optional(),
    key: z.string().min(1).optional(),
    /** S3 backend: the lock's lease in seconds (default 120), renewed every third of it while a run lasts. */
    lockLeaseSeconds: z.number().int().min(5).max(3600).optional(),
  })
  .refine((s) => s.backend !== 's3' || s.bucket !== undefined, {
    message: 'is required when state.backend is s3',
    path: ['bucket'],
  });

export const ConfigSchema = z
  .strictObject({
    name: StackName,
    region: Region,
    pattern: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)], {
      error: 'must be 0, 1, 2 or 3',
    }),
    cluster: ClusterSection,
    provider: ProviderSection,
    pattern2: Pattern2Section.default({ portBase: 9001, names: 'sibling', providerZone: true, admin: {} }),
    pattern3: Pattern3Section.default({ target: 'dns', dns: 'managed', childrenPerGroupQuota: 60 }),
    consumers: z
      .array(ConsumerSchema)
      .min(1)
      .superRefine(unique((c: ConsumerConfig) => c.name, 'consumer name')),
    state: StateSection.default({ backend: 'local' }),
    monitor: MonitorSection.optional(),
    clients: z
      .strictObject({
        /** What the Kafka clients set; when below the NLB idle timeout the idle-timeout lint stays quiet. */
        connectionsMaxIdleMs: z.number().int().positive().optional(),
      })
      .default({}),
    lint: z
      .strictObject({
        allow: z
          .array(
            z
              .string()
              .refine((c) => c in LINT_RULES, `must be a lint code: ${Object.keys(LINT_RULES).join(', ')}`),
          )
          .default([]),
      })
      .default({ allow: [] }),
  })
  .superRefine((c, ctx) => {
    const watched = c.monitor?.listener ?? c.cluster.listeners[0];
    if (c.monitor?.listener !== undefined && !c.cluster.listeners.includes(c.monitor.listener))
      ctx.addIssue({
        code: 'custom',
        path: ['monitor', 'listener'],
        message: `is not one of cluster.listeners (${c.cluster.listeners.join(', ')})`,
      });
    else if (c.monitor !== undefined && (watched === 'iam' || watched === 'sasl_scram'))
      ctx.addIssue({
        code: 'custom',
        path: ['monitor', 'listener'],
        message: `${watched} is not monitored: the function would need ${watched === 'iam' ? 'kafka-cluster permissions' : 'the SCRAM secret'}; set monitor.listener to tls or plaintext (a listener the cluster has)`,
      });
    // One consumer per VPC: two would each associate a private zone of the same name with it, which
    // Route 53 refuses (ConflictingDomainExists) half way through an apply.
    const vpcOwner = new Map<string, number>();
    c.consumers.forEach((k, i) => {
      const key = `${k.account}/${k.region ?? c.region}/${k.vpcId}`;
      const first = vpcOwner.get(key);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['consumers', i, 'vpcId'],
          message: `is also the VPC of consumer ${c.consumers[first]?.name} (consumers[${first}]): one VPC needs one consumer (two would need two private zones of one name on it, which Route 53 refuses); list its subnets under one consumer`,
        });
      else vpcOwner.set(key, i);
      if (k.vpcId === c.provider.vpcId && k.account === c.provider.account) {
        ctx.addIssue({
          code: 'custom',
          path: ['consumers', i, 'vpcId'],
          message: 'is the provider VPC itself: its clients reach the brokers directly',
        });
      }
    });
  });
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

const Ipv4 = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, 'must be an IPv4 address')
  .refine((s) => s.split('.').every((n) => Number(n) <= 255), 'must be an IPv4 address');
const DnsName = z
  .string()
  .max(253)
  .regex(
    /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i,
    'must be a DNS name such as b-1.payments.abc123.c2.kafka.us-east-2.amazonaws.com',
  );

export const BrokerSchema = z.strictObject({
  id: z.number().int().min(1).max(10000),
  host: DnsName,
  ip: Ipv4,
  subnetId: SubnetId,
  availabilityZone: z.string().min(1).optional(),
  availabilityZoneId: AzId,
});
export type Broker = z.infer<typeof BrokerSchema>;

export const InventorySchema = z.strictObject({
  clusterArn: ClusterArn.optional(),
  clusterName: z.string().min(1),
  region: Region,
  kafkaVersion: z.string().min(1),
  metadataMode: z.enum(['zookeeper', 'kraft']),
  brokerType: z.enum(['standard', 'express', 'serverless']),
  vpcId: VpcId,
  brokers: z
    .array(BrokerSchema)
    .superRefine(unique((b: Broker) => String(b.id), 'broker id'))
    .superRefine(unique((b: Broker) => b.host.toLowerCase(), 'broker host'))
    .superRefine(unique((b: Broker) => b.ip, 'broker ip')),
  /**
   * The client listeners enabled on the cluster (MSK's ClientAuthentication and encryption in
   * transit), as `discover` found them; absent: those of cluster.listeners.
   */
  clientListeners: z.array(ListenerTypeSchema).superRefine(unique(String, 'listener')).optional(),
  /** The brokers' instance type (kafka.m5.large, express.m7g.large), as `discover` found it. */
  instanceType: z.string().min(1).optional(),
  /** Whether the cluster requires mutual TLS client authentication (ClientAuthentication.Tls). */
  mutualTls: z.boolean().optional(),
  /** Subnets beyond the brokers' own, with their AZ IDs, as `discover` found them. */
  subnets: z.array(z.strictObject({ id: SubnetId, azId: AzId, cidr: Cidr.optional() })).optional(),
});
export type Inventory = z.infer<typeof InventorySchema>;
