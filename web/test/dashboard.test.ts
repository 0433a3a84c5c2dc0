import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startServer } from '../../server/test/support.ts';
import { ADMIN, launchChromium, nav, requireBuildAndChromium, shown, signIn } from './browser.ts';

const SCREENSHOT = path.join(REPO_ROOT, '.tmp/dashboard.png');

describe('dashboard in a real browser', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    requireBuildAndChromium();
    server = await startServer();
    browser = await launchChromium();
    context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the sign-in form when there is no session', async () => {
    await page.goto('/');
    await shown(page.getByRole('heading', { name: 'Sign in' }));
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  });

  it("shows the server's problem detail for a wrong password and stays on sign-in", async () => {
    // The page must show what the API said, whatever its wording.
    const res = await fetch(`${server.baseUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN.email, password: 'not-the-password' }),
    });
    expect(res.status).toBe(401);
    const { detail } = (await res.json()) as { detail: string };
    expect(detail).toBeTruthy();

    await signIn(page, ADMIN.email, 'not-the-password');
    const alert = await shown(page.getByRole('alert'));
    expect(await alert.textContent()).toContain(detail);
    expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  });

  it('signs in with the right password and shows the shell with tenant, user and role', async () => {
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const header = await shown(page.getByRole('banner'));
    await shown(header.getByRole('button', { name: 'Sign out' }));
    const text = await header.textContent();
    expect(text).toContain('Demo Outfitters');
    expect(text).toContain('Demo Admin');
    expect(text).toContain(ADMIN.email);
    expect(text).toContain('admin');
    const labels = await nav(page).getByRole('link').allTextContents();
    expect(labels).toEqual([
      'Overview',
      'Orders',
      'Inventory',
      'Network',
      'Integrations',
      'Webhooks',
      'Analytics',
      'Users & keys',
    ]);
    // The session is a cookie page scripts cannot read.
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'orderly_session')?.httpOnly).toBe(true);
  });

  it('shows health checks and the API docs link on the overview', async () => {
    await shown(page.getByText('All systems ready'));
    for (const check of ['Database', 'Schema migrations', 'Workflow workers']) {
      await shown(page.getByRole('listitem').filter({ hasText: check }));
    }
    const docs = page.getByRole('link', { name: 'API documentation' });
    expect(await docs.getAttribute('href')).toBe('/docs');
    expect((await fetch(`${server.baseUrl}/docs`)).status).toBe(200);
  });

  it('shows an honest empty state for a section that is not built yet', async () => {
    await nav(page).getByRole('link', { name: 'Integrations' }).click();
    await shown(page.getByRole('heading', { name: 'Integrations', level: 1 }));
    await shown(page.getByText('Sales channels and other connected systems arrive', { exact: false }));
    expect(await page.getByRole('table').count()).toBe(0);
  });

  it("lists the tenant's users and API keys under Users & keys", async () => {
    await nav(page).getByRole('link', { name: 'Users & keys' }).click();
    const users = await shown(page.getByRole('table').first());
    await shown(users.getByRole('cell', { name: ADMIN.email }));
    const keys = page.getByRole('table').nth(1);
    await shown(keys.getByRole('cell', { name: 'demo admin key' }));
    expect(page.url()).toMatch(/#\/users$/);
    const current = nav(page).getByRole('link', { name: 'Users & keys' });
    expect(await current.getAttribute('aria-current')).toBe('page');

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('keeps the session and the section across a reload', async () => {
    await page.reload();
    await shown(page.getByRole('button', { name: 'Sign out' }));
    expect(await page.getByRole('banner').textContent()).toContain('Demo Outfitters');
    await shown(page.getByRole('cell', { name: ADMIN.email }));
  });

  it('signs out back to the sign-in form, and the session is gone on the server', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await shown(page.getByRole('heading', { name: 'Sign in' }));
    const status = await page.evaluate(async () => (await fetch('/v1/auth/me')).status);
    expect(status).toBe(401);
    await page.reload();
    await shown(page.getByRole('heading', { name: 'Sign in' }));
  });

  it("tells a non-admin that their role can't see users and keys", async () => {
    const res = await fetch(`${server.baseUrl}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'support@demo.orderly.dev',
        name: 'Sam Support',
        role: 'support',
        password: 'support-password-1',
      }),
    });
    expect(res.status).toBe(201);

    await signIn(page, 'support@demo.orderly.dev', 'support-password-1');
    await shown(page.getByRole('button', { name: 'Sign out' }));
    expect(await page.getByRole('banner').textContent()).toContain('support');
    await nav(page).getByRole('link', { name: 'Users & keys' }).click();
    await shown(page.getByText("Your role (support) can't see users and API keys", { exact: false }));
    expect(await page.getByRole('table').count()).toBe(0);
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
