import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Event } from '../events/schema.ts';
import type { WebhookPayload } from './schema.ts';

/**
 * Signatures per the Standard Webhooks convention, made by its reference library: the receiver
 * verifies `webhook-signature` over `<webhook-id>.<webhook-timestamp>.<body>` with the endpoint's
 * secret (HMAC-SHA256). While a rotated-out secret is still valid both signatures are sent,
 * space-separated, so a receiver holding either secret verifies.
 */

/** `whsec_` and 32 random bytes in base64, the format the Standard Webhooks libraries read. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** The body we POST: the event as `/v1/events` returns it, wrapped in type and timestamp. */
export function payloadOf(event: Event): WebhookPayload {
  return { type: event.type, timestamp: event.created_at, data: event };
}

export type SignedRequest = { body: string; headers: Record<string, string> };

/** Body and headers for one attempt; `webhook-id` is the event id, the same on every attempt. */
export function signedRequest(
  messageId: string,
  payload: WebhookPayload,
  secrets: readonly string[],
  at: Date,
): SignedRequest {
  return signer(secrets)(messageId, payload, at);
}

/**
 * Signs with these secrets, each decoded once: for a batch of attempts to one endpoint, rather
 * than once per attempt.
 */
export function signer(secrets: readonly string[]) {
  const keys = secrets.map((s) => new Webhook(s));
  return (messageId: string, payload: WebhookPayload, at: Date): SignedRequest => {
    const body = JSON.stringify(payload);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Orderly-Webhooks/1',
        'webhook-id': messageId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': keys.map((k) => k.sign(messageId, at, body)).join(' '),
      },
    };
  };
}
