/**
 * The unit function for a Parquet row group: its batches scored one by one, with one partial profile for the row
 * group. A Parquet output gets the group's rows as one row group of its own (`groupFor`, made once the first
 * batch's result is known), so that it keeps the input's row groups whichever thread scored them; other outputs get
 * a formatted batch per batch. Rows are numbered in the file already, so the writer adds nothing to them.
 */
import type { GroupBuilder } from '../output/formatters.js';
import type { FormattedBatch, FormattedBlock } from '../output/orderedWriter.js';
import type { ColumnBatch } from '../input/parquetInput.js';
import type { UnitMonitor } from '../monitor/unitMonitor.js';
import { formatEncoded } from './formatBatch.js';
import { scoreColumnar } from './parquetColumnar.js';
import { processBatch, unitMonitorFor, type BatchResult, type RecordBatch, type ScoringContext } from './processBatch.js';

/** Makes the row group's output group from the first batch's result (which tells the output shapes). */
export type GroupFor = (first: BatchResult, capacity: number) => GroupBuilder;

export async function processRowGroup(
  batches: Iterable<RecordBatch>,
  ctx: ScoringContext,
  format: (result: BatchResult) => FormattedBatch,
  groupFor: GroupFor | null,
): Promise<FormattedBlock> {
  const all = [...batches];
  const unit = await unitMonitorFor(ctx);
  const monitor = () => (unit ? { monitor: unit.partial() } : {});
  if (!groupFor) {
    const formatted: FormattedBatch[] = [];
    for (const batch of all) formatted.push(format(await scoreParquetBatch(batch, ctx, unit)));
    return { batches: formatted, lines: 0, ...monitor() };
  }
  const results: BatchResult[] = [];
  const capacity = all.reduce((n, b) => n + b.count, 0);
  let group: GroupBuilder | null = null;
  let rows = 0;
  for (const batch of all) {
    const columnar = 'cols' in batch ? await scoreColumnar(batch as ColumnBatch, ctx, unit) : null;
    if (columnar) {
      const { cols, start } = batch as ColumnBatch;
      group ??= groupFor(columnar.result, capacity);
      group.addColumns(ctx.plan.keep.map((c) => cols[c]), start, batch.count, columnar.pieces);
      rows += batch.count;
      results.push(columnar.result);
      continue;
    }
    const result = await scoreParquetBatch(batch, ctx, unit);
    group ??= groupFor(result, capacity);
    group.add(result.rows);
    rows += result.rows.length;
    results.push({ ...result, rows: [] }); // the rows are in the group now, and can go
  }
  return { batches: [formatEncoded(mergeResults(results), group?.finish() ?? new Uint8Array(0), rows)], lines: 0, ...monitor() };
}

/**
 * Scores a Parquet batch; its sidecar entries have no line (`line: null`): a Parquet row is not a line of text.
 * `unit`: the monitoring of the row group the batch belongs to (inspect scores a batch alone, without).
 */
export async function scoreParquetBatch(batch: RecordBatch, ctx: ScoringContext, unit: UnitMonitor | undefined): Promise<BatchResult> {
  const result = await processBatch(batch, ctx, unit);
  for (const e of result.errors) e.line = null;
  return result;
}

/** The results of consecutive batches as one. */
function mergeResults(results: BatchResult[]): BatchResult {
  const merged: BatchResult = { rows: [], errors: [], scored: 0, records: 0, failed: [], recordShapes: null, calls: 0 };
  for (const r of results) {
    for (const e of r.errors) merged.errors.push(e);
    for (const [i, message] of r.failed) merged.failed.push([merged.records + i, message]);
    merged.scored += r.scored;
    merged.records += r.records;
    merged.calls += r.calls;
    merged.recordShapes ??= r.recordShapes;
  }
  return merged;
}
