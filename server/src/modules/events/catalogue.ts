import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { BundleSchema, ProductSchema } from '../catalog/schema.ts';
import {
  FulfillmentSettingsSchema,
  FulfillmentStatusSchema,
  ShipmentItemSchema,
  ShipmentSchema,
} from '../fulfillment/schema.ts';
import {
  ChannelPoolSchema,
  ReservationSchema,
  StockImportResultSchema,
  TransferSchema,
} from '../inventory/schema.ts';
import { CarrierSchema, CarrierServiceSchema, LocationSchema } from '../network/schema.ts';
import {
  AddressSchema,
  CustomerSchema,
  OrderSchema,
  OrderSettingsSchema,
  OrderStatusSchema,
} from '../orders/schema.ts';
import { SubscriptionSchema, SubscriptionStatusSchema } from '../orders/subscription-schema.ts';
import { RefundSchema, ReturnSchema, ReturnSettingsSchema, ReturnStatusSchema } from '../returns/schema.ts';
import { PolicySchema } from '../sourcing/schema.ts';
import { ApiKeySchema, TenantSchema, UserSchema } from '../tenancy/schema.ts';
import { WebhookSchema, WebhookSettingsAnswer } from '../webhooks/schema.ts';
import { EventSchema } from './schema.ts';

/**
 * The `data` of every event type the modules publish, one schema per type: what `GET /v1/events`,
 * `GET /v1/stream` and webhook receivers get. Where the data is a module's answer object, its
 * answer schema is reused, so the two cannot drift. Published under `webhooks` in /openapi.json.
 */

const Changed = z.array(z.string()).openapi({ description: 'The fields this change touched' });
const withChanged = <T extends z.ZodObject>(s: T) => s.extend({ changed: Changed });
const Time = z.string().openapi({ format: 'date-time' });

// ── orders ───────────────────────────────────────────────────────────────────────────────────

const OrderRef = { order_id: z.string(), order_number: OrderSchema.shape.order_number };

const orders = {
  'order.created': OrderSchema,
  'order.updated': z.object({
    ...OrderRef,
    change: z.union([
      z.object({ released_to_fulfillment: z.literal(true), consolidation_group: z.string().nullable() }),
      // The edit as sent (see UpdateOrder): only the fields that were changed.
      z.object({
        shipping_address: AddressSchema.optional(),
        notes: z.string().nullable().optional(),
        gift_message: z.string().nullable().optional(),
        tags: z.array(z.string()).optional(),
        customer: CustomerSchema.optional(),
      }),
    ]),
  }),
  'order.status_changed': z.object({ ...OrderRef, from: OrderStatusSchema, to: OrderStatusSchema }),
  'order.routed': z.object({
    order_id: z.string(),
    trigger: z.enum([
      'capture',
      'reroute',
      'manual',
      'address_change',
      'backorder_release',
      'fulfillment_failed',
    ]),
    location_ids: z.array(z.string()),
    promised_delivery_date: z.string().nullable(),
  }),
  'order.cancelled': z.object({
    order_id: z.string(),
    reason: z.string(),
    lines: z.array(z.object({ line_no: z.number().int(), quantity: z.number().int() })),
    whole_order: z.boolean(),
    refund: z.number(),
  }),
  'order.held': z.object({ order_id: z.string(), reason: z.string() }),
  'order.released': z.object({ order_id: z.string(), note: z.string().nullable() }),
  'order.at_risk': z.object({ order_id: z.string(), risk: z.enum(['late', 'at_risk']), reason: z.string() }),
  'order.risk_cleared': z.object({ order_id: z.string(), risk: z.null(), reason: z.null() }),
  'order_settings.updated': OrderSettingsSchema.extend({ updated_at: Time }),
};

// ── fulfillment ──────────────────────────────────────────────────────────────────────────────

const RequestItem = z.object({
  order_id: z.string(),
  line_no: z.number().int(),
  sku: z.string(),
  quantity: z.number().int(),
});
// The envelope's `seq` is the request's logical timestamp: a stock import quotes it back.
const FulfillmentRequest = {
  fulfillment_order_id: z.string(),
  location_id: z.string(),
  order_ids: z.array(z.string()),
  items: z.array(RequestItem),
};
const ShipmentEvent = ShipmentSchema.pick({
  shipment_id: true,
  fulfillment_order_id: true,
  order_ids: true,
  carrier: true,
  service: true,
  tracking_numbers: true,
  status: true,
  estimated_delivery_date: true,
  items: true,
});
const FulfillmentRisk = {
  fulfillment_order_id: z.string(),
  order_ids: z.array(z.string()),
};

const fulfillment = {
  'fulfillment_request.assigned': z.object(FulfillmentRequest),
  'fulfillment_request.failed': z.object({ ...FulfillmentRequest, reason: z.string() }),
  'fulfillment_request.completed': z.object({
    ...FulfillmentRequest,
    items: z.array(ShipmentItemSchema).openapi({ description: 'The units this shipment carries' }),
    shipment_id: z.string(),
    complete: z.boolean().openapi({ description: 'Nothing is left to ship from this fulfillment order' }),
  }),
  'fulfillment_order.status_changed': z.object({
    fulfillment_order_id: z.string(),
    from: FulfillmentStatusSchema,
    to: FulfillmentStatusSchema,
    order_ids: z.array(z.string()),
  }),
  'fulfillment_order.at_risk': z.object({
    ...FulfillmentRisk,
    risk: z.enum(['late', 'at_risk']),
    reason: z.string(),
  }),
  'fulfillment_order.risk_cleared': z.object({ ...FulfillmentRisk, risk: z.null(), reason: z.null() }),
  'fulfillment_settings.updated': FulfillmentSettingsSchema.extend({ updated_at: Time }),
  'shipment.created': ShipmentEvent,
  'shipment.updated': ShipmentEvent,
  'shipment.delivered': ShipmentEvent,
};

// ── returns ──────────────────────────────────────────────────────────────────────────────────

const ReturnRef = { return_id: z.string(), order_id: z.string(), status: ReturnStatusSchema };

const returns = {
  'return.requested': ReturnSchema,
  'return.approved': z.object({ ...ReturnRef, return_location_id: z.string().nullable() }),
  'return.rejected': z.object({ ...ReturnRef, reason: z.string() }),
  'return.cancelled': z.object(ReturnRef),
  'return.label_created': z.object({ ...ReturnRef, label: ReturnSchema.shape.label.unwrap() }),
  'return.reminder': z.object(ReturnRef),
  'return.received': z.object({
    ...ReturnRef,
    location_id: z.string(),
    lines: ReturnSchema.shape.lines,
    refund: RefundSchema,
    exchange_order_id: z.string().nullable(),
  }),
  'return.refunded': z.object({
    ...ReturnRef,
    refund_id: z.string(),
    amount: z.number(),
    currency: z.string(),
  }),
  'return.closed': z.object({ ...ReturnRef, why: z.enum(['done', 'not_received']) }),
  'return_settings.updated': ReturnSettingsSchema.extend({ updated_at: Time }),
};

// ── subscriptions ────────────────────────────────────────────────────────────────────────────

const SubscriptionRef = { subscription_id: z.string(), status: SubscriptionStatusSchema };
const Reason = { reason: z.string().nullable() };

const subscriptions = {
  'subscription.created': z.object({
    ...SubscriptionRef,
    first_order_id: z.string(),
    subscription: SubscriptionSchema,
  }),
  'subscription.paused': z.object({ ...SubscriptionRef, ...Reason }),
  'subscription.resumed': z.object({ ...SubscriptionRef, ...Reason, next_run_at: Time }),
  'subscription.skipped': z.object({ ...SubscriptionRef, ...Reason, skipped_run_at: Time }),
  'subscription.cancelled': z.object({ ...SubscriptionRef, ...Reason }),
  'subscription.cycle_skipped': z.object({ ...SubscriptionRef, run_at: Time, next_run_at: Time }),
  'subscription.cycle_placed': z.object({
    ...SubscriptionRef,
    cycle: z.number().int(),
    run_at: Time,
    order_id: z.string(),
    order_number: OrderSchema.shape.order_number,
    order_status: OrderStatusSchema,
    next_run_at: Time,
  }),
  'subscription.cycle_failed': z.object({
    ...SubscriptionRef,
    cycle: z.number().int(),
    run_at: Time,
    reason: z.string(),
    code: z.string(),
    http_status: z.number().int(),
    next_run_at: Time,
  }),
};

// ── inventory ────────────────────────────────────────────────────────────────────────────────

const ReservationLines = ReservationSchema.shape.lines.element.pick({
  sku: true,
  location_id: true,
  quantity: true,
});
const Settlement = z.object({
  reservation_id: z.string(),
  reference: z.string().nullable(),
  channel: z.string().nullable(),
  lines: z.array(ReservationLines).openapi({ description: 'What this call posted or voided' }),
});

const inventory = {
  // Written by the ledger's SQL (inventory/ledger.ts), one per balance row a movement changed.
  'inventory.changed': z.object({
    sku: z.string(),
    location_id: z.string(),
    available: z.number().int(),
    reserved: z.number().int(),
    safety: z.number().int(),
    quarantine: z.number().int(),
    damaged: z.number().int(),
    incoming: z.number().int(),
    on_hand: z.number().int(),
    cause: z.string(),
    reason: z.string().nullable(),
    reference: z.string().nullable(),
  }),
  'inventory.low_stock': z.object({
    sku: z.string(),
    available: z.number().int(),
    low_stock_threshold: z.number().int(),
  }),
  'inventory.back_in_stock': z.object({ sku: z.string(), available: z.number().int() }),
  'inventory.imported': z.object({
    import_id: z.string(),
    covers_through_seq: z.number().int(),
    reference: z.string().nullable(),
    counts: z.number().int().openapi({ description: 'How many counts the import held' }),
  }),
  'inventory.shortage': StockImportResultSchema.shape.counts.element,
  'inventory.reservation_posted': Settlement,
  'inventory.reservation_voided': Settlement,
  'channel_pool.updated': ChannelPoolSchema,
  'transfer.created': TransferSchema,
  'transfer.shipped': TransferSchema,
  'transfer.received': TransferSchema,
  'transfer.closed': TransferSchema,
  'transfer.cancelled': TransferSchema,
};

// ── catalog, network, sourcing, tenancy ──────────────────────────────────────────────────────

const catalogAndNetwork = {
  'product.created': ProductSchema,
  'product.updated': withChanged(ProductSchema),
  'bundle.created': BundleSchema,
  'bundle.updated': withChanged(BundleSchema),
  'location.created': LocationSchema,
  'location.updated': withChanged(LocationSchema),
  'location.deactivated': withChanged(LocationSchema),
  'carrier.created': CarrierSchema,
  'carrier.updated': withChanged(CarrierSchema),
  'carrier_service.created': CarrierServiceSchema,
  'carrier_service.updated': withChanged(CarrierServiceSchema),
  'sourcing_policy.updated': PolicySchema,
};

const tenancy = {
  'tenant.created': TenantSchema,
  'user.created': UserSchema,
  'user.updated': withChanged(UserSchema),
  'api_key.created': ApiKeySchema,
  'api_key.revoked': ApiKeySchema,
};

// ── webhooks ─────────────────────────────────────────────────────────────────────────────────

const WebhookRef = WebhookSchema.pick({ webhook_id: true, url: true, event_types: true, enabled: true });

const webhooks = {
  'webhook.created': WebhookRef,
  'webhook.updated': WebhookRef,
  'webhook.enabled': WebhookRef,
  'webhook.disabled': WebhookRef.extend({
    reason: z.string(),
    cancelled: z
      .number()
      .int()
      .openapi({ description: 'Deliveries cancelled: the pending ones and the events not yet sent' }),
  }),
  'webhook.deleted': WebhookRef,
  'webhook.secret_rotated': WebhookRef.extend({ previous_secret_expires_at: z.string().nullable() }),
  'webhook.redelivery_requested': z.object({
    webhook_id: z.string(),
    delivery_id: z.string(),
    event_id: z.string(),
    event_seq: z.number().int(),
  }),
  'webhook.replay_requested': z.object({
    webhook_id: z.string(),
    after_seq: z.number().int(),
    queued: z.number().int(),
    through_seq: z.number().int(),
    complete: z.boolean(),
  }),
  // Sent to the endpoint by `POST /v1/webhooks/{id}/test` only: never stored, never in GET /v1/events.
  'webhook.test': z.object({ webhook_id: z.string(), message: z.string() }),
  'webhook_settings.updated': WebhookSettingsAnswer,
};

export const EVENT_SCHEMAS = {
  ...orders,
  ...fulfillment,
  ...returns,
  ...subscriptions,
  ...inventory,
  ...catalogAndNetwork,
  ...tenancy,
  ...webhooks,
} satisfies Record<string, z.ZodType>;

export type EventType = keyof typeof EVENT_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS).sort() as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>;

/**
 * The envelope of one event type: what `GET /v1/events` lists, with `type` and `data` narrowed. A
 * new object rather than `EventSchema.extend`, which the document would show as an `allOf` whose
 * narrowed fields read as optional.
 */
export const eventEnvelope = <T extends EventType>(type: T) =>
  z.object({
    ...EventSchema.shape,
    type: z.literal(type),
    data: EVENT_SCHEMAS[type] as (typeof EVENT_SCHEMAS)[T],
  });

/** Registers one `webhooks` entry per event type: the body a receiver is POSTed (WebhookPayload). */
export function registerEventCatalogue(registry: OpenAPIHono['openAPIRegistry']) {
  for (const type of EVENT_TYPES) {
    const envelope = eventEnvelope(type);
    registry.registerWebhook({
      method: 'post',
      path: type,
      summary: type,
      description:
        `\`data\` is the event as \`GET /v1/events\` and \`GET /v1/stream\` give it; a webhook endpoint ` +
        `subscribed to \`${type}\` is POSTed this body, signed per Standard Webhooks.`,
      tags: ['Events'],
      request: {
        body: {
          content: {
            'application/json': {
              schema: z.object({ type: z.literal(type), timestamp: Time, data: envelope }),
            },
          },
        },
      },
      responses: { 200: { description: 'Any 2xx acknowledges the delivery; anything else is retried' } },
    });
  }
}
