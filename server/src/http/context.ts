import type { Config } from '../config.ts';
import type { Pool, Queryable } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../system/metrics.ts';

export const ROLES = ['admin', 'manager', 'support'] as const;
export type Role = (typeof ROLES)[number];

export type Actor = { type: 'user' | 'api_key' | 'system'; id: string };

/** Who is calling: always one tenant, one role, one actor for the audit trail. */
export type Principal = {
  tenant_id: string;
  role: Role;
  actor: Actor;
  session_id?: string;
};

/** What every part of the server is built from; one per process. */
export type Deps = {
  config: Config;
  pool: Pool;
  log: Logger;
  metrics: Metrics;
};

export type AppEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    principal: Principal | undefined;
    /** The pool for reads; for writes, the client of the request's transaction. */
    db: Queryable;
    /** Work to start once the request's transaction has committed (e.g. a workflow). */
    afterCommit: (fn: () => Promise<unknown>) => void;
    /** Top-level answer fields that must not be stored for idempotent replay (secrets shown once). */
    redactOnReplay: string[] | undefined;
  };
};
