/**
 * The unit function: a block (input/blocks.ts) → its formatted batches and record errors. A block of bytes, cut by
 * the reader without looking inside (blockCutter.ts), is split into records here — in a worker, in parallel — by
 * the record rules (recordRules.ts); a Parquet row group is decoded here (processRowGroup.ts); a block of rows in
 * memory is one batch already. Records are scored in batches of --batch-size through processBatch, with one partial
 * profile per block when the run monitors. Row and line numbers are counted from the block's start; the ordered
 * writer, which writes blocks in order, adds what came before.
 */
import type { FeedData } from '../model/session.js';
import type { Block, ByteBlock } from '../input/blocks.js';
import { previewOf, recordAt, scanBlock, type BlockRecords } from '../input/recordRules.js';
import type { FormattedBatch, FormattedBlock } from '../output/orderedWriter.js';
import type { UnitMonitor } from '../monitor/unitMonitor.js';
import { processBatch, unitMonitorFor, type ScoringContext, type BatchResult } from './processBatch.js';
import { processRowGroup, type GroupFor } from './processRowGroup.js';

/**
 * Scores the block batch by batch and formats each batch as soon as it is scored (so its rows die young, which
 * the worker profiles showed as a fifth of their time spent in GC when a whole block's rows were kept).
 * `groupFor`: a Parquet output's row group for a row group's rows (null: a formatted batch per batch).
 */
export async function processBlock(
  block: Block,
  ctx: ScoringContext,
  format: (batch: BatchResult) => FormattedBatch,
  groupFor: GroupFor | null = null,
): Promise<FormattedBlock> {
  if ('rowGroup' in block) {
    // The Parquet reader's modules are loaded with the first row group (a run without one never loads them).
    const { unitBatches } = await import('../input/parquetInput.js');
    return processRowGroup(unitBatches(block.rowGroup, ctx.plan, ctx.batchSize), ctx, format, groupFor);
  }
  if ('decoded' in block) return processRowGroup(block.decoded, ctx, format, groupFor);
  const unit = await unitMonitorFor(ctx);
  const formatted = 'rows' in block ? { batches: [format(await processBatch(block.rows, ctx, unit))], lines: 0 } : await byteBlock(block, ctx, format, unit);
  return unit ? { ...formatted, monitor: unit.partial() } : formatted;
}

/** A block of bytes: its records found by the record rules, each numbered by its offset in the source. */
async function byteBlock(block: ByteBlock, ctx: ScoringContext, format: (batch: BatchResult) => FormattedBatch, unit: UnitMonitor | undefined): Promise<FormattedBlock> {
  const limit = ctx.maxRecordLength;
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  if (block.cut) return { batches: [format(await processBatch(cutRecord(block, decoder, limit), ctx, unit))], lines: block.cut.lines };
  const fill = ctx.blockFill;
  const records = scanBlock(block.bytes, ctx.recordBounds, limit, fill === null, ctx.crLines);
  const batches: FormattedBatch[] = [];
  for (let first = 0; first < records.starts.length; first += ctx.batchSize) {
    const count = Math.min(ctx.batchSize, records.starts.length - first);
    const batch = {
      source: block.source,
      count,
      fastFill: fill === null ? () => null : fastFill(records, first, fill),
      record: (i: number) => {
        const raw = recordAt(records, first + i, decoder, limit);
        raw.offset = block.offset + records.starts[first + i];
        return raw;
      },
    };
    batches.push(format(await processBatch(batch, ctx, unit)));
  }
  return { batches, lines: records.lines };
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
  const record = { row: 1, line: 1, text, tooLarge: limit, offset: block.offset };
  return { source: block.source, count: 1, fastFill: () => null, record: () => record };
}
