// Read-only AWS lookups that explain a failed DNS or TCP step (with --config): the endpoint's state in
// the consumer account, and whether the broker's record is in the stack's zone.
import { DescribeVpcEndpointsCommand, type EC2Client, type VpcEndpoint } from '@aws-sdk/client-ec2';
import { ListResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { TAG_ID, TAG_STACK } from '../kinds/kind.js';
import type { EndpointRef, ProbeTarget } from './types.js';

export interface EndpointStatus {
  endpointId: string;
  /** EC2's state (pendingAcceptance, pending, available, rejected, deleting, deleted, failed) or 'not-found'. */
  state: string;
}

const GONE = new Set(['deleted', 'deleting', 'rejected', 'failed']);

/**
 * The endpoint's state; when state's endpoint is gone, an endpoint of the stack with the same
 * logical id in that VPC (a re-run apply made a new one that may still wait for acceptance).
 */
export async function endpointStatus(
  ec2: EC2Client,
  stack: string,
  ep: EndpointRef,
): Promise<EndpointStatus> {
  let own: VpcEndpoint | undefined;
  try {
    const out = await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [ep.endpointId] }));
    own = out.VpcEndpoints?.[0];
  } catch (e) {
    if (!/NotFound/i.test((e as { name?: string }).name ?? '')) throw e;
  }
  const ownState = own?.State;
  if (ownState !== undefined && !GONE.has(ownState.toLowerCase()))
    return { endpointId: ep.endpointId, state: ownState };
  const out = await ec2
    .send(
      new DescribeVpcEndpointsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [ep.vpcId] },
          { Name: `tag:${TAG_STACK}`, Values: [stack] },
          { Name: `tag:${TAG_ID}`, Values: [ep.logicalId] },
        ],
      }),
    )
    .catch(() => undefined);
  const other = (out?.VpcEndpoints ?? []).find(
    (e) => e.VpcEndpointId !== ep.endpointId && e.State !== undefined && !GONE.has(e.State.toLowerCase()),
  );
  if (other?.VpcEndpointId && other.State) return { endpointId: other.VpcEndpointId, state: other.State };
  return { endpointId: ep.endpointId, state: ownState ?? 'not-found' };
}

/** Whether the zone holds an A record for the broker's name. */
export async function recordStatus(
  route53: Route53Client,
  t: ProbeTarget,
): Promise<'present' | 'missing' | undefined> {
  if (!t.zone) return undefined;
  const name = `${t.host.replace(/\.$/, '')}.`;
  const out = await route53.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: t.zone.zoneId,
      StartRecordName: name,
      StartRecordType: 'A',
      MaxItems: 1,
    }),
  );
  const rr = out.ResourceRecordSets?.[0];
  return rr !== undefined && rr.Name?.toLowerCase() === name.toLowerCase() && rr.Type === 'A'
    ? 'present'
    : 'missing';
}
