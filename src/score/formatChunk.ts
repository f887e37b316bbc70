/** A scored batch → the text to write and what the writer counts; the same in the main thread and in workers. */
import type { OutputLayout, RowFormatter } from '../output/formatters.js';
import type { FormattedPart } from '../output/orderedWriter.js';
import type { ChunkResult } from './processChunk.js';

export function formatChunk(result: ChunkResult, formatter: RowFormatter, layout: OutputLayout): FormattedPart {
  return {
    text: formatter.rows(result.rows, layout),
    errors: result.errors,
    rows: result.rows.length,
    records: result.records,
    calls: result.calls,
    failed: result.failed,
  };
}
