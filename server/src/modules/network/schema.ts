import { z } from '@hono/zod-openapi';
import { PageQuery } from '../../http/pagination.ts';
import { isKnownCalendar, isValidHolidayRule, isValidTimeZone, WEEKDAYS } from './calendar.ts';

// ── shared pieces ────────────────────────────────────────────────────────────────────────────

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'ZZ']);
// Intl names every ISO 3166-1 code it knows and echoes back the ones it does not.
const isCountry = (code: string) =>
  !NOT_COUNTRIES.has(code) && !/^(Q[M-Z]|X[A-Z]|AA|OO)$/.test(code) && regionNames.of(code) !== code;

export const CountrySchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, 'An ISO 3166-1 alpha-2 country code, e.g. "US".')
  .refine(isCountry, 'Not an ISO 3166-1 alpha-2 country code.')
  .openapi({ example: 'US' });

const twoDecimals = (n: number) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6;
/** A non-negative amount of money with at most 2 decimals. */
const money = (params?: z.core.$ZodNumberParams) =>
  z
    .number(params)
    .min(0, 'Must not be negative.')
    .max(1_000_000)
    .refine(twoDecimals, 'At most 2 decimal places.');
const Money = money();
const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'An ISO 4217 currency code, e.g. "USD".')
  .openapi({ example: 'USD' });
const Name = z.string().trim().min(1).max(200);
const Code = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'Letters, digits, "_", "." and "-" only.');
const Timestamp = z.string().openapi({ format: 'date-time' });

export const WeekdaySchema = z.enum(WEEKDAYS);
const LocalTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A 24-hour local time HH:MM, e.g. "14:00".')
  .openapi({ example: '14:00' });

// ── locations ────────────────────────────────────────────────────────────────────────────────

export const LocationTypeSchema = z.enum(['warehouse', 'store', '3pl', 'dropship_supplier']);
export const PickingMethodSchema = z.enum(['single', 'batch', 'wave', 'zone']);
export const InventoryTypeSchema = z.enum(['owned', 'dropship', 'jit']);

export const AddressSchema = z
  .strictObject({
    line1: z.string().trim().min(1).max(200),
    line2: z.string().trim().max(200).optional(),
    city: z.string().trim().min(1).max(100),
    region: z.string().trim().min(1).max(100).openapi({ description: 'State or province, e.g. "NJ"' }),
    postal_code: z.string().trim().min(1).max(20),
    country: CountrySchema,
  })
  .openapi('Address');

export const CutoffsSchema = z
  .strictObject({
    mon: LocalTime.optional(),
    tue: LocalTime.optional(),
    wed: LocalTime.optional(),
    thu: LocalTime.optional(),
    fri: LocalTime.optional(),
    sat: LocalTime.optional(),
    sun: LocalTime.optional(),
  })
  .openapi('Cutoffs', {
    description: 'Order cut-off per weekday in the location’s local time; a missing day ships nothing.',
  });

export const HolidayCalendarSchema = z
  .strictObject({
    country: CountrySchema,
    region: z.string().trim().toUpperCase().min(1).max(10).optional(),
    ignore_holidays: z
      .array(z.string().trim().min(1).max(100))
      .max(50)
      .optional()
      .openapi({ description: 'Public holidays this location works on anyway, e.g. ["Columbus Day"]' }),
    extra_closed_dates: z.array(z.iso.date()).max(366).optional(),
  })
  .superRefine((c, ctx) => {
    if (!isKnownCalendar(c.country)) {
      ctx.addIssue({ code: 'custom', path: ['country'], message: 'No holiday calendar for this country.' });
    } else if (c.region && !isKnownCalendar(c.country, c.region)) {
      ctx.addIssue({ code: 'custom', path: ['region'], message: `No holiday calendar for this region.` });
    }
  })
  .openapi('HolidayCalendar', {
    description: 'Public holidays from date-holidays for a country and region, plus the location’s own.',
  });

export const ServiceRegionsSchema = z
  .strictObject({
    countries: z.array(CountrySchema).min(1).max(300),
    regions: z.array(z.string().trim().toUpperCase().min(1).max(10)).max(500).optional(),
    postal_prefixes: z
      .array(
        z
          .string()
          .trim()
          .toUpperCase()
          .regex(/^[A-Z0-9]{1,10}$/, 'Letters and digits only.'),
      )
      .max(5000)
      .optional(),
  })
  .openapi('ServiceRegions', {
    description:
      'Where the location may ship to: within `countries`, any of `regions` or `postal_prefixes`; ' +
      'both empty means anywhere in those countries.',
  });

export const FulfillmentCostSchema = z
  .strictObject({ per_order: Money, per_unit: Money, currency: Currency })
  .openapi('FulfillmentCost');

const locationFields = {
  name: Name,
  type: LocationTypeSchema,
  address: AddressSchema,
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  time_zone: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .refine(isValidTimeZone, 'Not an IANA time zone, e.g. "America/Chicago".'),
  cutoffs: CutoffsSchema,
  processing_days: z.number().int().min(0).max(30),
  holiday_calendar: HolidayCalendarSchema.nullable(),
  daily_order_capacity: z.number().int().min(1).max(10_000_000).nullable(),
  active: z.boolean(),
  service_regions: ServiceRegionsSchema,
  fulfillment_cost: FulfillmentCostSchema,
  picking_method: PickingMethodSchema,
  inventory_type: InventoryTypeSchema,
  accepts_returns: z.boolean(),
  external_ref: z.string().trim().min(1).max(200).nullable(),
};

const bothCoordinates = (
  v: { latitude?: number | undefined; longitude?: number | undefined },
  ctx: z.RefinementCtx,
) => {
  if ((v.latitude === undefined) !== (v.longitude === undefined)) {
    const missing = v.latitude === undefined ? 'latitude' : 'longitude';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'Give latitude and longitude together.' });
  }
};

export const CreateLocationSchema = z
  .strictObject({
    ...locationFields,
    latitude: locationFields.latitude.optional().openapi({ description: 'Default: from the postal code' }),
    longitude: locationFields.longitude.optional().openapi({ description: 'Default: from the postal code' }),
    time_zone: locationFields.time_zone.optional().openapi({ description: 'Default: from the postal code' }),
    processing_days: locationFields.processing_days.optional().openapi({ description: 'Default 0' }),
    holiday_calendar: locationFields.holiday_calendar
      .optional()
      .openapi({ description: 'Default: the address’s country and region' }),
    daily_order_capacity: locationFields.daily_order_capacity
      .optional()
      .openapi({ description: 'Default null: unlimited' }),
    active: z.boolean().optional().openapi({ description: 'Default true' }),
    service_regions: ServiceRegionsSchema.optional().openapi({
      description: 'Default: the address’s country',
    }),
    fulfillment_cost: FulfillmentCostSchema.optional().openapi({ description: 'Default 0 USD' }),
    picking_method: PickingMethodSchema.optional().openapi({ description: 'Default single' }),
    inventory_type: InventoryTypeSchema.optional().openapi({
      description: 'Default dropship for a dropship_supplier, owned otherwise',
    }),
    accepts_returns: z.boolean().optional().openapi({ description: 'Default true' }),
    external_ref: locationFields.external_ref.optional(),
  })
  .superRefine(bothCoordinates)
  .openapi('CreateLocation');

export const UpdateLocationSchema = z
  .strictObject(locationFields)
  .partial()
  .superRefine(bothCoordinates)
  .openapi('UpdateLocation', {
    description:
      'Only the fields sent change; `address` is replaced whole. A new postal code re-derives ' +
      'coordinates and time zone unless they are sent too. `active: false` deactivates.',
  });

export const LocationSchema = z
  .object({
    location_id: z.string().openapi({ example: 'loc_01jq3v7k9m2x4b6n8p0r2t4w6y' }),
    ...locationFields,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Location');

export const LocationQuery = PageQuery.extend({
  type: LocationTypeSchema.optional(),
  active: z.enum(['true', 'false']).optional(),
});

export const ZoneQuery = z.object({
  postal_code: z.string().trim().min(1).max(20).openapi({ example: '10001' }),
});

export const ZoneAnswerSchema = z
  .object({
    location_id: z.string(),
    postal_code: z.string(),
    zip3: z.string(),
    zone: z.number().int().min(1).max(8),
    distance_miles: z.number().openapi({ description: 'Between the two ZIP3 centroids' }),
  })
  .openapi('LocationZone');

// ── carriers and their services ──────────────────────────────────────────────────────────────

const HolidayRules = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine(isValidHolidayRule, 'Not a date-holidays rule, e.g. "4th thursday in November" or "12-25".'),
  )
  .max(100)
  .openapi({ description: 'Days without pickup or delivery, as date-holidays rules' });

export const CarrierSchema = z
  .object({
    carrier_id: z.string().openapi({ example: 'car_01jq3v7k9m2x4b6n8p0r2t4w6y' }),
    name: Name,
    code: Code,
    holidays: HolidayRules,
    active: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Carrier');

export const CreateCarrierSchema = z
  .strictObject({
    name: Name,
    code: Code.openapi({ example: 'ups' }),
    holidays: HolidayRules.optional().openapi({
      description: 'Default: New Year, Memorial Day, Independence Day, Labor Day, Thanksgiving, Christmas',
    }),
    active: z.boolean().optional(),
  })
  .openapi('CreateCarrier');

export const UpdateCarrierSchema = z
  .strictObject({ name: Name, code: Code, holidays: HolidayRules, active: z.boolean() })
  .partial()
  .openapi('UpdateCarrier');

export const ServiceLevelSchema = z.enum(['same_day', 'overnight', 'two_day', 'ground', 'economy']);

/** A value for each zone "1".."8", no more and no fewer (a missing zone is named in the error). */
const byZone = <T extends z.ZodType>(v: T) =>
  z.strictObject({ '1': v, '2': v, '3': v, '4': v, '5': v, '6': v, '7': v, '8': v });
const ZONE_VALUE = {
  error: (issue: { input?: unknown }) =>
    issue.input === undefined ? 'Every zone 1-8 needs a value.' : undefined,
};

const RateTableSchema = z
  .array(
    z.strictObject({
      max_weight_lb: z.number().positive().max(10_000),
      rates_by_zone: byZone(money(ZONE_VALUE)),
    }),
  )
  .min(1)
  .max(200)
  .superRefine((table, ctx) => {
    table.forEach((b, i) => {
      if (i > 0 && b.max_weight_lb <= table[i - 1]!.max_weight_lb) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'max_weight_lb'],
          message: 'Weights must ascend: each bracket above the one before.',
        });
      }
    });
  })
  .openapi({ description: 'Price by billable weight bracket (up to and including max_weight_lb) and zone' });

const serviceFields = {
  name: Name,
  code: Code,
  service_level: ServiceLevelSchema,
  transit_days_by_zone: byZone(z.number(ZONE_VALUE).int().min(0).max(60)).openapi({
    description: 'Business days in transit for each zone "1".."8"',
  }),
  delivery_weekdays: z
    .array(WeekdaySchema)
    .min(1)
    .max(7)
    .refine((d) => new Set(d).size === d.length, 'Each weekday at most once.'),
  dim_divisor: z.number().int().min(1).max(1000),
  rate_table: RateTableSchema,
  currency: Currency,
  active: z.boolean(),
};

export const CarrierServiceSchema = z
  .object({
    service_id: z.string().openapi({ example: 'svc_01jq3v7k9m2x4b6n8p0r2t4w6y' }),
    carrier_id: z.string(),
    ...serviceFields,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('CarrierService');

export const CreateCarrierServiceSchema = z
  .strictObject({
    ...serviceFields,
    delivery_weekdays: serviceFields.delivery_weekdays.optional().openapi({ description: 'Default mon-fri' }),
    dim_divisor: serviceFields.dim_divisor.optional().openapi({ description: 'Default 139' }),
    currency: Currency.optional().openapi({ description: 'Default USD' }),
    active: z.boolean().optional(),
  })
  .openapi('CreateCarrierService');

export const UpdateCarrierServiceSchema = z
  .strictObject(serviceFields)
  .partial()
  .openapi('UpdateCarrierService');

export const ActiveQuery = PageQuery.extend({ active: z.enum(['true', 'false']).optional() });

export type Location = z.infer<typeof LocationSchema>;
export type CreateLocation = z.infer<typeof CreateLocationSchema>;
export type UpdateLocation = z.infer<typeof UpdateLocationSchema>;
export type Carrier = z.infer<typeof CarrierSchema>;
export type CreateCarrier = z.infer<typeof CreateCarrierSchema>;
export type UpdateCarrier = z.infer<typeof UpdateCarrierSchema>;
export type CarrierService = z.infer<typeof CarrierServiceSchema>;
export type CreateCarrierService = z.infer<typeof CreateCarrierServiceSchema>;
export type UpdateCarrierService = z.infer<typeof UpdateCarrierServiceSchema>;
