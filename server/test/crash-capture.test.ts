import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../src/db/pool.ts';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import { CreateProductSchema } from '../src/modules/catalog/schema.ts';
import { createProduct } from '../src/modules/catalog/service.ts';
import { AdjustmentSchema } from '../src/modules/inventory/schema.ts';
import { adjust } from '../src/modules/inventory/stock.ts';
import { computeTotals } from '../src/modules/orders/totals.ts';
import { freePort, freshDatabase, spawnOrderly } from './support.ts';

/**
 * kill -9 of the API in the middle of a stream of captures: afterwards every order either exists
 * whole (lines, allocations, reservation, audit trail, events) or not at all, and retrying each
 * request with its Idempotency-Key gives the answer already given, or captures it once.
 */

let db: Awaited<ReturnType<typeof freshDatabase>>;
let key: string;
const ORDERS = 200;
const STOCK = 150;
const system = { type: 'system' as const, id: 'crash-test' };

beforeAll(async () => {
  db = await freshDatabase();
  key = (await createDemo(db.pool)).api_key!;
  const { rows } = await db.pool.query(
    `select location_id from locations where tenant_id = $1 and name = 'Edison DC'`,
    [T],
  );
  await withTransaction(db.pool, async (tx) => {
    await createProduct(
      tx,
      T,
      system,
      CreateProductSchema.parse({ sku: 'CRASH-1', name: 'Crash', weight_lb: 1, unit_cost: 1, price: 5 }),
    );
    await adjust(
      tx,
      T,
      system,
      AdjustmentSchema.parse({
        sku: 'CRASH-1',
        location_id: rows[0].location_id,
        reason: 'found',
        quantity: STOCK,
      }),
    );
  });
});
afterAll(() => db.drop());

const body = (i: number) => {
  const lines = [{ sku: 'CRASH-1', quantity: 1, unit_price: 5, discount: 0, tax: 0 }];
  return JSON.stringify({
    channel: 'web',
    channel_order_id: `CRASH-${i}`,
    customer: { name: `Customer ${i}`, email: `c${i}@example.com` },
    shipping_address: {
      line1: '1 Main St',
      city: 'New York',
      region: 'NY',
      postal_code: '10001',
      country: 'US',
    },
    lines,
    totals: computeTotals(lines, 0),
  });
};

async function startApi() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnOrderly(['start', '--api-only'], {
    DATABASE_URL: db.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    ORDERLY_DEMO: '0',
    LOG_LEVEL: 'warn',
  });
  // An API-only process answers /health 503 until a worker joins, but serves requests already.
  for (let i = 0; i < 300; i++) {
    if (child.proc.exitCode !== null) throw new Error(`orderly exited early:\n${child.output()}`);
    try {
      await fetch(`${base}/health`);
      return { base, child };
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`orderly did not listen:\n${child.output()}`);
}

const capture = (base: string, i: number) =>
  fetch(`${base}/v1/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'idempotency-key': `crash-${i}`,
    },
    body: body(i),
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));

describe('kill -9 of the API during captures', () => {
  it('leaves every order whole or absent, and retries with the same keys answer as before', async () => {
    const first = await startApi();
    const answered = new Map<number, { status: number; json: Record<string, unknown> }>();
    // 20 in flight at a time; the process is killed once a quarter of the orders were answered.
    let next = 0;
    const killed = (async () => {
      while (answered.size < ORDERS / 4) await sleep(5);
      first.child.proc.kill('SIGKILL');
    })();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < ORDERS) {
          const i = next++;
          try {
            answered.set(i, await capture(first.base, i));
          } catch {
            return; // the connection died with the process
          }
        }
      }),
    );
    await killed;
    await first.child.exited;
    expect(answered.size).toBeGreaterThanOrEqual(ORDERS / 4);
    expect(answered.size).toBeLessThan(ORDERS);

    // Every answer was given after its commit; requests cut off may or may not have committed.
    const committed = (
      await db.pool.query(
        `select count(*)::int as n from orders where tenant_id = $1 and channel_order_id like 'CRASH-%'`,
        [T],
      )
    ).rows[0].n as number;
    expect(committed).toBeGreaterThanOrEqual(answered.size);

    const second = await startApi();
    try {
      for (let i = 0; i < ORDERS; i++) {
        const again = await capture(second.base, i);
        expect(again.status, JSON.stringify(again.json)).toBe(201);
        const before = answered.get(i);
        if (before) expect(again).toEqual(before);
      }
    } finally {
      second.child.proc.kill('SIGTERM');
      await second.child.exited;
    }

    const q = async (sql: string) => (await db.pool.query(sql, [T])).rows;
    // One order per request, each with its line, its audit trail and one order.created event.
    expect(
      await q(
        `select count(*)::int as n from orders where tenant_id = $1 and channel_order_id like 'CRASH-%'`,
      ),
    ).toEqual([{ n: ORDERS }]);
    expect(
      await q(`select o.order_id from orders o where o.tenant_id = $1 and o.channel_order_id like 'CRASH-%'
               and (not exists (select 1 from order_lines l where l.tenant_id = o.tenant_id and l.order_id = o.order_id)
                 or not exists (select 1 from order_events e where e.tenant_id = o.tenant_id and e.order_id = o.order_id and e.type = 'created')
                 or (select count(*) from events v where v.tenant_id = o.tenant_id and v.type = 'order.created' and v.subject = o.order_id) <> 1)`),
    ).toEqual([]);
    // Exactly the stock there was is allocated, and the ledger holds what the orders hold.
    const [{ allocated }] = await q(
      `select coalesce(sum(allocated), 0)::int as allocated from order_lines where tenant_id = $1 and sku = 'CRASH-1'`,
    );
    expect(allocated).toBe(STOCK);
    expect(
      await q(`select available, reserved from inventory_balances where tenant_id = $1 and sku = 'CRASH-1'`),
    ).toEqual([{ available: 0, reserved: STOCK }]);
    // No reservation survives without its order.
    expect(
      await q(`select r.reservation_id from reservations r where r.tenant_id = $1 and r.reference like 'ord\\_%'
               and not exists (select 1 from orders o where o.tenant_id = r.tenant_id and o.order_id = r.reference)`),
    ).toEqual([]);
  }, 180_000);
});
