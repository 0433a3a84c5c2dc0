import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlesContaining, findBundles, findProducts } from '../src/modules/catalog/service.ts';
import { seedTenant, type TestTenant, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let t: TestTenant;
let other: TestTenant;

const counts = async () => {
  const { rows } = await env.pool.query(
    `select (select count(*) from bundles)::int as bundles, (select count(*) from bundle_components)::int as components,
            (select count(*) from catalog_skus)::int as skus, (select count(*) from products)::int as products,
            (select count(*) from events)::int as events`,
  );
  return rows[0];
};

const createProduct = (sku: string, key = t.keys.manager) =>
  env.request('POST', '/v1/products', {
    key,
    body: { sku, name: `Product ${sku}`, weight_lb: 1, unit_cost: 1, price: 2 },
  });
const createBundle = (body: unknown, key = t.keys.manager) =>
  env.request('POST', '/v1/bundles', { key, body });
const patchBundle = (sku: string, body: unknown) =>
  env.request('PATCH', `/v1/bundles/${sku}`, { key: t.keys.manager, body });
const fields = (res: { json: any }) => res.json.errors.map((e: { path: string }) => e.path);

beforeAll(async () => {
  env = await testApp();
  t = await seedTenant(env.pool, 'Bundles Co');
  other = await seedTenant(env.pool, 'Other Co');
  for (const sku of ['CUP', 'SAUCER', 'SPOON', 'TRAY']) expect((await createProduct(sku)).status).toBe(201);
  expect((await createProduct('OTHER-CUP', other.keys.manager)).status).toBe(201);
  const set = await createBundle({
    sku: 'TEA-SET',
    name: 'Tea set',
    price: 49.5,
    components: [
      { sku: 'SAUCER', quantity: 4 },
      { sku: 'CUP', quantity: 4 },
    ],
  });
  expect(set.status).toBe(201);
});
afterAll(() => env.close());

describe('bundles', () => {
  it('creates a bundle with its components in SKU order and publishes bundle.created', async () => {
    const res = await env.request('GET', '/v1/bundles/TEA-SET', { key: t.keys.support });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      sku: 'TEA-SET',
      name: 'Tea set',
      price: 49.5,
      currency: 'USD',
      active: true,
      components: [
        { sku: 'CUP', quantity: 4 },
        { sku: 'SAUCER', quantity: 4 },
      ],
    });
    const { rows } = await env.pool.query(
      `select type, data from events where tenant_id = $1 and subject = 'TEA-SET'`,
      [t.tenant_id],
    );
    expect(rows).toEqual([{ type: 'bundle.created', data: res.json }]);
  });

  it('replaces the components on PATCH and publishes what changed', async () => {
    await createBundle({ sku: 'SWAP', name: 'Swap', price: 5, components: [{ sku: 'CUP', quantity: 1 }] });
    const res = await patchBundle('SWAP', {
      price: 6,
      components: [
        { sku: 'TRAY', quantity: 1 },
        { sku: 'SPOON', quantity: 2 },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.components).toEqual([
      { sku: 'SPOON', quantity: 2 },
      { sku: 'TRAY', quantity: 1 },
    ]);
    expect(res.json.price).toBe(6);
    const { rows } = await env.pool.query(
      `select data from events where tenant_id = $1 and subject = 'SWAP' and type = 'bundle.updated'`,
      [t.tenant_id],
    );
    expect(rows.map((r) => r.data.changed.sort())).toEqual([['components', 'price']]);
  });

  it('treats the same components in another order as no change', async () => {
    const before = await counts();
    const res = await patchBundle('TEA-SET', {
      components: [
        { sku: 'SAUCER', quantity: 4 },
        { sku: 'CUP', quantity: 4 },
      ],
    });
    expect(res.status).toBe(200);
    expect(await counts()).toEqual(before);
  });

  it('deactivates a bundle and filters the list by active and q', async () => {
    await createBundle({
      sku: 'RETIRED',
      name: 'Old kit',
      price: 1,
      components: [{ sku: 'TRAY', quantity: 1 }],
    });
    expect((await patchBundle('RETIRED', { active: false })).json.active).toBe(false);
    const list = async (q: string) =>
      (await env.request('GET', `/v1/bundles?${q}`, { key: t.keys.support })).json.data.map(
        (b: { sku: string }) => b.sku,
      );
    expect(await list('')).toEqual(['RETIRED', 'SWAP', 'TEA-SET']);
    expect(await list('active=false')).toEqual(['RETIRED']);
    expect(await list('q=tea')).toEqual(['TEA-SET']);
    expect(await list('q=kit&active=true')).toEqual([]);
    const page = await env.request('GET', '/v1/bundles?limit=2', { key: t.keys.support });
    expect(page.json.data).toHaveLength(2);
    const rest = await env.request('GET', `/v1/bundles?limit=2&cursor=${page.json.next_cursor}`, {
      key: t.keys.support,
    });
    expect(rest.json.data.map((b: { sku: string }) => b.sku)).toEqual(['TEA-SET']);
    expect(rest.json.next_cursor).toBeNull();
  });

  it('answers 404 for an unknown bundle, and for a product SKU asked as a bundle', async () => {
    expect((await env.request('GET', '/v1/bundles/NOPE', { key: t.keys.support })).status).toBe(404);
    expect((await env.request('GET', '/v1/bundles/CUP', { key: t.keys.support })).status).toBe(404);
    expect((await env.request('GET', '/v1/products/TEA-SET', { key: t.keys.support })).status).toBe(404);
    expect((await patchBundle('NOPE', { price: 1 })).status).toBe(404);
  });
});

describe('invalid bundles are refused with the field named, and nothing is written', () => {
  const kit = (components: unknown, sku = 'NEW-KIT') => ({ sku, name: 'New kit', price: 10, components });
  const cases: Array<[string, () => unknown, number, string]> = [
    [
      'an unknown component',
      () =>
        kit([
          { sku: 'CUP', quantity: 1 },
          { sku: 'GHOST', quantity: 1 },
        ]),
      422,
      'body.components[1].sku',
    ],
    [
      'a component of another tenant',
      () => kit([{ sku: 'OTHER-CUP', quantity: 1 }]),
      422,
      'body.components[0].sku',
    ],
    ['a bundle as a component', () => kit([{ sku: 'TEA-SET', quantity: 1 }]), 422, 'body.components[0].sku'],
    [
      'a duplicate component',
      () =>
        kit([
          { sku: 'CUP', quantity: 1 },
          { sku: 'CUP', quantity: 2 },
        ]),
      422,
      'body.components[1].sku',
    ],
    ['a zero quantity', () => kit([{ sku: 'CUP', quantity: 0 }]), 422, 'body.components[0].quantity'],
    ['a fractional quantity', () => kit([{ sku: 'CUP', quantity: 1.5 }]), 422, 'body.components[0].quantity'],
    ['no components', () => kit([]), 422, 'body.components'],
    [
      '51 components',
      () => kit(Array.from({ length: 51 }, (_, i) => ({ sku: `C${i}`, quantity: 1 }))),
      422,
      'body.components',
    ],
    ['a SKU with a slash', () => kit([{ sku: 'CUP', quantity: 1 }], 'KIT/1'), 422, 'body.sku'],
    ['a product SKU as the bundle SKU', () => kit([{ sku: 'SAUCER', quantity: 1 }], 'CUP'), 409, 'body.sku'],
    ['a duplicate bundle SKU', () => kit([{ sku: 'CUP', quantity: 1 }], 'TEA-SET'), 409, 'body.sku'],
  ];
  for (const [name, body, status, field] of cases) {
    it(`${name} → ${status} ${field}`, async () => {
      const before = await counts();
      const res = await createBundle(body());
      expect(res.status).toBe(status);
      expect(fields(res)).toContain(field);
      expect(res.json.detail.length).toBeGreaterThan(10);
      expect(await counts()).toEqual(before);
    });
  }

  it('refuses a product whose SKU is already a bundle SKU (409 body.sku)', async () => {
    const before = await counts();
    const res = await createProduct('TEA-SET');
    expect(res.status).toBe(409);
    expect(fields(res)).toEqual(['body.sku']);
    expect(await counts()).toEqual(before);
  });

  it('keeps the old components when a PATCH names a bad one', async () => {
    const before = await counts();
    const res = await patchBundle('TEA-SET', {
      name: 'Renamed',
      components: [
        { sku: 'CUP', quantity: 2 },
        { sku: 'SWAP', quantity: 1 },
      ],
    });
    expect(res.status).toBe(422);
    expect(fields(res)).toEqual(['body.components[1].sku']);
    expect(await counts()).toEqual(before);
    const now = await env.request('GET', '/v1/bundles/TEA-SET', { key: t.keys.support });
    expect(now.json.name).toBe('Tea set');
    expect(now.json.components).toEqual([
      { sku: 'CUP', quantity: 4 },
      { sku: 'SAUCER', quantity: 4 },
    ]);
  });
});

describe('the service other modules call', () => {
  it('findProducts returns exactly the existing products of the tenant', async () => {
    const found = await findProducts(env.pool, t.tenant_id, [
      'CUP',
      'GHOST',
      'TEA-SET',
      'OTHER-CUP',
      'CUP',
      'TRAY',
    ]);
    expect([...found.keys()].sort()).toEqual(['CUP', 'TRAY']);
    expect(found.get('CUP')).toMatchObject({ sku: 'CUP', name: 'Product CUP', active: true });
    expect(found.get('CUP')!.product_id).toMatch(/^prd_/);
    expect((await findProducts(env.pool, t.tenant_id, [])).size).toBe(0);
    expect([...(await findProducts(env.pool, other.tenant_id, ['CUP', 'OTHER-CUP'])).keys()]).toEqual([
      'OTHER-CUP',
    ]);
  });

  it('findBundles returns exactly the existing bundles of the tenant, with components', async () => {
    const found = await findBundles(env.pool, t.tenant_id, ['TEA-SET', 'CUP', 'GHOST', 'SWAP']);
    expect([...found.keys()].sort()).toEqual(['SWAP', 'TEA-SET']);
    expect(found.get('TEA-SET')).toMatchObject({
      sku: 'TEA-SET',
      name: 'Tea set',
      active: true,
      components: [
        { sku: 'CUP', quantity: 4 },
        { sku: 'SAUCER', quantity: 4 },
      ],
    });
    expect((await findBundles(env.pool, t.tenant_id, [])).size).toBe(0);
    expect((await findBundles(env.pool, other.tenant_id, ['TEA-SET'])).size).toBe(0);
  });

  it('bundlesContaining lists the bundles a product is part of', async () => {
    expect(await bundlesContaining(env.pool, t.tenant_id, 'CUP')).toEqual(['TEA-SET']);
    expect(await bundlesContaining(env.pool, t.tenant_id, 'TRAY')).toEqual(['RETIRED', 'SWAP']);
    expect(await bundlesContaining(env.pool, t.tenant_id, 'GHOST')).toEqual([]);
    expect(await bundlesContaining(env.pool, other.tenant_id, 'CUP')).toEqual([]);
  });
});
