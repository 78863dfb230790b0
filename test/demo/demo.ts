/**
 * `npm run demo`: the whole job on the testbed, as a user would run it. Brings the testbed up
 * (AWS twin with a provider and two consumer accounts, a 3-broker Kafka cluster, the network
 * twin), then for patterns 1, 2 and 3: discover, plan, apply, probe (TLS verified, canary),
 * cost; destroys everything and brings the testbed down. Exit 0 only if every step worked.
 */
import { main } from '../../src/cli/main.js';
import { processIo } from '../../src/cli/io.js';
import { writeStackConfig } from '../support/e2e.js';
import { startTestbed, type Testbed } from '../testbed/testbed.js';

// The SDK's Node 22 notice is for maintainers; the versions are pinned.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const io = processIo(process.stdout.isTTY === true);
const failures: string[] = [];

async function step(title: string, argv: string[], expect: number[]): Promise<void> {
  io.out(`\n\u001b[1m$ msk-privatelink ${argv.join(' ')}\u001b[0m   # ${title}\n`);
  const t0 = Date.now();
  const code = await main(argv, io);
  const ok = expect.includes(code);
  io.out(
    `${ok ? 'ok' : 'FAILED'}: exit ${code} (expected ${expect.join(' or ')}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  if (!ok) failures.push(`${title}: exit ${code}`);
}

async function demo(tb: Testbed): Promise<void> {
  Object.assign(process.env, tb.env(), { MPL_POLL_INTERVAL_MS: '100', MPL_WAIT_TIMEOUT_MS: '60000' });
  await step('read the cluster from MSK', ['discover', '--cluster-arn', tb.clusterArn], [0]);
  for (const pattern of [1, 2, 3] as const) {
    // Pattern 2 as a user gets it: the planner's mode (msk-configuration: MSK restarts the brokers).
    const { file } = await writeStackConfig(tb, {
      name: `demo-p${pattern}`,
      pattern,
      ...(pattern === 2 ? { mode: 'default' as const } : {}),
    });
    io.out(`\n\u001b[1m=== pattern ${pattern}: config ${file} ===\u001b[0m\n`);
    await step(`plan pattern ${pattern}`, ['plan', '--config', file], [2]);
    await step(`apply pattern ${pattern}`, ['apply', '--config', file, '--auto-approve'], [0]);
    await step(`plan again: nothing to change`, ['plan', '--config', file], [0]);
    for (const [i, account] of tb.scenario.accounts.consumers.entries()) {
      const dns = tb.network.dnsByAccount[account] ?? tb.dns;
      await step(
        `probe every broker from consumer c${i + 1}'s VPC (its DNS), TLS verified, canary round trip`,
        [
          'probe',
          '--config',
          file,
          '--consumer',
          `c${i + 1}`,
          '--dns-server',
          `${dns.host}:${dns.port}`,
          '--ca',
          tb.caPath,
          '--canary',
        ],
        [0],
      );
    }
    await step(`cost of every option`, ['cost', '--config', file], [0]);
    await step(`destroy pattern ${pattern}`, ['destroy', '--config', file, '--auto-approve'], [0]);
  }
}

const t0 = Date.now();
io.out('Starting the testbed (AWS twin, Kafka 3.9 cluster, network twin) on loopback...\n');
const tb = await startTestbed();
io.out(`testbed up in ${(tb.startupMs / 1000).toFixed(1)} s\n`);
try {
  await demo(tb);
} catch (e) {
  failures.push(`demo: ${e instanceof Error ? e.message : String(e)}`);
} finally {
  await tb.stop();
}
io.out(
  `\n${failures.length === 0 ? 'Demo complete: every step worked' : `Demo FAILED: ${failures.join('; ')}`} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
);
process.exitCode = failures.length === 0 ? 0 : 1;
