import { type Pool, type Queryable, withTransaction } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { AppError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { type NewEvent, publish } from '../events/service.ts';
import type { CreateOrder, Order } from './schema.ts';
import { captureOrder } from './service.ts';
import {
  type IntervalUnit,
  type Schedule,
  SUBSCRIPTION_ORDERS_MAX,
  type Subscription,
  type SubscriptionStatus,
  type SubscriptionTemplate,
} from './subscription-schema.ts';

/**
 * Subscriptions: a template order placed again every cycle by the `orderly.subscriptions`
 * workflow. The order captured with the schedule is cycle 1; cycle n is captured as a standard
 * order with channel order id `<subscription_id>:<n>`, so a replayed cycle finds its order.
 */

// ── cycle boundaries ─────────────────────────────────────────────────────────────────────────

const DAY_MS = 86_400_000;

/**
 * The n-th cycle boundary after `anchor` (the first order's time). Plain UTC arithmetic: the repo
 * has no date library, and UTC has no daylight-saving gaps. Months are calendar months with the day
 * clamped (Jan 31 → Feb 28/29 → Mar 31), always counted from the anchor, so a short month does
 * not pull every later cycle earlier.
 */
export function boundary(anchor: Date, every: number, unit: IntervalUnit, n: number): Date {
  if (unit !== 'month') return new Date(anchor.getTime() + n * every * (unit === 'week' ? 7 : 1) * DAY_MS);
  const months = anchor.getUTCMonth() + n * every;
  const year = anchor.getUTCFullYear() + Math.floor(months / 12);
  const month = months % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const d = new Date(anchor);
  d.setUTCFullYear(year, month, Math.min(anchor.getUTCDate(), lastDay));
  return d;
}

/** The first boundary strictly after `t` (never the anchor itself). */
export function nextBoundaryAfter(anchor: Date, every: number, unit: IntervalUnit, t: Date): Date {
  const elapsed =
    unit === 'month'
      ? (t.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + t.getUTCMonth() - anchor.getUTCMonth()
      : (t.getTime() - anchor.getTime()) / ((unit === 'week' ? 7 : 1) * DAY_MS);
  // The estimate is off by at most one interval either way; step to the exact one.
  let n = Math.max(1, Math.floor(elapsed / every));
  while (n > 1 && boundary(anchor, every, unit, n - 1) > t) n--;
  while (boundary(anchor, every, unit, n) <= t) n++;
  return boundary(anchor, every, unit, n);
}

// ── the rows ─────────────────────────────────────────────────────────────────────────────────

type Row = Omit<Subscription, 'next_run_at' | 'created_at' | 'updated_at'> & {
  tenant_id: string;
  next_run_at: Date;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = `s.tenant_id, s.subscription_id, s.status, s.interval_count, s.interval_unit, s.template,
  s.cycles_placed, s.skip_next, s.next_run_at, s.actor, s.created_at, s.updated_at`;

function toApi(r: Row): Subscription {
  const { tenant_id: _t, ...rest } = r;
  return {
    ...rest,
    next_run_at: r.next_run_at.toISOString(),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

async function find(db: Queryable, tenantId: string, id: string, lock = false) {
  const { rows } = await db.query<Row>(
    `select ${COLUMNS} from subscriptions s where s.tenant_id = $1 and s.subscription_id = $2
     ${lock ? 'for update' : ''}`,
    [tenantId, id],
  );
  if (!rows[0]) throw notFound(`Subscription ${id}`);
  return rows[0];
}

async function save(
  db: Queryable,
  s: Row,
  change: Partial<Pick<Row, 'status' | 'skip_next' | 'next_run_at' | 'cycles_placed'>>,
) {
  const next = { ...s, ...change };
  const { rows } = await db.query<{ updated_at: Date }>(
    `update subscriptions set status = $3, skip_next = $4, next_run_at = $5, cycles_placed = $6,
       updated_at = now()
     where tenant_id = $1 and subscription_id = $2 returning updated_at`,
    [s.tenant_id, s.subscription_id, next.status, next.skip_next, next.next_run_at, next.cycles_placed],
  );
  return { ...next, updated_at: rows[0]!.updated_at };
}

/** The first order's time: every cycle boundary is counted from it. */
async function anchorOf(db: Queryable, s: Row): Promise<Date> {
  const { rows } = await db.query<{ anchor: Date | null }>(
    'select min(placed_at) as anchor from orders where tenant_id = $1 and subscription_id = $2',
    [s.tenant_id, s.subscription_id],
  );
  return rows[0]?.anchor ?? s.created_at;
}

const event = (type: string, s: Row, data: Record<string, unknown> = {}): NewEvent => ({
  type: `subscription.${type}`,
  subject: s.subscription_id,
  data: { subscription_id: s.subscription_id, status: s.status, ...data },
});

// ── create and read ──────────────────────────────────────────────────────────────────────────

/**
 * Called by capture, in its transaction, for a new `subscription` order: that order is cycle 1
 * and is linked to the subscription; the next cycle is one interval after it was placed.
 */
export async function createSubscription(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  firstOrder: { order: Pick<Order, 'order_id' | 'placed_at'>; input: CreateOrder },
  schedule: Schedule,
): Promise<Subscription> {
  const { channel_order_id: _c, placed_at: _p, subscription: _s, ...template } = firstOrder.input;
  const id = newId('sub');
  const nextRunAt = boundary(new Date(firstOrder.order.placed_at), schedule.every, schedule.unit, 1);
  const { rows } = await db.query<Row>(
    `insert into subscriptions as s (tenant_id, subscription_id, status, interval_count, interval_unit,
       template, cycles_placed, next_run_at, actor)
     values ($1, $2, 'active', $3, $4, $5, 1, $6, $7)
     returning ${COLUMNS}`,
    [tenantId, id, schedule.every, schedule.unit, JSON.stringify(template), nextRunAt, JSON.stringify(actor)],
  );
  await db.query('update orders set subscription_id = $3 where tenant_id = $1 and order_id = $2', [
    tenantId,
    firstOrder.order.order_id,
    id,
  ]);
  const s = rows[0]!;
  await publish(
    db,
    tenantId,
    actor,
    event('created', s, { first_order_id: firstOrder.order.order_id, subscription: toApi(s) }),
  );
  return toApi(s);
}

export async function getSubscription(db: Queryable, tenantId: string, id: string) {
  const s = await find(db, tenantId, id);
  const { rows } = await db.query<{
    order_id: string;
    order_number: number;
    channel_order_id: string;
    status: Order['status'];
    placed_at: Date;
  }>(
    `select order_id, order_number, channel_order_id, status, placed_at from orders
     where tenant_id = $1 and subscription_id = $2
     order by placed_at desc, order_id desc limit $3`,
    [tenantId, id, SUBSCRIPTION_ORDERS_MAX],
  );
  return { ...toApi(s), orders: rows.map((o) => ({ ...o, placed_at: o.placed_at.toISOString() })) };
}

/** Newest first; `after` is the last subscription id of the previous page. */
export async function listSubscriptions(
  db: Queryable,
  tenantId: string,
  filter: { status?: SubscriptionStatus | undefined },
  after: string | undefined,
  limit: number,
) {
  const { rows } = await db.query<Row>(
    `select ${COLUMNS} from subscriptions s
     where s.tenant_id = $1 and ($2::text is null or s.status = $2)
       and ($3::text is null or s.subscription_id < $3)
     order by s.subscription_id desc limit $4`,
    [tenantId, filter.status ?? null, after ?? null, limit],
  );
  return rows.map(toApi);
}

// ── pause, resume, skip, cancel ──────────────────────────────────────────────────────────────

export type SubscriptionAction = 'pause' | 'resume' | 'skip' | 'cancel';

/** The table of allowed changes: the statuses each action may start from. */
export const ALLOWED_FROM: Record<SubscriptionAction, readonly SubscriptionStatus[]> = {
  pause: ['active'],
  resume: ['paused'],
  skip: ['active'],
  cancel: ['active', 'paused'],
};
const TARGET: Partial<Record<SubscriptionAction, SubscriptionStatus>> = {
  pause: 'paused',
  resume: 'active',
  cancel: 'cancelled',
};
const DONE = { pause: 'paused', resume: 'resumed', skip: 'skipped', cancel: 'cancelled' } as const;

/** 409 for a change the subscription's state does not allow, with what it does allow. */
function refuse(s: Row, detail: string, code: string) {
  const allowed = (Object.keys(ALLOWED_FROM) as SubscriptionAction[]).filter(
    (a) => ALLOWED_FROM[a].includes(s.status) && !(a === 'skip' && s.skip_next),
  );
  return new AppError('conflict', detail, { code, current_status: s.status, allowed_actions: allowed });
}

/**
 * Pause, resume, skip or cancel, with the subscription's row lock held. Resuming does not place
 * the cycles missed while paused: the next one is the first boundary from now on. Skipping skips
 * the next cycle only, one at a time, so a second skip is refused rather than silently lost.
 */
export async function changeSubscription(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  id: string,
  action: SubscriptionAction,
  input: { reason?: string | undefined; now?: Date | undefined } = {},
) {
  const s = await find(db, tenantId, id, true);
  if (!ALLOWED_FROM[action].includes(s.status)) {
    const code = s.status === TARGET[action] ? `already_${s.status}` : 'invalid_transition';
    throw refuse(s, `A subscription that is ${s.status} cannot be ${DONE[action]}.`, code);
  }
  let change: Parameters<typeof save>[2];
  let data: Record<string, unknown> = {};
  if (action === 'skip') {
    if (s.skip_next) {
      const at = s.next_run_at.toISOString();
      throw refuse(s, `The next cycle (${at}) is already skipped.`, 'already_skipping');
    }
    change = { skip_next: true };
    data = { skipped_run_at: s.next_run_at.toISOString() };
  } else if (action === 'resume') {
    const now = input.now ?? new Date();
    const next = nextBoundaryAfter(await anchorOf(db, s), s.interval_count, s.interval_unit, now);
    change = { status: 'active', next_run_at: next };
    data = { next_run_at: next.toISOString() };
  } else {
    change = { status: TARGET[action]!, ...(action === 'cancel' && { skip_next: false }) };
  }
  const saved = await save(db, s, change);
  await publish(db, tenantId, actor, event(DONE[action], saved, { reason: input.reason ?? null, ...data }));
  return toApi(saved);
}

// ── placing due cycles ───────────────────────────────────────────────────────────────────────

const SYSTEM: Actor = { type: 'system', id: 'subscriptions' };

/** Capture failures that are about the order, not the system: they fail the cycle, not the run. */
const BUSINESS_FAILURES = new Set(['conflict', 'validation-error', 'not-found']);

export type CycleOutcome = 'placed' | 'skipped' | 'failed';
export type PlaceResult = {
  claimed: number;
  placed: number;
  skipped: number;
  failed: number;
  errors: { subscription_id: string; message: string }[];
};

/** The oldest due active subscription nobody else holds, locked until its transaction ends. */
async function claimDue(db: Queryable, now: Date, exclude: string[]) {
  const { rows } = await db.query<Row>(
    `select ${COLUMNS} from subscriptions s
     where s.status = 'active' and s.next_run_at <= $1 and s.subscription_id <> all($2::text[])
     order by s.next_run_at limit 1
     for update of s skip locked`,
    [now, exclude],
  );
  return rows[0] ?? null;
}

/**
 * One due cycle in the caller's transaction. A skipped cycle places nothing; a capture refused for
 * a business reason (out of stock under a reject policy, a retired SKU) is rolled back to a
 * savepoint and recorded as `subscription.cycle_failed`. Either way the schedule advances to the
 * first boundary after `now`, so a failing cycle never wedges it and a late run never places a
 * burst of missed cycles.
 */
async function runCycle(tx: Queryable, s: Row, now: Date): Promise<CycleOutcome> {
  const next = nextBoundaryAfter(await anchorOf(tx, s), s.interval_count, s.interval_unit, now);
  const runAt = s.next_run_at.toISOString();
  if (s.skip_next) {
    const saved = await save(tx, s, { skip_next: false, next_run_at: next });
    await publish(
      tx,
      s.tenant_id,
      SYSTEM,
      event('cycle_skipped', saved, { run_at: runAt, next_run_at: next.toISOString() }),
    );
    return 'skipped';
  }
  const cycle = s.cycles_placed + 1;
  const template = s.template as SubscriptionTemplate;
  await tx.query('savepoint subscription_cycle');
  try {
    const { order } = await captureOrder(
      tx,
      s.tenant_id,
      SYSTEM,
      { ...template, order_type: 'standard', channel_order_id: `${s.subscription_id}:${cycle}` },
      { subscription_id: s.subscription_id, now },
    );
    await tx.query('release savepoint subscription_cycle');
    const saved = await save(tx, s, { cycles_placed: cycle, next_run_at: next });
    await publish(
      tx,
      s.tenant_id,
      SYSTEM,
      event('cycle_placed', saved, {
        cycle,
        run_at: runAt,
        order_id: order.order_id,
        order_number: order.order_number,
        order_status: order.status,
        next_run_at: next.toISOString(),
      }),
    );
    return 'placed';
  } catch (err) {
    if (!(err instanceof AppError) || !BUSINESS_FAILURES.has(err.code)) throw err;
    await tx.query('rollback to savepoint subscription_cycle');
    const saved = await save(tx, s, { next_run_at: next });
    await publish(
      tx,
      s.tenant_id,
      SYSTEM,
      event('cycle_failed', saved, {
        cycle,
        run_at: runAt,
        reason: err.message,
        code: typeof err.extra.code === 'string' ? err.extra.code : err.code,
        http_status: err.status,
        next_run_at: next.toISOString(),
      }),
    );
    return 'failed';
  }
}

/**
 * Places up to `batch` due cycles as of `now`, each subscription in its own transaction. An
 * unexpected error (not a business refusal) leaves that subscription as it was, to be tried on
 * the next run, and is reported in `errors`; ids in `exclude` are not tried again in this run.
 */
export async function placeDueCycles(
  pool: Pool,
  now: Date,
  batch: number,
  exclude: string[] = [],
): Promise<PlaceResult> {
  const result: PlaceResult = { claimed: 0, placed: 0, skipped: 0, failed: 0, errors: [] };
  const tried = [...exclude];
  for (let i = 0; i < batch; i++) {
    const current = { id: null as string | null };
    try {
      const outcome = await withTransaction(pool, async (tx) => {
        const s = await claimDue(tx, now, tried);
        if (!s) return null;
        current.id = s.subscription_id;
        return runCycle(tx, s, now);
      });
      if (outcome === null) break;
      result.claimed++;
      result[outcome]++;
    } catch (err) {
      if (current.id === null) throw err;
      result.claimed++;
      tried.push(current.id);
      result.errors.push({ subscription_id: current.id, message: (err as Error).message });
    }
  }
  return result;
}
