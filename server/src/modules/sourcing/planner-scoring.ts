import type { Candidate, Line } from './plan-result.ts';
import type { Pricer } from './planner-pricing.ts';
import { NO_F64, NO_U8, type Scratch } from './planner-scratch.ts';
import type { SourcingPolicy, Weights } from './policy.ts';

/**
 * Scoring sets of candidate locations as the search meets them, on numbers: the candidates by
 * rank position in typed arrays, a set as a list of rank positions. `quickEvaluate` does
 * `Pricer.evaluate`'s arithmetic in the same order (so the same floating-point sums) without
 * building anything; `fillPrefix` and `quickEvaluateLast` do it for the sets that share all but
 * their last member. The keys of the set last scored are left in `quick*`.
 */
export class SetScorer {
  protected readonly n: number;
  protected readonly L: number;
  protected readonly K: number;
  protected readonly w: Weights;
  protected readonly stockAt: Float64Array;
  protected readonly quantity: Float64Array;
  protected readonly weight: Float64Array;
  protected readonly volume: Float64Array;
  protected readonly need: Float64Array;
  protected readonly tierAt: Uint8Array;
  /** Each position's fulfillment cost per order and per unit (read here, not through its location). */
  protected readonly perOrderAt: Float64Array;
  protected readonly perUnitAt: Float64Array;
  /** What each member of the set being scored takes, by line; whether it sends anything. */
  protected readonly takes: Float64Array;
  protected readonly sent: Uint8Array;
  /** Every count is a whole number (see planner-bounds.ts `coveringBits`): sums are exact in any order. */
  protected whole = false;

  // The keys of the option last scored, and the units `priceMember` last priced.
  protected quickBackordered = 0;
  protected quickDropship = 0;
  protected quickScore = 0;
  protected pickedUnits = 0;

  // The set being built by the search, and the fill and terms of all but its last member (made
  // by `preparePrefixes`, for the exact search only).
  protected readonly chosen: Int32Array;
  /** What member j of chosen takes, by line (row j); row m for the last member being tried. */
  protected prefixTakes = NO_F64;
  /** How many levels are valid for the current chosen[0..): level j describes chosen[0..j). */
  protected prefixLevels = 0;
  // Per level j: what is left of each line (row j), whether all j members ship, and their terms.
  private levelLeft = NO_F64;
  private levelValid = NO_U8;
  private levelDropship = NO_F64;
  private levelDays = NO_F64;
  private levelShipping = NO_F64;
  private levelLocationCost = NO_F64;
  private levelLoad = NO_F64;
  private levelExternal = NO_F64;
  protected prefixValid = true;
  protected prefixDropship = 0;
  protected prefixDays = 0;
  protected prefixShipping = 0;
  protected prefixLocationCost = 0;
  protected prefixLoad = 0;
  protected prefixExternal = 0;

  constructor(
    protected readonly rank: readonly Candidate[],
    lines: readonly Line[],
    needs: readonly number[],
    protected readonly pricer: Pricer,
    policy: SourcingPolicy,
    scratch: Scratch,
  ) {
    const n = rank.length;
    const L = lines.length;
    const K = policy.max_shipments;
    this.n = n;
    this.L = L;
    this.K = K;
    this.w = policy.weights;
    this.stockAt = scratch.f64(n * L);
    for (let p = 0; p < n; p++) for (let l = 0; l < L; l++) this.stockAt[p * L + l] = rank[p]!.stock[l]!;
    this.quantity = scratch.f64(L);
    this.weight = scratch.f64(L);
    this.volume = scratch.f64(L);
    this.need = scratch.f64(L);
    for (let l = 0; l < L; l++) {
      this.quantity[l] = lines[l]!.quantity;
      this.weight[l] = lines[l]!.weight_lb;
      this.volume[l] = lines[l]!.volume_in3;
      this.need[l] = needs[l]!;
    }
    this.takes = scratch.f64((K + 1) * L);
    this.sent = scratch.u8(K + 1);
    this.tierAt = scratch.u8(n);
    this.perOrderAt = scratch.f64(n);
    this.perUnitAt = scratch.f64(n);
    for (let p = 0; p < n; p++) {
      const c = rank[p]!;
      this.tierAt[p] = c.tier;
      this.perOrderAt[p] = c.location.fulfillment_cost.per_order;
      this.perUnitAt[p] = c.location.fulfillment_cost.per_unit;
    }
    this.chosen = scratch.i32(K);
  }

  /** The arrays `fillPrefix` and `quickEvaluateLast` work in. */
  protected preparePrefixes(scratch: Scratch): void {
    const { L, K } = this;
    this.prefixTakes = scratch.f64((K + 1) * L);
    this.levelLeft = scratch.f64((K + 1) * L);
    this.levelLeft.set(this.need);
    this.levelValid = scratch.u8(K + 1);
    this.levelValid[0] = 1;
    this.levelDropship = scratch.f64(K + 1);
    this.levelDays = scratch.f64(K + 1);
    this.levelShipping = scratch.f64(K + 1);
    this.levelLocationCost = scratch.f64(K + 1);
    this.levelLoad = scratch.f64(K + 1);
    this.levelExternal = scratch.f64(K + 1);
  }

  /** Prices member `i`'s takes: the service `pickService` picks, with its units left in `pickedUnits`. */
  protected priceMember(c: Candidate, i: number, takes: Float64Array): number {
    const L = this.L;
    let actual = 0;
    let vol = 0;
    let units = 0;
    for (let l = 0; l < L; l++) {
      const q = takes[i * L + l]!;
      if (!q) continue;
      actual += q * this.weight[l]!;
      vol += q * this.volume[l]!;
      units += q;
    }
    this.pickedUnits = units;
    return this.pricer.pickService(c, actual, vol);
  }

  /** The option of the set `members[0..m)` (rank positions, in fill order): keys in `quick*`; false where `evaluate` gives null. */
  protected quickEvaluate(members: ArrayLike<number>, m: number): boolean {
    const { L, takes, sent, stockAt, need, quantity, rank } = this;
    // (Loops: fill() costs more than these few elements.)
    for (let x = 0; x < m * L; x++) takes[x] = 0;
    for (let i = 0; i < m; i++) sent[i] = 0;
    let backordered = 0;
    let dropship = 0;
    for (let l = 0; l < L; l++) {
      let left = need[l]!;
      backordered += quantity[l]! - left;
      for (let i = 0; i < m && left > 0; i++) {
        const p = members[i]!;
        const take = Math.min(left, stockAt[p * L + l]!);
        if (take <= 0) continue;
        takes[i * L + l] = take;
        sent[i] = 1;
        left -= take;
        if (rank[p]!.tier === 1) dropship += take;
      }
      backordered += left;
    }
    for (let i = 0; i < m; i++) if (sent[i] === 0) return false;
    let days = 0;
    let shipping = 0;
    let locationCost = 0;
    let load = 0;
    let external = 0;
    const priced = this.pricer.priced;
    for (let i = 0; i < m; i++) {
      const p = members[i]!;
      const c = rank[p]!;
      const k = this.priceMember(c, i, this.takes);
      if (k < 0) return false;
      days = Math.max(days, priced[c.index]![k]!.option.delivery_days);
      shipping += this.pricer.pickedCost;
      locationCost += this.perOrderAt[p]! + this.pickedUnits * this.perUnitAt[p]!;
      load += c.load;
      external += c.external;
    }
    const w = this.w;
    this.quickBackordered = backordered;
    this.quickDropship = dropship;
    // weightedScore's sum, term by term in its order.
    this.quickScore =
      days * w.delivery_days +
      shipping * w.shipping_cost +
      m * w.shipments +
      locationCost * w.location_cost +
      load * w.load +
      external * w.external;
    return true;
  }

  /**
   * The units the set `members[0..m)` backorders, as `quickEvaluate` counts them, without
   * pricing; -1 where a member sends nothing (where `quickEvaluate` is false for that reason).
   */
  protected quickBackorder(members: ArrayLike<number>, m: number): number {
    const { L, sent, stockAt, need, quantity } = this;
    for (let i = 0; i < m; i++) sent[i] = 0;
    let backordered = 0;
    for (let l = 0; l < L; l++) {
      let left = need[l]!;
      backordered += quantity[l]! - left;
      for (let i = 0; i < m && left > 0; i++) {
        const take = Math.min(left, stockAt[members[i]! * L + l]!);
        if (take <= 0) continue;
        sent[i] = 1;
        left -= take;
      }
      backordered += left;
    }
    for (let i = 0; i < m; i++) if (sent[i] === 0) return -1;
    return backordered;
  }

  // The last location of a set comes last in rank order, so it fills last: what the others
  // take, and their shipments, are the same for every location that may complete the set. The
  // fill is kept member by member (`level*`, for chosen[0..j)), so sets that share their first
  // members share that work too; the search marks the levels a new choice makes stale.

  /** The fill and terms of chosen[0..m) into `prefix*`, extending the levels still valid. */
  protected fillPrefix(m: number): void {
    for (let j = this.prefixLevels; j < m; j++) this.extendPrefix(j);
    if (m > this.prefixLevels) this.prefixLevels = m;
    this.prefixValid = this.levelValid[m] === 1;
    this.prefixDropship = this.levelDropship[m]!;
    this.prefixDays = this.levelDays[m]!;
    this.prefixShipping = this.levelShipping[m]!;
    this.prefixLocationCost = this.levelLocationCost[m]!;
    this.prefixLoad = this.levelLoad[m]!;
    this.prefixExternal = this.levelExternal[m]!;
  }

  /** Level j + 1 from level j: member j (chosen[j]) takes what is left, and is priced. */
  private extendPrefix(j: number): void {
    const { L, stockAt, tierAt, prefixTakes, levelLeft } = this;
    const p = this.chosen[j]!;
    let sends = false;
    // Line by line here and member by member across levels: whole numbers (the only case it is
    // read in, see quickEvaluateLast) add up the same in any order.
    let dropship = this.levelDropship[j]!;
    for (let l = 0; l < L; l++) {
      let left = levelLeft[j * L + l]!;
      let take = 0;
      if (left > 0) {
        const t = Math.min(left, stockAt[p * L + l]!);
        if (!(t <= 0)) {
          take = t;
          sends = true;
          left -= t;
          if (tierAt[p] === 1) dropship += t;
        }
      }
      prefixTakes[j * L + l] = take;
      levelLeft[(j + 1) * L + l] = left;
    }
    this.levelDropship[j + 1] = dropship;
    const c = this.rank[p]!;
    const k = this.levelValid[j] === 1 && sends ? this.priceMember(c, j, prefixTakes) : -1;
    if (k < 0) {
      this.levelValid[j + 1] = 0;
      return;
    }
    this.levelValid[j + 1] = 1;
    this.levelDays[j + 1] = Math.max(
      this.levelDays[j]!,
      this.pricer.priced[c.index]![k]!.option.delivery_days,
    );
    this.levelShipping[j + 1] = this.levelShipping[j]! + this.pricer.pickedCost;
    this.levelLocationCost[j + 1] =
      this.levelLocationCost[j]! + (this.perOrderAt[p]! + this.pickedUnits * this.perUnitAt[p]!);
    this.levelLoad[j + 1] = this.levelLoad[j]! + c.load;
    this.levelExternal[j + 1] = this.levelExternal[j]! + c.external;
  }

  /** `quickEvaluate` of chosen[0..m) + position p, from the prefix's fill. */
  protected quickEvaluateLast(m: number, p: number): boolean {
    const { L, prefixTakes: takes, levelLeft, stockAt, tierAt, need, quantity, chosen, whole } = this;
    const c = this.rank[p]!;
    let backordered = 0;
    let dropship = 0;
    let sends = false;
    for (let l = 0; l < L; l++) {
      let left = levelLeft[m * L + l]!;
      backordered += quantity[l]! - need[l]!;
      takes[m * L + l] = 0;
      if (left > 0) {
        const take = Math.min(left, stockAt[p * L + l]!);
        if (!(take <= 0)) {
          takes[m * L + l] = take;
          sends = true;
          left -= take;
          if (whole && tierAt[p] === 1) dropship += take;
        }
      }
      backordered += left;
      // Summed line by line and member by member, as quickEvaluate does (whole numbers add up
      // the same in any order).
      if (!whole)
        for (let i = 0; i <= m; i++) {
          const take = takes[i * L + l]!;
          if (!(take <= 0) && take !== 0 && tierAt[i < m ? chosen[i]! : p] === 1) dropship += take;
        }
    }
    if (whole) dropship += this.prefixDropship;
    if (!sends || !this.prefixValid) return false;
    const k = this.priceMember(c, m, takes);
    if (k < 0) return false;
    const w = this.w;
    this.quickBackordered = backordered;
    this.quickDropship = dropship;
    this.quickScore =
      Math.max(this.prefixDays, this.pricer.priced[c.index]![k]!.option.delivery_days) * w.delivery_days +
      (this.prefixShipping + this.pricer.pickedCost) * w.shipping_cost +
      (m + 1) * w.shipments +
      (this.prefixLocationCost + (this.perOrderAt[p]! + this.pickedUnits * this.perUnitAt[p]!)) *
        w.location_cost +
      (this.prefixLoad + c.load) * w.load +
      (this.prefixExternal + c.external) * w.external;
    return true;
  }
}
