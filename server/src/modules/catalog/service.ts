import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError, type FieldError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { publish } from '../events/service.ts';
import type {
  Bundle,
  BundleComponent,
  CreateBundle,
  CreateProduct,
  Dimensions,
  Product,
  ProductFilter,
  UpdateBundle,
  UpdateProduct,
} from './schema.ts';
import * as store from './store.ts';

/**
 * The sellable quantity of a bundle: whole bundles the scarcest component allows. Computed, never
 * stored, so it cannot drift from the components' stock. A component with no entry counts as 0.
 */
export function bundleSellable(
  components: readonly BundleComponent[],
  sellableBySku: ReadonlyMap<string, number>,
): number {
  if (components.length === 0) return 0;
  let min = Number.POSITIVE_INFINITY;
  for (const c of components) {
    const per = Math.floor((sellableBySku.get(c.sku) ?? 0) / c.quantity);
    if (per < min) min = per;
  }
  // Stock is never negative; if a caller passes a negative number anyway, no bundle is sellable.
  return Math.max(0, min);
}

const conflict = (path: string, message: string) =>
  new AppError('conflict', message, { errors: [{ path, message }] });

function skuTaken(sku: string, kind: store.SkuKind) {
  return conflict(
    'body.sku',
    kind === 'product'
      ? `A product with SKU ${sku} already exists.`
      : `SKU ${sku} is already a bundle's SKU.`,
  );
}

function barcodeTaken(barcode: string, holder: string | undefined) {
  return conflict(
    'body.barcode',
    `Barcode ${barcode} is already used by ${holder ? `product ${holder}` : 'another product'}.`,
  );
}

/** Names of the fields whose value differs, for the `changed` list of update events. */
function changedFields<T extends object>(before: T, after: T, fields: readonly string[]) {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return fields.filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
}

// ---- products

export async function createProduct(db: Queryable, tenantId: string, actor: Actor, input: CreateProduct) {
  thresholdCache.delete(tenantId);
  const claim = await store.claimSku(db, tenantId, input.sku, 'product');
  if (!claim.claimed) throw skuTaken(input.sku, claim.kind);
  const { sku, ...fields } = input;
  const product = await store.insertProduct(db, tenantId, { ...fields, sku, product_id: newId('prd') });
  if (!product) {
    throw barcodeTaken(input.barcode!, await store.barcodeHolder(db, tenantId, input.barcode!, sku));
  }
  await publish(db, tenantId, actor, { type: 'product.created', subject: sku, data: product });
  return product;
}

export async function getProduct(db: Queryable, tenantId: string, sku: string) {
  const product = await store.findProduct(db, tenantId, sku);
  if (!product) throw notFound(`Product ${sku}`);
  return product;
}

export function listProducts(
  db: Queryable,
  tenantId: string,
  filter: ProductFilter,
  after: string | undefined,
  limit: number,
) {
  return store.listProducts(db, tenantId, filter, after, limit);
}

/** Changes the fields sent; `active: false` retires a product (products are never deleted). */
export async function updateProduct(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  sku: string,
  patch: UpdateProduct,
) {
  thresholdCache.delete(tenantId);
  const current = await store.findProduct(db, tenantId, sku, true);
  if (!current) throw notFound(`Product ${sku}`);
  const next = { ...current, ...stripUndefined(patch) };
  const changed = changedFields(current, next, Object.keys(patch));
  if (changed.length === 0) return current;
  if (changed.includes('barcode') && next.barcode !== null) {
    const holder = await store.barcodeHolder(db, tenantId, next.barcode, sku);
    if (holder) throw barcodeTaken(next.barcode, holder);
  }
  const { product_id: _i, sku: _s, created_at: _c, updated_at: _u, ...fields } = next;
  let product: Product;
  try {
    product = await store.updateProduct(db, tenantId, sku, fields);
  } catch (err) {
    // Two requests taking the same barcode at once: the unique index decides, the loser gets a 409.
    if ((err as { constraint?: string }).constraint === 'products_tenant_barcode') {
      throw barcodeTaken(next.barcode!, undefined);
    }
    throw err;
  }
  await publish(db, tenantId, actor, {
    type: 'product.updated',
    subject: sku,
    data: { ...product, changed },
  });
  return product;
}

/** Products by SKU in one query; SKUs with no product are simply absent from the map. */
export async function findProducts(
  db: Queryable,
  tenantId: string,
  skus: string[],
): Promise<Map<string, Product>> {
  if (skus.length === 0) return new Map();
  const rows = await store.findProducts(db, tenantId, [...new Set(skus)]);
  return new Map(rows.map((p) => [p.sku, p]));
}

// ---- bundles

/** Every component must name an existing product; all problems are reported at once. */
async function checkComponents(db: Queryable, tenantId: string, components: BundleComponent[]) {
  const kinds = await store.skuKinds(
    db,
    tenantId,
    components.map((c) => c.sku),
  );
  const errors: FieldError[] = [];
  components.forEach((c, i) => {
    const kind = kinds.get(c.sku);
    const path = `body.components[${i}].sku`;
    if (!kind) errors.push({ path, message: `No product has SKU ${c.sku}.` });
    else if (kind === 'bundle')
      errors.push({ path, message: `${c.sku} is a bundle; a bundle's components must be products.` });
  });
  const first = errors[0];
  if (first) throw new AppError('validation-error', `${first.path}: ${first.message}`, { errors });
}

export async function createBundle(db: Queryable, tenantId: string, actor: Actor, input: CreateBundle) {
  await checkComponents(db, tenantId, input.components);
  const claim = await store.claimSku(db, tenantId, input.sku, 'bundle');
  if (!claim.claimed) {
    throw conflict(
      'body.sku',
      claim.kind === 'bundle'
        ? `A bundle with SKU ${input.sku} already exists.`
        : `SKU ${input.sku} is already a product's SKU; a bundle needs its own.`,
    );
  }
  await store.insertBundle(db, tenantId, input);
  await store.replaceComponents(db, tenantId, input.sku, input.components);
  const bundle = (await store.findBundle(db, tenantId, input.sku))!;
  await publish(db, tenantId, actor, { type: 'bundle.created', subject: bundle.sku, data: bundle });
  return bundle;
}

export async function getBundle(db: Queryable, tenantId: string, sku: string) {
  const bundle = await store.findBundle(db, tenantId, sku);
  if (!bundle) throw notFound(`Bundle ${sku}`);
  return bundle;
}

export function listBundles(
  db: Queryable,
  tenantId: string,
  filter: Omit<ProductFilter, 'tag'>,
  after: string | undefined,
  limit: number,
) {
  return store.listBundles(db, tenantId, filter, after, limit);
}

/** Changes the fields sent; `components`, when sent, replaces the whole bill of materials. */
export async function updateBundle(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  sku: string,
  patch: UpdateBundle,
) {
  const current = await store.findBundle(db, tenantId, sku, true);
  if (!current) throw notFound(`Bundle ${sku}`);
  const next: Bundle = {
    ...current,
    ...stripUndefined(patch),
    // Stored order is by SKU; compare in that order so a reordered list is no change.
    components: (patch.components ?? current.components).toSorted((a, b) =>
      a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0,
    ),
  };
  const changed = changedFields(current, next, Object.keys(patch));
  if (changed.length === 0) return current;
  if (changed.includes('components')) {
    await checkComponents(db, tenantId, patch.components!);
    await store.replaceComponents(db, tenantId, sku, next.components);
  }
  await store.updateBundle(db, tenantId, sku, next);
  const bundle = (await store.findBundle(db, tenantId, sku))!;
  await publish(db, tenantId, actor, { type: 'bundle.updated', subject: sku, data: { ...bundle, changed } });
  return bundle;
}

/** Bundles by SKU with their components, in one query; unknown SKUs are absent from the map. */
export async function findBundles(
  db: Queryable,
  tenantId: string,
  skus: string[],
): Promise<Map<string, Bundle>> {
  if (skus.length === 0) return new Map();
  const rows = await store.findBundles(db, tenantId, [...new Set(skus)]);
  return new Map(rows.map((b) => [b.sku, b]));
}

/** A SKU as planning needs it: active or not, and per product unit its weight and dimensions. */
export type PlanningItem = {
  active: boolean;
  /** A product's own unit, or a bundle's components (by component SKU) with theirs. */
  units: { sku: string; per_item: number; weight_lb: number; dimensions: Dimensions | null }[];
};

/**
 * What planning needs of each SKU an order's lines name, in one query, checking every SKU is a
 * product or bundle that can be sold. Errors name the line by its index (`path(i)`).
 */
export async function sellableItems(
  db: Queryable,
  tenantId: string,
  skus: readonly string[],
  path = (i: number) => `body.lines[${i}].sku`,
): Promise<Map<string, PlanningItem>> {
  const items = new Map<string, PlanningItem>();
  const unit = (r: store.PlanningRow, per_item: number) => ({
    sku: r.sku,
    per_item,
    weight_lb: r.weight_lb!,
    dimensions:
      r.length_in === null
        ? null
        : { length_in: r.length_in, width_in: r.width_in!, height_in: r.height_in! },
  });
  const rows = skus.length === 0 ? [] : await store.planningRows(db, tenantId, [...new Set(skus)]);
  for (const r of rows) {
    if (r.bundle_sku !== null) items.get(r.bundle_sku)?.units.push(unit(r, r.quantity!));
    else items.set(r.sku, { active: r.active, units: r.kind === 'product' ? [unit(r, 1)] : [] });
  }
  const errors: FieldError[] = [];
  skus.forEach((sku, i) => {
    const item = items.get(sku);
    if (!item) errors.push({ path: path(i), message: `No product or bundle has SKU ${sku}.` });
    else if (!item.active) errors.push({ path: path(i), message: `${sku} is retired and cannot be sold.` });
  });
  const first = errors[0];
  if (first) throw new AppError('validation-error', `${first.path}: ${first.message}`, { errors });
  return items;
}

/** SKUs of every bundle (active or not) with `componentSku` among its components, in SKU order. */
export function bundlesContaining(db: Queryable, tenantId: string, componentSku: string): Promise<string[]> {
  return store.bundlesContaining(db, tenantId, componentSku);
}

function stripUndefined<T extends object>(o: T) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]-?: Exclude<T[K], undefined>;
  };
}

// ---- low-stock thresholds, asked on every reservation

const THRESHOLDS_TTL_MS = 10_000;
const thresholdCache = new Map<string, { at_ms: number; thresholds: Map<string, number> }>();

/**
 * The SKUs of a tenant that have a low-stock threshold. Inventory asks on every change of stock,
 * so the answer is kept for 10 s per process (and dropped at once when this process changes a
 * product): a new threshold takes effect within seconds everywhere.
 */
export async function lowStockThresholds(db: Queryable, tenantId: string): Promise<Map<string, number>> {
  const cached = thresholdCache.get(tenantId);
  if (cached && Date.now() - cached.at_ms < THRESHOLDS_TTL_MS) return cached.thresholds;
  const thresholds = new Map(
    (await store.lowStockThresholds(db, tenantId)).map((r) => [r.sku, r.low_stock_threshold]),
  );
  thresholdCache.set(tenantId, { at_ms: Date.now(), thresholds });
  return thresholds;
}
