/** Every lint rule's stable code and title (the checks are in src/planner/lint.ts). */
export const LINT_RULES = {
  MPL001: 'endpoint service allows a wildcard principal ("*", an account or name with *)',
  MPL002: 'endpoint service accepts connections without review',
  MPL003: 'pattern 2 rewrite mode without the provider VPC zone',
  MPL101: 'plaintext listener',
  MPL102:
    'an idle timeout on the way (NLB listener, resource gateway) shorter than Kafka clients keep idle connections',
  MPL103: 'cross-zone data charges',
  MPL104: 'consumer in a single AZ',
  MPL105: 'endpointLayout ignored by pattern 2',
  MPL106: 'broker security group not managed',
  MPL107: 'pattern 3: custom domain names under amazonaws.com (unverified with AWS)',
  MPL108: 'pattern 3: a resource endpoint needs free addresses in every subnet (unverified size)',
  MPL109: 'pattern 2 msk-configuration: MSK restarts every broker',
  MPL110: 'NLB made by an earlier version without a security group, kept without one',
  MPL201: 'NLBs per region quota',
  MPL202: 'interface endpoints per VPC quota',
  MPL203: 'target groups per region quota',
  MPL204: 'rules per security group quota',
  MPL301: 'pattern 2: the mode chosen and why (information)',
  MPL302: "the NLB's TCP listeners' idle timeout set from clients.connectionsMaxIdleMs (information)",
} as const;
export type LintCode = keyof typeof LINT_RULES;
