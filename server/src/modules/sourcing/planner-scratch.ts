/**
 * The search's working arrays, carved from buffers kept between plans. A typed array of its own
 * is an allocation outside the heap (about a microsecond each), and the search needs some twenty
 * per order. `plan()` is synchronous and calls nothing that plans, so one set of buffers serves
 * every plan in turn: `Scratch.begin()` hands them out from the start again, and a plan that
 * would start while another is running (it cannot today) gets buffers of its own. Every view is
 * zero when handed out, as a new array would be, and never read after its plan returns: the
 * buffers are zero beyond what the plan has taken, and what it took is zeroed when it ends (one
 * fill per buffer, not one per view).
 * Bounded: buffers that grew beyond SCRATCH_KEEP_MAX elements are dropped when the plan ends.
 */

/** Empty arrays, for working arrays a plan makes only when it needs them. */
export const NO_F64: Float64Array = new Float64Array(0);
export const NO_U32: Uint32Array = new Uint32Array(0);
export const NO_U8: Uint8Array = new Uint8Array(0);

const SCRATCH_START = 4096;
const SCRATCH_KEEP_MAX = 1 << 16;

export class Scratch {
  private static shared: Scratch | null = new Scratch();

  // One buffer per element type, and how much of it this plan has taken. The four are written
  // out, not one generic pool, so that each constructor call below sees one type (a call site
  // that constructs several kinds of typed array is several times slower).
  private f64Buffer = new Float64Array(SCRATCH_START);
  private f64Used = 0;
  private u32Buffer = new Uint32Array(SCRATCH_START);
  private u32Used = 0;
  private i32Buffer = new Int32Array(SCRATCH_START);
  private i32Used = 0;
  private u8Buffer = new Uint8Array(SCRATCH_START);
  private u8Used = 0;

  /** The shared buffers for one plan (fresh ones if they are in use); give them back with `end`. */
  static begin(): Scratch {
    const s = Scratch.shared;
    if (s === null) return new Scratch();
    Scratch.shared = null;
    return s;
  }

  static end(s: Scratch): void {
    s.f64Buffer.fill(0, 0, s.f64Used);
    s.u32Buffer.fill(0, 0, s.u32Used);
    s.i32Buffer.fill(0, 0, s.i32Used);
    s.u8Buffer.fill(0, 0, s.u8Used);
    s.f64Used = 0;
    s.u32Used = 0;
    s.i32Used = 0;
    s.u8Used = 0;
    if (s.f64Buffer.length > SCRATCH_KEEP_MAX) s.f64Buffer = new Float64Array(SCRATCH_START);
    if (s.u32Buffer.length > SCRATCH_KEEP_MAX) s.u32Buffer = new Uint32Array(SCRATCH_START);
    if (s.i32Buffer.length > SCRATCH_KEEP_MAX) s.i32Buffer = new Int32Array(SCRATCH_START);
    if (s.u8Buffer.length > SCRATCH_KEEP_MAX) s.u8Buffer = new Uint8Array(SCRATCH_START);
    Scratch.shared = s;
  }

  // Each: a view of `length` zeros. A view is made by the constructor (subarray looks up a species
  // constructor, slower); a full buffer is replaced by a new (zero) one twice as large, and the
  // views handed out before keep the old one alive until their plan ends.

  f64(length: number): Float64Array {
    if (this.f64Used + length > this.f64Buffer.length) {
      this.f64Buffer = new Float64Array(Math.max(length, 2 * this.f64Buffer.length));
      this.f64Used = 0;
    }
    const view = new Float64Array(this.f64Buffer.buffer, this.f64Used * 8, length);
    this.f64Used += length;
    return view;
  }
  u32(length: number): Uint32Array {
    if (this.u32Used + length > this.u32Buffer.length) {
      this.u32Buffer = new Uint32Array(Math.max(length, 2 * this.u32Buffer.length));
      this.u32Used = 0;
    }
    const view = new Uint32Array(this.u32Buffer.buffer, this.u32Used * 4, length);
    this.u32Used += length;
    return view;
  }
  i32(length: number): Int32Array {
    if (this.i32Used + length > this.i32Buffer.length) {
      this.i32Buffer = new Int32Array(Math.max(length, 2 * this.i32Buffer.length));
      this.i32Used = 0;
    }
    const view = new Int32Array(this.i32Buffer.buffer, this.i32Used * 4, length);
    this.i32Used += length;
    return view;
  }
  u8(length: number): Uint8Array {
    if (this.u8Used + length > this.u8Buffer.length) {
      this.u8Buffer = new Uint8Array(Math.max(length, 2 * this.u8Buffer.length));
      this.u8Used = 0;
    }
    const view = new Uint8Array(this.u8Buffer.buffer, this.u8Used, length);
    this.u8Used += length;
    return view;
  }
}
