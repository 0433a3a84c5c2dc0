import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.ts';
import { migrate } from './migrate.ts';
import { createPool } from './pool.ts';

/**
 * A new, migrated database on the server behind `adminUrl`, for one test file or one benchmark
 * run; `drop` closes its pool and removes it.
 */
export async function scratchDatabase(
  adminUrl: string,
  log: Logger,
  opts: { prefix: string; poolSize?: number },
) {
  const name = `${opts.prefix}_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), log, opts.poolSize);
  await migrate(pool, log);
  return {
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}
