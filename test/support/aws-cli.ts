// The AWS CLI v1 (the awscli package pinned in test/bench/requirements.txt) for tests that run
// commands as a user would: installed when missing, and an `aws` on a folder to put first on PATH.
import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PYTHON = process.env.TWIN_PYTHON ?? 'python3';
const REQUIREMENTS = path.resolve(import.meta.dirname, '../bench/requirements.txt');

/** Installs the pinned AWS CLI when `python3 -m awscli` is missing. */
export async function ensureAwsCli(): Promise<void> {
  await run(PYTHON, ['-m', 'awscli', '--version']).catch(() =>
    run(PYTHON, ['-m', 'pip', 'install', '--quiet', '-r', REQUIREMENTS]),
  );
}

/** Writes `dir/aws`, which runs `python3 -m awscli`, so no PATH set-up of pip's scripts is needed. */
export async function awsCliIn(dir: string): Promise<void> {
  await ensureAwsCli();
  await writeFile(path.join(dir, 'aws'), `#!/bin/sh\nexec ${PYTHON} -m awscli "$@"\n`);
  await chmod(path.join(dir, 'aws'), 0o755);
}
