// A cost fixture: a PlanInput built from a few numbers (brokers, consumers' AZs, layouts, regions), and
// readers for a cost report's options and lines. Shared by the cost unit tests.
import assert from 'node:assert/strict';
import { ConfigSchema, InventorySchema, type ConfigInput } from '../../src/config/schema.js';
import type { CostOption, CostReport } from '../../src/cost/estimate.js';
import { EMPTY_PRIOR, resolveSubnets, type PlanInput } from '../../src/planner/input.js';

export const AZ = (n: number, prefix = 'use2') => `${prefix}-az${n}`;

export interface Fixture {
  brokers: number;
  /** AZ number (1-3) of each broker; default round-robin. */
  brokerAzs?: number[];
  consumers: {
    azs: number[];
    layout?: 'all-azs' | 'broker-az';
    account?: string;
    /** Another region for this consumer, with its AZ ID prefix (e.g. ['us-west-2', 'usw2']). */
    region?: readonly [string, string];
  }[];
  pattern?: 1 | 2 | 3;
  kraft?: boolean;
  mode?: 'rewrite' | 'additive';
  region?: string;
  azPrefix?: string;
}

export function build(f: Fixture): PlanInput {
  const region = f.region ?? 'us-east-2';
  const prefix = f.azPrefix ?? 'use2';
  const brokerAz = (i: number) => f.brokerAzs?.[i - 1] ?? ((i - 1) % 3) + 1;
  const inventory = InventorySchema.parse({
    clusterName: 'payments',
    region,
    kafkaVersion: f.kraft ? '3.7.x.kraft' : '3.6.0',
    metadataMode: f.kraft ? 'kraft' : 'zookeeper',
    brokerType: 'standard',
    vpcId: 'vpc-0a1b2c3d',
    brokers: Array.from({ length: f.brokers }, (_, k) => {
      const i = k + 1;
      return {
        id: i,
        host: `b-${i}.payments.abc123.c2.kafka.${region}.amazonaws.com`,
        ip: `10.0.${Math.floor(i / 200)}.${(i % 200) + 10}`,
        subnetId: `subnet-0p${brokerAz(i)}`,
        availabilityZoneId: AZ(brokerAz(i), prefix),
      };
    }),
  });
  const config: ConfigInput = {
    name: 'payments',
    region,
    pattern: f.pattern ?? 1,
    cluster: { brokersFile: 'inventory.json', listeners: ['tls'] },
    provider: {
      account: '111111111111',
      vpcId: 'vpc-0a1b2c3d',
      // The NLB may span all three AZs even when brokers sit in fewer (a one-broker cluster).
      subnets: [1, 2, 3].map((n) => ({ id: `subnet-0p${n}`, azId: AZ(n, prefix) })),
    },
    pattern2: { portBase: 9001, mode: f.mode ?? 'rewrite' },
    consumers: f.consumers.map((c, ci) => ({
      name: `c${ci}`,
      account: c.account ?? String(222222222222 + ci),
      vpcId: `vpc-0c${ci}`,
      ...(c.region === undefined ? {} : { region: c.region[0] }),
      subnets: c.azs.map((n) => ({ id: `subnet-0c${ci}x${n}`, azId: AZ(n, c.region?.[1] ?? prefix) })),
      allowedCidrs: ['10.20.0.0/16'],
      endpointLayout: c.layout ?? 'all-azs',
    })),
  };
  const parsed = ConfigSchema.parse(config);
  return {
    config: parsed,
    configFile: 'test.yaml',
    inventory,
    ...resolveSubnets(parsed, inventory, 'test.yaml'),
    prior: EMPTY_PRIOR,
  };
}

export function option(r: CostReport, id: string): CostOption {
  const o = r.options.find((x) => x.id === id);
  assert.ok(o, `option ${id} in ${r.options.map((x) => x.id).join(', ')}`);
  return o;
}

export function lineOf(o: CostOption, item: string) {
  return o.lines.find((l) => l.item === item);
}

export function qty(o: CostOption, item: string): number {
  return lineOf(o, item)?.quantity ?? 0;
}
