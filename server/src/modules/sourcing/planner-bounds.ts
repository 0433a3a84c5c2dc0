import type { Candidate } from './plan-result.ts';
import type { Scratch } from './planner-scratch.ts';
import type { Weights } from './policy.ts';

/**
 * What the search prunes with, worked out once per order from the candidates in rank order:
 * bounds on the units r more locations could add, on the least score they could add, and which
 * locations cover how much of each line (as bitsets).
 */

// Lines needing more units than this are searched without the coverage bitsets.
const COVER_BITS_NEED_MAX = 64;

/** Inserts x into a list kept sorted (order 1: ascending, -1: descending) and at most k long. */
function insertSorted(list: number[], x: number, k: number, order: 1 | -1) {
  let i = list.length;
  while (i > 0 && (list[i - 1]! - x) * order > 0) i--;
  if (i >= k) return;
  // As splice(i, 0, x) and cutting to k, without the allocation: shift the tail, drop past k.
  for (let j = list.length < k ? list.length : k - 1; j > i; j--) list[j] = list[j - 1]!;
  list[i] = x;
}

/**
 * For pruning on coverage: the most units r more locations from rank[i..] could add. Two bounds,
 * both of which overstate and the tighter of which is used: the sum of the r largest single
 * contributions there (overlaps ignored), and line by line the r largest stocks there.
 */
export function coverageBounds(
  rank: readonly Candidate[],
  needs: ArrayLike<number>,
  stockAt: Float64Array,
  L: number,
  K: number,
  scratch: Scratch,
) {
  const n = rank.length;
  // topSums[i * (K + 1) + r]: the sum of the r largest single contributions in rank[i..],
  // largest first; for r beyond the locations there, the sum of them all.
  const topSums = scratch.f64((n + 1) * (K + 1));
  {
    const largest: number[] = [];
    for (let i = n - 1; i >= 0; i--) {
      let contribution = 0;
      for (let l = 0; l < L; l++) contribution += Math.min(needs[l]!, stockAt[i * L + l]!);
      insertSorted(largest, contribution, K, -1);
      let s = 0;
      const at = i * (K + 1);
      for (let r = 1; r <= K; r++) {
        if (r <= largest.length) s += largest[r - 1]!;
        topSums[at + r] = s;
      }
    }
  }
  // lineTop[(i * L + l) * (K + 1) + r]: the r largest stocks of line l in rank[i..], summed.
  const lineTop = scratch.f64((n + 1) * L * (K + 1));
  {
    const largest: number[][] = [];
    for (let l = 0; l < L; l++) largest.push([]);
    for (let i = n - 1; i >= 0; i--) {
      for (let l = 0; l < L; l++) {
        const top = largest[l]!;
        insertSorted(top, stockAt[i * L + l]!, K, -1);
        let s = 0;
        const at = (i * L + l) * (K + 1);
        for (let r = 1; r <= K; r++) {
          if (r <= top.length) s += top[r - 1]!;
          lineTop[at + r] = s;
        }
      }
    }
  }
  return { topSums, lineTop };
}

/** The part of a set's score a member adds whatever it sends: its lowest rate, per-order cost, load and external score. */
const fixedPart = (c: Candidate, w: Weights) => c.bound_cost + w.load * c.load + w.external * c.external;

/**
 * Per set size r (index 1..K): the least score any set of r candidates can have, its shipments,
 * the r smallest fixed parts, and the least time part any member has (see scoreBounds, whose
 * `fixedLow` and `timeLow` at rank position 0 these are); for deciding, before any bound table is
 * made, that no set of r or more can beat an option.
 */
export function leastSetScores(
  rank: readonly Candidate[],
  slowest: readonly number[],
  w: Weights,
  K: number,
  scratch: Scratch,
): Float64Array {
  const smallest: number[] = [];
  let time = Number.POSITIVE_INFINITY;
  for (const c of rank) {
    insertSorted(smallest, fixedPart(c, w), K, 1);
    time = Math.min(time, Math.max(w.delivery_days * c.min_days, slowest[c.index]!));
  }
  const least = scratch.f64(K + 1);
  let fixed = 0;
  for (let r = 1; r <= K; r++) {
    fixed += r <= smallest.length ? smallest[r - 1]! : Number.POSITIVE_INFINITY;
    least[r] = w.shipments * r + fixed + time;
  }
  return least;
}

/**
 * For pruning on score: the r smallest fixed score parts among rank[i..] (`fixedLow`), the least
 * `min_days` there (`daysLow`), and each position's least delivery-days and shipping terms beyond
 * its lowest rate (`timeLeast`, from `slowest`) with its least among rank[i..] (`timeLow`).
 */
export function scoreBounds(
  rank: readonly Candidate[],
  slowest: readonly number[],
  w: Weights,
  K: number,
  scratch: Scratch,
) {
  const n = rank.length;
  const fixedLow = scratch.f64((n + 1) * (K + 1)).fill(Number.POSITIVE_INFINITY);
  const daysLow = scratch.f64(n + 1).fill(Number.POSITIVE_INFINITY);
  {
    const smallest: number[] = [];
    for (let i = n - 1; i >= 0; i--) {
      const c = rank[i]!;
      insertSorted(smallest, fixedPart(c, w), K, 1);
      let s = 0;
      for (let r = 1; r <= K; r++) {
        s += r <= smallest.length ? smallest[r - 1]! : Number.POSITIVE_INFINITY;
        fixedLow[i * (K + 1) + r] = s;
      }
      daysLow[i] = Math.min(daysLow[i + 1]!, c.min_days);
    }
  }
  // A set's delivery-days and shipping terms are at least its lowest rates plus, for its
  // slowest member, that member's `slowest` part.
  const timeLeast = scratch.f64(n);
  for (let i = 0; i < n; i++)
    timeLeast[i] = Math.max(w.delivery_days * rank[i]!.min_days, slowest[rank[i]!.index]!);
  const timeLow = scratch.f64(n + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = n - 1; i >= 0; i--) timeLow[i] = Math.min(timeLow[i + 1]!, timeLeast[i]!);
  return { fixedLow, daysLow, timeLeast, timeLow };
}

/**
 * For cutting a whole loop of the search: among rank[i..], the least of each per-location input
 * of its `lastLow` (lowest rate, `slowest` part, per-order cost, load, external score), so that
 * `lastLow` of these minima is at most `lastLow` of any location there. Sound only where every
 * input is finite (`finite`): an infinite one can make a location's own bound NaN, which cuts nothing.
 */
export function lastMemberBounds(
  rank: readonly Candidate[],
  lowest: readonly number[],
  slowest: readonly number[],
  scratch: Scratch,
) {
  const n = rank.length;
  const rateLow = scratch.f64(n + 1);
  const slowestLow = scratch.f64(n + 1);
  const perOrderLow = scratch.f64(n + 1);
  const loadLow = scratch.f64(n + 1);
  const externalLow = scratch.f64(n + 1);
  let finite = true;
  let rate = Number.POSITIVE_INFINITY;
  let slow = Number.POSITIVE_INFINITY;
  let perOrder = Number.POSITIVE_INFINITY;
  let load = Number.POSITIVE_INFINITY;
  let external = Number.POSITIVE_INFINITY;
  for (let i = n - 1; i >= 0; i--) {
    const c = rank[i]!;
    const r = lowest[c.index]!;
    const s = slowest[c.index]!;
    const o = c.location.fulfillment_cost.per_order;
    finite &&=
      Number.isFinite(r) &&
      Number.isFinite(s) &&
      Number.isFinite(o) &&
      Number.isFinite(c.load) &&
      Number.isFinite(c.external) &&
      Number.isFinite(c.min_days);
    rate = Math.min(rate, r);
    slow = Math.min(slow, s);
    perOrder = Math.min(perOrder, o);
    load = Math.min(load, c.load);
    external = Math.min(external, c.external);
    rateLow[i] = rate;
    slowestLow[i] = slow;
    perOrderLow[i] = perOrder;
    loadLow[i] = load;
    externalLow[i] = external;
  }
  return { rateLow, slowestLow, perOrderLow, loadLow, externalLow, finite };
}

/**
 * covering[(lineBits[l] + t - 1) * words ..]: the rank positions holding ≥ t units of line l, as
 * bits, for t up to the line's need; built (`whole`) when every count is a whole number, so the
 * sums the tests compare are exact, and needs are small.
 */
export function coveringBits(
  needs: ArrayLike<number>,
  quantities: ArrayLike<number>,
  stockAt: Float64Array,
  n: number,
  L: number,
  scratch: Scratch,
) {
  const words = (n + 31) >>> 5;
  const lineBits: number[] = [];
  let covering: Uint32Array | null = null;
  let whole = false;
  let small = true;
  for (let l = 0; l < L; l++) small &&= Number.isInteger(needs[l]) && needs[l]! <= COVER_BITS_NEED_MAX;
  for (let l = 0; l < L; l++) small &&= Number.isInteger(quantities[l]);
  for (let i = 0; small && i < stockAt.length; i++) small = Number.isInteger(stockAt[i]);
  if (small) {
    whole = true;
    let rows = 0;
    for (let l = 0; l < L; l++) {
      lineBits.push(rows);
      rows += needs[l]!;
    }
    covering = scratch.u32(rows * words);
    for (let p = 0; p < n; p++)
      for (let l = 0; l < L; l++) {
        const most = Math.min(needs[l]!, stockAt[p * L + l]!);
        for (let t = 1; t <= most; t++)
          covering[(lineBits[l]! + t - 1) * words + (p >>> 5)]! |= 1 << (p & 31);
      }
  }
  return { words, lineBits, covering, whole };
}
