import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv, Deps } from '../../http/context.ts';
import { decodeCursor, pageOf, toPage } from '../../http/pagination.ts';
import { AppError } from '../../http/problem.ts';
import { defineRoute, existsFirst, json, jsonBody } from '../../http/route.ts';
import { sequenceEvents } from '../events/store.ts';
import {
  CreatedWebhookSchema,
  CreateWebhookSchema,
  DeliveryDetailSchema,
  DeliveryListQuery,
  DeliverySchema,
  ReplayResultSchema,
  ReplaySchema,
  RotateSecretSchema,
  TestResultSchema,
  UpdateWebhookSchema,
  WebhookListQuery,
  WebhookPayloadSchema,
  WebhookSchema,
  WebhookSettingsAnswer,
  WebhookSettingsSchema,
} from './schema.ts';
import * as webhooks from './service.ts';

const tags = ['Webhooks'];
const WebhookId = z.object({ webhook_id: z.string().max(100).openapi({ example: 'whk_01jd…' }) });
const DeliveryId = WebhookId.extend({
  delivery_id: z.string().max(100).openapi({ example: 'dlv_01jd…' }),
});

const tenant = (c: Context<AppEnv>) => c.var.principal!.tenant_id;
const actor = (c: Context<AppEnv>) => c.var.principal!.actor;
const webhookId = (c: Context<AppEnv>) => c.req.param('webhook_id')!;
const deliveryId = (c: Context<AppEnv>) => c.req.param('delivery_id')!;

/** Deliveries are listed newest event first; the cursor is the last one's seq. */
function beforeSeq(cursor: string | undefined) {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  if (!/^\d{1,15}$/.test(key))
    throw new AppError('validation-error', 'query.cursor is not a cursor this API issued.');
  return Number(key);
}

export function webhookRoutes(app: OpenAPIHono<AppEnv>, deps: Deps) {
  const exists = existsFirst(app, (c, tenantId) => webhooks.getWebhook(c.var.db, tenantId, webhookId(c)));
  const deliveryExists = existsFirst(app, (c, tenantId) =>
    webhooks.getDelivery(c.var.db, tenantId, webhookId(c), deliveryId(c)),
  );
  // What every endpoint receives, published so the SDK exports it.
  app.openAPIRegistry.register('WebhookPayload', WebhookPayloadSchema);

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/webhook-settings',
      tags,
      summary: 'Whether webhooks may target private and loopback addresses',
      responses: { 200: json(WebhookSettingsAnswer, 'The settings (defaults until changed)') },
    }),
    async (c) => c.json(await webhooks.getSettings(c.var.db, tenant(c)), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'put',
      path: '/v1/webhook-settings',
      tags,
      summary: 'Replace the webhook settings',
      description:
        'Turning `allow_private_webhook_urls` off does not change existing endpoints, but every delivery checks ' +
        'the rule again, so those on private addresses fail until it is turned back on.',
      request: { body: jsonBody(WebhookSettingsSchema) },
      responses: { 200: json(WebhookSettingsAnswer, 'Saved') },
    }),
    async (c) => c.json(await webhooks.setSettings(c.var.db, tenant(c), actor(c), c.req.valid('json')), 200),
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/webhooks',
      tags,
      summary: 'Webhook endpoints, newest first (never their secrets)',
      request: { query: WebhookListQuery },
      responses: { 200: json(pageOf(WebhookSchema).openapi('WebhookPage'), 'A page of webhooks') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await webhooks.listWebhooks(
        c.var.db,
        tenant(c),
        { enabled: q.enabled },
        decodeCursor(q.cursor),
        q.limit + 1,
      );
      return c.json(
        toPage(rows, q.limit, (w) => w.webhook_id),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/v1/webhooks',
      tags,
      summary: 'Subscribe an endpoint; the signing secret is in this answer only',
      description:
        'The URL must be http(s) and, unless `allow_private_webhook_urls` is on, resolve only to public ' +
        'addresses; it may never point at this server. The endpoint receives the events that happen from now ' +
        'on (older ones through replay). Replaying the request with the same Idempotency-Key returns the ' +
        'endpoint with `secret` redacted.',
      request: { body: jsonBody(CreateWebhookSchema) },
      responses: { 201: json(CreatedWebhookSchema, 'Created') },
    }),
    async (c) => {
      c.set('redactOnReplay', ['secret']);
      const w = await webhooks.createWebhook(c.var.db, tenant(c), actor(c), c.req.valid('json'), deps.config);
      return c.json(w, 201);
    },
  );

  // The routes under one endpoint come before its own GET/PATCH/DELETE, so a walk of the
  // OpenAPI document (tests) deletes the endpoint last.
  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/v1/webhooks/{webhook_id}/rotate-secret',
      tags,
      summary: 'Replace the signing secret; the new one is in this answer only',
      description:
        'The old secret keeps signing alongside the new one (two signatures in `webhook-signature`) for ' +
        '`previous_secret_expires_in_s` (default a day), so receivers can switch without losing a message.',
      request: {
        params: WebhookId,
        body: { required: false, content: { 'application/json': { schema: RotateSecretSchema } } },
      },
      responses: { 200: json(CreatedWebhookSchema, 'Rotated') },
    }),
    async (c) => {
      c.set('redactOnReplay', ['secret']);
      const body = RotateSecretSchema.parse(c.req.valid('json') ?? {});
      const w = await webhooks.rotateSecret(
        c.var.db,
        tenant(c),
        actor(c),
        webhookId(c),
        body.previous_secret_expires_in_s,
      );
      return c.json(w, 200);
    },
    exists,
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/v1/webhooks/{webhook_id}/test',
      tags,
      summary: 'Send a signed `webhook.test` ping now and answer how the endpoint responded',
      description: 'Nothing is stored and the endpoint does not need to be enabled; the URL rule applies.',
      request: { params: WebhookId },
      responses: { 200: json(TestResultSchema, 'What the endpoint answered') },
    }),
    async (c) =>
      c.json(await webhooks.testWebhook(c.var.db, tenant(c), actor(c), webhookId(c), deps.config), 200),
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/webhooks/{webhook_id}/deliveries',
      tags,
      summary: 'The delivery log: one row per event sent to this endpoint, newest event first',
      description:
        'An event appears once its first attempt is recorded, or when disabling cancels it or a replay ' +
        "queues it; until then it waits in the event log after the endpoint's cursor.",
      request: { params: WebhookId, query: DeliveryListQuery },
      responses: {
        200: json(pageOf(DeliverySchema).openapi('WebhookDeliveryPage'), 'A page of deliveries'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await webhooks.listDeliveries(
        c.var.db,
        tenant(c),
        webhookId(c),
        q.status,
        beforeSeq(q.cursor),
        q.limit + 1,
      );
      return c.json(
        toPage(rows, q.limit, (d) => String(d.event_seq)),
        200,
      );
    },
    exists,
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/webhooks/{webhook_id}/deliveries/{delivery_id}',
      tags,
      summary: 'One delivery with every attempt (time, response code, latency, error)',
      request: { params: DeliveryId },
      responses: { 200: json(DeliveryDetailSchema, 'The delivery') },
    }),
    async (c) => c.json(await webhooks.getDelivery(c.var.db, tenant(c), webhookId(c), deliveryId(c)), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver',
      tags,
      summary: 'Send a finished delivery again (same `webhook-id`, a fresh day of retries)',
      description: 'A delivery still pending or in flight answers 409; so does a disabled endpoint.',
      request: { params: DeliveryId },
      responses: { 200: json(DeliverySchema, 'Queued') },
    }),
    async (c) =>
      c.json(await webhooks.redeliver(c.var.db, tenant(c), actor(c), webhookId(c), deliveryId(c)), 200),
    deliveryExists,
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/v1/webhooks/{webhook_id}/replay',
      tags,
      summary: 'Queue every subscribed event after a sequence number again',
      description:
        'Creates the deliveries the endpoint never had (events from before it existed, or while it was ' +
        'disabled) and reopens finished ones, in seq order, at most 10,000 events per call: when `complete` ' +
        'is false, call again with `after_seq` = `through_seq`. Deliveries still open are left as they are.',
      request: { params: WebhookId, body: jsonBody(ReplaySchema) },
      responses: { 200: json(ReplayResultSchema, 'Queued') },
    }),
    async (c) => {
      // Events committed a moment ago are numbered first, so a replay sees what its caller wrote.
      await sequenceEvents(deps.pool, true);
      const { after_seq } = c.req.valid('json');
      return c.json(await webhooks.replay(c.var.db, tenant(c), actor(c), webhookId(c), after_seq), 200);
    },
    exists,
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/webhooks/{webhook_id}',
      tags,
      summary: 'One webhook endpoint, with why it is disabled if it is',
      request: { params: WebhookId },
      responses: { 200: json(WebhookSchema, 'The webhook') },
    }),
    async (c) => c.json(await webhooks.getWebhook(c.var.db, tenant(c), webhookId(c)), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'patch',
      path: '/v1/webhooks/{webhook_id}',
      tags,
      summary: 'Change the URL, event types or description, or enable / disable',
      description:
        'Disabling cancels the pending deliveries and the events not yet sent; enabling clears the disabled reason. Neither sends what ' +
        'was missed: replay from the last seq your receiver processed.',
      request: { params: WebhookId, body: jsonBody(UpdateWebhookSchema) },
      responses: { 200: json(WebhookSchema, 'Updated') },
    }),
    async (c) => {
      const w = await webhooks.updateWebhook(
        c.var.db,
        tenant(c),
        actor(c),
        webhookId(c),
        c.req.valid('json'),
        deps.config,
      );
      return c.json(w, 200);
    },
    exists,
  );

  app.openapi(
    defineRoute('admin', {
      method: 'delete',
      path: '/v1/webhooks/{webhook_id}',
      tags,
      summary: 'Delete a webhook endpoint with its delivery log',
      request: { params: WebhookId },
      responses: { 204: { description: 'Deleted' } },
    }),
    async (c) => {
      await webhooks.deleteWebhook(c.var.db, tenant(c), actor(c), webhookId(c));
      return c.body(null, 204);
    },
  );
}
