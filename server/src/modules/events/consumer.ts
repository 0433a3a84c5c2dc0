import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type Pool, type PoolClient, withTransaction } from '../../db/pool.ts';
import type { Logger } from '../../logger.ts';
import type { Event } from './schema.ts';
import { EVENTS_CHANNEL } from './stream.ts';

/**
 * Durable in-process consumers of the event log (backorder release now, outbound webhooks later).
 * A consumer has a name and a cursor, `orderly_system.event_consumers.last_seq`. Each round takes
 * the consumer's row lock, reads the next numbered events after the cursor (every tenant's),
 * hands those of its types to `handle` and moves the cursor past everything it read, all in one
 * transaction: a crash or a failing handler leaves the cursor where it was and the batch is
 * delivered again. Delivery is therefore at least once, in `seq` order; handlers must be
 * idempotent. Only one process consumes a name at a time (`for update skip locked`: the others
 * skip the round).
 */

export type ConsumedEvent = Event & { tenant_id: string };

export type ConsumerOptions = {
  name: string;
  /** Exact types, or prefixes ending in `*` (`order.*`). */
  types: string[];
  /**
   * Runs inside the consumer's transaction: rows written with `tx` commit with the cursor, so a
   * handler that only writes through `tx` gets exactly-once effects.
   */
  handle: (events: ConsumedEvent[], tx: PoolClient) => Promise<void>;
  /** How long an idle consumer sleeps before looking again; a notification wakes it sooner. */
  idle_ms?: number;
  /** Events read per round (all types count towards it). */
  batch_size?: number;
  /** Where a consumer seen for the first time starts: after the latest event, or at the start. */
  from?: 'latest' | 'beginning';
  /** Listen on the sequencer's notification channel to wake at once (default true). */
  listen?: boolean;
};

const BATCH_SIZE_MAX = 1000;
const RETRY_DELAY_MS = 1000;
const RETRY_DELAY_MS_MAX = 30_000;

/** Where a consumer seen for the first time starts, when it starts after the latest event. */
// Per tenant, so the (tenant_id, seq) index answers: there is no global index on seq.
const LATEST_SEQ = `select coalesce(max(m.seq), 0) as seq from tenants t
  cross join lateral (select max(e.seq) as seq from events e where e.tenant_id = t.tenant_id) m`;

/**
 * The next `limit` numbered events after `after`, every tenant's, in seq order. Each tenant's
 * events are found through the (tenant_id, seq) index and merged; `data` is only read for the
 * types the consumer wants.
 */
const NEXT_EVENTS = `select x.seq, x.tenant_id, x.event_id, x.type, x.subject, x.actor, x.created_at,
    case when x.type = any($3) or x.type like any($4) then x.data end as data,
    (x.type = any($3) or x.type like any($4)) as wanted
  from tenants t
  cross join lateral (
    select e.seq, e.tenant_id, e.event_id, e.type, e.subject, e.data, e.actor, e.created_at from events e
    where e.tenant_id = t.tenant_id and e.seq > $1 order by e.seq limit $2
  ) x
  order by x.seq limit $2`;

type Row = Omit<ConsumedEvent, 'created_at'> & { wanted: boolean; created_at: Date };

function typeFilter(types: string[]) {
  return {
    exact: types.filter((t) => !t.endsWith('*')),
    like: types.filter((t) => t.endsWith('*')).map((t) => `${t.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`),
  };
}

/**
 * One round: returns how many events were read (0 when caught up), or null when another process
 * holds the consumer.
 */
export async function consumeOnce(pool: Pool, opts: ConsumerOptions): Promise<number | null> {
  const limit = Math.min(Math.max(1, opts.batch_size ?? 200), BATCH_SIZE_MAX);
  const { exact, like } = typeFilter(opts.types);
  return withTransaction(pool, async (tx) => {
    let cursor: number;
    const held = await tx.query<{ last_seq: number }>(
      'select last_seq from orderly_system.event_consumers where name = $1 for update skip locked',
      [opts.name],
    );
    if (held.rows[0]) cursor = held.rows[0].last_seq;
    else {
      // Missing, or locked by another process: the insert tells which (a row it inserts is locked).
      const start = opts.from === 'beginning' ? 'select 0 as seq' : LATEST_SEQ;
      const inserted = await tx.query<{ last_seq: number }>(
        `insert into orderly_system.event_consumers (name, last_seq) select $1, s.seq from (${start}) s
         on conflict (name) do nothing returning last_seq`,
        [opts.name],
      );
      if (!inserted.rows[0]) return null;
      cursor = inserted.rows[0].last_seq;
    }
    const { rows } = await tx.query<Row>(NEXT_EVENTS, [cursor, limit, exact, like]);
    if (rows.length === 0) return 0;
    const wanted = rows
      .filter((r) => r.wanted)
      .map(({ wanted: _w, created_at, ...e }) => ({
        ...e,
        created_at: created_at.toISOString(),
      }));
    if (wanted.length > 0) await opts.handle(wanted, tx);
    await tx.query(
      'update orderly_system.event_consumers set last_seq = $2, updated_at = now() where name = $1',
      [opts.name, rows.at(-1)!.seq],
    );
    return rows.length;
  });
}

/** Wakes a sleeping loop early; a wake while awake is remembered for the next sleep. */
class Alarm {
  private pending = false;
  private ring: (() => void) | undefined;

  wake() {
    this.pending = true;
    this.ring?.();
  }

  async sleep(ms: number) {
    if (!this.pending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.ring?.(), ms);
        this.ring = () => {
          clearTimeout(timer);
          this.ring = undefined;
          resolve();
        };
      });
    }
    this.pending = false;
  }
}

/**
 * One connection listening on the sequencer's channel, waking the consumer when events were
 * numbered. Reconnects after a second when it drops; the consumer polls meanwhile.
 */
function listen(pool: Pool, log: Logger, name: string, alarm: Alarm) {
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const connect = async () => {
    const o = pool.options;
    const c = new pg.Client({
      connectionString: o.connectionString,
      host: o.host,
      port: o.port,
      user: o.user,
      password: o.password,
      database: o.database,
      application_name: `orderly-consumer:${name}`.slice(0, 63),
    });
    const lost = (err?: Error) => {
      if (client !== c) return;
      client = undefined;
      c.end().catch(() => undefined);
      if (stopped) return;
      log.warn({ consumer: name, err: err?.message }, 'event consumer lost its listening connection');
      timer = setTimeout(() => void connect(), RETRY_DELAY_MS);
    };
    c.on('notification', () => alarm.wake());
    c.on('error', lost);
    c.on('end', () => lost());
    try {
      await c.connect();
      await c.query(`listen ${EVENTS_CHANNEL}`);
    } catch (err) {
      c.end().catch(() => undefined);
      if (!stopped) timer = setTimeout(() => void connect(), RETRY_DELAY_MS);
      log.warn({ consumer: name, err: (err as Error).message }, 'event consumer could not listen');
      return;
    }
    if (stopped) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    // Events numbered while no one listened were not announced: look once.
    alarm.wake();
  };
  void connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    const c = client;
    client = undefined;
    await c?.end().catch(() => undefined);
  };
}

/**
 * Runs the consumer in the background until the returned function is called (which waits for the
 * round in progress). A failing round is retried with a growing pause, and the same batch comes
 * again: a handler that keeps failing holds its consumer back and says so in the log.
 */
export function startEventConsumer(pool: Pool, log: Logger, opts: ConsumerOptions) {
  const idle_ms = opts.idle_ms ?? 1000;
  const batch = Math.min(Math.max(1, opts.batch_size ?? 200), BATCH_SIZE_MAX);
  const alarm = new Alarm();
  const stopListening = opts.listen === false ? async () => undefined : listen(pool, log, opts.name, alarm);
  let stopped = false;
  const stopping = new AbortController();
  const done = (async () => {
    let failures = 0;
    while (!stopped) {
      try {
        const read = await consumeOnce(pool, opts);
        failures = 0;
        // A full batch means more may be waiting: go on at once.
        if (read === null || read < batch) await alarm.sleep(idle_ms);
      } catch (err) {
        failures++;
        if (!stopped) {
          log.warn(
            { consumer: opts.name, failures, err: (err as Error).message },
            'event consumer round failed',
          );
        }
        const pause_ms = Math.min(RETRY_DELAY_MS * 2 ** (failures - 1), RETRY_DELAY_MS_MAX);
        await sleep(pause_ms, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  })();
  return async () => {
    stopped = true;
    stopping.abort();
    alarm.wake();
    await done;
    await stopListening();
  };
}
