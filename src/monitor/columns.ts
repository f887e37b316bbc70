/**
 * One column's partial profile, as a unit of work builds it from the values it fed the model (or the model
 * returned): exact counts, min and max, exact sums, bucket counts or category counts. Partials merge by adding, in
 * any order, with the same result.
 */
import { ExactSum } from './exactSum.js';
import { BucketCounts, bucketOf, bucketOfFloat32Bits, type BucketEntries } from './buckets.js';

export type ColumnKind = 'numeric' | 'categorical';

/** A numeric column's partial, as sent between threads. */
export interface NumericPartial {
  kind: 'numeric';
  count: number;
  missing: number;
  /** ±Infinity: counted and binned, but kept out of the sums (mean and std are over finite values). */
  infinite: number;
  min: number;
  max: number;
  sum: number[];
  sumSquares: number[];
  /** Bucket counts of values read the general way (float64, integers, a float32's NaN/infinities/subnormals). */
  buckets: Uint32Array;
  counts: Float64Array;
  /** Bucket counts of float32 values by their top 14 bits, for the exponents low… of each sign (see Float32Sums). */
  f32: Float32Counts | null;
  /** Values below / above the baseline's [min, max] (with a baseline only). */
  below: number;
  above: number;
}

export interface CategoricalPartial {
  kind: 'categorical';
  count: number;
  missing: number;
  values: Array<[string, number]>;
}

export type ColumnPartial = NumericPartial | CategoricalPartial;

/** A unit's float32 counts: 32 per exponent from `low`, negative values and positive ones (cheap to send and add). */
export interface Float32Counts {
  low: number;
  negative: Uint32Array;
  positive: Uint32Array;
}

const KEYS = 1 << 14;
const NEGATIVE = 1 << 13;

/** Float32 counts by key in increasing bucket order (negative values from the largest magnitude down, then positive). */
function float32Entries(counts: Float64Array): BucketEntries {
  const keys: number[] = [];
  for (let k = KEYS - 1; k >= NEGATIVE; k--) if (counts[k] !== 0) keys.push(k);
  for (let k = 0; k < NEGATIVE; k++) if (counts[k] !== 0) keys.push(k);
  return {
    buckets: Uint32Array.from(keys, (k) => bucketOfFloat32Bits(k << 18, (k >>> 5) & 0xff)),
    counts: Float64Array.from(keys, (k) => counts[k]),
  };
}

/** Two sorted bucket lists as one (equal buckets added). */
function mergeEntries(a: BucketEntries, b: BucketEntries): BucketEntries {
  if (b.buckets.length === 0) return a;
  if (a.buckets.length === 0) return b;
  const all = new BucketCounts();
  all.addEntries(a);
  all.addEntries(b);
  return all.entries();
}

/**
 * A unit's float32 values, counted without a general exact sum or a bucket lookup per value:
 * - a float32 is m · 2^(e − 150) with an integer m < 2^24, so per exponent e the integers m (signed) add exactly
 *   in a float64 for 2^29 values, and m² split as (mh · 2^12 + ml)² into three sums of products below 2^24
 *   likewise; they become exact partials once, when the unit is done;
 * - the top 14 bits of a float32 (sign, exponent, SUB_BITS = 5 mantissa bits) index its bucket's count directly.
 * The arrays are reused from unit to unit (zeroed where used), since a unit is a few thousand records.
 */
class Float32Sums {
  readonly sum = new Float64Array(512); // by exponent, negative values at 256 +
  readonly hh = new Float64Array(256);
  readonly hl = new Float64Array(256);
  readonly ll = new Float64Array(256);
  readonly counts = new Uint32Array(1 << 14);
  /** Exponents seen (zero counts as exponent 0). */
  low = 256;
  high = -1;

  /** Adds the unit's sums to `sum` and `squares`, returns its bucket counts, and clears all for the next unit. */
  drain(sum: ExactSum, squares: ExactSum): Float32Counts {
    for (let e = Math.max(this.low, 1); e <= this.high; e++) {
      const scale = 2 ** (e - 150);
      if (this.sum[e] !== 0) sum.add(this.sum[e] * scale);
      if (this.sum[256 + e] !== 0) sum.add(-this.sum[256 + e] * scale);
      const sq = scale * scale;
      if (this.hh[e] !== 0) squares.add(this.hh[e] * 2 ** 24 * sq);
      if (this.hl[e] !== 0) squares.add(this.hl[e] * 2 ** 13 * sq);
      if (this.ll[e] !== 0) squares.add(this.ll[e] * sq);
      this.sum[e] = this.sum[256 + e] = this.hh[e] = this.hl[e] = this.ll[e] = 0;
    }
    const low = Math.min(this.low, this.high + 1);
    const [from, to] = [low << 5, (this.high + 1) << 5];
    const out = { low, negative: this.counts.slice(NEGATIVE | from, NEGATIVE | to), positive: this.counts.slice(from, to) };
    this.counts.fill(0, NEGATIVE | from, NEGATIVE | to);
    this.counts.fill(0, from, to);
    this.low = 256;
    this.high = -1;
    return out;
  }
}

const spare: Float32Sums[] = [];

/** Running figures handed to and from the hot loop (a typed array keeps them unboxed). */
const scratch = new Float64Array(5);
const [MIN, MAX, BELOW, ABOVE, N] = [0, 1, 2, 3, 4];
const NO_SPECIALS: number[] = [];

/**
 * The hot loop, a plain function over typed arrays: counts values data[start + r · stride] for r in [from, to) into
 * `f` and the running figures in `s`; returns the indices of values it leaves to the general path.
 */
function countFloat32s(
  f: Float32Sums, s: Float64Array, data: Float32Array, bits: Uint32Array, start: number, stride: number, from: number, to: number,
  low: number, high: number, skip?: (row: number) => boolean,
): number[] {
  const { sum, hh, hl, ll, counts } = f;
  let min = s[MIN];
  let max = s[MAX];
  let below = s[BELOW];
  let above = s[ABOVE];
  let elow = f.low;
  let ehigh = f.high;
  let n = 0;
  let special = NO_SPECIALS;
  for (let r = from; r < to; r++) {
    if (skip !== undefined && skip(r)) continue;
    const i = start + r * stride;
    const b = bits[i];
    const e = (b >>> 23) & 0xff;
    if (e === 255 || (e === 0 && (b & 0x7fffff) !== 0)) {
      if (special === NO_SPECIALS) special = [];
      special.push(i);
      continue;
    }
    n++;
    const x = data[i];
    if (x < min) min = x;
    if (x > max) max = x;
    if (x < low) below++;
    else if (x > high) above++;
    counts[b >>> 18]++;
    if (e < elow) elow = e;
    if (e > ehigh) ehigh = e;
    if (e === 0) continue; // zero
    const m = (b & 0x7fffff) | 0x800000;
    sum[(b >>> 31) * 256 + e] += m;
    const mh = m >>> 12;
    const ml = m & 0xfff;
    hh[e] += mh * mh;
    hl[e] += mh * ml;
    ll[e] += ml * ml;
  }
  s[MIN] = min;
  s[MAX] = max;
  s[BELOW] = below;
  s[ABOVE] = above;
  s[N] = n;
  f.low = elow;
  f.high = ehigh;
  return special;
}

export class NumericColumn {
  count = 0;
  missing = 0;
  infinite = 0;
  min = Infinity;
  max = -Infinity;
  below = 0;
  above = 0;
  readonly sum = new ExactSum();
  readonly sumSquares = new ExactSum();
  readonly buckets = new BucketCounts();
  private f32: Float32Sums | null = null;
  /** Merged float32 counts by key (a run's column). */
  private f32counts: Float64Array | null = null;

  /** `low`/`high`: the baseline's range, counted outside of (NaN when there is none: nothing compares). */
  constructor(
    readonly low = NaN,
    readonly high = NaN,
  ) {}

  add(x: number): void {
    this.count++;
    if (x !== x) {
      this.missing++;
      return;
    }
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (x < this.low) this.below++;
    else if (x > this.high) this.above++;
    this.buckets.add(bucketOf(x));
    if (x === Infinity || x === -Infinity) {
      this.infinite++;
      return;
    }
    this.sum.add(x);
    this.sumSquares.add(x * x);
  }

  /**
   * The hot path: values data[start + r · stride] for r in [from, to) of a float32 feed or output, read through
   * their bits (`bits` views the same memory); subnormals, infinities and NaN go through add().
   */
  addFloat32s(data: Float32Array, bits: Uint32Array, start: number, stride: number, from: number, to: number, skip?: (row: number) => boolean): void {
    const f = (this.f32 ??= spare.pop() ?? new Float32Sums());
    const s = scratch;
    s[MIN] = this.min;
    s[MAX] = this.max;
    s[BELOW] = this.below;
    s[ABOVE] = this.above;
    s[N] = 0;
    const special = countFloat32s(f, s, data, bits, start, stride, from, to, this.low, this.high, skip);
    this.count += s[N];
    this.min = s[MIN];
    this.max = s[MAX];
    this.below = s[BELOW];
    this.above = s[ABOVE];
    for (const i of special) this.add(data[i]); // NaN, infinities, subnormals: rare, and order does not matter
  }

  /** The unit's partial; the column is done with (its float32 arrays go back for the next unit). */
  partial(): NumericPartial {
    let f32: Float32Counts | null = null;
    if (this.f32) {
      f32 = this.f32.drain(this.sum, this.sumSquares);
      spare.push(this.f32);
      this.f32 = null;
    }
    const { buckets, counts } = this.buckets.entries();
    return {
      kind: 'numeric', count: this.count, missing: this.missing, infinite: this.infinite, min: this.min, max: this.max,
      sum: this.sum.partials(), sumSquares: this.sumSquares.partials(), buckets, counts, f32, below: this.below, above: this.above,
    };
  }

  /** Merges a unit's partial into this (a run's) column. */
  merge(p: NumericPartial): void {
    this.count += p.count;
    this.missing += p.missing;
    this.infinite += p.infinite;
    this.min = Math.min(this.min, p.min);
    this.max = Math.max(this.max, p.max);
    this.below += p.below;
    this.above += p.above;
    this.sum.addPartials(p.sum);
    this.sumSquares.addPartials(p.sumSquares);
    if (p.buckets.length) this.buckets.addEntries(p);
    if (p.f32) {
      const into = (this.f32counts ??= new Float64Array(KEYS));
      const base = p.f32.low << 5;
      for (let i = 0; i < p.f32.positive.length; i++) into[base + i] += p.f32.positive[i];
      for (let i = 0; i < p.f32.negative.length; i++) into[NEGATIVE + base + i] += p.f32.negative[i];
    }
  }

  /** Every value's bucket count, in increasing bucket order. */
  entries(): BucketEntries {
    const general = this.buckets.entries();
    return this.f32counts ? mergeEntries(float32Entries(this.f32counts), general) : general;
  }
}

export class CategoricalColumn {
  count = 0;
  missing = 0;
  readonly values = new Map<string, number>();

  /** `missing`: an empty string (a string input fed "" under --missing nan). */
  add(value: string): void {
    this.count++;
    if (value === '') {
      this.missing++;
      return;
    }
    this.values.set(value, (this.values.get(value) ?? 0) + 1);
  }

  partial(): CategoricalPartial {
    return { kind: 'categorical', count: this.count, missing: this.missing, values: [...this.values] };
  }

  merge(p: CategoricalPartial): void {
    this.count += p.count;
    this.missing += p.missing;
    for (const [v, n] of p.values) this.values.set(v, (this.values.get(v) ?? 0) + n);
  }
}

export type Column = NumericColumn | CategoricalColumn;

export function emptyColumn(kind: ColumnKind, range?: { min: number; max: number }): Column {
  return kind === 'numeric' ? new NumericColumn(range?.min, range?.max) : new CategoricalColumn();
}
