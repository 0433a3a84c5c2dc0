import { prepared, type Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { newId } from '../../lib/ids.ts';
import type { Event } from './schema.ts';

/** `event_id` may be chosen by the caller when other rows must quote the event. */
export type NewEvent = { type: string; subject: string; data: Record<string, unknown>; event_id?: string };

const insertEventsSql = prepared(
  'events.insert',
  `insert into events (tenant_id, event_id, type, subject, data, actor)
   select $1, e.event_id, e.type, e.subject, e.data, $2
   from jsonb_to_recordset($3::jsonb) as e(event_id text, type text, subject text, data jsonb)`,
);

export async function insertEvents(db: Queryable, tenantId: string, actor: Actor, events: NewEvent[]) {
  if (events.length === 0) return;
  await insertEventsSql(db, [
    tenantId,
    JSON.stringify(actor),
    JSON.stringify(events.map((e) => ({ event_id: newId('evt'), ...e }))),
  ]);
}

/** Numbers committed events; `wait` blocks behind a sequencer already running instead of skipping. */
export async function sequenceEvents(db: Queryable, wait: boolean): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select orderly_system.sequence_events($1) as n', [wait]);
  return rows[0]?.n ?? 0;
}

export async function listEvents(
  db: Queryable,
  tenantId: string,
  after: number,
  types: { exact: string[]; prefixes: string[] } | undefined,
  limit: number,
): Promise<Event[]> {
  const { rows } = await db.query<Event & { created_at: Date }>(
    `select seq, event_id, type, subject, data, actor, created_at from events
     where tenant_id = $1 and seq > $2
       and ($3::text[] is null or type = any($3) or type like any($4))
     order by seq limit $5`,
    [
      tenantId,
      after,
      types ? types.exact : null,
      types ? types.prefixes.map((p) => `${p.replace(/[\\%_]/g, '\\$&')}%`) : null,
      limit,
    ],
  );
  return rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() }));
}

/** The tenant's highest numbered event, 0 when none: where a stream with no cursor starts. */
export async function latestSeq(db: Queryable, tenantId: string): Promise<number> {
  const { rows } = await db.query<{ seq: number | null }>(
    'select max(seq) as seq from events where tenant_id = $1 and seq is not null',
    [tenantId],
  );
  return rows[0]?.seq ?? 0;
}
