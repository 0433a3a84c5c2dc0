import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import { returnWorkflowId } from '../src/modules/returns/workflows.ts';
import { type Env, locationIds, orderBody, productWithStock } from './orders-fixtures.ts';
import { freshDatabase, spawnOrderly, testAppOn } from './support.ts';

/**
 * kill -9 of the worker while a return workflow waits for the parcel: the parcel is received while
 * no worker runs; a new worker resumes the workflow, which refunds once (the payment system sees
 * one idempotency key) and closes the return.
 */

let db: Awaited<ReturnType<typeof freshDatabase>>;
let env: Env;
let key: string;
let receiver: Server;
let refundUrl: string;
const refunds: { key: string; body: any }[] = [];

const post = (url: string, body: unknown) => env.request('POST', url, { key, body });
const get = (url: string) => env.request('GET', url, { key });
const ok = async (p: Promise<{ status: number; text: string; json: any }>, status = 200) => {
  const res = await p;
  expect(res.status, res.text).toBe(status);
  return res.json;
};

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeout_ms = 60_000) {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await sleep(200);
  }
}

const workflowStatus = async (id: string) =>
  (await db.pool.query('select status from dbos.workflow_status where workflow_uuid = $1', [id])).rows[0]
    ?.status ?? null;

beforeAll(async () => {
  db = await freshDatabase();
  key = (await createDemo(db.pool)).api_key!;
  env = testAppOn(db.pool);
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => {
      text += d;
    });
    req.on('end', () => {
      const k = String(req.headers['idempotency-key']);
      refunds.push({ key: k, body: JSON.parse(text) });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ refund_id: `ext_${k}` }));
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  refundUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/refunds`;
});
afterAll(async () => {
  receiver.close();
  await db.drop();
});

describe('kill -9 of the worker during a return’s wait', () => {
  it('resumes the workflow in a new worker: received, refunded once, closed', async () => {
    const workerEnv = { DATABASE_URL: db.url, ORDERLY_REFUND_URL: refundUrl, LOG_LEVEL: 'warn' };
    const spawnWorker = () => spawnOrderly(['worker', '--executor-id', 'return-crash-worker'], workerEnv);
    const first = spawnWorker();
    let second: ReturnType<typeof spawnOrderly> | undefined;
    try {
      // The worker's consumers start from the latest event: let it register before anything happens.
      await until(
        'the worker',
        async () => (await db.pool.query('select 1 from orderly_system.workers')).rowCount,
        (n) => n === 1,
      );

      const loc = await locationIds(env, key);
      await productWithStock(env, key, 'CRASH-RET', { [loc.edison!]: 10 });
      const order = await ok(
        post('/v1/orders', orderBody([{ sku: 'CRASH-RET', quantity: 2, unit_price: 25 }])),
        201,
      );
      await ok(post(`/v1/orders/${order.order_id}/release`, {}));
      const [fo] = (await ok(get(`/v1/fulfillment-orders?order_id=${order.order_id}`))).data;
      const { shipment } = await ok(
        post(`/v1/fulfillment-orders/${fo.fulfillment_order_id}/shipments`, {
          carrier: 'UPS',
          service: 'Ground',
          tracking_numbers: ['1ZCRASHRET1'],
          packages: [{ weight_lb: 2 }],
        }),
        201,
      );
      await ok(post(`/v1/shipments/${shipment.shipment_id}/tracking`, { status: 'delivered' }));
      const r = await ok(
        post('/v1/returns', {
          order_id: order.order_id,
          reason: 'changed_mind',
          lines: [{ line_no: 1, quantity: 2 }],
        }),
        201,
      );
      expect(r.status).toBe('approved');

      // The workflow has made its label and waits for the parcel.
      const id = returnWorkflowId(T, r.return_id);
      await until(
        'the label',
        async () => (await ok(get(`/v1/returns/${r.return_id}`))).label,
        (l) => l !== null,
      );
      expect(await workflowStatus(id)).toBe('PENDING');
      first.proc.kill('SIGKILL');
      await first.exited;

      // The parcel arrives while no worker runs.
      await ok(
        post(`/v1/returns/${r.return_id}/receive`, {
          location_id: loc.dallas,
          lines: [{ line_no: 1, disposition: 'restock', quantity: 2 }],
        }),
      );
      await sleep(500);
      expect((await ok(get(`/v1/returns/${r.return_id}`))).status).toBe('received');
      expect(refunds).toEqual([]);

      second = spawnWorker();
      const closed = await until(
        'the return to close',
        async () => await ok(get(`/v1/returns/${r.return_id}`)),
        (x) => x.status === 'closed',
      );
      // 2 × 25.00, and the 5.00 shipping: everything came back.
      expect(closed).toMatchObject({
        refund_id: `ext_${r.return_id}`,
        refund: { items: 50, shipping: 5, total: 55 },
      });
      // The close step commits before DBOS records the workflow's end.
      await until(
        'the workflow to end',
        () => workflowStatus(id),
        (st) => st === 'SUCCESS',
      );
      // One refund, with the return as its idempotency key, for what came back.
      expect(refunds.map((x) => x.key)).toEqual([r.return_id]);
      expect(refunds[0]!.body).toMatchObject({
        return_id: r.return_id,
        order_id: order.order_id,
        amount: 55,
      });
      const trail = ((await ok(get(`/v1/orders/${order.order_id}/timeline`))).data as any[]).map(
        (e) => e.type,
      );
      expect(trail.filter((t) => t.startsWith('return_') || t === 'refunded')).toEqual([
        'return_requested',
        'return_approved',
        'return_label_created',
        'return_received',
        'refunded',
        'return_closed',
      ]);
    } finally {
      for (const w of [first, second]) {
        if (w && w.proc.exitCode === null) {
          w.proc.kill('SIGTERM');
          await w.exited;
        }
      }
    }
  });
});
