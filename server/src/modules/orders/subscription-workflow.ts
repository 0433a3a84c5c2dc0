import { DBOS } from '@dbos-inc/dbos-sdk';
import { workflowDeps } from '../../workflows/deps.ts';
import { placeDueCycles } from './subscriptions.ts';

const BATCH = 100;
const MAX_BATCHES = 20;

/**
 * Every minute: places the subscription cycles that are due, up to MAX_BATCHES × BATCH a run (the
 * next minute picks up the rest). Each step claims subscriptions with `skip locked` and commits each
 * one on its own, so a step retried after a crash finds the ones it finished no longer due. `now`
 * is the schedule's tick, so a replayed run decides exactly as the first one did.
 */
export const placeSubscriptionCycles = DBOS.registerWorkflow(
  async (scheduledAt: Date, _context: unknown) => {
    const { metrics, log } = workflowDeps();
    metrics.workflows.inc({ workflow: 'subscriptions', outcome: 'started' });
    const now = new Date(scheduledAt);
    const totals = { placed: 0, skipped: 0, failed: 0, errors: 0 };
    // Subscriptions that hit an unexpected error are not retried in the same run.
    const errored: string[] = [];
    try {
      for (let i = 0; i < MAX_BATCHES; i++) {
        const r = await DBOS.runStep(() => placeDueCycles(workflowDeps().pool, now, BATCH, [...errored]), {
          name: `place-due-cycles-${i}`,
          retriesAllowed: true,
          maxAttempts: 3,
        });
        totals.placed += r.placed;
        totals.skipped += r.skipped;
        totals.failed += r.failed;
        totals.errors += r.errors.length;
        for (const e of r.errors) {
          errored.push(e.subscription_id);
          log.warn({ subscription_id: e.subscription_id, err: e.message }, 'subscription cycle error');
        }
        if (r.claimed < BATCH) break;
      }
      metrics.workflows.inc({ workflow: 'subscriptions', outcome: 'succeeded' });
      log.info({ ...totals, now: now.toISOString() }, 'subscription cycles placed');
    } catch (err) {
      metrics.workflows.inc({ workflow: 'subscriptions', outcome: 'failed' });
      throw err;
    }
  },
  { name: 'orderly.subscriptions' },
);
