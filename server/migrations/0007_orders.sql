-- Orders: what customers bought, where each unit is reserved, and everything that happened to it.
-- An order's status is derived from its lines' counters and its flags (hold, release, failure),
-- so it can never disagree with them; every change also writes an order_events row.

create extension if not exists pg_trgm;

-- Per-tenant human order numbers from one global sequence: a per-tenant counter row would be a hot
-- row every concurrent capture of the tenant queues on.
create sequence orderly_system.order_number_seq start 1001;

create table orders (
  tenant_id               text not null,
  order_id                text not null,
  order_number            bigint not null default nextval('orderly_system.order_number_seq'),
  channel                 text not null,
  channel_order_id        text not null,
  order_type              text not null check (order_type in ('standard', 'pre_order', 'backorder', 'subscription')),
  status                  text not null,
  -- why the order is in a failure state (routing_failed, allocation_failed)
  failure                 text check (failure in ('routing_failed', 'allocation_failed')),
  failure_reason          text,
  hold_reason             text,
  released_at             timestamptz,
  customer                jsonb not null,
  customer_name           text not null default '',
  customer_email          text not null default '',
  shipping_address        jsonb not null,
  billing_address         jsonb,
  currency                text not null,
  service_level           text not null,
  shipping_method         text,
  shipping                numeric(14, 2) not null default 0,
  totals                  jsonb not null,
  refund_due              numeric(14, 2) not null default 0,
  notes                   text,
  gift_message            text,
  tags                    text[] not null default '{}',
  replacement_for         text,
  subscription_id         text,
  -- pre-orders: the day the product is released; nothing is allocated before it
  release_date            date,
  -- every location holding or having shipped a unit of the order, for the location filter
  location_ids            text[] not null default '{}',
  -- the latest promised delivery date among units still to ship; null when nothing is allocated
  promised_delivery_date  date,
  placed_at               timestamptz not null,
  created_at              timestamptz not null default now(),
  updated_at              timestamptz not null default now(),
  primary key (tenant_id, order_id)
);
-- A channel's order is captured once: a repeated capture finds this row and returns it.
create unique index orders_channel_order on orders (tenant_id, channel, channel_order_id);
create unique index orders_number on orders (tenant_id, order_number);
-- Lists are newest first, filtered by tenant and usually one or two of these columns.
create index orders_placed on orders (tenant_id, placed_at desc, order_id desc);
create index orders_status on orders (tenant_id, status, placed_at desc, order_id desc);
create index orders_channel on orders (tenant_id, channel, placed_at desc, order_id desc);
create index orders_email on orders (tenant_id, lower(customer_email));
create index orders_name_trgm on orders using gin (customer_name gin_trgm_ops);
create index orders_tags on orders using gin (tags);
create index orders_locations on orders using gin (location_ids);
create index orders_late on orders (tenant_id, promised_delivery_date)
  where promised_delivery_date is not null;
create index orders_subscription on orders (tenant_id, subscription_id) where subscription_id is not null;

-- Each line's units are split into counters that always add up:
--   quantity = open + cancelled + shipped, where open units are allocated or backordered.
-- allocated is derived from order_allocations (whole units: every component of a bundle unit).
create table order_lines (
  tenant_id    text not null,
  order_id     text not null,
  line_no      integer not null,
  sku          text not null,
  quantity     integer not null check (quantity > 0),
  unit_price   numeric(14, 2) not null check (unit_price >= 0),
  discount     numeric(14, 2) not null default 0 check (discount >= 0),
  tax          numeric(14, 2) not null default 0 check (tax >= 0),
  allocated    integer not null default 0 check (allocated >= 0),
  backordered  integer not null default 0 check (backordered >= 0),
  cancelled    integer not null default 0 check (cancelled >= 0),
  shipped      integer not null default 0 check (shipped >= 0),
  delivered    integer not null default 0 check (delivered >= 0 and delivered <= shipped),
  returned     integer not null default 0 check (returned >= 0 and returned <= shipped),
  -- what cancelling has taken off the line so far (pro-rata discount and tax included)
  refunded     numeric(14, 2) not null default 0,
  check (allocated + backordered + cancelled + shipped = quantity),
  primary key (tenant_id, order_id, line_no),
  foreign key (tenant_id, order_id) references orders (tenant_id, order_id)
);
create index order_lines_sku on order_lines (tenant_id, sku, order_id);
-- Backorder release reads the oldest lines waiting for a SKU.
create index order_lines_backordered on order_lines (tenant_id, sku) where backordered > 0;

-- Where each line's (component) units are reserved: one row per reservation line share.
create table order_allocations (
  tenant_id       text not null,
  order_id        text not null,
  line_no         integer not null,
  sku             text not null,
  location_id     text not null,
  reservation_id  text not null,
  quantity        integer not null check (quantity >= 0),
  routing_no      integer not null,
  service_id      text not null,
  service_level   text not null,
  ship_date       date not null,
  delivery_date   date not null,
  primary key (tenant_id, order_id, line_no, sku, location_id, reservation_id),
  foreign key (tenant_id, order_id) references orders (tenant_id, order_id)
);

-- The routing log: every plan an order was given, with its explanation, by whom and why.
create table order_routings (
  tenant_id       text not null,
  order_id        text not null,
  routing_no      integer not null,
  trigger         text not null,
  reason          text,
  plan            jsonb not null,
  reservation_id  text,
  attempts        integer not null,
  actor           jsonb not null,
  created_at      timestamptz not null default now(),
  primary key (tenant_id, order_id, routing_no),
  foreign key (tenant_id, order_id) references orders (tenant_id, order_id)
);

-- The audit trail. Written in the same transaction as the change it records.
create sequence orderly_system.order_event_seq;
create table order_events (
  tenant_id    text not null,
  order_id     text not null,
  id           bigint not null default nextval('orderly_system.order_event_seq'),
  type         text not null,
  from_status  text,
  to_status    text,
  actor        jsonb not null,
  note         text,
  data         jsonb,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, order_id, id),
  foreign key (tenant_id, order_id) references orders (tenant_id, order_id)
);

-- Order settings per tenant (backorder policy, service levels per channel shipping method).
create table order_settings (
  tenant_id   text not null primary key,
  settings    jsonb not null,
  updated_at  timestamptz not null default now()
);

-- Subscriptions: a template order placed every cycle by a scheduled workflow. Each cycle's order
-- has channel order id `<subscription_id>:<cycle>`, so a replayed cycle finds its order.
create table subscriptions (
  tenant_id        text not null,
  subscription_id  text not null,
  status           text not null check (status in ('active', 'paused', 'cancelled')),
  interval_count   integer not null check (interval_count > 0),
  interval_unit    text not null check (interval_unit in ('day', 'week', 'month')),
  template         jsonb not null,
  cycles_placed    integer not null default 0,
  skip_next        boolean not null default false,
  next_run_at      timestamptz not null,
  actor            jsonb not null,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, subscription_id)
);
create index subscriptions_due on subscriptions (next_run_at) where status = 'active';

-- Event consumers inside Orderly (backorder release, webhooks): how far each has read.
create table orderly_system.event_consumers (
  name        text primary key,
  last_seq    bigint not null default 0,
  updated_at  timestamptz not null default now()
);
