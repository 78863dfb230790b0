#!/usr/bin/env node
// Runs the compiled CLI; `npm install` builds dist/ through the prepare script.
// The SDK versions are pinned in package-lock.json and work on Node 20 (engines says >=20.19); its
// notice that later releases need Node 22 is for maintainers, not for every CLI run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/cli/main.js');

process.exitCode = await main(process.argv.slice(2));
