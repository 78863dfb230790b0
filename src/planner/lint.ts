import { LINT_RULES, type LintCode } from '../config/lint-codes.js';
import { LISTENER_PORTS } from '../config/schema.js';
import type { PlanInput } from './input.js';
import { pattern2Mode, type ModeChoice } from './pattern2-mode.js';
import type { Resource } from '../kinds/index.js';
import { clientIdleMs, IDLE_MARGIN_S } from './idle-timeout.js';
import { NLB_IDLE_TIMEOUT_S, QUOTAS } from './quotas.js';

/** `info`: what the planner chose and why (never stops a plan, never filtered by lint.allow). */
export type Severity = 'error' | 'warning' | 'info';
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
export function lint(
  input: Pick<PlanInput, 'config' | 'consumerSubnets' | 'inventory' | 'configFile'>,
  resources: Resource[],
): Finding[] {
  const { config } = input;
  const raw: Array<{ code: LintCode; severity: Severity; message: string }> = [];
  const add = (code: LintCode, severity: Severity, message: string) => raw.push({ code, severity, message });

  const clientPorts = config.cluster.listeners.map((l) => LISTENER_PORTS[l]);
  const svc = config.provider.endpointService;
  // A wildcard anywhere widens the service: "*" is every AWS principal, arn:aws:iam::*:root every
  // account, role/* every role of the account.
  const wild = svc.extraAllowedPrincipals.filter((p) => p.includes('*'));
  if (wild.length > 0) {
    add(
      'MPL001',
      'error',
      `provider.endpointService.extraAllowedPrincipals has a wildcard (${wild.map((p) => `"${p}"`).join(', ')}): ` +
        'principals it does not name could connect to the brokers; name each account, role or user instead',
    );
  }
  if (!svc.acceptanceRequired) {
    add(
      'MPL002',
      'error',
      'provider.endpointService.acceptanceRequired is false: any allowed principal connects without the provider accepting; keep it true (the tool accepts its own consumers)',
    );
  }
  const mode = config.pattern === 2 ? pattern2ModeOf(input) : undefined;
  if (mode !== undefined) add('MPL301', 'info', `pattern 2 mode ${mode.mode}, ${mode.reason}`);
  if ((mode?.mode === 'rewrite' || mode?.mode === 'msk-configuration') && !config.pattern2.providerZone) {
    add(
      'MPL003',
      'error',
      `pattern2.providerZone is false in ${mode.mode} mode: brokers advertise ports they do not listen on, so clients inside the MSK VPC bootstrap and then fail to reach any broker; keep the zones${mode.mode === 'rewrite' ? ' or use mode: additive' : ''}`,
    );
  }
  const configuration = resources.find((r) => r.kind === 'cluster-configuration');
  if (configuration !== undefined) {
    const restart =
      'applying pattern 2 changes the cluster configuration (custom.advertised.listeners): MSK restarts every broker, one at a time, ' +
      'and again on destroy; apply in a quiet hour. ';
    if (config.pattern2.domain !== undefined) {
      add(
        'MPL109',
        'warning',
        restart +
          `The brokers advertise b-<id>.${config.pattern2.domain} on the configured listeners; the NLB presents pattern2.certificateArn ` +
          '(it must name *.' +
          config.pattern2.domain +
          ') and re-encrypts to the brokers, whose own names stay with MSK. Clients use the new names everywhere, inside the MSK VPC ' +
          'too (a private zone for the domain is made there before the restart)',
      );
    } else if (config.pattern2.names === 'sibling') {
      add(
        'MPL109',
        'warning',
        restart +
          'The brokers advertise b-<id>-pl names beside their own on the configured listeners; clients inside the MSK VPC reach ' +
          "them through the NLB by zones made before the restart and keep the brokers' own names on every other listener. " +
          "TLS to those names needs the brokers' certificate to be a wildcard for the cluster's sub-domain, which AWS does not " +
          'document: check one broker (openssl s_client -connect <broker>:9094) first, or set pattern2.names: broker',
      );
    } else {
      const routed = resources.filter((r) => r.kind === 'listener' && r.id.startsWith('bootstrap/')).length;
      add(
        'MPL109',
        'warning',
        restart +
          'With pattern2.names: broker, inside the MSK VPC clients of a restarted broker cannot reach it until its name points at the NLB, ' +
          'which the plan does right after the restart (no name ever points at a listener of another broker). ' +
          `The NLB carries ${routed} client listener type(s), every one the cluster serves, so that names pointing at it keep answering on each`,
      );
    }
  }
  if (config.cluster.listeners.includes('plaintext')) {
    add(
      'MPL101',
      'warning',
      'cluster.listeners has plaintext: Kafka traffic crosses accounts unencrypted and unauthenticated; prefer tls, sasl_scram or iam',
    );
  }
  for (const f of idleFindings(config, resources)) add(f.code, f.severity, f.message);
  // NLBs planned without a security group: only those an earlier version made so (planner/input.ts).
  const bareNlbs = resources.filter((r) => r.kind === 'load-balancer' && r.props.securityGroups.length === 0);
  const nlbGroup = resources.flatMap((r) =>
    r.kind === 'security-group' && r.id === 'provider/security-group' && config.pattern !== 3
      ? [r.props.name]
      : [],
  )[0];
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
  // Pattern 0 adds no rule to the brokers' group (MSK's managed connections reach the brokers): no
  // port to name.
  if (config.provider.brokerSecurityGroupId === undefined && config.pattern !== 0) {
    const ports = [
      ...new Set(
        resources.flatMap((r) =>
          r.kind === 'target-group' ? [r.props.port] : r.kind === 'resource-gateway' ? clientPorts : [],
        ),
      ),
    ].sort((a, b) => a - b);
    // Where every NLB has the stack's group, a rule with that group as source admits exactly them.
    const source =
      config.pattern === 3
        ? "the resource gateway's subnets"
        : nlbGroup !== undefined && bareNlbs.length === 0
          ? `the NLBs' security group ${nlbGroup} (or the NLBs' subnets)`
          : "the NLB's subnets";
    add(
      'MPL106',
      'warning',
      `provider.brokerSecurityGroupId is not set: the brokers' security group must allow TCP ${ports.join(', ')} from ${source}, or every connection times out`,
    );
  }
  if (bareNlbs.length > 0) {
    // ELB user guide, "Update the security groups for your Network Load Balancer": a group can be
    // associated only when the NLB is made; one made without cannot get one later.
    add(
      'MPL110',
      'warning',
      `${bareNlbs.map((r) => r.id).join(', ')}: made by an earlier version without a security group, which AWS cannot ` +
        'add to an existing NLB. Kept as is (a new NLB would replace its endpoint service and every consumer endpoint), so ' +
        "PrivateLink traffic is not held to inbound rules and the brokers' group keeps admitting the NLBs' subnets. To get " +
        'the group (clients only from allowedCidrs, on the listener ports), destroy and apply the stack in a quiet hour',
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
  for (const r of resources) {
    if (r.kind !== 'security-group') continue;
    // 'vpc' becomes one rule per CIDR block of the VPC when applied: at least one.
    const inbound = r.props.ingress.length;
    const outbound = r.props.egress?.length ?? 0;
    const over = [
      ...(inbound > QUOTAS.rulesPerSecurityGroup ? [`${inbound} inbound`] : []),
      ...(outbound > QUOTAS.rulesPerSecurityGroup ? [`${outbound} outbound`] : []),
    ];
    if (over.length > 0) {
      add(
        'MPL204',
        'warning',
        `${r.id} (${r.props.name}) needs at least ${over.join(' and ')} rules: above the default quota of ${QUOTAS.rulesPerSecurityGroup} ` +
          'per security group (adjustable: ask AWS before applying, or merge allowedCidrs into fewer, wider blocks)',
      );
    }
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
    if (!allowed.has(f.code) || f.severity === 'info') return [f];
    if (f.severity === 'warning') return [];
    return [{ ...f, severity: 'warning' as const, message: `${f.message} (allowed by lint.allow)` }];
  });
}

/** The mode pattern 2 plans with; undefined when the planner refuses it (the plan then fails there). */
function pattern2ModeOf(
  input: Pick<PlanInput, 'config' | 'inventory' | 'configFile'>,
): ModeChoice | undefined {
  try {
    return pattern2Mode(input.config, input.inventory, input.configFile);
  } catch {
    return undefined;
  }
}

export { LINT_RULES, type LintCode };

const DECLARE = 'on the clients (e.g. 300000) and declare it in clients.connectionsMaxIdleMs';

/**
 * MPL102 (and the MPL302 note): which idle limit applies to the clients' connections and what to do
 * about it. Patterns 1 and 2 read it off the planned listeners (planner/idle-timeout.ts has what AWS
 * documents): a TCP listener's configured timeout, the default a cross-region stack keeps, a TLS
 * listener's fixed 350 s. Patterns 0 and 3 have no documented limit to name.
 */
function idleFindings(
  config: PlanInput['config'],
  resources: Resource[],
): Array<{ code: LintCode; severity: Severity; message: string }> {
  const idle = clientIdleMs(config);
  const kept = `Kafka clients keep idle connections ${idle / 1000} s (connections.max.idle.ms)`;
  const below = (s: number) => `set connections.max.idle.ms below ${s * 1000} ${DECLARE}`;
  const defaultMs = NLB_IDLE_TIMEOUT_S.tcpDefault * 1000;
  if (config.pattern === 0 || config.pattern === 3) {
    if (idle < defaultMs) return [];
    const path =
      config.pattern === 3
        ? "VPC Lattice documents no TCP idle timeout for the resource gateway or the consumers' resource endpoints"
        : "AWS documents no idle timeout for MSK's multi-VPC private connectivity (PrivateLink that MSK manages)";
    return [
      {
        code: 'MPL102',
        severity: 'warning',
        message:
          `${path}, and none can be set; the lint assumes ${NLB_IDLE_TIMEOUT_S.tcpDefault} s, the default of the ` +
          `Network Load Balancers behind PrivateLink endpoint services, and ${kept}: ${below(NLB_IDLE_TIMEOUT_S.tcpDefault)}`,
      },
    ];
  }
  const listeners = resources.flatMap((r) => (r.kind === 'listener' ? [r.props] : []));
  const tls = listeners.filter((l) => l.protocol === 'TLS');
  const tcp = listeners.filter((l) => l.protocol === 'TCP');
  const set = [
    ...new Set(tcp.flatMap((l) => (l.idleTimeoutSeconds === undefined ? [] : [l.idleTimeoutSeconds]))),
  ];
  const unset = tcp.filter((l) => l.idleTimeoutSeconds === undefined);
  const regions = [
    ...new Set(
      resources.flatMap((r) => (r.kind === 'endpoint-service' ? (r.props.supportedRegions ?? []) : [])),
    ),
  ].sort();
  const limits: string[] = [];
  let lowest = Infinity;
  const notes: string[] = [];
  for (const s of set) {
    if (idle >= s * 1000) {
      limits.push(
        `the NLB's TCP listeners close connections idle for ${s} s (tcp.idle_timeout.seconds` +
          (s === NLB_IDLE_TIMEOUT_S.tcpMax ? ', the most AWS allows)' : ')'),
      );
      lowest = Math.min(lowest, s);
    } else {
      notes.push(
        `the NLB's TCP listeners close connections idle for ${s} s (tcp.idle_timeout.seconds), set to cover ` +
          `the clients' ${idle / 1000} s (connections.max.idle.ms${config.clients.connectionsMaxIdleMs === undefined ? ", Kafka's default" : ''}) ` +
          `plus ${IDLE_MARGIN_S} s; AWS documents no idle timeout of the interface endpoints on the way`,
      );
    }
  }
  if (unset.length > 0 && idle >= defaultMs) {
    limits.push(
      regions.length > 0
        ? `the endpoint service takes consumers from ${regions.join(', ')}, and AWS PrivateLink does not support ` +
            'cross-Region access for NLBs with a custom TCP idle timeout, so the TCP listeners keep the default ' +
            `${NLB_IDLE_TIMEOUT_S.tcpDefault} s`
        : `the NLB's TCP listeners close connections idle for ${NLB_IDLE_TIMEOUT_S.tcpDefault} s (the default)`,
    );
    lowest = Math.min(lowest, NLB_IDLE_TIMEOUT_S.tcpDefault);
  }
  if (tls.length > 0 && idle >= NLB_IDLE_TIMEOUT_S.tls * 1000) {
    limits.push(
      `the NLB's ${tls.length} TLS listener(s) (pattern2.certificateArn) close connections idle for ` +
        `${NLB_IDLE_TIMEOUT_S.tls} s, which AWS does not let anyone change`,
    );
    lowest = Math.min(lowest, NLB_IDLE_TIMEOUT_S.tls);
  }
  const out: Array<{ code: LintCode; severity: Severity; message: string }> = notes.map((message) => ({
    code: 'MPL302',
    severity: 'info',
    message,
  }));
  if (limits.length > 0)
    out.push({
      code: 'MPL102',
      severity: 'warning',
      message: `${limits.join('; ')}; ${kept}: ${below(lowest)}`,
    });
  return out;
}
