#!/usr/bin/env node
// Runs the compiled CLI; `npm install` builds dist/ through the prepare script.
// The SDK versions are pinned in package-lock.json and work on Node 20 (engines says >=20.19); its
// notice that later releases need Node 22 is for maintainers, not for every CLI run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// A reader that stops early (`| head -1`) closes the pipe and the next write fails with EPIPE: the
// rest of the output is dropped (src/cli/io.ts stops writing), no stack trace, and the run exits 0
// unless the command failed. The failed write is reported after it returns, so the exit code is
// settled at exit.
let stdoutClosed = false;
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
  stdoutClosed = true;
});
process.on('exit', () => {
  if (stdoutClosed && process.exitCode === 2) process.exitCode = 0;
});

const { main } = await import('../dist/cli/main.js');

process.exitCode = await main(process.argv.slice(2));
