import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import { type Env, locationIds, orderBody, ordersMatchLedger, productWithStock } from './orders-fixtures.ts';
import { freshDatabase, spawnOrderly, testAppOn } from './support.ts';

/**
 * kill -9 of the worker while its order-lifecycle workflows release orders to fulfillment: a new
 * worker with the same executor id resumes them, and every order is released exactly once — one
 * release on its trail, one fulfillment order per location, one assignment event each — with the
 * ledger and the orders still in agreement.
 */

let db: Awaited<ReturnType<typeof freshDatabase>>;
let env: Env;
let key: string;
const ORDERS = 150;

const post = async (url: string, body: unknown, method = 'POST') => {
  const res = await env.request(method, url, { key, body });
  expect(res.status, `${url}: ${res.text}`).toBeLessThan(300);
  return res.json;
};
const count = async (sql: string) => (await db.pool.query(sql, [T])).rows[0].n as number;
const released = () =>
  count(
    `select count(*)::int as n from orders where tenant_id = $1 and released_at is not null and channel = 'crash'`,
  );

async function until(what: string, done: () => Promise<boolean>, timeout_ms = 90_000) {
  const deadline = Date.now() + timeout_ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  db = await freshDatabase();
  key = (await createDemo(db.pool)).api_key!;
  env = testAppOn(db.pool);
});
afterAll(() => db.drop());

describe('kill -9 of the worker during order releases', () => {
  it('releases every order exactly once after a new worker resumes the workflows', {
    timeout: 180_000,
  }, async () => {
    const spawnWorker = () =>
      spawnOrderly(['worker', '--executor-id', 'release-crash-worker'], {
        DATABASE_URL: db.url,
        LOG_LEVEL: 'warn',
      });
    const first = spawnWorker();
    let second: ReturnType<typeof spawnOrderly> | undefined;
    try {
      await until(
        'the worker',
        async () => (await db.pool.query('select 1 from orderly_system.workers')).rowCount === 1,
      );
      const loc = await locationIds(env, key);
      await productWithStock(env, key, 'CRASH-REL', { [loc.edison!]: ORDERS, [loc.reno!]: ORDERS });
      await post(
        '/v1/fulfillment-settings',
        {
          branding: { name: 'Demo', logo_url: null, message: null },
          auto_assign: true,
          auto_release: { enabled: true, after_minutes: 0 },
        },
        'PUT',
      );
      for (let i = 0; i < ORDERS; i++) {
        await post('/v1/orders', orderBody([{ sku: 'CRASH-REL', quantity: 1 }], { channel: 'crash' }));
      }
      await until('releases to start', async () => (await released()) >= 5);
      first.proc.kill('SIGKILL');
      await first.exited;
      const atKill = await released();
      expect(atKill).toBeLessThan(ORDERS);

      second = spawnWorker();
      await until('every order to be released', async () => (await released()) === ORDERS);

      // Exactly once: one release on each trail, one fulfillment order holding each unit.
      expect(
        await count(
          `select count(*)::int as n from order_events e join orders o using (tenant_id, order_id)
           where e.tenant_id = $1 and o.channel = 'crash' and e.type = 'released_to_fulfillment'`,
        ),
      ).toBe(ORDERS);
      expect(
        await count(
          `select count(*)::int as n from order_allocations a join orders o using (tenant_id, order_id)
           where a.tenant_id = $1 and o.channel = 'crash' and a.quantity > 0 and a.fulfillment_order_id is null`,
        ),
      ).toBe(0);
      const fulfillmentOrders = await count(
        `select count(*)::int as n from fulfillment_orders f
         where f.tenant_id = $1 and exists (select 1 from orders o where o.tenant_id = f.tenant_id
           and o.order_id = any(f.order_ids) and o.channel = 'crash')`,
      );
      expect(fulfillmentOrders).toBe(ORDERS);
      expect(
        await count(
          `select count(*)::int as n from events e where e.tenant_id = $1 and e.type = 'fulfillment_request.assigned'`,
        ),
      ).toBe(fulfillmentOrders);
      expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
      // The workflows all go on, waiting for their shipments; none failed.
      const { rows } = await db.pool.query(
        `select status, count(*)::int as n from dbos.workflow_status
         where name = 'orderly.order-lifecycle' group by status`,
      );
      expect(rows).toEqual([{ status: 'PENDING', n: ORDERS }]);
    } finally {
      for (const w of [first, second]) {
        if (w && w.proc.exitCode === null) {
          w.proc.kill('SIGTERM');
          await w.exited;
        }
      }
    }
  });
});
