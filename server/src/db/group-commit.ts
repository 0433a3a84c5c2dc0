import type { Pool, PoolClient } from './pool.ts';

export type Job<T> = (tx: PoolClient) => Promise<T>;

type Queued<L> = {
  job: Job<unknown>;
  locks: L | undefined;
  retry: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  attempts: number;
};

/** PostgreSQL gives these up to the caller; run again, they usually succeed. */
const TRANSIENT = new Set(['40P01', '40001']); // deadlock detected, serialization failure
const MAX_ATTEMPTS = 3;

/** FNV-1a: a cheap, stable spread of keys over lanes. */
function laneOf(key: string, lanes: number) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

/**
 * Group commit, as TigerBeetle batches transfers: jobs that arrive while their lane's transaction
 * is busy wait, then run together in the lane's next transaction, one after another, each inside
 * its own savepoint. One commit (one WAL flush, one hand-over of the rows' locks) then serves
 * many jobs instead of one.
 *
 * - A job that throws is rolled back to its savepoint alone; its error reaches only its caller.
 *   A job that allows it runs again in a later batch after a deadlock or serialization failure.
 * - A caller hears back only after the commit: a result is never seen before it is durable.
 *   If the commit fails, every job of the batch fails with that error and nothing of it is kept.
 * - A lane is one connection at a time, so the key should put jobs that touch the same rows in
 *   the same lane: they then queue behind each other instead of waiting on each other's locks.
 * - Jobs that lock rows name them (`locks`), and `lock` takes every lock of the batch before its
 *   first job, in the one order any single transaction takes them: a batch holding the rows of
 *   its earlier jobs while its later jobs lock more in another order could otherwise deadlock
 *   with another transaction.
 *
 * Jobs must use only the client they are given, and must not wait on anything slow besides it:
 * the jobs behind them in the batch wait too.
 */
export class GroupCommit<L = never> {
  private readonly queues = new Map<number, Queued<L>[]>();
  private readonly lanes: number;
  private readonly maxBatch: number;
  private readonly lock: ((tx: PoolClient, locks: L[]) => Promise<void>) | undefined;

  constructor(
    private readonly pool: Pool,
    // 32 savepoints stay within the 64 subtransactions PostgreSQL tracks per backend cheaply.
    opts: { lanes?: number; maxBatch?: number; lock?: (tx: PoolClient, locks: L[]) => Promise<void> } = {},
  ) {
    this.lock = opts.lock;
    this.lanes = opts.lanes ?? 4;
    this.maxBatch = Math.min(opts.maxBatch ?? 32, 64);
  }

  /**
   * `retry`: the job may run again after a deadlock or serialization failure (it must then be
   * repeatable: all it does is through `tx`, which the failure rolled back).
   */
  run<T>(key: string, job: Job<T>, opts: { locks?: L; retry?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue(laneOf(key, this.lanes), {
        job,
        locks: opts.locks,
        retry: opts.retry ?? false,
        resolve: resolve as (value: unknown) => void,
        reject,
        attempts: 0,
      });
    });
  }

  private enqueue(lane: number, entry: Queued<L>) {
    const queue = this.queues.get(lane);
    if (queue) {
      queue.push(entry);
      return;
    }
    this.queues.set(lane, [entry]);
    void this.drain(lane);
  }

  private async drain(lane: number) {
    const queue = this.queues.get(lane)!;
    while (queue.length > 0) await this.runBatch(lane, queue.splice(0, this.maxBatch));
    this.queues.delete(lane);
  }

  private async runBatch(lane: number, batch: Queued<L>[]) {
    const outcomes: Array<() => void> = [];
    const retry: Queued<L>[] = [];
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await client.query('begin');
      const locks = batch.flatMap((e) => (e.locks === undefined ? [] : [e.locks]));
      if (this.lock && locks.length > 0) await this.lock(client, locks);
      for (const [i, entry] of batch.entries()) {
        await client.query(`savepoint job_${i}`);
        try {
          const value = await entry.job(client);
          outcomes.push(() => entry.resolve(value));
        } catch (err) {
          await client.query(`rollback to savepoint job_${i}`);
          entry.attempts++;
          const transient = TRANSIENT.has((err as { code?: string }).code ?? '');
          if (entry.retry && transient && entry.attempts < MAX_ATTEMPTS) retry.push(entry);
          else outcomes.push(() => entry.reject(err));
        }
      }
      await client.query('commit');
    } catch (err) {
      // The connection or the commit failed: nothing of this batch is kept.
      await client?.query('rollback').catch(() => undefined);
      client?.release(err instanceof Error ? err : true);
      client = undefined;
      for (const entry of batch) entry.reject(err);
      return;
    } finally {
      client?.release();
    }
    for (const settle of outcomes) settle();
    for (const entry of retry) this.enqueue(lane, entry);
  }
}
