import { describe, expect, it } from 'vitest';
import {
  computeZones,
  geocodePostal,
  haversineMiles,
  zip3Centroids,
  zip3Of,
  zoneForDistance,
  zoneFromTable,
  zoneOrigin,
} from '../src/modules/network/geo.ts';
import { servesDestination } from '../src/modules/network/snapshot.ts';

describe('zone bands', () => {
  it('puts each boundary in the band the USPS-style table says', () => {
    const cases: Array<[number, number]> = [
      [0, 1],
      [49.99, 1],
      [50, 2],
      [149.99, 2],
      [150, 3],
      [300, 3],
      [300.01, 4],
      [600, 4],
      [600.01, 5],
      [1000, 5],
      [1000.01, 6],
      [1400, 6],
      [1400.01, 7],
      [1800, 7],
      [1800.01, 8],
      [5000, 8],
    ];
    for (const [miles, zone] of cases) expect(zoneForDistance(miles), `${miles} mi`).toBe(zone);
  });

  it('measures great-circle miles (New York to Los Angeles ≈ 2,450 mi)', () => {
    const ny = { latitude: 40.7128, longitude: -74.006 };
    const la = { latitude: 34.0522, longitude: -118.2437 };
    expect(haversineMiles(ny, la)).toBeGreaterThan(2420);
    expect(haversineMiles(ny, la)).toBeLessThan(2470);
    expect(haversineMiles(ny, ny)).toBe(0);
    expect(haversineMiles(ny, la)).toBeCloseTo(haversineMiles(la, ny), 9);
  });
});

describe('ZIP3', () => {
  it('takes the prefix of a 5-digit ZIP or ZIP+4 and nothing else', () => {
    expect(zip3Of('10001')).toBe('100');
    expect(zip3Of(' 07001-1234 ')).toBe('070');
    expect(zip3Of('070011234')).toBe('070');
    expect(zip3Of('1000')).toBeUndefined();
    expect(zip3Of('M5V 2T6')).toBeUndefined();
  });

  it('has a centroid for every civilian prefix and none for military post offices', () => {
    const centroids = zip3Centroids();
    expect(centroids.size).toBeGreaterThan(880);
    expect(centroids.size).toBeLessThan(1000);
    expect(centroids.has('100')).toBe(true);
    expect(centroids.has('995')).toBe(true);
    for (const military of ['090', '340', '962']) expect(centroids.has(military)).toBe(false);
    // 102 holds a ZIP with its longitude's sign flipped; the centroid stays in Manhattan.
    const manhattan = centroids.get('102')!;
    expect(haversineMiles(manhattan, { latitude: 40.75, longitude: -73.99 })).toBeLessThan(10);
  });
});

describe('geocoding from bundled postal data', () => {
  it('fills coordinates and time zone from a US ZIP', () => {
    const ny = geocodePostal('10001', 'US')!;
    expect(ny).toMatchObject({ region: 'NY', time_zone: 'America/New_York' });
    expect(ny.latitude).toBeCloseTo(40.75, 1);
    expect(ny.longitude).toBeCloseTo(-74.0, 1);
    expect(geocodePostal('94105', 'US')).toMatchObject({ region: 'CA', time_zone: 'America/Los_Angeles' });
    expect(geocodePostal('60601-1234', 'US')).toMatchObject({ region: 'IL', time_zone: 'America/Chicago' });
    expect(geocodePostal('85004', 'US')?.time_zone).toBe('America/Phoenix');
  });

  it('falls back to the time zone at the coordinates where the ZIP list has none (Puerto Rico)', () => {
    expect(geocodePostal('00901', 'US')?.time_zone).toBe('America/Puerto_Rico');
  });

  it('geocodes a Canadian postal code by its first three characters', () => {
    expect(geocodePostal('m5v 2t6', 'CA')).toMatchObject({ time_zone: 'America/Toronto' });
  });

  it('knows nothing of unknown codes, a code in the wrong country, or other countries', () => {
    expect(geocodePostal('00000', 'US')).toBeUndefined();
    expect(geocodePostal('10001', 'CA')).toBeUndefined();
    expect(geocodePostal('M5V 2T6', 'US')).toBeUndefined();
    expect(geocodePostal('75001', 'FR')).toBeUndefined();
  });
});

describe('zone tables', () => {
  const avenel = zoneOrigin('07001', 'US', { latitude: 0, longitude: 0 });
  const table = computeZones(avenel);

  it('covers every ZIP3 from a New Jersey origin with the expected zones', () => {
    expect(table.size).toBe(zip3Centroids().size);
    expect(zoneFromTable(table, '10001')!.zone).toBeLessThanOrEqual(2);
    expect(zoneFromTable(table, '60601')!.zone).toBe(5);
    expect(zoneFromTable(table, '90001')!.zone).toBe(8);
    expect(zoneFromTable(table, '07001')).toMatchObject({ zip3: '070', zone: 1 });
    expect(zoneFromTable(table, '99501')!.zone).toBe(8);
  });

  it('answers undefined for a destination outside the US data', () => {
    expect(zoneFromTable(table, 'M5V 2T6')).toBeUndefined();
    expect(zoneFromTable(table, '34001')).toBeUndefined();
  });

  it('reads the same from a plain record as from a map (snapshots)', () => {
    const record = Object.fromEntries(table);
    expect(zoneFromTable(record, '60601')).toEqual(zoneFromTable(table, '60601'));
  });

  it('measures from the coordinates when the postal code is not a known US ZIP', () => {
    const point = { latitude: 45.5, longitude: -73.6 };
    expect(zoneOrigin('H2X 1Y4', 'CA', point)).toBe(point);
  });
});

describe('service regions', () => {
  const everywhereUs = { service_regions: { countries: ['US'] } };
  const eastOnly = {
    service_regions: { countries: ['US'], regions: ['NY', 'NJ'], postal_prefixes: ['191'] },
  };

  it('serves the whole country when no region or prefix narrows it', () => {
    expect(servesDestination(everywhereUs, { country: 'US', postal_code: '94105' })).toBe(true);
    expect(servesDestination(everywhereUs, { country: 'CA', postal_code: 'M5V 2T6' })).toBe(false);
  });

  it('serves a destination matching any listed region or postal prefix', () => {
    expect(servesDestination(eastOnly, { country: 'US', region: 'ny', postal_code: '10001' })).toBe(true);
    expect(servesDestination(eastOnly, { country: 'US', region: 'PA', postal_code: '19103' })).toBe(true);
    expect(servesDestination(eastOnly, { country: 'US', region: 'PA', postal_code: '15213' })).toBe(false);
    expect(servesDestination(eastOnly, { country: 'US', postal_code: '94105' })).toBe(false);
  });
});
