import { randomUUID } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { GroupCommit } from '../db/group-commit.ts';
import { type Pool, type PoolClient, withTransaction } from '../db/pool.ts';
import { sha256 } from '../lib/secrets.ts';
import { authenticateApiKey, authenticateSession } from '../modules/tenancy/service.ts';
import type { AppEnv, Deps } from './context.ts';
import { AppError } from './problem.ts';
import { RateLimiter } from './rate-limit.ts';
import { SESSION_COOKIE } from './session.ts';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Request id (echoed as X-Request-Id), a child logger, one log line and one histogram sample. */
export const observe = (deps: Deps) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    const log = deps.log.child({ request_id: requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.set('db', deps.pool);
    c.set('principal', undefined);
    c.set('redactOnReplay', undefined);
    c.set('afterCommit', (fn) => void fn().catch((err) => log.error({ err }, 'after-commit work failed')));
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    // On the answer's own headers: c.header() after the answer exists rebuilds it as a web
    // Response, which @hono/node-server otherwise never makes. Some answers' headers are
    // immutable (a fetched response, a redirect): those get rebuilt.
    try {
      c.res.headers.set('x-request-id', requestId);
    } catch {
      c.header('x-request-id', requestId);
    }
    const route = c.req.routePath && c.req.routePath !== '/*' ? c.req.routePath : 'unmatched';
    deps.metrics.httpDuration.observe({ method: c.req.method, route, status: c.res.status }, ms / 1000);
    const line = {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(ms * 10) / 10,
    };
    if (c.res.status >= 500) log.error(line, 'request failed');
    else log.info(line, 'request');
  });

/**
 * Refuses bodies over `maxSize` bytes. A body with a Content-Length (and no Transfer-Encoding,
 * which would override it) is judged by that header: Node's parser never reads past it. Only a
 * chunked body (or one built in-process without the header) is counted as it streams, by Hono's
 * bodyLimit, which must turn the request into a web Request with a stream to do so; the header
 * check keeps @hono/node-server's direct read of the body (docs/operating/performance.md).
 */
export const limitBody = (maxSize: number) => {
  const tooLarge = () => {
    throw new AppError('payload-too-large', `Request bodies are limited to ${maxSize} bytes.`);
  };
  const streamed = bodyLimit({ maxSize, onError: tooLarge });
  return createMiddleware<AppEnv>(async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return streamed(c, next);
    if (Number(length) > maxSize) tooLarge();
    return next();
  });
};

/**
 * Many clients send `Content-Type: application/json` with an empty body on a POST that needs
 * none (`…/void`); that is no body, not malformed JSON.
 */
export const emptyBodyIsNoBody = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.header('content-length') === '0' && c.req.header('content-type') !== undefined) {
    const headers = new Headers(c.req.raw.headers);
    headers.delete('content-type');
    c.req.raw = new Request(c.req.raw.url, { method: c.req.raw.method, headers });
  }
  await next();
});

/** Resolves the caller from a bearer key or the session cookie; routes decide what they need. */
export const authenticate = (pool: Pool) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S{1,512})$/i.exec(authorization);
      if (!match)
        throw new AppError('unauthenticated', 'The Authorization header must be "Bearer <api key>".');
      const principal = await authenticateApiKey(pool, match[1]!);
      if (!principal) throw new AppError('unauthenticated', 'This API key is not valid or has been revoked.');
      c.set('principal', principal);
    } else {
      const token = getCookie(c, SESSION_COOKIE);
      if (token) c.set('principal', await authenticateSession(pool, token));
    }
    await next();
  });

export const rateLimit = (per_second: number) => {
  const limiter = new RateLimiter(per_second);
  return createMiddleware<AppEnv>(async (c, next) => {
    const p = c.get('principal');
    let key = p ? `${p.tenant_id}:${p.actor.id}` : undefined;
    if (!key) {
      try {
        key = `addr:${getConnInfo(c).remote.address ?? 'unknown'}`;
      } catch {
        key = 'addr:unknown';
      }
    }
    const wait_s = limiter.take(key);
    if (wait_s > 0) {
      throw new AppError('rate-limited', `Slow down: at most ${per_second} requests per second per key.`, {
        headers: { 'retry-after': String(wait_s) },
      });
    }
    await next();
  });
};

/** Routes whose concurrent requests share transactions (see db/group-commit.ts). */
export type GroupCommitted<L> = {
  create: (pool: Pool) => GroupCommit<L>;
  routes: {
    method: string;
    path: RegExp;
    /** The request's lane and the rows it will lock; undefined: it runs alone. */
    job: (match: RegExpExecArray, body: unknown, tenantId: string) => { key: string; locks?: L } | undefined;
  }[];
};

/** The answer is an error: what the request wrote is rolled back, the answer stands. */
class ErrorAnswer extends Error {}

/**
 * A request that changes data runs in one transaction: any error answer rolls everything back,
 * so bad input never writes. With an Idempotency-Key the stored answer is written in that same
 * transaction, so a retry after a crash finds either both the change and its answer, or neither.
 * Requests to the group-committed routes run the same way, inside a savepoint of a transaction
 * they share with the concurrent requests of their lane; they are answered after its commit.
 * The `readOnly` paths are POSTs that only read and compute: they run outside any transaction.
 */
export const transaction = <L>(pool: Pool, grouped?: GroupCommitted<L>, readOnly = new Set<string>()) => {
  const groupCommit = grouped?.create(pool);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!MUTATING.has(c.req.method) || readOnly.has(c.req.path)) return next();
    const principal = c.get('principal');
    const key = c.req.header('idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new AppError('malformed-request', 'Idempotency-Key must be 1-255 visible ASCII characters.');
    }
    const after: Array<() => Promise<unknown>> = [];
    c.set('afterCommit', (fn) => after.push(fn));
    const route = principal
      ? grouped?.routes.find((r) => r.method === c.req.method && r.path.test(c.req.path))
      : undefined;
    // Read only when needed: a multipart body read as text could not be parsed again.
    const body = (key && principal) || route ? await c.req.text() : '';
    const hash =
      key && principal
        ? sha256(JSON.stringify([principal.actor.id, c.req.method, c.req.path, body]))
        : undefined;

    const handle = async (tx: PoolClient): Promise<Response | undefined> => {
      c.set('db', tx);
      if (key && principal && hash) {
        // Same key at the same time: the second waits for the first and then replays its answer.
        await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [
          `${principal.tenant_id}:${key}`,
        ]);
        const prior = await tx.query<{
          request_hash: string;
          response_status: number;
          response_body: string;
        }>(
          `select request_hash, response_status, response_body from idempotency_keys
           where tenant_id = $1 and idempotency_key = $2`,
          [principal.tenant_id, key],
        );
        const stored = prior.rows[0];
        if (stored) {
          if (stored.request_hash !== hash) {
            throw new AppError(
              'idempotency-conflict',
              'This Idempotency-Key was already used for a different request (method, path, body or caller).',
            );
          }
          return c.body(stored.response_body, stored.response_status as 200, {
            'content-type': 'application/json',
            'idempotent-replayed': 'true',
          });
        }
      }
      await next();
      if (c.res.status >= 400) throw new ErrorAnswer();
      if (key && principal && hash) {
        await tx.query(
          `insert into idempotency_keys (tenant_id, idempotency_key, request_hash, method, path, response_status, response_body)
           values ($1, $2, $3, $4, $5, $6, $7)`,
          [
            principal.tenant_id,
            key,
            hash,
            c.req.method,
            c.req.path,
            c.res.status,
            await storedBody(c.res, c.var.redactOnReplay),
          ],
        );
      }
      return undefined;
    };

    const job = route && groupJob(route, c.req.path, body, principal!.tenant_id);
    let replay: Response | undefined;
    try {
      replay =
        job && groupCommit
          ? await groupCommit.run(job.key, handle, { locks: job.locks })
          : await withTransaction(pool, handle);
    } catch (err) {
      if (err instanceof ErrorAnswer) return;
      throw err;
    }
    if (replay) return replay;
    const log = c.get('log');
    for (const fn of after) fn().catch((err) => log.error({ err }, 'after-commit work failed'));
  });
};

function groupJob<L>(
  route: GroupCommitted<L>['routes'][number],
  path: string,
  body: string,
  tenantId: string,
) {
  try {
    return route.job(route.path.exec(path)!, body ? JSON.parse(body) : undefined, tenantId);
  } catch {
    return undefined; // malformed input: the route's own validation answers it
  }
}

const REDACTED = '[redacted: shown only in the first answer]';

/** The answer as stored for replay: secrets are replaced, never written to the idempotency table. */
async function storedBody(res: Response, redact: string[] | undefined): Promise<string> {
  const text = await res.clone().text();
  if (!redact?.length || !text) return text;
  const body = JSON.parse(text) as Record<string, unknown>;
  for (const field of redact) if (field in body) body[field] = REDACTED;
  return JSON.stringify(body);
}
