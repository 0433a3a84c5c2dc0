import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Pool, PoolClient } from '../../db/pool.ts';
import type { Logger } from '../../logger.ts';
import { workflowDeps } from '../../workflows/deps.ts';
import { type ConsumedEvent, startEventConsumer } from '../events/consumer.ts';
import {
  type AttemptResult,
  type Claim,
  claimDue,
  drainsFor,
  type NewAttemptResult,
  recordAttempts,
  recordNew,
  type SendClaim,
  sendDue,
  sendNew,
  stalledEndpoints,
} from './delivery.ts';
import { deliveryPolicy } from './policy.ts';

/**
 * Outbound webhook delivery. The `webhooks` event consumer reads every event and, in the
 * transaction that moves its cursor, starts `orderly.webhook-drain` for each enabled endpoint
 * that wants one of them and has no drain open. A drain sends its endpoint's open deliveries (a
 * retry, a redelivery, a replay) and then the events after the endpoint's cursor, read from the
 * log, in batches, oldest seq first and one after the other within a batch, stopping at a failure
 * and sleeping durably until its retry. Each event's delivery row is written once, with its
 * outcome, as the cursor moves past it. Drains run on one queue partitioned by endpoint, one at a
 * time per endpoint and the endpoints in parallel, so a slow or failing endpoint holds back only
 * itself. Redelivery, replay and re-enabling publish an event that wakes the drain the same way,
 * so API processes never start workflows. `orderly.webhook-sweep` restarts, every minute, any
 * endpoint whose oldest delivery is overdue with nothing sending it.
 */

export const WEBHOOK_QUEUE = 'orderly.webhooks';
export const WEBHOOK_CONSUMER = 'webhooks';
/** Claims one drain run makes before handing over to a successor (bounds its recorded history). */
const CLAIMS_PER_RUN_MAX = 500;
/**
 * Deliveries one claim takes: each batch costs three recorded steps and three transactions
 * rather than three per delivery. A crash between sending and recording sends the batch again
 * (same webhook-ids).
 */
const BATCH_MAX = 500;
/**
 * A drain waits, at most NOT_READY_WAIT_MS in all, for the consumer transaction that started it
 * to commit, looking again after 25 ms, then twice as long each time up to a second.
 */
const NOT_READY_POLL_MS_MIN = 25;
const NOT_READY_POLL_MS_MAX = 1000;
const NOT_READY_WAIT_MS = 60_000;
/**
 * Waits for a retry are slept in slices so a drain notices within this long that its endpoint
 * was disabled, re-enabled and replayed meanwhile (the new drain queues behind this one).
 */
const WAIT_SLICE_MS = 5 * 60_000;
/** The sweep: a delivery this overdue with nothing in flight, or a batch in flight this long, has nobody sending it. */
const STALLED_DUE_S = 120;
const STALLED_IN_FLIGHT_S = 600;
const SWEEP_ENDPOINTS_MAX = 1000;

const STEP = { retriesAllowed: true, maxAttempts: 5, intervalSeconds: 1 } as const;

/**
 * Drains one endpoint. `triggerSeq` is the seq the consumer asked for it with: the drain first
 * waits until the endpoint shows it (the consumer's transaction committed), so it cannot start,
 * find nothing and end before the deliveries it was started for are visible.
 */
export const webhookDrain = DBOS.registerWorkflow(
  async (tenantId: string, webhookId: string, triggerSeq: number) => {
    const { metrics } = workflowDeps();
    metrics.workflows.inc({ workflow: 'webhook-drain', outcome: 'started' });
    try {
      let polls = 0;
      let waited_ms = 0;
      let last: string | undefined;
      for (let i = 0; i < CLAIMS_PER_RUN_MAX; i++) {
        const claim: Claim = await DBOS.runStep(
          () => claimDue(workflowDeps().pool, tenantId, webhookId, triggerSeq, BATCH_MAX),
          { name: 'claim', ...STEP },
        );
        if (claim.kind === 'idle') break;
        if (claim.kind === 'not_ready') {
          const poll_ms = Math.min(NOT_READY_POLL_MS_MIN * 2 ** polls++, NOT_READY_POLL_MS_MAX);
          waited_ms += poll_ms;
          if (waited_ms > NOT_READY_WAIT_MS) break;
          await DBOS.sleep(poll_ms);
          continue;
        }
        if (claim.kind === 'wait') {
          await DBOS.sleep(Math.min(claim.wait_ms, WAIT_SLICE_MS));
          continue;
        }
        if (claim.kind === 'send_new') {
          await sendAndRecordNew(tenantId, webhookId, claim.after);
          last = `seq:${claim.after}`;
        } else {
          await sendAndRecord(tenantId, webhookId, claim.deliveries);
          const first = claim.deliveries[0]!;
          last = `${first.delivery_id}:${first.attempt}`;
        }
        if (i === CLAIMS_PER_RUN_MAX - 1) {
          await startDrain(`webhook-drain:${tenantId}:${webhookId}:after:${last}`, tenantId, webhookId, 0);
        }
      }
      metrics.workflows.inc({ workflow: 'webhook-drain', outcome: 'succeeded' });
    } catch (err) {
      metrics.workflows.inc({ workflow: 'webhook-drain', outcome: 'failed' });
      throw err;
    }
  },
  { name: 'orderly.webhook-drain' },
);

// The send steps are not retried by DBOS: a failed attempt is a result, retried on our schedule.
// A crash from sending to recording leaves the endpoint marked in flight, for the sweep.

async function sendAndRecord(tenantId: string, webhookId: string, claims: SendClaim[]) {
  const results: AttemptResult[] = await DBOS.runStep(
    () => {
      const { pool, config } = workflowDeps();
      return sendDue(pool, config, deliveryPolicy(), tenantId, webhookId, claims);
    },
    { name: 'send' },
  );
  await DBOS.runStep(
    () => {
      const { pool, metrics } = workflowDeps();
      return recordAttempts(pool, metrics, deliveryPolicy(), tenantId, webhookId, claims, results);
    },
    { name: 'record', ...STEP },
  );
}

async function sendAndRecordNew(tenantId: string, webhookId: string, after: number) {
  // As one JSON string: DBOS's serializer walks every object of a step's output, and a batch is
  // hundreds of attempts; a string it stores as it is.
  const sent: string = await DBOS.runStep(
    async () => {
      const { pool, config } = workflowDeps();
      return JSON.stringify(
        await sendNew(pool, config, deliveryPolicy(), tenantId, webhookId, after, BATCH_MAX),
      );
    },
    { name: 'send-new' },
  );
  const results = JSON.parse(sent) as NewAttemptResult[];
  await DBOS.runStep(
    () => {
      const { pool, metrics } = workflowDeps();
      return recordNew(pool, metrics, deliveryPolicy(), tenantId, webhookId, results);
    },
    { name: 'record-new', ...STEP },
  );
}

/** Starts (or finds, by its id) a drain on the endpoint's partition of the queue. */
function startDrain(workflowID: string, tenantId: string, webhookId: string, triggerSeq: number) {
  return DBOS.startWorkflow(webhookDrain, {
    workflowID,
    queueName: WEBHOOK_QUEUE,
    enqueueOptions: { queuePartitionKey: `${tenantId}:${webhookId}` },
  })(tenantId, webhookId, triggerSeq);
}

/** The consumer's handler: a drain for each endpoint that has work and none open. */
export async function onEvents(events: ConsumedEvent[], tx: PoolClient) {
  // Together: the consumer holds these endpoints until it commits.
  await Promise.all(
    (await drainsFor(events, tx)).map((d) =>
      startDrain(`webhook-drain:${d.tenant_id}:${d.webhook_id}:${d.seq}`, d.tenant_id, d.webhook_id, d.seq),
    ),
  );
}

/** Every minute: a drain for each endpoint whose oldest delivery nobody is sending. */
export const webhookSweep = DBOS.registerWorkflow(
  async (_scheduledAt: Date, _context: unknown) => {
    const stalled = await DBOS.runStep(
      () => stalledEndpoints(workflowDeps().pool, STALLED_DUE_S, STALLED_IN_FLIGHT_S, SWEEP_ENDPOINTS_MAX),
      { name: 'stalled-endpoints', ...STEP },
    );
    // Named after the stalled delivery's state, so sweeps that find it again start nothing new.
    for (const s of stalled) {
      const id = `webhook-sweep:${s.tenant_id}:${s.webhook_id}:${s.head}:${s.attempts}:${s.stalled}`;
      await startDrain(id, s.tenant_id, s.webhook_id, 0);
    }
    if (stalled.length > 0)
      workflowDeps().log.warn({ endpoints: stalled.length }, 'webhook drains restarted');
  },
  { name: 'orderly.webhook-sweep' },
);

/**
 * In each worker process, after DBOS has launched: the drain queue and the consumer that feeds
 * it. Returns the function that stops the consumer (before DBOS shuts down).
 */
export async function startWebhookDelivery(pool: Pool, log: Logger, opts: { idle_ms?: number } = {}) {
  await DBOS.registerQueue(WEBHOOK_QUEUE, { partitionConcurrency: 1, minPollingIntervalMs: 100 });
  return startEventConsumer(pool, log, {
    name: WEBHOOK_CONSUMER,
    types: ['*'],
    handle: onEvents,
    idle_ms: opts.idle_ms ?? 1000,
  });
}
