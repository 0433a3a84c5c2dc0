import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import type { Pool } from '../src/db/pool.ts';
import { BUCKETS, replayBalances } from '../src/modules/inventory/ledger.ts';
import { freePort, spawnOrderly } from './support.ts';

/**
 * Real processes on one database for the multi-process and crash tests: API-only processes,
 * worker processes, a webhook receiver that deduplicates on `webhook-id` the way the docs tell
 * receivers to, and a client for the API.
 */

export type Child = ReturnType<typeof spawnOrderly>;

/** Polls `read` until `done` holds; the error names what was awaited and the last value seen. */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeout_ms = 60_000,
  every_ms = 200,
): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) {
      const shown = JSON.stringify(v) ?? String(v);
      throw new Error(`Timed out after ${timeout_ms} ms waiting for ${what}: last ${shown.slice(0, 2000)}`);
    }
    await sleep(every_ms);
  }
}

/**
 * `orderly start --api-only` on a free loopback port. Resolves once it listens: without a worker
 * it answers /health 503, but it serves requests already.
 */
export async function startApi(databaseUrl: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnOrderly(['start', '--api-only'], {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    ORDERLY_DEMO: '0',
    LOG_LEVEL: 'warn',
    ...env,
  });
  await until(
    `the API on ${base} to listen`,
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`orderly exited early:\n${child.output()}`);
      try {
        return (await fetch(`${base}/health`)).status;
      } catch {
        return 0;
      }
    },
    (status) => status !== 0,
    120_000,
  );
  return { base, child };
}

/**
 * `orderly worker --executor-id <id>`. Resolves once it has registered and its `webhooks` event
 * consumer has a cursor: a consumer seen for the first time starts after the latest event, so
 * events made before that would not be offered to it.
 */
export async function startWorker(pool: Pool, databaseUrl: string, executorId: string) {
  const child = spawnOrderly(['worker', '--executor-id', executorId], {
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
  });
  await until(
    `worker ${executorId} to register`,
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`worker exited early:\n${child.output()}`);
      const { rows } = await pool.query<{ n: number }>(
        `select (select count(*) from orderly_system.workers where executor_id = $1 and pid = $2)::int
              + (select count(*) from orderly_system.event_consumers where name = 'webhooks')::int as n`,
        [executorId, child.proc.pid],
      );
      return rows[0]!.n;
    },
    (n) => n === 2,
    120_000,
  );
  return child;
}

/** SIGTERM and wait, for a process still running. */
export async function stopChild(child: Child | undefined) {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  await child.exited;
}

/** The tail of each process's output, for a failed test's report. */
export function outputs(children: Record<string, Child | undefined>) {
  return Object.entries(children)
    .filter(([, c]) => c)
    .map(
      ([name, c]) =>
        `── ${name} (exit ${c!.proc.exitCode ?? c!.proc.signalCode}) ──\n${c!.output().slice(-4000)}`,
    )
    .join('\n');
}

export type ApiAnswer = { status: number; json: any; text: string };

/** A client for one API process with one key. */
export function client(base: string, key: string) {
  return async (
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer> => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };
}

export type Api = ReturnType<typeof client>;

/** Every event of `types` in the log (`GET /v1/events`), paged to the end. */
export async function allEvents(api: Api, types: string) {
  const events: { seq: number; event_id: string; type: string; subject: string }[] = [];
  let after = 0;
  for (;;) {
    const res = await api('GET', `/v1/events?after=${after}&types=${encodeURIComponent(types)}&limit=1000`);
    if (res.status !== 200) throw new Error(`GET /v1/events: ${res.status} ${res.text}`);
    events.push(...res.json.data);
    if (res.json.data.length < 1000) return events;
    after = res.json.next_after;
  }
}

export type Delivery = { path: string; id: string; body: string; at: number };

/**
 * A webhook receiver on 127.0.0.1, idempotent on `webhook-id` as the docs ask receivers to be:
 * every request is recorded, each one's Standard Webhooks signature is verified with its path's
 * secret (401 if it does not verify), the first body of each id is kept, and an id arriving again
 * with a different body is recorded as a conflict. Answers 200 after `delay_ms`.
 */
export async function startReceiver(opts: { delay_ms?: number; onDelivery?: (d: Delivery) => void } = {}) {
  const secrets = new Map<string, string>();
  const deliveries: Delivery[] = [];
  const firstBody = new Map<string, string>();
  const conflicts: { id: string; first: string; again: string }[] = [];
  const rejected: { path: string; id: string; error: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', async () => {
      const path = req.url ?? '/';
      const id = String(req.headers['webhook-id']);
      try {
        const secret = secrets.get(path);
        if (!secret) throw new Error(`no secret for ${path}`);
        new Webhook(secret).verify(body, {
          'webhook-id': id,
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        });
      } catch (err) {
        rejected.push({ path, id, error: (err as Error).message });
        res.writeHead(401).end('bad signature');
        return;
      }
      const d = { path, id, body, at: Date.now() };
      deliveries.push(d);
      const key = `${path} ${id}`;
      const seen = firstBody.get(key);
      if (seen === undefined) firstBody.set(key, body);
      else if (seen !== body) conflicts.push({ id, first: seen, again: body });
      opts.onDelivery?.(d);
      if (opts.delay_ms) await sleep(opts.delay_ms);
      if (!res.destroyed) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    deliveries,
    conflicts,
    rejected,
    setSecret: (path: string, secret: string) => secrets.set(path, secret),
    /** Deliveries to `path`, every one (duplicates included). */
    at: (path: string) => deliveries.filter((d) => d.path === path),
    /** The distinct webhook-ids delivered to `path`, in the order they first arrived. */
    distinct: (path: string) => [...new Set(deliveries.filter((d) => d.path === path).map((d) => d.id))],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Subscribes `receiver.base + path` to `event_types` and gives the receiver its secret. */
export async function subscribe(api: Api, receiver: Receiver, path: string, event_types: string[]) {
  const res = await api('POST', '/v1/webhooks', { url: `${receiver.base}${path}`, event_types });
  if (res.status !== 201) throw new Error(`POST /v1/webhooks: ${res.status} ${res.text}`);
  receiver.setSecret(path, res.json.secret);
  return res.json as { webhook_id: string; secret: string; created_at: string };
}

/**
 * The ledger's check on itself: replaying a tenant's movements gives every balance row, and no
 * bucket is negative. Returns the mismatches (empty when it holds).
 */
export async function ledgerMismatches(pool: Pool, tenantId: string) {
  const replayed = await replayBalances(pool, tenantId);
  const { rows } = await pool.query('select * from inventory_balances where tenant_id = $1', [tenantId]);
  const wrong: string[] = [];
  for (const r of rows) {
    const m = replayed.get(`${r.sku}\u0000${r.location_id}`);
    for (const b of BUCKETS) {
      if (r[b] < 0) wrong.push(`${r.sku}@${r.location_id}.${b} is ${r[b]}`);
      if (r[b] !== (m?.[b] ?? 0))
        wrong.push(`${r.sku}@${r.location_id}.${b}: ${r[b]}, replayed ${m?.[b] ?? 0}`);
    }
  }
  return wrong;
}
