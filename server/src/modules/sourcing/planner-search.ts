import type { Candidate, Line, Option } from './plan-result.ts';
import {
  coverageBounds,
  coveringBits,
  lastMemberBounds,
  leastSetScores,
  scoreBounds,
} from './planner-bounds.ts';
import type { Alone, Pricer } from './planner-pricing.ts';
import { SetScorer } from './planner-scoring.ts';
import { NO_F64, NO_U32, type Scratch } from './planner-scratch.ts';
import type { SourcingPolicy } from './policy.ts';

/**
 * The search for the best set of locations and, for the explanation, the runner-up. Options are
 * compared lexicographically — fewest units backordered, then fewest units from drop-ship
 * suppliers, then the policy's weighted score, then the location ids — so ties never depend on
 * input order. Sets are scored on numbers (planner-scoring.ts); only the options kept are built.
 */

// Scores within this are equal, so float rounding in a sum never outranks the id tie-break.
const SCORE_EPSILON = 1e-9;
// A branch is cut on a score bound only beyond this margin too: the bound is summed in another
// order than each set's own, and the best so far may drift up by SCORE_EPSILON on an id tie-break.
const BOUND_SLACK = 1e-7;

export type SearchInput = {
  /** Candidates in location-id order (their `index`). */
  candidates: readonly Candidate[];
  /** Candidates by rank: own before drop-ship, then the score of shipping alone, then id. */
  rank: readonly Candidate[];
  /** Each candidate alone, by `index`. */
  alone: readonly (Alone | null)[];
  lines: readonly Line[];
  caps: readonly number[];
  needs: readonly number[];
  slowest: readonly number[];
  lowest: readonly number[];
  pricer: Pricer;
  policy: SourcingPolicy;
  /** False: every set within the budget is scored (for tests). */
  prune: boolean;
  /** Whether to find the runner-up too (for the explanation); the best is the same either way. */
  runnerUp: boolean;
  /** Where the search's working arrays come from, for this plan only. */
  scratch: Scratch;
};

export type SearchResult = { best: Option; second: Option | null; evaluated: number; exhausted: boolean };

export class Search extends SetScorer {
  private readonly alone: readonly (Alone | null)[];
  private readonly budget: number;
  private readonly prune: boolean;
  /** Whether the best other option met is kept too, as `second` (see `runnerUp`). */
  private keepSecond: boolean;
  private readonly slowest: readonly number[];
  private readonly lowest: readonly number[];
  /** Per candidate index: its number in location-id order (equal ids share a number). */
  private readonly idRank: Int32Array;

  private evaluated = 0;
  private exhausted = false;
  private readonly empty: Option;
  private best: Option;
  private bestIds: number[] = [];
  private second: Option | null = null;
  private secondIds: number[] = [];
  /** While searching for the runner-up: the winner's sorted ids, the one set not to keep. */
  private excludedIds: number[] | null = null;

  // The least any option can backorder or take from drop-ship suppliers: reaching both lets
  // the search prune on score alone.
  private readonly floorBackorder: number;
  private readonly floorDropship: number;
  private readonly totalUnits: number;
  private readonly leastBackorder: number;
  private readonly canPrune: boolean;

  // What the pruning tests compare with, refreshed whenever the best changes.
  private limitBestBackordered = 0;
  private limitBestDecides = false;
  private limitBestScore = 0;

  /** The greedy sets considered, by size - 1, as rank positions in rank order. */
  private readonly greedySets: number[][] = [];

  /** Per set size: the least score any set of that size can have (see `leastSetScores`). */
  private readonly leastScores: Float64Array;
  // Bounds (see planner-bounds.ts), worked out when the exact search first needs them (`prepare`):
  // where the greedy sets and single locations settle the answer, it never does.
  private prepared = false;
  private topSums = NO_F64;
  private lineTop = NO_F64;
  private fixedLow = NO_F64;
  private daysLow = NO_F64;
  private timeLeast = NO_F64;
  private timeLow = NO_F64;
  private words = 0;
  private lineBits: number[] = [];
  private covering: Uint32Array | null = null;
  /** Whether a whole loop of the search may be cut on its locations' least inputs (`cannotComplete`). */
  private canCutLoops = false;
  /** Those least inputs, worked out when first needed (many searches never get that far). */
  private least: ReturnType<typeof lastMemberBounds> | null = null;
  private readonly scratch: Scratch;

  // The exact search's state: the set being built, the stock its members hold, the bitset of
  // locations that could complete it, and the fill of all but its last member.
  private depth = 0;
  private readonly have: Float64Array;
  private mask = NO_U32;
  private prefixFilled = false;

  constructor(input: SearchInput) {
    const { candidates, rank, lines, needs, caps, policy, scratch } = input;
    super(rank, lines, needs, input.pricer, policy, scratch);
    const { L, K } = this;
    this.alone = input.alone;
    this.budget = policy.search_budget;
    this.prune = input.prune;
    this.keepSecond = input.runnerUp;
    this.slowest = input.slowest;
    this.lowest = input.lowest;
    // Candidates are numbered in location-id order, so comparing a set's sorted numbers is
    // comparing its sorted ids (equal ids share a number).
    this.idRank = scratch.i32(candidates.length);
    for (let i = 1; i < candidates.length; i++)
      this.idRank[i] =
        candidates[i]!.location.location_id === candidates[i - 1]!.location.location_id
          ? this.idRank[i - 1]!
          : i;

    this.empty = this.pricer.evaluate([]) as Option;
    this.best = this.empty;

    // (Sums in candidate order; a candidate's `stock` is its sellable units per line. Loops, not
    // nested reduce: its closures cost more than the sums.)
    let floorBackorder = 0;
    let ownCover = 0;
    let totalUnits = 0;
    for (let k = 0; k < L; k++) {
      const quantity = lines[k]!.quantity;
      let held = 0;
      let ownHeld = 0;
      for (const c of candidates) {
        held += c.stock[k]!;
        if (c.tier === 0) ownHeld += c.stock[k]!;
      }
      floorBackorder = floorBackorder + quantity - Math.min(quantity, caps[k]!, held);
      ownCover += Math.min(quantity, caps[k]!, ownHeld);
      totalUnits += quantity;
    }
    this.floorBackorder = floorBackorder;
    this.totalUnits = totalUnits;
    this.floorDropship = this.totalUnits - this.floorBackorder - ownCover;
    this.leastBackorder = this.totalUnits - needs.reduce((s, x) => s + x, 0);
    // The bounds assume every score term only grows as locations are added (no negative load,
    // external score or per-unit cost); otherwise everything within the budget is scored.
    const w = this.w;
    this.canPrune =
      this.prune &&
      w.delivery_days >= 0 &&
      w.shipping_cost >= 0 &&
      w.shipments >= 0 &&
      w.location_cost >= 0 &&
      w.load >= 0 &&
      w.external >= 0 &&
      candidates.every(
        (c) =>
          c.external >= 0 && c.bound_cost >= 0 && c.load >= 0 && c.location.fulfillment_cost.per_unit >= 0,
      );

    this.leastScores = leastSetScores(rank, this.slowest, w, K, scratch);
    this.scratch = scratch;
    this.have = scratch.f64(L);
    this.refreshLimits();
  }

  /** The bounds the exact search prunes with. */
  private prepare(): void {
    const { rank, n, L, K, w, scratch } = this;
    this.prepared = true;
    this.preparePrefixes(scratch);
    ({ topSums: this.topSums, lineTop: this.lineTop } = coverageBounds(
      rank,
      this.need,
      this.stockAt,
      L,
      K,
      scratch,
    ));
    ({
      fixedLow: this.fixedLow,
      daysLow: this.daysLow,
      timeLeast: this.timeLeast,
      timeLow: this.timeLow,
    } = scoreBounds(rank, this.slowest, w, K, scratch));
    ({
      words: this.words,
      lineBits: this.lineBits,
      covering: this.covering,
      whole: this.whole,
    } = coveringBits(this.need, this.quantity, this.stockAt, n, L, scratch));
    // Cutting on least inputs needs every input to be a finite number (see lastMemberBounds):
    // the weights and stock here, the locations' own there.
    this.canCutLoops =
      this.canPrune &&
      Number.isFinite(w.delivery_days) &&
      Number.isFinite(w.shipping_cost) &&
      Number.isFinite(w.shipments) &&
      Number.isFinite(w.location_cost) &&
      Number.isFinite(w.load) &&
      Number.isFinite(w.external) &&
      (this.whole || this.stockAt.every(Number.isFinite));
    this.mask = scratch.u32(this.words);
  }

  run(): SearchResult {
    this.greedyAndSingles();
    this.exact();
    const { best, evaluated, exhausted } = this;
    const second = this.keepSecond ? this.runnerUp() : null;
    return { best, second, evaluated, exhausted };
  }

  /** The exact search after the greedy sets and the single locations, smallest sets first. */
  private exact(): void {
    const w = this.w;
    for (let size = 1; size <= Math.min(this.K, this.n) && !this.exhausted; size++) {
      // Where the best backorders and takes from drop-ship suppliers as little as any option can,
      // only a lower score beats it, and no set of this size or larger can score that low.
      if (
        this.canPrune &&
        this.settled() &&
        (w.shipments * size > this.best.score + SCORE_EPSILON ||
          this.leastScores[size]! > this.limitBestScore)
      )
        break;
      // Every set of one was considered above: walking them again could only find the budget spent.
      if (size === 1 && this.evaluated < this.budget) continue;
      if (!this.prepared) this.prepare();
      this.dfs(0, size, w.shipments * size, 0, 0);
    }
  }

  /**
   * The runner-up, for the explanation: the best option but the winner. The search above prunes
   * against the best alone, so sets that lose to the best but beat the runner-up may have been
   * skipped; this searches again, with a budget of its own, for the best set that is not the
   * winner, starting from the best other option the first search met (the greedy sets and every
   * single location among them, so those are not met again). Null where nothing but the winner
   * is an option (the winner backorders everything).
   */
  private runnerUp(): Option | null {
    if (this.second === null) return null;
    this.keepSecond = false;
    this.excludedIds = this.bestIds;
    this.best = this.second;
    this.bestIds = this.secondIds;
    this.second = null;
    this.evaluated = 0;
    this.exhausted = false;
    // (The first search gives `have` back as it found it, but for rounding.)
    this.have.fill(0);
    this.prefixLevels = 0;
    this.refreshLimits();
    this.exact();
    return this.best;
  }

  // ── comparing and keeping options ───────────────────────────────────────────────────────────

  private idsOf(members: ArrayLike<number>, m: number): number[] {
    const ids: number[] = [];
    for (let i = 0; i < m; i++) ids.push(this.idRank[this.rank[members[i]!]!.index]!);
    return ids.sort((a, b) => a - b);
  }

  /**
   * Whether the option in `quick*` (of `members`) comes before `o`: fewer units backordered, then
   * fewer from drop-ship suppliers, then a lower score (beyond SCORE_EPSILON), then the sorted
   * location ids.
   */
  private quickBeats(members: ArrayLike<number>, m: number, o: Option, oIds: readonly number[]): boolean {
    const d =
      this.quickBackordered - o.units_backordered ||
      this.quickDropship - o.units_dropship ||
      (Math.abs(this.quickScore - o.score) > SCORE_EPSILON ? this.quickScore - o.score : 0);
    if (d) return d < 0;
    const ids = this.idsOf(members, m);
    for (let i = 0; i < ids.length && i < oIds.length; i++) if (ids[i] !== oIds[i]) return ids[i]! < oIds[i]!;
    return ids.length < oIds.length;
  }

  /**
   * Counts and compares one set, given as rank positions in rank order; `known` is its option's
   * keys when already scored. Each set is considered once: the callers skip the sets met before
   * (the greedy ones, and the single locations offered to the explanation) instead of keeping keys.
   */
  private consider(members: ArrayLike<number>, m: number, known?: Alone | null): void {
    this.evaluated++;
    if (known === null) return;
    if (known) {
      this.quickBackordered = known.units_backordered;
      this.quickDropship = known.units_dropship;
      this.quickScore = known.score;
    } else if (!this.quickEvaluate(members, m)) return;
    this.keep(members, m);
  }

  /** Keeps the option in `quick*` as the best or the runner-up if it beats them, building it. */
  private keep(members: ArrayLike<number>, m: number): void {
    const winsBest = this.quickBeats(members, m, this.best, this.bestIds);
    if (
      !winsBest &&
      !(this.keepSecond && (!this.second || this.quickBeats(members, m, this.second, this.secondIds)))
    )
      return;
    const ids = this.idsOf(members, m);
    if (this.excludedIds !== null && sameIds(ids, this.excludedIds)) return;
    const set: Candidate[] = [];
    for (let i = 0; i < m; i++) set.push(this.rank[members[i]!]!);
    const o = this.pricer.evaluate(set) as Option;
    if (winsBest) {
      this.second = this.best;
      this.secondIds = this.bestIds;
      this.best = o;
      this.bestIds = ids;
      this.refreshLimits();
    } else {
      this.second = o;
      this.secondIds = ids;
    }
  }

  private settled(): boolean {
    return (
      this.best.units_backordered === this.floorBackorder && this.best.units_dropship === this.floorDropship
    );
  }

  // Score alone decides between options that backorder as many units as x when x takes nothing
  // from drop-ship suppliers, or as little as any option can (see quickBeats).
  private decides(x: Option): boolean {
    return (
      this.canPrune &&
      (x.units_dropship === 0 ||
        (x.units_backordered === this.floorBackorder && x.units_dropship === this.floorDropship))
    );
  }

  private refreshLimits(): void {
    const best = this.best;
    this.limitBestBackordered = best.units_backordered;
    this.limitBestDecides = this.decides(best);
    this.limitBestScore = best.score + SCORE_EPSILON + BOUND_SLACK;
  }

  /** Whether sets that backorder at least `floor` and score at least `low` cannot beat the best. */
  private dismissed(floor: number, low: number): boolean {
    return (
      this.prune &&
      (floor > this.limitBestBackordered ||
        (floor === this.limitBestBackordered && this.limitBestDecides && low > this.limitBestScore))
    );
  }

  // ── greedy, and every location alone ────────────────────────────────────────────────────────

  private greedyAndSingles(): void {
    const { n, K, rank, alone } = this;
    // Greedy first, so a plan exists however small the budget: add the location covering most
    // of what is still missing, best-ranked first on a tie.
    const greedy: number[] = [];
    const trial: number[] = [];
    while (greedy.length < K) {
      let pick = -1;
      let pickGain = 0;
      const before = this.quickEvaluate(greedy, greedy.length)
        ? this.quickBackordered
        : this.empty.units_backordered;
      // The greedy set backorders as little as any option can: no location adds a gain.
      if (before <= this.floorBackorder) break;
      const g = greedy.length;
      for (let i = 0; i < g; i++) trial[i] = greedy[i]!;
      for (let p = 0; p < n; p++) {
        let gain: number;
        if (g === 0) {
          // A location alone is already scored: what it backorders, where a service takes it.
          const a = alone[rank[p]!.index];
          if (!a) continue;
          gain = before - a.units_backordered;
        } else {
          if (greedy.includes(p)) continue;
          trial[g] = p;
          // Only a gain above the best so far matters: count the units first, price only then.
          const backordered = this.quickBackorder(trial, g + 1);
          if (backordered < 0 || before - backordered <= pickGain) continue;
          gain = this.quickEvaluate(trial, g + 1) ? before - this.quickBackordered : 0;
        }
        if (gain > pickGain) {
          pick = p;
          pickGain = gain;
        }
      }
      if (pick < 0) break;
      greedy.push(pick);
      const ordered = [...greedy].sort((a, b) => a - b);
      this.greedySets.push(ordered);
      this.consider(
        ordered,
        ordered.length,
        ordered.length === 1 ? (alone[rank[pick]!.index] ?? null) : undefined,
      );
    }

    // Every location alone is already priced (for the ranking): each is considered, and counted,
    // as a set of one. The first greedy pick was one.
    const one = [0];
    for (let p = 0; p < n; p++) {
      if (p === greedy[0]) continue;
      one[0] = p;
      this.consider(one, 1, alone[rank[p]!.index] ?? null);
    }
  }

  // ── the exact search ────────────────────────────────────────────────────────────────────────
  // Smallest sets first, so the fewest-shipment option is met before the budget runs out. A set
  // is scored (and counted in `evaluated`) unless it provably backorders more than the best so
  // far, or ties it and provably scores worse (`hopeless`). Before trying the locations that
  // could follow, the same two tests run on bounds for everything below (`beyond`): they cut a
  // branch only where every set in it would fail its own test.
  //
  // On top of those, a set or branch is skipped, uncounted, when a tighter score bound (the
  // slowest member's least time-and-rate, see `timeLeast`) shows it cannot beat the best
  // (`dismissed`): such a set could not have changed the answer, so a search that finishes
  // within its budget returns the same plan as one that scores them, and `evaluated` counts
  // fewer sets. Where the budget runs out, the search has got further. Whole loops are cut,
  // before they start, where no set they would try could pass those tests (`cannotComplete`),
  // and whole sizes where the best is settled and no set of that size can score below it
  // (`leastScores`): that counts and changes nothing either. None of this depends on whether the
  // runner-up is wanted, so a plan with and without its explanation stops at the same set.

  private isGreedySet(members: ArrayLike<number>, m: number): boolean {
    const g = this.greedySets[m - 1];
    if (g === undefined) return false;
    for (let i = 0; i < m; i++) if (g[i] !== members[i]) return false;
    return true;
  }

  /**
   * The least score of a set of `size`: the others' terms (`others*`: their delivery days and sums
   * of shipping cost, location cost, load and external score) and, for the last location, its
   * lowest rate, least time-and-rate beyond it (`slowest`), per-order cost, load and external
   * score; `days` is at most the set's delivery days. Every step only grows with its inputs (the
   * weights are not negative, and rounding keeps order), so lesser inputs give a bound at most this.
   */
  private lastLow(
    othersDays: number,
    othersShipping: number,
    othersLocationCost: number,
    othersLoad: number,
    othersExternal: number,
    rate: number,
    slowest: number,
    perOrder: number,
    load: number,
    external: number,
    days: number,
    size: number,
  ): number {
    const w = this.w;
    return (
      Math.max(
        w.delivery_days * Math.max(othersDays, days) + w.shipping_cost * rate,
        slowest + w.shipping_cost * rate,
      ) +
      w.shipping_cost * othersShipping +
      w.shipments * size +
      w.location_cost * (othersLocationCost + perOrder) +
      w.load * (othersLoad + load) +
      w.external * (othersExternal + external)
    );
  }

  /**
   * Whether no set of `size` made of chosen[0..size-r) and r more locations from rank[start..]
   * can change the answer, so that `tryLast` would cut every one, counting none; `have` holds
   * the stock of chosen[0..size-r). Not for size 1 (no others to bound with), nor where the budget
   * is spent (`tryLast` would mark it).
   *
   * Each such set's `lastLow` takes the others' actual terms: those of chosen[0..size-r) (the
   * prefix) plus r-1 more members, each of which adds at least the least lowest rate, per-order
   * cost, load and external score among rank[start..], and delivers in no fewer than their least
   * `min_days` (a member pays at least its lowest rate, and delivers no sooner than its
   * `min_days`). Added in the order the fill adds them, these lesser inputs give a bound at most
   * every set's own (see lastLow); likewise each line's stock is at most the largest there. A set
   * whose others cannot all ship is cut too.
   */
  private cannotComplete(start: number, r: number, size: number, maxDays: number): boolean {
    const { L, need, have } = this;
    this.fillPrefix(size - r);
    if (!this.prefixValid) return true;
    this.least ??= lastMemberBounds(this.rank, this.lowest, this.slowest, this.scratch);
    const least = this.least;
    if (!least.finite) return false;
    const rate = least.rateLow[start]!;
    const perOrder = least.perOrderLow[start]!;
    const load = least.loadLow[start]!;
    const external = least.externalLow[start]!;
    const leastDays = this.daysLow[start]!;
    let shipping = this.prefixShipping;
    let locationCost = this.prefixLocationCost;
    let othersLoad = this.prefixLoad;
    let othersExternal = this.prefixExternal;
    for (let j = 1; j < r; j++) {
      shipping += rate;
      locationCost += perOrder;
      othersLoad += load;
      othersExternal += external;
    }
    const othersDays = r > 1 ? Math.max(this.prefixDays, leastDays) : this.prefixDays;
    // Where the best covers all it may, only sets covering all they may are tried (lastMember).
    let floor = this.leastBackorder;
    if (!(this.covering !== null && this.best.units_backordered === this.leastBackorder)) {
      const top = this.lineTop;
      const K = this.K;
      let covered = 0;
      for (let l = 0; l < L; l++) {
        let reach = have[l]!;
        for (let j = 0; j < r; j++) reach += top[(start * L + l) * (K + 1) + 1]!;
        covered += Math.min(need[l]!, reach);
      }
      floor = this.totalUnits - covered;
    }
    return this.dismissed(
      floor,
      this.lastLow(
        othersDays,
        shipping,
        locationCost,
        othersLoad,
        othersExternal,
        rate,
        least.slowestLow[start]!,
        perOrder,
        load,
        external,
        Math.max(maxDays, leastDays),
        size,
      ),
    );
  }

  /**
   * The last location of a set, as `dfs` would try it, without recursing: the stock of the
   * others is in `have`, and a set is scored from their shared fill (`quickEvaluateLast`).
   */
  private lastMember(start: number, size: number, bound: number, maxDays: number, timeMax: number): void {
    const { n, L, need, have, stockAt, mask, words, lineBits } = this;
    const covering = this.covering;
    this.prefixFilled = false;
    if (start >= n) return;
    // Where the best covers all it may, only locations that cover what the others leave can
    // complete a set: read them from the bitsets instead of testing every one.
    const onlyCovering =
      covering !== null && this.prune && this.best.units_backordered === this.leastBackorder;
    if (size > 1 && this.canCutLoops && this.evaluated < this.budget) {
      const cut = this.cannotComplete(start, 1, size, maxDays);
      // The prefix is filled now (for the same members).
      this.prefixFilled = true;
      if (cut) return;
    }
    if (onlyCovering) {
      mask.fill(0xffffffff);
      for (let x = 0; x < start >>> 5; x++) mask[x] = 0;
      if (start & 31) mask[start >>> 5]! &= ~0 << (start & 31);
      for (let l = 0; l < L; l++) {
        const short = need[l]! - have[l]!;
        if (short <= 0) continue;
        const at = (lineBits[l]! + short - 1) * words;
        for (let x = 0; x < words; x++) mask[x]! &= covering[at + x]!;
      }
      // The set bits in increasing order; every line is covered in full (whole numbers, so exactly).
      for (let x = start >>> 5; x < words; x++) {
        let bits = mask[x]!;
        while (bits !== 0) {
          const low = bits & -bits;
          bits ^= low;
          const i = (x << 5) + (31 - Math.clz32(low));
          if (i >= n) return;
          if (!this.tryLast(i, size, bound, maxDays, timeMax, this.leastBackorder)) return;
        }
      }
      return;
    }
    for (let i = start; i < n; i++) {
      let covered = 0;
      for (let l = 0; l < L; l++) covered += Math.min(need[l]!, have[l]! + stockAt[i * L + l]!);
      if (!this.tryLast(i, size, bound, maxDays, timeMax, this.totalUnits - covered)) return;
    }
  }

  /**
   * Position i as the last member of the set chosen[0..size-1), which backorders at least
   * `backorderFloor`: tested, and scored if it may change the answer. False where the budget
   * has run out.
   */
  private tryLast(
    i: number,
    size: number,
    bound: number,
    maxDays: number,
    timeMax: number,
    backorderFloor: number,
  ): boolean {
    const w = this.w;
    const c = this.rank[i]!;
    const days = Math.max(maxDays, c.min_days);
    const nextBound = bound + c.bound_cost + w.load * c.load + w.external * c.external;
    const best = this.best;
    const hopeless =
      (this.prune && backorderFloor > best.units_backordered) ||
      (backorderFloor === best.units_backordered &&
        this.limitBestDecides &&
        nextBound + w.delivery_days * days > best.score + SCORE_EPSILON);
    if (hopeless) return true;
    if (this.dismissed(backorderFloor, nextBound + Math.max(timeMax, this.timeLeast[i]!))) return true;
    if (this.evaluated >= this.budget) {
      this.exhausted = true;
      return false;
    }
    // Sets of one and the greedy sets were considered above.
    const m = size - 1;
    if (this.prefixLevels > m) this.prefixLevels = m;
    this.chosen[m] = i;
    if (size === 1 || this.isGreedySet(this.chosen, size)) return true;
    if (!this.prefixFilled) {
      this.fillPrefix(m);
      this.prefixFilled = true;
    }
    // The others' shipments are known now: bound the set's score with their actual terms.
    // (A set whose others cannot all ship changes nothing either.)
    if (
      this.prune &&
      (!this.prefixValid ||
        this.dismissed(
          backorderFloor,
          this.lastLow(
            this.prefixDays,
            this.prefixShipping,
            this.prefixLocationCost,
            this.prefixLoad,
            this.prefixExternal,
            this.lowest[c.index]!,
            this.slowest[c.index]!,
            this.perOrderAt[i]!,
            c.load,
            c.external,
            days,
            size,
          ),
        ))
    )
      return true;
    this.evaluated++;
    if (this.quickEvaluateLast(m, i)) this.keep(this.chosen, size);
    return true;
  }

  private dfs(start: number, size: number, bound: number, maxDays: number, timeMax: number): void {
    if (this.exhausted) return;
    if (this.depth === size) {
      if (this.evaluated >= this.budget) {
        this.exhausted = true;
        return;
      }
      // Sets of one and the greedy sets were considered above.
      if (size > 1 && !this.isGreedySet(this.chosen, size)) this.consider(this.chosen, size);
      return;
    }
    const after = size - this.depth - 1; // locations still to add after this one
    if (after === 0) {
      this.lastMember(start, size, bound, maxDays, timeMax);
      return;
    }
    // The whole loop below is cut where no completion of the members chosen so far can change the answer.
    if (
      this.depth > 0 &&
      this.canCutLoops &&
      this.evaluated < this.budget &&
      start < this.n &&
      this.cannotComplete(start, after + 1, size, maxDays)
    )
      return;
    const { n, L, K, need, have, stockAt, lineTop, fixedLow, daysLow, timeLeast, timeLow, rank, w } = this;
    for (let i = start; i <= n - (size - this.depth); i++) {
      const c = rank[i]!;
      const days = Math.max(maxDays, c.min_days);
      const nextBound = bound + c.bound_cost + w.load * c.load + w.external * c.external;
      const at = i * L;
      for (let l = 0; l < L; l++) have[l]! += stockAt[at + l]!;
      let covered = 0;
      let reachable = 0;
      for (let l = 0; l < L; l++) {
        covered += Math.min(need[l]!, have[l]!);
        if (after > 0)
          reachable += Math.min(need[l]!, have[l]! + lineTop[((i + 1) * L + l) * (K + 1) + after]!);
      }
      const best = this.best;
      const backorderFloor = this.totalUnits - covered - this.topSums[(i + 1) * (K + 1) + after]!;
      const hopeless =
        (this.prune && backorderFloor > best.units_backordered) ||
        (backorderFloor === best.units_backordered &&
          this.limitBestDecides &&
          nextBound + w.delivery_days * days > best.score + SCORE_EPSILON);
      const times = Math.max(timeMax, timeLeast[i]!);
      let beyond = false;
      if (!hopeless && after > 0 && this.prune) {
        // Every completion backorders at least this, and scores at least `floorScore`.
        const floor = Math.max(backorderFloor, this.totalUnits - reachable);
        const floorScore =
          nextBound +
          fixedLow[(i + 1) * (K + 1) + after]! +
          w.delivery_days * Math.max(days, daysLow[i + 1]!);
        beyond =
          floor > best.units_backordered ||
          (floor === best.units_backordered &&
            this.limitBestDecides &&
            floorScore > best.score + SCORE_EPSILON + BOUND_SLACK);
        beyond ||= this.dismissed(
          floor,
          nextBound + fixedLow[(i + 1) * (K + 1) + after]! + Math.max(times, timeLow[i + 1]!),
        );
      }
      if (!hopeless && !beyond) {
        // Levels past this depth described the member chosen here before.
        if (this.prefixLevels > this.depth) this.prefixLevels = this.depth;
        this.chosen[this.depth++] = i;
        this.dfs(i + 1, size, nextBound, days, times);
        this.depth--;
      }
      for (let l = 0; l < L; l++) have[l]! -= stockAt[at + l]!;
      if (this.exhausted) return;
    }
  }
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
