import client from 'prom-client';
import type { Config } from '../../config.ts';
import { type Pool, type PoolClient, withTransaction } from '../../db/pool.ts';
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
import type { UrlPolicy } from './url-rules.ts';

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
 * The consumer's work, in its transaction: the endpoints whose drain should start, each with the
 * highest seq that asks for it — an enabled endpoint for an event it wants (one that happened
 * after it was created; older ones through replay), or an event that wakes it. Nothing is written
 * per delivery: the drain reads the events after its cursor from the log.
 */
export async function drainsFor(events: readonly ConsumedEvent[], tx: PoolClient) {
  const tenants = [...new Set(events.map((e) => e.tenant_id))];
  const endpoints = await store.enabledEndpoints(tx, tenants);
  const drains = new Map<string, DrainRequest>();
  const ask = (tenant_id: string, webhook_id: string, seq: number) => {
    const key = `${tenant_id}\u0000${webhook_id}`;
    const seen = drains.get(key);
    if (!seen || seen.seq < seq) drains.set(key, { tenant_id, webhook_id, seq });
  };
  for (const e of events) {
    const created_ms = Date.parse(e.created_at);
    for (const w of endpoints) {
      if (w.tenant_id !== e.tenant_id || created_ms < w.created_at.getTime()) continue;
      if (matchesEventTypes(w.event_types, e.type)) ask(e.tenant_id, w.webhook_id, e.seq);
    }
    const webhookId = (e.data as { webhook_id?: unknown }).webhook_id;
    if (WAKE_TYPES.has(e.type) && typeof webhookId === 'string') ask(e.tenant_id, webhookId, e.seq);
  }
  const asks = [...drains.values()];
  // In one fixed order, so two transactions touching several endpoints cannot deadlock.
  await store.lockEndpoints(tx, asks);
  // A drain still open sees these events before it closes (claimDue): only closed ones start.
  const start = new Set(
    (await store.requestDrains(tx, asks))
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
  /** No delivery open: the events the endpoint wants after `after`, its cursor, from the log. */
  | { kind: 'send_new'; after: number }
  /** The oldest open delivery waits for its next attempt: sleep, then claim again. */
  | { kind: 'wait'; wait_ms: number }
  /** The transaction that asked for this drain has not committed yet (or never will). */
  | { kind: 'not_ready' }
  /** Nothing to send, or the endpoint is disabled or gone. */
  | { kind: 'idle' };

/**
 * Takes the endpoint's oldest open deliveries that are due, up to `max`, in seq order: a delivery
 * waiting for its retry ends the run of them, so none ever overtakes an earlier one for the same
 * endpoint (per-endpoint order by seq). With none open, the events after the cursor are next.
 * With nothing to do the drain closes (`drain_open`), under the endpoint's lock: a consumer
 * asking for a drain at that moment holds that lock until it commits, so either the events it
 * read are seen here (they were in the log before it read them), or it finds the drain closed and
 * starts one.
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
  if (!head) return claimNew(tx, tenantId, webhookId);
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

/** Events after the cursor, if the endpoint wants any; if not, the cursor catches up with the log. */
async function claimNew(tx: PoolClient, tenantId: string, webhookId: string) {
  const log = await deliveries.nextWanted(tx, tenantId, webhookId);
  if (!log) return undefined;
  if (log.next === null) {
    if (log.latest > log.cursor) await deliveries.advanceCursor(tx, tenantId, webhookId, log.latest);
    return undefined;
  }
  await deliveries.markSending(tx, tenantId, webhookId);
  return { kind: 'send_new' as const, after: log.cursor };
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

/** An attempt that failed before any request was made. */
const failedBeforeSending = (error: string, at = new Date()): AttemptResult => ({
  ok: false,
  response_status: null,
  latency_ms: 0,
  error,
  started_at: at.toISOString(),
});

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
  if (claims.length === 0) return [];
  try {
    const target = await prepareEndpoint(pool, config, policy, tenantId, webhookId);
    if (!target.ok) return [target.result];
    const events = await eventsOf(pool, tenantId, claims);
    return await sendInOrder(target, policy, claims.length, (i) => {
      const event = events.get(claims[i]!.event_seq);
      return event?.event_id === claims[i]!.event_id ? event : undefined;
    });
  } catch (err) {
    return [failedBeforeSending(`could not send: ${(err as Error).message}`)];
  }
}

/** A first attempt at an event read from the log. */
export type NewAttemptResult = AttemptResult & { event_id: string; event_seq: number; event_type: string };

/**
 * Sends the events the endpoint wants after `after` (its cursor), up to `max`, the way sendDue
 * sends deliveries; returns each attempt with its event. Never throws.
 */
export async function sendNew(
  pool: Pool,
  config: Config,
  policy: DeliveryPolicy,
  tenantId: string,
  webhookId: string,
  after: number,
  max: number,
): Promise<NewAttemptResult[]> {
  const events = await deliveries.wantedAfter(pool, tenantId, webhookId, after, max).catch(() => undefined);
  // Unreadable now (the endpoint was deleted, or the database is away): nothing was attempted.
  if (!events || events.length === 0) return [];
  const withEvent = (results: AttemptResult[]) =>
    results.map((r, i) => ({
      ...r,
      event_id: events[i]!.event_id,
      event_seq: events[i]!.seq,
      event_type: events[i]!.type,
    }));
  try {
    const target = await prepareEndpoint(pool, config, policy, tenantId, webhookId);
    if (!target.ok) return withEvent([target.result]);
    return withEvent(await sendInOrder(target, policy, events.length, (i) => events[i]));
  } catch (err) {
    return withEvent([failedBeforeSending(`could not send: ${(err as Error).message}`)]);
  }
}

type Target = { url: URL; urlRule: UrlPolicy; sign: ReturnType<typeof signer> };

/** Attempts `count` events in order (`eventAt(i)`, undefined when gone from the log), as sendDue says. */
async function sendInOrder(
  { url, urlRule, sign }: Target,
  policy: DeliveryPolicy,
  count: number,
  eventAt: (i: number) => Event | undefined,
) {
  const results: AttemptResult[] = [];
  const stopAt = performance.now() + SEND_BATCH_MS_MAX;
  for (let i = 0; i < count; i++) {
    // A slow endpoint ends its batch early; what was not sent waits, unchanged.
    if (results.length > 0 && performance.now() > stopAt) break;
    const at = new Date();
    let result: AttemptResult;
    try {
      const event = eventAt(i);
      if (!event) result = failedBeforeSending('the event is no longer in the log', at);
      else {
        const request = sign(event.event_id, payloadOf(event), at);
        result = {
          ...(await postWebhook(url, request, urlRule, policy.timeout_ms)),
          started_at: at.toISOString(),
        };
      }
    } catch (err) {
      result = failedBeforeSending(`could not send: ${(err as Error).message}`, at);
    }
    results.push(result);
    if (!result.ok) break;
  }
  return results;
}

/** What every attempt of a batch shares: the endpoint, its URL checked by the rule, its signer. */
async function prepareEndpoint(
  pool: Pool,
  config: Config,
  policy: DeliveryPolicy,
  tenantId: string,
  webhookId: string,
): Promise<({ ok: true } & Target) | { ok: false; result: AttemptResult }> {
  const info = await store.sendingInfo(pool, tenantId, webhookId);
  if (!info) return { ok: false, result: failedBeforeSending('the webhook was deleted') };
  const started = new Date().toISOString();
  const urlRule = urlPolicy(config, info.allow_private);
  const target = await checkTarget(info.url, urlRule, policy.timeout_ms);
  if (!target.ok) return { ok: false, result: { ...target.refused, started_at: started } };
  return { ok: true, url: target.url, urlRule, sign: signer(info.secrets) };
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
 * disabled meanwhile (see afterFailedAttempt). Idempotent: an attempt already recorded is not
 * recorded again.
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
    countOutcomes(metrics, outcomes);
    return outcomes;
  });
}

/**
 * Locks in one order everywhere (endpoint, pending deliveries, the endpoint's drain row, new
 * deliveries), the order disabling takes them in. Only a failure needs the endpoint locked (its
 * streak, disabling); a batch of successes notes itself on the endpoint first, which writes the
 * row at most once a second.
 */
async function lockEndpointFor(
  tx: PoolClient,
  tenantId: string,
  webhookId: string,
  results: readonly SendResult[],
) {
  if (results.every((r) => r.ok)) {
    await store.markEndpointSucceeded(tx, tenantId, webhookId);
    return { failure: false as const };
  }
  return { failure: true as const, ep: await store.endpointState(tx, tenantId, webhookId, true) };
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
  const lock = await lockEndpointFor(tx, tenantId, webhookId, results);
  if (lock.failure && !lock.ep) return sent.map(() => 'gone');
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
  await deliveries.finishSucceeded(tx, tenantId, succeeded);
  // The endpoint is locked already when the batch has a failure.
  if (lock.failure && succeeded.length > 0) await store.markEndpointSucceeded(tx, tenantId, webhookId);
  if (!failure || !lock.ep) return outcomes;
  const { d, attempt } = failure;
  const next = afterFailure(
    policy,
    {
      attempt_in_round: d.round_attempts + 1,
      round_started_ms: (d.retry_started_at ?? attempt.started_at).getTime(),
      now_ms: lock.ep.now.getTime(),
      // Disabling cancelled it while it was in flight.
      endpoint_enabled: lock.ep.enabled && d.status === 'pending',
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
  await afterFailedAttempt(tx, policy, tenantId, webhookId, lock.ep, succeeded.length > 0, {
    delivery_id: d.delivery_id,
    event_seq: d.event_seq,
    round_attempts: d.round_attempts + 1,
    round_started_at: d.retry_started_at ?? attempt.started_at,
    error: attempt.error,
    status: next.status,
  });
  return outcomes;
}

/**
 * Records first attempts at events read from the log (sendNew), in one transaction: each event's
 * delivery row is written once, with its outcome (insertFirstAttempts), the failure (at most one,
 * the last) also into the attempt log, and the cursor moves past what was sent as the batch in
 * flight ends. Idempotent: a row written before is not written again.
 */
export function recordNew(
  pool: Pool,
  metrics: Metrics,
  policy: DeliveryPolicy,
  tenantId: string,
  webhookId: string,
  results: readonly NewAttemptResult[],
  random = Math.random(),
) {
  return withTransaction(pool, async (tx): Promise<Recorded[]> => {
    // Nothing was attempted (the events could not be read): only the batch in flight ends.
    if (results.length === 0) {
      await deliveries.endSending(tx, tenantId, webhookId);
      return [];
    }
    const lock = await lockEndpointFor(tx, tenantId, webhookId, results);
    const sentThrough = results.at(-1)?.event_seq ?? 0;
    if ((lock.failure && !lock.ep) || !(await deliveries.endSending(tx, tenantId, webhookId, sentThrough)))
      return results.map(() => 'gone');
    const failed = results.at(-1)?.ok === false ? results.at(-1)! : undefined;
    const next =
      failed && lock.ep
        ? afterFailure(
            policy,
            {
              attempt_in_round: 1,
              round_started_ms: Date.parse(failed.started_at),
              now_ms: lock.ep.now.getTime(),
              endpoint_enabled: lock.ep.enabled,
            },
            random,
          )
        : undefined;
    const written = await deliveries.insertFirstAttempts(
      tx,
      tenantId,
      webhookId,
      results.map((r) => ({
        event_id: r.event_id,
        event_seq: r.event_seq,
        event_type: r.event_type,
        status: r.ok ? 'succeeded' : (next?.status ?? 'cancelled'),
        started_at: r.started_at,
        response_status: r.response_status,
        latency_ms: r.latency_ms,
        error: r.error,
        retry_in_ms: !r.ok && next?.status === 'pending' ? next.retry_in_ms : null,
      })),
    );
    const bySeq = new Map(written.map((w) => [w.event_seq, w]));
    const outcomes = results.map((r): Recorded => {
      const w = bySeq.get(r.event_seq);
      if (!w) return 'already_recorded';
      if (r.ok) return 'succeeded';
      return w.status === 'pending' ? 'retrying' : (w.status as Recorded);
    });
    const succeeded = outcomes.includes('succeeded');
    if (lock.failure && succeeded) await store.markEndpointSucceeded(tx, tenantId, webhookId);
    const failure = failed && bySeq.get(failed.event_seq);
    if (failed && failure && lock.ep) {
      await deliveries.insertAttempts(tx, tenantId, [
        {
          delivery_id: failure.delivery_id,
          attempt: 1,
          started_at: new Date(failed.started_at),
          succeeded: false,
          response_status: failed.response_status,
          latency_ms: failed.latency_ms,
          error: failed.error,
        },
      ]);
      await afterFailedAttempt(tx, policy, tenantId, webhookId, lock.ep, succeeded, {
        delivery_id: failure.delivery_id,
        event_seq: failed.event_seq,
        round_attempts: 1,
        round_started_at: new Date(failed.started_at),
        error: failed.error,
        status: failure.status,
      });
    }
    countOutcomes(metrics, outcomes);
    return outcomes;
  });
}

/**
 * A failed attempt's effect on its endpoint (locked, as `ep`): the failure streak, starting with
 * the round's first attempt, the clock the retry window runs on (a success earlier in the batch
 * ended the previous streak); and a delivery given up on an endpoint that has delivered nothing
 * for `disable_after_ms` disables it, with the reason and a `webhook.disabled` event.
 */
async function afterFailedAttempt(
  tx: PoolClient,
  policy: DeliveryPolicy,
  tenantId: string,
  webhookId: string,
  ep: NonNullable<Awaited<ReturnType<typeof store.endpointState>>>,
  succeededBefore: boolean,
  d: {
    delivery_id: string;
    event_seq: number;
    round_attempts: number;
    round_started_at: Date;
    error: string | null;
    status: string;
  },
) {
  if (!ep.enabled) return;
  const failingSince = (succeededBefore ? null : ep.failing_since) ?? d.round_started_at;
  await store.markEndpointFailing(tx, tenantId, webhookId, failingSince);
  if (d.status === 'failed' && shouldDisable(policy, failingSince.getTime(), ep.now.getTime())) {
    const hours = Math.round(((ep.now.getTime() - failingSince.getTime()) / 3_600_000) * 10) / 10;
    const reason =
      `Nothing delivered for ${hours} h: delivery ${d.delivery_id} (event ${d.event_seq}) was given up after ` +
      `${d.round_attempts} attempts (last: ${d.error}). Fix the endpoint, enable it, then replay ` +
      `from seq ${d.event_seq - 1}.`;
    await setEnabled(tx, tenantId, SYSTEM, webhookId, false, reason);
  }
}

function countOutcomes(metrics: Metrics, outcomes: readonly Recorded[]) {
  const counter = deliveryCounter(metrics);
  for (const outcome of new Set(outcomes)) {
    counter.inc({ outcome }, outcomes.filter((o) => o === outcome).length);
  }
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
