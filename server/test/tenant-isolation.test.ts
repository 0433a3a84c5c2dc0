import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations as ops, seedTenant, type TestTenant, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let a: TestTenant;
let b: TestTenant;
/** One object of tenant A per path parameter; a new route with a new parameter must add one. */
const fixtures: Record<string, string> = {};
const secrets: string[] = [];

beforeAll(async () => {
  env = await testApp();
  a = await seedTenant(env.pool, 'Tenant A');
  b = await seedTenant(env.pool, 'Tenant B');
  const user = await env.request('POST', '/v1/users', {
    key: a.keys.admin,
    body: {
      email: 'only-in-a@example.com',
      name: 'Alice of A',
      role: 'support',
      password: 'a long enough password',
    },
  });
  fixtures.user_id = user.json.user_id;
  const key = await env.request('POST', '/v1/api-keys', {
    key: a.keys.admin,
    body: { name: 'A key', role: 'support' },
  });
  fixtures.api_key_id = key.json.api_key_id;
  secrets.push(fixtures.user_id!, fixtures.api_key_id!, 'only-in-a@example.com', a.tenant_id, 'Tenant A');
});
afterAll(() => env.close());

const operations = () => ops(env.app);

describe('tenant isolation', () => {
  it("answers 404 (never 403, never the data) when tenant B asks for tenant A's objects on every route", async () => {
    const withParams = operations().filter((o) => o.path.includes('{'));
    expect(withParams.length).toBeGreaterThan(0);
    for (const op of withParams) {
      const url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        const id = fixtures[name];
        if (!id)
          throw new Error(
            `No tenant-isolation fixture for path parameter {${name}} (${op.method} ${op.path})`,
          );
        return id;
      });
      // A's admin reaches the object, so a 404 for B means isolation, not a wrong id.
      const own = await env.request(op.method, url, {
        key: a.keys.admin,
        body: op.method === 'GET' ? undefined : {},
      });
      expect(own.status, `${op.method} ${url} as A`).not.toBe(404);
      const res = await env.request(op.method, url, {
        key: b.keys.admin,
        body: op.method === 'GET' ? undefined : {},
      });
      expect(res.status, `${op.method} ${url} as B`).toBe(404);
      // Echoing the id B itself sent is no leak; anything else of A's would be.
      for (const s of secrets.filter((x) => !url.includes(x))) expect(res.text).not.toContain(s);
      expect(res.json.detail).toMatch(/not found/);
    }
  });

  it("never lists tenant A's objects to tenant B", async () => {
    const lists = operations().filter(
      (o) => o.method === 'GET' && !o.path.includes('{') && o.path.startsWith('/v1/'),
    );
    expect(lists.map((o) => o.path)).toEqual(
      expect.arrayContaining(['/v1/users', '/v1/api-keys', '/v1/events']),
    );
    for (const op of lists) {
      const res = await env.request('GET', op.path, { key: b.keys.admin });
      expect(res.status, op.path).toBe(200);
      for (const s of secrets) expect(res.text, `${op.path} leaks ${s}`).not.toContain(s);
    }
  });

  it("cannot change tenant A's objects from tenant B", async () => {
    const res = await env.request('PATCH', `/v1/users/${fixtures.user_id}`, {
      key: b.keys.admin,
      body: { role: 'admin' },
    });
    expect(res.status).toBe(404);
    const fresh = await env.request('POST', '/v1/api-keys', {
      key: a.keys.admin,
      body: { name: 'A2', role: 'support' },
    });
    const revoke = await env.request('POST', `/v1/api-keys/${fresh.json.api_key_id}/revoke`, {
      key: b.keys.admin,
    });
    expect(revoke.status).toBe(404);
    const { rows } = await env.pool.query('select role from users where user_id = $1', [fixtures.user_id]);
    expect(rows[0].role).toBe('support');
    const key = await env.pool.query('select revoked_at from api_keys where api_key_id = $1', [
      fresh.json.api_key_id,
    ]);
    expect(key.rows[0].revoked_at).toBeNull();
  });
});
