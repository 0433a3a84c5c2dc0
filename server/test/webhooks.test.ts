import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import type { Deps } from '../src/http/context.ts';
import { createLogger } from '../src/logger.ts';
import { claimDue, recordAttempts, recordNew, stalledEndpoints } from '../src/modules/webhooks/delivery.ts';
import {
  afterFailure,
  DEFAULT_DELIVERY_POLICY,
  deliveryPolicy,
  matchesEventTypes,
  retryDelay,
  setDeliveryPolicy,
} from '../src/modules/webhooks/policy.ts';
import { guardedLookup, isInternalAddress, unmapIPv4 } from '../src/modules/webhooks/url-rules.ts';
import { createMetrics } from '../src/system/metrics.ts';
import { startWorkers } from '../src/workflows/runtime.ts';
import { freshDatabase, seedTenant, type TestTenant, testAppOn } from './support.ts';

/**
 * Outbound webhooks end to end: the API, the URL rule, and delivery through the real workers
 * (event consumer → DBOS drain per endpoint) to a receiver on 127.0.0.1 that verifies every
 * signature with the Standard Webhooks library. Backoff and the retry day are shrunk to
 * milliseconds so retries, giving up and auto-disable happen within the test.
 */

type Received = { path: string; headers: http.IncomingHttpHeaders; body: string; status: number };

/** A local receiver: every request is kept; a path's behaviour decides each answer's status. */
async function startReceiver() {
  const received: Received[] = [];
  const behaviour = new Map<string, (n: number) => number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const path = req.url ?? '/';
      const n = received.filter((r) => r.path === path).length + 1;
      const status = (behaviour.get(path) ?? (() => 200))(n);
      received.push({ path, headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    at: (path: string) => received.filter((r) => r.path === path),
    behave: (path: string, fn: (n: number) => number) => behaviour.set(path, fn),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until<V>(what: string, read: () => Promise<V>, ok: (v: V) => boolean, timeout_ms = 20_000) {
  const deadline = Date.now() + timeout_ms;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  return last;
}

/** Verifies a received request with the secret, as a receiver would; returns the payload. */
function verify(r: Received, secret: string) {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  }) as {
    type: string;
    timestamp: string;
    data: { seq: number; event_id: string; type: string; subject: string };
  };
}

describe('webhook rules (pure)', () => {
  it('classifies internal addresses, IPv4-mapped IPv6 included', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '100.64.0.1',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:a00:1',
      '255.255.255.255',
    ]) {
      expect(isInternalAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '172.32.0.1', '::ffff:8.8.8.8']) {
      expect(isInternalAddress(a), a).toBe(false);
    }
    expect(unmapIPv4('::ffff:7f00:1')).toBe('127.0.0.1');
  });

  it('checks what the connection itself resolves to, so a name cannot rebind to an internal address', async () => {
    const strict = { allow_private: false, self_port: 4000, self_host: '0.0.0.0' };
    const lookup = (policy: typeof strict, port: number) =>
      new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
        guardedLookup(policy, port)('localhost', { all: true }, (err, address) => resolve({ err, address })),
      );
    expect((await lookup(strict, 80)).err?.code).toBe('EWEBHOOKURL');
    const open = await lookup({ ...strict, allow_private: true }, 80);
    expect(open.err).toBeNull();
    expect(open.address).not.toEqual([]);
    // This server stays refused even where private addresses are allowed.
    expect((await lookup({ ...strict, allow_private: true }, 4000)).err?.code).toBe('EWEBHOOKURL');
  });

  it('matches exact types, `.*` prefixes and `*`', () => {
    expect(matchesEventTypes(['order.*'], 'order.created')).toBe(true);
    expect(matchesEventTypes(['order.*'], 'orders.created')).toBe(false);
    expect(matchesEventTypes(['order.created'], 'order.cancelled')).toBe(false);
    expect(matchesEventTypes(['*'], 'anything.at_all')).toBe(true);
  });

  it('backs off exponentially with full jitter and stops at the end of the day', () => {
    const p = DEFAULT_DELIVERY_POLICY;
    expect(retryDelay(p, 1, 1)).toBe(5_000);
    expect(retryDelay(p, 1, 0)).toBe(1_000);
    expect(retryDelay(p, 3, 1)).toBe(120_000);
    expect(retryDelay(p, 50, 1)).toBe(3_600_000);
    for (let i = 0; i < 100; i++) {
      const d = retryDelay(p, 4, Math.random());
      expect(d).toBeGreaterThanOrEqual(1_000);
      expect(d).toBeLessThanOrEqual(600_000);
    }
    const day = p.retry_window_ms;
    const base = { attempt_in_round: 30, round_started_ms: 0, endpoint_enabled: true };
    expect(afterFailure(p, { ...base, now_ms: day - 60_000 }, 1)).toEqual({
      status: 'pending',
      retry_in_ms: 60_000, // the last try lands on the end of the window
    });
    expect(afterFailure(p, { ...base, now_ms: day }, 1)).toEqual({ status: 'failed' });
    expect(afterFailure(p, { ...base, now_ms: 10, endpoint_enabled: false }, 1)).toEqual({
      status: 'cancelled',
    });
  });
});

describe('webhooks', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let env: ReturnType<typeof testAppOn>;
  let deps: Deps;
  let workers: Awaited<ReturnType<typeof startWorkers>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let t: TestTenant;
  let other: TestTenant;
  let sku = 0;

  const req = (method: string, url: string, body?: unknown, key = t.keys.admin) =>
    env.request(method, url, { key, body });
  const create = async (path: string, event_types: string[], key = t.keys.admin) => {
    const res = await req('POST', '/v1/webhooks', { url: `${receiver.base}${path}`, event_types }, key);
    expect(res.status, res.text).toBe(201);
    return res.json as { webhook_id: string; secret: string };
  };
  const newProduct = async (key = t.keys.admin) => {
    const res = await req(
      'POST',
      '/v1/products',
      { sku: `WH-${++sku}`, name: `Hook ${sku}`, weight_lb: 1, unit_cost: 1, price: 2 },
      key,
    );
    expect(res.status, res.text).toBe(201);
    return res.json.sku as string;
  };
  /**
   * After a batch that succeeded and then failed: the endpoint noted both, and the retry heads its
   * queue, so nothing after it is sent meanwhile. Then the endpoint goes.
   */
  const expectRetryHeadsQueueThenDelete = async (webhookId: string) => {
    const endpoint = (await req('GET', `/v1/webhooks/${webhookId}`)).json;
    expect(endpoint.failing_since).not.toBeNull();
    expect(endpoint.last_success_at).not.toBeNull();
    expect((await claimDue(db.pool, t.tenant_id, webhookId, 0, 10)).kind).toBe('wait');
    expect((await req('DELETE', `/v1/webhooks/${webhookId}`)).status).toBe(204);
  };
  const deliveries = async (webhookId: string, query = '') =>
    (await req('GET', `/v1/webhooks/${webhookId}/deliveries?limit=200${query}`)).json.data as any[];
  const eventsOf = async (types: string, after = 0) =>
    (await req('GET', `/v1/events?after=${after}&types=${types}&limit=1000`)).json.data as any[];
  /** Pending deliveries of these events to the endpoint, named `${prefix}1`, `${prefix}2`, … */
  const insertPending = (webhookId: string, events: any[], prefix: string) =>
    db.pool.query(
      `insert into webhook_deliveries (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type, status)
       select $1, $2, $3::text || n, e.event_id, e.seq, e.type, 'pending'
       from unnest($4::text[], $5::bigint[], $6::text[]) with ordinality as e(event_id, seq, type, n)`,
      [
        t.tenant_id,
        webhookId,
        prefix,
        events.map((e) => e.event_id),
        events.map((e) => e.seq),
        events.map((e) => e.type),
      ],
    );
  const latestSeq = async () => {
    const all = (await req('GET', '/v1/events?after=0&limit=1000')).json.data as any[];
    return all.at(-1)?.seq ?? 0;
  };

  beforeAll(async () => {
    db = await freshDatabase();
    env = testAppOn(db.pool);
    receiver = await startReceiver();
    setDeliveryPolicy({
      backoff_ms: [20, 40, 80, 160],
      retry_delay_ms_min: 10,
      retry_window_ms: 1_500,
      disable_after_ms: 1_500,
      timeout_ms: 2_000,
    });
    deps = { config: loadConfig({}), pool: db.pool, log: createLogger('silent'), metrics: createMetrics() };
    workers = await startWorkers(deps, db.url, { executorId: 'webhooks-test', role: 'all' });
    t = await seedTenant(db.pool, 'Hooks Co');
    other = await seedTenant(db.pool, 'Other Co');
  });
  afterAll(async () => {
    await workers?.stop();
    await receiver?.close();
    setDeliveryPolicy(undefined);
    await db?.drop();
  });

  it('refuses URLs that are not http(s), internal, or this server, naming body.url', async () => {
    const refused = async (url: string, why: RegExp) => {
      const res = await req('POST', '/v1/webhooks', { url, event_types: ['*'] });
      expect(res.status, `${url}: ${res.text}`).toBe(422);
      expect(res.json.errors[0].path).toBe('body.url');
      expect(res.json.detail).toMatch(why);
    };
    await refused('ftp://example.com/hook', /http or https/);
    await refused('not a url', /not a URL/);
    await refused('https://user:pw@example.com/hook', /credentials/);
    await refused(`${receiver.base}/hook`, /internal address \(127\.0\.0\.1\)/);
    await refused('http://10.0.0.1/hook', /internal address/);
    await refused('http://[::1]:8080/hook', /internal address/);
    await refused('http://[::ffff:127.0.0.1]/hook', /internal address/);
    await refused('http://169.254.169.254/latest/meta-data', /internal address/);
    await refused('http://localhost:9/hook', /internal address/);
    const own = `http://127.0.0.1:${deps.config.port}/v1/orders`;
    await refused(own, /internal address|this Orderly server/);

    const settings = await req('PUT', '/v1/webhook-settings', { allow_private_webhook_urls: true });
    expect(settings.status, settings.text).toBe(200);
    expect((await req('GET', '/v1/webhook-settings', undefined, t.keys.support)).json).toMatchObject({
      allow_private_webhook_urls: true,
    });
    // The tenant's own network is allowed now; this server never is.
    await refused(own, /this Orderly server/);
    await refused(`http://localhost:${deps.config.port}/`, /this Orderly server/);
    await refused('ftp://127.0.0.1/hook', /http or https/);
    const ok = await req('POST', '/v1/webhooks', {
      url: `${receiver.base}/allowed`,
      event_types: ['nothing.ever'],
    });
    expect(ok.status, ok.text).toBe(201);
    // A PATCH is held to the same rule.
    const patched = await req('PATCH', `/v1/webhooks/${ok.json.webhook_id}`, { url: own });
    expect(patched.status).toBe(422);
    expect(patched.json.errors[0].path).toBe('body.url');
    expect((await req('DELETE', `/v1/webhooks/${ok.json.webhook_id}`)).status).toBe(204);
  });

  it('creates, lists, reads, changes and deletes endpoints; the secret is shown once', async () => {
    const body = {
      url: `${receiver.base}/crud`,
      event_types: ['order.*', 'inventory.changed'],
      description: 'ERP',
    };
    const created = await env.request('POST', '/v1/webhooks', {
      key: t.keys.admin,
      body,
      headers: { 'idempotency-key': 'create-crud-hook' },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect(() => new Webhook(created.json.secret)).not.toThrow();
    expect(created.json).toMatchObject({ ...body, enabled: true, disabled_reason: null });
    const id = created.json.webhook_id;

    // Replaying the create answers the same endpoint with the secret redacted; nothing new is made.
    const again = await env.request('POST', '/v1/webhooks', {
      key: t.keys.admin,
      body,
      headers: { 'idempotency-key': 'create-crud-hook' },
    });
    expect(again.json.webhook_id).toBe(id);
    expect(again.json.secret).not.toBe(created.json.secret);
    expect(again.text).not.toContain(created.json.secret);

    const read = await req('GET', `/v1/webhooks/${id}`, undefined, t.keys.support);
    expect(read.status).toBe(200);
    expect(read.json).not.toHaveProperty('secret');
    const list = await req('GET', '/v1/webhooks?limit=200', undefined, t.keys.support);
    expect(list.json.data.map((w: any) => w.webhook_id)).toContain(id);
    expect(list.text).not.toContain('whsec_');
    expect((await req('POST', '/v1/webhooks', body, t.keys.manager)).status).toBe(403);

    const bad = await req('PATCH', `/v1/webhooks/${id}`, { event_types: ['Order Created'] });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].path).toMatch(/^body\.event_types/);
    const patched = await req('PATCH', `/v1/webhooks/${id}`, { event_types: ['product.*'], enabled: false });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ event_types: ['product.*'], enabled: false });
    expect(patched.json.disabled_reason).toMatch(/disabled by a user/);
    const enabled = await req('PATCH', `/v1/webhooks/${id}`, { enabled: true });
    expect(enabled.json).toMatchObject({ enabled: true, disabled_reason: null, disabled_at: null });

    const rotated = await req('POST', `/v1/webhooks/${id}/rotate-secret`);
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(created.json.secret);
    expect(rotated.json.previous_secret_expires_at).not.toBeNull();

    // The event log says what happened to it, never with a secret.
    const log = await eventsOf('webhook.*');
    const mine = log.filter((e) => e.subject === id).map((e) => e.type);
    expect(mine).toEqual([
      'webhook.created',
      'webhook.updated',
      'webhook.disabled',
      'webhook.enabled',
      'webhook.secret_rotated',
    ]);
    expect(JSON.stringify(log)).not.toContain('whsec_');

    expect((await req('DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
    expect((await req('GET', `/v1/webhooks/${id}`)).status).toBe(404);
  });

  it('delivers matching events through the workers, signed, in seq order, to the right endpoint only', async () => {
    const inv = await create('/inventory', ['inventory.*']);
    const products = await create('/products', ['product.created']);
    const allow = { allow_private_webhook_urls: true };
    expect((await req('PUT', '/v1/webhook-settings', allow, other.keys.admin)).status).toBe(200);
    const theirs = await create('/theirs', ['*'], other.keys.admin);
    const from = await latestSeq();

    const a = await newProduct();
    const b = await newProduct();
    const loc = await req('POST', '/v1/locations', {
      name: 'Hook depot',
      type: 'warehouse',
      address: { line1: '1 Dock Rd', city: 'Avenel', region: 'NJ', postal_code: '07001', country: 'US' },
      cutoffs: { mon: '15:00' },
    });
    expect(loc.status, loc.text).toBe(201);
    for (const [s, q] of [
      [a, 5],
      [b, 3],
      [a, 2],
    ] as const) {
      const adj = await req('POST', '/v1/inventory/adjustments', {
        sku: s,
        location_id: loc.json.location_id,
        reason: 'found',
        quantity: q,
      });
      expect(adj.status, adj.text).toBe(201);
    }

    const expected = await eventsOf('inventory.*', from);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    await until(
      'inventory deliveries',
      async () => receiver.at('/inventory').length,
      (n) => n >= expected.length,
    );
    const got = receiver.at('/inventory').map((r) => verify(r, inv.secret));
    expect(got.map((p) => p.data.event_id)).toEqual(expected.map((e) => e.event_id));
    // Per-endpoint order by sequence, and webhook-id is the event id.
    const seqs = got.map((p) => p.data.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(receiver.at('/inventory').map((r) => r.headers['webhook-id'])).toEqual(
      expected.map((e) => e.event_id),
    );
    for (const p of got) expect(p.type).toMatch(/^inventory\./);
    // A signature made with another secret does not verify.
    expect(() => verify(receiver.at('/inventory')[0]!, products.secret)).toThrow();

    const productEvents = await eventsOf('product.created', from);
    await until(
      'product deliveries',
      async () => receiver.at('/products').length,
      (n) => n >= 2,
    );
    expect(receiver.at('/products').map((r) => verify(r, products.secret).data.event_id)).toEqual(
      productEvents.map((e) => e.event_id),
    );

    const log = await until(
      'the delivery log',
      () => deliveries(inv.webhook_id),
      (d) => d.length === expected.length && d.every((x) => x.status === 'succeeded'),
    );
    for (const d of log) {
      expect(d).toMatchObject({ status: 'succeeded', attempts: 1, response_status: 200, last_error: null });
      expect(d.latency_ms).toBeGreaterThanOrEqual(0);
    }
    // Newest event first, paged by cursor.
    const page1 = await req('GET', `/v1/webhooks/${inv.webhook_id}/deliveries?limit=2`);
    expect(page1.json.data.map((d: any) => d.event_seq)).toEqual(log.slice(0, 2).map((d) => d.event_seq));
    const page2 = await req(
      'GET',
      `/v1/webhooks/${inv.webhook_id}/deliveries?limit=2&cursor=${page1.json.next_cursor}`,
    );
    expect(page2.json.data[0].event_seq).toBe(log[2]!.event_seq);
    expect((await deliveries(inv.webhook_id, '&status=failed')).length).toBe(0);

    // Tenant isolation: the other tenant's endpoint heard only of itself (its own webhook.created),
    // nothing of ours, and its log holds nothing of ours.
    const ours = new Set((await eventsOf('*', 0)).map((e) => e.event_id));
    const heard = receiver.at('/theirs').map((r) => verify(r, theirs.secret).data);
    expect(heard.map((e) => e.type)).toEqual(['webhook.created']);
    for (const e of heard) expect(ours.has(e.event_id)).toBe(false);
    const theirLog = await env.request('GET', `/v1/webhooks/${theirs.webhook_id}/deliveries`, {
      key: other.keys.admin,
    });
    for (const d of theirLog.json.data) expect(ours.has(d.event_id)).toBe(false);
    expect((await req('GET', `/v1/webhooks/${theirs.webhook_id}`)).status).toBe(404);
    expect(
      (await env.request('GET', `/v1/webhooks/${inv.webhook_id}/deliveries`, { key: other.keys.admin }))
        .status,
    ).toBe(404);

    // Every delivery was created once per (endpoint, event).
    const { rows } = await db.pool.query(
      `select webhook_id, event_seq, count(*)::int as n from webhook_deliveries group by 1, 2 having count(*) > 1`,
    );
    expect(rows).toEqual([]);
    const metrics = await deps.metrics.registry.metrics();
    expect(metrics).toMatch(/orderly_webhook_deliveries_total\{outcome="succeeded"\} \d+/);

    // Redelivery sends the same event again (same webhook-id); one still queued answers 409.
    const first = log.at(-1)!;
    const before = receiver.at('/inventory').length;
    const redo = await req(
      'POST',
      `/v1/webhooks/${inv.webhook_id}/deliveries/${first.delivery_id}/redeliver`,
    );
    expect(redo.status, redo.text).toBe(200);
    expect(redo.json.status).toBe('pending');
    await until(
      'the redelivery',
      async () => receiver.at('/inventory').length,
      (n) => n > before,
    );
    expect(receiver.at('/inventory').at(-1)!.headers['webhook-id']).toBe(first.event_id);
    const detail = await until(
      'the redelivery to be logged',
      async () => (await req('GET', `/v1/webhooks/${inv.webhook_id}/deliveries/${first.delivery_id}`)).json,
      (d) => d.status === 'succeeded' && d.attempts === 2,
    );
    // The first success was kept on the delivery row only; reopening moved it to the attempt log.
    expect(detail.attempt_log.map((x: any) => [x.attempt, x.succeeded, x.response_status])).toEqual([
      [1, true, 200],
      [2, true, 200],
    ]);
    expect(detail.attempt_log[0].started_at).toBe(first.last_attempt_at);
    expect(detail.attempt_log[1].started_at).toBe(detail.last_attempt_at);
    expect(detail.attempt_log[0].started_at < detail.attempt_log[1].started_at).toBe(true);

    // Replay from a sequence queues those events again, in order.
    const mark = receiver.at('/inventory').length;
    const replay = await req('POST', `/v1/webhooks/${inv.webhook_id}/replay`, {
      after_seq: expected[0]!.seq,
    });
    expect(replay.status, replay.text).toBe(200);
    expect(replay.json).toMatchObject({ queued: expected.length - 1, complete: true });
    await until(
      'the replay',
      async () => receiver.at('/inventory').length,
      (n) => n >= mark + expected.length - 1,
    );
    expect(
      receiver
        .at('/inventory')
        .slice(mark)
        .map((r) => r.headers['webhook-id']),
    ).toEqual(expected.slice(1).map((e) => e.event_id));
    // A replayed delivery keeps its earlier success in its attempt log, like a redelivered one.
    const newest = log[0]!;
    const replayed = await until(
      'the replay to be logged',
      async () => (await req('GET', `/v1/webhooks/${inv.webhook_id}/deliveries/${newest.delivery_id}`)).json,
      (d) => d.status === 'succeeded' && d.attempts === 2,
    );
    expect(replayed.attempt_log.map((x: any) => [x.attempt, x.succeeded, x.started_at])).toEqual([
      [1, true, newest.last_attempt_at],
      [2, true, replayed.last_attempt_at],
    ]);

    // A test ping is signed like the rest and answered synchronously.
    const ping = await req('POST', `/v1/webhooks/${inv.webhook_id}/test`);
    expect(ping.status, ping.text).toBe(200);
    expect(ping.json).toMatchObject({ ok: true, response_status: 200, error: null });
    const pinged = receiver.at('/inventory').at(-1)!;
    expect(pinged.headers['webhook-id']).toBe(ping.json.webhook_message_id);
    expect(verify(pinged, inv.secret).type).toBe('webhook.test');
  });

  it('signs with both secrets while a rotated-out secret is still valid', async () => {
    const hook = await create('/rotating', ['product.created']);
    const rotated = await req('POST', `/v1/webhooks/${hook.webhook_id}/rotate-secret`, {
      previous_secret_expires_in_s: 3600,
    });
    await newProduct();
    await until(
      'the delivery',
      async () => receiver.at('/rotating').length,
      (n) => n >= 1,
    );
    const r = receiver.at('/rotating')[0]!;
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(r, hook.secret).type).toBe('product.created');
    expect(verify(r, rotated.json.secret).type).toBe('product.created');
  });

  it('retries a failing receiver with backoff, then delivers once, and holds later events back meanwhile', async () => {
    receiver.behave('/flaky', (n) => (n <= 2 ? 500 : 200));
    const hook = await create('/flaky', ['product.created']);
    const first = await newProduct();
    const second = await newProduct();
    await until(
      'both deliveries',
      async () => receiver.at('/flaky').filter((r) => r.status === 200).length,
      (n) => n >= 2,
    );
    const seen = receiver.at('/flaky').map((r) => ({ status: r.status, sku: verify(r, hook.secret).data }));
    const subjects = seen.map((s) => (s.sku as any).subject);
    // The first event is tried three times before the second is sent at all.
    expect(subjects).toEqual([first, first, first, second]);
    expect(seen.map((s) => s.status)).toEqual([500, 500, 200, 200]);
    expect(
      new Set(
        receiver
          .at('/flaky')
          .slice(0, 3)
          .map((r) => r.headers['webhook-id']),
      ).size,
    ).toBe(1);

    const log = await until(
      'the delivery log',
      () => deliveries(hook.webhook_id),
      (d) => d.length === 2 && d.every((x) => x.status === 'succeeded'),
    );
    const firstDelivery = log.at(-1)!;
    expect(firstDelivery).toMatchObject({ attempts: 3, response_status: 200, last_error: null });
    const detail = (
      await req('GET', `/v1/webhooks/${hook.webhook_id}/deliveries/${firstDelivery.delivery_id}`)
    ).json;
    expect(detail.attempt_log.map((a: any) => [a.attempt, a.succeeded, a.response_status])).toEqual([
      [1, false, 500],
      [2, false, 500],
      [3, true, 200],
    ]);
    expect(detail.attempt_log[0].error).toBe('answered 500');
    const endpoint = (await req('GET', `/v1/webhooks/${hook.webhook_id}`)).json;
    expect(endpoint).toMatchObject({ enabled: true, failing_since: null });
    expect(endpoint.last_success_at).not.toBeNull();
    expect(await deps.metrics.registry.metrics()).toMatch(
      /orderly_webhook_deliveries_total\{outcome="retrying"\} [1-9]/,
    );
  });

  it('gives up after the retry window, disables the endpoint with a reason and an event; replay catches up', async () => {
    let healthy = false;
    receiver.behave('/down', () => (healthy ? 200 : 503));
    const watcher = await create('/watcher', ['webhook.disabled']);
    const hook = await create('/down', ['product.created']);
    const from = await latestSeq();
    const sku1 = await newProduct();

    const disabled = await until(
      'the endpoint to be disabled',
      async () => (await req('GET', `/v1/webhooks/${hook.webhook_id}`)).json,
      (w) => w.enabled === false,
    );
    expect(disabled.disabled_reason).toMatch(
      /Nothing delivered for .* given up after \d+ attempts \(last: answered 503\)/,
    );
    expect(disabled.disabled_at).not.toBeNull();
    const [failed] = await deliveries(hook.webhook_id);
    expect(failed).toMatchObject({ status: 'failed', response_status: 503, last_error: 'answered 503' });
    expect(failed.attempts).toBeGreaterThanOrEqual(2);
    const tries = receiver.at('/down');
    expect(tries.length).toBe(failed.attempts);
    const disabledEvents = (await eventsOf('webhook.disabled', from)).filter(
      (e) => e.subject === hook.webhook_id,
    );
    expect(disabledEvents).toHaveLength(1);
    expect(disabledEvents[0].actor).toEqual({ type: 'system', id: 'webhooks' });
    expect(disabledEvents[0].data.reason).toBe(disabled.disabled_reason);
    // The event is itself delivered to endpoints subscribed to it: alerting by webhook.
    await until(
      'the alert',
      async () => receiver.at('/watcher').length,
      (n) => n >= 1,
    );
    expect(verify(receiver.at('/watcher')[0]!, watcher.secret).data.subject).toBe(hook.webhook_id);
    expect(await deps.metrics.registry.metrics()).toMatch(
      /orderly_webhook_deliveries_total\{outcome="failed"\} [1-9]/,
    );

    // While disabled nothing is queued for it, and a redelivery is refused.
    const sku2 = await newProduct();
    const redeliver = await req(
      'POST',
      `/v1/webhooks/${hook.webhook_id}/deliveries/${failed.delivery_id}/redeliver`,
    );
    expect(redeliver.status).toBe(409);
    expect(redeliver.json.detail).toMatch(/disabled/);

    // The second product's event was read while the endpoint was disabled: nothing queued for it.
    const [, second] = await until(
      'both products in the log',
      () => eventsOf('product.created', from),
      (list) => list.length >= 2,
    );
    await until(
      'the webhooks consumer to read past it',
      async () =>
        Number(
          (await db.pool.query(`select last_seq from orderly_system.event_consumers where name = 'webhooks'`))
            .rows[0].last_seq,
        ),
      (seq) => seq >= second.seq,
    );

    // Fixed and re-enabled: the reason is cleared; replay from before the outage sends both, in order.
    healthy = true;
    const enabled = await req('PATCH', `/v1/webhooks/${hook.webhook_id}`, { enabled: true });
    expect(enabled.json).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
    const replay = await req('POST', `/v1/webhooks/${hook.webhook_id}/replay`, { after_seq: from });
    expect(replay.status, replay.text).toBe(200);
    expect(replay.json.queued).toBe(2);
    await until(
      'the replayed deliveries',
      async () => receiver.at('/down').filter((r) => r.status === 200).length,
      (n) => n >= 2,
    );
    const delivered = receiver
      .at('/down')
      .filter((r) => r.status === 200)
      .map((r) => verify(r, hook.secret).data as any);
    expect(delivered.map((e) => e.subject)).toEqual([sku1, sku2]);
    const after = await until(
      'the log after replay',
      () => deliveries(hook.webhook_id),
      (d) => d.length === 2 && d.every((x) => x.status === 'succeeded'),
    );
    expect(after.map((d) => d.event_seq)).toEqual(after.map((d) => d.event_seq).sort((x, y) => y - x));
  });

  it('checks the URL rule again before every send', async () => {
    const hook = await create('/rule', ['nothing.ever']);
    expect((await req('PUT', '/v1/webhook-settings', { allow_private_webhook_urls: false })).status).toBe(
      200,
    );
    const ping = await req('POST', `/v1/webhooks/${hook.webhook_id}/test`);
    expect(ping.json).toMatchObject({ ok: false, response_status: null });
    expect(ping.json.error).toMatch(/internal address \(127\.0\.0\.1\)/);
    expect(receiver.at('/rule')).toEqual([]);
    expect((await req('PUT', '/v1/webhook-settings', { allow_private_webhook_urls: true })).status).toBe(200);
    const again = await req('POST', `/v1/webhooks/${hook.webhook_id}/test`);
    expect(again.json.ok).toBe(true);
  });

  it('records an attempt once even when its step runs again after a crash; what follows a failure waits', async () => {
    const hook = await create('/manual', ['nothing.ever']);
    const [first, second] = (await eventsOf('product.created')).slice(-2);
    await db.pool.query(
      `insert into webhook_deliveries (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type, status)
       values ($1, $2, 'dlv_manual', $3, $4, $5, 'pending'), ($1, $2, 'dlv_manual2', $6, $7, $5, 'pending')`,
      [t.tenant_id, hook.webhook_id, first.event_id, first.seq, first.type, second.event_id, second.seq],
    );
    // Both are due: one claim takes them, oldest first.
    const claim = await claimDue(db.pool, t.tenant_id, hook.webhook_id, 0, 5);
    expect(claim).toMatchObject({
      kind: 'send',
      deliveries: [
        { delivery_id: 'dlv_manual', attempt: 1 },
        { delivery_id: 'dlv_manual2', attempt: 1 },
      ],
    });
    if (claim.kind !== 'send') return;
    // The first failed, so the second was not sent.
    const result = {
      ok: false,
      response_status: 500,
      latency_ms: 3,
      error: 'answered 500',
      started_at: new Date().toISOString(),
    };
    // A retry a minute away, so a slow machine cannot make it due before the check below.
    const record = () =>
      recordAttempts(
        db.pool,
        deps.metrics,
        { ...deliveryPolicy(), backoff_ms: [60_000], retry_delay_ms_min: 60_000 },
        t.tenant_id,
        hook.webhook_id,
        claim.deliveries,
        [result],
        0.5,
      );
    expect(await record()).toEqual(['retrying']);
    expect(await record()).toEqual(['already_recorded']);
    const d = (await req('GET', `/v1/webhooks/${hook.webhook_id}/deliveries/dlv_manual`)).json;
    expect(d).toMatchObject({ status: 'pending', attempts: 1, response_status: 500 });
    expect(d.attempt_log).toHaveLength(1);
    const after = (await req('GET', `/v1/webhooks/${hook.webhook_id}/deliveries/dlv_manual2`)).json;
    expect(after).toMatchObject({ status: 'pending', attempts: 0 });
    // While the first waits for its retry, neither is claimed: the second never overtakes it.
    expect((await claimDue(db.pool, t.tenant_id, hook.webhook_id, 0, 5)).kind).toBe('wait');
    expect((await req('DELETE', `/v1/webhooks/${hook.webhook_id}`)).status).toBe(204);
  });

  it('records a batch in one go: successes, then the failure that stopped it, the rest unclaimed; once', async () => {
    const hook = await create('/batch', ['nothing.ever']);
    const events = (await eventsOf('product.created')).slice(-4);
    expect(events).toHaveLength(4);
    await insertPending(hook.webhook_id, events, 'dlv_batch');
    const claim = await claimDue(db.pool, t.tenant_id, hook.webhook_id, 0, 10);
    if (claim.kind !== 'send') throw new Error(`expected a claim, got ${claim.kind}`);
    expect(claim.deliveries.map((d) => d.delivery_id)).toEqual([
      'dlv_batch1',
      'dlv_batch2',
      'dlv_batch3',
      'dlv_batch4',
    ]);
    expect(claim.deliveries.map((d) => d.event_type)).toEqual(events.map((e) => e.type));
    const at = new Date().toISOString();
    const ok = { ok: true, response_status: 204, latency_ms: 2, error: null, started_at: at };
    const no = { ok: false, response_status: 502, latency_ms: 4, error: 'answered 502', started_at: at };
    const record = () =>
      recordAttempts(
        db.pool,
        deps.metrics,
        { ...deliveryPolicy(), backoff_ms: [60_000], retry_delay_ms_min: 60_000 },
        t.tenant_id,
        hook.webhook_id,
        claim.deliveries,
        [ok, ok, no],
        0.5,
      );
    // Claimed, the deliveries stay pending; the endpoint notes one batch in flight.
    const sending = async () =>
      (
        await db.pool.query(
          'select sending_since from webhook_sending where tenant_id = $1 and webhook_id = $2',
          [t.tenant_id, hook.webhook_id],
        )
      ).rows[0]?.sending_since as Date | null | undefined;
    expect(await sending()).toBeInstanceOf(Date);
    expect(
      (
        await db.pool.query(
          'select distinct status from webhook_deliveries where tenant_id = $1 and webhook_id = $2',
          [t.tenant_id, hook.webhook_id],
        )
      ).rows,
    ).toEqual([{ status: 'pending' }]);
    expect(await record()).toEqual(['succeeded', 'succeeded', 'retrying']);
    expect(await sending()).toBeNull();
    // Run again, as after a crash between recording and DBOS noting the step: nothing twice.
    expect(await record()).toEqual(['already_recorded', 'already_recorded', 'already_recorded']);
    const { rows } = await db.pool.query(
      `select d.delivery_id, d.status, d.attempts, d.response_status, count(a.attempt)::int as logged,
         d.retry_started_at is not null as round_started
       from webhook_deliveries d left join webhook_attempts a using (tenant_id, delivery_id)
       where d.tenant_id = $1 and d.webhook_id = $2 group by 1, 2, 3, 4, 6 order by 1`,
      [t.tenant_id, hook.webhook_id],
    );
    // Only the failure is in the attempt log; a success is its delivery row.
    expect(rows).toEqual([
      {
        delivery_id: 'dlv_batch1',
        status: 'succeeded',
        attempts: 1,
        response_status: 204,
        logged: 0,
        round_started: true,
      },
      {
        delivery_id: 'dlv_batch2',
        status: 'succeeded',
        attempts: 1,
        response_status: 204,
        logged: 0,
        round_started: true,
      },
      {
        delivery_id: 'dlv_batch3',
        status: 'pending',
        attempts: 1,
        response_status: 502,
        logged: 1,
        round_started: true,
      },
      {
        delivery_id: 'dlv_batch4',
        status: 'pending',
        attempts: 0,
        response_status: null,
        logged: 0,
        round_started: false,
      },
    ]);
    // The API still lists each success, from its delivery row.
    const ok1 = (await req('GET', `/v1/webhooks/${hook.webhook_id}/deliveries/dlv_batch1`)).json;
    expect(ok1.attempt_log).toEqual([
      { attempt: 1, started_at: at, succeeded: true, response_status: 204, latency_ms: 2, error: null },
    ]);
    const no3 = (await req('GET', `/v1/webhooks/${hook.webhook_id}/deliveries/dlv_batch3`)).json;
    expect(no3.attempt_log).toEqual([
      {
        attempt: 1,
        started_at: at,
        succeeded: false,
        response_status: 502,
        latency_ms: 4,
        error: 'answered 502',
      },
    ]);
    // Not sent, so its round of retries has not started. The failure after the successes starts a
    // new streak; the successes were noted.
    await expectRetryHeadsQueueThenDelete(hook.webhook_id);
  });

  it('starts a drain only when the endpoint has none open; an idle drain closes and the next event opens one', async () => {
    const { DBOS } = await import('@dbos-inc/dbos-sdk');
    const hook = await create('/open', ['product.created']);
    const drainOpen = async () =>
      (
        await db.pool.query(
          'select drain_open from webhook_endpoints where tenant_id = $1 and webhook_id = $2',
          [t.tenant_id, hook.webhook_id],
        )
      ).rows[0]!.drain_open as boolean;
    await Promise.all([newProduct(), newProduct(), newProduct(), newProduct()]);
    await until(
      'four deliveries',
      async () => receiver.at('/open').length,
      (n) => n >= 4,
    );
    await until('the drain to close', drainOpen, (open) => !open);
    await newProduct();
    await until(
      'the fifth',
      async () => receiver.at('/open').length,
      (n) => n >= 5,
    );
    await until('the drain to close again', drainOpen, (open) => !open);
    expect(receiver.at('/open')).toHaveLength(5);
    const drains = await DBOS.listWorkflows({ workflowName: 'orderly.webhook-drain' });
    const mine = drains.filter((w) => w.workflowID.includes(hook.webhook_id));
    // One per time the drain was closed: at most one per batch of events, never one per event.
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.length).toBeLessThanOrEqual(5);
    expect((await req('DELETE', `/v1/webhooks/${hook.webhook_id}`)).status).toBe(204);
  });

  it('disabling cancels deliveries in flight: a success still lands as succeeded, a failure as cancelled', async () => {
    const hook = await create('/midflight', ['nothing.ever']);
    const events = (await eventsOf('product.created')).slice(-3);
    await insertPending(hook.webhook_id, events, 'dlv_mid');
    const claim = await claimDue(db.pool, t.tenant_id, hook.webhook_id, 0, 10);
    if (claim.kind !== 'send') throw new Error(`expected a claim, got ${claim.kind}`);
    expect(claim.deliveries).toHaveLength(3);
    // Disabled while the batch is in flight: all three were pending, so all three are cancelled.
    const off = await req('PATCH', `/v1/webhooks/${hook.webhook_id}`, { enabled: false });
    expect(off.status, off.text).toBe(200);
    const [disabled] = await until(
      'the webhook.disabled event',
      async () => (await eventsOf('webhook.disabled')).filter((e) => e.subject === hook.webhook_id),
      (list) => list.length === 1,
    );
    expect(disabled.data.cancelled).toBe(3);
    const at = new Date().toISOString();
    const ok = { ok: true, response_status: 200, latency_ms: 1, error: null, started_at: at };
    const no = { ok: false, response_status: 500, latency_ms: 1, error: 'answered 500', started_at: at };
    const record = () =>
      recordAttempts(
        db.pool,
        deps.metrics,
        deliveryPolicy(),
        t.tenant_id,
        hook.webhook_id,
        claim.deliveries,
        [ok, no],
        0.5,
      );
    expect(await record()).toEqual(['succeeded', 'cancelled']);
    expect(await record()).toEqual(['already_recorded', 'already_recorded']);
    const log = await deliveries(hook.webhook_id);
    expect(log.map((d) => [d.delivery_id, d.status, d.attempts, d.response_status, d.last_error])).toEqual([
      ['dlv_mid3', 'cancelled', 0, null, expect.stringMatching(/endpoint disabled/)],
      ['dlv_mid2', 'cancelled', 1, 500, 'answered 500'],
      ['dlv_mid1', 'succeeded', 1, 200, null],
    ]);
    expect((await deliveries(hook.webhook_id, '&status=succeeded')).map((d) => d.delivery_id)).toEqual([
      'dlv_mid1',
    ]);
    expect((await deliveries(hook.webhook_id, '&status=cancelled')).map((d) => d.delivery_id)).toEqual([
      'dlv_mid3',
      'dlv_mid2',
    ]);
    // The status nothing produces any more is not accepted as a filter.
    expect((await req('GET', `/v1/webhooks/${hook.webhook_id}/deliveries?status=delivering`)).status).toBe(
      422,
    );
    expect((await req('DELETE', `/v1/webhooks/${hook.webhook_id}`)).status).toBe(204);
  });

  /**
   * An endpoint whose cursor sits just before the last `n` product.created events, subscribed to
   * them: as if the drain had not reached them yet. Set in the database, so no drain is woken.
   */
  const behindOn = async (path: string, n: number) => {
    const hook = await create(path, ['nothing.ever']);
    const events = (await eventsOf('product.created')).slice(-n);
    expect(events).toHaveLength(n);
    await db.pool.query(
      `update webhook_endpoints set event_types = '{product.created}', created_at = now() - interval '1 day'
       where tenant_id = $1 and webhook_id = $2`,
      [t.tenant_id, hook.webhook_id],
    );
    await db.pool.query(
      'update webhook_sending set cursor_seq = $3 where tenant_id = $1 and webhook_id = $2',
      [t.tenant_id, hook.webhook_id, events[0]!.seq - 1],
    );
    return { hook, events };
  };
  const drainRow = async (webhookId: string) =>
    (
      await db.pool.query(
        'select cursor_seq, sending_since from webhook_sending where tenant_id = $1 and webhook_id = $2',
        [t.tenant_id, webhookId],
      )
    ).rows[0] as { cursor_seq: number; sending_since: Date | null };
  const attemptOf = (e: any, result: { ok: boolean; response_status: number; error: string | null }) => ({
    ...result,
    latency_ms: 2,
    started_at: new Date().toISOString(),
    event_id: e.event_id,
    event_seq: e.seq,
    event_type: e.type,
  });
  const ok200 = { ok: true, response_status: 200, error: null };
  const no500 = { ok: false, response_status: 500, error: 'answered 500' };

  it('sends the events after the cursor from the log, writes each delivery once with its outcome, moves on', async () => {
    const { hook, events } = await behindOn('/cursor', 4);
    const claim = await claimDue(db.pool, t.tenant_id, hook.webhook_id, 0, 10);
    expect(claim).toEqual({ kind: 'send_new', after: events[0]!.seq - 1 });
    // Nothing is written for the events before they are attempted; the batch is noted in flight.
    expect(await deliveries(hook.webhook_id)).toEqual([]);
    expect((await drainRow(hook.webhook_id)).sending_since).toBeInstanceOf(Date);
    const sent = [attemptOf(events[0], ok200), attemptOf(events[1], ok200), attemptOf(events[2], no500)];
    const record = () =>
      recordNew(
        db.pool,
        deps.metrics,
        { ...deliveryPolicy(), backoff_ms: [60_000], retry_delay_ms_min: 60_000 },
        t.tenant_id,
        hook.webhook_id,
        sent,
        0.5,
      );
    expect(await record()).toEqual(['succeeded', 'succeeded', 'retrying']);
    // Run again, as after a crash between recording and DBOS noting the step: nothing twice.
    expect(await record()).toEqual(['already_recorded', 'already_recorded', 'already_recorded']);
    // The cursor is at the failure (it has its row, pending); the fourth event waits behind it.
    expect(await drainRow(hook.webhook_id)).toEqual({ cursor_seq: events[2]!.seq, sending_since: null });
    const log = await deliveries(hook.webhook_id);
    expect(log.map((d) => [d.event_seq, d.status, d.attempts, d.response_status, d.last_error])).toEqual([
      [events[2]!.seq, 'pending', 1, 500, 'answered 500'],
      [events[1]!.seq, 'succeeded', 1, 200, null],
      [events[0]!.seq, 'succeeded', 1, 200, null],
    ]);
    const failed = (await req('GET', `/v1/webhooks/${hook.webhook_id}/deliveries/${log[0].delivery_id}`))
      .json;
    expect(failed.attempt_log).toMatchObject([{ attempt: 1, succeeded: false, response_status: 500 }]);
    const done = (await req('GET', `/v1/webhooks/${hook.webhook_id}/deliveries/${log[2].delivery_id}`)).json;
    expect(done.attempt_log).toMatchObject([{ attempt: 1, succeeded: true, response_status: 200 }]);
    await expectRetryHeadsQueueThenDelete(hook.webhook_id);
  });

  it('an idle drain moves its cursor past events it does not want, so it never reads them again', async () => {
    const hook = await create('/idle-cursor', ['nothing.ever']);
    await newProduct();
    const before = (await drainRow(hook.webhook_id)).cursor_seq;
    // Events are numbered a moment after they commit: wait until the log is past the cursor.
    const latest = await until('the new events to be numbered', latestSeq, (seq) => seq > before);
    expect((await claimDue(db.pool, t.tenant_id, hook.webhook_id, 0, 10)).kind).toBe('idle');
    expect((await drainRow(hook.webhook_id)).cursor_seq).toBeGreaterThanOrEqual(latest);
    // A batch that could read nothing records nothing, and no success.
    expect(
      await recordNew(db.pool, deps.metrics, deliveryPolicy(), t.tenant_id, hook.webhook_id, []),
    ).toEqual([]);
    expect((await req('GET', `/v1/webhooks/${hook.webhook_id}`)).json.last_success_at).toBeNull();
    expect((await req('DELETE', `/v1/webhooks/${hook.webhook_id}`)).status).toBe(204);
  });

  it('disabling cancels the events after the cursor too; a batch from the log in flight still lands', async () => {
    const { hook, events } = await behindOn('/cursor-midflight', 3);
    const claim = await claimDue(db.pool, t.tenant_id, hook.webhook_id, 0, 10);
    expect(claim.kind).toBe('send_new');
    const off = await req('PATCH', `/v1/webhooks/${hook.webhook_id}`, { enabled: false });
    expect(off.status, off.text).toBe(200);
    const [disabled] = await until(
      'the webhook.disabled event',
      async () => (await eventsOf('webhook.disabled')).filter((e) => e.subject === hook.webhook_id),
      (list) => list.length === 1,
    );
    // The three events not yet sent are cancelled deliveries, and the cursor is past them.
    expect(disabled.data.cancelled).toBe(3);
    expect((await drainRow(hook.webhook_id)).cursor_seq).toBeGreaterThanOrEqual(events[2]!.seq);
    const record = () =>
      recordNew(
        db.pool,
        deps.metrics,
        deliveryPolicy(),
        t.tenant_id,
        hook.webhook_id,
        [attemptOf(events[0], ok200), attemptOf(events[1], no500)],
        0.5,
      );
    expect(await record()).toEqual(['succeeded', 'cancelled']);
    expect(await record()).toEqual(['already_recorded', 'already_recorded']);
    const log = await deliveries(hook.webhook_id);
    expect(log.map((d) => [d.event_seq, d.status, d.attempts, d.response_status, d.last_error])).toEqual([
      [events[2]!.seq, 'cancelled', 0, null, expect.stringMatching(/endpoint disabled/)],
      [events[1]!.seq, 'cancelled', 1, 500, 'answered 500'],
      [events[0]!.seq, 'succeeded', 1, 200, null],
    ]);
    // Enabled again, replay from before them queues all three, as rows: they are before the cursor.
    expect((await req('PATCH', `/v1/webhooks/${hook.webhook_id}`, { enabled: true })).status).toBe(200);
    const replay = await req('POST', `/v1/webhooks/${hook.webhook_id}/replay`, {
      after_seq: events[0]!.seq - 1,
    });
    expect(replay.json.queued).toBe(3);
    await until(
      'the replayed deliveries',
      async () => receiver.at('/cursor-midflight').map((r) => r.headers['webhook-id']),
      (ids) => ids.length >= 3,
    );
    expect(receiver.at('/cursor-midflight').map((r) => r.headers['webhook-id'])).toEqual(
      events.map((e) => e.event_id),
    );
    expect((await req('DELETE', `/v1/webhooks/${hook.webhook_id}`)).status).toBe(204);
  });

  it('an endpoint deleted while its batch from the log is in flight: the attempts are gone, nothing is written', async () => {
    const { hook, events } = await behindOn('/cursor-deleted', 2);
    expect((await claimDue(db.pool, t.tenant_id, hook.webhook_id, 0, 10)).kind).toBe('send_new');
    expect((await req('DELETE', `/v1/webhooks/${hook.webhook_id}`)).status).toBe(204);
    const outcomes = await recordNew(db.pool, deps.metrics, deliveryPolicy(), t.tenant_id, hook.webhook_id, [
      attemptOf(events[0], ok200),
      attemptOf(events[1], no500),
    ]);
    expect(outcomes).toEqual(['gone', 'gone']);
    const { rows } = await db.pool.query(
      'select count(*)::int as n from webhook_deliveries where webhook_id = $1',
      [hook.webhook_id],
    );
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('the sweep restarts an endpoint whose events after the cursor nobody is sending', async () => {
    const { DBOS } = await import('@dbos-inc/dbos-sdk');
    const { hook, events } = await behindOn('/swept-log', 1);
    // As if the consumer had asked for a drain five minutes ago and the drain had been lost.
    await db.pool.query(
      `update events set created_at = now() - interval '5 minutes' where tenant_id = $1 and seq = $2`,
      [t.tenant_id, events[0]!.seq],
    );
    await db.pool.query(
      'update webhook_endpoints set drain_requested_seq = $3 where tenant_id = $1 and webhook_id = $2',
      [t.tenant_id, hook.webhook_id, events[0]!.seq],
    );
    await (await DBOS.triggerSchedule('orderly.webhook-sweep')).getResult();
    await until(
      'the swept delivery',
      async () => receiver.at('/swept-log').length,
      (n) => n >= 1,
    );
    expect(receiver.at('/swept-log')[0]!.headers['webhook-id']).toBe(events[0]!.event_id);
    const [d] = await until(
      'the delivery to be recorded',
      () => deliveries(hook.webhook_id),
      (list) => list.length === 1 && list[0].status === 'succeeded',
    );
    expect(d).toMatchObject({ event_seq: events[0]!.seq, attempts: 1 });
    expect((await drainRow(hook.webhook_id)).cursor_seq).toBeGreaterThanOrEqual(events[0]!.seq);
    expect((await req('DELETE', `/v1/webhooks/${hook.webhook_id}`)).status).toBe(204);
  });

  it('the sweep finds endpoints due with nothing in flight, or in flight far too long, and no others', async () => {
    const [event] = (await eventsOf('product.created')).slice(-1);
    const paths = [
      '/stall-due',
      '/stall-in-flight',
      '/stall-busy',
      '/stall-fresh',
      '/stall-log',
      '/stall-log-fresh',
    ];
    const [due, inFlight, busy, fresh, log, logFresh] = await Promise.all(
      paths.map(async (p) => (await create(p, ['nothing.ever'])).webhook_id),
    );
    // In a transaction rolled back at the end, so the scheduled sweep never sees these.
    const tx = await db.pool.connect();
    try {
      await tx.query('begin');
      const endpoint = async (webhookId: string, dueAgo: string, sendingSince: string | null) => {
        await tx.query(
          `insert into webhook_deliveries (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type,
             status, next_attempt_at)
           values ($1, $2, 'dlv_' || $2, $3, $4, $5, 'pending', now() - $6::interval)`,
          [t.tenant_id, webhookId, event.event_id, event.seq, event.type, dueAgo],
        );
        if (sendingSince !== null) {
          await tx.query(
            `update webhook_sending set sending_since = now() - $3::interval where tenant_id = $1 and webhook_id = $2`,
            [t.tenant_id, webhookId, sendingSince],
          );
        }
      };
      // Behind on the log: the consumer asked for an event after the cursor five minutes ago (or
      // just now), and no drain has sent it. Its seq is far above any the sequencer hands out
      // meanwhile, so the two cannot collide.
      const behind = async (webhookId: string, createdAgo: string) => {
        const { rows } = await tx.query(
          `insert into events (tenant_id, seq, event_id, type, subject, data, actor, created_at)
           select $1, (select max(seq) + 1000000 from events), 'evt_' || $2, 'product.created', 'x', '{}', '{}',
             now() - $3::interval
           returning seq`,
          [t.tenant_id, webhookId, createdAgo],
        );
        await tx.query(
          `update webhook_endpoints set event_types = '{product.created}', created_at = now() - interval '1 hour',
             drain_requested_seq = $3 where tenant_id = $1 and webhook_id = $2`,
          [t.tenant_id, webhookId, rows[0].seq],
        );
        await tx.query(
          'update webhook_sending set cursor_seq = $3 where tenant_id = $1 and webhook_id = $2',
          [t.tenant_id, webhookId, rows[0].seq - 1],
        );
        return rows[0].seq as number;
      };
      const logSeq = await behind(log!, '5 minutes');
      await behind(logFresh!, '5 seconds');
      await endpoint(due!, '5 minutes', null);
      await endpoint(inFlight!, '20 minutes', '15 minutes');
      // Sending now, though its head has waited long (a backlog): not stalled.
      await endpoint(busy!, '5 minutes', '5 seconds');
      // Due a moment ago, nothing in flight: its drain has not come to it yet.
      await endpoint(fresh!, '5 seconds', null);
      const found = (await stalledEndpoints(tx, 120, 600, 1000)).filter((s) =>
        [due, inFlight, busy, fresh, log, logFresh].includes(s.webhook_id),
      );
      expect(found.map((s) => [s.webhook_id, s.stalled]).sort()).toEqual(
        [
          [due, 'due'],
          [inFlight, 'in_flight'],
          [log, 'due'],
        ].sort(),
      );
      expect(found.map((s) => s.head).sort()).toEqual(
        [`dlv_${due}`, `dlv_${inFlight}`, `seq:${logSeq}`].sort(),
      );
    } finally {
      await tx.query('rollback');
      tx.release();
    }
    for (const id of [due, inFlight, busy, fresh, log, logFresh]) {
      expect((await req('DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
    }
  });

  it('the sweep restarts an endpoint whose oldest delivery nobody is sending', async () => {
    const { DBOS } = await import('@dbos-inc/dbos-sdk');
    const hook = await create('/swept', ['product.created']);
    // As if its drain had been lost: due five minutes ago and not in flight.
    const [event] = (await eventsOf('product.created')).slice(-1);
    await db.pool.query(
      `insert into webhook_deliveries (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type, status,
         next_attempt_at)
       values ($1, $2, 'dlv_swept', $3, $4, $5, 'pending', now() - interval '5 minutes')`,
      [t.tenant_id, hook.webhook_id, event.event_id, event.seq, event.type],
    );
    await (await DBOS.triggerSchedule('orderly.webhook-sweep')).getResult();
    await until(
      'the swept delivery',
      async () => receiver.at('/swept').length,
      (n) => n >= 1,
    );
    expect(receiver.at('/swept')[0]!.headers['webhook-id']).toBe(event.event_id);
    await until(
      'the swept delivery to be recorded',
      async () => (await req('GET', `/v1/webhooks/${hook.webhook_id}/deliveries/dlv_swept`)).json,
      (d) => d.status === 'succeeded',
    );
  });

  it('the sweep restarts an endpoint whose batch has been in flight far too long (its drain is gone)', async () => {
    const { DBOS } = await import('@dbos-inc/dbos-sdk');
    const hook = await create('/swept-in-flight', ['product.created']);
    // As if a drain had claimed it a quarter of an hour ago and died before recording.
    const [event] = (await eventsOf('product.created')).slice(-1);
    await db.pool.query(
      `insert into webhook_deliveries (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type, status,
         next_attempt_at)
       values ($1, $2, 'dlv_swept_in_flight', $3, $4, $5, 'pending', now() - interval '15 minutes')`,
      [t.tenant_id, hook.webhook_id, event.event_id, event.seq, event.type],
    );
    await db.pool.query(
      `update webhook_sending set sending_since = now() - interval '15 minutes'
       where tenant_id = $1 and webhook_id = $2`,
      [t.tenant_id, hook.webhook_id],
    );
    await (await DBOS.triggerSchedule('orderly.webhook-sweep')).getResult();
    await until(
      'the swept delivery',
      async () => receiver.at('/swept-in-flight').length,
      (n) => n >= 1,
    );
    expect(receiver.at('/swept-in-flight')[0]!.headers['webhook-id']).toBe(event.event_id);
    const d = await until(
      'the swept delivery to be recorded',
      async () => (await req('GET', `/v1/webhooks/${hook.webhook_id}/deliveries/dlv_swept_in_flight`)).json,
      (x) => x.status === 'succeeded',
    );
    expect(d.attempt_log).toMatchObject([{ attempt: 1, succeeded: true, response_status: 200 }]);
    // The drain that recorded it ended the mark.
    const { rows } = await db.pool.query(
      'select sending_since from webhook_sending where tenant_id = $1 and webhook_id = $2',
      [t.tenant_id, hook.webhook_id],
    );
    expect(rows).toEqual([{ sending_since: null }]);
  });

  it('runs each drain once per id: starting it again under the same id does nothing twice', async () => {
    const { DBOS } = await import('@dbos-inc/dbos-sdk');
    const drains = await DBOS.listWorkflows({ workflowName: 'orderly.webhook-drain', status: 'SUCCESS' });
    expect(drains.length).toBeGreaterThan(0);
    const { webhookDrain } = await import('../src/modules/webhooks/workflows.ts');
    const done = drains[0]!;
    // Every attempt recorded: failures are logged, every attempt counts on its delivery.
    const recorded = async () =>
      (
        await db.pool.query(
          `select (select count(*)::int from webhook_attempts) as logged,
             (select coalesce(sum(attempts), 0)::int from webhook_deliveries) as attempts`,
        )
      ).rows[0];
    const attemptsBefore = await recorded();
    expect(attemptsBefore.attempts).toBeGreaterThan(0);
    const handle = await DBOS.startWorkflow(webhookDrain, { workflowID: done.workflowID })(
      ...((done.input ?? []) as [string, string, number]),
    );
    await handle.getResult();
    expect(await recorded()).toEqual(attemptsBefore);
  });
});
