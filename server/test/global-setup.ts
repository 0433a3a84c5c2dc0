import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openEmbeddedPostgres } from '../src/db/embedded.ts';
import { freePort } from '../src/lib/ports.ts';
import { createLogger } from '../src/logger.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/**
 * One real PostgreSQL for the whole run (the same embedded server `npm start` uses, or the one
 * in TEST_DATABASE_URL); each test file makes its own database in it.
 */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('postgresUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  await import('node:fs').then((fs) => fs.mkdirSync('.tmp', { recursive: true }));
  const dataDir = await mkdtemp(path.resolve('.tmp/test-pg-'));
  const pg = await openEmbeddedPostgres({ dataDir, port: await freePort(), log: createLogger('warn') });
  project.provide('postgresUrl', pg.url);
  return async () => {
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
