import { ZONES, type Zone } from '../network/geo.ts';
import { transitDaysFor } from '../network/rates.ts';
import {
  type Destination,
  type SnapshotLocation,
  type SnapshotService,
  servesDestination,
} from '../network/snapshot.ts';
import type { ServiceOption } from './plan-result.ts';
import { deliveryKeyOf, type OptionSet, slotKeyOf, sortedById, zoneIn } from './planner-candidates.ts';
import type { PricedService } from './planner-pricing.ts';
import { type ShipSlot, shipInstantMemo } from './promise.ts';
import type { ExclusionReason, ServiceLevel } from './types.ts';

/**
 * What the planner derives from one network and keeps between plans, for a caller that plans
 * many orders on the same network (the simulator): the locations and services sorted by id, each
 * location's zone to a destination (or why it cannot ship there), the groups of locations that
 * share a ship slot or a time zone, the services' transit days and lowest rates by zone, and the
 * sets of service options (with their delivery dates) by local day, ship date and zone.
 *
 * The contract: the locations and services given to the constructor, the arrays and every object
 * in them, do not change while the cache is used (`plan()` without a cache checks them on every
 * call instead). A plan with the cache equals the plan without it. A cache is used with the
 * arrays it was made from and no others (`plan()` throws otherwise); `load` and
 * `external_scores` are read per order, not kept. Bounded: the tables by destination and by day
 * are cleared when full.
 */

const DESTINATIONS_MAX = 20_000;
const OPTION_SETS_MAX = 5_000;

/** Per location (in id order): its zone to one destination, or why it cannot ship there. */
export type DestinationZones = { zones: (Zone | undefined)[]; reasons: (ExclusionReason | undefined)[] };

export class NetworkCache {
  /** In location-id order. */
  readonly locations: readonly SnapshotLocation[];
  /** In service-id order. */
  readonly services: readonly SnapshotService[];
  /** Per service: the key of what its delivery dates depend on (see promise.ts). */
  readonly serviceKeys: readonly string[];
  /** Per service: transit days by zone (index 1-8). */
  readonly transit: readonly number[][];
  /** Per service: its lowest rate by zone (index 1-8) over all weight brackets. */
  readonly lowestRates: readonly number[][];
  /** Per location: its ship-slot group (locations with the same slot settings), and its key. */
  readonly slotGroup: Int32Array;
  readonly slotKeys: readonly string[];
  /** Per location: its time-zone group. */
  readonly zoneGroup: Int32Array;
  /** Service options priced for their zone, by options array (see Pricer). */
  readonly priced = new WeakMap<readonly ServiceOption[], PricedService[]>();

  private readonly byDestination = new Map<string, DestinationZones>();
  /** Per slot group: the slot last found, and the instants on its local day it holds for. */
  private readonly slots: (
    | { today: string; from_ms: number; until_ms: number; slot: ShipSlot }
    | undefined
  )[] = [];
  /** Option sets by policy key, local day and ship date. */
  private readonly optionSets = new Map<string, Map<string, Map<string, (OptionSet | null)[]>>>();
  private optionSetCount = 0;
  /** Whether any location serves only some regions or postal prefixes (else the ZIP3 decides). */
  private readonly byPostal: boolean;

  constructor(
    private readonly sourceLocations: readonly SnapshotLocation[],
    private readonly sourceServices: readonly SnapshotService[],
  ) {
    this.locations = sortedById(sourceLocations, (l) => l.location_id);
    this.services = sortedById(sourceServices, (s) => s.service_id);
    this.serviceKeys = this.services.map(deliveryKeyOf);
    this.transit = this.services.map((s) => [0, ...ZONES.map((z) => transitDaysFor(s, z))]);
    this.lowestRates = this.services.map((s) => [
      Number.NaN,
      ...ZONES.map((z) => Math.min(...s.rate_table.map((b) => b.rates_by_zone[`${z}`]))),
    ]);
    const groups = new Map<string, number>();
    const zoneGroups = new Map<string, number>();
    this.slotGroup = new Int32Array(this.locations.length);
    this.zoneGroup = new Int32Array(this.locations.length);
    const slotKeys: string[] = [];
    this.locations.forEach((l, i) => {
      const key = slotKeyOf(l);
      let g = groups.get(key);
      if (g === undefined) {
        g = slotKeys.length;
        groups.set(key, g);
        slotKeys.push(key);
      }
      this.slotGroup[i] = g;
      let z = zoneGroups.get(l.time_zone);
      if (z === undefined) {
        z = zoneGroups.size;
        zoneGroups.set(l.time_zone, z);
      }
      this.zoneGroup[i] = z;
    });
    this.slotKeys = slotKeys;
    this.byPostal = this.locations.some(
      (l) =>
        (l.service_regions.regions ?? []).length > 0 || (l.service_regions.postal_prefixes ?? []).length > 0,
    );
  }

  /** Whether this cache was made from these arrays. */
  isFor(locations: readonly SnapshotLocation[], services: readonly SnapshotService[]): boolean {
    return locations === this.sourceLocations && services === this.sourceServices;
  }

  /** Every location's zone to `destination` (whose ZIP3 is `zip3`), or why it cannot ship there. */
  destination(destination: Destination, zip3: string | undefined): DestinationZones {
    const key = this.byPostal
      ? `${destination.country}\u0000${destination.region ?? '\u0001'}\u0000${destination.postal_code}`
      : `${destination.country}\u0000${zip3 ?? '\u0001'}`;
    let known = this.byDestination.get(key);
    if (known) return known;
    const zones: (Zone | undefined)[] = [];
    const reasons: (ExclusionReason | undefined)[] = [];
    for (const l of this.locations) {
      let zone: Zone | undefined;
      let reason: ExclusionReason | undefined;
      if (!l.active) reason = 'inactive';
      else if (!servesDestination(l, destination)) reason = 'not_serving_region';
      else {
        zone = zip3 === undefined ? undefined : zoneIn(l.zones, zip3)?.zone;
        if (zone === undefined) reason = 'no_zone';
      }
      zones.push(zone);
      reasons.push(reason);
    }
    known = { zones, reasons };
    if (this.byDestination.size >= DESTINATIONS_MAX) this.byDestination.clear();
    this.byDestination.set(key, known);
    return known;
  }

  /**
   * `shipInstantMemo` for the locations of slot group `g` (`location` is one of them) at `now`,
   * whose local day there is `today`. The slot found for an instant t holds, but for its
   * countdown, for every later instant before its cut-off on the same local day: the cut-offs
   * before it had passed at t, so they have at any later instant.
   */
  slot(g: number, location: SnapshotLocation, now: Date, today: string): ShipSlot | undefined {
    const t = now.getTime();
    const known = this.slots[g];
    if (known !== undefined && known.today === today && t >= known.from_ms && t < known.until_ms) {
      const s = known.slot;
      return {
        accept_date: s.accept_date,
        ship_date: s.ship_date,
        cutoff_at: s.cutoff_at,
        countdown_ms: known.until_ms - t,
      };
    }
    const slot = shipInstantMemo(this.slotKeys[g]!, location, now, today);
    this.slots[g] = slot && { today, from_ms: t, until_ms: t + slot.countdown_ms, slot };
    return slot;
  }

  /**
   * The option sets by zone (index 1-8) for a local day and ship date, under `policyKey` (see
   * `optionsPolicyKey`: the service level and the two weights they are scored with); the caller
   * fills them in as it meets each zone.
   */
  optionSetsFor(policyKey: string, today: string, shipDate: string): (OptionSet | null)[] {
    let byDay = this.optionSets.get(policyKey);
    if (!byDay) {
      byDay = new Map();
      this.optionSets.set(policyKey, byDay);
    }
    let byShipDate = byDay.get(today);
    if (!byShipDate) {
      byShipDate = new Map();
      byDay.set(today, byShipDate);
    }
    let byZone = byShipDate.get(shipDate);
    if (!byZone) {
      if (this.optionSetCount >= OPTION_SETS_MAX) {
        this.optionSets.clear();
        this.optionSetCount = 0;
        return this.optionSetsFor(policyKey, today, shipDate);
      }
      byZone = [];
      this.optionSetCount++;
      byShipDate.set(shipDate, byZone);
    }
    return byZone;
  }
}

/** What option sets depend on besides the network, the day and the ship date. */
export const optionsPolicyKey = (level: ServiceLevel, deliveryWeight: number, shippingWeight: number) =>
  `${level}|${deliveryWeight}|${shippingWeight}`;
