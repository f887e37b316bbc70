/**
 * The cells that can still be read from the start of a record that failed as a whole (PARSE_ERROR, or
 * RECORD_TOO_LARGE, whose text is only its beginning): the --keep values of such a record are copied to its output
 * row when they come before the point where reading failed, so that ids still line up for a join.
 *
 * Only what is certain is read: a field counts when it is complete — followed by the delimiter (CSV) or by a
 * top-level comma (JSON) — and well-formed. The last field of the text is never taken: it may be cut off.
 */

/**
 * CSV/TSV: the complete fields from the start, as the record parsers read them — a quote-free field is the text
 * between delimiters (the fast path's split), a quoted field is RFC 4180 (`""` is a quote). Reading stops at the
 * first field that holds a stray quote, has text after its closing quote, or is not followed by the delimiter.
 */
export function leadingCsvFields(text: string, delimiter: string): string[] {
  const fields: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    let value: string;
    let end: number;
    if (text[pos] === '"') {
      const quoted = quotedField(text, pos);
      if (quoted === null) return fields;
      [value, end] = quoted;
    } else {
      end = text.indexOf(delimiter, pos);
      if (end < 0) return fields;
      value = text.slice(pos, end);
      if (value.includes('"')) return fields;
    }
    if (text[end] !== delimiter) return fields;
    fields.push(value);
    pos = end + 1;
  }
  return fields;
}

/** A quoted field starting at `start`: its value and the position after its closing quote; null if unterminated. */
function quotedField(text: string, start: number): [string, number] | null {
  let value = '';
  for (let i = start + 1; ; ) {
    const q = text.indexOf('"', i);
    if (q < 0) return null;
    value += text.slice(i, q);
    if (text[q + 1] !== '"') return [value, q + 1];
    value += '"';
    i = q + 2;
  }
}

/**
 * JSONL: the members of an object (or elements of an array) that come before the point where the line stops being
 * JSON. The longest prefix ending at a top-level comma that parses once closed is found by bisection over those
 * commas (a prefix that parses means every shorter one does), so a long line costs a few JSON.parse calls.
 * Returns null when the line does not start an object or an array.
 */
export function leadingJsonValue(text: string): Record<string, unknown> | unknown[] | null {
  const start = text.search(/\S/);
  const open = text[start];
  if (open !== '{' && open !== '[') return null;
  const close = open === '{' ? '}' : ']';
  const commas = topLevelCommas(text, start);
  let best: Record<string, unknown> | unknown[] = open === '{' ? {} : [];
  let lo = 0;
  let hi = commas.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const parsed = tryParse(text.slice(start, commas[mid]) + close);
    if (parsed === undefined) {
      hi = mid - 1;
    } else {
      best = parsed as Record<string, unknown> | unknown[];
      lo = mid + 1;
    }
  }
  return best;
}

/** Positions of the commas directly inside the value opened at `start` (not inside strings or nested values). */
function topLevelCommas(text: string, start: number): number[] {
  const commas: number[] = [];
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: skip to its closing quote, past escapes
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) break;
    } else if (c === 0x2c && depth === 1) {
      commas.push(i);
    }
  }
  return commas;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** JSONL cells aligned to the columns: an object's members by name, an array's elements by position. */
export function leadingJsonCells(text: string, columns: string[]): unknown[] {
  const value = leadingJsonValue(text);
  if (value === null) return [];
  if (Array.isArray(value)) return value;
  return columns.map((c) => (Object.hasOwn(value, c) ? value[c] : undefined));
}
