import type { Context } from 'hono';

export const SESSION_COOKIE = 'orderly_session';

/** Secure cookies need https; behind a proxy that terminates TLS, X-Forwarded-Proto says so. */
export function secureCookie(c: Context, setting: 'auto' | boolean): boolean {
  if (setting !== 'auto') return setting;
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}
