import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenant, type TestTenant, testApp } from './support.ts';

/** Every refused request answers problem+json naming the field, and leaves no row or event behind. */

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
let t: TestTenant;
let firstId: string;
let secondId: string;
let carrierId: string;

const njWarehouse = (over: Record<string, unknown> = {}) => ({
  name: 'Avenel DC',
  type: 'warehouse',
  address: { line1: '1 Industrial Hwy', city: 'Avenel', region: 'NJ', postal_code: '07001', country: 'US' },
  cutoffs: { mon: '14:00', tue: '14:00', wed: '14:00', thu: '14:00', fri: '14:00' },
  ...over,
});
const byZone = (f: (zone: number) => number) =>
  Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((z) => [String(z), f(z)]));
const ground = (over: Record<string, unknown> = {}) => ({
  name: 'Ground',
  code: 'GND',
  service_level: 'ground',
  transit_days_by_zone: byZone(() => 3),
  rate_table: [{ max_weight_lb: 70, rates_by_zone: byZone((z) => 10 + z) }],
  ...over,
});

const send = (method: string, url: string, body?: unknown) =>
  env.request(method, url, { key: t.keys.manager, body });
const post = (body: unknown) => send('POST', '/v1/locations', body);
const patch = (id: string, body: unknown) => send('PATCH', `/v1/locations/${id}`, body);
const get = (url: string) => env.request('GET', url, { key: t.keys.support });

const counts = async () => {
  const { rows } = await env.pool.query(
    `select (select count(*) from locations)::int as locations, (select count(*) from location_zones)::int as zones,
            (select count(*) from carriers)::int as carriers, (select count(*) from carrier_services)::int as services,
            (select count(*) from events)::int as events,
            (select md5(string_agg(l::text, ',' order by location_id)) from locations l) as location_rows`,
  );
  return rows[0];
};

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
  t = await seedTenant(env.pool, 'Validation Co');
  firstId = (await post(njWarehouse({ external_ref: 'WMS-1' }))).json.location_id;
  secondId = (await post(njWarehouse({ name: 'Second' }))).json.location_id;
  carrierId = (await send('POST', '/v1/carriers', { name: 'United Parcel', code: 'ups' })).json.carrier_id;
  expect((await send('POST', `/v1/carriers/${carrierId}/services`, ground())).status).toBe(201);
});
afterAll(() => env.close());

describe('locations: bad input', () => {
  const address = njWarehouse().address;
  const cases: Array<[string, () => Promise<any>, number, string?]> = [
    [
      'unknown postal code, no coordinates',
      () => post(njWarehouse({ address: { ...address, postal_code: '00000' } })),
      422,
      'body.address.postal_code',
    ],
    [
      'postal code of another country',
      () => post(njWarehouse({ address: { ...address, country: 'FR' } })),
      422,
      'body.address.postal_code',
    ],
    ['bad time zone', () => post(njWarehouse({ time_zone: 'America/Atlantis' })), 422, 'body.time_zone'],
    ['cut-off 25:00', () => post(njWarehouse({ cutoffs: { mon: '25:00' } })), 422, 'body.cutoffs.mon'],
    [
      'unknown weekday',
      () => post(njWarehouse({ cutoffs: { monday: '14:00' } })),
      422,
      'body.cutoffs.monday',
    ],
    [
      'negative cost',
      () => post(njWarehouse({ fulfillment_cost: { per_order: -1, per_unit: 0, currency: 'USD' } })),
      422,
      'body.fulfillment_cost.per_order',
    ],
    [
      'cost with 3 decimals',
      () => post(njWarehouse({ fulfillment_cost: { per_order: 1, per_unit: 0.125, currency: 'USD' } })),
      422,
      'body.fulfillment_cost.per_unit',
    ],
    ['unknown field', () => post(njWarehouse({ dock_doors: 4 })), 422, 'body.dock_doors'],
    [
      'unknown address field',
      () => post(njWarehouse({ address: { ...address, zip: '07001' } })),
      422,
      'body.address.zip',
    ],
    ['latitude without longitude', () => post(njWarehouse({ latitude: 40 })), 422, 'body.longitude'],
    [
      'not a country',
      () => post(njWarehouse({ address: { ...address, country: 'XX' } })),
      422,
      'body.address.country',
    ],
    ['unknown type', () => post(njWarehouse({ type: 'garage' })), 422, 'body.type'],
    ['zero capacity', () => post(njWarehouse({ daily_order_capacity: 0 })), 422, 'body.daily_order_capacity'],
    [
      'negative processing days',
      () => post(njWarehouse({ processing_days: -1 })),
      422,
      'body.processing_days',
    ],
    [
      'unknown holiday region',
      () => post(njWarehouse({ holiday_calendar: { country: 'US', region: 'ZZ' } })),
      422,
      'body.holiday_calendar.region',
    ],
    [
      'bad closed date',
      () => post(njWarehouse({ holiday_calendar: { country: 'US', extra_closed_dates: ['2026-02-30'] } })),
      422,
      'body.holiday_calendar.extra_closed_dates[0]',
    ],
    [
      'unknown ignored holiday',
      () => post(njWarehouse({ holiday_calendar: { country: 'US', ignore_holidays: ['Festivus'] } })),
      422,
      'body.holiday_calendar.ignore_holidays[0]',
    ],
    [
      'empty service countries',
      () => post(njWarehouse({ service_regions: { countries: [] } })),
      422,
      'body.service_regions.countries',
    ],
    [
      'patch with a bad time zone',
      async () => patch(firstId, { time_zone: 'Nowhere/Special' }),
      422,
      'body.time_zone',
    ],
    [
      'patch moving to an unknown ZIP',
      async () => patch(firstId, { address: { ...address, postal_code: '00000' } }),
      422,
      'body.address.postal_code',
    ],
    ['patch with an unknown field', () => patch(firstId, { dock_doors: 4 }), 422, 'body.dock_doors'],
    [
      'patch with a cut-off 24:00',
      () => patch(firstId, { cutoffs: { fri: '24:00' } }),
      422,
      'body.cutoffs.fri',
    ],
    ['patch of an unknown location', () => patch('loc_missing', { name: 'x' }), 404],
    ['bad patch of an unknown location', () => patch('loc_missing', { time_zone: 'Nowhere/Special' }), 404],
    ['unknown location', () => get('/v1/locations/loc_missing'), 404],
    ['bad list filter', () => get('/v1/locations?type=garage'), 422, 'query.type'],
  ];

  for (const [name, send, status, field] of cases) {
    it(`${name} → ${status}`, async () => {
      const before = await counts();
      const res = await send();
      expectProblem(res, status, field);
      expect(await counts()).toEqual(before);
    });
  }

  it('refuses an external_ref another location has, on create and on change', async () => {
    const before = await counts();
    const dup = await post(njWarehouse({ external_ref: 'WMS-1' }));
    expectProblem(dup, 409);
    expect(dup.json.field).toBe('body.external_ref');
    expectProblem(await patch(secondId, { external_ref: 'WMS-1' }), 409);
    expect(await counts()).toEqual(before);
  });
});

describe('carriers and services: bad input', () => {
  const invalidCases: Array<[string, () => Promise<any>, number, string?]> = [
    [
      'rate table missing zone 8',
      () =>
        send('POST', `/v1/carriers/${carrierId}/services`, {
          ...ground({ code: 'X1' }),
          rate_table: [{ max_weight_lb: 1, rates_by_zone: { ...byZone(() => 5), 8: undefined } }],
        }),
      422,
      'body.rate_table[0].rates_by_zone[8]',
    ],
    [
      'rate table with a zone 9',
      () =>
        send('POST', `/v1/carriers/${carrierId}/services`, {
          ...ground({ code: 'X2' }),
          rate_table: [{ max_weight_lb: 1, rates_by_zone: { ...byZone(() => 5), 9: 5 } }],
        }),
      422,
      'body.rate_table[0].rates_by_zone.9',
    ],
    [
      'weights not ascending',
      () =>
        send('POST', `/v1/carriers/${carrierId}/services`, {
          ...ground({ code: 'X3' }),
          rate_table: [
            { max_weight_lb: 10, rates_by_zone: byZone(() => 5) },
            { max_weight_lb: 5, rates_by_zone: byZone(() => 6) },
          ],
        }),
      422,
      'body.rate_table[1].max_weight_lb',
    ],
    [
      'negative rate',
      () =>
        send('POST', `/v1/carriers/${carrierId}/services`, {
          ...ground({ code: 'X4' }),
          rate_table: [{ max_weight_lb: 1, rates_by_zone: { ...byZone(() => 5), 3: -1 } }],
        }),
      422,
      'body.rate_table[0].rates_by_zone[3]',
    ],
    [
      'transit days missing a zone',
      () =>
        send('POST', `/v1/carriers/${carrierId}/services`, {
          ...ground({ code: 'X5' }),
          transit_days_by_zone: { 1: 1, 2: 1 },
        }),
      422,
      'body.transit_days_by_zone[3]',
    ],
    [
      'unknown service level',
      () =>
        send('POST', `/v1/carriers/${carrierId}/services`, ground({ code: 'X6', service_level: 'teleport' })),
      422,
      'body.service_level',
    ],
    [
      'repeated delivery weekday',
      () =>
        send(
          'POST',
          `/v1/carriers/${carrierId}/services`,
          ground({ code: 'X7', delivery_weekdays: ['mon', 'mon'] }),
        ),
      422,
      'body.delivery_weekdays',
    ],
    [
      'unknown field',
      () => send('POST', `/v1/carriers/${carrierId}/services`, ground({ code: 'X8', fuel_surcharge: 3 })),
      422,
      'body.fuel_surcharge',
    ],
    ['unknown carrier for a service', () => send('POST', '/v1/carriers/car_missing/services', ground()), 404],
    ['bad service for an unknown carrier', () => send('POST', '/v1/carriers/car_missing/services', {}), 404],
    ['unknown service', () => send('GET', `/v1/carriers/${carrierId}/services/svc_missing`), 404],
    ['services of an unknown carrier', () => send('GET', '/v1/carriers/car_missing/services'), 404],
    [
      'duplicate service code',
      () => send('POST', `/v1/carriers/${carrierId}/services`, ground({ code: 'gnd' })),
      409,
    ],
    [
      'unreadable holiday rule',
      () =>
        send('POST', '/v1/carriers', { name: 'Odd', code: 'odd', holidays: ['12-25', 'whenever it snows'] }),
      422,
      'body.holidays[1]',
    ],
    [
      'carrier with an unknown field',
      () => send('POST', '/v1/carriers', { name: 'Odd', code: 'odd', trucks: 5 }),
      422,
      'body.trucks',
    ],
    [
      'carrier code with spaces',
      () => send('POST', '/v1/carriers', { name: 'Odd', code: 'o d d' }),
      422,
      'body.code',
    ],
  ];

  for (const [name, run, status, field] of invalidCases) {
    it(`${name} → ${status}, nothing written`, async () => {
      const before = await counts();
      expectProblem(await run(), status, field);
      expect(await counts()).toEqual(before);
    });
  }

  it('says plainly which zone is missing', async () => {
    const res = await send('POST', `/v1/carriers/${carrierId}/services`, {
      ...ground({ code: 'X9' }),
      transit_days_by_zone: { 1: 1 },
    });
    expect(res.json.errors[0]).toEqual({
      path: 'body.transit_days_by_zone[2]',
      message: 'Every zone 1-8 needs a value.',
    });
  });
});
