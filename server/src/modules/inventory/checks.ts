import type { Queryable } from '../../db/pool.ts';
import { AppError, type FieldError } from '../../http/problem.ts';
import { findProducts } from '../catalog/service.ts';
import { findLocations } from '../network/service.ts';

/**
 * Every SKU must be a product and every location must exist, or the request names each one that
 * does not. `paths` says where each item sits in the request, e.g. `body.lines[2]`.
 */
export async function requireKnown(
  db: Queryable,
  tenantId: string,
  items: { sku?: string; location_id?: string; path: string }[],
) {
  const skus = [...new Set(items.flatMap((i) => (i.sku ? [i.sku] : [])))];
  const locationIds = [...new Set(items.flatMap((i) => (i.location_id ? [i.location_id] : [])))];
  const products = await findProducts(db, tenantId, skus);
  const locations = await findLocations(db, tenantId, locationIds);
  const errors: FieldError[] = [];
  for (const i of items) {
    if (i.sku && !products.has(i.sku))
      errors.push({ path: `${i.path}.sku`, message: `No product has SKU ${i.sku}.` });
    if (i.location_id && !locations.has(i.location_id)) {
      errors.push({ path: `${i.path}.location_id`, message: `No location ${i.location_id}.` });
    }
  }
  const first = errors[0];
  if (first) throw new AppError('validation-error', `${first.path}: ${first.message}`, { errors });
  return { products, locations };
}
