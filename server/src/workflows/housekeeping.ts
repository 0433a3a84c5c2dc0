import { DBOS } from '@dbos-inc/dbos-sdk';
import { deleteExpiredSessions } from '../modules/tenancy/service.ts';
import { workflowDeps } from './deps.ts';

/** Idempotency records are kept a day: long enough for any client's retries. */
const IDEMPOTENCY_TTL = '24 hours';

async function purgeExpired(): Promise<{ sessions: number; idempotency_keys: number }> {
  const { pool } = workflowDeps();
  const sessions = await deleteExpiredSessions(pool);
  const keys = await pool.query(
    `delete from idempotency_keys where created_at < now() - interval '${IDEMPOTENCY_TTL}'`,
  );
  return { sessions, idempotency_keys: keys.rowCount ?? 0 };
}

/** Hourly: forget expired sessions and old idempotency records. Deleting twice is harmless. */
export const housekeeping = DBOS.registerWorkflow(
  async (_scheduledAt: Date, _context: unknown) => {
    const { metrics, log } = workflowDeps();
    metrics.workflows.inc({ workflow: 'housekeeping', outcome: 'started' });
    try {
      const purged = await DBOS.runStep(purgeExpired, {
        name: 'purge-expired',
        retriesAllowed: true,
        maxAttempts: 5,
      });
      log.info({ purged }, 'housekeeping done');
      metrics.workflows.inc({ workflow: 'housekeeping', outcome: 'succeeded' });
    } catch (err) {
      metrics.workflows.inc({ workflow: 'housekeeping', outcome: 'failed' });
      throw err;
    }
  },
  { name: 'orderly.housekeeping' },
);
