import type { Broker, Inventory } from '../config/schema.js';
import { PlanRefused } from '../errors.js';

/**
 * The cluster's own DNS sub-domain (`<cluster>.<id>.c<N>.kafka.<region>.amazonaws.com`), which each
 * private hosted zone covers. Never `kafka.<region>.amazonaws.com`: a zone for that would hide every
 * other MSK cluster's names in the region from the VPC.
 */
export function clusterDomain(inventory: Inventory, where: string): string {
  const domains = new Set(inventory.brokers.map((b) => subdomainOf(b)));
  if (domains.size !== 1) {
    throw new PlanRefused(
      'MIXED_BROKER_DOMAINS',
      `brokers do not share one DNS sub-domain (${[...domains].join(', ')}): one zone per cluster needs one`,
      where,
    );
  }
  const domain = [...domains][0] as string;
  if (/^kafka\.[a-z0-9-]+\.amazonaws\.com$/.test(domain) || domain.split('.').length < 3) {
    throw new PlanRefused(
      'ZONE_TOO_WIDE',
      `broker names sit directly under ${domain}: a private zone for it would shadow every other name there`,
      where,
    );
  }
  return domain;
}

function subdomainOf(b: Broker): string {
  return b.host.toLowerCase().split('.').slice(1).join('.');
}

export function sortBrokers(brokers: Broker[]): Broker[] {
  return [...brokers].sort((a, b) => a.id - b.id);
}
