/**
 * How far two models' predictions of the same records agree: serve's shadow mode (per record, to /metrics) and a
 * run's challenger (per output column, in the summary and the drift report) read rows the same way here.
 * - numbers: the absolute difference of each floating-point output value (mean and max over records);
 * - labels: the first label output (int, string, bool), else the argmax of a per-class float output; agreement
 *   rate and a confusion table (champion label × challenger label).
 */
import { ExactSum } from './exactSum.js';
import { LABEL_TYPES } from './profiler.js';

export interface OutputSpecLike {
  type: string;
}

/** A scored record: the outputs of the model call that scored it, and its position in that call. */
export interface ScoredRow {
  scored: ReadonlyArray<{ data: ArrayLike<unknown>; size: number }> | null;
  at: number;
}

const isFloat = (type: string): boolean => type === 'float32' || type === 'float64';

/** Values of output k of a scored row. */
export function valuesOf(row: ScoredRow, k: number): unknown[] {
  const o = row.scored![k];
  return Array.from({ length: o.size }, (_, j) => o.data[row.at * o.size + j]);
}

/** Values of the first floating-point output of a scored row. */
export function firstFloats(specs: readonly OutputSpecLike[], row: ScoredRow): unknown[] | null {
  const k = specs.findIndex((s) => isFloat(s.type));
  return k < 0 ? null : valuesOf(row, k);
}

/** Mean absolute difference of the first floating-point outputs of two rows (null when they cannot be compared). */
export function meanAbsDiff(a: readonly OutputSpecLike[], ra: ScoredRow, b: readonly OutputSpecLike[], rb: ScoredRow): number | null {
  const x = firstFloats(a, ra);
  const y = firstFloats(b, rb);
  if (!x || !y || x.length !== y.length || x.length === 0) return null;
  let sum = 0;
  for (let j = 0; j < x.length; j++) sum += Math.abs(Number(x[j]) - Number(y[j]));
  return sum / x.length;
}

/** A row's label: the first label-typed output, else the argmax of a per-class float output; null for a regressor. */
export function labelOf(specs: readonly OutputSpecLike[], row: ScoredRow): string | null {
  const k = specs.findIndex((s) => LABEL_TYPES.has(s.type));
  if (k >= 0) return String(valuesOf(row, k)[0]);
  const values = firstFloats(specs, row);
  if (!values || values.length < 2) return null;
  let best = 0;
  for (let j = 1; j < values.length; j++) if (Number(values[j]) > Number(values[best])) best = j;
  return String(best);
}

/** A unit's agreement counts, plain data for sending between threads. */
export interface AgreementPartial {
  compared: number;
  challengerFailed: number;
  /** Per compared float value (output k, value j in order): exact sum of |difference|, max, count. */
  numeric: Array<{ sum: number[]; max: number; n: number }>;
  /** [champion label, challenger label, count]. */
  confusion: Array<[string, string, number]>;
}

/** The float outputs both models have at the same position, with the same values per record. */
export function comparedOutputs(main: readonly OutputSpecLike[], challenger: readonly OutputSpecLike[]): number[] {
  const ks: number[] = [];
  for (let k = 0; k < Math.min(main.length, challenger.length); k++) if (isFloat(main[k].type) && isFloat(challenger[k].type)) ks.push(k);
  return ks;
}

export class AgreementCounter {
  private compared = 0;
  private challengerFailed = 0;
  private readonly numeric: Array<{ sum: ExactSum; max: number; n: number }> = [];
  private readonly confusion = new Map<string, number>();
  private readonly pairs: number[];

  constructor(
    private readonly main: readonly OutputSpecLike[],
    private readonly challenger: readonly OutputSpecLike[],
  ) {
    this.pairs = comparedOutputs(main, challenger);
  }

  /** A record both models were asked about; `b` null when the challenger failed on it. */
  add(a: ScoredRow, b: ScoredRow | null): void {
    if (!b) {
      this.challengerFailed++;
      return;
    }
    this.compared++;
    let slot = 0;
    for (const k of this.pairs) {
      const x = valuesOf(a, k);
      const y = valuesOf(b, k);
      for (let j = 0; j < Math.min(x.length, y.length); j++, slot++) {
        const s = (this.numeric[slot] ??= { sum: new ExactSum(), max: 0, n: 0 });
        const d = Math.abs(Number(x[j]) - Number(y[j]));
        if (Number.isNaN(d)) continue;
        s.n++;
        if (Number.isFinite(d)) s.sum.add(d);
        if (d > s.max) s.max = d;
      }
    }
    const la = labelOf(this.main, a);
    const lb = labelOf(this.challenger, b);
    if (la !== null && lb !== null) {
      const key = JSON.stringify([la, lb]);
      this.confusion.set(key, (this.confusion.get(key) ?? 0) + 1);
    }
  }

  partial(): AgreementPartial {
    return partialOf(this.compared, this.challengerFailed, this.numeric, this.confusion);
  }
}

/** Counts as plain data (a unit's, or a run's merged so far). */
function partialOf(compared: number, challengerFailed: number, numeric: Array<{ sum: ExactSum; max: number; n: number }>, confusion: Map<string, number>): AgreementPartial {
  return {
    compared,
    challengerFailed,
    numeric: numeric.map((s) => ({ sum: s.sum.partials(), max: s.max, n: s.n })),
    confusion: [...confusion].map(([key, n]) => [...(JSON.parse(key) as [string, string]), n]),
  };
}

export interface AgreementReport {
  /** Records scored by both models. */
  compared: number;
  /** Records the champion scored and the challenger failed on (MODEL_ERROR from the challenger). */
  challengerFailed: number;
  numeric: Array<{ column: string; challengerColumn: string; meanAbsDiff: number; maxAbsDiff: number; compared: number }>;
  labels: { agreement: number; compared: number; classes: string[]; confusion: number[][] } | null;
}

/** The run's agreement: unit partials merged (exactly, in any order). */
export class RunAgreement {
  private compared = 0;
  private challengerFailed = 0;
  private readonly numeric: Array<{ sum: ExactSum; max: number; n: number }> = [];
  private readonly confusion = new Map<string, number>();

  merge(p: AgreementPartial): void {
    this.compared += p.compared;
    this.challengerFailed += p.challengerFailed;
    p.numeric.forEach((x, i) => {
      const s = (this.numeric[i] ??= { sum: new ExactSum(), max: 0, n: 0 });
      s.sum.addPartials(x.sum);
      s.max = Math.max(s.max, x.max);
      s.n += x.n;
    });
    for (const [a, b, n] of p.confusion) {
      const key = JSON.stringify([a, b]);
      this.confusion.set(key, (this.confusion.get(key) ?? 0) + n);
    }
  }

  /** The counts merged so far as one partial: merged into a new RunAgreement, they make this one again. */
  whole(): AgreementPartial {
    return partialOf(this.compared, this.challengerFailed, this.numeric, this.confusion);
  }

  /** `columns`: [champion column, challenger column] of each compared float value, in the partials' order. */
  report(columns: Array<[string, string]>): AgreementReport {
    const numeric = this.numeric.map((s, i) => ({
      column: columns[i]?.[0] ?? String(i),
      challengerColumn: columns[i]?.[1] ?? String(i),
      meanAbsDiff: s.n > 0 ? s.sum.value() / s.n : 0,
      maxAbsDiff: s.max,
      compared: s.n,
    }));
    return { compared: this.compared, challengerFailed: this.challengerFailed, numeric, labels: this.labels() };
  }

  private labels(): AgreementReport['labels'] {
    if (this.confusion.size === 0) return null;
    const cells = [...this.confusion].map(([key, n]) => [...(JSON.parse(key) as [string, string]), n] as const);
    const classes = [...new Set(cells.flatMap(([a, b]) => [a, b]))].sort();
    const confusion = classes.map(() => new Array<number>(classes.length).fill(0));
    let agree = 0;
    let total = 0;
    for (const [a, b, n] of cells) {
      confusion[classes.indexOf(a)][classes.indexOf(b)] += n;
      total += n;
      if (a === b) agree += n;
    }
    return { agreement: agree / total, compared: total, classes, confusion };
  }
}
