import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zip3Centroids } from '../src/modules/network/geo.ts';
import { seedTenant, type TestTenant, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let t: TestTenant;

const njWarehouse = (over: Record<string, unknown> = {}) => ({
  name: 'Avenel DC',
  type: 'warehouse',
  address: { line1: '1 Industrial Hwy', city: 'Avenel', region: 'NJ', postal_code: '07001', country: 'US' },
  cutoffs: { mon: '14:00', tue: '14:00', wed: '14:00', thu: '14:00', fri: '14:00' },
  ...over,
});

const post = (body: unknown) => env.request('POST', '/v1/locations', { key: t.keys.manager, body });
const patch = (id: string, body: unknown) =>
  env.request('PATCH', `/v1/locations/${id}`, { key: t.keys.manager, body });
const get = (url: string) => env.request('GET', url, { key: t.keys.support });

const counts = async () => {
  const { rows } = await env.pool.query(
    `select (select count(*) from locations)::int as locations, (select count(*) from location_zones)::int as zones,
            (select count(*) from events)::int as events`,
  );
  return rows[0];
};
const zoneRows = async (id: string) =>
  (await env.pool.query('select count(*)::int as n from location_zones where location_id = $1', [id])).rows[0]
    .n;
const eventsOf = async (id: string) =>
  (await env.pool.query('select type, data from events where subject = $1 order by event_id', [id])).rows;

function expectProblem(res: { status: number; headers: Headers; json: any }, status: number, field?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  if (field) {
    expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect(res.json.detail).toContain(field);
  }
}

beforeAll(async () => {
  env = await testApp();
  t = await seedTenant(env.pool, 'Network Co');
});
afterAll(() => env.close());

describe('creating a location', () => {
  it('fills coordinates, time zone and defaults from a real ZIP, and announces it', async () => {
    const res = await post(njWarehouse({ external_ref: 'WMS-1' }));
    expect(res.status).toBe(201);
    const loc = res.json;
    expect(loc.location_id).toMatch(/^loc_/);
    expect(loc.latitude).toBeCloseTo(40.58, 1);
    expect(loc.longitude).toBeCloseTo(-74.28, 1);
    expect(loc).toMatchObject({
      time_zone: 'America/New_York',
      processing_days: 0,
      holiday_calendar: { country: 'US', region: 'NJ' },
      daily_order_capacity: null,
      active: true,
      service_regions: { countries: ['US'] },
      fulfillment_cost: { per_order: 0, per_unit: 0, currency: 'USD' },
      picking_method: 'single',
      inventory_type: 'owned',
      accepts_returns: true,
      external_ref: 'WMS-1',
    });
    expect(await eventsOf(loc.location_id)).toEqual([
      { type: 'location.created', data: expect.objectContaining({ location_id: loc.location_id }) },
    ]);
    expect((await get(`/v1/locations/${loc.location_id}`)).json).toEqual(loc);
  });

  it('derives the time zone of each coast from its ZIP', async () => {
    const ny = await post(
      njWarehouse({
        name: 'NYC store',
        type: 'store',
        address: { ...njWarehouse().address, city: 'New York', region: 'NY', postal_code: '10001' },
      }),
    );
    expect(ny.json.time_zone).toBe('America/New_York');
    const sf = await post(
      njWarehouse({
        name: 'SF',
        address: { ...njWarehouse().address, city: 'San Francisco', region: 'CA', postal_code: '94105' },
      }),
    );
    expect(sf.status).toBe(201);
    expect(sf.json.time_zone).toBe('America/Los_Angeles');
    expect(sf.json.latitude).toBeCloseTo(37.79, 1);
  });

  it('keeps every field sent, and defaults a drop-ship supplier to drop-ship inventory', async () => {
    const res = await post(
      njWarehouse({
        name: 'Supplier',
        type: 'dropship_supplier',
        latitude: 40.5,
        longitude: -74.3,
        time_zone: 'America/Chicago',
        processing_days: 2,
        holiday_calendar: {
          country: 'US',
          ignore_holidays: ['Columbus Day'],
          extra_closed_dates: ['2026-12-24'],
        },
        daily_order_capacity: 500,
        service_regions: { countries: ['us'], regions: ['ny', 'NJ'], postal_prefixes: ['191'] },
        fulfillment_cost: { per_order: 1.25, per_unit: 0.3, currency: 'USD' },
        picking_method: 'wave',
        accepts_returns: false,
      }),
    );
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      latitude: 40.5,
      longitude: -74.3,
      time_zone: 'America/Chicago',
      processing_days: 2,
      daily_order_capacity: 500,
      service_regions: { countries: ['US'], regions: ['NY', 'NJ'], postal_prefixes: ['191'] },
      fulfillment_cost: { per_order: 1.25, per_unit: 0.3 },
      picking_method: 'wave',
      inventory_type: 'dropship',
      accepts_returns: false,
    });
  });

  it('accepts a postal code outside the data when coordinates are sent, taking the zone there', async () => {
    const res = await post(
      njWarehouse({
        address: { ...njWarehouse().address, postal_code: '00000' },
        latitude: 41.88,
        longitude: -87.63,
      }),
    );
    expect(res.status).toBe(201);
    expect(res.json.time_zone).toBe('America/Chicago');
  });

  it('geocodes a Canadian location but gives it no US zones', async () => {
    const res = await post(
      njWarehouse({
        name: 'Toronto',
        address: {
          line1: '1 Front St',
          city: 'Toronto',
          region: 'ON',
          postal_code: 'M5V 2T6',
          country: 'CA',
        },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      time_zone: 'America/Toronto',
      holiday_calendar: { country: 'CA', region: 'ON' },
    });
    expect(await zoneRows(res.json.location_id)).toBe(0);
    expectProblem(
      await get(`/v1/locations/${res.json.location_id}/zones?postal_code=10001`),
      422,
      'query.postal_code',
    );
  });
});

describe('zones', () => {
  let id: string;
  beforeAll(async () => {
    id = (await post(njWarehouse({ name: 'Zones NJ' }))).json.location_id;
  });

  it('writes one row per ZIP3 with the location', async () => {
    expect(await zoneRows(id)).toBe(zip3Centroids().size);
  });

  it('answers zone and distance from New Jersey by destination', async () => {
    const zone = async (postal: string) =>
      (await get(`/v1/locations/${id}/zones?postal_code=${postal}`)).json;
    const ny = await zone('10001');
    expect(ny).toMatchObject({ location_id: id, postal_code: '10001', zip3: '100' });
    expect(ny.zone).toBeLessThanOrEqual(2);
    expect(ny.distance_miles).toBeLessThan(50);
    expect((await zone('60601')).zone).toBe(5);
    expect(await zone('90001')).toMatchObject({ zone: 8 });
    expect((await zone('90001')).distance_miles).toBeGreaterThan(2300);
  });

  it('refuses a destination it has no zone for, and 404s an unknown location', async () => {
    expectProblem(await get(`/v1/locations/${id}/zones?postal_code=M5V%202T6`), 422, 'query.postal_code');
    expectProblem(await get(`/v1/locations/${id}/zones`), 422, 'query.postal_code');
    expectProblem(await get('/v1/locations/loc_missing/zones?postal_code=10001'), 404);
    expectProblem(await get('/v1/locations/loc_missing/zones'), 404);
  });

  it('recomputes coordinates, time zone and zones when the address moves', async () => {
    const moved = await patch(id, {
      address: {
        line1: '1 Market St',
        city: 'San Francisco',
        region: 'CA',
        postal_code: '94105',
        country: 'US',
      },
    });
    expect(moved.status).toBe(200);
    expect(moved.json.time_zone).toBe('America/Los_Angeles');
    expect(moved.json.latitude).toBeCloseTo(37.79, 1);
    expect(await zoneRows(id)).toBe(zip3Centroids().size);
    const la = await get(`/v1/locations/${id}/zones?postal_code=90001`);
    expect(la.json.zone).toBe(4);
    expect((await get(`/v1/locations/${id}/zones?postal_code=10001`)).json.zone).toBe(8);
    const last = (await eventsOf(id)).at(-1);
    expect(last.type).toBe('location.updated');
    expect(last.data.changed).toEqual(
      expect.arrayContaining(['address', 'latitude', 'longitude', 'time_zone']),
    );
  });

  it('keeps a time zone sent with the move', async () => {
    const res = await patch(id, {
      address: { line1: '1 Main', city: 'Chicago', region: 'IL', postal_code: '60601', country: 'US' },
      time_zone: 'America/New_York',
    });
    expect(res.json.time_zone).toBe('America/New_York');
    expect(res.json.latitude).toBeCloseTo(41.88, 1);
  });
});

describe('changing and deactivating', () => {
  let id: string;
  beforeAll(async () => {
    id = (await post(njWarehouse({ name: 'Changing' }))).json.location_id;
  });

  it('changes only the fields sent and says which changed', async () => {
    const res = await patch(id, { cutoffs: { mon: '16:30' }, daily_order_capacity: 1200, name: 'Changed' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      cutoffs: { mon: '16:30' },
      daily_order_capacity: 1200,
      name: 'Changed',
    });
    expect(res.json.time_zone).toBe('America/New_York');
    expect((await eventsOf(id)).at(-1).data.changed.sort()).toEqual([
      'cutoffs',
      'daily_order_capacity',
      'name',
    ]);
    const cleared = await patch(id, { daily_order_capacity: null });
    expect(cleared.json.daily_order_capacity).toBeNull();
  });

  it('writes nothing and announces nothing for a patch that changes nothing', async () => {
    const before = await counts();
    expect((await patch(id, {})).status).toBe(200);
    expect((await patch(id, { name: 'Changed' })).status).toBe(200);
    expect(await counts()).toEqual(before);
  });

  it('deactivates without deleting, and lists by active flag and type', async () => {
    const res = await patch(id, { active: false });
    expect(res.status).toBe(200);
    expect(res.json.active).toBe(false);
    expect((await eventsOf(id)).at(-1).type).toBe('location.deactivated');
    expect((await get(`/v1/locations/${id}`)).json.active).toBe(false);
    expect(await zoneRows(id)).toBe(zip3Centroids().size);
    const active = await get('/v1/locations?active=true&limit=200');
    expect(active.json.data.map((l: any) => l.location_id)).not.toContain(id);
    const inactive = await get('/v1/locations?active=false');
    expect(inactive.json.data.map((l: any) => l.location_id)).toEqual([id]);
    const stores = await get('/v1/locations?type=store');
    expect(stores.json.data.every((l: any) => l.type === 'store')).toBe(true);
    expect(stores.json.data.length).toBeGreaterThan(0);
    const reactivated = await patch(id, { active: true });
    expect(reactivated.json.active).toBe(true);
    expect((await eventsOf(id)).at(-1).type).toBe('location.updated');
  });

  it('pages through every location once', async () => {
    const all = (await get('/v1/locations?limit=200')).json.data.map((l: any) => l.location_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await get(`/v1/locations?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.json.data.map((l: any) => l.location_id));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all);
    expect(all.length).toBeGreaterThan(4);
  });

  it('lets support read but not write', async () => {
    expect((await get(`/v1/locations/${id}`)).status).toBe(200);
    const res = await env.request('PATCH', `/v1/locations/${id}`, {
      key: t.keys.support,
      body: { name: 'x' },
    });
    expect(res.status).toBe(403);
    const created = await env.request('POST', '/v1/locations', { key: t.keys.support, body: njWarehouse() });
    expect(created.status).toBe(403);
  });
});
