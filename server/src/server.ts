import { createServer } from 'node:net';
import { serve } from '@hono/node-server';
import { type Config, loadConfig } from './config.ts';
import { openEmbeddedPostgres } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { createPool, type Pool } from './db/pool.ts';
import { createDemo, DEMO_ADMIN, DEMO_TENANT_ID, hasAnyTenant } from './demo.ts';
import { createApp } from './http/app.ts';
import type { Deps } from './http/context.ts';
import { createLogger, type Logger } from './logger.ts';
import { stopStreams } from './modules/events/stream.ts';
import { ensureApiKey } from './modules/tenancy/service.ts';
import { createMetrics } from './system/metrics.ts';
import { startWorkers } from './workflows/runtime.ts';

export type Mode = 'all' | 'api' | 'worker';

/** Fails fast, in one line, when the port is taken, before Postgres or anything else starts. */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `Port ${port} is already in use: stop the other process or set PORT to another port.`
            : `Cannot listen on ${host}:${port}: ${err.message}`,
        ),
      ),
    );
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** The database to use: DATABASE_URL if set, otherwise the embedded one (started here). */
export async function openDatabase(config: Config, log: Logger) {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  const pg = await openEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, log });
  return { url: pg.url, embedded: true, stop: pg.stop };
}

async function bootstrap(pool: Pool, config: Config, log: Logger, embedded: boolean) {
  if (config.demo && embedded && !(await hasAnyTenant(pool))) {
    const demo = await createDemo(pool, { apiKey: config.bootstrapKey, withOrders: true });
    if (demo.created) log.info({ tenant_id: demo.tenant_id }, 'demo tenant created');
    return demo.created ? demo.api_key : undefined;
  }
  if (config.bootstrapKey) {
    // Not the first start of an embedded demo: the key needs a tenant, not made-up stock.
    if (!(await hasAnyTenant(pool)))
      await createDemo(pool, { apiKey: config.bootstrapKey, withNetwork: false });
    else
      await ensureApiKey(pool, DEMO_TENANT_ID, config.bootstrapKey, 'bootstrap key (ORDERLY_BOOTSTRAP_KEY)');
    return config.bootstrapKey;
  }
  return undefined;
}

/** Starts Orderly: the whole thing (`all`), API processes only (`api`), or a worker (`worker`). */
export async function run(mode: Mode, overrides: Partial<Config> = {}) {
  const config = { ...loadConfig(), ...overrides };
  const log = createLogger(config.logLevel);
  const serveHttp = mode !== 'worker';
  if (serveHttp) await assertPortFree(config.host, config.port);

  const db = await openDatabase(config, log);
  const pool = createPool(db.url, log);
  const metrics = createMetrics();
  metrics.watchPool(pool);
  metrics.watchWorkflows(pool);
  const deps: Deps = { config, pool, log, metrics };
  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    for (const stop of stops.reverse())
      await stop().catch((err) => log.error({ err }, 'shutdown step failed'));
    await pool.end().catch(() => undefined);
    await db.stop().catch((err) => log.error({ err }, 'stopping PostgreSQL failed'));
    log.info('stopped');
    process.exit(exitCode);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(signal));

  try {
    const { applied } = await migrate(pool, log);
    log.info({ applied }, 'schema is current');
    const newKey = mode === 'worker' ? undefined : await bootstrap(pool, config, log, db.embedded);

    let workers = { running: () => false };
    if (mode !== 'api') {
      const w = await startWorkers(deps, db.url, {
        executorId: config.executorId ?? (mode === 'worker' ? 'worker' : 'local'),
        role: mode,
      });
      workers = w;
      stops.push(w.stop);
    }
    if (serveHttp) {
      const app = createApp(deps, { inProcess: workers.running });
      const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', reject);
      });
      stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      // Runs before the server closes (stops run in reverse): open event streams would hold it open.
      stops.push(() => stopStreams(pool));
      const url = `http://localhost:${config.port}`;
      log.info({ url }, 'Orderly is up');
      announce(url, newKey);
    }
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'start-up failed');
    await shutdown('start-up failure', 1);
  }
}

/** What a person needs after `npm start`, on stderr so it stands apart from the JSON logs. */
function announce(url: string, apiKey: string | undefined) {
  const lines = [
    '',
    `  Orderly is running at ${url}`,
    `  Dashboard   ${url}/            (sign in as ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password})`,
    `  API docs    ${url}/docs`,
    `  Health      ${url}/health      Metrics ${url}/metrics`,
    apiKey ? `  API key     ${apiKey}` : '  API key     create one with: npx orderly keys create',
    '',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}
