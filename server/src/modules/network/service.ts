import { isDeepStrictEqual } from 'node:util';
import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { CONFIG_TTL_MS, tenantCache } from '../../lib/ttl-cache.ts';
import { publish } from '../events/service.ts';
import { type HolidayCalendar, holidayNames, isKnownCalendar } from './calendar.ts';
import { computeZones, geocodePostal, type Point, timeZoneAt, zip3Of, zoneOrigin } from './geo.ts';
import type { CreateLocation, Location, UpdateLocation } from './schema.ts';
import type { NetworkSnapshot, SnapshotLocation } from './snapshot.ts';
import * as store from './store.ts';

/** A 422 naming one field, worded like the ones zod produces. */
export const invalid = (path: string, message: string) =>
  new AppError('validation-error', `${path}: ${message}`, { errors: [{ path, message }] });

export const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

const refConflict = (ref: string | null) =>
  new AppError('conflict', `Another location already has external_ref ${ref}.`, {
    field: 'body.external_ref',
  });

type Address = Location['address'];

/**
 * Coordinates and time zone for an address: what the caller sent wins, then the bundled postal
 * data, then (time zone only) the zone at the coordinates.
 */
function place(address: Address, sent: { latitude?: number; longitude?: number; time_zone?: string }) {
  const geo = geocodePostal(address.postal_code, address.country);
  const point: Point | undefined =
    sent.latitude !== undefined && sent.longitude !== undefined
      ? { latitude: sent.latitude, longitude: sent.longitude }
      : geo;
  if (!point) {
    throw invalid(
      'body.address.postal_code',
      `${address.postal_code} is not in the bundled postal data for ${address.country} ` +
        '(US ZIP codes and Canadian postal codes); send latitude and longitude.',
    );
  }
  const time_zone = sent.time_zone ?? geo?.time_zone ?? timeZoneAt(point);
  if (!time_zone)
    throw invalid('body.time_zone', 'Cannot be derived from the address; send an IANA time zone.');
  return { latitude: point.latitude, longitude: point.longitude, time_zone };
}

/** The address's country (and region, when the holiday library knows it), or none. */
function defaultCalendar(address: Address): HolidayCalendar | null {
  if (!isKnownCalendar(address.country)) return null;
  const region = address.region.trim().toUpperCase();
  return isKnownCalendar(address.country, region)
    ? { country: address.country, region }
    : { country: address.country };
}

/** `ignore_holidays` must name holidays the calendar has, or the setting silently does nothing. */
function checkIgnoredHolidays(calendar: HolidayCalendar | null) {
  if (!calendar?.ignore_holidays?.length) return;
  const known = holidayNames(calendar.country, calendar.region, new Date().getUTCFullYear());
  calendar.ignore_holidays.forEach((name, i) => {
    if (!known.has(name.toLowerCase())) {
      throw invalid(
        `body.holiday_calendar.ignore_holidays[${i}]`,
        `"${name}" is not a public holiday of this calendar; one of: ${[...known].sort().join(', ')}.`,
      );
    }
  });
}

/** Zone rows from the location to every ZIP3; only US locations have zones. */
async function writeZones(db: Queryable, tenantId: string, loc: Location) {
  const zones =
    loc.address.country === 'US'
      ? computeZones(zoneOrigin(loc.address.postal_code, loc.address.country, loc))
      : new Map();
  await store.replaceZones(db, tenantId, loc.location_id, zones);
}

export async function createLocation(db: Queryable, tenantId: string, actor: Actor, input: CreateLocation) {
  networkCache.invalidate(tenantId);
  const fields: store.LocationFields = {
    name: input.name,
    type: input.type,
    address: input.address,
    ...place(input.address, input),
    cutoffs: input.cutoffs,
    processing_days: input.processing_days ?? 0,
    holiday_calendar:
      input.holiday_calendar === undefined ? defaultCalendar(input.address) : input.holiday_calendar,
    daily_order_capacity: input.daily_order_capacity ?? null,
    active: input.active ?? true,
    service_regions: input.service_regions ?? { countries: [input.address.country] },
    fulfillment_cost: input.fulfillment_cost ?? { per_order: 0, per_unit: 0, currency: 'USD' },
    picking_method: input.picking_method ?? 'single',
    inventory_type: input.inventory_type ?? (input.type === 'dropship_supplier' ? 'dropship' : 'owned'),
    accepts_returns: input.accepts_returns ?? true,
    external_ref: input.external_ref ?? null,
  };
  checkIgnoredHolidays(fields.holiday_calendar);
  const location = await store.insertLocation(db, tenantId, newId('loc'), fields);
  if (!location) throw refConflict(fields.external_ref);
  await writeZones(db, tenantId, location);
  await publish(db, tenantId, actor, {
    type: 'location.created',
    subject: location.location_id,
    data: location,
  });
  return location;
}

export async function getLocation(db: Queryable, tenantId: string, locationId: string) {
  const location = await store.findLocation(db, tenantId, locationId);
  if (!location) throw notFound(`Location ${locationId}`);
  return location;
}

/** The locations among `locationIds` that exist (active or not), by id; for other contexts' checks. */
export async function findLocations(
  db: Queryable,
  tenantId: string,
  locationIds: string[],
): Promise<Map<string, Location>> {
  if (locationIds.length === 0) return new Map();
  const rows = await store.findLocationsByIds(db, tenantId, [...new Set(locationIds)]);
  return new Map(rows.map((l) => [l.location_id, l]));
}

export async function listLocations(
  db: Queryable,
  tenantId: string,
  filter: { type?: Location['type'] | undefined; active?: boolean | undefined },
  after: string | undefined,
  limit: number,
) {
  return store.listLocations(db, tenantId, filter, after, limit);
}

/**
 * Changes the fields sent. A new postal code or country re-derives coordinates and time zone
 * (unless sent too) and any change of place rewrites the zone table, in the same transaction.
 */
export async function updateLocation(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  locationId: string,
  patch: UpdateLocation,
) {
  networkCache.invalidate(tenantId);
  const current = await store.findLocation(db, tenantId, locationId, true);
  if (!current) throw notFound(`Location ${locationId}`);
  const { location_id: _id, created_at: _c, updated_at: _u, ...before } = current;
  const sent = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as UpdateLocation;
  const next: store.LocationFields = { ...before, ...sent };
  const moved =
    sent.address !== undefined &&
    (sent.address.postal_code !== before.address.postal_code ||
      sent.address.country !== before.address.country);
  if (moved) {
    Object.assign(
      next,
      place(next.address, {
        ...(sent.latitude !== undefined && { latitude: sent.latitude, longitude: sent.longitude }),
        ...(sent.time_zone !== undefined && { time_zone: sent.time_zone }),
      }),
    );
  }
  const changed = (Object.keys(next) as (keyof store.LocationFields)[]).filter(
    (k) => !isDeepStrictEqual(next[k], before[k]),
  );
  if (changed.length === 0) return current;
  if (sent.holiday_calendar !== undefined) checkIgnoredHolidays(next.holiday_calendar);
  let location: Location | undefined;
  try {
    location = await store.updateLocation(db, tenantId, locationId, next);
  } catch (err) {
    if (isUniqueViolation(err)) throw refConflict(next.external_ref);
    throw err;
  }
  if (!location) throw notFound(`Location ${locationId}`);
  if (changed.some((k) => k === 'address' || k === 'latitude' || k === 'longitude')) {
    await writeZones(db, tenantId, location);
  }
  const deactivated = before.active && !location.active;
  await publish(db, tenantId, actor, {
    type: deactivated ? 'location.deactivated' : 'location.updated',
    subject: locationId,
    data: { ...location, changed },
  });
  return location;
}

/**
 * The zone from a location to a destination postal code, from its precomputed table; undefined
 * when the destination is not a US ZIP the data knows or the location is outside the US.
 */
export async function zoneFor(
  db: Queryable,
  tenantId: string,
  locationId: string,
  destinationPostal: string,
) {
  const zip3 = zip3Of(destinationPostal);
  const found = await store.findZone(db, tenantId, locationId, zip3 ?? '');
  if (!found) throw notFound(`Location ${locationId}`);
  if (!zip3 || !found.entry) return undefined;
  return { location_id: locationId, postal_code: destinationPostal, zip3, ...found.entry };
}

type NetworkConfig = {
  locations: Awaited<ReturnType<typeof store.listActiveLocations>>;
  services: Awaited<ReturnType<typeof store.listActiveServices>>;
  /** These locations with their zone rows for one destination ZIP3, made as destinations come. */
  byZip3: Map<string, Promise<readonly SnapshotLocation[]>>;
};

/**
 * The network is read by every order and checkout and changes rarely: it is kept per process for
 * a few seconds, and dropped at once here when this process changes it (see ttl-cache.ts).
 */
export const networkCache = tenantCache<NetworkConfig>(CONFIG_TTL_MS);

/**
 * Zone rows change only with their location's place, and so with its `updated_at`: a network
 * reloaded with the same locations, as they were, keeps the rows read so far (at most one entry
 * per ZIP3) instead of reading each destination's again every few seconds. The same location
 * objects are handed to every plan for that ZIP3, so what the planner derives from them (its
 * WeakMaps) is kept too; they are frozen, since they are shared.
 */
const keptPerZip3 = new Map<
  string,
  { version: string; byZip3: Map<string, Promise<readonly SnapshotLocation[]>> }
>();

async function loadNetwork(db: Queryable, tenantId: string): Promise<NetworkConfig> {
  const locations = await store.listActiveLocations(db, tenantId);
  const services = await store.listActiveServices(db, tenantId);
  const version = locations.map((l) => `${l.location_id}@${l.updated_at}`).join(' ');
  let kept = keptPerZip3.get(tenantId);
  if (kept?.version !== version) {
    kept = { version, byZip3: new Map() };
    keptPerZip3.set(tenantId, kept);
  }
  return { locations, services, byZip3: kept.byZip3 };
}

/** The locations with their zone rows: all of them, or only those to `zip3`. */
async function withZones(
  db: Queryable,
  tenantId: string,
  locations: NetworkConfig['locations'],
  zip3?: string,
): Promise<SnapshotLocation[]> {
  const ids = locations.map((l) => l.location_id);
  const zones = await store.zoneTables(db, tenantId, ids, zip3);
  return locations.map((l) => ({ ...l, zones: zones.get(l.location_id) ?? {} }));
}

/**
 * Active locations (with zone tables) and active carrier services, for the planner. With
 * `destinationPostal`, each location's zone table holds only the row for that destination's
 * ZIP3: an order or a checkout needs no other, and the full tables are ~900 rows per location.
 */
export async function networkSnapshot(
  db: Queryable,
  tenantId: string,
  destinationPostal?: string,
): Promise<NetworkSnapshot> {
  const { locations, services, byZip3 } = await networkCache.get(tenantId, 'network', () =>
    loadNetwork(db, tenantId),
  );
  let snapshotLocations: readonly SnapshotLocation[];
  if (destinationPostal === undefined) {
    // The full tables are large and read rarely: they are not kept.
    snapshotLocations = await withZones(db, tenantId, locations);
  } else {
    const zip3 = zip3Of(destinationPostal) ?? '';
    let kept = byZip3.get(zip3);
    if (!kept) {
      const made = withZones(db, tenantId, locations, zip3).then((read) =>
        Object.freeze(read.map((l) => Object.freeze(l))),
      );
      byZip3.set(zip3, made);
      made.catch(() => byZip3.get(zip3) === made && byZip3.delete(zip3));
      kept = made;
    }
    snapshotLocations = await kept;
  }
  return { tenant_id: tenantId, taken_at: new Date().toISOString(), locations: snapshotLocations, services };
}
