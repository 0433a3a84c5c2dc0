import { z } from '@hono/zod-openapi';

export const Sku = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'A SKU is 1-64 letters, digits, dots, dashes or underscores.')
  .openapi({ example: 'TSHIRT-BLK-M' });
export const LocationId = z.string().min(1).max(100).openapi({ example: 'loc_01jq3v7k9m2x4b6n8p0r2t4w6y' });
const Quantity = z
  .number()
  .int('Quantities are whole units.')
  .positive('Quantities must be at least 1.')
  .max(1_000_000);
const Reference = z.string().min(1).max(200);
const Channel = z
  .string()
  .regex(/^[a-z0-9_-]{1,50}$/, 'A channel is 1-50 lowercase letters, digits, - or _.');

export const BalanceSchema = z
  .object({
    sku: z.string(),
    location_id: z.string(),
    available: z.number().int().openapi({ description: 'Free to sell' }),
    reserved: z.number().int().openapi({ description: 'Promised to orders, not yet shipped' }),
    safety: z.number().int().openapi({ description: 'Held back as safety stock' }),
    quarantine: z.number().int(),
    damaged: z.number().int(),
    incoming: z.number().int().openapi({ description: 'On transfers on the way here; not on hand' }),
    on_hand: z
      .number()
      .int()
      .openapi({ description: 'available + reserved + safety + quarantine + damaged' }),
    safety_target: z.number().int(),
    updated_at: z.string(),
  })
  .openapi('InventoryBalance');

export const LineSchema = z.strictObject({ sku: Sku, location_id: LocationId, quantity: Quantity });

export const CreateReservationSchema = z
  .strictObject({
    lines: z.array(LineSchema).min(1).max(200),
    channel: Channel.optional().openapi({ description: 'Channel pools limit what a channel may hold' }),
    reference: Reference.optional().openapi({ description: 'What the stock is for, e.g. an order id' }),
    expires_in_s: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400)
      .optional()
      .openapi({ description: 'A hold, e.g. 600 for a checkout: voided automatically when it runs out' }),
  })
  .openapi('CreateReservation');

export const SettleReservationSchema = z
  .strictObject({
    lines: z
      .array(LineSchema)
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: 'Part of the reservation; all that remains when absent' }),
  })
  .openapi('SettleReservation');

export const ReservationSchema = z
  .object({
    reservation_id: z.string(),
    status: z.enum(['pending', 'posted', 'voided', 'settled']),
    channel: z.string().nullable(),
    reference: z.string().nullable(),
    expires_at: z.string().nullable(),
    created_at: z.string(),
    lines: z.array(
      z.object({
        sku: z.string(),
        location_id: z.string(),
        quantity: z.number().int(),
        posted: z.number().int(),
        voided: z.number().int(),
      }),
    ),
  })
  .openapi('Reservation');

export const ADJUSTMENT_REASONS = ['found', 'lost', 'damaged', 'count'] as const;
export const AdjustmentSchema = z
  .strictObject({
    sku: Sku,
    location_id: LocationId,
    reason: z.enum(ADJUSTMENT_REASONS).openapi({
      description:
        'found: stock appears (+quantity); lost: stock disappears (−quantity); damaged: available → damaged; ' +
        'count: a cycle count sets the bucket to `counted`',
    }),
    quantity: Quantity.optional(),
    counted: z.number().int().min(0).max(10_000_000).optional(),
    bucket: z.enum(['available', 'quarantine', 'damaged']).default('available'),
    note: z.string().max(500).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.reason === 'count' && v.counted === undefined) {
      ctx.addIssue({ code: 'custom', path: ['counted'], message: 'A count needs the counted quantity.' });
    }
    if (v.reason !== 'count' && v.quantity === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['quantity'],
        message: `A ${v.reason} adjustment needs a quantity.`,
      });
    }
  })
  .openapi('Adjustment');

const PhysicalBucket = z.enum(['available', 'quarantine', 'damaged']);
export const MoveSchema = z
  .strictObject({
    sku: Sku,
    location_id: LocationId,
    from: PhysicalBucket,
    to: PhysicalBucket,
    quantity: Quantity,
    reason: z.string().max(100).optional().openapi({ example: 'qc_passed' }),
  })
  .refine((v) => v.from !== v.to, { path: ['to'], message: 'Moving to the same bucket does nothing.' })
  .openapi('BucketMove');

export const AdjustmentResultSchema = z.object({ balance: BalanceSchema }).openapi('AdjustmentResult');

export const CreateTransferSchema = z
  .strictObject({
    source_location_id: LocationId,
    destination_location_id: LocationId,
    lines: z
      .array(z.strictObject({ sku: Sku, quantity: Quantity }))
      .min(1)
      .max(500),
    reference: Reference.optional(),
    expected_at: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((v) => v.source_location_id !== v.destination_location_id, {
    path: ['destination_location_id'],
    message: 'A transfer goes to another location.',
  })
  .openapi('CreateTransfer');

export const ReceiveTransferSchema = z
  .strictObject({
    lines: z
      .array(z.strictObject({ sku: Sku, quantity: Quantity }))
      .min(1)
      .max(500),
  })
  .openapi('ReceiveTransfer');

export const TransferSchema = z
  .object({
    transfer_id: z.string(),
    source_location_id: z.string(),
    destination_location_id: z.string(),
    status: z.enum(['created', 'in_transit', 'partially_received', 'received', 'closed', 'cancelled']),
    reference: z.string().nullable(),
    expected_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    lines: z.array(
      z.object({
        sku: z.string(),
        quantity: z.number().int(),
        shipped: z.number().int(),
        received: z.number().int(),
        lost: z.number().int(),
      }),
    ),
  })
  .openapi('Transfer');

export const StockImportSchema = z
  .strictObject({
    covers_through_seq: z.number().int().min(0).openapi({
      description: 'Sequence number of the last fulfillment event these counts already reflect',
    }),
    reference: Reference.optional(),
    counts: z
      .array(
        z.strictObject({
          sku: Sku,
          location_id: LocationId,
          on_hand: z.number().int().min(0).max(10_000_000),
        }),
      )
      .min(1)
      .max(10_000),
  })
  .openapi('StockImport');

export const StockImportResultSchema = z
  .object({
    import_id: z.string(),
    covers_through_seq: z.number().int(),
    created_at: z.string(),
    counts: z.array(
      z.object({
        sku: z.string(),
        location_id: z.string(),
        counted: z.number().int(),
        unreflected_shipped: z.number().int().openapi({
          description: 'Units shipped after covers_through_seq: still in the count, already gone here',
        }),
        on_hand: z.number().int(),
        available: z.number().int(),
        shortage: z.number().int().openapi({ description: 'Reserved units the count no longer covers' }),
      }),
    ),
  })
  .openapi('StockImportResult');

export const MovementSchema = z
  .object({
    seq: z.number().int(),
    sku: z.string(),
    location_id: z.string(),
    quantity: z.number().int(),
    from_bucket: z.string(),
    to_bucket: z.string(),
    cause: z.string(),
    reason: z.string().nullable(),
    reference: z.string().nullable(),
    actor: z.object({ type: z.string(), id: z.string() }),
    created_at: z.string(),
  })
  .openapi('InventoryMovement');

export const SafetyStockSchema = z
  .strictObject({ sku: Sku, location_id: LocationId, quantity: z.number().int().min(0).max(10_000_000) })
  .openapi('SafetyStock');

export const ChannelPoolInputSchema = z
  .strictObject({
    channel: Channel,
    sku: Sku,
    limit_units: z.number().int().min(0).optional(),
    limit_percent: z.number().min(0).max(100).optional(),
  })
  .refine((v) => (v.limit_units === undefined) !== (v.limit_percent === undefined), {
    path: ['limit_units'],
    message: 'Give exactly one of limit_units and limit_percent.',
  })
  .openapi('ChannelPoolInput');

export const ChannelPoolSchema = z
  .object({
    channel: z.string(),
    sku: z.string(),
    limit_units: z.number().int().nullable(),
    limit_percent: z.number().nullable(),
    reserved: z.number().int().openapi({ description: 'Units the channel holds in open reservations' }),
  })
  .openapi('ChannelPool');

export const AvailabilitySchema = z
  .object({
    sku: z.string(),
    kind: z.enum(['product', 'bundle']),
    sellable: z.number().int().openapi({ description: 'What may be sold now, within the channel pool' }),
    available: z.number().int().openapi({ description: 'Free stock over all locations, before the pool' }),
    locations: z.array(z.object({ location_id: z.string(), available: z.number().int() })),
  })
  .openapi('Availability');

export const GlobalInventorySchema = z
  .object({
    sku: z.string(),
    totals: BalanceSchema.omit({ sku: true, location_id: true, updated_at: true }),
    locations: z.array(
      BalanceSchema.extend({ location_type: z.string().nullable(), location_name: z.string().nullable() }),
    ),
  })
  .openapi('GlobalInventory');

export type CreateReservation = z.infer<typeof CreateReservationSchema>;
export type Reservation = z.infer<typeof ReservationSchema>;
export type Adjustment = z.infer<typeof AdjustmentSchema>;
export type Transfer = z.infer<typeof TransferSchema>;
export type StockImport = z.infer<typeof StockImportSchema>;
