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
  buckets: Uint32Array;
  counts: Float64Array;
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
  drain(sum: ExactSum, squares: ExactSum): BucketEntries {
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
    // In increasing bucket order: negative values from the largest magnitude down, then positive ones up.
    const from = this.low << 5;
    const to = (this.high + 1) << 5;
    const keys: number[] = [];
    for (let k = (1 << 13) | (to - 1); k >= ((1 << 13) | from); k--) if (this.counts[k] !== 0) keys.push(k);
    for (let k = from; k < to; k++) if (this.counts[k] !== 0) keys.push(k);
    const buckets = new Uint32Array(keys.length);
    const counts = new Float64Array(keys.length);
    keys.forEach((k, i) => {
      buckets[i] = bucketOfFloat32Bits(k << 18, (k >>> 5) & 0xff);
      counts[i] = this.counts[k];
      this.counts[k] = 0;
    });
    this.low = 256;
    this.high = -1;
    return { buckets, counts };
  }
}

const spare: Float32Sums[] = [];

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
    const { sum, hh, hl, ll, counts } = f;
    let { min, max, below, above } = this;
    let { low: elow, high: ehigh } = f;
    const { low, high } = this;
    let n = 0;
    for (let r = from; r < to; r++) {
      if (skip !== undefined && skip(r)) continue;
      const i = start + r * stride;
      const b = bits[i];
      const e = (b >>> 23) & 0xff;
      if (e === 255 || (e === 0 && (b & 0x7fffff) !== 0)) {
        // Rare (NaN, infinities, subnormals): the general way, with the running figures handed over and back.
        Object.assign(this, { min, max, below, above });
        this.add(data[i]);
        ({ min, max, below, above } = this);
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
    this.count += n;
    this.min = min;
    this.max = max;
    this.below = below;
    this.above = above;
    f.low = elow;
    f.high = ehigh;
  }

  /** The unit's partial; the column is done with (its float32 arrays go back for the next unit). */
  partial(): NumericPartial {
    let entries: BucketEntries | null = null;
    if (this.f32) {
      entries = this.f32.drain(this.sum, this.sumSquares);
      spare.push(this.f32);
      this.f32 = null;
      // Values the float32 path sent the general way (NaN, infinities, subnormals) are in the pages: join them.
      if (this.buckets.used) this.buckets.addEntries(entries);
    }
    const { buckets, counts } = entries && !this.buckets.used ? entries : this.buckets.entries();
    const sum = this.sum;
    const squares = this.sumSquares;
    return {
      kind: 'numeric', count: this.count, missing: this.missing, infinite: this.infinite, min: this.min, max: this.max,
      sum: sum.partials(), sumSquares: squares.partials(), buckets, counts, below: this.below, above: this.above,
    };
  }

  /** Merges a partial (of a column that has no float32 sums of its own: the run's columns merge, units add). */
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
    this.buckets.addEntries(p);
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
