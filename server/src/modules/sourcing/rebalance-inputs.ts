import type { Queryable } from '../../db/pool.ts';
import { zoneOrigin } from '../network/geo.ts';
import type { RebalanceInput, RebalanceLocation, RebalanceStock } from './rebalance.ts';

/**
 * What the rebalance planner needs, read in four queries: active locations that hold their own
 * stock (drop-ship and just-in-time locations cannot send or receive a transfer), sellable
 * (available) units, units allocated per location over the last `window_days` as velocity, and
 * each product's unit cost as its value. A (sku, location) with no orders in the window has zero
 * velocity. Storage capacity is not stored anywhere yet, so it comes from the request.
 */
export async function rebalanceInputs(
  db: Queryable,
  tenantId: string,
  params: {
    skus?: readonly string[] | undefined;
    window_days: number;
    seasonal_factors?: Readonly<Record<string, number>> | undefined;
    storage_capacity_units?: Readonly<Record<string, number>> | undefined;
  },
): Promise<RebalanceInput> {
  const skuFilter = params.skus && params.skus.length > 0 ? [...params.skus] : null;

  const locs = await db.query<{
    location_id: string;
    address: { postal_code?: string; country?: string };
    latitude: number;
    longitude: number;
  }>(
    `select location_id, address, latitude, longitude from locations
      where tenant_id = $1 and active and inventory_type = 'owned' order by location_id`,
    [tenantId],
  );
  const locations: RebalanceLocation[] = locs.rows.map((l) => ({
    location_id: l.location_id,
    point: zoneOrigin(l.address.postal_code ?? '', l.address.country ?? '', {
      latitude: l.latitude,
      longitude: l.longitude,
    }),
    storage_capacity_units: params.storage_capacity_units?.[l.location_id],
  }));
  const ids = locations.map((l) => l.location_id);

  // Capacity counts every SKU held, so stock is read for all SKUs; the filter applies to the plan.
  const balances = await db.query<{ sku: string; location_id: string; available: number }>(
    `select sku, location_id, available from inventory_balances
      where tenant_id = $1 and location_id = any($2) and available > 0`,
    [tenantId, ids],
  );
  const sold = await db.query<{ sku: string; location_id: string; units: string }>(
    `select a.sku, a.location_id, sum(a.quantity) as units
       from order_allocations a
       join orders o on o.tenant_id = a.tenant_id and o.order_id = a.order_id
      where a.tenant_id = $1 and a.location_id = any($2)
        and o.placed_at >= now() - make_interval(days => $3)
        and ($4::text[] is null or a.sku = any($4))
      group by a.sku, a.location_id`,
    [tenantId, ids, params.window_days, skuFilter],
  );

  const key = (sku: string, loc: string) => `${sku}\u0000${loc}`;
  const cells = new Map<string, RebalanceStock>();
  const cell = (sku: string, location_id: string) => {
    const k = key(sku, location_id);
    let c = cells.get(k);
    if (!c) {
      c = { sku, location_id, on_hand: 0, velocity_per_day: 0 };
      cells.set(k, c);
    }
    return c;
  };
  for (const b of balances.rows) cell(b.sku, b.location_id).on_hand = b.available;
  for (const s of sold.rows)
    cell(s.sku, s.location_id).velocity_per_day = Number(s.units) / params.window_days;

  // SKUs outside the filter are not planned, but their units still take storage room.
  const planned = skuFilter ? new Set(skuFilter) : null;
  const stock = [...cells.values()].filter((c) => !planned || planned.has(c.sku));
  const other = new Map<string, number>();
  for (const c of cells.values())
    if (planned && !planned.has(c.sku)) other.set(c.location_id, (other.get(c.location_id) ?? 0) + c.on_hand);
  for (const l of locations) l.other_units = other.get(l.location_id) ?? 0;

  const skus = [...new Set(stock.map((s) => s.sku))];
  const products = await db.query<{ sku: string; unit_cost: string }>(
    'select sku, unit_cost from products where tenant_id = $1 and sku = any($2)',
    [tenantId, skus],
  );
  return {
    locations,
    stock,
    unit_values: Object.fromEntries(products.rows.map((p) => [p.sku, Number(p.unit_cost)])),
    seasonal_factors: params.seasonal_factors,
  };
}
