import type { Queryable } from '../../db/pool.ts';
import type { Actor } from '../../http/context.ts';
import { publish } from '../events/service.ts';
import { reserve } from '../inventory/reservations.ts';
import type { Reservation } from '../inventory/schema.ts';
import type { Destination } from '../network/snapshot.ts';
import { loadPolicy, plannerPolicy, savePolicy, sourcingInputs, stockFor } from './inputs.ts';
import { plan } from './planner.ts';
import { type PresetName, presetPolicy } from './policy.ts';
import type { PlanRequest, PolicyInput, PromiseOption, PromiseRequest } from './schema.ts';
import type { Plan, PlanLine, ServiceLevel, StockSnapshot } from './types.ts';

/** Sourcing as the API offers it: the stored policy, dry-run plans, promises, and committing a plan. */

export const getPolicy = loadPolicy;

/** A preset plus overrides; what is not sent comes from the preset, not from the old policy. */
export async function setPolicy(db: Queryable, tenantId: string, actor: Actor, input: PolicyInput) {
  const base = presetPolicy(input.preset);
  const resolved = presetPolicy(input.preset, {
    weights: { ...base.weights, ...input.weights },
    allow_split: input.allow_split ?? base.allow_split,
    max_shipments: input.max_shipments ?? base.max_shipments,
    search_budget: input.search_budget ?? base.search_budget,
    cost_ceiling: input.cost_ceiling === undefined ? base.cost_ceiling : input.cost_ceiling,
  });
  const { name: _n, ...settings } = resolved;
  // Stored as normalized, so GET shows what the planner uses (no split means one shipment).
  const policy = await savePolicy(db, tenantId, { preset: input.preset, ...settings });
  await publish(db, tenantId, actor, { type: 'sourcing_policy.updated', subject: tenantId, data: policy });
  return policy;
}

const asOf = (now: string | undefined) => (now ? new Date(now) : new Date());

/** A plan for any order payload; reads, never writes. */
export async function dryRunPlan(db: Queryable, tenantId: string, input: PlanRequest) {
  const inputs = await sourcingInputs(
    db,
    tenantId,
    input.lines,
    input.channel,
    input.destination.postal_code,
  );
  const policy = plannerPolicy(await loadPolicy(db, tenantId), input.policy);
  return plan(
    {
      lines: inputs.lines,
      destination: input.destination,
      service_level: input.service_level,
      channel: input.channel ?? 'default',
    },
    inputs.network,
    inputs.stock,
    policy,
    asOf(input.now),
  );
}

// Fastest first, so equal dates list the level the customer would expect first.
const LEVEL_ORDER: ServiceLevel[] = ['same_day', 'overnight', 'two_day', 'ground', 'economy'];

/**
 * Shipping options for a cart: for each service level some active service offers, the best plan
 * at that level. A level is offered only when that plan ships every unit now (no backorder, no
 * pre-order) — what the network or the cost ceiling cannot keep is not offered at all.
 */
export async function promiseOptions(db: Queryable, tenantId: string, input: PromiseRequest) {
  const now = asOf(input.now);
  const inputs = await sourcingInputs(
    db,
    tenantId,
    input.lines,
    input.channel,
    input.destination.postal_code,
  );
  const policy = plannerPolicy(await loadPolicy(db, tenantId));
  const services = new Map(inputs.network.services.map((s) => [s.service_id, s]));
  const levels = LEVEL_ORDER.filter((l) => inputs.network.services.some((s) => s.service_level === l));
  const options: PromiseOption[] = [];
  for (const level of levels) {
    const p = plan(
      {
        lines: inputs.lines,
        destination: input.destination,
        service_level: level,
        channel: input.channel ?? 'default',
      },
      inputs.network,
      inputs.stock,
      policy,
      now,
      // The options show no reasons; the routed order's plan keeps its explanation.
      { explain: false },
    );
    if (!p.promise || p.backorders.length > 0 || p.pre_orders.length > 0) continue;
    const promise = p.promise;
    // The shipment that arrives last is the one the date depends on; its service is shown.
    const last = p.shipments.find((s) => s.delivery_date === promise.delivery_date)!;
    const service = services.get(last.service_id)!;
    options.push({
      service_level: level,
      carrier_service: {
        service_id: service.service_id,
        name: service.name,
        code: service.code,
        carrier_code: service.carrier_code,
      },
      price: Math.round(p.shipments.reduce((sum, s) => sum + s.cost, 0) * 100) / 100,
      currency: last.currency,
      ships_from_count: p.shipments.length,
      delivery_date: promise.delivery_date,
      order_within_ms: promise.countdown_ms,
      text: promise.text,
    });
  }
  options.sort(
    (a, b) =>
      (a.delivery_date < b.delivery_date ? -1 : a.delivery_date > b.delivery_date ? 1 : 0) ||
      a.price - b.price ||
      LEVEL_ORDER.indexOf(a.service_level) - LEVEL_ORDER.indexOf(b.service_level),
  );
  return { as_of: now.toISOString(), options };
}

// ── commit ───────────────────────────────────────────────────────────────────────────────────

export type CommitInput = {
  lines: { sku: string; quantity: number }[];
  destination: Destination;
  service_level: ServiceLevel;
  channel?: string | undefined;
  /** What the reservation is for, e.g. the order id. */
  reference?: string | undefined;
  now?: Date | undefined;
  policy?: PresetName | undefined;
  /** `lines` already resolved to products with weights, when the caller has read the catalog. */
  plan_lines?: PlanLine[] | undefined;
  /**
   * Units per SKU already promised to orders waiting for stock: kept out of this plan's stock,
   * so a new order cannot take what older backorders are owed (taken from the largest stock first).
   */
  held_back?: Readonly<Record<string, number>> | undefined;
  /** Plan among these locations only (a person routing an order to a location). */
  location_ids?: readonly string[] | undefined;
  /** Never plan from these locations (one that just failed to fulfil the order). */
  exclude_location_ids?: readonly string[] | undefined;
};

export type CommitResult = {
  plan: Plan;
  /** The one reservation holding every shipped unit of `plan`; null when nothing ships. */
  reservation: Reservation | null;
  attempts: number;
  /** Stock kept moving under every attempt: the plan is all backorder though stock may exist. */
  gave_up: boolean;
};

/**
 * Plans on fresh stock and reserves the plan's shipped lines as one reservation, inside a
 * savepoint of the caller's transaction. If stock moved since the snapshot (another order took
 * it), the savepoint is rolled back and the order planned again on what is left, at most
 * `max_attempts` times; after that the last plan is returned with every unit backordered and
 * nothing reserved. Either the whole plan is reserved or none of it is.
 *
 * Run it in a transaction on one connection (savepoints need one); the caller commits.
 */
export async function commitPlan(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  input: CommitInput,
  { max_attempts = 3 }: { max_attempts?: number } = {},
): Promise<CommitResult> {
  const now = input.now ?? new Date();
  // Weights, the network and the policy do not move under an order the way stock does: read once.
  const inputs = await sourcingInputs(
    db,
    tenantId,
    input.lines,
    input.channel,
    input.destination.postal_code,
    input.plan_lines,
  );
  const policy = plannerPolicy(await loadPolicy(db, tenantId), input.policy);
  const { location_ids: only, exclude_location_ids: never } = input;
  const network =
    only || never
      ? {
          ...inputs.network,
          locations: inputs.network.locations.filter(
            (l) => (!only || only.includes(l.location_id)) && !never?.includes(l.location_id),
          ),
        }
      : inputs.network;
  const order = {
    lines: inputs.lines,
    destination: input.destination,
    service_level: input.service_level,
    channel: input.channel ?? 'default',
  };
  let stock = holdBack(inputs.stock, input.held_back);
  let last: Plan | undefined;
  for (let attempt = 1; attempt <= Math.max(1, max_attempts); attempt++) {
    if (attempt > 1)
      stock = holdBack(await stockFor(db, tenantId, inputs.lines, input.channel), input.held_back);
    const p = plan(order, network, stock, policy, now);
    last = p;
    const lines = p.shipments.flatMap((s) =>
      s.lines.map((l) => ({ sku: l.sku, location_id: s.location_id, quantity: l.quantity })),
    );
    if (lines.length === 0) return { plan: p, reservation: null, attempts: attempt, gave_up: false };
    // A refused reservation changes nothing, but it keeps the balance rows it locked. Rolling
    // back to the savepoint lets them go, so the next attempt locks its own rows in the one fixed
    // order again; holding the first plan's rows while locking another's could deadlock.
    const savepoint = `sourcing_commit_${attempt}`;
    await db.query(`savepoint ${savepoint}`);
    const outcome = await reserve(db, tenantId, actor, {
      lines,
      ...(input.channel && { channel: input.channel }),
      ...(input.reference && { reference: input.reference }),
    });
    if (outcome.ok) {
      await db.query(`release savepoint ${savepoint}`);
      return { plan: p, reservation: outcome.reservation, attempts: attempt, gave_up: false };
    }
    // Stock or the channel's pool moved since the snapshot: let the rows go, look again.
    await db.query(`rollback to savepoint ${savepoint}`);
  }
  return {
    plan: allBackordered(last!),
    reservation: null,
    attempts: Math.max(1, max_attempts),
    gave_up: true,
  };
}

/** Stock less what is held back per SKU, taken from the locations with the most first. */
export function holdBack(
  stock: StockSnapshot,
  held: Readonly<Record<string, number>> | undefined,
): StockSnapshot {
  if (!held || Object.keys(held).length === 0) return stock;
  const sellable: Record<string, Record<string, number>> = { ...stock.sellable };
  for (const [sku, units] of Object.entries(held)) {
    const at = { ...(sellable[sku] ?? {}) };
    let left = units;
    const order = Object.keys(at).sort((a, b) => at[b]! - at[a]! || (a < b ? -1 : 1));
    for (const location of order) {
      if (left <= 0) break;
      const take = Math.min(left, at[location]!);
      at[location] = at[location]! - take;
      left -= take;
    }
    sellable[sku] = at;
  }
  return { ...stock, sellable };
}

/** The plan with nothing shipped: every unit becomes a backorder; the explanation says why. */
function allBackordered(p: Plan): Plan {
  return {
    ...p,
    lines: p.lines.map((l) => ({ ...l, sources: [{ kind: 'backorder', quantity: l.quantity }] })),
    shipments: [],
    backorders: p.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
    pre_orders: [],
    promise: null,
    explanation: {
      ...p.explanation,
      why: `Stock kept moving while this order was reserved; every unit is backordered. (Last plan: ${p.explanation.why})`,
    },
  };
}
