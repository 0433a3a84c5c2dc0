import { DBOS } from '@dbos-inc/dbos-sdk';
import { withTransaction } from '../../db/pool.ts';
import { workflowDeps } from '../../workflows/deps.ts';
import { settle } from './reservations.ts';
import * as store from './store.ts';

const getLogger = () => workflowDeps().log;
const SYSTEM = { type: 'system' as const, id: 'reservation-expiry' };
const BATCH = 200;

/** Voids up to BATCH expired holds, each in its own transaction; voiding twice is a no-op. */
async function voidExpiredBatch(): Promise<number> {
  const { pool } = workflowDeps();
  const expired = await store.expiredReservations(pool, BATCH);
  for (const r of expired) {
    await withTransaction(pool, (tx) => settle(tx, r.tenant_id, SYSTEM, r.reservation_id, 'void'));
  }
  return expired.length;
}

/** Every minute: expired checkout holds go back to available. */
export const expireReservations = DBOS.registerWorkflow(
  async (_scheduledAt: Date, _context: unknown) => {
    const { metrics } = workflowDeps();
    metrics.workflows.inc({ workflow: 'reservation-expiry', outcome: 'started' });
    let voided = 0;
    try {
      // Bounded: at most 50 batches a run; the next minute picks up the rest.
      for (let i = 0; i < 50; i++) {
        const n = await DBOS.runStep(voidExpiredBatch, {
          name: `void-expired-${i}`,
          retriesAllowed: true,
          maxAttempts: 3,
        });
        voided += n;
        if (n < BATCH) break;
      }
      metrics.workflows.inc({ workflow: 'reservation-expiry', outcome: 'succeeded' });
      getLogger().info({ voided }, 'expired reservations voided');
    } catch (err) {
      metrics.workflows.inc({ workflow: 'reservation-expiry', outcome: 'failed' });
      throw err;
    }
  },
  { name: 'orderly.reservation-expiry' },
);
