import { readFile } from 'node:fs/promises';
import type tls from 'node:tls';
import type { ListenerType } from '../config/schema.js';
import { InputError } from '../errors.js';
import { endpointStatus, recordStatus } from '../probe/aws.js';
import { brokersFromMetadata } from '../probe/kafka.js';
import { serverResolver, systemResolver, messageOf, type NameResolver } from '../probe/net.js';
import { probe as runTargets, type ProbeOptions } from '../probe/run.js';
import { saslFor } from '../probe/sasl.js';
import {
  listenerForPort,
  parseBootstrap,
  pickConsumer,
  pickListener,
  targetsFromState,
} from '../probe/targets.js';
import type { ProbeReport, ProbeTarget } from '../probe/types.js';
import { withStack, type StackOptions } from './stack.js';

/** What to probe and how (the `probe` command's flags). */
export interface ProbeRequest {
  config?: string;
  bootstrap?: string;
  consumer?: string;
  listener?: ListenerType;
  dnsServer?: string;
  ca?: string;
  cert?: string;
  key?: string;
  saslUsername?: string;
  saslPasswordEnv?: string;
  canary?: boolean;
  json?: boolean;
  timeoutMs: number;
}

async function readPem(flag: string, file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError(flag, `cannot read ${file}: ${messageOf(e)}`);
  }
}

async function tlsOptions(f: ProbeRequest): Promise<tls.ConnectionOptions> {
  const [ca, cert, key] = await Promise.all([
    readPem('--ca', f.ca),
    readPem('--cert', f.cert),
    readPem('--key', f.key),
  ]);
  if ((cert === undefined) !== (key === undefined))
    throw new InputError('--cert/--key', 'give both for mutual TLS');
  return {
    ...(ca === undefined ? {} : { ca: [ca] }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

function resolverFor(f: ProbeRequest): NameResolver {
  if (f.dnsServer === undefined) return systemResolver(f.timeoutMs);
  try {
    return serverResolver(f.dnsServer, f.timeoutMs);
  } catch (e) {
    throw new InputError('--dns-server', messageOf(e));
  }
}

/**
 * Every broker through its own DNS name: DNS, TCP, TLS (hostname verified), auth, Kafka metadata,
 * optionally a canary round trip. With `config`, targets, endpoints and ports come from the stack's state.
 */
export async function probe(
  f: ProbeRequest,
  global: Pick<StackOptions, 'region' | 'profile' | 'reporter' | 'configFor'> = {},
): Promise<ProbeReport> {
  if ((f.config === undefined) === (f.bootstrap === undefined))
    throw new InputError('probe', 'give exactly one of --config FILE or --bootstrap HOST:PORT[,...]');
  const resolver = resolverFor(f);
  const tlsOpts = await tlsOptions(f);
  const base = {
    resolver,
    timeoutMs: f.timeoutMs,
    tls: tlsOpts,
    canary: f.canary === true,
  };
  if (f.config !== undefined) {
    return withStack(f.config, global, (stack) => {
      const consumer = pickConsumer(stack.config, f.consumer);
      const listener = pickListener(stack.config, f.listener);
      const sasl = saslFor(listener, {
        ...f,
        region: global.region ?? stack.config.region,
        ...(global.profile === undefined ? {} : { profile: global.profile }),
      });
      const targets = targetsFromState(
        stack.config,
        stack.inventory,
        stack.store.state,
        consumer.name,
        listener,
      );
      const opts: ProbeOptions = {
        ...base,
        listener,
        mode: 'config',
        consumer: consumer.name,
        ...(sasl ? { sasl } : {}),
        endpointState: (ep) =>
          endpointStatus(stack.pool.for(ep.account, ep.region).ec2, stack.config.name, ep),
        recordState: (t) =>
          t.zone
            ? recordStatus(stack.pool.for(t.zone.account, stack.config.region).route53, t)
            : Promise.resolve(undefined),
      };
      return runTargets(targets, opts);
    });
  }
  const firstPort = parseBootstrap(f.bootstrap as string, 'tls')[0]?.port ?? 9094;
  const listener = f.listener ?? listenerForPort(firstPort);
  const seeds = parseBootstrap(f.bootstrap as string, listener);
  const sasl = saslFor(listener, {
    ...f,
    ...(global.region === undefined ? {} : { region: global.region }),
    ...(global.profile === undefined ? {} : { profile: global.profile }),
  });
  const opts: ProbeOptions = {
    ...base,
    listener,
    mode: 'bootstrap',
    ...(sasl ? { sasl } : {}),
    canarySeeds: seeds.map((s) => `${s.host}:${s.port}`),
  };
  let targets: ProbeTarget[];
  try {
    const listed = await brokersFromMetadata(
      seeds.map((s) => `${s.host}:${s.port}`),
      {
        resolver,
        ssl: listener === 'plaintext' ? false : tlsOpts,
        ...(sasl ? { sasl: await sasl() } : {}),
        timeoutMs: f.timeoutMs,
      },
    );
    targets = listed.map((b) => ({
      id: b.nodeId,
      host: b.host.toLowerCase(),
      port: b.port,
      advertised: { host: b.host.toLowerCase(), port: b.port },
    }));
  } catch {
    // No metadata through the bootstrap list: probe the entries themselves, so the report names the
    // step that fails (a name that does not resolve, a TLS name mismatch ...).
    targets = seeds.map((s) => ({ id: null, host: s.host, port: s.port }));
  }
  return runTargets(targets, opts);
}
