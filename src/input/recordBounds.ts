/**
 * Where records end in a stream of bytes, for the block cutter (main thread) and the block reader (where a block
 * is scored): at every line break (JSONL, where a string cannot hold a raw line break), or at line breaks outside
 * quoted fields (CSV). One object scans one stream, each byte once and in order; its state carries across pieces.
 */
import { csvRecordEnd, lastRecordEnd, newScan, Quote, recordsAreLines } from './csvScan.js';

const NL = 10;

export interface RecordBounds {
  /** The line break ending the record being scanned, within [from, to); -1 when `to` comes first. */
  next(bytes: Uint8Array, from: number, to: number): number;
  /** Just past the last record end in [from, to) (`from` when none); the scan stands at `to` afterwards. */
  last(bytes: Uint8Array, from: number, to: number): number;
  /** Line breaks inside the record `next` just ended (quoted fields), so that line numbers stay exact; resets the count. */
  takeInnerLines(): number;
  /** Whether the record `next` just ended was cut inside for its size (see csvScan.ts); resets the flag. */
  takeCut(): boolean;
  /** Where the scan stands after the bytes scanned so far: inside a quoted field or not, and how far into a record. */
  readonly position: ScanPosition;
  /** Whether the records of a block (whole records) are exactly its lines: no quoted field in it holds a line break. */
  linesOnly(bytes: Uint8Array): boolean;
}

export interface ScanPosition {
  state: Quote;
  recordLen: number;
}

/** `delimiter` null: records are lines. `limit`: --max-record-bytes, where a record spanning lines is cut. */
export function recordBounds(delimiter: string | null, limit = Infinity): RecordBounds {
  if (delimiter === null) return lineBounds;
  const delim = delimiter.charCodeAt(0);
  const scan = newScan(limit);
  return {
    next: (bytes, from, to) => csvRecordEnd(bytes, from, to, delim, scan),
    last: (bytes, from, to) => lastRecordEnd(bytes, from, to, delim, scan),
    takeInnerLines() {
      const lines = scan.quotedLines;
      scan.quotedLines = 0;
      return lines;
    },
    takeCut() {
      const cut = scan.cut;
      scan.cut = false;
      return cut;
    },
    get position() {
      return { state: scan.state, recordLen: scan.recordLen };
    },
    linesOnly: (bytes) => recordsAreLines(bytes, 0, bytes.length, delim),
  };
}

const lineBounds: RecordBounds = {
  next(bytes, from, to) {
    const nl = from < to ? bytes.indexOf(NL, from) : -1;
    return nl < to ? nl : -1;
  },
  last(bytes, from, to) {
    const nl = to > from ? bytes.lastIndexOf(NL, to - 1) : -1;
    return nl < from ? from : nl + 1;
  },
  takeInnerLines: () => 0,
  takeCut: () => false,
  position: { state: Quote.FieldStart, recordLen: 0 },
  linesOnly: () => true,
};
