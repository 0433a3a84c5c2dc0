import { prepared, type Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import type { Reservation, Transfer } from './schema.ts';

type Line = { sku: string; location_id: string; quantity: number };
const iso = (d: Date | null) => (d ? d.toISOString() : null);

// ---- reservations

const insertReservationSql = prepared(
  'inventory.insert-reservation',
  `with r as (
     insert into reservations (tenant_id, reservation_id, status, channel, reference, expires_at, actor)
     values ($1, $2, 'pending', $3, $4, $5, $6)
   )
   insert into reservation_lines (tenant_id, reservation_id, sku, location_id, quantity)
   select $1, $2, * from unnest($7::text[], $8::text[], $9::int[])`,
);

export async function insertReservation(
  db: Queryable,
  tenantId: string,
  r: {
    reservation_id: string;
    channel: string | null;
    reference: string | null;
    expires_at: Date | null;
    actor: Actor;
    lines: Line[];
  },
) {
  await insertReservationSql(db, [
    tenantId,
    r.reservation_id,
    r.channel,
    r.reference,
    r.expires_at,
    JSON.stringify(r.actor),
    r.lines.map((l) => l.sku),
    r.lines.map((l) => l.location_id),
    r.lines.map((l) => l.quantity),
  ]);
}

export async function deleteReservation(db: Queryable, tenantId: string, reservationId: string) {
  await db.query(
    `with l as (delete from reservation_lines where tenant_id = $1 and reservation_id = $2)
     delete from reservations where tenant_id = $1 and reservation_id = $2`,
    [tenantId, reservationId],
  );
}

const selectReservation = (lock: boolean) =>
  prepared(
    `inventory.find-reservation${lock ? '-for-update' : ''}`,
    `select r.*, (select coalesce(json_agg(json_build_object('sku', l.sku, 'location_id', l.location_id,
              'quantity', l.quantity, 'posted', l.posted, 'voided', l.voided) order by l.sku, l.location_id), '[]')
            from reservation_lines l where l.tenant_id = r.tenant_id and l.reservation_id = r.reservation_id) as lines
     from reservations r where r.tenant_id = $1 and r.reservation_id = $2 ${lock ? 'for update of r' : ''}`,
  );
const selectReservationPlain = selectReservation(false);
const selectReservationLocked = selectReservation(true);

export async function findReservation(
  db: Queryable,
  tenantId: string,
  reservationId: string,
  forUpdate = false,
): Promise<Reservation | undefined> {
  const { rows } = await (forUpdate ? selectReservationLocked : selectReservationPlain)(db, [
    tenantId,
    reservationId,
  ]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    reservation_id: r.reservation_id as string,
    status: r.status as Reservation['status'],
    channel: r.channel as string | null,
    reference: r.reference as string | null,
    expires_at: iso(r.expires_at as Date | null),
    created_at: (r.created_at as Date).toISOString(),
    lines: r.lines as Reservation['lines'],
  };
}

/** Adds to posted or voided on the lines, and records the reservation's new status. */
const settleSql = (column: 'posted' | 'voided') =>
  prepared(
    `inventory.settle-${column}`,
    `with l as (
       update reservation_lines rl set ${column} = rl.${column} + t.quantity
       from unnest($3::text[], $4::text[], $5::int[]) as t(sku, location_id, quantity)
       where rl.tenant_id = $1 and rl.reservation_id = $2 and rl.sku = t.sku and rl.location_id = t.location_id
     )
     update reservations set status = $6, updated_at = now() where tenant_id = $1 and reservation_id = $2`,
  );
const settlePosted = settleSql('posted');
const settleVoided = settleSql('voided');

export async function settleLines(
  db: Queryable,
  tenantId: string,
  reservationId: string,
  action: 'post' | 'void',
  take: Line[],
  status: Reservation['status'],
) {
  await (action === 'post' ? settlePosted : settleVoided)(db, [
    tenantId,
    reservationId,
    take.map((l) => l.sku),
    take.map((l) => l.location_id),
    take.map((l) => l.quantity),
    status,
  ]);
}

/** Pending holds whose time ran out, oldest first. Voiding one twice is a no-op. */
export async function expiredReservations(db: Queryable, limit: number) {
  const { rows } = await db.query<{ tenant_id: string; reservation_id: string }>(
    `select tenant_id, reservation_id from reservations
     where status = 'pending' and expires_at < now() order by expires_at limit $1`,
    [limit],
  );
  return rows;
}

// ---- channel pools

export type PoolRow = {
  channel: string;
  sku: string;
  limit_units: number | null;
  limit_percent: number | null;
  reserved: number;
};

export async function lockChannelPools(db: Queryable, tenantId: string, channel: string, skus: string[]) {
  const { rows } = await db.query<PoolRow>(
    `select channel, sku, limit_units, limit_percent, reserved from channel_pools
     where tenant_id = $1 and channel = $2 and sku = any($3) order by sku for update`,
    [tenantId, channel, skus],
  );
  return rows;
}

/** A percentage pool is a share of the SKU's stock that can be sold (available + reserved). */
export async function poolLimit(db: Queryable, tenantId: string, pool: PoolRow) {
  if (pool.limit_units !== null) return pool.limit_units;
  const { rows } = await db.query<{ n: number }>(
    `select coalesce(sum(available + reserved), 0)::int as n from inventory_balances where tenant_id = $1 and sku = $2`,
    [tenantId, pool.sku],
  );
  return Math.floor(((pool.limit_percent ?? 0) * (rows[0]?.n ?? 0)) / 100);
}

export async function addPoolReserved(
  db: Queryable,
  tenantId: string,
  channel: string,
  bySku: Map<string, number>,
  sign = 1,
) {
  await db.query(
    `update channel_pools p set reserved = greatest(p.reserved + $4 * t.quantity, 0), updated_at = now()
     from unnest($3::text[], $5::int[]) as t(sku, quantity)
     where p.tenant_id = $1 and p.channel = $2 and p.sku = t.sku`,
    [tenantId, channel, [...bySku.keys()], sign, [...bySku.values()]],
  );
}

export async function upsertChannelPool(
  db: Queryable,
  tenantId: string,
  p: { channel: string; sku: string; limit_units: number | null; limit_percent: number | null },
) {
  // What the channel holds now counts against a new pool at once.
  const { rows } = await db.query<PoolRow>(
    `insert into channel_pools (tenant_id, channel, sku, limit_units, limit_percent, reserved)
     values ($1, $2, $3, $4, $5, (
       select coalesce(sum(l.quantity - l.posted - l.voided), 0) from reservation_lines l
       join reservations r on r.tenant_id = l.tenant_id and r.reservation_id = l.reservation_id
       where l.tenant_id = $1 and r.channel = $2 and l.sku = $3 and r.status = 'pending'))
     on conflict (tenant_id, channel, sku) do update set limit_units = $4, limit_percent = $5, updated_at = now()
     returning channel, sku, limit_units, limit_percent, reserved`,
    [tenantId, p.channel, p.sku, p.limit_units, p.limit_percent],
  );
  return rows[0]!;
}

export async function listChannelPools(db: Queryable, tenantId: string, channel?: string, sku?: string) {
  const { rows } = await db.query<PoolRow>(
    `select channel, sku, limit_units, limit_percent, reserved from channel_pools
     where tenant_id = $1 and ($2::text is null or channel = $2) and ($3::text is null or sku = $3)
     order by channel, sku limit 1000`,
    [tenantId, channel ?? null, sku ?? null],
  );
  return rows;
}

// ---- transfers

export async function insertTransfer(
  db: Queryable,
  tenantId: string,
  t: {
    transfer_id: string;
    source_location_id: string;
    destination_location_id: string;
    reference: string | null;
    expected_at: string | null;
    actor: Actor;
    lines: { sku: string; quantity: number }[];
  },
) {
  await db.query(
    `with t as (
       insert into transfers (tenant_id, transfer_id, source_location_id, destination_location_id, status, reference, expected_at, actor)
       values ($1, $2, $3, $4, 'created', $5, $6, $7)
     )
     insert into transfer_lines (tenant_id, transfer_id, sku, quantity) select $1, $2, * from unnest($8::text[], $9::int[])`,
    [
      tenantId,
      t.transfer_id,
      t.source_location_id,
      t.destination_location_id,
      t.reference,
      t.expected_at,
      JSON.stringify(t.actor),
      t.lines.map((l) => l.sku),
      t.lines.map((l) => l.quantity),
    ],
  );
}

// A transfer with its lines in one query, for one transfer or a page of them.
const TRANSFERS_SQL = `
  select t.*, (select coalesce(json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity,
            'shipped', l.shipped, 'received', l.received, 'lost', l.lost) order by l.sku), '[]')
          from transfer_lines l where l.tenant_id = t.tenant_id and l.transfer_id = t.transfer_id) as lines
  from transfers t`;

const toTransfer = (t: Record<string, unknown>): Transfer => ({
  transfer_id: t.transfer_id as string,
  source_location_id: t.source_location_id as string,
  destination_location_id: t.destination_location_id as string,
  status: t.status as Transfer['status'],
  reference: t.reference as string | null,
  expected_at: iso(t.expected_at as Date | null),
  created_at: (t.created_at as Date).toISOString(),
  updated_at: (t.updated_at as Date).toISOString(),
  lines: t.lines as Transfer['lines'],
});

export async function findTransfer(db: Queryable, tenantId: string, transferId: string, forUpdate = false) {
  const { rows } = await db.query(
    `${TRANSFERS_SQL} where t.tenant_id = $1 and t.transfer_id = $2 ${forUpdate ? 'for update of t' : ''}`,
    [tenantId, transferId],
  );
  return rows[0] ? toTransfer(rows[0]) : undefined;
}

export async function listTransfers(
  db: Queryable,
  tenantId: string,
  status: string | undefined,
  after: string | undefined,
  limit: number,
) {
  const { rows } = await db.query(
    `${TRANSFERS_SQL} where t.tenant_id = $1 and ($2::text is null or t.status = $2)
       and ($3::text is null or t.transfer_id > $3) order by t.transfer_id limit $4`,
    [tenantId, status ?? null, after ?? null, limit],
  );
  return rows.map(toTransfer);
}

export async function updateTransfer(
  db: Queryable,
  tenantId: string,
  transferId: string,
  status: Transfer['status'],
  lines: { sku: string; shipped?: number; received?: number; lost?: number }[],
) {
  await db.query(
    `with l as (
       update transfer_lines tl set shipped = tl.shipped + t.shipped, received = tl.received + t.received, lost = tl.lost + t.lost
       from unnest($4::text[], $5::int[], $6::int[], $7::int[]) as t(sku, shipped, received, lost)
       where tl.tenant_id = $1 and tl.transfer_id = $2 and tl.sku = t.sku
     )
     update transfers set status = $3, updated_at = now() where tenant_id = $1 and transfer_id = $2`,
    [
      tenantId,
      transferId,
      status,
      lines.map((l) => l.sku),
      lines.map((l) => l.shipped ?? 0),
      lines.map((l) => l.received ?? 0),
      lines.map((l) => l.lost ?? 0),
    ],
  );
}

// ---- stock imports

export async function insertImport(
  db: Queryable,
  tenantId: string,
  i: {
    import_id: string;
    covers_through_seq: number;
    reference: string | null;
    result: unknown;
    actor: Actor;
  },
) {
  const { rows } = await db.query(
    `insert into stock_imports (tenant_id, import_id, covers_through_seq, reference, result, actor)
     values ($1, $2, $3, $4, $5, $6) returning created_at`,
    [
      tenantId,
      i.import_id,
      i.covers_through_seq,
      i.reference,
      JSON.stringify(i.result),
      JSON.stringify(i.actor),
    ],
  );
  return rows[0].created_at.toISOString() as string;
}

export async function findImport(db: Queryable, tenantId: string, importId: string) {
  const { rows } = await db.query('select * from stock_imports where tenant_id = $1 and import_id = $2', [
    tenantId,
    importId,
  ]);
  const r = rows[0];
  return r
    ? {
        import_id: r.import_id,
        covers_through_seq: r.covers_through_seq,
        created_at: r.created_at.toISOString(),
        counts: r.result,
      }
    : undefined;
}

/**
 * The balances an import counts, locked, each with the units shipped from it whose fulfillment
 * event the import does not cover (numbered after `coversThrough`, or not numbered yet), looking
 * only from the balance's scan watermark on; and the first such movement, where the next import
 * starts looking.
 */
export async function balancesForImport(
  db: Queryable,
  tenantId: string,
  keys: { sku: string; location_id: string }[],
  coversThrough: number,
) {
  const { rows } = await db.query(
    `select b.*, coalesce(u.quantity, 0)::int as unreflected, u.first_seq
     from inventory_balances b
     left join lateral (
       select sum(m.quantity) as quantity, min(m.seq) as first_seq
       from inventory_movements m left join events e on e.tenant_id = m.tenant_id and e.event_id = m.event_id
       where m.tenant_id = b.tenant_id and m.sku = b.sku and m.location_id = b.location_id
         and m.seq >= coalesce(b.import_scan_from, 0) and m.cause = 'fulfillment' and (e.seq is null or e.seq > $4)
     ) u on true
     where b.tenant_id = $1 and (b.sku, b.location_id) in (select * from unnest($2::text[], $3::text[]))`,
    [tenantId, keys.map((k) => k.sku), keys.map((k) => k.location_id), coversThrough],
  );
  return rows;
}

export async function setImportWatermarks(
  db: Queryable,
  tenantId: string,
  coversThrough: number,
  marks: { sku: string; location_id: string; scan_from: number }[],
) {
  await db.query(
    `update inventory_balances b set import_covers_through = $2, import_scan_from = t.scan_from
     from unnest($3::text[], $4::text[], $5::bigint[]) as t(sku, location_id, scan_from)
     where b.tenant_id = $1 and b.sku = t.sku and b.location_id = t.location_id`,
    [
      tenantId,
      coversThrough,
      marks.map((m) => m.sku),
      marks.map((m) => m.location_id),
      marks.map((m) => m.scan_from),
    ],
  );
}

export async function currentMovementSeq(db: Queryable) {
  const { rows } = await db.query<{ n: number }>(`select last_value as n from orderly_system.movement_seq`);
  return rows[0]!.n;
}

/** What a reservation job will lock: the lines it reserves (with its channel), or the reservation it settles. */
export type ReservationLocks = {
  tenant_id: string;
  channel?: string | null;
  lines?: readonly { sku: string; location_id: string }[];
  reservation_id?: string;
};

/**
 * Locks every row a batch of reservation jobs will lock, in the order one reservation takes
 * them: the settled reservations, then the channel pools (by channel and SKU), then the
 * balance rows (by SKU and location).
 */
export async function lockForBatch(db: Queryable, requests: ReservationLocks[]) {
  const tenants = [...new Set(requests.map((r) => r.tenant_id))].sort();
  for (const tenantId of tenants) {
    const mine = requests.filter((r) => r.tenant_id === tenantId);
    const ids = mine.flatMap((r) => (r.reservation_id ? [r.reservation_id] : []));
    const lines = mine.flatMap((r) => (r.lines ?? []).map((l) => ({ ...l, channel: r.channel ?? null })));
    const pooled = lines.filter((l) => l.channel !== null);
    let settledPooled = false;
    if (ids.length > 0) {
      const { rows } = await db.query<{ channel: string | null }>(
        `select channel from reservations where tenant_id = $1 and reservation_id = any($2)
         order by reservation_id for update`,
        [tenantId, ids],
      );
      settledPooled = rows.some((r) => r.channel !== null);
    }
    if (settledPooled || pooled.length > 0) {
      await db.query(
        `select 1 from channel_pools p
         where p.tenant_id = $1 and (p.channel, p.sku) in (
           select * from unnest($2::text[], $3::text[])
           union all
           select r.channel, l.sku from reservations r
           join reservation_lines l on l.tenant_id = r.tenant_id and l.reservation_id = r.reservation_id
           where r.tenant_id = $1 and r.reservation_id = any($4) and r.channel is not null)
         order by p.channel, p.sku for update`,
        [tenantId, pooled.map((l) => l.channel), pooled.map((l) => l.sku), ids],
      );
    }
    await db.query(
      `select 1 from inventory_balances b
       where b.tenant_id = $1 and (b.sku, b.location_id) in (
         select * from unnest($2::text[], $3::text[])
         union all
         select sku, location_id from reservation_lines where tenant_id = $1 and reservation_id = any($4))
       order by b.sku, b.location_id for update`,
      [tenantId, lines.map((l) => l.sku), lines.map((l) => l.location_id), ids],
    );
  }
}
