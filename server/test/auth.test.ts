import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROLES, type Role } from '../src/http/context.ts';
import { CONFIG_TTL_MS } from '../src/lib/ttl-cache.ts';
import { operations as ops, seedTenant, type TestTenant, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let tenant: TestTenant;

function operations() {
  return ops(env.app).map((o) => ({ ...o, url: o.path.replace(/\{[^}]+\}/g, 'unknown_id') }));
}

beforeAll(async () => {
  env = await testApp();
  tenant = await seedTenant(env.pool, 'Auth Co');
});
afterAll(() => env.close());

describe('every /v1 route checks authentication and role', () => {
  it('declares a role on every /v1 operation', () => {
    const ops = operations().filter((o) => o.path.startsWith('/v1/'));
    expect(ops.length).toBeGreaterThan(5);
    for (const op of ops)
      expect(ROLES.includes(op.role as Role) || op.role === 'public', `${op.method} ${op.path}`).toBe(true);
  });

  it('answers 401 problem+json without credentials and with an unknown key', async () => {
    for (const op of operations().filter((o) => o.path.startsWith('/v1/') && o.role !== 'public')) {
      for (const key of [undefined, 'ok_not_a_real_key']) {
        const res = await env.request(op.method, op.url, { key, body: op.method === 'GET' ? undefined : {} });
        expect(res.status, `${op.method} ${op.path} key=${key}`).toBe(401);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.json.type).toBe('/problems/unauthenticated');
      }
    }
  });

  it('answers 403 to a role below the one required, and lets the required role through', async () => {
    const rank = { support: 1, manager: 2, admin: 3 } as const;
    for (const op of operations().filter((o) => o.path.startsWith('/v1/') && o.role && o.role !== 'public')) {
      const need = op.role as Role;
      for (const role of ROLES) {
        const res = await env.request(op.method, op.url, {
          key: tenant.keys[role],
          body: op.method === 'GET' ? undefined : {},
        });
        const label = `${op.method} ${op.path} as ${role}`;
        if (rank[role] < rank[need]) {
          expect(res.status, label).toBe(403);
          expect(res.json.detail).toContain(need);
        } else {
          expect([401, 403], label).not.toContain(res.status);
        }
      }
    }
  });

  it('rejects a revoked key at once', async () => {
    const created = await env.request('POST', '/v1/api-keys', {
      key: tenant.keys.admin,
      body: { name: 'short-lived', role: 'support' },
    });
    expect(created.status).toBe(201);
    expect((await env.request('GET', '/v1/auth/me', { key: created.json.key })).status).toBe(200);
    const revoked = await env.request('POST', `/v1/api-keys/${created.json.api_key_id}/revoke`, {
      key: tenant.keys.admin,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).not.toBeNull();
    const after = await env.request('GET', '/v1/auth/me', { key: created.json.key });
    expect(after.status).toBe(401);
    expect(after.json.detail).toMatch(/revoked/);
  });

  it('refuses a key revoked by another process once the key cache has let it go', async () => {
    // A tenant of its own: a revocation through this process (the test above) bypasses the
    // tenant's cached keys for a while.
    const other = await seedTenant(env.pool, 'Auth Elsewhere Co');
    const created = await env.request('POST', '/v1/api-keys', {
      key: other.keys.admin,
      body: { name: 'revoked elsewhere', role: 'support' },
    });
    expect(created.status).toBe(201);
    expect((await env.request('GET', '/v1/auth/me', { key: created.json.key })).status).toBe(200);
    // Revoked straight in the database, as another process would: this one keeps the key it
    // knows (no query per request) until the cache's lifetime has passed.
    await env.pool.query('update api_keys set revoked_at = now() where api_key_id = $1', [
      created.json.api_key_id,
    ]);
    expect((await env.request('GET', '/v1/auth/me', { key: created.json.key })).status).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + CONFIG_TTL_MS + 1 });
    try {
      const after = await env.request('GET', '/v1/auth/me', { key: created.json.key });
      expect(after.status).toBe(401);
      expect(after.json.detail).toMatch(/revoked/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('records when a key was last used', async () => {
    const created = await env.request('POST', '/v1/api-keys', {
      key: tenant.keys.admin,
      body: { name: 'used once', role: 'support' },
    });
    expect(created.json.last_used_at).toBeNull();
    expect((await env.request('GET', '/v1/auth/me', { key: created.json.key })).status).toBe(200);
    await vi.waitFor(async () => {
      const key = await env.request('GET', `/v1/api-keys/${created.json.api_key_id}`, {
        key: tenant.keys.admin,
      });
      expect(key.json.last_used_at).not.toBeNull();
    });
  });

  it('never returns a key secret or a password hash after creation', async () => {
    const list = await env.request('GET', '/v1/api-keys', { key: tenant.keys.admin });
    expect(list.status).toBe(200);
    expect(list.text).not.toMatch(/"key"/);
    expect(list.text).not.toContain(tenant.keys.admin);
    const users = await env.request('GET', '/v1/users', { key: tenant.keys.admin });
    expect(users.text).not.toMatch(/password|scrypt/);
  });

  it('rejects an Authorization header that is not a bearer key', async () => {
    const res = await env.request('GET', '/v1/auth/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.status).toBe(401);
    expect(res.json.detail).toContain('Bearer');
  });
});

describe('dashboard sessions', () => {
  const password = 'correct horse battery staple';
  let email: string;

  beforeAll(async () => {
    email = `manager-${Date.now()}@example.com`;
    const res = await env.request('POST', '/v1/users', {
      key: tenant.keys.admin,
      body: { email, name: 'Mia Manager', role: 'manager', password },
    });
    expect(res.status).toBe(201);
  });

  it('signs in with an httpOnly SameSite=Strict cookie and acts with the user role', async () => {
    const bad = await env.request('POST', '/v1/auth/login', { body: { email, password: 'wrong password!' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();

    const res = await env.request('POST', '/v1/auth/login', {
      body: { email: email.toUpperCase(), password },
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const session = cookie.split(';')[0]!;
    expect(session).not.toContain(password);

    const me = await env.request('GET', '/v1/auth/me', { headers: { cookie: session } });
    expect(me.status).toBe(200);
    expect(me.json.user.email).toBe(email);
    expect(me.json.role).toBe('manager');
    // A manager's session may not administer users.
    expect((await env.request('GET', '/v1/users', { headers: { cookie: session } })).status).toBe(403);

    expect((await env.request('POST', '/v1/auth/logout', { headers: { cookie: session } })).status).toBe(204);
    expect((await env.request('GET', '/v1/auth/me', { headers: { cookie: session } })).status).toBe(401);
  });

  it('marks the cookie Secure when the request came over https', async () => {
    const res = await env.request('POST', '/v1/auth/login', {
      body: { email, password },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
  });

  it('ends sessions when the user is disabled', async () => {
    const login = await env.request('POST', '/v1/auth/login', { body: { email, password } });
    const session = login.headers.get('set-cookie')!.split(';')[0]!;
    const users = await env.request('GET', '/v1/users', { key: tenant.keys.admin });
    const user = users.json.data.find((u: { email: string }) => u.email === email);
    const disabled = await env.request('PATCH', `/v1/users/${user.user_id}`, {
      key: tenant.keys.admin,
      body: { disabled: true },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.json.disabled).toBe(true);
    expect((await env.request('GET', '/v1/auth/me', { headers: { cookie: session } })).status).toBe(401);
    expect((await env.request('POST', '/v1/auth/login', { body: { email, password } })).status).toBe(401);
  });

  it('stores passwords with a memory-hard KDF, never in clear', async () => {
    const { rows } = await env.pool.query('select password_hash from users where lower(email) = $1', [email]);
    expect(rows[0].password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(rows[0].password_hash).not.toContain(password);
  });
});
