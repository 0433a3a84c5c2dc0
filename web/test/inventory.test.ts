import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startServer } from '../../server/test/support.ts';
import { ADMIN, launchChromium, nav, requireBuildAndChromium, shown, signIn } from './browser.ts';

const SCREENSHOTS = path.join(REPO_ROOT, '.tmp');

// SKUs that sort before and after anything a demo catalog holds, so the first page shows ours.
const LANTERN = 'AAA-TEST-LANTERN';
const STOVE = 'AAA-TEST-STOVE';
const BULK = Array.from({ length: 52 }, (_, i) => `ZZ-TEST-BULK-${String(i + 1).padStart(2, '0')}`);
const CSV_HEADER =
  'sku,location_id,available,reserved,safety,quarantine,damaged,incoming,on_hand,safety_target,updated_at';

const WEEKDAYS = (time: string, days = ['mon', 'tue', 'wed', 'thu', 'fri']) =>
  Object.fromEntries(days.map((d) => [d, time]));

const LOCATIONS = {
  portland: {
    name: 'Test DC Portland',
    type: 'warehouse',
    address: {
      line1: '1 Test Dock Way',
      city: 'Portland',
      region: 'OR',
      postal_code: '97218',
      country: 'US',
    },
    cutoffs: WEEKDAYS('14:00'),
    daily_order_capacity: 800,
  },
  austin: {
    name: 'Test Store Austin',
    type: 'store',
    address: { line1: '2 Congress Ave', city: 'Austin', region: 'TX', postal_code: '78701', country: 'US' },
    cutoffs: WEEKDAYS('16:00', ['mon', 'tue', 'wed', 'thu', 'fri', 'sat']),
  },
  columbus: {
    name: 'Test 3PL Columbus',
    type: '3pl',
    address: { line1: '3 High Street', city: 'Columbus', region: 'OH', postal_code: '43215', country: 'US' },
    cutoffs: WEEKDAYS('13:00'),
    active: false,
  },
};

/** Whether every table on the page fits its card, with no sideways scrolling, at this viewport. */
const tablesFit = (page: Page) =>
  page.locator('.table-wrap').evaluateAll((wraps) => wraps.every((w) => w.scrollWidth <= w.clientWidth));

/** The cell of `row` under the column headed `header`, so the test does not count columns. */
async function cell(table: Locator, row: Locator, header: string): Promise<Locator> {
  const headers = (await table.locator('thead th').allTextContents()).map((h) => h.trim());
  const index = headers.indexOf(header);
  if (index < 0) throw new Error(`No column "${header}" in ${headers.join(' | ')}`);
  return row.locator('td').nth(index);
}

describe('inventory and network pages in a real browser', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const ids: Record<keyof typeof LOCATIONS, string> = { portland: '', austin: '', columbus: '' };
  /** Whether the tenant had stock before this test added any (a demo network, say). */
  let hadStock = false;

  async function call(method: string, url: string, body?: unknown) {
    const res = await fetch(`${server.baseUrl}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${server.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  const product = (sku: string, name: string) =>
    call('POST', '/v1/products', { sku, name, weight_lb: 2.5, unit_cost: 12, price: 29.5 });
  const adjust = (sku: string, location_id: string, reason: string, quantity: number) =>
    call('POST', '/v1/inventory/adjustments', { sku, location_id, reason, quantity });

  const balances = () => page.getByRole('table', { name: 'Balances by SKU and location' });
  const balanceRows = () => balances().locator('tbody tr');

  beforeAll(async () => {
    requireBuildAndChromium();
    server = await startServer();
    browser = await launchChromium();
    const context = await browser.newContext({
      baseURL: server.baseUrl,
      viewport: { width: 1280, height: 800 },
    });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    hadStock = (await call('GET', '/v1/inventory?limit=1')).data.length > 0;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('says so when there is no stock and no location yet', async (ctx) => {
    await page.goto('/#/inventory');
    await signIn(page, ADMIN.email, ADMIN.password);
    await shown(page.getByRole('heading', { name: 'Inventory', level: 1 }));
    // A server that seeds a demo network has stock before this test adds any: nothing to check then.
    if (hadStock) ctx.skip();
    await shown(page.getByText('No stock yet — add some with POST /v1/inventory/adjustments'));
    await nav(page).getByRole('link', { name: 'Network' }).click();
    await shown(page.getByText('No locations yet', { exact: false }));
  });

  it('lists balances with location names and the available number', async () => {
    for (const [key, input] of Object.entries(LOCATIONS)) {
      ids[key as keyof typeof LOCATIONS] = (await call('POST', '/v1/locations', input)).location_id;
    }
    await product(LANTERN, 'Test camping lantern');
    await product(STOVE, 'Test camping stove');
    await adjust(LANTERN, ids.portland, 'found', 12);
    await adjust(LANTERN, ids.austin, 'found', 5);
    await adjust(STOVE, ids.portland, 'found', 7);
    await call('POST', '/v1/inventory/reservations', {
      lines: [{ sku: LANTERN, location_id: ids.portland, quantity: 2 }],
      reference: 'order-1001',
    });
    await adjust(LANTERN, ids.portland, 'damaged', 1);
    // Enough rows at one location for a second page (50 to a page).
    for (let i = 0; i < BULK.length; i += 13) {
      await Promise.all(
        BULK.slice(i, i + 13).map(async (sku) => {
          await product(sku, `Bulk test item ${sku}`);
          await adjust(sku, ids.austin, 'found', 1);
        }),
      );
    }

    // From another section, so the page loads what was just created.
    await page.goto('/#/overview');
    await nav(page).getByRole('link', { name: 'Inventory' }).click();
    const table = await shown(balances());
    const row = balanceRows().filter({ hasText: LANTERN }).filter({ hasText: 'Test DC Portland' });
    await shown(row);
    // Portland: 12 found, 2 reserved, 1 damaged.
    expect(await (await cell(table, row, 'Available')).textContent()).toBe('9');
    expect(await (await cell(table, row, 'Reserved')).textContent()).toBe('2');
    expect(await (await cell(table, row, 'Damaged')).textContent()).toBe('1');
    expect(await (await cell(table, row, 'On hand')).textContent()).toBe('12');
    expect(await (await cell(table, row, 'Location')).textContent()).toBe('Test DC Portland');
    expect(await row.textContent()).not.toContain(ids.portland);
    // The bar has a segment per non-empty bucket: available, reserved, damaged.
    expect(await row.locator('.stockbar .seg').count()).toBe(3);
  });

  it('narrows the table to the SKUs typed in the filter', async () => {
    const skus = page.getByLabel('SKUs');
    await skus.fill(STOVE);
    await skus.press('Enter');
    await expect.poll(() => balanceRows().count()).toBe(1);
    expect(await balanceRows().first().textContent()).toContain(STOVE);

    await skus.fill(`${LANTERN}, ${STOVE}`);
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect.poll(() => balanceRows().count()).toBe(3);
    const shownSkus = await balanceRows().locator('td:first-child').allTextContents();
    expect(shownSkus).toEqual([LANTERN, LANTERN, STOVE]);

    expect(await tablesFit(page)).toBe(true);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'inventory.png'), fullPage: true });
  });

  it('downloads the filtered balances as CSV with the session cookie', async () => {
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    expect(href).toBe(`/v1/inventory?format=csv&sku=${encodeURIComponent(`${LANTERN},${STOVE}`)}`);
    const download = await page.evaluate(async (url) => {
      const res = await fetch(url);
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    }, href!);
    expect(download.status).toBe(200);
    expect(download.type).toContain('text/csv');
    const lines = download.text.trim().split(/\r?\n/);
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines).toHaveLength(4);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${LANTERN},${ids.portland},9,2,0,0,1,0,12,`)),
    );
  });

  it('filters by location and pages with Load more', async () => {
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => page.getByLabel('SKUs').inputValue()).toBe('');
    await page.getByRole('checkbox', { name: 'Test Store Austin' }).check();
    // The lantern and 52 bulk items at Austin: a full first page, then the rest.
    await expect.poll(async () => (await balances().textContent())?.includes('Test DC Portland')).toBe(false);
    await expect.poll(() => balanceRows().count()).toBe(50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => balanceRows().count()).toBe(53);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    expect(href).toBe(`/v1/inventory?format=csv&location_id=${ids.austin}`);
    await page.getByRole('checkbox', { name: 'Test Store Austin' }).uncheck();
  });

  it('opens a SKU with its locations and the movements that explain its numbers', async () => {
    await balanceRows().getByRole('link', { name: LANTERN }).first().click();
    await shown(page.getByRole('heading', { name: LANTERN, level: 2 }));
    expect(page.url()).toMatch(new RegExp(`#/inventory/${LANTERN}$`));

    const totals = page.locator('.totals');
    expect(await totals.locator('div', { hasText: 'Available' }).locator('dd').textContent()).toBe('14');
    expect(await totals.locator('div', { hasText: 'On hand' }).locator('dd').textContent()).toBe('17');

    const byLocation = page.getByRole('table', { name: 'By location' });
    const portland = byLocation.locator('tbody tr', { hasText: 'Test DC Portland' });
    expect(await (await cell(byLocation, portland, 'Type')).textContent()).toBe('Warehouse');
    expect(await (await cell(byLocation, portland, 'Available')).textContent()).toBe('9');
    const austin = byLocation.locator('tbody tr', { hasText: 'Test Store Austin' });
    expect(await (await cell(byLocation, austin, 'Type')).textContent()).toBe('Store');

    // Newest first: damaged, reserved, found at Austin, found at Portland; each with what was left after.
    const items = page.locator('ol.movements > li');
    await expect.poll(() => items.count()).toBe(4);
    const movements = [];
    for (const item of await items.all()) {
      const text = async (selector: string) => (await item.locator(selector).textContent())?.trim();
      movements.push({
        change: await text('.change'),
        why: (await text('.movement-why'))?.replace(/\s+/g, ' '),
        cause: await text('.cause'),
        after: await text('.after'),
      });
    }
    expect(movements.map((m) => [m.change, m.cause, m.after])).toEqual([
      ['−1 available → damaged', 'adjustment (damaged)', '9 available'],
      ['−2 available → reserved', 'reservation', '10 available'],
      ['+5 available', 'adjustment (found)', '5 available'],
      ['+12 available', 'adjustment (found)', '12 available'],
    ]);
    expect(movements[0]!.why).toMatch(/^adjustment \(damaged\) · Test DC Portland · by API key · /);
    expect(movements[1]!.why).toMatch(/^reservation res_\S+ · Test DC Portland · /);
    expect(movements[2]!.why).toContain('Test Store Austin');

    expect(await tablesFit(page)).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'inventory-sku.png'), fullPage: true });
  });

  it("shows the server's problem detail for a SKU it does not know", async () => {
    const res = await fetch(`${server.baseUrl}/v1/inventory/NO-SUCH-SKU`, {
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    expect(res.status).toBe(404);
    const { detail } = (await res.json()) as { detail: string };
    await page.goto('/#/inventory/NO-SUCH-SKU');
    const alert = await shown(page.getByRole('alert'));
    expect(await alert.textContent()).toContain(detail);
    await page.getByRole('link', { name: '← All inventory' }).click();
    await shown(balances());
  });

  it('lists locations and draws each one as a dot on the map', async () => {
    await nav(page).getByRole('link', { name: 'Network' }).click();
    const table = await shown(page.getByRole('table', { name: /^Locations/ }));
    const portland = table.locator('tbody tr', { hasText: 'Test DC Portland' });
    await shown(portland);
    expect(await (await cell(table, portland, 'Type')).textContent()).toBe('Warehouse');
    expect(await (await cell(table, portland, 'City')).textContent()).toBe('Portland, OR');
    expect(await (await cell(table, portland, 'Time zone')).textContent()).toBe('America/Los_Angeles');
    expect(await (await cell(table, portland, 'Status')).textContent()).toBe('Active');
    const cutoff = await (await cell(table, portland, 'Cut-off today')).textContent();
    expect(cutoff).toMatch(/^14:00( · passed)?$|^No shipping today$/);
    const columbus = table.locator('tbody tr', { hasText: 'Test 3PL Columbus' });
    expect(await (await cell(table, columbus, 'Status')).textContent()).toBe('Inactive');

    const map = page.getByRole('img', { name: 'Map of locations in the contiguous United States' });
    await shown(map);
    const dot = (key: keyof typeof LOCATIONS) => map.locator(`g[data-location-id="${ids[key]}"]`);
    expect(await dot('portland').locator('circle').count()).toBe(1);
    expect(await dot('portland').locator('title').textContent()).toContain('Test DC Portland · Warehouse');
    expect(await dot('columbus').getAttribute('class')).toContain('inactive');
    // West is left and north is up.
    const at = async (key: keyof typeof LOCATIONS) => {
      const c = dot(key).locator('circle');
      return { x: Number(await c.getAttribute('cx')), y: Number(await c.getAttribute('cy')) };
    };
    const [pdx, atx, cmh] = [await at('portland'), await at('austin'), await at('columbus')];
    expect(pdx.x).toBeLessThan(atx.x);
    expect(atx.x).toBeLessThan(cmh.x);
    expect(pdx.y).toBeLessThan(atx.y);
    const box = (await map.getAttribute('viewBox'))!.split(' ').map(Number);
    for (const p of [pdx, atx, cmh]) {
      expect(p.x).toBeGreaterThan(0);
      expect(p.x).toBeLessThan(box[2]!);
      expect(p.y).toBeGreaterThan(0);
      expect(p.y).toBeLessThan(box[3]!);
    }

    expect(await tablesFit(page)).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'network.png'), fullPage: true });
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
