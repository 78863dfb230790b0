/**
 * How long AWS typically takes to finish what a call starts, in milliseconds: what `apply` waits
 * for. The lower bound of an apply's time (`plan/lower-bound.ts`) is computed from these; the AWS
 * twin runs them (scaled by its time factor) in benchmarks.
 */
export interface AwsTimings {
  /** ELBv2 load balancer provisioning -> active. */
  nlbActiveMs: number;
  /** EC2 interface endpoint pending -> available, after the provider accepts it. */
  endpointAvailableMs: number;
  /** EC2 interface endpoint deleting -> gone. */
  endpointDeleteMs: number;
  /** Route 53 change PENDING -> INSYNC. */
  route53ChangeMs: number;
  /** One broker's restart in MSK's rolling update of a cluster configuration. */
  mskBrokerRestartMs: number;
  /** MSK managed VPC connection CREATING -> AVAILABLE. */
  mskVpcConnectionMs: number;
  /** VPC Lattice resource gateway CREATE_IN_PROGRESS -> ACTIVE. */
  resourceGatewayActiveMs: number;
  /** Lambda function Pending -> Active. */
  lambdaActiveMs: number;
}

export const AWS_TIMINGS: AwsTimings = {
  // "It can take a few minutes for your load balancer to be fully set up and ready to route traffic"
  // (ELB user guide, "Create a Network Load Balancer"): 3 minutes.
  nlbActiveMs: 180_000,
  // Observed: about 2 minutes after acceptance; the PrivateLink guide gives no figure.
  endpointAvailableMs: 120_000,
  endpointDeleteMs: 60_000,
  // "Changes generally propagate to all Route 53 name servers within 60 seconds" (Route 53
  // developer guide, "Editing records"): the bound, taken as the typical time.
  route53ChangeMs: 60_000,
  // Rolling restarts take minutes per broker (MSK developer guide, "Update the configuration of an
  // Amazon MSK cluster"; no exact figure): 5 minutes.
  mskBrokerRestartMs: 300_000,
  // Not documented: taken as an interface endpoint's.
  mskVpcConnectionMs: 120_000,
  // Not documented: a minute.
  resourceGatewayActiveMs: 60_000,
  // "Seconds to a minute" for a function in a VPC (Lambda developer guide, "Lambda function states").
  lambdaActiveMs: 60_000,
};
