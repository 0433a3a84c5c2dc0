/** What openapi-fetch calls to send a request (globalThis.fetch fits). */
export type Fetch = (request: Request) => Promise<Response>;

/** How hard the client tries before it gives up; every field is optional. */
export type RetryOptions = {
  /** Attempts in all, the first one included: 1 turns retries off. Default 4. */
  max_attempts?: number;
  /** The first backoff step; each one after it doubles. Default 200 ms. */
  base_delay_ms?: number;
  /** No single wait is longer. A Retry-After that asks for more is not waited out. Default 5000 ms. */
  max_delay_ms?: number;
};

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = { max_attempts: 4, base_delay_ms: 200, max_delay_ms: 5_000 };

/** The defaults with the caller's choices on top, checked once when the client is made. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy: RetryPolicy = {
    max_attempts: options.max_attempts ?? DEFAULT_RETRY.max_attempts,
    base_delay_ms: options.base_delay_ms ?? DEFAULT_RETRY.base_delay_ms,
    max_delay_ms: options.max_delay_ms ?? DEFAULT_RETRY.max_delay_ms,
  };
  if (!Number.isInteger(policy.max_attempts) || policy.max_attempts < 1) {
    throw new RangeError(
      `retry.max_attempts must be a whole number of at least 1 (got ${policy.max_attempts}).`,
    );
  }
  for (const field of ['base_delay_ms', 'max_delay_ms'] as const) {
    if (!Number.isFinite(policy[field]) || policy[field] < 0) {
      throw new RangeError(`retry.${field} must be a number of at least 0 (got ${policy[field]}).`);
    }
  }
  return policy;
}

/** Too many requests and server-side failures may go away; any other answer is final. */
export const retryableStatus = (status: number): boolean => status === 429 || status >= 500;

/**
 * The wait before retry number `retry` (1 = before the second attempt): exponential steps capped
 * at max_delay_ms, with "equal jitter". The wait is at least half the step, so waits really grow, and
 * the random other half spreads clients that failed together.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.max_delay_ms, policy.base_delay_ms * 2 ** (retry - 1));
  return step / 2 + random() * (step / 2);
}

/**
 * Retry-After in milliseconds. RFC 9110 §10.2.3 allows delay-seconds or an HTTP date. The answer is
 * undefined when the header is absent or cannot be read.
 */
export function retryAfterMs(header: string | null, now_ms: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at_ms = Date.parse(value);
  return Number.isNaN(at_ms) ? undefined : Math.max(0, at_ms - now_ms);
}

/**
 * Wraps `fetch` so a request is sent again on 429, retryable statuses and network errors, at most
 * `max_attempts` times in all. Retries sit here, below openapi-fetch's middleware, so every attempt
 * sends exactly the request the middleware built: the same Authorization, the same Idempotency-Key
 * and the same body. The last answer is returned as it is, for the error middleware to turn into an
 * OrderlyError. If the last attempt fails on the network, that error is thrown.
 */
export function withRetries(fetch: Fetch, policy: RetryPolicy, isRetryable = retryableStatus): Fetch {
  return async (request) => {
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= policy.max_attempts;
      // Earlier attempts send copies, so the original body is still unread for the next one.
      const sent = last ? request : request.clone();
      let wait_ms: number;
      try {
        const response = await fetch(sent);
        if (last || !isRetryable(response.status)) return response;
        const asked_ms = retryAfterMs(response.headers.get('retry-after'));
        // The server says trying sooner is pointless, and waiting longer is the caller's decision.
        if (asked_ms !== undefined && asked_ms > policy.max_delay_ms) return response;
        wait_ms = asked_ms ?? backoffDelay(attempt, policy);
        await response.body?.cancel().catch(() => undefined);
      } catch (err) {
        if (last || !isNetworkError(err, request)) throw err;
        wait_ms = backoffDelay(attempt, policy);
      }
      await sleep(wait_ms, request.signal);
    }
  };
}

/** fetch rejects with a TypeError when the network fails; an abort by the caller is not retried. */
function isNetworkError(err: unknown, request: Request): boolean {
  return err instanceof TypeError && !request.signal.aborted;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
