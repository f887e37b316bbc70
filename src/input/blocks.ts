/**
 * The engine's one unit of work: a block — whole records of one source, with where they came from. Readers make
 * blocks; the unit function (score/processBlock.ts) scores a block into formatted batches and record errors, in
 * the main thread or a worker; the ordered writer writes them in order. A block is either
 * - bytes: whole records as read (CSV, TSV, JSONL), cut by the block cutter, split by the record rules where the
 *   block is scored; transferred to a worker without copying; or
 * - rows: records already in memory (a JSON document's, Parquet rows, an HTTP request's), as a batch whose fast
 *   reader fills the feeds and whose general reader gives each record's text; scored in the main thread.
 * Within a block, records are scored in batches of --batch-size (one model call each, or a few).
 */
import type { FeedData } from '../model/session.js';
import type { RawRecord } from './recordRules.js';

export interface ByteBlock {
  source: string;
  bytes: Uint8Array;
  /**
   * A record cut off for being longer than --max-record-bytes: `bytes` hold its beginning (the preview), and it
   * spanned `lines` lines.
   */
  cut?: { lines: number };
}

export interface RowBlock {
  source: string;
  rows: RecordBatch;
  /** Its records are not lines of text (Parquet rows): their errors name no line. */
  lineless?: boolean;
}

export type Block = ByteBlock | RowBlock;

/** The records of one batch, as the unit function reads them: still in a block of bytes, or in memory. */
export interface RecordBatch {
  source: string;
  count: number;
  /** The fast reader: writes record i's features at `slot` and returns its --keep values; null declines it. */
  fastFill(i: number, slot: number, data: FeedData[]): unknown[] | null;
  /** Record i as text, for the exact general reader (which decides what the fast one declined) and the sidecar. */
  record(i: number): RawRecord;
}
