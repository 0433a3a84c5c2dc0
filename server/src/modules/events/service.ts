import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool, Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import type { Logger } from '../../logger.ts';
import { insertEvents, listEvents, type NewEvent, sequenceEvents } from './store.ts';

export type { NewEvent };

/**
 * Every module publishes through this, with the same client as the change it reports, so the
 * event commits or rolls back with it.
 */
export function publish(db: Queryable, tenantId: string, actor: Actor, ...events: NewEvent[]) {
  return insertEvents(db, tenantId, actor, events);
}

export function parseTypes(types: string | undefined) {
  if (!types) return undefined;
  const list = types
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return {
    exact: list.filter((t) => !t.endsWith('*')),
    prefixes: list.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1)),
  };
}

/** Reads in order after `after`; numbers what has committed first so a reader sees its own writes. */
export async function readEvents(
  pool: Pool,
  tenantId: string,
  after: number,
  types: string | undefined,
  limit: number,
) {
  await sequenceEvents(pool, true);
  const data = await listEvents(pool, tenantId, after, parseTypes(types), limit);
  return { data, next_after: data.at(-1)?.seq ?? after };
}

/**
 * Background numbering of committed events, in every process that runs workers. Several may run:
 * the database lets one number at a time and the others skip that round.
 */
export function startSequencer(pool: Pool, log: Logger, idle_ms = 100) {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        const n = await sequenceEvents(pool, false);
        if (n === 0) await sleep(idle_ms);
      } catch (err) {
        if (!stopped) log.warn({ err: (err as Error).message }, 'event sequencer round failed');
        await sleep(1000);
      }
    }
  })();
  return async () => {
    stopped = true;
    await done;
  };
}
