// Which way pattern 2 makes each broker advertise its own port, chosen from the cluster.
import type { Config, Inventory } from '../config/schema.js';
import { PlanRefused } from '../errors.js';

export type Pattern2Mode = 'msk-configuration' | 'rewrite' | 'additive';

export interface ModeChoice {
  mode: Pattern2Mode;
  /** One sentence for the plan: why this mode. */
  reason: string;
}

const CUSTOM_DOMAINS_DOC = 'MSK developer guide, "Configure custom domain names for your Amazon MSK cluster"';

/**
 * MSK's `custom.advertised.listeners` works on provisioned clusters in ZooKeeper and KRaft mode, on
 * Standard and Express brokers, not on Serverless (MSK developer guide, "Configure custom domain
 * names for your Amazon MSK cluster"); the page names no minimum Kafka version. The legacy modes
 * change each broker's listeners with KIP-226 dynamic configs, which KRaft brokers refuse ("Advertised
 * listeners cannot be altered when using a Raft-based metadata quorum") and MSK allows on Standard
 * brokers only.
 */
export function pattern2Mode(config: Config, inventory: Inventory, where: string): ModeChoice {
  const cluster = `kafka ${inventory.kafkaVersion}, ${inventory.metadataMode === 'kraft' ? 'KRaft' : 'ZooKeeper'} mode, ${inventory.brokerType} brokers`;
  if (inventory.brokerType === 'serverless') {
    throw new PlanRefused(
      'PATTERN2_BROKER_TYPE',
      'pattern 2 needs each broker to advertise its own port, which MSK Serverless does not allow; use pattern 1 or 3',
      where,
    );
  }
  const asked = config.pattern2.mode;
  if (asked === undefined || asked === 'msk-configuration') {
    return {
      mode: 'msk-configuration',
      reason:
        `${asked === undefined ? 'chosen' : 'configured'} for ${cluster}: MSK sets each broker's advertised port from the ` +
        `cluster configuration property custom.advertised.listeners and applies it by a rolling restart (${CUSTOM_DOMAINS_DOC})`,
    };
  }
  if (inventory.metadataMode === 'kraft') {
    throw new PlanRefused(
      'PATTERN2_KRAFT',
      `pattern2.mode ${asked} changes each broker's advertised.listeners through the Kafka admin API, which KRaft ` +
        `brokers refuse (${cluster}: "Advertised listeners cannot be altered when using a Raft-based metadata quorum"); ` +
        'leave pattern2.mode out to use msk-configuration',
      where,
    );
  }
  if (inventory.brokerType !== 'standard') {
    throw new PlanRefused(
      'PATTERN2_BROKER_TYPE',
      `pattern2.mode ${asked} changes per-broker settings, which MSK ${inventory.brokerType} brokers do not allow; ` +
        'leave pattern2.mode out to use msk-configuration',
      where,
    );
  }
  return {
    mode: asked,
    reason: `configured (legacy) for ${cluster}: each broker's listeners are changed through the Kafka admin API (KIP-226)`,
  };
}
