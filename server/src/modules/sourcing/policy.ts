import type { ScoreTerms, ServiceLevel } from './types.ts';

/** Sourcing policy: tenant configuration, with named presets. Lower scores win. */

export type Weights = { [K in keyof ScoreTerms]: number };

export type SourcingPolicy = {
  name: string;
  weights: Weights;
  allow_split: boolean;
  max_shipments: number;
  /** Location subsets evaluated before the planner settles for the greedy plan. */
  search_budget: number;
  /** A shipment may not cost more than this (in the service's currency); null: no ceiling. */
  cost_ceiling: number | null;
};

export const PRESETS = ['fastest', 'cheapest', 'fewest_shipments', 'balanced'] as const;
export type PresetName = (typeof PRESETS)[number];

export const MAX_SHIPMENTS_LIMIT = 10;
export const SEARCH_BUDGET_DEFAULT = 20_000;

const PRESET_WEIGHTS: Record<PresetName, Weights> = {
  // A day sooner outweighs any ordinary shipping saving.
  fastest: { delivery_days: 100, shipping_cost: 1, shipments: 5, location_cost: 0.5, load: 1, external: 0 },
  cheapest: { delivery_days: 0.5, shipping_cost: 10, shipments: 1, location_cost: 10, load: 1, external: 0 },
  // One shipment fewer outweighs everything else; the rest only breaks ties.
  fewest_shipments: {
    delivery_days: 1,
    shipping_cost: 1,
    shipments: 10_000,
    location_cost: 1,
    load: 1,
    external: 0,
  },
  balanced: { delivery_days: 10, shipping_cost: 1, shipments: 10, location_cost: 1, load: 5, external: 0 },
};

export function presetPolicy(name: PresetName, overrides: Partial<Omit<SourcingPolicy, 'name'>> = {}) {
  return normalizePolicy({
    name,
    weights: PRESET_WEIGHTS[name],
    allow_split: true,
    max_shipments: 3,
    search_budget: SEARCH_BUDGET_DEFAULT,
    cost_ceiling: null,
    ...overrides,
  });
}

/** Limits applied once, so the planner can trust them: no split means one shipment. */
export function normalizePolicy(policy: SourcingPolicy): SourcingPolicy {
  const max = policy.allow_split
    ? Math.min(MAX_SHIPMENTS_LIMIT, Math.max(1, Math.floor(policy.max_shipments)))
    : 1;
  return {
    ...policy,
    max_shipments: max,
    search_budget: Math.max(1, Math.min(1_000_000, Math.floor(policy.search_budget))),
  };
}

/** Longest transit a service may have for a zone to meet a requested level; ground and economy: any. */
export const LEVEL_TRANSIT_DAYS_MAX: Record<ServiceLevel, number> = {
  same_day: 0,
  overnight: 1,
  two_day: 2,
  ground: Number.POSITIVE_INFINITY,
  economy: Number.POSITIVE_INFINITY,
};

export function weightedScore(terms: ScoreTerms, weights: Weights): number {
  return (
    terms.delivery_days * weights.delivery_days +
    terms.shipping_cost * weights.shipping_cost +
    terms.shipments * weights.shipments +
    terms.location_cost * weights.location_cost +
    terms.load * weights.load +
    terms.external * weights.external
  );
}
