// What testbed:up leaves under its state directory (.testbed/ by default), shared by the
// CLI and the daemon.
import path from 'node:path';

/** Files under the state directory (shared with cli.ts). */
export function stateFiles(dir: string) {
  return {
    daemonPid: path.join(dir, 'daemon.pid'),
    pids: path.join(dir, 'pids'),
    env: path.join(dir, 'env'),
    ready: path.join(dir, 'ready.json'),
    error: path.join(dir, 'error.txt'),
    log: path.join(dir, 'daemon.log'),
    awsLog: path.join(dir, 'aws.log'),
  };
}

export function envLines(env: Record<string, string>): string {
  const quote = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${quote(v)}`)
    .join('\n');
}

/** Variables .testbed/env holds but `testbed:up` does not print (source the file for them). */
export const SECRET_ENV = ['TESTBED_SCRAM_PASSWORD'];

/** envLines' text with the secrets' values masked, for the terminal. */
export function maskSecrets(envText: string): string {
  return envText.replace(
    new RegExp(`^(export (?:${SECRET_ENV.join('|')})=).*$`, 'gm'),
    (_, head: string) => `${head}'***'  # in the env file`,
  );
}
