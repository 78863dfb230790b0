import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { costCommand, recommendCommand, COST_FORMATS, type CostFormat } from './cost.js';
import { hoursPerMonthProblem } from '../cost/estimate.js';
import { MplError } from '../errors.js';
import { processIo, type Io } from './io.js';
import { applyCommand } from './apply.js';
import { destroyCommand } from './apply.js';
import { discoverCommand } from './discover.js';
import type { GlobalOptions } from './io.js';
import { planCommand } from './plan.js';
import { probeCommand, type ProbeFlags } from './probe.js';
import { statusCommand } from './status.js';
import { iamPolicyCommand } from './iam-policy.js';
import { EXPORT_FORMATS, exportCommand } from './export.js';
import { forceUnlockCommand, statePullCommand, statePushCommand } from './state.js';
import { schemaCommand } from './schema.js';
import { addCompletionCommand } from './completion.js';
import { readFileSync } from 'node:fs';

function parsePositiveInt(v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1)
    throw new InvalidArgumentError('must be a whole number of milliseconds, 1 or more');
  return Number(v);
}

function parseHours(v: string): number {
  const n = Number(v);
  const problem = hoursPerMonthProblem(v.trim() === '' ? Number.NaN : n);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return n;
}

function parseGb(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('must be a number of GB, 0 or more');
  return n;
}

/** The version in the package.json next to the package (../../ from src/cli and from dist/cli). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/**
 * The command tree: every command and flag, with the actions that run them; each action reports
 * its exit code through setCode. Exported so tests can read the commands and flags the docs use.
 */
export function cliProgram(io: Io, setCode: (code: number) => void): Command {
  const global = (): GlobalOptions => {
    const o = program.opts<{ region?: string; profile?: string; color: boolean; verbose?: boolean }>();
    return {
      ...(o.region === undefined ? {} : { region: o.region }),
      ...(o.profile === undefined ? {} : { profile: o.profile }),
      color: io.color,
      verbose: o.verbose === true,
    };
  };
  const program = new Command('msk-privatelink')
    .description('Private access to Amazon MSK from other VPCs and accounts over AWS PrivateLink')
    .option('--region <region>', 'AWS region (default: the config file or the SDK default)')
    .option('--profile <name>', 'AWS profile for credentials')
    .option('--no-color', 'plain output')
    .option('--verbose', 'stack traces and debug output')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('plan')
    .description(
      'print the diff between the configuration and what exists; exit 0 no changes, 2 changes, 1 error',
    )
    .requiredOption('--config <file>', 'config file (YAML or JSON)')
    .option('--out <file>', 'save the plan for apply')
    .option('--json', 'machine-readable output')
    .option('--offline', 'no AWS call: inventory from cluster.brokersFile, prior state empty')
    .action(async (o: { config: string; out?: string; json?: boolean; offline?: boolean }) => {
      setCode(await planCommand(o, global(), io));
    });

  program
    .command('discover')
    .description("read an MSK cluster's brokers (and their subnets' AZ IDs) into an inventory file")
    .requiredOption('--cluster-arn <arn>', 'the MSK cluster')
    .option('--out <file>', 'write the inventory here instead of stdout')
    .action(async (o: { clusterArn: string; out?: string }) => {
      setCode(await discoverCommand(o, global(), io));
    });

  program
    .command('apply')
    .description('apply a saved plan, or plan and apply')
    .argument('[plan-file]', 'a plan saved with plan --out')
    .option('--config <file>', 'config file (plans first, then asks unless --auto-approve)')
    .option('--auto-approve', 'do not ask for confirmation')
    .option('--json', 'JSON events, one per line')
    .action(
      async (planFile: string | undefined, o: { config?: string; autoApprove?: boolean; json?: boolean }) => {
        setCode(await applyCommand({ ...o, ...(planFile === undefined ? {} : { planFile }) }, global(), io));
      },
    );

  program
    .command('destroy')
    .description("remove everything the stack made and restore the brokers' listener settings")
    .requiredOption('--config <file>', 'config file')
    .option('--auto-approve', 'do not ask for confirmation')
    .option('--json', 'JSON events, one per line')
    .action(async (o: { config: string; autoApprove?: boolean; json?: boolean }) => {
      setCode(await destroyCommand(o, global(), io));
    });

  program
    .command('status')
    .description('drift between state, live AWS and the brokers; exit 0 in sync, 2 drift')
    .requiredOption('--config <file>', 'config file')
    .option('--json', 'machine-readable output')
    .action(async (o: { config: string; json?: boolean }) => {
      setCode(await statusCommand(o, global(), io));
    });

  program
    .command('iam-policy')
    .description('least-privilege IAM policies of the provider role, each consumer role and the in-VPC probe')
    .requiredOption('--config <file>', 'config file (no AWS call with cluster.brokersFile)')
    .option('--json', 'machine-readable output')
    .action(async (o: { config: string; json?: boolean }) => {
      setCode(await iamPolicyCommand(o, global(), io));
    });

  program
    .command('export')
    .description('the same resources as infrastructure as code: one template per account (CloudFormation)')
    .requiredOption('--config <file>', 'config file (no AWS call with cluster.brokersFile)')
    .addOption(
      new Option(
        '--format <format>',
        'cloudformation (templates per account and a runbook) or terraform (one .tf.json)',
      )
        .choices(EXPORT_FORMATS)
        .makeOptionMandatory(),
    )
    .option('--out <dir>', 'write one file per template here (default: one JSON object on stdout)')
    .action(async (o: { config: string; format: (typeof EXPORT_FORMATS)[number]; out?: string }) => {
      setCode(await exportCommand(o, global(), io));
    });

  program
    .command('cost')
    .description('monthly cost of every viable option, the configured one marked')
    .requiredOption('--config <file>', 'config file (YAML or JSON)')
    .addOption(new Option('--format <format>', 'output format').choices(COST_FORMATS).default('table'))
    .option(
      '--gb-per-month <n>',
      'GB a month through PrivateLink, all consumers together (adds data lines)',
      parseGb,
    )
    .option(
      '--hours-per-month <n>',
      "hours the hourly lines are billed for (default 730, AWS's; 720 gives the reference write-up's figures)",
      parseHours,
    )
    .option('--offline', 'no AWS call: inventory from cluster.brokersFile, subnets with their AZ IDs')
    .option(
      '--live-prices',
      'prices from the AWS Price List API, cached 7 days (with --offline: the cached ones only)',
    )
    .action(
      async (o: {
        config: string;
        format: CostFormat;
        gbPerMonth?: number;
        hoursPerMonth?: number;
        offline?: boolean;
        livePrices?: boolean;
      }) => {
        setCode(await costCommand(o, global(), io));
      },
    );

  program
    .command('recommend')
    .description('the way to reach the cluster to take for this config, and why, against the others')
    .requiredOption('--config <file>', 'config file (YAML or JSON)')
    .option('--gb-per-month <n>', 'GB a month through PrivateLink, all consumers together', parseGb)
    .option('--hours-per-month <n>', 'hours the hourly lines are billed for (default 730)', parseHours)
    .option('--offline', 'no AWS call: inventory from cluster.brokersFile, subnets with their AZ IDs')
    .option('--live-prices', 'prices from the AWS Price List API, cached 7 days')
    .option('--json', 'the recommendation as JSON')
    .action(
      async (o: {
        config: string;
        gbPerMonth?: number;
        hoursPerMonth?: number;
        offline?: boolean;
        livePrices?: boolean;
        json?: boolean;
      }) => {
        setCode(await recommendCommand(o, global(), io));
      },
    );

  program
    .command('probe')
    .description('reachability of every broker through its DNS name; exit 0 all reachable, 1 any failure')
    .option('--config <file>', "the stack's config: brokers, endpoints and ports from its state")
    .option('--bootstrap <host:port,...>', 'brokers from cluster metadata read through these')
    .option('--consumer <name>', 'with --config: whose VPC view to check (default: the first consumer)')
    .addOption(
      new Option(
        '--listener <type>',
        'listener to probe (default: the first of cluster.listeners, or by port)',
      ).choices(['tls', 'sasl_scram', 'iam', 'plaintext']),
    )
    .option('--dns-server <host[:port]>', 'ask this DNS server instead of the system resolver')
    .option('--ca <file>', "PEM CA bundle for the brokers' certificates")
    .option('--cert <file>', 'client certificate (mutual TLS)')
    .option('--key <file>', 'client key (mutual TLS)')
    .option('--sasl-username <name>', 'SASL/SCRAM user name')
    .option('--sasl-password-env <NAME>', 'environment variable holding the SASL/SCRAM password')
    .option(
      '--sasl-secret-arn <arn>',
      'with --in-vpc: a Secrets Manager secret holding {"username", "password"} (as MSK\'s SCRAM secrets), read by the function',
    )
    .option('--canary', 'produce and consume one message on a temporary topic (deleted afterwards)')
    .option(
      '--in-vpc',
      'with --config: run the probe inside the consumer VPC (a temporary Lambda function per AZ; docs/probe.md)',
    )
    .option('--all-consumers', 'with --in-vpc: probe from every consumer of the config')
    .option('--keep', "with --in-vpc: keep the probe's functions, role and security group for the next run")
    .option('--json', 'machine-readable output')
    .option('--timeout-ms <n>', 'deadline of each step per broker', parsePositiveInt, 3000)
    .action(async (o: ProbeFlags) => {
      setCode(await probeCommand(o, global(), io));
    });

  program
    .command('schema')
    .description("print the config file's JSON Schema")
    .option('--plan', "print the JSON Schema of plan --json's output instead")
    .action((o: { plan?: boolean }) => {
      setCode(schemaCommand(io, o));
    });

  // `state <subcommand>`: operations on the stack's state itself; each subcommand registers here.
  const state = program
    .command('state')
    .description("rebuild the stack's state from AWS (pull), or move it to S3 (push)");
  state
    .command('pull')
    .description(
      "rebuild the state from AWS: everything tagged with the stack in every account, pattern 2's ports",
    )
    .requiredOption('--config <file>', 'config file')
    .option('--json', 'machine-readable output')
    .action(async (o: { config: string; json?: boolean }) => {
      setCode(await statePullCommand(o, global(), io));
    });
  state
    .command('push')
    .description(
      'move a local state to the S3 backend the config names (state.backend: s3); keeps <file>.pushed',
    )
    .requiredOption('--config <file>', 'config file naming the S3 state (bucket, key)')
    .option('--from <file>', 'the local state file (default: state.path, else beside the config file)')
    .action(async (o: { config: string; from?: string }) => {
      setCode(await statePushCommand(o, global(), io));
    });

  program
    .command('force-unlock')
    .description("release the stack's state lock left by a run that died; prints who held it")
    .argument('[lock-id]', 'release only this lock (the id a refused run names)')
    .requiredOption('--config <file>', 'config file')
    .action(async (lockId: string | undefined, o: { config: string }) => {
      setCode(await forceUnlockCommand({ ...o, ...(lockId === undefined ? {} : { lockId }) }, global(), io));
    });

  addCompletionCommand(program, io);
  return program;
}

/**
 * Runs the CLI and returns the exit code. Every failure becomes one message on stderr and exit 1;
 * a stack trace only with --verbose.
 */
export async function main(argv: string[], ioIn?: Io): Promise<number> {
  const noColor = argv.includes('--no-color') || process.env.NO_COLOR !== undefined || !process.stdout.isTTY;
  const io = ioIn ?? processIo(!noColor);
  const verbose = argv.includes('--verbose');
  let code = 0;
  const program = cliProgram(io, (c) => {
    code = c;
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version print and exit 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 1;
    }
    if (e instanceof MplError) {
      io.err(`error [${e.code}]: ${e.describe()}\n`);
      if (verbose && e.stack) io.err(`${e.stack}\n`);
      return 1;
    }
    io.err(`error: internal: ${e instanceof Error ? e.message : String(e)}\n`);
    if (verbose && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return 1;
  }
}
