// The in-VPC probe: the Lambda function `probe --in-vpc` bundles (scripts/build-probe-lambda.mjs)
// and runs in a consumer VPC. It resolves names with the VPC's own resolver (the system one there),
// runs the same steps as the local probe and answers the same report. No AWS calls: the operator's
// side explains failures with Route 53 and EC2 reads afterwards.
import { systemResolver } from '../net.js';
import { probe } from '../run.js';
import type { ProbeReport, ProbeTarget } from '../types.js';
import { InVpcEvent } from './event.js';

export async function handler(event: unknown): Promise<ProbeReport> {
  const e = InVpcEvent.parse(event);
  const scram = e.scram;
  return probe(e.targets as ProbeTarget[], {
    resolver: systemResolver(e.timeoutMs),
    timeoutMs: e.timeoutMs,
    listener: e.listener,
    tls: {
      ...(e.tls.ca === undefined ? {} : { ca: [e.tls.ca] }),
      ...(e.tls.cert === undefined ? {} : { cert: e.tls.cert }),
      ...(e.tls.key === undefined ? {} : { key: e.tls.key }),
    },
    ...(scram
      ? {
          sasl: () =>
            Promise.resolve({
              mechanism: 'scram-sha-512' as const,
              username: scram.username,
              password: scram.password,
            }),
        }
      : {}),
    canary: e.canary,
    mode: 'config',
    consumer: e.consumer,
  });
}
