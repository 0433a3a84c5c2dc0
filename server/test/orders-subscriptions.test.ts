import { DBOS } from '@dbos-inc/dbos-sdk';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import { boundary, nextBoundaryAfter, placeDueCycles } from '../src/modules/orders/subscriptions.ts';
import { startWorkers } from '../src/workflows/runtime.ts';
import { type Env, locationIds, orderBody, ordersMatchLedger, productWithStock } from './orders-fixtures.ts';
import { freshDatabase, testAppOn } from './support.ts';

/** Subscription orders on the demo tenant: capture, the cycles the schedule places, and its changes. */

let db: Awaited<ReturnType<typeof freshDatabase>>;
let env: Env;
let key: string;
let loc: Record<string, string>;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const post = (url: string, body?: unknown) => env.request('POST', url, { key, body });
const get = (url: string) => env.request('GET', url, { key });
const at = (iso: string, plus_ms = 0) => new Date(new Date(iso).getTime() + plus_ms);

/** Captures a subscription order of one unit of `sku` over HTTP; answers the order. */
async function subscribe(sku: string, every: number, unit: string, over: Record<string, unknown> = {}) {
  const res = await post(
    '/v1/orders',
    orderBody([{ sku, quantity: 1 }], { order_type: 'subscription', subscription: { every, unit }, ...over }),
  );
  expect(res.status, res.text).toBe(201);
  expect(res.json.subscription_id).toMatch(/^sub_/);
  return res.json;
}
const subscription = async (id: string) => {
  const res = await get(`/v1/subscriptions/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.json;
};
const act = (id: string, action: string, body?: unknown) => post(`/v1/subscriptions/${id}/${action}`, body);
const place = (now: Date) => placeDueCycles(db.pool, now, 50);
/** The orders a subscription placed, oldest first. */
const ordersOf = async (id: string) =>
  (
    await db.pool.query(
      `select order_id, channel_order_id, order_type, status, subscription_id, placed_at from orders
       where tenant_id = $1 and subscription_id = $2 order by placed_at, order_id`,
      [T, id],
    )
  ).rows;
const eventsOf = async (id: string, type: string) =>
  (
    await db.pool.query(
      'select data, actor from events where tenant_id = $1 and subject = $2 and type = $3 order by event_id',
      [T, id, `subscription.${type}`],
    )
  ).rows;
const settings = (backorders: 'accept' | 'reject') =>
  env.request('PUT', '/v1/order-settings', {
    key,
    body: { backorders, default_service_level: 'ground', shipping_methods: {} },
  });

beforeAll(async () => {
  db = await freshDatabase();
  key = (await createDemo(db.pool)).api_key!;
  env = testAppOn(db.pool);
  loc = await locationIds(env, key);
});
afterAll(() => db.drop());

describe('cycle boundaries', () => {
  it('count months by calendar month from the first order, the day clamped', () => {
    const jan31 = new Date('2026-01-31T15:00:00Z');
    expect(boundary(jan31, 1, 'month', 1).toISOString()).toBe('2026-02-28T15:00:00.000Z');
    expect(boundary(jan31, 1, 'month', 2).toISOString()).toBe('2026-03-31T15:00:00.000Z');
    expect(boundary(jan31, 1, 'month', 3).toISOString()).toBe('2026-04-30T15:00:00.000Z');
    expect(boundary(new Date('2028-01-31T00:00:00Z'), 1, 'month', 1).toISOString()).toBe(
      '2028-02-29T00:00:00.000Z',
    );
    expect(boundary(new Date('2026-11-30T08:00:00Z'), 3, 'month', 1).toISOString()).toBe(
      '2027-02-28T08:00:00.000Z',
    );
    expect(boundary(jan31, 2, 'week', 1).toISOString()).toBe('2026-02-14T15:00:00.000Z');
    expect(boundary(jan31, 10, 'day', 3).toISOString()).toBe('2026-03-02T15:00:00.000Z');
    // The next boundary is strictly after the time asked about.
    expect(nextBoundaryAfter(jan31, 1, 'month', new Date('2026-02-28T15:00:00Z')).toISOString()).toBe(
      '2026-03-31T15:00:00.000Z',
    );
    expect(nextBoundaryAfter(jan31, 1, 'month', new Date('2025-06-01T00:00:00Z')).toISOString()).toBe(
      '2026-02-28T15:00:00.000Z',
    );
  });

  it('the next boundary is the first one after the time, for any schedule', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01Z'), max: new Date('2100-01-01Z'), noInvalidDate: true }),
        fc.integer({ min: 1, max: 365 }),
        fc.constantFrom('day' as const, 'week' as const, 'month' as const),
        fc.integer({ min: 0, max: 3 * 365 * 24 * 60 }),
        (anchor, every, unit, minutes) => {
          const t = new Date(anchor.getTime() + minutes * MINUTE);
          const next = nextBoundaryAfter(anchor, every, unit, t);
          expect(next.getTime()).toBeGreaterThan(t.getTime());
          let n = 1;
          while (boundary(anchor, every, unit, n) < next) n++;
          expect(boundary(anchor, every, unit, n).getTime()).toBe(next.getTime());
          if (n > 1) expect(boundary(anchor, every, unit, n - 1).getTime()).toBeLessThanOrEqual(t.getTime());
          if (unit === 'month') expect(next.getUTCDate()).toBeLessThanOrEqual(anchor.getUTCDate());
        },
      ),
    );
  });
});

describe('subscription orders', () => {
  let sub: string;
  let first: any;

  it('capture creates the subscription: the order is cycle 1, the template is what it ordered', async () => {
    await productWithStock(env, key, 'SUB-COFFEE', { [loc.edison!]: 50 });
    first = await subscribe('SUB-COFFEE', 1, 'week', { notes: 'Grind fine' });
    sub = first.subscription_id;
    expect(first).toMatchObject({ order_type: 'subscription', status: 'allocated' });
    expect((await get(`/v1/orders/${first.order_id}`)).json.subscription_id).toBe(sub);

    const s = await subscription(sub);
    expect(s).toMatchObject({
      status: 'active',
      interval_count: 1,
      interval_unit: 'week',
      cycles_placed: 1,
      skip_next: false,
      next_run_at: at(first.placed_at, 7 * DAY).toISOString(),
      orders: [{ order_id: first.order_id, order_number: first.order_number, status: 'allocated' }],
    });
    expect(s.template).toMatchObject({ channel: 'web', notes: 'Grind fine', lines: [{ sku: 'SUB-COFFEE' }] });
    for (const k of ['channel_order_id', 'placed_at', 'subscription'])
      expect(s.template).not.toHaveProperty(k);
    expect(await eventsOf(sub, 'created')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ first_order_id: first.order_id }) }),
    ]);

    const list = await get('/v1/subscriptions?status=active&limit=1');
    expect(list.status, list.text).toBe(200);
    expect(list.json.data.map((x: any) => x.subscription_id)).toEqual([sub]);
    expect((await get('/v1/subscriptions?status=paused')).json.data).toEqual([]);
    // The channel sending the same order again gets it back and no second subscription.
    const again = await post(
      '/v1/orders',
      orderBody([{ sku: 'SUB-COFFEE', quantity: 1 }], {
        channel_order_id: first.channel_order_id,
        order_type: 'subscription',
        subscription: { every: 1, unit: 'week' },
      }),
    );
    expect(again.status, again.text).toBe(200);
    expect(again.json).toMatchObject({ order_id: first.order_id, subscription_id: sub });
    const count = await db.pool.query('select count(*)::int as n from subscriptions where tenant_id = $1', [
      T,
    ]);
    expect(count.rows[0].n).toBe(1);
    // A schedule on anything but a subscription order is refused.
    const wrong = await post(
      '/v1/orders',
      orderBody([{ sku: 'SUB-COFFEE', quantity: 1 }], { subscription: { every: 1, unit: 'week' } }),
    );
    expect(wrong.status).toBe(422);
  });

  it('places the next cycle as a standard, allocated order once due, and only once', async () => {
    const due = (await subscription(sub)).next_run_at;
    expect(await place(at(due, -MINUTE))).toMatchObject({ claimed: 0, placed: 0 });
    const now = at(due, MINUTE);
    expect(await place(now)).toMatchObject({ claimed: 1, placed: 1, failed: 0, errors: [] });

    const orders = await ordersOf(sub);
    expect(orders).toHaveLength(2);
    expect(orders[1]).toMatchObject({
      channel_order_id: `${sub}:2`,
      order_type: 'standard',
      status: 'allocated',
      subscription_id: sub,
      placed_at: now,
    });
    const s = await subscription(sub);
    expect(s).toMatchObject({ cycles_placed: 2, next_run_at: at(first.placed_at, 14 * DAY).toISOString() });
    expect(s.orders.map((o: any) => o.channel_order_id)).toEqual([`${sub}:2`, first.channel_order_id]);
    const placed = await eventsOf(sub, 'cycle_placed');
    expect(placed).toHaveLength(1);
    expect(placed[0]).toMatchObject({
      data: { cycle: 2, order_id: orders[1].order_id, order_status: 'allocated' },
      actor: { type: 'system', id: 'subscriptions' },
    });

    // The same run again finds nothing due: no second order.
    expect(await place(now)).toMatchObject({ claimed: 0, placed: 0 });
    expect(await ordersOf(sub)).toHaveLength(2);
  });

  it('a replayed cycle finds the order its channel order id names instead of placing another', async () => {
    // As if the run had placed cycle 2 but the schedule had not moved on.
    const before = await subscription(sub);
    await db.pool.query(
      `update subscriptions set cycles_placed = 1, next_run_at = $3 where tenant_id = $1 and subscription_id = $2`,
      [T, sub, at(first.placed_at, 7 * DAY)],
    );
    expect(await place(at(first.placed_at, 7 * DAY + MINUTE))).toMatchObject({ placed: 1 });
    expect(await ordersOf(sub)).toHaveLength(2);
    expect(await subscription(sub)).toMatchObject({
      cycles_placed: 2,
      next_run_at: before.next_run_at,
    });
  });

  it('skip skips the next cycle only', async () => {
    const skipped = await act(sub, 'skip', { reason: 'On holiday' });
    expect(skipped.status, skipped.text).toBe(200);
    expect(skipped.json).toMatchObject({ status: 'active', skip_next: true });
    const twice = await act(sub, 'skip');
    expect(twice.status).toBe(409);
    expect(twice.headers.get('content-type')).toContain('application/problem+json');
    expect(twice.json).toMatchObject({
      code: 'already_skipping',
      current_status: 'active',
      allowed_actions: ['pause', 'cancel'],
    });

    const due = skipped.json.next_run_at;
    expect(await place(at(due, MINUTE))).toMatchObject({ claimed: 1, skipped: 1, placed: 0 });
    expect(await ordersOf(sub)).toHaveLength(2);
    const s = await subscription(sub);
    expect(s).toMatchObject({ skip_next: false, cycles_placed: 2 });
    expect(s.next_run_at).toBe(at(first.placed_at, 21 * DAY).toISOString());
    expect(await eventsOf(sub, 'skipped')).toHaveLength(1);
    expect(await eventsOf(sub, 'cycle_skipped')).toHaveLength(1);

    // The cycle after is placed again, as cycle 3.
    expect(await place(at(s.next_run_at, MINUTE))).toMatchObject({ placed: 1 });
    expect((await ordersOf(sub)).map((o) => o.channel_order_id)).toContain(`${sub}:3`);
  });

  it('cancel stops it for good; changes a cancelled subscription does not allow answer 409', async () => {
    const cancelled = await act(sub, 'cancel', { reason: 'Moving away' });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    expect(await place(at(cancelled.json.next_run_at, 365 * DAY))).toMatchObject({ claimed: 0 });
    expect(await ordersOf(sub)).toHaveLength(3);
    for (const action of ['pause', 'resume', 'skip', 'cancel']) {
      const res = await act(sub, action);
      expect(res.status, action).toBe(409);
      expect(res.json).toMatchObject({ current_status: 'cancelled', allowed_actions: [] });
    }
    expect((await get('/v1/subscriptions?status=cancelled')).json.data).toHaveLength(1);
    expect(await eventsOf(sub, 'cancelled')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ reason: 'Moving away' }) }),
    ]);
  });

  it('answers 404 for a subscription that does not exist, even with a bad body', async () => {
    expect((await get('/v1/subscriptions/sub_nope')).status).toBe(404);
    expect((await act('sub_nope', 'pause')).status).toBe(404);
    expect((await act('sub_nope', 'pause', { nonsense: true })).status).toBe(404);
    expect((await act(sub, 'pause', { nonsense: true })).status).toBe(422);
  });
});

describe('pause and resume', () => {
  it('a paused subscription places nothing; resuming starts at the next boundary without the missed cycles', async () => {
    await productWithStock(env, key, 'SUB-TEA', { [loc.dallas!]: 50 });
    const placedAt = new Date(Date.now() - 10 * DAY - 5 * MINUTE);
    const o = await subscribe('SUB-TEA', 1, 'day', { placed_at: placedAt.toISOString() });
    const sub = o.subscription_id;

    const paused = await act(sub, 'pause', { reason: 'Too much tea' });
    expect(paused.status, paused.text).toBe(200);
    expect(paused.json.status).toBe('paused');
    expect((await act(sub, 'pause')).json).toMatchObject({
      code: 'already_paused',
      current_status: 'paused',
    });
    expect((await act(sub, 'skip')).status).toBe(409);
    expect(await place(new Date())).toMatchObject({ claimed: 0 });
    expect(await ordersOf(sub)).toHaveLength(1);

    const resumed = await act(sub, 'resume');
    expect(resumed.status, resumed.text).toBe(200);
    // Ten days were missed: none of them is placed, the next is the first boundary from now on.
    expect(resumed.json).toMatchObject({
      status: 'active',
      cycles_placed: 1,
      next_run_at: at(placedAt.toISOString(), 11 * DAY).toISOString(),
    });
    expect((await act(sub, 'resume')).json).toMatchObject({
      code: 'already_active',
      current_status: 'active',
    });
    expect(await place(new Date())).toMatchObject({ claimed: 0 });

    expect(await place(at(resumed.json.next_run_at, MINUTE))).toMatchObject({ placed: 1 });
    expect((await ordersOf(sub)).map((x) => x.channel_order_id)).toEqual([o.channel_order_id, `${sub}:2`]);
    expect((await act(sub, 'cancel')).status).toBe(200);
  });

  it('a month from January 31st is February 28th, then March 31st', async () => {
    const o = await subscribe('SUB-TEA', 1, 'month', { placed_at: '2026-01-31T15:00:00Z' });
    const sub = o.subscription_id;
    expect((await subscription(sub)).next_run_at).toBe('2026-02-28T15:00:00.000Z');
    expect(await place(new Date('2026-02-28T15:01:00Z'))).toMatchObject({ placed: 1 });
    expect((await subscription(sub)).next_run_at).toBe('2026-03-31T15:00:00.000Z');
    expect((await act(sub, 'cancel')).status).toBe(200);
  });
});

describe('a cycle that cannot be placed', () => {
  it('records subscription.cycle_failed, writes no order, and the schedule moves on', async () => {
    await productWithStock(env, key, 'SUB-RARE', { [loc.reno!]: 1 });
    const o = await subscribe('SUB-RARE', 1, 'day');
    const sub = o.subscription_id;
    expect(o.status).toBe('allocated');
    expect((await settings('reject')).status).toBe(200);
    try {
      // Out of stock under a reject policy: 409 out_of_stock.
      const due = (await subscription(sub)).next_run_at;
      expect(await place(at(due, MINUTE))).toMatchObject({ claimed: 1, failed: 1, placed: 0, errors: [] });
      let s = await subscription(sub);
      expect(s).toMatchObject({
        status: 'active',
        cycles_placed: 1,
        next_run_at: at(o.placed_at, 2 * DAY).toISOString(),
      });
      let failed = await eventsOf(sub, 'cycle_failed');
      expect(failed).toHaveLength(1);
      expect(failed[0].data).toMatchObject({ cycle: 2, code: 'out_of_stock', http_status: 409, run_at: due });
      expect(failed[0].data.reason).toMatch(/Not enough stock/);

      // A retired SKU: 422.
      const retired = await env.request('PATCH', '/v1/products/SUB-RARE', { key, body: { active: false } });
      expect(retired.status, retired.text).toBe(200);
      expect(await place(at(s.next_run_at, MINUTE))).toMatchObject({ failed: 1 });
      failed = await eventsOf(sub, 'cycle_failed');
      expect(failed[1].data).toMatchObject({ cycle: 2, code: 'validation-error', http_status: 422 });
      expect(failed[1].data.reason).toMatch(/retired/);
      s = await subscription(sub);
      expect(s.next_run_at).toBe(at(o.placed_at, 3 * DAY).toISOString());

      // Nothing of the failed captures was kept: no order, no reservation.
      expect(await ordersOf(sub)).toHaveLength(1);
      const { rows } = await db.pool.query(
        `select count(*)::int as n from orders where tenant_id = $1 and channel_order_id like $2`,
        [T, `${sub}:%`],
      );
      expect(rows[0].n).toBe(0);
      expect(await ordersMatchLedger(db.pool, T)).toEqual([]);
    } finally {
      await settings('accept');
      await act(sub, 'cancel');
    }
  });
});

describe('an unexpected error', () => {
  it('leaves that subscription due for the next run and does not stop the others', async () => {
    const placedAt = new Date(Date.now() - DAY - 5 * MINUTE).toISOString();
    const broken = (await subscribe('SUB-TEA', 1, 'day', { placed_at: placedAt })).subscription_id;
    const fine = (await subscribe('SUB-TEA', 1, 'day', { placed_at: placedAt })).subscription_id;
    // A template no capture can read: a bug, not a business refusal.
    await db.pool.query(
      `update subscriptions set template = '{}' where tenant_id = $1 and subscription_id = $2`,
      [T, broken],
    );
    const before = await subscription(broken);
    const r = await place(new Date());
    expect(r).toMatchObject({ claimed: 2, placed: 1, failed: 0 });
    expect(r.errors.map((e) => e.subscription_id)).toEqual([broken]);
    expect(await subscription(broken)).toMatchObject({ next_run_at: before.next_run_at, cycles_placed: 1 });
    expect(await eventsOf(broken, 'cycle_failed')).toEqual([]);
    expect(await ordersOf(fine)).toHaveLength(2);
    // Told to leave it alone (as the workflow does within one run), nothing else is due.
    expect(await placeDueCycles(db.pool, new Date(), 50, [broken])).toMatchObject({ claimed: 0 });
    for (const id of [broken, fine]) expect((await act(id, 'cancel')).status).toBe(200);
  });
});

describe('the orderly.subscriptions workflow', () => {
  it('places what is due when the schedule runs, once', async () => {
    await productWithStock(env, key, 'SUB-SOAP', { [loc.edison!]: 20 });
    const o = await subscribe('SUB-SOAP', 1, 'day', {
      placed_at: new Date(Date.now() - DAY - 5 * MINUTE).toISOString(),
    });
    const sub = o.subscription_id;
    const deps = env.deps;
    const workers = await startWorkers(deps, db.url, { executorId: 'subscriptions-test', role: 'all' });
    try {
      const run = await DBOS.triggerSchedule('orderly.subscriptions');
      await run.getResult();
      expect((await DBOS.getWorkflowStatus(run.workflowID))?.status).toBe('SUCCESS');
      const orders = await ordersOf(sub);
      expect(orders.map((x) => x.channel_order_id)).toEqual([o.channel_order_id, `${sub}:2`]);
      expect(orders[1]).toMatchObject({ order_type: 'standard', status: 'allocated' });
      // Running again (or the every-minute tick running meanwhile) places nothing more.
      await (await DBOS.triggerSchedule('orderly.subscriptions')).getResult();
      expect(await ordersOf(sub)).toHaveLength(2);
      expect(await deps.metrics.registry.metrics()).toMatch(
        /orderly_workflows_total\{workflow="subscriptions",outcome="succeeded"\} [1-9]/,
      );
    } finally {
      await workers.stop();
    }
  });
});
