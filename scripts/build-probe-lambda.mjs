// Bundles the in-VPC probe (src/probe/in-vpc/handler.ts) into one CommonJS file for AWS Lambda's
// Node.js 20 runtime and zips it: dist/probe-lambda.zip, holding index.js (handler `index.handler`).
// Fails when the zip is 5 MB or more (the tool uploads it inline with CreateFunction: Lambda's
// limit for a direct upload is 50 MB zipped, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html;
// this project keeps it far smaller so a probe starts fast).
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { zipSync } from 'fflate';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist');
const LIMIT = 5 * 1024 * 1024;

const result = await build({
  entryPoints: [path.join(ROOT, 'src/probe/in-vpc/handler.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  // The Node.js runtime provides the AWS SDK for JavaScript v3 (AWS Lambda developer guide,
  // "Building Lambda functions with Node.js"): `monitor` imports CloudWatch from it.
  external: ['@aws-sdk/*'],
  write: false,
  logLevel: 'warning',
});
const code = result.outputFiles[0]?.contents;
if (!code) throw new Error('esbuild produced no output');
mkdirSync(OUT, { recursive: true });
// A fixed timestamp keeps the zip byte-identical across builds of the same code.
const zip = zipSync({ 'index.js': [code, { mtime: new Date('2026-01-01T00:00:00Z'), level: 9 }] });
const file = path.join(OUT, 'probe-lambda.zip');
writeFileSync(file, zip);
const size = statSync(file).size;
console.log(
  `probe-lambda.zip: ${(size / 1024).toFixed(1)} KiB zipped (${(code.length / 1024).toFixed(1)} KiB bundled), limit ${LIMIT / 1024 / 1024} MB`,
);
if (size >= LIMIT) {
  console.error(`probe-lambda.zip is ${size} bytes, at or above the ${LIMIT}-byte limit`);
  process.exit(1);
}
