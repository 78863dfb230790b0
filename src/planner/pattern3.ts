// Pattern 3: PrivateLink VPC resources, no NLB.
import type { ListenerType } from '../config/schema.js';
import { PlanRefused } from '../errors.js';
import { consumerSubnetsAllAzs, onePerAz } from './azs.js';
import { ids, type LogicalId } from './ids.js';
import { clientPort } from './listeners.js';
import { clientToken, tagsFor } from './names.js';
import { QUOTAS } from './quotas.js';
import { portRanges } from './ports.js';
import {
  addBootstrapParameter,
  addBrokerSecurityGroupRules,
  addConsumerSecurityGroup,
  addConsumerZone,
  provider,
  type Ctx,
} from './stack-parts.js';

/**
 * PrivateLink VPC resources (VPC Lattice user guide, "Resource configurations for VPC resources"):
 * a resource gateway in the provider VPC, a GROUP resource configuration whose group domain is the
 * cluster's sub-domain, one CHILD per broker under the broker's own name, a RAM share of the group
 * with the consumer accounts, and per consumer VPC a Resource endpoint whose private DNS answers the
 * brokers' names. No NLB, no listener per broker, nothing changed on the brokers.
 */
export function planPattern3(ctx: Ctx): void {
  const { config, set, brokers, configFile, inventory } = ctx;
  const { account, region } = provider(ctx);
  const stack = config.name;
  const where = `${configFile}: pattern`;
  if (inventory.brokerType === 'serverless') {
    throw new PlanRefused(
      'SERVERLESS_UNSUPPORTED',
      'MSK Serverless has no per-broker addresses to give a child resource configuration each',
      `${configFile}: cluster`,
    );
  }
  const quota = config.pattern3.childrenPerGroupQuota;
  if (brokers.length > quota) {
    throw new PlanRefused(
      'PATTERN3_TOO_MANY_BROKERS',
      `pattern 3 needs one child resource configuration per broker (${brokers.length}), above the ${quota} ` +
        'children per group quota (VPC Lattice quotas, "Child resource configurations per group", adjustable); ' +
        'ask AWS to raise it and set pattern3.childrenPerGroupQuota, or use pattern 1',
      where,
    );
  }
  const listeners = config.cluster.listeners;
  const ports = listeners.map(clientPort);
  // managed: VPC Lattice answers the children's custom domain names (the brokers' own) in each
  // consumer VPC; zone: no custom names, the stack's own zone aliases each name to its child's entry.
  const managed = config.pattern3.dns === 'managed';
  const portRangeList = portRanges(ports).map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`));
  const gwSubnets = onePerAz(ctx.providerSubnets, `${configFile}: provider.subnets`);

  // The gateway's own group: no ingress (nothing connects to the gateway from its VPC), AWS's default
  // egress; the brokers' group admits the gateway's subnets (the source the brokers see).
  const sgId = ids.providerSecurityGroup();
  const sgName = `mpl-${stack}-resource-gateway`;
  set.add('security-group', sgId, account, region, {
    name: sgName,
    description: `msk-privatelink ${stack}: the resource gateway to the brokers`,
    vpcId: config.provider.vpcId,
    ingress: [],
    tags: tagsFor(stack, sgId, sgName),
  });
  const gwId = ids.resourceGateway();
  const gwName = `mpl-${stack}-gw`;
  set.add(
    'resource-gateway',
    gwId,
    account,
    region,
    {
      name: gwName,
      vpcId: config.provider.vpcId,
      subnetIds: gwSubnets.map((s) => s.id),
      azIds: gwSubnets.map((s) => s.azId),
      securityGroups: [sgId],
      clientToken: clientToken(stack, account, gwId),
      tags: tagsFor(stack, gwId, gwName),
    },
    [sgId],
  );
  addBrokerSecurityGroupRules(ctx, ports, { subnets: gwSubnets }, 'resource gateway');

  const groupId = ids.resourceConfiguration('shared');
  const groupName = `mpl-${stack}-brokers`;
  set.add(
    'resource-configuration',
    groupId,
    account,
    region,
    {
      type: 'GROUP',
      name: groupName,
      gateway: gwId,
      portRanges: portRangeList,
      ...(managed ? { groupDomain: ctx.domain } : {}),
      clientToken: clientToken(stack, account, groupId),
      tags: tagsFor(stack, groupId, groupName),
    },
    [gwId],
  );
  for (const b of brokers) {
    const childId = ids.resourceConfiguration(b);
    const childName = `mpl-${stack}-b${b.id}`;
    set.add(
      'resource-configuration',
      childId,
      account,
      region,
      {
        type: 'CHILD',
        name: childName,
        group: groupId,
        portRanges: portRangeList,
        ...(managed ? { customDomainName: b.host.toLowerCase() } : {}),
        target: config.pattern3.target === 'dns' ? { dns: b.host.toLowerCase() } : { ip: b.ip },
        clientToken: clientToken(stack, account, childId),
        tags: tagsFor(stack, childId, childName),
      },
      [groupId],
    );
  }
  // A consumer in the provider's own account needs no share (RAM shares with other accounts only).
  const others = [...new Set(config.consumers.map((c) => c.account))].filter((a) => a !== account).sort();
  const shareId = ids.resourceShare();
  if (others.length > 0) {
    set.add(
      'resource-share',
      shareId,
      account,
      region,
      {
        name: `mpl-${stack}-brokers`,
        resources: [groupId],
        principals: others,
        // The tool does not know whether the consumers share the provider's organization: allowing
        // external principals works both ways (inside one, no invitation is sent).
        allowExternalPrincipals: true,
        tags: tagsFor(stack, shareId, `mpl-${stack}-brokers`),
      },
      [groupId, ...brokers.map((b) => ids.resourceConfiguration(b))],
    );
  }
  const names = specifiedDomains(brokers.map((b) => b.host.toLowerCase()).sort(), configFile);
  const gwAzIds = new Set(gwSubnets.map((s) => s.azId));
  // One acceptance per consumer account (several consumers may share one).
  const acceptanceOf = new Map<string, LogicalId<'resource-share-acceptance'>>();
  config.consumers.forEach((c, ci) => {
    const csg = addConsumerSecurityGroup(ctx, c, ports);
    const subnets = consumerSubnetsAllAzs(
      c,
      ci,
      ctx.consumerSubnets[c.name] ?? [],
      gwAzIds,
      configFile,
      'resource-gateway',
    );
    const deps: string[] = [groupId, ...brokers.map((b) => ids.resourceConfiguration(b)), csg];
    if (c.account !== account) {
      let acc = acceptanceOf.get(c.account);
      if (acc === undefined) {
        acc = ids.shareAcceptance(c.name);
        acceptanceOf.set(c.account, acc);
        set.add('resource-share-acceptance', acc, c.account, region, { share: shareId, sender: account }, [
          shareId,
        ]);
      }
      deps.push(acc);
    }
    const epId = ids.resourceEndpoint(c.name);
    const epName = `mpl-${stack}-${c.name}`;
    set.add(
      'resource-endpoint',
      epId,
      c.account,
      region,
      {
        name: epName,
        vpcId: c.vpcId,
        resourceConfiguration: groupId,
        subnetIds: subnets.map((s) => s.id),
        azIds: subnets.map((s) => s.azId),
        securityGroups: [csg],
        privateDns: managed,
        privateDnsDomains: managed ? names : [],
        clientToken: clientToken(stack, c.account, epId),
        tags: tagsFor(stack, epId, epName),
      },
      deps,
    );
    if (!managed) {
      const zone = addConsumerZone(ctx, c);
      for (const b of brokers) {
        const child = ids.resourceConfiguration(b);
        ctx.set.add(
          'dns-record',
          ids.consumerRecord(c.name, b),
          c.account,
          region,
          {
            zone,
            name: b.host.toLowerCase(),
            type: 'A',
            aliasTarget: { kind: 'resource-endpoint', id: epId, child },
          },
          [zone, epId, child],
        );
      }
    }
    addBootstrapParameter(
      ctx,
      c,
      brokers.map((b) => `${b.host}:${clientPort(listeners[0] as ListenerType)}`),
    );
  });
}

/**
 * The domains a consumer's resource endpoint asks VPC Lattice to answer: the brokers' names, or,
 * past the 10 a resource endpoint takes (EC2 API reference, DnsOptionsSpecification,
 * PrivateDnsSpecifiedDomains; CloudFormation: "Maximum: 10"), one wildcard per parent domain
 * ("*.example.com", VPC Lattice user guide, "Custom domain names for resource consumers"): an MSK
 * cluster's broker names share one, `<cluster>.<id>.c<n>.kafka.<region>.amazonaws.com`.
 */
export function specifiedDomains(names: string[], configFile: string): string[] {
  if (names.length <= QUOTAS.resourceEndpointSpecifiedDomains) return names;
  const parents = [...new Set(names.map((n) => n.split('.').slice(1).join('.')))].sort();
  if (parents.length <= QUOTAS.resourceEndpointSpecifiedDomains && parents.every((p) => p.includes('.')))
    return parents.map((p) => `*.${p}`);
  throw new PlanRefused(
    'TOO_MANY_PRIVATE_DNS_DOMAINS',
    `pattern 3: ${names.length} broker names under ${parents.length} parent domains; a resource endpoint answers at most ${QUOTAS.resourceEndpointSpecifiedDomains} domains (wildcards included)`,
    `${configFile}: pattern`,
  );
}
