// The probe's deployment package that `npm run build` makes (scripts/build-probe-lambda.mjs): one
// zip for `probe --in-vpc` (handler index.handler) and `monitor` (index.monitor).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MplError } from '../../errors.js';

/** The zip's path: dist/probe-lambda.zip from dist/probe/in-vpc/ and from src/probe/in-vpc/ (tsx). */
export function bundlePath(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [
    path.resolve(here, '../../probe-lambda.zip'),
    path.resolve(here, '../../../dist/probe-lambda.zip'),
  ].find((f) => existsSync(f));
}

export async function probeBundle(): Promise<Uint8Array> {
  const file = bundlePath();
  if (file === undefined)
    throw new MplError('PROBE_BUNDLE_MISSING', 'the in-VPC probe bundle dist/probe-lambda.zip is missing', {
      detail: 'run `npm run build` (it bundles the probe with esbuild)',
    });
  return new Uint8Array(await readFile(file));
}

/** Base64 SHA-256 of a package: what Lambda reports as CodeSha256 (Lambda API reference, FunctionConfiguration). */
export function bundleSha256(zip: Uint8Array): string {
  return createHash('sha256').update(zip).digest('base64');
}
