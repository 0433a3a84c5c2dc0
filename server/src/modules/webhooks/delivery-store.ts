import type { Queryable } from '../../db/pool.ts';
import type { Event } from '../events/schema.ts';
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

/**
 * Replay: creates the missing deliveries and reopens finished ones; open ones stay as they are.
 * A succeeded delivery's success goes to the attempt log first (it was kept on the delivery row
 * only), so its history survives being sent again. Returns how many were queued. The caller's
 * transaction holds the endpoint.
 */
export async function queueAgain(db: Queryable, deliveries: NewDelivery[]) {
  if (deliveries.length === 0) return 0;
  const rows = JSON.stringify(deliveries);
  const recordset = `jsonb_to_recordset($1::jsonb) as d(tenant_id text, webhook_id text, delivery_id text,
       event_id text, event_seq bigint, event_type text)`;
  // Locked first, in seq order (the order drains lock them in): a success recorded meanwhile is
  // seen, so it is copied before the delivery is reopened.
  await db.query(
    `with existing as (
       select w.tenant_id, w.delivery_id, w.status, w.attempts, w.last_attempt_at, w.response_status,
         w.latency_ms
       from webhook_deliveries w join ${recordset}
         on w.tenant_id = d.tenant_id and w.webhook_id = d.webhook_id and w.event_seq = d.event_seq
       order by w.event_seq for update of w)
     insert into webhook_attempts (tenant_id, delivery_id, attempt, started_at, succeeded, response_status,
       latency_ms, error)
     select tenant_id, delivery_id, attempts, last_attempt_at, true, response_status, coalesce(latency_ms, 0), null
     from existing where status = 'succeeded' and attempts > 0 and last_attempt_at is not null
     on conflict do nothing`,
    [rows],
  );
  const res = await db.query(
    `insert into webhook_deliveries (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type, status)
     select d.tenant_id, d.webhook_id, d.delivery_id, d.event_id, d.event_seq, d.event_type, 'pending'
     from ${recordset}
     on conflict (tenant_id, webhook_id, event_seq) do update set status = 'pending', next_attempt_at = now(),
       retry_started_at = null, round_attempts = 0, completed_at = null, updated_at = now()
     where webhook_deliveries.status in ('succeeded', 'failed', 'cancelled')`,
    [rows],
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

/**
 * The attempts of a delivery, oldest first: the failed ones are logged, and a succeeded
 * delivery's success is its last attempt, kept on the delivery row.
 */
export async function listAttempts(db: Queryable, tenantId: string, d: DeliveryRow, limit: number) {
  const { rows } = await db.query<Omit<Attempt, 'started_at'> & { started_at: Date }>(
    `select attempt, started_at, succeeded, response_status, latency_ms, error from webhook_attempts
     where tenant_id = $1 and delivery_id = $2 order by attempt limit $3`,
    [tenantId, d.delivery_id, limit],
  );
  const attempts: Attempt[] = rows.map((r) => ({ ...r, started_at: r.started_at.toISOString() }));
  const success = d.status === 'succeeded' ? d.last_attempt_at : null;
  // Logged already when it was recorded before successes stopped being logged.
  if (success && attempts.length < limit && !rows.some((r) => r.attempt === d.attempts)) {
    attempts.push({
      attempt: d.attempts,
      started_at: success.toISOString(),
      succeeded: true,
      response_status: d.response_status,
      latency_ms: d.latency_ms ?? 0,
      error: null,
    });
  }
  return attempts;
}

/**
 * Redelivery: a finished delivery goes back to pending, with a fresh round of retries; a
 * succeeded one's success goes to the attempt log first, in the same statement. The caller's
 * transaction holds the delivery.
 */
export async function reopenDelivery(db: Queryable, tenantId: string, deliveryId: string) {
  const { rows } = await db.query<DeliveryRow>(
    `with logged as (
       insert into webhook_attempts (tenant_id, delivery_id, attempt, started_at, succeeded, response_status,
         latency_ms, error)
       select tenant_id, delivery_id, attempts, last_attempt_at, true, response_status, coalesce(latency_ms, 0), null
       from webhook_deliveries
       where tenant_id = $1 and delivery_id = $2 and status = 'succeeded' and attempts > 0
         and last_attempt_at is not null
       on conflict do nothing)
     update webhook_deliveries set status = 'pending', next_attempt_at = now(), retry_started_at = null,
       round_attempts = 0, completed_at = null, updated_at = now()
     where tenant_id = $1 and delivery_id = $2 and status in ('succeeded', 'failed', 'cancelled')
     returning ${DELIVERY_COLUMNS}`,
    [tenantId, deliveryId],
  );
  return rows[0] ? toDelivery(rows[0]) : undefined;
}

/**
 * Disabling an endpoint cancels what it had waiting, in flight included: an attempt in flight is
 * still recorded, a success as succeeded (it was delivered), a failure as cancelled.
 */
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
    Pick<DeliveryRow, 'delivery_id' | 'event_id' | 'event_seq' | 'event_type' | 'attempts'> & {
      wait_ms: number;
    }
  >(
    // Only what a claim needs (a batch is hundreds of rows); how long each still waits, from here.
    `select delivery_id, event_id, event_seq, event_type, attempts,
       greatest(0, ceil(extract(epoch from next_attempt_at - clock_timestamp()) * 1000))::integer as wait_ms
     from webhook_deliveries
     where tenant_id = $1 and webhook_id = $2 and status = 'pending'
     order by event_seq limit $3 for update`,
    [tenantId, webhookId, limit],
  );
  return rows;
}

/**
 * The endpoint's drain has a batch claimed and not yet recorded, since now: once per batch, not
 * per delivery (the deliveries stay pending). Not on webhook_endpoints, whose row the consumer
 * holds while it creates deliveries.
 */
export async function markSending(db: Queryable, tenantId: string, webhookId: string) {
  await db.query(
    `insert into webhook_sending (tenant_id, webhook_id, sending_since) values ($1, $2, clock_timestamp())
     on conflict (tenant_id, webhook_id) do update set sending_since = excluded.sending_since`,
    [tenantId, webhookId],
  );
}

/**
 * The batch is recorded: nothing of the endpoint's is in flight, and the cursor is past what it
 * sent from the log. False when the endpoint is gone.
 */
export async function endSending(db: Queryable, tenantId: string, webhookId: string, sentThrough = 0) {
  const res = await db.query(
    `update webhook_sending set sending_since = null, cursor_seq = greatest(cursor_seq, $3)
     where tenant_id = $1 and webhook_id = $2`,
    [tenantId, webhookId, sentThrough],
  );
  return (res.rowCount ?? 0) > 0;
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

/** Failed attempts, into the attempt log (a success stays on its delivery row), in one statement. */
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

/**
 * Marks a batch of successful attempts onto their deliveries, in one statement: the delivery row
 * is their log (attempts, last_attempt_at, response_status, latency_ms).
 */
export async function finishSucceeded(db: Queryable, tenantId: string, attempts: readonly NewAttempt[]) {
  if (attempts.length === 0) return;
  await db.query(
    `update webhook_deliveries d set status = 'succeeded', attempts = greatest(d.attempts, a.attempt),
       round_attempts = d.round_attempts + 1, retry_started_at = coalesce(d.retry_started_at, a.started_at),
       last_attempt_at = a.started_at,
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

/** Writes the outcome of attempt `attempt` onto the delivery; its round starts with it if not before. */
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
       round_attempts = round_attempts + 1, retry_started_at = coalesce(retry_started_at, $5),
       last_attempt_at = $5, response_status = $6, latency_ms = $7,
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
 * Endpoints whose oldest open delivery nobody seems to be sending: due for a while with nothing
 * in flight, or a batch in flight far longer than any takes (its drain is gone). The oldest open
 * delivery is the first pending row or, with none, the first event after the cursor that the
 * consumer asked the drain for (`head` is then `seq:<n>`). For the sweep.
 */
export async function stalledEndpoints(db: Queryable, due_s: number, in_flight_s: number, limit: number) {
  const { rows } = await db.query<{
    tenant_id: string;
    webhook_id: string;
    head: string;
    attempts: number;
    stalled: 'due' | 'in_flight';
  }>(
    `select w.tenant_id, w.webhook_id, coalesce(h.delivery_id, 'seq:' || n.seq) as head,
       coalesce(h.attempts, 0) as attempts,
       case when s.sending_since is null then 'due' else 'in_flight' end as stalled
     from webhook_endpoints w
     join webhook_sending s on s.tenant_id = w.tenant_id and s.webhook_id = w.webhook_id
     left join lateral (
       select d.delivery_id, d.attempts, d.next_attempt_at from webhook_deliveries d
       where d.tenant_id = w.tenant_id and d.webhook_id = w.webhook_id and d.status = 'pending'
       order by d.event_seq limit 1
     ) h on true
     left join lateral (
       select e.seq, e.created_at from events e
       where h.delivery_id is null and w.drain_requested_seq > s.cursor_seq
         and e.tenant_id = w.tenant_id and e.seq > s.cursor_seq and e.seq <= w.drain_requested_seq
         and e.created_at >= w.created_at and webhook_wants(w.event_types, e.type)
       order by e.seq limit 1
     ) n on true
     where w.enabled and (h.delivery_id is not null or n.seq is not null) and (
       (s.sending_since is null and coalesce(h.next_attempt_at, n.created_at) < now() - make_interval(secs => $1))
       or s.sending_since < now() - make_interval(secs => $2))
     limit $3`,
    [due_s, in_flight_s, limit],
  );
  return rows;
}

// ── the endpoint's cursor over the event log ────────────────────────────────────────────────

/**
 * Every event an endpoint wants up to its cursor has a delivery row; the ones after it have none
 * yet, and the drain reads them from the log. Pending rows are only ever at or before the
 * cursor, so sending those first keeps the endpoint's deliveries in seq order.
 */

/** A delivery written from the log: its id follows from (endpoint, seq), so a step run again finds it. */
const LOG_DELIVERY_ID = (webhook: string, seq: string) =>
  `'dlv_' || left(md5(${webhook} || ':' || ${seq}), 26)`;

/** The tenant's latest numbered event (the tenant is `$1`). */
const TENANT_LATEST_SEQ =
  '(select coalesce(max(seq), 0) from events where tenant_id = $1 and seq is not null)';

/**
 * The cursor moves to the tenant's latest event: where a new endpoint starts (older events reach
 * it through replay), and where an enabled one resumes (what happened while it was disabled is
 * not sent).
 */
export async function cursorToLatest(db: Queryable, tenantId: string, webhookId: string) {
  await db.query(
    `insert into webhook_sending (tenant_id, webhook_id, cursor_seq) values ($1, $2, ${TENANT_LATEST_SEQ})
     on conflict (tenant_id, webhook_id) do update set cursor_seq = excluded.cursor_seq`,
    [tenantId, webhookId],
  );
}

/**
 * From one snapshot: the cursor, the first event after it the endpoint wants (null if none) and
 * the tenant's latest event. With none wanted, nothing up to `latest` ever will be (a seq is handed
 * out only once every event before it has committed), so the cursor may move there.
 */
export async function nextWanted(db: Queryable, tenantId: string, webhookId: string) {
  const { rows } = await db.query<{ cursor: number; next: number | null; latest: number }>(
    `select s.cursor_seq as cursor,
       (select e.seq from events e
        where e.tenant_id = w.tenant_id and e.seq > s.cursor_seq and e.created_at >= w.created_at
          and webhook_wants(w.event_types, e.type)
        order by e.seq limit 1) as next,
       (select coalesce(max(e.seq), 0) from events e where e.tenant_id = w.tenant_id and e.seq is not null)
         as latest
     from webhook_endpoints w
     join webhook_sending s on s.tenant_id = w.tenant_id and s.webhook_id = w.webhook_id
     where w.tenant_id = $1 and w.webhook_id = $2`,
    [tenantId, webhookId],
  );
  return rows[0];
}

/** Moves the cursor forward (never back). */
export async function advanceCursor(db: Queryable, tenantId: string, webhookId: string, seq: number) {
  await db.query(
    `update webhook_sending set cursor_seq = $3
     where tenant_id = $1 and webhook_id = $2 and cursor_seq < $3`,
    [tenantId, webhookId, seq],
  );
}

/** The next `limit` events after `after` the endpoint wants, with their data, in seq order. */
export async function wantedAfter(
  db: Queryable,
  tenantId: string,
  webhookId: string,
  after: number,
  limit: number,
) {
  const { rows } = await db.query<Event & { created_at: Date }>(
    `select e.seq, e.event_id, e.type, e.subject, e.data, e.actor, e.created_at
     from webhook_endpoints w join events e on e.tenant_id = w.tenant_id
     where w.tenant_id = $1 and w.webhook_id = $2 and e.seq > $3 and e.created_at >= w.created_at
       and webhook_wants(w.event_types, e.type)
     order by e.seq limit $4`,
    [tenantId, webhookId, after, limit],
  );
  return rows.map((r): Event => ({ ...r, created_at: r.created_at.toISOString() }));
}

/** A first attempt at an event read from the log, and where it leaves the delivery. */
export type FirstAttempt = {
  event_id: string;
  event_seq: number;
  event_type: string;
  status: DeliveryStatus;
  started_at: string;
  response_status: number | null;
  latency_ms: number;
  error: string | null;
  /** When `status` is pending: the retry's delay. */
  retry_in_ms: number | null;
};

/**
 * Writes each first attempt's delivery row, with its outcome, in one statement: the one write a
 * successful delivery costs. A row disabling wrote meanwhile (cancelled, never attempted) takes
 * the attempt: a success lands as succeeded, a failure stays cancelled. Returns the rows this
 * call wrote; an attempt recorded before (a step run again) is not among them.
 */
export async function insertFirstAttempts(
  db: Queryable,
  tenantId: string,
  webhookId: string,
  attempts: readonly FirstAttempt[],
) {
  if (attempts.length === 0) return [];
  const { rows } = await db.query<{ delivery_id: string; event_seq: number; status: DeliveryStatus }>(
    `insert into webhook_deliveries as d (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type,
       status, attempts, round_attempts, next_attempt_at, retry_started_at, last_attempt_at, response_status,
       latency_ms, last_error, completed_at)
     select $1, $2, ${LOG_DELIVERY_ID('$2', 'a.seq')}, a.event_id, a.seq, a.type, a.status, 1, 1,
       clock_timestamp() + make_interval(secs => coalesce(a.retry_in_ms, 0) / 1000.0),
       a.started_at, a.started_at, a.response_status, a.latency_ms, a.error,
       case when a.status <> 'pending' then clock_timestamp() end
     from unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::timestamptz[], $8::int[], $9::int[],
       $10::text[], $11::int[])
       as a(event_id, seq, type, status, started_at, response_status, latency_ms, error, retry_in_ms)
     on conflict (tenant_id, webhook_id, event_seq) do update set
       status = case when excluded.status = 'succeeded' then 'succeeded' else 'cancelled' end,
       attempts = 1, round_attempts = 1, retry_started_at = excluded.retry_started_at,
       last_attempt_at = excluded.last_attempt_at, response_status = excluded.response_status,
       latency_ms = excluded.latency_ms, last_error = excluded.last_error, completed_at = clock_timestamp(),
       updated_at = clock_timestamp()
     where d.status = 'cancelled' and d.attempts = 0
     returning d.delivery_id, d.event_seq, d.status`,
    [
      tenantId,
      webhookId,
      attempts.map((a) => a.event_id),
      attempts.map((a) => a.event_seq),
      attempts.map((a) => a.event_type),
      attempts.map((a) => a.status),
      attempts.map((a) => a.started_at),
      attempts.map((a) => a.response_status),
      attempts.map((a) => a.latency_ms),
      attempts.map((a) => a.error),
      attempts.map((a) => a.retry_in_ms),
    ],
  );
  return rows;
}

/**
 * Disabling: the events after the cursor the endpoint wants become cancelled deliveries (replay
 * sends them later), and the cursor moves past the tenant's latest event. Returns how many.
 */
export async function cancelUnsent(db: Queryable, tenantId: string, webhookId: string, why: string) {
  const { rows } = await db.query<{ cancelled: number }>(
    `with s as (
       select cursor_seq from webhook_sending where tenant_id = $1 and webhook_id = $2 for update
     ), unsent as (
       insert into webhook_deliveries (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type, status,
         last_error, completed_at)
       select $1, $2, ${LOG_DELIVERY_ID('$2', 'e.seq')}, e.event_id, e.seq, e.type, 'cancelled', $3, clock_timestamp()
       from s, webhook_endpoints w join events e on e.tenant_id = w.tenant_id
       where w.tenant_id = $1 and w.webhook_id = $2 and e.seq > s.cursor_seq and e.created_at >= w.created_at
         and webhook_wants(w.event_types, e.type)
       on conflict (tenant_id, webhook_id, event_seq) do nothing
       returning 1
     ), moved as (
       update webhook_sending set cursor_seq = greatest(cursor_seq, ${TENANT_LATEST_SEQ})
       where tenant_id = $1 and webhook_id = $2
     )
     select count(*)::int as cancelled from unsent`,
    [tenantId, webhookId, why],
  );
  return rows[0]?.cancelled ?? 0;
}

/** Where the drain is: replay queues again only what is at or before it. */
export async function cursorOf(db: Queryable, tenantId: string, webhookId: string) {
  const { rows } = await db.query<{ cursor_seq: number }>(
    'select cursor_seq from webhook_sending where tenant_id = $1 and webhook_id = $2',
    [tenantId, webhookId],
  );
  return rows[0]?.cursor_seq ?? 0;
}
