/**
 * One error family for everything a user can get wrong, the tool can refuse, or AWS and Kafka can
 * answer. Every code is registered in ERRORS (summary, whether a retry can help, a hint), which
 * docs/errors.md lists; `code` is stable (scripts and docs refer to it).
 */
export interface ErrorInfo {
  /** One line: what went wrong. */
  summary: string;
  /** True when the same step may succeed if tried again (throttling, a wait that ran out). */
  retriable: boolean;
  /** What to do about it. */
  hint: string;
}

/**
 * The registry: every code an MplError can carry, in the groups docs/errors.md uses. `retriable`
 * is the default when the thrower does not say (awsFailure decides from the AWS answer: throttling
 * and transient answers are retriable under any code). An unregistered code does not compile.
 */
export const ERRORS = {
  // Input and usage
  INVALID_INPUT: {
    summary: 'A config, inventory, state or plan file (or a flag value) does not parse or validate.',
    retriable: false,
    hint: 'Fix the file or flag at the path the message names; `msk-privatelink schema` prints the config schema.',
  },
  PLAN_TAMPERED: {
    summary:
      'A saved plan file was changed after msk-privatelink wrote it: its checksum does not match its content.',
    retriable: false,
    hint: 'Make the plan again (`plan --out FILE`); review a plan with `plan` or its JSON, never by editing the file.',
  },
  STATE_TAMPERED: {
    summary:
      'A state file (local or S3) was changed after msk-privatelink wrote it: its checksum does not match its content.',
    retriable: false,
    hint: "Restore the state from a copy (S3 versioning), or move it aside and run `state pull`: AWS is the truth, and the stack's tags find what it made.",
  },
  USAGE: {
    summary: 'The command was called without what it needs (e.g. apply without a plan file or --config).',
    retriable: false,
    hint: 'Run the command with --help and give the missing argument.',
  },
  NEEDS_APPROVAL: {
    summary: 'A change needs confirming, and there is no terminal to confirm on.',
    retriable: false,
    hint: 'Review the plan, then run again with --auto-approve (or from a terminal).',
  },
  OUTPUT_NOT_WRITABLE: {
    summary: 'An output file (--out) cannot be written.',
    retriable: false,
    hint: 'Check that the directory exists and is writable, and that the disk is not full; or name another file.',
  },
  REGION_MISMATCH: {
    summary: 'Two regions that must agree do not: --region and the config, or the cluster and the config.',
    retriable: false,
    hint: "Drop --region or make it match the config's region; PrivateLink is regional, so the cluster's region must be the config's.",
  },
  INVALID_GB_PER_MONTH: {
    summary: '--gb-per-month is not a number of GB, 0 or more.',
    retriable: false,
    hint: 'Give --gb-per-month a number such as 500.',
  },
  COST_REGION_UNPRICED: {
    summary: 'The price table has no prices for the region.',
    retriable: false,
    hint: 'Add the region to src/cost/prices.ts with the figures of its AWS pricing pages, or price a covered region.',
  },
  OFFLINE_NEEDS_INVENTORY: {
    summary: '--offline was given but the config has no cluster.brokersFile to plan from.',
    retriable: false,
    hint: 'Set cluster.brokersFile to an inventory file (see `discover`), or plan without --offline.',
  },
  ADMIN_IAM_UNSUPPORTED: {
    summary: 'pattern2.admin.listener iam is not supported yet.',
    retriable: false,
    hint: 'Set pattern2.admin.listener to tls or sasl_scram.',
  },

  // Refusals by the planner (and of saved plans)
  LINT_ERRORS: {
    summary: 'The plan has lint findings of severity error.',
    retriable: false,
    hint: 'Fix what the findings (MPL codes) name, or list a code under lint.allow (it becomes a warning) if it is intended.',
  },
  OFFLINE_PLAN: {
    summary: 'A plan made with --offline cannot be applied.',
    retriable: false,
    hint: 'Make the plan again without --offline, then apply that.',
  },
  STALE_PLAN: {
    summary: 'The config, the state or the live resources changed since the saved plan was made.',
    retriable: false,
    hint: 'Run plan again and apply the new plan.',
  },
  NO_BROKERS: {
    summary: 'The cluster (or inventory) has no brokers to expose.',
    retriable: false,
    hint: 'Check cluster.arn or cluster.brokersFile; wait for the cluster to have brokers.',
  },
  VPC_MISMATCH: {
    summary: "provider.vpcId is not the brokers' VPC.",
    retriable: false,
    hint: "Set provider.vpcId to the VPC the brokers are in: the NLBs must be in the brokers' VPC.",
  },
  SERVERLESS_UNSUPPORTED: {
    summary: 'MSK Serverless has no per-broker addresses to put behind load balancers.',
    retriable: false,
    hint: 'Use a provisioned MSK cluster; serverless clusters have their own PrivateLink support (VPC connectivity).',
  },
  PATTERN2_KRAFT: {
    summary:
      "Pattern 2's legacy modes need per-broker listener changes, which Kafka refuses on KRaft clusters.",
    retriable: false,
    hint: 'Leave pattern2.mode out: the planner then uses msk-configuration, which works on KRaft clusters.',
  },
  PATTERN2_BROKER_TYPE: {
    summary: 'Pattern 2 cannot work on this broker type: Serverless in any mode, Express in a legacy mode.',
    retriable: false,
    hint: 'On Express brokers leave pattern2.mode out (msk-configuration); on Serverless use pattern 1 or 3.',
  },
  PATTERN2_TOO_MANY_LISTENERS: {
    summary: 'Pattern 2 would need more NLB listeners than the 50-per-NLB quota allows.',
    retriable: false,
    hint: 'Use pattern 1, or fewer listener types in cluster.listeners.',
  },
  TWO_SUBNETS_ONE_AZ: {
    summary:
      'Two subnets of one list are in the same AZ; a load balancer or endpoint takes one subnet per AZ.',
    retriable: false,
    hint: 'Keep one subnet per AZ in the list the message names.',
  },
  NO_PROVIDER_SUBNET_IN_BROKER_AZ: {
    summary: 'A broker is in an AZ where provider.subnets has no subnet.',
    retriable: false,
    hint: "Add a provider subnet in the broker's AZ (by AZ ID) to provider.subnets.",
  },
  CONSUMER_AZ_NOT_SERVED: {
    summary: "A consumer subnet is in an AZ where the service's load balancer has no subnet.",
    retriable: false,
    hint: 'Use consumer subnets in the AZ IDs the provider subnets cover, or add a provider subnet in that AZ.',
  },
  CONSUMER_AZ_MISSING: {
    summary: "endpointLayout broker-az needs a consumer subnet in every broker's AZ, and one is missing.",
    retriable: false,
    hint: "Add a consumer subnet in the broker's AZ ID, or use endpointLayout all-azs.",
  },
  MIXED_BROKER_DOMAINS: {
    summary: 'The brokers do not share one DNS sub-domain, which the one private zone per cluster needs.',
    retriable: false,
    hint: 'Check the inventory: all brokers of one MSK cluster share a domain.',
  },
  ZONE_TOO_WIDE: {
    summary: 'The brokers sit directly under a domain a private zone would shadow entirely.',
    retriable: false,
    hint: 'Check the inventory: MSK broker names are under a per-cluster sub-domain.',
  },
  PORT_CONFLICT: {
    summary: 'A broker port kept from the state is now needed for a bootstrap or broker listener.',
    retriable: false,
    hint: 'Choose another pattern2.mode or free the port (docs/configuration.md, "Pattern 2 ports").',
  },
  PORTS_EXHAUSTED: {
    summary: 'No free port is left at or above pattern2.portBase.',
    retriable: false,
    hint: 'Lower pattern2.portBase.',
  },

  // State and locks
  STATE_LOCKED: {
    summary: "Another run holds the stack's state lock.",
    retriable: true,
    hint: 'Wait for that run to finish; if it died, break the lock as the message says.',
  },
  LOCK_LOST: {
    summary: "The state lock is no longer this run's: another run took it.",
    retriable: false,
    hint: 'Check what the other run did, then run plan again.',
  },
  STATE_LOCK_FAILED: {
    summary: 'The state lock in S3 cannot be created or deleted.',
    retriable: false,
    hint: "Check the credentials' S3 permissions on the state bucket (PutObject, GetObject, DeleteObject) and that the bucket exists.",
  },
  STATE_WRITE_FAILED: {
    summary: 'The state cannot be written to S3.',
    retriable: false,
    hint: "Check the credentials' S3 permissions on the state bucket, then run apply again: it finishes what was done.",
  },
  STATE_CONFLICT: {
    summary: 'The state changed under this run (another run wrote it).',
    retriable: false,
    hint: 'Another run may be applying this stack: let it finish, then run plan again.',
  },
  STATE_MISMATCH: {
    summary: 'The state belongs to another stack than the config names.',
    retriable: false,
    hint: "Point the config's state at this stack's state, or fix the config's name.",
  },
  STATE_MOVED: {
    summary:
      "No state beside the config file, but one at the old default location (the working directory's .msk-privatelink/).",
    retriable: false,
    hint: 'Move the state file with the mv command the message prints (or set state.path to where it is), then run again.',
  },
  STATE_NOT_FOUND: {
    summary: 'There is no state where the command looked (state push without a local state).',
    retriable: false,
    hint: 'Name the local state file with --from, or check the config file and its state.path.',
  },
  STATE_PUSH_CONFLICT: {
    summary:
      'The S3 key already holds a state that pushing would overwrite (another lineage, or a newer serial).',
    retriable: false,
    hint: 'Find out which state tracks the resources: if the S3 one does, keep it and drop the local one; if it belongs to something else, point state.key at a free key.',
  },
  LOCK_ID_MISMATCH: {
    summary: 'force-unlock was given a lock id, and the lock held is another one.',
    retriable: false,
    hint: 'Check who holds the lock now (the message names it); run force-unlock with its id, or leave it.',
  },
  INVALID_STATE: {
    summary: 'An entry of the state is malformed.',
    retriable: false,
    hint: 'Restore the state from a backup (S3 versioning), or remove the entry and let the next plan adopt the resource.',
  },
  REF_MISSING: {
    summary: 'A resource refers to another one that is not in the state (not made yet).',
    retriable: false,
    hint: 'Run plan and apply again: the dependency is made first.',
  },
  DEPENDENCY_NOT_MADE: {
    summary: 'A dependency is in the state but lacks what a dependent needs (e.g. a service name).',
    retriable: false,
    hint: 'Run plan and apply again; if it persists, the dependency is replaced when its entry is removed from the state.',
  },
  MISSING_OUTPUT: {
    summary: 'A made dependency has no output a dependent needs (e.g. a DNS name for an alias).',
    retriable: false,
    hint: 'Run plan and apply again; the dependency is read afresh.',
  },
  BROKER_ID_UNKNOWN: {
    summary: 'The state has no broker id to restore the listener settings of.',
    retriable: false,
    hint: 'Restore the broker settings by hand (kafka-configs), then remove the entry from the state.',
  },

  // AWS
  AWS_CREDENTIALS: {
    summary: 'No usable AWS credentials (missing, expired or rejected).',
    retriable: false,
    hint: 'Supply credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile, or `aws sso login`.',
  },
  READ_FAILED: {
    summary: 'AWS answered a read (describe, list, tags) with an error.',
    retriable: false,
    hint: 'Read the AWS error in the message (often a missing permission); throttled or transient answers are retried.',
  },
  CREATE_FAILED: {
    summary: 'AWS refused or failed to create a resource.',
    retriable: false,
    hint: 'Read the AWS error in the message (permission, quota, invalid value); throttled or transient answers are retried.',
  },
  UPDATE_FAILED: {
    summary: 'AWS refused or failed to change a resource in place.',
    retriable: false,
    hint: 'Read the AWS error in the message; throttled or transient answers are retried.',
  },
  DELETE_FAILED: {
    summary: 'AWS refused or failed to delete a resource.',
    retriable: false,
    hint: 'Read the AWS error in the message; throttled or transient answers are retried.',
  },
  TAGGING_FAILED: {
    summary: "A resource's tags cannot be written.",
    retriable: false,
    hint: 'Grant the tagging permission of the service (ec2:CreateTags, elasticloadbalancing:AddTags, ...) and apply again.',
  },
  TARGETS_FAILED: {
    summary: "A target group's targets cannot be registered or deregistered.",
    retriable: false,
    hint: 'Read the AWS error in the message (a broker IP outside the VPC, a permission); apply again.',
  },
  SUBNET_LOOKUP_FAILED: {
    summary: 'Subnets cannot be described, or one is missing or lacks a CIDR or AZ ID.',
    retriable: false,
    hint: 'Check the subnet ids in the config against the account and region.',
  },
  RESOURCE_IN_USE: {
    summary: 'AWS refuses to delete a resource something else still uses.',
    retriable: false,
    hint: 'Remove what still uses it (the message says what), then run destroy or apply again.',
  },
  RESOURCE_GONE: {
    summary: 'A resource disappeared while the run was changing it.',
    retriable: false,
    hint: 'Someone may be deleting it: run plan again, which makes it anew.',
  },
  RESOURCE_FAILED: {
    summary: 'A resource went to a failed state while provisioning (e.g. an NLB or endpoint).',
    retriable: false,
    hint: 'Look at the resource in the AWS console for the reason; the next plan replaces it.',
  },
  WAIT_TIMEOUT: {
    summary: 'A resource did not become ready (or Route 53 stayed busy) within the wait.',
    retriable: true,
    hint: 'Run apply again to keep waiting; AWS provisioning can be slow.',
  },
  NAME_TAKEN: {
    summary: "A resource with the stack's deterministic name exists but belongs to another stack or id.",
    retriable: false,
    hint: 'Rename the stack, or remove the other resource if it is a leftover.',
  },
  PARAMETER_CONFLICT: {
    summary: 'The SSM parameter exists and belongs to another stack.',
    retriable: false,
    hint: 'Choose another bootstrapParameter name, or delete the parameter.',
  },
  LISTENER_PORT_TAKEN: {
    summary: 'The NLB port is taken by a listener that forwards elsewhere.',
    retriable: false,
    hint: 'Remove that listener from the NLB, or let the next plan pick other ports.',
  },
  ZONE_NOT_EMPTY: {
    summary: 'The private hosted zone has records the stack does not manage, so it cannot be deleted.',
    retriable: false,
    hint: 'Delete those records (the message lists them), then run destroy again.',
  },
  ENDPOINT_SERVICE_NOT_ALLOWED: {
    summary: 'The endpoint service does not exist or does not allow the consumer account.',
    retriable: false,
    hint: "Check the account is in the config's consumers and the service's permissions allow it.",
  },
  ENDPOINT_ACCEPT_FAILED: {
    summary: 'The endpoint connection cannot be accepted.',
    retriable: false,
    hint: 'Read the AWS error in the message (often a permission in the provider account); apply again.',
  },
  ENDPOINT_REJECT_FAILED: {
    summary: 'The endpoint connection cannot be rejected.',
    retriable: false,
    hint: 'Read the AWS error in the message; run destroy or apply again.',
  },
  ENDPOINT_CONNECTION_REJECT_FAILED: {
    summary: "The connections to an endpoint service cannot be rejected before the service's deletion.",
    retriable: false,
    hint: 'Read the AWS error in the message; run destroy or apply again.',
  },
  ENDPOINT_CONNECTION_DEAD: {
    summary: 'The endpoint connection is rejected, failed or expired and can never become available.',
    retriable: false,
    hint: 'Run plan again: it replaces the endpoint (or delete it and apply again).',
  },
  RESOURCE_SHARE_INVITATION_DEAD: {
    summary: "A consumer account's invitation to the pattern 3 resource share is rejected or expired.",
    retriable: false,
    hint: 'Remove the account from the share (or delete the share) and apply again: RAM then sends a new invitation.',
  },
  RESOURCE_SHARE_ACCEPT_FAILED: {
    summary: "The consumer account cannot accept the pattern 3 resource share's invitation.",
    retriable: false,
    hint: "Read the AWS error in the message (often a missing ram:AcceptResourceShareInvitation permission in the consumer's role).",
  },
  PATTERN3_TOO_MANY_BROKERS: {
    summary: 'Pattern 3 needs more child resource configurations than one group may hold.',
    retriable: false,
    hint: 'Ask AWS to raise "Child resource configurations per group" (VPC Lattice quotas) and set pattern3.childrenPerGroupQuota, or use pattern 1.',
  },
  TOO_MANY_PRIVATE_DNS_DOMAINS: {
    summary:
      "Pattern 3: the brokers' names need more private DNS domains than a resource endpoint takes (10).",
    retriable: false,
    hint: "Broker names under one parent domain are covered by one wildcard; names spread over more than 10 parent domains cannot be: use pattern 1 or 2, or set pattern3.dns to zone (the stack's own zone, one alias per broker).",
  },
  EXPORT_UNSUPPORTED: {
    summary: "The plan holds resources `export` cannot write in this format yet (this pattern's kinds).",
    retriable: false,
    hint: 'Apply with msk-privatelink itself, or export a pattern the format covers (docs/export.md).',
  },
  PROBE_IN_VPC_FAILED: {
    summary:
      "The in-VPC probe's function, role, security group or temporary SCRAM secret could not be made, run or removed.",
    retriable: false,
    hint: "Read the AWS error in the message (often missing lambda:*, iam:CreateRole/PassRole, secretsmanager:* or ec2 security group permissions in the consumer's role; over SCRAM, a function that cannot read its secret says why); a run that stopped half-way is cleaned up by the next run.",
  },
  PROBE_BUNDLE_MISSING: {
    summary: 'The in-VPC probe bundle (dist/probe-lambda.zip) is missing.',
    retriable: false,
    hint: 'Run `npm run build`: it bundles the probe with esbuild and checks its size.',
  },
  CLUSTER_NOT_FOUND: {
    summary: 'The MSK cluster is not found in the provider account and region.',
    retriable: false,
    hint: 'Check cluster.arn and that the credentials (or provider role) are in the provider account.',
  },
  CLUSTER_NOT_ACTIVE: {
    summary: 'The MSK cluster is not ACTIVE, so its brokers may still change.',
    retriable: true,
    hint: 'Try again when the cluster is ACTIVE.',
  },
  DISCOVERY_FAILED: {
    summary: 'MSK or EC2 did not answer what discovery needs, or what they answered is not usable.',
    retriable: false,
    hint: 'Read the AWS error in the message (often a missing kafka:DescribeClusterV2 or kafka:ListNodes permission).',
  },
  SUBNET_NOT_FOUND: {
    summary: 'A subnet of the cluster is not found in the account and region.',
    retriable: false,
    hint: 'Check the credentials are for the provider account and region.',
  },
  SUBNET_NO_AZ_ID: {
    summary: 'EC2 reported no AZ ID for a subnet.',
    retriable: false,
    hint: 'Run discover again; if it persists, write the inventory file by hand.',
  },

  // MSK configuration (pattern 2, msk-configuration mode)
  MSK_CONFIGURATION_REFUSED: {
    summary: 'MSK refused the configuration or its application to the cluster (BadRequestException).',
    retriable: false,
    hint: "MSK's message names the property or state it refused; fix pattern2 in the config (or wait for the cluster's running operation) and apply again.",
  },
  CROSS_REGION_UNSUPPORTED: {
    summary: 'A consumer in another region cannot be reached this way.',
    retriable: false,
    hint: 'Cross-region consumers work with patterns 1 (all-azs) and 2: interface endpoints to an endpoint service that lists their region.',
  },
  PATTERN0_INELIGIBLE: {
    summary: "MSK's multi-VPC private connectivity cannot serve this cluster or these consumers.",
    retriable: false,
    hint: 'The message names every unmet condition; fix them, or choose pattern 1, 2 or 3 (`recommend` compares them).',
  },
  PATTERN2_DOMAIN_INVALID: {
    summary:
      'pattern2.domain cannot be used as configured: a certificate is missing, or the domain or mode conflicts.',
    retriable: false,
    hint: "Give pattern2.certificateArn (an ACM certificate for *.<domain> in the provider account and region), a domain outside the cluster's, and leave pattern2.mode and pattern2.names out.",
  },
  BOOTSTRAP_PARAMETER_TOO_LONG: {
    summary:
      "A consumer's bootstrapParameter value (every broker's host:port) is longer than SSM's advanced tier holds (8,192 characters).",
    retriable: false,
    hint: 'Leave bootstrapParameter out for this consumer and hand clients a few brokers of the plan instead: Kafka clients need only some bootstrap servers.',
  },
  CUSTOM_LISTENERS_INVALID: {
    summary: 'The custom.advertised.listeners value the plan would set is one MSK refuses.',
    retriable: false,
    hint: 'Choose another pattern2.portBase or cluster.listeners so every broker gets its own port outside the ports MSK uses.',
  },

  // Kafka
  KAFKA_UNREACHABLE: {
    summary: "The brokers' admin API cannot be reached.",
    retriable: true,
    hint: 'Run from where the brokers are reachable on the admin listener port (security groups, routes), then apply again.',
  },
  BROKER_CONFIG_UNREADABLE: {
    summary: 'A broker did not describe its configuration (DescribeConfigs failed).',
    retriable: false,
    hint: "Grant the admin principal DescribeConfigs on the cluster (a Kafka ACL); the broker's log names the reason.",
  },
  BROKER_CONFIG_SENSITIVE: {
    summary: 'A broker has dynamic settings Kafka does not return, which changing its listeners would erase.',
    retriable: false,
    hint: 'Move those settings to the cluster configuration or remove them, then run again.',
  },
  BROKER_CONFIG_REFUSED: {
    summary: 'Kafka refused the listener settings for a broker.',
    retriable: false,
    hint: "The broker's log (ConfigAdminManager) names the reason; fix it and apply again.",
  },
  BROKER_LISTENER_NOT_APPLIED: {
    summary: 'Kafka accepted the listener change, but the broker did not report it in time.',
    retriable: true,
    hint: 'Run apply again; if it persists, check the broker with `status`.',
  },
  BROKER_LISTENER_NOT_FOUND: {
    summary: 'A broker does not advertise a listener the config asks for.',
    retriable: false,
    hint: 'Enable that client authentication on the cluster, or remove the listener type from cluster.listeners.',
  },
  BROKER_LISTENER_PORT_MISMATCH: {
    summary: "A broker's listener is on another port than the plan's NLB targets.",
    retriable: false,
    hint: 'Run discover and plan again so the plan matches the cluster.',
  },
  BROKER_LISTENER_PORT_IN_USE: {
    summary: 'The port for a new broker listener is already used by another listener.',
    retriable: false,
    hint: 'Change pattern2.portBase, or remove the other listener.',
  },
  BROKER_LISTENERS_UNPARSABLE: {
    summary: "A broker's listener settings cannot be parsed.",
    retriable: false,
    hint: "Check the broker's listeners and listener.security.protocol.map settings (kafka-configs --describe).",
  },
  BROKER_NOT_FOUND: {
    summary: "Brokers of the plan are not in the cluster's metadata.",
    retriable: false,
    hint: 'Run discover and plan again: the cluster changed.',
  },
  PATTERN2_REFUSED_BY_KAFKA: {
    summary: 'A broker runs in KRaft mode, where Kafka refuses per-broker listener changes.',
    retriable: false,
    hint: 'Use pattern 1.',
  },

  // Probe
  UNKNOWN_CONSUMER: {
    summary: '--consumer names no consumer of the config.',
    retriable: false,
    hint: "Use a name from the config's consumers.",
  },
  UNKNOWN_LISTENER: {
    summary: "--listener is not one of the stack's listeners.",
    retriable: false,
    hint: 'Use one of cluster.listeners.',
  },
  NOT_APPLIED: {
    summary:
      'The state lacks what the probe needs (an endpoint or an advertised port): the stack is not applied.',
    retriable: false,
    hint: 'Run apply first, or probe given addresses with --bootstrap.',
  },
  IAM_UNSUPPORTED: {
    summary: 'SASL/IAM needs the aws-msk-iam-sasl-signer-js package, which is not installed.',
    retriable: false,
    hint: 'Install msk-privatelink with its dependencies (npm install), which include aws-msk-iam-sasl-signer-js.',
  },

  // Internal
  INTERNAL: {
    summary: 'An internal inconsistency: a bug.',
    retriable: false,
    hint: 'Report it with the command, the message and --verbose output.',
  },
  STEP_FAILED: {
    summary: 'A step failed with an unexpected error (not one of the codes here).',
    retriable: false,
    hint: 'Run apply again; if it persists, report it with --verbose output.',
  },
  NO_UPDATE: {
    summary: 'The plan asks for an in-place change a resource kind cannot make.',
    retriable: false,
    hint: 'Report it; meanwhile remove the entry from the state so the next plan replaces the resource.',
  },
} as const satisfies Record<string, ErrorInfo>;

export type ErrorCode = keyof typeof ERRORS;

export function errorInfo(code: ErrorCode): ErrorInfo | undefined {
  return ERRORS[code];
}

export class MplError extends Error {
  readonly code: ErrorCode;
  readonly where: string | undefined;
  readonly detail: string | undefined;
  readonly retriable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { where?: string; detail?: string; cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MplError';
    this.code = code;
    this.where = opts.where;
    this.detail = opts.detail;
    this.retriable = opts.retriable ?? errorInfo(code)?.retriable ?? false;
  }

  /** The one line a user sees: "<where>: <message>". */
  describe(): string {
    const head = this.where ? `${this.where}: ${this.message}` : this.message;
    return this.detail ? `${head}\n  ${this.detail}` : head;
  }
}

/** Invalid input: a config, inventory, state or plan file that does not parse or validate. */
export class InputError extends MplError {
  constructor(where: string, message: string, detail?: string) {
    super('INVALID_INPUT', message, { where, ...(detail === undefined ? {} : { detail }) });
    this.name = 'InputError';
  }
}

/** The planner refuses the configuration (e.g. pattern 2 on KRaft); nothing is made. */
export class PlanRefused extends MplError {
  constructor(code: ErrorCode, message: string, where?: string) {
    super(code, message, where === undefined ? {} : { where });
    this.name = 'PlanRefused';
  }
}
