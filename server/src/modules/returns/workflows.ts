import { DBOS } from '@dbos-inc/dbos-sdk';
import { type Pool, withTransaction } from '../../db/pool.ts';
import type { Logger } from '../../logger.ts';
import { workflowDeps } from '../../workflows/deps.ts';
import { type ConsumedEvent, startEventConsumer } from '../events/consumer.ts';
import { gatewayFromEnv } from '../fulfillment/carrier.ts';
import { refundGatewayFromEnv } from './refunds.ts';
import { closeReturn, ensureLabel, getReturn, getSettings, refundReturn, remind } from './service.ts';

/**
 * The return workflow, one per approved return (`return:<tenant>:<return id>`):
 * label → wait for the parcel (a durable wait: reminder after `reminder_after_hours`, closed
 * after `close_after_hours`) → refund → close. The wait is woken by a message the `returns`
 * consumer sends when `return.received` (or `return.cancelled`) is published, so it survives
 * restarts of any process: DBOS resumes the workflow where its last step ended.
 */

export const RETURNS_CONSUMER = 'returns';
const TOPIC = 'return-progress';
const HOUR_S = 3600;

export const returnWorkflowId = (tenantId: string, returnId: string) => `return:${tenantId}:${returnId}`;

const tx = <T>(fn: (db: Parameters<Parameters<typeof withTransaction>[1]>[0]) => Promise<T>) =>
  withTransaction(workflowDeps().pool, fn);
const step = <T>(name: string, fn: () => Promise<T>) =>
  DBOS.runStep(fn, { name, retriesAllowed: true, maxAttempts: 5, intervalSeconds: 2, backoffRate: 2 });

export const returnWorkflow = DBOS.registerWorkflow(
  async (tenantId: string, returnId: string) => {
    const { metrics } = workflowDeps();
    metrics.workflows.inc({ workflow: 'return', outcome: 'started' });
    try {
      await step('label', () => ensureLabel(workflowDeps().pool, tenantId, returnId, gatewayFromEnv()));
      const settings = await step('settings', () => getSettings(workflowDeps().pool, tenantId));
      let reminded = false;
      for (;;) {
        const { status } = await step('status', () => getReturn(workflowDeps().pool, tenantId, returnId));
        if (status === 'received') break;
        if (status !== 'approved') return status;
        const hours = reminded
          ? settings.close_after_hours - settings.reminder_after_hours
          : settings.reminder_after_hours;
        const woken = await DBOS.recv<string>(TOPIC, Math.max(1, Math.round(hours * HOUR_S)));
        if (woken !== null) continue;
        if (!reminded && settings.close_after_hours > settings.reminder_after_hours) {
          await step('reminder', () => tx((db) => remind(db, tenantId, returnId)));
          reminded = true;
          continue;
        }
        await step('close-unreceived', () => tx((db) => closeReturn(db, tenantId, returnId, 'not_received')));
        return 'closed';
      }
      await step('refund', () => tx((db) => refundReturn(db, tenantId, returnId, refundGatewayFromEnv())));
      await step('close', () => tx((db) => closeReturn(db, tenantId, returnId, 'done')));
      metrics.workflows.inc({ workflow: 'return', outcome: 'succeeded' });
      return 'closed';
    } catch (err) {
      metrics.workflows.inc({ workflow: 'return', outcome: 'failed' });
      throw err;
    }
  },
  { name: 'orderly.return' },
);

/** Approved → its workflow starts (once: the id is the return's); received or cancelled → it wakes. */
export async function onReturnEvents(events: ConsumedEvent[]) {
  for (const e of events) {
    const id = returnWorkflowId(e.tenant_id, e.subject);
    if (e.type === 'return.approved') {
      await DBOS.startWorkflow(returnWorkflow, { workflowID: id })(e.tenant_id, e.subject);
    } else if (await DBOS.getWorkflowStatus(id)) {
      // A return cancelled before approval has no workflow to wake.
      await DBOS.send(id, e.type, TOPIC, e.event_id);
    }
  }
}

export function startReturnWorkflows(pool: Pool, log: Logger, opts: { idle_ms?: number } = {}) {
  return startEventConsumer(pool, log, {
    name: RETURNS_CONSUMER,
    types: ['return.approved', 'return.received', 'return.cancelled'],
    handle: (events) => onReturnEvents(events),
    idle_ms: opts.idle_ms ?? 1000,
  });
}
