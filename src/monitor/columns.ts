/**
 * One column's partial profile, as a unit of work builds it from the values it fed the model (or the model
 * returned): exact counts, min and max, exact sums, bucket counts or category counts. Partials merge by adding, in
 * any order, with the same result.
 */
import { ExactSum } from './exactSum.js';
import { BucketCounts, bucketOf } from './buckets.js';

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
  buckets: number[];
  counts: number[];
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

  partial(): NumericPartial {
    const { buckets, counts } = this.buckets.entries();
    return {
      kind: 'numeric', count: this.count, missing: this.missing, infinite: this.infinite, min: this.min, max: this.max,
      sum: this.sum.partials(), sumSquares: this.sumSquares.partials(), buckets, counts, below: this.below, above: this.above,
    };
  }

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
