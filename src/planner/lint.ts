import { LINT_RULES, type LintCode } from '../config/lint-codes.js';
import { LISTENER_PORTS } from '../config/schema.js';
import type { PlanInput } from './input.js';
import type { Resource } from '../kinds/index.js';
import { KAFKA_DEFAULT_CONNECTIONS_MAX_IDLE_MS, NLB_IDLE_TIMEOUT_MS, QUOTAS } from './quotas.js';

export type Severity = 'error' | 'warning';
export interface Finding {
  /** Stable: users list it in lint.allow, scripts match on it. */
  code: string;
  severity: Severity;
  message: string;
}

/**
 * Lints a plan. Errors stop `plan` and `apply` unless their code is in `lint.allow`, which turns them
 * into warnings (an explicit opt-in); an allowed warning is dropped.
 */
export function lint(input: Pick<PlanInput, 'config' | 'consumerSubnets'>, resources: Resource[]): Finding[] {
  const { config } = input;
  const raw: Array<{ code: LintCode; severity: Severity; message: string }> = [];
  const add = (code: LintCode, severity: Severity, message: string) => raw.push({ code, severity, message });

  const clientPorts = config.cluster.listeners.map((l) => LISTENER_PORTS[l]);
  const svc = config.provider.endpointService;
  if (svc.extraAllowedPrincipals.includes('*')) {
    add(
      'MPL001',
      'error',
      'provider.endpointService.extraAllowedPrincipals has "*": any AWS account could connect to the brokers; name the accounts instead',
    );
  }
  if (!svc.acceptanceRequired) {
    add(
      'MPL002',
      'error',
      'provider.endpointService.acceptanceRequired is false: any allowed principal connects without the provider accepting; keep it true (the tool accepts its own consumers)',
    );
  }
  if (config.pattern === 2 && config.pattern2.mode === 'rewrite' && !config.pattern2.providerZone) {
    add(
      'MPL003',
      'error',
      'pattern2.providerZone is false in rewrite mode: brokers advertise ports they do not listen on, so clients inside the MSK VPC bootstrap and then fail to reach any broker; keep the zone or use mode: additive',
    );
  }
  if (config.cluster.listeners.includes('plaintext')) {
    add(
      'MPL101',
      'warning',
      'cluster.listeners has plaintext: Kafka traffic crosses accounts unencrypted and unauthenticated; prefer tls, sasl_scram or iam',
    );
  }
  const idle = config.clients.connectionsMaxIdleMs ?? KAFKA_DEFAULT_CONNECTIONS_MAX_IDLE_MS;
  if (idle >= NLB_IDLE_TIMEOUT_MS && config.pattern === 3) {
    add(
      'MPL102',
      'warning',
      `the resource gateway's idle timeout for TCP is not published; PrivateLink's is ${NLB_IDLE_TIMEOUT_MS / 1000} s and Kafka clients keep ` +
        `connections ${idle / 1000} s (connections.max.idle.ms): set connections.max.idle.ms below ${NLB_IDLE_TIMEOUT_MS} on clients (e.g. 300000) ` +
        'and declare it in clients.connectionsMaxIdleMs',
    );
  } else if (idle >= NLB_IDLE_TIMEOUT_MS) {
    add(
      'MPL102',
      'warning',
      `the NLB drops TCP connections idle for ${NLB_IDLE_TIMEOUT_MS / 1000} s but Kafka clients keep them ${idle / 1000} s ` +
        `(connections.max.idle.ms): set connections.max.idle.ms below ${NLB_IDLE_TIMEOUT_MS} on clients (e.g. 300000) and declare it in clients.connectionsMaxIdleMs`,
    );
  }
  const crossZone = resources.filter(
    (r) => r.kind === 'load-balancer' && r.props.crossZone && r.props.azIds.length > 1,
  );
  if (crossZone.length > 0) {
    add(
      'MPL103',
      'warning',
      `${crossZone.length} load balancer(s) with cross-zone on: traffic to a broker in another AZ pays cross-AZ data ($0.01/GB each way); see \`cost --gb-per-month\``,
    );
  }
  config.consumers.forEach((c, i) => {
    const azs = new Set((input.consumerSubnets[c.name] ?? []).map((s) => s.azId));
    if (azs.size === 1) {
      add(
        'MPL104',
        'warning',
        `consumers[${i}] (${c.name}) has subnets in one AZ only: its endpoints have no AZ redundancy`,
      );
    }
    if (config.pattern === 2 && c.endpointLayout === 'broker-az') {
      add(
        'MPL105',
        'warning',
        `consumers[${i}].endpointLayout broker-az applies to pattern 1 only: pattern 2's one endpoint uses every subnet`,
      );
    }
  });
  if (config.provider.brokerSecurityGroupId === undefined) {
    const ports = [
      ...new Set(
        resources.flatMap((r) =>
          r.kind === 'target-group' ? [r.props.port] : r.kind === 'resource-gateway' ? clientPorts : [],
        ),
      ),
    ].sort((a, b) => a - b);
    const source = config.pattern === 3 ? "the resource gateway's subnets" : "the NLB's subnets";
    add(
      'MPL106',
      'warning',
      `provider.brokerSecurityGroupId is not set: the brokers' security group must allow TCP ${ports.join(', ')} from ${source}, or every connection times out`,
    );
  }
  if (config.pattern === 3 && config.pattern3.dns === 'managed') {
    // Where AWS's documentation leaves pattern 3 open, the planner takes the safer reading and says so
    // (docs/patterns.md, "Pattern 3: what is not verified").
    add(
      'MPL107',
      'warning',
      "pattern 3 names each broker's child resource configuration after the broker (a custom domain name under " +
        'amazonaws.com, which a provider cannot verify); consumer endpoints therefore ask VPC Lattice for private DNS of ' +
        'exactly those names (SPECIFIED_DOMAINS_ONLY). AWS does not document whether it accepts such names: try it in a ' +
        "test account first, or set pattern3.dns: zone (the stack's own zones, no custom names; docs/patterns.md)",
    );
  }
  if (config.pattern === 3) {
    add(
      'MPL108',
      'warning',
      'every consumer subnet of a resource endpoint needs free addresses for it (a /28 per subnet, by the VPC Lattice ' +
        'quotas page, not verified here): check the subnets before applying',
    );
  }
  const nlbs = resources.filter((r) => r.kind === 'load-balancer').length;
  if (nlbs > QUOTAS.nlbsPerRegion) {
    add(
      'MPL201',
      'warning',
      `${nlbs} NLBs: above the default quota of ${QUOTAS.nlbsPerRegion} per region (adjustable: ask AWS before applying)`,
    );
  }
  const tgs = resources.filter((r) => r.kind === 'target-group').length;
  if (tgs > QUOTAS.targetGroupsPerRegion) {
    add(
      'MPL203',
      'warning',
      `${tgs} target groups: above the default quota of ${QUOTAS.targetGroupsPerRegion} per region`,
    );
  }
  const perVpc = new Map<string, number>();
  for (const r of resources) {
    if (r.kind === 'vpc-endpoint') perVpc.set(r.props.vpcId, (perVpc.get(r.props.vpcId) ?? 0) + 1);
  }
  for (const [vpc, n] of perVpc) {
    if (n > QUOTAS.endpointsPerVpc) {
      add(
        'MPL202',
        'warning',
        `${n} interface endpoints in ${vpc}: above the default quota of ${QUOTAS.endpointsPerVpc} per VPC (adjustable)`,
      );
    }
  }

  const allowed = new Set(config.lint.allow);
  return raw.flatMap((f) => {
    if (!allowed.has(f.code)) return [f];
    if (f.severity === 'warning') return [];
    return [{ ...f, severity: 'warning' as const, message: `${f.message} (allowed by lint.allow)` }];
  });
}

export { LINT_RULES, type LintCode };
