import { z } from '@hono/zod-openapi';
import { isValidTimeZone } from '../network/calendar.ts';
import { RETURN_REASONS } from './rules.ts';

export const RETURN_STATUSES = [
  'requested',
  'approved',
  'rejected',
  'received',
  'refunded',
  'closed',
  'cancelled',
] as const;
export const ReturnStatusSchema = z.enum(RETURN_STATUSES);
export type ReturnStatus = z.infer<typeof ReturnStatusSchema>;
export const ReturnReasonSchema = z.enum(RETURN_REASONS);
export const DISPOSITIONS = ['restock', 'quarantine', 'damaged', 'missing'] as const;

const Id = z.string().min(1).max(100);
const Note = z.string().trim().min(1).max(2000);
const Money = z.number().min(0).max(1_000_000_000);

// ── settings ─────────────────────────────────────────────────────────────────────────────────

export const ReturnSettingsSchema = z
  .strictObject({
    window_days: z
      .number()
      .int()
      .min(0)
      .max(365)
      .openapi({ description: 'Days after delivery (or shipping)' }),
    time_zone: z
      .string()
      .refine(isValidTimeZone, 'Not an IANA time zone, e.g. "America/New_York".')
      .openapi({ description: 'Whose calendar days the window counts' }),
    auto_approve: z.strictObject({
      enabled: z.boolean(),
      max_refund: Money.nullable().openapi({ description: 'Larger refunds wait for a person' }),
    }),
    shipping_refund: z.enum(['never', 'when_all_returned', 'always']),
    restocking_fee: z
      .strictObject({ percent: z.number().min(0).max(100).multipleOf(0.01), min: Money.optional() })
      .nullable()
      .openapi({
        description: 'Waived when the reason is the merchant’s fault (damaged, defective, wrong item…)',
      }),
    reminder_after_hours: z
      .number()
      .min(0.001)
      .max(24 * 90),
    close_after_hours: z
      .number()
      .min(0.001)
      .max(24 * 365)
      .openapi({ description: 'An approved return never received is closed after this long' }),
  })
  .openapi('ReturnSettings');
export type ReturnSettings = z.infer<typeof ReturnSettingsSchema>;

// ── requests ─────────────────────────────────────────────────────────────────────────────────

export const CreateReturnSchema = z
  .strictObject({
    order_id: Id,
    reason: ReturnReasonSchema,
    note: Note.optional(),
    lines: z
      .array(
        z.strictObject({
          line_no: z.number().int().min(1),
          quantity: z.number().int().min(1).max(1_000_000),
          reason: ReturnReasonSchema.optional().openapi({ description: 'Default: the return’s reason' }),
        }),
      )
      .min(1)
      .max(500),
    resolution: z.enum(['refund', 'exchange', 'refund_and_exchange']).default('refund').openapi({
      description: 'An exchange ships the same items again as a no-charge order when the return is received',
    }),
  })
  .openapi('CreateReturn');
export type CreateReturn = z.infer<typeof CreateReturnSchema>;

export const DecisionSchema = z.strictObject({ note: Note.optional() }).openapi('ReturnDecision');
export const RejectSchema = z.strictObject({ reason: Note }).openapi('ReturnRejection');

export const ReceiveSchema = z
  .strictObject({
    location_id: Id.openapi({
      description: 'Where it arrived: any location, not only the one it was sent to',
    }),
    lines: z
      .array(
        z.strictObject({
          line_no: z.number().int().min(1),
          disposition: z.enum(DISPOSITIONS),
          quantity: z.number().int().min(1).max(1_000_000),
        }),
      )
      .min(1)
      .max(500),
    note: Note.optional(),
  })
  .openapi('ReturnReceipt');
export type Receive = z.infer<typeof ReceiveSchema>;

export const ReturnListQuery = z.object({
  status: ReturnStatusSchema.optional(),
  order_id: Id.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

// ── answers ──────────────────────────────────────────────────────────────────────────────────

export const RefundSchema = z
  .object({
    lines: z.array(z.object({ line_no: z.number().int(), units: z.number().int(), amount: z.number() })),
    items: z.number(),
    shipping: z.number(),
    restocking_fee: z.number(),
    total: z.number(),
  })
  .openapi('ReturnRefund');

export const ReturnLineSchema = z.object({
  line_no: z.number().int(),
  sku: z.string(),
  quantity: z.number().int(),
  reason: ReturnReasonSchema,
  received: z
    .object({
      restock: z.number().int(),
      quarantine: z.number().int(),
      damaged: z.number().int(),
      missing: z.number().int(),
    })
    .nullable(),
});

export const ReturnSchema = z
  .object({
    return_id: z.string(),
    order_id: z.string(),
    status: ReturnStatusSchema,
    reason: ReturnReasonSchema,
    note: z.string().nullable(),
    resolution: z.enum(['refund', 'exchange', 'refund_and_exchange']),
    lines: z.array(ReturnLineSchema),
    return_location_id: z
      .string()
      .nullable()
      .openapi({ description: 'The nearest active location that accepts returns' }),
    label: z
      .object({
        carrier: z.string(),
        service: z.string(),
        tracking_number: z.string(),
        label_url: z.string().nullable(),
        rate: z.number().nullable(),
      })
      .nullable(),
    refund: RefundSchema.openapi({ description: 'What it refunds (an estimate until received)' }),
    refund_id: z.string().nullable().openapi({ description: 'Set once the refund was made' }),
    exchange_order_id: z.string().nullable(),
    received_location_id: z.string().nullable(),
    rejection_reason: z.string().nullable(),
    deadline: z.string().nullable().openapi({ description: 'The last day it could be requested' }),
    requested_at: z.string(),
    approved_at: z.string().nullable(),
    received_at: z.string().nullable(),
    closed_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Return');
export type Return = z.infer<typeof ReturnSchema>;
