/**
 * Where records end in a stream of bytes, for the block cutter (main thread) and the block reader (where a block
 * is scored): at every line break (JSONL, where a string cannot hold a raw line break), or at line breaks outside
 * quoted fields (CSV). One object scans one stream, each byte once and in order; its state carries across pieces.
 */
import { csvRecordEnd, lastRecordEnd, newScan } from './csvScan.js';

const NL = 10;

export interface RecordBounds {
  /** The line break ending the record being scanned, within [from, to); -1 when `to` comes first. */
  next(bytes: Uint8Array, from: number, to: number): number;
  /** Just past the last record end in [from, to) (`from` when none); the scan stands at `to` afterwards. */
  last(bytes: Uint8Array, from: number, to: number): number;
  /** Line breaks inside the record `next` just ended (quoted fields), so that line numbers stay exact; resets the count. */
  takeInnerLines(): number;
}

/** `delimiter` null: records are lines. */
export function recordBounds(delimiter: string | null): RecordBounds {
  if (delimiter === null) return lineBounds;
  const delim = delimiter.charCodeAt(0);
  const scan = newScan();
  return {
    next: (bytes, from, to) => csvRecordEnd(bytes, from, to, delim, scan),
    last: (bytes, from, to) => lastRecordEnd(bytes, from, to, delim, scan),
    takeInnerLines() {
      const lines = scan.quotedLines;
      scan.quotedLines = 0;
      return lines;
    },
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
};
