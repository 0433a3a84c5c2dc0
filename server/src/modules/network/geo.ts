import tzLookup from '@photostructure/tz-lookup';
import zipTimeZone from 'zipcode-to-timezone';
import zipcodes from 'zipcodes';

/** Pure geography over bundled data (nothing is fetched at run time). Zones are US-only. */

export const ZONES = [1, 2, 3, 4, 5, 6, 7, 8] as const;
export type Zone = (typeof ZONES)[number];
export type ZoneEntry = { zone: Zone; distance_miles: number };
export type Point = { latitude: number; longitude: number };

const EARTH_RADIUS_MI = 3958.7613;
// Military post offices (APO/FPO) are not places a parcel's distance can be measured to.
const MILITARY_STATES = new Set(['AA', 'AE', 'AP']);
// A ZIP this far from the median of its prefix is a data error (10200 has its longitude's sign
// flipped) or a far island sharing a prefix (American Samoa in 967); it would drag the centroid.
const OUTLIER_MI = 1000;
const US_ZIP = /^(\d{5})(?:-?\d{4})?$/;
const CA_POSTAL = /^([A-Z]\d[A-Z])\s?(?:\d[A-Z]\d)?$/;

const rad = (deg: number) => (deg * Math.PI) / 180;

export function haversineMiles(a: Point, b: Point): number {
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_MI * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** USPS-style bands: 1 below 50 mi, 2 below 150, then 300, 600, 1000, 1400, 1800 inclusive, 8 beyond. */
export function zoneForDistance(miles: number): Zone {
  if (miles < 50) return 1;
  if (miles < 150) return 2;
  if (miles <= 300) return 3;
  if (miles <= 600) return 4;
  if (miles <= 1000) return 5;
  if (miles <= 1400) return 6;
  if (miles <= 1800) return 7;
  return 8;
}

/** The 3-digit prefix of a US ZIP (`10001`, `10001-1234`), or undefined for anything else. */
export function zip3Of(postal: string): string | undefined {
  return US_ZIP.exec(postal.trim())?.[1]?.slice(0, 3);
}

type ZipRecord = { zip: string; latitude: number; longitude: number; city: string; state: string };

const median = (values: number[]) => {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

let centroids: { byZip3: Map<string, Point>; outliers: Set<string> } | undefined;

/** ZIP3 → mean position of its ZIPs, built once on first use (≈ 42,000 ZIPs, a few ms). */
function zip3Data() {
  if (centroids) return centroids;
  const groups = new Map<string, ZipRecord[]>();
  for (const c of Object.values(zipcodes.codes) as ZipRecord[]) {
    if (!/^\d{5}$/.test(c.zip) || MILITARY_STATES.has(c.state)) continue;
    if (c.latitude === 0 && c.longitude === 0) continue;
    const key = c.zip.slice(0, 3);
    const group = groups.get(key);
    if (group) group.push(c);
    else groups.set(key, [c]);
  }
  const byZip3 = new Map<string, Point>();
  const outliers = new Set<string>();
  for (const [key, group] of groups) {
    const mid = {
      latitude: median(group.map((c) => c.latitude)),
      longitude: median(group.map((c) => c.longitude)),
    };
    const kept = group.filter((c) => {
      const ok = haversineMiles(mid, c) <= OUTLIER_MI;
      if (!ok) outliers.add(c.zip);
      return ok;
    });
    byZip3.set(key, {
      latitude: kept.reduce((s, c) => s + c.latitude, 0) / kept.length,
      longitude: kept.reduce((s, c) => s + c.longitude, 0) / kept.length,
    });
  }
  centroids = { byZip3, outliers };
  return centroids;
}

export function zip3Centroids(): ReadonlyMap<string, Point> {
  return zip3Data().byZip3;
}

export type Geocode = Point & { city: string; region: string; time_zone: string | undefined };

/**
 * A postal code's position: a US ZIP (5 digits, optionally +4) or a Canadian postal code (by its
 * first three characters, the FSA). Undefined when the data does not know it or the country differs.
 */
export function geocodePostal(postal: string, country: string): Geocode | undefined {
  const code = postal.trim().toUpperCase();
  if (country === 'US') {
    const zip = US_ZIP.exec(code)?.[1];
    const c = zip ? (zipcodes.lookup(zip) as ZipRecord | undefined) : undefined;
    if (!c || MILITARY_STATES.has(c.state) || (c.latitude === 0 && c.longitude === 0)) return undefined;
    // A ZIP whose own record is wrong is placed at its prefix's centroid instead.
    const point = zip3Data().outliers.has(c.zip) ? zip3Data().byZip3.get(c.zip.slice(0, 3))! : c;
    return {
      latitude: point.latitude,
      longitude: point.longitude,
      city: c.city,
      region: c.state,
      time_zone: zipTimeZone.lookup(c.zip) ?? timeZoneAt(point),
    };
  }
  if (country === 'CA') {
    const fsa = CA_POSTAL.exec(code)?.[1];
    const c = fsa ? (zipcodes.lookup(fsa) as ZipRecord | undefined) : undefined;
    if (!c) return undefined;
    return {
      latitude: c.latitude,
      longitude: c.longitude,
      city: c.city,
      region: c.state,
      time_zone: timeZoneAt(c),
    };
  }
  return undefined;
}

/** The IANA zone at a point, from time-zone boundary data (coarse within a few km of a border). */
export function timeZoneAt(p: Point): string | undefined {
  try {
    return tzLookup(p.latitude, p.longitude);
  } catch {
    return undefined;
  }
}

/**
 * Where zones are measured from: the centroid of the location's ZIP3 (as USPS zone charts do),
 * or its own coordinates when its postal code is not a known US ZIP.
 */
export function zoneOrigin(postal: string, country: string, fallback: Point): Point {
  const zip3 = country === 'US' ? zip3Of(postal) : undefined;
  return (zip3 && zip3Centroids().get(zip3)) || fallback;
}

/** The zone and distance from an origin to every known ZIP3, distances rounded to 0.1 mi. */
export function computeZones(origin: Point): Map<string, ZoneEntry> {
  const out = new Map<string, ZoneEntry>();
  for (const [zip3, centroid] of zip3Centroids()) {
    const miles = haversineMiles(origin, centroid);
    out.set(zip3, { zone: zoneForDistance(miles), distance_miles: Math.round(miles * 10) / 10 });
  }
  return out;
}

/** O(1) lookup in a precomputed table; undefined for a non-US or unknown destination. */
export function zoneFromTable(
  table: ReadonlyMap<string, ZoneEntry> | Readonly<Record<string, ZoneEntry>>,
  destinationPostal: string,
): (ZoneEntry & { zip3: string }) | undefined {
  const zip3 = zip3Of(destinationPostal);
  if (!zip3) return undefined;
  const entry = table instanceof Map ? table.get(zip3) : (table as Record<string, ZoneEntry>)[zip3];
  return entry ? { zip3, ...entry } : undefined;
}
