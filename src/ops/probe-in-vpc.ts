// `probe --in-vpc`: the probe run where the clients are. For each consumer, one function per AZ ID
// of its subnets (so every AZ's endpoint interface is reached from its own AZ), made in the consumer
// VPC with a role limited to network interfaces and a security group open only towards the
// endpoints' ports; each runs the local probe's steps and answers the same report. Failures are
// then explained from here, where Route 53 and EC2 can be read. The function, role and group are
// deleted afterwards (waiting out Lambda's release of its network interfaces) unless --keep.
// Over SASL/SCRAM the invocation names a Secrets Manager secret, never the password: the user's
// (--sasl-secret-arn) or one made for the run from --sasl-username/--sasl-password-env and deleted
// afterwards whatever --keep says; the role may read that one secret only.
import { readFile } from 'node:fs/promises';
import { InputError, MplError } from '../errors.js';
import { onePerAz } from '../planner/azs.js';
import { recordStatus } from '../probe/aws.js';
import { probeBundle } from '../probe/in-vpc/bundle.js';
import { dnsFailure } from '../probe/diagnose.js';
import {
  deleteScramSecret,
  ensureFunction,
  ensureRole,
  ensureScramSecret,
  ensureSecurityGroup,
  invoke,
  removeProbe,
  scramSecretName,
  type ProbeSite,
} from '../probe/in-vpc/aws.js';
import { SecretArn, type InVpcEventInput } from '../probe/in-vpc/event.js';
import { finishReport } from '../probe/shape.js';
import { pickConsumer, pickListener, targetsFromState } from '../probe/targets.js';
import type { BrokerResult, ProbeReport } from '../probe/types.js';
import type { ProbeRequest } from './probe.js';
import { withStack, type Stack, type StackOptions } from './stack.js';

export interface InVpcRequest extends ProbeRequest {
  /** Leave the functions, role and security group for the next run. */
  keep?: boolean;
  /** Every consumer of the config, not only --consumer (or the first). */
  allConsumers?: boolean;
  /** SASL/SCRAM: an existing Secrets Manager secret holding {"username", "password"} (MSK's form). */
  saslSecretArn?: string;
}

/**
 * Where the function gets the SCRAM credentials: the user's secret, or the user name and password
 * for a temporary secret (they go to Secrets Manager, never into the invocation).
 */
type ScramSource = { secretArn: string } | { username: string; password: string };

/** Where one AZ's function ran. */
export interface InVpcSite {
  azId: string;
  subnetId: string;
  function: string;
  /** The invocation's wall time. */
  ms: number;
  error: string | null;
}

/** The local probe's report, each broker result tagged with the AZ it was reached from. */
export interface InVpcReport extends ProbeReport {
  brokers: Array<BrokerResult & { azId: string }>;
  inVpc: { sites: InVpcSite[]; setupMs: number; cleanupMs: number; kept: boolean };
}

// Names: IAM role names allow 64 characters, Lambda function names 64 (IAM and Lambda API
// references); stack names are at most 20 and consumer names 20, so these fit.
const baseName = (stack: string, consumer: string) => `mpl-${stack}-${consumer}-probe`;

export async function probeInVpc(
  f: InVpcRequest,
  global: Pick<StackOptions, 'region' | 'profile' | 'reporter' | 'configFor' | 'wait'> = {},
): Promise<InVpcReport[]> {
  if (f.config === undefined)
    throw new InputError('--in-vpc', 'needs --config FILE (the stack to probe from)');
  if (f.dnsServer !== undefined)
    throw new InputError('--dns-server', 'does not apply with --in-vpc: the function uses its VPC resolver');
  const [ca, cert, key] = await Promise.all(
    (['ca', 'cert', 'key'] as const).map(async (k) => {
      const file = f[k];
      if (file === undefined) return undefined;
      try {
        return await readFile(file, 'utf8');
      } catch (e) {
        throw new InputError(`--${k}`, `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );
  if ((cert === undefined) !== (key === undefined))
    throw new InputError('--cert/--key', 'give both for mutual TLS');
  let secretArn: string | undefined;
  if (f.saslSecretArn !== undefined) {
    if (f.saslUsername !== undefined || f.saslPasswordEnv !== undefined)
      throw new InputError(
        '--sasl-secret-arn',
        'give either --sasl-secret-arn or --sasl-username with --sasl-password-env, not both',
      );
    const arn = SecretArn.safeParse(f.saslSecretArn);
    if (!arn.success)
      throw new InputError('--sasl-secret-arn', arn.error.issues[0]?.message ?? 'not a secret ARN');
    secretArn = arn.data;
  }
  const zip = await probeBundle();
  return withStack(f.config, global, async (stack) => {
    const consumers = f.allConsumers ? stack.config.consumers : [pickConsumer(stack.config, f.consumer)];
    const listener = pickListener(stack.config, f.listener);
    if (listener === 'iam')
      throw new InputError(
        '--listener',
        'iam is not probed from inside the VPC yet: the function would need kafka-cluster permissions; probe iam locally',
      );
    let scram: ScramSource | undefined;
    if (listener !== 'sasl_scram' && secretArn !== undefined)
      throw new InputError('--sasl-secret-arn', 'applies to the sasl_scram listener only');
    if (listener === 'sasl_scram' && secretArn !== undefined) {
      scram = { secretArn };
    } else if (listener === 'sasl_scram') {
      if (f.saslUsername === undefined)
        throw new InputError(
          '--sasl-username',
          'is required for the sasl_scram listener (with --sasl-password-env), or give --sasl-secret-arn',
        );
      const password = f.saslPasswordEnv === undefined ? undefined : process.env[f.saslPasswordEnv];
      if (f.saslPasswordEnv === undefined || password === undefined || password === '')
        throw new InputError(
          '--sasl-password-env',
          'must name a set environment variable holding the password',
        );
      scram = { username: f.saslUsername, password };
    }
    const reports: InVpcReport[] = [];
    for (const c of consumers) {
      reports.push(
        await probeConsumer(stack, c.name, {
          zip,
          keep: f.keep === true,
          event: {
            consumer: c.name,
            listener,
            targets: targetsFromState(stack.config, stack.inventory, stack.store.state, c.name, listener),
            timeoutMs: f.timeoutMs,
            canary: f.canary === true,
            tls: {
              ...(ca === undefined ? {} : { ca }),
              ...(cert === undefined ? {} : { cert }),
              ...(key === undefined ? {} : { key }),
            },
          },
          ...(scram ? { scram } : {}),
        }),
      );
    }
    return reports;
  });
}

async function probeConsumer(
  stack: Stack,
  consumer: string,
  o: { zip: Uint8Array; keep: boolean; event: InVpcEventInput; scram?: ScramSource },
): Promise<InVpcReport> {
  const c = pickConsumer(stack.config, consumer);
  const aws = stack.pool.for(c.account, c.region ?? stack.config.region);
  const subnets = onePerAz(stack.input.consumerSubnets[c.name] ?? [], `${stack.configFile}: consumers`);
  const site: ProbeSite = {
    stack: stack.config.name,
    consumer: c.name,
    vpcId: c.vpcId,
    name: baseName(stack.config.name, c.name),
  };
  const wait = stack.engine.wait;
  const log = (message: string) => stack.reporter.emit({ type: 'log', level: 'info', message });
  const functionOf = (azId: string) => `${site.name}-${azId}`;
  const functions = subnets.map((s) => functionOf(s.azId));
  const ports = o.event.targets.map((t) => t.port);
  const t0 = Date.now();
  let setupMs = 0;
  const sites: InVpcSite[] = [];
  const results: Array<{ azId: string; report?: ProbeReport }> = [];
  let cleanupMs = 0;
  // The run's own failure is the one to report; a clean-up that fails after it is logged beside it.
  let failure: unknown;
  try {
    log(
      `in-VPC probe of ${c.name}: a function in each of ${subnets.map((s) => s.azId).join(', ')} in ${c.vpcId}`,
    );
    let secretArn: string | undefined;
    if (o.scram !== undefined && 'secretArn' in o.scram) {
      secretArn = o.scram.secretArn;
      const owner = secretArn.split(':')[4];
      if (owner !== c.account)
        log(
          `the SCRAM secret is in account ${owner}, not ${c.account}: its resource policy must let the probe's role read it, and it must be encrypted with a customer managed KMS key whose policy lets the role decrypt (docs/probe.md)`,
        );
    } else if (o.scram !== undefined) {
      secretArn = await ensureScramSecret(aws, site, o.scram, wait);
      log(`SCRAM credentials in the temporary secret ${scramSecretName(site)} (deleted after the run)`);
    }
    const roleArn = await ensureRole(aws, site, secretArn);
    const event: InVpcEventInput = {
      ...o.event,
      ...(secretArn === undefined ? {} : { scram: { secretArn } }),
    };
    const groupId = await ensureSecurityGroup(aws, site, ports);
    // Each function's invocation is bounded by its probe (steps in parallel per broker, a canary).
    const timeoutS = Math.min(900, Math.ceil((o.event.timeoutMs * 8) / 1000) + 30);
    await Promise.all(
      subnets.map((s) =>
        ensureFunction(
          aws,
          site,
          { name: functionOf(s.azId), roleArn, subnetId: s.id, groupId, zip: o.zip, timeoutS },
          wait,
        ),
      ),
    );
    setupMs = Date.now() - t0;
    await Promise.all(
      subnets.map(async (s, i) => {
        const started = Date.now();
        // One canary is enough: from the first AZ.
        const out = await invoke(aws, functionOf(s.azId), { ...event, canary: event.canary && i === 0 });
        const report = out.result as ProbeReport | undefined;
        sites.push({
          azId: s.azId,
          subnetId: s.id,
          function: functionOf(s.azId),
          ms: Date.now() - started,
          error: out.error ?? null,
        });
        results.push({ azId: s.azId, ...(report === undefined ? {} : { report }) });
      }),
    );
  } catch (e) {
    failure = e;
  }
  const t1 = Date.now();
  let cleanupFailure: unknown;
  try {
    try {
      // The temporary secret holds a password: it goes after every run, --keep or not (also one a
      // run that died left behind, found by name and tags).
      if (o.scram !== undefined && 'password' in o.scram) await deleteScramSecret(aws, site);
    } finally {
      if (!o.keep) await removeProbe(aws, site, functions, wait);
      cleanupMs = Date.now() - t1;
    }
  } catch (e) {
    cleanupFailure = e;
  }
  if (failure !== undefined) {
    if (cleanupFailure !== undefined)
      stack.reporter.emit({
        type: 'log',
        level: 'warn',
        message: `removing the in-VPC probe of ${c.name} after the failure failed too: ${cleanupFailure instanceof Error ? cleanupFailure.message : String(cleanupFailure)}`,
      });
    throw failure;
  }
  if (cleanupFailure !== undefined) throw cleanupFailure;
  const failed = sites.filter((s) => s.error !== null);
  if (failed.length > 0)
    throw new MplError(
      'PROBE_IN_VPC_FAILED',
      `the in-VPC probe of ${c.name} did not run: ${failed.map((s) => `${s.azId}: ${s.error}`).join('; ')}`,
    );
  const brokers: Array<BrokerResult & { azId: string }> = [];
  for (const r of results.sort((a, b) => a.azId.localeCompare(b.azId)))
    for (const b of r.report?.brokers ?? []) brokers.push({ ...b, azId: r.azId });
  await explainDns(stack, o.event, brokers);
  const canary = results.find((r) => r.report?.canary)?.report?.canary ?? null;
  const report = finishReport({
    mode: 'config',
    listener: o.event.listener,
    consumer: c.name,
    brokers,
    canary,
    ms: Date.now() - t0,
  }) as InVpcReport;
  // finishReport sorts by broker; keep AZs in order within a broker.
  report.brokers.sort((a, b) => (a.id ?? 1e9) - (b.id ?? 1e9) || a.azId.localeCompare(b.azId));
  report.inVpc = {
    sites: sites.sort((a, b) => a.azId.localeCompare(b.azId)),
    setupMs,
    cleanupMs,
    kept: o.keep,
  };
  return report;
}

/**
 * A name that did not resolve inside the VPC: read the stack's zone from here (the function makes no
 * AWS calls) to tell a deleted record from a zone the VPC does not see.
 */
async function explainDns(
  stack: Stack,
  event: InVpcEventInput,
  brokers: Array<BrokerResult & { azId: string }>,
): Promise<void> {
  const cache = new Map<string, Promise<'present' | 'missing' | undefined>>();
  for (const b of brokers) {
    if (b.failedStep !== 'dns') continue;
    const t = event.targets.find((x) => x.host === b.host);
    if (t?.zone === undefined) continue;
    let state = cache.get(t.host);
    if (!state) {
      const zone = t.zone;
      state = recordStatus(
        stack.pool.for(zone.account, stack.config.region).route53 /* Route 53 is global */,
        { ...t, zone },
      ).catch(() => undefined);
      cache.set(t.host, state);
    }
    const record = await state;
    if (record === undefined) continue;
    const code = /\(([A-Z_]+) from/.exec(b.error ?? '')?.[1] ?? 'ENOTFOUND';
    const d = dnsFailure({
      host: b.host,
      code,
      resolver: `the VPC resolver (${b.azId})`,
      record,
      zoneId: t.zone.zoneId,
      consumer: event.consumer,
    });
    b.error = d.error;
    b.hint = d.hint;
  }
}
