-- Fulfillment and returns.
--
-- An allocation row is where some of a line's (component) units are: `quantity` still reserved,
-- `shipped` posted out to the customer, `delivered` of those delivered. A released order's rows
-- name the fulfillment order that picks them; `picked` rows can no longer be cancelled.
alter table order_allocations
  add column shipped integer not null default 0 check (shipped >= 0),
  add column delivered integer not null default 0 check (delivered >= 0 and delivered <= shipped),
  add column fulfillment_order_id text,
  add column picked boolean not null default false;
create index order_allocations_fulfillment on order_allocations (tenant_id, fulfillment_order_id)
  where fulfillment_order_id is not null;

-- Set by the at-risk sweep: 'late' (a fulfillment order misses its cut-off) or 'at_risk' (tracking
-- says the promised date will be missed), with why.
alter table orders add column risk text check (risk in ('late', 'at_risk')), add column risk_reason text;
create index orders_at_risk on orders (tenant_id, placed_at desc, order_id desc) where risk is not null;

-- One per location of a released order (or consolidation group). Its items are the allocation
-- rows that name it; its status follows the steps below and what its items say.
create table fulfillment_orders (
  tenant_id             text not null,
  fulfillment_order_id  text not null,
  location_id           text not null,
  order_ids             text[] not null,
  consolidation_group   text,
  status                text not null check (status in
                          ('pending', 'assigned', 'picking', 'packed', 'shipped', 'delivered', 'failed', 'cancelled')),
  picking_method        text not null check (picking_method in ('single', 'batch', 'wave', 'zone')),
  priority              text not null check (priority in ('urgent', 'normal')),
  service_level         text not null,
  ship_by               date not null,
  promised_delivery_date date not null,
  failure_reason        text,
  -- the at-risk sweep's verdict: 'late' (misses today's cut-off) or 'at_risk' (tracking says late)
  risk                  text check (risk in ('late', 'at_risk')),
  risk_reason           text,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  primary key (tenant_id, fulfillment_order_id)
);
create index fulfillment_orders_queue on fulfillment_orders (tenant_id, location_id, status, ship_by);
create index fulfillment_orders_orders on fulfillment_orders using gin (order_ids);
create index fulfillment_orders_open on fulfillment_orders (ship_by)
  where status in ('pending', 'assigned', 'picking', 'packed');

create table shipments (
  tenant_id             text not null,
  shipment_id           text not null,
  fulfillment_order_id  text not null,
  location_id           text not null,
  order_ids             text[] not null,
  carrier               text not null,
  service               text not null,
  tracking_numbers      text[] not null,
  packages              jsonb not null,
  -- what it carries: [{order_id, line_no, sku, reservation_id, quantity}]
  items                 jsonb not null,
  status                text not null check (status in ('shipped', 'in_transit', 'out_for_delivery', 'delivered', 'exception')),
  estimated_delivery_date date,
  shipped_at            timestamptz not null,
  delivered_at          timestamptz,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  primary key (tenant_id, shipment_id),
  foreign key (tenant_id, fulfillment_order_id) references fulfillment_orders (tenant_id, fulfillment_order_id)
);
create index shipments_fulfillment_order on shipments (tenant_id, fulfillment_order_id);
create index shipments_orders on shipments using gin (order_ids);
create unique index shipments_tracking on shipments (tenant_id, carrier, (tracking_numbers[1]));
create index shipments_open on shipments (tenant_id, updated_at) where status not in ('delivered');

create table shipment_tracking (
  tenant_id     text not null,
  shipment_id   text not null,
  status        text not null,
  occurred_at   timestamptz not null,
  description   text not null default '',
  location      text,
  estimated_delivery_date date,
  source        text not null,
  created_at    timestamptz not null default now(),
  primary key (tenant_id, shipment_id, occurred_at, status),
  foreign key (tenant_id, shipment_id) references shipments (tenant_id, shipment_id)
);

-- Fulfillment settings per tenant: packing slip branding, auto-assignment.
create table fulfillment_settings (
  tenant_id   text not null primary key,
  settings    jsonb not null,
  updated_at  timestamptz not null default now()
);

-- Returns (RMAs). Lines are in order-line units; a bundle comes back as its components.
create table returns (
  tenant_id        text not null,
  return_id        text not null,
  order_id         text not null,
  status           text not null check (status in
                     ('requested', 'approved', 'rejected', 'received', 'refunded', 'closed', 'cancelled')),
  reason           text not null,
  resolution       text not null check (resolution in ('refund', 'exchange', 'refund_and_exchange')),
  -- the last day (tenant's calendar) the return could be requested
  deadline         date,
  note             text,
  -- [{line_no, sku, quantity, reason, received: {restock, quarantine, damaged, missing} | null}]
  lines            jsonb not null,
  return_location_id text,
  label            jsonb,
  refund           jsonb,
  exchange_order_id text,
  received_location_id text,
  rejection_reason text,
  refund_id        text,
  actor            jsonb not null,
  requested_at     timestamptz not null,
  approved_at      timestamptz,
  received_at      timestamptz,
  closed_at        timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (tenant_id, return_id)
);
create index returns_order on returns (tenant_id, order_id);
create index returns_status on returns (tenant_id, status, created_at desc);

create table return_settings (
  tenant_id   text not null primary key,
  settings    jsonb not null,
  updated_at  timestamptz not null default now()
);
