/**
 * The JSONL hot path on bytes: a flat object line such as `{"id":7,"f0":0.64,"f1":-1.2e-3}` whose keys are the
 * plan's columns (each once) is read straight from its bytes — feature numbers into the feeds, --keep values as
 * JSON.parse would give them — without a string for the line or an object for the record. JSON.parse was half of
 * a worker's time on JSONL. A compact line (the columns in order, no spaces: what most writers emit) is read in
 * one pass; other spacing and key orders by a general reader. Anything else — escapes or non-ASCII text other than
 * in a column's own name, nested values, a missing, unknown or repeated key, a feature that is not a plain JSON
 * number — is declined (null) and the record takes the text path (JSON.parse), which gives the exact value or
 * error. Only what JSON.parse accepts is accepted.
 */
import { parsePlainDecimalBytes } from '../formats/numbers.js';
import { latin1Text } from '../formats/latin1Text.js';
import type { FeaturePlan } from '../model/featurePlan.js';
import { columnRoles } from './columnRoles.js';
import type { BlockFill } from './csvBlockFill.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;

type Roles = NonNullable<ReturnType<typeof columnRoles>>;

export function jsonBlockFill(plan: FeaturePlan): BlockFill | null {
  const roles = columnRoles(plan);
  if (roles === null) return null;
  const compact = compactFill(plan, roles);
  const general = generalFill(plan, roles);
  return (b, start, end, slot, data) => compact(b, start, end, slot, data) ?? general(b, start, end, slot, data);
}

/**
 * The usual shape, a compact line (`{"c0":v0,"c1":v1,…}`, the columns in order, no spaces): read with one
 * comparison per member and no whitespace or repeated-key checks.
 */
function compactFill(plan: FeaturePlan, { feedOf, offsetOf, keepAt, widths }: Roles): BlockFill {
  const width = plan.columns.length;
  // What each value has before it, after the separator that ended the one before.
  const before = plan.columns.map((c, col) => Buffer.from(`${col === 0 ? '{' : ''}${JSON.stringify(c)}:`));
  return (b, start, end, slot, data) => {
    const keep: unknown[] = new Array(plan.keep.length);
    let i = start;
    for (let col = 0; col < width; col++) {
      const expected = before[col];
      if (i + expected.length >= end) return null;
      for (let j = 0; j < expected.length; j++) if (b[i + j] !== expected[j]) return null;
      i += expected.length;
      const stop = col === width - 1 ? CLOSE : COMMA;
      const k = feedOf[col];
      let valueEnd: number;
      if (k >= 0) {
        valueEnd = parsePlainDecimalBytes(b, i, end, stop, data[k] as Float32Array, slot * widths[k] + offsetOf[col]);
        if (valueEnd < 0 || valueEnd === end || !jsonNumberStart(b, i)) return null;
      } else {
        valueEnd = scalarEnd(b, i, end);
        if (valueEnd < 0 || valueEnd >= end || b[valueEnd] !== stop) return null;
      }
      if (keepAt[col].length) {
        const value = scalarValue(b, i, valueEnd);
        for (const at of keepAt[col]) keep[at] = value;
      }
      i = valueEnd + 1; // past its `,` or, for the last, `}`
    }
    return skipSpace(b, i, end) === end ? keep : null;
  };
}

/** Any flat object of the columns: spaces, any order; still only what JSON.parse accepts. */
function generalFill(plan: FeaturePlan, { feedOf, offsetOf, keepAt, widths }: Roles): BlockFill {
  const width = plan.columns.length;
  const names = plan.columns.map((c) => Buffer.from(c));
  const byName = new Map(plan.columns.map((c, i) => [c, i]));
  const seen = new Int32Array(width);
  let stamp = 0;
  return (b, start, end, slot, data) => {
    const keep: unknown[] = new Array(plan.keep.length);
    stamp++;
    let i = skipSpace(b, start, end);
    if (b[i] !== OPEN) return null;
    i = skipSpace(b, i + 1, end);
    for (let member = 0; ; member++) {
      // "key": usually the column expected at this position, compared in place
      if (i >= end || b[i] !== QUOTE) return null;
      let col = member;
      let keyEnd = member < width ? expectedKeyEnd(b, i + 1, end, names[member]) : -1;
      if (keyEnd < 0) {
        keyEnd = plainStringEnd(b, i + 1, end);
        if (keyEnd < 0) return null;
        col = byName.get(b.toString('latin1', i + 1, keyEnd)) ?? -1;
      }
      if (col < 0 || seen[col] === stamp) return null;
      seen[col] = stamp;
      i = skipSpace(b, keyEnd + 1, end);
      if (b[i] !== COLON) return null;
      i = skipSpace(b, i + 1, end);
      // value
      const k = feedOf[col];
      let valueEnd: number;
      if (k >= 0) {
        const feed = data[k] as Float32Array;
        const at = slot * widths[k] + offsetOf[col];
        // One pass when the number ends right at the separator that must follow it; else find its end first.
        valueEnd = parsePlainDecimalBytes(b, i, end, member === width - 1 ? CLOSE : COMMA, feed, at);
        if (valueEnd < 0 || !jsonNumberStart(b, i)) {
          valueEnd = jsonNumberEnd(b, i, end);
          if (valueEnd < 0 || parsePlainDecimalBytes(b, i, valueEnd, -1, feed, at) !== valueEnd) return null;
        }
      } else {
        valueEnd = scalarEnd(b, i, end);
        if (valueEnd < 0) return null;
      }
      if (keepAt[col].length) {
        const value = scalarValue(b, i, valueEnd);
        for (const at of keepAt[col]) keep[at] = value;
      }
      i = skipSpace(b, valueEnd, end);
      if (b[i] === COMMA && i < end) {
        i = skipSpace(b, i + 1, end);
        continue;
      }
      if (b[i] !== CLOSE || i >= end || member !== width - 1) return null; // every column exactly once
      return skipSpace(b, i + 1, end) === end ? keep : null;
    }
  };
}

/** JSON whitespace within a line: space, tab, CR. */
function skipSpace(b: Buffer, i: number, end: number): number {
  while (i < end && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0d)) i++;
  return i;
}

/** The closing quote of a string without escapes, control or non-ASCII characters starting at i; -1 otherwise. */
function plainStringEnd(b: Buffer, i: number, end: number): number {
  for (; i < end; i++) {
    const c = b[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH || c < 0x20 || c >= 0x80) return -1;
  }
  return -1;
}

/** The closing quote's index when the key at i is exactly `name`, else -1. */
function expectedKeyEnd(b: Buffer, i: number, end: number, name: Buffer): number {
  const close = i + name.length;
  if (close >= end || b[close] !== QUOTE) return -1;
  for (let j = 0; j < name.length; j++) if (b[i + j] !== name[j]) return -1;
  return close;
}

function sameBytes(b: Buffer, start: number, end: number, name: Buffer): boolean {
  if (end - start !== name.length) return false;
  for (let j = 0; j < name.length; j++) if (b[start + j] !== name[j]) return false;
  return true;
}

/** The end of a JSON number at i (`-?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?`), or -1. */
function jsonNumberEnd(b: Buffer, i: number, end: number): number {
  if (b[i] === MINUS) i++;
  if (b[i] === ZERO) i++;
  else if (isDigit(b[i]) && i < end) while (i < end && isDigit(b[i])) i++;
  else return -1;
  if (i < end && b[i] === DOT) {
    if (!isDigit(b[++i]) || i >= end) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  if (i < end && (b[i] | 0x20) === 0x65) {
    i++;
    if (b[i] === 0x2b || b[i] === MINUS) i++;
    if (!isDigit(b[i]) || i >= end) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  return i;
}

/**
 * For a number parsePlainDecimalBytes accepted at i, whether it also keeps JSON's rules that parser does not
 * check: no `+` sign, an integer part without a leading zero, at least one digit after a dot.
 */
function jsonNumberStart(b: Buffer, i: number): boolean {
  // Written without branches on the sign and on a leading 0: both are a coin toss in real data.
  i += +(b[i] === MINUS);
  const first = b[i];
  if (!isDigit(first)) return false;
  let k = i + 1;
  while (isDigit(b[k])) k++;
  // (no leading 0, or the 0 is the whole integer part) and (no dot, or a digit after it)
  return ((+(first !== ZERO) | +(k === i + 1)) & (+(b[k] !== DOT) | +isDigit(b[k + 1]))) === 1;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= 0x39;
}

/** The end of a plain string, a JSON number, true, false or null at i; -1 for anything else. */
function scalarEnd(b: Buffer, i: number, end: number): number {
  const c = b[i];
  if (c === QUOTE) {
    const close = plainStringEnd(b, i + 1, end);
    return close < 0 ? -1 : close + 1;
  }
  if (c === MINUS || isDigit(c)) return jsonNumberEnd(b, i, end);
  for (const word of WORDS) if (sameBytes(b, i, Math.min(i + word.length, end), word)) return i + word.length;
  return -1;
}

const WORDS = ['true', 'false', 'null'].map((w) => Buffer.from(w));

/** The value JSON.parse gives a scalar that scalarEnd or jsonNumberEnd accepted. */
function scalarValue(b: Buffer, i: number, end: number): unknown {
  // Ids are the usual kept value: a JSON integer of up to 15 digits is exact as a double, summed digit by digit.
  const digitsAt = b[i] === MINUS ? i + 1 : i;
  if (end - digitsAt <= 15 && end > digitsAt && (b[digitsAt] !== ZERO || end - digitsAt === 1)) {
    let n = 0;
    let j = digitsAt;
    for (; j < end && isDigit(b[j]); j++) n = n * 10 + (b[j] - ZERO);
    if (j === end) return digitsAt === i ? n : -n;
  }
  const text = latin1Text(b, i, end);
  if (b[i] === QUOTE) return text.slice(1, -1);
  return text === 'true' ? true : text === 'false' ? false : text === 'null' ? null : Number(text);
}
