import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, freshDatabase, spawnOrderly } from './support.ts';

let db: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => db.drop());

async function health(base: string) {
  try {
    const res = await fetch(`${base}/health`);
    return { status: res.status, body: (await res.json()) as any };
  } catch {
    return { status: 0, body: undefined };
  }
}

async function until(check: () => Promise<boolean>, what: string, timeout_ms = 60_000) {
  const deadline = Date.now() + timeout_ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('API and worker processes on one database', () => {
  it('an API-only process reports missing workers until a worker process joins', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', ORDERLY_DEMO: '0' };
    const api = spawnOrderly(['start', '--api-only'], env);
    let worker: ReturnType<typeof spawnOrderly> | undefined;
    try {
      await until(async () => (await health(base)).status !== 0, 'the API to listen');
      const alone = await health(base);
      expect(alone.status).toBe(503);
      expect(alone.body.checks.workers.ok).toBe(false);
      expect(alone.body.checks.database.ok).toBe(true);

      worker = spawnOrderly(['worker', '--executor-id', 'test-worker-1'], { DATABASE_URL: db.url });
      await until(async () => (await health(base)).status === 200, 'the worker to be seen');
      const joined = await health(base);
      expect(joined.body.checks.workers.detail).toContain('1 worker process');
      const { rows } = await db.pool.query(
        `select role from orderly_system.workers where executor_id = 'test-worker-1'`,
      );
      expect(rows[0].role).toBe('worker');

      // A worker that stops cleanly leaves the register at once.
      worker.proc.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      const gone = await db.pool.query(
        `select 1 from orderly_system.workers where executor_id = 'test-worker-1'`,
      );
      expect(gone.rowCount).toBe(0);
    } finally {
      worker?.proc.kill('SIGTERM');
      api.proc.kill('SIGTERM');
      expect(await api.exited).toBe(0);
    }
  });
});
