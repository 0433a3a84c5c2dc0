import type { Queryable } from '../../db/pool.ts';
import type { Webhook } from './schema.ts';

/** The SQL of webhook settings and endpoints (deliveries and attempts: delivery-store.ts). */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

// ── settings ─────────────────────────────────────────────────────────────────────────────────

export async function loadSettings(db: Queryable, tenantId: string) {
  const { rows } = await db.query<{ allow_private_webhook_urls: boolean; updated_at: Date }>(
    'select allow_private_webhook_urls, updated_at from webhook_settings where tenant_id = $1',
    [tenantId],
  );
  return rows[0];
}

export async function saveSettings(db: Queryable, tenantId: string, allowPrivate: boolean) {
  const { rows } = await db.query<{ updated_at: Date }>(
    `insert into webhook_settings (tenant_id, allow_private_webhook_urls) values ($1, $2)
     on conflict (tenant_id) do update set allow_private_webhook_urls = excluded.allow_private_webhook_urls,
       updated_at = now()
     returning updated_at`,
    [tenantId, allowPrivate],
  );
  return rows[0]!.updated_at;
}

// ── endpoints ────────────────────────────────────────────────────────────────────────────────

const ENDPOINT_COLUMNS = `webhook_id, url, description, event_types, enabled, disabled_reason, disabled_at,
  failing_since, last_success_at,
  case when previous_secret_expires_at > now() then previous_secret_expires_at end as previous_secret_expires_at,
  created_at, updated_at`;

type EndpointRow = Omit<
  Webhook,
  | 'disabled_at'
  | 'failing_since'
  | 'last_success_at'
  | 'previous_secret_expires_at'
  | 'created_at'
  | 'updated_at'
> & {
  disabled_at: Date | null;
  failing_since: Date | null;
  last_success_at: Date | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

const toWebhook = (r: EndpointRow): Webhook => ({
  webhook_id: r.webhook_id,
  url: r.url,
  description: r.description,
  event_types: r.event_types,
  enabled: r.enabled,
  disabled_reason: r.disabled_reason,
  disabled_at: iso(r.disabled_at),
  failing_since: iso(r.failing_since),
  last_success_at: iso(r.last_success_at),
  previous_secret_expires_at: iso(r.previous_secret_expires_at),
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});

/** Counts the tenant's endpoints, serialising creations so two at once cannot pass the limit. */
export async function countEndpoints(db: Queryable, tenantId: string) {
  await db.query('select pg_advisory_xact_lock(hashtextextended($1, 7461009))', [`webhooks:${tenantId}`]);
  const { rows } = await db.query<{ n: number }>(
    'select count(*)::int as n from webhook_endpoints where tenant_id = $1',
    [tenantId],
  );
  return rows[0]!.n;
}

export async function insertEndpoint(
  db: Queryable,
  tenantId: string,
  e: {
    webhook_id: string;
    url: string;
    description: string;
    event_types: string[];
    enabled: boolean;
    secret: string;
  },
) {
  const { rows } = await db.query<EndpointRow>(
    `insert into webhook_endpoints (tenant_id, webhook_id, url, description, event_types, enabled, secret,
       disabled_reason, disabled_at)
     values ($1, $2, $3, $4, $5, $6, $7, case when $6 then null else 'disabled when created' end,
       case when $6 then null else now() end)
     returning ${ENDPOINT_COLUMNS}`,
    [tenantId, e.webhook_id, e.url, e.description, e.event_types, e.enabled, e.secret],
  );
  return toWebhook(rows[0]!);
}

// Not FOR UPDATE: that also blocks the key-share lock a delivery row's foreign key takes, so a
// request holding the endpoint while it writes deliveries could deadlock with the consumer
// inserting deliveries for the same endpoint. Changes here never touch the endpoint's key.
const ENDPOINT_LOCK = 'for no key update';

export async function findEndpoint(db: Queryable, tenantId: string, webhookId: string, lock = false) {
  const { rows } = await db.query<EndpointRow>(
    `select ${ENDPOINT_COLUMNS} from webhook_endpoints where tenant_id = $1 and webhook_id = $2
     ${lock ? ENDPOINT_LOCK : ''}`,
    [tenantId, webhookId],
  );
  return rows[0] ? toWebhook(rows[0]) : undefined;
}

export async function listEndpoints(
  db: Queryable,
  tenantId: string,
  filter: { enabled?: boolean | undefined },
  after: string | undefined,
  limit: number,
) {
  const { rows } = await db.query<EndpointRow>(
    `select ${ENDPOINT_COLUMNS} from webhook_endpoints
     where tenant_id = $1 and ($2::boolean is null or enabled = $2) and ($3::text is null or webhook_id < $3)
     order by webhook_id desc limit $4`,
    [tenantId, filter.enabled ?? null, after ?? null, limit],
  );
  return rows.map(toWebhook);
}

export async function updateEndpoint(
  db: Queryable,
  tenantId: string,
  webhookId: string,
  c: { url?: string | undefined; description?: string | undefined; event_types?: string[] | undefined },
) {
  const { rows } = await db.query<EndpointRow>(
    `update webhook_endpoints set url = coalesce($3, url), description = coalesce($4, description),
       event_types = coalesce($5, event_types), updated_at = now()
     where tenant_id = $1 and webhook_id = $2 returning ${ENDPOINT_COLUMNS}`,
    [tenantId, webhookId, c.url ?? null, c.description ?? null, c.event_types ?? null],
  );
  return rows[0] ? toWebhook(rows[0]) : undefined;
}

/** Enabling clears the reason and the failure streak; disabling records why. */
export async function setEnabled(
  db: Queryable,
  tenantId: string,
  webhookId: string,
  enabled: boolean,
  reason: string | null,
) {
  const { rows } = await db.query<EndpointRow>(
    `update webhook_endpoints set enabled = $3,
       disabled_reason = case when $3 then null else $4 end,
       disabled_at = case when $3 then null else now() end,
       failing_since = case when $3 then null else failing_since end,
       updated_at = now()
     where tenant_id = $1 and webhook_id = $2 returning ${ENDPOINT_COLUMNS}`,
    [tenantId, webhookId, enabled, reason],
  );
  return rows[0] ? toWebhook(rows[0]) : undefined;
}

export async function rotateSecret(
  db: Queryable,
  tenantId: string,
  webhookId: string,
  secret: string,
  previous_expires_in_s: number,
) {
  const { rows } = await db.query<EndpointRow>(
    `update webhook_endpoints set previous_secret = case when $4 > 0 then secret end,
       previous_secret_expires_at = case when $4 > 0 then now() + make_interval(secs => $4) end,
       secret = $3, updated_at = now()
     where tenant_id = $1 and webhook_id = $2 returning ${ENDPOINT_COLUMNS}`,
    [tenantId, webhookId, secret, previous_expires_in_s],
  );
  return rows[0] ? toWebhook(rows[0]) : undefined;
}

export async function deleteEndpoint(db: Queryable, tenantId: string, webhookId: string) {
  const res = await db.query('delete from webhook_endpoints where tenant_id = $1 and webhook_id = $2', [
    tenantId,
    webhookId,
  ]);
  return (res.rowCount ?? 0) > 0;
}

/** What a delivery attempt needs: where, and the secrets that currently sign. Never leaves the server. */
export async function sendingInfo(db: Queryable, tenantId: string, webhookId: string) {
  const { rows } = await db.query<{
    url: string;
    enabled: boolean;
    secrets: string[];
    allow_private: boolean;
  }>(
    `select w.url, w.enabled,
       array_remove(array[w.secret, case when w.previous_secret_expires_at > now() then w.previous_secret end], null)
         as secrets,
       coalesce(s.allow_private_webhook_urls, false) as allow_private
     from webhook_endpoints w left join webhook_settings s on s.tenant_id = w.tenant_id
     where w.tenant_id = $1 and w.webhook_id = $2`,
    [tenantId, webhookId],
  );
  return rows[0];
}

/** Every enabled endpoint of these tenants, for matching a batch of events. */
export async function enabledEndpoints(db: Queryable, tenantIds: string[]) {
  const { rows } = await db.query<{
    tenant_id: string;
    webhook_id: string;
    event_types: string[];
    created_at: Date;
  }>(
    `select tenant_id, webhook_id, event_types, created_at from webhook_endpoints
     where tenant_id = any($1) and enabled`,
    [tenantIds],
  );
  return rows;
}

/** Locks endpoints in one fixed order (tenant, webhook id), for a batch touching several. */
export async function lockEndpoints(
  db: Queryable,
  keys: readonly { tenant_id: string; webhook_id: string }[],
) {
  if (keys.length === 0) return;
  await db.query(
    `select 1 from webhook_endpoints
     where (tenant_id, webhook_id) in (select * from unnest($1::text[], $2::text[]))
     order by tenant_id, webhook_id ${ENDPOINT_LOCK}`,
    [keys.map((k) => k.tenant_id), keys.map((k) => k.webhook_id)],
  );
}

/**
 * Raises the seq each endpoint's drain was asked for and marks its drain open, in one statement;
 * returns the endpoints that took it (the others are gone or disabled) and whether their drain
 * was open already. The endpoints are locked by the caller (lockEndpoints), so `o` is the row as
 * it was before this update.
 */
export async function requestDrains(
  db: Queryable,
  asks: readonly { tenant_id: string; webhook_id: string; seq: number }[],
) {
  if (asks.length === 0) return [];
  const { rows } = await db.query<{ tenant_id: string; webhook_id: string; was_open: boolean }>(
    `update webhook_endpoints w set drain_requested_seq = greatest(w.drain_requested_seq, a.seq),
       drain_open = true
     from unnest($1::text[], $2::text[], $3::bigint[]) as a(tenant_id, webhook_id, seq), webhook_endpoints o
     where w.tenant_id = a.tenant_id and w.webhook_id = a.webhook_id and w.enabled
       and o.tenant_id = w.tenant_id and o.webhook_id = w.webhook_id
     returning w.tenant_id, w.webhook_id, o.drain_open as was_open`,
    [asks.map((a) => a.tenant_id), asks.map((a) => a.webhook_id), asks.map((a) => a.seq)],
  );
  return rows;
}

/** The endpoint's drain ends: the next delivery created for it starts one. */
export async function closeDrain(db: Queryable, tenantId: string, webhookId: string) {
  await db.query(
    'update webhook_endpoints set drain_open = false where tenant_id = $1 and webhook_id = $2 and drain_open',
    [tenantId, webhookId],
  );
}

/** The endpoint's state as a drain sees it, locked so recording an attempt is serialised. */
export async function endpointState(db: Queryable, tenantId: string, webhookId: string, lock: boolean) {
  const { rows } = await db.query<{
    enabled: boolean;
    drain_requested_seq: number;
    failing_since: Date | null;
    now: Date;
  }>(
    `select enabled, drain_requested_seq, failing_since, clock_timestamp() as now from webhook_endpoints
     where tenant_id = $1 and webhook_id = $2 ${lock ? ENDPOINT_LOCK : ''}`,
    [tenantId, webhookId],
  );
  return rows[0];
}

const LAST_SUCCESS_RESOLUTION_MS = 1000;

/**
 * Ends a failure streak and notes the success. While an endpoint keeps succeeding its row is
 * written at most every LAST_SUCCESS_RESOLUTION_MS: a row this update skips is not locked, so a
 * drain recording successes does not queue behind the consumer holding the endpoint.
 */
export async function markEndpointSucceeded(db: Queryable, tenantId: string, webhookId: string) {
  await db.query(
    `update webhook_endpoints set failing_since = null, last_success_at = clock_timestamp()
     where tenant_id = $1 and webhook_id = $2
       and (failing_since is not null or last_success_at is null
         or last_success_at < clock_timestamp() - make_interval(secs => $3::integer / 1000.0))`,
    [tenantId, webhookId, LAST_SUCCESS_RESOLUTION_MS],
  );
}

export async function markEndpointFailing(db: Queryable, tenantId: string, webhookId: string, since: Date) {
  await db.query(
    `update webhook_endpoints set failing_since = coalesce(failing_since, $3)
     where tenant_id = $1 and webhook_id = $2`,
    [tenantId, webhookId, since],
  );
}
