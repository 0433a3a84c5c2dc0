import type { Queryable } from '../../db/pool.ts';
import type { Attempt, Delivery, DeliveryStatus } from './schema.ts';

/** The SQL of deliveries and their attempts: the delivery log and the drains' queue. */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

// ── deliveries ───────────────────────────────────────────────────────────────────────────────

const DELIVERY_COLUMNS = `delivery_id, webhook_id, event_id, event_seq, event_type, status, attempts,
  next_attempt_at, last_attempt_at, response_status, latency_ms, last_error, completed_at, created_at,
  round_attempts, retry_started_at`;

export type DeliveryRow = Omit<
  Delivery,
  'next_attempt_at' | 'last_attempt_at' | 'completed_at' | 'created_at'
> & {
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
  round_attempts: number;
  retry_started_at: Date | null;
};

export const toDelivery = (r: DeliveryRow): Delivery => ({
  delivery_id: r.delivery_id,
  webhook_id: r.webhook_id,
  event_id: r.event_id,
  event_seq: r.event_seq,
  event_type: r.event_type,
  status: r.status,
  attempts: r.attempts,
  next_attempt_at: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
  last_attempt_at: iso(r.last_attempt_at),
  response_status: r.response_status,
  latency_ms: r.latency_ms,
  last_error: r.last_error,
  completed_at: iso(r.completed_at),
  created_at: r.created_at.toISOString(),
});

export type NewDelivery = {
  tenant_id: string;
  webhook_id: string;
  delivery_id: string;
  event_id: string;
  event_seq: number;
  event_type: string;
};

/** Creates each (endpoint, event) delivery once; returns the ones this call created. */
export async function insertDeliveries(db: Queryable, deliveries: NewDelivery[]) {
  if (deliveries.length === 0) return [];
  const { rows } = await db.query<{ tenant_id: string; webhook_id: string; event_seq: number }>(
    `insert into webhook_deliveries (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type, status)
     select d.tenant_id, d.webhook_id, d.delivery_id, d.event_id, d.event_seq, d.event_type, 'pending'
     from jsonb_to_recordset($1::jsonb) as d(tenant_id text, webhook_id text, delivery_id text, event_id text,
       event_seq bigint, event_type text)
     on conflict (tenant_id, webhook_id, event_seq) do nothing
     returning tenant_id, webhook_id, event_seq`,
    [JSON.stringify(deliveries)],
  );
  return rows;
}

/**
 * Replay: creates the missing deliveries and reopens finished ones; open ones stay as they are.
 * Returns how many were queued.
 */
export async function queueAgain(db: Queryable, deliveries: NewDelivery[]) {
  if (deliveries.length === 0) return 0;
  const res = await db.query(
    `insert into webhook_deliveries (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type, status)
     select d.tenant_id, d.webhook_id, d.delivery_id, d.event_id, d.event_seq, d.event_type, 'pending'
     from jsonb_to_recordset($1::jsonb) as d(tenant_id text, webhook_id text, delivery_id text, event_id text,
       event_seq bigint, event_type text)
     on conflict (tenant_id, webhook_id, event_seq) do update set status = 'pending', next_attempt_at = now(),
       retry_started_at = null, round_attempts = 0, completed_at = null, updated_at = now()
     where webhook_deliveries.status in ('succeeded', 'failed', 'cancelled')`,
    [JSON.stringify(deliveries)],
  );
  return res.rowCount ?? 0;
}

export async function listDeliveries(
  db: Queryable,
  tenantId: string,
  webhookId: string,
  status: DeliveryStatus | undefined,
  beforeSeq: number | undefined,
  limit: number,
) {
  const { rows } = await db.query<DeliveryRow>(
    `select ${DELIVERY_COLUMNS} from webhook_deliveries
     where tenant_id = $1 and webhook_id = $2 and ($3::text is null or status = $3)
       and ($4::bigint is null or event_seq < $4)
     order by event_seq desc limit $5`,
    [tenantId, webhookId, status ?? null, beforeSeq ?? null, limit],
  );
  return rows.map(toDelivery);
}

export async function findDelivery(
  db: Queryable,
  tenantId: string,
  webhookId: string,
  deliveryId: string,
  lock = false,
) {
  const { rows } = await db.query<DeliveryRow>(
    `select ${DELIVERY_COLUMNS} from webhook_deliveries
     where tenant_id = $1 and webhook_id = $2 and delivery_id = $3 ${lock ? 'for update' : ''}`,
    [tenantId, webhookId, deliveryId],
  );
  return rows[0];
}

export async function listAttempts(db: Queryable, tenantId: string, deliveryId: string, limit: number) {
  const { rows } = await db.query<Omit<Attempt, 'started_at'> & { started_at: Date }>(
    `select attempt, started_at, succeeded, response_status, latency_ms, error from webhook_attempts
     where tenant_id = $1 and delivery_id = $2 order by attempt limit $3`,
    [tenantId, deliveryId, limit],
  );
  return rows.map((r) => ({ ...r, started_at: r.started_at.toISOString() }));
}

/** Redelivery: a finished delivery goes back to pending, with a fresh round of retries. */
export async function reopenDelivery(db: Queryable, tenantId: string, deliveryId: string) {
  const { rows } = await db.query<DeliveryRow>(
    `update webhook_deliveries set status = 'pending', next_attempt_at = now(), retry_started_at = null,
       round_attempts = 0, completed_at = null, updated_at = now()
     where tenant_id = $1 and delivery_id = $2 and status in ('succeeded', 'failed', 'cancelled')
     returning ${DELIVERY_COLUMNS}`,
    [tenantId, deliveryId],
  );
  return rows[0] ? toDelivery(rows[0]) : undefined;
}

/** Disabling an endpoint cancels what it had waiting (an attempt in flight finishes first). */
export async function cancelPending(db: Queryable, tenantId: string, webhookId: string, why: string) {
  const res = await db.query(
    `update webhook_deliveries set status = 'cancelled', last_error = coalesce(last_error, $3),
       completed_at = now(), updated_at = now()
     where tenant_id = $1 and webhook_id = $2 and status = 'pending'`,
    [tenantId, webhookId, why],
  );
  return res.rowCount ?? 0;
}

/** The endpoint's oldest open deliveries, in seq order, locked: only these may be sent next. */
export async function oldestOpen(db: Queryable, tenantId: string, webhookId: string, limit: number) {
  const { rows } = await db.query<
    Pick<DeliveryRow, 'delivery_id' | 'event_id' | 'event_seq' | 'event_type' | 'status' | 'attempts'> & {
      wait_ms: number;
    }
  >(
    // Only what a claim needs (a batch is hundreds of rows); how long each still waits, from here.
    `select delivery_id, event_id, event_seq, event_type, status, attempts,
       case when status = 'pending'
         then greatest(0, ceil(extract(epoch from next_attempt_at - clock_timestamp()) * 1000))::integer
         else 0 end as wait_ms
     from webhook_deliveries
     where tenant_id = $1 and webhook_id = $2 and status in ('pending', 'delivering')
     order by event_seq limit $3 for update`,
    [tenantId, webhookId, limit],
  );
  return rows;
}

export async function markDelivering(db: Queryable, tenantId: string, deliveryIds: string[]) {
  await db.query(
    `update webhook_deliveries set status = 'delivering',
       retry_started_at = coalesce(retry_started_at, clock_timestamp()), updated_at = clock_timestamp()
     where tenant_id = $1 and delivery_id = any($2)`,
    [tenantId, deliveryIds],
  );
}

/**
 * Claimed deliveries not sent (one before them failed, or the batch ran out of time) wait again,
 * as they were: a round of retries not yet attempted has not started.
 */
export async function unclaim(db: Queryable, tenantId: string, deliveryIds: string[]) {
  if (deliveryIds.length === 0) return;
  await db.query(
    `update webhook_deliveries set status = 'pending',
       retry_started_at = case when round_attempts = 0 then null else retry_started_at end,
       updated_at = clock_timestamp()
     where tenant_id = $1 and delivery_id = any($2) and status = 'delivering'`,
    [tenantId, deliveryIds],
  );
}

/**
 * The endpoint's deliveries with these ids, locked in seq order (the order claims lock them in).
 * The seq range bounds the read whichever index the plan picks: with statistics taken while the
 * table was small, a generic plan walks the endpoint's whole history by seq and filters it by id.
 */
export async function lockDeliveries(
  db: Queryable,
  tenantId: string,
  webhookId: string,
  claims: readonly { delivery_id: string; event_seq: number }[],
) {
  if (claims.length === 0) return [];
  const seqs = claims.map((c) => c.event_seq);
  const { rows } = await db.query<
    Pick<
      DeliveryRow,
      'delivery_id' | 'event_seq' | 'status' | 'attempts' | 'round_attempts' | 'retry_started_at'
    >
  >(
    `select delivery_id, event_seq, status, attempts, round_attempts, retry_started_at from webhook_deliveries
     where tenant_id = $1 and webhook_id = $2 and delivery_id = any($3) and event_seq between $4 and $5
     order by event_seq for update`,
    [tenantId, webhookId, claims.map((c) => c.delivery_id), Math.min(...seqs), Math.max(...seqs)],
  );
  return rows;
}

export type NewAttempt = {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  succeeded: boolean;
  response_status: number | null;
  latency_ms: number;
  error: string | null;
};

/** The delivery log of a batch of attempts, in one statement. */
export async function insertAttempts(db: Queryable, tenantId: string, attempts: readonly NewAttempt[]) {
  if (attempts.length === 0) return;
  await db.query(
    `insert into webhook_attempts (tenant_id, delivery_id, attempt, started_at, succeeded, response_status,
       latency_ms, error)
     select $1, a.delivery_id, a.attempt, a.started_at, a.succeeded, a.response_status, a.latency_ms, a.error
     from unnest($2::text[], $3::int[], $4::timestamptz[], $5::boolean[], $6::int[], $7::int[], $8::text[])
       as a(delivery_id, attempt, started_at, succeeded, response_status, latency_ms, error)
     on conflict do nothing`,
    [
      tenantId,
      attempts.map((a) => a.delivery_id),
      attempts.map((a) => a.attempt),
      attempts.map((a) => a.started_at),
      attempts.map((a) => a.succeeded),
      attempts.map((a) => a.response_status),
      attempts.map((a) => a.latency_ms),
      attempts.map((a) => a.error),
    ],
  );
}

/** Marks a batch of successful attempts onto their deliveries, in one statement. */
export async function finishSucceeded(db: Queryable, tenantId: string, attempts: readonly NewAttempt[]) {
  if (attempts.length === 0) return;
  await db.query(
    `update webhook_deliveries d set status = 'succeeded', attempts = greatest(d.attempts, a.attempt),
       round_attempts = d.round_attempts + 1, last_attempt_at = a.started_at,
       response_status = a.response_status, latency_ms = a.latency_ms, last_error = null,
       completed_at = clock_timestamp(), updated_at = clock_timestamp()
     from unnest($2::text[], $3::int[], $4::timestamptz[], $5::int[], $6::int[])
       as a(delivery_id, attempt, started_at, response_status, latency_ms)
     where d.tenant_id = $1 and d.delivery_id = a.delivery_id`,
    [
      tenantId,
      attempts.map((a) => a.delivery_id),
      attempts.map((a) => a.attempt),
      attempts.map((a) => a.started_at),
      attempts.map((a) => a.response_status),
      attempts.map((a) => a.latency_ms),
    ],
  );
}

/** Writes the outcome of attempt `attempt` onto the delivery. */
export async function finishAttempt(
  db: Queryable,
  tenantId: string,
  deliveryId: string,
  o: {
    attempt: number;
    status: DeliveryStatus;
    started_at: Date;
    response_status: number | null;
    latency_ms: number;
    error: string | null;
    retry_in_ms: number | null;
  },
) {
  await db.query(
    `update webhook_deliveries set status = $3, attempts = greatest(attempts, $4),
       round_attempts = round_attempts + 1, last_attempt_at = $5, response_status = $6, latency_ms = $7,
       last_error = $8,
       next_attempt_at = case when $9::integer is null then next_attempt_at
         else clock_timestamp() + make_interval(secs => $9::integer / 1000.0) end,
       completed_at = case when $3 in ('succeeded', 'failed', 'cancelled') then clock_timestamp() end,
       updated_at = clock_timestamp()
     where tenant_id = $1 and delivery_id = $2`,
    [
      tenantId,
      deliveryId,
      o.status,
      o.attempt,
      o.started_at,
      o.response_status,
      o.latency_ms,
      o.error,
      o.retry_in_ms,
    ],
  );
}

/**
 * Endpoints whose oldest open delivery nobody seems to be sending: due for a while and not
 * in flight, or in flight far longer than any attempt takes. For the sweep.
 */
export async function stalledEndpoints(db: Queryable, due_s: number, in_flight_s: number, limit: number) {
  const { rows } = await db.query<{
    tenant_id: string;
    webhook_id: string;
    delivery_id: string;
    attempts: number;
    status: string;
  }>(
    `select w.tenant_id, w.webhook_id, h.delivery_id, h.attempts, h.status from webhook_endpoints w
     cross join lateral (
       select d.delivery_id, d.attempts, d.status, d.next_attempt_at, d.updated_at from webhook_deliveries d
       where d.tenant_id = w.tenant_id and d.webhook_id = w.webhook_id and d.status in ('pending', 'delivering')
       order by d.event_seq limit 1
     ) h
     where w.enabled and (
       (h.status = 'pending' and h.next_attempt_at < now() - make_interval(secs => $1))
       or (h.status = 'delivering' and h.updated_at < now() - make_interval(secs => $2)))
     limit $3`,
    [due_s, in_flight_s, limit],
  );
  return rows;
}
