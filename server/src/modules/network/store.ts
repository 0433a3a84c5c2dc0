import { prepared, type Queryable } from '../../db/pool.ts';
import type { Zone, ZoneEntry } from './geo.ts';
import type { Carrier, CarrierService, Location } from './schema.ts';

/** The settable fields of each table, in one order for inserts and full-row updates. */
const LOCATION_FIELDS = [
  'name',
  'type',
  'address',
  'latitude',
  'longitude',
  'time_zone',
  'cutoffs',
  'processing_days',
  'holiday_calendar',
  'daily_order_capacity',
  'active',
  'service_regions',
  'fulfillment_cost',
  'picking_method',
  'inventory_type',
  'accepts_returns',
  'external_ref',
] as const;
const CARRIER_FIELDS = ['name', 'code', 'holidays', 'active'] as const;
const SERVICE_FIELDS = [
  'name',
  'code',
  'service_level',
  'transit_days_by_zone',
  'delivery_weekdays',
  'dim_divisor',
  'rate_table',
  'currency',
  'active',
] as const;
// pg sends a JS array as a Postgres array, so jsonb values are serialised here.
const JSON_FIELDS = new Set([
  'address',
  'cutoffs',
  'holiday_calendar',
  'service_regions',
  'fulfillment_cost',
  'holidays',
  'transit_days_by_zone',
  'delivery_weekdays',
  'rate_table',
]);

export type LocationFields = Omit<Location, 'location_id' | 'created_at' | 'updated_at'>;
export type CarrierFields = Omit<Carrier, 'carrier_id' | 'created_at' | 'updated_at'>;
export type ServiceFields = Omit<CarrierService, 'service_id' | 'carrier_id' | 'created_at' | 'updated_at'>;

const valuesOf = (fields: readonly string[], row: Record<string, unknown>) =>
  fields.map((f) => (JSON_FIELDS.has(f) && row[f] !== null ? JSON.stringify(row[f]) : row[f]));

/** `insert … (tenant_id, <key>, fields…) values (…)`; undefined when a unique key is taken. */
async function insertRow(
  db: Queryable,
  table: string,
  keys: Record<string, string>,
  fields: readonly string[],
  row: Record<string, unknown>,
) {
  const columns = [...Object.keys(keys), ...fields];
  const { rows } = await db.query(
    `insert into ${table} (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})
     on conflict do nothing returning *`,
    [...Object.values(keys), ...valuesOf(fields, row)],
  );
  return rows[0] as Record<string, unknown> | undefined;
}

/** Writes every field of one row found by its full key; undefined when there is no such row. */
async function updateRow(
  db: Queryable,
  table: string,
  keys: Record<string, string>,
  fields: readonly string[],
  row: Record<string, unknown>,
) {
  const where = Object.keys(keys).map((k, i) => `${k} = $${i + 1}`);
  const n = where.length;
  const { rows } = await db.query(
    `update ${table} set ${fields.map((f, i) => `${f} = $${i + n + 1}`).join(', ')}, updated_at = now()
     where ${where.join(' and ')} returning *`,
    [...Object.values(keys), ...valuesOf(fields, row)],
  );
  return rows[0] as Record<string, unknown> | undefined;
}

const pick = <F extends string>(fields: readonly F[], r: Record<string, unknown>) =>
  Object.fromEntries(fields.map((f) => [f, r[f]]));
const stamps = (r: Record<string, unknown>) => ({
  created_at: (r.created_at as Date).toISOString(),
  updated_at: (r.updated_at as Date).toISOString(),
});

const toLocation = (r: Record<string, unknown>): Location =>
  ({ location_id: r.location_id, ...pick(LOCATION_FIELDS, r), ...stamps(r) }) as Location;
const toCarrier = (r: Record<string, unknown>): Carrier =>
  ({ carrier_id: r.carrier_id, ...pick(CARRIER_FIELDS, r), ...stamps(r) }) as Carrier;
const toService = (r: Record<string, unknown>): CarrierService =>
  ({
    service_id: r.service_id,
    carrier_id: r.carrier_id,
    ...pick(SERVICE_FIELDS, r),
    ...stamps(r),
  }) as CarrierService;

// ── locations ────────────────────────────────────────────────────────────────────────────────

export async function insertLocation(
  db: Queryable,
  tenantId: string,
  locationId: string,
  loc: LocationFields,
) {
  const row = await insertRow(
    db,
    'locations',
    { tenant_id: tenantId, location_id: locationId },
    LOCATION_FIELDS,
    loc,
  );
  return row ? toLocation(row) : undefined;
}

export async function findLocation(db: Queryable, tenantId: string, locationId: string, forUpdate = false) {
  const { rows } = await db.query(
    `select * from locations where tenant_id = $1 and location_id = $2${forUpdate ? ' for update' : ''}`,
    [tenantId, locationId],
  );
  return rows[0] ? toLocation(rows[0]) : undefined;
}

const selectLocations = prepared(
  'network.find-locations',
  'select * from locations where tenant_id = $1 and location_id = any($2::text[])',
);

export async function findLocationsByIds(db: Queryable, tenantId: string, locationIds: string[]) {
  const { rows } = await selectLocations(db, [tenantId, locationIds]);
  return rows.map(toLocation);
}

export async function listLocations(
  db: Queryable,
  tenantId: string,
  filter: { type?: string | undefined; active?: boolean | undefined },
  after: string | undefined,
  limit: number,
) {
  const { rows } = await db.query(
    `select * from locations
     where tenant_id = $1 and ($2::text is null or location_id > $2)
       and ($3::text is null or type = $3) and ($4::boolean is null or active = $4)
     order by location_id limit $5`,
    [tenantId, after ?? null, filter.type ?? null, filter.active ?? null, limit],
  );
  return rows.map(toLocation);
}

export async function updateLocation(
  db: Queryable,
  tenantId: string,
  locationId: string,
  loc: LocationFields,
) {
  const row = await updateRow(
    db,
    'locations',
    { tenant_id: tenantId, location_id: locationId },
    LOCATION_FIELDS,
    loc,
  );
  return row ? toLocation(row) : undefined;
}

/** Replaces a location's zone table in two statements, whatever its size. */
export async function replaceZones(
  db: Queryable,
  tenantId: string,
  locationId: string,
  zones: ReadonlyMap<string, ZoneEntry>,
) {
  await db.query('delete from location_zones where tenant_id = $1 and location_id = $2', [
    tenantId,
    locationId,
  ]);
  if (zones.size === 0) return;
  const zip3s = [...zones.keys()];
  await db.query(
    `insert into location_zones (tenant_id, location_id, zip3, zone, distance_miles)
     select $1, $2, z.zip3, z.zone, z.distance_miles
     from unnest($3::text[], $4::smallint[], $5::double precision[]) as z (zip3, zone, distance_miles)`,
    [
      tenantId,
      locationId,
      zip3s,
      zip3s.map((k) => zones.get(k)!.zone),
      zip3s.map((k) => zones.get(k)!.distance_miles),
    ],
  );
}

/** The location's existence and its zone to one ZIP3, in one read. */
export async function findZone(db: Queryable, tenantId: string, locationId: string, zip3: string) {
  const { rows } = await db.query(
    `select l.location_id, z.zone, z.distance_miles from locations l
     left join location_zones z on z.tenant_id = l.tenant_id and z.location_id = l.location_id and z.zip3 = $3
     where l.tenant_id = $1 and l.location_id = $2`,
    [tenantId, locationId, zip3],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    entry: r.zone === null ? undefined : { zone: r.zone as Zone, distance_miles: r.distance_miles as number },
  };
}

export async function listActiveLocations(db: Queryable, tenantId: string) {
  const { rows } = await db.query(
    'select * from locations where tenant_id = $1 and active order by location_id',
    [tenantId],
  );
  return rows.map(toLocation);
}

/** Zone tables of the given locations, grouped by location. */
export async function zoneTables(db: Queryable, tenantId: string, locationIds: string[], onlyZip3?: string) {
  const tables = new Map<string, Record<string, ZoneEntry>>(locationIds.map((id) => [id, {}]));
  if (locationIds.length === 0) return tables;
  // Two statements, not `($3 is null or zip3 = $3)`: a generic plan cannot use zip3 in the index
  // through the OR, and read every zone row of every location (~900 each) to find ten.
  const { rows } =
    onlyZip3 === undefined
      ? await db.query(
          `select location_id, zip3, zone, distance_miles from location_zones
           where tenant_id = $1 and location_id = any($2::text[])`,
          [tenantId, locationIds],
        )
      : await db.query(
          `select location_id, zip3, zone, distance_miles from location_zones
           where tenant_id = $1 and location_id = any($2::text[]) and zip3 = $3`,
          [tenantId, locationIds, onlyZip3],
        );
  for (const r of rows)
    tables.get(r.location_id)![r.zip3] = { zone: r.zone, distance_miles: r.distance_miles };
  return tables;
}

// ── carriers and services ────────────────────────────────────────────────────────────────────

export async function insertCarrier(db: Queryable, tenantId: string, carrierId: string, c: CarrierFields) {
  const row = await insertRow(
    db,
    'carriers',
    { tenant_id: tenantId, carrier_id: carrierId },
    CARRIER_FIELDS,
    c,
  );
  return row ? toCarrier(row) : undefined;
}

export async function findCarrier(db: Queryable, tenantId: string, carrierId: string, forUpdate = false) {
  const { rows } = await db.query(
    `select * from carriers where tenant_id = $1 and carrier_id = $2${forUpdate ? ' for update' : ''}`,
    [tenantId, carrierId],
  );
  return rows[0] ? toCarrier(rows[0]) : undefined;
}

export async function listCarriers(
  db: Queryable,
  tenantId: string,
  active: boolean | undefined,
  after: string | undefined,
  limit: number,
) {
  const { rows } = await db.query(
    `select * from carriers
     where tenant_id = $1 and ($2::text is null or carrier_id > $2) and ($3::boolean is null or active = $3)
     order by carrier_id limit $4`,
    [tenantId, after ?? null, active ?? null, limit],
  );
  return rows.map(toCarrier);
}

export async function updateCarrier(db: Queryable, tenantId: string, carrierId: string, c: CarrierFields) {
  const row = await updateRow(
    db,
    'carriers',
    { tenant_id: tenantId, carrier_id: carrierId },
    CARRIER_FIELDS,
    c,
  );
  return row ? toCarrier(row) : undefined;
}

export async function insertService(
  db: Queryable,
  tenantId: string,
  carrierId: string,
  serviceId: string,
  s: ServiceFields,
) {
  const keys = { tenant_id: tenantId, service_id: serviceId, carrier_id: carrierId };
  const row = await insertRow(db, 'carrier_services', keys, SERVICE_FIELDS, s);
  return row ? toService(row) : undefined;
}

export async function findService(
  db: Queryable,
  tenantId: string,
  carrierId: string,
  serviceId: string,
  forUpdate = false,
) {
  const { rows } = await db.query(
    `select * from carrier_services where tenant_id = $1 and carrier_id = $2 and service_id = $3
     ${forUpdate ? 'for update' : ''}`,
    [tenantId, carrierId, serviceId],
  );
  return rows[0] ? toService(rows[0]) : undefined;
}

export async function listServices(
  db: Queryable,
  tenantId: string,
  carrierId: string,
  active: boolean | undefined,
  after: string | undefined,
  limit: number,
) {
  const { rows } = await db.query(
    `select * from carrier_services
     where tenant_id = $1 and carrier_id = $2 and ($3::text is null or service_id > $3)
       and ($4::boolean is null or active = $4)
     order by service_id limit $5`,
    [tenantId, carrierId, after ?? null, active ?? null, limit],
  );
  return rows.map(toService);
}

export async function updateService(
  db: Queryable,
  tenantId: string,
  carrierId: string,
  serviceId: string,
  s: ServiceFields,
) {
  const keys = { tenant_id: tenantId, carrier_id: carrierId, service_id: serviceId };
  const row = await updateRow(db, 'carrier_services', keys, SERVICE_FIELDS, s);
  return row ? toService(row) : undefined;
}

/** Active services of active carriers, each with its carrier's code, name and holiday rules. */
export async function listActiveServices(db: Queryable, tenantId: string) {
  const { rows } = await db.query(
    `select s.*, c.code as carrier_code, c.name as carrier_name, c.holidays as carrier_holidays
     from carrier_services s join carriers c on c.tenant_id = s.tenant_id and c.carrier_id = s.carrier_id
     where s.tenant_id = $1 and s.active and c.active
     order by s.service_id`,
    [tenantId],
  );
  return rows.map((r) => ({
    ...toService(r),
    carrier_code: r.carrier_code as string,
    carrier_name: r.carrier_name as string,
    holidays: r.carrier_holidays as string[],
  }));
}
