// SDK clients the network twin reads the AWS twin with, one set per account.
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { Route53Client } from '@aws-sdk/client-route-53';
import { VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';

export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClientConfig {
  endpoint: string;
  region: string;
  credentials?: AwsCredentialIdentity;
}

export interface AccountClients {
  account: string;
  /** The Region the clients call (Route 53 is global whatever it is). */
  region: string;
  ec2: EC2Client;
  elbv2: ElasticLoadBalancingV2Client;
  route53: Route53Client;
  /** Resource configurations behind resource endpoints (provider side). */
  lattice: VPCLatticeClient;
  /** Broker names and client IPs, for resource configurations with DNS targets. */
  kafka: KafkaClient;
  destroy(): void;
}

/**
 * Header the AWS twin reads to tell the network twin's polling apart from the calls under
 * test, so that injected faults, throttling buckets and call counters are left to the
 * tool being tested.
 */
export const OBSERVER_HEADER = 'x-testbed-observer';
export const OBSERVER_NAME = 'network-twin';

/** Static keys: the emulator accepts any; the account comes from the header below. */
const EMULATOR_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'testing', secretAccessKey: 'testing' };

interface HeaderMiddlewareStack {
  add(
    middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
    options: { step: 'build'; name: string },
  ): void;
}

/**
 * Sends `x-moto-account-id` rather than assuming a role: an emulator reset drops the keys
 * an AssumeRole handed out, and the twin must keep reading the right account after one.
 */
function addHeaders(stack: HeaderMiddlewareStack, account: string): void {
  stack.add(
    (next) => (args) => {
      const request = (args as { request?: { headers?: Record<string, string> } }).request;
      if (request?.headers) {
        request.headers['x-moto-account-id'] = account;
        request.headers[OBSERVER_HEADER] = OBSERVER_NAME;
      }
      return next(args);
    },
    { step: 'build', name: 'testbedAccountHeaders' },
  );
}

export function accountClients(account: string, config: AwsClientConfig): AccountClients {
  const base = {
    endpoint: config.endpoint,
    region: config.region,
    credentials: config.credentials ?? EMULATOR_CREDENTIALS,
    // One attempt: the next poll is the retry, and retries would only add load.
    maxAttempts: 1,
  };
  const ec2 = new EC2Client(base);
  const elbv2 = new ElasticLoadBalancingV2Client(base);
  const route53 = new Route53Client(base);
  const lattice = new VPCLatticeClient(base);
  const kafka = new KafkaClient(base);
  for (const c of [ec2, elbv2, route53, lattice, kafka])
    addHeaders(c.middlewareStack as unknown as HeaderMiddlewareStack, account);
  return {
    account,
    region: config.region,
    ec2,
    elbv2,
    route53,
    lattice,
    kafka,
    destroy() {
      for (const c of [ec2, elbv2, route53, lattice, kafka]) c.destroy();
    },
  };
}
