import client from 'prom-client';
import type { Config } from '../../config.ts';
import { type Pool, type PoolClient, withTransaction } from '../../db/pool.ts';
import { newId } from '../../lib/ids.ts';
import type { Metrics } from '../../system/metrics.ts';
import type { ConsumedEvent } from '../events/consumer.ts';
import { listEvents } from '../events/store.ts';
import * as deliveries from './delivery-store.ts';
import { afterFailure, type DeliveryPolicy, matchesEventTypes, shouldDisable } from './policy.ts';
import { type SendResult, sendWebhook } from './sender.ts';
import { setEnabled, urlPolicy } from './service.ts';
import { payloadOf, signedRequest } from './signing.ts';
import * as store from './store.ts';

/**
 * The steps of delivery, free of the workflow library so they can be read and tested alone:
 * creating deliveries for a batch of events, and for one endpoint claiming its oldest open
 * delivery, sending it, and recording the outcome.
 */

const SYSTEM = { type: 'system' as const, id: 'webhooks' };

/** Events that ask an endpoint's drain to look again (their `data.webhook_id` says which). */
const WAKE_TYPES = new Set(['webhook.enabled', 'webhook.redelivery_requested', 'webhook.replay_requested']);

export type DrainRequest = { tenant_id: string; webhook_id: string; seq: number };

/**
 * The consumer's work, in its transaction: one pending delivery per (enabled endpoint, matching
 * event) — an endpoint receives the events that happened after it was created; older ones through
 * replay — and the endpoints whose drain should run, each with the highest seq that asks for it.
 */
export async function createDeliveries(events: readonly ConsumedEvent[], tx: PoolClient) {
  const tenants = [...new Set(events.map((e) => e.tenant_id))];
  const endpoints = await store.enabledEndpoints(tx, tenants);
  const rows: deliveries.NewDelivery[] = [];
  for (const e of events) {
    const created_ms = Date.parse(e.created_at);
    for (const w of endpoints) {
      if (w.tenant_id !== e.tenant_id || created_ms < w.created_at.getTime()) continue;
      if (!matchesEventTypes(w.event_types, e.type)) continue;
      rows.push({
        tenant_id: e.tenant_id,
        webhook_id: w.webhook_id,
        delivery_id: newId('dlv'),
        event_id: e.event_id,
        event_seq: e.seq,
        event_type: e.type,
      });
    }
  }
  const drains = new Map<string, DrainRequest>();
  const ask = (tenant_id: string, webhook_id: string, seq: number) => {
    const key = `${tenant_id}\u0000${webhook_id}`;
    const seen = drains.get(key);
    if (!seen || seen.seq < seq) drains.set(key, { tenant_id, webhook_id, seq });
  };
  const woken = events.flatMap((e) => {
    const webhookId = (e.data as { webhook_id?: unknown }).webhook_id;
    return WAKE_TYPES.has(e.type) && typeof webhookId === 'string'
      ? [{ tenant_id: e.tenant_id, webhook_id: webhookId, seq: e.seq }]
      : [];
  });
  // Endpoints first, then their deliveries: the order a replay or a change takes them in, so the
  // two cannot deadlock (a replay holding an endpoint while reopening a delivery this batch inserts).
  await store.lockEndpoints(tx, [...rows, ...woken]);
  for (const d of await deliveries.insertDeliveries(tx, rows)) ask(d.tenant_id, d.webhook_id, d.event_seq);
  for (const w of woken) ask(w.tenant_id, w.webhook_id, w.seq);
  const wanted: DrainRequest[] = [];
  for (const d of drains.values()) {
    if (await store.requestDrain(tx, d.tenant_id, d.webhook_id, d.seq)) wanted.push(d);
  }
  return wanted;
}

/** One delivery a drain sends now, with the number of the attempt. */
export type SendClaim = { delivery_id: string; event_id: string; event_seq: number; attempt: number };

export type Claim =
  /** The oldest open deliveries, in seq order, all due now. */
  | { kind: 'send'; deliveries: SendClaim[] }
  /** The oldest open delivery waits for its next attempt: sleep, then claim again. */
  | { kind: 'wait'; wait_ms: number }
  /** The transaction that asked for this drain has not committed yet (or never will). */
  | { kind: 'not_ready' }
  /** Nothing to send, or the endpoint is disabled or gone. */
  | { kind: 'idle' };

/**
 * Takes the endpoint's oldest open deliveries that are due, up to `max`, in seq order: a delivery
 * waiting for its retry ends the run of them, so none ever overtakes an earlier one for the same
 * endpoint (per-endpoint order by seq).
 */
export function claimDue(pool: Pool, tenantId: string, webhookId: string, triggerSeq: number, max: number) {
  return withTransaction(pool, async (tx): Promise<Claim> => {
    const ep = await store.endpointState(tx, tenantId, webhookId, false);
    if (!ep?.enabled) return { kind: 'idle' };
    if (ep.drain_requested_seq < triggerSeq) return { kind: 'not_ready' };
    const open = await deliveries.oldestOpen(tx, tenantId, webhookId, max);
    const head = open[0];
    if (!head) return { kind: 'idle' };
    const waitOf = (d: (typeof open)[number]) =>
      d.status === 'pending' ? d.next_attempt_at.getTime() - d.now.getTime() : 0;
    if (waitOf(head) > 0) return { kind: 'wait', wait_ms: waitOf(head) };
    const firstWaiting = open.findIndex((d) => waitOf(d) > 0);
    const due = firstWaiting === -1 ? open : open.slice(0, firstWaiting);
    await deliveries.markDelivering(
      tx,
      tenantId,
      due.map((d) => d.delivery_id),
    );
    return {
      kind: 'send',
      deliveries: due.map((d) => ({
        delivery_id: d.delivery_id,
        event_id: d.event_id,
        event_seq: d.event_seq,
        attempt: d.attempts + 1,
      })),
    };
  });
}

export type AttemptResult = SendResult & { started_at: string };

/** One attempt. Never throws: whatever goes wrong is the attempt's result. */
export async function sendDelivery(
  pool: Pool,
  config: Config,
  policy: DeliveryPolicy,
  tenantId: string,
  webhookId: string,
  claim: SendClaim,
): Promise<AttemptResult> {
  const at = new Date();
  const failed = (error: string): AttemptResult => ({
    ok: false,
    response_status: null,
    latency_ms: 0,
    error,
    started_at: at.toISOString(),
  });
  try {
    const info = await store.sendingInfo(pool, tenantId, webhookId);
    if (!info) return failed('the webhook was deleted');
    const [event] = await listEvents(pool, tenantId, claim.event_seq - 1, undefined, 1);
    if (!event || event.event_id !== claim.event_id) return failed('the event is no longer in the log');
    const request = signedRequest(event.event_id, payloadOf(event), info.secrets, at);
    const r = await sendWebhook(info.url, request, urlPolicy(config, info.allow_private), policy.timeout_ms);
    return { ...r, started_at: at.toISOString() };
  } catch (err) {
    return failed(`could not send: ${(err as Error).message}`);
  }
}

/**
 * Sends claimed deliveries one after the other, in seq order, stopping at the first that fails:
 * the ones after it wait for it, so they are not sent before it.
 */
export async function sendDue(
  pool: Pool,
  config: Config,
  policy: DeliveryPolicy,
  tenantId: string,
  webhookId: string,
  claims: readonly SendClaim[],
): Promise<AttemptResult[]> {
  const results: AttemptResult[] = [];
  for (const claim of claims) {
    const result = await sendDelivery(pool, config, policy, tenantId, webhookId, claim);
    results.push(result);
    if (!result.ok) break;
  }
  return results;
}

export type Recorded = 'succeeded' | 'retrying' | 'failed' | 'cancelled' | 'already_recorded' | 'gone';

/**
 * Records the attempts made (`results[i]` for `claims[i]`) in one transaction, and puts the claims
 * not sent (after a failure) back to pending. Each attempt goes to the log and its outcome onto the
 * delivery: succeeded, pending again with the next attempt's time, failed once its retry window is
 * over, or cancelled when the endpoint was disabled meanwhile. A delivery given up on an endpoint
 * that has delivered nothing for `disable_after_ms` disables it, with the reason and a
 * `webhook.disabled` event. Idempotent: an attempt already recorded is not recorded again.
 */
export function recordAttempts(
  pool: Pool,
  metrics: Metrics,
  policy: DeliveryPolicy,
  tenantId: string,
  webhookId: string,
  claims: readonly SendClaim[],
  results: readonly AttemptResult[],
  random = Math.random(),
) {
  return withTransaction(pool, async (tx): Promise<Recorded[]> => {
    const outcomes: Recorded[] = [];
    for (const [i, result] of results.entries()) {
      outcomes.push(await recordIn(tx, metrics, policy, tenantId, webhookId, claims[i]!, result, random));
    }
    await deliveries.unclaim(
      tx,
      tenantId,
      claims.slice(results.length).map((c) => c.delivery_id),
    );
    return outcomes;
  });
}

async function recordIn(
  tx: PoolClient,
  metrics: Metrics,
  policy: DeliveryPolicy,
  tenantId: string,
  webhookId: string,
  claim: SendClaim,
  result: AttemptResult,
  random: number,
): Promise<Recorded> {
  const ep = await store.endpointState(tx, tenantId, webhookId, true);
  const d = ep && (await deliveries.findDelivery(tx, tenantId, webhookId, claim.delivery_id, true));
  if (!ep || !d) return 'gone';
  if (d.attempts >= claim.attempt) return 'already_recorded';
  const started = new Date(result.started_at);
  await deliveries.insertAttempt(tx, tenantId, d.delivery_id, {
    attempt: claim.attempt,
    started_at: started,
    succeeded: result.ok,
    response_status: result.response_status,
    latency_ms: result.latency_ms,
    error: result.error,
  });
  const finish = (status: deliveries.DeliveryRow['status'], retry_in_ms: number | null = null) =>
    deliveries.finishAttempt(tx, tenantId, d.delivery_id, {
      attempt: claim.attempt,
      status,
      started_at: started,
      response_status: result.response_status,
      latency_ms: result.latency_ms,
      error: result.error,
      retry_in_ms,
    });
  let outcome: Recorded;
  if (result.ok) {
    await finish('succeeded');
    await store.markEndpointSucceeded(tx, tenantId, webhookId);
    outcome = 'succeeded';
  } else {
    const next = afterFailure(
      policy,
      {
        attempt_in_round: d.round_attempts + 1,
        round_started_ms: (d.retry_started_at ?? started).getTime(),
        now_ms: ep.now.getTime(),
        endpoint_enabled: ep.enabled && d.status === 'delivering',
      },
      random,
    );
    await finish(next.status, next.status === 'pending' ? next.retry_in_ms : null);
    outcome = next.status === 'pending' ? 'retrying' : next.status;
    if (ep.enabled) {
      // The streak starts with the round's first attempt, the clock the retry window runs on.
      const failingSince = ep.failing_since ?? d.retry_started_at ?? started;
      await store.markEndpointFailing(tx, tenantId, webhookId, failingSince);
      if (next.status === 'failed' && shouldDisable(policy, failingSince.getTime(), ep.now.getTime())) {
        const hours = Math.round(((ep.now.getTime() - failingSince.getTime()) / 3_600_000) * 10) / 10;
        const reason =
          `Nothing delivered for ${hours} h: delivery ${d.delivery_id} (event ${d.event_seq}) was given up after ` +
          `${d.round_attempts + 1} attempts (last: ${result.error}). Fix the endpoint, enable it, then replay ` +
          `from seq ${d.event_seq - 1}.`;
        await setEnabled(tx, tenantId, SYSTEM, webhookId, false, reason);
      }
    }
  }
  deliveryCounter(metrics).inc({ outcome });
  return outcome;
}

export const stalledEndpoints = deliveries.stalledEndpoints;

const COUNTER = 'orderly_webhook_deliveries_total';

/** Webhook attempts by outcome, on the process's registry (created with the first one counted). */
export function deliveryCounter(metrics: Metrics) {
  const existing = metrics.registry.getSingleMetric(COUNTER) as client.Counter<'outcome'> | undefined;
  return (
    existing ??
    new client.Counter({
      name: COUNTER,
      help: 'Webhook delivery attempts by outcome (succeeded, retrying, failed: given up, cancelled)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    })
  );
}
