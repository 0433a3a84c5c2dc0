import { readFileSync, writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { loadConfig } from './config.ts';
import { migrate } from './db/migrate.ts';
import { createPool, type Pool } from './db/pool.ts';
import { createDemo } from './demo.ts';
import { createApp, openApiDocument } from './http/app.ts';
import type { Role } from './http/context.ts';
import { createLogger } from './logger.ts';
import { coverageReport } from './modules/network/coverage-routes.ts';
import { PRESETS, type PresetName, presetPolicy } from './modules/sourcing/policy.ts';
import { formatReport, simulate } from './modules/sourcing/simulate.ts';
import {
  describeIssues,
  NetworkFileSchema,
  networkFromFile,
  parseOrdersNdjson,
} from './modules/sourcing/simulate-files.ts';
import { generateOrders, sampleNetwork, toNdjson } from './modules/sourcing/simulate-generate.ts';
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
  .enablePositionalOptions()
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
  .description('Share of the US population reachable within 1, 2 and 3 business days by ground')
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

const wholeNumber = (name: string, min: number) => (raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${name} must be a whole number ≥ ${min}, not ${raw}.`);
  return n;
};

const simulateCommand = program
  .command('simulate')
  .description(
    'Replay an orders file (NDJSON) through a network file (JSON) with the real planner and a ' +
      'simulated stock; print the report. Needs no database.',
  )
  .option('--orders <file>', 'orders, one JSON object per line, oldest first')
  .option('--network <file>', 'network: locations, services, SKU weights, stock, replenishment')
  .addOption(new Option('--policy <preset>', 'sourcing preset').choices(PRESETS).default('balanced'))
  .option('--json', 'print the report as JSON instead of a table')
  // `simulate generate --orders N`: the subcommand's --orders, not this one's.
  .enablePositionalOptions()
  .action((opts: { orders?: string; network?: string; policy: PresetName; json?: boolean }) => {
    if (!opts.orders || !opts.network)
      throw new Error('simulate needs --orders FILE and --network FILE (or: orderly simulate generate).');
    const networkJson = JSON.parse(readFileSync(opts.network, 'utf8')) as unknown;
    const parsedNetwork = NetworkFileSchema.safeParse(networkJson);
    if (!parsedNetwork.success)
      throw new Error(
        `invalid network file:\n  ${describeIssues(parsedNetwork.error, opts.network).join('\n  ')}`,
      );
    const { orders, errors } = parseOrdersNdjson(readFileSync(opts.orders, 'utf8'));
    if (errors.length > 0) throw new Error(`invalid orders file ${opts.orders}:\n  ${errors.join('\n  ')}`);
    const network = networkFromFile(parsedNetwork.data);
    // The bar draws only on a terminal (stderr), so piped output and tests see the report alone.
    const bar = new cliProgress.SingleBar(
      {
        format: 'simulating [{bar}] {percentage}% | {value}/{total} orders | {eta}s left',
        etaBuffer: 2000,
      },
      cliProgress.Presets.shades_classic,
    );
    const showBar = orders.length >= 1000 && process.stderr.isTTY;
    if (showBar) bar.start(orders.length, 0);
    const report = simulate({ ...network, policy: presetPolicy(opts.policy) }, orders, {
      onProgress: (done) => showBar && bar.update(done),
      progress_every: 200,
    });
    if (showBar) bar.stop();
    console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
  });

simulateCommand
  .command('generate')
  .description(
    'Write a deterministic orders file: destinations by population, ' +
      'Zipf-like SKU popularity (s = 1.1), 1-3 lines per order',
  )
  .requiredOption('--orders <n>', 'number of orders', wholeNumber('--orders', 1))
  .option('--skus <k>', 'catalog size', wholeNumber('--skus', 1), 500)
  .option('--days <d>', 'days the timestamps spread over', wholeNumber('--days', 1), 7)
  .option('--seed <s>', 'random seed', wholeNumber('--seed', 0), 1)
  .option('--start <iso>', 'first possible timestamp', '2026-11-02T00:00:00.000Z')
  .requiredOption('--out <file>', 'the orders file to write (NDJSON)')
  .option('--network-out <file>', 'also write a sample network (the demo network) stocked for these orders')
  .action(
    (opts: {
      orders: number;
      skus: number;
      days: number;
      seed: number;
      start: string;
      out: string;
      networkOut?: string;
    }) => {
      if (Number.isNaN(Date.parse(opts.start))) throw new Error(`--start is not a date-time: ${opts.start}`);
      const options = {
        orders: opts.orders,
        skus: opts.skus,
        days: opts.days,
        seed: opts.seed,
        start: opts.start,
      };
      writeFileSync(opts.out, toNdjson(generateOrders(options)));
      console.log(`wrote ${opts.orders} orders to ${opts.out}`);
      if (opts.networkOut) {
        writeFileSync(opts.networkOut, `${JSON.stringify(sampleNetwork(options), null, 2)}\n`);
        console.log(`wrote a sample network to ${opts.networkOut}`);
      }
    },
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
