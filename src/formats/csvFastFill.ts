/**
 * The hot path for the common CSV case: a quote-free record whose features are all plain decimals feeding float
 * inputs. Its features are parsed straight out of the record text into the feed arrays, without a substring or an
 * array per record (the profile showed `split` + per-field strings + GC as a third of a worker's time). Anything
 * else — a quote, a wrong field count, a field that is not a plain number — returns null, and the record takes
 * the general path, which gives the exact error.
 */
import { parseDecimalRange } from './numbers.js';
import type { FeaturePlan } from '../model/featurePlan.js';
import type { FeedData } from '../model/session.js';

/** Writes the record's features at `slot` and returns its --keep values, or null when it needs the general path. */
export type FastFill = (text: string, slot: number, data: FeedData[]) => string[] | null;

export function csvFastFill(plan: FeaturePlan, delimiter: string): FastFill | null {
  if (!plan.feeds.every((f) => (f.type === 'float32' || f.type === 'float64') && !f.fromArray)) return null;
  const width = plan.columns.length;
  // For each column: the feed and offset it feeds (-1: none), and its position among --keep columns (-1: none).
  const feedOf = new Int32Array(width).fill(-1);
  const offsetOf = new Int32Array(width);
  plan.feeds.forEach((feed, k) => feed.columns.forEach((col, j) => ((feedOf[col] = k), (offsetOf[col] = j))));
  const keepAt: number[][] = Array.from({ length: width }, () => []);
  plan.keep.forEach((col, i) => keepAt[col].push(i));
  const widths = plan.feeds.map((f) => f.width);
  const delim = delimiter.charCodeAt(0);

  return (text, slot, data) => {
    if (text.indexOf('"') >= 0) return null;
    const keep: string[] = new Array(plan.keep.length);
    let col = 0;
    let start = 0;
    const len = text.length;
    for (let i = 0; i <= len; i++) {
      if (i < len && text.charCodeAt(i) !== delim) continue;
      if (col >= width) return null;
      const k = feedOf[col];
      if (k >= 0) {
        const v = parseDecimalRange(text, start, i);
        if (v === undefined) return null;
        (data[k] as Float32Array)[slot * widths[k] + offsetOf[col]] = v;
      }
      for (const at of keepAt[col]) keep[at] = text.slice(start, i);
      col++;
      start = i + 1;
    }
    return col === width ? keep : null;
  };
}
