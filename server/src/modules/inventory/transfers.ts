import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { publish } from '../events/service.ts';
import { requireKnown } from './checks.ts';
import { applyMovements, ensureBalances } from './ledger.ts';
import type { Transfer } from './schema.ts';
import { stockSignals } from './signals.ts';
import { requireApplied, topUpSafety } from './stock.ts';
import * as store from './store.ts';

type TransferLine = { sku: string; quantity: number };

/** Allowed next states; anything else answers 409 with the current state. */
const NEXT: Record<Transfer['status'], Transfer['status'][]> = {
  created: ['in_transit', 'cancelled'],
  in_transit: ['partially_received', 'received', 'closed'],
  partially_received: ['partially_received', 'received', 'closed'],
  received: ['closed'],
  closed: [],
  cancelled: [],
};

async function load(
  db: Queryable,
  tenantId: string,
  transferId: string,
  to: Transfer['status'],
  verb: string,
) {
  const t = await store.findTransfer(db, tenantId, transferId, true);
  if (!t) throw notFound(`Transfer ${transferId}`);
  const now = t.status as Transfer['status'];
  if (!NEXT[now].includes(to)) {
    throw new AppError('conflict', `Transfer ${transferId} is ${t.status}: it cannot be ${verb}.`, {
      code: 'invalid_transition',
      status_now: now,
      allowed: NEXT[now],
    });
  }
  return t;
}

const merge = (lines: TransferLine[]) => {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l.sku, (m.get(l.sku) ?? 0) + l.quantity);
  return [...m].map(([sku, quantity]) => ({ sku, quantity }));
};

export async function createTransfer(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  input: {
    source_location_id: string;
    destination_location_id: string;
    lines: TransferLine[];
    reference?: string;
    expected_at?: string;
  },
) {
  await requireKnown(db, tenantId, [
    { location_id: input.source_location_id, path: 'body.source' },
    { location_id: input.destination_location_id, path: 'body.destination' },
    ...input.lines.map((l, i) => ({ sku: l.sku, path: `body.lines[${i}]` })),
  ]);
  const transferId = newId('trf');
  await store.insertTransfer(db, tenantId, {
    transfer_id: transferId,
    source_location_id: input.source_location_id,
    destination_location_id: input.destination_location_id,
    reference: input.reference ?? null,
    expected_at: input.expected_at ?? null,
    actor,
    lines: merge(input.lines),
  });
  const transfer = (await store.findTransfer(db, tenantId, transferId))!;
  await publish(db, tenantId, actor, { type: 'transfer.created', subject: transferId, data: transfer });
  return transfer;
}

/** Source on hand goes down; destination incoming goes up: the stock is in transit. */
export async function shipTransfer(db: Queryable, tenantId: string, actor: Actor, transferId: string) {
  const t = await load(db, tenantId, transferId, 'in_transit', 'shipped');
  const source = t.source_location_id;
  const destination = t.destination_location_id;
  await ensureBalances(
    db,
    tenantId,
    t.lines.map((l) => ({ sku: l.sku, location_id: destination })),
  );
  const moved = await applyMovements(
    db,
    tenantId,
    actor,
    t.lines.flatMap((l) => [
      {
        sku: l.sku,
        location_id: source,
        quantity: l.quantity,
        from: 'available' as const,
        to: 'outside:transit' as const,
      },
      {
        sku: l.sku,
        location_id: destination,
        quantity: l.quantity,
        from: 'outside:transit' as const,
        to: 'incoming' as const,
      },
    ]),
    { cause: 'transfer', reason: 'shipped', reference: transferId },
  );
  const balances = requireApplied(moved, `ship transfer ${transferId}`);
  await store.updateTransfer(
    db,
    tenantId,
    transferId,
    'in_transit',
    t.lines.map((l) => ({ sku: l.sku, shipped: l.quantity })),
  );
  await stockSignals(
    db,
    tenantId,
    actor,
    t.lines.map((l) => ({ sku: l.sku, location_id: source, quantity: l.quantity })),
    balances.filter((b) => b.location_id === source),
    -1,
  );
  return finish(db, tenantId, actor, transferId, 'transfer.shipped');
}

/** Incoming → available at the destination; partial receipts allowed, never more than shipped. */
export async function receiveTransfer(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  transferId: string,
  lines: TransferLine[],
) {
  const t = await load(db, tenantId, transferId, 'received', 'received');
  const receipt = merge(lines);
  const byLine = new Map(t.lines.map((l) => [l.sku, l]));
  receipt.forEach((r, i) => {
    const line = byLine.get(r.sku);
    if (!line) {
      throw new AppError(
        'validation-error',
        `body.lines[${i}].sku: ${r.sku} is not on transfer ${transferId}.`,
        {
          errors: [{ path: `body.lines[${i}].sku`, message: 'Not on this transfer.' }],
        },
      );
    }
    const open = line.shipped - line.received - line.lost;
    if (r.quantity > open) {
      throw new AppError(
        'validation-error',
        `body.lines[${i}].quantity: only ${open} of ${r.sku} are still in transit.`,
        {
          errors: [
            { path: `body.lines[${i}].quantity`, message: `Receiving more than was shipped (${open} open).` },
          ],
        },
      );
    }
  });
  const destination = t.destination_location_id;
  const moves = receipt.map((r) => ({
    sku: r.sku,
    location_id: destination,
    quantity: r.quantity,
    from: 'incoming' as const,
    to: 'available' as const,
  }));
  const moved = await applyMovements(db, tenantId, actor, moves, {
    cause: 'transfer',
    reason: 'received',
    reference: transferId,
  });
  const balances = await topUpSafety(
    db,
    tenantId,
    actor,
    requireApplied(moved, `receive transfer ${transferId}`),
  );
  const complete = t.lines.every(
    (l) => l.received + (receipt.find((r) => r.sku === l.sku)?.quantity ?? 0) + l.lost === l.shipped,
  );
  await store.updateTransfer(
    db,
    tenantId,
    transferId,
    complete ? 'received' : 'partially_received',
    receipt.map((r) => ({ sku: r.sku, received: r.quantity })),
  );
  await stockSignals(db, tenantId, actor, moves, balances, 1);
  return finish(db, tenantId, actor, transferId, 'transfer.received');
}

/** Closes a transfer; whatever never arrived is written off as lost in transit. */
export async function closeTransfer(db: Queryable, tenantId: string, actor: Actor, transferId: string) {
  const t = await load(db, tenantId, transferId, 'closed', 'closed');
  const missing = t.lines
    .map((l) => ({ sku: l.sku, quantity: l.shipped - l.received - l.lost }))
    .filter((l) => l.quantity > 0);
  if (missing.length > 0) {
    const moved = await applyMovements(
      db,
      tenantId,
      actor,
      missing.map((m) => ({
        ...m,
        location_id: t.destination_location_id,
        from: 'incoming' as const,
        to: 'outside:transit_loss' as const,
      })),
      { cause: 'transfer', reason: 'lost_in_transit', reference: transferId },
    );
    requireApplied(moved, `close transfer ${transferId}`);
  }
  await store.updateTransfer(
    db,
    tenantId,
    transferId,
    'closed',
    missing.map((m) => ({ sku: m.sku, lost: m.quantity })),
  );
  return finish(db, tenantId, actor, transferId, 'transfer.closed');
}

export async function cancelTransfer(db: Queryable, tenantId: string, actor: Actor, transferId: string) {
  await load(db, tenantId, transferId, 'cancelled', 'cancelled (it has shipped)');
  await store.updateTransfer(db, tenantId, transferId, 'cancelled', []);
  return finish(db, tenantId, actor, transferId, 'transfer.cancelled');
}

export async function getTransfer(db: Queryable, tenantId: string, transferId: string) {
  const t = await store.findTransfer(db, tenantId, transferId);
  if (!t) throw notFound(`Transfer ${transferId}`);
  return t;
}

async function finish(db: Queryable, tenantId: string, actor: Actor, transferId: string, type: string) {
  const t = (await store.findTransfer(db, tenantId, transferId))!;
  await publish(db, tenantId, actor, { type, subject: transferId, data: t });
  return t;
}
