import type { AdminSource } from '../../kafka/admin.js';
import type { HandlerMap } from '../types.js';
import { brokerListenerConfigHandler } from './broker-listener-config.js';
import { dnsRecordHandler } from './dns-record.js';
import { endpointConnectionAcceptanceHandler } from './endpoint-connection-acceptance.js';
import { endpointServicePermissionsHandler } from './endpoint-service-permissions.js';
import { endpointServiceHandler } from './endpoint-service.js';
import { hostedZoneHandler } from './hosted-zone.js';
import { listenerHandler } from './listener.js';
import { loadBalancerHandler } from './load-balancer.js';
import { securityGroupRuleHandler } from './security-group-rule.js';
import { securityGroupHandler } from './security-group.js';
import { ssmParameterHandler } from './ssm-parameter.js';
import { targetGroupHandler } from './target-group.js';
import { vpcEndpointHandler } from './vpc-endpoint.js';

/** One handler per kind. Kafka access is only needed (and only touched) by pattern 2's broker configs. */
export function handlersFor(kafka: AdminSource | (() => never)): HandlerMap {
  return {
    'target-group': targetGroupHandler,
    'load-balancer': loadBalancerHandler,
    listener: listenerHandler,
    'endpoint-service': endpointServiceHandler,
    'endpoint-service-permissions': endpointServicePermissionsHandler,
    'endpoint-connection-acceptance': endpointConnectionAcceptanceHandler,
    'vpc-endpoint': vpcEndpointHandler,
    'security-group': securityGroupHandler,
    'security-group-rule': securityGroupRuleHandler,
    'hosted-zone': hostedZoneHandler,
    'dns-record': dnsRecordHandler,
    'ssm-parameter': ssmParameterHandler,
    'broker-listener-config': brokerListenerConfigHandler(kafka),
  };
}
