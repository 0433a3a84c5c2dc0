import { type ZoneEntry, zoneFromTable } from './geo.ts';
import type { CarrierService, Location } from './schema.ts';

/**
 * The network as the planner sees it: plain data, read once, so planning needs no I/O and the
 * same snapshot always gives the same plan.
 */
export type NetworkSnapshot = {
  tenant_id: string;
  taken_at: string;
  locations: readonly SnapshotLocation[];
  services: SnapshotService[];
};

/** An active location with its zone table (ZIP3 → zone and distance); empty outside the US. */
export type SnapshotLocation = Location & { zones: Readonly<Record<string, ZoneEntry>> };

/** An active service of an active carrier, carrying that carrier's holiday rules. */
export type SnapshotService = CarrierService & {
  carrier_code: string;
  carrier_name: string;
  holidays: string[];
};

export type Destination = { country: string; region?: string | undefined; postal_code: string };

/** The zone from a snapshot location to a destination postal code, without I/O. */
export function zoneInSnapshot(location: Pick<SnapshotLocation, 'zones'>, destinationPostal: string) {
  return zoneFromTable(location.zones, destinationPostal);
}

/**
 * Whether a location may ship to a destination: its country is one of the location's countries
 * and, when regions or postal prefixes are listed, the destination matches any of them.
 */
export function servesDestination(
  location: Pick<Location, 'service_regions'>,
  destination: Destination,
): boolean {
  const { countries, regions = [], postal_prefixes = [] } = location.service_regions;
  if (!countries.includes(destination.country.toUpperCase())) return false;
  if (regions.length === 0 && postal_prefixes.length === 0) return true;
  const region = destination.region?.trim().toUpperCase();
  const postal = destination.postal_code.replace(/\s+/g, '').toUpperCase();
  return (
    (region !== undefined && regions.includes(region)) || postal_prefixes.some((p) => postal.startsWith(p))
  );
}
