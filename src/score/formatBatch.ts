/** A scored batch → the text to write and what the writer counts; the same in the main thread and in workers. */
import type { EncodedGroup, OutputLayout, RowFormatter } from '../output/formatters.js';
import type { FormattedBatch } from '../output/orderedWriter.js';
import type { BatchResult } from './processBatch.js';

export function formatBatch(result: BatchResult, formatter: RowFormatter, layout: OutputLayout): FormattedBatch {
  let encoded: EncodedGroup | undefined;
  if (formatter.groupBuilder) {
    // Parquet output: the batch is a row group of its own.
    const builder = formatter.groupBuilder(layout, result.rows.length);
    builder.add(result.rows);
    encoded = builder.finish();
  }
  return formatEncoded(result, encoded ?? formatter.rows(result.rows, layout), result.rows.length);
}

/** A result whose rows are formatted already (`rows` of them): as text, or as an encoded Parquet row group. */
export function formatEncoded(result: BatchResult, out: string | Uint8Array | EncodedGroup, rows: number): FormattedBatch {
  const encoded = typeof out !== 'string' && !(out instanceof Uint8Array);
  return {
    text: encoded ? out.bytes : out,
    ...(encoded ? { rowGroup: out.group } : {}),
    errors: result.errors,
    rows,
    records: result.records,
    calls: result.calls,
    failed: result.failed,
  };
}
