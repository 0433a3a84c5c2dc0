import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openEmbeddedPostgres } from '../../server/src/db/embedded.ts';
import { scratchDatabase } from '../../server/src/db/scratch.ts';
import { freePort } from '../../server/src/lib/ports.ts';
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
    const server = await openEmbeddedPostgres({ dataDir, port: await freePort(), log });
    adminUrl = server.url;
    stopServer = async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }
  const db = await scratchDatabase(adminUrl, log, { prefix: 'bench', poolSize });
  return {
    pool: db.pool,
    close: async () => {
      await db.drop();
      await stopServer();
    },
  };
}
