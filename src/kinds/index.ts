// The registry: every resource kind the planner can emit, one module each. Diff, render, refresh,
// the engine, the plan file, state and cost read kinds only through this list.
import { z } from 'zod';
import { brokerListenerConfig } from './broker-listener-config.js';
import { clusterConfiguration } from './cluster-configuration.js';
import { clusterConnectivity } from './cluster-connectivity.js';
import { clusterPolicy } from './cluster-policy.js';
import { dnsRecord } from './dns-record.js';
import { endpointConnectionAcceptance } from './endpoint-connection-acceptance.js';
import { endpointServicePermissions } from './endpoint-service-permissions.js';
import { endpointService } from './endpoint-service.js';
import { hostedZone } from './hosted-zone.js';
import { iamRole } from './iam-role.js';
import type { Desired, KindDef } from './kind.js';
import { lambdaFunction } from './lambda-function.js';
import { listener } from './listener.js';
import { metricAlarm } from './metric-alarm.js';
import { resourceConfiguration } from './resource-configuration.js';
import { resourceEndpoint } from './resource-endpoint.js';
import { resourceGateway } from './resource-gateway.js';
import { resourceShareAcceptance } from './resource-share-acceptance.js';
import { resourceShare } from './resource-share.js';
import { loadBalancer } from './load-balancer.js';
import { schedule } from './schedule.js';
import { securityGroupRule } from './security-group-rule.js';
import { securityGroup } from './security-group.js';
import { ssmParameter } from './ssm-parameter.js';
import { targetGroup } from './target-group.js';
import { vpcConnection } from './vpc-connection.js';
import { vpcEndpoint } from './vpc-endpoint.js';

export { TAG_ID, TAG_STACK } from './kind.js';

/** Kind names, in the order of the public plan JSON's `kind` values. */
export const KINDS = [
  'target-group',
  'load-balancer',
  'listener',
  'endpoint-service',
  'endpoint-service-permissions',
  'endpoint-connection-acceptance',
  'vpc-endpoint',
  'security-group',
  'security-group-rule',
  'hosted-zone',
  'dns-record',
  'ssm-parameter',
  'broker-listener-config',
  'resource-gateway',
  'resource-configuration',
  'resource-share',
  'resource-share-acceptance',
  'resource-endpoint',
  'cluster-configuration',
  'iam-role',
  'lambda-function',
  'schedule',
  'metric-alarm',
  'cluster-connectivity',
  'cluster-policy',
  'vpc-connection',
] as const;
export type Kind = (typeof KINDS)[number];

const REGISTRY = {
  'target-group': targetGroup,
  'load-balancer': loadBalancer,
  listener,
  'endpoint-service': endpointService,
  'endpoint-service-permissions': endpointServicePermissions,
  'endpoint-connection-acceptance': endpointConnectionAcceptance,
  'vpc-endpoint': vpcEndpoint,
  'security-group': securityGroup,
  'security-group-rule': securityGroupRule,
  'hosted-zone': hostedZone,
  'dns-record': dnsRecord,
  'ssm-parameter': ssmParameter,
  'broker-listener-config': brokerListenerConfig,
  'resource-gateway': resourceGateway,
  'resource-configuration': resourceConfiguration,
  'resource-share': resourceShare,
  'resource-share-acceptance': resourceShareAcceptance,
  'resource-endpoint': resourceEndpoint,
  'cluster-configuration': clusterConfiguration,
  'iam-role': iamRole,
  'lambda-function': lambdaFunction,
  schedule,
  'metric-alarm': metricAlarm,
  'cluster-connectivity': clusterConnectivity,
  'cluster-policy': clusterPolicy,
  'vpc-connection': vpcConnection,
} as const satisfies Record<Kind, KindDef>;

export type PropsOf<K extends Kind> = z.infer<(typeof REGISTRY)[K]['props']>;

/** A kind's definition, its props erased to a record: what the generic code (diff, engine) works with. */
export function kindDef(kind: Kind): KindDef<z.ZodType<Record<string, unknown>>> {
  return REGISTRY[kind] as unknown as KindDef<z.ZodType<Record<string, unknown>>>;
}

/** A desired resource of kind K, as the planner emits it. */
export interface ResourceOf<K extends Kind> extends Desired<PropsOf<K>> {
  kind: K;
}
/** A discriminated union over every kind, so `r.kind === 'listener'` narrows `r.props`. */
export type Resource = { [K in Kind]: ResourceOf<K> }[Kind];

export const ResourceSchema = z
  .strictObject({
    kind: z.enum(KINDS),
    id: z.string().min(1),
    account: z.string(),
    region: z.string(),
    props: z.unknown(),
    dependsOn: z.array(z.string()),
  })
  .superRefine((r, ctx) => {
    const res = kindDef(r.kind).props.safeParse(r.props);
    if (!res.success) {
      for (const issue of res.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['props', ...issue.path.map(String)], message: issue.message });
      }
    }
  })
  .transform((r) => r as Resource);
