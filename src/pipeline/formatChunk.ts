/** A scored chunk → the text to write and what the writer counts; the same in the main thread and in workers. */
import type { OutputLayout, RowFormatter } from '../formats/output.js';
import type { SidecarEntry } from '../report/sidecar.js';
import type { ChunkResult } from './processChunk.js';

export interface FormattedChunk {
  text: string;
  errors: SidecarEntry[];
  scored: number;
  /** Output rows in `text`. */
  rows: number;
  calls: number;
  /** 0-based index and message of each failed record (the JSON document's `errors`). */
  failed: Array<[number, string]>;
}

export function formatChunk(result: ChunkResult, formatter: RowFormatter, layout: OutputLayout, first: boolean): FormattedChunk {
  return {
    text: formatter.rows(result.rows, layout, first),
    errors: result.errors,
    scored: result.scored,
    rows: result.rows.length,
    calls: result.calls,
    failed: result.failed,
  };
}
