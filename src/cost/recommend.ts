// Which option to take, and why: from the cost report's viable options (each priced from its own
// plan) and what each does to the brokers. Pure. The rule, in docs/cost-model.md "Recommendation":
// the cheapest option, unless it changes the brokers and an option that changes nothing costs at
// most NO_CHANGE_PREMIUM more; unverified prices are said, not hidden.
import type { Config } from '../config/schema.js';
import type { CostOption, CostReport, OptionId } from './estimate.js';

/** How much more (share of the cheapest) an option that leaves the brokers alone may cost and still win. */
export const NO_CHANGE_PREMIUM = 0.1;

export interface Recommendation {
  option: OptionId;
  monthlyUsd: number;
  reasons: string[];
  /** The other viable options, cheapest first, with what they cost more (or less) and their trade-off. */
  alternatives: Array<{ option: OptionId; monthlyUsd: number; deltaUsd: number; tradeoff: string }>;
  notViable: Array<{ option: OptionId; reason: string }>;
}

/** What an option does to the cluster's brokers (none, or a rolling restart and what it sets). */
export function brokerChanges(id: OptionId, config: Config): string | null {
  if (id !== 'pattern2' && id !== 'pattern0') return null;
  if (id === 'pattern0')
    return 'turns on multi-VPC connectivity: MSK restarts every broker to add the _VPCE listeners (ports 14001..)';
  const mode = config.pattern2.mode ?? 'msk-configuration';
  return mode === 'msk-configuration'
    ? 'sets custom.advertised.listeners in a cluster configuration revision: MSK restarts every broker, one at a time, on apply and again on destroy'
    : `changes each broker's listeners through the Kafka admin API (legacy ${mode} mode, ZooKeeper clusters only)`;
}

const TRADEOFF: Record<OptionId, string> = {
  pattern0:
    "managed by MSK, same region only, authenticated clients only (IAM, SASL/SCRAM, mutual TLS); clients use MSK's multi-VPC bootstrap names",
  pattern1:
    'no broker change; an NLB and endpoint service per broker; each client reaches an endpoint ENI in its own AZ',
  'pattern1-broker-az':
    "no broker change; one endpoint ENI per broker, in the broker's AZ: clients in other AZs cross an AZ boundary; needs a consumer subnet in every broker AZ",
  pattern2:
    'one NLB and endpoint per consumer for the whole cluster; at most 49 brokers per listener type (50 listeners per NLB)',
  pattern3:
    'no broker change and no NLB (PrivateLink VPC resources); its rates are not on AWS pricing pages as of the price table (unverified)',
  'pattern1-mixed': 'the endpoint layouts as configured per consumer',
};

const usd = (n: number) => `$${n.toFixed(2)}`;

export function recommend(report: CostReport, config: Config): Recommendation | undefined {
  const viable = report.options.filter((o) => o.viable).sort((a, b) => a.monthlyUsd - b.monthlyUsd);
  const cheapest = viable[0];
  if (cheapest === undefined) return undefined;
  let pick: CostOption = cheapest;
  const reasons: string[] = [];
  if (brokerChanges(cheapest.id, config) !== null) {
    const calm = viable.find(
      (o) =>
        brokerChanges(o.id, config) === null && o.monthlyUsd <= cheapest.monthlyUsd * (1 + NO_CHANGE_PREMIUM),
    );
    if (calm !== undefined) {
      pick = calm;
      reasons.push(
        `${cheapest.id} is ${usd(calm.monthlyUsd - cheapest.monthlyUsd)} a month cheaper but restarts the brokers; ` +
          `${calm.id} changes nothing on them for at most ${NO_CHANGE_PREMIUM * 100} % more`,
      );
    }
  }
  if (pick === cheapest) {
    const next = viable[1];
    reasons.push(
      next === undefined
        ? 'the only viable option'
        : `the cheapest viable option: ${usd(next.monthlyUsd - pick.monthlyUsd)} a month less than ${next.id}` +
            (next.monthlyUsd > 0
              ? ` (${Math.round((1 - pick.monthlyUsd / next.monthlyUsd) * 100)} % less)`
              : ''),
    );
  }
  const changes = brokerChanges(pick.id, config);
  reasons.push(changes === null ? 'changes nothing on the brokers' : `changes the brokers: it ${changes}`);
  if (pick.id === 'pattern3')
    reasons.push(
      "its figures rest on rates AWS's pricing pages did not state when the price table was made: check them before you commit to it",
    );
  if (report.gbPerMonth === null)
    reasons.push(
      'fixed charges only: give --gb-per-month for data, NLCU and cross-AZ charges, which can change the order',
    );
  if (pick.id !== report.selected)
    reasons.push(
      `the config describes ${report.selected}: set pattern (and endpointLayout) to use ${pick.id}`,
    );
  return {
    option: pick.id,
    monthlyUsd: pick.monthlyUsd,
    reasons,
    alternatives: viable
      .filter((o) => o.id !== pick.id)
      .map((o) => ({
        option: o.id,
        monthlyUsd: o.monthlyUsd,
        deltaUsd: Math.round((o.monthlyUsd - pick.monthlyUsd) * 100) / 100,
        tradeoff:
          brokerChanges(o.id, config) === null
            ? TRADEOFF[o.id]
            : `${TRADEOFF[o.id]}; ${brokerChanges(o.id, config)}`,
      })),
    notViable: report.options
      .filter((o) => !o.viable)
      .map((o) => ({ option: o.id, reason: o.reason ?? 'not viable' })),
  };
}
