import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { type Config, loadConfig } from '../src/config.ts';
import type { Pool } from '../src/db/pool.ts';
import { withTransaction } from '../src/db/pool.ts';
import { scratchDatabase } from '../src/db/scratch.ts';
import { createApp, openApiDocument } from '../src/http/app.ts';
import type { Deps, Role } from '../src/http/context.ts';
import { freePort } from '../src/lib/ports.ts';
import { createLogger } from '../src/logger.ts';
import * as tenancy from '../src/modules/tenancy/service.ts';
import { createMetrics } from '../src/system/metrics.ts';

export { freePort };

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ORDERLY_BIN = path.join(REPO_ROOT, 'server/bin/orderly.js');
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** A new, migrated database in the test run's PostgreSQL; `drop` removes it. */
export const freshDatabase = () => scratchDatabase(inject('postgresUrl'), log, { prefix: 't' });

export type TestTenant = { tenant_id: string; keys: Record<Role, string> };

/** A tenant with one API key per role. */
export async function seedTenant(pool: Pool, name: string): Promise<TestTenant> {
  return withTransaction(pool, async (tx) => {
    const t = await tenancy.createTenant(tx, name);
    const actor = { type: 'system' as const, id: 'test' };
    const keys = {} as Record<Role, string>;
    for (const role of ['admin', 'manager', 'support'] as const) {
      keys[role] = (await tenancy.createApiKey(tx, t.tenant_id, actor, { name: `${role} key`, role })).key;
    }
    return { tenant_id: t.tenant_id, keys };
  });
}

type RequestOptions = { key?: string; body?: unknown; headers?: Record<string, string> };

/** The HTTP app in-process on a fresh database: requests go through app.request, no socket. */
export async function testApp(overrides: Partial<Config> = {}) {
  const db = await freshDatabase();
  return { ...testAppOn(db.pool, overrides), url: db.url, close: db.drop };
}

/** The HTTP app in-process on an existing pool. */
export function testAppOn(pool: Pool, overrides: Partial<Config> = {}) {
  const config: Config = { ...loadConfig({}), rateLimitPerSecond: 0, ...overrides };
  const deps: Deps = { config, pool, log, metrics: createMetrics() };
  deps.metrics.watchPool(pool);
  const app = createApp(deps, { inProcess: () => true });
  const request = async (method: string, url: string, opts: RequestOptions = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.request(url, { method, headers, body });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
  return { app, deps, pool, request };
}

/** `orderly …` as a real child process, its output kept for when a test fails. */
export function spawnOrderly(args: string[], env: Record<string, string>) {
  const proc = spawn(process.execPath, [ORDERLY_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ORDERLY_RATE_LIMIT_PER_S: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  proc.stdout?.on('data', (d) => {
    output += d;
    stdout += d;
  });
  proc.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, output: () => output, stdout: () => stdout, exited };
}

/** Polls /health until it answers 200, or fails with the process output. */
export async function waitForHealthy(
  baseUrl: string,
  proc: { output: () => string; proc: ChildProcess },
  timeout_ms = 60_000,
) {
  const deadline = Date.now() + timeout_ms;
  while (Date.now() < deadline) {
    if (proc.proc.exitCode !== null) throw new Error(`orderly exited early:\n${proc.output()}`);
    try {
      const res = await fetch(`${baseUrl}/health`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`orderly did not become healthy in ${timeout_ms} ms:\n${proc.output()}`);
}

/** A full `orderly start` on a fresh database and a free port, for end-to-end tests. */
export async function startServer(env: Record<string, string> = {}) {
  const db = await freshDatabase();
  const port = await freePort();
  const bootstrapKey = `ok_test_${randomBytes(16).toString('hex')}`;
  const child = spawnOrderly(['start'], {
    DATABASE_URL: db.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    ORDERLY_BOOTSTRAP_KEY: bootstrapKey,
    ORDERLY_EXECUTOR_ID: `test-${port}`,
    ...env,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealthy(baseUrl, child);
  return {
    baseUrl,
    apiKey: bootstrapKey,
    pool: db.pool,
    child,
    stop: async () => {
      child.proc.kill('SIGTERM');
      await child.exited;
      await db.drop();
    },
  };
}

/** Every operation the app declares, with the role it requires (`x-required-role`). */
export function operations(app: ReturnType<typeof createApp>) {
  const doc = openApiDocument(app) as unknown as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      role: op['x-required-role'] as Role | 'public' | undefined,
    })),
  );
}
