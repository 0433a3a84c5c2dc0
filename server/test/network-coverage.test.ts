import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemo } from '../src/demo.ts';
import {
  bundledZipCells,
  type CoverageCell,
  type CoverageLocation,
  type CoverageService,
  groundCoverage,
} from '../src/modules/network/coverage.ts';
import type { ZoneEntry } from '../src/modules/network/geo.ts';
import { bundledPopulationCells, zip3Population } from '../src/modules/network/population.ts';
import { freshDatabase, testAppOn } from './support.ts';

type Zone = ZoneEntry['zone'];
const byZone = (f: (zone: number) => number) =>
  Object.fromEntries(
    [1, 2, 3, 4, 5, 6, 7, 8].map((z) => [String(z), f(z)]),
  ) as CoverageService['transit_days_by_zone'];
const ground = (f: (zone: number) => number, level: CoverageService['service_level'] = 'ground') => ({
  service_level: level,
  transit_days_by_zone: byZone(f),
  active: true,
});
/** Ground transit: zones 1-2 one day, 3-4 two days, 5-6 three days, 7-8 five days. */
const GROUND = ground((z) => [1, 1, 2, 2, 3, 3, 5, 5][z - 1]!);

const ZIP3S = ['100', '200', '300', '400', '500'];
const REGION: Record<string, string> = { '100': 'NY', '200': 'DC', '300': 'GA', '400': 'KY', '500': 'IA' };
const WEIGHT: Record<string, number> = { '100': 10, '200': 20, '300': 30, '400': 25, '500': 15 };
const CELLS: CoverageCell[] = ZIP3S.map((zip3) => ({
  zip3,
  region: REGION[zip3]!,
  postal_code: `${zip3}01`,
  weight: WEIGHT[zip3]!,
}));

const loc = (
  location_id: string,
  zones: Record<string, number>,
  service_regions: CoverageLocation['service_regions'] = { countries: ['US'] },
  active = true,
): CoverageLocation => ({
  location_id,
  active,
  service_regions,
  zones: Object.fromEntries(
    Object.entries(zones).map(([zip3, zone]) => [zip3, { zone: zone as Zone, distance_miles: 0 }]),
  ),
});

// Zones 1, 3, 5, 7 and 4 → days 1, 2, 3, 5, 2.
const EAST = loc('loc_east', { '100': 1, '200': 3, '300': 5, '400': 7, '500': 4 });

describe('groundCoverage (pure)', () => {
  it('sums a single location’s weights by hand: 1 day 10, 2 days 10+20+15, 3 days +30', () => {
    const r = groundCoverage([EAST], [GROUND], CELLS);
    expect(r.total_weight).toBe(100);
    expect(r.overall).toEqual({
      within_1_day: 0.1,
      within_2_days: 0.45,
      within_3_days: 0.75,
      unreachable: 0,
    });
    expect(r.by_location).toEqual([{ location_id: 'loc_east', shares: r.overall }]);
    expect(r.unreachable_zip3s).toEqual([]);
  });

  it('takes the fastest ground service and ignores air, inactive and other levels', () => {
    const faster = ground((z) => (z === 7 ? 3 : 9));
    const air = ground(() => 1, 'two_day');
    const off = { ...ground(() => 1), active: false };
    const r = groundCoverage([EAST], [GROUND, faster, air, off], CELLS);
    expect(r.overall).toEqual({ within_1_day: 0.1, within_2_days: 0.45, within_3_days: 1, unreachable: 0 });
  });

  it('lets the set use whichever location is fastest for each destination', () => {
    const west = loc('loc_west', { '400': 1, '500': 1 }); // only these two ZIP3s have zones
    const r = groundCoverage([EAST, west], [GROUND], CELLS);
    expect(r.overall.within_1_day).toBeCloseTo(0.5);
    expect(r.overall.within_3_days).toBeCloseTo(1);
    expect(r.by_location[1]!.shares).toEqual({
      within_1_day: 0.4,
      within_2_days: 0.4,
      within_3_days: 0.4,
      unreachable: 0.6,
    });
    expect(groundCoverage([west], [GROUND], CELLS).unreachable_zip3s).toEqual(['100', '200', '300']);
  });

  it('counts a location only where its service regions allow', () => {
    const byRegion = loc('loc_r', { '100': 1, '200': 1, '300': 1 }, { countries: ['US'], regions: ['NY'] });
    expect(groundCoverage([byRegion], [GROUND], CELLS).overall.within_1_day).toBe(0.1);
    const byPrefix = loc(
      'loc_p',
      { '100': 1, '200': 1, '300': 1 },
      { countries: ['US'], postal_prefixes: ['2000'] },
    );
    expect(groundCoverage([byPrefix], [GROUND], CELLS).overall.within_1_day).toBe(0.2);
    const canadaOnly = loc('loc_ca', { '100': 1 }, { countries: ['CA'] });
    const r = groundCoverage([canadaOnly], [GROUND], CELLS);
    expect(r.overall.unreachable).toBe(1);
    expect(r.unreachable_zip3s).toEqual(ZIP3S);
  });

  it('counts nothing for an inactive location, without ground service, or with no weight', () => {
    const zero = { within_1_day: 0, within_2_days: 0, within_3_days: 0, unreachable: 1 };
    expect(groundCoverage([{ ...EAST, active: false }], [GROUND], CELLS).overall).toEqual(zero);
    expect(groundCoverage([EAST], [], CELLS).overall).toEqual(zero);
    expect(groundCoverage([EAST], [ground(() => 1, 'overnight')], CELLS).overall).toEqual(zero);
    expect(groundCoverage([], [GROUND], CELLS).overall).toEqual(zero);
    expect(groundCoverage([EAST], [GROUND], []).overall).toEqual({ ...zero, unreachable: 0 });
  });

  it('never loses coverage when a location is added (property)', () => {
    const zone = fc.integer({ min: 1, max: 8 });
    const location = fc.record({
      zones: fc.dictionary(fc.constantFrom(...ZIP3S), zone),
      regions: fc.option(fc.subarray(Object.values(REGION)), { nil: undefined }),
      active: fc.boolean(),
    });
    const service = fc.record({
      days: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 8, maxLength: 8 }),
      level: fc.constantFrom('ground', 'two_day', 'economy') as fc.Arbitrary<
        CoverageService['service_level']
      >,
    });
    fc.assert(
      fc.property(
        fc.array(location, { maxLength: 4 }),
        location,
        fc.array(service, { maxLength: 3 }),
        (set, extra, svc) => {
          const toLoc = (l: typeof extra, i: number) =>
            loc(
              `loc_${i}`,
              l.zones,
              { countries: ['US'], ...(l.regions ? { regions: l.regions } : {}) },
              l.active,
            );
          const services = svc.map((s) => ground((z) => s.days[z - 1]!, s.level));
          const before = groundCoverage(set.map(toLoc), services, CELLS).overall;
          const after = groundCoverage([...set, extra].map(toLoc), services, CELLS);
          expect(after.overall.within_1_day).toBeGreaterThanOrEqual(before.within_1_day - 1e-12);
          expect(after.overall.within_2_days).toBeGreaterThanOrEqual(before.within_2_days - 1e-12);
          expect(after.overall.within_3_days).toBeGreaterThanOrEqual(before.within_3_days - 1e-12);
          expect(after.overall.unreachable).toBeLessThanOrEqual(before.unreachable + 1e-12);
          for (const one of after.by_location) {
            expect(after.overall.within_3_days).toBeGreaterThanOrEqual(one.shares.within_3_days - 1e-12);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('weights ZIP3s by population: New York far above rural Montana, the total about the US', () => {
    const people = zip3Population();
    const total = [...people.values()].reduce((s, x) => s + x, 0);
    // GeoNames places of 1,000 people or more: most of the US, not all of it.
    expect(total).toBeGreaterThan(200_000_000);
    expect(total).toBeLessThan(340_000_000);
    // Manhattan (100), Brooklyn (112) and Chicago (606) against Billings, Montana (590).
    for (const city of ['100', '112', '606']) {
      expect(people.get(city)).toBeGreaterThan(1_000_000);
      expect(people.get(city)!).toBeGreaterThan(20 * people.get('590')!);
    }
    expect(people.get('590')).toBeGreaterThan(0);
    // PO-box prefixes sit on their city's point but hold no residents.
    expect(people.get('101') ?? 0).toBeLessThan(people.get('100')! / 10);
  });

  it('spreads each ZIP3’s people evenly over its ZIP codes, and leaves out ZIP3s without any', () => {
    const cells = bundledPopulationCells();
    const people = zip3Population();
    const zipsPer = new Map<string, number>();
    for (const c of bundledZipCells()) zipsPer.set(c.zip3, (zipsPer.get(c.zip3) ?? 0) + 1);
    const byZip3 = new Map<string, number[]>();
    for (const c of cells) byZip3.set(c.zip3, [...(byZip3.get(c.zip3) ?? []), c.weight]);
    expect(new Set(byZip3.keys())).toEqual(new Set(people.keys()));
    for (const [zip3, weights] of byZip3) {
      expect(weights.every((x) => x > 0 && Math.abs(x - weights[0]!) < 1e-9)).toBe(true);
      expect(weights.reduce((s, x) => s + x, 0)).toBeCloseTo(people.get(zip3)!, 3);
      expect(weights.length).toBe(zipsPer.get(zip3));
    }
  });

  it('reports shares of the population between 0 and 1, growing with the days allowed', () => {
    // One location in Edison NJ's ZIP3 (088), zones by distance class from it.
    const near = ['088', '100', '112', '070', '191'];
    const zones = Object.fromEntries(
      [...zip3Population().keys()].map((zip3) => [zip3, near.includes(zip3) ? 1 : zip3 < '300' ? 4 : 8]),
    );
    const r = groundCoverage([loc('loc_nj', zones)], [GROUND], bundledPopulationCells());
    const { within_1_day, within_2_days, within_3_days, unreachable } = r.overall;
    for (const x of [within_1_day, within_2_days, within_3_days, unreachable]) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
    }
    expect(within_1_day).toBeGreaterThan(0.03); // the New York area alone is several percent
    expect(within_2_days).toBeGreaterThan(within_1_day);
    expect(within_3_days).toBeGreaterThanOrEqual(within_2_days);
    expect(r.total_weight).toBeCloseTo(
      [...zip3Population().values()].reduce((s, x) => s + x, 0),
      0,
    );
  });

  it('keeps one ZIP-count cell per ZIP code underneath: no military post offices', () => {
    const cells = bundledZipCells();
    expect(cells.length).toBeGreaterThan(40_000);
    expect(cells.every((c) => c.weight === 1 && c.postal_code.startsWith(c.zip3))).toBe(true);
    expect(cells.some((c) => ['AA', 'AE', 'AP'].includes(c.region))).toBe(false);
    expect(cells.find((c) => c.postal_code === '10001')).toEqual({
      zip3: '100',
      region: 'NY',
      postal_code: '10001',
      weight: 1,
    });
  });
});

describe('GET /v1/network/coverage on the demo tenant', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let env: ReturnType<typeof testAppOn>;
  let key: string;
  const get = (url: string) => env.request('GET', url, { key });

  beforeAll(async () => {
    db = await freshDatabase();
    key = (await createDemo(db.pool)).api_key!;
    env = testAppOn(db.pool);
  });
  afterAll(() => db.drop());

  it('reaches more within 3 days than 2 than 1, and the set at least each location alone', async () => {
    const res = await get('/v1/network/coverage');
    expect(res.status).toBe(200);
    const r = res.json;
    expect(r.weight.name).toBe('population');
    expect(r.weight.total).toBeGreaterThan(200_000_000);
    expect(r.location_ids.length).toBeGreaterThan(1);
    expect(r.by_location.map((l: { location_id: string }) => l.location_id)).toEqual(r.location_ids);
    const { within_1_day, within_2_days, within_3_days } = r.overall;
    for (const share of Object.values(r.overall) as number[]) {
      expect(share).toBeGreaterThanOrEqual(0);
      expect(share).toBeLessThanOrEqual(1);
    }
    expect(within_1_day).toBeGreaterThan(0);
    expect(within_2_days).toBeGreaterThanOrEqual(within_1_day);
    expect(within_3_days).toBeGreaterThanOrEqual(within_2_days);
    for (const { shares } of r.by_location) {
      expect(shares.within_2_days).toBeGreaterThanOrEqual(shares.within_1_day);
      expect(shares.within_3_days).toBeGreaterThanOrEqual(shares.within_2_days);
      expect(within_1_day).toBeGreaterThanOrEqual(shares.within_1_day);
      expect(within_2_days).toBeGreaterThanOrEqual(shares.within_2_days);
      expect(within_3_days).toBeGreaterThanOrEqual(shares.within_3_days);
    }
  });

  it('answers for a named subset, the same as that location alone in the full report', async () => {
    const all = (await get('/v1/network/coverage')).json;
    const [first, second] = all.location_ids as string[];
    const one = await get(`/v1/network/coverage?location_id=${first}`);
    expect(one.status).toBe(200);
    expect(one.json.location_ids).toEqual([first]);
    expect(one.json.overall).toEqual(all.by_location[0].shares);
    const two = await get(`/v1/network/coverage?location_id=${first},${second}`);
    expect(two.json.location_ids).toEqual([first, second]);
    expect(two.json.overall.within_2_days).toBeGreaterThanOrEqual(one.json.overall.within_2_days);
  });

  it('answers 422 naming query.location_id for an unknown id, and 401 without a key', async () => {
    const all = (await get('/v1/network/coverage')).json;
    const res = await get(`/v1/network/coverage?location_id=${all.location_ids[0]},loc_nope`);
    expect(res.status).toBe(422);
    expect(res.json.errors).toEqual([
      { path: 'query.location_id', message: expect.stringContaining('loc_nope') },
    ]);
    expect((await get('/v1/network/coverage?location_id=a,,b')).status).toBe(422);
    expect((await env.request('GET', '/v1/network/coverage')).status).toBe(401);
  });
});
