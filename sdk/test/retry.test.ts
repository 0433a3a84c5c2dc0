import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type CreatedApiKey, createOrderlyClient, OrderlyError, type RetryOptions } from '../src/index.ts';
import { randomUuid } from '../src/middleware.ts';
import { backoffDelay, DEFAULT_RETRY, retryAfterMs, retryPolicy } from '../src/retry.ts';

/** One scripted answer: a status with headers and body, or 'drop' to cut the connection. */
type Reply = { status: number; headers?: Record<string, string>; body?: unknown } | 'drop';
type Seen = { method: string; url: string; headers: IncomingHttpHeaders; body: string };

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

/** An HTTP server on 127.0.0.1 and a free port, answering `replies` in turn, then `rest` forever. */
async function scripted(replies: Reply[], rest: Reply = { status: 500 }) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const reply = replies.shift() ?? rest;
      if (reply === 'drop') {
        req.socket.destroy();
        return;
      }
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, seen };
}

const problem = (status: number, type: string, extra: Record<string, unknown> = {}) => ({
  status,
  headers: { 'content-type': 'application/problem+json', 'x-request-id': `req-${status}` },
  body: {
    type: `/problems/${type}`,
    title: type,
    status,
    detail: `${type} happened`,
    instance: '/v1/x',
    request_id: `req-${status}`,
    ...extra,
  },
});

const CREATED: CreatedApiKey = {
  api_key_id: 'key_1',
  name: 'ci',
  role: 'support',
  key_prefix: 'ok_abcdefg',
  created_at: '2025-01-01T00:00:00.000Z',
  last_used_at: null,
  revoked_at: null,
  key: 'ok_secret',
};

const fast: RetryOptions = { base_delay_ms: 1, max_delay_ms: 20 };
const sdk = (baseUrl: string, retry: RetryOptions = fast) =>
  createOrderlyClient({ baseUrl, apiKey: 'ok_test_key', retry });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('retries against a local server', () => {
  it('retries 429 (Retry-After: 0) and 503, then succeeds, re-sending the same POST each time', async () => {
    const s = await scripted([
      problem(429, 'rate-limited', {}),
      { ...problem(429, 'rate-limited'), headers: { 'retry-after': '0' } },
      problem(503, 'unavailable'),
      { status: 201, body: CREATED },
    ]);
    const created = await sdk(s.baseUrl).apiKeys.create({ name: 'ci', role: 'support' });

    expect(created).toEqual(CREATED);
    expect(s.seen).toHaveLength(4);
    const keys = s.seen.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys)).toEqual(new Set([keys[0]]));
    for (const r of s.seen) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/v1/api-keys');
      expect(r.headers.authorization).toBe('Bearer ok_test_key');
      expect(JSON.parse(r.body)).toEqual({ name: 'ci', role: 'support' });
    }
  });

  it('gives up after max_attempts with an OrderlyError carrying the last problem', async () => {
    const s = await scripted([], problem(503, 'unavailable'));
    const err = await rejection(
      sdk(s.baseUrl, { ...fast, max_attempts: 3 }).apiKeys.create({ name: 'ci', role: 'support' }),
    );

    expect(err).toBeInstanceOf(OrderlyError);
    expect(err).toMatchObject({ status: 503, type: '/problems/unavailable', request_id: 'req-503' });
    expect(s.seen).toHaveLength(3);
    expect(new Set(s.seen.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  });

  it('makes 4 attempts by default', async () => {
    const s = await scripted([], problem(500, 'internal'));
    const err = await rejection(sdk(s.baseUrl, { base_delay_ms: 1 }).auth.me());

    expect(err).toMatchObject({ name: 'OrderlyError', status: 500 });
    expect(DEFAULT_RETRY.max_attempts).toBe(4);
    expect(s.seen).toHaveLength(4);
  });

  it('retries network errors, and GETs carry no Idempotency-Key', async () => {
    const me = {
      tenant: { tenant_id: 't', name: 'T', created_at: '' },
      role: 'admin',
      actor: { type: 'api_key', id: 'k' },
      user: null,
    };
    const s = await scripted(['drop', 'drop', { status: 200, body: me }]);

    expect(await sdk(s.baseUrl).auth.me()).toEqual(me);
    expect(s.seen).toHaveLength(3);
    expect(s.seen.every((r) => r.headers['idempotency-key'] === undefined)).toBe(true);
  });

  it('throws the network error when the last attempt fails on the network', async () => {
    const s = await scripted([], 'drop');
    const err = await rejection(sdk(s.baseUrl, { ...fast, max_attempts: 2 }).auth.me());

    expect(err).toBeInstanceOf(TypeError);
    expect(s.seen).toHaveLength(2);
  });

  it('does not retry a final answer: 422 is thrown at once with its field errors', async () => {
    const s = await scripted([
      problem(422, 'validation-error', { errors: [{ path: 'body.name', message: 'Too small' }] }),
    ]);
    const err = await rejection(
      sdk(s.baseUrl).users.create({ email: 'a@b.co', name: '', role: 'support', password: 'x'.repeat(12) }),
    );

    expect(err).toBeInstanceOf(OrderlyError);
    expect((err as OrderlyError).errors).toEqual([{ path: 'body.name', message: 'Too small' }]);
    expect(s.seen).toHaveLength(1);
  });

  it("sends the caller's Idempotency-Key unchanged on every attempt", async () => {
    const s = await scripted([problem(502, 'bad-gateway'), { status: 201, body: CREATED }]);
    await sdk(s.baseUrl).apiKeys.create(
      { name: 'ci', role: 'support' },
      { idempotencyKey: 'import-2025-01-01' },
    );

    expect(s.seen.map((r) => r.headers['idempotency-key'])).toEqual([
      'import-2025-01-01',
      'import-2025-01-01',
    ]);
  });

  it('waits as long as Retry-After says', async () => {
    const s = await scripted([
      { ...problem(429, 'rate-limited'), headers: { 'retry-after': '1' } },
      { status: 201, body: CREATED },
    ]);
    const started = performance.now();
    await sdk(s.baseUrl, { base_delay_ms: 1, max_delay_ms: 2_000 }).apiKeys.create({
      name: 'ci',
      role: 'support',
    });

    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(s.seen).toHaveLength(2);
  });

  it('does not wait out a Retry-After longer than max_delay_ms: the 429 is thrown at once', async () => {
    const s = await scripted([{ ...problem(429, 'rate-limited'), headers: { 'retry-after': '120' } }]);
    const err = await rejection(sdk(s.baseUrl).auth.me());

    expect(err).toMatchObject({ status: 429, type: '/problems/rate-limited' });
    expect((err as OrderlyError).headers.get('retry-after')).toBe('120');
    expect(s.seen).toHaveLength(1);
  });

  it('healthCheck returns the 503 report as it is: no retry, no throw', async () => {
    const report = {
      status: 'unavailable',
      checks: { database: { ok: false, detail: 'connection refused' } },
    };
    const s = await scripted([{ status: 503, body: report }], {
      status: 200,
      body: { status: 'ok', checks: {} },
    });

    expect(await sdk(s.baseUrl).system.healthCheck()).toEqual(report);
    expect(s.seen).toHaveLength(1);
  });

  it('turns an answer that is not problem+json into an OrderlyError too', async () => {
    const s = await scripted([
      { status: 404, headers: { 'content-type': 'text/html' }, body: '<h1>Not here</h1>' },
    ]);
    const err = await rejection(sdk(s.baseUrl).users.get('usr_1'));

    expect(err).toBeInstanceOf(OrderlyError);
    expect(err).toMatchObject({
      status: 404,
      type: 'about:blank',
      title: 'Not Found',
      detail: '<h1>Not here</h1>',
    });
    expect((err as OrderlyError).problem.instance).toBe('/v1/users/usr_1');
  });

  it('an aborted call stops waiting between retries', async () => {
    const s = await scripted([], problem(503, 'unavailable'));
    const started = performance.now();
    const err = await rejection(
      sdk(s.baseUrl, { base_delay_ms: 10_000, max_delay_ms: 10_000 }).auth.me({
        signal: AbortSignal.timeout(100),
      }),
    );

    expect((err as Error).name).toBe('TimeoutError');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(s.seen).toHaveLength(1);
  });
});

describe('retry policy', () => {
  const policy = retryPolicy({ base_delay_ms: 100, max_delay_ms: 1_000 });

  it('backs off exponentially with jitter, capped at max_delay_ms', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 0.999_999))).toEqual(
      [100, 200, 400, 800, 1_000].map((ms) => expect.closeTo(ms, 2)),
    );
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs(' 3 ')).toBe(3_000);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5_000);
    expect(retryAfterMs('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('fills in defaults and refuses nonsense', () => {
    expect(retryPolicy()).toEqual(DEFAULT_RETRY);
    expect(retryPolicy({ max_attempts: 1 }).max_attempts).toBe(1);
    expect(() => retryPolicy({ max_attempts: 0 })).toThrow(RangeError);
    expect(() => retryPolicy({ max_attempts: 2.5 })).toThrow(RangeError);
    expect(() => retryPolicy({ base_delay_ms: -1 })).toThrow(RangeError);
  });
});

describe('idempotency keys', () => {
  it('are version 4 UUIDs, also where crypto.randomUUID is missing (plain-http browser pages)', () => {
    const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(randomUuid()).toMatch(UUID_V4);
    const original = globalThis.crypto.randomUUID;
    try {
      Object.defineProperty(globalThis.crypto, 'randomUUID', { value: undefined, configurable: true });
      const keys = Array.from({ length: 50 }, () => randomUuid());
      for (const key of keys) expect(key).toMatch(UUID_V4);
      expect(new Set(keys).size).toBe(50);
    } finally {
      Object.defineProperty(globalThis.crypto, 'randomUUID', { value: original, configurable: true });
    }
  });
});
