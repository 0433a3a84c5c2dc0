import { isDeepStrictEqual } from 'node:util';
import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { publish } from '../events/service.ts';
import { DEFAULT_CARRIER_HOLIDAYS } from './calendar.ts';
import { DEFAULT_DIM_DIVISOR } from './rates.ts';
import type { CreateCarrier, CreateCarrierService, UpdateCarrier, UpdateCarrierService } from './schema.ts';
import { isUniqueViolation, networkCache } from './service.ts';
import * as store from './store.ts';

const codeConflict = (what: string, code: string) =>
  new AppError('conflict', `${what} with code ${code} already exists.`, { field: 'body.code' });

/** The fields a patch really changes; an empty list means nothing to write or announce. */
function changes<T extends object>(before: T, patch: Partial<T>) {
  const next = { ...before };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
  const changed = (Object.keys(next) as (keyof T)[]).filter((k) => !isDeepStrictEqual(next[k], before[k]));
  return { next, changed };
}

/** Writes a row, turning a taken unique code into a 409. */
async function guarded<T>(write: () => Promise<T>, conflict: () => AppError): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict();
    throw err;
  }
}

export async function createCarrier(db: Queryable, tenantId: string, actor: Actor, input: CreateCarrier) {
  networkCache.invalidate(tenantId);
  const carrier = await store.insertCarrier(db, tenantId, newId('car'), {
    name: input.name,
    code: input.code,
    holidays: input.holidays ?? DEFAULT_CARRIER_HOLIDAYS,
    active: input.active ?? true,
  });
  if (!carrier) throw codeConflict('A carrier', input.code);
  await publish(db, tenantId, actor, { type: 'carrier.created', subject: carrier.carrier_id, data: carrier });
  return carrier;
}

export async function getCarrier(db: Queryable, tenantId: string, carrierId: string) {
  const carrier = await store.findCarrier(db, tenantId, carrierId);
  if (!carrier) throw notFound(`Carrier ${carrierId}`);
  return carrier;
}

export const listCarriers = store.listCarriers;

export async function updateCarrier(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  carrierId: string,
  patch: UpdateCarrier,
) {
  networkCache.invalidate(tenantId);
  const current = await store.findCarrier(db, tenantId, carrierId, true);
  if (!current) throw notFound(`Carrier ${carrierId}`);
  const { carrier_id: _id, created_at: _c, updated_at: _u, ...before } = current;
  const { next, changed } = changes(before, patch);
  if (changed.length === 0) return current;
  const carrier = await guarded(
    () => store.updateCarrier(db, tenantId, carrierId, next),
    () => codeConflict('A carrier', next.code),
  );
  if (!carrier) throw notFound(`Carrier ${carrierId}`);
  await publish(db, tenantId, actor, {
    type: 'carrier.updated',
    subject: carrierId,
    data: { ...carrier, changed },
  });
  return carrier;
}

export async function createService(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  carrierId: string,
  input: CreateCarrierService,
) {
  networkCache.invalidate(tenantId);
  await getCarrier(db, tenantId, carrierId);
  const service = await store.insertService(db, tenantId, carrierId, newId('svc'), {
    name: input.name,
    code: input.code,
    service_level: input.service_level,
    transit_days_by_zone: input.transit_days_by_zone,
    delivery_weekdays: input.delivery_weekdays ?? ['mon', 'tue', 'wed', 'thu', 'fri'],
    dim_divisor: input.dim_divisor ?? DEFAULT_DIM_DIVISOR,
    rate_table: input.rate_table,
    currency: input.currency ?? 'USD',
    active: input.active ?? true,
  });
  if (!service) throw codeConflict('A service of this carrier', input.code);
  await publish(db, tenantId, actor, {
    type: 'carrier_service.created',
    subject: service.service_id,
    data: service,
  });
  return service;
}

export async function getService(db: Queryable, tenantId: string, carrierId: string, serviceId: string) {
  const service = await store.findService(db, tenantId, carrierId, serviceId);
  if (!service) throw notFound(`Service ${serviceId} of carrier ${carrierId}`);
  return service;
}

export async function listServices(
  db: Queryable,
  tenantId: string,
  carrierId: string,
  active: boolean | undefined,
  after: string | undefined,
  limit: number,
) {
  await getCarrier(db, tenantId, carrierId);
  return store.listServices(db, tenantId, carrierId, active, after, limit);
}

export async function updateService(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  carrierId: string,
  serviceId: string,
  patch: UpdateCarrierService,
) {
  networkCache.invalidate(tenantId);
  const current = await store.findService(db, tenantId, carrierId, serviceId, true);
  if (!current) throw notFound(`Service ${serviceId} of carrier ${carrierId}`);
  const { service_id: _s, carrier_id: _c, created_at: _ca, updated_at: _u, ...before } = current;
  const { next, changed } = changes(before, patch);
  if (changed.length === 0) return current;
  const service = await guarded(
    () => store.updateService(db, tenantId, carrierId, serviceId, next),
    () => codeConflict('A service of this carrier', next.code),
  );
  if (!service) throw notFound(`Service ${serviceId} of carrier ${carrierId}`);
  await publish(db, tenantId, actor, {
    type: 'carrier_service.updated',
    subject: serviceId,
    data: { ...service, changed },
  });
  return service;
}
