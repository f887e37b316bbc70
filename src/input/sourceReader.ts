/**
 * Reads one line-based source (CSV, TSV, JSONL): its bytes are cut into blocks of whole records by the block
 * cutter and handed on, to be split into records and scored where they are scored (a worker, or the main thread).
 * Until the columns are known (the header, or JSONL's first object), blocks are cut after every read and held:
 * their records, read by the record rules, tell the columns; then the held blocks go on, less the header (and,
 * for a shard's part that starts inside a file, less the file's first record, read for the column names only).
 * One record form all the way: bytes (recordRules.ts holds the rules). Each block knows where it starts in the
 * source's bytes, so every record's byte offset is exact.
 */
import type { Columns, InputFormat } from './inputFormat.js';
import { BlockCutter, type Cut } from './blockCutter.js';
import type { ByteBlock } from './blocks.js';
import { previewOf, recordAt, scanBlock, withoutBom, type RawRecord } from './recordRules.js';
import { sizeFromEnv } from './testSizes.js';

/** Records and lines of a source before its next block (blocks number their rows and lines from their start). */
export interface Numbering {
  rows: number;
  lines: number;
}

export interface ReaderCalls {
  /**
   * The columns, told by the first records of the source (and the plan made from them); null while they cannot be
   * told yet. `atEnd`: no more records will come.
   */
  columns(records: RawRecord[], atEnd: boolean): Columns | null;
  /** A block of whole records, numbered from `numbering` once the blocks before it are written. */
  block(block: ByteBlock, numbering: Numbering): void;
  /** Resolves when there is room for more work (backpressure); throws if the run has stopped. */
  room(): Promise<void>;
}

/**
 * Bytes per block: ≈ 8,000 records of 13 numbers; big enough that handing a block to a worker costs little.
 * Tests shrink it (BATCH_SCORE_BLOCK_BYTES, see testSizes.ts) so that a few lines make many blocks.
 */
export const BLOCK_BYTES = sizeFromEnv('BATCH_SCORE_BLOCK_BYTES', 1 << 18);
const NL = 10;

export async function readLines(
  source: string,
  format: InputFormat,
  pieces: AsyncIterator<Buffer>,
  firstPiece: Buffer,
  options: { maxRecordBytes: number; flushMs: number },
  calls: ReaderCalls,
  onCutter: (cutter: BlockCutter) => void,
  /**
   * A part that starts inside the file (a shard's, a resumed run's): its first record is read for the column names
   * only (`skipFirst`), and `from` numbers the records after it (a resumed run's numbering; else as if the part
   * followed that first record).
   */
  part: { skipFirst: boolean; from: Numbering | null } = { skipFirst: false, from: null },
): Promise<void> {
  const { skipFirst, from } = part;
  const numbering: Numbering = { rows: from?.rows ?? 0, lines: from?.lines ?? 0 };
  const head = new Head(format, options.maxRecordBytes, skipFirst);
  let held: ByteBlock[] | null = calls.columns([], false) === null || skipFirst ? [] : null;
  // Offsets count the source's bytes: a byte order mark, left out of the records, is counted.
  const bom = firstPiece.length - withoutBom(firstPiece).length;
  const emit = (bytes: Uint8Array, at: number, cut?: Cut): void => {
    const offset = bom + at;
    const block: ByteBlock = cut ? { source, bytes, offset, cut } : { source, bytes, offset };
    if (held === null) calls.block(block, numbering);
    else held.push(block);
  };
  const cutter = new BlockCutter(BLOCK_BYTES, options.flushMs, emit, () => format.recordBounds(), options.maxRecordBytes, format.loneCrs);
  onCutter(cutter);
  const crs = format.newLoneCrs();
  /**
   * While the columns are not known: the blocks cut so far, and their records asked about; what was read is cut at
   * once only while no block is cut yet. Cutting where a read ended (not by size) makes blocks that a run reading
   * from a checkpoint's position would cut elsewhere, and a Parquet output's row groups end at block ends: so at
   * most once, before any block (see README "Resuming a Parquet output").
   */
  const settle = (atEnd: boolean): void => {
    if (held === null) return;
    if (held.length === 0) cutter.flush();
    const blocks = head.settle(held, calls, numbering, atEnd);
    if (blocks === null) return;
    if (from) Object.assign(numbering, from);
    held = null;
    for (const b of blocks) calls.block(b, numbering);
  };
  for (let piece: Buffer | undefined = withoutBom(firstPiece); piece !== undefined; ) {
    cutter.push(crs ? crs.push(piece, cutter.position) : piece);
    settle(false);
    await calls.room();
    const next = await pieces.next();
    piece = next.done ? undefined : next.value;
  }
  if (crs) cutter.push(crs.end());
  cutter.end();
  settle(true);
}

/**
 * Every record of some bytes as a run reads them (the cutter, the record rules), numbered from their start: for
 * bytes read whole (an HTTP request's body, inspect's sample, a header). `atEnd` false: the bytes are only the
 * start of the input, and a record not ended yet is left out.
 */
export function recordsOf(pieces: Buffer[], format: InputFormat, maxRecordBytes: number, atEnd = true): RawRecord[] {
  const blocks: ByteBlock[] = [];
  const emit = (bytes: Uint8Array, offset: number, cut?: Cut) => blocks.push(cut ? { source: '', bytes, offset, cut } : { source: '', bytes, offset });
  const cutter = new BlockCutter(BLOCK_BYTES, 0, emit, () => format.recordBounds(), maxRecordBytes, format.loneCrs);
  const crs = format.newLoneCrs();
  pieces.forEach((p, i) => {
    const piece = i === 0 ? withoutBom(p) : p;
    cutter.push(crs ? crs.push(piece, cutter.position) : piece);
  });
  if (crs && atEnd) cutter.push(crs.end());
  if (atEnd) cutter.end();
  else cutter.flush();
  const head = new Head(format, maxRecordBytes);
  blocks.forEach((b, k) => head.read(b, k));
  return head.records;
}

/** The records of the blocks held at a source's start, read once each, with where each lies. */
class Head {
  readonly records: RawRecord[] = [];
  /** Per record: its block, and where it starts and the next record starts in it. */
  private readonly places: Array<{ block: number; start: number; next: number }> = [];
  private scanned = 0;
  private lines = 0;
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  /** `skipFirst`: the first record is not scored even when it is not a header (a shard's head, see shardPlan.ts). */
  constructor(
    private readonly format: InputFormat,
    private readonly limit: number,
    private readonly skipFirst = false,
  ) {}

  /**
   * The blocks to hand on once the columns are known (less a header record and what came before it), numbered
   * from there; null while they are not known.
   */
  settle(held: ByteBlock[], calls: ReaderCalls, numbering: Numbering, atEnd: boolean): ByteBlock[] | null {
    for (; this.scanned < held.length; this.scanned++) this.read(held[this.scanned], this.scanned);
    const columns = calls.columns(this.records, atEnd);
    // At the end with no columns, the source held no record at all (only blank lines): nothing to score.
    if (columns === null) return atEnd ? [] : null;
    if (!(columns.header || this.skipFirst)) return held;
    if (this.records.length === 0) return atEnd || !this.skipFirst ? held : null;
    // The first record (a header, or a shard's head) is not scored: blocks go on from its end, numbered from the
    // lines up to there (and, when it is a record, from it).
    const first = this.places[0];
    const bytes = held[first.block].bytes;
    let breaks = 0;
    for (let i = bytes.indexOf(NL, first.start); i >= 0 && i < first.next; i = bytes.indexOf(NL, i + 1)) breaks++;
    numbering.lines = this.records[0].line - 1 + Math.max(breaks, 1);
    numbering.rows = columns.header ? 0 : 1;
    // A first record cut off for its size is a block of its own: the blocks after it go on.
    if (held[first.block].cut) return held.slice(first.block + 1);
    const rest = held.slice(first.block);
    rest[0] = { ...rest[0], bytes: bytes.subarray(first.next), offset: rest[0].offset + first.next };
    return rest;
  }

  read(block: ByteBlock, k: number): void {
    if (block.cut) {
      const text = previewOf(this.decoder.decode(block.bytes), this.limit);
      this.lines += block.cut.lines;
      this.records.push({ row: this.records.length + 1, line: this.lines - block.cut.lines + 1, text, tooLarge: this.limit });
      this.places.push({ block: k, start: 0, next: block.bytes.length });
      return;
    }
    const scan = scanBlock(block.bytes, () => this.format.recordBounds(), this.limit, false, this.format.loneCrs);
    for (let i = 0; i < scan.starts.length; i++) {
      const record = recordAt(scan, i, this.decoder, this.limit);
      record.row = this.records.length + 1;
      record.line += this.lines;
      this.records.push(record);
      this.places.push({ block: k, start: scan.starts[i], next: scan.nexts[i] });
    }
    this.lines += scan.lines;
  }
}
