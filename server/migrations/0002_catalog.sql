-- Catalog: products, bundles (a bill of materials over products), and the SKUs that name them.
-- A SKU is the merchant's own identifier, appears in URLs and never changes once created. SKUs
-- are ASCII and compared byte by byte (collate "C"): the same order and equality whatever the
-- database's locale, and the same order as JavaScript's.

-- One row per SKU of a tenant, whatever it names: a SKU is a product or a bundle, never both.
-- Products and bundles reference their row with their kind, so the database enforces it.
create table catalog_skus (
  tenant_id   text not null references tenants (tenant_id),
  sku         text collate "C" not null check (sku ~ '^[A-Za-z0-9._-]{1,64}$'),
  kind        text not null check (kind in ('product', 'bundle')),
  created_at  timestamptz not null default now(),
  primary key (tenant_id, sku),
  unique (tenant_id, sku, kind)
);

create table products (
  tenant_id            text not null references tenants (tenant_id),
  sku                  text collate "C" not null,
  kind                 text not null default 'product' check (kind = 'product'),
  product_id           text not null,
  name                 text not null,
  description          text,
  weight_lb            numeric not null check (weight_lb >= 0),
  length_in            numeric check (length_in > 0),
  width_in             numeric check (width_in > 0),
  height_in            numeric check (height_in > 0),
  unit_cost            numeric(12, 2) not null check (unit_cost >= 0),
  price                numeric(12, 2) not null check (price >= 0),
  currency             text not null check (currency ~ '^[A-Z]{3}$'),
  barcode              text,
  tags                 text[] not null default '{}',
  -- Returns refuse final-sale items.
  final_sale           boolean not null default false,
  -- Inventory raises inventory.low_stock when sellable falls to this.
  low_stock_threshold  integer check (low_stock_threshold >= 0),
  active               boolean not null default true,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  primary key (tenant_id, sku),
  unique (tenant_id, product_id),
  foreign key (tenant_id, sku, kind) references catalog_skus (tenant_id, sku, kind),
  -- Carriers rate on all three dimensions or on weight alone.
  check ((length_in is null) = (width_in is null) and (width_in is null) = (height_in is null))
);
create unique index products_tenant_barcode on products (tenant_id, barcode) where barcode is not null;
create index products_tenant_tags on products using gin (tags);

create table bundles (
  tenant_id   text not null references tenants (tenant_id),
  sku         text collate "C" not null,
  kind        text not null default 'bundle' check (kind = 'bundle'),
  name        text not null,
  price       numeric(12, 2) not null check (price >= 0),
  currency    text not null check (currency ~ '^[A-Z]{3}$'),
  active      boolean not null default true,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, sku),
  foreign key (tenant_id, sku, kind) references catalog_skus (tenant_id, sku, kind)
);

-- A bundle's sellable quantity is computed from these, never stored.
create table bundle_components (
  tenant_id      text not null,
  bundle_sku     text collate "C" not null,
  component_sku  text collate "C" not null,
  quantity       integer not null check (quantity > 0),
  primary key (tenant_id, bundle_sku, component_sku),
  foreign key (tenant_id, bundle_sku) references bundles (tenant_id, sku),
  -- Components are products: a bundle is not in products, so it cannot be a component.
  foreign key (tenant_id, component_sku) references products (tenant_id, sku)
);
-- Inventory asks which bundles contain a SKU whenever that SKU's stock changes.
create index bundle_components_component on bundle_components (tenant_id, component_sku);
