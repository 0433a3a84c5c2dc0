import { assemble, type Candidate } from './plan-result.ts';
import { findCandidates } from './planner-candidates.ts';
import { explain } from './planner-explain.ts';
import type { NetworkCache } from './planner-network.ts';
import { type Alone, Pricer } from './planner-pricing.ts';
import { Scratch } from './planner-scratch.ts';
import { Search, type SearchResult } from './planner-search.ts';
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
  /**
   * What to keep between plans on one network that does not change (the simulator's): made from
   * `network.locations` and `network.services`, used with those arrays only, and neither they nor
   * their objects may change while it is used (see planner-network.ts). The plan is the same.
   */
  cache?: NetworkCache;
};

/**
 * The candidates by rank: own before drop-ship, then the score of shipping alone, then id. A
 * binary insertion sort, with the comparison written out: for the few dozen candidates of an
 * order it costs a fraction of `Array.prototype.sort` calling a comparator.
 */
function byRank(candidates: readonly Candidate[], alone: readonly (Alone | null)[]): Candidate[] {
  const rank: Candidate[] = [];
  const scores: number[] = [];
  for (const c of candidates) {
    const score = alone[c.index]?.score ?? Number.POSITIVE_INFINITY;
    const id = c.location.location_id;
    // The first position whose candidate c comes before; c goes there, after its equals.
    let lo = 0;
    let hi = rank.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = rank[mid]!;
      // (Infinite scores subtract to NaN, which falls through to the ids, as in a comparator.)
      const byScore = score - scores[mid]!;
      const before =
        c.tier !== r.tier ? c.tier < r.tier : byScore ? byScore < 0 : id < r.location.location_id;
      if (before) hi = mid;
      else lo = mid + 1;
    }
    for (let i = rank.length; i > lo; i--) {
      rank[i] = rank[i - 1]!;
      scores[i] = scores[i - 1]!;
    }
    rank[lo] = c;
    scores[lo] = score;
  }
  return rank;
}

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
  const found = findCandidates(order, network, stock, policy, now, explaining, options.cache);
  const { lines, needs, candidates } = found;
  const pricer = new Pricer(candidates, lines, needs, policy, options.cache?.priced);

  const alone = candidates.map((c) => pricer.alone(c));
  const rank = byRank(candidates, alone);

  const scratch = Scratch.begin();
  let result: SearchResult;
  try {
    result = new Search({
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
      runnerUp: explaining,
      scratch,
    }).run();
  } finally {
    Scratch.end(scratch);
  }
  const core = assemble(lines, stock, result.best);
  if (!explaining) return core;
  return { ...core, explanation: explain(policy, found.excluded, candidates, alone, result) };
}
