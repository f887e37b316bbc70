/**
 * The float32 hot path of a numeric column: a unit's float32 values (what most models take and return) counted
 * through their bits, with exact per-exponent sums and bucket counts by key, then drained once per unit into the
 * column's exact sums and its partial (full bucket counts, or counts in a baseline's bins).
 */
import { ExactSum } from './exactSum.js';
import { BucketCounts, bucketOfFloat32Bits, type BucketEntries } from './buckets.js';
import { NOT_READY } from './baselineBins.js';

/** A unit's float32 counts: 32 per exponent from `low`, negative values and positive ones (cheap to send and add). */
export interface Float32Counts {
  low: number;
  negative: Uint32Array;
  positive: Uint32Array;
}

export const KEYS = 1 << 14;
export const NEGATIVE = 1 << 13;

/** Float32 counts by key in increasing bucket order (negative values from the largest magnitude down, then positive). */
export function float32Entries(counts: Float64Array): BucketEntries {
  const keys: number[] = [];
  for (let k = KEYS - 1; k >= NEGATIVE; k--) if (counts[k] !== 0) keys.push(k);
  for (let k = 0; k < NEGATIVE; k++) if (counts[k] !== 0) keys.push(k);
  return {
    buckets: Uint32Array.from(keys, (k) => bucketOfFloat32Bits(k << 18, (k >>> 5) & 0xff)),
    counts: Float64Array.from(keys, (k) => counts[k]),
  };
}

/** Two sorted bucket lists as one (equal buckets added). */
export function mergeEntries(a: BucketEntries, b: BucketEntries): BucketEntries {
  if (b.buckets.length === 0) return a;
  if (a.buckets.length === 0) return b;
  const all = new BucketCounts();
  all.addEntries(a);
  all.addEntries(b);
  return all.entries();
}

/** 2^(e − 150): the unit of a float32's 24-bit integer mantissa at biased exponent e (1–254). */
const MANTISSA_UNIT = Float64Array.from({ length: 256 }, (_, e) => 2 ** (e - 150));
/**
 * Values counted between two flushes of the per-exponent sums: each value adds less than 2^36 to a square sum, so
 * 2^16 of them stay below 2^52, exact in a float64.
 */
export const FLUSH_EVERY = 1 << 16;

/**
 * A unit's float32 values, counted without a general exact sum or a bucket lookup per value:
 * - a float32 is m · 2^(e − 150) with an integer m < 2^24, so per exponent e the integers m (by sign) add exactly
 *   in a float64, and so do m² split as (m >> 12) · m · 2^12 + (m & 0xfff) · m (two products below 2^36) for
 *   FLUSH_EVERY values; flush() moves them into exact sums (and at the end of the unit);
 * - the top 14 bits of a float32 (sign, exponent, SUB_BITS = 5 mantissa bits) index its bucket's count directly.
 * The arrays are reused from unit to unit (zeroed where used), since a unit is a few thousand records.
 */
export class Float32Sums {
  /**
   * The per-exponent sums in one array (one fewer array for the hot loop to hold): Σ m by sign and exponent at
   * SUM (negative values at SUM + 256), Σ (m >> 12) · m at SQUARES_HIGH and Σ (m & 0xfff) · m at SQUARES_LOW, by
   * exponent: m² = the first · 2^12 + the second.
   */
  readonly sums = new Float64Array(1024);
  readonly counts = new Uint32Array(KEYS);
  /** Values counted since the last flush (at most). */
  pending = 0;
  /** Exponents seen since the unit began, zeros excepted (found at each flush). */
  lowest = 256;
  highest = -1;

  /** Adds the per-exponent sums to `sum` and `squares` and clears them. */
  flush(sum: ExactSum, squares: ExactSum): void {
    const sums = this.sums;
    for (let e = 1; e < 255; e++) {
      if (sums[SQUARES_HIGH + e] === 0) continue; // every value adds at least 2^34 to it
      if (e < this.lowest) this.lowest = e;
      if (e > this.highest) this.highest = e;
      const unit = MANTISSA_UNIT[e];
      const square = unit * unit;
      sum.add(sums[SUM + e] * unit);
      sum.add(-sums[SUM + 256 + e] * unit);
      squares.add(sums[SQUARES_HIGH + e] * 4096 * square);
      squares.add(sums[SQUARES_LOW + e] * square);
      sums[SUM + e] = sums[SUM + 256 + e] = sums[SQUARES_HIGH + e] = sums[SQUARES_LOW + e] = 0;
    }
    this.pending = 0;
  }

  /** Flushes, returns the unit's bucket counts, and clears all for the next unit. */
  drain(sum: ExactSum, squares: ExactSum): Float32Counts {
    this.flush(sum, squares);
    const [low, high] = this.exponents();
    const [from, to] = [low << 5, (high + 1) << 5];
    const out = { low, negative: this.counts.slice(NEGATIVE | from, NEGATIVE | to), positive: this.counts.slice(from, to) };
    this.counts.fill(0, NEGATIVE | from, NEGATIVE | to);
    this.counts.fill(0, from, to);
    return out;
  }

  /** Flushes, and clears all for the next unit (a unit that counted into a baseline's bins: no bucket counts). */
  drainSums(sum: ExactSum, squares: ExactSum): void {
    this.flush(sum, squares);
    this.exponents();
  }

  /** The unit's exponents [low, high] (zeros at exponent 0 add nothing to the sums), reset for the next unit. */
  private exponents(): [number, number] {
    const zero = this.counts[0] !== 0 || this.counts[NEGATIVE] !== 0;
    const high = zero ? Math.max(this.highest, 0) : this.highest;
    const low = zero ? 0 : Math.min(this.lowest, high + 1);
    this.lowest = 256;
    this.highest = -1;
    return [low, high];
  }
}

const [SUM, SQUARES_HIGH, SQUARES_LOW] = [0, 512, 768];

/** Float32Sums done with, for the next unit (each holds 64 KiB of counts). */
export const spare: Float32Sums[] = [];

/**
 * Running figures of the hot loop, kept between its calls (an Int32Array keeps them small integers): the least and
 * greatest ordered value (see orderedOf), the sign of the first zero seen (1 for +0, −1 for −0, 0 before any),
 * the values below and above the baseline's range. resetScratch() before counting a run of values.
 */
export const scratch = new Int32Array(5);
export const [MIN, MAX, FIRST_ZERO, BELOW, ABOVE] = [0, 1, 2, 3, 4];
export const NO_SLOTS = new Uint32Array(0);
export const NO_BINS = new Uint32Array(0);

export function resetScratch(): void {
  scratch.set(EMPTY_SCRATCH);
}

const EMPTY_SCRATCH = Int32Array.of(0x7fffffff, -0x80000000, 0, 0, 0);

/**
 * The float32 value of the hot loop's least or greatest ordered value. Both zeros are 0 there: as `x < min` per
 * value would keep the first seen of equal values, an extreme that is 0 is the first zero seen, of its sign.
 */
export function extremeOf(ordered: number, firstZero: number): number {
  if (ordered === 0) return firstZero < 0 ? -0 : 0;
  return ordered > 0 ? float32Of(ordered) : -float32Of(-ordered);
}

/**
 * A float32 as an integer ordered like its value (its magnitude bits, negated for a negative value; both zeros are
 * 0, equal as the values are), so that the hot loop compares integers read from the bits, not floats.
 */
export function orderedOf(bits: number): number {
  const sign = bits >> 31;
  return ((bits & 0x7fffffff) ^ sign) - sign;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 of these bits. */
export function float32Of(bits: number): number {
  u32[0] = bits;
  return f32[0];
}

/** The largest finite float32's ordered value. */
const MAX_ORDERED = 0x7f7fffff;

/**
 * A baseline's range [low, high] in ordered values: a float32 x (not NaN, infinite or subnormal) is below low
 * exactly when orderedOf(x) < below, and above high exactly when orderedOf(x) > above (never, for NaN bounds).
 */
export function orderedRange(low: number, high: number): { below: number; above: number } {
  return { below: firstOrdered((x) => !(x < low)), above: firstOrdered((x) => x > high) - 1 };
}

/** The least ordered value of a finite float32 for which `turned` holds (false below it, true from it on), or one past the largest. */
function firstOrdered(turned: (x: number) => boolean): number {
  let [a, b] = [-MAX_ORDERED, MAX_ORDERED + 1];
  while (a < b) {
    const mid = Math.floor((a + b) / 2);
    if (turned(mid < 0 ? -float32Of(-mid) : float32Of(mid))) b = mid;
    else a = mid + 1;
  }
  return a;
}

/** NaN, an infinity or a subnormal: values the hot loop leaves to the general path. */
export function isSpecialBits(b: number): boolean {
  const mag = b & 0x7fffffff;
  return (mag - 1) >>> 0 < 0x7fffff || mag >= 0x7f800000;
}

/**
 * The hot loop, a plain function over typed arrays and numbers: counts values bits[start + r · stride] for r in
 * [from, to) into `f` (or, `slots` not empty, into a baseline's bins) and the running figures in `scratch`.
 * Returns the row it stopped at: `to`, a special value's (NaN, an infinity, a subnormal: the caller counts it by
 * the general path and calls again after it), or a row whose key's slots are not filled yet (the caller fills its
 * page and calls again from there). [lowest, highest]: the range in ordered values.
 *
 * Nothing here runs only for rare values (the first zero, a value outside the baseline's range, a NaN): code that
 * V8 optimised before such a value came deoptimises at its first one (it has no type feedback for that code),
 * and each time the loop ran unoptimised for ~0.1–0.2 M values (seen with --trace-deopt). So rare values leave the
 * loop, counts are added branch-free, and the first zero's sign is a move of a value computed for every value.
 */
export function countFloat32s(
  f: Float32Sums, bits: Uint32Array, start: number, stride: number, from: number, to: number,
  lowest: number, highest: number, slots: Uint32Array, bins: Uint32Array,
): number {
  const { sums, counts } = f;
  // Counting into a baseline's bins: each key's two slots (a branch the same way for every value).
  const toBins = slots.length !== 0;
  const s = scratch;
  let min = s[MIN];
  let max = s[MAX];
  let zero = s[FIRST_ZERO];
  let below = s[BELOW];
  let above = s[ABOVE];
  const end = start + to * stride;
  let i = start + from * stride;
  for (; i < end; i += stride) {
    const b = bits[i];
    const mag = b & 0x7fffffff;
    if ((mag - 1) >>> 0 < 0x7fffff || mag >= 0x7f800000) break; // isSpecialBits(b)
    const k = b >>> 18;
    const slot = toBins ? slots[k] : 0;
    if (slot === NOT_READY) break;
    const sign = b >> 31; // −1 or 0
    const o = (mag ^ sign) - sign; // orderedOf(b)
    if (o < min) min = o;
    if (o > max) max = o;
    below += o < lowest ? 1 : 0;
    above += o > highest ? 1 : 0;
    if (toBins) {
      bins[slot & 0xffff]++;
      bins[slot >>> 16]++;
    } else {
      counts[k]++;
    }
    const e = mag >>> 23;
    const signed = sign | 1;
    if (e === 0) {
      if (!zero) zero = signed;
      continue;
    }
    const m = (mag & 0x7fffff) | 0x800000;
    sums[(sign & 256) | e] += m;
    sums[SQUARES_HIGH | e] += (m >>> 12) * m;
    sums[SQUARES_LOW | e] += (m & 0xfff) * m;
  }
  s[MIN] = min;
  s[MAX] = max;
  s[FIRST_ZERO] = zero;
  s[BELOW] = below;
  s[ABOVE] = above;
  return (i - start) / stride;
}
