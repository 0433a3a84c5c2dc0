import type { Queryable } from '../../db/pool.ts';
import { CONFIG_TTL_MS, tenantCache } from '../../lib/ttl-cache.ts';
import { sellableItems } from '../catalog/service.ts';
import { sellableSnapshot } from '../inventory/read.ts';
import { networkSnapshot } from '../network/service.ts';
import { type PresetName, presetPolicy, type SourcingPolicy } from './policy.ts';
import type { PlanLine, PlanNetwork, StockSnapshot } from './types.ts';

/**
 * Everything the pure planner needs, read from the database in a handful of queries: the
 * network snapshot, each line's unit weight and dimensions, and sellable stock.
 *
 * Not read (yet): today's load per location (no orders exist to count until the orders module
 * lands, so `daily_order_capacity` is not enforced from here), and incoming stock for pre-orders
 * (transfers carry no per-line expected date the planner could promise), so units no location
 * holds are backordered.
 */
export type SourcingInputs = {
  lines: PlanLine[];
  network: PlanNetwork;
  stock: StockSnapshot;
};

/**
 * Order lines as the planner needs them: each unit's weight and dimensions from the catalog. A
 * bundle is planned as its components (it has no stock of its own), so plan lines name the
 * components; the same component from two lines is merged by the planner.
 */
export async function planLines(
  db: Queryable,
  tenantId: string,
  lines: readonly { sku: string; quantity: number }[],
): Promise<PlanLine[]> {
  const items = await sellableItems(
    db,
    tenantId,
    lines.map((l) => l.sku),
  );
  return lines.flatMap((l) =>
    items.get(l.sku)!.units.map((u) => ({
      sku: u.sku,
      quantity: u.per_item * l.quantity,
      weight_lb: u.weight_lb,
      dims_in: u.dimensions,
    })),
  );
}

export async function stockFor(
  db: Queryable,
  tenantId: string,
  lines: readonly PlanLine[],
  channel: string | undefined,
): Promise<StockSnapshot> {
  return sellableSnapshot(
    db,
    tenantId,
    lines.map((l) => l.sku),
    channel,
  );
}

export async function sourcingInputs(
  db: Queryable,
  tenantId: string,
  lines: readonly { sku: string; quantity: number }[],
  channel: string | undefined,
  destinationPostal?: string,
  /** The lines already resolved to products with weights (the caller read the catalog). */
  resolved?: PlanLine[],
): Promise<SourcingInputs> {
  // The network does not depend on the lines: read it alongside the catalog and stock, on a
  // second connection from a pool (a transaction's client runs them in turn).
  const linesAndStock = async () => {
    const planned = resolved ?? (await planLines(db, tenantId, lines));
    return { planned, stock: await stockFor(db, tenantId, planned, channel) };
  };
  const [{ planned, stock }, snapshot] = await Promise.all([
    linesAndStock(),
    networkSnapshot(db, tenantId, destinationPostal),
  ]);
  return { lines: planned, network: { locations: snapshot.locations, services: snapshot.services }, stock };
}

// ── policy storage ───────────────────────────────────────────────────────────────────────────

export type StoredPolicy = Omit<SourcingPolicy, 'name'> & { preset: PresetName };
export const DEFAULT_PRESET: PresetName = 'balanced';

export function defaultPolicy(): StoredPolicy {
  const { name: _n, ...rest } = presetPolicy(DEFAULT_PRESET);
  return { preset: DEFAULT_PRESET, ...rest };
}

const policyCache = tenantCache<{ policy: StoredPolicy; updated_at: Date } | undefined>(CONFIG_TTL_MS);

/** The tenant's policy, or the default preset (with `updated_at: null`) when none is stored. */
export async function loadPolicy(db: Queryable, tenantId: string) {
  const row = await policyCache.get(tenantId, 'policy', () => readPolicy(db, tenantId));
  return row
    ? { ...row.policy, updated_at: row.updated_at.toISOString() }
    : { ...defaultPolicy(), updated_at: null as string | null };
}

async function readPolicy(db: Queryable, tenantId: string) {
  const { rows } = await db.query<{ policy: StoredPolicy; updated_at: Date }>(
    'select policy, updated_at from sourcing_policies where tenant_id = $1',
    [tenantId],
  );
  return rows[0];
}

export async function savePolicy(db: Queryable, tenantId: string, policy: StoredPolicy) {
  policyCache.invalidate(tenantId);
  const { rows } = await db.query<{ updated_at: Date }>(
    `insert into sourcing_policies (tenant_id, policy) values ($1, $2)
     on conflict (tenant_id) do update set policy = excluded.policy, updated_at = now()
     returning updated_at`,
    [tenantId, JSON.stringify(policy)],
  );
  return { ...policy, updated_at: rows[0]!.updated_at.toISOString() };
}

/**
 * The policy the planner runs with. A preset named per request swaps in that preset's weights
 * only: allow_split, max_shipments, budget and cost ceiling are the tenant's constraints.
 */
export function plannerPolicy(stored: StoredPolicy, preset?: PresetName): SourcingPolicy {
  const { preset: storedPreset, weights, ...constraints } = stored;
  if (preset && preset !== storedPreset) return presetPolicy(preset, constraints);
  return presetPolicy(storedPreset, { ...constraints, weights });
}
