import client from 'prom-client';
import type { Config } from '../../config.ts';
import { type Pool, type PoolClient, withTransaction } from '../../db/pool.ts';
import { newId } from '../../lib/ids.ts';
import type { Metrics } from '../../system/metrics.ts';
import type { ConsumedEvent } from '../events/consumer.ts';
import type { Event } from '../events/schema.ts';
import { listEvents } from '../events/store.ts';
import * as deliveries from './delivery-store.ts';
import { afterFailure, type DeliveryPolicy, matchesEventTypes, shouldDisable } from './policy.ts';
import { checkTarget, postWebhook, type SendResult } from './sender.ts';
import { setEnabled, urlPolicy } from './service.ts';
import { payloadOf, signer } from './signing.ts';
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
 * replay — and the endpoints whose drain should start (it was closed), each with the highest seq
 * that asks for it.
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
  // A drain still open sees these deliveries before it closes (claimDue): only closed ones start.
  const start = new Set(
    (await store.requestDrains(tx, [...drains.values()]))
      .filter((e) => !e.was_open)
      .map((e) => `${e.tenant_id}\u0000${e.webhook_id}`),
  );
  return [...drains].filter(([key]) => start.has(key)).map(([, d]) => d);
}

/** One delivery a drain sends now, with the number of the attempt. */
export type SendClaim = {
  delivery_id: string;
  event_id: string;
  event_seq: number;
  event_type: string;
  attempt: number;
};

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
 * endpoint (per-endpoint order by seq). With nothing to do the drain closes (`drain_open`), under
 * the endpoint's lock: a consumer creating deliveries for it at that moment holds that lock until
 * it commits, so either its deliveries are seen here, or it finds the drain closed and starts one.
 */
export function claimDue(pool: Pool, tenantId: string, webhookId: string, triggerSeq: number, max: number) {
  return withTransaction(pool, async (tx): Promise<Claim> => {
    const ep = await store.endpointState(tx, tenantId, webhookId, false);
    if (ep?.enabled && ep.drain_requested_seq < triggerSeq) return { kind: 'not_ready' };
    const found = ep?.enabled && (await claimIn(tx, tenantId, webhookId, max));
    if (found) return found;
    const locked = await store.endpointState(tx, tenantId, webhookId, true);
    if (!locked) return { kind: 'idle' };
    // A statement after the lock sees what the consumer that held it committed.
    const late = locked.enabled && (await claimIn(tx, tenantId, webhookId, max));
    if (late) return late;
    await store.closeDrain(tx, tenantId, webhookId);
    return { kind: 'idle' };
  });
}

async function claimIn(tx: PoolClient, tenantId: string, webhookId: string, max: number) {
  const open = await deliveries.oldestOpen(tx, tenantId, webhookId, max);
  const head = open[0];
  if (!head) return undefined;
  if (head.wait_ms > 0) return { kind: 'wait' as const, wait_ms: head.wait_ms };
  const firstWaiting = open.findIndex((d) => d.wait_ms > 0);
  const due = firstWaiting === -1 ? open : open.slice(0, firstWaiting);
  // One mark for the batch; the deliveries themselves stay pending until their attempt is recorded.
  await deliveries.markSending(tx, tenantId, webhookId);
  return {
    kind: 'send' as const,
    deliveries: due.map((d) => ({
      delivery_id: d.delivery_id,
      event_id: d.event_id,
      event_seq: d.event_seq,
      event_type: d.event_type,
      attempt: d.attempts + 1,
    })),
  };
}

export type AttemptResult = SendResult & { started_at: string };

/**
 * How long one batch keeps sending: bounds what a crash makes us send again and how long
 * attempts go unrecorded, whatever the endpoint's speed.
 */
const SEND_BATCH_MS_MAX = 5000;

/** Seqs one read of the event log may span when fetching a batch's events. */
const EVENT_READ_SPAN_MAX = 1000;

/**
 * The events of these claims, by seq, read in a few range reads of the log rather than one per
 * delivery (a batch is mostly consecutive seqs).
 */
async function eventsOf(pool: Pool, tenantId: string, claims: readonly SendClaim[]) {
  const bySeq = new Map<number, Event>();
  const seqs = [...new Set(claims.map((c) => c.event_seq))].sort((a, b) => a - b);
  // A claim recorded by an older drain may lack its type: then the range is read whole.
  const types = claims.every((c) => typeof c.event_type === 'string')
    ? { exact: [...new Set(claims.map((c) => c.event_type))], prefixes: [] }
    : undefined;
  for (let i = 0; i < seqs.length; ) {
    const from = seqs[i]!;
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1]! - from < EVENT_READ_SPAN_MAX) j++;
    const to = seqs[j]!;
    for (const e of await listEvents(pool, tenantId, from - 1, types, to - from + 1)) bySeq.set(e.seq, e);
    i = j + 1;
  }
  return bySeq;
}

/**
 * Sends claimed deliveries one after the other, in seq order, stopping at the first that fails
 * (the ones after it wait for it, so they are not sent before it) or after SEND_BATCH_MS_MAX.
 * The endpoint (URL, secrets, the URL rule) and the batch's events are read once for the batch.
 * Never throws: whatever goes wrong is the attempt's result.
 */
export async function sendDue(
  pool: Pool,
  config: Config,
  policy: DeliveryPolicy,
  tenantId: string,
  webhookId: string,
  claims: readonly SendClaim[],
): Promise<AttemptResult[]> {
  const failed = (error: string, at = new Date()): AttemptResult => ({
    ok: false,
    response_status: null,
    latency_ms: 0,
    error,
    started_at: at.toISOString(),
  });
  if (claims.length === 0) return [];
  let prepared: Awaited<ReturnType<typeof prepareBatch>>;
  try {
    prepared = await prepareBatch(pool, config, policy, tenantId, webhookId, claims);
  } catch (err) {
    return [failed(`could not send: ${(err as Error).message}`)];
  }
  if (!prepared.ok) return [prepared.result];
  const { url, urlRule, events, sign } = prepared;
  const results: AttemptResult[] = [];
  const stopAt = performance.now() + SEND_BATCH_MS_MAX;
  for (const claim of claims) {
    // A slow endpoint ends its batch early; the claims not sent go back to pending, unchanged.
    if (results.length > 0 && performance.now() > stopAt) break;
    const at = new Date();
    let result: AttemptResult;
    try {
      const event = events.get(claim.event_seq);
      if (!event || event.event_id !== claim.event_id)
        result = failed('the event is no longer in the log', at);
      else {
        const request = sign(event.event_id, payloadOf(event), at);
        result = {
          ...(await postWebhook(url, request, urlRule, policy.timeout_ms)),
          started_at: at.toISOString(),
        };
      }
    } catch (err) {
      result = failed(`could not send: ${(err as Error).message}`, at);
    }
    results.push(result);
    if (!result.ok) break;
  }
  return results;
}

/** What every attempt of a batch shares: the endpoint, its URL checked by the rule, the events. */
async function prepareBatch(
  pool: Pool,
  config: Config,
  policy: DeliveryPolicy,
  tenantId: string,
  webhookId: string,
  claims: readonly SendClaim[],
) {
  const started = new Date().toISOString();
  const info = await store.sendingInfo(pool, tenantId, webhookId);
  if (!info) {
    const result = { ok: false, response_status: null, latency_ms: 0, error: 'the webhook was deleted' };
    return { ok: false as const, result: { ...result, started_at: started } };
  }
  const urlRule = urlPolicy(config, info.allow_private);
  const target = await checkTarget(info.url, urlRule, policy.timeout_ms);
  if (!target.ok) return { ok: false as const, result: { ...target.refused, started_at: started } };
  return {
    ok: true as const,
    url: target.url,
    urlRule,
    events: await eventsOf(pool, tenantId, claims),
    sign: signer(info.secrets),
  };
}

export type Recorded = 'succeeded' | 'retrying' | 'failed' | 'cancelled' | 'already_recorded' | 'gone';

/**
 * Records the attempts made (`results[i]` for `claims[i]`) in one transaction and ends the
 * endpoint's batch in flight; the claims not sent (after a failure, or when the batch ran out of
 * time) were never changed, so they simply wait on. Each outcome goes onto its delivery: the
 * successes in one update (the delivery row is their log; a delivery cancelled while in flight
 * is still recorded as succeeded, since it was delivered); a failure (at most one, the last:
 * sending stops there) into the attempt log, and onto the delivery pending again with the next
 * attempt's time, failed once its retry window is over, or cancelled when the endpoint was
 * disabled meanwhile. A delivery given up on an endpoint that has delivered nothing for
 * `disable_after_ms` disables it, with the reason and a `webhook.disabled` event. Idempotent: an
 * attempt already recorded is not recorded again.
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
    const outcomes = await recordIn(tx, policy, tenantId, webhookId, claims, results, random);
    await deliveries.endSending(tx, tenantId, webhookId);
    const counter = deliveryCounter(metrics);
    for (const outcome of new Set(outcomes)) {
      counter.inc({ outcome }, outcomes.filter((o) => o === outcome).length);
    }
    return outcomes;
  });
}

async function recordIn(
  tx: PoolClient,
  policy: DeliveryPolicy,
  tenantId: string,
  webhookId: string,
  claims: readonly SendClaim[],
  results: readonly AttemptResult[],
  random: number,
): Promise<Recorded[]> {
  const sent = claims.slice(0, results.length);
  // Endpoint first, then its deliveries: the order claims and API changes take them in. Only a
  // failure needs the endpoint locked (its streak, disabling); a batch of successes does not
  // wait behind the consumer, which holds its endpoints while it creates deliveries.
  const ep = results.every((r) => r.ok)
    ? undefined
    : await store.endpointState(tx, tenantId, webhookId, true);
  if (!ep && results.some((r) => !r.ok)) return sent.map(() => 'gone');
  const rows = await deliveries.lockDeliveries(tx, tenantId, webhookId, sent);
  const byId = new Map(rows.map((d) => [d.delivery_id, d]));
  const outcomes: Recorded[] = [];
  const attempts: deliveries.NewAttempt[] = [];
  let failure: { d: (typeof rows)[number]; attempt: deliveries.NewAttempt; index: number } | undefined;
  for (const [i, claim] of sent.entries()) {
    const d = byId.get(claim.delivery_id);
    const result = results[i]!;
    if (!d) outcomes.push('gone');
    else if (d.attempts >= claim.attempt) outcomes.push('already_recorded');
    else {
      const attempt = {
        delivery_id: d.delivery_id,
        attempt: claim.attempt,
        started_at: new Date(result.started_at),
        succeeded: result.ok,
        response_status: result.response_status,
        latency_ms: result.latency_ms,
        error: result.error,
      };
      attempts.push(attempt);
      outcomes.push(result.ok ? 'succeeded' : 'retrying');
      if (!result.ok) failure = { d, attempt, index: i };
    }
  }
  await deliveries.insertAttempts(
    tx,
    tenantId,
    attempts.filter((a) => !a.succeeded),
  );
  const succeeded = attempts.filter((a) => a.succeeded);
  if (succeeded.length > 0) {
    await deliveries.finishSucceeded(tx, tenantId, succeeded);
    await store.markEndpointSucceeded(tx, tenantId, webhookId);
  }
  if (!failure || !ep) return outcomes;
  const { d, attempt } = failure;
  const next = afterFailure(
    policy,
    {
      attempt_in_round: d.round_attempts + 1,
      round_started_ms: (d.retry_started_at ?? attempt.started_at).getTime(),
      now_ms: ep.now.getTime(),
      // Disabling cancelled it while it was in flight.
      endpoint_enabled: ep.enabled && d.status === 'pending',
    },
    random,
  );
  await deliveries.finishAttempt(tx, tenantId, d.delivery_id, {
    attempt: attempt.attempt,
    status: next.status,
    started_at: attempt.started_at,
    response_status: attempt.response_status,
    latency_ms: attempt.latency_ms,
    error: attempt.error,
    retry_in_ms: next.status === 'pending' ? next.retry_in_ms : null,
  });
  outcomes[failure.index] = next.status === 'pending' ? 'retrying' : next.status;
  if (ep.enabled) {
    // The streak starts with the round's first attempt, the clock the retry window runs on; a
    // success earlier in this batch ended the previous streak.
    const failingSince =
      (succeeded.length > 0 ? null : ep.failing_since) ?? d.retry_started_at ?? attempt.started_at;
    await store.markEndpointFailing(tx, tenantId, webhookId, failingSince);
    if (next.status === 'failed' && shouldDisable(policy, failingSince.getTime(), ep.now.getTime())) {
      const hours = Math.round(((ep.now.getTime() - failingSince.getTime()) / 3_600_000) * 10) / 10;
      const reason =
        `Nothing delivered for ${hours} h: delivery ${d.delivery_id} (event ${d.event_seq}) was given up after ` +
        `${d.round_attempts + 1} attempts (last: ${attempt.error}). Fix the endpoint, enable it, then replay ` +
        `from seq ${d.event_seq - 1}.`;
      await setEnabled(tx, tenantId, SYSTEM, webhookId, false, reason);
    }
  }
  return outcomes;
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
