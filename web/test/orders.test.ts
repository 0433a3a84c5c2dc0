import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo } from '../../server/src/demo.ts';
import { freshDatabase, REPO_ROOT, startServer } from '../../server/test/support.ts';
import { ordersPath } from '../src/api.ts';
import { isLate, NO_ORDER_FILTER } from '../src/orders.ts';
import { ADMIN, launchChromium, nav, requireBuildAndChromium, shown, signIn } from './browser.ts';

const SCREENSHOTS = path.join(REPO_ROOT, '.tmp');
const NYC = { line1: '1 Main St', city: 'New York', region: 'NY', postal_code: '10001', country: 'US' };

type Line = { sku: string; quantity: number; unit_price: number };
type Customer = { name: string; email: string };

/** A capture body whose totals add up: no discount or tax, $5 shipping. */
function orderBody(channel: string, channelOrderId: string, customer: Customer, lines: Line[]) {
  const subtotal = lines.reduce((s, l) => s + l.unit_price * l.quantity, 0);
  return {
    channel,
    channel_order_id: channelOrderId,
    customer,
    shipping_address: { name: customer.name, ...NYC },
    lines: lines.map((l) => ({ ...l, discount: 0, tax: 0 })),
    totals: { subtotal, discount: 0, tax: 0, shipping: 5, total: subtotal + 5 },
  };
}

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

describe('order list query and late marking', () => {
  it('sends each filter as the API names it, days as local day bounds', () => {
    expect(ordersPath(NO_ORDER_FILTER)).toBe('/v1/orders');
    const from = new Date('2026-01-05T00:00:00').toISOString();
    const to = new Date('2026-01-08T00:00:00').toISOString();
    const query = new URLSearchParams(
      ordersPath({
        ...NO_ORDER_FILTER,
        statuses: ['shipped', 'delivered'],
        channel: 'web',
        q: '#1001',
        late: true,
        onHold: true,
        backordered: true,
        placedFrom: '2026-01-05',
        placedTo: '2026-01-07',
        sort: 'promised_delivery_date',
      }).split('?')[1],
    );
    expect(Object.fromEntries(query)).toEqual({
      status: 'shipped,delivered',
      channel: 'web',
      q: '#1001',
      late: 'true',
      on_hold: 'true',
      backordered: 'true',
      placed_from: from,
      placed_to: to,
      sort: 'promised_delivery_date',
    });
  });

  it('marks an order late after its promised day while units are still to ship', () => {
    const today = '2026-01-07';
    expect(isLate({ status: 'allocated', promised_delivery_date: '2026-01-06' }, today)).toBe(true);
    expect(isLate({ status: 'partially_shipped', promised_delivery_date: '2026-01-06' }, today)).toBe(true);
    expect(isLate({ status: 'shipped', promised_delivery_date: '2026-01-06' }, today)).toBe(false);
    expect(isLate({ status: 'allocated', promised_delivery_date: '2026-01-07' }, today)).toBe(false);
    expect(isLate({ status: 'delivered', promised_delivery_date: '2026-01-06' }, today)).toBe(false);
    expect(isLate({ status: 'cancelled', promised_delivery_date: '2026-01-06' }, today)).toBe(false);
    expect(isLate({ status: 'backordered', promised_delivery_date: null }, today)).toBe(false);
  });
});

describe('orders pages in a real browser', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let server: Awaited<ReturnType<typeof startServer>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const run = `${process.pid}`;
  /** The orders this test captures, by name: id and number. */
  const orders: Record<'grace' | 'alan' | 'ada', { order_id: string; order_number: number }> = {
    grace: { order_id: '', order_number: 0 },
    alan: { order_id: '', order_number: 0 },
    ada: { order_id: '', order_number: 0 },
  };

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
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }

  async function ok(method: string, url: string, body?: unknown) {
    const res = await call(method, url, body);
    if (res.status >= 300)
      throw new Error(`${method} ${url} answered ${res.status}: ${JSON.stringify(res.json)}`);
    return res.json;
  }

  const list = () => page.getByRole('table', { name: 'Orders' });
  const rows = () => list().locator('tbody tr');
  const rowOf = (key: keyof typeof orders) => rows().filter({ hasText: `#${orders[key].order_number}` });
  const actions = () => page.getByRole('region', { name: 'Actions' });
  const timeline = () => page.getByRole('region', { name: 'Timeline' });

  async function search(text: string) {
    await page.getByLabel('Search').fill(text);
    await page.getByLabel('Search').press('Enter');
  }

  beforeAll(async () => {
    requireBuildAndChromium();
    // The demo network, catalog and stock (no orders), so captured orders route somewhere; the
    // server finds the tenant there and installs its bootstrap key for it.
    db = await freshDatabase();
    await createDemo(db.pool);
    server = await startServer({ DATABASE_URL: db.url });
    browser = await launchChromium();
    const context = await browser.newContext({
      baseURL: server.baseUrl,
      viewport: { width: 1280, height: 800 },
    });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
  });

  it('says so when there are no orders yet', async () => {
    await page.goto('/#/orders');
    await signIn(page, ADMIN.email, ADMIN.password);
    await shown(page.getByRole('heading', { name: 'Orders', level: 1 }));
    await shown(page.getByText('No orders yet — they arrive from sales channels, or with POST /v1/orders'));
  });

  it('lists orders newest first with number, channel, customer, status and total', async () => {
    const people = {
      grace: { name: 'Grace Hopper', email: `grace-${run}@example.com` },
      alan: { name: 'Alan Turing', email: `alan-${run}@example.com` },
      ada: { name: 'Ada Lovelace', email: `ada-${run}@example.com` },
    };
    // One after another, so their numbers and placed times come in this order.
    for (const [key, body] of [
      [
        'ada',
        orderBody('web', `W-${run}-1`, people.ada, [{ sku: 'MUG-ENAMEL-WHT', quantity: 1, unit_price: 16 }]),
      ],
      [
        'alan',
        orderBody('marketplace', `M-${run}-1`, people.alan, [
          { sku: 'MUG-ENAMEL-WHT', quantity: 3, unit_price: 16 },
        ]),
      ],
      [
        'grace',
        orderBody('web', `W-${run}-2`, people.grace, [
          { sku: 'CANDLE-CEDAR', quantity: 2, unit_price: 26 },
          { sku: 'MUG-ENAMEL-WHT', quantity: 1, unit_price: 16 },
        ]),
      ],
    ] as const) {
      const order = await ok('POST', '/v1/orders', body);
      expect(order.status).toBe('allocated');
      orders[key] = order;
    }

    await page.goto('/#/overview');
    await nav(page).getByRole('link', { name: 'Orders' }).click();
    const table = await shown(list());
    await expect.poll(() => rows().count()).toBe(3);
    const numbers = await rows().locator('td:first-child').allTextContents();
    expect(numbers).toEqual([orders.grace, orders.alan, orders.ada].map((o) => `#${o.order_number}`));

    const grace = rowOf('grace');
    expect(await (await cell(table, grace, 'Customer')).textContent()).toBe('Grace Hopper');
    expect(await (await cell(table, grace, 'Channel')).textContent()).toBe('web');
    expect(await (await cell(table, grace, 'Status')).textContent()).toBe('Allocated');
    expect(await (await cell(table, grace, 'Total')).textContent()).toBe('$73.00');
    expect(await (await cell(table, grace, 'Promised')).textContent()).toMatch(/^\w{3}, \w{3} \d{1,2}$/);
    const badge = (await cell(table, grace, 'Status')).locator('.badge');
    expect(await badge.getAttribute('class')).toContain('status-open');
    expect(await tablesFit(page)).toBe(true);
  });

  it('filters by channel and status, and searches by number, email and SKU', async () => {
    const channel = page.getByLabel('Channel');
    await channel.fill('marketplace');
    await channel.press('Enter');
    await expect.poll(() => rows().allTextContents()).toEqual([expect.stringContaining('Alan Turing')]);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => rows().count()).toBe(3);

    await search(`#${orders.ada.order_number}`);
    await expect.poll(() => rows().allTextContents()).toEqual([expect.stringContaining('Ada Lovelace')]);
    await search(`alan-${run}@example.com`);
    await expect.poll(() => rows().allTextContents()).toEqual([expect.stringContaining('Alan Turing')]);
    await search('CANDLE-CEDAR');
    await expect.poll(() => rows().allTextContents()).toEqual([expect.stringContaining('Grace Hopper')]);
    await search('');

    await page.getByRole('checkbox', { name: 'Needs attention' }).check();
    await shown(page.getByText('No orders match these filters.'));
    expect(await rows().count()).toBe(0);
    await page.getByRole('checkbox', { name: 'Needs attention' }).uncheck();
    await page.getByRole('checkbox', { name: 'Open' }).check();
    await expect.poll(() => rows().count()).toBe(3);
    await page.getByRole('checkbox', { name: 'On hold' }).check();
    await shown(page.getByText('No orders match these filters.'));
    await page.getByRole('checkbox', { name: 'On hold' }).uncheck();
    await expect.poll(() => rows().count()).toBe(3);
  });

  it('downloads the filtered orders as CSV with the session cookie', async () => {
    const channel = page.getByLabel('Channel');
    await channel.fill('web');
    await channel.press('Enter');
    await expect.poll(() => rows().count()).toBe(2);
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    expect(href).toBe(
      `/v1/orders?format=csv&status=${encodeURIComponent('received,allocated,partially_allocated,in_fulfillment')}&channel=web`,
    );
    const download = await page.evaluate(async (url) => {
      const res = await fetch(url);
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    }, href!);
    expect(download.status).toBe(200);
    expect(download.type).toContain('text/csv');
    const lines = download.text.trim().split(/\r?\n/);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('order_number');
    expect(lines.slice(1).join('\n')).toContain(`W-${run}-2`);
    expect(download.text).not.toContain(`M-${run}-1`);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => rows().count()).toBe(3);
  });

  it('opens an order with its customer, lines, allocations, timeline and routing', async () => {
    await rowOf('grace').getByRole('link').click();
    await shown(page.getByRole('heading', { name: `Order #${orders.grace.order_number}`, level: 2 }));
    expect(page.url()).toMatch(new RegExp(`#/orders/${orders.grace.order_id}$`));
    const head = page.getByRole('region', { name: `Order #${orders.grace.order_number}` });
    expect(await head.textContent()).toContain('Grace Hopper');
    expect(await head.textContent()).toContain('New York, NY 10001');

    const lines = page.getByRole('table', { name: 'Lines' });
    const candle = lines.locator('tbody tr', { hasText: 'CANDLE-CEDAR' });
    expect(await (await cell(lines, candle, 'Ordered')).textContent()).toBe('2');
    expect(await (await cell(lines, candle, 'Allocated')).textContent()).toBe('2');
    expect(await (await cell(lines, candle, 'Backordered')).textContent()).toBe('0');
    // Where it is allocated, by name: the demo network's locations.
    const order = await ok('GET', `/v1/orders/${orders.grace.order_id}`);
    const locations = (await ok('GET', '/v1/locations?limit=200')).data as {
      location_id: string;
      name: string;
    }[];
    const at = order.lines[0].allocations[0].location_id as string;
    const where = await (await cell(lines, candle, 'Allocated at')).textContent();
    expect(where).toContain(`2 × ${locations.find((l) => l.location_id === at)!.name}`);
    expect(where).not.toContain(at);

    // Oldest first: received, routed, allocated.
    const events = timeline().locator('ol > li');
    await expect.poll(() => events.count()).toBe(3);
    const what = await events.locator('.what').allTextContents();
    expect(what[0]).toBe(`Received from web as W-${run}-2`);
    expect(what[1]).toMatch(/^Routed \(capture\): 3 units allocated at /);
    expect(what[2]).toBe('Status Received → Allocated');
    expect(await events.first().textContent()).toContain('by API key');

    const routing = (await ok('GET', `/v1/orders/${orders.grace.order_id}/routing`)).data;
    const routings = page.getByRole('region', { name: 'Routing' });
    expect(await routings.locator('.routing-head').first().textContent()).toContain('Routing 1 · capture');
    // The planner's words, with location names for its ids.
    const why = (routing[0].plan.explanation.why as string).replace(
      /\bloc_[0-9a-z]+\b/g,
      (id) => locations.find((l) => l.location_id === id)!.name,
    );
    expect(await routings.locator('.why').first().textContent()).toBe(why);

    expect(await tablesFit(page)).toBe(true);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'order-detail.png'), fullPage: true });
  });

  it('puts the order on hold with a reason, and the status and timeline follow', async () => {
    await actions().getByRole('button', { name: 'Hold…', exact: true }).click();
    await page.getByLabel('Reason for the hold').fill('Customer asked us to wait');
    await page.getByRole('button', { name: 'Put on hold' }).click();
    await shown(actions().getByRole('status').filter({ hasText: 'The order is on hold.' }));
    const head = page.getByRole('region', { name: `Order #${orders.grace.order_number}` });
    await expect.poll(() => head.locator('.badge.status').textContent()).toBe('On hold');
    expect(await head.textContent()).toContain('On hold: Customer asked us to wait');

    const events = timeline().locator('ol > li');
    await expect.poll(() => events.count()).toBe(5);
    const held = events.nth(3);
    expect(await held.locator('.what').textContent()).toBe('Put on hold');
    expect(await held.textContent()).toContain('by Demo Admin');
    expect(await held.locator('.note').textContent()).toBe('“Customer asked us to wait”');
    expect(await events.nth(4).locator('.what').textContent()).toBe('Status Allocated → On hold');
    expect((await ok('GET', `/v1/orders/${orders.grace.order_id}`)).on_hold).toBe(true);
    // Held: it can be released from the hold, not held again or sent to the warehouse.
    expect(await actions().getByRole('button', { name: 'Hold…', exact: true }).count()).toBe(0);
    expect(await actions().getByRole('button', { name: 'Release to fulfillment…' }).count()).toBe(0);
  });

  it("shows the server's 409 detail inline when the page was out of date", async () => {
    // Someone else releases the hold while this page still shows it held.
    const id = orders.grace.order_id;
    await ok('POST', `/v1/orders/${id}/release-hold`, { note: 'Released by the channel' });
    const refused = await call('POST', `/v1/orders/${id}/release-hold`, {});
    expect(refused.status).toBe(409);
    expect(refused.json.current_status).toBe('allocated');

    await actions().getByRole('button', { name: 'Release hold…' }).click();
    await page.getByRole('button', { name: 'Release hold', exact: true }).click();
    const alert = await shown(actions().getByRole('alert'));
    expect(await alert.textContent()).toBe(refused.json.detail);
    // And the page now shows the order as it is.
    const head = page.getByRole('region', { name: `Order #${orders.grace.order_number}` });
    await expect.poll(() => head.locator('.badge.status').textContent()).toBe('Allocated');
    await shown(actions().getByRole('button', { name: 'Hold…', exact: true }));
    await shown(timeline().getByText('“Released by the channel”'));
  });

  it('cancels one unit of a line with a reason', async () => {
    await actions().getByRole('button', { name: 'Cancel…' }).click();
    await page.getByLabel('What').selectOption({ label: 'Line 1 · CANDLE-CEDAR (2 open)' });
    await page.getByLabel('Quantity').fill('1');
    await page.getByLabel('Reason for cancelling').fill('Customer only wants one candle');
    await page.getByRole('button', { name: 'Cancel 1 of line 1' }).click();
    await shown(actions().getByRole('status').filter({ hasText: 'Cancelled.' }));

    const lines = page.getByRole('table', { name: 'Lines' });
    const candle = lines.locator('tbody tr', { hasText: 'CANDLE-CEDAR' });
    await expect.poll(async () => (await cell(lines, candle, 'Cancelled')).textContent()).toBe('1');
    expect(await (await cell(lines, candle, 'Allocated')).textContent()).toBe('1');
    const cancelled = timeline().locator('ol > li', { hasText: 'Cancelled' });
    expect(await cancelled.locator('.what').textContent()).toBe(
      'Cancelled 1 unit of line 1; refund due $26.00',
    );
    expect(await cancelled.locator('.note').textContent()).toBe('“Customer only wants one candle”');
    const head = page.getByRole('region', { name: `Order #${orders.grace.order_number}` });
    expect(await head.textContent()).toContain('$47.00');
    expect(await head.textContent()).toContain('Refund due $26.00');

    // The last candle is cancelled elsewhere while this page offers it: the server refuses, and says why.
    const id = orders.grace.order_id;
    const reason = 'Out of stock at the channel';
    await ok('POST', `/v1/orders/${id}/cancel`, { reason, lines: [{ line_no: 1, quantity: 1 }] });
    const refused = await call('POST', `/v1/orders/${id}/cancel`, {
      reason,
      lines: [{ line_no: 1, quantity: 1 }],
    });
    expect(refused.status).toBe(409);
    await actions().getByRole('button', { name: 'Cancel…' }).click();
    await page.getByLabel('What').selectOption({ label: 'Line 1 · CANDLE-CEDAR (1 open)' });
    await page.getByLabel('Reason for cancelling').fill(reason);
    await page.getByRole('button', { name: 'Cancel 1 of line 1' }).click();
    const alert = await shown(actions().getByRole('alert'));
    expect(await alert.textContent()).toBe(refused.json.detail);
    await expect.poll(async () => (await cell(lines, candle, 'Cancelled')).textContent()).toBe('2');
  });

  it('adds a note to the timeline', async () => {
    await actions().getByRole('button', { name: 'Add note…' }).click();
    await page.getByLabel('Note', { exact: true }).fill('Called the customer to confirm');
    await page.getByRole('button', { name: 'Add note', exact: true }).click();
    await shown(actions().getByRole('status').filter({ hasText: 'Note added.' }));
    const note = timeline().locator('ol > li').last();
    await expect.poll(() => note.locator('.what').textContent()).toBe('Note');
    expect(await note.locator('.note').textContent()).toBe('“Called the customer to confirm”');
  });

  it('tells of new orders as they arrive and shows them on request', async () => {
    await page.getByRole('link', { name: '← All orders' }).click();
    await expect.poll(() => rows().count()).toBe(3);
    const linus = { name: 'Linus Pauling', email: `linus-${run}@example.com` };
    const order = await ok(
      'POST',
      '/v1/orders',
      orderBody('web', `W-${run}-3`, linus, [{ sku: 'MUG-ENAMEL-WHT', quantity: 2, unit_price: 16 }]),
    );
    const notice = await shown(
      page.getByRole('status').filter({ hasText: '1 new order since this list was loaded.' }),
    );
    expect(await rows().count()).toBe(3);
    await notice.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => rows().count()).toBe(4);
    expect(await rows().first().textContent()).toContain(`#${order.order_number}`);
    expect(await page.getByText('new order since').count()).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'orders.png'), fullPage: true });
  });

  it('fits a phone: the list and an order read as stacked rows, no sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => rows().count()).toBe(4);
    expect(await tablesFit(page)).toBe(true);
    const box = await rows().first().boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'orders-phone.png'), fullPage: true });

    await rowOf('grace').getByRole('link').click();
    await shown(page.getByRole('table', { name: 'Lines' }));
    expect(await tablesFit(page)).toBe(true);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'order-detail-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('shows support users the order and its story, with no action buttons', async () => {
    await ok('POST', '/v1/users', {
      email: `support-${run}@demo.orderly.dev`,
      name: 'Sam Support',
      role: 'support',
      password: 'support-password-1',
    });
    const context = await browser.newContext({
      baseURL: server.baseUrl,
      viewport: { width: 1280, height: 800 },
    });
    const support = await context.newPage();
    support.on('pageerror', (err) => pageErrors.push(err.message));
    await support.goto(`/#/orders/${orders.grace.order_id}`);
    await signIn(support, `support-${run}@demo.orderly.dev`, 'support-password-1');
    await shown(support.getByRole('heading', { name: `Order #${orders.grace.order_number}`, level: 2 }));
    await shown(support.getByRole('region', { name: 'Timeline' }).getByText('Put on hold'));
    expect(await support.getByRole('region', { name: 'Actions' }).count()).toBe(0);
    expect(await support.getByRole('button', { name: /Hold|Cancel|Re-route|note/ }).count()).toBe(0);
    await context.close();
  });

  it("shows the server's problem detail for an order it does not know", async () => {
    const missing = await call('GET', '/v1/orders/ord_nosuchorder');
    expect(missing.status).toBe(404);
    await page.goto('/#/orders/ord_nosuchorder');
    const alert = await shown(page.getByRole('alert'));
    expect(await alert.textContent()).toContain(missing.json.detail);
    await page.getByRole('link', { name: '← All orders' }).click();
    await shown(list());
  });

  it('shows an order’s shipments as the customer counts them, with its fulfillment on the timeline', async () => {
    const nick = { name: 'Nick Holonyak', email: `nick-${run}@example.com` };
    const order = await ok(
      'POST',
      '/v1/orders',
      orderBody('web', `W-${run}-4`, nick, [{ sku: 'CANDLE-CEDAR', quantity: 1, unit_price: 24 }]),
    );
    await ok('POST', `/v1/orders/${order.order_id}/release`, {});
    const [fo] = (await ok('GET', `/v1/fulfillment-orders?order_id=${order.order_id}`)).data;
    const { shipment } = await ok('POST', `/v1/fulfillment-orders/${fo.fulfillment_order_id}/shipments`, {
      carrier: 'UPS',
      service: 'Ground',
      tracking_numbers: [`1ZWEB${run}`],
      packages: [{ weight_lb: 1 }],
    });
    await ok('POST', `/v1/shipments/${shipment.shipment_id}/tracking`, { status: 'delivered' });

    await page.goto(`/#/orders/${order.order_id}`);
    const shipments = page.getByRole('region', { name: 'Shipments' });
    await shown(shipments.getByText('Shipment 1 of 1 delivered'));
    expect(await shipments.textContent()).toContain(`1 × CANDLE-CEDAR`);
    expect(await shipments.textContent()).toContain(`1ZWEB${run}`);
    const slip = shipments.getByRole('link', { name: 'packing slip' });
    expect(await slip.getAttribute('href')).toBe(
      `/v1/fulfillment-orders/${fo.fulfillment_order_id}/packing-slip`,
    );
    const what = await timeline().locator('.what').allTextContents();
    expect(what).toEqual(
      expect.arrayContaining([
        'Released to fulfillment',
        expect.stringMatching(/^Fulfillment order at .+: 1 unit, \w+ pick/),
        expect.stringMatching(/^Assigned at /),
        'Shipment 1 of 1 shipped',
        'Shipment 1 of 1 delivered',
      ]),
    );
    expect(await tablesFit(page)).toBe(true);
  });

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
