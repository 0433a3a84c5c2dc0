import { expect } from 'vitest';
import type { testAppOn } from './support.ts';

type Env = ReturnType<typeof testAppOn>;

const ZIPS = ['07001', '60601', '94105', '30301', '75201'];

/** Products and warehouses through the API, the way a merchant would set them up. */
export async function seedNetwork(env: Env, key: string, opts: { skus: string[]; locations: number }) {
  for (const sku of opts.skus) {
    const res = await env.request('POST', '/v1/products', {
      key,
      body: { sku, name: `Product ${sku}`, weight_lb: 1, unit_cost: 4, price: 10 },
    });
    expect(res.status, res.text).toBe(201);
  }
  const locations: string[] = [];
  for (let i = 0; i < opts.locations; i++) {
    const res = await env.request('POST', '/v1/locations', {
      key,
      body: {
        name: `Warehouse ${i + 1}`,
        type: 'warehouse',
        address: {
          line1: `${i + 1} Dock Road`,
          city: 'Somewhere',
          region: 'NJ',
          postal_code: ZIPS[i % ZIPS.length],
          country: 'US',
        },
        cutoffs: { mon: '15:00', tue: '15:00', wed: '15:00', thu: '15:00', fri: '15:00' },
      },
    });
    expect(res.status, res.text).toBe(201);
    locations.push(res.json.location_id);
  }
  return locations;
}

/** Stock appears as "found": the same path a receipt without a purchase order takes. */
export async function stock(env: Env, key: string, sku: string, location_id: string, quantity: number) {
  const res = await env.request('POST', '/v1/inventory/adjustments', {
    key,
    body: { sku, location_id, reason: 'found', quantity },
  });
  expect(res.status, res.text).toBe(201);
  return res.json;
}
