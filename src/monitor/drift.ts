/**
 * This run's profile against a baseline's: the population stability index per column over the baseline's bins,
 * the share of values outside the baseline's [min, max], the change in missing rate, new categories, and a
 * verdict per column and for the run (README "Monitoring").
 */
import { CategoricalColumn, NumericColumn } from './columns.js';
import { bucketValue } from './buckets.js';
import { binCounts, type CategoricalProfile, type NamedColumn, type NumericProfile, type Profile, type Role } from './profile.js';
import type { AgreementReport } from './agreement.js';

export const DRIFT_SCHEMA = 'batch-score/drift';
export const DRIFT_VERSION = 1;
/** PSI below this is `ok`; from it, `watch`. */
export const WATCH_PSI = 0.1;
/** PSI from this on is `drift`. */
export const DRIFT_PSI = 0.25;
/** The share given to an empty bin (on either side), so that PSI stays finite. */
export const PSI_EPSILON = 1e-4;
/** New categories listed per column at most. */
const NEW_CATEGORIES = 20;

export type Verdict = 'ok' | 'watch' | 'drift';

export interface BinShare {
  label: string;
  baseline: number;
  current: number;
}

export interface ColumnDrift {
  name: string;
  role: Role;
  kind: 'numeric' | 'categorical';
  psi: number;
  verdict: Verdict;
  baseline: { count: number; missingRate: number; min?: number | null; max?: number | null; mean?: number | null; std?: number | null };
  current: { count: number; missingRate: number; min?: number | null; max?: number | null; mean?: number | null; std?: number | null };
  missingRateChange: number;
  /** Share of the current non-missing values below the baseline's min or above its max (numeric columns). */
  outsideRange?: { share: number; below: number; above: number };
  /** Current values the baseline did not list, most frequent first (categorical columns). */
  newCategories?: Array<{ value: string; count: number }>;
  /** The bins PSI is computed over, with each side's share (missing values are a bin of their own). */
  bins: BinShare[];
  /** For the chart: equal-width bins over the baseline's [min, max], and the current values below and above. */
  chart?: { min: number; max: number; baseline: number[]; current: number[]; below: number; above: number };
}

export interface DriftReport {
  schema: typeof DRIFT_SCHEMA;
  version: typeof DRIFT_VERSION;
  verdict: Verdict;
  worst: { column: string; psi: number } | null;
  thresholds: { watch: number; drift: number; epsilon: number };
  baseline: { path: string; sha256: string; records: Profile['records'] };
  current: { sha256: string; records: Profile['records'] };
  /** Columns sorted by PSI, highest first. */
  columns: ColumnDrift[];
  /** Columns of one side only (a model or mapping that changed). */
  unmatched: { baselineOnly: string[]; currentOnly: string[] };
  agreement?: AgreementReport;
}

export function verdictOf(psi: number): Verdict {
  return psi >= DRIFT_PSI ? 'drift' : psi >= WATCH_PSI ? 'watch' : 'ok';
}

/** PSI = Σ (c − b) · ln(c / b) over the bins' shares, an empty bin's share taken as PSI_EPSILON. */
export function psi(baseline: number[], current: number[]): number {
  const bt = baseline.reduce((a, b) => a + b, 0);
  const ct = current.reduce((a, b) => a + b, 0);
  if (bt === 0 || ct === 0) return 0;
  let sum = 0;
  for (let i = 0; i < baseline.length; i++) {
    const b = Math.max(baseline[i] / bt, PSI_EPSILON);
    const c = Math.max(current[i] / ct, PSI_EPSILON);
    sum += (c - b) * Math.log(c / b);
  }
  return sum;
}

export function compareProfiles(
  baseline: Profile,
  baselinePath: string,
  current: NamedColumn[],
  meta: { sha256: string; records: Profile['records']; agreement?: AgreementReport },
): DriftReport {
  const key = (c: { role: string; name: string }) => `${c.role}\u0000${c.name}`;
  const byKey = new Map(baseline.columns.map((c) => [key(c), c]));
  const columns: ColumnDrift[] = [];
  for (const c of current) {
    const b = byKey.get(key(c));
    if (!b) continue;
    if (b.kind === 'numeric' && c.column instanceof NumericColumn) columns.push(numericDrift(b, c, c.column));
    else if (b.kind === 'categorical' && c.column instanceof CategoricalColumn) columns.push(categoricalDrift(b, c, c.column));
  }
  columns.sort((a, b) => b.psi - a.psi || (a.name < b.name ? -1 : 1));
  const worst = columns[0] ? { column: columns[0].name, psi: columns[0].psi } : null;
  return {
    schema: DRIFT_SCHEMA,
    version: DRIFT_VERSION,
    verdict: worst ? verdictOf(worst.psi) : 'ok',
    worst,
    thresholds: { watch: WATCH_PSI, drift: DRIFT_PSI, epsilon: PSI_EPSILON },
    baseline: { path: baselinePath, sha256: baseline.model.sha256, records: baseline.records },
    current: { sha256: meta.sha256, records: meta.records },
    columns,
    unmatched: {
      baselineOnly: baseline.columns.filter((c) => !current.some((k) => key(k) === key(c))).map((c) => c.name),
      currentOnly: current.filter((c) => !byKey.has(key(c))).map((c) => c.name),
    },
    ...(meta.agreement ? { agreement: meta.agreement } : {}),
  };
}

const rate = (missing: number, count: number): number => (count > 0 ? missing / count : 0);

/** Bins with the missing values as one more bin when either side has any. */
function withMissing(bins: BinShare[], b: { missing: number }, c: { missing: number }): BinShare[] {
  return b.missing + c.missing > 0 ? [...bins, { label: 'missing', baseline: b.missing, current: c.missing }] : bins;
}

/** Counts → shares, and PSI over them. */
function scored(bins: BinShare[]): { bins: BinShare[]; psi: number } {
  const value = psi(bins.map((x) => x.baseline), bins.map((x) => x.current));
  const bt = bins.reduce((a, x) => a + x.baseline, 0) || 1;
  const ct = bins.reduce((a, x) => a + x.current, 0) || 1;
  return { psi: value, bins: bins.map((x) => ({ label: x.label, baseline: x.baseline / bt, current: x.current / ct })) };
}

function numericDrift(b: NumericProfile, c: NamedColumn, col: NumericColumn): ColumnDrift {
  const { current, chart } = currentCounts(b, col);
  const label = (i: number): string => (i === 0 ? `≤ ${fmt(b.bins.edges[0])}` : i === b.bins.keys.length ? `> ${fmt(b.bins.edges[i - 1])}` : `${fmt(b.bins.edges[i - 1])} – ${fmt(b.bins.edges[i])}`);
  const raw = b.bins.counts.map((n, i) => ({ label: label(i), baseline: n, current: current[i] }));
  const { bins, psi: value } = scored(withMissing(raw, b, col));
  const present = col.count - col.missing;
  const finite = present - col.infinite;
  const mean = finite > 0 && col.infinite === 0 ? col.sum.value() / finite : null;
  return {
    name: c.name, role: c.role, kind: 'numeric', psi: value, verdict: verdictOf(value),
    baseline: { count: b.count, missingRate: rate(b.missing, b.count), min: b.min, max: b.max, mean: b.mean, std: b.std },
    current: {
      count: col.count, missingRate: rate(col.missing, col.count), min: present ? col.min : null, max: present ? col.max : null, mean,
      std: mean === null ? null : Math.sqrt(Math.max(0, col.sumSquares.value() / finite - mean * mean)),
    },
    missingRateChange: rate(col.missing, col.count) - rate(b.missing, b.count),
    outsideRange: { share: present ? (col.below + col.above) / present : 0, below: col.below, above: col.above },
    bins,
    ...(chart ? { chart } : {}),
  };
}

/**
 * This run's counts in the baseline's quantile bins and chart: counted in the units (a run that only compares,
 * see BinLayout, laid out the same) or from the full histogram.
 */
function currentCounts(b: NumericProfile, col: NumericColumn): { current: number[]; chart: ColumnDrift['chart'] | null } {
  const h = b.histogram;
  const bins = b.bins.keys.length + 1;
  if (col.binned) {
    const n = col.binned;
    const chart = h && {
      min: h.min, max: h.max, baseline: h.counts, current: Array.from(n.subarray(bins, bins + h.counts.length)),
      below: n[bins + h.counts.length], above: n[bins + h.counts.length + 1],
    };
    return { current: Array.from(n.subarray(0, bins)), chart };
  }
  const { buckets, counts } = col.entries();
  return { current: binCounts(b.bins.keys, buckets, counts), chart: h && chartOf(h, buckets, counts) };
}

/** The current values in the baseline's chart bins (each bucket placed by a value inside it). */
export function chartOf(h: NonNullable<NumericProfile['histogram']>, buckets: ArrayLike<number>, counts: ArrayLike<number>): NonNullable<ColumnDrift['chart']> {
  const current = new Array<number>(h.counts.length).fill(0);
  let below = 0;
  let above = 0;
  const width = (h.max - h.min) / h.counts.length;
  for (let i = 0; i < buckets.length; i++) {
    const v = bucketValue(buckets[i]);
    if (v < h.min) below += counts[i];
    else if (v > h.max) above += counts[i];
    else current[width > 0 ? Math.min(h.counts.length - 1, Math.floor((v - h.min) / width)) : 0] += counts[i];
  }
  return { min: h.min, max: h.max, baseline: h.counts, current, below, above };
}

function categoricalDrift(b: CategoricalProfile, c: NamedColumn, col: CategoricalColumn): ColumnDrift {
  const listed = new Set(b.top.map((t) => t.value));
  let other = 0;
  for (const [v, n] of col.values) if (!listed.has(v)) other += n;
  const raw: BinShare[] = [...b.top.map((t) => ({ label: t.value, baseline: t.count, current: col.values.get(t.value) ?? 0 }))];
  if (b.other.count + other > 0) raw.push({ label: '(other)', baseline: b.other.count, current: other });
  const { bins, psi: value } = scored(withMissing(raw, b, col));
  const fresh = [...col.values].filter(([v]) => !listed.has(v)).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  return {
    name: c.name, role: c.role, kind: 'categorical', psi: value, verdict: verdictOf(value),
    baseline: { count: b.count, missingRate: rate(b.missing, b.count) },
    current: { count: col.count, missingRate: rate(col.missing, col.count) },
    missingRateChange: rate(col.missing, col.count) - rate(b.missing, b.count),
    // With a baseline that listed every value it saw, any other value is new; otherwise it may be among its "other".
    newCategories: b.other.count === 0 ? fresh.slice(0, NEW_CATEGORIES).map(([value, count]) => ({ value, count })) : [],
    bins,
  };
}

/** A number as a label: 4 significant digits. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6 || x === 0 ? String(Number(x.toPrecision(4))) : x.toExponential(3);
}
