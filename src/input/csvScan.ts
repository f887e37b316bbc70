/**
 * Where CSV records end, on bytes: the quote rules of the record splitter (RFC 4180 as csv-parse reads it) without
 * decoding. A quote opens a quoted field only at the start of a field; inside, `""` is an escaped quote and line
 * breaks belong to the field; a stray quote mid-field opens nothing. The scan state carries across pieces, so a
 * record may arrive in any number of pieces and is cut at the same line break however it arrives.
 *
 * One record rule lives here because it decides where records end: a record spanning lines that grows past
 * --max-record-bytes is cut at its first line break at or past the limit (so an unterminated quote cannot swallow
 * the rest of the input), and the next record starts there, at a field's start.
 *
 * Searching with indexOf (memchr) for the next line break or quote keeps the scan at close to the speed of a plain
 * line split on quote-free data, and costs a few searches per quoted field on data as R's write.csv writes it.
 */
const NL = 10;
const QUOTE = 0x22;

export const enum Quote {
  /** At the start of a field (the start of a record, or just after a delimiter). */
  FieldStart = 0,
  /** Inside a field that did not start with a quote. */
  Unquoted = 1,
  /** Inside a quoted field. */
  Quoted = 2,
  /** Just after a quote inside a quoted field: `""` escapes, anything else closes the field. */
  QuoteInQuoted = 3,
}

export interface CsvScan {
  state: Quote;
  /** Line breaks inside quoted fields seen so far (a record's physical lines, less one). */
  quotedLines: number;
  /**
   * The first quote at or after the last search in `searched` (Infinity: none): a search for the next quote runs to
   * the end of the buffer, so on quote-free data it is made once per buffer, not once per record.
   */
  quoteAt: number;
  searched: Uint8Array | null;
  /** --max-record-bytes (Infinity: no cut). */
  limit: number;
  /** Bytes of the record being scanned that came before the current search (in earlier pieces). */
  recordLen: number;
  /** The last record end found was a cut inside an oversized record (the caller's to reset). */
  cut: boolean;
}

export function newScan(limit = Infinity): CsvScan {
  return { state: Quote.FieldStart, quotedLines: 0, quoteAt: Infinity, searched: null, limit, recordLen: 0, cut: false };
}

/**
 * The index of the line break that ends the record being scanned, searching bytes[pos, end); -1 when `end` comes
 * first (the scan state then describes bytes[..end) and the search goes on from there with the next piece).
 * After a record end the state is back at the start of a record; `quotedLines` is the caller's to reset.
 */
export function csvRecordEnd(bytes: Uint8Array, pos: number, end: number, delim: number, scan: CsvScan): number {
  const nl = recordEnd(bytes, pos, end, delim, scan);
  scan.recordLen = nl < 0 ? scan.recordLen + end - pos : 0;
  return nl;
}

function recordEnd(bytes: Uint8Array, pos: number, end: number, delim: number, scan: CsvScan): number {
  const start = pos - scan.recordLen; // where the record began, in this piece's terms
  let i = pos;
  let state = scan.state;
  while (i < end) {
    if (state === Quote.FieldStart || state === Quote.Unquoted) {
      const nl = indexIn(bytes, NL, i, end);
      const q = quoteIn(bytes, i, nl < 0 ? end : nl, scan);
      if (q < 0) {
        if (nl >= 0) {
          scan.state = Quote.FieldStart;
          return nl;
        }
        // The piece ends inside an unquoted field, or just after a delimiter.
        scan.state = bytes[end - 1] === delim ? Quote.FieldStart : Quote.Unquoted;
        return -1;
      }
      const atFieldStart = q === i ? state === Quote.FieldStart : bytes[q - 1] === delim;
      state = atFieldStart ? Quote.Quoted : Quote.Unquoted;
      i = q + 1;
    } else if (state === Quote.Quoted) {
      const q = quoteIn(bytes, i, end, scan);
      const stop = q < 0 ? end : q;
      for (let nl = indexIn(bytes, NL, i, stop); nl >= 0; nl = indexIn(bytes, NL, nl + 1, stop)) {
        if (nl - start >= scan.limit) {
          // The first line break at or past the limit, inside the record: it is cut there.
          scan.state = Quote.FieldStart;
          scan.cut = true;
          return nl;
        }
        scan.quotedLines++;
      }
      if (q < 0) {
        i = end;
        break;
      }
      state = Quote.QuoteInQuoted;
      i = q + 1;
    } else {
      const c = bytes[i];
      if (c === NL) {
        scan.state = Quote.FieldStart;
        return i;
      }
      state = c === QUOTE ? Quote.Quoted : c === delim ? Quote.FieldStart : Quote.Unquoted;
      i++;
    }
  }
  scan.state = state;
  return -1;
}

/**
 * The index just past the last record end in bytes[from, to), scanning on from `scan` (whose state it leaves at
 * `to`); `from` when no record ends there. Where no quoted field holds a line break, the record ends are exactly
 * the line breaks outside the field still open at `to` (if any): a walk over the quotes (walkQuotes) and one
 * backwards search find the last. Otherwise the stretch is scanned record by record.
 */
export function lastRecordEnd(bytes: Uint8Array, from: number, to: number, delim: number, scan: CsvScan): number {
  if (from >= to) return from;
  const open = walkQuotes(bytes, from, to, delim, scan.state);
  if (open !== SPANS_LINES) {
    const nl = open > from ? bytes.lastIndexOf(NL, open - 1) : -1;
    const end = nl < from ? from : nl + 1;
    scan.state = walkState;
    if (end > from) {
      // A record ended here: the counts of the one that was open are not the next one's.
      scan.quotedLines = 0;
      scan.cut = false;
    }
    scan.recordLen = end > from ? to - end : scan.recordLen + to - from;
    return end;
  }
  let last = from;
  for (let pos = from; pos < to; ) {
    const nl = csvRecordEnd(bytes, pos, to, delim, scan);
    if (nl < 0) break;
    scan.quotedLines = 0;
    scan.cut = false;
    last = pos = nl + 1;
  }
  return last;
}

/**
 * Whether the records of bytes[from, to) (starting at a record's start) are exactly its lines: no quoted field
 * holds a line break, and none is open at the end. Such a block is split with one line search per record.
 */
export function recordsAreLines(bytes: Uint8Array, from: number, to: number, delim: number): boolean {
  return walkQuotes(bytes, from, to, delim, Quote.FieldStart) === to;
}

/** walkQuotes's answer when a quoted field holds a line break (the stretch must be scanned record by record). */
const SPANS_LINES = -2;
/** The scan state at the end of the stretch walkQuotes walked (a number in a module variable stays unboxed). */
let walkState: Quote = Quote.FieldStart;

/**
 * Follows the quote rules through bytes[from, to) from `state`, quote to quote: a search for each quote outside
 * quoted fields, a byte loop inside them (which are short in the data this is for: quoted ids and labels).
 * Returns SPANS_LINES at the first line break inside a quoted field; else where the quoted field open at `to`
 * began (`from` when it began earlier, `to` when none is open), with the state at `to` in walkState.
 */
function walkQuotes(bytes: Uint8Array, from: number, to: number, delim: number, state: Quote): number {
  let i = from;
  let st = state;
  let open = from; // where the quoted field being read began
  if (st === Quote.QuoteInQuoted) {
    // The byte after a quote inside a quoted field: `""` goes on with the field, anything else closes it.
    const c = bytes[i++];
    st = c === QUOTE ? Quote.Quoted : c === delim || c === NL ? Quote.FieldStart : Quote.Unquoted;
  }
  for (;;) {
    if (st === Quote.Quoted) {
      const close = closingQuote(bytes, i, to);
      if (close < 0 || close === to) return close < 0 ? SPANS_LINES : open;
      // The byte after the closing quote is no quote: a quote search from there finds it not at a field's start.
      st = Quote.Unquoted;
      i = close + 1;
    }
    const q = i < to ? bytes.indexOf(QUOTE, i) : -1;
    if (q < 0 || q >= to) {
      walkState = i >= to ? st : bytes[to - 1] === delim || bytes[to - 1] === NL ? Quote.FieldStart : Quote.Unquoted;
      return to;
    }
    const atFieldStart: boolean = q === i ? st === Quote.FieldStart : bytes[q - 1] === delim || bytes[q - 1] === NL;
    // A stray quote mid-field opens nothing.
    st = atFieldStart ? Quote.Quoted : Quote.Unquoted;
    open = q;
    i = q + 1;
  }
}

/**
 * Inside a quoted field from bytes[i]: the index of its closing quote (one not followed by another); -1 at a line
 * break; `to` when the stretch ends inside the field (walkState then says whether just after a quote).
 */
function closingQuote(bytes: Uint8Array, i: number, to: number): number {
  for (; i < to; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      if (i + 1 === to) {
        walkState = Quote.QuoteInQuoted;
        return to;
      }
      if (bytes[i + 1] !== QUOTE) return i;
      i++;
    } else if (c === NL) {
      return -1;
    }
  }
  walkState = Quote.Quoted;
  return to;
}

/** The first quote in [from, to), or -1; searches run forward through a buffer, so the last answer is reused. */
function quoteIn(bytes: Uint8Array, from: number, to: number, scan: CsvScan): number {
  if (scan.searched !== bytes || scan.quoteAt < from) {
    const at = bytes.indexOf(QUOTE, from);
    scan.searched = bytes;
    scan.quoteAt = at < 0 ? Infinity : at;
  }
  return scan.quoteAt < to ? scan.quoteAt : -1;
}

/** indexOf bounded to [from, to): -1 when the byte is not there. */
function indexIn(bytes: Uint8Array, byte: number, from: number, to: number): number {
  if (from >= to) return -1;
  const at = bytes.indexOf(byte, from);
  return at < 0 || at >= to ? -1 : at;
}
