import { z } from '@hono/zod-openapi';
import { CountrySchema, ServiceLevelSchema } from '../network/schema.ts';
import { Channel, checkPostalCode, Sku } from '../sourcing/schema.ts';
import { ORDER_STATUSES } from './status.ts';
import { hasCents } from './totals.ts';

/** Request and answer shapes of the order routes. */

export const OrderStatusSchema = z.enum(ORDER_STATUSES).openapi('OrderStatus');
export const OrderTypeSchema = z.enum(['standard', 'pre_order', 'backorder', 'subscription']);

const text = (max: number) => z.string().trim().min(1).max(max);
const money = z
  .number()
  .min(0, 'Must not be negative.')
  .max(1_000_000_000)
  .refine(hasCents, 'At most two decimals.');

export const AddressSchema = z
  .strictObject({
    name: text(200).optional(),
    company: text(200).optional(),
    line1: text(200),
    line2: text(200).optional(),
    city: text(100),
    region: text(100).optional(),
    postal_code: z.string().trim().toUpperCase().min(1).max(20),
    country: CountrySchema,
    phone: text(40).optional(),
  })
  .superRefine(checkPostalCode)
  .openapi('ShippingAddress');
export type Address = z.infer<typeof AddressSchema>;

export const CustomerSchema = z
  .strictObject({
    id: text(100).optional(),
    name: text(200).optional(),
    email: z.email('An email address, e.g. "ada@example.com".').max(320).optional(),
    phone: text(40).optional(),
  })
  .openapi('Customer');

export const OrderLineInputSchema = z.strictObject({
  sku: Sku,
  quantity: z
    .number()
    .int('Quantities are whole units.')
    .positive('Quantities must be at least 1.')
    .max(100_000),
  unit_price: money,
  discount: money.default(0).openapi({ description: 'Total discount on the line (not per unit)' }),
  tax: money.default(0).openapi({ description: 'Total tax on the line (not per unit)' }),
});

export const TotalsSchema = z
  .strictObject({
    subtotal: money.openapi({ description: 'Sum of unit_price × quantity' }),
    discount: money.openapi({ description: 'Sum of line discounts' }),
    tax: money.openapi({ description: 'Sum of line taxes' }),
    shipping: money,
    total: money.openapi({ description: 'subtotal − discount + tax + shipping' }),
  })
  .openapi('OrderTotals');

const SubscriptionScheduleSchema = z
  .strictObject({
    every: z.number().int().min(1).max(365),
    unit: z.enum(['day', 'week', 'month']),
  })
  .openapi('SubscriptionSchedule');

export const CreateOrderSchema = z
  .strictObject({
    channel: Channel.openapi({ example: 'web' }),
    channel_order_id: text(100).optional().openapi({
      description:
        'Unique per channel: capturing the same one again returns the existing order. Defaults to the order id (manual orders).',
      example: 'W-100231',
    }),
    order_type: OrderTypeSchema.default('standard'),
    customer: CustomerSchema,
    shipping_address: AddressSchema,
    billing_address: AddressSchema.optional(),
    lines: z.array(OrderLineInputSchema).min(1, 'At least one line.').max(200),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'An ISO 4217 code, e.g. "USD".')
      .default('USD'),
    totals: TotalsSchema,
    service_level: ServiceLevelSchema.optional().openapi({
      description: "Defaults from shipping_method (the channel's mapping) or the tenant's default",
    }),
    shipping_method: text(100).optional().openapi({
      description:
        "The channel's own name for the shipping choice, mapped to a service level in order settings",
    }),
    notes: text(2000).optional(),
    gift_message: text(500).optional(),
    tags: z.array(z.string().trim().min(1).max(50)).max(20).default([]),
    placed_at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Defaults to now' }),
    release_date: z.iso
      .date()
      .optional()
      .openapi({ description: 'Pre-orders: nothing is allocated before this day' }),
    subscription: SubscriptionScheduleSchema.optional().openapi({
      description: 'Subscriptions: how often the order repeats (this order is the first cycle)',
    }),
  })
  .superRefine((o, ctx) => {
    if (o.order_type === 'subscription' && !o.subscription) {
      ctx.addIssue({
        code: 'custom',
        path: ['subscription'],
        message: 'A subscription order needs its schedule.',
      });
    }
    if (o.order_type !== 'subscription' && o.subscription) {
      ctx.addIssue({
        code: 'custom',
        path: ['subscription'],
        message: 'Only subscription orders have a schedule.',
      });
    }
    if (o.release_date && o.order_type !== 'pre_order') {
      ctx.addIssue({
        code: 'custom',
        path: ['release_date'],
        message: 'Only pre-orders have a release date.',
      });
    }
  })
  .openapi('CreateOrder');
export type CreateOrder = z.infer<typeof CreateOrderSchema>;

const Reason = z.strictObject({ reason: text(500) });
export const HoldSchema = Reason.openapi('HoldRequest');
export const ReleaseHoldSchema = z.strictObject({ note: text(500).optional() }).openapi('ReleaseHoldRequest');
export const NoteSchema = z.strictObject({ note: text(2000) }).openapi('OrderNote');

export const CancelSchema = z
  .strictObject({
    reason: text(500),
    lines: z
      .array(
        z.strictObject({
          line_no: z.number().int().min(1),
          quantity: z.number().int().positive('Quantities must be at least 1.'),
        }),
      )
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: 'Cancel only these quantities; without lines, everything not yet shipped' }),
  })
  .openapi('CancelRequest');
export type CancelInput = z.infer<typeof CancelSchema>;

export const UpdateOrderSchema = z
  .strictObject({
    shipping_address: AddressSchema.optional(),
    notes: text(2000).nullable().optional(),
    gift_message: text(500).nullable().optional(),
    tags: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
    customer: CustomerSchema.optional(),
  })
  .refine((u) => Object.keys(u).length > 0, 'Send at least one field to change.')
  .openapi('UpdateOrder');
export type UpdateOrder = z.infer<typeof UpdateOrderSchema>;

export const RouteOrderSchema = z
  .strictObject({
    location_id: z.string().max(100).optional().openapi({
      description: 'Route every open unit to this location; without it, the planner chooses',
    }),
    reason: text(500),
  })
  .openapi('RouteOrderRequest');

export const ReplacementSchema = z
  .strictObject({
    reason: text(500),
    lines: z
      .array(z.strictObject({ line_no: z.number().int().min(1), quantity: z.number().int().positive() }))
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: 'What to send again; without lines, every shipped unit' }),
    service_level: ServiceLevelSchema.optional(),
  })
  .openapi('ReplacementRequest');

export const OrderSettingsSchema = z
  .strictObject({
    backorders: z.enum(['accept', 'reject']).openapi({
      description:
        'What capture does with units no location can ship now: queue them (accept) or refuse the order (reject)',
    }),
    default_service_level: ServiceLevelSchema,
    shipping_methods: z
      .record(Channel, z.record(z.string().min(1).max(100), ServiceLevelSchema))
      .openapi({ description: 'Per channel: its shipping method names → service level' }),
    consolidation: z
      .strictObject({
        enabled: z.boolean(),
        window_minutes: z.number().int().min(1).max(10_080),
      })
      .default({ enabled: false, window_minutes: 60 })
      .openapi({
        description:
          "Release a customer's orders to the same address placed within the window together, as one group for fulfillment",
      }),
  })
  .openapi('OrderSettings');
export type OrderSettings = z.infer<typeof OrderSettingsSchema>;

// ── answers ──────────────────────────────────────────────────────────────────────────────────

const Actor = z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string() });

export const AllocationSchema = z.object({
  sku: z.string(),
  location_id: z.string(),
  quantity: z.number().int().openapi({ description: 'Units still reserved here' }),
  shipped: z.number().int().openapi({ description: 'Units shipped from this reservation' }),
  delivered: z.number().int(),
  fulfillment_order_id: z.string().nullable().openapi({ description: 'Set once the order is released' }),
  picked: z.boolean().openapi({ description: 'Picking has started: these units can no longer be cancelled' }),
  reservation_id: z.string(),
  routing_no: z.number().int().openapi({ description: 'The routing (in the routing log) that made it' }),
  service_id: z.string(),
  service_level: z.string(),
  ship_date: z.string(),
  delivery_date: z.string(),
});

export const OrderLineSchema = z
  .object({
    line_no: z.number().int(),
    sku: z.string(),
    quantity: z.number().int(),
    unit_price: z.number(),
    discount: z.number(),
    tax: z.number(),
    allocated: z.number().int(),
    backordered: z.number().int(),
    cancelled: z.number().int(),
    shipped: z.number().int(),
    delivered: z.number().int(),
    returned: z.number().int(),
    refunded: z.number(),
    allocations: z.array(AllocationSchema),
  })
  .openapi('OrderLine');

export const OrderSchema = z
  .object({
    order_id: z.string(),
    order_number: z.number().int(),
    channel: z.string(),
    channel_order_id: z.string(),
    order_type: OrderTypeSchema,
    status: OrderStatusSchema,
    failure_reason: z.string().nullable(),
    on_hold: z.boolean(),
    hold_reason: z.string().nullable(),
    released_at: z.string().nullable(),
    consolidation_group: z
      .string()
      .nullable()
      .openapi({ description: 'Orders released together for one fulfillment share this id' }),
    customer: CustomerSchema,
    shipping_address: AddressSchema,
    // A union, not .nullable(): a nullable $ref becomes an unusable type in the generated SDK.
    billing_address: z.union([AddressSchema, z.null()]),
    currency: z.string(),
    service_level: ServiceLevelSchema,
    shipping_method: z.string().nullable(),
    totals: TotalsSchema,
    refund_due: z.number(),
    notes: z.string().nullable(),
    gift_message: z.string().nullable(),
    tags: z.array(z.string()),
    replacement_for: z.string().nullable(),
    subscription_id: z.string().nullable(),
    release_date: z.string().nullable(),
    promised_delivery_date: z.string().nullable(),
    risk: z.enum(['late', 'at_risk']).nullable().openapi({
      description:
        "The at-risk sweep's verdict: `late` (a fulfillment order misses its cut-off), `at_risk` (tracking says the promised date will be missed)",
    }),
    risk_reason: z.string().nullable(),
    location_ids: z.array(z.string()),
    placed_at: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    lines: z.array(OrderLineSchema),
  })
  .openapi('Order');
export type Order = z.infer<typeof OrderSchema>;

export const OrderSummarySchema = OrderSchema.omit({ lines: true }).openapi('OrderSummary');
export type OrderSummary = z.infer<typeof OrderSummarySchema>;

export const OrderEventSchema = z
  .object({
    id: z.number().int(),
    type: z.string(),
    from_status: z.string().nullable(),
    to_status: z.string().nullable(),
    actor: Actor,
    note: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
  })
  .openapi('OrderEvent');

export const RoutingSchema = z
  .object({
    routing_no: z.number().int(),
    trigger: z.string(),
    reason: z.string().nullable(),
    reservation_id: z.string().nullable(),
    attempts: z.number().int(),
    actor: Actor,
    created_at: z.string(),
    plan: z.record(z.string(), z.unknown()),
  })
  .openapi('OrderRouting');
