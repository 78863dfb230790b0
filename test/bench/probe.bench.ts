/**
 * `npm run bench:probe`: the probe's wall time for 3 brokers and for 30, side by side in one run.
 * The testbed has 3 real brokers, so "30" is 30 broker probes in one run: each of the 3 brokers'
 * targets ten times over, every one doing its own DNS query, TCP connect through the endpoint
 * proxy, TLS handshake with hostname verification and Kafka metadata request. Brokers are probed in
 * parallel, so the ratio shows how far the probe is from linear (10x would be serial).
 */
import { loadConfig } from '../../src/config/load.js';
import { withStack } from '../../src/ops/stack.js';
import { serverResolver } from '../../src/probe/net.js';
import { probe, type ProbeOptions } from '../../src/probe/run.js';
import { targetsFromState } from '../../src/probe/targets.js';
import type { ProbeTarget } from '../../src/probe/types.js';
import { cli, writeStackConfig } from '../support/e2e.js';
import { startTestbed } from '../testbed/testbed.js';

// The SDK's Node 22 notice is for maintainers; the versions are pinned.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const RUNS = 7;

const tb = await startTestbed();
let exit = 0;
try {
  const { file } = await writeStackConfig(tb, { name: 'bench-probe', pattern: 1 });
  const applied = await cli(tb, ['apply', '--config', file, '--auto-approve']);
  if (applied.code !== 0) throw new Error(`apply failed: ${applied.err}`);
  Object.assign(process.env, tb.env());
  const config = await loadConfig(file);
  const base = await withStack(file, {}, (stack) =>
    Promise.resolve(targetsFromState(config, stack.inventory, stack.store.state, 'c1', 'tls')),
  );
  const dns = tb.network.dnsByAccount[tb.scenario.accounts.consumers[0] as string] ?? tb.dns;
  const opts: ProbeOptions = {
    resolver: serverResolver(`${dns.host}:${dns.port}`, 3000),
    timeoutMs: 3000,
    listener: 'tls',
    tls: { ca: [tb.caPem] },
    canary: false,
    mode: 'config',
    consumer: 'c1',
  };
  const time = async (targets: ProbeTarget[]) => {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const report = await probe(targets, opts);
      times.push(performance.now() - t0);
      if (!report.ok) throw new Error(`probe failed: ${JSON.stringify(report.brokers.find((b) => b.error))}`);
    }
    return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)] as number;
  };
  await time(base); // warm-up: connections, TLS session setup, JIT
  const thirty = Array.from({ length: 10 }, () => base).flat();
  const t3 = await time(base);
  const t30 = await time(thirty);
  console.log(
    `\nprobe through the testbed (median of ${RUNS} runs, DNS + TCP + TLS + Kafka metadata per broker)`,
  );
  console.log(`  3 brokers:  ${t3.toFixed(0)} ms`);
  console.log(` 30 brokers:  ${t30.toFixed(0)} ms  (the 3 real brokers x 10)`);
  console.log(
    `  ratio 30/3: ${(t30 / t3).toFixed(2)}  (10.00 would be serial; parallel probing keeps it low)`,
  );
  await cli(tb, ['destroy', '--config', file, '--auto-approve']);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  exit = 1;
} finally {
  await tb.stop();
}
process.exitCode = exit;
