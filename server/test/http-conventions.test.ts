import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenant, type TestTenant, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let t: TestTenant;

const counts = async () => {
  const { rows } = await env.pool.query(
    `select (select count(*) from users)::int as users, (select count(*) from api_keys)::int as keys,
            (select count(*) from events)::int as events, (select count(*) from idempotency_keys)::int as idem`,
  );
  return rows[0];
};

const validUser = (email: string) => ({
  email,
  name: 'Val Id',
  role: 'support',
  password: 'long enough password',
});

function expectProblem(res: { status: number; headers: Headers; json: any }, status: number, type: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.json).toMatchObject({ type: `/problems/${type}`, status, title: expect.any(String) });
  expect(res.json.detail.length).toBeGreaterThan(5);
  expect(res.json.request_id).toBe(res.headers.get('x-request-id'));
}

beforeAll(async () => {
  env = await testApp({ bodyLimitBytes: 4096 });
  t = await seedTenant(env.pool, 'Conventions Co');
});
afterAll(() => env.close());

describe('bad input is answered as problem+json, writes nothing, and the server keeps serving', () => {
  const cases: Array<[string, () => Promise<any>, number, string, string?]> = [
    [
      'malformed JSON',
      () => env.request('POST', '/v1/users', { key: t.keys.admin, body: '{"email": ' }),
      400,
      'malformed-request',
    ],
    [
      'wrong types',
      () =>
        env.request('POST', '/v1/users', {
          key: t.keys.admin,
          body: { ...validUser('a@example.com'), role: 7 },
        }),
      422,
      'validation-error',
      'body.role',
    ],
    [
      'unknown field',
      () =>
        env.request('POST', '/v1/users', {
          key: t.keys.admin,
          body: { ...validUser('b@example.com'), admin: true },
        }),
      422,
      'validation-error',
      'body.admin',
    ],
    [
      'bad email',
      () => env.request('POST', '/v1/users', { key: t.keys.admin, body: validUser('not-an-email') }),
      422,
      'validation-error',
      'body.email',
    ],
    [
      'oversized body',
      () =>
        env.request('POST', '/v1/users', {
          key: t.keys.admin,
          body: { ...validUser('c@example.com'), name: 'x'.repeat(10_000) },
        }),
      413,
      'payload-too-large',
    ],
    [
      'not JSON',
      () =>
        env.request('POST', '/v1/users', {
          key: t.keys.admin,
          body: 'email=a',
          headers: { 'content-type': 'text/plain' },
        }),
      415,
      'unsupported-media-type',
    ],
    [
      'bad query parameter',
      () => env.request('GET', '/v1/users?limit=0', { key: t.keys.admin }),
      422,
      'validation-error',
      'query.limit',
    ],
    [
      'bad cursor',
      () => env.request('GET', '/v1/events?after=-4', { key: t.keys.admin }),
      422,
      'validation-error',
      'query.after',
    ],
    ['unknown route', () => env.request('GET', '/v1/nothing-here', { key: t.keys.admin }), 404, 'not-found'],
    [
      'unknown object',
      () => env.request('GET', '/v1/users/usr_missing', { key: t.keys.admin }),
      404,
      'not-found',
    ],
    [
      'duplicate email',
      async () => {
        await env.request('POST', '/v1/users', { key: t.keys.admin, body: validUser('dup@example.com') });
        return env.request('POST', '/v1/users', { key: t.keys.admin, body: validUser('DUP@example.com') });
      },
      409,
      'conflict',
    ],
  ];

  for (const [name, send, status, type, field] of cases) {
    it(`${name} → ${status}`, async () => {
      const before = await counts();
      const res = await send();
      expectProblem(res, status, type);
      if (field) expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(field);
      if (field) expect(res.json.detail).toContain(field);
      const after = await counts();
      // duplicate email legitimately created the first user and its event
      if (name !== 'duplicate email') expect(after).toEqual(before);
      expect((await env.request('GET', '/v1/auth/me', { key: t.keys.admin })).status).toBe(200);
    });
  }

  it('hides internal errors behind a 500 with a request id, no stack trace', async () => {
    const { createApp } = await import('../src/http/app.ts');
    const { createPool } = await import('../src/db/pool.ts');
    // A database that is not there fails every query with a driver error.
    const pool = createPool('postgres://nobody:secret-password@127.0.0.1:1/none', env.deps.log, 1);
    const app = createApp({ ...env.deps, pool }, { inProcess: () => true });
    const res = await app.request('/v1/auth/me', { headers: { authorization: `Bearer ${t.keys.admin}` } });
    const body = (await res.json()) as any;
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(body.type).toBe('/problems/internal');
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|secret-password|at .*\.ts/);
    expect(body.detail).toContain(body.request_id);
    await pool.end();
  });
});

describe('the body limit and the request id over a real socket', () => {
  // Over a socket a body has a Content-Length (judged by the header) or is chunked (counted as it
  // streams); app.request above builds requests with neither, so each path is checked here.
  const send = async (port: number, body: string | Readable, chunked: boolean) => {
    const res = await request(`http://127.0.0.1:${port}/v1/users`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${t.keys.admin}`,
        'content-type': 'application/json',
        ...(chunked ? {} : { 'content-length': String(Buffer.byteLength(body as string)) }),
      },
      body,
    });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      headers: new Headers(res.headers as Record<string, string>),
      json: JSON.parse(text),
    };
  };
  // A stream of unknown length: undici sends it chunked.
  const chunks = (text: string) =>
    Readable.from(
      Array.from({ length: Math.ceil(text.length / 1000) }, (_, i) => text.slice(i * 1000, i * 1000 + 1000)),
    );

  it('refuses an oversized body by its Content-Length or as it streams; a small one goes through', async () => {
    const server = serve({ fetch: env.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const before = await counts();
      const big = JSON.stringify({ ...validUser('big@example.com'), name: 'x'.repeat(10_000) });
      expectProblem(await send(port, big, false), 413, 'payload-too-large');
      expectProblem(await send(port, chunks(big), true), 413, 'payload-too-large');
      expect(await counts()).toEqual(before);
      const small = JSON.stringify(validUser('small@example.com'));
      const created = await send(port, small, false);
      expect(created.status).toBe(201);
      expect(created.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect((await send(port, chunks(JSON.stringify(validUser('chunked@example.com'))), true)).status).toBe(
        201,
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('Idempotency-Key', () => {
  it('replays the stored answer for the same key and body, and writes once', async () => {
    const send = () =>
      env.request('POST', '/v1/api-keys', {
        key: t.keys.admin,
        body: { name: 'idem', role: 'support' },
        headers: { 'idempotency-key': 'create-idem-key-1' },
      });
    const first = await send();
    expect(first.status).toBe(201);
    const before = await counts();
    const second = await send();
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    // the same key record, but the secret is never stored, so the replay cannot show it
    expect(second.json).toEqual({ ...first.json, key: expect.stringContaining('redacted') });
    const stored = await env.pool.query('select response_body from idempotency_keys');
    expect(stored.rows.map((r) => r.response_body).join()).not.toContain(first.json.key);
    expect(await counts()).toEqual(before);
  });

  it('answers 409 for the same key with a different body, writing nothing', async () => {
    const before = await counts();
    const res = await env.request('POST', '/v1/api-keys', {
      key: t.keys.admin,
      body: { name: 'different', role: 'support' },
      headers: { 'idempotency-key': 'create-idem-key-1' },
    });
    expectProblem(res, 409, 'idempotency-conflict');
    expect(await counts()).toEqual(before);
  });

  it('lets 20 concurrent requests with one key create exactly one object', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        env.request('POST', '/v1/api-keys', {
          key: t.keys.admin,
          body: { name: 'concurrent', role: 'support' },
          headers: { 'idempotency-key': 'concurrent-key' },
        }),
      ),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(new Set(results.map((r) => r.json.api_key_id)).size).toBe(1);
    const { rows } = await env.pool.query(
      `select count(*)::int as n from api_keys where name = 'concurrent'`,
    );
    expect(rows[0].n).toBe(1);
  });

  it('does not store failed requests, so a corrected retry with the same key goes through', async () => {
    const bad = await env.request('POST', '/v1/users', {
      key: t.keys.admin,
      body: validUser('nope'),
      headers: { 'idempotency-key': 'fix-and-retry' },
    });
    expect(bad.status).toBe(422);
    const good = await env.request('POST', '/v1/users', {
      key: t.keys.admin,
      body: validUser('fixed@example.com'),
      headers: { 'idempotency-key': 'fix-and-retry' },
    });
    expect(good.status).toBe(201);
  });

  it('scopes keys to the caller: another key reusing it gets a conflict, not the first answer', async () => {
    const res = await env.request('POST', '/v1/api-keys', {
      key: (await seedTenant(env.pool, 'Other')).keys.admin,
      body: { name: 'idem', role: 'support' },
      headers: { 'idempotency-key': 'create-idem-key-1' },
    });
    // a different tenant has its own key space: this is a fresh request
    expect(res.status).toBe(201);
    const sameTenantOtherKey = await env.request('POST', '/v1/api-keys', {
      key: t.keys.manager,
      body: { name: 'idem', role: 'support' },
      headers: { 'idempotency-key': 'create-idem-key-1' },
    });
    // the same tenant's other caller may not replay someone else's answer
    expectProblem(sameTenantOtherKey, 409, 'idempotency-conflict');
  });

  it('rejects a malformed key', async () => {
    const res = await env.request('POST', '/v1/api-keys', {
      key: t.keys.admin,
      body: { name: 'x', role: 'support' },
      headers: { 'idempotency-key': 'x'.repeat(300) },
    });
    expectProblem(res, 400, 'malformed-request');
  });
});

describe('pagination', () => {
  it('walks every user exactly once with cursors', async () => {
    const p = await seedTenant(env.pool, 'Pages');
    for (let i = 0; i < 7; i++) {
      await env.request('POST', '/v1/users', { key: p.keys.admin, body: validUser(`page${i}@example.com`) });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await env.request('GET', `/v1/users?limit=3${cursor ? `&cursor=${cursor}` : ''}`, {
        key: p.keys.admin,
      });
      expect(res.status).toBe(200);
      expect(res.json.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.json.data.map((u: { email: string }) => u.email));
      cursor = res.json.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `page${i}@example.com`).sort());
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a key exceeds its rate, other keys unaffected', async () => {
    const limited = await testApp({ rateLimitPerSecond: 5 });
    try {
      const lt = await seedTenant(limited.pool, 'Busy');
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 30; i++) {
        const res = await limited.request('GET', '/v1/auth/me', { key: lt.keys.support });
        statuses.push(res.status);
        if (res.status === 429) {
          retryAfter = res.headers.get('retry-after');
          expectProblem(res, 429, 'rate-limited');
        }
      }
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(10);
      expect(statuses).toContain(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect((await limited.request('GET', '/v1/auth/me', { key: lt.keys.admin })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('operations endpoints', () => {
  it('serves /health, /metrics, /openapi.json and /docs', async () => {
    const health = await env.request('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json.checks).toMatchObject({
      database: { ok: true },
      migrations: { ok: true },
      workers: { ok: true },
    });
    const metrics = await env.request('GET', '/metrics');
    expect(metrics.text).toContain('orderly_http_request_duration_seconds_bucket');
    expect(metrics.text).toContain('orderly_db_pool_connections');
    expect(metrics.text).toContain('orderly_workflows_total');
    const doc = await env.request('GET', '/openapi.json');
    expect(doc.json.openapi).toBe('3.1.0');
    expect(doc.json.paths['/v1/users'].post.requestBody).toBeDefined();
    expect(doc.json.components.schemas.Problem).toBeDefined();
    const docs = await env.request('GET', '/docs');
    expect(docs.text).toContain('swagger-ui-bundle.js');
    expect((await env.request('GET', '/docs/swagger-ui-bundle.js')).status).toBe(200);
  });

  it('reports workers missing when none runs', async () => {
    const { createApp } = await import('../src/http/app.ts');
    const app = createApp(env.deps, { inProcess: () => false });
    const res = await app.request('/health');
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).checks.workers.ok).toBe(false);
  });
});
