// Runs one Lambda invocation for the AWS twin (twin_lambda.py) in a plain Node process, in the
// shape of the Node.js managed runtime: imports the handler named by `<file>.<export>` from the
// unzipped package (the current directory), calls it with the event and a context object, and
// writes the result (or Lambda's error object) on stdout behind a marker only the twin knows.
//
// Environment read here and removed before the handler's module loads (the function never sees
// them): TWIN_RESULT_MARKER, TWIN_HANDLER, TWIN_EVENT_FILE, TWIN_TIMEOUT_MS, TWIN_VPC_DNS.
// TWIN_VPC_DNS ("127.0.0.1:53535") is the DNS server that answers inside the function's VPC:
// dns.lookup / dns.promises.lookup (what net and tls connect use) and the default resolvers
// are pointed at it, as the VPC's resolver is the only one a VPC function can reach.
import dns from 'node:dns';
import { readFileSync, existsSync, writeSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout } from 'node:timers';
import { format } from 'node:util';

const env = process.env;
const marker = env.TWIN_RESULT_MARKER ?? '';
const handlerSetting = env.TWIN_HANDLER ?? 'index.handler';
const event = JSON.parse(readFileSync(env.TWIN_EVENT_FILE ?? '/dev/null', 'utf8') || '{}');
const timeoutMs = Number(env.TWIN_TIMEOUT_MS ?? 3000);
const vpcDns = env.TWIN_VPC_DNS ?? '';
const requestId = env.TWIN_REQUEST_ID ?? '00000000-0000-0000-0000-000000000000';
for (const key of [
  'TWIN_RESULT_MARKER',
  'TWIN_HANDLER',
  'TWIN_EVENT_FILE',
  'TWIN_TIMEOUT_MS',
  'TWIN_VPC_DNS',
  'TWIN_REQUEST_ID',
]) {
  delete env[key];
}

let finished = false;
function finish(result) {
  if (finished) return;
  finished = true;
  // Pipes are written synchronously on Linux; exit at once as Lambda freezes the sandbox.
  writeSync(1, `\n${marker}${JSON.stringify(result)}\n`);
  process.exit(0);
}

function errorObject(err, fallbackType = 'Error') {
  if (err instanceof Error) {
    return {
      errorType: err.name && err.name !== 'Error' ? err.name : (err.constructor?.name ?? fallbackType),
      errorMessage: err.message,
      trace: String(err.stack ?? '').split('\n'),
    };
  }
  return {
    errorType: typeof err === 'string' ? 'string' : fallbackType,
    errorMessage: String(err),
    trace: [],
  };
}

// Lambda's Node.js runtime writes console output as "<ISO time>\t<request id>\t<LEVEL>\t<message>".
for (const [method, level] of [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['warn', 'WARN'],
  ['error', 'ERROR'],
  ['debug', 'DEBUG'],
  ['trace', 'TRACE'],
]) {
  console[method] = (...args) => {
    writeSync(1, `${new Date().toISOString()}\t${requestId}\t${level}\t${format(...args)}\n`);
  };
}

if (vpcDns) {
  const resolver = new dns.promises.Resolver();
  resolver.setServers([vpcDns]);
  const originalLookup = dns.lookup;
  const originalPromisesLookup = dns.promises.lookup;

  const notFound = (hostname, cause) => {
    const err = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
    err.code = 'ENOTFOUND';
    err.errno = -3008;
    err.syscall = 'getaddrinfo';
    err.hostname = hostname;
    if (cause) err.cause = cause;
    return err;
  };

  // Answers as getaddrinfo would: [{ address, family }], A records first (AAAA only when asked).
  const vpcAddresses = async (hostname, family) => {
    const out = [];
    let lastErr;
    if (family === 0 || family === 4) {
      try {
        for (const address of await resolver.resolve4(hostname)) out.push({ address, family: 4 });
      } catch (err) {
        lastErr = err;
      }
    }
    if (family === 6 || (family === 0 && out.length === 0)) {
      try {
        for (const address of await resolver.resolve6(hostname)) out.push({ address, family: 6 });
      } catch (err) {
        lastErr = err;
      }
    }
    if (out.length === 0) throw notFound(hostname, lastErr);
    return out;
  };

  const normalise = (options) => {
    if (typeof options === 'number') return { family: options, all: false };
    const o = options ?? {};
    const family = o.family === 'IPv4' ? 4 : o.family === 'IPv6' ? 6 : Number(o.family ?? 0);
    return { family, all: Boolean(o.all) };
  };
  const passThrough = (hostname) =>
    typeof hostname !== 'string' ||
    isIP(hostname) !== 0 ||
    hostname.toLowerCase() === 'localhost' ||
    hostname === '';

  const lookup = function (hostname, options, callback) {
    if (typeof options === 'function') {
      callback = options;
      options = {};
    }
    if (passThrough(hostname)) return originalLookup.call(this, hostname, options, callback);
    const { family, all } = normalise(options);
    vpcAddresses(hostname, family).then(
      (list) => (all ? callback(null, list) : callback(null, list[0].address, list[0].family)),
      (err) => callback(err),
    );
    return {};
  };
  const promisesLookup = async function (hostname, options) {
    if (passThrough(hostname)) return originalPromisesLookup.call(this, hostname, options);
    const { family, all } = normalise(options);
    const list = await vpcAddresses(hostname, family);
    return all ? list : list[0];
  };
  dns.lookup = lookup;
  dns.promises.lookup = promisesLookup;
  dns.setServers([vpcDns]);
  dns.promises.setServers([vpcDns]);
  // ESM named imports of node:dns and node:dns/promises see the replacements too.
  syncBuiltinESMExports();
}

const lastDot = handlerSetting.lastIndexOf('.');
const modulePath = handlerSetting.slice(0, lastDot);
const exportName = handlerSetting.slice(lastDot + 1);
const root = process.cwd();
const file = ['.mjs', '.js', '.cjs']
  .map((ext) => resolve(join(root, `${modulePath}${ext}`)))
  .find((candidate) => existsSync(candidate));

const started = Date.now();
const context = {
  functionName: env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
  invokedFunctionArn: env.TWIN_INVOKED_ARN,
  memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: requestId,
  logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
  succeed: (value) => finish({ ok: true, value }),
  fail: (err) => finish({ ok: false, error: errorObject(err) }),
  done: (err, value) => (err ? context.fail(err) : context.succeed(value)),
};
delete env.TWIN_INVOKED_ARN;

// The function's own timeout (the twin kills the process a little later as a backstop).
setTimeout(() => finish({ ok: false, timedOut: true }), timeoutMs);
process.on('uncaughtException', (err) => finish({ ok: false, error: errorObject(err) }));
process.on('unhandledRejection', (err) => finish({ ok: false, error: errorObject(err) }));

let mod;
try {
  if (!file) {
    const err = new Error(`Cannot find module '${modulePath}'`);
    err.name = 'Runtime.ImportModuleError';
    throw err;
  }
  mod = await import(pathToFileURL(file).href);
} catch (err) {
  const out = errorObject(err);
  out.errorType = 'Runtime.ImportModuleError';
  out.errorMessage = `Error: ${err?.message ?? err}`;
  finish({ ok: false, error: out });
}
const handler = mod?.[exportName] ?? mod?.default?.[exportName];
if (typeof handler !== 'function') {
  finish({
    ok: false,
    error: {
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: `${handlerSetting} is undefined or not exported`,
      trace: [],
    },
  });
}
try {
  const value = await new Promise((resolvePromise, reject) => {
    const callback = (err, result) => (err ? reject(err) : resolvePromise(result));
    const returned = handler(event, context, callback);
    if (returned && typeof returned.then === 'function') returned.then(resolvePromise, reject);
    // The Node.js runtime ignores a non-promise return value: the answer is null unless the
    // handler takes a callback and calls it.
    else if (handler.length < 3) resolvePromise(null);
  });
  finish({ ok: true, value: value === undefined ? null : value });
} catch (err) {
  finish({ ok: false, error: errorObject(err) });
}
