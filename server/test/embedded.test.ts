import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT, spawnOrderly, waitForHealthy } from './support.ts';

// These start the real embedded PostgreSQL the way `npm start` does, in a data folder of their own.
let dataDir: string;
let pgPort: number;
let port: number;
const bootstrapKey = 'ok_embedded_test_key_0123456789';
const env = () => ({
  ORDERLY_DATA_DIR: dataDir,
  ORDERLY_PG_PORT: String(pgPort),
  PORT: String(port),
  HOST: '127.0.0.1',
  ORDERLY_BOOTSTRAP_KEY: bootstrapKey,
  DATABASE_URL: '',
});

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(REPO_ROOT, '.tmp', 'embedded-'));
  pgPort = await freePort();
  port = await freePort();
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('embedded PostgreSQL', () => {
  it('starts from nothing, survives kill -9 of the server, and stops cleanly on SIGTERM', async () => {
    const base = `http://127.0.0.1:${port}`;
    const first = spawnOrderly(['start'], env());
    await waitForHealthy(base, first);
    const me = await fetch(`${base}/v1/auth/me`, { headers: { authorization: `Bearer ${bootstrapKey}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as any).tenant.name).toBe('Demo Outfitters');

    // kill -9: Node dies at once, its postmaster is orphaned and still holds the data folder.
    const postmasterPid = Number(
      (await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0],
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(isAlive(postmasterPid)).toBe(true);

    const second = spawnOrderly(['start'], env());
    await waitForHealthy(base, second);
    // Same data: the demo tenant and its key are still there, and no second demo was made.
    const again = await fetch(`${base}/v1/auth/me`, { headers: { authorization: `Bearer ${bootstrapKey}` } });
    expect(again.status).toBe(200);
    expect(second.output()).toContain('stopping a PostgreSQL left running by an earlier process');

    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    expect(second.output()).toContain('"msg":"stopped"');
  });

  it('refuses a port in use with one clear line', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const child = spawnOrderly(['start'], env());
      expect(await child.exited).toBe(1);
      const lines = child.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`Port ${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('lets one-shot commands share the database of a running server', async () => {
    const base = `http://127.0.0.1:${port}`;
    const server = spawnOrderly(['start'], env());
    await waitForHealthy(base, server);
    try {
      const cli = spawnOrderly(['keys', 'create', '--role', 'support', '--name', 'from the cli'], env());
      expect(await cli.exited).toBe(0);
      const key = cli.stdout().trim();
      expect(key).toMatch(/^ok_[\w-]{40,}$/);
      const me = await fetch(`${base}/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } });
      expect(((await me.json()) as any).role).toBe('support');
      // The server's Postgres is still up after the command closed its connection.
      expect((await fetch(`${base}/health`)).status).toBe(200);
    } finally {
      server.proc.kill('SIGTERM');
      await server.exited;
    }
  });
});
