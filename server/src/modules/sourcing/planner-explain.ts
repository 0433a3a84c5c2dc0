import type { Candidate, Option } from './plan-result.ts';
import type { Alone } from './planner-pricing.ts';
import type { SearchResult } from './planner-search.ts';
import type { SourcingPolicy } from './policy.ts';
import type { CandidateReport, Explanation, OptionReport, ScoreTerms } from './types.ts';

/** Why the plan is what it is: every location with its terms or exclusion, the winner, the runner-up. */

function report(o: Option): OptionReport {
  return {
    location_ids: o.set.map((c) => c.location.location_id),
    units_backordered: o.units_backordered,
    units_dropship: o.units_dropship,
    terms: o.terms,
    score: o.score,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

function why(best: Option, second: Option | null): string {
  if (best.set.length === 0)
    return 'No location can ship any of the order; every unit is backordered or pre-ordered.';
  const ids = best.set.map((c) => c.location.location_id).join(' + ');
  if (!second) return `${ids} is the only option.`;
  const other = second.set.map((c) => c.location.location_id).join(' + ') || 'backorder only';
  if (best.units_backordered < second.units_backordered)
    return `${ids} backorders ${best.units_backordered} units, ${other} ${second.units_backordered}.`;
  if (best.units_dropship < second.units_dropship)
    return `${ids} takes ${best.units_dropship} units from drop-ship suppliers, ${other} ${second.units_dropship}.`;
  if (best.score < second.score) {
    const diffs = (Object.keys(best.terms) as (keyof ScoreTerms)[])
      .filter((k) => best.terms[k] !== second.terms[k])
      .map((k) => `${k} ${round(best.terms[k])} vs ${round(second.terms[k])}`);
    return `${ids} scores ${round(best.score)}, ${other} ${round(second.score)} (${diffs.join(', ')}).`;
  }
  return `${ids} ties with ${other} and wins on location id.`;
}

export function explain(
  policy: SourcingPolicy,
  excluded: readonly CandidateReport[],
  candidates: readonly Candidate[],
  alone: readonly (Alone | null)[],
  { best, second, evaluated, exhausted }: SearchResult,
): Explanation {
  const reports = [...excluded];
  for (const c of candidates) {
    const o = alone[c.index];
    reports.push({
      location_id: c.location.location_id,
      status: 'candidate',
      tier: c.tier === 0 ? 'owned' : 'dropship',
      coverable_units: o ? o.units : 0,
      terms: o?.terms ?? null,
      score: o?.score ?? null,
    });
  }
  reports.sort((a, b) => (a.location_id < b.location_id ? -1 : a.location_id > b.location_id ? 1 : 0));
  return {
    policy: policy.name,
    candidates: reports,
    evaluated,
    budget_exhausted: exhausted,
    winner: best.set.length ? report(best) : null,
    runner_up: second ? report(second) : null,
    why: why(best, second),
  };
}
