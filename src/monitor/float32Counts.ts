/**
 * The float32 hot path of a numeric column: a unit's float32 values (what most models take and return) counted
 * through their bits, with exact per-exponent sums and bucket counts by key, then drained once per unit into the
 * column's exact sums and its partial (full bucket counts, or counts in a baseline's bins).
 */
import { ExactSum } from './exactSum.js';
import { BucketCounts, bucketOfFloat32Bits, type BucketEntries } from './buckets.js';
import { COLLECTED, alloc, collect, doubles, figures, words } from './float32Kernel.js';

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
 * Values counted between two flushes of the per-exponent sums: m² < 2^48, so 2^16 of them stay below 2^64, exact
 * in the loop's 64-bit integers.
 */
export const FLUSH_EVERY = 1 << 16;
/** The most exponents apart that flush() adds up before an exact sum (see there). */
const SPAN = 10;
const POWERS_OF_TWO = Float64Array.from({ length: SPAN + 1 }, (_, k) => 2 ** k);

/**
 * A unit's float32 values, counted without a general exact sum or a bucket lookup per value (the loop itself is
 * float32Kernel.wat, over this object's regions of the kernel's memory):
 * - a float32 is m · 2^(e − 150) with an integer m < 2^24, so per exponent e the integers m (by sign) and m² add
 *   exactly in 64-bit integers for FLUSH_EVERY values; flush() moves them into exact sums (and at the end of the
 *   unit);
 * - the top 14 bits of a float32 (sign, exponent, SUB_BITS = 5 mantissa bits) index its bucket's count directly.
 * The regions are reused from unit to unit (zeroed where used), since a unit is a few thousand records.
 */
export class Float32Sums {
  /**
   * The per-exponent sums, 768 unsigned 64-bit integers at this byte offset: Σ m by sign and exponent (negative
   * values at 256 + e), Σ m² by exponent at 512 + e (float32Kernel.wat).
   */
  readonly sumsAt = alloc(768 * 8);
  /** The counts by key (KEYS 32-bit words at this byte offset), when the unit keeps bucket counts. */
  readonly countsAt = alloc(KEYS * 4);
  /** Values counted since the last flush (at most). */
  pending = 0;
  /** Exponents seen since the unit began, zeros excepted (found at each flush). */
  lowest = 256;
  highest = -1;

  /**
   * Adds the per-exponent sums to `sum` and `squares` and clears them. Exponents at most SPAN apart are added up
   * first, exactly: Σ m < 2^40 and each word of Σ m² < 2^32, so scaled by 2^(e − e0) (and 4^(e − e0)) a group's
   * totals stay below 2^53. A column's values span few exponents: a few exact-sum adds instead of four per exponent.
   */
  flush(sum: ExactSum, squares: ExactSum): void {
    const n = collect(this.sumsAt);
    this.pending = 0;
    if (n === 0) return;
    const d = doubles();
    // collect() wrote the exponents in increasing order.
    this.lowest = Math.min(this.lowest, d[COLLECTED]);
    this.highest = Math.max(this.highest, d[COLLECTED + 5 * (n - 1)]);
    for (let g = 0; g < n; ) {
      const e0 = d[COLLECTED + 5 * g];
      let [m, high, low] = [0, 0, 0];
      for (; g < n; g++) {
        const i = COLLECTED + 5 * g;
        const apart = d[i] - e0;
        if (apart > SPAN) break;
        const scale = POWERS_OF_TWO[apart];
        m += (d[i + 1] - d[i + 2]) * scale;
        high += d[i + 3] * scale * scale;
        low += d[i + 4] * scale * scale;
      }
      const unit = MANTISSA_UNIT[e0];
      sum.add(m * unit);
      squares.add(high * 2 ** 32 * unit * unit);
      squares.add(low * unit * unit);
    }
  }

  /** Flushes, returns the unit's bucket counts, and clears all for the next unit. */
  drain(sum: ExactSum, squares: ExactSum): Float32Counts {
    this.flush(sum, squares);
    const [low, high] = this.exponents();
    const counts = words();
    const at = this.countsAt >> 2;
    const [from, to] = [at + (low << 5), at + ((high + 1) << 5)];
    const out = { low, negative: counts.slice(NEGATIVE + from, NEGATIVE + to), positive: counts.slice(from, to) };
    counts.fill(0, NEGATIVE + from, NEGATIVE + to);
    counts.fill(0, from, to);
    return out;
  }

  /** Flushes, and clears all for the next unit (a unit that counted into a baseline's bins: no bucket counts). */
  drainSums(sum: ExactSum, squares: ExactSum): void {
    this.flush(sum, squares);
    this.exponents();
  }

  /** The unit's exponents [low, high] (zeros at exponent 0 add nothing to the sums), reset for the next unit. */
  private exponents(): [number, number] {
    const counts = words();
    const at = this.countsAt >> 2;
    const zero = counts[at] !== 0 || counts[at + NEGATIVE] !== 0;
    const high = zero ? Math.max(this.highest, 0) : this.highest;
    const low = zero ? 0 : Math.min(this.lowest, high + 1);
    this.lowest = 256;
    this.highest = -1;
    return [low, high];
  }
}

/** Float32Sums done with, for the next unit (each holds 64 KiB of counts). */
export const spare: Float32Sums[] = [];

/** Sets the loop's running figures (float32Kernel.ts) for a run of values. */
export function resetFigures(): void {
  figures().set(EMPTY_FIGURES);
}

/**
 * The loop's running figures before any value: the least and greatest ordered value (see orderedOf), the sign of
 * the first zero seen (1 for +0, −1 for −0, 0 before any), the values below and above the baseline's range.
 */
const EMPTY_FIGURES = Int32Array.of(0x7fffffff, -0x80000000, 0, 0, 0);

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
