import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import type { Return, ReturnStatus } from './schema.ts';

/** The SQL of returns and return settings. */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const COLUMNS = `return_id, order_id, status, reason, note, resolution, lines, return_location_id, label, refund,
  refund_id, exchange_order_id, received_location_id, rejection_reason, deadline::text, requested_at, approved_at,
  received_at, closed_at, created_at, updated_at`;

const fromRow = (r: Record<string, unknown>) =>
  ({
    ...r,
    requested_at: iso(r.requested_at as Date),
    approved_at: iso(r.approved_at as Date | null),
    received_at: iso(r.received_at as Date | null),
    closed_at: iso(r.closed_at as Date | null),
    created_at: iso(r.created_at as Date),
    updated_at: iso(r.updated_at as Date),
  }) as Return;

export async function insertReturn(
  db: Queryable,
  tenantId: string,
  r: Pick<
    Return,
    | 'return_id'
    | 'order_id'
    | 'status'
    | 'reason'
    | 'note'
    | 'resolution'
    | 'lines'
    | 'return_location_id'
    | 'refund'
    | 'deadline'
    | 'requested_at'
  >,
  actor: Actor,
) {
  const { rows } = await db.query(
    `insert into returns (tenant_id, return_id, order_id, status, reason, note, resolution, lines, return_location_id,
       refund, deadline, requested_at, actor)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     returning ${COLUMNS}`,
    [
      tenantId,
      r.return_id,
      r.order_id,
      r.status,
      r.reason,
      r.note,
      r.resolution,
      JSON.stringify(r.lines),
      r.return_location_id,
      JSON.stringify(r.refund),
      r.deadline,
      r.requested_at,
      JSON.stringify(actor),
    ],
  );
  return fromRow(rows[0]!);
}

export async function findReturn(db: Queryable, tenantId: string, id: string, lock = false) {
  const { rows } = await db.query(
    `select ${COLUMNS} from returns where tenant_id = $1 and return_id = $2 ${lock ? 'for update' : ''}`,
    [tenantId, id],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Returns of an order not rejected or cancelled: units they cover cannot be returned twice. */
export async function liveReturnsOf(db: Queryable, tenantId: string, orderId: string) {
  const { rows } = await db.query(
    `select ${COLUMNS} from returns where tenant_id = $1 and order_id = $2
       and status not in ('rejected', 'cancelled') order by created_at`,
    [tenantId, orderId],
  );
  return rows.map(fromRow);
}

export async function listReturns(
  db: Queryable,
  tenantId: string,
  f: { status?: ReturnStatus | undefined; order_id?: string | undefined },
  after: string | undefined,
  limit: number,
) {
  const { rows } = await db.query(
    `select ${COLUMNS} from returns
     where tenant_id = $1 and ($2::text is null or status = $2) and ($3::text is null or order_id = $3)
       and ($4::text is null or return_id < $4)
     order by return_id desc limit $5`,
    [tenantId, f.status ?? null, f.order_id ?? null, after ?? null, limit + 1],
  );
  return rows.map(fromRow);
}

type Settable = Partial<
  Pick<
    Return,
    | 'status'
    | 'lines'
    | 'label'
    | 'refund'
    | 'refund_id'
    | 'exchange_order_id'
    | 'received_location_id'
    | 'rejection_reason'
    | 'approved_at'
    | 'received_at'
    | 'closed_at'
  >
>;
const JSON_COLUMNS = new Set(['lines', 'label', 'refund']);

export async function updateReturn(db: Queryable, tenantId: string, id: string, set: Settable) {
  const keys = Object.keys(set) as (keyof Settable)[];
  const { rows } = await db.query(
    `update returns set ${keys.map((k, i) => `${k} = $${i + 3}, `).join('')}updated_at = now()
     where tenant_id = $1 and return_id = $2 returning ${COLUMNS}`,
    [tenantId, id, ...keys.map((k) => (JSON_COLUMNS.has(k) ? JSON.stringify(set[k]) : set[k]))],
  );
  return fromRow(rows[0]!);
}

export async function loadSettings(db: Queryable, tenantId: string) {
  const { rows } = await db.query<{ settings: unknown; updated_at: Date }>(
    'select settings, updated_at from return_settings where tenant_id = $1',
    [tenantId],
  );
  return rows[0];
}

export async function saveSettings(db: Queryable, tenantId: string, settings: unknown) {
  const { rows } = await db.query<{ updated_at: Date }>(
    `insert into return_settings (tenant_id, settings) values ($1, $2)
     on conflict (tenant_id) do update set settings = excluded.settings, updated_at = now()
     returning updated_at`,
    [tenantId, JSON.stringify(settings)],
  );
  return rows[0]!.updated_at;
}
