import { z } from '@hono/zod-openapi';
import { zip3Centroids, zip3Of } from '../network/geo.ts';
import { CountrySchema, ServiceLevelSchema } from '../network/schema.ts';
import { MAX_SHIPMENTS_LIMIT, PRESETS } from './policy.ts';

/** Request and answer shapes of the sourcing routes. */

export const Sku = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'A SKU is 1-64 letters, digits, dots, dashes or underscores.')
  .openapi({ example: 'MUG-ENAMEL-WHT' });
export const Channel = z
  .string()
  .regex(/^[a-z0-9_-]{1,50}$/, 'A channel is 1-50 lowercase letters, digits, - or _.');
export const PresetSchema = z.enum(PRESETS);

const OrderLineSchema = z.strictObject({
  sku: Sku,
  quantity: z
    .number()
    .int('Quantities are whole units.')
    .positive('Quantities must be at least 1.')
    .max(100_000),
});

const US_ZIP = /^\d{5}(-\d{4})?$/;
const CA_POSTAL = /^[A-Z]\d[A-Z] ?\d[A-Z]\d$/;

export function checkPostalCode(d: { country: string; postal_code: string }, ctx: z.RefinementCtx) {
  const bad = (message: string) => ctx.addIssue({ code: 'custom', path: ['postal_code'], message });
  if (d.country === 'US') {
    if (!US_ZIP.test(d.postal_code)) bad('A US ZIP code: 5 digits, optionally -4 more, e.g. "10001".');
    else if (!zip3Centroids().has(zip3Of(d.postal_code)!)) bad('Not a known US ZIP code prefix.');
  } else if (d.country === 'CA' && !CA_POSTAL.test(d.postal_code)) {
    bad('A Canadian postal code, e.g. "M5V 3L9".');
  }
}

/**
 * A US ZIP must have a known 3-digit prefix (zones are looked up by it); a Canadian code must
 * look like one. Other countries are accepted as they are: no location reaches them yet.
 */
export const DestinationSchema = z
  .strictObject({
    country: CountrySchema,
    region: z.string().trim().min(1).max(100).optional(),
    postal_code: z.string().trim().toUpperCase().min(1).max(20),
    line1: z.string().trim().min(1).max(200).optional(),
    city: z.string().trim().min(1).max(100).optional(),
  })
  .superRefine(checkPostalCode)
  .openapi('Destination');

export const Now = z.iso
  .datetime({ offset: true, message: 'An ISO 8601 date-time, e.g. "2026-11-23T17:47:00Z".' })
  .optional()
  .openapi({ description: 'Plan as of this moment instead of now (for what-if questions)' });

const Lines = z.array(OrderLineSchema).min(1, 'At least one line.').max(200);

export const PlanRequestSchema = z
  .strictObject({
    lines: Lines,
    destination: DestinationSchema,
    service_level: ServiceLevelSchema,
    channel: Channel.optional(),
    now: Now,
    policy: PresetSchema.optional().openapi({
      description: "Plan with this preset's weights instead of the tenant's (constraints stay the tenant's)",
    }),
  })
  .openapi('PlanRequest');

export const PromiseRequestSchema = z
  .strictObject({ lines: Lines, destination: DestinationSchema, channel: Channel.optional(), now: Now })
  .openapi('PromiseRequest');

const nonNegative = z.number().min(0, 'Must not be negative.').max(1_000_000);
export const WeightsSchema = z
  .strictObject({
    delivery_days: nonNegative,
    shipping_cost: nonNegative,
    shipments: nonNegative,
    location_cost: nonNegative,
    load: nonNegative,
    external: nonNegative,
  })
  .openapi('SourcingWeights');

export const PolicyInputSchema = z
  .strictObject({
    preset: PresetSchema,
    weights: WeightsSchema.partial().optional().openapi({ description: "Overrides of the preset's weights" }),
    allow_split: z.boolean().optional(),
    max_shipments: z.number().int().min(1).max(MAX_SHIPMENTS_LIMIT).optional(),
    search_budget: z.number().int().min(1).max(1_000_000).optional(),
    cost_ceiling: z.number().min(0).max(1_000_000).nullable().optional().openapi({
      description: 'No shipment may cost more than this; null removes the ceiling',
    }),
  })
  .openapi('SourcingPolicyInput');

export const PolicySchema = z
  .object({
    preset: PresetSchema,
    weights: WeightsSchema,
    allow_split: z.boolean(),
    max_shipments: z.number().int(),
    search_budget: z.number().int(),
    cost_ceiling: z.number().nullable(),
    updated_at: z.string().nullable().openapi({ description: 'Null while the default applies' }),
  })
  .openapi('SourcingPolicy');

// The plan is the planner's own output (see types.ts); described loosely here, not re-validated.
const Terms = z.record(z.string(), z.number());
export const PlanSchema = z
  .object({
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int(), sources: z.array(z.any()) })),
    shipments: z.array(z.looseObject({ location_id: z.string(), service_id: z.string(), cost: z.number() })),
    backorders: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
    pre_orders: z.array(z.any()),
    promise: z
      .object({
        delivery_date: z.string(),
        cutoff_at: z.string(),
        countdown_ms: z.number(),
        text: z.string(),
      })
      .nullable(),
    terms: Terms,
    score: z.number(),
    explanation: z.looseObject({ policy: z.string(), candidates: z.array(z.any()), why: z.string() }),
  })
  .openapi('SourcingPlan');

export const PromiseOptionSchema = z
  .object({
    service_level: ServiceLevelSchema,
    carrier_service: z.object({
      service_id: z.string(),
      name: z.string(),
      code: z.string(),
      carrier_code: z.string(),
    }),
    price: z.number(),
    currency: z.string(),
    ships_from_count: z.number().int(),
    delivery_date: z.string().openapi({ example: '2026-11-24' }),
    order_within_ms: z.number().int(),
    text: z.string().openapi({ example: 'Order within 2 h 13 min for delivery Tuesday, Nov 24' }),
  })
  .openapi('PromiseOption');

export const PromiseAnswerSchema = z
  .object({ as_of: z.string(), options: z.array(PromiseOptionSchema) })
  .openapi('PromiseAnswer');

export type PlanRequest = z.infer<typeof PlanRequestSchema>;
export type PromiseRequest = z.infer<typeof PromiseRequestSchema>;
export type PolicyInput = z.infer<typeof PolicyInputSchema>;
export type PromiseOption = z.infer<typeof PromiseOptionSchema>;
