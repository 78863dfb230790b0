// Least-privilege IAM policies for a stack: one per account's role (the provider's, each consumer
// account's), built from the plan's resources. Every kind says what it needs (`iam` in its
// definition); this module adds what the operations around the kinds call (discovery, the S3
// state backend), merges statements by Sid and measures the result against IAM's size quota.
import type { Config } from '../config/schema.js';
import { KINDS, kindDef, type Resource } from '../kinds/index.js';
import { elbNamePatterns } from '../planner/names.js';
import { defaultS3StateKey } from '../state/s3.js';
import type { Permission, PolicyScope } from './scope.js';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** One account's role: what the tool does there for the stack. */
export interface RolePolicy {
  account: string;
  /** provider, consumer, or both (a consumer in the MSK account). */
  role: 'provider' | 'consumer' | 'provider+consumer';
  /** The role ARN the config names for the account, when it names one. */
  roleArn?: string;
  consumers: string[];
  regions: string[];
  policy: PolicyDocument;
  /** Characters without whitespace, as IAM counts them against its quotas. */
  size: number;
}

/**
 * IAM quotas ("IAM and AWS STS quotas", IAM user guide): a role's inline policies together hold at
 * most 10,240 characters, a managed policy 6,144 (whitespace not counted).
 */
export const IAM_INLINE_ROLE_POLICY_MAX = 10_240;
export const IAM_MANAGED_POLICY_MAX = 6_144;

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The characters IAM counts for a policy (JSON without whitespace). */
export function policySize(p: PolicyDocument): number {
  return JSON.stringify(p).length;
}

/** Statements with one Sid become one: actions and resources unioned, condition values unioned. */
export function mergeStatements(perms: readonly Permission[]): PolicyStatement[] {
  const bySid = new Map<
    string,
    { actions: Set<string>; resources: Set<string>; condition?: Permission['condition'] }
  >();
  for (const p of perms) {
    let s = bySid.get(p.sid);
    if (!s) {
      s = { actions: new Set(), resources: new Set() };
      bySid.set(p.sid, s);
    }
    for (const a of p.actions) s.actions.add(a);
    for (const r of p.resources) s.resources.add(r);
    if (p.condition) s.condition = mergeCondition(s.condition, p.condition);
  }
  return [...bySid.entries()].map(([sid, s]) => {
    const resources = s.resources.has('*') ? ['*'] : [...s.resources].sort();
    return {
      Sid: sid,
      Effect: 'Allow' as const,
      Action: [...s.actions].sort(),
      Resource: resources.length === 1 ? (resources[0] ?? '*') : resources,
      ...(s.condition ? { Condition: s.condition } : {}),
    };
  });
}

function mergeCondition(
  a: Permission['condition'],
  b: NonNullable<Permission['condition']>,
): NonNullable<Permission['condition']> {
  const out: NonNullable<Permission['condition']> = structuredClone(a ?? {});
  for (const [op, keys] of Object.entries(b)) {
    const block = (out[op] ??= {});
    for (const [k, v] of Object.entries(keys)) {
      const have = block[k];
      if (have === undefined) block[k] = v;
      else {
        const values = [...new Set([...[have].flat(), ...[v].flat()])].sort();
        block[k] = values.length === 1 ? (values[0] ?? '') : values;
      }
    }
  }
  return out;
}

/** Read actions every role needs whatever the plan holds: each scanning kind's, for a lost state. */
function scanReads(): string[] {
  return KINDS.flatMap((k) => {
    const def = kindDef(k);
    return def.scan ? def.iam.reads : [];
  });
}

/** What the operations around the kinds call in the provider account. */
function providerExtras(config: Config, scope: PolicyScope): Permission[] {
  const out: Permission[] = [];
  // Discovery (cluster.arn): the brokers, their subnets and security groups, read with the MSK API.
  if (config.cluster.arn !== undefined)
    out.push({
      sid: 'DiscoverCluster',
      actions: ['kafka:DescribeClusterV2', 'kafka:ListNodes'],
      resources: [config.cluster.arn],
    });
  // The S3 state backend: the state object and its lock object. Without s3:ListBucket, S3 answers
  // 403 instead of 404 for an object that does not exist yet (S3 API reference, GetObject,
  // "Permissions"), so listing is allowed for exactly those two keys.
  const st = config.state;
  if (st.backend === 's3' && st.bucket !== undefined) {
    const key = st.key ?? defaultS3StateKey(config.name);
    const bucket = `arn:${scope.partition}:s3:::${st.bucket}`;
    out.push(
      {
        sid: 'StateObjects',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [`${bucket}/${key}`, `${bucket}/${key}.lock`],
      },
      {
        sid: 'StateBucketList',
        actions: ['s3:ListBucket'],
        resources: [bucket],
        condition: { StringEquals: { 's3:prefix': [key, `${key}.lock`] } },
      },
    );
  }
  return out;
}

export interface PolicyInput {
  config: Config;
  /** The plan's desired resources (apply makes them, destroy deletes them). */
  resources: readonly Resource[];
  clusterArn?: string;
}

/** One policy per account of the stack, provider first, then consumer accounts in config order. */
export function stackPolicies(input: PolicyInput): RolePolicy[] {
  const { config } = input;
  const accounts = new Map<
    string,
    { consumers: string[]; regions: Set<string>; provider: boolean; roleArn?: string }
  >();
  const at = (account: string) => {
    let a = accounts.get(account);
    if (!a) {
      a = { consumers: [], regions: new Set(), provider: false };
      accounts.set(account, a);
    }
    return a;
  };
  const prov = at(config.provider.account);
  prov.provider = true;
  prov.regions.add(config.region);
  if (config.provider.roleArn !== undefined) prov.roleArn = config.provider.roleArn;
  for (const c of config.consumers) {
    const a = at(c.account);
    a.consumers.push(c.name);
    a.regions.add(c.region ?? config.region);
    if (a.roleArn === undefined && c.roleArn !== undefined) a.roleArn = c.roleArn;
  }
  const reads = scanReads();
  const clusterArn = input.clusterArn ?? config.cluster.arn;
  return [...accounts.entries()].map(([account, a]) => {
    const perms: Permission[] = [];
    const readActions = new Set<string>([...reads, 'ec2:DescribeSubnets']);
    for (const region of [...a.regions].sort()) {
      const scope: PolicyScope = {
        partition: partitionOf(region),
        region,
        account,
        stack: config.name,
        elbNames: elbNamePatterns(config.name),
        ...(clusterArn !== undefined && account === config.provider.account ? { clusterArn } : {}),
      };
      const here = input.resources.filter((r) => r.account === account && r.region === region);
      for (const kind of KINDS) {
        const props = here.filter((r) => r.kind === kind).map((r) => r.props);
        if (props.length === 0) continue;
        const def = kindDef(kind);
        for (const action of def.iam.reads) readActions.add(action);
        perms.push(...def.iam.writes(scope, props as Array<Record<string, unknown>>));
      }
      if (a.provider && region === config.region) perms.push(...providerExtras(config, scope));
    }
    // A kind's extra describe calls on every resource join the one Read statement (IAM refuses two
    // statements with one Sid in a policy: MalformedPolicyDocument).
    for (const p of perms)
      if (p.sid === 'Read' && p.resources.length === 1 && p.resources[0] === '*' && !p.condition)
        for (const a of p.actions) readActions.add(a);
    const statements = [
      { Sid: 'Read', Effect: 'Allow' as const, Action: [...readActions].sort(), Resource: '*' },
      ...mergeStatements(perms.filter((p) => p.sid !== 'Read')),
    ];
    const policy: PolicyDocument = { Version: '2012-10-17', Statement: statements };
    const role: RolePolicy['role'] =
      a.provider && a.consumers.length > 0 ? 'provider+consumer' : a.provider ? 'provider' : 'consumer';
    return {
      account,
      role,
      ...(a.roleArn !== undefined ? { roleArn: a.roleArn } : {}),
      consumers: a.consumers,
      regions: [...a.regions].sort(),
      policy,
      size: policySize(policy),
    };
  });
}
