import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import assert from 'node:assert/strict';
import type { Testbed } from '../testbed/testbed.js';
import { runCli } from './run-cli.js';

export interface StackOptions {
  name: string;
  pattern: 1 | 2 | 3;
  /** Pattern 2's mode; `'default'` leaves it out (the planner chooses msk-configuration). Default: rewrite. */
  mode?: 'rewrite' | 'additive' | 'msk-configuration' | 'default';
  layout?: 'all-azs' | 'broker-az';
  /** Extra top-level config fields (merged shallowly). */
  extra?: Record<string, unknown>;
}

/**
 * Writes a config for a stack over the testbed's scenario: the cluster by its ARN (discovered
 * through MSK), the provider VPC, each consumer account with bare subnet ids (AZ IDs looked up
 * with EC2 through the consumer's role), TLS with the testbed CA for pattern 2's admin client.
 */
export async function writeStackConfig(
  tb: Pick<Testbed, 'scenario' | 'clusterArn' | 'caPath'>,
  o: StackOptions,
): Promise<{ dir: string; file: string; statePath: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), `mpl-e2e-${o.name}-`));
  const sc = tb.scenario;
  const statePath = path.join(dir, `${o.name}.state.json`);
  const config = {
    name: o.name,
    region: sc.region,
    pattern: o.pattern,
    cluster: { arn: tb.clusterArn, listeners: ['tls'] },
    provider: {
      account: sc.accounts.provider,
      roleArn: `arn:aws:iam::${sc.accounts.provider}:role/msk-privatelink`,
      vpcId: sc.provider.vpcId,
    },
    pattern2: {
      ...(o.mode === 'default' ? {} : { mode: o.mode ?? 'rewrite' }),
      admin: { caFile: tb.caPath },
    },
    consumers: sc.consumers.map((c, i) => ({
      name: `c${i + 1}`,
      account: sc.accounts.consumers[i],
      roleArn: `arn:aws:iam::${sc.accounts.consumers[i]}:role/msk-privatelink`,
      vpcId: c.vpcId,
      subnets: c.subnets.map((s) => s.id),
      allowedCidrs: [c.cidr],
      endpointLayout: o.layout ?? 'all-azs',
    })),
    state: { path: statePath },
    clients: { connectionsMaxIdleMs: 300000 },
    ...o.extra,
  };
  const file = path.join(dir, `${o.name}.yaml`);
  await writeFile(file, stringify(config));
  return { dir, file, statePath };
}

/**
 * Runs the CLI in-process against the testbed: the SDK reaches the AWS twin through
 * AWS_ENDPOINT_URL and static keys, and assumes each account's role there like in AWS.
 */
export async function cli(
  tb: Pick<Testbed, 'env'>,
  argv: string[],
): Promise<{ code: number; out: string; err: string }> {
  const saved = { ...process.env };
  Object.assign(
    process.env,
    {
      MPL_POLL_INTERVAL_MS: '100',
      MPL_WAIT_TIMEOUT_MS: '30000',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    tb.env(),
  );
  try {
    return await runCli([...argv, '--no-color']);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** The env for running the built CLI as a child process against the testbed. */
export function childEnv(tb: Pick<Testbed, 'env'>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MPL_POLL_INTERVAL_MS: '100',
    MPL_WAIT_TIMEOUT_MS: '30000',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // A bed may poll faster (the twin-only bed's delays are shorter).
    ...tb.env(),
  };
}

/** Runs the CLI as `cli` does and asserts its exit code, showing what it wrote when the code differs. */
export async function cliExpect(
  tb: Testbed,
  argv: string[],
  expected: number,
): Promise<{ out: string; err: string }> {
  const r = await cli(tb, argv);
  assert.equal(
    r.code,
    expected,
    `${argv.join(' ')} exited ${r.code}, expected ${expected}\n${r.out}\n${r.err}`,
  );
  return r;
}

/** `host:port` of an account's DNS view in the network twin (what --dns-server takes). */
export function dnsOf(tb: Testbed, account: string): string {
  const d = tb.network.dnsByAccount[account];
  assert.ok(d, `no DNS view for account ${account}`);
  return `${d.host}:${d.port}`;
}
