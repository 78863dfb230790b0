import { MplError, type ErrorCode } from '../errors.js';

/**
 * The one place that reads AWS errors. Every handler asks it whether an error means "not there",
 * "too many calls", "still in use", "no credentials", "try again later" or a real failure.
 */
export type AwsErrorClass = 'not-found' | 'throttled' | 'in-use' | 'credentials' | 'transient' | 'failed';

/** The AWS error name (`InvalidGroup.NotFound`, `DependencyViolation`, ...), '' when there is none. */
export function errorName(e: unknown): string {
  return (e as { name?: string } | undefined)?.name ?? '';
}

function status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

// Names from the API references' "Errors" sections: EC2 (InvalidVpcEndpointId.NotFound, ...),
// ELBv2 (TargetGroupNotFound, LoadBalancerNotFound, ListenerNotFound), Route 53 (NoSuchHostedZone),
// SSM (ParameterNotFound), MSK (NotFoundException), S3 (NoSuchKey), VPC Lattice
// (ResourceNotFoundException), RAM (UnknownResourceException for a share that is not there).
const NOT_FOUND =
  /NotFound|NoSuch|^InvalidVpcEndpointId|^InvalidGroupId\.Malformed$|^InvalidResourceId$|^UnknownResourceException$/;
// Throttling names the SDKs retry (smithy's THROTTLING_ERROR_CODES) plus Route 53's busy zone.
const THROTTLED =
  /^(Throttling|ThrottlingException|ThrottledException|RequestThrottled|RequestThrottledException|TooManyRequestsException|RequestLimitExceeded|BandwidthLimitExceeded|SlowDown|PriorRequestNotComplete|ProvisionedThroughputExceededException|EC2ThrottledException)$/;
// VPC Lattice answers a delete of a gateway or configuration still in use with ConflictException
// (DeleteResourceGateway, DeleteResourceConfiguration "Errors"); only deletes read this class.
const IN_USE =
  /^(ResourceInUse|ResourceInUseException|DependencyViolation|HostedZoneNotEmpty|InvalidChangeBatch|ConflictException)$/;
// The SDK's credential chain and STS/IAM's answers when the caller is not who it should be.
const CREDENTIALS =
  /^(CredentialsProviderError|ExpiredToken|ExpiredTokenException|InvalidClientTokenId|UnrecognizedClientException|InvalidAccessKeyId|SignatureDoesNotMatch|AuthFailure|MissingAuthenticationToken)$/;
const TRANSIENT =
  /^(InternalError|InternalFailure|InternalServerError|InternalServerException|ServerInternalException|ServiceUnavailable|ServiceUnavailableException|RequestTimeout|RequestTimeoutException|TimeoutError|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT)$/;

export function classify(e: unknown): AwsErrorClass {
  const name = errorName(e);
  const code = (e as { code?: string } | undefined)?.code ?? '';
  if (CREDENTIALS.test(name) || /Could not load credentials|Could not resolve credentials/.test(String(e)))
    return 'credentials';
  if (THROTTLED.test(name) || status(e) === 429) return 'throttled';
  if (NOT_FOUND.test(name)) return 'not-found';
  if (IN_USE.test(name)) return 'in-use';
  if (TRANSIENT.test(name) || TRANSIENT.test(code) || (status(e) ?? 0) >= 500) return 'transient';
  return 'failed';
}

/** True for the error names AWS uses when a thing is not (or not yet) there. */
export function isNotFound(e: unknown): boolean {
  return classify(e) === 'not-found';
}

export function messageOf(e: unknown): string {
  return (e as { message?: string } | undefined)?.message ?? String(e);
}

/**
 * An MplError naming the resource and the AWS error, with the AWS error kept as the cause.
 * Throttling and transient answers are retriable; missing or wrong credentials become
 * AWS_CREDENTIALS, whatever the caller was doing, since that is what the user has to fix.
 */
export function awsFailure(code: ErrorCode, what: string, e: unknown, hint?: string): MplError {
  if (e instanceof MplError) return e;
  const cls = classify(e);
  if (cls === 'credentials') return credentialsError(e, what);
  const tail = hint === undefined ? '' : `: ${hint}`;
  return new MplError(code, `${what}: ${errorName(e) || 'error'}: ${messageOf(e)}${tail}`, {
    cause: e,
    retriable: cls === 'throttled' || cls === 'transient',
  });
}

/** No usable credentials: say how to supply them, not which resource happened to ask first. */
export function credentialsError(e: unknown, what?: string): MplError {
  return new MplError(
    'AWS_CREDENTIALS',
    `no usable AWS credentials${what ? ` (while reading ${what})` : ''}`,
    {
      cause: e,
      detail:
        `${errorName(e) || 'error'}: ${messageOf(e)}\n  Supply credentials the AWS SDK's usual way: ` +
        'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile NAME (a profile in ~/.aws/config), ' +
        'or `aws sso login --profile NAME`; roles in the config are assumed with those.',
    },
  );
}
