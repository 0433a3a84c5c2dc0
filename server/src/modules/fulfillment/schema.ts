import { z } from '@hono/zod-openapi';
import { PickingMethodSchema } from '../network/schema.ts';

export const FULFILLMENT_STATUSES = [
  'pending',
  'assigned',
  'picking',
  'packed',
  'shipped',
  'delivered',
  'failed',
  'cancelled',
] as const;
export const FulfillmentStatusSchema = z.enum(FULFILLMENT_STATUSES);
export type FulfillmentStatus = z.infer<typeof FulfillmentStatusSchema>;

export const TRACKING_STATUSES = ['in_transit', 'out_for_delivery', 'delivered', 'exception'] as const;

const Id = z.string().min(1).max(100);
const IsoDate = z.iso.date();

// ── requests ─────────────────────────────────────────────────────────────────────────────────

export const FulfillmentListQuery = z.object({
  status: FulfillmentStatusSchema.optional(),
  location_id: Id.optional(),
  order_id: Id.optional(),
  priority: z.enum(['urgent', 'normal']).optional(),
  risk: z.enum(['late', 'at_risk']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

export const StepSchema = z
  .strictObject({
    status: z.enum(['assigned', 'picking', 'packed']),
    note: z.string().trim().min(1).max(2000).optional(),
  })
  .openapi('FulfillmentStep');

export const FailSchema = z
  .strictObject({
    reason: z.string().trim().min(1).max(2000).openapi({ example: 'Stock not found at the pick face' }),
  })
  .openapi('FulfillmentFailure');

const Package = z.strictObject({
  weight_lb: z.number().positive().max(2000),
  length_in: z.number().positive().max(200).optional(),
  width_in: z.number().positive().max(200).optional(),
  height_in: z.number().positive().max(200).optional(),
});

export const CreateShipmentSchema = z
  .strictObject({
    carrier: z.string().trim().min(1).max(100).openapi({ example: 'UPS' }),
    service: z.string().trim().min(1).max(100).openapi({ example: 'Ground' }),
    tracking_numbers: z.array(z.string().trim().min(1).max(100)).min(1).max(50),
    packages: z.array(Package).min(1).max(50),
    shipped_at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Default: now' }),
    lines: z
      .array(
        z.strictObject({
          order_id: Id.optional().openapi({
            description: 'Needed when the fulfillment order holds several orders',
          }),
          line_no: z.number().int().min(1),
          sku: z
            .string()
            .max(100)
            .optional()
            .openapi({ description: "Needed for a bundle line's components" }),
          quantity: z.number().int().min(1).max(1_000_000),
        }),
      )
      .min(1)
      .max(1000)
      .optional()
      .openapi({ description: 'What this shipment carries; without lines, everything not yet shipped' }),
  })
  .openapi('CreateShipment');

export const TrackingUpdateSchema = z
  .strictObject({
    status: z.enum(TRACKING_STATUSES),
    occurred_at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Default: now' }),
    description: z.string().trim().max(500).optional(),
    location: z.string().trim().max(200).optional(),
    estimated_delivery_date: IsoDate.optional().openapi({ description: 'The carrier’s new estimate' }),
  })
  .openapi('TrackingUpdate');

export const BrandingSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  logo_url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .nullable(),
  message: z.string().trim().max(1000).nullable(),
});

export const FulfillmentSettingsSchema = z
  .strictObject({
    branding: BrandingSchema,
    /** Assign new fulfillment orders to their location at once (a WMS may accept them instead). */
    auto_assign: z.boolean(),
    auto_release: z
      .strictObject({
        enabled: z.boolean(),
        after_minutes: z
          .number()
          .int()
          .min(0)
          .max(10_080)
          .openapi({ description: 'e.g. a fraud-check window' }),
      })
      .default({ enabled: false, after_minutes: 0 })
      .openapi({
        description:
          'The order lifecycle workflow releases each order to fulfillment by itself this long after it was placed, once it has stock and is not on hold',
      }),
  })
  .openapi('FulfillmentSettings');
export type FulfillmentSettings = z.infer<typeof FulfillmentSettingsSchema>;

// ── answers ──────────────────────────────────────────────────────────────────────────────────

export const FulfillmentItemSchema = z.object({
  order_id: z.string(),
  order_number: z.number().int(),
  line_no: z.number().int(),
  sku: z.string(),
  bundle_sku: z.string().nullable().openapi({ description: 'The bundle this component belongs to' }),
  reservation_id: z.string(),
  quantity: z.number().int().openapi({ description: 'Units still to ship' }),
  shipped: z.number().int(),
});

export const FulfillmentOrderSchema = z
  .object({
    fulfillment_order_id: z.string(),
    location_id: z.string(),
    order_ids: z.array(z.string()),
    consolidation_group: z.string().nullable(),
    status: FulfillmentStatusSchema,
    picking_method: PickingMethodSchema,
    priority: z.enum(['urgent', 'normal']),
    service_level: z.string(),
    ship_by: z.string(),
    promised_delivery_date: z.string(),
    failure_reason: z.string().nullable(),
    risk: z.enum(['late', 'at_risk']).nullable(),
    risk_reason: z.string().nullable(),
    items: z.array(FulfillmentItemSchema),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('FulfillmentOrder');
export type FulfillmentOrder = z.infer<typeof FulfillmentOrderSchema>;

export const ShipmentItemSchema = z.object({
  order_id: z.string(),
  line_no: z.number().int(),
  sku: z.string(),
  location_id: z.string(),
  reservation_id: z.string(),
  quantity: z.number().int(),
});
export type ShipmentItem = z.infer<typeof ShipmentItemSchema>;

export const TrackingEventSchema = z.object({
  status: z.string(),
  occurred_at: z.string(),
  description: z.string(),
  location: z.string().nullable(),
  estimated_delivery_date: z.string().nullable(),
  source: z.string(),
});

export const ShipmentSchema = z
  .object({
    shipment_id: z.string(),
    fulfillment_order_id: z.string(),
    location_id: z.string(),
    order_ids: z.array(z.string()),
    carrier: z.string(),
    service: z.string(),
    tracking_numbers: z.array(z.string()),
    packages: z.array(Package),
    items: z.array(ShipmentItemSchema),
    status: z.enum(['shipped', ...TRACKING_STATUSES]),
    estimated_delivery_date: z.string().nullable(),
    shipped_at: z.string(),
    delivered_at: z.string().nullable(),
    tracking: z.array(TrackingEventSchema),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Shipment');
export type Shipment = z.infer<typeof ShipmentSchema>;

export const OrderShipmentSchema = ShipmentSchema.extend({
  label: z.string().openapi({ example: 'Shipment 1 of 2' }),
  summary: z.string().openapi({ example: 'Shipment 1 of 2 delivered' }),
}).openapi('OrderShipment');

export type CreateShipment = z.infer<typeof CreateShipmentSchema>;
export type TrackingUpdate = z.infer<typeof TrackingUpdateSchema>;
