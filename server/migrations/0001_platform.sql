-- Platform: tenants, people and keys, idempotent requests, and the event outbox.
-- Every tenant table leads its key with tenant_id so the schema can be distributed by tenant.

create table tenants (
  tenant_id   text primary key,
  name        text not null,
  settings    jsonb not null default '{}',
  created_at  timestamptz not null default now()
);

create table users (
  tenant_id      text not null references tenants (tenant_id),
  user_id        text not null,
  email          text not null,
  name           text not null,
  role           text not null check (role in ('admin', 'manager', 'support')),
  password_hash  text not null,
  disabled_at    timestamptz,
  created_at     timestamptz not null default now(),
  primary key (tenant_id, user_id)
);
create unique index users_tenant_email on users (tenant_id, lower(email));
-- Sign-in looks a person up by email alone.
create index users_email on users (lower(email));

create table sessions (
  tenant_id    text not null references tenants (tenant_id),
  session_id   text not null,
  user_id      text not null,
  token_hash   text not null unique,
  expires_at   timestamptz not null,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, session_id),
  foreign key (tenant_id, user_id) references users (tenant_id, user_id)
);

create table api_keys (
  tenant_id     text not null references tenants (tenant_id),
  api_key_id    text not null,
  name          text not null,
  role          text not null check (role in ('admin', 'manager', 'support')),
  key_prefix    text not null,
  key_hash      text not null unique,
  created_by    text,
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  created_at    timestamptz not null default now(),
  primary key (tenant_id, api_key_id)
);

-- A POST with an Idempotency-Key is stored in the same transaction as the change it made.
create table idempotency_keys (
  tenant_id        text not null references tenants (tenant_id),
  idempotency_key  text not null,
  request_hash     text not null,
  method           text not null,
  path             text not null,
  response_status  integer not null,
  response_body    text not null,
  created_at       timestamptz not null default now(),
  primary key (tenant_id, idempotency_key)
);
create index idempotency_keys_created on idempotency_keys (created_at);

-- The outbox. An event is inserted without a sequence number in the transaction that made the
-- change; the sequencer numbers committed events in one serialised step, so a reader that has
-- seen number N can never later find a committed event with a lower number.
create table events (
  tenant_id   text not null references tenants (tenant_id),
  event_id    text not null,
  seq         bigint,
  type        text not null,
  subject     text not null,
  data        jsonb not null,
  actor       jsonb not null,
  created_at  timestamptz not null default now(),
  primary key (tenant_id, event_id)
);
create unique index events_tenant_seq on events (tenant_id, seq) where seq is not null;
create index events_unsequenced on events (event_id) where seq is null;

create sequence orderly_system.event_seq;

create function orderly_system.sequence_events(wait boolean) returns integer
language plpgsql as $$
declare
  numbered integer;
begin
  if wait then
    perform pg_advisory_xact_lock(7461002);
  elsif not pg_try_advisory_xact_lock(7461002) then
    return 0;
  end if;
  with pending as materialized (
    select tenant_id, event_id from events where seq is null order by event_id limit 5000 for update
  ), numbered_events as (
    select tenant_id, event_id, nextval('orderly_system.event_seq') as seq from pending
  )
  update events e set seq = n.seq
  from numbered_events n
  where e.tenant_id = n.tenant_id and e.event_id = n.event_id;
  get diagnostics numbered = row_count;
  return numbered;
end $$;

-- Processes that run workflows say they are alive here; /health reads it.
create table orderly_system.workers (
  executor_id   text primary key,
  role          text not null,
  hostname      text not null,
  pid           integer not null,
  started_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now()
);
