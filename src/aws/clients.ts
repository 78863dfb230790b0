import { ACMClient } from '@aws-sdk/client-acm';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RAMClient } from '@aws-sdk/client-ram';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { currentStepId, waitIdle } from './idle.js';
import { familyOf, RateLimiter, scaledBuckets, withHeadroom } from './rate-limit.js';

export interface AccountClients {
  account: string;
  region: string;
  ec2: EC2Client;
  elbv2: ElasticLoadBalancingV2Client;
  route53: Route53Client;
  ssm: SSMClient;
  kafka: KafkaClient;
  s3: S3Client;
  /** VPC Lattice: resource gateways and resource configurations (pattern 3). */
  lattice: VPCLatticeClient;
  /** AWS RAM: the share of pattern 3's resource configuration with the consumer accounts. */
  ram: RAMClient;
  /** Lambda and IAM: the in-VPC probe's temporary function and its execution role. */
  lambda: LambdaClient;
  iam: IAMClient;
  /** EventBridge Scheduler and CloudWatch: `monitor`'s schedules, metrics and alarms. */
  scheduler: SchedulerClient;
  cloudwatch: CloudWatchClient;
  /** ACM: pattern 2's custom-domain certificate, checked before its TLS listeners are made. */
  acm: ACMClient;
  /** Secrets Manager: the in-VPC probe's temporary SCRAM secret (--sasl-password-env). */
  secrets: SecretsManagerClient;
}

export interface ClientPoolOptions {
  /** Role to assume per account; absent: the default credential chain acts in that account. */
  roleArns: Record<string, string | undefined>;
  profile?: string;
  /** SDK attempts per call (standard retry mode: full-jitter backoff, 500 ms base when throttled). */
  maxAttempts?: number;
  limiter?: RateLimiter;
  /**
   * Seconds here per AWS second (default 1): the rate limiter's refill is scaled by it, for
   * benchmarks against an AWS twin that runs AWS's timings faster.
   */
  timeFactor?: number;
  /** Overrides per account (tests: the emulator's endpoint and static keys); the SDK's defaults otherwise. */
  configFor?: (
    account: string,
    region: string,
  ) => { endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string } };
  /** Called when every AWS call ends (after the SDK's retries): for the event stream and tests. */
  onCall?: (call: AwsCall) => void;
}

/** One AWS API call as the event stream reports it. */
export interface AwsCall {
  account: string;
  region: string;
  service: string;
  action: string;
  /** From the rate limiter's grant to the answer, the SDK's own retries included. */
  ms: number;
  /** Time held by the client-side rate limiter before the call went out. */
  waitedMs: number;
  /** Attempts the SDK made (1: no retry). */
  attempts: number;
  /** The AWS error name when the call failed. */
  error?: string;
  /** The resource whose apply step made the call. */
  id?: string;
}

type Middlewared = {
  middlewareStack: { add: (mw: never, opts: { step: 'initialize'; name: string }) => void };
};

/**
 * SDK clients per account and region: credentials by assuming the account's role, standard retries,
 * and every call through the client-side rate limiter. Endpoints come the SDK's usual way
 * (AWS_ENDPOINT_URL points every service at the emulator in tests).
 */
export class ClientPool {
  private readonly pool = new Map<string, AccountClients>();
  private readonly limiter: RateLimiter;

  private readonly roleArns: Record<string, string | undefined>;

  constructor(private readonly opts: ClientPoolOptions) {
    this.roleArns = { ...opts.roleArns };
    this.limiter = opts.limiter ?? new RateLimiter(scaledBuckets(opts.timeFactor ?? 1, withHeadroom()));
  }

  /**
   * Roles for accounts the config no longer names (kept in state): used for those accounts only,
   * and only before any client of theirs is made.
   */
  rememberRoles(roles: Record<string, string>): void {
    for (const [account, roleArn] of Object.entries(roles))
      if (this.roleArns[account] === undefined && !this.creds.has(account)) this.roleArns[account] = roleArn;
  }

  for(account: string, region: string): AccountClients {
    const key = `${account}|${region}`;
    let c = this.pool.get(key);
    if (!c) {
      c = this.make(account, region);
      this.pool.set(key, c);
    }
    return c;
  }

  private readonly creds = new Map<string, ReturnType<typeof fromNodeProviderChain>>();

  /** One credential provider per account shared by its clients: one AssumeRole, renewed before expiry. */
  private credentials(account: string): ReturnType<typeof fromNodeProviderChain> {
    const known = this.creds.get(account);
    if (known) return known;
    type Provider = ReturnType<typeof fromNodeProviderChain>;
    const inner = this.makeCredentials(account);
    let pending: ReturnType<Provider> | undefined;
    const shared = (() => {
      pending ??= inner();
      return pending.then(
        (c) => {
          if (c.expiration !== undefined && c.expiration.getTime() - Date.now() < 5 * 60_000)
            pending = inner();
          return pending ?? c;
        },
        (e: unknown) => {
          pending = undefined;
          throw e;
        },
      );
    }) as Provider;
    this.creds.set(account, shared);
    return shared;
  }

  private makeCredentials(account: string): ReturnType<typeof fromNodeProviderChain> {
    const base = fromNodeProviderChain(this.opts.profile === undefined ? {} : { profile: this.opts.profile });
    const roleArn = this.roleArns[account];
    if (roleArn === undefined) return base;
    return fromTemporaryCredentials({
      masterCredentials: base,
      params: { RoleArn: roleArn, RoleSessionName: 'msk-privatelink', DurationSeconds: 3600 },
    });
  }

  private make(account: string, region: string): AccountClients {
    const common = {
      region,
      credentials: this.credentials(account),
      maxAttempts: this.opts.maxAttempts ?? 6,
      ...this.opts.configFor?.(account, region),
    };
    const clients = {
      account,
      region,
      ec2: new EC2Client(common),
      elbv2: new ElasticLoadBalancingV2Client(common),
      route53: new Route53Client(common),
      ssm: new SSMClient(common),
      kafka: new KafkaClient(common),
      s3: new S3Client({ ...common, forcePathStyle: true }),
      lattice: new VPCLatticeClient(common),
      ram: new RAMClient(common),
      lambda: new LambdaClient(common),
      iam: new IAMClient(common),
      scheduler: new SchedulerClient(common),
      cloudwatch: new CloudWatchClient(common),
      acm: new ACMClient(common),
      secrets: new SecretsManagerClient(common),
    };
    const scope = `${account}|${region}`;
    for (const [service, client] of Object.entries(clients)) {
      if (typeof client === 'string') continue;
      (client as unknown as Middlewared).middlewareStack.add(
        ((next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) =>
          async (args: unknown) => {
            const action = (context.commandName ?? '').replace(/Command$/, '');
            const t0 = Date.now();
            const family = familyOf(service, action);
            // A call that must wait for its token gives its step's slot to steps of other families.
            if (this.limiter.wouldWait(scope, family)) await waitIdle(() => this.limiter.take(scope, family));
            else await this.limiter.take(scope, family);
            const t1 = Date.now();
            const id = currentStepId();
            const report = (attempts: number | undefined, error?: string) =>
              this.opts.onCall?.({
                account,
                region,
                service,
                action,
                ms: Date.now() - t1,
                waitedMs: t1 - t0,
                attempts: attempts ?? 1,
                ...(error === undefined ? {} : { error }),
                ...(id === undefined ? {} : { id }),
              });
            try {
              const out = (await next(args)) as { output?: { $metadata?: { attempts?: number } } };
              report(out.output?.$metadata?.attempts);
              return out;
            } catch (e) {
              const err = e as { name?: string; $metadata?: { attempts?: number } };
              report(err.$metadata?.attempts, err.name ?? 'Error');
              throw e;
            }
          }) as never,
        { step: 'initialize', name: 'mplRateLimit' },
      );
    }
    return clients;
  }

  destroy(): void {
    for (const c of this.pool.values()) {
      for (const client of [
        c.ec2,
        c.elbv2,
        c.route53,
        c.ssm,
        c.kafka,
        c.s3,
        c.lattice,
        c.ram,
        c.lambda,
        c.iam,
        c.scheduler,
        c.cloudwatch,
        c.acm,
        c.secrets,
      ])
        client.destroy();
    }
    this.pool.clear();
  }
}
