import { Command, Option } from 'commander';
import { loadConfig } from './config.ts';
import { migrate } from './db/migrate.ts';
import { createPool, type Pool } from './db/pool.ts';
import { createDemo } from './demo.ts';
import { createApp, openApiDocument } from './http/app.ts';
import type { Role } from './http/context.ts';
import { createLogger } from './logger.ts';
import { coverageReport } from './modules/network/coverage-routes.ts';
import { createApiKey } from './modules/tenancy/service.ts';
import { openDatabase, run } from './server.ts';
import { createMetrics } from './system/metrics.ts';

/** One-shot commands: open the database (embedded or DATABASE_URL), migrate, work, close. */
async function withDatabase<T>(fn: (pool: Pool) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // One-shot commands log only problems: their output is for people and scripts.
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn', 'stderr');
  const db = await openDatabase(config, log);
  const pool = createPool(db.url, log, 4);
  try {
    await migrate(pool, log);
    return await fn(pool);
  } finally {
    await pool.end();
    await db.stop();
  }
}

const program = new Command('orderly')
  .description('Orderly: distributed order management')
  .showHelpAfterError();

program
  .command('start')
  .description('Start Orderly: embedded Postgres (unless DATABASE_URL), migrations, API, workers, dashboard')
  .option('--api-only', 'serve the API without running workflow workers (run `orderly worker` elsewhere)')
  .action((opts: { apiOnly?: boolean }) => run(opts.apiOnly ? 'api' : 'all'));

program
  .command('worker')
  .description('Run workflow workers only, sharing the database with API processes')
  .option('--executor-id <id>', 'stable id of this worker; a restarted worker resumes its workflows by it')
  .action((opts: { executorId?: string }) =>
    run('worker', opts.executorId ? { executorId: opts.executorId } : {}),
  );

program
  .command('migrate')
  .description('Apply database migrations and exit')
  .action(() =>
    withDatabase(async (pool) => {
      const { rows } = await pool.query<{ v: number }>(
        'select max(version) as v from orderly_system.schema_migrations',
      );
      console.log(`schema is at version ${rows[0]?.v ?? 0}`);
    }),
  );

program
  .command('demo')
  .description('Create the demo tenant with its locations, products and stock (does nothing if it exists)')
  .action(() =>
    withDatabase(async (pool) => {
      const demo = await createDemo(pool, { apiKey: loadConfig().bootstrapKey, withOrders: true });
      if (demo.created) console.log(`demo tenant ${demo.tenant_id} created; admin API key: ${demo.api_key}`);
      else console.log(`demo tenant ${demo.tenant_id} already exists`);
    }),
  );

program
  .command('coverage')
  .description('Share of US ZIP codes reachable within 1, 2 and 3 business days by ground')
  .requiredOption('--tenant <tenant_id>', 'tenant whose locations to measure', 'ten_demo')
  .option('--location-id <ids>', 'comma-separated location ids (default: every active location)')
  .action((opts: { tenant: string; locationId?: string }) =>
    withDatabase(async (pool) => {
      const ids = opts.locationId?.split(',').map((s) => s.trim());
      const report = await coverageReport(pool, opts.tenant, ids);
      const pct = (n: number) => `${(n * 100).toFixed(1)}%`.padStart(7);
      const row = (name: string, s: typeof report.overall) =>
        `${name.padEnd(32)}${pct(s.within_1_day)}${pct(s.within_2_days)}${pct(s.within_3_days)}${pct(s.unreachable)}`;
      console.log(`weight: ${report.weight.name} (${report.weight.total}); ${report.weight.description}`);
      console.log(
        `${'locations'.padEnd(32)}${'1 day'.padStart(7)}${'2 days'.padStart(7)}${'3 days'.padStart(7)}${'none'.padStart(7)}`,
      );
      for (const l of report.by_location) console.log(row(l.location_id, l.shares));
      console.log(row('all together', report.overall));
    }),
  );

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description('Create an API key and print only the key (for scripts)')
  .requiredOption('--tenant <tenant_id>', 'tenant the key belongs to', 'ten_demo')
  .addOption(
    new Option('--role <role>', 'role of the key').choices(['admin', 'manager', 'support']).default('admin'),
  )
  .option('--name <name>', 'a name to recognise the key by', 'created with the CLI')
  .action((opts: { tenant: string; role: Role; name: string }) =>
    withDatabase(async (pool) => {
      const exists = await pool.query('select 1 from tenants where tenant_id = $1', [opts.tenant]);
      if (!exists.rowCount)
        throw new Error(`No tenant ${opts.tenant}: run \`orderly demo\` or pass --tenant.`);
      const key = await createApiKey(
        pool,
        opts.tenant,
        { type: 'system', id: 'cli' },
        { name: opts.name, role: opts.role },
      );
      console.log(key.key);
    }),
  );

program
  .command('openapi')
  .description('Print the OpenAPI document (the SDK is generated from it)')
  .action(() => {
    const config = loadConfig();
    const log = createLogger('silent');
    // The document is built from route declarations alone: no database is opened.
    const pool = createPool('postgres://unused@127.0.0.1:1/unused', log, 1);
    const app = createApp({ config, log, pool, metrics: createMetrics() }, { inProcess: () => false });
    process.stdout.write(`${JSON.stringify(openApiDocument(app), null, 2)}\n`);
    void pool.end();
  });

program.parseAsync().catch((err: Error) => {
  console.error(`orderly: ${err.message}`);
  process.exit(1);
});
