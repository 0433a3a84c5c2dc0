import { z } from '@hono/zod-openapi';
import { DEFAULT_CARRIER_HOLIDAYS, isKnownCalendar } from '../network/calendar.ts';
import { computeZones, geocodePostal, timeZoneAt, zoneOrigin } from '../network/geo.ts';
import {
  CountrySchema,
  CreateCarrierServiceSchema,
  CreateLocationSchema,
  ServiceLevelSchema,
} from '../network/schema.ts';
import type { SnapshotLocation, SnapshotService } from '../network/snapshot.ts';
import { checkPostalCode, Sku } from './schema.ts';
import type { Replenishment, SimulatedOrder, SkuInfo } from './simulate.ts';

/**
 * The simulator's two file formats, validated with zod, and how a network file becomes the
 * planner's network. Pure except for the bundled geodata (zones, time zones).
 *
 * Orders: NDJSON, one order per line — `{"at": ISO, "postal_code": "10001", "lines": [{"sku":
 * "A", "quantity": 1}]}` plus optional `country` (default US), `region` and `service_level`
 * (default ground). NDJSON rather than CSV because an order has a variable number of lines (CSV
 * would need one row per line and a grouping key), it needs no new dependency (`csv-parse` is not
 * one), and it streams line by line.
 *
 * Network: one JSON document — `locations` (the API's create-location objects plus a
 * `location_id`), `services` (the API's create-service objects plus a `service_id`), `skus`
 * (unit weight per SKU), `stock` (SKU → location → units) and `replenishment`.
 */

const Instant = z.iso.datetime({
  offset: true,
  message: 'An ISO 8601 date-time, e.g. "2026-11-23T17:47:00Z".',
});

export const SimulatedOrderSchema = z
  .strictObject({
    at: Instant,
    postal_code: z.string().trim().toUpperCase().min(1).max(20),
    country: CountrySchema.default('US'),
    region: z.string().trim().min(1).max(100).optional(),
    service_level: ServiceLevelSchema.default('ground'),
    lines: z
      .array(
        z.strictObject({
          sku: Sku,
          quantity: z.number().int('Whole units.').positive('At least 1.').max(100_000),
        }),
      )
      .min(1, 'At least one line.')
      .max(200),
  })
  .superRefine(checkPostalCode)
  .openapi('SimulatedOrder');

const Id = z.string().trim().min(1).max(100);

const NetworkLocationSchema = z.strictObject({ location_id: Id, ...CreateLocationSchema.shape });
const NetworkServiceSchema = z.strictObject({
  service_id: Id,
  carrier_code: z.string().trim().min(1).max(50).default('sim'),
  holidays: z.array(z.string().min(1).max(200)).max(100).optional(),
  ...CreateCarrierServiceSchema.shape,
});

export const ReplenishmentSchema = z
  .strictObject({
    every_days: z.number().int('Whole days.').min(1).max(365).optional().openapi({
      description:
        'Every N days from the first order, each SKU at each location is refilled to its start level',
    }),
    schedule: z
      .array(
        z.strictObject({
          at: Instant,
          location_id: Id,
          sku: Sku,
          quantity: z.number().int().positive().max(10_000_000),
        }),
      )
      .max(100_000)
      .optional(),
  })
  .openapi('SimulationReplenishment');

export const NetworkFileSchema = z
  .strictObject({
    locations: z.array(NetworkLocationSchema).min(1).max(500),
    services: z.array(NetworkServiceSchema).min(1).max(100),
    skus: z
      .record(
        Sku,
        z.strictObject({
          weight_lb: z.number().positive().max(10_000),
          dims_in: z
            .strictObject({
              length_in: z.number().positive(),
              width_in: z.number().positive(),
              height_in: z.number().positive(),
            })
            .nullable()
            .optional(),
        }),
      )
      .default({}),
    stock: z.record(Sku, z.record(Id, z.number().int('Whole units.').min(0))),
    replenishment: ReplenishmentSchema.optional(),
  })
  .superRefine((n, ctx) => {
    const ids = new Set<string>();
    n.locations.forEach((l, i) => {
      if (ids.has(l.location_id))
        ctx.addIssue({ code: 'custom', path: ['locations', i, 'location_id'], message: 'Duplicate id.' });
      ids.add(l.location_id);
      if (l.latitude === undefined && !geocodePostal(l.address.postal_code, l.address.country))
        ctx.addIssue({
          code: 'custom',
          path: ['locations', i, 'address', 'postal_code'],
          message: `${l.address.postal_code} is not in the bundled postal data; send latitude and longitude.`,
        });
    });
    for (const [sku, at] of Object.entries(n.stock))
      for (const id of Object.keys(at))
        if (!ids.has(id))
          ctx.addIssue({ code: 'custom', path: ['stock', sku, id], message: `No location ${id}.` });
    n.replenishment?.schedule?.forEach((s, i) => {
      if (!ids.has(s.location_id))
        ctx.addIssue({
          code: 'custom',
          path: ['replenishment', 'schedule', i, 'location_id'],
          message: `No location ${s.location_id}.`,
        });
    });
  })
  .openapi('SimulationNetwork');

export type NetworkFile = z.infer<typeof NetworkFileSchema>;
export type NetworkFileInput = z.input<typeof NetworkFileSchema>;

/** `a.b[2].c: message` for the first few issues, prefixed by where the document came from. */
export function describeIssues(error: z.ZodError, prefix: string, max = 5): string[] {
  return error.issues.slice(0, max).map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    return `${prefix}${path}: ${i.message}`;
  });
}

/**
 * Parses NDJSON orders; blank lines are skipped. Errors name the 1-based line and the field,
 * e.g. `line 7.lines[0].quantity: At least 1.`; at most `maxErrors` are collected.
 */
export function parseOrdersNdjson(
  text: string,
  maxErrors = 10,
): { orders: SimulatedOrder[]; errors: string[] } {
  const orders: SimulatedOrder[] = [];
  const errors: string[] = [];
  const rows = text.split('\n');
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < rows.length && errors.length < maxErrors; i++) {
    const row = rows[i]!.trim();
    if (row === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch (err) {
      errors.push(`line ${i + 1}: not JSON (${(err as Error).message})`);
      continue;
    }
    const parsed = SimulatedOrderSchema.safeParse(value);
    if (!parsed.success) {
      errors.push(...describeIssues(parsed.error, `line ${i + 1}`, maxErrors - errors.length));
      continue;
    }
    const t = Date.parse(parsed.data.at);
    if (t < last)
      errors.push(
        `line ${i + 1}.at: orders must be sorted by time; this one is earlier than the one before.`,
      );
    last = Math.max(last, t);
    orders.push(parsed.data);
  }
  return { orders, errors };
}

const STAMP = '2026-01-01T00:00:00.000Z';

/** A network file's location as the planner sees it: the API's defaults, coordinates and zones. */
function snapshotLocation(l: NetworkFile['locations'][number]): SnapshotLocation {
  const geo = geocodePostal(l.address.postal_code, l.address.country);
  const point =
    l.latitude !== undefined && l.longitude !== undefined
      ? { latitude: l.latitude, longitude: l.longitude }
      : geo;
  if (!point)
    throw new Error(
      `${l.location_id}: postal code ${l.address.postal_code} is unknown; send latitude and longitude.`,
    );
  const time_zone = l.time_zone ?? geo?.time_zone ?? timeZoneAt(point);
  if (!time_zone) throw new Error(`${l.location_id}: no time zone; send one.`);
  const region = l.address.region.trim().toUpperCase();
  const calendar =
    l.holiday_calendar !== undefined
      ? l.holiday_calendar
      : isKnownCalendar(l.address.country, region)
        ? { country: l.address.country, region }
        : isKnownCalendar(l.address.country)
          ? { country: l.address.country }
          : null;
  const zones =
    l.address.country === 'US'
      ? Object.fromEntries(computeZones(zoneOrigin(l.address.postal_code, l.address.country, point)))
      : {};
  return {
    location_id: l.location_id,
    name: l.name,
    type: l.type,
    address: l.address,
    latitude: point.latitude,
    longitude: point.longitude,
    time_zone,
    cutoffs: l.cutoffs,
    processing_days: l.processing_days ?? 0,
    holiday_calendar: calendar,
    daily_order_capacity: l.daily_order_capacity ?? null,
    active: l.active ?? true,
    service_regions: l.service_regions ?? { countries: [l.address.country] },
    fulfillment_cost: l.fulfillment_cost ?? { per_order: 0, per_unit: 0, currency: 'USD' },
    picking_method: l.picking_method ?? 'single',
    inventory_type: l.inventory_type ?? (l.type === 'dropship_supplier' ? 'dropship' : 'owned'),
    accepts_returns: l.accepts_returns ?? true,
    external_ref: l.external_ref ?? null,
    created_at: STAMP,
    updated_at: STAMP,
    zones,
  };
}

function snapshotService(s: NetworkFile['services'][number]): SnapshotService {
  const { service_id, carrier_code, holidays, ...rest } = s;
  return {
    ...rest,
    service_id,
    carrier_id: `car_${carrier_code}`,
    delivery_weekdays: rest.delivery_weekdays ?? ['mon', 'tue', 'wed', 'thu', 'fri'],
    dim_divisor: rest.dim_divisor ?? 139,
    currency: rest.currency ?? 'USD',
    active: rest.active ?? true,
    created_at: STAMP,
    updated_at: STAMP,
    carrier_code,
    carrier_name: carrier_code,
    holidays: holidays ?? [...DEFAULT_CARRIER_HOLIDAYS],
  };
}

/** What `Simulation` needs from a parsed network file (policy aside). */
export function networkFromFile(n: NetworkFile): {
  locations: SnapshotLocation[];
  services: SnapshotService[];
  skus: Record<string, SkuInfo>;
  stock: Record<string, Record<string, number>>;
  replenishment: Replenishment | undefined;
} {
  return {
    locations: n.locations.filter((l) => l.active !== false).map(snapshotLocation),
    services: n.services.filter((s) => s.active !== false).map(snapshotService),
    skus: n.skus,
    stock: n.stock,
    replenishment: n.replenishment,
  };
}
