import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../src/db/pool.ts';
import { publish, readEvents } from '../src/modules/events/service.ts';
import {
  LISTENER_APPLICATION_NAME,
  type StreamHub,
  stopStreams,
  streamHub,
} from '../src/modules/events/stream.ts';
import { freshDatabase, seedTenant, startServer, type TestTenant, testAppOn } from './support.ts';

type Db = Awaited<ReturnType<typeof freshDatabase>>;
type Message = { id: string; event: string; data: any };

let db: Db;
let server: ReturnType<typeof serve>;
let base: string;
let hub: StreamHub;
let a: TestTenant;
let b: TestTenant;
const actor = { type: 'system' as const, id: 'test' };

// No workers run here: the only sequencer is the one the stream hub runs while it has clients,
// which is the API-only case (see docs/concepts/events.md, "Live updates").
beforeAll(async () => {
  db = await freshDatabase();
  const { app, deps } = testAppOn(db.pool);
  hub = streamHub(db.pool, deps.log);
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  a = await tenant('Stream A');
  b = await tenant('Stream B');
});
afterAll(async () => {
  await stopStreams(db.pool);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db.drop();
});

/** A tenant whose own set-up events (tenant.created, api_key.created) are already numbered. */
async function tenant(name: string) {
  const t = await seedTenant(db.pool, name);
  await readEvents(db.pool, t.tenant_id, 0, undefined, 1);
  return t;
}

const emit = (tenantId: string, ...events: Array<{ type: string; subject?: string; data?: object }>) =>
  withTransaction(db.pool, (tx) =>
    publish(
      tx,
      tenantId,
      actor,
      ...events.map((e) => ({ type: e.type, subject: e.subject ?? 'sub_1', data: { ...e.data } })),
    ),
  );

/** An SSE client over a real socket: parsed messages and comments as they arrive. */
async function connect(path: string, key: string | undefined, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(base + path, {
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    signal: abort.signal,
  });
  const messages: Message[] = [];
  const comments: string[] = [];
  let ended = false;
  const pump = (async () => {
    if (!res.ok || !res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += value;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line);
            else {
              const at = line.indexOf(':');
              fields[line.slice(0, at)] = line.slice(at + 1).trimStart();
            }
          }
          if (fields.data !== undefined)
            messages.push({ id: fields.id!, event: fields.event!, data: JSON.parse(fields.data) });
        }
      }
    } catch {
      // aborted by the test
    } finally {
      ended = true;
    }
  })();
  return {
    res,
    messages,
    comments,
    ended: () => ended,
    /** Waits until at least `n` messages arrived. */
    async take(n: number, timeout_ms = 10_000) {
      const deadline = Date.now() + timeout_ms;
      while (messages.length < n) {
        if (Date.now() > deadline || ended)
          throw new Error(`got ${messages.length} of ${n} messages: ${JSON.stringify(messages)}`);
        await sleep(10);
      }
      return messages.slice(0, n);
    },
    async close() {
      abort.abort();
      await pump;
    },
  };
}

async function until(check: () => boolean | Promise<boolean>, timeout_ms = 5000) {
  const deadline = Date.now() + timeout_ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

const listeners = async () =>
  (
    await db.pool.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and application_name = $1 and query ilike 'listen%'`,
      [LISTENER_APPLICATION_NAME],
    )
  ).rows[0]!.n;

describe('GET /v1/stream', () => {
  it('delivers events published after connecting, in order, with id = seq and event = type', async () => {
    const t = await tenant('Live Co');
    const client = await connect('/v1/stream', t.keys.support);
    expect(client.res.status).toBe(200);
    expect(client.res.headers.get('content-type')).toContain('text/event-stream');
    for (let i = 0; i < 5; i++) await emit(t.tenant_id, { type: 'order.created', data: { i } });
    await emit(
      t.tenant_id,
      { type: 'order.updated', data: { i: 5 } },
      { type: 'order.updated', data: { i: 6 } },
    );
    const got = await client.take(7);
    await client.close();

    expect(got.map((m) => m.data.data.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const m of got) {
      expect(m.id).toBe(String(m.data.seq));
      expect(m.event).toBe(m.data.type);
    }
    const seqs = got.map((m) => m.data.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    // The same JSON /v1/events returns for those events.
    const page = await readEvents(db.pool, t.tenant_id, 0, 'order.*', 100);
    expect(got.map((m) => m.data)).toEqual(page.data);
  });

  it('resumes after Last-Event-ID (or ?after=): missed events first, then live ones, no gap or duplicate', async () => {
    const t = await tenant('Resume Co');
    const first = await connect('/v1/stream', t.keys.support);
    await emit(
      t.tenant_id,
      { type: 'order.created', data: { i: 0 } },
      { type: 'order.created', data: { i: 1 } },
    );
    const seen = await first.take(2);
    await first.close();
    const lastId = seen.at(-1)!.id;

    // Missed while disconnected.
    for (let i = 2; i < 8; i++) await emit(t.tenant_id, { type: 'order.created', data: { i } });
    // And more written while the client reconnects and replays.
    const writer = (async () => {
      for (let i = 8; i < 40; i++) await emit(t.tenant_id, { type: 'order.created', data: { i } });
    })();
    const resumed = await connect('/v1/stream', t.keys.support, { 'last-event-id': lastId });
    await writer;
    const got = await resumed.take(38);
    await sleep(300);
    await resumed.close();

    expect(resumed.messages).toHaveLength(38);
    const all = (await readEvents(db.pool, t.tenant_id, Number(lastId), undefined, 1000)).data;
    expect(got.map((m) => m.data)).toEqual(all);
    expect(got.map((m) => m.data.data.i)).toEqual(Array.from({ length: 38 }, (_, k) => k + 2));

    const viaQuery = await connect(`/v1/stream?after=${lastId}`, t.keys.support);
    const again = await viaQuery.take(38);
    await viaQuery.close();
    expect(again.map((m) => m.id)).toEqual(got.map((m) => m.id));
  });

  it('replays a long backlog across several reads without a gap', async () => {
    const t = await tenant('Backlog Co');
    await emit(
      t.tenant_id,
      ...Array.from({ length: 23 }, (_, i) => ({ type: 'order.created', data: { i } })),
    );
    const before = hub.options.batchSize;
    hub.options.batchSize = 5;
    try {
      const client = await connect('/v1/stream?after=0&types=order.*', t.keys.support);
      const got = await client.take(23);
      await client.close();
      expect(got.map((m) => m.data.data.i)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    } finally {
      hub.options.batchSize = before;
    }
  });

  it("never shows tenant B tenant A's events", async () => {
    const clientA = await connect('/v1/stream', a.keys.support);
    const clientB = await connect('/v1/stream?after=0&types=order.*', b.keys.admin);
    await emit(a.tenant_id, { type: 'order.created', subject: 'ord_secret_of_a' });
    await emit(b.tenant_id, { type: 'order.created', subject: 'ord_of_b' });
    await clientA.take(1);
    await clientB.take(1);
    await sleep(300);
    await clientA.close();
    await clientB.close();
    expect(clientA.messages.map((m) => m.data.subject)).toEqual(['ord_secret_of_a']);
    expect(clientB.messages.map((m) => m.data.subject)).toEqual(['ord_of_b']);
  });

  it('filters by exact types and prefixes', async () => {
    const t = await tenant('Filter Co');
    const client = await connect('/v1/stream?types=order.*,inventory.changed', t.keys.support);
    await emit(
      t.tenant_id,
      { type: 'order.created', data: { i: 1 } },
      { type: 'customer.created', data: { i: 2 } },
      { type: 'inventory.changed', data: { i: 3 } },
      { type: 'inventory.changed.extra', data: { i: 4 } },
      { type: 'orders_legacy', data: { i: 5 } },
      { type: 'order.updated', data: { i: 6 } },
    );
    await client.take(3);
    await sleep(300);
    await client.close();
    expect(client.messages.map((m) => m.event)).toEqual([
      'order.created',
      'inventory.changed',
      'order.updated',
    ]);
  });

  it('answers 401 problem+json without a valid key', async () => {
    for (const key of [undefined, 'ok_not_a_real_key']) {
      const res = await fetch(
        `${base}/v1/stream`,
        key ? { headers: { authorization: `Bearer ${key}` } } : {},
      );
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as { type: string }).type).toBe('/problems/unauthenticated');
    }
  });

  it('answers 422 to a Last-Event-ID that is not a sequence number', async () => {
    const res = await fetch(`${base}/v1/stream`, {
      headers: { authorization: `Bearer ${a.keys.support}`, 'last-event-id': 'abc' },
    });
    expect(res.status).toBe(422);
  });

  it('holds one listening connection per process, however many clients', async () => {
    const clients = await Promise.all(
      [a.keys.support, a.keys.admin, b.keys.support, b.keys.manager].map((k) => connect('/v1/stream', k)),
    );
    await until(() => hub.size === 4);
    await until(async () => (await listeners()) === 1);
    expect(await listeners()).toBe(1);
    await emit(a.tenant_id, { type: 'order.created' });
    await emit(b.tenant_id, { type: 'order.created' });
    for (const c of clients) await c.take(1);
    expect(await listeners()).toBe(1);
    for (const c of clients) await c.close();
  });

  it('stops tracking a client once it disconnects', async () => {
    await until(() => hub.size === 0);
    const client = await connect('/v1/stream', a.keys.support);
    await until(() => hub.size === 1);
    await client.close();
    await until(() => hub.size === 0);
    expect(hub.size).toBe(0);
  });

  it('numbers events itself while it has stream clients, and only then (no worker needed)', async () => {
    await until(() => hub.size === 0);
    const t = await tenant('Api Only Co');
    await emit(t.tenant_id, { type: 'order.created', subject: 'ord_unnumbered' });
    await sleep(400);
    const unnumbered = await db.pool.query(
      `select seq from events where tenant_id = $1 and subject = 'ord_unnumbered'`,
      [t.tenant_id],
    );
    expect(unnumbered.rows).toEqual([{ seq: null }]);
    const client = await connect('/v1/stream?after=0&types=order.*', t.keys.support);
    const [m] = await client.take(1);
    await client.close();
    expect(m!.data.subject).toBe('ord_unnumbered');
    expect(Number(m!.id)).toBeGreaterThan(0);
  });

  it('sends a heartbeat comment while idle', async () => {
    const before = hub.options.heartbeatMs;
    hub.options.heartbeatMs = 200;
    try {
      const client = await connect('/v1/stream', a.keys.support);
      await until(() => client.comments.includes(': heartbeat'), 3000);
      await client.close();
    } finally {
      hub.options.heartbeatMs = before;
    }
  });

  it('refuses streams beyond the per-process limit with a 503 problem', async () => {
    const before = hub.options.maxStreams;
    hub.options.maxStreams = 1;
    try {
      const first = await connect('/v1/stream', a.keys.support);
      const res = await fetch(`${base}/v1/stream`, {
        headers: { authorization: `Bearer ${a.keys.support}` },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as { type: string }).type).toBe('/problems/unavailable');
      await first.close();
    } finally {
      hub.options.maxStreams = before;
    }
  });

  it('without a socket to hold (in-process app.request), sends one batch and ends', async () => {
    const t = await tenant('In Process Co');
    await emit(
      t.tenant_id,
      { type: 'order.created', data: { i: 1 } },
      { type: 'order.created', data: { i: 2 } },
    );
    await readEvents(db.pool, t.tenant_id, 0, undefined, 1);
    const res = await testAppOn(db.pool).request('GET', '/v1/stream?after=0&types=order.*', {
      key: t.keys.support,
    });
    expect(res.status).toBe(200);
    expect(res.text.match(/^event: order\.created$/gm)).toHaveLength(2);
  });

  it('ends every stream and the listener on shutdown', async () => {
    const client = await connect('/v1/stream', a.keys.support);
    await until(() => hub.size === 1);
    await stopStreams(db.pool);
    await until(() => client.ended());
    expect(hub.size).toBe(0);
    await until(async () => (await listeners()) === 0);
    const refused = await fetch(`${base}/v1/stream`, {
      headers: { authorization: `Bearer ${a.keys.support}` },
    });
    expect(refused.status).toBe(503);
  });
});

describe('a real `orderly start` process', () => {
  it('streams events from its API and shuts down cleanly with a client connected', async () => {
    const orderly = await startServer();
    try {
      const res = await fetch(`${orderly.baseUrl}/v1/stream?types=api_key.*`, {
        headers: { authorization: `Bearer ${orderly.apiKey}` },
      });
      expect(res.status).toBe(200);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      const created = await fetch(`${orderly.baseUrl}/v1/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${orderly.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'streamed', role: 'support' }),
      });
      expect(created.status).toBe(201);
      let text = '';
      while (!text.includes('event: api_key.created')) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`stream ended early: ${text}`);
        text += value;
      }
      orderly.child.proc.kill('SIGTERM');
      // The stream is ended by the server, and the process exits without waiting on it.
      while (!(await reader.read()).done) {}
      expect(await orderly.child.exited).toBe(0);
    } finally {
      await orderly.stop();
    }
  }, 60_000);
});
