/**
 * The run's profile: partials from every unit merged (exact, in any order), then finalized into the
 * schema-versioned JSON written by `batch-score profile` and read back as a baseline (README "Monitoring").
 */
import { CategoricalColumn, NumericColumn, emptyColumn, type Column } from './columns.js';
import { SUB_BITS, bucketValue, upperBoundary } from './buckets.js';
import { inputKind, outputKind, type ProfilePartial, type ProfileSetup } from './profiler.js';

export const PROFILE_SCHEMA = 'batch-score/profile';
export const PROFILE_VERSION = 1;
/** Quantile bins by default: deciles. */
export const DEFAULT_BINS = 10;
/** Most frequent categories listed per column; the rest are "other". */
export const TOP_K = 20;
/** Equal-width bins of the chart histogram between a column's min and max. */
export const CHART_BINS = 40;

export type Role = 'input' | 'prediction';

export interface NumericProfile {
  name: string;
  role: Role;
  type: string;
  kind: 'numeric';
  /** Values seen, missing included. */
  count: number;
  /** NaN values (fed with --missing nan, or returned by the model). */
  missing: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  /** Quantile bins: `edges[i]` ends bin i; bin i holds buckets (keys[i-1], keys[i]], the last bin what is above. */
  bins: { edges: number[]; keys: number[]; counts: number[] };
  /** For charts: CHART_BINS equal-width bins from min to max. */
  histogram: { min: number; max: number; counts: number[] } | null;
}

export interface CategoricalProfile {
  name: string;
  role: Role;
  type: string;
  kind: 'categorical';
  count: number;
  missing: number;
  distinct: number;
  /** The most frequent values, most frequent first (ties by value); shares of the non-missing values. */
  top: Array<{ value: string; count: number; share: number }>;
  other: { count: number; share: number };
}

export type ColumnProfile = NumericProfile | CategoricalProfile;

export interface Profile {
  schema: typeof PROFILE_SCHEMA;
  version: typeof PROFILE_VERSION;
  model: { sha256: string };
  records: { read: number; scored: number; failed: number };
  settings: { bins: number; topK: number; bucketBits: number };
  columns: ColumnProfile[];
}

/** One merged column with its name and role, before finalizing (a drift comparison reads its buckets). */
export interface NamedColumn {
  name: string;
  role: Role;
  type: string;
  column: Column;
}

export class RunProfile {
  private readonly inputs: Column[];
  private readonly outputs: Column[][];

  constructor(private readonly setup: ProfileSetup) {
    this.inputs = setup.feeds.flatMap((f) => f.names.map(() => emptyColumn(inputKind(f.type))));
    this.outputs = setup.outputs.map(() => []);
  }

  merge(p: ProfilePartial): void {
    p.inputs.forEach((c, i) => mergeColumn(this.inputs[i], c));
    p.outputs.forEach((cs, k) =>
      cs.forEach((c, j) => {
        this.outputs[k][j] ??= emptyColumn(outputKind(this.setup.outputs[k].type));
        mergeColumn(this.outputs[k][j], c);
      }),
    );
  }

  /** The merged columns as one partial: merged into a new RunProfile of the same setup, they make this one again. */
  whole(): ProfilePartial {
    return { inputs: this.inputs.map(wholeColumn), outputs: this.outputs.map((cs) => cs.map(wholeColumn)) };
  }

  /** Every column named: inputs as fed, predictions by their output column names (from the output layout). */
  columns(outputNames: string[][]): NamedColumn[] {
    const names = this.setup.feeds.flatMap((f) => f.names.map((name) => ({ name, type: f.type })));
    const inputs = this.inputs.map((column, i): NamedColumn => ({ ...names[i], role: 'input', column }));
    const outputs = this.setup.outputs.flatMap((o, k) =>
      outputNames[k].map((name, j): NamedColumn => ({ name, role: 'prediction', type: o.type, column: this.outputs[k][j] ?? emptyColumn(outputKind(o.type)) })),
    );
    return [...inputs, ...outputs];
  }
}

function wholeColumn(c: Column): ProfilePartial['inputs'][number] {
  return c instanceof NumericColumn ? c.whole() : c.partial();
}

function mergeColumn(target: Column, p: ProfilePartial['inputs'][number]): void {
  if (target instanceof NumericColumn && p.kind === 'numeric') target.merge(p);
  else if (target instanceof CategoricalColumn && p.kind === 'categorical') target.merge(p);
}

export function finalizeProfile(
  columns: NamedColumn[],
  meta: { sha256: string; records: Profile['records'] },
  bins = DEFAULT_BINS,
): Profile {
  return {
    schema: PROFILE_SCHEMA,
    version: PROFILE_VERSION,
    model: { sha256: meta.sha256 },
    records: meta.records,
    settings: { bins, topK: TOP_K, bucketBits: SUB_BITS },
    columns: columns.map((c) => (c.column instanceof NumericColumn ? numericProfile(c, c.column, bins) : categoricalProfile(c, c.column))),
  };
}

function numericProfile(c: NamedColumn, col: NumericColumn, bins: number): NumericProfile {
  const present = col.count - col.missing;
  const finite = present - col.infinite;
  const mean = finite > 0 ? col.sum.value() / finite : null;
  const variance = finite > 0 ? Math.max(0, col.sumSquares.value() / finite - mean! * mean!) : null;
  const { buckets, counts } = col.entries();
  return {
    name: c.name, role: c.role, type: c.type, kind: 'numeric', count: col.count, missing: col.missing,
    min: present > 0 ? col.min : null,
    max: present > 0 ? col.max : null,
    // With an infinity among the values there is no finite mean (JSON has no infinities either).
    mean: col.infinite > 0 ? null : mean,
    std: variance === null ? null : Math.sqrt(variance),
    bins: quantileBins(buckets, counts, present, bins),
    histogram: present > 0 && Number.isFinite(col.min) && Number.isFinite(col.max) ? chartHistogram(buckets, counts, col.min, col.max) : null,
  };
}

/** Edges on bucket boundaries at the quantiles 1/bins … (bins-1)/bins of the values, repeated ones once. */
export function quantileBins(buckets: ArrayLike<number>, counts: ArrayLike<number>, n: number, bins: number): NumericProfile['bins'] {
  const keys: number[] = [];
  let seen = 0;
  let i = 0;
  for (let q = 1; q < bins && n > 0; q++) {
    const rank = Math.ceil((q * n) / bins);
    while (seen + counts[i] < rank) seen += counts[i++];
    if (keys[keys.length - 1] !== buckets[i]) keys.push(buckets[i]);
  }
  return { edges: keys.map(upperBoundary), keys, counts: binCounts(keys, buckets, counts) };
}

/** Counts of bucketed values in the bins that `keys` end (one more bin than keys). */
export function binCounts(keys: number[], buckets: ArrayLike<number>, counts: ArrayLike<number>): number[] {
  const out = new Array<number>(keys.length + 1).fill(0);
  let bin = 0;
  for (let i = 0; i < buckets.length; i++) {
    while (bin < keys.length && buckets[i] > keys[bin]) bin++;
    out[bin] += counts[i];
  }
  return out;
}

/** Equal-width bins over [min, max], each bucket placed by a value inside it; what lies outside is not counted. */
export function chartHistogram(buckets: ArrayLike<number>, counts: ArrayLike<number>, min: number, max: number): { min: number; max: number; counts: number[] } {
  const out = new Array<number>(CHART_BINS).fill(0);
  const width = (max - min) / CHART_BINS;
  for (let i = 0; i < buckets.length; i++) {
    const v = Math.min(max, Math.max(min, bucketValue(buckets[i])));
    out[width > 0 ? Math.min(CHART_BINS - 1, Math.floor((v - min) / width)) : 0] += counts[i];
  }
  return { min, max, counts: out };
}

function categoricalProfile(c: NamedColumn, col: CategoricalColumn): CategoricalProfile {
  const present = col.count - col.missing;
  const sorted = [...col.values].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const share = (n: number): number => (present > 0 ? n / present : 0);
  const top = sorted.slice(0, TOP_K).map(([value, count]) => ({ value, count, share: share(count) }));
  const other = present - top.reduce((a, t) => a + t.count, 0);
  return { name: c.name, role: c.role, type: c.type, kind: 'categorical', count: col.count, missing: col.missing, distinct: col.values.size, top, other: { count: other, share: share(other) } };
}
