/**
 * Client-side token buckets per account, region and API family, sized to AWS's published
 * throttling buckets (EC2: https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html,
 * Route 53: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html,
 * ELB: https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html).
 * Large plans then wait for tokens instead of throttling themselves into the SDK's retry quota.
 */
export interface Bucket {
  burst: number;
  perSecond: number;
}

export const BUCKETS: Record<string, Bucket> = {
  'ec2:endpoint': { burst: 4, perSecond: 0.3 },
  'ec2:endpoint-service': { burst: 10, perSecond: 1 },
  'ec2:mutate': { burst: 50, perSecond: 5 },
  'ec2:describe': { burst: 100, perSecond: 20 },
  'elbv2:describe': { burst: 40, perSecond: 10 },
  // ELBv2 mutating calls: no per-action figure is taken from the ELB page above; the describe rate is used.
  'elbv2:mutate': { burst: 40, perSecond: 10 },
  // Route 53 since 2026-07-30: 50 burst, 10 a second per account, GetChange included ("Throttling for
  // Amazon Route 53 API requests", Route 53 developer guide; it was 5 a second before).
  'route53:all': { burst: 50, perSecond: 10 },
  // MSK, SSM, STS, S3: no published bucket that a plan comes near; a generous default.
  other: { burst: 50, perSecond: 20 },
};

const ENDPOINT_CALLS = new Set(['CreateVpcEndpoint', 'DeleteVpcEndpoints', 'ModifyVpcEndpoint']);
const SERVICE_CALLS = new Set([
  'CreateVpcEndpointServiceConfiguration',
  'DeleteVpcEndpointServiceConfigurations',
  'ModifyVpcEndpointServiceConfiguration',
  'ModifyVpcEndpointServicePermissions',
  'AcceptVpcEndpointConnections',
  'RejectVpcEndpointConnections',
]);

/** The bucket family of an API call. `command` is the SDK command name without "Command". */
export function familyOf(service: string, command: string): string {
  if (service === 'ec2') {
    if (ENDPOINT_CALLS.has(command)) return 'ec2:endpoint';
    if (SERVICE_CALLS.has(command)) return 'ec2:endpoint-service';
    return command.startsWith('Describe') ? 'ec2:describe' : 'ec2:mutate';
  }
  if (service === 'elbv2') return command.startsWith('Describe') ? 'elbv2:describe' : 'elbv2:mutate';
  if (service === 'route53') return 'route53:all';
  return 'other';
}

/**
 * The buckets in a time scaled by `factor` (seconds here per AWS second): refill divided by it, so a
 * benchmark against an AWS twin running AWS's timings `factor` times faster sees the same limits.
 */
export function scaledBuckets(
  factor: number,
  buckets: Record<string, Bucket> = BUCKETS,
): Record<string, Bucket> {
  if (factor === 1) return buckets;
  return Object.fromEntries(
    Object.entries(buckets).map(([family, b]) => [
      family,
      { burst: b.burst, perSecond: b.perSecond / factor },
    ]),
  );
}

/**
 * The client aims a little under AWS's figures: it counts a token when a call leaves, AWS when the
 * call arrives, and calls that leave together arrive spread by their latency, so a bucket kept at
 * exactly AWS's rate still sees bursts over it (3% of calls throttled at 30 brokers x 5 consumers).
 */
export const HEADROOM = 0.9;

export function withHeadroom(
  buckets: Record<string, Bucket> = BUCKETS,
  h = HEADROOM,
): Record<string, Bucket> {
  return Object.fromEntries(
    Object.entries(buckets).map(([family, b]) => [
      family,
      { burst: Math.max(1, Math.floor(b.burst * h)), perSecond: b.perSecond * h },
    ]),
  );
}

export class RateLimiter {
  private readonly state = new Map<
    string,
    { tokens: number; at: number; queue: Promise<void>; waiting: number }
  >();

  constructor(
    private readonly buckets: Record<string, Bucket> = BUCKETS,
    private readonly now: () => number = () => Date.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** True when a call of `family` in `scope` would wait for its token (others queue, or none is left). */
  wouldWait(scope: string, family: string): boolean {
    const bucket = this.buckets[family] ?? (this.buckets.other as Bucket);
    const s = this.state.get(`${scope}|${family}`);
    if (!s) return false;
    const tokens = Math.min(bucket.burst, s.tokens + ((this.now() - s.at) / 1000) * bucket.perSecond);
    return s.waiting > 0 || tokens < 1;
  }

  /** Waits for a token of `family` in `scope` (account/region). Calls are served in arrival order. */
  take(scope: string, family: string): Promise<void> {
    const bucket = this.buckets[family] ?? (this.buckets.other as Bucket);
    const key = `${scope}|${family}`;
    let s = this.state.get(key);
    if (!s) {
      s = { tokens: bucket.burst, at: this.now(), queue: Promise.resolve(), waiting: 0 };
      this.state.set(key, s);
    }
    const entry = s;
    entry.waiting++;
    const turn = entry.queue.then(async () => {
      for (;;) {
        const t = this.now();
        entry.tokens = Math.min(bucket.burst, entry.tokens + ((t - entry.at) / 1000) * bucket.perSecond);
        entry.at = t;
        if (entry.tokens >= 1) {
          entry.tokens -= 1;
          entry.waiting--;
          return;
        }
        await this.sleep(Math.ceil(((1 - entry.tokens) / bucket.perSecond) * 1000));
      }
    });
    entry.queue = turn.catch(() => undefined);
    return turn;
  }
}
