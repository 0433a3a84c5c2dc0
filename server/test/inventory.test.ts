import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayBalances } from '../src/modules/inventory/ledger.ts';
import { seedNetwork, stock } from './inventory-fixtures.ts';
import { seedTenant, type TestTenant, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let t: TestTenant;
let key: string;
let A: string;
let B: string;

const balance = async (sku: string, location_id: string) => {
  const res = await env.request('GET', `/v1/inventory?sku=${sku}&location_id=${location_id}`, { key });
  return res.json.data[0];
};

const counts = async () => {
  const { rows } = await env.pool.query(
    `select (select count(*) from inventory_movements)::int as movements, (select count(*) from reservations)::int as reservations,
            (select count(*) from events)::int as events, (select coalesce(sum(available + reserved + safety + quarantine + damaged + incoming), 0)::int as units from inventory_balances)`,
  );
  return rows[0];
};

/** Every balance equals the replay of its movements; no bucket is negative. */
async function expectLedgerConsistent() {
  const replayed = await replayBalances(env.pool, t.tenant_id);
  const { rows } = await env.pool.query('select * from inventory_balances where tenant_id = $1', [
    t.tenant_id,
  ]);
  for (const r of rows) {
    const fromMovements = replayed.get(`${r.sku}\u0000${r.location_id}`) ?? {};
    for (const b of ['available', 'reserved', 'safety', 'quarantine', 'damaged', 'incoming'] as const) {
      expect(r[b], `${r.sku}@${r.location_id}.${b}`).toBe((fromMovements as Record<string, number>)[b] ?? 0);
      expect(r[b]).toBeGreaterThanOrEqual(0);
    }
  }
}

beforeAll(async () => {
  env = await testApp();
  t = await seedTenant(env.pool, 'Inventory Co');
  key = t.keys.manager;
  [A, B] = (await seedNetwork(env, t.keys.admin, { skus: ['SHIRT', 'MUG', 'CAP'], locations: 2 })) as [
    string,
    string,
  ];
});
afterAll(async () => {
  await expectLedgerConsistent();
  await env.close();
});

describe('reservations: pending transfers', () => {
  it('reserves, posts part, voids the rest, with movements and events', async () => {
    await stock(env, key, 'SHIRT', A, 10);
    const res = await env.request('POST', '/v1/inventory/reservations', {
      key,
      body: { lines: [{ sku: 'SHIRT', location_id: A, quantity: 4 }], reference: 'ord_1', channel: 'web' },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.status).toBe('pending');
    expect(await balance('SHIRT', A)).toMatchObject({ available: 6, reserved: 4, on_hand: 10 });

    const id = res.json.reservation_id;
    const post = await env.request('POST', `/v1/inventory/reservations/${id}/post`, {
      key,
      body: { lines: [{ sku: 'SHIRT', location_id: A, quantity: 3 }] },
    });
    expect(post.status, post.text).toBe(200);
    expect(post.json.lines[0]).toMatchObject({ quantity: 4, posted: 3, voided: 0 });
    expect(await balance('SHIRT', A)).toMatchObject({ available: 6, reserved: 1, on_hand: 7 });

    const voided = await env.request('POST', `/v1/inventory/reservations/${id}/void`, { key });
    expect(voided.status, voided.text).toBe(200);
    expect(voided.json.status).toBe('settled');
    expect(await balance('SHIRT', A)).toMatchObject({ available: 7, reserved: 0, on_hand: 7 });

    // Settling again is a no-op (an empty JSON body is no body), and posting what is not left is a conflict.
    const again = await env.request('POST', `/v1/inventory/reservations/${id}/void`, {
      key,
      headers: { 'content-type': 'application/json', 'content-length': '0' },
    });
    expect(again.status, again.text).toBe(200);
    expect(again.json.status).toBe('settled');
    const late = await env.request('POST', `/v1/inventory/reservations/${id}/post`, {
      key,
      body: { lines: [{ sku: 'SHIRT', location_id: A, quantity: 1 }] },
    });
    expect(late.status).toBe(409);

    const history = await env.request('GET', `/v1/inventory/movements?sku=SHIRT&location_id=${A}`, { key });
    expect(history.json.data.map((m: { cause: string }) => m.cause)).toEqual([
      'release',
      'fulfillment',
      'reservation',
      'adjustment',
    ]);
    const events = await env.request('GET', '/v1/events?types=inventory.*', { key });
    expect(events.json.data.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining([
        'inventory.changed',
        'inventory.reservation_posted',
        'inventory.reservation_voided',
      ]),
    );
  });

  it('reserves all lines or none', async () => {
    await stock(env, key, 'MUG', A, 5);
    const before = await counts();
    const res = await env.request('POST', '/v1/inventory/reservations', {
      key,
      body: {
        lines: [
          { sku: 'MUG', location_id: A, quantity: 2 },
          { sku: 'SHIRT', location_id: A, quantity: 500 },
        ],
      },
    });
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('insufficient_stock');
    expect(res.json.shortfall).toMatchObject({
      sku: 'SHIRT',
      location_id: A,
      bucket: 'available',
      requested: 500,
    });
    expect(await counts()).toEqual(before);
    expect(await balance('MUG', A)).toMatchObject({ available: 5, reserved: 0 });
  });

  it('voids expired holds through the scheduled workflow step', async () => {
    const res = await env.request('POST', '/v1/inventory/reservations', {
      key,
      body: { lines: [{ sku: 'MUG', location_id: A, quantity: 1 }], expires_in_s: 1 },
    });
    expect(res.status).toBe(201);
    await env.pool.query(
      `update reservations set expires_at = now() - interval '1 second' where reservation_id = $1`,
      [res.json.reservation_id],
    );
    const { expiredReservations } = await import('../src/modules/inventory/store.ts');
    const { settle } = await import('../src/modules/inventory/reservations.ts');
    const { withTransaction } = await import('../src/db/pool.ts');
    for (const r of await expiredReservations(env.pool, 100)) {
      await withTransaction(env.pool, (tx) =>
        settle(tx, r.tenant_id, { type: 'system', id: 'test' }, r.reservation_id, 'void'),
      );
    }
    const after = await env.request('GET', `/v1/inventory/reservations/${res.json.reservation_id}`, { key });
    expect(after.json.status).toBe('voided');
    expect(await balance('MUG', A)).toMatchObject({ available: 5, reserved: 0 });
  });
});

describe('adjustments, counts, moves and safety stock', () => {
  it('adjusts with reasons and refuses to go below zero', async () => {
    await stock(env, key, 'CAP', B, 10);
    const lost = await env.request('POST', '/v1/inventory/adjustments', {
      key,
      body: { sku: 'CAP', location_id: B, reason: 'lost', quantity: 2 },
    });
    expect(lost.json).toMatchObject({ available: 8 });
    const damaged = await env.request('POST', '/v1/inventory/adjustments', {
      key,
      body: { sku: 'CAP', location_id: B, reason: 'damaged', quantity: 1 },
    });
    expect(damaged.json).toMatchObject({ available: 7, damaged: 1, on_hand: 8 });
    const count = await env.request('POST', '/v1/inventory/adjustments', {
      key,
      body: { sku: 'CAP', location_id: B, reason: 'count', counted: 12 },
    });
    expect(count.json).toMatchObject({ available: 12, damaged: 1 });
    const before = await counts();
    const tooMany = await env.request('POST', '/v1/inventory/adjustments', {
      key,
      body: { sku: 'CAP', location_id: B, reason: 'lost', quantity: 13 },
    });
    expect(tooMany.status).toBe(409);
    expect(tooMany.json.detail).toContain('has 12 available');
    expect(await counts()).toEqual(before);
  });

  it('moves quarantine to available after QC', async () => {
    const q = await env.request('POST', '/v1/inventory/moves', {
      key,
      body: { sku: 'CAP', location_id: B, from: 'available', to: 'quarantine', quantity: 3 },
    });
    expect(q.json).toMatchObject({ available: 9, quarantine: 3 });
    const back = await env.request('POST', '/v1/inventory/moves', {
      key,
      body: {
        sku: 'CAP',
        location_id: B,
        from: 'quarantine',
        to: 'available',
        quantity: 3,
        reason: 'qc_passed',
      },
    });
    expect(back.json).toMatchObject({ available: 12, quarantine: 0 });
  });

  it('holds safety stock back from sale and restores it first', async () => {
    const set = await env.request('PUT', '/v1/safety-stock', {
      key,
      body: { sku: 'CAP', location_id: B, quantity: 5 },
    });
    expect(set.status, set.text).toBe(200);
    expect(set.json).toMatchObject({ available: 7, safety: 5, safety_target: 5, on_hand: 13 });
    const avail = await env.request('GET', '/v1/availability?skus=CAP', { key });
    expect(avail.json.data[0]).toMatchObject({ sku: 'CAP', sellable: 7 });
    const lower = await env.request('PUT', '/v1/safety-stock', {
      key,
      body: { sku: 'CAP', location_id: B, quantity: 2 },
    });
    expect(lower.json).toMatchObject({ available: 10, safety: 2 });
    const list = await env.request('GET', '/v1/safety-stock?sku=CAP', { key });
    expect(list.json.data).toHaveLength(1);
  });
});

describe('channel pools', () => {
  it('caps what a channel may hold, in availability and in reservations', async () => {
    await stock(env, key, 'MUG', B, 20);
    const pool = await env.request('PUT', '/v1/channel-pools', {
      key,
      body: { channel: 'marketplace', sku: 'MUG', limit_units: 3 },
    });
    expect(pool.status, pool.text).toBe(200);
    const avail = await env.request('GET', '/v1/availability?skus=MUG&channel=marketplace', { key });
    expect(avail.json.data[0].sellable).toBe(3);
    const ok = await env.request('POST', '/v1/inventory/reservations', {
      key,
      body: { channel: 'marketplace', lines: [{ sku: 'MUG', location_id: B, quantity: 3 }] },
    });
    expect(ok.status).toBe(201);
    const over = await env.request('POST', '/v1/inventory/reservations', {
      key,
      body: { channel: 'marketplace', lines: [{ sku: 'MUG', location_id: B, quantity: 1 }] },
    });
    expect(over.status).toBe(409);
    expect(over.json.code).toBe('channel_pool_exhausted');
    // Other channels are not limited by the marketplace's pool.
    const web = await env.request('POST', '/v1/inventory/reservations', {
      key,
      body: { channel: 'web', lines: [{ sku: 'MUG', location_id: B, quantity: 1 }] },
    });
    expect(web.status).toBe(201);
    // Voiding gives the pool back.
    await env.request('POST', `/v1/inventory/reservations/${ok.json.reservation_id}/void`, { key });
    const pools = await env.request('GET', '/v1/channel-pools?channel=marketplace', { key });
    expect(pools.json.data[0]).toMatchObject({ sku: 'MUG', reserved: 0 });
  });
});

describe('transfers', () => {
  it('ships, receives in part, closes and writes off the rest', async () => {
    await stock(env, key, 'SHIRT', B, 10);
    const created = await env.request('POST', '/v1/inventory/transfers', {
      key,
      body: { source_location_id: B, destination_location_id: A, lines: [{ sku: 'SHIRT', quantity: 6 }] },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.json.transfer_id;
    const shipped = await env.request('POST', `/v1/inventory/transfers/${id}/ship`, { key });
    expect(shipped.json.status).toBe('in_transit');
    expect(await balance('SHIRT', B)).toMatchObject({ available: 4, on_hand: 4 });
    const aBefore = await balance('SHIRT', A);
    expect(aBefore.incoming).toBe(6);
    const part = await env.request('POST', `/v1/inventory/transfers/${id}/receive`, {
      key,
      body: { lines: [{ sku: 'SHIRT', quantity: 4 }] },
    });
    expect(part.json.status).toBe('partially_received');
    expect(await balance('SHIRT', A)).toMatchObject({ incoming: 2, available: aBefore.available + 4 });
    const tooMuch = await env.request('POST', `/v1/inventory/transfers/${id}/receive`, {
      key,
      body: { lines: [{ sku: 'SHIRT', quantity: 3 }] },
    });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.json.errors[0].path).toBe('body.lines[0].quantity');
    const cancel = await env.request('POST', `/v1/inventory/transfers/${id}/cancel`, { key });
    expect(cancel.status).toBe(409);
    expect(cancel.json.status_now).toBe('partially_received');
    const closed = await env.request('POST', `/v1/inventory/transfers/${id}/close`, { key });
    expect(closed.json).toMatchObject({ status: 'closed', lines: [{ shipped: 6, received: 4, lost: 2 }] });
    expect((await balance('SHIRT', A)).incoming).toBe(0);
  });

  it('cancels before shipping without touching stock, and refuses a transfer to itself', async () => {
    const created = await env.request('POST', '/v1/inventory/transfers', {
      key,
      body: { source_location_id: A, destination_location_id: B, lines: [{ sku: 'MUG', quantity: 1 }] },
    });
    const before = await balance('MUG', A);
    expect(
      (await env.request('POST', `/v1/inventory/transfers/${created.json.transfer_id}/cancel`, { key })).json
        .status,
    ).toBe('cancelled');
    expect(await balance('MUG', A)).toEqual(before);
    const self = await env.request('POST', '/v1/inventory/transfers', {
      key,
      body: { source_location_id: A, destination_location_id: A, lines: [{ sku: 'MUG', quantity: 1 }] },
    });
    expect(self.status).toBe(422);
    expect(self.json.errors[0].path).toBe('body.destination_location_id');
  });
});

describe('stock imports with logical timestamps (seed 004)', () => {
  const postOne = async () => {
    const r = await env.request('POST', '/v1/inventory/reservations', {
      key,
      body: { lines: [{ sku: 'SYNC', location_id: A, quantity: 1 }] },
    });
    const posted = await env.request('POST', `/v1/inventory/reservations/${r.json.reservation_id}/post`, {
      key,
    });
    expect(posted.status).toBe(200);
    return r.json.reservation_id as string;
  };
  const seqOf = async (reservationId: string) => {
    const events = await env.request('GET', '/v1/events?types=inventory.reservation_posted&limit=1000', {
      key,
    });
    return events.json.data.find((e: { subject: string }) => e.subject === reservationId).seq as number;
  };

  it('settles shipped units the count already reflects, and subtracts those it does not', async () => {
    const created = await env.request('POST', '/v1/products', {
      key: t.keys.admin,
      body: { sku: 'SYNC', name: 'Synced', weight_lb: 1, unit_cost: 1, price: 2 },
    });
    expect(created.status).toBe(201);
    await stock(env, key, 'SYNC', A, 10);
    const shipped = [await postOne(), await postOne(), await postOne()];
    expect(await balance('SYNC', A)).toMatchObject({ on_hand: 7 });
    const through = await seqOf(shipped[2]!);

    // The WMS saw the three shipments (through their sequence) and received 10 more: it counts 17.
    const first = await env.request('POST', '/v1/inventory/imports', {
      key,
      body: { covers_through_seq: through, counts: [{ sku: 'SYNC', location_id: A, on_hand: 17 }] },
    });
    expect(first.status, first.text).toBe(201);
    expect(first.json.counts[0]).toMatchObject({ counted: 17, unreflected_shipped: 0, on_hand: 17 });
    expect(await balance('SYNC', A)).toMatchObject({ on_hand: 17, available: 17, reserved: 0 });

    // Two more ship; the next count reflects only the first of them.
    const fourth = await postOne();
    await postOne();
    const second = await env.request('POST', '/v1/inventory/imports', {
      key,
      body: {
        covers_through_seq: await seqOf(fourth),
        counts: [{ sku: 'SYNC', location_id: A, on_hand: 16 }],
      },
    });
    expect(second.json.counts[0]).toMatchObject({ counted: 16, unreflected_shipped: 1, on_hand: 15 });
    expect(await balance('SYNC', A)).toMatchObject({ on_hand: 15 });

    // An import older than one already applied is refused and changes nothing.
    const before = await counts();
    const stale = await env.request('POST', '/v1/inventory/imports', {
      key,
      body: { covers_through_seq: through, counts: [{ sku: 'SYNC', location_id: A, on_hand: 99 }] },
    });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe('stale_import');
    expect(await counts()).toEqual(before);
    expect(
      (await env.request('GET', `/v1/inventory/imports/${first.json.import_id}`, { key })).json.counts[0]
        .on_hand,
    ).toBe(17);
  });

  it('keeps reservations and reports a shortage when the count is below what is reserved', async () => {
    const r = await env.request('POST', '/v1/inventory/reservations', {
      key,
      body: { lines: [{ sku: 'SYNC', location_id: A, quantity: 5 }] },
    });
    expect(r.status).toBe(201);
    const { rows } = await env.pool.query('select coalesce(max(seq), 0)::int as s from events');
    await env.request('GET', '/v1/events?limit=1', { key });
    const res = await env.request('POST', '/v1/inventory/imports', {
      key,
      body: { covers_through_seq: rows[0].s + 1000, counts: [{ sku: 'SYNC', location_id: A, on_hand: 3 }] },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.counts[0]).toMatchObject({ shortage: 2, available: 0 });
    expect(await balance('SYNC', A)).toMatchObject({ reserved: 5, available: 0 });
    const events = await env.request('GET', '/v1/events?types=inventory.shortage', { key });
    expect(events.json.data.at(-1).data).toMatchObject({ sku: 'SYNC', shortage: 2 });
  });
});

describe('stock signals', () => {
  it('raises low_stock when free stock falls to the threshold and back_in_stock when it returns from zero', async () => {
    const created = await env.request('POST', '/v1/products', {
      key: t.keys.admin,
      body: { sku: 'SIGNAL', name: 'Signal', weight_lb: 1, unit_cost: 1, price: 2, low_stock_threshold: 3 },
    });
    expect(created.status).toBe(201);
    await stock(env, key, 'SIGNAL', A, 5);
    const types = async () =>
      (
        await env.request('GET', '/v1/events?types=inventory.low_stock,inventory.back_in_stock&limit=1000', {
          key,
        })
      ).json.data
        .filter((e: { subject: string }) => e.subject === 'SIGNAL')
        .map((e: { type: string; data: { available: number } }) => `${e.type}:${e.data.available}`);
    expect(await types()).toEqual(['inventory.back_in_stock:5']);
    const reserve = (quantity: number) =>
      env.request('POST', '/v1/inventory/reservations', {
        key,
        body: { lines: [{ sku: 'SIGNAL', location_id: A, quantity }] },
      });
    await reserve(1); // 4 left: above the threshold
    expect(await types()).toEqual(['inventory.back_in_stock:5']);
    const r = await reserve(1); // 3 left: at the threshold
    expect(await types()).toEqual(['inventory.back_in_stock:5', 'inventory.low_stock:3']);
    await reserve(3); // 0 left: already low, no second alert
    expect(await types()).toHaveLength(2);
    await env.request('POST', `/v1/inventory/reservations/${r.json.reservation_id}/void`, { key });
    expect(await types()).toEqual([
      'inventory.back_in_stock:5',
      'inventory.low_stock:3',
      'inventory.back_in_stock:1',
    ]);
  });
});

describe('what the demo data showed', () => {
  it('pages safety stock by what is held back, not by every balance', async () => {
    const page = await env.request('GET', '/v1/safety-stock?limit=1', { key });
    expect(page.json.data).toHaveLength(1);
    expect(page.json.data[0].safety_target).toBeGreaterThan(0);
  });

  it('refuses SKUs that would shadow inventory endpoints', async () => {
    const res = await env.request('POST', '/v1/products', {
      key: t.keys.admin,
      body: { sku: 'movements', name: 'x', weight_lb: 1, unit_cost: 1, price: 2 },
    });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].path).toBe('body.sku');
  });

  it('restores safety stock first when a reservation is voided, and imports raise back_in_stock', async () => {
    await env.request('POST', '/v1/products', {
      key: t.keys.admin,
      body: { sku: 'SAFE', name: 'Safe', weight_lb: 1, unit_cost: 1, price: 2 },
    });
    await stock(env, key, 'SAFE', B, 4);
    const r = await env.request('POST', '/v1/inventory/reservations', {
      key,
      body: { lines: [{ sku: 'SAFE', location_id: B, quantity: 4 }] },
    });
    await env.request('PUT', '/v1/safety-stock', { key, body: { sku: 'SAFE', location_id: B, quantity: 2 } });
    expect(await balance('SAFE', B)).toMatchObject({ available: 0, safety: 0, reserved: 4 });
    await env.request('POST', `/v1/inventory/reservations/${r.json.reservation_id}/void`, { key });
    expect(await balance('SAFE', B)).toMatchObject({ available: 2, safety: 2, reserved: 0 });

    await env.request('POST', '/v1/inventory/adjustments', {
      key,
      body: { sku: 'SAFE', location_id: B, reason: 'lost', quantity: 2 },
    });
    await env.request('PUT', '/v1/safety-stock', { key, body: { sku: 'SAFE', location_id: B, quantity: 0 } });
    await env.request('POST', '/v1/inventory/adjustments', {
      key,
      body: { sku: 'SAFE', location_id: B, reason: 'lost', quantity: 2 },
    });
    const imported = await env.request('POST', '/v1/inventory/imports', {
      key,
      body: { covers_through_seq: 0, counts: [{ sku: 'SAFE', location_id: B, on_hand: 6 }] },
    });
    expect(imported.status, imported.text).toBe(201);
    const events = await env.request('GET', '/v1/events?types=inventory.back_in_stock&limit=1000', { key });
    expect(
      events.json.data.filter((e: { subject: string }) => e.subject === 'SAFE').at(-1).data,
    ).toMatchObject({ available: 6 });
  });
});

describe('read side', () => {
  it('shows one SKU across the network and exports CSV', async () => {
    const g = await env.request('GET', '/v1/inventory/SHIRT', { key: t.keys.support });
    expect(g.status, g.text).toBe(200);
    expect(g.json.locations.map((l: { location_id: string }) => l.location_id).sort()).toEqual([A, B].sort());
    expect(g.json.locations[0].location_type).toBe('warehouse');
    expect(g.json.totals.on_hand).toBe(
      g.json.locations.reduce((s: number, l: { on_hand: number }) => s + l.on_hand, 0),
    );
    const csv = await env.request('GET', '/v1/inventory?format=csv', { key: t.keys.support });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe(
      'sku,location_id,available,reserved,safety,quarantine,damaged,incoming,on_hand,safety_target,updated_at',
    );
    const { rows } = await env.pool.query(
      'select count(*)::int as n from inventory_balances where tenant_id = $1',
      [t.tenant_id],
    );
    expect(lines.length - 1).toBe(rows[0].n);
  });
});

describe('bad input writes nothing', () => {
  const cases: Array<[string, string, string, unknown, number, string?]> = [
    [
      'zero quantity',
      'POST',
      '/v1/inventory/reservations',
      { lines: [{ sku: 'MUG', location_id: 'x', quantity: 0 }] },
      422,
      'body.lines[0].quantity',
    ],
    [
      'negative quantity',
      'POST',
      '/v1/inventory/adjustments',
      { sku: 'MUG', location_id: 'x', reason: 'found', quantity: -1 },
      422,
      'body.quantity',
    ],
    [
      'unknown SKU',
      'POST',
      '/v1/inventory/reservations',
      { lines: [{ sku: 'NOPE', location_id: '@A', quantity: 1 }] },
      422,
      'body.lines[0].sku',
    ],
    [
      'unknown location',
      'POST',
      '/v1/inventory/adjustments',
      { sku: 'MUG', location_id: 'loc_nope', reason: 'found', quantity: 1 },
      422,
      'body.location_id',
    ],
    [
      'count without counted',
      'POST',
      '/v1/inventory/adjustments',
      { sku: 'MUG', location_id: '@A', reason: 'count' },
      422,
      'body.counted',
    ],
    [
      'same bucket move',
      'POST',
      '/v1/inventory/moves',
      { sku: 'MUG', location_id: '@A', from: 'available', to: 'available', quantity: 1 },
      422,
      'body.to',
    ],
    [
      'pool with both limits',
      'PUT',
      '/v1/channel-pools',
      { channel: 'web', sku: 'MUG', limit_units: 1, limit_percent: 5 },
      422,
      'body.limit_units',
    ],
    [
      'import counted twice',
      'POST',
      '/v1/inventory/imports',
      {
        covers_through_seq: 1,
        counts: [
          { sku: 'MUG', location_id: '@A', on_hand: 1 },
          { sku: 'MUG', location_id: '@A', on_hand: 2 },
        ],
      },
      422,
      'body.counts[1]',
    ],
    ['unknown reservation', 'POST', '/v1/inventory/reservations/res_nope/post', {}, 404],
  ];
  for (const [name, method, url, body, status, field] of cases) {
    it(`${name} → ${status}`, async () => {
      const before = await counts();
      const resolved = JSON.parse(JSON.stringify(body).replaceAll('@A', A));
      const res = await env.request(method, url, { key, body: resolved });
      expect(res.status, res.text).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      if (field) expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(field);
      expect(await counts()).toEqual(before);
    });
  }
});
