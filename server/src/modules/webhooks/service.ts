import type { Config } from '../../config.ts';
import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { parseTypes, publish } from '../events/service.ts';
import { listEvents } from '../events/store.ts';
import * as deliveries from './delivery-store.ts';
import { deliveryPolicy } from './policy.ts';
import {
  type CreateWebhook,
  REPLAY_EVENTS_MAX,
  type TestResult,
  type UpdateWebhook,
  WEBHOOKS_PER_TENANT_MAX,
  type Webhook,
  type WebhookSettings,
} from './schema.ts';
import { sendWebhook } from './sender.ts';
import { newWebhookSecret, payloadOf, signedRequest } from './signing.ts';
import * as store from './store.ts';
import { checkWebhookUrl, type UrlPolicy } from './url-rules.ts';

/** Webhooks as the API offers them: endpoints, their settings, the delivery log and its actions. */

const ATTEMPT_LOG_MAX = 100;

// ── settings and the URL rule ────────────────────────────────────────────────────────────────

export async function getSettings(db: Queryable, tenantId: string) {
  const row = await store.loadSettings(db, tenantId);
  return {
    allow_private_webhook_urls: row?.allow_private_webhook_urls ?? false,
    updated_at: row ? row.updated_at.toISOString() : null,
  };
}

export async function setSettings(db: Queryable, tenantId: string, actor: Actor, input: WebhookSettings) {
  const updatedAt = await store.saveSettings(db, tenantId, input.allow_private_webhook_urls);
  const saved = { ...input, updated_at: updatedAt.toISOString() };
  await publish(db, tenantId, actor, { type: 'webhook_settings.updated', subject: tenantId, data: saved });
  return saved;
}

/** The rule for this tenant on this server. */
export function urlPolicy(config: Pick<Config, 'port' | 'host'>, allowPrivate: boolean): UrlPolicy {
  return { allow_private: allowPrivate, self_port: config.port, self_host: config.host };
}

async function assertUrlAllowed(db: Queryable, tenantId: string, url: string, config: Config) {
  const { allow_private_webhook_urls } = await getSettings(db, tenantId);
  const verdict = await checkWebhookUrl(url, urlPolicy(config, allow_private_webhook_urls));
  if (!verdict.ok) {
    throw new AppError('validation-error', `body.url: ${verdict.message}.`, {
      errors: [
        { path: 'body.url', message: `${verdict.message[0]!.toUpperCase()}${verdict.message.slice(1)}.` },
      ],
    });
  }
  return verdict.url.href;
}

// ── endpoints ────────────────────────────────────────────────────────────────────────────────

export async function getWebhook(db: Queryable, tenantId: string, webhookId: string, lock = false) {
  const w = await store.findEndpoint(db, tenantId, webhookId, lock);
  if (!w) throw notFound(`Webhook ${webhookId}`);
  return w;
}

export const listWebhooks = store.listEndpoints;

const event = (type: string, w: Webhook, extra: Record<string, unknown> = {}) => ({
  type,
  subject: w.webhook_id,
  data: { webhook_id: w.webhook_id, url: w.url, event_types: w.event_types, enabled: w.enabled, ...extra },
});

export async function createWebhook(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  input: CreateWebhook,
  config: Config,
) {
  if ((await store.countEndpoints(db, tenantId)) >= WEBHOOKS_PER_TENANT_MAX) {
    throw new AppError(
      'conflict',
      `A tenant has at most ${WEBHOOKS_PER_TENANT_MAX} webhooks; delete one first.`,
    );
  }
  const url = await assertUrlAllowed(db, tenantId, input.url, config);
  const secret = newWebhookSecret();
  const w = await store.insertEndpoint(db, tenantId, {
    webhook_id: newId('whk'),
    url,
    description: input.description,
    event_types: [...new Set(input.event_types)],
    enabled: input.enabled,
    secret,
  });
  await deliveries.cursorToLatest(db, tenantId, w.webhook_id);
  await publish(db, tenantId, actor, event('webhook.created', w));
  return { ...w, secret };
}

export async function updateWebhook(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  webhookId: string,
  input: UpdateWebhook,
  config: Config,
) {
  const before = await getWebhook(db, tenantId, webhookId, true);
  const url = input.url === undefined ? undefined : await assertUrlAllowed(db, tenantId, input.url, config);
  let w = await store.updateEndpoint(db, tenantId, webhookId, {
    url,
    description: input.description,
    event_types: input.event_types && [...new Set(input.event_types)],
  });
  if (url !== undefined || input.description !== undefined || input.event_types !== undefined) {
    await publish(db, tenantId, actor, event('webhook.updated', w!));
  }
  if (input.enabled !== undefined && input.enabled !== before.enabled) {
    w = await setEnabled(db, tenantId, actor, webhookId, input.enabled, 'disabled by a user');
  }
  return w!;
}

/**
 * Enabling clears the reason and the failure streak, moves the endpoint's cursor to the latest
 * event (what happened while it was disabled is not sent) and wakes its drain; disabling cancels
 * its pending deliveries and the events after its cursor (replay brings back what was missed) and
 * says why.
 */
export async function setEnabled(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  webhookId: string,
  enabled: boolean,
  reason: string,
) {
  const w = await store.setEnabled(db, tenantId, webhookId, enabled, enabled ? null : reason);
  if (!w) throw notFound(`Webhook ${webhookId}`);
  if (enabled) {
    await deliveries.cursorToLatest(db, tenantId, webhookId);
    await publish(db, tenantId, actor, event('webhook.enabled', w));
  } else {
    const why = `endpoint disabled: ${reason}`;
    // Pending rows first, then the drain's row: the order a drain's claim locks them in.
    const cancelled =
      (await deliveries.cancelPending(db, tenantId, webhookId, why)) +
      (await deliveries.cancelUnsent(db, tenantId, webhookId, why));
    await publish(db, tenantId, actor, event('webhook.disabled', w, { reason, cancelled }));
  }
  return w;
}

export async function deleteWebhook(db: Queryable, tenantId: string, actor: Actor, webhookId: string) {
  const w = await getWebhook(db, tenantId, webhookId, true);
  await store.deleteEndpoint(db, tenantId, webhookId);
  await publish(db, tenantId, actor, event('webhook.deleted', w));
}

export async function rotateSecret(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  webhookId: string,
  previous_expires_in_s: number,
) {
  await getWebhook(db, tenantId, webhookId, true);
  const secret = newWebhookSecret();
  const w = await store.rotateSecret(db, tenantId, webhookId, secret, previous_expires_in_s);
  await publish(
    db,
    tenantId,
    actor,
    event('webhook.secret_rotated', w!, { previous_secret_expires_at: w!.previous_secret_expires_at }),
  );
  return { ...w!, secret };
}

// ── the delivery log ─────────────────────────────────────────────────────────────────────────

export async function listDeliveries(
  db: Queryable,
  tenantId: string,
  webhookId: string,
  status: deliveries.DeliveryRow['status'] | undefined,
  beforeSeq: number | undefined,
  limit: number,
) {
  await getWebhook(db, tenantId, webhookId);
  return deliveries.listDeliveries(db, tenantId, webhookId, status, beforeSeq, limit);
}

export async function getDelivery(db: Queryable, tenantId: string, webhookId: string, deliveryId: string) {
  const d = await deliveries.findDelivery(db, tenantId, webhookId, deliveryId);
  if (!d) throw notFound(`Delivery ${deliveryId}`);
  return {
    ...deliveries.toDelivery(d),
    attempt_log: await deliveries.listAttempts(db, tenantId, d, ATTEMPT_LOG_MAX),
  };
}

function assertEnabled(w: Webhook) {
  if (!w.enabled) {
    throw new AppError(
      'conflict',
      `Webhook ${w.webhook_id} is disabled (${w.disabled_reason ?? 'no reason given'}); enable it first.`,
    );
  }
}

/**
 * Sends one delivery again (a new round of retries, the same `webhook-id`). The drain is woken
 * through the event log, so the API needs no workers.
 */
export async function redeliver(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  webhookId: string,
  deliveryId: string,
) {
  const w = await getWebhook(db, tenantId, webhookId, true);
  const d = await deliveries.findDelivery(db, tenantId, webhookId, deliveryId, true);
  if (!d) throw notFound(`Delivery ${deliveryId}`);
  assertEnabled(w);
  const reopened = await deliveries.reopenDelivery(db, tenantId, deliveryId);
  if (!reopened) {
    throw new AppError(
      'conflict',
      `Delivery ${deliveryId} is ${d.status}: it is already queued to be sent.`,
      {
        current_status: d.status,
      },
    );
  }
  await publish(db, tenantId, actor, {
    type: 'webhook.redelivery_requested',
    subject: webhookId,
    data: { webhook_id: webhookId, delivery_id: deliveryId, event_id: d.event_id, event_seq: d.event_seq },
  });
  return reopened;
}

/**
 * Queues every event the endpoint subscribes to after `after_seq` again, at most
 * REPLAY_EVENTS_MAX per call; deliveries still open are left as they are. Only events up to the
 * endpoint's cursor get rows: the drain sends those after it from the log anyway, in order.
 */
export async function replay(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  webhookId: string,
  afterSeq: number,
) {
  const w = await getWebhook(db, tenantId, webhookId, true);
  assertEnabled(w);
  const listed = await listEvents(
    db,
    tenantId,
    afterSeq,
    parseTypes(w.event_types.join(',')),
    REPLAY_EVENTS_MAX,
  );
  const cursor = await deliveries.cursorOf(db, tenantId, webhookId);
  const events = listed.filter((e) => e.seq <= cursor);
  const queued = await deliveries.queueAgain(
    db,
    events.map((e) => ({
      tenant_id: tenantId,
      webhook_id: webhookId,
      delivery_id: newId('dlv'),
      event_id: e.event_id,
      event_seq: e.seq,
      event_type: e.type,
    })),
  );
  const result = {
    queued,
    through_seq: listed.at(-1)?.seq ?? afterSeq,
    complete: listed.length < REPLAY_EVENTS_MAX,
  };
  await publish(db, tenantId, actor, {
    type: 'webhook.replay_requested',
    subject: webhookId,
    data: { webhook_id: webhookId, after_seq: afterSeq, ...result },
  });
  return result;
}

/** A `webhook.test` ping, sent now, with the endpoint's secret; nothing is stored. */
export async function testWebhook(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  webhookId: string,
  config: Config,
): Promise<TestResult> {
  await getWebhook(db, tenantId, webhookId);
  const info = (await store.sendingInfo(db, tenantId, webhookId))!;
  const now = new Date();
  const messageId = newId('evt');
  const ping = payloadOf({
    seq: 0,
    event_id: messageId,
    type: 'webhook.test',
    subject: webhookId,
    data: { webhook_id: webhookId, message: 'A test from Orderly: the signature should verify.' },
    actor,
    created_at: now.toISOString(),
  });
  const result = await sendWebhook(
    info.url,
    signedRequest(messageId, ping, info.secrets, now),
    urlPolicy(config, info.allow_private),
    deliveryPolicy().timeout_ms,
  );
  return { ...result, webhook_message_id: messageId };
}
