import client from 'prom-client';
import type { Pool } from '../db/pool.ts';
import { workflowCounts } from '../workflows/admin.ts';

export type Metrics = ReturnType<typeof createMetrics>;

/** One registry per process: HTTP latency, the database pool, workflow outcomes. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'orderly_process_' });
  const httpDuration = new client.Histogram({
    name: 'orderly_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const workflows = new client.Counter({
    name: 'orderly_workflows_total',
    help: 'Workflow runs in this process by workflow and outcome (started, succeeded, failed)',
    labelNames: ['workflow', 'outcome'] as const,
    registers: [registry],
  });
  return {
    registry,
    httpDuration,
    workflows,
    /** Pool gauges are read when /metrics is scraped, so they cost nothing in between. */
    watchPool(pool: Pool) {
      const gauge = (name: string, help: string, read: () => number) =>
        new client.Gauge({
          name,
          help,
          registers: [registry],
          collect() {
            this.set(read());
          },
        });
      gauge('orderly_db_pool_connections', 'Open database connections', () => pool.totalCount);
      gauge('orderly_db_pool_idle', 'Idle database connections', () => pool.idleCount);
      gauge('orderly_db_pool_waiting', 'Requests waiting for a connection', () => pool.waitingCount);
    },
    /**
     * Every process's workflows, from the shared database when /metrics is scraped: runs by
     * workflow and status (started = all, succeeded = SUCCESS, failed = ERROR and
     * MAX_RECOVERY_ATTEMPTS_EXCEEDED) and recoveries (runs resumed after their process died).
     */
    watchWorkflows(pool: Pool) {
      // A scrape collects metrics concurrently: both gauges share one read of the table per scrape.
      let read: Promise<Awaited<ReturnType<typeof workflowCounts>>> | undefined;
      const counts = () => {
        read ??= workflowCounts(pool).finally(() => setTimeout(() => (read = undefined), 1000).unref());
        return read;
      };
      new client.Gauge({
        name: 'orderly_workflow_runs',
        help: 'Durable workflow runs in the database by workflow and status',
        labelNames: ['workflow', 'status'] as const,
        registers: [registry],
        async collect() {
          this.reset();
          for (const r of await counts()) this.set({ workflow: r.name, status: r.status }, r.runs);
        },
      });
      new client.Gauge({
        name: 'orderly_workflow_recoveries',
        help: 'Times durable workflows were resumed after their process died, by workflow',
        labelNames: ['workflow'] as const,
        registers: [registry],
        async collect() {
          this.reset();
          for (const r of await counts()) this.inc({ workflow: r.name }, r.recoveries);
        },
      });
    },
  };
}
