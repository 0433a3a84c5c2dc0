import client from 'prom-client';
import type { Pool } from '../db/pool.ts';

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
  };
}
