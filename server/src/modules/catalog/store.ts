import { prepared, type Queryable } from '../../db/pool.ts';
import type { Bundle, BundleComponent, Product, ProductFilter } from './schema.ts';

export type SkuKind = 'product' | 'bundle';
/** What a product row holds besides its keys and timestamps. */
export type ProductFields = Omit<Product, 'product_id' | 'sku' | 'created_at' | 'updated_at'>;
export type BundleFields = Pick<Bundle, 'name' | 'price' | 'currency' | 'active'>;

const toProduct = (r: Record<string, unknown>): Product => ({
  product_id: r.product_id as string,
  sku: r.sku as string,
  name: r.name as string,
  description: r.description as string | null,
  weight_lb: r.weight_lb as number,
  dimensions:
    r.length_in === null
      ? null
      : {
          length_in: r.length_in as number,
          width_in: r.width_in as number,
          height_in: r.height_in as number,
        },
  unit_cost: r.unit_cost as number,
  price: r.price as number,
  currency: r.currency as string,
  barcode: r.barcode as string | null,
  tags: r.tags as string[],
  final_sale: r.final_sale as boolean,
  low_stock_threshold: r.low_stock_threshold as number | null,
  active: r.active as boolean,
  created_at: (r.created_at as Date).toISOString(),
  updated_at: (r.updated_at as Date).toISOString(),
});

const toBundle = (r: Record<string, unknown>): Bundle => ({
  sku: r.sku as string,
  name: r.name as string,
  price: r.price as number,
  currency: r.currency as string,
  active: r.active as boolean,
  components: r.components as BundleComponent[],
  created_at: (r.created_at as Date).toISOString(),
  updated_at: (r.updated_at as Date).toISOString(),
});

const likePattern = (q: string | undefined) => (q === undefined ? null : `%${q.replace(/[\\%_]/g, '\\$&')}%`);

const productValues = (p: ProductFields) => [
  p.name,
  p.description,
  p.weight_lb,
  p.dimensions?.length_in ?? null,
  p.dimensions?.width_in ?? null,
  p.dimensions?.height_in ?? null,
  p.unit_cost,
  p.price,
  p.currency,
  p.barcode,
  p.tags,
  p.final_sale,
  p.low_stock_threshold,
  p.active,
];

/** Claims `sku` for one kind of object; answers the kind already holding it if taken. */
export async function claimSku(
  db: Queryable,
  tenantId: string,
  sku: string,
  kind: SkuKind,
): Promise<{ claimed: true } | { claimed: false; kind: SkuKind }> {
  const { rowCount } = await db.query(
    `insert into catalog_skus (tenant_id, sku, kind) values ($1, $2, $3) on conflict do nothing`,
    [tenantId, sku, kind],
  );
  if (rowCount === 1) return { claimed: true };
  const existing = await skuKinds(db, tenantId, [sku]);
  return { claimed: false, kind: existing.get(sku)! };
}

export async function skuKinds(db: Queryable, tenantId: string, skus: string[]) {
  const { rows } = await db.query<{ sku: string; kind: SkuKind }>(
    'select sku, kind from catalog_skus where tenant_id = $1 and sku = any($2)',
    [tenantId, skus],
  );
  return new Map(rows.map((r) => [r.sku, r.kind]));
}

/** Undefined when the barcode is taken (the SKU must already be claimed). */
export async function insertProduct(
  db: Queryable,
  tenantId: string,
  p: ProductFields & { product_id: string; sku: string },
) {
  const { rows } = await db.query(
    `insert into products (tenant_id, sku, product_id, name, description, weight_lb, length_in, width_in,
       height_in, unit_cost, price, currency, barcode, tags, final_sale, low_stock_threshold, active)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
     on conflict do nothing returning *`,
    [tenantId, p.sku, p.product_id, ...productValues(p)],
  );
  return rows[0] ? toProduct(rows[0]) : undefined;
}

export async function updateProduct(db: Queryable, tenantId: string, sku: string, p: ProductFields) {
  const { rows } = await db.query(
    `update products set name = $3, description = $4, weight_lb = $5, length_in = $6, width_in = $7,
       height_in = $8, unit_cost = $9, price = $10, currency = $11, barcode = $12, tags = $13,
       final_sale = $14, low_stock_threshold = $15, active = $16, updated_at = now()
     where tenant_id = $1 and sku = $2 returning *`,
    [tenantId, sku, ...productValues(p)],
  );
  return toProduct(rows[0]);
}

export async function findProduct(db: Queryable, tenantId: string, sku: string, lock = false) {
  const { rows } = await db.query(
    `select * from products where tenant_id = $1 and sku = $2${lock ? ' for update' : ''}`,
    [tenantId, sku],
  );
  return rows[0] ? toProduct(rows[0]) : undefined;
}

const selectProducts = prepared(
  'catalog.find-products',
  'select * from products where tenant_id = $1 and sku = any($2)',
);

export async function findProducts(db: Queryable, tenantId: string, skus: string[]) {
  const { rows } = await selectProducts(db, [tenantId, skus]);
  return rows.map(toProduct);
}

/** The SKU of the product holding `barcode`, other than `exceptSku`. */
export async function barcodeHolder(db: Queryable, tenantId: string, barcode: string, exceptSku: string) {
  const { rows } = await db.query<{ sku: string }>(
    'select sku from products where tenant_id = $1 and barcode = $2 and sku <> $3',
    [tenantId, barcode, exceptSku],
  );
  return rows[0]?.sku;
}

export async function listProducts(
  db: Queryable,
  tenantId: string,
  filter: ProductFilter,
  after: string | undefined,
  limit: number,
) {
  const { rows } = await db.query(
    `select * from products
     where tenant_id = $1 and ($2::text is null or sku > $2)
       and ($3::text is null or name ilike $3 or sku ilike $3 or barcode ilike $3)
       and ($4::text is null or tags @> array[$4::text])
       and ($5::boolean is null or active = $5)
     order by sku limit $6`,
    [tenantId, after ?? null, likePattern(filter.q), filter.tag ?? null, filter.active ?? null, limit],
  );
  return rows.map(toProduct);
}

// Components ride along as one JSON array so a bundle, or many, is read in one query.
const BUNDLE_SELECT = `select b.*, coalesce((
    select json_agg(json_build_object('sku', c.component_sku, 'quantity', c.quantity) order by c.component_sku)
    from bundle_components c where c.tenant_id = b.tenant_id and c.bundle_sku = b.sku), '[]') as components
  from bundles b`;

export async function insertBundle(db: Queryable, tenantId: string, b: BundleFields & { sku: string }) {
  await db.query(
    `insert into bundles (tenant_id, sku, name, price, currency, active) values ($1, $2, $3, $4, $5, $6)`,
    [tenantId, b.sku, b.name, b.price, b.currency, b.active],
  );
}

export async function updateBundle(db: Queryable, tenantId: string, sku: string, b: BundleFields) {
  await db.query(
    `update bundles set name = $3, price = $4, currency = $5, active = $6, updated_at = now()
     where tenant_id = $1 and sku = $2`,
    [tenantId, sku, b.name, b.price, b.currency, b.active],
  );
}

export async function replaceComponents(
  db: Queryable,
  tenantId: string,
  bundleSku: string,
  components: BundleComponent[],
) {
  await db.query('delete from bundle_components where tenant_id = $1 and bundle_sku = $2', [
    tenantId,
    bundleSku,
  ]);
  await db.query(
    `insert into bundle_components (tenant_id, bundle_sku, component_sku, quantity)
     select $1, $2, c.sku, c.quantity from unnest($3::text[], $4::int[]) as c(sku, quantity)`,
    [tenantId, bundleSku, components.map((c) => c.sku), components.map((c) => c.quantity)],
  );
}

export async function findBundle(db: Queryable, tenantId: string, sku: string, lock = false) {
  const { rows } = await db.query(
    `${BUNDLE_SELECT} where b.tenant_id = $1 and b.sku = $2${lock ? ' for update of b' : ''}`,
    [tenantId, sku],
  );
  return rows[0] ? toBundle(rows[0]) : undefined;
}

export async function findBundles(db: Queryable, tenantId: string, skus: string[]) {
  const { rows } = await db.query(`${BUNDLE_SELECT} where b.tenant_id = $1 and b.sku = any($2)`, [
    tenantId,
    skus,
  ]);
  return rows.map(toBundle);
}

/** A SKU as planning sees it: a requested item, or a component of a requested bundle. */
export type PlanningRow = {
  sku: string;
  kind: SkuKind;
  active: boolean;
  /** Null for a bundle (its components carry the weight). */
  weight_lb: number | null;
  length_in: number | null;
  width_in: number | null;
  height_in: number | null;
  /** Set on a component: the requested bundle it belongs to, and how many per bundle. */
  bundle_sku: string | null;
  quantity: number | null;
};

// The requested SKUs (products and bundles), then each requested bundle's components with their
// products, in component SKU order: one statement where a product and a bundle read took two.
const selectPlanningRows = prepared(
  'catalog.planning-rows',
  `select s.sku, s.kind, coalesce(p.active, b.active) as active, p.weight_lb, p.length_in, p.width_in,
     p.height_in, null::text as bundle_sku, null::integer as quantity
   from catalog_skus s
   left join products p on p.tenant_id = s.tenant_id and p.sku = s.sku
   left join bundles b on b.tenant_id = s.tenant_id and b.sku = s.sku
   where s.tenant_id = $1 and s.sku = any($2)
   union all
   select p.sku, 'product', p.active, p.weight_lb, p.length_in, p.width_in, p.height_in, c.bundle_sku,
     c.quantity
   from bundle_components c join products p on p.tenant_id = c.tenant_id and p.sku = c.component_sku
   where c.tenant_id = $1 and c.bundle_sku = any($2)
   order by bundle_sku nulls first, sku`,
);

export async function planningRows(db: Queryable, tenantId: string, skus: string[]) {
  const { rows } = await selectPlanningRows<PlanningRow>(db, [tenantId, skus]);
  return rows;
}

export async function listBundles(
  db: Queryable,
  tenantId: string,
  filter: Omit<ProductFilter, 'tag'>,
  after: string | undefined,
  limit: number,
) {
  const { rows } = await db.query(
    `${BUNDLE_SELECT}
     where b.tenant_id = $1 and ($2::text is null or b.sku > $2)
       and ($3::text is null or b.name ilike $3 or b.sku ilike $3)
       and ($4::boolean is null or b.active = $4)
     order by b.sku limit $5`,
    [tenantId, after ?? null, likePattern(filter.q), filter.active ?? null, limit],
  );
  return rows.map(toBundle);
}

export async function bundlesContaining(db: Queryable, tenantId: string, componentSku: string) {
  const { rows } = await db.query<{ bundle_sku: string }>(
    `select bundle_sku from bundle_components where tenant_id = $1 and component_sku = $2 order by bundle_sku`,
    [tenantId, componentSku],
  );
  return rows.map((r) => r.bundle_sku);
}

export async function lowStockThresholds(db: Queryable, tenantId: string) {
  const { rows } = await db.query<{ sku: string; low_stock_threshold: number }>(
    'select sku, low_stock_threshold from products where tenant_id = $1 and low_stock_threshold is not null',
    [tenantId],
  );
  return rows;
}
