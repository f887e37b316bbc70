/**
 * The CSV hot path on bytes: the same job as csvFastFill, on a record still in its block of UTF-8 bytes (no string
 * is made for the record, nor for its numbers). It takes only records it can read exactly — plain decimals in the
 * feature columns, ASCII in the --keep columns, the right field count, quoted fields without escaped quotes —
 * and declines (null) everything else,
 * which is then decoded and read by the text path, so both paths give the same values and errors.
 */
import { parsePlainDecimalBytes } from '../formats/numbers.js';
import { latin1Text } from '../formats/latin1Text.js';

const QUOTE = 0x22;
import type { FeaturePlan } from '../model/featurePlan.js';
import { columnRoles } from './columnRoles.js';
import type { FeedData } from '../model/session.js';

/**
 * Writes the features of bytes[start, end) at `slot` and returns its --keep values, or null when it declines.
 * bytes[end] must be a line break (parsePlainDecimalBytes reads up to it without bounds checks).
 */
export type BlockFill = (bytes: Buffer, start: number, end: number, slot: number, data: FeedData[]) => unknown[] | null;

/** The byte path for a plan, or null when it has none (non-float feeds, array columns, a non-ASCII delimiter). */
export function csvBlockFill(plan: FeaturePlan, delimiter: string): BlockFill | null {
  const delim = delimiter.charCodeAt(0);
  if (delimiter.length !== 1 || delim >= 0x80) return null;
  const roles = columnRoles(plan);
  if (roles === null) return null;
  const { feedOf, offsetOf, keepAt, widths } = roles;
  const width = plan.columns.length;

  return (bytes, start, end, slot, data) => {
    const keep: string[] = new Array(plan.keep.length);
    let i = start;
    for (let col = 0; col < width; col++) {
      const last = col === width - 1;
      const k = feedOf[col];
      // A quoted field (as R's write.csv and QUOTE_NONNUMERIC writers quote strings) is read between its quotes,
      // when it holds no escaped quote: what follows the closing quote must end the field (checked below).
      const quoted = bytes[i] === QUOTE ? 1 : 0;
      const from = i + quoted;
      let to: number; // the end of the field's value
      if (k >= 0) {
        to = parsePlainDecimalBytes(bytes, from, end, quoted ? QUOTE : delim, data[k] as Float32Array, slot * widths[k] + offsetOf[col]);
        if (to < 0) return null;
      } else {
        // Not a feature: find its end, and whether it is all ASCII (latin1 decoding is then exact).
        let high = 0;
        to = from;
        for (const stop = quoted ? QUOTE : delim; to < end; to++) {
          const c = bytes[to];
          if (c === stop || c === QUOTE) break;
          high |= c;
        }
        if (high & 0x80 && keepAt[col].length) return null;
      }
      if (bytes[to] === QUOTE && !quoted) return null; // a stray quote: the general reader says what it is
      if (quoted && (to >= end || bytes[to] !== QUOTE)) return null; // no closing quote before the record ends
      if (keepAt[col].length) {
        const text = latin1Text(bytes, from, to);
        for (const at of keepAt[col]) keep[at] = text;
      }
      const fieldEnd = to + quoted;
      // The last column must end the record, every other one at a delimiter (after a closing quote too: `""` and
      // `"a"b` are left to the general reader).
      if (last ? fieldEnd !== end : fieldEnd >= end || bytes[fieldEnd] !== delim) return null;
      i = fieldEnd + 1;
    }
    return keep;
  };
}
