// Pure: facts a probe step gathered in, the error line and an actionable hint out. Kept apart from
// the I/O so every mapping is unit-tested without a network.
import type { Diagnosis, EndpointRef } from './types.js';

/**
 * Every hint the probe gives, by a stable id: docs/troubleshooting.md has one section per id
 * (test/unit/docs-troubleshooting.test.ts). A new hint takes a new id here and a section there.
 */
export const HINT_IDS = [
  'dns-server-down',
  'dns-record-missing',
  'dns-zone-not-seen',
  'dns-not-in-zone',
  'endpoint-no-addresses',
  'dns-other-endpoint',
  'dns-shadowed',
  'endpoint-pending-acceptance',
  'endpoint-pending',
  'endpoint-rejected',
  'endpoint-gone',
  'endpoint-failed',
  'endpoint-not-available',
  'tcp-timeout',
  'tcp-refused',
  'tcp-reset',
  'tcp-other',
  'tls-name-mismatch',
  'tls-untrusted',
  'tls-expired',
  'tls-timeout',
  'tls-not-tls',
  'tls-client-certificate',
  'tls-other',
  'auth-iam',
  'auth-scram',
  'kafka-broker-missing',
  'kafka-advertised-host',
  'kafka-advertised-port',
  'kafka-metadata-failed',
  'unexpected',
] as const;
export type HintId = (typeof HINT_IDS)[number];

/** Node's resolver and getaddrinfo codes; NXDOMAIN (ENOTFOUND) and anything unknown read as "does not resolve". */
const NO_DATA = new Set(['ENODATA', 'EAI_NODATA']);
const SERVER_DOWN = new Set(['ETIMEOUT', 'ECONNREFUSED', 'ESERVFAIL', 'EREFUSED', 'ETIMEDOUT', 'EAI_AGAIN']);

export interface DnsFailureFacts {
  host: string;
  code: string;
  /** "127.0.0.1:53" or "the system resolver". */
  resolver: string;
  /** With --config: whether the record is in the stack's zone (Route 53 read in the consumer account). */
  record?: 'present' | 'missing';
  zoneId?: string;
  consumer?: string;
}

export function dnsFailure(f: DnsFailureFacts): Diagnosis {
  const where = f.consumer === undefined ? 'this VPC' : `consumer ${f.consumer}'s VPC`;
  if (SERVER_DOWN.has(f.code)) {
    return {
      step: 'dns',
      hintId: 'dns-server-down',
      error: `${f.host}: no answer from ${f.resolver} (${f.code})`,
      hint: `the DNS server did not answer: check --dns-server, or run the probe inside ${where} (Route 53 Resolver is the VPC's .2 address)`,
    };
  }
  const what = NO_DATA.has(f.code) ? 'has no A record' : 'does not resolve';
  const error = `${f.host} ${what} (${f.code} from ${f.resolver})`;
  if (f.record === 'missing') {
    return {
      step: 'dns',
      hintId: 'dns-record-missing',
      error,
      hint: `the record is missing from the stack's private hosted zone${f.zoneId ? ` ${f.zoneId}` : ''} (deleted outside this tool?): run \`status\` to see the drift, then \`apply\``,
    };
  }
  if (f.record === 'present') {
    return {
      step: 'dns',
      hintId: 'dns-zone-not-seen',
      error,
      hint: `the record exists in zone ${f.zoneId ?? '(the stack zone)'}, but this resolver does not see it: the zone is not associated with ${where}, or the probe does not use that VPC's resolver`,
    };
  }
  return {
    step: 'dns',
    hintId: 'dns-not-in-zone',
    error,
    hint: `the name is not in any private hosted zone associated with ${where}: the zone is not associated with this VPC, or the broker's record is missing (run \`status\`)`,
  };
}

/** The endpoint's own DNS name does not resolve: the endpoint has no addresses (yet). */
export function endpointUnresolved(f: {
  host: string;
  ep: EndpointRef;
  code: string;
  resolver: string;
}): Diagnosis {
  return {
    step: 'dns',
    hintId: 'endpoint-no-addresses',
    error: `${f.host}: the stack's endpoint ${f.ep.endpointId} (${f.ep.dnsName}) does not resolve (${f.code} from ${f.resolver})`,
    hint: `endpoint ${f.ep.endpointId} has no addresses: it is not available (run \`status\`), or this resolver cannot see endpoint names`,
  };
}

export function dnsMismatch(f: {
  host: string;
  answer: string[];
  expected: string[];
  ep: EndpointRef;
  /** Whose endpoint the answer belongs to, when it is another one of this stack (e.g. "broker 2's endpoint vpce-..."). */
  otherOwner?: string;
}): Diagnosis {
  const error = `${f.host} resolves to ${f.answer.join(', ')}, not to this stack's endpoint ${f.ep.endpointId} (${f.expected.join(', ')})`;
  if (f.otherOwner !== undefined) {
    return {
      step: 'dns',
      hintId: 'dns-other-endpoint',
      error,
      hint: `not this stack's endpoint: the record points at ${f.otherOwner} (a stale or hand-edited record): run \`status\`, then \`apply\` to put it back`,
    };
  }
  return {
    step: 'dns',
    hintId: 'dns-shadowed',
    error,
    hint: "not this stack's endpoint: another private hosted zone (a wider or older one) shadows this name in the VPC, or the record is stale: list the zones associated with the VPC and run `status`",
  };
}

/**
 * What the endpoint's state says, when it explains a DNS or TCP failure; undefined when the endpoint
 * is available (the failure lies elsewhere) or its state is unknown.
 */
export function endpointStateHint(state: string | undefined, ep: EndpointRef): string | undefined {
  if (state === undefined) return undefined;
  const s = state.toLowerCase();
  const id = `endpoint ${ep.endpointId} (account ${ep.account})`;
  switch (s) {
    case 'available':
      return undefined;
    case 'pendingacceptance':
      return `${id} is still pending acceptance: the provider account must accept the connection (run \`apply\`, or \`aws ec2 accept-vpc-endpoint-connections\` in the provider account)`;
    case 'pending':
      return `${id} is still being created (pending): wait for it to become available, then probe again`;
    case 'rejected':
      return `${id} was rejected by the endpoint service: run \`apply\` to replace it and accept it`;
    case 'deleting':
    case 'deleted':
    case 'not-found':
      return `${id} no longer exists (${s}; deleted outside this tool?): run \`apply\` to recreate it`;
    case 'failed':
      return `${id} failed to create (check its subnets and the service's AZs): run \`apply\` to replace it`;
    default:
      return `${id} is ${state}, not available`;
  }
}

/** The id of endpointStateHint's hint for a state it explains. */
function endpointStateHintId(state: string): HintId {
  switch (state.toLowerCase()) {
    case 'pendingacceptance':
      return 'endpoint-pending-acceptance';
    case 'pending':
      return 'endpoint-pending';
    case 'rejected':
      return 'endpoint-rejected';
    case 'deleting':
    case 'deleted':
    case 'not-found':
      return 'endpoint-gone';
    case 'failed':
      return 'endpoint-failed';
    default:
      return 'endpoint-not-available';
  }
}

/** Puts the endpoint's state first when it explains the failure. */
export function withEndpointState(
  d: Diagnosis,
  state: string | undefined,
  ep: EndpointRef | undefined,
): Diagnosis {
  if (ep === undefined || state === undefined) return d;
  const why = endpointStateHint(state, ep);
  return why === undefined ? d : { ...d, hintId: endpointStateHintId(state), hint: why };
}

export function tcpFailure(f: {
  host: string;
  address: string;
  port: number;
  code: string;
  timeoutMs: number;
}): Diagnosis {
  const at = `${f.address}:${f.port}`;
  if (f.code === 'ETIMEOUT') {
    return {
      step: 'tcp',
      hintId: 'tcp-timeout',
      error: `${f.host}: connecting to ${at} timed out after ${f.timeoutMs} ms`,
      hint: `nothing answers on port ${f.port}: a security group (the endpoint's, the NLB's for a client outside allowedCidrs, or the brokers' for the NLB) or a NACL drops it, the endpoint proxy is down, or the endpoint is not available`,
    };
  }
  if (f.code === 'ECONNREFUSED') {
    return {
      step: 'tcp',
      hintId: 'tcp-refused',
      error: `${f.host}: connection refused on ${at}`,
      hint: `no listener on port ${f.port} behind this address: the NLB listener for this port is missing (pattern 2: the broker's advertised port), or the endpoint proxy is down; run \`status\``,
    };
  }
  if (f.code === 'ECONNRESET' || f.code === 'EPIPE') {
    return {
      step: 'tcp',
      hintId: 'tcp-reset',
      error: `${f.host}: connection to ${at} accepted, then reset (${f.code})`,
      hint: `the endpoint accepts and drops connections on port ${f.port}: the NLB has no healthy target for it (broker security group, wrong target port) or the endpoint proxy is failing`,
    };
  }
  return {
    step: 'tcp',
    hintId: 'tcp-other',
    error: `${f.host}: cannot connect to ${at} (${f.code})`,
    hint: `check the route to ${f.address} and the security groups for port ${f.port}`,
  };
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

export function tlsFailure(f: {
  host: string;
  port: number;
  code: string;
  message: string;
  timeoutMs: number;
}): Diagnosis {
  const error = `${f.host}:${f.port}: TLS handshake failed: ${f.message}`;
  if (f.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      step: 'tls',
      hintId: 'tls-name-mismatch',
      error,
      hint: `TLS name mismatch: the broker's certificate does not cover ${f.host}; clients must use the broker names (b-N.<cluster>...amazonaws.com) that the private zone maps to the endpoint, not an NLB or endpoint DNS name or an IP address`,
    };
  }
  if (UNTRUSTED.has(f.code)) {
    return {
      step: 'tls',
      hintId: 'tls-untrusted',
      error,
      hint: "the certificate chain is not trusted: pass the CA that signed the brokers' certificates with --ca (MSK uses public CAs, so a custom CA means a proxy or a test cluster)",
    };
  }
  if (f.code === 'CERT_HAS_EXPIRED' || f.code === 'CERT_NOT_YET_VALID') {
    return {
      step: 'tls',
      hintId: 'tls-expired',
      error,
      hint: "the broker's certificate is outside its validity period: check the client's clock",
    };
  }
  if (f.code === 'ETIMEOUT') {
    return {
      step: 'tls',
      hintId: 'tls-timeout',
      error: `${f.host}:${f.port}: no TLS handshake within ${f.timeoutMs} ms`,
      hint: `nothing answers behind port ${f.port}: the connection is accepted but the TLS handshake gets no reply, so the path behind the endpoint is dead (endpoint proxy or NLB target not forwarding) or the port is a plaintext listener (--listener plaintext)`,
    };
  }
  if (
    /wrong version number|packet length too long|ECONNRESET|socket disconnected/i.test(
      `${f.code} ${f.message}`,
    )
  ) {
    return {
      step: 'tls',
      hintId: 'tls-not-tls',
      error,
      hint: `port ${f.port} does not speak TLS as expected: the NLB listener forwards to another Kafka listener (plaintext?), or the target dropped the connection`,
    };
  }
  if (/certificate required|alert number 116|bad certificate|alert number 42/i.test(f.message)) {
    return {
      step: 'tls',
      hintId: 'tls-client-certificate',
      error,
      hint: 'the broker asks for a client certificate (mutual TLS): pass --cert and --key',
    };
  }
  return {
    step: 'tls',
    hintId: 'tls-other',
    error,
    hint: 'check --ca, --cert/--key and that the port is a TLS listener',
  };
}

export function authFailure(f: { host: string; mechanism: string; message: string }): Diagnosis {
  if (f.mechanism === 'oauthbearer') {
    return {
      step: 'auth',
      hintId: 'auth-iam',
      error: `${f.host}: SASL/IAM authentication failed: ${f.message}`,
      hint: "the IAM principal of these credentials is not allowed to kafka-cluster:Connect on this cluster, or the signer's region is wrong: check the cluster policy and --region/--profile",
    };
  }
  return {
    step: 'auth',
    hintId: 'auth-scram',
    error: `${f.host}: SASL/SCRAM authentication failed: ${f.message}`,
    hint: 'wrong user name or password (the secret must be associated with the cluster, name prefixed AmazonMSK_), or SCRAM is not enabled on the cluster',
  };
}

export interface AdvertisedFacts {
  host: string;
  id: number;
  expected: { host: string; port: number };
  /** What metadata lists for this id; undefined: not listed at all. */
  actual: { host: string; port: number } | undefined;
  listed: number[];
}

/** The kafka step's comparison with the plan: undefined when metadata matches. */
export function advertisedMismatch(f: AdvertisedFacts): Diagnosis | undefined {
  const want = `${f.expected.host}:${f.expected.port}`;
  if (f.actual === undefined) {
    return {
      step: 'kafka',
      hintId: 'kafka-broker-missing',
      error: `broker ${f.id} is not in the cluster's metadata (brokers ${f.listed.join(', ') || 'none'})`,
      hint: 'the broker is down or was replaced: run `discover` and `plan` to see the cluster as it is now',
    };
  }
  const got = `${f.actual.host}:${f.actual.port}`;
  if (f.actual.host.toLowerCase() !== f.expected.host.toLowerCase()) {
    return {
      step: 'kafka',
      hintId: 'kafka-advertised-host',
      error: `broker ${f.id} advertises ${got}, the plan says ${want}`,
      hint: 'the advertised host differs from the broker name the records map: clients would leave PrivateLink after bootstrap; check advertised.listeners on the broker',
    };
  }
  if (f.actual.port !== f.expected.port) {
    return {
      step: 'kafka',
      hintId: 'kafka-advertised-port',
      error: `broker ${f.id} advertises ${got}, the plan says ${want}`,
      hint: `advertised port differs from the plan: the pattern 2 listener change is not applied or was reverted on broker ${f.id} (run \`status\`, then \`apply\`)`,
    };
  }
  return undefined;
}

export function kafkaFailure(f: { host: string; port: number; message: string }): Diagnosis {
  return {
    step: 'kafka',
    hintId: 'kafka-metadata-failed',
    error: `${f.host}:${f.port}: metadata request failed: ${f.message}`,
    hint: 'TLS works but Kafka does not answer: the NLB may forward to the wrong broker port, or the broker is unhealthy',
  };
}
