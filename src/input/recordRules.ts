/**
 * The record rules, in one place, on bytes. Every reader of CSV, TSV and JSONL (a run, inspect, a serve request)
 * finds its records here:
 * - a record ends at a line break: LF, outside quoted fields for CSV (see recordBounds.ts); for CSV a CR before
 *   the LF is not part of the record, and a lone CR (classic Mac line ends) is a line break too (see LoneCrs);
 * - a record that is only whitespace is not a record (a blank line counts as a line, not a row);
 * - a record longer than --max-record-bytes (its bytes, a CRLF's CR included) fails as RECORD_TOO_LARGE with its
 *   beginning as a preview; one spanning lines is cut at the first line break at or past the limit, where reading
 *   resumes at a field's start (the CSV scan decides it, csvScan.ts, so the block cutter and this reading of a
 *   block find the same record ends);
 * - an unterminated quote runs to the end of input; its trailing line breaks are not part of the record;
 * - a byte order mark at the start of a source is not part of its first record.
 */
import { recordBounds, type RecordBounds, type ScanPosition } from './recordBounds.js';
import { csvRecordEnd, newScan, Quote } from './csvScan.js';

/** One record as text, with where it came from (the general reader, the sidecar and column naming take these). */
export interface RawRecord {
  /** 1-based record number in its source (or its unit, which the ordered writer renumbers). */
  row: number;
  /** 1-based physical line where the record starts. */
  line: number;
  /** The record's text, without its line terminator. */
  text: string;
  /** Byte offset where the record starts, in the bytes read from its source (set where they are known). */
  offset?: number;
  /** Set when the record ended inside an open quote at end of input. */
  unterminatedQuote?: boolean;
  /** The record's value when it was already parsed out of a whole JSON document (or a Parquet row). */
  value?: unknown;
  /** Why a record read out of a document cannot be used (it then fails as PARSE_ERROR). */
  invalid?: string;
  /** The limit a record ran past (--max-record-bytes): `text` then holds only its beginning. */
  tooLarge?: number;
}

/** How much of an oversized record the sidecar shows, in characters (of its first bytes, see previewBytes). */
const PREVIEW_CHARS = 1024;

/**
 * The bytes of an oversized record its preview is read from: the limit and one more (a record past the limit has
 * them, however it arrived), and no more than surely hold the preview's characters.
 */
export function previewBytes(limit: number): number {
  return Math.min(limit + 1, 4 * PREVIEW_CHARS);
}

const NL = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;

/** What the sidecar shows of a record longer than `limit`. */
export function previewOf(text: string, limit: number): string {
  return text.slice(0, Math.min(PREVIEW_CHARS, limit + 1));
}

/** A line that is not a record: empty, or only whitespace. */
export function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const c = text.charCodeAt(0);
  return (c === SPACE || c === TAB || c === CR) && text.trim() === '';
}

/** The bytes of a source's start without a UTF-8 byte order mark. */
export function withoutBom(bytes: Buffer): Buffer {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

/**
 * CSV's lone CRs outside quoted fields as line breaks: each becomes LF as the bytes stream by, so that one scan (for
 * LF) finds every record end. A lone CR inside a quoted field is data and stays (it still counts as a line, see
 * loneCrsIn). A CR at the end of a piece waits for the next piece's first byte. `delimiter` and the quote state at
 * the piece's start (the block cutter's scan, which has read everything before) tell inside from outside.
 */
export class LoneCrs {
  private heldCr = false;

  /** `limit`: --max-record-bytes, where the scan cuts a record spanning lines (and leaves its quotes). */
  constructor(
    private readonly delimiter: number,
    private readonly limit: number,
  ) {}

  push(piece: Buffer, at: ScanPosition): Buffer {
    if (this.heldCr) piece = Buffer.concat([Buffer.from([CR]), piece]);
    this.heldCr = piece.length > 0 && piece[piece.length - 1] === CR;
    if (this.heldCr) piece = piece.subarray(0, piece.length - 1);
    let copy: Buffer | null = null;
    const scan = newScan(this.limit);
    scan.state = at.state;
    scan.recordLen = at.recordLen;
    let pos = 0;
    for (let i = piece.indexOf(CR); i >= 0; i = piece.indexOf(CR, i + 1)) {
      if (i + 1 < piece.length && piece[i + 1] === NL) continue;
      for (let nl = csvRecordEnd(piece, pos, i, this.delimiter, scan); nl >= 0; nl = csvRecordEnd(piece, pos, i, this.delimiter, scan)) pos = nl + 1;
      pos = i;
      if (scan.state === Quote.Quoted) continue; // data inside a quoted field
      scan.recordLen = 0;
      copy ??= Buffer.from(piece); // never written into a buffer the source may reuse
      copy[i] = NL;
      piece = copy;
      scan.state = Quote.FieldStart;
      pos = i + 1;
    }
    return piece;
  }

  /** End of input: a CR held back ends the last line. */
  end(): Buffer {
    const last = this.heldCr ? Buffer.from([NL]) : Buffer.alloc(0);
    this.heldCr = false;
    return last;
  }
}

/** Record flags. */
export const TOO_LARGE = 1;
export const UNTERMINATED = 2;

/** The records of a block of bytes, in parallel arrays (an object per record measurably slowed the quote-free path). */
export interface BlockRecords {
  /** The block's bytes, ending with a line break (added when the input's last record had none). */
  bytes: Buffer;
  /** The block's length as read (without an added line break). */
  inputEnd: number;
  starts: number[];
  /** The end of each record's fields (a CR before the line break left out). */
  ends: number[];
  /** The end of its text (the CR included; an open quote's trailing line breaks not). */
  textEnds: number[];
  /** Where the next record starts. */
  nexts: number[];
  flags: number[];
  /** Each record's text, when the block was decoded whole (`decodeAll`). */
  texts: string[] | null;
  /** 1-based line where each starts, from the block's start. */
  lineOf: number[];
  /** Lines in the block. */
  lines: number;
}

/** Where one record lies in the block, while scanning. */
interface Found {
  start: number;
  end: number;
  textEnd: number;
  next: number;
  lines: number;
  tooLarge: boolean;
  unterminated: boolean;
}

/**
 * Finds the records of a block (records are whole: the cutter cut it at record ends). `bounds` makes the scan for
 * the block's start. `decodeAll`: decode the block once and keep each
 * record's text (for formats without a byte reader: a line break is one byte and one character, and ends any
 * malformed UTF-8 before it, so lines correspond).
 */
export function scanBlock(block: Uint8Array, bounds: () => RecordBounds, limit: number, decodeAll: boolean, crLines = false): BlockRecords {
  let bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  const inputEnd = bytes.length;
  // Every record ends with a line break (the number parser reads up to one without bounds checks).
  if (bytes.length > 0 && bytes[bytes.length - 1] !== NL) bytes = Buffer.concat([bytes, Buffer.from('\n')]);
  const whole = decodeAll ? new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes) : null;
  const out: BlockRecords = { bytes, inputEnd, starts: [], ends: [], textEnds: [], nexts: [], flags: [], texts: whole === null ? null : [], lineOf: [], lines: 0 };
  let textPos = 0;
  // A block whose quoted fields (if any) hold no line break — most CSV, R's write.csv's too — is cut at every line
  // break, with no quote state to keep.
  const csv = bounds();
  const scan = csv.linesOnly(bytes) ? recordBounds(null) : csv;
  const f: Found = { start: 0, end: 0, textEnd: 0, next: 0, lines: 1, tooLarge: false, unterminated: false };
  // CSV: a lone CR left in the bytes is inside a quoted field (LoneCrs made the others LF), and is a line too.
  const countCrs = crLines && hasLoneCr(bytes);
  for (let pos = 0; pos < bytes.length; pos = f.next) {
    nextRecord(bytes, pos, scan, f);
    const crs = countCrs ? loneCrsIn(bytes, f.start, f.next) : 0;
    if (f.textEnd - f.start > limit) f.tooLarge = true;
    let text: string | undefined;
    if (whole !== null) {
      const after = textIndexAfter(whole, textPos, f.lines);
      // Up to the record's line break, less an open quote's trailing line breaks (one character each).
      text = whole.slice(textPos, after - 1 - (f.next - 1 - f.textEnd));
      textPos = after;
    }
    const line = out.lines + 1;
    out.lines += f.lines + crs;
    if (!f.tooLarge && isBlankRecord(bytes, f)) continue;
    out.starts.push(f.start);
    out.ends.push(f.end);
    out.textEnds.push(f.textEnd);
    out.nexts.push(f.next);
    out.flags.push((f.tooLarge ? TOO_LARGE : 0) | (f.unterminated ? UNTERMINATED : 0));
    out.texts?.push(text!);
    out.lineOf.push(line);
  }
  return out;
}

/** Record i of a block as text (row i + 1 of the block), by the rules above. */
export function recordAt(b: BlockRecords, i: number, decoder: TextDecoder, limit: number): RawRecord {
  const raw: RawRecord = { row: i + 1, line: b.lineOf[i], text: '' };
  if (b.flags[i] & TOO_LARGE) {
    // Its beginning, as far as the preview goes: the same bytes whether the cutter or this scan cut it.
    const end = Math.min(b.nexts[i], b.starts[i] + previewBytes(limit));
    raw.text = previewOf(decoder.decode(b.bytes.subarray(b.starts[i], end)), limit);
    raw.tooLarge = limit;
    return raw;
  }
  raw.text = b.texts?.[i] ?? decoder.decode(b.bytes.subarray(b.starts[i], b.textEnds[i]));
  if (b.flags[i] & UNTERMINATED) raw.unterminatedQuote = true;
  else if (b.ends[i] < b.textEnds[i]) raw.text = raw.text.slice(0, -1); // the CR before the line break
  return raw;
}

/** The records of a block as text. */
export function recordsOf(b: BlockRecords, limit: number): RawRecord[] {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  return b.starts.map((_, i) => recordAt(b, i, decoder, limit));
}

/** The record starting at `pos` (into `f`): to the line break that ends it, or to the block's end (an open quote). */
function nextRecord(bytes: Buffer, pos: number, bounds: RecordBounds, f: Found): void {
  let nl = bounds.next(bytes, pos, bytes.length);
  let inner = bounds.takeInnerLines();
  let unterminated = false;
  if (nl < 0) {
    // An unterminated quote runs to the end of input; its trailing line breaks are not part of the record.
    nl = bytes.length - 1;
    inner--;
    unterminated = true;
  }
  let textEnd = nl;
  if (unterminated) while (textEnd > pos && (bytes[textEnd - 1] === NL || bytes[textEnd - 1] === CR)) textEnd--;
  f.start = pos;
  f.end = !unterminated && textEnd > pos && bytes[textEnd - 1] === CR ? textEnd - 1 : textEnd;
  f.textEnd = textEnd;
  f.next = nl + 1;
  f.lines = inner + 1;
  f.tooLarge = bounds.takeCut();
  f.unterminated = unterminated;
  if (f.tooLarge) f.end = f.textEnd; // cut at a line break inside a quoted field: its CR is the field's
}

function hasLoneCr(bytes: Buffer): boolean {
  return loneCrsIn(bytes, 0, bytes.length) > 0;
}

/** CRs not followed by LF in bytes[from, to). */
export function loneCrsIn(bytes: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = bytes.indexOf(CR, from); i >= 0 && i < to; i = bytes.indexOf(CR, i + 1)) if (bytes[i + 1] !== NL) n++;
  return n;
}

/** The index just past the `lines`-th line break from `from` in the block's text. */
function textIndexAfter(whole: string, from: number, lines: number): number {
  let nl = from - 1;
  for (let k = 0; k < lines; k++) nl = whole.indexOf('\n', nl + 1);
  return nl + 1;
}

/** A record that is only whitespace is not a record (looked at as text only when it starts with some). */
function isBlankRecord(bytes: Buffer, f: Found): boolean {
  if (f.end === f.start) return true;
  const first = bytes[f.start];
  if (first !== SPACE && first !== TAB && first !== CR) return false;
  for (let i = f.start; i < f.textEnd; i++) {
    const c = bytes[i];
    if (c !== SPACE && c !== TAB && c !== CR && c !== NL) return isBlank(new TextDecoder().decode(bytes.subarray(f.start, f.textEnd)));
  }
  return true;
}
