/**
 * Reads one line-based source (CSV, TSV, JSONL) and hands on its records, in one of two ways:
 * - as blocks: raw bytes cut at record ends by the BlockCutter (line breaks, outside quoted fields for CSV), split
 *   and parsed where they are scored (workers);
 * - as text: decoded and cut into records by the RecordSplitter, on the main thread.
 * A source starts as text until its columns are known (the header, or JSON's first object), then goes on in
 * blocks. It falls back to text for good only where a record grows past --max-record-bytes before it ends (the
 * splitter then cuts it as it always does), which keeps memory bounded. Both ways give the same records, row and
 * line numbers, and errors.
 */
import type { InputFormat } from './inputFormat.js';
import type { RawRecord } from './recordSplitter.js';
import { BlockCutter } from './blockCutter.js';
import { sizeFromEnv } from './testSizes.js';
import { LineOffsets } from './lineOffsets.js';

/** Records and lines of a source before its next block (blocks number their rows and lines from their start). */
export interface Numbering {
  rows: number;
  lines: number;
}

export interface ReaderCalls {
  /** Text records, in order (a header included: the caller knows whether the first one is). */
  records(records: RawRecord[]): void;
  /** Whether the columns are known yet, and whether the source has a header line. */
  columns(): { header: boolean } | null;
  /** A block of whole lines, numbered from `numbering` once the blocks before it are written; `at`: its byte offset. */
  block(bytes: Uint8Array, numbering: Numbering, at: number): void;
  /** Hands on the text records held for a chunk (before a block, to keep the order). */
  flushRecords(): void;
  /** Resolves once everything handed on is written. */
  drain(): Promise<void>;
  /** Resolves when there is room for more work (backpressure); throws if the run has stopped. */
  room(): Promise<void>;
}

/**
 * Bytes per block: ≈ 8,000 records of 13 numbers; big enough that handing a block to a worker costs little.
 * Tests shrink it (BATCH_SCORE_BLOCK_BYTES, see testSizes.ts) so that a few lines make many blocks.
 */
export const BLOCK_BYTES = sizeFromEnv('BATCH_SCORE_BLOCK_BYTES', 1 << 18);
const EMPTY: Buffer = Buffer.alloc(0);
const NL = 10;
const CR = 13;

export async function readLines(
  format: InputFormat,
  pieces: AsyncIterator<Buffer>,
  firstPiece: Buffer,
  options: { maxRecordBytes: number; flushMs: number },
  calls: ReaderCalls,
  onCutter: (cutter: BlockCutter) => void,
): Promise<void> {
  const splitter = format.splitter();
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  // Records read as text get their byte offsets from the lines they start on.
  const lineOffsets = new LineOffsets(format.name === 'csv' || format.name === 'tsv');
  const withOffsets = (records: RawRecord[]): RawRecord[] => {
    for (const r of records) r.offset = lineOffsets.offsetOf(r.line);
    return records;
  };
  let textBytes = 0;
  const readText = (bytes: Buffer): void => {
    textBytes += bytes.length;
    lineOffsets.push(bytes);
    calls.records(withOffsets(splitter.push(decoder.decode(bytes, { stream: true }))));
  };
  const numbering: Numbering = { rows: 0, lines: 0 };
  let emitted = 0; // bytes handed on as blocks or read as text: where the next block starts
  let blocksSinceText = false;
  const emit = (bytes: Uint8Array): void => {
    blocksSinceText = true;
    const at = emitted;
    emitted += bytes.length;
    calls.block(bytes, numbering, at);
  };
  const cutter = new BlockCutter(BLOCK_BYTES, options.flushMs, emit, format.recordBounds());
  onCutter(cutter);
  let mode: 'head' | 'blocks' | 'text' = 'head';
  let head: Buffer = EMPTY; // bytes of the head not read yet
  let afterCr = false; // the bytes handed to the cutter ended with a CR (CRLF or a lone CR: the next byte tells)

  /** From blocks back to text: what the cutter holds is read as text, numbered after the blocks written. */
  const toText = async (): Promise<Buffer> => {
    const rest = cutter.takeBack();
    await calls.drain();
    splitter.resumeAt(numbering.rows + (calls.columns()!.header ? 1 : 0), numbering.lines + 1);
    // Text goes on after the blocks (or, when none was handed on, where it stopped: the splitter may hold the start
    // of a record whose lines are counted already).
    if (blocksSinceText) lineOffsets.reset(numbering.lines + 1, emitted);
    blocksSinceText = false;
    mode = 'text';
    return rest;
  };

  for (let piece: Buffer | undefined = firstPiece; piece !== undefined; ) {
    if (mode === 'head') {
      // Line by line as text until the columns are known.
      head = head.length ? Buffer.concat([head, piece]) : piece;
      piece = EMPTY;
      for (let nl = head.indexOf(NL); calls.columns() === null && nl >= 0 && mode === 'head'; nl = head.indexOf(NL)) {
        const line = head.subarray(0, nl + 1);
        head = head.subarray(nl + 1);
        readText(line);
      }
      const columns = calls.columns();
      if (mode === 'head' && columns !== null) {
        mode = 'blocks';
        calls.flushRecords();
        const at = splitter.position;
        numbering.rows = at.rows - (columns.header ? 1 : 0);
        numbering.lines = at.line - 1;
        emitted = textBytes; // blocks start where the text read so far ends
      } else if (mode === 'head' && (head.length > options.maxRecordBytes || !format.bytesReadable(head))) {
        mode = 'text'; // a first line too long (the splitter cuts it), or a lone CR (CR-only line ends)
      }
      if (mode !== 'head') [piece, head] = [head, EMPTY];
    }
    if (mode === 'blocks') {
      if (format.bytesReadable(piece, afterCr)) {
        if (piece.length) afterCr = piece[piece.length - 1] === CR;
        cutter.push(piece);
        piece = cutter.pendingLine > options.maxRecordBytes ? await toText() : EMPTY;
      } else {
        piece = Buffer.concat([await toText(), piece]);
      }
    }
    if (mode === 'text' && piece.length) readText(piece);
    await calls.room();
    const next = await pieces.next();
    piece = next.done ? undefined : next.value;
  }

  if (mode === 'blocks') {
    cutter.end();
    return;
  }
  if (head.length) readText(head);
  lineOffsets.end();
  calls.records(withOffsets(splitter.push(decoder.decode())));
  calls.records(withOffsets(splitter.end()));
}
