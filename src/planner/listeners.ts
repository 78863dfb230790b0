import { LISTENER_PORTS, type ListenerType } from '../config/schema.js';

/** MSK's own Kafka listener names for each client listener type (rewrite mode changes these). */
export const MSK_LISTENER_NAME: Record<ListenerType, string> = {
  plaintext: 'CLIENT',
  tls: 'CLIENT_SECURE',
  sasl_scram: 'CLIENT_SASL_SCRAM',
  iam: 'CLIENT_IAM',
};

export const SECURITY_PROTOCOL: Record<ListenerType, 'PLAINTEXT' | 'SSL' | 'SASL_SSL'> = {
  plaintext: 'PLAINTEXT',
  tls: 'SSL',
  sasl_scram: 'SASL_SSL',
  iam: 'SASL_SSL',
};

/** Additive mode: a new listener per type, named and bound apart from MSK's (client port + 100). */
export const ADDITIVE_LISTENER_NAME: Record<ListenerType, string> = {
  plaintext: 'PRIVATELINK_PLAINTEXT',
  tls: 'PRIVATELINK_TLS',
  sasl_scram: 'PRIVATELINK_SASL_SCRAM',
  iam: 'PRIVATELINK_IAM',
};
export const ADDITIVE_PORT_OFFSET = 100;

export function clientPort(l: ListenerType): number {
  return LISTENER_PORTS[l];
}

/** The port brokers listen on for PrivateLink traffic: MSK's client port, or the additive listener's. */
export function brokerPort(l: ListenerType, mode: 'rewrite' | 'additive'): number {
  return mode === 'additive' ? LISTENER_PORTS[l] + ADDITIVE_PORT_OFFSET : LISTENER_PORTS[l];
}
