// What every AWS exporter shares: the connection keys, credentials (the SDK's default chain, or a
// role assumed through STS with that chain's credentials when `role_arn` is set), and the mapping
// of AWS errors to retryable or permanent ones.
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { s } from '../config/schema.js';
import { PermanentError, RetryableError } from '../pipeline/errors.js';

/** The connection keys, with the Collector's names. */
export const awsConnectionConfig = {
  /** Default: the SDK's region resolution (AWS_REGION, shared config). */
  region: s.string().optional(),
  /** Endpoint override (VPC endpoints, LocalStack, tests). */
  endpoint: s.string().optional(),
  /** A role to assume through STS with the default chain's credentials. */
  role_arn: s.string().optional(),
};

export interface AwsConnection {
  region?: string;
  endpoint?: string;
  role_arn?: string;
}

/** SDK client settings: our helper retries, so the SDK's own retries would only multiply attempts. */
export function awsClientConfig(config: AwsConnection) {
  return { region: config.region, endpoint: config.endpoint, maxAttempts: 1, credentials: awsCredentials(config.role_arn, config.region) };
}

function awsCredentials(roleArn: string | undefined, region: string | undefined): ReturnType<typeof fromTemporaryCredentials> | undefined {
  if (!roleArn) return undefined;
  return fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: 'sluice' }, clientConfig: { region } });
}

const RETRYABLE_ERRORS = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'ServiceUnavailable', 'ServiceUnavailableException', 'InternalServiceFault', 'InternalFailure']);

/** Throttling, 5xx and network failures are retryable (throttling marked as such); the rest is permanent. */
export function classifyAwsError(operation: string, err: unknown): Error {
  const e = err as Error & { $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e.$metadata?.httpStatusCode ?? 0;
  const message = `${operation}: ${e.name}: ${e.message}`;
  if (RETRYABLE_ERRORS.has(e.name) || status >= 500 || status === 0 || e.$retryable) return new RetryableError(message, undefined, /thrott|limit/i.test(e.name));
  return new PermanentError(message);
}
