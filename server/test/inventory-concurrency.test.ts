import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayBalances } from '../src/modules/inventory/ledger.ts';
import { seedNetwork, stock } from './inventory-fixtures.ts';
import { seedTenant, type TestTenant, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let t: TestTenant;
let locations: string[];
const SKUS = ['HOT', 'S1', 'S2', 'S3', 'S4', 'S5'];

beforeAll(async () => {
  env = await testApp();
  t = await seedTenant(env.pool, 'Flash Sale Co');
  locations = await seedNetwork(env, t.keys.admin, { skus: SKUS, locations: 2 });
});
afterAll(() => env.close());

async function expectReplayMatches() {
  const replayed = await replayBalances(env.pool, t.tenant_id);
  const { rows } = await env.pool.query('select * from inventory_balances where tenant_id = $1', [
    t.tenant_id,
  ]);
  for (const r of rows) {
    const m = replayed.get(`${r.sku}\u0000${r.location_id}`) as Record<string, number> | undefined;
    for (const b of ['available', 'reserved', 'safety', 'quarantine', 'damaged', 'incoming']) {
      expect(r[b]).toBeGreaterThanOrEqual(0);
      expect(r[b], `${r.sku}@${r.location_id}.${b}`).toBe(m?.[b] ?? 0);
    }
  }
}

/** Runs `attempts` calls of `fn` from `clients` concurrent loops. */
async function hammer<T>(clients: number, attempts: number, fn: (i: number) => Promise<T>) {
  let next = 0;
  const results: T[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < attempts) {
        const i = next++;
        results.push(await fn(i));
      }
    }),
  );
  return results;
}

// The heavy cases get three minutes: on two cores they share the machine with other test files.
describe('no oversell under concurrency (real Postgres)', () => {
  it('100 clients, 5,000 attempts at 1 unit of a SKU with 1,000: exactly 1,000 succeed', async () => {
    const at = locations[0]!;
    await stock(env, t.keys.manager, 'HOT', at, 1000);
    const statuses = await hammer(100, 5000, async () => {
      const res = await env.request('POST', '/v1/inventory/reservations', {
        key: t.keys.manager,
        body: { lines: [{ sku: 'HOT', location_id: at, quantity: 1 }] },
      });
      return res.status;
    });
    expect(statuses.filter((s) => s === 201)).toHaveLength(1000);
    expect(statuses.filter((s) => s === 409)).toHaveLength(4000);
    const { rows } = await env.pool.query(
      'select available, reserved from inventory_balances where sku = $1 and location_id = $2',
      ['HOT', at],
    );
    expect(rows[0]).toEqual({ available: 0, reserved: 1000 });
    const held = await env.pool.query(
      `select coalesce(sum(quantity), 0)::int as n from reservation_lines where tenant_id = $1 and sku = 'HOT'`,
      [t.tenant_id],
    );
    expect(held.rows[0].n).toBe(1000);
    await expectReplayMatches();
  }, 180_000);

  it('concurrent multi-line reservations over overlapping SKUs in random order: no deadlock, no oversell', async () => {
    const pairs = SKUS.slice(1).flatMap((sku) => locations.map((location_id) => ({ sku, location_id })));
    for (const p of pairs) await stock(env, t.keys.manager, p.sku, p.location_id, 60);
    const statuses = await hammer(40, 600, async () => {
      const shuffled = [...pairs].sort(() => Math.random() - 0.5).slice(0, 2 + Math.floor(Math.random() * 4));
      const res = await env.request('POST', '/v1/inventory/reservations', {
        key: t.keys.manager,
        body: { lines: shuffled.map((p) => ({ ...p, quantity: 1 + Math.floor(Math.random() * 3) })) },
      });
      if (res.status === 201 && Math.random() < 0.3) {
        const action = Math.random() < 0.5 ? 'post' : 'void';
        const settled = await env.request(
          'POST',
          `/v1/inventory/reservations/${res.json.reservation_id}/${action}`,
          {
            key: t.keys.manager,
          },
        );
        expect(settled.status).toBe(200);
      }
      return res.status;
    });
    // Only successes and clean "not enough stock" answers: a deadlock or a check violation would be a 500.
    expect(new Set(statuses)).toEqual(new Set([201, 409]));
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(50);
    const { rows } = await env.pool.query(
      `select b.sku, b.location_id, b.reserved,
              coalesce((select sum(l.quantity - l.posted - l.voided) from reservation_lines l
                        where l.tenant_id = b.tenant_id and l.sku = b.sku and l.location_id = b.location_id), 0)::int as held
       from inventory_balances b where b.tenant_id = $1`,
      [t.tenant_id],
    );
    for (const r of rows) expect(r.reserved, `${r.sku}@${r.location_id}`).toBe(r.held);
    await expectReplayMatches();
  }, 180_000);

  it('group-committed reservations: the same Idempotency-Key sent 10 times at once reserves once', async () => {
    const at = locations[1]!;
    await stock(env, t.keys.manager, 'S1', at, 5);
    const before = await env.pool.query(
      'select available from inventory_balances where tenant_id = $1 and sku = $2 and location_id = $3',
      [t.tenant_id, 'S1', at],
    );
    // Other reservations of the SKU at the same time, so the repeats share batches with them.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        env.request('POST', '/v1/inventory/reservations', {
          key: t.keys.manager,
          headers: { 'idempotency-key': i % 2 === 0 ? 'checkout-42' : `other-${i}` },
          body: { lines: [{ sku: 'S1', location_id: at, quantity: i % 2 === 0 ? 2 : 1 }] },
        }),
      ),
    );
    const repeats = answers.filter((_, i) => i % 2 === 0);
    expect(repeats.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(repeats.map((r) => r.json.reservation_id)).size).toBe(1);
    const others = answers.filter((_, i) => i % 2 === 1).filter((r) => r.status === 201);
    const after = await env.pool.query(
      'select available from inventory_balances where tenant_id = $1 and sku = $2 and location_id = $3',
      [t.tenant_id, 'S1', at],
    );
    expect(after.rows[0].available).toBe(before.rows[0].available - 2 - others.length);
    await expectReplayMatches();
  });
});
