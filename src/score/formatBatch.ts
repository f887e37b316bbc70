/** A scored batch → the text to write and what the writer counts; the same in the main thread and in workers. */
import type { OutputLayout, RowFormatter } from '../output/formatters.js';
import type { FormattedBatch } from '../output/orderedWriter.js';
import type { BatchResult } from './processBatch.js';

export function formatBatch(result: BatchResult, formatter: RowFormatter, layout: OutputLayout): FormattedBatch {
  return {
    text: formatter.rows(result.rows, layout),
    errors: result.errors,
    rows: result.rows.length,
    records: result.records,
    calls: result.calls,
    failed: result.failed,
  };
}
