import type { Pool } from '../src/db/pool.ts';
import { computeTotals } from '../src/modules/orders/totals.ts';
import type { testAppOn } from './support.ts';

/** Order bodies and stock set-ups shared by the order tests (demo tenant network). */

export const NYC = {
  line1: '1 Main St',
  city: 'New York',
  region: 'NY',
  postal_code: '10001',
  country: 'US',
};
export const SEATTLE = {
  line1: '400 Pine St',
  city: 'Seattle',
  region: 'WA',
  postal_code: '98101',
  country: 'US',
};

type Line = { sku: string; quantity: number; unit_price?: number; discount?: number; tax?: number };

let seq = 0;

/** A capture body whose totals add up; override anything. */
export function orderBody(lines: Line[], over: Record<string, unknown> = {}) {
  const priced = lines.map((l) => ({ unit_price: 10, discount: 0, tax: 0, ...l }));
  const shipping = (over.shipping as number | undefined) ?? 5;
  const { shipping: _s, ...rest } = over;
  return {
    channel: 'web',
    channel_order_id: `T-${process.pid}-${++seq}`,
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    shipping_address: NYC,
    lines: priced,
    totals: computeTotals(priced, shipping),
    ...rest,
  };
}

export type Env = ReturnType<typeof testAppOn>;

export async function locationIds(env: Env, key: string): Promise<Record<string, string>> {
  const res = await env.request('GET', '/v1/locations?limit=200', { key });
  const ids: Record<string, string> = {};
  for (const l of res.json.data as { name: string; location_id: string }[]) {
    ids[l.name.split(' ')[0]!.toLowerCase()] = l.location_id;
  }
  return ids;
}

/** A product only this test uses, with `stock` available at each named location. */
export async function productWithStock(env: Env, key: string, sku: string, stock: Record<string, number>) {
  const created = await env.request('POST', '/v1/products', {
    key,
    body: { sku, name: `Test ${sku}`, weight_lb: 1, unit_cost: 4, price: 10 },
  });
  if (created.status !== 201) throw new Error(`product ${sku}: ${created.status} ${created.text}`);
  for (const [location_id, quantity] of Object.entries(stock))
    await addStock(env, key, sku, location_id, quantity);
}

export async function addStock(env: Env, key: string, sku: string, location_id: string, quantity: number) {
  const res = await env.request('POST', '/v1/inventory/adjustments', {
    key,
    body: { sku, location_id, reason: 'found', quantity },
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`stock ${sku}: ${res.status} ${res.text}`);
}

/**
 * The order side and the ledger agree: for every (sku, location), what open orders hold in their
 * allocations is what their reservations hold, and no balance is negative or over-reserved.
 */
export async function ordersMatchLedger(pool: Pool, tenantId: string) {
  const { rows } = await pool.query(
    `with held as (
       select l.sku, l.location_id, sum(l.quantity - l.posted - l.voided)::int as units
       from reservations r join reservation_lines l using (tenant_id, reservation_id)
       where r.tenant_id = $1 and r.reference like 'ord\\_%' group by 1, 2
     ), allocated as (
       select sku, location_id, sum(quantity)::int as units from order_allocations
       where tenant_id = $1 group by 1, 2
     )
     select coalesce(h.sku, a.sku) as sku, coalesce(h.location_id, a.location_id) as location_id,
       coalesce(h.units, 0) as held, coalesce(a.units, 0) as allocated
     from held h full join allocated a on a.sku = h.sku and a.location_id = h.location_id
     where coalesce(h.units, 0) <> coalesce(a.units, 0)`,
    [tenantId],
  );
  return rows;
}
