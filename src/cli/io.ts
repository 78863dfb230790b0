/** Where a command writes; injected so tests run commands in-process and read what they print. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
}

export function processIo(color: boolean): Io {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    color,
  };
}

/** Global options every command accepts (CONTRACT.md). */
export interface GlobalOptions {
  region?: string;
  profile?: string;
  color: boolean;
  verbose: boolean;
}
