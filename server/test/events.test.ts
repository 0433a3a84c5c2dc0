import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../src/db/pool.ts';
import { createLogger } from '../src/logger.ts';
import { publish, readEvents, startSequencer } from '../src/modules/events/service.ts';
import { freshDatabase, seedTenant } from './support.ts';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let tenantId: string;
const actor = { type: 'system' as const, id: 'test' };

beforeAll(async () => {
  db = await freshDatabase();
  tenantId = (await seedTenant(db.pool, 'Events Co')).tenant_id;
});
afterAll(() => db.drop());

describe('event outbox', () => {
  it('never lets a reader skip an event that commits late, under concurrent writers', async () => {
    const WRITERS = 8;
    const TX_PER_WRITER = 25;
    const committed = new Set<string>();
    let writing = true;

    const writer = async (w: number) => {
      for (let i = 0; i < TX_PER_WRITER; i++) {
        const rollback = Math.random() < 0.1;
        try {
          await withTransaction(db.pool, async (tx) => {
            await publish(tx, tenantId, actor, { type: 'test.written', subject: `w${w}`, data: { w, i } });
            // Hold the transaction open so later ones commit first: the case a bigserial gets wrong.
            await sleep(Math.random() * 25);
            if (rollback) throw new Error('rollback');
          });
          committed.add(`${w}:${i}`);
        } catch (err) {
          if ((err as Error).message !== 'rollback') throw err;
        }
      }
    };

    const stopSequencer = startSequencer(db.pool, createLogger('silent'), 5);
    const seen: Array<{ seq: number; key: string }> = [];
    const reader = (async () => {
      let after = 0;
      while (true) {
        const done = !writing;
        const page = await readEvents(db.pool, tenantId, after, 'test.*', 37);
        for (const e of page.data) {
          expect(e.seq).toBeGreaterThan(after);
          after = e.seq;
          seen.push({ seq: e.seq, key: `${e.data.w}:${e.data.i}` });
        }
        if (done && page.data.length === 0) break;
        await sleep(2);
      }
    })();

    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    writing = false;
    await reader;
    await stopSequencer();

    expect(committed.size).toBeGreaterThan(WRITERS * TX_PER_WRITER * 0.7);
    expect(seen.map((s) => s.key).sort()).toEqual([...committed].sort());
    const seqs = seen.map((s) => s.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('filters by exact type and by prefix, and reports where to read on', async () => {
    await withTransaction(db.pool, (tx) =>
      publish(
        tx,
        tenantId,
        actor,
        { type: 'order.created', subject: 'ord_1', data: {} },
        { type: 'order.updated', subject: 'ord_1', data: {} },
        { type: 'inventory.changed', subject: 'sku_1', data: {} },
      ),
    );
    const orders = await readEvents(db.pool, tenantId, 0, 'order.*', 100);
    expect(orders.data.map((e) => e.type)).toEqual(['order.created', 'order.updated']);
    const exact = await readEvents(db.pool, tenantId, 0, 'inventory.changed,order.updated', 100);
    expect(exact.data.map((e) => e.type)).toEqual(['order.updated', 'inventory.changed']);
    const rest = await readEvents(db.pool, tenantId, exact.next_after, undefined, 100);
    expect(rest.data).toEqual([]);
    expect(rest.next_after).toBe(exact.next_after);
  });

  it('keeps tenants apart', async () => {
    const other = await seedTenant(db.pool, 'Other Events Co');
    await withTransaction(db.pool, (tx) =>
      publish(tx, other.tenant_id, actor, { type: 'order.created', subject: 'ord_x', data: {} }),
    );
    const mine = await readEvents(db.pool, tenantId, 0, 'order.*', 100);
    expect(mine.data.map((e) => e.subject)).not.toContain('ord_x');
  });
});
