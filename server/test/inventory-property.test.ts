import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../src/db/pool.ts';
import type { AppError } from '../src/http/problem.ts';
import { replayBalances } from '../src/modules/inventory/ledger.ts';
import { reserve, settle } from '../src/modules/inventory/reservations.ts';
import { adjust, importStock, setSafetyStock } from '../src/modules/inventory/stock.ts';
import {
  closeTransfer,
  createTransfer,
  receiveTransfer,
  shipTransfer,
} from '../src/modules/inventory/transfers.ts';
import { seedNetwork } from './inventory-fixtures.ts';
import { seedTenant, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let tenantId: string;
let locations: string[];
const SKUS = ['P1', 'P2', 'P3'];
const actor = { type: 'system' as const, id: 'property' };

beforeAll(async () => {
  env = await testApp();
  const t = await seedTenant(env.pool, 'Property Co');
  tenantId = t.tenant_id;
  locations = await seedNetwork(env, t.keys.admin, { skus: SKUS, locations: 3 });
});
afterAll(() => env.close());

const sku = fc.constantFrom(...SKUS);
const loc = fc.nat({ max: 2 });
const qty = fc.integer({ min: 1, max: 8 });
const op = fc.oneof(
  fc.record({ kind: fc.constant('found' as const), sku, loc, qty }),
  fc.record({ kind: fc.constant('lost' as const), sku, loc, qty }),
  fc.record({
    kind: fc.constant('reserve' as const),
    lines: fc.array(fc.record({ sku, loc, qty }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constantFrom('post' as const, 'void' as const), pick: fc.nat(), part: fc.boolean() }),
  fc.record({ kind: fc.constant('safety' as const), sku, loc, qty: fc.nat({ max: 5 }) }),
  fc.record({ kind: fc.constant('transfer' as const), sku, from: loc, to: loc, qty }),
  fc.record({ kind: fc.constant('receive' as const), pick: fc.nat(), qty }),
  fc.record({ kind: fc.constant('close' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('import' as const), sku, loc, on_hand: fc.nat({ max: 30 }) }),
);

/** Invariants after every step: no negative bucket; balances replay from movements; reserved and
 * incoming equal what open reservations and transfers say. */
async function checkInvariants() {
  const replayed = await replayBalances(env.pool, tenantId);
  const { rows } = await env.pool.query(
    `select b.*,
       coalesce((select sum(l.quantity - l.posted - l.voided) from reservation_lines l
                 where l.tenant_id = b.tenant_id and l.sku = b.sku and l.location_id = b.location_id), 0)::int as held,
       coalesce((select sum(tl.shipped - tl.received - tl.lost) from transfer_lines tl join transfers t
                   on t.tenant_id = tl.tenant_id and t.transfer_id = tl.transfer_id
                 where tl.tenant_id = b.tenant_id and tl.sku = b.sku and t.destination_location_id = b.location_id), 0)::int as in_transit
     from inventory_balances b where b.tenant_id = $1`,
    [tenantId],
  );
  for (const r of rows) {
    const m = (replayed.get(`${r.sku}\u0000${r.location_id}`) ?? {}) as Record<string, number>;
    for (const b of ['available', 'reserved', 'safety', 'quarantine', 'damaged', 'incoming']) {
      expect(r[b]).toBeGreaterThanOrEqual(0);
      expect(r[b], `${r.sku}@${r.location_id}.${b} replay`).toBe(m[b] ?? 0);
    }
    expect(r.reserved, 'reserved = open reservation lines').toBe(r.held);
    expect(r.incoming, 'incoming = in transit').toBe(r.in_transit);
    expect(r.safety).toBeLessThanOrEqual(Math.max(r.safety_target, 0));
  }
}

/** Business refusals (not enough stock, wrong state) are expected; anything else fails the run. */
async function attempt(fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (err) {
    const code = (err as AppError).code;
    if (!['conflict', 'validation-error', 'not-found'].includes(code)) throw err;
  }
}

describe('inventory ledger (property-based)', () => {
  it('keeps its invariants through any sequence of operations', async () => {
    const pending: string[] = [];
    const transfers: string[] = [];
    // Some stock everywhere first, so generated reservations and transfers succeed often enough
    // to exercise posting, voiding and receiving, not only refusals.
    for (const sku of SKUS) {
      for (const location_id of locations) {
        await withTransaction(env.pool, (tx) =>
          adjust(tx, tenantId, actor, {
            sku,
            location_id,
            reason: 'found',
            quantity: 20,
            bucket: 'available',
          }),
        );
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async (ops) => {
        for (const o of ops) {
          switch (o.kind) {
            case 'found':
            case 'lost':
              await attempt(() =>
                withTransaction(env.pool, (tx) =>
                  adjust(tx, tenantId, actor, {
                    sku: o.sku,
                    location_id: locations[o.loc]!,
                    reason: o.kind,
                    quantity: o.qty,
                    bucket: 'available',
                  }),
                ),
              );
              break;
            case 'reserve':
              await attempt(async () => {
                const out = await withTransaction(env.pool, (tx) =>
                  reserve(tx, tenantId, actor, {
                    lines: o.lines.map((l) => ({
                      sku: l.sku,
                      location_id: locations[l.loc]!,
                      quantity: l.qty,
                    })),
                  }),
                );
                if (out.ok) pending.push(out.reservation.reservation_id);
                return out;
              });
              break;
            case 'post':
            case 'void': {
              const id = pending[o.pick % Math.max(pending.length, 1)];
              if (!id) break;
              await attempt(() => withTransaction(env.pool, (tx) => settle(tx, tenantId, actor, id, o.kind)));
              break;
            }
            case 'safety':
              await attempt(() =>
                withTransaction(env.pool, (tx) =>
                  setSafetyStock(tx, tenantId, actor, {
                    sku: o.sku,
                    location_id: locations[o.loc]!,
                    quantity: o.qty,
                  }),
                ),
              );
              break;
            case 'transfer':
              if (o.from === o.to) break;
              await attempt(() =>
                withTransaction(env.pool, async (tx) => {
                  const tr = await createTransfer(tx, tenantId, actor, {
                    source_location_id: locations[o.from]!,
                    destination_location_id: locations[o.to]!,
                    lines: [{ sku: o.sku, quantity: o.qty }],
                  });
                  await shipTransfer(tx, tenantId, actor, tr.transfer_id);
                  transfers.push(tr.transfer_id);
                }),
              );
              break;
            case 'receive': {
              const id = transfers[o.pick % Math.max(transfers.length, 1)];
              if (!id) break;
              await attempt(async () => {
                const { rows } = await env.pool.query(
                  'select sku from transfer_lines where transfer_id = $1',
                  [id],
                );
                return withTransaction(env.pool, (tx) =>
                  receiveTransfer(tx, tenantId, actor, id, [{ sku: rows[0].sku, quantity: o.qty }]),
                );
              });
              break;
            }
            case 'close': {
              const id = transfers[o.pick % Math.max(transfers.length, 1)];
              if (id)
                await attempt(() =>
                  withTransaction(env.pool, (tx) => closeTransfer(tx, tenantId, actor, id)),
                );
              break;
            }
            case 'import': {
              const { rows } = await env.pool.query(
                'select coalesce(max(seq), 0)::int as s from events where tenant_id = $1',
                [tenantId],
              );
              await attempt(() =>
                withTransaction(env.pool, (tx) =>
                  importStock(tx, tenantId, actor, {
                    covers_through_seq: rows[0].s,
                    counts: [{ sku: o.sku, location_id: locations[o.loc]!, on_hand: o.on_hand }],
                  }),
                ),
              );
              break;
            }
          }
          await checkInvariants();
        }
      }),
      { numRuns: 12 },
    );
    // The runs did real work, not only refusals.
    const { rows } = await env.pool.query(
      `select count(distinct cause)::int as causes, count(*)::int as movements from inventory_movements where tenant_id = $1`,
      [tenantId],
    );
    expect(rows[0].movements).toBeGreaterThan(30);
    expect(rows[0].causes).toBeGreaterThanOrEqual(5);
  });
});
