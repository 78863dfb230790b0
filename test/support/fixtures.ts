import {
  ConfigSchema,
  type Broker,
  type Config,
  type ConfigInput,
  type Inventory,
} from '../../src/config/schema.js';
import type { PlanInput } from '../../src/planner/input.js';
import { resolveSubnets } from '../../src/planner/input.js';

export const AZS = ['use2-az1', 'use2-az2', 'use2-az3'] as const;

/** An MSK-like broker list: ids from `ids`, round-robin over the first `azCount` AZs. */
export function brokersFor(
  ids: number[],
  azCount = 3,
  domain = 'payments.abc123.c2.kafka.us-east-2.amazonaws.com',
): Broker[] {
  return ids.map((id) => {
    const az = (id - 1) % azCount;
    return {
      id,
      host: `b-${id}.${domain}`,
      ip: `10.0.${az + 1}.${10 + id}`,
      subnetId: `subnet-p${az + 1}`,
      availabilityZoneId: AZS[az] as string,
    };
  });
}

export function inventoryOf(brokers: Broker[], over: Partial<Inventory> = {}): Inventory {
  return {
    clusterName: 'payments',
    region: 'us-east-2',
    kafkaVersion: '3.6.0',
    metadataMode: 'zookeeper',
    brokerType: 'standard',
    vpcId: 'vpc-0a1b2c3d',
    brokers,
    ...over,
  };
}

export function consumerInput(
  name: string,
  account: string,
  azs: number | readonly string[] = 3,
  layout: 'all-azs' | 'broker-az' = 'all-azs',
) {
  const azIds = typeof azs === 'number' ? AZS.slice(0, azs) : azs;
  return {
    name,
    account,
    vpcId: `vpc-${name}`,
    subnets: azIds.map((azId, i) => ({ id: `subnet-${name}${i}`, azId })),
    allowedCidrs: ['10.20.0.0/16'],
    endpointLayout: layout,
  };
}

export function configOf(over: Partial<ConfigInput> = {}): Config {
  const input: ConfigInput = {
    name: 'payments',
    region: 'us-east-2',
    pattern: 1,
    cluster: { brokersFile: 'brokers.json', listeners: ['tls'] },
    provider: { account: '111111111111', vpcId: 'vpc-0a1b2c3d' },
    consumers: [consumerInput('analytics', '222222222222')],
    ...over,
  };
  return ConfigSchema.parse(input);
}

export function planInputOf(
  config: Config,
  inventory: Inventory,
  portAssignments: Record<string, number> = {},
): PlanInput {
  return {
    config,
    inventory,
    configFile: 'test.yaml',
    ...resolveSubnets(config, inventory, 'test.yaml'),
    prior: { portAssignments },
  };
}
