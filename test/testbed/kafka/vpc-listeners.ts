// MSK multi-VPC private connectivity on the testbed's Kafka brokers: the listener each scheme gets
// when UpdateConnectivity turns it on, where it binds and what it advertises. Shared by the Kafka
// cluster (cluster.ts, which adds the listeners on a restart) and the network twin (which forwards
// a managed VPC connection's ports to them).
//
// MSK's side, as documented: clients of a managed VPC connection bootstrap with
// "b-<id>.<scheme>.<cluster domain>:<14000+id>" (GetBootstrapBrokers' BootstrapBrokerStringVpcConnectivity*;
// "The multi-VPC network load balancer is listening on the 14001-14100 port ranges", MSK developer guide,
// "Step 3: Cross-account user actions to configure client-managed VPC connections"). What listens behind
// that load balancer on the brokers is MSK's own; the testbed gives each broker one listener per scheme
// on its own address, on a port per scheme (two schemes cannot share 14000+id on one address).
import type { VpcConnectivityScheme, VpcListeners } from '../aws/twin.js';

export type { VpcConnectivityScheme, VpcListeners } from '../aws/twin.js';

/** Port broker N's VPC connectivity names advertise (and the load balancer listens on): 14000 + N. */
export const VPC_CONNECTIVITY_PORT_BASE = 14000;

export interface VpcListenerSpec {
  /** The broker's listener name (the testbed's; MSK does not document its own). */
  name: string;
  protocol: 'SASL_SSL' | 'SSL';
  /** Broker N binds base + N on its own address. */
  bindBase: number;
}

/**
 * The testbed's listener per scheme. IAM is left out: SASL/OAUTHBEARER with AWS_MSK_IAM needs
 * Amazon's aws-msk-iam-auth plugin, which an Apache Kafka broker does not have (the testbed has no
 * 9098 listener either), so an IAM connection's names resolve but nothing listens behind them.
 */
export const VPC_LISTENERS: Partial<Record<VpcConnectivityScheme, VpcListenerSpec>> = {
  // SASL_SSL with SCRAM-SHA-512 only, like CLIENT_SASL_SCRAM (9096).
  scram: { name: 'CLIENT_SASL_SCRAM_VPCE', protocol: 'SASL_SSL', bindBase: 14000 },
  // SSL like CLIENT_SECURE (9094); MSK's TLS scheme is mutual TLS, which the testbed does not model.
  tls: { name: 'CLIENT_SECURE_VPCE', protocol: 'SSL', bindBase: 14100 },
};

export const VPC_SCHEMES: readonly VpcConnectivityScheme[] = ['iam', 'scram', 'tls'];

/** Where broker `id`'s listener for `scheme` binds; undefined for a scheme with no listener (iam). */
export function vpcBindPort(scheme: VpcConnectivityScheme, id: number): number | undefined {
  const spec = VPC_LISTENERS[scheme];
  return spec ? spec.bindBase + id : undefined;
}

/** The port clients use for broker `id` through a managed VPC connection. */
export function vpcConnectivityPort(id: number): number {
  return VPC_CONNECTIVITY_PORT_BASE + id;
}

/** "b-1.payments.abc123.c2.kafka.us-east-2.amazonaws.com" -> "b-1.<scheme>.payments.abc123.c2.kafka..." */
export function vpcBrokerName(endpoint: string, scheme: VpcConnectivityScheme): string {
  const dot = endpoint.indexOf('.');
  return dot < 0 ? `${endpoint}.${scheme}` : `${endpoint.slice(0, dot)}.${scheme}${endpoint.slice(dot)}`;
}

/** The scheme a CreateVpcConnection Authentication names (SASL_IAM, SASL_SCRAM, TLS). */
export function schemeOfAuthentication(authentication: string): VpcConnectivityScheme | undefined {
  return ({ SASL_IAM: 'iam', SASL_SCRAM: 'scram', TLS: 'tls' } as const)[
    authentication as 'SASL_IAM' | 'SASL_SCRAM' | 'TLS'
  ];
}

/** A checked copy: known schemes -> "host:port". */
export function checkVpcListeners(vpc: VpcListeners = {}): VpcListeners {
  const out: VpcListeners = {};
  for (const [scheme, value] of Object.entries(vpc)) {
    if (!(VPC_SCHEMES as readonly string[]).includes(scheme))
      throw new Error(
        `Kafka testbed: unknown VPC connectivity scheme ${scheme} (one of ${VPC_SCHEMES.join(', ')})`,
      );
    const m = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/.exec(String(value));
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535)
      throw new Error(
        `Kafka testbed: VPC listener ${scheme} must be advertised as host:port, not ${JSON.stringify(value)}`,
      );
    out[scheme as VpcConnectivityScheme] = String(value);
  }
  return out;
}
