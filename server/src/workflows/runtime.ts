import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Deps } from '../http/context.ts';
import type { Logger } from '../logger.ts';
import { startSequencer } from '../modules/events/service.ts';
import {
  fulfillmentRiskSweep,
  startFulfillmentSync,
  startOrderLifecycles,
  trackingPoll,
} from '../modules/fulfillment/workflows.ts';
import { expireReservations } from '../modules/inventory/workflows.ts';
import { backorderSweep, startBackorderRelease } from '../modules/orders/backorder-workflow.ts';
import { placeSubscriptionCycles } from '../modules/orders/subscription-workflow.ts';
import { startReturnWorkflows } from '../modules/returns/workflows.ts';
import { startWebhookDelivery, webhookSweep } from '../modules/webhooks/workflows.ts';
import { setWorkflowDeps } from './deps.ts';
import { housekeeping } from './housekeeping.ts';

/**
 * Pending workflows only resume under the application version that started them. DBOS's default
 * is a hash of the code, so any deploy would strand them; we pin it and change it only when a
 * workflow's steps change shape (see docs/operating/upgrades.md).
 */
export const WORKFLOW_APP_VERSION = 'orderly-wf-1';

const dbosLogger = (log: Logger) => ({
  info: (e: unknown) => log.info({ dbos: e }),
  debug: (e: unknown) => log.debug({ dbos: e }),
  warn: (e: unknown) => log.warn({ dbos: e }),
  error: (e: unknown) => log.error({ dbos: e instanceof Error ? e.message : e }),
});

const HEARTBEAT_MS = 10_000;
/** Advisory lock key for DBOS's launch (its own schema set-up). */
const DBOS_LAUNCH_LOCK = 7_461_006;

/**
 * Launches the durable-workflow runtime in this process: DBOS on the same Postgres (its tables in
 * schema `dbos`), the schedules, the event sequencer, and a heartbeat /health can see.
 */
export async function startWorkers(
  deps: Deps,
  databaseUrl: string,
  opts: { executorId: string; role: string },
) {
  setWorkflowDeps(deps);
  const log = deps.log.child({ component: 'workflows' });
  DBOS.setConfig({
    name: 'orderly',
    systemDatabaseUrl: withIdleTransactionTimeout(databaseUrl),
    applicationVersion: deps.config.appVersion === '1' ? WORKFLOW_APP_VERSION : deps.config.appVersion,
    executorID: opts.executorId,
    logger: dbosLogger(log),
  });
  // DBOS sets up its own tables at launch without a lock: two processes starting together on a
  // fresh database deadlock there. They take turns instead (a session lock, held during launch).
  // The lock is polled, not waited for: DBOS builds indexes CONCURRENTLY, which waits for every
  // statement in progress, a blocked lock request included.
  const turn = await deps.pool.connect();
  try {
    while (!(await turn.query('select pg_try_advisory_lock($1) as ok', [DBOS_LAUNCH_LOCK])).rows[0].ok) {
      await sleep(200);
    }
    await DBOS.launch();
  } finally {
    await turn.query('select pg_advisory_unlock($1)', [DBOS_LAUNCH_LOCK]).catch(() => undefined);
    turn.release();
  }
  await DBOS.applySchedules([
    { scheduleName: 'orderly.housekeeping', workflowFn: housekeeping, schedule: '17 * * * *' },
    { scheduleName: 'orderly.reservation-expiry', workflowFn: expireReservations, schedule: '* * * * *' },
    { scheduleName: 'orderly.backorder-sweep', workflowFn: backorderSweep, schedule: '*/5 * * * *' },
    { scheduleName: 'orderly.subscriptions', workflowFn: placeSubscriptionCycles, schedule: '* * * * *' },
    { scheduleName: 'orderly.webhook-sweep', workflowFn: webhookSweep, schedule: '* * * * *' },
    { scheduleName: 'orderly.fulfillment-risk', workflowFn: fulfillmentRiskSweep, schedule: '*/5 * * * *' },
    { scheduleName: 'orderly.tracking-poll', workflowFn: trackingPoll, schedule: '*/15 * * * *' },
  ]);
  const stopSequencer = startSequencer(deps.pool, log);
  const stopBackorderRelease = await startBackorderRelease(deps.pool, log);
  const stopWebhookDelivery = await startWebhookDelivery(deps.pool, log);
  const stopFulfillmentSync = await startFulfillmentSync(deps.pool, log);
  const stopReturnWorkflows = await startReturnWorkflows(deps.pool, log);
  const stopOrderLifecycles = await startOrderLifecycles(deps.pool, log);
  const beat = () =>
    deps.pool.query(
      `insert into orderly_system.workers (executor_id, role, hostname, pid) values ($1, $2, $3, $4)
       on conflict (executor_id) do update set role = $2, hostname = $3, pid = $4, last_seen_at = now()`,
      [opts.executorId, opts.role, hostname(), process.pid],
    );
  await beat();
  const timer = setInterval(
    () => beat().catch((err) => log.warn({ err: err.message }, 'heartbeat failed')),
    HEARTBEAT_MS,
  );
  log.info({ executor_id: opts.executorId, version: WORKFLOW_APP_VERSION }, 'workflow workers running');
  let running = true;
  return {
    running: () => running,
    stop: async () => {
      running = false;
      clearInterval(timer);
      await stopBackorderRelease();
      await stopWebhookDelivery();
      await stopFulfillmentSync();
      await stopReturnWorkflows();
      await stopOrderLifecycles();
      await stopSequencer();
      await deps.pool
        .query('delete from orderly_system.workers where executor_id = $1', [opts.executorId])
        .catch(() => undefined);
      await DBOS.shutdown();
      setWorkflowDeps(undefined);
    },
  };
}

/**
 * DBOS ends system-database sessions left idle inside a transaction after a minute. Set in the
 * URL, each connection starts with it; otherwise DBOS queues a `SET` on every new connection
 * ahead of its borrower's first query, which pg warns is deprecated (two queries at once).
 */
export function withIdleTransactionTimeout(databaseUrl: string) {
  const url = new URL(databaseUrl);
  const options = url.searchParams.get('options');
  if (options?.includes('idle_in_transaction_session_timeout')) return databaseUrl;
  url.searchParams.set(
    'options',
    `${options ? `${options} ` : ''}-c idle_in_transaction_session_timeout=60000`,
  );
  return url.toString();
}
