-- Network: locations that ship, their precomputed zones, and carriers with their services.
-- Structured settings the planner reads whole (address, cut-offs, calendars, tables) are jsonb in
-- the same snake_case shape as the API; what is filtered or constrained on is a column.

create table locations (
  tenant_id             text not null references tenants (tenant_id),
  location_id           text not null,
  name                  text not null,
  type                  text not null check (type in ('warehouse', 'store', '3pl', 'dropship_supplier')),
  address               jsonb not null,
  latitude              double precision not null check (latitude between -90 and 90),
  longitude             double precision not null check (longitude between -180 and 180),
  time_zone             text not null,
  cutoffs               jsonb not null,
  processing_days       integer not null check (processing_days >= 0),
  holiday_calendar      jsonb,
  daily_order_capacity  integer check (daily_order_capacity > 0),
  active                boolean not null,
  service_regions       jsonb not null,
  fulfillment_cost      jsonb not null,
  picking_method        text not null check (picking_method in ('single', 'batch', 'wave', 'zone')),
  inventory_type        text not null check (inventory_type in ('owned', 'dropship', 'jit')),
  accepts_returns       boolean not null,
  external_ref          text,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  primary key (tenant_id, location_id)
);
create unique index locations_external_ref on locations (tenant_id, external_ref) where external_ref is not null;

-- Zone and distance from a location to every US ZIP3, written whenever its address changes so a
-- lookup is one key read. About 900 rows per US location; none for a location outside the US.
create table location_zones (
  tenant_id       text not null,
  location_id     text not null,
  zip3            text not null,
  zone            smallint not null check (zone between 1 and 8),
  distance_miles  double precision not null,
  primary key (tenant_id, location_id, zip3),
  foreign key (tenant_id, location_id) references locations (tenant_id, location_id) on delete cascade
);

create table carriers (
  tenant_id   text not null references tenants (tenant_id),
  carrier_id  text not null,
  name        text not null,
  code        text not null,
  holidays    jsonb not null,
  active      boolean not null,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, carrier_id)
);
create unique index carriers_code on carriers (tenant_id, lower(code));

create table carrier_services (
  tenant_id             text not null,
  service_id            text not null,
  carrier_id            text not null,
  name                  text not null,
  code                  text not null,
  service_level         text not null check (service_level in ('same_day', 'overnight', 'two_day', 'ground', 'economy')),
  transit_days_by_zone  jsonb not null,
  delivery_weekdays     jsonb not null,
  dim_divisor           integer not null check (dim_divisor > 0),
  rate_table            jsonb not null,
  currency              text not null,
  active                boolean not null,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  primary key (tenant_id, service_id),
  foreign key (tenant_id, carrier_id) references carriers (tenant_id, carrier_id)
);
create unique index carrier_services_code on carrier_services (tenant_id, carrier_id, lower(code));
create index carrier_services_carrier on carrier_services (tenant_id, carrier_id, service_id);
