import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { openEmbeddedPostgres } from '../../server/src/db/embedded.ts';
import { migrate } from '../../server/src/db/migrate.ts';
import { createPool } from '../../server/src/db/pool.ts';
import { createLogger } from '../../server/src/logger.ts';

export const log = createLogger(process.env.LOG_LEVEL ?? 'warn', 'stderr');

/**
 * A fresh, migrated database for one benchmark run: in BENCH_DATABASE_URL's server if set,
 * otherwise in an embedded PostgreSQL started for the run (the same one `npm start` uses).
 */
export async function benchDatabase(poolSize: number) {
  let adminUrl = process.env.BENCH_DATABASE_URL;
  let stopServer = async () => {};
  if (!adminUrl) {
    const dataDir = path.resolve('.tmp', `bench-pg-${process.pid}`);
    mkdirSync(dataDir, { recursive: true });
    const port = 55000 + (process.pid % 5000);
    const server = await openEmbeddedPostgres({ dataDir, port, log });
    adminUrl = server.url;
    stopServer = async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }
  const name = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), log, poolSize);
  await migrate(pool, log);
  return {
    pool,
    close: async () => {
      await pool.end();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database ${name} with (force)`);
      await c.end();
      await stopServer();
    },
  };
}
