import type { Middleware } from 'openapi-fetch';
import { OrderlyError } from './errors.ts';

/** Requests that change data; the server accepts an Idempotency-Key on each of them. */
const CHANGES_DATA = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** `Authorization: Bearer <apiKey>` on every request. A request that already has one keeps it. */
export function bearerAuth(apiKey: string): Middleware {
  return {
    onRequest({ request }) {
      if (!request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${apiKey}`);
    },
  };
}

/**
 * A fresh Idempotency-Key on every request that changes data, unless the caller brought one. It is
 * set once, before the first attempt, and every retry re-sends the same request. So a retry the
 * server already applied is answered from its record, not applied twice.
 */
export function idempotencyKeys(newKey: () => string = randomUuid): Middleware {
  return {
    onRequest({ request }) {
      if (CHANGES_DATA.has(request.method) && !request.headers.has('idempotency-key')) {
        request.headers.set('idempotency-key', newKey());
      }
    },
  };
}

/** Non-2xx answers are thrown as OrderlyError, except the statuses `expected` accepts as answers. */
export function problemsAsErrors(expected: (status: number) => boolean = () => false): Middleware {
  return {
    async onResponse({ response }) {
      if (!response.ok && !expected(response.status)) throw await OrderlyError.fromResponse(response);
    },
  };
}

/**
 * A random (version 4) UUID. Browsers offer crypto.randomUUID only on https and localhost, but
 * getRandomValues everywhere, so a dashboard served over plain http can still make keys.
 */
export function randomUuid(): string {
  const crypto = globalThis.crypto;
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
