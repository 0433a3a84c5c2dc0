import { z } from '@hono/zod-openapi';

export const EventSchema = z
  .object({
    seq: z.number().int().openapi({ description: 'Global, strictly increasing; the logical timestamp' }),
    event_id: z.string().openapi({ example: 'evt_01jq3v7k9m2x4b6n8p0r2t4w6y' }),
    type: z.string().openapi({ example: 'api_key.created' }),
    subject: z.string().openapi({ description: 'Id of the object the event is about' }),
    data: z.record(z.string(), z.unknown()),
    actor: z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string() }),
    created_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Event');

export type Event = z.infer<typeof EventSchema>;

export const EventListQuery = z.object({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .openapi({ description: 'Return events with a sequence number greater than this' }),
  types: z.string().max(2000).optional().openapi({
    description: 'Comma-separated event types; `order.*` matches a prefix',
    example: 'user.created',
  }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const EventPage = z
  .object({
    data: z.array(EventSchema),
    next_after: z.number().int().openapi({ description: 'Pass as `after` to read on' }),
  })
  .openapi('EventPage');

export const EventStreamQuery = z.object({
  after: z.coerce.number().int().min(0).optional().openapi({
    description: 'Start after this sequence number (the `Last-Event-ID` header, when sent, takes precedence)',
  }),
  types: EventListQuery.shape.types,
});

export const EventStreamHeaders = z.object({
  'last-event-id': z
    .string()
    .regex(/^\d{1,15}$/, 'must be a sequence number')
    .optional()
    .openapi({ description: 'Sent by EventSource on reconnect: resume after this sequence number' }),
});
