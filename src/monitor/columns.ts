/**
 * One column's partial profile, as a unit of work builds it from the values it fed the model (or the model
 * returned): exact counts, min and max, exact sums, bucket counts or category counts. Partials merge by adding, in
 * any order, with the same result.
 */
import { ExactSum } from './exactSum.js';
import { BucketCounts, bucketOf, type BucketEntries } from './buckets.js';
import type { BinLayout } from './baselineBins.js';
import {
  FLUSH_EVERY, Float32Sums, KEYS, NEGATIVE, extremeOf, float32Entries, isSpecialBits, mergeEntries, orderedRange, resetFigures, spare,
  type Float32Counts,
} from './float32Counts.js';
import { ABOVE, BELOW, FIRST_ZERO, MAX, MIN, alloc, count, figures, words } from './float32Kernel.js';

export type { Float32Counts };

/** Ordered ranges by low and high: a column's range is the same in every unit (a thread makes each once). */
const orderedRanges = new Map<number, Map<number, { below: number; above: number }>>();

function rangeOf(low: number, high: number): { below: number; above: number } {
  const byHigh = orderedRanges.get(low) ?? new Map<number, { below: number; above: number }>();
  orderedRanges.set(low, byHigh);
  let range = byHigh.get(high);
  if (!range) byHigh.set(high, (range = orderedRange(low, high)));
  return range;
}

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
  /**
   * Counts in a baseline's bins (see BinLayout) instead of bucket counts, when the run only compares (a unit's are a
   * plain array: a typed array of more than 16 numbers costs ~0.5 µs to make, and a run makes one per column per unit).
   */
  binned: readonly number[] | Float64Array | null;
}

export interface CategoricalPartial {
  kind: 'categorical';
  count: number;
  missing: number;
  values: Array<[string, number]>;
}

export type ColumnPartial = NumericPartial | CategoricalPartial;

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
  /** The baseline's range as the float32 hot loop compares it (see orderedRange), made on first use. */
  private range: { below: number; above: number } | null = null;
  /** Merged float32 counts by key (a run's column). */
  private f32counts: Float64Array | null = null;
  /**
   * A unit's counts in a baseline's bins (a column that only compares), as the byte offset of layout.size 32-bit
   * words in the float32 loop's memory (0: none yet), where the loop adds to them.
   */
  private binsAt = 0;
  /** The run's counts in a baseline's bins, merged from the units'. */
  binned: Float64Array | null = null;

  /**
   * `low`/`high`: the baseline's range, counted outside of (NaN when there is none: nothing compares); `layout`:
   * the baseline's bins to count into instead of keeping bucket counts.
   */
  constructor(
    readonly low = NaN,
    readonly high = NaN,
    private readonly layout: BinLayout | null = null,
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
    if (this.layout) {
      const bins = this.unitBins() >> 2;
      const b = bucketOf(x);
      const memory = words();
      memory[bins + this.layout.quantileSlot(b)]++;
      memory[bins + this.layout.chartSlot(b)]++;
    } else {
      this.buckets.add(bucketOf(x));
    }
    if (x === Infinity || x === -Infinity) {
      this.infinite++;
      return;
    }
    this.sum.add(x);
    this.sumSquares.add(x * x);
  }

  /**
   * The hot path: values data[start + r · stride] for r in [from, to) of a float32 feed or output, read through
   * their bits (`bits` views the same memory, and bits[i] is at byte offset base + 4i of the float32 loop's memory,
   * staged there for rows [from, to)), less the rows `skip` names; subnormals, infinities and NaN go through add().
   */
  addFloat32s(data: Float32Array, bits: Uint32Array, base: number, start: number, stride: number, from: number, to: number, skip?: (row: number) => boolean): void {
    if (skip === undefined) {
      this.countFloat32Rows(data, bits, base, start, stride, from, to);
      return;
    }
    // Rows the model failed on are few: the hot loop counts the runs of rows between them.
    let run = from;
    for (let r = from; r <= to; r++) {
      if (r < to && !skip(r)) continue;
      if (r > run) this.countFloat32Rows(data, bits, base, start, stride, run, r);
      run = r + 1;
    }
  }

  private countFloat32Rows(data: Float32Array, bits: Uint32Array, base: number, start: number, stride: number, from: number, to: number): void {
    const f = (this.f32 ??= spare.pop() ?? new Float32Sums());
    const range = (this.range ??= rangeOf(this.low, this.high));
    const table = this.layout?.float32Slots() ?? null;
    const slots = table === null ? 0 : table.at;
    const bins = table === null ? 0 : this.unitBins();
    const step = 4 * stride;
    for (let a = from; a < to; a += FLUSH_EVERY) {
      const b = Math.min(to, a + FLUSH_EVERY);
      if (f.pending + (b - a) > FLUSH_EVERY) f.flush(this.sum, this.sumSquares);
      f.pending += b - a;
      resetFigures();
      let special = 0;
      const end = base + 4 * (start + b * stride);
      let i = base + 4 * (start + a * stride);
      for (;;) {
        i = count(i, step, end, range.below, range.above, slots, bins, f.sumsAt, f.countsAt);
        if (i >= end) break;
        const at = (i - base) / 4;
        if (isSpecialBits(bits[at])) {
          // NaN, infinities, subnormals: rare, counted by add() (the order of values does not matter there)
          this.add(data[at]);
          special++;
          i += step;
        } else {
          table!.fill(bits[at] >>> 23); // a key whose page is not filled yet: counted from there once it is
        }
      }
      this.count += b - a - special;
      const s = figures();
      if (s[MIN] <= s[MAX]) {
        // As `x < min` per value would: of equal values (both zeros), the first seen stays.
        const least = extremeOf(s[MIN], s[FIRST_ZERO]);
        const greatest = extremeOf(s[MAX], s[FIRST_ZERO]);
        if (least < this.min) this.min = least;
        if (greatest > this.max) this.max = greatest;
        this.below += s[BELOW];
        this.above += s[ABOVE];
      }
    }
  }

  /** The byte offset of this unit's bin counts (taken on first use: from the regions earlier units gave back). */
  private unitBins(): number {
    if (this.binsAt === 0) this.binsAt = this.layout!.spareBins.pop() ?? alloc(this.layout!.size * 4);
    return this.binsAt;
  }

  /** The unit's partial; the column is done with (its float32 arrays go back for the next unit). */
  partial(): NumericPartial {
    let f32: Float32Counts | null = null;
    if (this.f32) {
      if (this.layout) this.f32.drainSums(this.sum, this.sumSquares);
      else f32 = this.f32.drain(this.sum, this.sumSquares);
      spare.push(this.f32);
      this.f32 = null;
    }
    const { buckets, counts } = this.buckets.entries();
    return {
      kind: 'numeric', count: this.count, missing: this.missing, infinite: this.infinite, min: this.min, max: this.max,
      sum: this.sum.partials(), sumSquares: this.sumSquares.partials(), buckets, counts, f32, below: this.below, above: this.above,
      binned: this.takeBins(),
    };
  }

  /** The unit's bin counts, copied out; their region is zeroed and given back for the next unit. */
  private takeBins(): number[] | null {
    if (this.binsAt === 0) return null;
    const [from, size] = [this.binsAt >> 2, this.layout!.size];
    const memory = words();
    const out = new Array<number>(size);
    for (let i = 0; i < size; i++) out[i] = memory[from + i];
    memory.fill(0, from, from + size);
    this.layout!.spareBins.push(this.binsAt);
    this.binsAt = 0;
    return out;
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
    if (p.binned) {
      const into = (this.binned ??= new Float64Array(p.binned.length));
      for (let i = 0; i < into.length; i++) into[i] += p.binned[i];
    }
    if (p.f32) {
      const into = (this.f32counts ??= new Float64Array(KEYS));
      const base = p.f32.low << 5;
      for (let i = 0; i < p.f32.positive.length; i++) into[base + i] += p.f32.positive[i];
      for (let i = 0; i < p.f32.negative.length; i++) into[NEGATIVE + base + i] += p.f32.negative[i];
    }
  }

  /**
   * A run's column as one partial (its float32 counts among the buckets): merged into an empty column, it makes
   * this column again (a --resume checkpoint keeps it so). A copy: later merges do not change it.
   */
  whole(): NumericPartial {
    const { buckets, counts } = this.entries();
    return {
      kind: 'numeric', count: this.count, missing: this.missing, infinite: this.infinite, min: this.min, max: this.max,
      sum: this.sum.partials(), sumSquares: this.sumSquares.partials(), buckets, counts, f32: null, below: this.below, above: this.above,
      binned: this.binned && this.binned.slice(), // a copy: later merges add into this.binned
    };
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

export function emptyColumn(kind: ColumnKind, range?: { min: number; max: number }, layout: BinLayout | null = null): Column {
  return kind === 'numeric' ? new NumericColumn(range?.min, range?.max, layout) : new CategoricalColumn();
}
