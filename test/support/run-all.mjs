// `npm run test:all`: the whole mocha suite in two lanes at once, so CI fits its budget on two cores.
// Lane "testbed": e2e and the integration tests that use the shared testbed (Kafka on 127.0.2.x,
// endpoints on 127.0.1.x); its files run one after another, as they must. Lane "twins": unit tests
// and the integration tests listed below (an AWS twin on a free port, or a private testbed on
// prefixes of their own); a new file goes to the testbed lane unless it is added here. The twins lane's output is kept and
// printed after the testbed lane's; the last line sums both, in the form CI reads.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE = path.join(ROOT, '.cache');
const list = (dir) =>
  readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join(dir, f))
    .sort();

// Integration tests that start only an AWS twin on a free port, or their own private testbed on
// loopback prefixes no test of the other lane uses (docs/testing.md, Addresses): they may run beside
// the shared testbed. Within this lane files still run one after another (some share prefixes).
// aws-twin-msk-connectivity stays in the testbed lane: its Kafka-timed steps (a VPC connection
// turning AVAILABLE, metadata right after start) failed there under the other lane's load.
const TWINS_ONLY = new Set(
  [
    'aws-twin-crash',
    'aws-twin-lambda',
    'aws-twin-listener-attributes',
    'aws-twin-scheduler',
    'aws-twin-secrets',
    'iam-least-privilege',
    'crash-every-call',
    'kafka-cluster-kraft',
    'network-twin',
    'network-twin-accounts',
    'network-twin-cross-region',
    'network-twin-nlb',
    'network-twin-nlb-tls',
    'network-twin-resources',
    'aws-twin-msk-config',
    'aws-twin-nlb-security-groups',
    'aws-twin-pricing',
    'aws-twin-resources',
    'aws-twin',
    'cost-html-chromium',
    'cost-live-prices',
    'discovery',
    'engine-retry',
    'export-cloudformation',
    'export-terraform',
    'consumer-removed',
    'export-runbook-commands',
    'fuzz-files',
    'handlers-cluster-configuration',
    'handlers-dns',
    'handlers-elbv2',
    'handlers-endpoints',
    'handlers-monitor',
    'handlers-resources',
    'handlers-sg',
    'library',
    'price-snapshot-script',
    'refresh-batch',
    'scan',
    'state-lock-race',
    'state-push',
    'state-s3',
  ].map((n) => path.join('test/integration', `${n}.test.ts`)),
);

const integration = list('test/integration');
const lanes = {
  twins: [...list('test/unit'), ...integration.filter((f) => TWINS_ONLY.has(f))],
  testbed: [...integration.filter((f) => !TWINS_ONLY.has(f)), ...list('test/e2e')],
};

mkdirSync(CACHE, { recursive: true });
// A lane that dies before its reporter writes must not be counted from an earlier run.
for (const lane of Object.keys(lanes))
  for (const f of [`test-summary-${lane}.txt`, `test-times-${lane}.txt`])
    rmSync(path.join(CACHE, f), { force: true });
function run(lane, files, out) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/mocha/bin/mocha.js'), ...files], {
      cwd: ROOT,
      env: { ...process.env, MPL_TEST_LANE: lane },
      stdio: ['ignore', out === 'inherit' ? 'inherit' : 'pipe', out === 'inherit' ? 'inherit' : 'pipe'],
    });
    const chunks = [];
    child.stdout?.on('data', (d) => chunks.push(d));
    child.stderr?.on('data', (d) => chunks.push(d));
    child.on('close', (code) => resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString() }));
  });
}

const t0 = Date.now();
const twins = run('twins', lanes.twins, 'pipe');
const testbed = await run('testbed', lanes.testbed, 'inherit');
const twinsDone = await twins;
process.stdout.write(
  `\n---- lane "twins" (unit and AWS-twin integration tests, run beside the above) ----\n`,
);
process.stdout.write(twinsDone.output);

const counts = { passed: 0, failed: 0, skipped: 0 };
const times = [];
for (const lane of ['twins', 'testbed']) {
  const read = (f) => {
    try {
      return readFileSync(path.join(CACHE, f), 'utf8');
    } catch {
      return '';
    }
  };
  const m = /^(\d+) passed, (\d+) failed, (\d+) skipped/m.exec(read(`test-summary-${lane}.txt`));
  if (m) {
    counts.passed += Number(m[1]);
    counts.failed += Number(m[2]);
    counts.skipped += Number(m[3]);
  } else counts.failed += 1;
  times.push(...read(`test-times-${lane}.txt`).split('\n').filter(Boolean));
}
times.sort((a, b) => parseFloat(b) - parseFloat(a));
writeFileSync(path.join(CACHE, 'test-times.txt'), `${times.join('\n')}\n`);
const line = `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
writeFileSync(path.join(CACHE, 'test-summary.txt'), `${line}\n`);
process.stdout.write(`\nboth lanes: ${((Date.now() - t0) / 1000).toFixed(0)} s\n${line}\n`);
process.exit(testbed.code !== 0 || twinsDone.code !== 0 ? 1 : 0);
