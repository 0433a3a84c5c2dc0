-- Outbound webhooks: endpoints a tenant subscribes, one delivery per (endpoint, event), and the log
-- of every attempt. Deliveries are created by the `webhooks` event consumer in the transaction that
-- moves its cursor, and drained per endpoint in seq order by a durable workflow
-- (server/src/modules/webhooks/workflows.ts).

-- Per tenant; a missing row means the defaults.
create table webhook_settings (
  tenant_id                   text primary key references tenants (tenant_id),
  -- lets endpoints target loopback, private and link-local addresses (never this server itself)
  allow_private_webhook_urls  boolean not null default false,
  updated_at                  timestamptz not null default now()
);

create table webhook_endpoints (
  tenant_id                   text not null references tenants (tenant_id),
  webhook_id                  text not null,
  url                         text not null,
  description                 text not null default '',
  -- exact types, prefixes ending in `.*`, or `*` for every event
  event_types                 text[] not null,
  enabled                     boolean not null default true,
  disabled_reason             text,
  disabled_at                 timestamptz,
  -- `whsec_…`: needed to sign, so kept as is (like any HMAC key); never returned after creation
  secret                      text not null,
  -- after a rotation the old secret signs too, until it expires, so receivers can switch over
  previous_secret             text,
  previous_secret_expires_at  timestamptz,
  -- the first failed attempt since the last success; null while healthy
  failing_since               timestamptz,
  last_success_at             timestamptz,
  -- the highest event seq a drain was started for; a drain waits until it sees its own, which
  -- tells it that the consumer transaction that started it has committed
  drain_requested_seq         bigint not null default 0,
  created_at                  timestamptz not null default now(),
  updated_at                  timestamptz not null default now(),
  primary key (tenant_id, webhook_id)
);
-- The consumer looks up every enabled endpoint of the tenants in its batch.
create index webhook_endpoints_enabled on webhook_endpoints (tenant_id) where enabled;

create table webhook_deliveries (
  tenant_id         text not null,
  webhook_id        text not null,
  delivery_id       text not null,
  event_id          text not null,
  event_seq         bigint not null,
  event_type        text not null,
  status            text not null check (status in ('pending', 'delivering', 'succeeded', 'failed', 'cancelled')),
  -- every attempt ever made, redeliveries included
  attempts          integer not null default 0 check (attempts >= 0),
  -- attempts in the current round of retries (the backoff grows with it)
  round_attempts    integer not null default 0 check (round_attempts >= 0),
  next_attempt_at   timestamptz not null default now(),
  -- the first attempt of the current round of retries (a redelivery starts a new round)
  retry_started_at  timestamptz,
  last_attempt_at   timestamptz,
  response_status   integer,
  latency_ms        integer,
  last_error        text,
  completed_at      timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  primary key (tenant_id, delivery_id),
  foreign key (tenant_id, webhook_id) references webhook_endpoints (tenant_id, webhook_id) on delete cascade
);
-- One delivery per (endpoint, event): a seq names exactly one event, and a batch the consumer
-- reads twice, or a replay that overlaps it, finds the row already there.
create unique index webhook_deliveries_event on webhook_deliveries (tenant_id, webhook_id, event_seq);
-- The drain's queue: an endpoint's open deliveries, oldest event first.
create index webhook_deliveries_open on webhook_deliveries (tenant_id, webhook_id, event_seq)
  where status in ('pending', 'delivering');
-- The delivery log filtered by status, newest event first.
create index webhook_deliveries_status on webhook_deliveries (tenant_id, webhook_id, status, event_seq desc);

create table webhook_attempts (
  tenant_id        text not null,
  delivery_id      text not null,
  attempt          integer not null check (attempt > 0),
  started_at       timestamptz not null,
  succeeded        boolean not null,
  response_status  integer,
  latency_ms       integer not null,
  error            text,
  primary key (tenant_id, delivery_id, attempt),
  foreign key (tenant_id, delivery_id) references webhook_deliveries (tenant_id, delivery_id) on delete cascade
);
