/**
 * AWS quotas that bound a plan. Sources:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-limits.html,
 * https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html and
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html (checked 2026-11-01);
 * tags per resource: ELB user guide, "Tag a Network Load Balancer"; ELB names: the CreateLoadBalancer
 * and CreateTargetGroup API reference (`Name`); ClientToken: EC2 developer guide, "Ensuring idempotency
 * in Amazon EC2 API requests".
 */
export const QUOTAS = {
  /** Not adjustable: pattern 2 needs one listener per broker and listener type plus the bootstrap ones. */
  listenersPerNlb: 50,
  nlbsPerRegion: 50,
  targetGroupsPerRegion: 3000,
  targetsPerTargetGroup: 1000,
  endpointsPerVpc: 50,
  recordsPerHostedZone: 10000,
  vpcsPerPrivateHostedZone: 300,
  tagsPerResource: 50,
  /**
   * Inbound (and, separately, outbound) IPv4 rules per security group: 60 by default, adjustable
   * (Amazon VPC user guide, "Amazon VPC quotas", Security groups). Each CIDR and port range is one rule.
   */
  rulesPerSecurityGroup: 60,
  /** NLB and target group names: letters, digits and hyphens. */
  elbNameMaxLength: 32,
  /** EC2 ClientToken. */
  clientTokenMaxLength: 64,
  /**
   * SSM parameter values: 4,096 characters in the standard tier, 8,192 in the advanced tier
   * ("Managing parameter tiers", AWS Systems Manager User Guide).
   */
  ssmStandardValueMax: 4096,
  ssmAdvancedValueMax: 8192,
  /** PrivateDnsSpecifiedDomains of one resource endpoint (EC2 API reference, DnsOptionsSpecification). */
  resourceEndpointSpecifiedDomains: 10,
} as const;

/**
 * Ports MSK itself uses on brokers: ZooKeeper 2181, client and replication listeners 9092-9098,
 * and 14001-14100 for MSK's multi-VPC private connectivity (MSK developer guide, "Port information"
 * and "Amazon MSK multi-VPC private connectivity in a single Region").
 * Pattern 2's advertised ports must avoid them.
 */
export const MSK_RESERVED_PORT_RANGES: ReadonlyArray<readonly [number, number]> = [
  [2181, 2181],
  [9092, 9098],
  [14001, 14100],
];

/**
 * NLB listener idle timeouts, in seconds (ELB user guide, "Update the TCP idle timeout for your
 * Network Load Balancer listener"; ELBv2 API reference, ListenerAttribute): a TCP listener's is 350
 * by default and can be set from 60 to 6000 (listener attribute `tcp.idle_timeout.seconds`); a TLS
 * listener's is 350 and cannot be changed.
 */
export const NLB_IDLE_TIMEOUT_S = { tcpDefault: 350, tcpMin: 60, tcpMax: 6000, tls: 350 } as const;
/** Kafka clients' default connections.max.idle.ms (Kafka producer/consumer configs). */
export const KAFKA_DEFAULT_CONNECTIONS_MAX_IDLE_MS = 540_000;
