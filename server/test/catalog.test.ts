import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenant, type TestTenant, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let t: TestTenant;

const counts = async () => {
  const { rows } = await env.pool.query(
    `select (select count(*) from products)::int as products, (select count(*) from catalog_skus)::int as skus,
            (select count(*) from events)::int as events`,
  );
  return rows[0];
};

const product = (sku: string, extra: Record<string, unknown> = {}) => ({
  sku,
  name: `Product ${sku}`,
  weight_lb: 1.5,
  unit_cost: 4.25,
  price: 12.99,
  ...extra,
});

const create = (body: unknown, key = t.keys.manager) => env.request('POST', '/v1/products', { key, body });
const get = (url: string) => env.request('GET', url, { key: t.keys.support });
const fields = (res: { json: any }) => res.json.errors.map((e: { path: string }) => e.path);

beforeAll(async () => {
  env = await testApp();
  t = await seedTenant(env.pool, 'Catalog Co');
});
afterAll(() => env.close());

describe('products', () => {
  it('creates a product with defaults, publishes product.created, and reads it back by SKU', async () => {
    const res = await create(
      product('TEE-BLK-M', { tags: ['apparel', 'tee', 'apparel'], barcode: '0012345' }),
    );
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      sku: 'TEE-BLK-M',
      name: 'Product TEE-BLK-M',
      description: null,
      weight_lb: 1.5,
      dimensions: null,
      unit_cost: 4.25,
      price: 12.99,
      currency: 'USD',
      barcode: '0012345',
      tags: ['apparel', 'tee'],
      final_sale: false,
      low_stock_threshold: null,
      active: true,
    });
    expect(res.json.product_id).toMatch(/^prd_[0-9a-z]{26}$/);
    const read = await get('/v1/products/TEE-BLK-M');
    expect(read.status).toBe(200);
    expect(read.json).toEqual(res.json);
    const { rows } = await env.pool.query(
      `select type, data from events where tenant_id = $1 and subject = 'TEE-BLK-M'`,
      [t.tenant_id],
    );
    expect(rows).toEqual([{ type: 'product.created', data: res.json }]);
  });

  it('keeps every field it is given', async () => {
    const body = product('MUG.01_x', {
      description: 'A mug',
      dimensions: { length_in: 4, width_in: 4, height_in: 5.5 },
      currency: 'EUR',
      final_sale: true,
      low_stock_threshold: 3,
      active: false,
      price: 0,
    });
    const res = await create(body);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject(body);
  });

  it('changes only the fields sent, clears nullable ones with null, and publishes the changed names', async () => {
    await create(
      product('LAMP', { barcode: 'LAMP-1', dimensions: { length_in: 1, width_in: 2, height_in: 3 } }),
    );
    const res = await env.request('PATCH', '/v1/products/LAMP', {
      key: t.keys.manager,
      body: { price: 20.5, dimensions: null, barcode: null, tags: ['home'], name: 'Lamp' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      sku: 'LAMP',
      name: 'Lamp',
      price: 20.5,
      unit_cost: 4.25,
      dimensions: null,
      barcode: null,
      tags: ['home'],
    });
    expect(Date.parse(res.json.updated_at)).toBeGreaterThanOrEqual(Date.parse(res.json.created_at));
    const { rows } = await env.pool.query(
      `select data from events where tenant_id = $1 and subject = 'LAMP' and type = 'product.updated'`,
      [t.tenant_id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].data.changed.sort()).toEqual(['barcode', 'dimensions', 'name', 'price', 'tags']);
  });

  it('writes nothing and publishes nothing for a PATCH that changes nothing', async () => {
    await create(product('SAME', { price: 3 }));
    const before = await counts();
    const res = await env.request('PATCH', '/v1/products/SAME', { key: t.keys.manager, body: { price: 3 } });
    expect(res.status).toBe(200);
    expect(await counts()).toEqual(before);
  });

  it('retires a product with active: false and never deletes it', async () => {
    await create(product('OLD-1'));
    const res = await env.request('PATCH', '/v1/products/OLD-1', {
      key: t.keys.manager,
      body: { active: false },
    });
    expect(res.json.active).toBe(false);
    expect((await get('/v1/products/OLD-1')).json.active).toBe(false);
    const del = await env.request('DELETE', '/v1/products/OLD-1', { key: t.keys.admin });
    expect(del.status).toBe(404);
  });

  it('refuses to change the SKU', async () => {
    await create(product('FIXED'));
    const before = await counts();
    const res = await env.request('PATCH', '/v1/products/FIXED', {
      key: t.keys.manager,
      body: { sku: 'OTHER', name: 'Renamed' },
    });
    expect(res.status).toBe(422);
    expect(fields(res)).toContain('body.sku');
    expect(await counts()).toEqual(before);
    expect((await get('/v1/products/FIXED')).json.name).toBe('Product FIXED');
  });

  it('answers 404 for an unknown SKU, on read and on change', async () => {
    expect((await get('/v1/products/NOPE')).status).toBe(404);
    const res = await env.request('PATCH', '/v1/products/NOPE', { key: t.keys.manager, body: { price: 1 } });
    expect(res.status).toBe(404);
    expect(res.json.detail).toMatch(/not found/);
  });
});

describe('invalid products are refused with the field named, and nothing is written', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['a slash in the SKU', product('A/B'), 'body.sku'],
    ['a space in the SKU', product('A B'), 'body.sku'],
    ['an empty SKU', product(''), 'body.sku'],
    ['a 65-character SKU', product('x'.repeat(65)), 'body.sku'],
    ['three decimals of money', product('M1', { price: 1.005 }), 'body.price'],
    ['negative money', product('M2', { unit_cost: -1 }), 'body.unit_cost'],
    ['money as a string', product('M3', { price: '9.99' }), 'body.price'],
    ['a lowercase currency', product('M4', { currency: 'usd' }), 'body.currency'],
    ['an unknown currency', product('M5', { currency: 'ZZZ' }), 'body.currency'],
    [
      'two of three dimensions',
      product('D1', { dimensions: { length_in: 1, width_in: 1 } }),
      'body.dimensions.height_in',
    ],
    [
      'a zero dimension',
      product('D2', { dimensions: { length_in: 0, width_in: 1, height_in: 1 } }),
      'body.dimensions.length_in',
    ],
    ['a negative weight', product('W1', { weight_lb: -0.1 }), 'body.weight_lb'],
    ['no weight', { sku: 'W2', name: 'x', unit_cost: 1, price: 1 }, 'body.weight_lb'],
    ['a barcode with a space', product('B1', { barcode: '12 34' }), 'body.barcode'],
    ['a fractional threshold', product('L1', { low_stock_threshold: 1.5 }), 'body.low_stock_threshold'],
    ['an unknown field', product('U1', { color: 'red' }), 'body.color'],
  ];
  for (const [name, body, field] of cases) {
    it(`${name} → 422 ${field}`, async () => {
      const before = await counts();
      const res = await create(body);
      expect(res.status).toBe(422);
      expect(res.json.type).toBe('/problems/validation-error');
      expect(fields(res)).toContain(field);
      expect(await counts()).toEqual(before);
    });
  }

  it('refuses a SKU with a space in the URL as 422 param.sku', async () => {
    const res = await get('/v1/products/A%20B');
    expect(res.status).toBe(422);
    expect(fields(res)).toContain('param.sku');
  });

  it('answers 409 body.sku for a duplicate SKU', async () => {
    expect((await create(product('DUP-SKU'))).status).toBe(201);
    const before = await counts();
    const res = await create(product('DUP-SKU', { name: 'Another' }));
    expect(res.status).toBe(409);
    expect(res.json.type).toBe('/problems/conflict');
    expect(fields(res)).toEqual(['body.sku']);
    expect(await counts()).toEqual(before);
    expect((await get('/v1/products/DUP-SKU')).json.name).toBe('Product DUP-SKU');
  });

  it('answers 409 body.barcode for a barcode another product has, on create and on change', async () => {
    expect((await create(product('BC-1', { barcode: '4006381333931' }))).status).toBe(201);
    expect((await create(product('BC-2'))).status).toBe(201);
    const before = await counts();
    const res = await create(product('BC-3', { barcode: '4006381333931' }));
    expect(res.status).toBe(409);
    expect(fields(res)).toEqual(['body.barcode']);
    expect(res.json.detail).toContain('BC-1');
    const patch = await env.request('PATCH', '/v1/products/BC-2', {
      key: t.keys.manager,
      body: { barcode: '4006381333931', price: 1 },
    });
    expect(patch.status).toBe(409);
    expect(fields(patch)).toEqual(['body.barcode']);
    expect(await counts()).toEqual(before);
    expect((await get('/v1/products/BC-2')).json).toMatchObject({ barcode: null, price: 12.99 });
    // Many products may have no barcode, and a product may keep its own.
    const own = await env.request('PATCH', '/v1/products/BC-1', {
      key: t.keys.manager,
      body: { barcode: '4006381333931', name: 'Renamed' },
    });
    expect(own.status).toBe(200);
  });

  it('lets exactly one of many concurrent requests take a SKU or a barcode; the rest get 409, never 500', async () => {
    const creates = await Promise.all(
      Array.from({ length: 10 }, (_, i) => create(product('RACE-SKU', { name: `Racer ${i}` }))),
    );
    expect(creates.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    for (let i = 0; i < 10; i++) expect((await create(product(`RACE-${i}`))).status).toBe(201);
    const patches = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        env.request('PATCH', `/v1/products/RACE-${i}`, { key: t.keys.manager, body: { barcode: 'RACE-BC' } }),
      ),
    );
    expect(patches.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    const { rows } = await env.pool.query(
      `select count(*)::int as n from products where tenant_id = $1 and barcode = 'RACE-BC'`,
      [t.tenant_id],
    );
    expect(rows[0].n).toBe(1);
  });

  it('lets another tenant use the same SKU and barcode', async () => {
    const other = await seedTenant(env.pool, 'Other Catalog');
    const res = await create(product('DUP-SKU', { barcode: '4006381333931' }), other.keys.manager);
    expect(res.status).toBe(201);
  });
});

describe('listing', () => {
  let s: TestTenant;
  const list = async (query: string) => {
    const res = await env.request('GET', `/v1/products?${query}`, { key: s.keys.support });
    expect(res.status, query).toBe(200);
    return res.json.data.map((p: { sku: string }) => p.sku);
  };

  beforeAll(async () => {
    s = await seedTenant(env.pool, 'Search Co');
    const items = [
      product('SHIRT-RED', { name: 'Red Shirt', tags: ['apparel', 'red'], barcode: '111222' }),
      product('SHIRT-BLU', { name: 'Blue Shirt', tags: ['apparel'], active: false }),
      product('HAT-RED', { name: 'Red hat', tags: ['red', 'hats'] }),
      product('MUG', { name: 'Coffee mug', barcode: '999111' }),
      product('PCT', { name: '100% cotton tote' }),
    ];
    for (const p of items) expect((await create(p, s.keys.manager)).status).toBe(201);
  });

  it('lists in SKU order', async () => {
    expect(await list('')).toEqual(['HAT-RED', 'MUG', 'PCT', 'SHIRT-BLU', 'SHIRT-RED']);
  });

  it('searches name (any case), SKU and barcode with q', async () => {
    expect(await list('q=red')).toEqual(['HAT-RED', 'SHIRT-RED']);
    expect(await list('q=shirt')).toEqual(['SHIRT-BLU', 'SHIRT-RED']);
    expect(await list('q=coffee')).toEqual(['MUG']);
    expect(await list('q=999111')).toEqual(['MUG']);
    expect(await list('q=1112')).toEqual(['SHIRT-RED']);
    expect(await list('q=nothing-like-this')).toEqual([]);
  });

  it('treats % and _ in q as the characters themselves', async () => {
    expect(await list(`q=${encodeURIComponent('100%')}`)).toEqual(['PCT']);
    expect(await list(`q=${encodeURIComponent('%')}`)).toEqual(['PCT']);
    expect(await list('q=_')).toEqual([]);
  });

  it('filters by tag and active, alone and together', async () => {
    expect(await list('tag=red')).toEqual(['HAT-RED', 'SHIRT-RED']);
    expect(await list('tag=apparel')).toEqual(['SHIRT-BLU', 'SHIRT-RED']);
    expect(await list('active=false')).toEqual(['SHIRT-BLU']);
    expect(await list('active=true&tag=apparel')).toEqual(['SHIRT-RED']);
    expect(await list('q=shirt&active=true')).toEqual(['SHIRT-RED']);
    expect(await list('tag=none')).toEqual([]);
  });

  it('refuses a filter it does not understand', async () => {
    const res = await env.request('GET', '/v1/products?active=yes', { key: s.keys.support });
    expect(res.status).toBe(422);
    expect(fields(res)).toContain('query.active');
  });

  it('walks every product exactly once with cursors, keeping the filter', async () => {
    const p = await seedTenant(env.pool, 'Pages Co');
    const skus = Array.from({ length: 7 }, (_, i) => `P-${i}`);
    for (const sku of skus) await create(product(sku, { tags: ['paged'] }), p.keys.manager);
    await create(product('P-untagged'), p.keys.manager);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await env.request(
        'GET',
        `/v1/products?tag=paged&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        { key: p.keys.support },
      );
      expect(res.status).toBe(200);
      expect(res.json.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.json.data.map((x: { sku: string }) => x.sku));
      cursor = res.json.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(skus);
  });
});
