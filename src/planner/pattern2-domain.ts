// Pattern 2's broker names in msk-configuration mode: the brokers' own (`broker`), a sibling beside
// each in the cluster's sub-domain (`sibling`, the default), or a domain of the user's own
// (`pattern2.domain`). A custom domain is not covered by the brokers' certificates, so the NLB
// terminates TLS with an ACM certificate for it and re-encrypts to the brokers (MSK developer guide,
// "Set up a custom domain name end to end"; Elastic Load Balancing user guide, "TLS listeners for
// your Network Load Balancer").
import type { ListenerType } from '../config/schema.js';
import { PlanRefused } from '../errors.js';
import type { BrokerRef } from './ids.js';
import type { Pattern2Mode } from './pattern2-mode.js';
import type { Ctx } from './stack-parts.js';

export type Pattern2Names =
  | { kind: 'broker' }
  | { kind: 'sibling' }
  | { kind: 'domain'; domain: string; certificateArn: string | undefined };

/**
 * The security policy of the NLB's TLS listeners: TLS 1.3 and 1.2 only, the one the ELB user guide
 * recommends ("Security policies for your Network Load Balancer").
 */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** Listener types whose clients speak TLS to the broker: the NLB terminates them with the certificate. */
export const terminatesTls = (l: ListenerType): boolean => l !== 'plaintext';

/** The names for this plan, refused (PATTERN2_DOMAIN_INVALID) when the domain cannot work as given. */
export function pattern2Names(ctx: Ctx, mode: Pattern2Mode): Pattern2Names {
  const { config, configFile, domain: clusterDomain } = ctx;
  const p2 = config.pattern2;
  if (p2.domain === undefined) {
    if (p2.certificateArn !== undefined)
      throw refuse(
        'pattern2.certificateArn is given without pattern2.domain: it is only for a custom domain',
        configFile,
        'certificateArn',
      );
    return mode === 'msk-configuration' && p2.names === 'sibling' ? { kind: 'sibling' } : { kind: 'broker' };
  }
  const domain = p2.domain.toLowerCase();
  if (mode !== 'msk-configuration')
    throw refuse(
      `pattern2.domain needs msk-configuration mode (MSK's custom.advertised.listeners), not ${mode}; leave pattern2.mode out`,
      configFile,
      'mode',
    );
  if (p2.names === 'broker')
    throw refuse(
      'pattern2.names: broker and pattern2.domain exclude each other: the domain names the brokers; leave names out',
      configFile,
      'names',
    );
  const cluster = clusterDomain.toLowerCase();
  if (domain === cluster || domain.endsWith(`.${cluster}`) || cluster.endsWith(`.${domain}`))
    throw refuse(
      `${domain} overlaps the cluster's own sub-domain ${cluster}: its zones would hide or shadow MSK's names; choose a domain of your own`,
      configFile,
      'domain',
    );
  const tlsListeners = config.cluster.listeners.filter(terminatesTls);
  const arn = p2.certificateArn;
  if (arn === undefined && tlsListeners.length > 0)
    throw refuse(
      `pattern2.domain ${domain} with the ${tlsListeners.join(', ')} listener(s) needs pattern2.certificateArn: the brokers' certificates do not name ${domain}, so the NLB must present an ACM certificate for *.${domain}`,
      configFile,
      'certificateArn',
    );
  if (arn !== undefined) {
    const [, , , region, account] = arn.split(':');
    if (region !== config.region || account !== config.provider.account)
      throw refuse(
        `pattern2.certificateArn is in ${account} ${region}, but the NLB is in ${config.provider.account} ${config.region}: a load balancer uses ACM certificates of its own account and region`,
        configFile,
        'certificateArn',
      );
  }
  return { kind: 'domain', domain, certificateArn: arn };
}

function refuse(message: string, configFile: string, field: string): PlanRefused {
  return new PlanRefused('PATTERN2_DOMAIN_INVALID', message, `${configFile}: pattern2.${field}`);
}

/** The name broker `b` advertises (and clients use) under these names. */
export function advertisedName(
  names: Pattern2Names,
  b: BrokerRef & { host: string },
  clusterDomain: string,
): string {
  switch (names.kind) {
    case 'broker':
      return b.host.toLowerCase();
    case 'sibling':
      return `b-${b.id}${SIBLING_SUFFIX}.${clusterDomain}`.toLowerCase();
    case 'domain':
      return `b-${b.id}.${names.domain}`;
  }
}

/** The host part of custom.advertised.listeners for these names. */
export function hostPattern(names: Pattern2Names, clusterDomain: string): string {
  switch (names.kind) {
    case 'broker':
      return `b-{broker_id}.${clusterDomain}`;
    case 'sibling':
      return `b-{broker_id}${SIBLING_SUFFIX}.${clusterDomain}`;
    case 'domain':
      return `b-{broker_id}.${names.domain}`;
  }
}

export const SIBLING_SUFFIX = '-pl';
