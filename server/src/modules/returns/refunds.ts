import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Where a return's money goes back: the merchant's payment system (or the sales channel that took
 * the payment). Every call carries an idempotency key, the return's id, so a refund step replayed
 * after a crash refunds once.
 */
export type RefundRequest = {
  idempotency_key: string;
  return_id: string;
  order_id: string;
  amount: number;
  currency: string;
};

export interface RefundGateway {
  readonly name: string;
  refund(request: RefundRequest): Promise<{ refund_id: string }>;
}

/** No payment system connected: the refund is recorded here, for people to pay out by hand. */
export function recordedRefunds(): RefundGateway {
  return {
    name: 'recorded',
    refund: async (r) => ({
      refund_id: `rfd_${createHash('sha256').update(r.idempotency_key).digest('hex').slice(0, 24)}`,
    }),
  };
}

const Answer = z.object({ refund_id: z.string().min(1) });

/**
 * A payment system behind an HTTP endpoint: `POST <url>` with the request as JSON and an
 * `Idempotency-Key` header (the convention Stripe and Shopify use); a 2xx answer names the refund.
 */
export function httpRefunds(opts: {
  url: string;
  token?: string | undefined;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): RefundGateway {
  const send = opts.fetch ?? fetch;
  return {
    name: 'http',
    async refund(r) {
      const res = await send(opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': r.idempotency_key,
          ...(opts.token && { authorization: `Bearer ${opts.token}` }),
        },
        body: JSON.stringify(r),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`Refund ${r.return_id} failed: HTTP ${res.status} ${text.slice(0, 200)}`);
      const parsed = Answer.safeParse(JSON.parse(text || '{}'));
      if (!parsed.success) throw new Error(`Refund ${r.return_id}: the answer names no refund_id`);
      return parsed.data;
    },
  };
}

/** ORDERLY_REFUND_URL (and ORDERLY_REFUND_TOKEN) → the HTTP gateway; otherwise refunds are recorded. */
export function refundGatewayFromEnv(env: NodeJS.ProcessEnv = process.env): RefundGateway {
  const url = env.ORDERLY_REFUND_URL?.trim();
  return url ? httpRefunds({ url, token: env.ORDERLY_REFUND_TOKEN }) : recordedRefunds();
}
