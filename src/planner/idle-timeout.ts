// How long a Kafka connection may stay idle on the way to the brokers, and what the plan sets.
//
// What AWS documents (checked 2026-11-01):
// - The NLB: "If no data is sent through the connection by either the client or target for longer
//   than the idle timeout, the connection is closed". TCP listeners: 350 s by default, settable from
//   60 to 6000 s with the listener attribute tcp.idle_timeout.seconds; TLS listeners: 350 s, not
//   changeable (ELB user guide, "Update the TCP idle timeout for your Network Load Balancer listener",
//   https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html).
// - The interface endpoint (consumer side of patterns 1 and 2): the AWS PrivateLink guide states no
//   idle timeout of its own. Neither "Create a service powered by AWS PrivateLink" (Considerations),
//   "AWS PrivateLink quotas" (the considerations for traffic through a VPC endpoint: bandwidth, MTU,
//   PMTUD, MSS clamping) nor "Access AWS services through AWS PrivateLink" names one; it is not
//   documented. So the NLB listener's timeout is the one documented limit on that path, and the plan
//   sets it to cover the clients; if the endpoint had an undocumented limit of its own, setting the
//   listener higher would still be harmless.
// - Cross-Region access "is not supported for Network Load Balancers with a custom value configured
//   for the TCP idle timeout" (AWS PrivateLink guide, "Share your services through AWS PrivateLink",
//   Cross-Region access, Considerations,
//   https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html#endpoint-service-cross-region):
//   a stack with consumers in other regions keeps the default 350 s.
// - VPC Lattice resource gateways and resource endpoints (pattern 3) and MSK's multi-VPC private
//   connectivity (pattern 0): no idle timeout is documented and none can be set.
import type { Config } from '../config/schema.js';
import { KAFKA_DEFAULT_CONNECTIONS_MAX_IDLE_MS, NLB_IDLE_TIMEOUT_S } from './quotas.js';

/**
 * What the NLB's TCP listeners get above the clients' connections.max.idle.ms: a client closes an
 * idle connection on its next poll after the time has passed, not on the dot.
 */
export const IDLE_MARGIN_S = 60;

/** The clients' connections.max.idle.ms: declared in the config, else Kafka's default. */
export function clientIdleMs(config: Pick<Config, 'clients'>): number {
  return config.clients.connectionsMaxIdleMs ?? KAFKA_DEFAULT_CONNECTIONS_MAX_IDLE_MS;
}

/** Whether a consumer is in another region than the cluster (the endpoint service is cross-region). */
export function crossRegion(config: Pick<Config, 'region' | 'consumers'>): boolean {
  return config.consumers.some((c) => (c.region ?? config.region) !== config.region);
}

/**
 * The idle timeout (seconds) the plan sets on the NLB's TCP listeners, or undefined when they keep
 * AWS's default: the default already covers the clients, the stack is cross-region (AWS refuses a
 * custom value there), or the pattern has no NLB. Otherwise the clients' idle time plus a margin,
 * at most AWS's 6000 s.
 */
export function tcpListenerIdleTimeoutS(
  config: Pick<Config, 'pattern' | 'region' | 'consumers' | 'clients'>,
): number | undefined {
  if (config.pattern !== 1 && config.pattern !== 2) return undefined;
  if (crossRegion(config)) return undefined;
  const idle = clientIdleMs(config);
  if (idle < NLB_IDLE_TIMEOUT_S.tcpDefault * 1000) return undefined;
  return Math.min(NLB_IDLE_TIMEOUT_S.tcpMax, Math.ceil(idle / 1000) + IDLE_MARGIN_S);
}
