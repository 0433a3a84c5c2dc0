import { z } from '@hono/zod-openapi';
import { PageQuery } from '../../http/pagination.ts';
import { CreateOrderSchema, OrderEventSchema, OrderSummarySchema } from './schema.ts';

/** Request and answer shapes of the subscription routes. */

export const SUBSCRIPTION_STATUSES = ['active', 'paused', 'cancelled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
export const SubscriptionStatusSchema = z.enum(SUBSCRIPTION_STATUSES).openapi('SubscriptionStatus');

export type IntervalUnit = 'day' | 'week' | 'month';
export type Schedule = NonNullable<z.infer<typeof CreateOrderSchema>['subscription']>;

/**
 * What every cycle orders: the first order's capture input without its channel order id, its time
 * and its schedule (each cycle gets its own id and time; the schedule lives on the subscription).
 * Built from the capture shape, so the two cannot drift.
 */
export const SubscriptionTemplateSchema = z
  .object(CreateOrderSchema.shape)
  .omit({ channel_order_id: true, placed_at: true, subscription: true })
  .openapi('SubscriptionTemplate');
export type SubscriptionTemplate = z.infer<typeof SubscriptionTemplateSchema>;

export const SubscriptionSchema = z
  .object({
    subscription_id: z.string(),
    status: SubscriptionStatusSchema,
    interval_count: z.number().int(),
    interval_unit: z.enum(['day', 'week', 'month']),
    template: SubscriptionTemplateSchema,
    cycles_placed: z.number().int().openapi({ description: 'Orders placed so far, the first one included' }),
    skip_next: z.boolean().openapi({ description: 'The next cycle will be skipped (no order placed)' }),
    next_run_at: z.string().openapi({
      description: 'When the next cycle is due (meaningful while active; resuming recomputes it)',
    }),
    actor: OrderEventSchema.shape.actor,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Subscription');
export type Subscription = z.infer<typeof SubscriptionSchema>;

export const SUBSCRIPTION_ORDERS_MAX = 100;

export const SubscriptionDetailSchema = SubscriptionSchema.extend({
  orders: z
    .array(
      OrderSummarySchema.pick({
        order_id: true,
        order_number: true,
        channel_order_id: true,
        status: true,
        placed_at: true,
      }),
    )
    .openapi({
      description: `The orders it placed, newest first (at most ${SUBSCRIPTION_ORDERS_MAX}); cycle n has channel order id \`<subscription_id>:<n>\``,
    }),
}).openapi('SubscriptionDetail');

export const SubscriptionListQuery = PageQuery.extend({ status: SubscriptionStatusSchema.optional() });

export const SubscriptionActionSchema = z
  .strictObject({ reason: z.string().trim().min(1).max(500).optional() })
  .openapi('SubscriptionActionRequest');
