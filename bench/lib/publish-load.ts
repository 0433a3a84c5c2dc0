import { isMainThread, parentPort } from 'node:worker_threads';
import { createPool, type Pool, withTransaction } from '../../server/src/db/pool.ts';
import { newId } from '../../server/src/lib/ids.ts';
import { createLogger } from '../../server/src/logger.ts';
import { EVENT_SCHEMAS } from '../../server/src/modules/events/catalogue.ts';
import { publish } from '../../server/src/modules/events/service.ts';
import { openLoop } from './open-loop.ts';
import { ask, tsWorker } from './ts-worker.ts';

/**
 * An open-loop event publisher in a thread of its own: `publish()` in its own transaction per
 * event, as an API process would, on its own connections. Not on the workers' event loop, where
 * the publishing an API process does elsewhere would take time from the drains.
 */

export type PublishJob = {
  databaseUrl: string;
  tenantId: string;
  type: 'order.held';
  rate: number;
  seconds: number;
  /** Subjects are `ord_bench_<first + i>`. */
  first: number;
};

/** The open loop's figures, and each event's id with when its COMMIT returned (epoch ms). */
export type PublishResult = Awaited<ReturnType<typeof openLoop>> & { committed: [string, number][] };

const clock = () => performance.timeOrigin + performance.now();
let pool: Pool | undefined;

async function run(job: PublishJob): Promise<PublishResult> {
  pool ??= createPool(job.databaseUrl, createLogger('silent'), 20);
  const db = pool;
  const committed: [string, number][] = [];
  const actor = { type: 'system' as const, id: 'bench' };
  const result = await openLoop(job.rate, job.seconds, async (i) => {
    const event_id = newId('evt');
    const subject = `ord_bench_${job.first + i}`;
    const data = EVENT_SCHEMAS[job.type].parse({ order_id: subject, reason: 'bench: held for review' });
    await withTransaction(db, (tx) =>
      publish(tx, job.tenantId, actor, { type: job.type, subject, data, event_id }),
    );
    committed.push([event_id, clock()]);
    return true;
  });
  return { ...result, committed };
}

if (!isMainThread)
  parentPort!.on('message', async (job: PublishJob) => parentPort!.postMessage(await run(job)));

/** Starts the thread; `run` publishes one job's events at a time and resolves with its result. */
export function publishThread() {
  const worker = tsWorker(import.meta.url);
  return {
    run: (job: PublishJob) => ask<PublishJob, PublishResult>(worker, job),
    /** Ends the thread's connections (the database can then be dropped), then the thread. */
    close: async () => {
      await ask<'close', 'closed'>(worker, 'close');
      await worker.terminate();
    },
  };
}
