import { z } from '@hono/zod-openapi';
import { PageQuery } from '../../http/pagination.ts';
import { EventSchema } from '../events/schema.ts';

/** Request and answer shapes of `/v1/webhooks` and `/v1/webhook-settings`, and the body we send. */

export const WEBHOOKS_PER_TENANT_MAX = 50;
export const EVENT_TYPES_MAX = 50;
export const URL_LENGTH_MAX = 2000;
/** Events one replay request queues at most; the answer says where to go on from. */
export const REPLAY_EVENTS_MAX = 10_000;
/** How long a rotated-out secret keeps signing by default (and at most). */
export const PREVIOUS_SECRET_TTL_S_MAX = 86_400;

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const EventTypePattern = z
  .string()
  .max(100)
  .regex(
    /^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$/,
    'must be an event type (`order.created`), a prefix ending in `.*` (`order.*`), or `*` for every event',
  );

const EventTypes = z
  .array(EventTypePattern)
  .min(1)
  .max(EVENT_TYPES_MAX)
  .openapi({
    description: 'Exact types, prefixes ending in `.*`, or `*` for every event',
    example: ['order.*', 'inventory.changed'],
  });

const Url = z
  .string()
  .trim()
  .min(1)
  .max(URL_LENGTH_MAX)
  .openapi({
    description:
      'http or https. Loopback, private, link-local, unique-local and unspecified addresses are refused unless ' +
      '`allow_private_webhook_urls` is on; this server itself is always refused (see docs/concepts/webhooks.md)',
    example: 'https://hooks.example.com/orderly',
  });

export const WebhookSchema = z
  .object({
    webhook_id: z.string().openapi({ example: 'whk_01jq3v7k9m2x4b6n8p0r2t4w6y' }),
    url: z.string(),
    description: z.string(),
    event_types: z.array(z.string()),
    enabled: z.boolean(),
    disabled_reason: z
      .string()
      .nullable()
      .openapi({ description: 'Why it was disabled; null while enabled' }),
    disabled_at: z.string().nullable(),
    failing_since: z
      .string()
      .nullable()
      .openapi({ description: 'First failed attempt since the last success; null while healthy' }),
    last_success_at: z.string().nullable(),
    previous_secret_expires_at: z
      .string()
      .nullable()
      .openapi({ description: 'After a rotation: until when the old secret still signs too' }),
    created_at: z.string().openapi({ format: 'date-time' }),
    updated_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Webhook');
export type Webhook = z.infer<typeof WebhookSchema>;

const Secret = z.string().openapi({
  description: 'The signing secret (`whsec_…`): shown in this answer only',
  example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
});

export const CreatedWebhookSchema = WebhookSchema.extend({ secret: Secret }).openapi('CreatedWebhook');

export const CreateWebhookSchema = z
  .strictObject({
    url: Url,
    event_types: EventTypes,
    description: z.string().trim().max(500).default(''),
    enabled: z.boolean().default(true),
  })
  .openapi('CreateWebhook');
export type CreateWebhook = z.infer<typeof CreateWebhookSchema>;

export const UpdateWebhookSchema = z
  .strictObject({
    url: Url.optional(),
    event_types: EventTypes.optional(),
    description: z.string().trim().max(500).optional(),
    enabled: z.boolean().optional().openapi({
      description:
        'false cancels the pending deliveries and the events not yet sent; true clears the disabled reason and sends only what happens from then on (replay to catch up on what was missed)',
    }),
  })
  .openapi('UpdateWebhook');
export type UpdateWebhook = z.infer<typeof UpdateWebhookSchema>;

export const RotateSecretSchema = z
  .strictObject({
    previous_secret_expires_in_s: z
      .number()
      .int()
      .min(0)
      .max(PREVIOUS_SECRET_TTL_S_MAX)
      .default(PREVIOUS_SECRET_TTL_S_MAX)
      .openapi({
        description: 'How long the old secret keeps signing alongside the new one (0: not at all)',
      }),
  })
  .openapi('RotateWebhookSecret');

export const WebhookListQuery = PageQuery.extend({
  enabled: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true')),
});

export const WebhookSettingsSchema = z
  .strictObject({
    allow_private_webhook_urls: z.boolean().openapi({
      description:
        "Allow endpoints on loopback, private (RFC 1918), link-local, unique-local and unspecified addresses: the tenant's own network",
    }),
  })
  .openapi('WebhookSettings');
export type WebhookSettings = z.infer<typeof WebhookSettingsSchema>;
export const WebhookSettingsAnswer = WebhookSettingsSchema.extend({
  updated_at: z.string().nullable(),
}).openapi('WebhookSettingsAnswer');

export const DeliverySchema = z
  .object({
    delivery_id: z.string().openapi({ example: 'dlv_01jq3v7k9m2x4b6n8p0r2t4w6y' }),
    webhook_id: z.string(),
    event_id: z.string().openapi({ description: 'Also the `webhook-id` header: the same on every attempt' }),
    event_seq: z.number().int(),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable().openapi({ description: 'When pending: the next attempt' }),
    last_attempt_at: z.string().nullable(),
    response_status: z.number().int().nullable().openapi({ description: 'HTTP status of the last attempt' }),
    latency_ms: z.number().int().nullable(),
    last_error: z.string().nullable(),
    completed_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('WebhookDelivery');
export type Delivery = z.infer<typeof DeliverySchema>;

export const AttemptSchema = z
  .object({
    attempt: z.number().int(),
    started_at: z.string(),
    succeeded: z.boolean(),
    response_status: z.number().int().nullable(),
    latency_ms: z.number().int(),
    error: z.string().nullable(),
  })
  .openapi('WebhookAttempt');
export type Attempt = z.infer<typeof AttemptSchema>;

export const DeliveryDetailSchema = DeliverySchema.extend({
  attempt_log: z.array(AttemptSchema).openapi({ description: 'Every attempt, oldest first (at most 100)' }),
}).openapi('WebhookDeliveryDetail');

export const DeliveryListQuery = PageQuery.extend({
  status: z.enum(DELIVERY_STATUSES).optional(),
});

export const ReplaySchema = z
  .strictObject({
    after_seq: z
      .number()
      .int()
      .min(0)
      .openapi({ description: 'Queue every matching event with a greater sequence number' }),
  })
  .openapi('ReplayWebhook');

export const ReplayResultSchema = z
  .object({
    queued: z.number().int().openapi({
      description:
        'Deliveries queued (new or sent again); events the endpoint has not reached yet are not counted, it sends them anyway',
    }),
    through_seq: z.number().int().openapi({ description: 'The last event seq looked at' }),
    complete: z.boolean().openapi({
      description: `false when the ${REPLAY_EVENTS_MAX} event bound was reached: replay again from through_seq`,
    }),
  })
  .openapi('ReplayResult');

export const TestResultSchema = z
  .object({
    ok: z.boolean().openapi({ description: 'The endpoint answered 2xx' }),
    response_status: z.number().int().nullable(),
    latency_ms: z.number().int(),
    error: z.string().nullable(),
    webhook_message_id: z.string().openapi({ description: 'The `webhook-id` header sent' }),
  })
  .openapi('WebhookTestResult');
export type TestResult = z.infer<typeof TestResultSchema>;

/** The body of every POST to an endpoint (Standard Webhooks: type, timestamp, data). */
export const WebhookPayloadSchema = z
  .object({
    type: z.string().openapi({ example: 'order.created' }),
    timestamp: z.string().openapi({ format: 'date-time', description: 'When the event happened' }),
    data: EventSchema,
  })
  .openapi('WebhookPayload');
export type WebhookPayload = z.infer<typeof WebhookPayloadSchema>;
