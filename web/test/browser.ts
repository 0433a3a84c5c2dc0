import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../server/test/support.ts';

const DIST_INDEX = path.join(REPO_ROOT, 'web/dist/index.html');
const CHROMIUM = '/usr/bin/chromium';

export const ADMIN = { email: 'admin@demo.orderly.dev', password: 'orderly-demo-admin' };

/** Fails early and says how to fix it: skipping would hide a broken setup. */
export function requireBuildAndChromium() {
  // The server only serves the dashboard when the build exists.
  if (!existsSync(DIST_INDEX)) {
    throw new Error(`${DIST_INDEX} is missing: run \`npm run build --workspace web\` before this test.`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\`.`);
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Waits for the element to show, so a slow render fails with the locator's name, not a null. */
export async function shown(locator: Locator): Promise<Locator> {
  await locator.waitFor({ state: 'visible', timeout: 10_000 });
  return locator;
}

export const nav = (page: Page) => page.getByRole('navigation', { name: 'Sections' });

export async function signIn(page: Page, email: string, password: string) {
  await (await shown(page.getByLabel('Email'))).fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
