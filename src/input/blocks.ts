/**
 * The engine's one unit of work: a block — whole records of one source, with where they came from. Readers make
 * blocks; the unit function (score/processBlock.ts) scores a block into formatted batches and record errors, in
 * the main thread or a worker; the ordered writer writes them in order. A block is one of
 * - bytes: whole records as read (CSV, TSV, JSONL), cut by the block cutter, split by the record rules where the
 *   block is scored; transferred to a worker without copying;
 * - a Parquet row group: its column chunks as stored (compressed, transferred to a worker without copying), or,
 *   for columns only hyparquet's general reader reads, its rows already decoded in the main thread;
 * - rows: records already in memory (a JSON document's), as a batch whose fast reader fills the feeds and whose
 *   general reader gives each record's text; scored in the main thread.
 * Within a block, records are scored in batches of --batch-size (one model call each, or a few).
 */
import type { FeedData } from '../model/session.js';
import type { RawRecord } from './recordRules.js';
import type { ParquetUnit } from './parquetColumns.js';
import type { Cut } from './blockCutter.js';

export interface ByteBlock {
  source: string;
  bytes: Uint8Array;
  /** Where `bytes` start in the bytes read from the source (records' byte offsets count from there). */
  offset: number;
  /** A record cut off for being longer than --max-record-bytes: `bytes` hold its beginning (the preview). */
  cut?: Cut;
}

/** Where the bytes after a block start in the source (a checkpoint's position, see run/resume/). */
export function blockEnd(block: ByteBlock): number {
  return block.offset + (block.cut ? block.cut.bytes : block.bytes.length);
}

/** A Parquet row group, its column chunks as stored: decoded where it is scored. */
export interface RowGroupBlock {
  source: string;
  rowGroup: ParquetUnit;
}

/** A Parquet row group decoded by the general reader, in batches (scored in the main thread). */
export interface DecodedRowGroupBlock {
  source: string;
  decoded: RecordBatch[];
}

export interface RowBlock {
  source: string;
  rows: RecordBatch;
}

export type Block = ByteBlock | RowGroupBlock | DecodedRowGroupBlock | RowBlock;

/** Whether a block can be scored by a worker (its parts are bytes, sent without copying). */
export function transferable(block: Block): block is ByteBlock | RowGroupBlock {
  return 'bytes' in block || 'rowGroup' in block;
}

/** The records of one batch, as the unit function reads them: still in a block of bytes, or in memory. */
export interface RecordBatch {
  source: string;
  count: number;
  /** The fast reader: writes record i's features at `slot` and returns its --keep values; null declines it. */
  fastFill(i: number, slot: number, data: FeedData[]): unknown[] | null;
  /** Record i as text, for the exact general reader (which decides what the fast one declined) and the sidecar. */
  record(i: number): RawRecord;
}
