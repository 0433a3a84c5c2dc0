import { DBOSClient, type WorkflowStatus } from '@dbos-inc/dbos-sdk';
import type { Pool } from '../db/pool.ts';
import { AppError, notFound } from '../http/problem.ts';

/**
 * Durable workflows as a tenant's admin sees them: which failed or are stuck, with their error,
 * and retry or cancel. Any process can do this, API-only ones included: it goes through a DBOS
 * client on the same database, not the runtime.
 *
 * A workflow belongs to the tenant its id names: every per-tenant workflow id is
 * `<kind>:<tenant_id>:…`. Scheduled housekeeping belongs to no tenant and is not listed.
 */

export const WORKFLOW_KINDS = [
  'order',
  'return',
  'backorder-release',
  'backorder-sweep',
  'webhook-drain',
  'webhook-sweep',
] as const;

export const STATUS_FILTERS = {
  failed: ['ERROR', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED'],
  pending: ['PENDING'],
  enqueued: ['ENQUEUED'],
  succeeded: ['SUCCESS'],
  cancelled: ['CANCELLED'],
} as const;
export type StatusFilter = keyof typeof STATUS_FILTERS;

const RETRYABLE = new Set(['ERROR', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', 'CANCELLED']);
const CANCELLABLE = new Set(['PENDING', 'ENQUEUED']);

const clients = new WeakMap<Pool, Promise<DBOSClient>>();
/** One client per pool: it shares the application's connections. */
function clientFor(pool: Pool) {
  let c = clients.get(pool);
  if (!c) {
    // The URL is only read for its database name; queries go through the given pool.
    c = DBOSClient.create({ systemDatabaseUrl: pool.options.connectionString!, systemDatabasePool: pool });
    clients.set(pool, c);
  }
  return c;
}

const belongsTo = (tenantId: string, workflowId: string) =>
  WORKFLOW_KINDS.some((k) => workflowId.startsWith(`${k}:${tenantId}:`));

/** DBOS makes its tables when a worker first starts; before that there is nothing to list. */
async function hasWorkflows(pool: Pool) {
  const { rows } = await pool.query(`select to_regclass('dbos.workflow_status') is not null as ok`);
  return rows[0].ok as boolean;
}

function errorText(error: unknown): string | null {
  if (error === undefined || error === null) return null;
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return JSON.stringify(error);
}

export type WorkflowView = ReturnType<typeof toView>;

function toView(w: WorkflowStatus) {
  return {
    workflow_id: w.workflowID,
    name: w.workflowName,
    status: w.status,
    error: errorText(w.error),
    queue: w.queueName ?? null,
    executor_id: w.executorId ?? null,
    recovery_attempts: w.recoveryAttempts ?? 0,
    created_at: new Date(w.createdAt).toISOString(),
    updated_at: w.updatedAt ? new Date(w.updatedAt).toISOString() : null,
  };
}

export async function listWorkflows(
  pool: Pool,
  tenantId: string,
  q: { status?: StatusFilter | undefined; name?: string | undefined; limit: number; offset: number },
) {
  if (!(await hasWorkflows(pool))) return { data: [], next_offset: null };
  const client = await clientFor(pool);
  const rows = await client.listWorkflows({
    workflow_id_prefix: WORKFLOW_KINDS.map((k) => `${k}:${tenantId}:`),
    ...(q.status && { status: [...STATUS_FILTERS[q.status]] }),
    ...(q.name && { workflowName: q.name }),
    sortDesc: true,
    limit: q.limit + 1,
    offset: q.offset,
    loadInput: false,
    // The error is read with the output.
    loadOutput: true,
  });
  return {
    data: rows.slice(0, q.limit).map(toView),
    next_offset: rows.length > q.limit ? q.offset + q.limit : null,
  };
}

async function find(pool: Pool, tenantId: string, workflowId: string) {
  const w =
    belongsTo(tenantId, workflowId) && (await hasWorkflows(pool))
      ? await (await clientFor(pool)).getWorkflow(workflowId)
      : undefined;
  if (!w) throw notFound(`Workflow ${workflowId}`);
  return w;
}

export async function getWorkflow(pool: Pool, tenantId: string, workflowId: string) {
  const w = await find(pool, tenantId, workflowId);
  const steps = (await (await clientFor(pool)).listWorkflowSteps(workflowId)) ?? [];
  return {
    ...toView(w),
    steps: steps.map((s) => ({
      step: s.functionID,
      name: s.name,
      error: errorText(s.error),
      child_workflow_id: s.childWorkflowID,
      started_at: s.startedAtEpochMs ? new Date(s.startedAtEpochMs).toISOString() : null,
      completed_at: s.completedAtEpochMs ? new Date(s.completedAtEpochMs).toISOString() : null,
    })),
  };
}

/**
 * Runs a failed or cancelled workflow again. A cancelled one (or one out of recovery attempts)
 * resumes from its last completed step. A failed one is forked from the step that failed: DBOS
 * records a step's error as its outcome, so resuming would only replay the error. The fork is a
 * new workflow, `<id>:retry-<n>`, given the recorded results of the steps before, so what
 * already happened is not done twice. A worker picks it up.
 */
export async function retryWorkflow(pool: Pool, tenantId: string, workflowId: string) {
  const w = await find(pool, tenantId, workflowId);
  if (!RETRYABLE.has(w.status)) {
    throw new AppError(
      'conflict',
      `Only failed or cancelled workflows can be retried; this one is ${w.status}.`,
      {
        code: 'not_retryable',
        current_status: w.status,
      },
    );
  }
  const client = await clientFor(pool);
  if (w.status !== 'ERROR') {
    await client.resumeWorkflow(workflowId);
    return getWorkflow(pool, tenantId, workflowId);
  }
  const steps = (await client.listWorkflowSteps(workflowId)) ?? [];
  const failedAt = steps.find((s) => s.error !== null)?.functionID ?? steps.length;
  const earlier = await client.listWorkflows({
    workflow_id_prefix: `${workflowId}:retry-`,
    loadInput: false,
  });
  const forked = await client.forkWorkflow(workflowId, failedAt, {
    newWorkflowID: `${workflowId}:retry-${earlier.length + 1}`,
  });
  return getWorkflow(pool, tenantId, forked);
}

/** Stops a pending or queued workflow at its next step; retry resumes it. */
export async function cancelWorkflow(pool: Pool, tenantId: string, workflowId: string) {
  const w = await find(pool, tenantId, workflowId);
  if (!CANCELLABLE.has(w.status)) {
    throw new AppError(
      'conflict',
      `Only pending or queued workflows can be cancelled; this one is ${w.status}.`,
      {
        code: 'not_cancellable',
        current_status: w.status,
      },
    );
  }
  await (await clientFor(pool)).cancelWorkflow(workflowId);
  return getWorkflow(pool, tenantId, workflowId);
}

/** Runs by workflow and status, and recoveries (a run resumed after its process died), for /metrics. */
export async function workflowCounts(pool: Pool) {
  if (!(await hasWorkflows(pool))) return [];
  const { rows } = await pool.query<{ name: string; status: string; runs: number; recoveries: number }>(
    `select name, status, count(*)::int as runs, coalesce(sum(greatest(recovery_attempts - 1, 0)), 0)::int as recoveries
     from dbos.workflow_status group by name, status`,
  );
  return rows;
}
