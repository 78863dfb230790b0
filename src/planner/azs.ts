import type { Broker, ConsumerConfig } from '../config/schema.js';
import { PlanRefused } from '../errors.js';
import type { Subnet } from './input.js';

/**
 * AZs are matched by AZ ID (use2-az1), never by name: names are shuffled per account, IDs are not.
 * An NLB and an interface endpoint each take at most one subnet per AZ, and an endpoint can only use
 * AZ IDs where the service's NLB has a subnet.
 */
export function onePerAz(subnets: Subnet[], where: string): Subnet[] {
  const byAz = new Map<string, Subnet>();
  for (const s of subnets) {
    const other = byAz.get(s.azId);
    if (other && other.id !== s.id) {
      throw new PlanRefused(
        'TWO_SUBNETS_ONE_AZ',
        `${other.id} and ${s.id} are both in ${s.azId}: a load balancer or endpoint takes one subnet per AZ`,
        where,
      );
    }
    byAz.set(s.azId, s);
  }
  return [...byAz.values()];
}

/** The provider subnet in the broker's AZ ID (the broker's own subnet when listed). */
export function providerSubnetFor(broker: Broker, providerSubnets: Subnet[], where: string): Subnet {
  const own = providerSubnets.find((s) => s.id === broker.subnetId);
  const match = own ?? providerSubnets.find((s) => s.azId === broker.availabilityZoneId);
  if (!match) {
    throw new PlanRefused(
      'NO_PROVIDER_SUBNET_IN_BROKER_AZ',
      `broker ${broker.id} is in ${broker.availabilityZoneId}, where provider.subnets has no subnet`,
      where,
    );
  }
  return match;
}

/**
 * All of a consumer's subnets, each of which must be in an AZ ID the NLB covers; a consumer in
 * another region (`crossRegion`) takes any of its own AZs, since no AZ ID of its region is the NLB's.
 */
export function consumerSubnetsAllAzs(
  consumer: ConsumerConfig,
  index: number,
  subnets: Subnet[],
  nlbAzIds: Set<string>,
  configFile: string,
  via: 'nlb' | 'resource-gateway' = 'nlb',
  crossRegion = false,
): Subnet[] {
  // Pattern 3 takes the safer reading of "the AZs must overlap": every endpoint subnet in a gateway AZ.
  const [where, why] =
    via === 'nlb'
      ? ['the load balancer', "an interface endpoint can only use AZ IDs its service's NLB is in"]
      : [
          'the resource gateway',
          'a resource endpoint reaches the resources through gateway AZs, so each of its AZ IDs must have one',
        ];
  subnets.forEach((s, i) => {
    if (!crossRegion && !nlbAzIds.has(s.azId)) {
      throw new PlanRefused(
        'CONSUMER_AZ_NOT_SERVED',
        `subnet ${s.id} is in ${s.azId}, where ${where} has no subnet (it has ${[...nlbAzIds].sort().join(', ')}); ${why}`,
        `${configFile}: consumers[${index}].subnets[${i}]`,
      );
    }
  });
  return onePerAz(subnets, `${configFile}: consumers[${index}].subnets`);
}

/** broker-az layout: the consumer's subnet in the broker's AZ ID. */
export function consumerSubnetForBroker(
  consumer: ConsumerConfig,
  index: number,
  subnets: Subnet[],
  broker: Broker,
  configFile: string,
): Subnet {
  const match = subnets.find((s) => s.azId === broker.availabilityZoneId);
  if (!match) {
    throw new PlanRefused(
      'CONSUMER_AZ_MISSING',
      `endpointLayout broker-az needs a subnet in ${broker.availabilityZoneId} (broker ${broker.id}); ` +
        `consumer "${consumer.name}" has subnets in ${[...new Set(subnets.map((s) => s.azId))].sort().join(', ')}`,
      `${configFile}: consumers[${index}].subnets`,
    );
  }
  return match;
}
