import { type Pool, type Queryable, withTransaction } from './db/pool.ts';
import {
  DEMO_BUNDLE,
  DEMO_CARRIER,
  DEMO_CARRIER_SERVICES,
  DEMO_CHANNEL_POOLS,
  DEMO_LOCATIONS,
  DEMO_ORDERS,
  DEMO_PRODUCTS,
  DEMO_SAFETY_STOCK,
  DEMO_STOCK,
  type DemoLocationKey,
} from './demo-data.ts';
import type { Actor } from './http/context.ts';
import { CreateBundleSchema, CreateProductSchema } from './modules/catalog/schema.ts';
import * as catalog from './modules/catalog/service.ts';
import { setChannelPool } from './modules/inventory/reservations.ts';
import { ChannelPoolInputSchema, SafetyStockSchema, StockImportSchema } from './modules/inventory/schema.ts';
import { importStock, setSafetyStock } from './modules/inventory/stock.ts';
import * as carriers from './modules/network/carriers.ts';
import {
  CreateCarrierSchema,
  CreateCarrierServiceSchema,
  CreateLocationSchema,
} from './modules/network/schema.ts';
import * as network from './modules/network/service.ts';
import { CreateOrderSchema } from './modules/orders/schema.ts';
import * as orders from './modules/orders/service.ts';
import { computeTotals } from './modules/orders/totals.ts';
import * as tenancy from './modules/tenancy/service.ts';

export const DEMO_TENANT_ID = 'ten_demo';
export const DEMO_ADMIN = { email: 'admin@demo.orderly.dev', password: 'orderly-demo-admin' };

/**
 * The demo tenant: an admin who can sign in to the dashboard, an admin API key, and a small
 * network with a catalog and stock (see demo-data.ts). All in one transaction: the demo exists
 * whole or not at all. Creating it twice is a no-op that answers `created: false`.
 * `withNetwork: false` makes only the tenant, admin and key, for a bootstrap key on a database
 * that is not the embedded demo one, where made-up warehouses and stock have no place.
 * `withOrders` adds a few days of orders (what `npm start` shows); tests start without them.
 */
export async function createDemo(
  pool: Pool,
  opts: { apiKey?: string; withNetwork?: boolean; withOrders?: boolean } = {},
) {
  return withTransaction(pool, async (tx) => {
    await tx.query('select pg_advisory_xact_lock(7461003)');
    const existing = await tx.query('select 1 from tenants where tenant_id = $1', [DEMO_TENANT_ID]);
    if (existing.rowCount) return { created: false as const, tenant_id: DEMO_TENANT_ID };
    await tenancy.createTenant(tx, 'Demo Outfitters', DEMO_TENANT_ID);
    const system = { type: 'system' as const, id: 'demo' };
    await tenancy.createUser(tx, DEMO_TENANT_ID, system, {
      ...DEMO_ADMIN,
      name: 'Demo Admin',
      role: 'admin',
    });
    const key = await tenancy.createApiKey(
      tx,
      DEMO_TENANT_ID,
      system,
      { name: 'demo admin key', role: 'admin' },
      opts.apiKey,
    );
    if (opts.withNetwork ?? true) {
      await seedNetworkAndStock(tx, DEMO_TENANT_ID, system);
      if (opts.withOrders) await seedOrders(tx, DEMO_TENANT_ID, system);
    }
    return { created: true as const, tenant_id: DEMO_TENANT_ID, api_key: key.key };
  });
}

/** Through each module's service, as a merchant's API calls would, so events are published too. */
async function seedNetworkAndStock(tx: Queryable, tenantId: string, actor: Actor) {
  const locationIds = {} as Record<DemoLocationKey, string>;
  for (const [key, input] of Object.entries(DEMO_LOCATIONS)) {
    const location = await network.createLocation(tx, tenantId, actor, CreateLocationSchema.parse(input));
    locationIds[key as DemoLocationKey] = location.location_id;
  }
  const carrier = await carriers.createCarrier(tx, tenantId, actor, CreateCarrierSchema.parse(DEMO_CARRIER));
  for (const service of DEMO_CARRIER_SERVICES) {
    const input = CreateCarrierServiceSchema.parse(service);
    await carriers.createService(tx, tenantId, actor, carrier.carrier_id, input);
  }
  for (const product of DEMO_PRODUCTS) {
    await catalog.createProduct(tx, tenantId, actor, CreateProductSchema.parse(product));
  }
  await catalog.createBundle(tx, tenantId, actor, CreateBundleSchema.parse(DEMO_BUNDLE));

  for (const { sku, at, quantity } of DEMO_SAFETY_STOCK) {
    const input = SafetyStockSchema.parse({ sku, location_id: locationIds[at], quantity });
    await setSafetyStock(tx, tenantId, actor, input);
  }
  const counts = Object.entries(DEMO_STOCK).flatMap(([sku, at]) =>
    Object.entries(at).map(([key, on_hand]) => ({
      sku,
      location_id: locationIds[key as DemoLocationKey],
      on_hand,
    })),
  );
  // Nothing has shipped yet, so the count reflects every fulfillment event there is: none.
  const stockImport = { covers_through_seq: 0, reference: 'demo opening stock', counts };
  await importStock(tx, tenantId, actor, StockImportSchema.parse(stockImport));

  for (const pool of DEMO_CHANNEL_POOLS) {
    await setChannelPool(tx, tenantId, actor, ChannelPoolInputSchema.parse(pool));
  }
}

/** Captured like a channel's orders, then held, cancelled in part or released as people would. */
async function seedOrders(tx: Queryable, tenantId: string, actor: Actor) {
  const now = Date.now();
  for (const o of DEMO_ORDERS) {
    const lines = o.lines.map((l) => ({ discount: 0, tax: 0, ...l }));
    const input = CreateOrderSchema.parse({
      channel: o.channel,
      channel_order_id: o.channel_order_id,
      customer: o.customer,
      shipping_address: { ...o.ship_to, name: o.customer.name, country: 'US' },
      lines,
      totals: computeTotals(lines, o.shipping),
      ...(o.service_level && { service_level: o.service_level }),
      tags: o.tags ?? [],
      placed_at: new Date(now - o.hours_ago * 3_600_000).toISOString(),
    });
    const { order } = await orders.captureOrder(tx, tenantId, actor, input);
    const id = order.order_id;
    if (o.afterwards?.hold) await orders.hold(tx, tenantId, actor, id, o.afterwards.hold);
    if (o.afterwards?.cancel_line) {
      const { reason, ...line } = o.afterwards.cancel_line;
      await orders.cancel(tx, tenantId, actor, id, { reason, lines: [line] });
    }
    if (o.afterwards?.release) await orders.releaseToFulfillment(tx, tenantId, actor, id);
  }
}

export async function hasAnyTenant(pool: Pool): Promise<boolean> {
  const { rowCount } = await pool.query('select 1 from tenants limit 1');
  return (rowCount ?? 0) > 0;
}
