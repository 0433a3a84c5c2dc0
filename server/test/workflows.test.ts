import { DBOS } from '@dbos-inc/dbos-sdk';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import type { Deps } from '../src/http/context.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/system/metrics.ts';
import { startWorkers, withIdleTransactionTimeout } from '../src/workflows/runtime.ts';
import { freshDatabase, seedTenant } from './support.ts';

let db: Awaited<ReturnType<typeof freshDatabase>>;

// Workflows for the admin API's tests, registered before DBOS launches: one that fails until told
// otherwise, one that waits until cancelled.
let failing = true;
const flaky = DBOS.registerWorkflow(
  async (n: number) => {
    await DBOS.runStep(
      async () => {
        if (failing) throw new Error(`carrier down (${n})`);
      },
      { name: 'call-carrier' },
    );
    return n;
  },
  { name: 'test.flaky' },
);
const waiting = DBOS.registerWorkflow(async () => DBOS.recv<string>('never', 3600), { name: 'test.waiting' });
let deps: Deps;
let workers: Awaited<ReturnType<typeof startWorkers>>;

beforeAll(async () => {
  db = await freshDatabase();
  deps = { config: loadConfig({}), pool: db.pool, log: createLogger('silent'), metrics: createMetrics() };
  deps.metrics.watchWorkflows(db.pool);
  workers = await startWorkers(deps, db.url, { executorId: 'workflows-test', role: 'all' });
});
afterAll(async () => {
  await workers.stop();
  await db.drop();
});

describe('durable workflows', () => {
  it('run in the same Postgres, with the pinned application version, and report a heartbeat', async () => {
    const { rows } = await db.pool.query(
      `select count(*)::int as n from information_schema.tables where table_schema = 'dbos'`,
    );
    expect(rows[0].n).toBeGreaterThan(0);
    const beat = await db.pool.query(
      `select role from orderly_system.workers where executor_id = 'workflows-test'`,
    );
    expect(beat.rows[0].role).toBe('all');
  });

  it("DBOS's connections start with its idle-in-transaction timeout, from the URL, not a queued SET", async () => {
    const url = withIdleTransactionTimeout(db.url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('show idle_in_transaction_session_timeout');
      expect(rows[0].idle_in_transaction_session_timeout).toBe('1min');
      const { rows: plan } = await client.query('show plan_cache_mode');
      expect(plan[0].plan_cache_mode).toBe('auto'); // the server's default: only the timeout was added
    } finally {
      await client.end();
    }
    // Options already in the URL are kept; one that sets the timeout itself is left alone.
    const withOptions = new URL(db.url);
    withOptions.searchParams.set('options', '-c statement_timeout=5000');
    expect(new URL(withIdleTransactionTimeout(withOptions.toString())).searchParams.get('options')).toBe(
      '-c statement_timeout=5000 -c idle_in_transaction_session_timeout=60000',
    );
    withOptions.searchParams.set('options', '-c idle_in_transaction_session_timeout=5000');
    expect(withIdleTransactionTimeout(withOptions.toString())).toBe(withOptions.toString());
  });

  it('housekeeping forgets expired sessions and day-old idempotency records, once per run', async () => {
    const t = await seedTenant(db.pool, 'Housekeeping Co');
    const user = await db.pool.query(
      `insert into users (tenant_id, user_id, email, name, role, password_hash)
       values ($1, 'usr_h', 'h@example.com', 'H', 'support', 'x') returning user_id`,
      [t.tenant_id],
    );
    await db.pool.query(
      `insert into sessions (tenant_id, session_id, user_id, token_hash, expires_at) values
       ($1, 'ses_old', $2, 'hash-old', now() - interval '1 minute'),
       ($1, 'ses_new', $2, 'hash-new', now() + interval '1 hour')`,
      [t.tenant_id, user.rows[0].user_id],
    );
    await db.pool.query(
      `insert into idempotency_keys (tenant_id, idempotency_key, request_hash, method, path, response_status, response_body, created_at)
       values ($1, 'old', 'h', 'POST', '/v1/x', 201, '{}', now() - interval '25 hours'),
              ($1, 'new', 'h', 'POST', '/v1/x', 201, '{}', now())`,
      [t.tenant_id],
    );
    const handle = await DBOS.triggerSchedule('orderly.housekeeping');
    await handle.getResult();
    const sessions = await db.pool.query('select session_id from sessions order by 1');
    expect(sessions.rows.map((r) => r.session_id)).toEqual(['ses_new']);
    const keys = await db.pool.query('select idempotency_key from idempotency_keys order by 1');
    expect(keys.rows.map((r) => r.idempotency_key)).toEqual(['new']);

    const status = await DBOS.getWorkflowStatus(handle.workflowID);
    expect(status?.status).toBe('SUCCESS');
    expect(status?.applicationVersion).toBe('orderly-wf-1');
    const metrics = await deps.metrics.registry.metrics();
    expect(metrics).toMatch(/orderly_workflows_total\{workflow="housekeeping",outcome="succeeded"\} 1/);
  });

  it('voids expired holds on the reservation-expiry schedule', async () => {
    const { seedNetwork, stock } = await import('./inventory-fixtures.ts');
    const { testAppOn } = await import('./support.ts');
    const env = testAppOn(db.pool);
    const t = await seedTenant(db.pool, 'Holds Co');
    const [loc] = await seedNetwork(env, t.keys.admin, { skus: ['HOLD'], locations: 1 });
    await stock(env, t.keys.manager, 'HOLD', loc!, 4);
    const hold = await env.request('POST', '/v1/inventory/reservations', {
      key: t.keys.manager,
      body: { lines: [{ sku: 'HOLD', location_id: loc, quantity: 3 }], expires_in_s: 600 },
    });
    const kept = await env.request('POST', '/v1/inventory/reservations', {
      key: t.keys.manager,
      body: { lines: [{ sku: 'HOLD', location_id: loc, quantity: 1 }], expires_in_s: 600 },
    });
    // The checkout ended ten minutes ago for the first hold only.
    await db.pool.query(
      `update reservations set expires_at = now() - interval '1 second' where reservation_id = $1`,
      [hold.json.reservation_id],
    );
    const run = await DBOS.triggerSchedule('orderly.reservation-expiry');
    await run.getResult();
    const after = async (id: string) =>
      (await env.request('GET', `/v1/inventory/reservations/${id}`, { key: t.keys.support })).json.status;
    expect(await after(hold.json.reservation_id)).toBe('voided');
    expect(await after(kept.json.reservation_id)).toBe('pending');
    const balance = await db.pool.query(
      `select available, reserved from inventory_balances where tenant_id = $1`,
      [t.tenant_id],
    );
    expect(balance.rows[0]).toEqual({ available: 3, reserved: 1 });
    // Running again finds nothing more to do.
    await (await DBOS.triggerSchedule('orderly.reservation-expiry')).getResult();
    expect(await after(kept.json.reservation_id)).toBe('pending');
  });

  it('numbers events in the background once workers run', async () => {
    const t = await seedTenant(db.pool, 'Sequencer Co');
    const deadline = Date.now() + 10_000;
    let unsequenced = 1;
    while (unsequenced > 0 && Date.now() < deadline) {
      const { rows } = await db.pool.query(
        'select count(*)::int as n from events where tenant_id = $1 and seq is null',
        [t.tenant_id],
      );
      unsequenced = rows[0].n;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(unsequenced).toBe(0);
  });
});

describe('the workflow admin API', () => {
  it('lists a tenant’s failed workflows with their error, retries them, cancels stuck ones, and counts them', async () => {
    const { testAppOn } = await import('./support.ts');
    const env = testAppOn(db.pool);
    const a = await seedTenant(db.pool, 'Workflows A');
    const b = await seedTenant(db.pool, 'Workflows B');
    const get = (url: string, key = a.keys.admin) => env.request('GET', url, { key });
    const post = (url: string, key = a.keys.admin) => env.request('POST', url, { key, body: {} });

    const failedId = `order:${a.tenant_id}:ord_flaky`;
    await expect((await DBOS.startWorkflow(flaky, { workflowID: failedId })(1)).getResult()).rejects.toThrow(
      /carrier down/,
    );
    const stuckId = `return:${a.tenant_id}:ret_stuck`;
    await DBOS.startWorkflow(waiting, { workflowID: stuckId })();
    await (await DBOS.startWorkflow(flaky, { workflowID: `order:${b.tenant_id}:ord_other` })(2))
      .getResult()
      .catch(() => undefined);

    const failed = await get('/v1/workflows?status=failed');
    expect(failed.status, failed.text).toBe(200);
    expect(failed.json.data).toEqual([
      expect.objectContaining({
        workflow_id: failedId,
        name: 'test.flaky',
        status: 'ERROR',
        error: 'carrier down (1)',
      }),
    ]);
    const all = (await get('/v1/workflows')).json.data.map((w: { workflow_id: string }) => w.workflow_id);
    expect(all.sort()).toEqual([failedId, stuckId].sort());
    const detail = await get(`/v1/workflows/${encodeURIComponent(failedId)}`);
    expect(detail.json.steps).toEqual([
      expect.objectContaining({ name: 'call-carrier', error: 'carrier down (1)' }),
    ]);

    // Another tenant sees none of it and can touch none of it.
    expect((await get('/v1/workflows', b.keys.admin)).json.data.map((w: any) => w.workflow_id)).toEqual([
      `order:${b.tenant_id}:ord_other`,
    ]);
    expect((await get(`/v1/workflows/${encodeURIComponent(failedId)}`, b.keys.admin)).status).toBe(404);
    expect((await post(`/v1/workflows/${encodeURIComponent(failedId)}/retry`, b.keys.admin)).status).toBe(
      404,
    );
    // Admins only.
    expect((await get('/v1/workflows', a.keys.manager)).status).toBe(403);

    // Retry runs it again from the step that failed, as a new run, and it succeeds now.
    failing = false;
    const retried = await post(`/v1/workflows/${encodeURIComponent(failedId)}/retry`);
    expect(retried.status, retried.text).toBe(200);
    expect(retried.json.workflow_id).toBe(`${failedId}:retry-1`);
    expect(await DBOS.retrieveWorkflow(retried.json.workflow_id).getResult()).toBe(1);
    const after = await get(`/v1/workflows/${encodeURIComponent(retried.json.workflow_id)}`);
    expect(after.json).toMatchObject({ status: 'SUCCESS', error: null });

    // Cancel stops the waiting one.
    const cancelled = await post(`/v1/workflows/${encodeURIComponent(stuckId)}/cancel`);
    expect([cancelled.status, cancelled.json.status]).toEqual([200, 'CANCELLED']);
    expect((await get('/v1/workflows?status=cancelled')).json.data.map((w: any) => w.workflow_id)).toEqual([
      stuckId,
    ]);
    expect((await post(`/v1/workflows/${encodeURIComponent(stuckId)}/cancel`)).json.code).toBe(
      'not_cancellable',
    );
    // …and retry resumes it where it stopped.
    const resumed = await post(`/v1/workflows/${encodeURIComponent(stuckId)}/retry`);
    expect([resumed.status, resumed.json.workflow_id]).toEqual([200, stuckId]);
    expect(['ENQUEUED', 'PENDING']).toContain(resumed.json.status);

    // Every process's runs, from the database, on /metrics: the failed run stays failed (its retry
    // is a run of its own), tenant B's too.
    const metrics = await deps.metrics.registry.metrics();
    expect(metrics).toMatch(/orderly_workflow_runs\{workflow="test.flaky",status="SUCCESS"\} 1/);
    expect(metrics).toMatch(/orderly_workflow_runs\{workflow="test.flaky",status="ERROR"\} 2/);
    expect(metrics).toMatch(/orderly_workflow_recoveries\{workflow="test.flaky"\} 0/);
  });
});

describe('the order lifecycle workflow', () => {
  it('releases each order itself when the tenant says so, never while on hold, and follows it to delivery', async () => {
    const { createDemo } = await import('../src/demo.ts');
    const { testAppOn } = await import('./support.ts');
    const { orderBody } = await import('./orders-fixtures.ts');
    const { orderWorkflowId } = await import('../src/modules/fulfillment/workflows.ts');
    const env = testAppOn(db.pool);
    const { api_key: key, tenant_id: t } = await createDemo(db.pool);
    const send = async (method: string, url: string, body?: unknown) => {
      const res = await env.request(method, url, { key: key!, body });
      expect(res.status, `${method} ${url}: ${res.text}`).toBeLessThan(300);
      return res.json;
    };
    const order = async (id: string) => send('GET', `/v1/orders/${id}`);
    const until = async (what: string, check: () => Promise<boolean>) => {
      for (let i = 0; i < 200; i++) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`Timed out waiting for ${what}`);
    };
    const autoRelease = (enabled: boolean) =>
      send('PUT', '/v1/fulfillment-settings', {
        branding: { name: 'Demo', logo_url: null, message: null },
        auto_assign: true,
        auto_release: { enabled, after_minutes: 0 },
      });

    // With auto-release off the lifecycle waits; a held order stays put when it is turned on.
    await autoRelease(false);
    const held = await send('POST', '/v1/orders', orderBody([{ sku: 'MUG-ENAMEL-WHT', quantity: 1 }]));
    await until(
      'its lifecycle to start',
      async () => (await DBOS.getWorkflowStatus(orderWorkflowId(t, held.order_id))) !== null,
    );
    await send('POST', `/v1/orders/${held.order_id}/hold`, { reason: 'Fraud check' });
    await autoRelease(true);
    await send('PATCH', `/v1/orders/${held.order_id}`, { notes: 'Wake up' });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await order(held.order_id)).status).toBe('on_hold');
    // Lifting the hold wakes it, and it releases the order.
    await send('POST', `/v1/orders/${held.order_id}/release-hold`, { note: 'Verified' });
    await until('the release', async () => (await order(held.order_id)).status === 'in_fulfillment');

    // A new order goes straight through; shipping and delivery end its workflow.
    const quick = await send('POST', '/v1/orders', orderBody([{ sku: 'MUG-ENAMEL-WHT', quantity: 1 }]));
    await until('the release', async () => (await order(quick.order_id)).status === 'in_fulfillment');
    const [fo] = (await send('GET', `/v1/fulfillment-orders?order_id=${quick.order_id}`)).data;
    const { shipment } = await send('POST', `/v1/fulfillment-orders/${fo.fulfillment_order_id}/shipments`, {
      carrier: 'UPS',
      service: 'Ground',
      tracking_numbers: ['1ZLIFECYCLE1'],
      packages: [{ weight_lb: 1 }],
    });
    await send('POST', `/v1/shipments/${shipment.shipment_id}/tracking`, { status: 'delivered' });
    expect(await DBOS.retrieveWorkflow(orderWorkflowId(t, quick.order_id)).getResult()).toBe('delivered');
    const trail = (await send('GET', `/v1/orders/${quick.order_id}/timeline`)).data;
    expect(trail.find((e: { type: string }) => e.type === 'released_to_fulfillment').actor).toEqual({
      type: 'system',
      id: 'fulfillment',
    });
    await autoRelease(false);
  });
});
