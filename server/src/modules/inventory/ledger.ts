import { prepared, type Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { newId } from '../../lib/ids.ts';

/** Buckets of a balance; on_hand is the sum of the physical ones (all but incoming). */
export const BUCKETS = ['available', 'reserved', 'safety', 'quarantine', 'damaged', 'incoming'] as const;
export type Bucket = (typeof BUCKETS)[number];
/** Stock comes from and goes to accounts outside the location: suppliers, customers, adjustments. */
export type Account = Bucket | `outside:${string}`;

export type Movement = { sku: string; location_id: string; quantity: number; from: Account; to: Account };

export type Balance = {
  sku: string;
  location_id: string;
  available: number;
  reserved: number;
  safety: number;
  quarantine: number;
  damaged: number;
  incoming: number;
  on_hand: number;
  safety_target: number;
  updated_at: string;
};

export type Shortfall = { sku: string; location_id: string; bucket: Bucket; requested: number; held: number };
export type LedgerResult = { ok: true; balances: Balance[] } | { ok: false; shortfall: Shortfall };

export type MovementContext = { cause: string; reason?: string; reference?: string; event_id?: string };

const keyOf = (m: { sku: string; location_id: string }) => `${m.sku}\u0000${m.location_id}`;

export function toBalance(r: Record<string, unknown>): Balance {
  const n = (k: string) => Number(r[k] ?? 0);
  return {
    sku: r.sku as string,
    location_id: r.location_id as string,
    available: n('available'),
    reserved: n('reserved'),
    safety: n('safety'),
    quarantine: n('quarantine'),
    damaged: n('damaged'),
    incoming: n('incoming'),
    on_hand: n('available') + n('reserved') + n('safety') + n('quarantine') + n('damaged'),
    safety_target: n('safety_target'),
    updated_at: r.updated_at instanceof Date ? r.updated_at.toISOString() : String(r.updated_at),
  };
}

// Net change per (sku, location) and bucket, from the movements of one call.
const DELTAS = BUCKETS.map(
  (b) =>
    `coalesce(sum(case when to_bucket = '${b}' then quantity when from_bucket = '${b}' then -quantity end), 0)::int as ${b}`,
).join(',\n    ');
const FITS = BUCKETS.map((b) => `b.${b} + d.${b} >= 0`).join(' and ');
const SETS = BUCKETS.map((b) => `${b} = b.${b} + d.${b}`).join(', ');

/**
 * One statement: the guarded balance updates, their movements and their inventory.changed events
 * commit together or not at all. Rows are updated only if every row fits (no bucket below zero),
 * and movements and events are written only if every row was updated.
 */
const applySql = prepared(
  'inventory.apply',
  `
with mv as (
  select * from unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[])
    as t(sku, location_id, quantity, from_bucket, to_bucket)
), d as (
  select sku, location_id,
    ${DELTAS}
  from mv group by sku, location_id
), fits as materialized (
  select count(*) = (select count(*) from d) as all_fit
  from inventory_balances b join d on b.sku = d.sku and b.location_id = d.location_id
  where b.tenant_id = $1 and ${FITS}
), upd as (
  update inventory_balances b set ${SETS}, updated_at = now()
  from d, fits
  where ($7::boolean or fits.all_fit)
    and b.tenant_id = $1 and b.sku = d.sku and b.location_id = d.location_id and ${FITS}
  returning b.*
), done as (
  select count(*) = (select count(*) from d) as complete from upd
), moved as (
  insert into inventory_movements
    (tenant_id, sku, location_id, quantity, from_bucket, to_bucket, cause, reason, reference, event_id, actor)
  select $1, mv.sku, mv.location_id, mv.quantity, mv.from_bucket, mv.to_bucket, $8, $9, $10, $11, $12
  from mv, done where done.complete
), published as (
  insert into events (tenant_id, event_id, type, subject, data, actor)
  -- One id per changed row: the call's id with the row's number, so ids stay time-sortable.
  select $1, $13::text || '.' || lpad((row_number() over (order by upd.sku, upd.location_id))::text, 6, '0'),
    'inventory.changed', upd.sku,
    jsonb_build_object('sku', upd.sku, 'location_id', upd.location_id, 'available', upd.available,
      'reserved', upd.reserved, 'safety', upd.safety, 'quarantine', upd.quarantine, 'damaged', upd.damaged,
      'incoming', upd.incoming,
      'on_hand', upd.available + upd.reserved + upd.safety + upd.quarantine + upd.damaged,
      'cause', $8::text, 'reason', $9::text, 'reference', $10::text),
    $12
  from upd, done
  where done.complete
)
select upd.* from upd, done where done.complete`,
);

/** Balance rows must exist before stock can move into them. */
export async function ensureBalances(
  db: Queryable,
  tenantId: string,
  keys: { sku: string; location_id: string }[],
) {
  if (keys.length === 0) return;
  await db.query(
    `insert into inventory_balances (tenant_id, sku, location_id)
     select $1, * from unnest($2::text[], $3::text[]) on conflict do nothing`,
    [tenantId, keys.map((k) => k.sku), keys.map((k) => k.location_id)],
  );
}

/**
 * Locks balance rows in one fixed order (sku, location), so transactions touching several rows
 * wait for each other instead of deadlocking.
 */
export async function lockBalances(
  db: Queryable,
  tenantId: string,
  keys: { sku: string; location_id: string }[],
) {
  await db.query(
    `select 1 from inventory_balances
     where tenant_id = $1 and (sku, location_id) in (select * from unnest($2::text[], $3::text[]))
     order by sku, location_id for update`,
    [tenantId, keys.map((k) => k.sku), keys.map((k) => k.location_id)],
  );
}

/** Distinct (sku, location) keys in lock order. */
export function balanceKeys(movements: { sku: string; location_id: string }[]) {
  const seen = new Map<string, { sku: string; location_id: string }>();
  for (const m of movements) seen.set(keyOf(m), { sku: m.sku, location_id: m.location_id });
  return [...seen.values()].sort((a, b) =>
    a.sku < b.sku
      ? -1
      : a.sku > b.sku
        ? 1
        : a.location_id < b.location_id
          ? -1
          : a.location_id > b.location_id
            ? 1
            : 0,
  );
}

/**
 * Moves stock. Either every movement applies — balances, movements and events together — or
 * none does and the answer names the first bucket that would have gone below zero.
 * Callers that reach into rows that may not exist yet call ensureBalances first.
 */
export async function applyMovements(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  movements: Movement[],
  ctx: MovementContext,
): Promise<LedgerResult> {
  const keys = balanceKeys(movements);
  if (keys.length > 1) await lockBalances(db, tenantId, keys);
  const { rows } = await applySql(db, [
    tenantId,
    movements.map((m) => m.sku),
    movements.map((m) => m.location_id),
    movements.map((m) => m.quantity),
    movements.map((m) => m.from),
    movements.map((m) => m.to),
    // One row: its guarded update decides alone. Several: they are locked, so the fit check is exact.
    keys.length === 1,
    ctx.cause,
    ctx.reason ?? null,
    ctx.reference ?? null,
    ctx.event_id ?? null,
    JSON.stringify(actor),
    newId('evt'),
  ]);
  if (rows.length === keys.length) return { ok: true, balances: rows.map(toBalance) };
  return { ok: false, shortfall: await explainShortfall(db, tenantId, movements) };
}

async function explainShortfall(db: Queryable, tenantId: string, movements: Movement[]): Promise<Shortfall> {
  const keys = balanceKeys(movements);
  const { rows } = await db.query(
    `select * from inventory_balances
     where tenant_id = $1 and (sku, location_id) in (select * from unnest($2::text[], $3::text[]))`,
    [tenantId, keys.map((k) => k.sku), keys.map((k) => k.location_id)],
  );
  const current = new Map(rows.map((r) => [keyOf(r), toBalance(r)]));
  for (const k of keys) {
    const held = current.get(keyOf(k));
    for (const bucket of BUCKETS) {
      const requested = movements
        .filter((m) => keyOf(m) === keyOf(k))
        .reduce(
          (sum, m) => sum + (m.from === bucket ? m.quantity : 0) - (m.to === bucket ? m.quantity : 0),
          0,
        );
      const have = held ? held[bucket] : 0;
      if (requested > have) return { ...k, bucket, requested, held: have };
    }
  }
  // Every bucket fits now: the row changed between the attempt and this look.
  const first = movements[0]!;
  return {
    sku: first.sku,
    location_id: first.location_id,
    bucket: 'available',
    requested: first.quantity,
    held: 0,
  };
}

/** Replays the movements of a tenant into balances: the ledger's own check on itself. */
export async function replayBalances(db: Queryable, tenantId: string) {
  const { rows } = await db.query(
    `with flows as (
       select sku, location_id, to_bucket as bucket, quantity from inventory_movements where tenant_id = $1
       union all
       select sku, location_id, from_bucket, -quantity from inventory_movements where tenant_id = $1
     )
     select sku, location_id, bucket, sum(quantity)::int as quantity from flows
     where bucket not like 'outside:%' group by sku, location_id, bucket`,
    [tenantId],
  );
  const replayed = new Map<string, Record<Bucket, number>>();
  for (const r of rows) {
    const k = keyOf(r);
    if (!replayed.has(k))
      replayed.set(k, Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Record<Bucket, number>);
    replayed.get(k)![r.bucket as Bucket] = r.quantity;
  }
  return replayed;
}
