import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONFIG_TTL_MS } from '../src/lib/ttl-cache.ts';
import { DEFAULT_CARRIER_HOLIDAYS, isDeliveryDay } from '../src/modules/network/calendar.ts';
import { billableWeightLb, rateFor, transitDaysFor } from '../src/modules/network/rates.ts';
import { networkSnapshot } from '../src/modules/network/service.ts';
import { servesDestination, zoneInSnapshot } from '../src/modules/network/snapshot.ts';
import { seedTenant, type TestTenant, testApp } from './support.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let t: TestTenant;

const byZone = (f: (zone: number) => number) =>
  Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((z) => [String(z), f(z)]));

const ground = (over: Record<string, unknown> = {}) => ({
  name: 'Ground',
  code: 'GND',
  service_level: 'ground',
  transit_days_by_zone: byZone((z) => Math.min(5, Math.ceil(z / 2) + 1)),
  rate_table: [
    { max_weight_lb: 1, rates_by_zone: byZone((z) => 7.5 + z) },
    { max_weight_lb: 10, rates_by_zone: byZone((z) => 10.25 + 2 * z) },
    { max_weight_lb: 70, rates_by_zone: byZone((z) => 25 + 5 * z) },
  ],
  ...over,
});

const send = (method: string, url: string, body?: unknown) =>
  env.request(method, url, { key: t.keys.manager, body });

const counts = async () => {
  const { rows } = await env.pool.query(
    `select (select count(*) from carriers)::int as carriers, (select count(*) from carrier_services)::int as services,
            (select count(*) from events)::int as events`,
  );
  return rows[0];
};
const lastEvent = async (subject: string) =>
  (
    await env.pool.query('select type, data from events where subject = $1 order by event_id desc limit 1', [
      subject,
    ])
  ).rows[0];

function expectProblem(res: { status: number; headers: Headers; json: any }, status: number, field?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  if (field) {
    expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect(res.json.detail).toContain(field);
  }
}

let carrierId: string;
let serviceId: string;

beforeAll(async () => {
  env = await testApp();
  t = await seedTenant(env.pool, 'Carrier Co');
  const carrier = await send('POST', '/v1/carriers', { name: 'United Parcel', code: 'ups' });
  carrierId = carrier.json.carrier_id;
});
afterAll(() => env.close());

describe('carriers', () => {
  it('creates a carrier with the default carrier holidays and announces it', async () => {
    const res = await send('GET', `/v1/carriers/${carrierId}`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      name: 'United Parcel',
      code: 'ups',
      active: true,
      holidays: DEFAULT_CARRIER_HOLIDAYS,
    });
    expect(carrierId).toMatch(/^car_/);
    expect((await lastEvent(carrierId)).type).toBe('carrier.created');
  });

  it('changes name, holidays and active flag, saying what changed', async () => {
    const other = await send('POST', '/v1/carriers', { name: 'Regional', code: 'reg', holidays: ['12-25'] });
    expect(other.status).toBe(201);
    const id = other.json.carrier_id;
    const res = await send('PATCH', `/v1/carriers/${id}`, {
      name: 'Regional Express',
      holidays: ['12-25', '4th thursday in November'],
      active: false,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ name: 'Regional Express', active: false });
    const event = await lastEvent(id);
    expect(event.type).toBe('carrier.updated');
    expect(event.data.changed.sort()).toEqual(['active', 'holidays', 'name']);
    const inactive = await env.request('GET', '/v1/carriers?active=false', { key: t.keys.support });
    expect(inactive.json.data.map((c: any) => c.carrier_id)).toEqual([id]);
  });

  it('refuses a code another carrier has, whatever its case', async () => {
    const before = await counts();
    const dup = await send('POST', '/v1/carriers', { name: 'Again', code: 'UPS' });
    expectProblem(dup, 409);
    expect(dup.json.field).toBe('body.code');
    expectProblem(await send('PATCH', `/v1/carriers/${carrierId}`, { code: 'REG' }), 409);
    expect(await counts()).toEqual(before);
  });
});

describe('carrier services', () => {
  it('creates a service with defaults and reads it back', async () => {
    const res = await send('POST', `/v1/carriers/${carrierId}/services`, ground());
    expect(res.status).toBe(201);
    serviceId = res.json.service_id;
    expect(serviceId).toMatch(/^svc_/);
    expect(res.json).toMatchObject({
      carrier_id: carrierId,
      service_level: 'ground',
      delivery_weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
      dim_divisor: 139,
      currency: 'USD',
      active: true,
    });
    expect((await send('GET', `/v1/carriers/${carrierId}/services/${serviceId}`)).json).toEqual(res.json);
    expect((await lastEvent(serviceId)).type).toBe('carrier_service.created');
    const list = await send('GET', `/v1/carriers/${carrierId}/services`);
    expect(list.json.data.map((s: any) => s.service_id)).toEqual([serviceId]);
  });

  it('changes its tables and says what changed', async () => {
    const res = await send('PATCH', `/v1/carriers/${carrierId}/services/${serviceId}`, {
      delivery_weekdays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      dim_divisor: 166,
    });
    expect(res.status).toBe(200);
    expect(res.json.dim_divisor).toBe(166);
    const event = await lastEvent(serviceId);
    expect(event.type).toBe('carrier_service.updated');
    expect(event.data.changed.sort()).toEqual(['delivery_weekdays', 'dim_divisor']);
  });

  it('does not find a service under another carrier', async () => {
    const other = await send('POST', '/v1/carriers', { name: 'FedEx', code: 'fedex' });
    const res = await send('GET', `/v1/carriers/${other.json.carrier_id}/services/${serviceId}`);
    expectProblem(res, 404);
    const patch = await send('PATCH', `/v1/carriers/${other.json.carrier_id}/services/${serviceId}`, {
      name: 'x',
    });
    expectProblem(patch, 404);
  });
});

describe('network snapshot', () => {
  it('holds active locations with zone tables and active services of active carriers, for planning without I/O', async () => {
    const address = { line1: '1 Dock', city: 'Avenel', region: 'NJ', postal_code: '07001', country: 'US' };
    const cutoffs = { mon: '15:00', tue: '15:00', wed: '15:00', thu: '15:00', fri: '15:00' };
    const nj = await send('POST', '/v1/locations', { name: 'NJ', type: 'warehouse', address, cutoffs });
    const closed = await send('POST', '/v1/locations', {
      name: 'Closed',
      type: 'store',
      address,
      cutoffs,
      active: false,
    });
    expect(closed.status).toBe(201);
    const paused = await send(
      'POST',
      `/v1/carriers/${carrierId}/services`,
      ground({ code: 'PAUSED', active: false }),
    );
    expect(paused.status).toBe(201);
    const inactiveCarrier = await send('POST', '/v1/carriers', { name: 'Gone', code: 'gone', active: false });
    await send('POST', `/v1/carriers/${inactiveCarrier.json.carrier_id}/services`, ground());

    const snap = await networkSnapshot(env.pool, t.tenant_id);
    expect(snap.locations.map((l) => l.location_id)).toEqual([nj.json.location_id]);
    expect(snap.services.map((s) => s.service_id)).toEqual([serviceId]);

    const [loc] = snap.locations;
    const [svc] = snap.services;
    expect(svc).toMatchObject({ carrier_code: 'ups', holidays: DEFAULT_CARRIER_HOLIDAYS });
    expect(servesDestination(loc!, { country: 'US', region: 'CA', postal_code: '90001' })).toBe(true);
    const zone = zoneInSnapshot(loc!, '90001')!;
    expect(zone.zone).toBe(8);
    // 3 lb in a 12-inch cube at divisor 166 bills 11 lb: the 70 lb bracket, zone 8.
    const billable = billableWeightLb(3, { length_in: 12, width_in: 12, height_in: 12 }, svc!.dim_divisor);
    expect(billable).toBe(11);
    expect(rateFor(svc!, zone.zone, billable)).toBe(65);
    expect(transitDaysFor(svc!, zone.zone)).toBe(5);
    expect(isDeliveryDay('2026-11-28', svc!)).toBe(true);
    expect(isDeliveryDay('2026-11-26', svc!)).toBe(false);

    // For one destination the snapshot carries only that ZIP3's zone, with the same answer.
    const forLa = await networkSnapshot(env.pool, t.tenant_id, '90001');
    expect(Object.keys(forLa.locations[0]!.zones)).toEqual(['900']);
    expect(zoneInSnapshot(forLa.locations[0]!, '90001')).toEqual(zone);
    const abroad = await networkSnapshot(env.pool, t.tenant_id, 'M5V 2T6');
    expect(abroad.locations[0]!.zones).toEqual({});
  });

  it("keeps a destination's zone rows while the locations stay as they were", async () => {
    const other = await seedTenant(env.pool, 'Zones Kept Co');
    const address = { line1: '1 Dock', city: 'Avenel', region: 'NJ', postal_code: '07001', country: 'US' };
    const cutoffs = { mon: '15:00' };
    const nj = await env.request('POST', '/v1/locations', {
      key: other.keys.manager,
      body: { name: 'NJ', type: 'warehouse', address, cutoffs },
    });
    expect(nj.status).toBe(201);
    const zoneToLa = async () =>
      zoneInSnapshot((await networkSnapshot(env.pool, other.tenant_id, '90001')).locations[0]!, '90001')
        ?.zone;
    // Past the creation's commit grace and the network's lifetime, as every step below.
    let now = Date.now();
    const later = () => {
      now += CONFIG_TTL_MS + 2_001;
      vi.setSystemTime(now);
    };
    vi.useFakeTimers({ toFake: ['Date'], now });
    try {
      later();
      expect(await zoneToLa()).toBe(8);
      // A row changed behind the location's back (no code path does): the kept row stands.
      await env.pool.query(`update location_zones set zone = 7 where location_id = $1 and zip3 = '900'`, [
        nj.json.location_id,
      ]);
      later();
      expect(await zoneToLa()).toBe(8);
      // Once the location changes (as another process's update would), its rows are read again.
      await env.pool.query(
        `update locations set updated_at = updated_at + interval '1 second' where location_id = $1`,
        [nj.json.location_id],
      );
      expect(await zoneToLa()).toBe(8);
      later();
      expect(await zoneToLa()).toBe(7);
      // A move through this process is seen at once: its zone table is rewritten.
      const moved = await env.request('PATCH', `/v1/locations/${nj.json.location_id}`, {
        key: other.keys.manager,
        body: { address: { ...address, city: 'Los Angeles', region: 'CA', postal_code: '90012' } },
      });
      expect(moved.status).toBe(200);
      expect(await zoneToLa()).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
