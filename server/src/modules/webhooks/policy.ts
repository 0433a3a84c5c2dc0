import type { DeliveryStatus } from './schema.ts';

/**
 * How deliveries are retried and when an endpoint is given up on: one strategy object with
 * defaults, replaceable as a whole (tests shrink the day to seconds).
 */
export type DeliveryPolicy = {
  /** Base delay before retry n (the last one repeats); the actual delay is uniform in [min, base]. */
  backoff_ms: readonly number[];
  retry_delay_ms_min: number;
  /** A delivery is retried until this long after its first attempt, then it is `failed`. */
  retry_window_ms: number;
  /** An endpoint with nothing delivered for this long when a delivery is given up is disabled. */
  disable_after_ms: number;
  /** One attempt: connect, send, read the answer. */
  timeout_ms: number;
};

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  backoff_ms: [5 * SECOND_MS, 30 * SECOND_MS, 2 * MINUTE_MS, 10 * MINUTE_MS, 30 * MINUTE_MS, HOUR_MS],
  retry_delay_ms_min: SECOND_MS,
  retry_window_ms: 24 * HOUR_MS,
  disable_after_ms: 24 * HOUR_MS,
  timeout_ms: 10 * SECOND_MS,
};

let current: DeliveryPolicy = DEFAULT_DELIVERY_POLICY;

export const deliveryPolicy = () => current;

/** Replaces the policy in this process (tests); read by each step when it runs. */
export function setDeliveryPolicy(policy: Partial<DeliveryPolicy> | undefined) {
  current = policy ? { ...DEFAULT_DELIVERY_POLICY, ...policy } : DEFAULT_DELIVERY_POLICY;
}

/**
 * Exponential backoff with full jitter: the delay after failed attempt n (1-based) is uniform
 * between the minimum and the n-th base delay, so endpoints that failed together do not all
 * come back at the same moment.
 */
export function retryDelay(policy: DeliveryPolicy, attempt: number, random: number): number {
  const bases = policy.backoff_ms;
  const base = bases[Math.min(Math.max(attempt, 1), bases.length) - 1] ?? policy.retry_delay_ms_min;
  const min = Math.min(policy.retry_delay_ms_min, base);
  return Math.round(min + random * (base - min));
}

export type FailureOutcome =
  | { status: 'pending'; retry_in_ms: number }
  | { status: 'failed' }
  | { status: 'cancelled' };

/**
 * After a failed attempt: try again within the window (the last try lands on its end), give up
 * once it has passed, or cancel when the endpoint was disabled meanwhile.
 */
export function afterFailure(
  policy: DeliveryPolicy,
  o: { attempt_in_round: number; round_started_ms: number; now_ms: number; endpoint_enabled: boolean },
  random: number,
): FailureOutcome {
  if (!o.endpoint_enabled) return { status: 'cancelled' };
  const ends_ms = o.round_started_ms + policy.retry_window_ms;
  if (o.now_ms >= ends_ms) return { status: 'failed' };
  const delay = retryDelay(policy, o.attempt_in_round, random);
  return { status: 'pending', retry_in_ms: Math.max(0, Math.min(delay, ends_ms - o.now_ms)) };
}

/** Endpoints are disabled after persistent failure: nothing delivered for `disable_after_ms`. */
export function shouldDisable(policy: DeliveryPolicy, failing_since_ms: number, now_ms: number) {
  return now_ms - failing_since_ms >= policy.disable_after_ms;
}

/**
 * The delivery state machine. A delivery is written with its first attempt's outcome (before it,
 * the event waits in the log after the endpoint's cursor): `succeeded`, or on a failure `pending`
 * for a retry, `failed` or `cancelled`. A pending delivery stays `pending` while an attempt is in
 * flight (the endpoint notes the batch in flight, not each delivery), and the attempt moves it
 * the same way; redelivery and replay reopen a finished delivery; disabling an endpoint cancels
 * what it had waiting, and an attempt in flight then still lands: a success as `succeeded`.
 */
export const DELIVERY_TRANSITIONS: Record<DeliveryStatus, readonly DeliveryStatus[]> = {
  pending: ['succeeded', 'failed', 'cancelled'],
  succeeded: ['pending'],
  failed: ['pending'],
  cancelled: ['pending', 'succeeded'],
};

/** Finished deliveries, the ones redelivery and replay may send again. */
export const REOPENABLE: readonly DeliveryStatus[] = ['succeeded', 'failed', 'cancelled'];

/** Does an endpoint subscribed to `patterns` want an event of `type`? */
export function matchesEventTypes(patterns: readonly string[], type: string): boolean {
  return patterns.some(
    (p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))),
  );
}
