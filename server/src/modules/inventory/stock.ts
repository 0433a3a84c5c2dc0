import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { publish } from '../events/service.ts';
import { requireKnown } from './checks.ts';
import {
  applyMovements,
  type Balance,
  type Bucket,
  balanceKeys,
  ensureBalances,
  type LedgerResult,
  lockBalances,
  type Movement,
  type MovementContext,
  toBalance,
} from './ledger.ts';
import type { Adjustment, StockImport } from './schema.ts';
import { stockSignals } from './signals.ts';
import * as store from './store.ts';

type Key = { sku: string; location_id: string };

/** A failed movement the caller asked for by hand (adjust, move, ship) is a 409 naming the gap. */
export function requireApplied(result: LedgerResult, what: string): Balance[] {
  if (result.ok) return result.balances;
  const s = result.shortfall;
  throw new AppError(
    'conflict',
    `Cannot ${what}: ${s.sku} at ${s.location_id} has ${s.held} ${s.bucket}, ${s.requested} needed.`,
    { code: 'insufficient_stock', shortfall: s },
  );
}

async function readBalance(db: Queryable, tenantId: string, key: Key, forUpdate = false): Promise<Balance> {
  const { rows } = await db.query(
    `select * from inventory_balances where tenant_id = $1 and sku = $2 and location_id = $3 ${forUpdate ? 'for update' : ''}`,
    [tenantId, key.sku, key.location_id],
  );
  return toBalance(rows[0]);
}

/**
 * Moves stock into the safety bucket until it reaches the target, from what is available.
 * Called after anything that adds to `available`, so safety stock is restored first.
 */
export async function topUpSafety(db: Queryable, tenantId: string, actor: Actor, balances: Balance[]) {
  const moves: Movement[] = balances
    .filter((b) => b.safety < b.safety_target && b.available > 0)
    .map((b) => ({
      sku: b.sku,
      location_id: b.location_id,
      quantity: Math.min(b.safety_target - b.safety, b.available),
      from: 'available',
      to: 'safety',
    }));
  if (moves.length === 0) return balances;
  const topped = requireApplied(
    await applyMovements(db, tenantId, actor, moves, { cause: 'safety' }),
    'hold safety stock',
  );
  const byKey = new Map(topped.map((b) => [`${b.sku}\u0000${b.location_id}`, b]));
  return balances.map((b) => byKey.get(`${b.sku}\u0000${b.location_id}`) ?? b);
}

/** Applies movements that may add stock to rows not seen before, then restores safety stock. */
async function applyAdding(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  moves: Movement[],
  ctx: MovementContext,
  what: string,
) {
  await ensureBalances(db, tenantId, balanceKeys(moves));
  return topUpSafety(
    db,
    tenantId,
    actor,
    requireApplied(await applyMovements(db, tenantId, actor, moves, ctx), what),
  );
}

export async function adjust(db: Queryable, tenantId: string, actor: Actor, input: Adjustment) {
  await requireKnown(db, tenantId, [{ ...input, path: 'body' }]);
  const key = { sku: input.sku, location_id: input.location_id };
  const ctx = {
    cause: input.reason === 'count' ? 'count' : 'adjustment',
    reason: input.reason,
    reference: input.note,
  };
  const bucket: Bucket = input.bucket;
  let quantity = input.quantity ?? 0;
  let direction: 'in' | 'out' | 'damage' =
    input.reason === 'found' ? 'in' : input.reason === 'lost' ? 'out' : 'damage';
  if (input.reason === 'count') {
    await ensureBalances(db, tenantId, [key]);
    const current = await readBalance(db, tenantId, key, true);
    const difference = input.counted! - current[bucket];
    if (difference === 0) return current;
    direction = difference > 0 ? 'in' : 'out';
    quantity = Math.abs(difference);
  }
  if (direction === 'damage' && bucket === 'damaged') {
    throw new AppError('validation-error', 'body.bucket: damaged stock is already in the damaged bucket.', {
      errors: [{ path: 'body.bucket', message: 'Use available or quarantine for a damaged adjustment.' }],
    });
  }
  const account = `outside:${input.reason === 'count' ? 'count' : 'adjustment'}` as const;
  let balances: Balance[];
  if (direction === 'in') {
    balances = await applyAdding(
      db,
      tenantId,
      actor,
      [{ ...key, quantity, from: account, to: bucket }],
      ctx,
      'adjust',
    );
  } else {
    const to: Movement['to'] = direction === 'damage' ? 'damaged' : account;
    const moved = await applyMovements(db, tenantId, actor, [{ ...key, quantity, from: bucket, to }], ctx);
    balances = requireApplied(moved, `remove ${quantity} ${bucket}`);
  }
  if (bucket === 'available') {
    await stockSignals(db, tenantId, actor, [{ ...key, quantity }], balances, direction === 'in' ? 1 : -1);
  }
  return balances[0]!;
}

/**
 * Units a customer sent back, received at a location into the bucket their condition calls for:
 * restocked (available), quarantined for inspection, or damaged. The movements name the return.
 */
export async function receiveReturned(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  lines: readonly (Key & { quantity: number; bucket: 'available' | 'quarantine' | 'damaged' })[],
  returnId: string,
) {
  const moves: Movement[] = lines
    .filter((l) => l.quantity > 0)
    .map((l) => ({
      sku: l.sku,
      location_id: l.location_id,
      quantity: l.quantity,
      from: 'outside:customer',
      to: l.bucket,
    }));
  if (moves.length === 0) return [];
  const balances = await applyAdding(
    db,
    tenantId,
    actor,
    moves,
    { cause: 'return', reference: returnId },
    'return',
  );
  const restocked = moves.filter((m) => m.to === 'available');
  if (restocked.length > 0) await stockSignals(db, tenantId, actor, restocked, balances, 1);
  return balances;
}

/** Between physical buckets, e.g. quarantine → available after QC, available → damaged. */
export async function move(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  input: Key & { from: Bucket; to: Bucket; quantity: number; reason?: string },
) {
  await requireKnown(db, tenantId, [{ ...input, path: 'body' }]);
  const moved = await applyMovements(db, tenantId, actor, [input], { cause: 'move', reason: input.reason });
  let balances = requireApplied(moved, `move ${input.quantity} from ${input.from}`);
  if (input.to === 'available') balances = await topUpSafety(db, tenantId, actor, balances);
  if (input.from === 'available' || input.to === 'available') {
    await stockSignals(db, tenantId, actor, [input], balances, input.to === 'available' ? 1 : -1);
  }
  return balances[0]!;
}

/** Sets how much a location holds back, moving stock between available and safety at once. */
export async function setSafetyStock(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  input: Key & { quantity: number },
) {
  await requireKnown(db, tenantId, [{ ...input, path: 'body' }]);
  const key = { sku: input.sku, location_id: input.location_id };
  await ensureBalances(db, tenantId, [key]);
  const { rows } = await db.query(
    `update inventory_balances set safety_target = $4, updated_at = now()
     where tenant_id = $1 and sku = $2 and location_id = $3 returning *`,
    [tenantId, key.sku, key.location_id, input.quantity],
  );
  const balance = toBalance(rows[0]);
  if (balance.safety > balance.safety_target) {
    const released = await applyMovements(
      db,
      tenantId,
      actor,
      [{ ...key, quantity: balance.safety - balance.safety_target, from: 'safety', to: 'available' }],
      { cause: 'safety' },
    );
    return requireApplied(released, 'release safety stock')[0]!;
  }
  return (await topUpSafety(db, tenantId, actor, [balance]))[0]!;
}

/**
 * Absolute counts from a WMS or ERP. Each count includes units this ledger already shipped but
 * whose fulfillment event the sender had not seen (sequence above `covers_through_seq`); those
 * are taken off so nothing is counted twice. Reserved, quarantined and damaged units are part of
 * the count and stay where they are; what is left is available (safety first).
 */
export async function importStock(db: Queryable, tenantId: string, actor: Actor, input: StockImport) {
  const seen = new Set<string>();
  input.counts.forEach((c, i) => {
    const k = `${c.sku}\u0000${c.location_id}`;
    if (seen.has(k)) {
      throw new AppError(
        'validation-error',
        `body.counts[${i}]: ${c.sku} at ${c.location_id} is counted twice.`,
        {
          errors: [{ path: `body.counts[${i}]`, message: 'Counted twice in one import.' }],
        },
      );
    }
    seen.add(k);
  });
  await requireKnown(
    db,
    tenantId,
    input.counts.map((c, i) => ({ ...c, path: `body.counts[${i}]` })),
  );
  const keys = balanceKeys(input.counts);
  await ensureBalances(db, tenantId, keys);
  await lockBalances(db, tenantId, keys);
  const S = input.covers_through_seq;
  const nextMovement = (await store.currentMovementSeq(db)) + 1;
  const rows = new Map(
    (await store.balancesForImport(db, tenantId, keys, S)).map((r) => [`${r.sku}\u0000${r.location_id}`, r]),
  );
  const moves: Movement[] = [];
  const lines = [];
  for (const c of input.counts) {
    const row = rows.get(`${c.sku}\u0000${c.location_id}`)!;
    if (row.import_covers_through !== null && row.import_covers_through > S) {
      throw new AppError(
        'conflict',
        `An import covering fulfillment events through ${row.import_covers_through} was already applied to ${c.sku} at ${c.location_id}; this one covers only through ${S}.`,
        { code: 'stale_import' },
      );
    }
    const b = toBalance(row);
    const onHand = Math.max(c.on_hand - row.unreflected, 0);
    const free = onHand - b.reserved - b.quarantine - b.damaged;
    const safety = Math.min(b.safety_target, Math.max(free, 0));
    const available = Math.max(free, 0) - safety;
    for (const [bucket, target] of [
      ['available', available],
      ['safety', safety],
    ] as const) {
      const diff = target - b[bucket];
      if (diff > 0) moves.push({ ...c, quantity: diff, from: 'outside:import', to: bucket });
      if (diff < 0) moves.push({ ...c, quantity: -diff, from: bucket, to: 'outside:import' });
    }
    lines.push({
      sku: c.sku,
      location_id: c.location_id,
      counted: c.on_hand,
      unreflected_shipped: row.unreflected as number,
      on_hand: Math.max(free, 0) + b.reserved + b.quarantine + b.damaged,
      available,
      shortage: Math.max(-free, 0),
    });
  }
  await store.setImportWatermarks(
    db,
    tenantId,
    S,
    input.counts.map((c) => {
      const first = rows.get(`${c.sku}\u0000${c.location_id}`)!.first_seq;
      return { sku: c.sku, location_id: c.location_id, scan_from: first ?? nextMovement };
    }),
  );
  const importId = newId('imp');
  if (moves.length > 0) {
    const after = requireApplied(
      await applyMovements(db, tenantId, actor, moves, { cause: 'import', reference: importId }),
      'import',
    );
    const changed = (to: 'available' | 'outside:import') =>
      moves.filter((m) =>
        to === 'available' ? m.to === 'available' : m.from === 'available' && m.to === to,
      );
    await stockSignals(db, tenantId, actor, changed('available'), after, 1);
    await stockSignals(db, tenantId, actor, changed('outside:import'), after, -1);
  }
  const created_at = await store.insertImport(db, tenantId, {
    import_id: importId,
    covers_through_seq: S,
    reference: input.reference ?? null,
    result: lines,
    actor,
  });
  await publish(db, tenantId, actor, {
    type: 'inventory.imported',
    subject: importId,
    data: {
      import_id: importId,
      covers_through_seq: S,
      reference: input.reference ?? null,
      counts: lines.length,
    },
  });
  for (const l of lines.filter((x) => x.shortage > 0)) {
    await publish(db, tenantId, actor, { type: 'inventory.shortage', subject: l.sku, data: l });
  }
  return { import_id: importId, covers_through_seq: S, created_at, counts: lines };
}

export async function getImport(db: Queryable, tenantId: string, importId: string) {
  const found = await store.findImport(db, tenantId, importId);
  if (!found) throw notFound(`Stock import ${importId}`);
  return found;
}
