import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MplError } from '../errors.js';

/** Where a command writes; injected so tests run commands in-process and read what they print. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
  /** Width of the terminal, for tables and wrapped notes; undefined when not a terminal. */
  columns?: number;
}

let stdoutClosed = false;
let guarded = false;

/**
 * A reader that stops early (`| head -1`) closes the pipe: the next write fails with EPIPE. From
 * then on what is left to print is dropped, with no 'error' event crashing the run (the command
 * itself goes on, so an apply is not cut off half way). Installed once per process.
 */
function guardPipes(): void {
  if (guarded) return;
  guarded = true;
  const onError =
    (closes: boolean) =>
    (e: NodeJS.ErrnoException): void => {
      if (e.code !== 'EPIPE') throw e;
      if (closes) stdoutClosed = true;
    };
  process.stdout.on('error', onError(true));
  process.stderr.on('error', onError(false));
}

/** True once stdout's reader went away: nothing more is written there. */
export function isStdoutClosed(): boolean {
  return stdoutClosed || process.stdout.destroyed;
}

export function processIo(color: boolean): Io {
  guardPipes();
  return {
    out: (t) => {
      if (!isStdoutClosed()) process.stdout.write(t);
    },
    err: (t) => {
      if (!process.stderr.destroyed) process.stderr.write(t);
    },
    color,
    // Read at each use: the terminal may be resized while a long command runs.
    get columns() {
      return process.stdout.columns;
    },
  };
}

/** Why a file could not be written, in words, from the errno code. */
function writeProblem(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `the directory ${path.dirname(file)} does not exist`;
    case 'ENOTDIR':
      return `a part of ${path.dirname(file)} is a file, not a directory`;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/** The error writeOutputFile throws (exported for tests of the errno cases a test cannot provoke). */
export function outputNotWritable(flag: string, file: string, e: unknown): MplError {
  return new MplError('OUTPUT_NOT_WRITABLE', `cannot write ${file}: ${writeProblem(file, e)}`, {
    where: flag,
    cause: e,
  });
}

/**
 * Writes a command's output file (`--out <file>`); a failure is one MplError naming the flag, the
 * file and the reason (no directory, permission denied, a directory), never a bare ENOENT.
 */
export async function writeOutputFile(flag: string, file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (e) {
    throw outputNotWritable(flag, file, e);
  }
}

// ---------------------------------------------------------------- layout to a terminal width
// Shared by the renderers that print tables (src/cost/render.ts, src/probe/shape.ts).

/** Global options every command accepts (README, "Commands"). */
export interface GlobalOptions {
  region?: string;
  profile?: string;
  color: boolean;
  verbose: boolean;
}
