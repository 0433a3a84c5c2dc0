import type { LocalDate } from '../network/calendar.ts';
import type { Zone } from '../network/geo.ts';
import type { Dimensions } from '../network/rates.ts';
import type { Destination, SnapshotLocation, SnapshotService } from '../network/snapshot.ts';

/** The planner's inputs and output: plain data, snake_case fields, nothing read from outside. */

export type ServiceLevel = SnapshotService['service_level'];

export type PlanLine = {
  sku: string;
  quantity: number;
  /** Per unit; the caller copies it from the catalog so the planner needs no I/O. */
  weight_lb: number;
  dims_in?: Dimensions | null | undefined;
};

export type PlanOrder = {
  lines: PlanLine[];
  destination: Destination;
  service_level: ServiceLevel;
  channel: string;
};

export type PlanNetwork = {
  locations: readonly SnapshotLocation[];
  services: SnapshotService[];
  /** Orders already routed to a location today, against its `daily_order_capacity`. */
  load?: Readonly<Record<string, number>> | undefined;
  /** Optional external score per location (lower is better), weighted by `weights.external`. */
  external_scores?: Readonly<Record<string, number>> | undefined;
};

export type IncomingStock = { location_id: string; quantity: number; expected_date: LocalDate };

export type StockSnapshot = {
  /** sku → location_id → units that may be promised (available minus safety stock and holds). */
  sellable: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** sku → most units the order's channel may take in total (its pool); absent means no cap. */
  channel_caps?: Readonly<Record<string, number>> | undefined;
  /** sku → stock on its way; units not in stock are pre-ordered against it, earliest first. */
  incoming?: Readonly<Record<string, readonly IncomingStock[]>> | undefined;
};

export type ScoreTerms = {
  delivery_days: number;
  shipping_cost: number;
  shipments: number;
  location_cost: number;
  load: number;
  external: number;
};

export type Shipment = {
  location_id: string;
  inventory_type: SnapshotLocation['inventory_type'];
  lines: { sku: string; quantity: number }[];
  service_id: string;
  carrier_code: string;
  service_level: ServiceLevel;
  zone: Zone;
  billable_weight_lb: number;
  cost: number;
  currency: string;
  ship_date: LocalDate;
  cutoff_at: string;
  delivery_date: LocalDate;
  /** Calendar days from the order's local date at the location to the delivery date. */
  delivery_days: number;
};

export type LineSource =
  | { kind: 'shipment'; location_id: string; quantity: number }
  | { kind: 'pre_order'; location_id: string; quantity: number; expected_date: LocalDate }
  | { kind: 'backorder'; quantity: number };

export type ExclusionReason =
  | 'inactive'
  | 'not_serving_region'
  | 'no_zone'
  | 'no_working_day'
  | 'at_capacity'
  | 'no_stock'
  | 'no_service_for_level';

export type CandidateReport =
  | { location_id: string; status: 'excluded'; reason: ExclusionReason }
  | {
      location_id: string;
      status: 'candidate';
      tier: 'owned' | 'dropship';
      /** Units of the order this location could cover alone. */
      coverable_units: number;
      /**
       * The location's terms if it shipped what it can cover alone; null when no service takes
       * that parcel (too heavy for every rate table, or above the cost ceiling).
       */
      terms: ScoreTerms | null;
      score: number | null;
    };

export type OptionReport = {
  location_ids: string[];
  units_backordered: number;
  units_dropship: number;
  terms: ScoreTerms;
  score: number;
};

export type Explanation = {
  policy: string;
  candidates: CandidateReport[];
  evaluated: number;
  budget_exhausted: boolean;
  winner: OptionReport | null;
  runner_up: OptionReport | null;
  why: string;
};

export type Plan = {
  lines: { sku: string; quantity: number; sources: LineSource[] }[];
  shipments: Shipment[];
  backorders: { sku: string; quantity: number }[];
  pre_orders: { sku: string; location_id: string; quantity: number; expected_date: LocalDate }[];
  /**
   * The promise for the shipped part: the latest shipment's delivery date, kept if the order is
   * placed before the earliest cut-off of the shipping locations. Null when nothing ships.
   */
  promise: { delivery_date: LocalDate; cutoff_at: string; countdown_ms: number; text: string } | null;
  terms: ScoreTerms;
  score: number;
  explanation: Explanation;
};

/** A plan as `plan(…, { explain: false })` returns it: the same plan, without the explanation. */
export type PlanWithoutExplanation = Omit<Plan, 'explanation'>;
