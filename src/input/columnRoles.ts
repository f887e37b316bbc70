/** What each column of a plan is for, as the hot paths (text and bytes, CSV and JSONL) look it up per field. */
import type { FeaturePlan } from '../model/featurePlan.js';

export interface ColumnRoles {
  /** Per column: the feed it fills (-1: none)… */
  feedOf: Int32Array;
  /** …and its position among that feed's values. */
  offsetOf: Int32Array;
  /** Per column: its positions among the --keep values. */
  keepAt: number[][];
  /** Values per record of each feed. */
  widths: number[];
}

/** The roles, or null when a feed is one the hot paths cannot fill (not float, or fed from one array column). */
export function columnRoles(plan: FeaturePlan): ColumnRoles | null {
  if (!plan.feeds.every((f) => (f.type === 'float32' || f.type === 'float64') && !f.fromArray)) return null;
  const width = plan.columns.length;
  const feedOf = new Int32Array(width).fill(-1);
  const offsetOf = new Int32Array(width);
  plan.feeds.forEach((feed, k) => feed.columns.forEach((col, j) => ((feedOf[col] = k), (offsetOf[col] = j))));
  const keepAt: number[][] = Array.from({ length: width }, () => []);
  plan.keep.forEach((col, i) => keepAt[col].push(i));
  return { feedOf, offsetOf, keepAt, widths: plan.feeds.map((f) => f.width) };
}
