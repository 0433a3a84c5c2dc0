import pg from 'pg';
import type { Logger } from '../logger.ts';

// bigint columns (sequences, counts) come back as JS numbers: they stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that runs a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

export function createPool(url: string, log: Logger, max = 20): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: 30_000,
    // Statements prepared by name (see `prepared`) get one plan per connection, not one per call.
    options: '-c plan_cache_mode=force_generic_plan',
  });
  // An idle client's error (server restart, FATAL on shutdown) must not crash the process.
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection closed'));
  return pool;
}

/**
 * A statement prepared by name on each connection, so it is parsed and planned once per
 * connection instead of on every call: for the statements on the hot paths (reserve, post).
 * The pool plans prepared statements generically (plan_cache_mode), so write them so that one
 * plan suits any values.
 */
export function prepared(name: string, text: string) {
  return <R extends pg.QueryResultRow = Record<string, unknown>>(db: Queryable, values: unknown[]) =>
    db.query<R>({ name, text, values });
}

/** Runs `fn` in one transaction on one client: committed if it returns, rolled back if it throws. */
export async function withTransaction<T>(pool: Pool, fn: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
