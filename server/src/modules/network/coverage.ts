import zipcodes from 'zipcodes';
import { ZONES, type ZoneEntry, zip3Centroids } from './geo.ts';
import type { CarrierService, Location } from './schema.ts';
import { servesDestination } from './snapshot.ts';

/**
 * Ground coverage: the share of a weight over US destinations (the report uses population, see
 * population.ts) that a set of locations reaches within 1, 2 and 3 business days by ground. Pure:
 * the caller brings locations, services and weights; transit days only (no processing days,
 * cut-offs or holidays).
 */

/** Only this service level counts: "by ground" means a ground service, not air that is faster. */
export const GROUND_LEVEL = 'ground';
export const COVERAGE_DAYS = [1, 2, 3] as const;

/** A destination with its weight; the region and full postal code are what service regions match. */
export type CoverageCell = { zip3: string; region: string; postal_code: string; weight: number };
export type CoverageLocation = Pick<Location, 'location_id' | 'active' | 'service_regions'> & {
  zones: Readonly<Record<string, ZoneEntry>>;
};
export type CoverageService = Pick<CarrierService, 'service_level' | 'transit_days_by_zone' | 'active'>;

/** Shares of the total weight, each in [0, 1]; `unreachable` has no ground service at all. */
export type CoverageShares = {
  within_1_day: number;
  within_2_days: number;
  within_3_days: number;
  unreachable: number;
};
export type CoverageReport = {
  total_weight: number;
  overall: CoverageShares;
  by_location: { location_id: string; shares: CoverageShares }[];
  /** ZIP3s with weight that no location of the set reaches by ground at all, sorted. */
  unreachable_zip3s: string[];
};

/** Fastest ground transit per zone "1".."8" over active ground services; Infinity when none. */
function fastestGroundByZone(services: readonly CoverageService[]): Record<string, number> {
  const best: Record<string, number> = {};
  for (const zone of ZONES) best[zone] = Number.POSITIVE_INFINITY;
  for (const s of services) {
    if (!s.active || s.service_level !== GROUND_LEVEL) continue;
    for (const zone of ZONES) best[zone] = Math.min(best[zone]!, s.transit_days_by_zone[zone]);
  }
  return best;
}

/** Days from one location to each cell (Infinity: inactive, not served, no zone or no service). */
function daysFrom(
  location: CoverageLocation,
  cells: readonly CoverageCell[],
  fastest: Record<string, number>,
): Float64Array {
  const days = new Float64Array(cells.length).fill(Number.POSITIVE_INFINITY);
  if (!location.active) return days;
  cells.forEach((cell, i) => {
    const entry = location.zones[cell.zip3];
    if (!entry) return;
    const destination = { country: 'US', region: cell.region, postal_code: cell.postal_code };
    if (servesDestination(location, destination)) days[i] = fastest[entry.zone]!;
  });
  return days;
}

function sharesOf(days: Float64Array, cells: readonly CoverageCell[], total: number): CoverageShares {
  const within = [0, 0, 0];
  let reached = 0;
  cells.forEach((cell, i) => {
    const d = days[i]!;
    if (d === Number.POSITIVE_INFINITY) return;
    reached += cell.weight;
    COVERAGE_DAYS.forEach((limit, k) => {
      if (d <= limit) within[k]! += cell.weight;
    });
  });
  const share = (w: number) => (total > 0 ? w / total : 0);
  return {
    within_1_day: share(within[0]!),
    within_2_days: share(within[1]!),
    within_3_days: share(within[2]!),
    unreachable: total > 0 ? share(total - reached) : 0,
  };
}

/** Coverage of the whole set (the fastest location that serves each cell) and of each location. */
export function groundCoverage(
  locations: readonly CoverageLocation[],
  services: readonly CoverageService[],
  cells: readonly CoverageCell[],
): CoverageReport {
  const fastest = fastestGroundByZone(services);
  const total = cells.reduce((s, c) => s + c.weight, 0);
  const overall = new Float64Array(cells.length).fill(Number.POSITIVE_INFINITY);
  const by_location = locations.map((location) => {
    const days = daysFrom(location, cells, fastest);
    for (let i = 0; i < days.length; i++) overall[i] = Math.min(overall[i]!, days[i]!);
    return { location_id: location.location_id, shares: sharesOf(days, cells, total) };
  });
  const reachedZip3 = new Set<string>();
  const weightedZip3 = new Set<string>();
  cells.forEach((cell, i) => {
    if (cell.weight <= 0) return;
    weightedZip3.add(cell.zip3);
    if (overall[i] !== Number.POSITIVE_INFINITY) reachedZip3.add(cell.zip3);
  });
  return {
    total_weight: total,
    overall: sharesOf(overall, cells, total),
    by_location,
    unreachable_zip3s: [...weightedZip3].filter((z) => !reachedZip3.has(z)).sort(),
  };
}

// ── the bundled weight ───────────────────────────────────────────────────────────────────────

type ZipRecord = { zip: string; latitude: number; longitude: number; state: string };
let zipCells: CoverageCell[] | undefined;

/**
 * One cell of weight 1 per ZIP code that has a zone (the same ZIPs the ZIP3 centroids are built
 * from); population.ts gives them their population weights.
 */
export function bundledZipCells(): readonly CoverageCell[] {
  if (zipCells) return zipCells;
  const known = zip3Centroids();
  zipCells = [];
  for (const c of Object.values(zipcodes.codes) as ZipRecord[]) {
    if (!/^\d{5}$/.test(c.zip) || (c.latitude === 0 && c.longitude === 0)) continue;
    const zip3 = c.zip.slice(0, 3);
    // Military post offices (AA/AE/AP) have no centroid and so no zone; they are left out.
    if (['AA', 'AE', 'AP'].includes(c.state) || !known.has(zip3)) continue;
    zipCells.push({ zip3, region: c.state, postal_code: c.zip, weight: 1 });
  }
  zipCells.sort((a, b) => (a.postal_code < b.postal_code ? -1 : 1));
  return zipCells;
}
