/**
 * Token buckets per caller (API key, session, or address for sign-in), in this process's memory:
 * with several API processes behind a balancer each enforces the limit on the traffic it sees.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at_ms: number }>();
  readonly #burst: number;
  static readonly BUCKETS_MAX = 100_000;

  constructor(readonly per_second: number) {
    this.#burst = Math.max(1, per_second * 2);
  }

  /** 0 when allowed; otherwise the seconds to wait before the next request would be. */
  take(key: string, now_ms = Date.now()): number {
    if (this.per_second <= 0) return 0;
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= RateLimiter.BUCKETS_MAX) this.#buckets.clear();
      b = { tokens: this.#burst, at_ms: now_ms };
      this.#buckets.set(key, b);
    }
    b.tokens = Math.min(this.#burst, b.tokens + ((now_ms - b.at_ms) / 1000) * this.per_second);
    b.at_ms = now_ms;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.per_second);
  }
}
