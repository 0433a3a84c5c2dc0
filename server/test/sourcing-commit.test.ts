import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PoolClient, withTransaction } from '../src/db/pool.ts';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import { sellableSnapshot } from '../src/modules/inventory/read.ts';
import { reserve, setChannelPool } from '../src/modules/inventory/reservations.ts';
import { sourcingInputs } from '../src/modules/sourcing/inputs.ts';
import { type CommitInput, commitPlan } from '../src/modules/sourcing/service.ts';
import { freshDatabase } from './support.ts';

/** Committing plans against the real ledger, including two orders racing for the last units. */

let db: Awaited<ReturnType<typeof freshDatabase>>;
const actor = { type: 'system' as const, id: 'test' };
const NOW = new Date('2026-11-23T17:47:00Z');
const NYC = { country: 'US', region: 'NY', postal_code: '10001' };
let loc: Record<string, string>;

const order = (sku: string, quantity: number, reference: string, extra: Partial<CommitInput> = {}) => ({
  lines: [{ sku, quantity }],
  destination: NYC,
  service_level: 'ground' as const,
  reference,
  now: NOW,
  ...extra,
});

/** Leaves `keep` units available of `sku` at a location by reserving the rest. */
async function drain(sku: string, at: string, keep: number) {
  const { rows } = await db.pool.query(
    'select available from inventory_balances where tenant_id = $1 and sku = $2 and location_id = $3',
    [T, sku, loc[at]],
  );
  const quantity = rows[0].available - keep;
  const r = await withTransaction(db.pool, (tx) =>
    reserve(tx, T, actor, { lines: [{ sku, location_id: loc[at]!, quantity }], reference: 'drain' }),
  );
  expect(r.ok).toBe(true);
}

/** The ledger's own invariants: nothing negative, reserved equals what open reservations hold. */
async function expectLedgerConsistent() {
  const { rows } = await db.pool.query(
    `select b.sku, b.location_id, b.available, b.reserved,
            coalesce((select sum(l.quantity - l.posted - l.voided) from reservation_lines l
                      where l.tenant_id = b.tenant_id and l.sku = b.sku and l.location_id = b.location_id), 0)::int as held
     from inventory_balances b where b.tenant_id = $1`,
    [T],
  );
  for (const r of rows) {
    expect(r.available, `${r.sku}@${r.location_id}`).toBeGreaterThanOrEqual(0);
    expect(r.reserved, `${r.sku}@${r.location_id}`).toBe(r.held);
  }
}

const reservedFor = async (reference: string) =>
  (
    await db.pool.query(
      `select l.sku, l.location_id, l.quantity from reservations r
       join reservation_lines l using (tenant_id, reservation_id)
       where r.tenant_id = $1 and r.reference = $2 order by l.location_id`,
      [T, reference],
    )
  ).rows;

/** A transaction left open on its own connection, so a test decides when it commits. */
async function openTransaction() {
  const client: PoolClient = await db.pool.connect();
  await client.query('begin');
  return {
    client,
    commit: async () => {
      await client.query('commit');
      client.release();
    },
  };
}

/** Waits until the connection's backend is blocked on a lock (here: the balance row A holds). */
async function waitUntilBlocked(client: PoolClient) {
  const pid = (client as unknown as { processID: number }).processID;
  for (let i = 0; i < 200; i++) {
    const { rows } = await db.pool.query('select wait_event_type from pg_stat_activity where pid = $1', [
      pid,
    ]);
    if (rows[0]?.wait_event_type === 'Lock') return;
    await sleep(25);
  }
  throw new Error('the second transaction never waited on the first');
}

beforeAll(async () => {
  db = await freshDatabase();
  await createDemo(db.pool);
  const { rows } = await db.pool.query('select location_id, name from locations where tenant_id = $1', [T]);
  const key = (name: string) => name.split(' ')[0]!.toLowerCase();
  loc = Object.fromEntries(rows.map((r) => [key(r.name), r.location_id]));
});
afterAll(() => db.drop());

describe('sourcingInputs', () => {
  it('reads weights, the active network and sellable stock net of safety stock and channel pools', async () => {
    const inputs = await sourcingInputs(db.pool, T, [{ sku: 'TEE-ORG-BLK-M', quantity: 3 }], undefined);
    expect(inputs.lines).toEqual([
      {
        sku: 'TEE-ORG-BLK-M',
        quantity: 3,
        weight_lb: 0.4,
        dims_in: { length_in: 10, width_in: 8, height_in: 1 },
      },
    ]);
    expect(inputs.network.locations).toHaveLength(5);
    expect(inputs.network.services.map((s) => s.code).sort()).toEqual(['2DA', 'GND', 'NDA']);
    // Edison holds 10 of its 120 back as safety stock.
    expect(inputs.stock.sellable['TEE-ORG-BLK-M']).toEqual({
      [loc.edison!]: 110,
      [loc.dallas!]: 80,
      [loc.reno!]: 45,
      [loc.chicago!]: 12,
    });
    // The marketplace may hold 30% of the 74 navy hoodies in M that can be sold.
    const pooled = await sellableSnapshot(db.pool, T, ['HOODIE-FLC-NVY-M', 'MUG-ENAMEL-WHT'], 'marketplace');
    expect(pooled.channel_caps).toEqual({ 'HOODIE-FLC-NVY-M': 22 });
  });

  it('names unknown SKUs by line', async () => {
    await expect(
      sourcingInputs(
        db.pool,
        T,
        [
          { sku: 'MUG-ENAMEL-WHT', quantity: 1 },
          { sku: 'NOPE', quantity: 1 },
        ],
        undefined,
      ),
    ).rejects.toMatchObject({ code: 'validation-error', extra: { errors: [{ path: 'body.lines[1].sku' }] } });
  });
});

describe('commitPlan', () => {
  it('reserves a split plan as one reservation with the caller’s reference and channel', async () => {
    // 60 white tees at Edison, 48 at Dallas: 70 need both.
    const result = await withTransaction(db.pool, (tx) =>
      commitPlan(tx, T, actor, order('TEE-ORG-WHT-M', 70, 'ord_split', { channel: 'web' })),
    );
    expect(result.attempts).toBe(1);
    expect(result.plan.backorders).toEqual([]);
    expect(result.reservation).toMatchObject({ reference: 'ord_split', channel: 'web', status: 'pending' });
    const shipped = result.plan.shipments.flatMap((s) =>
      s.lines.map((l) => ({ sku: l.sku, location_id: s.location_id, quantity: l.quantity })),
    );
    expect(shipped).toHaveLength(2);
    expect(await reservedFor('ord_split')).toEqual(
      [...shipped].sort((a, b) => (a.location_id < b.location_id ? -1 : 1)),
    );
    await expectLedgerConsistent();
  });

  it('takes no more than the channel’s pool and backorders the rest', async () => {
    await withTransaction(db.pool, (tx) =>
      setChannelPool(tx, T, actor, { channel: 'wholesale', sku: 'MUG-ENAMEL-WHT', limit_units: 2 }),
    );
    const result = await withTransaction(db.pool, (tx) =>
      commitPlan(tx, T, actor, order('MUG-ENAMEL-WHT', 5, 'ord_pool', { channel: 'wholesale' })),
    );
    expect(result.plan.backorders).toEqual([{ sku: 'MUG-ENAMEL-WHT', quantity: 3 }]);
    expect(result.reservation?.lines.reduce((s, l) => s + l.quantity, 0)).toBe(2);
    await expectLedgerConsistent();
  });

  it('reserves nothing and says so when nothing can ship', async () => {
    await drain('SOCKS-MERINO-3PK', 'edison', 0);
    await drain('SOCKS-MERINO-3PK', 'dallas', 0);
    await drain('SOCKS-MERINO-3PK', 'reno', 0);
    const result = await withTransaction(db.pool, (tx) =>
      commitPlan(tx, T, actor, order('SOCKS-MERINO-3PK', 1, 'ord_none')),
    );
    expect(result).toMatchObject({ reservation: null, attempts: 1 });
    expect(result.plan.backorders).toEqual([{ sku: 'SOCKS-MERINO-3PK', quantity: 1 }]);
    expect(await reservedFor('ord_none')).toEqual([]);
  });
});

describe('two orders racing for the last units (separate connections)', () => {
  it('re-plans the loser on fresh stock to the next location that has it', async () => {
    // Scarves: Edison (best for New York) keeps 2, the Chicago store has 3.
    await drain('SCARF-ALPACA-GRY', 'edison', 2);
    const a = await openTransaction();
    const b = await openTransaction();
    const won = await commitPlan(a.client, T, actor, order('SCARF-ALPACA-GRY', 2, 'ord_a'));
    expect(won.plan.shipments.map((s) => s.location_id)).toEqual([loc.edison]);
    // B plans on a snapshot that still shows A's units (A has not committed), so it picks Edison
    // too and its guarded reservation waits on A's row lock...
    const racing = commitPlan(b.client, T, actor, order('SCARF-ALPACA-GRY', 2, 'ord_b'));
    await waitUntilBlocked(b.client);
    // ...until A commits: B's reservation then fails, and B plans again on what is left.
    await a.commit();
    const lost = await racing;
    await b.commit();
    expect(lost.attempts).toBe(2);
    expect(lost.plan.shipments.map((s) => s.location_id)).toEqual([loc.chicago]);
    expect(lost.plan.backorders).toEqual([]);
    expect(await reservedFor('ord_a')).toEqual([
      { sku: 'SCARF-ALPACA-GRY', location_id: loc.edison, quantity: 2 },
    ]);
    expect(await reservedFor('ord_b')).toEqual([
      { sku: 'SCARF-ALPACA-GRY', location_id: loc.chicago, quantity: 2 },
    ]);
    await expectLedgerConsistent();
  });

  it('backorders the loser when no other location has stock, with both started at once', async () => {
    // Navy hoodies in L: Edison keeps 2, Reno none; nobody else carries them.
    await drain('HOODIE-FLC-NVY-L', 'edison', 2);
    await drain('HOODIE-FLC-NVY-L', 'reno', 0);
    const results = await Promise.all(
      ['ord_c', 'ord_d'].map((ref) =>
        withTransaction(db.pool, (tx) => commitPlan(tx, T, actor, order('HOODIE-FLC-NVY-L', 2, ref))),
      ),
    );
    const winners = results.filter((r) => r.reservation !== null);
    const losers = results.filter((r) => r.reservation === null);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.plan.shipments.map((s) => s.location_id)).toEqual([loc.edison]);
    expect(losers).toHaveLength(1);
    expect(losers[0]!.plan.shipments).toEqual([]);
    expect(losers[0]!.plan.backorders).toEqual([{ sku: 'HOODIE-FLC-NVY-L', quantity: 2 }]);
    const held = [...(await reservedFor('ord_c')), ...(await reservedFor('ord_d'))];
    expect(held).toEqual([{ sku: 'HOODIE-FLC-NVY-L', location_id: loc.edison, quantity: 2 }]);
    await expectLedgerConsistent();
  });

  it('after max_attempts, returns the plan with every unit backordered and nothing reserved', async () => {
    // Candles: Edison keeps 2; Dallas and Chicago have more, but B may only try once.
    await drain('CANDLE-CEDAR', 'edison', 2);
    const a = await openTransaction();
    const b = await openTransaction();
    await commitPlan(a.client, T, actor, order('CANDLE-CEDAR', 2, 'ord_e'));
    const racing = commitPlan(b.client, T, actor, order('CANDLE-CEDAR', 2, 'ord_f'), { max_attempts: 1 });
    await waitUntilBlocked(b.client);
    await a.commit();
    const lost = await racing;
    await b.commit();
    expect(lost).toMatchObject({ reservation: null, attempts: 1 });
    expect(lost.plan.shipments).toEqual([]);
    expect(lost.plan.promise).toBeNull();
    expect(lost.plan.backorders).toEqual([{ sku: 'CANDLE-CEDAR', quantity: 2 }]);
    expect(lost.plan.explanation.why).toMatch(/Stock kept moving/);
    expect(await reservedFor('ord_f')).toEqual([]);
    await expectLedgerConsistent();
  });
});
