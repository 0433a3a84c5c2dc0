import { assemble } from './plan-result.ts';
import { findCandidates } from './planner-candidates.ts';
import { explain } from './planner-explain.ts';
import { Pricer } from './planner-pricing.ts';
import { Search } from './planner-search.ts';
import { normalizePolicy, type SourcingPolicy } from './policy.ts';
import type { Plan, PlanNetwork, PlanOrder, PlanWithoutExplanation, StockSnapshot } from './types.ts';

/**
 * The sourcing planner: pure and deterministic. It finds the candidate locations
 * (planner-candidates.ts), ranks them by what each would cost alone (planner-pricing.ts), searches
 * the sets of them for the best option and the runner-up (planner-search.ts), and turns the best
 * into a plan (plan-result.ts) with, unless asked not to, its explanation (planner-explain.ts).
 */

export type PlanOptions = {
  /** False: no explanation, and none of the work only it needs (the simulator). Default true. */
  explain?: boolean;
  /** For tests: `prune: false` searches every set within the budget, to check pruning changes nothing. */
  prune?: boolean;
};

export function plan(
  order: PlanOrder,
  network: PlanNetwork,
  stock: StockSnapshot,
  policy: SourcingPolicy,
  now: Date,
  options?: PlanOptions & { explain?: true },
): Plan;
export function plan(
  order: PlanOrder,
  network: PlanNetwork,
  stock: StockSnapshot,
  policy: SourcingPolicy,
  now: Date,
  options: PlanOptions & { explain: false },
): PlanWithoutExplanation;
export function plan(
  order: PlanOrder,
  network: PlanNetwork,
  stock: StockSnapshot,
  policyIn: SourcingPolicy,
  now: Date,
  options: PlanOptions = {},
): Plan | PlanWithoutExplanation {
  const explaining = options.explain !== false;
  const policy = normalizePolicy(policyIn);
  const found = findCandidates(order, network, stock, policy, now, explaining);
  const { lines, needs, candidates } = found;
  const pricer = new Pricer(candidates, lines, needs, policy);

  // Rank: own before drop-ship, then the score of shipping alone, then id.
  const alone = candidates.map((c) => pricer.alone(c));
  const scoreAlone = (c: (typeof candidates)[number]) => alone[c.index]?.score ?? Number.POSITIVE_INFINITY;
  const rank = [...candidates].sort(
    (a, b) =>
      a.tier - b.tier ||
      scoreAlone(a) - scoreAlone(b) ||
      (a.location.location_id < b.location.location_id ? -1 : 1),
  );

  const result = new Search({
    candidates,
    rank,
    alone,
    lines,
    caps: found.caps,
    needs,
    slowest: found.slowest,
    lowest: found.lowest,
    pricer,
    policy,
    prune: options.prune !== false,
  }).run();
  const core = assemble(lines, stock, result.best);
  if (!explaining) return core;
  return { ...core, explanation: explain(policy, found.excluded, candidates, alone, result) };
}
