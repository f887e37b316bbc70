/**
 * The unit function: a block (input/blocks.ts) → its formatted batches and record errors. A block of bytes, cut by
 * the reader without looking inside (blockCutter.ts), is split into records here — in a worker, in parallel — by
 * the record rules (recordRules.ts); a block of rows in memory is one batch already. Records are scored in batches
 * of --batch-size through processBatch. Row and line numbers are counted from the block's start; the ordered
 * writer, which writes blocks in order, adds what came before.
 */
import type { FeedData } from '../model/session.js';
import type { Block, ByteBlock } from '../input/blocks.js';
import { previewOf, recordAt, scanBlock, type BlockRecords } from '../input/recordRules.js';
import type { FormattedBatch, FormattedBlock } from '../output/orderedWriter.js';
import { processBatch, scoreParquetBatch, type ScoringContext, type BatchResult, type RecordBatch } from './processBatch.js';


/**
 * Scores the block batch by batch and formats each batch as soon as it is scored (so its rows die young, which
 * the worker profiles showed as a fifth of their time spent in GC when a whole block's rows were kept).
 */
export async function processBlock(block: Block, ctx: ScoringContext, format: (batch: BatchResult) => FormattedBatch): Promise<FormattedBlock> {
  if ('rows' in block) return rowBlock(block.rows, block.lineless === true, ctx, format);
  const limit = ctx.maxRecordLength;
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  if (block.cut) return { batches: [format(await processBatch(cutRecord(block, decoder, limit), ctx))], lines: block.cut.lines };
  const fill = ctx.blockFill;
  const records = scanBlock(block.bytes, ctx.recordBounds, limit, fill === null, ctx.crLines);
  const batches: FormattedBatch[] = [];
  for (let first = 0; first < records.starts.length; first += ctx.batchSize) {
    const count = Math.min(ctx.batchSize, records.starts.length - first);
    const batch = {
      source: block.source,
      count,
      fastFill: fill === null ? () => null : fastFill(records, first, fill),
      record: (i: number) => recordAt(records, first + i, decoder, limit),
    };
    batches.push(format(await processBatch(batch, ctx)));
  }
  return { batches, lines: records.lines };
}

/** A block of rows in memory: one batch. */
async function rowBlock(rows: RecordBatch, lineless: boolean, ctx: ScoringContext, format: (batch: BatchResult) => FormattedBatch): Promise<FormattedBlock> {
  const result = lineless ? await scoreParquetBatch(rows, ctx) : await processBatch(rows, ctx);
  return { batches: [format(result)], lines: 0 };
}

/** The byte reader over records [first, …): a record flagged (too large, an open quote) goes the general way. */
function fastFill(records: BlockRecords, first: number, fill: NonNullable<ScoringContext['blockFill']>) {
  const { bytes, starts, ends, flags } = records;
  return (i: number, slot: number, data: FeedData[]): unknown[] | null => {
    const k = first + i;
    return flags[k] === 0 ? fill(bytes, starts[k], ends[k], slot, data) : null;
  };
}

/** A record cut off by the reader: it fails as it is, with its beginning as the preview. */
function cutRecord(block: ByteBlock, decoder: TextDecoder, limit: number) {
  const text = previewOf(decoder.decode(block.bytes), limit);
  const record = { row: 1, line: 1, text, tooLarge: limit };
  return { source: block.source, count: 1, fastFill: () => null, record: () => record };
}
