/**
 * Column-wise scoring of a decoded Parquet batch, for Parquet output: when every feature value of the batch is
 * present and of a kind its input takes as it is, the feeds are filled column by column, the model is called, and
 * its outputs go straight into the output's row group (GroupBuilder.addColumns), with no object per record. A batch
 * with a null, a value to check, or a record the model fails on returns null, and the record-by-record path
 * (processBatch) decides it, with the same results.
 */
import type { InputFeed } from '../model/featurePlan.js';
import type { FeedData } from '../model/session.js';
import type { ColumnValues } from '../input/parquetColumns.js';
import type { ColumnBatch } from '../input/parquetInput.js';
import { allocate } from './cells.js';
import { scoreRows, type ScoredPiece } from './scorer.js';
import type { ScoringContext, BatchResult } from './processBatch.js';
import type { UnitMonitor } from '../monitor/unitMonitor.js';

export interface ColumnarScore {
  /** Counts and output shapes (no rows: they are in `pieces`). */
  result: BatchResult;
  pieces: ScoredPiece[];
}

/** `unit`: the row group's monitoring, which profiles the feeds and outputs here as processBatch would. */
export async function scoreColumnar(batch: ColumnBatch, ctx: ScoringContext, unit?: UnitMonitor): Promise<ColumnarScore | null> {
  const { plan } = ctx;
  const { cols, start, count } = batch;
  // A challenger's columns and --ood's are made per record, by processBatch.
  if (ctx.challenger || ctx.monitor?.ood) return null;
  if (!plan.feeds.every((f) => !f.fromArray && f.columns.every((c) => takesAsIs(f, cols[c], start, count)))) return null;
  const data = plan.feeds.map((f) => fill(f, cols, start, count));
  const scored = await scoreRows(ctx.session, plan.feeds, data, count, ctx.score);
  if (scored.failed.size > 0) return null;
  unit?.addBatch(data, count, scored.failed, scored.pieces, scored.pieces[0]?.outputs.length ?? 0);
  const recordShapes = scored.pieces.length ? scored.pieces[0].outputs.map((o) => o.recordShape) : null;
  return { result: { rows: [], errors: [], scored: count, records: count, failed: [], recordShapes, calls: scored.calls }, pieces: scored.pieces };
}

/** Whether rows [start, start + count) of a column feed `feed` with no check: no null, a type it holds exactly. */
function takesAsIs(feed: InputFeed, col: ColumnValues, start: number, count: number): boolean {
  const v = col.values;
  const ok =
    feed.type === 'float32' || feed.type === 'float64' ? v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array || v instanceof BigInt64Array
    : feed.type === 'int64' ? v instanceof BigInt64Array || v instanceof Int32Array
    : feed.type === 'int32' && v instanceof Int32Array;
  return ok && (col.nulls === null || col.nulls.subarray(start, start + count).indexOf(1) === -1);
}

/** A feed's values for the batch, record by record (row-major), from its columns. */
function fill(feed: InputFeed, cols: ColumnValues[], start: number, count: number): FeedData {
  const { width } = feed;
  const data = allocate(feed.type, count * width) as unknown[];
  const bigint = feed.type === 'int64';
  for (let j = 0; j < width; j++) {
    const values = cols[feed.columns[j]].values as unknown[];
    const needs = bigint !== (values instanceof BigInt64Array);
    const convert = bigint ? BigInt : Number;
    for (let r = 0; r < count; r++) {
      const v = values[start + r];
      data[r * width + j] = needs ? convert(v as number) : v;
    }
  }
  return data as unknown as FeedData;
}

