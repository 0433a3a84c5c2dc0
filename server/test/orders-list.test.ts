import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo, DEMO_TENANT_ID as T } from '../src/demo.ts';
import { SKU_COLLECT_MAX, searchOrders } from '../src/modules/orders/search.ts';
import { type Env, locationIds, NYC, orderBody, productWithStock, SEATTLE } from './orders-fixtures.ts';
import { freshDatabase, seedTenant, type TestTenant, testAppOn } from './support.ts';

/**
 * GET /v1/orders on the demo tenant: three dozen orders captured through the API, then every
 * filter, search kind and sort checked against the same orders read one by one, page by page.
 */

let db: Awaited<ReturnType<typeof freshDatabase>>;
let env: Env;
let key: string;
let other: TestTenant;
let loc: Record<string, string>;
/** Every order as GET /v1/orders/{id} answers it after the set-up. */
let all: any[];

const DONE = ['shipped', 'delivered', 'cancelled', 'returned', 'partially_returned'];
const CAN_WAIT = ['backordered', 'partially_allocated', 'on_hold', 'in_fulfillment', 'partially_shipped'];
const today = () => new Date().toISOString().slice(0, 10);

const PEOPLE = [
  { name: 'Ada Lovelace', email: 'ada@example.com' },
  { name: 'Grace Hopper', email: 'Grace.Hopper@Example.com' },
  { name: 'Alan Turing', email: 'alan@example.org' },
  { name: 'Katherine Johnson', email: 'kj@example.net' },
  { name: '=HYPERLINK("http://x")', email: 'formula@example.com' },
];
const CHANNELS = ['web', 'marketplace', 'pos', 'wholesale'];
const LEVELS = ['ground', 'two_day', 'overnight'];
const TAGS = [[], ['vip'], ['gift'], ['vip', 'gift'], [], ['wholesale']];

const get = (url: string, k = key) => env.request('GET', url, { key: k });
const post = (url: string, body: unknown) => env.request('POST', url, { key, body });

async function capture(body: unknown) {
  const res = await post('/v1/orders', body);
  expect(res.status, res.text).toBe(201);
  return res.json;
}

beforeAll(async () => {
  db = await freshDatabase();
  key = (await createDemo(db.pool)).api_key!;
  env = testAppOn(db.pool);
  loc = await locationIds(env, key);
  other = await seedTenant(db.pool, 'Other Co');
  await productWithStock(env, key, 'LIST-NONE', {});

  const ids: string[] = [];
  for (let i = 0; i < 30; i++) {
    const person = PEOPLE[i % PEOPLE.length]!;
    // Orders 6 and 7 share a placed_at: pages must still neither repeat nor skip either.
    const placed = new Date(Date.UTC(2026, 0, 1 + (i === 7 ? 6 : i), 9, 30, i === 7 ? 0 : i));
    const lines =
      i % 10 === 3
        ? [{ sku: 'LIST-NONE', quantity: 1 }]
        : i % 10 === 5
          ? [
              { sku: 'MUG-ENAMEL-WHT', quantity: 1, unit_price: 18 },
              { sku: 'LIST-NONE', quantity: 2 },
            ]
          : i % 7 === 2
            ? [{ sku: 'DUTCH-OVEN-6QT', quantity: 1, unit_price: 95 }]
            : [{ sku: 'MUG-ENAMEL-WHT', quantity: 1 + (i % 3), unit_price: 12 + i }];
    const o = await capture(
      orderBody(lines, {
        channel: CHANNELS[i % CHANNELS.length],
        channel_order_id: `LIST-${1000 + i}`,
        customer: person,
        shipping_address: i % 4 === 1 ? SEATTLE : NYC,
        service_level: LEVELS[i % LEVELS.length],
        tags: TAGS[i % TAGS.length],
        placed_at: placed.toISOString(),
        shipping: i % 2 ? 5 : 0,
      }),
    );
    ids.push(o.order_id);
  }
  // A destination nobody ships to: routing_failed, its units counted as backordered but not waiting for stock.
  const paris = { line1: '1 Rue', city: 'Paris', postal_code: '75001', country: 'FR' };
  const failed = await capture(
    orderBody([{ sku: 'CANDLE-CEDAR', quantity: 1 }], {
      channel_order_id: 'LIST-PARIS',
      shipping_address: paris,
    }),
  );
  expect(failed.status).toBe('routing_failed');
  ids.push(failed.order_id);

  const status = async (id: string) => (await get(`/v1/orders/${id}`)).json.status;
  const allocated = [];
  for (const id of ids) if ((await status(id)) === 'allocated') allocated.push(id);
  expect(allocated.length).toBeGreaterThan(12);
  // Held: one allocated, one backordered (still waiting for stock while held).
  const backordered = ids.filter((_, i) => i % 10 === 3);
  for (const id of [allocated[0]!, backordered[0]!]) {
    expect((await post(`/v1/orders/${id}/hold`, { reason: 'Address check' })).status).toBe(200);
  }
  expect((await post(`/v1/orders/${allocated[1]}/cancel`, { reason: 'Customer asked' })).status).toBe(200);
  expect((await post(`/v1/orders/${allocated[2]}/release`, {})).status).toBe(200);
  // Promises are made from today, so none has passed yet: age two (one open, one cancelled).
  await db.pool.query(
    `update orders set promised_delivery_date = '2026-01-05' where tenant_id = $1 and order_id = any($2)`,
    [T, [allocated[3], allocated[1]]],
  );
  // Another tenant's order for the same customer; tenant A must never see it.
  await db.pool.query(
    `insert into orders (tenant_id, order_id, channel, channel_order_id, order_type, status, customer,
       customer_name, customer_email, shipping_address, currency, service_level, totals, tags, placed_at)
     values ($1, 'ord_other_1', 'web', 'LIST-1000', 'standard', 'allocated',
       '{"name": "Ada Lovelace", "email": "ada@example.com"}', 'Ada Lovelace', 'ada@example.com',
       '{"line1": "1 Main St", "city": "New York", "postal_code": "10001", "country": "US"}', 'USD', 'ground',
       '{"subtotal": 1, "discount": 0, "tax": 0, "shipping": 0, "total": 1}', '{vip}', '2026-01-03T00:00:00Z')`,
    [other.tenant_id],
  );
  all = [];
  for (const id of ids) all.push((await get(`/v1/orders/${id}`)).json);
}, 120_000);
afterAll(() => db.drop());

// ── expectations, from the orders read one by one ────────────────────────────────────────────

type Sort = '-placed_at' | 'placed_at' | 'promised_delivery_date' | '-total';
const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
const SORT_KEYS: Record<Sort, (o: any) => string | number> = {
  '-placed_at': (o) => o.placed_at,
  placed_at: (o) => o.placed_at,
  promised_delivery_date: (o) => o.promised_delivery_date ?? '9999-99-99',
  '-total': (o) => o.totals.total,
};
function expected(match: (o: any) => boolean, sort: Sort = '-placed_at') {
  const desc = sort.startsWith('-') ? -1 : 1;
  return all
    .filter(match)
    .sort((a, b) => desc * (cmp(SORT_KEYS[sort](a), SORT_KEYS[sort](b)) || cmp(a.order_id, b.order_id)))
    .map((o) => o.order_id);
}

/** Every page of a query, `limit` at a time; fails on a repeated order or a page over the limit. */
async function listAll(query: string, limit = 4, k = key) {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const url = `/v1/orders?limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await get(url, k);
    expect(res.status, `${url}: ${res.text}`).toBe(200);
    expect(res.json.data.length).toBeLessThanOrEqual(limit);
    for (const o of res.json.data) {
      expect(seen, `${o.order_id} twice for ${query}`).not.toContain(o.order_id);
      expect(o).not.toHaveProperty('lines');
      seen.push(o.order_id);
    }
    cursor = res.json.next_cursor;
    if (!cursor) return seen;
    expect(res.json.data).toHaveLength(limit);
  }
  throw new Error('more than 100 pages');
}

const isLate = (o: any) =>
  !DONE.includes(o.status) && o.promised_delivery_date !== null && o.promised_delivery_date < today();
const isBackordered = (o: any) => CAN_WAIT.includes(o.status) && o.lines.some((l: any) => l.backordered > 0);

// ── tests ────────────────────────────────────────────────────────────────────────────────────

describe('GET /v1/orders', () => {
  it('lists every order newest first, without lines, in pages that neither repeat nor skip', async () => {
    expect(all).toHaveLength(31);
    expect(await listAll('', 4)).toEqual(expected(() => true));
    expect(await listAll('', 1)).toEqual(expected(() => true));
    const first = await get('/v1/orders');
    expect(first.json.data).toHaveLength(31);
    expect(first.json.next_cursor).toBeNull();
    const { lines: _l, ...summary } = all.find((o) => o.order_id === first.json.data[0].order_id);
    expect(first.json.data[0]).toEqual(summary);
  });

  it('sorts oldest first, by promised date (none last) and by total, each paged by its own key', async () => {
    for (const sort of ['placed_at', 'promised_delivery_date', '-total'] as const) {
      expect(await listAll(`sort=${sort}`, 3), sort).toEqual(expected(() => true, sort));
    }
    // Several orders share a total, and most share "no promise": the order id breaks ties.
    expect(new Set(all.map((o) => o.totals.total)).size).toBeLessThan(all.length);
    expect(await listAll('sort=-total&tag=vip', 2)).toEqual(
      expected((o) => o.tags.includes('vip'), '-total'),
    );
  });

  it('filters by status, channel, location, service level, dates and tags', async () => {
    const cases: [string, (o: any) => boolean][] = [
      ['status=allocated', (o) => o.status === 'allocated'],
      ['status=backordered,on_hold', (o) => ['backordered', 'on_hold'].includes(o.status)],
      ['channel=marketplace,pos', (o) => ['marketplace', 'pos'].includes(o.channel)],
      [`location_id=${loc.reno}`, (o) => o.location_ids.includes(loc.reno)],
      [
        `location_id=${loc.edison},${loc.timberline}`,
        (o) => o.location_ids.some((l: string) => [loc.edison, loc.timberline].includes(l)),
      ],
      ['service_level=overnight', (o) => o.service_level === 'overnight'],
      ['service_level=ground,two_day', (o) => ['ground', 'two_day'].includes(o.service_level)],
      [
        'placed_from=2026-01-07T09:30:00Z&placed_to=2026-01-15T00:00:00Z',
        (o) => o.placed_at >= '2026-01-07T09:30:00.000Z' && o.placed_at < '2026-01-15T00:00:00.000Z',
      ],
      ['placed_from=2026-01-20T00:00:00%2B01:00', (o) => o.placed_at >= '2026-01-19T23:00:00.000Z'],
      ['tag=vip', (o) => o.tags.includes('vip')],
      ['tag=vip,gift', (o) => o.tags.includes('vip') && o.tags.includes('gift')],
      [
        'channel=web&tag=gift&status=allocated',
        (o) => o.channel === 'web' && o.tags.includes('gift') && o.status === 'allocated',
      ],
    ];
    for (const [query, match] of cases) {
      const want = expected(match);
      expect(want.length, `${query} matches something`).toBeGreaterThan(0);
      expect(want.length, `${query} leaves something out`).toBeLessThan(all.length);
      expect(await listAll(query), query).toEqual(want);
    }
    expect(await listAll('channel=phone')).toEqual([]);
  });

  it('finds late, held and backordered orders, and their opposites', async () => {
    const cases: [string, (o: any) => boolean][] = [
      ['late=true', isLate],
      ['late=false', (o) => !isLate(o)],
      ['on_hold=true', (o) => o.on_hold],
      ['on_hold=false', (o) => !o.on_hold],
      ['backordered=true', isBackordered],
      ['backordered=false', (o) => !isBackordered(o)],
      ['late=true&on_hold=false', (o) => isLate(o) && !o.on_hold],
    ];
    for (const [query, match] of cases) expect(await listAll(query), query).toEqual(expected(match));

    const late = await listAll('late=true');
    expect(late).toHaveLength(1);
    // The cancelled order's promise passed too, but nothing of it is left to ship.
    expect(all.find((o) => o.status === 'cancelled').promised_delivery_date).toBe('2026-01-05');
    const held = all.filter((o) => o.on_hold);
    expect(held.map((o) => o.status)).toEqual(['on_hold', 'on_hold']);
    const waiting = expected(isBackordered);
    const byStatus = (s: string) => all.filter((o) => o.status === s).map((o) => o.order_id);
    // Backordered, partially allocated, and the held order still waiting; not the failed routing.
    expect(waiting).toEqual(
      expect.arrayContaining([...byStatus('backordered'), ...byStatus('partially_allocated')]),
    );
    expect(waiting.some((id) => byStatus('on_hold').includes(id))).toBe(true);
    expect(waiting).not.toContain(byStatus('routing_failed')[0]);
    expect(all.find((o) => o.status === 'routing_failed').lines[0].backordered).toBe(1);
  });

  it('searches by order number, channel order id, email, name and SKU', async () => {
    const one = all[5];
    const cases: [string, string[]][] = [
      [`#${one.order_number}`, [one.order_id]],
      [`${one.order_number}`, [one.order_id]],
      ['LIST-1004', [all[4].order_id]],
      ['grace.hopper@example.COM', expected((o) => o.customer.email === 'Grace.Hopper@Example.com')],
      ['ada@example.com', expected((o) => o.customer.email === 'ada@example.com')],
      ['hopper', expected((o) => o.customer.name === 'Grace Hopper')],
      ['ADA LOVE', expected((o) => o.customer.name === 'Ada Lovelace')],
      ['DUTCH-OVEN-6QT', expected((o) => o.lines.some((l: any) => l.sku === 'DUTCH-OVEN-6QT'))],
      ['LIST-NONE', expected((o) => o.lines.some((l: any) => l.sku === 'LIST-NONE'))],
      // Too short to search names; "%" and "_" are text, not wildcards.
      ['ad', []],
      ['a%e', []],
      ['_', []],
      ['#999999999', []],
    ];
    for (const [q, want] of cases) {
      expect(await listAll(`q=${encodeURIComponent(q)}`, 2), q).toEqual(want);
    }
    expect(expected((o) => o.lines.some((l: any) => l.sku === 'DUTCH-OVEN-6QT')).length).toBeGreaterThan(1);
    // Search combines with filters and sorts, and pages across its kinds of match.
    expect(await listAll('q=hopper&channel=marketplace', 1)).toEqual(
      expected((o) => o.customer.name === 'Grace Hopper' && o.channel === 'marketplace'),
    );
    expect(await listAll('q=MUG-ENAMEL-WHT&sort=-total', 3)).toEqual(
      expected((o) => o.lines.some((l: any) => l.sku === 'MUG-ENAMEL-WHT'), '-total'),
    );
  });

  it('finds a SKU on more lines than it reads at once by walking the orders, with the same answer', async () => {
    // Every order gets enough extra lines of BULK-1 to pass the threshold; removed afterwards.
    const perOrder = Math.ceil((SKU_COLLECT_MAX + 1) / all.length);
    await db.pool.query(
      `insert into order_lines (tenant_id, order_id, line_no, sku, quantity, unit_price, cancelled)
       select $1, o.order_id, 100 + n, 'BULK-1', 1, 1, 1 from orders o, generate_series(1, $2) n
       where o.tenant_id = $1`,
      [T, perOrder],
    );
    try {
      expect(await listAll('q=BULK-1', 7)).toEqual(expected(() => true));
      expect(await listAll('q=BULK-1&sort=-total&status=allocated', 2)).toEqual(
        expected((o) => o.status === 'allocated', '-total'),
      );
    } finally {
      await db.pool.query(`delete from order_lines where tenant_id = $1 and sku = 'BULK-1'`, [T]);
    }
  });

  it('exports any filtered list as CSV, one row per order', async () => {
    const res = await get('/v1/orders?format=csv&tag=vip&limit=1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toContain('orders.csv');
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual([
      'order_number',
      'placed_at',
      'channel',
      'channel_order_id',
      'status',
      'on_hold',
      'customer_name',
      'customer_email',
      'ship_to_city',
      'ship_to_region',
      'ship_to_postal_code',
      'ship_to_country',
      'service_level',
      'promised_delivery_date',
      'total',
      'currency',
      'refund_due',
      'tags',
      'location_ids',
      'order_id',
    ]);
    const want = expected((o) => o.tags.includes('vip'));
    expect(rows.map((r) => r.at(-1))).toEqual(want);
    const o = all.find((x) => x.order_id === want[0]);
    const row = Object.fromEntries(header!.map((h, i) => [h, rows[0]![i]]));
    expect(row).toMatchObject({
      order_number: String(o.order_number),
      placed_at: o.placed_at,
      channel_order_id: o.channel_order_id,
      customer_email: o.customer.email,
      ship_to_city: o.shipping_address.city,
      ship_to_postal_code: o.shipping_address.postal_code,
      total: String(o.totals.total),
      currency: 'USD',
      tags: o.tags.join(','),
      location_ids: o.location_ids.join(','),
    });
    // A name that would run as a spreadsheet formula is written as text.
    const formula = parseCsv((await get('/v1/orders?format=csv&q=formula@example.com')).text).slice(1);
    expect(formula.length).toBeGreaterThan(0);
    for (const r of formula) expect(r[6]).toBe(`'=HYPERLINK("http://x")`);

    const none = parseCsv((await get('/v1/orders?format=csv&channel=phone')).text);
    expect(none).toHaveLength(1);
  });

  it('pages the search function past any number of batches with the key it returns', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await searchOrders(
        db.pool,
        T,
        { sort: 'promised_delivery_date', status: ['allocated', 'on_hold', 'in_fulfillment'] },
        { after, limit: 2 },
      );
      ids.push(...page.data.map((o) => o.order_id));
      after = page.after;
    } while (after);
    expect(ids).toEqual(
      expected(
        (o) => ['allocated', 'on_hold', 'in_fulfillment'].includes(o.status),
        'promised_delivery_date',
      ),
    );
  });

  it('answers 422 naming the field for bad input', async () => {
    const cases: [string, string][] = [
      ['status=allocated,shipped-ish', 'query.status'],
      ['channel=Web', 'query.channel'],
      ['service_level=teleport', 'query.service_level'],
      ['placed_from=yesterday', 'query.placed_from'],
      ['placed_from=2026-02-01T00:00:00Z&placed_to=2026-01-01T00:00:00Z', 'query.placed_to'],
      ['late=yes', 'query.late'],
      ['on_hold=1', 'query.on_hold'],
      ['backordered=TRUE', 'query.backordered'],
      ['sort=total', 'query.sort'],
      ['limit=0', 'query.limit'],
      ['limit=201', 'query.limit'],
      ['format=xlsx', 'query.format'],
      [`q=${'x'.repeat(201)}`, 'query.q'],
      [`tag=${'t'.repeat(51)}`, 'query.tag'],
      [`location_id=${Array.from({ length: 51 }, (_, i) => `loc_${i}`).join(',')}`, 'query.location_id'],
      ['cursor=bm90IGpzb24', 'query.cursor'],
    ];
    for (const [query, path] of cases) {
      const res = await get(`/v1/orders?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(
        res.json.errors.map((e: { path: string }) => e.path),
        query,
      ).toContain(path);
    }
    // A cursor continues the sort it was made for, and no other.
    const page = await get('/v1/orders?limit=2&sort=-total');
    const wrong = await get(`/v1/orders?limit=2&sort=placed_at&cursor=${page.json.next_cursor}`);
    expect(wrong.status).toBe(422);
    expect(wrong.json.detail).toMatch(/sort=-total/);
  });

  it('needs a key, and shows another tenant none of these orders', async () => {
    expect((await env.request('GET', '/v1/orders')).status).toBe(401);
    expect(await listAll('', 50, other.keys.support)).toEqual(['ord_other_1']);
    // B's one order matches the same email, channel order id, name and tag, and nothing of A's does.
    const cases: [string, string[]][] = [
      ['q=ada@example.com', ['ord_other_1']],
      ['q=LIST-1000', ['ord_other_1']],
      ['q=lovelace', ['ord_other_1']],
      ['tag=vip', ['ord_other_1']],
      [`q=%23${all[0].order_number}`, []],
      ['q=MUG-ENAMEL-WHT', []],
      ['status=backordered', []],
    ];
    for (const [query, want] of cases)
      expect(await listAll(query, 50, other.keys.support), query).toEqual(want);
    const csv = parseCsv((await get('/v1/orders?format=csv', other.keys.support)).text);
    expect(csv.map((r) => r.at(-1))).toEqual(['order_id', 'ord_other_1']);
    // And tenant A's lists never include B's order.
    expect(await listAll('q=ada@example.com', 50)).not.toContain('ord_other_1');
    expect(await listAll('', 50)).not.toContain('ord_other_1');
  });
});

/** A small RFC 4180 reader: quoted fields, doubled quotes, commas and newlines inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (ch !== '\r') field += ch;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
