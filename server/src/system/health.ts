import { migrationStatus } from '../db/migrate.ts';
import type { Pool } from '../db/pool.ts';

export type WorkerState = { inProcess: () => boolean };

type Check = { ok: boolean; detail: string };

/** Database reachable, schema current, and someone running workflows (here or in a worker). */
export async function checkHealth(pool: Pool, workers: WorkerState) {
  const checks: Record<'database' | 'migrations' | 'workers', Check> = {
    database: { ok: false, detail: 'not checked' },
    migrations: { ok: false, detail: 'not checked' },
    workers: { ok: false, detail: 'not checked' },
  };
  try {
    await pool.query('select 1');
    checks.database = { ok: true, detail: 'reachable' };
    const m = await migrationStatus(pool);
    checks.migrations = {
      ok: m.applied === m.expected,
      detail: `schema version ${m.applied}, code expects ${m.expected}`,
    };
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from orderly_system.workers where last_seen_at > now() - interval '30 seconds'`,
    );
    const alive = rows[0]?.n ?? 0;
    checks.workers = {
      ok: workers.inProcess() || alive > 0,
      detail: `${workers.inProcess() ? 'running in this process; ' : ''}${alive} worker process(es) seen in the last 30 s`,
    };
  } catch (err) {
    const failed = checks.database.ok ? 'migrations' : 'database';
    checks[failed] = { ok: false, detail: (err as Error).message };
  }
  const ok = Object.values(checks).every((c) => c.ok);
  return { status: ok ? ('ok' as const) : ('unavailable' as const), checks };
}
