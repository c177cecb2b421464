// The two kinds of failure the pipeline contract knows. Receivers map them to protocol statuses:
// retryable → gRPC UNAVAILABLE (or RESOURCE_EXHAUSTED when throttling) / HTTP 503 (or 429) with Retry-After;
// permanent → gRPC INVALID_ARGUMENT / HTTP 400.
export class RetryableError extends Error {
  readonly retryable = true;
  constructor(
    message: string,
    /** Suggested delay before retrying, from the backend's Retry-After or our own estimate. */
    readonly retryAfterMs?: number,
    /** True when the refusal is rate-based (429 / RESOURCE_EXHAUSTED) rather than unavailability. */
    readonly throttled = false,
  ) {
    super(message);
    this.name = 'RetryableError';
  }
}

export class PermanentError extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    /** Items refused when fewer than the whole envelope: the rest was accepted (an OTLP partial success). */
    readonly rejectedItems?: number,
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

/**
 * The type URL of google.rpc.RetryInfo, the detail of a gRPC status that says when to retry: gRPC
 * receivers send it with a retryable refusal, gRPC exporters take their back-off from it.
 */
export const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/** Anything not explicitly permanent is retried: losing data on an unknown error is worse than a duplicate. */
export function isRetryable(err: unknown): boolean {
  return !(err instanceof PermanentError);
}

export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof RetryableError ? err.retryAfterMs : undefined;
}

/**
 * Picks the error to report when several parts of one envelope failed: retryable wins so nothing is lost.
 * A second failure makes any partial item count meaningless (parts may be splits or fan-out copies).
 */
export function combineErrors(a: Error | undefined, b: Error): Error {
  if (!a) return b;
  if (isRetryable(a)) return a;
  return isRetryable(b) ? b : withoutItemCount(a);
}

/** The same refusal for a whole envelope: a partial count only applies to the envelope it was nacked on. */
export function withoutItemCount(err: Error): Error {
  return err instanceof PermanentError && err.rejectedItems !== undefined ? new PermanentError(err.message) : err;
}
