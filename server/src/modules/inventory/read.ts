import type { Queryable } from '../../db/pool.ts';
import { notFound } from '../../http/problem.ts';
import { bundleSellable, findBundles, findProducts } from '../catalog/service.ts';
import { findLocations } from '../network/service.ts';
import { type Balance, BUCKETS, toBalance } from './ledger.ts';
import * as store from './store.ts';

export type BalanceFilter = { skus?: string[]; location_ids?: string[]; held_back?: boolean };

/** Balances ordered by (sku, location); `after` is the last row's key from the previous page. */
export async function listBalances(
  db: Queryable,
  tenantId: string,
  filter: BalanceFilter,
  after: string | undefined,
  limit: number,
) {
  const [afterSku, afterLocation] = after ? after.split('\u0000') : [null, null];
  const { rows } = await db.query(
    `select * from inventory_balances
     where tenant_id = $1 and ($2::text[] is null or sku = any($2)) and ($3::text[] is null or location_id = any($3))
       and ($4::text is null or (sku, location_id) > ($4, $5))
       and (not $7 or safety_target > 0 or safety > 0)
     order by sku, location_id limit $6`,
    [
      tenantId,
      filter.skus ?? null,
      filter.location_ids ?? null,
      afterSku,
      afterLocation,
      limit,
      filter.held_back ?? false,
    ],
  );
  return rows.map(toBalance);
}

export const balanceCursor = (b: Balance) => `${b.sku}\u0000${b.location_id}`;

/** One SKU everywhere: totals and each location with its type (seed 000's getGlobalInventory). */
export async function globalInventory(db: Queryable, tenantId: string, sku: string) {
  const products = await findProducts(db, tenantId, [sku]);
  if (!products.has(sku)) throw notFound(`Product ${sku}`);
  const balances = await listBalances(db, tenantId, { skus: [sku] }, undefined, 10_000);
  const locations = await findLocations(
    db,
    tenantId,
    balances.map((b) => b.location_id),
  );
  const fields = [...BUCKETS, 'on_hand', 'safety_target'] as const;
  const totals = Object.fromEntries(
    fields.map((k) => [k, balances.reduce((sum, b) => sum + b[k], 0)]),
  ) as Record<(typeof fields)[number], number>;
  return {
    sku,
    totals,
    locations: balances.map((b) => ({
      ...b,
      location_type: locations.get(b.location_id)?.type ?? null,
      location_name: locations.get(b.location_id)?.name ?? null,
    })),
  };
}

/**
 * What each SKU may be sold as now: free stock at active locations, within the channel's pool;
 * a bundle is limited by its scarcest component. Never stored, always computed.
 */
export async function availability(
  db: Queryable,
  tenantId: string,
  skus: string[],
  channel: string | undefined,
) {
  const bundles = await findBundles(db, tenantId, skus);
  const componentSkus = [...bundles.values()].flatMap((b) => b.components.map((c) => c.sku));
  const productSkus = [...new Set([...skus.filter((s) => !bundles.has(s)), ...componentSkus])];
  const products = await findProducts(db, tenantId, productSkus);
  const balances = await listBalances(db, tenantId, { skus: productSkus }, undefined, 100_000);
  const locations = await findLocations(db, tenantId, [...new Set(balances.map((b) => b.location_id))]);
  const pools = channel ? await store.listChannelPools(db, tenantId, channel) : [];

  const perLocation = new Map<string, { location_id: string; available: number }[]>();
  const sellable = new Map<string, number>();
  for (const sku of productSkus) {
    const at = balances
      .filter((b) => b.sku === sku && locations.get(b.location_id)?.active !== false)
      .map((b) => ({ location_id: b.location_id, available: b.available }));
    perLocation.set(sku, at);
    const free = at.reduce((s, l) => s + l.available, 0);
    const pool = pools.find((p) => p.sku === sku);
    const limit = pool ? await store.poolLimit(db, tenantId, pool) : Number.POSITIVE_INFINITY;
    sellable.set(sku, pool ? Math.max(0, Math.min(free, limit - pool.reserved)) : free);
  }
  type Row = {
    sku: string;
    kind: 'product' | 'bundle';
    sellable: number;
    available: number;
    locations: { location_id: string; available: number }[];
  };
  return skus.flatMap((sku): Row[] => {
    const bundle = bundles.get(sku);
    if (bundle) {
      return [
        {
          sku,
          kind: 'bundle',
          sellable: bundleSellable(bundle.components, sellable),
          available: bundleSellable(
            bundle.components,
            new Map([...perLocation].map(([k, v]) => [k, v.reduce((s, l) => s + l.available, 0)])),
          ),
          locations: [],
        },
      ];
    }
    if (!products.has(sku)) return [];
    const at = perLocation.get(sku) ?? [];
    return [
      {
        sku,
        kind: 'product',
        sellable: sellable.get(sku) ?? 0,
        available: at.reduce((s, l) => s + l.available, 0),
        locations: at,
      },
    ];
  });
}

/**
 * What the sourcing planner may promise, per SKU and location: `available` already excludes
 * reserved and safety stock. `channel_caps` is what the channel's pool still lets it take of a
 * SKU (absent: no pool, no cap). Locations are not filtered here; the network snapshot holds
 * only active ones, so the planner never looks at the rest.
 */
export async function sellableSnapshot(db: Queryable, tenantId: string, skus: string[], channel?: string) {
  const { rows } = await db.query<{ sku: string; location_id: string; available: number }>(
    `select sku, location_id, available from inventory_balances
     where tenant_id = $1 and sku = any($2) and available > 0 order by sku, location_id`,
    [tenantId, [...new Set(skus)]],
  );
  const sellable: Record<string, Record<string, number>> = {};
  for (const r of rows) {
    sellable[r.sku] ??= {};
    sellable[r.sku]![r.location_id] = r.available;
  }
  const channel_caps: Record<string, number> = {};
  if (channel) {
    for (const pool of await store.listChannelPools(db, tenantId, channel)) {
      if (!skus.includes(pool.sku)) continue;
      channel_caps[pool.sku] = Math.max(0, (await store.poolLimit(db, tenantId, pool)) - pool.reserved);
    }
  }
  return { sellable, channel_caps };
}

/** "Why did I go from 10 to 8": every movement of a SKU, newest first, with its cause. */
export async function listMovements(
  db: Queryable,
  tenantId: string,
  filter: { sku?: string; location_id?: string; reference?: string },
  before: number | undefined,
  limit: number,
) {
  const { rows } = await db.query(
    `select seq, sku, location_id, quantity, from_bucket, to_bucket, cause, reason, reference, actor, created_at
     from inventory_movements
     where tenant_id = $1 and ($2::text is null or sku = $2) and ($3::text is null or location_id = $3)
       and ($4::text is null or reference = $4) and ($5::bigint is null or seq < $5)
     order by seq desc limit $6`,
    [
      tenantId,
      filter.sku ?? null,
      filter.location_id ?? null,
      filter.reference ?? null,
      before ?? null,
      limit,
    ],
  );
  return rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() }));
}
